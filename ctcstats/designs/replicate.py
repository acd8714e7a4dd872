"""Replicate a published design: simulate it and run its published analysis.

:func:`replicate_design` simulates one synthetic cohort of the design's published size and runs,
for every published result the simulator models, the analysis the paper reported — with the
package's public, R-validated functions (not the fast internal estimators that
:mod:`ctcstats.designs.calibrate` uses thousands of times during calibration):

========================  ===================================================================
result kind               analysis (R equivalent)
========================  ===================================================================
prevalence, fraction      exact Clopper–Pearson interval, :func:`scipy.stats.binomtest`
                          (R ``binom.test``)
median, median bounds     :func:`ctcstats.kaplan_meier` median with its confidence limits
                          (R ``quantile(survfit(...), 0.5)``, log-log intervals)
survival_at               :func:`ctcstats.kaplan_meier` ``.survival_at`` (R
                          ``summary(survfit, times=)``)
hazard ratios             :func:`ctcstats.fit_cox` (Efron ties; ``strata_col`` = study for
                          pooled designs, R ``coxph(... + strata(study))``); a window starting
                          after 0 (Braun 2005, > 5 years) with :func:`ctcstats.fit_piecewise_cox`
                          split at the window start (R ``survSplit`` + ``x:strata(period)``)
rate ratios               person-time rate ratio with the Wald interval on the log scale,
                          ``exp(log RR ± z·sqrt(1/d₁ + 1/d₀))`` (R ``glm(d ~ group +
                          offset(log(pt)), family = poisson)``, which has the same estimate and SE)
========================  ===================================================================

Coverage (``covered``): the published value lies inside the estimate's confidence interval
at ``conf_level``. Special cases, by the form in which a number was published:

* a median published as "> x months" (``median_lower_bound``): covered when the synthetic
  cohort is compatible with a median above x — the estimate is not reached (NaN) or exceeds x,
  or its upper confidence limit exceeds x or is not reached (NaN);
* a median whose upper confidence limit is not reached (NaN) has an upper limit of +∞;
* a range published over several analyses (``median_range``, ``hr_range``, e.g. de Bono 2008
  "HR 3.6–6.5 across the post-treatment windows"): covered when the interval overlaps the
  published range; ``published`` is then NaN and the range is in ``published_lower`` and
  ``published_upper``.

Results the simulator does not model (``simulated = false`` in the design file) are left out.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import check_conf_level, check_rng
from .._warnings import Recorded, capture, emit
from .calibrate import analysis_frame, proportion_counts
from .registry import PublishedResult, StudyDesign, resolve_design
from .simulate import category_labels, simulate_tables

__all__ = ["ReplicationResult", "replicate_design", "replicate_cohort"]

_FUNC = "replicate_design"
TABLE_COLUMNS = [
    "quantity",
    "published",
    "estimate",
    "ci_lower",
    "ci_upper",
    "covered",
    "published_lower",
    "published_upper",
    "kind",
    "endpoint",
    "group",
    "reference",
    "status",
    "analysis",
    "n",
    "n_events",
]


@result
class ReplicationResult(Result):
    """A published design replicated on one synthetic cohort.

    Attributes
    ----------
    design : str
        Registry key of the design.
    table : DataFrame
        One row per published quantity the simulator models: ``quantity`` (the result id in
        the design file), ``published`` (the published value; NaN for a published range),
        ``estimate``, ``ci_lower``, ``ci_upper`` (at ``conf_level``), ``covered`` (bool; see
        the module notes), then ``published_lower``/``published_upper`` (the published
        interval of values: equal to ``published`` for a point, ``(x, inf)`` for "> x", the
        range for a range), ``kind``, ``endpoint``, ``group``, ``reference``, ``status``
        (``published`` or ``assumption``, as in the design file), ``analysis`` (the function
        that produced the estimate), ``n`` (patients analysed) and ``n_events``.
    coverage : float
        Fraction of rows with ``covered`` True.
    conf_level : float
    n_obs : int
        Patients in the synthetic cohort. ``n_dropped`` is 0.
    """

    _title: ClassVar[str] = "Replication of a published design"

    design: str
    table: pd.DataFrame
    coverage: float
    conf_level: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- analyses
def _exact_proportion(k: int, n: int, conf_level: float) -> tuple[float, float, float]:
    if n == 0:
        return math.nan, math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(conf_level, method="exact")
    return k / n, float(ci.low), float(ci.high)


def _km(frame: pd.DataFrame, conf_level: float):
    from ..survival.km import kaplan_meier

    return kaplan_meier(frame, time_col="time", event_col="event", conf_level=conf_level)


def _select(frame: pd.DataFrame, group: str | None) -> pd.DataFrame:
    if not group:
        return frame
    return frame.loc[frame["group"].isin(group.split("+"))]


def _hr(d: StudyDesign, r: PublishedResult, frame: pd.DataFrame, conf_level: float):
    """Cox HR of *r.group* vs the reference, adjusted and stratified as published."""
    from ..survival.cox import fit_cox, fit_piecewise_cox

    grp = frame["group"].to_numpy()
    ref = r.reference or "negative"
    if r.grouping == "category":
        levels = [lv for lv in category_labels(d.marker.categories) if lv != ref]
        levels = [lv for lv in levels if np.any(grp == lv)]
        data = frame
    else:
        assert r.group is not None, "hazard-ratio results name their group"
        levels = [r.group]
        data = frame.loc[np.isin(grp, [r.group, ref])]
    names = [f"marker_{i}" for i in range(len(levels))]
    cols = {nm: (data["group"].to_numpy() == lv).astype(float)
            for nm, lv in zip(names, levels, strict=True)}
    data = data.assign(**cols)
    term = names[levels.index(str(r.group))]
    covs = names + list(r.covariates)
    strata = "strata" if r.strata else None
    start = 0.0 if r.window is None else float(r.window[0])
    if start > 0:
        res = fit_piecewise_cox(data, time_col="time", event_col="event", covariates=covs,
                                split_at=[start], strata_col=strata, conf_level=conf_level)
        row = res.table.loc[f"{term}@({start:g},inf)"]
        how = f"fit_piecewise_cox(split_at=[{start:g}])"
    else:
        res = fit_cox(data, time_col="time", event_col="event", covariates=covs,
                      strata_col=strata, conf_level=conf_level)
        row = res.table.loc[term]
        how = "fit_cox"
    if strata:
        how += f"(strata_col={r.strata!r})"
    n_ev = int(data["event"].sum()) if start == 0 else int(
        data.loc[data["time"] > start, "event"].sum())
    return (float(row["hr"]), float(row["ci_lower"]), float(row["ci_upper"]), how,
            int(res.n_obs), n_ev, tuple(res.warnings))


def _frame_for(d: StudyDesign, r: PublishedResult, patients, draws) -> pd.DataFrame:
    """The analysis frame; a window ``(a, b)`` is applied as follow-up truncated at ``b``
    (events after ``b`` censored) with the period after ``a`` selected by the model."""
    if r.window is None or r.endpoint is None:
        return analysis_frame(d, r, patients, draws)
    frame = analysis_frame(d, dataclasses.replace(r, window=None), patients, draws)
    b = float(r.window[1])
    if np.isfinite(b):
        t = frame["time"].to_numpy()
        frame = frame.assign(time=np.minimum(t, b),
                             event=np.where(t <= b, frame["event"].to_numpy(), 0))
    return frame


def _one(d: StudyDesign, r: PublishedResult, patients, draws, conf_level: float) -> dict:
    frame = _frame_for(d, r, patients, draws)
    nan = math.nan
    warns: tuple[str, ...] = ()
    n_events = np.nan
    if r.kind in ("prevalence", "fraction"):
        k, n = proportion_counts(r, frame["group"].to_numpy())
        est, lo, hi = _exact_proportion(k, n, conf_level)
        how = "scipy.stats.binomtest (exact)"
    elif r.kind in ("median", "median_lower_bound", "median_range"):
        sub = _select(frame, r.group)
        n = len(sub)
        n_events = int(sub["event"].sum())
        if n == 0:
            est = lo = hi = nan
        else:
            med = _km(sub[["time", "event"]], conf_level).median.iloc[0]
            est, lo, hi = float(med["median"]), float(med["ci_lower"]), float(med["ci_upper"])
        how = "kaplan_meier().median"
    elif r.kind == "survival_at":
        sub = _select(frame, r.group)
        n = len(sub)
        n_events = int(sub["event"].sum())
        row = _km(sub[["time", "event"]], conf_level).survival_at([r.time_point]).iloc[0]
        est, lo, hi = float(row["survival"]), float(row["ci_lower"]), float(row["ci_upper"])
        how = f"kaplan_meier().survival_at([{r.time_point:g}])"
    elif r.kind == "rate_ratio_univariable":
        a = frame["group"].to_numpy() == r.group
        b = (frame["group"].to_numpy() == r.reference) if r.reference else ~a
        t = frame["time"].to_numpy(dtype=float)
        e = frame["event"].to_numpy(dtype=float)
        da, db = e[a].sum(), e[b].sum()
        n = int(np.sum(a | b))
        n_events = int(da + db)
        if da == 0 or db == 0:
            est = lo = hi = nan
        else:
            est = float((da / t[a].sum()) / (db / t[b].sum()))
            z = stats.norm.ppf(0.5 + conf_level / 2)
            half = z * math.sqrt(1 / da + 1 / db)
            lo, hi = est * math.exp(-half), est * math.exp(half)
        how = "person-time rate ratio, Wald CI on log scale"
    else:  # hr_univariable, hr_multivariable, hr_range
        est, lo, hi, how, n, n_events, warns = _hr(d, r, frame, conf_level)
    # the published interval of values and coverage
    if r.kind in ("median_range", "hr_range"):
        plo, phi = (float(v) for v in r.value)
        published = nan
    elif r.kind == "median_lower_bound":
        plo, phi = float(r.value), math.inf
        published = float(r.value)
    else:
        plo = phi = published = float(r.value)
    covered = _covered(r.kind, published, plo, phi, est, lo, hi)
    return {
        "quantity": r.id, "published": published, "estimate": est, "ci_lower": lo,
        "ci_upper": hi, "covered": covered, "published_lower": plo, "published_upper": phi,
        "kind": r.kind, "endpoint": r.endpoint or "", "group": r.group or "",
        "reference": r.reference or "", "status": r.status, "analysis": how, "n": n,
        "n_events": n_events, "_warnings": warns,
    }


def _covered(kind, published, plo, phi, est, lo, hi) -> bool:
    if kind == "median_lower_bound":
        return bool(not np.isfinite(est) or est > plo or not np.isfinite(hi) or hi > plo)
    if kind.startswith("median"):
        # limits not reached: lower limit NaN cannot happen with a finite median; an upper
        # limit not reached is +inf
        hi = math.inf if not np.isfinite(hi) else hi
        if not np.isfinite(lo):
            return False
    if not (np.isfinite(lo) and np.isfinite(hi) or kind.startswith("median")):
        return False
    if kind in ("median_range", "hr_range"):
        return bool(lo <= phi and hi >= plo)
    return bool(lo <= published <= hi)


# --------------------------------------------------------------------------- public API
def replicate_cohort(
    data: pd.DataFrame, *, design: str | StudyDesign, draws: pd.DataFrame | None = None,
    conf_level: float = 0.95,
) -> ReplicationResult:
    """Run the published analyses of *design* on a given (synthetic) cohort.

    ``data`` (one row per patient) and, for serial designs, ``draws`` must have the columns
    :func:`~ctcstats.designs.simulate_cohort` and :func:`~ctcstats.designs.simulate_draws`
    produce. See :func:`replicate_design`.
    """
    d = resolve_design(design)
    cl = check_conf_level(conf_level, func=_FUNC)
    rows: list[dict] = []
    recorded: list[Recorded] = []
    for r in d.results:
        if not r.simulated:
            continue
        # warnings of the analyses (e.g. a median not reached, no events in a small group)
        # are recorded with the quantity they concern and issued once here
        with capture() as caught:
            rows.append(_one(d, r, data, draws, cl))
        rows[-1].pop("_warnings")
        recorded += caught.records(r.id)
    warns = emit(recorded)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table["covered"] = table["covered"].astype(bool)
    return ReplicationResult(
        design=d.key, table=table, coverage=float(table["covered"].mean()),
        conf_level=cl, n_obs=len(data), warnings=tuple(warns),
    )


def replicate_design(
    design: str | StudyDesign,
    *,
    rng: int | np.random.Generator | None = None,
    n: int | None = None,
    conf_level: float = 0.95,
) -> ReplicationResult:
    """Simulate a published design and run its published analysis on the synthetic cohort.

    Parameters
    ----------
    design : str or StudyDesign
        A registry key (see :func:`~ctcstats.designs.list_designs`) or a design object.
    rng : int, numpy Generator or None
        Seed of the synthetic cohort (the same seed gives the cohort of
        ``simulate_cohort(design, rng=seed)`` and the same table).
    n : int, optional
        Cohort size; default the published size (so the confidence intervals have the width
        the paper's had).
    conf_level : float, default 0.95

    Returns
    -------
    ReplicationResult
        ``.table`` with columns ``quantity, published, estimate, ci_lower, ci_upper,
        covered`` followed by ``published_lower, published_upper, kind, endpoint, group,
        reference, status, analysis, n, n_events`` — one row per published quantity the
        simulator models (prevalence, fractions, medians, survival at time points, hazard and
        rate ratios, per draw and per time window where published). ``.coverage`` is the
        fraction covered. The analyses and the definition of ``covered`` are in the notes of
        :mod:`ctcstats.designs.replicate`.

    Notes
    -----
    Over many seeds, a design whose synthetic cohorts mirror the published study covers each
    published point value in about ``conf_level`` of the replicates (the published value is
    one draw from the sampling distribution the CI describes, so the coverage of a published
    value by the simulated CI is exactly ``conf_level`` only when the model is right and the
    published study had the same size). ``tests/designs/test_replicate.py`` checks ≥ 85% over
    200 seeds for every published quantity of every design.

    Examples
    --------
    >>> from ctcstats.designs.replicate import replicate_design
    >>> rep = replicate_design("lucci2012", rng=1)
    >>> rep.table.columns[:6].tolist()
    ['quantity', 'published', 'estimate', 'ci_lower', 'ci_upper', 'covered']
    >>> rep.table["quantity"].tolist()
    ['prevalence', 'pfs_hr', 'os_hr']
    """
    d = resolve_design(design)
    g = check_rng(rng)
    if n is None:
        n = int(d.n.value)
    from .._validation import check_int

    n = check_int(n, name="n", func=_FUNC, minimum=10)
    patients, draws = simulate_tables(d, n, g)
    return replicate_cohort(patients, design=d, draws=draws, conf_level=conf_level)
