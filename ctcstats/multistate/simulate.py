"""First-relapse sites for synthetic cohorts: :func:`add_relapse_sites`.

The design simulator (:func:`ctcstats.simulate_cohort`) already draws, for designs that
report disease-free, distant-disease-free and overall survival (Braun 2005, PADDY, Janni
2016, Rack 2014, the neoadjuvant IPD design), the time of a local recurrence, of a distant
recurrence and of death, with survival after relapse. From those endpoints this function
reads the first event — local relapse, distant relapse, or death without relapse — and
assigns each first *distant* relapse an organ site (e.g. bone vs other distant organs) with
probabilities that may depend on the marker.

What is published and what is assumed (``/work/shared/published_designs.md``):

* published — DTCs are associated with distant metastasis and cancer death but not with
  locoregional relapse (Braun 2000, NEJM 342:525: P = 0.77 for locoregional relapse); the
  design files already give DTCs (almost) no effect on local relapse;
* not found — the organ of the first distant relapse, overall or by DTC/CTC status, in any
  of the sources read. The bone share among first distant relapses is therefore an explicit
  assumption (:data:`DTC_BONE_SHARE`), labelled as such in the returned frame's
  ``attrs["assumptions"]``;
* survival after relapse is the design's (its ``post_progression`` model); it does not
  depend on the site here — no source gave site-specific post-relapse survival (assumption,
  recorded too).

What should later move into the design files (``designs/data/<key>.toml``): a
``[model.relapse_sites]`` section holding the site probabilities by marker status as
labelled assumptions (or published values when a source is found), and, if a source gives
it, a site-specific hazard ratio for death after relapse in ``[model.post_progression]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._validation import (
    check_event_column,
    check_rng,
    check_time_column,
    format_labels,
    prepare_frame,
)
from ..errors import DataValidationError, ParameterError

__all__ = ["SiteAssumption", "DTC_BONE_SHARE", "add_relapse_sites"]

_FUNC = "add_relapse_sites"


@dataclass(frozen=True)
class SiteAssumption:
    """Probabilities of the organ of a first distant relapse, by marker status, labelled.

    Attributes
    ----------
    probabilities : mapping
        ``{marker value: {site: probability}}``; each inner mapping sums to 1 and all name
        the same sites in the same order.
    status : str
        ``"assumption"`` (no source) or ``"published"``.
    reason : str
        Why these numbers (for an assumption) or where they come from (``source``).
    """

    probabilities: Mapping[Any, Mapping[str, float]]
    status: str = "assumption"
    reason: str = ""
    sites: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if self.status not in ("assumption", "published"):
            raise ParameterError(
                f"SiteAssumption.status must be 'assumption' or 'published'; got "
                f"{self.status!r}."
            )
        if not self.reason:
            raise ParameterError(
                "SiteAssumption needs a reason (for an assumption) or a source (for a "
                "published value); numbers without provenance are not accepted."
            )
        if not isinstance(self.probabilities, Mapping) or not self.probabilities:
            raise ParameterError(
                "SiteAssumption.probabilities must map marker values to {site: probability}."
            )
        sites = None
        for m, probs in self.probabilities.items():
            if not isinstance(probs, Mapping) or not probs:
                raise ParameterError(
                    f"SiteAssumption.probabilities[{m!r}] must map site names to probabilities."
                )
            if sites is None:
                sites = tuple(probs)
            elif tuple(probs) != sites:
                raise ParameterError(
                    "SiteAssumption.probabilities must name the same sites in the same order "
                    f"for every marker value; got {list(sites)} and {list(probs)}."
                )
            p = np.array([float(v) for v in probs.values()])
            if np.any(~np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-9:
                raise ParameterError(
                    f"SiteAssumption.probabilities[{m!r}] must be probabilities adding to 1; "
                    f"got {dict(probs)}."
                )
        object.__setattr__(self, "sites", sites)

    def to_dict(self) -> dict[str, Any]:
        return {"probabilities": {str(k): dict(v) for k, v in self.probabilities.items()},
                "status": self.status, "reason": self.reason}


#: Bone share among first distant relapses by DTC status: an assumption (no source found).
DTC_BONE_SHARE = SiteAssumption(
    probabilities={0: {"bone": 0.45, "other_distant": 0.55},
                   1: {"bone": 0.60, "other_distant": 0.40}},
    status="assumption",
    reason=(
        "The organ of the first distant relapse by DTC status was not found in the sources "
        "read (published_designs.md, §5 'not found'). Bone taken as 45% of first distant "
        "relapses without DTCs and 60% with DTCs, to illustrate bone tropism of "
        "DTC-positive disease; both numbers are assumptions, not published facts."
    ),
)


def add_relapse_sites(
    cohort: pd.DataFrame,
    *,
    site_probabilities: SiteAssumption = DTC_BONE_SHARE,
    marker_col: str = "dtc_positive",
    dfs_cols: tuple[str, str] = ("dfs_months", "dfs_event"),
    ddfs_cols: tuple[str, str] = ("ddfs_months", "ddfs_event"),
    os_cols: tuple[str, str] = ("os_months", "os_event"),
    local_site: str = "local",
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Add the first-relapse site (local, or a distant organ) to a synthetic cohort.

    The first event is read from the design's endpoints: a distant relapse when distant
    disease-free survival ends with an event at the disease-free survival time; death
    without relapse when overall survival ends with a death then; otherwise a local
    relapse. Each first distant relapse gets a site drawn with the probabilities of the
    patient's marker value (``site_probabilities``, a labelled assumption unless a source is
    given).

    Parameters
    ----------
    cohort : DataFrame
        A synthetic cohort (:func:`ctcstats.simulate_cohort`) of a design with disease-free,
        distant-disease-free and overall survival; not modified.
    site_probabilities : SiteAssumption, default :data:`DTC_BONE_SHARE`
        Site probabilities by marker value, with their provenance.
    marker_col : str, default "dtc_positive"
        The column whose values key ``site_probabilities``.
    dfs_cols, ddfs_cols, os_cols : (time column, event column)
        The endpoints the first event is read from.
    local_site : str, default "local"
        Name of the local-relapse site.
    rng : int, Generator or None

    Returns
    -------
    DataFrame
        A copy of ``cohort`` with ``relapse_months`` (first relapse, or the end of relapse
        follow-up: the disease-free survival time), ``relapse_site`` (``"none"``,
        ``local_site`` or a distant site), one 0/1 column ``<site>_event`` per site, and
        ``first_event`` (0 censored, 1 = ``local_site``, 2.. = the distant sites in
        order, last = death without relapse; the labels are in
        ``attrs["first_event_labels"]``). ``attrs["assumptions"]`` records the site
        probabilities with their status and reason, and that post-relapse survival does not
        depend on the site. A relapse that falls on the day of death (after rounding) is
        moved 0.01 months earlier, so that every stay has positive length; their number is
        ``attrs["relapses_moved"]``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.multistate import add_relapse_sites
    >>> df = add_relapse_sites(cs.simulate_cohort("braun2005", n=500, rng=1), rng=2)
    >>> sorted(df["relapse_site"].unique())
    ['bone', 'local', 'none', 'other_distant']
    >>> df.attrs["first_event_labels"]
    {1: 'local', 2: 'bone', 3: 'other_distant', 4: 'death'}
    """
    sa = site_probabilities
    if not isinstance(sa, SiteAssumption):
        raise ParameterError(
            f"The 'site_probabilities' parameter of {_FUNC} must be a SiteAssumption (the "
            "probabilities with their status and reason); got "
            f"{type(sa).__name__}."
        )
    g = check_rng(rng)
    roles = {"marker_col": marker_col, "dfs_cols": list(dfs_cols), "ddfs_cols": list(ddfs_cols),
             "os_cols": list(os_cols)}
    prep = prepare_frame(cohort, func=_FUNC, roles=roles, missing="raise")
    f = prep.frame
    t_dfs = check_time_column(f, dfs_cols[0], role="dfs_cols")
    e_dfs = check_event_column(f, dfs_cols[1], role="dfs_cols")
    t_dd = check_time_column(f, ddfs_cols[0], role="ddfs_cols")
    e_dd = check_event_column(f, ddfs_cols[1], role="ddfs_cols")
    t_os = check_time_column(f, os_cols[0], role="os_cols")
    e_os = check_event_column(f, os_cols[1], role="os_cols")
    bad = (t_dd < t_dfs) | (t_os < t_dfs)
    if bad.any():
        raise DataValidationError(
            f"{int(bad.sum())} rows have distant-disease-free or overall survival shorter than "
            f"disease-free survival (first row labels: {format_labels(f.index[bad])}); "
            "disease-free survival ends at the first of all these events."
        )
    marker = f[marker_col].to_numpy(dtype=object)
    unknown = sorted({m for m in marker if m not in sa.probabilities}, key=str)
    if unknown:
        raise DataValidationError(
            f"marker_col {marker_col!r} has values {unknown} without site probabilities "
            f"(given for {list(sa.probabilities)})."
        )
    if local_site in sa.sites or "death" in sa.sites or "none" in sa.sites:
        raise ParameterError(
            f"the distant sites {list(sa.sites)} must not be named {local_site!r}, 'death' or "
            "'none'."
        )
    distant = (e_dfs == 1) & (e_dd == 1) & (t_dd == t_dfs)
    death_first = (e_dfs == 1) & ~distant & (e_os == 1) & (t_os == t_dfs)
    local = (e_dfs == 1) & ~distant & ~death_first
    # one uniform per patient (drawn for everyone, so that the site of a patient does not
    # depend on which other patients relapsed), mapped through the cumulative probabilities
    u = g.random(len(f))
    site = np.full(len(f), "none", dtype=object)
    site[local] = local_site
    for m, probs in sa.probabilities.items():
        sel = distant & (marker == m)
        cum = np.cumsum(list(probs.values()))
        idx = np.minimum(np.searchsorted(cum, u[sel], side="right"), len(cum) - 1)
        site[sel] = np.asarray(sa.sites, dtype=object)[idx]
    rel_t = t_dfs.copy()
    clash = (local | distant) & (e_os == 1) & (t_os <= rel_t)
    rel_t[clash] = t_os[clash] - 0.01
    out = cohort.copy()
    out["relapse_months"] = pd.Series(rel_t, index=f.index)
    out["relapse_site"] = pd.Series(site, index=f.index, dtype=object)
    labels = {1: local_site, **{i + 2: s for i, s in enumerate(sa.sites)},
              len(sa.sites) + 2: "death"}
    code = np.zeros(len(f), dtype=np.int64)
    for c, lab in labels.items():
        if lab != "death":
            out[f"{lab}_event"] = pd.Series((site == lab).astype(np.int64), index=f.index)
            code[site == lab] = c
    code[death_first] = len(sa.sites) + 2
    out["first_event"] = pd.Series(code, index=f.index)
    out.attrs["first_event_labels"] = labels
    out.attrs["relapses_moved"] = int(clash.sum())
    out.attrs["assumptions"] = {
        "site_probabilities": sa.to_dict(),
        "post_relapse_survival": {
            "status": "assumption",
            "reason": "survival after relapse is the design's post-progression model and does "
                      "not depend on the site (no site-specific survival after relapse was "
                      "found in the sources read)",
        },
    }
    return out
