"""Competing first-relapse sites: cumulative incidence of every cause, cause-specific Cox
next to Fine–Gray.

* :func:`competing_incidence` — the Aalen–Johansen cumulative incidence of every cause (e.g.
  first relapse in bone, in another distant organ, death without relapse) in one call, with
  Gray's test per cause; built on :func:`ctcstats.survival.competing.cumulative_incidence`
  (``cmprsk::cuminc``), which it calls once per cause.
* :func:`fit_cause_specific_cox` — per cause, the cause-specific Cox model (the other causes
  censored; R ``coxph(Surv(time, status == k) ~ ...)``) next to the Fine–Gray model of the
  subdistribution hazard (``cmprsk::crr(..., failcode = k)``), through
  :func:`ctcstats.survival.cox.fit_cox` and :func:`ctcstats.survival.finegray.fit_fine_gray`.

The two models answer different questions — the cause-specific hazard ratio is the effect
on the rate of, say, bone relapse among patients still free of any relapse; the
subdistribution hazard ratio is the effect on the cumulative incidence of bone relapse — and
are therefore reported side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import check_event_codes, check_int, prepare_frame
from .._warnings import capture, emit
from ..errors import DataValidationError, ParameterError
from ..survival.competing import CumulativeIncidenceResult, cumulative_incidence
from ..survival.cox import CoxResult, fit_cox
from ..survival.finegray import FineGrayResult, fit_fine_gray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CauseSpecificResult",
    "CompetingIncidenceResult",
    "competing_incidence",
    "fit_cause_specific_cox",
]

_TABLE = ["coef", "std_error", "hr", "ci_lower", "ci_upper", "z", "p_value"]


# --------------------------------------------------------------------------- causes
def _causes(data, time_col, event_col, causes, cause_labels, func, missing, extra=()):
    """Validated frame, the causes to analyse and their labels."""
    prep = prepare_frame(data, func=func, roles={"time_col": time_col, "event_col": event_col,
                                                  "columns": [c for c in extra if c]},
                         missing=missing)
    codes = check_event_codes(prep.frame, event_col)
    present = sorted(int(c) for c in np.unique(codes) if c > 0)
    if not present:
        raise DataValidationError(
            f"event_col {event_col!r} has no failures (every row is censored, code 0); "
            f"{func} needs at least one cause."
        )
    if causes is None:
        causes = present
    else:
        if isinstance(causes, (int, np.integer)) or not isinstance(causes, Sequence):
            raise ParameterError(
                f"The 'causes' parameter of {func} must be a list of event codes; got "
                f"{causes!r}."
            )
        causes = [check_int(c, name="causes", func=func, minimum=1) for c in causes]
        if len(set(causes)) != len(causes):
            raise ParameterError(f"The 'causes' parameter of {func} names a cause twice: "
                                 f"{causes}.")
        absent = [c for c in causes if c not in present]
        if absent:
            raise DataValidationError(
                f"causes {absent} do not occur in event_col {event_col!r} (causes present: "
                f"{present}); check the coding (0 = censored, 1..k = causes)."
            )
    if cause_labels is None:
        labels = {c: str(c) for c in causes}
    else:
        if not isinstance(cause_labels, Mapping):
            raise ParameterError(
                f"The 'cause_labels' parameter of {func} must be a mapping code → label, e.g. "
                f"{{1: 'bone', 2: 'other distant', 3: 'death'}}; got {cause_labels!r}."
            )
        missing_lab = [c for c in causes if c not in cause_labels]
        if missing_lab:
            raise ParameterError(
                f"The 'cause_labels' parameter of {func} has no label for causes "
                f"{missing_lab}."
            )
        labels = {c: str(cause_labels[c]) for c in causes}
        if len(set(labels.values())) != len(labels):
            raise ParameterError(f"The 'cause_labels' parameter of {func} repeats a label: "
                                 f"{labels}.")
    return prep, codes, causes, labels


# --------------------------------------------------------------------------- incidence
@result
class CompetingIncidenceResult(Result):
    """Cumulative incidence of every competing cause, by group (:func:`competing_incidence`).

    Attributes
    ----------
    table : DataFrame
        ``cause, group, time, n_at_risk, n_events, cif, std_error, ci_lower, ci_upper``: the
        rows of :class:`~ctcstats.survival.competing.CumulativeIncidenceResult` ``.table`` of
        each cause, ``cause`` holding its label.
    gray_tests : DataFrame or None
        With ``group_col``: ``cause, statistic, df, p_value`` — Gray's test of equal
        cumulative incidence across groups, one per cause (``cuminc()$Tests``).
    causes : tuple of str
        Cause labels in order; ``codes`` the event codes they stand for.
    groups : tuple
    time_col, event_col : str
    group_col : str or None
    conf_level : float
    n_obs, n_dropped : int
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Cumulative incidence of competing causes"

    table: pd.DataFrame
    gray_tests: pd.DataFrame | None = None
    causes: tuple = ()
    codes: tuple = ()
    groups: tuple = ()
    time_col: str
    event_col: str
    group_col: str | None = None
    conf_level: float = 0.95
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _by_cause: dict = dataclasses.field(default_factory=dict, repr=False)

    def cause_result(self, cause: str) -> CumulativeIncidenceResult:
        """The :func:`cumulative_incidence` result of one cause (by its label)."""
        if cause not in self._by_cause:
            raise ParameterError(
                f"cause {cause!r} is not one of the causes analysed "
                f"({', '.join(repr(c) for c in self.causes)})."
            )
        return self._by_cause[cause]

    def at(self, horizon: float | Sequence[float]) -> pd.DataFrame:
        """Cumulative incidence of every cause at chosen times (``cmprsk::timepoints``).

        Returns
        -------
        DataFrame
            ``cause, group, time, cif, std_error, ci_lower, ci_upper``; NaN beyond a
            group's last follow-up time.
        """
        frames = []
        for c in self.causes:
            f = self._by_cause[c].at(horizon)
            f.insert(0, "cause", pd.Series([c] * len(f), dtype=object))
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def plot(self, ax: Axes | Sequence[Axes] | None = None, *, group: Any = None,
             stacked: bool = True) -> Axes | np.ndarray:
        """Stacked cumulative incidence of the causes, one panel per group.

        Delegates to :func:`ctcstats.plotting.multistate.plot_stacked_incidence`; returns
        the Axes (an array of Axes, one per group, when several groups are drawn).
        """
        from ..plotting.multistate import plot_stacked_incidence

        return plot_stacked_incidence(self, ax, group=group, stacked=stacked)


def competing_incidence(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    causes: Sequence[int] | None = None,
    cause_labels: Mapping[int, str] | None = None,
    group_col: str | None = None,
    strata_col: str | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CompetingIncidenceResult:
    """Cumulative incidence of every competing cause, with Gray's test per cause.

    One call of :func:`ctcstats.survival.competing.cumulative_incidence` (Aalen–Johansen,
    cmprsk's variance, log(-log) limits; R ``cmprsk::cuminc``) per cause, collected into one
    tidy table — e.g. first relapse in bone, in another distant organ, and death without
    relapse, by DTC status.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col : str
        Time to the first event or censoring.
    event_col : str
        0 = censored, 1..k = cause of the first event.
    causes : list of int, optional
        Causes to report (default: every code present).
    cause_labels : mapping int → str, optional
        Labels of the causes (e.g. ``{1: "bone", 2: "other distant", 3: "death"}``); by
        default the codes as strings.
    group_col, strata_col : str, optional
        Groups to compare (Gray's test per cause) and strata of the test.
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    CompetingIncidenceResult
        ``table`` (``cause, group, time, n_at_risk, n_events, cif, std_error, ci_lower,
        ci_upper``), ``gray_tests`` (``cause, statistic, df, p_value``), ``.at(horizon)``,
        ``.cause_result(cause)``, ``.plot()`` (stacked incidence per group).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.multistate import competing_incidence
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"months": np.round(rng.exponential(30, 300), 1) + 0.1,
    ...                    "first": rng.choice([0, 1, 2, 3], 300, p=[.4, .25, .2, .15]),
    ...                    "dtc": rng.choice(["neg", "pos"], 300)})
    >>> res = competing_incidence(df, time_col="months", event_col="first", group_col="dtc",
    ...                           cause_labels={1: "bone", 2: "other", 3: "death"})
    >>> res.gray_tests["cause"].tolist()
    ['bone', 'other', 'death']
    >>> res.at(24)[["cause", "group"]].shape
    (6, 2)
    """
    func = "competing_incidence"
    prep, _, causes, labels = _causes(data, time_col, event_col, causes, cause_labels, func,
                                      missing, extra=(group_col, strata_col))
    by_cause: dict[str, CumulativeIncidenceResult] = {}
    caught: list[str] = []
    for c in causes:
        with capture() as w:
            res = cumulative_incidence(prep.frame, time_col=time_col, event_col=event_col,
                                       event_of_interest=c, group_col=group_col,
                                       strata_col=strata_col, conf_level=conf_level)
        emit(w.records(f"cause {labels[c]!r}"))
        caught.extend(f"cause {labels[c]!r}: {m}" for m in res.warnings)
        by_cause[labels[c]] = res
    frames, tests = [], []
    for lab, res in by_cause.items():
        t = res.table.copy()
        t.insert(0, "cause", pd.Series([lab] * len(t), dtype=object))
        frames.append(t)
        if res.gray_test is not None:
            g = res.gray_test
            tests.append({"cause": lab, "statistic": g.statistic, "df": g.df,
                          "p_value": g.p_value})
    first = next(iter(by_cause.values()))
    return CompetingIncidenceResult(
        table=pd.concat(frames, ignore_index=True),
        gray_tests=pd.DataFrame(tests) if tests else None,
        causes=tuple(by_cause), codes=tuple(causes), groups=first.groups,
        time_col=time_col, event_col=event_col, group_col=group_col,
        conf_level=first.conf_level, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        warnings=tuple(caught), _by_cause=by_cause,
    )


# --------------------------------------------------------------------------- regression
@result
class CauseSpecificResult(Result):
    """Cause-specific Cox and Fine–Gray models per cause (:func:`fit_cause_specific_cox`).

    Attributes
    ----------
    table : DataFrame
        One row per cause, model and term: ``cause, model, term, coef, std_error, hr,
        ci_lower, ci_upper, z, p_value``; ``model`` is ``"cause_specific"`` (hazard ratio of
        the cause-specific hazard, ``coxph(Surv(time, status == k) ~ ...)``) or
        ``"fine_gray"`` (subdistribution hazard ratio, ``crr(..., failcode = k)``).
    side_by_side : DataFrame
        The same, one row per cause and term: ``cause, term, cs_hr, cs_ci_lower,
        cs_ci_upper, cs_p_value, sd_hr, sd_ci_lower, sd_ci_upper, sd_p_value``
        (``sd_*`` NaN without Fine–Gray).
    causes : tuple of str
    n_events : tuple of int
        Events of each cause.
    conf_level : float
    n_obs, n_dropped : int
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Cause-specific Cox and Fine–Gray models"

    table: pd.DataFrame
    side_by_side: pd.DataFrame
    causes: tuple = ()
    n_events: tuple = ()
    conf_level: float = 0.95
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _cox: dict = dataclasses.field(default_factory=dict, repr=False)
    _fine_gray: dict = dataclasses.field(default_factory=dict, repr=False)

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("side_by_side", self.side_by_side), ("table", self.table)]

    def cox(self, cause: str) -> CoxResult:
        """The cause-specific :class:`~ctcstats.survival.cox.CoxResult` of one cause."""
        return self._get(self._cox, cause)

    def fine_gray(self, cause: str) -> FineGrayResult:
        """The :class:`~ctcstats.survival.finegray.FineGrayResult` of one cause."""
        return self._get(self._fine_gray, cause)

    def _get(self, d: dict, cause: str) -> Any:
        if cause not in d:
            raise ParameterError(
                f"cause {cause!r} has no model here (causes: "
                f"{', '.join(repr(c) for c in d) or 'none'})."
            )
        return d[cause]

    def plot(self, ax: Axes | None = None, *, term: str | None = None) -> Axes:
        """Forest plot of both hazard ratios of one term (default the first) per cause.

        Delegates to :func:`ctcstats.plotting.multistate.plot_cause_specific`.
        """
        from ..plotting.multistate import plot_cause_specific

        return plot_cause_specific(self, ax, term=term)


def fit_cause_specific_cox(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    causes: Sequence[int] | None = None,
    cause_labels: Mapping[int, str] | None = None,
    strata_col: str | None = None,
    fine_gray: bool = True,
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CauseSpecificResult:
    """Cause-specific Cox model and Fine–Gray model for every cause, side by side.

    For cause ``k``: the Cox model of the cause-specific hazard, the other causes treated
    as censored (:func:`ctcstats.survival.cox.fit_cox`; R ``coxph(Surv(time, status == k) ~
    covariates)``), and the Fine–Gray model of its subdistribution hazard
    (:func:`ctcstats.survival.finegray.fit_fine_gray`; R ``cmprsk::crr(time, status, cov1,
    failcode = k)``).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col, event_col : str
        Time to the first event and its cause (0 = censored, 1..k).
    covariates : list of str
        As in :func:`~ctcstats.survival.cox.fit_cox` (categorical columns become ``col[level]``).
    causes, cause_labels
        As in :func:`competing_incidence`.
    strata_col : str, optional
        Strata of the cause-specific Cox models (the Fine–Gray model has none).
    fine_gray : bool, default True
        Also fit the Fine–Gray model.
    ties : {"efron", "breslow"}
        Ties of the cause-specific Cox models.
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    CauseSpecificResult
        ``table`` (``cause, model, term, coef, std_error, hr, ci_lower, ci_upper, z,
        p_value``), ``side_by_side`` (``cause, term, cs_hr, cs_ci_lower, cs_ci_upper,
        cs_p_value, sd_hr, sd_ci_lower, sd_ci_upper, sd_p_value``), ``.cox(cause)``,
        ``.fine_gray(cause)``, ``.plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.multistate import fit_cause_specific_cox
    >>> rng = np.random.default_rng(5)
    >>> df = pd.DataFrame({"dtc": rng.integers(0, 2, 400), "age": rng.normal(55, 9, 400)})
    >>> t_bone = rng.exponential(80 / np.exp(0.8 * df.dtc))
    >>> t_other = rng.exponential(100, 400)
    >>> t = np.minimum(np.minimum(t_bone, t_other), 60)
    >>> df["months"] = np.round(t, 1) + 0.1
    >>> df["first"] = np.where(t == 60, 0, np.where(t_bone < t_other, 1, 2))
    >>> res = fit_cause_specific_cox(df, time_col="months", event_col="first",
    ...                              covariates=["dtc", "age"],
    ...                              cause_labels={1: "bone", 2: "other"})
    >>> res.side_by_side[["cause", "term"]].values.tolist()
    [['bone', 'dtc'], ['bone', 'age'], ['other', 'dtc'], ['other', 'age']]
    >>> bool(res.side_by_side.loc[0, "cs_hr"] > 1)
    True
    """
    func = "fit_cause_specific_cox"
    if isinstance(covariates, str) or not isinstance(covariates, Sequence) or not covariates:
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a non-empty list of column names; "
            f"got {covariates!r}."
        )
    if not isinstance(fine_gray, (bool, np.bool_)):
        raise ParameterError(f"The 'fine_gray' parameter of {func} must be True or False; "
                             f"got {fine_gray!r}.")
    prep, codes, causes, labels = _causes(data, time_col, event_col, causes, cause_labels,
                                          func, missing, extra=(*covariates, strata_col))
    frame = prep.frame
    ind_col = "__cause_indicator__"
    cox_fits: dict[str, CoxResult] = {}
    fg_fits: dict[str, FineGrayResult] = {}
    caught: list[str] = []
    rows = []
    n_events = []
    for c in causes:
        lab = labels[c]
        f = frame.assign(**{ind_col: (codes == c).astype(np.int64)})
        cs = _recorded(caught, lab, "cause-specific Cox", lambda f=f: fit_cox(
            f, time_col=time_col, event_col=ind_col, covariates=list(covariates),
            strata_col=strata_col, ties=ties, conf_level=conf_level))
        cox_fits[lab] = cs
        n_events.append(int((codes == c).sum()))
        rows.append(_rows(cs.table, lab, "cause_specific"))
        if fine_gray:
            fg = _recorded(caught, lab, "Fine–Gray", lambda c=c: fit_fine_gray(
                frame, time_col=time_col, event_col=event_col, covariates=list(covariates),
                event_of_interest=c, conf_level=conf_level))
            fg_fits[lab] = fg
            rows.append(_rows(fg.table, lab, "fine_gray"))
    table = pd.concat(rows, ignore_index=True)
    return CauseSpecificResult(
        table=table, side_by_side=_side_by_side(table), causes=tuple(labels[c] for c in causes),
        n_events=tuple(n_events), conf_level=conf_level, n_obs=prep.n_obs,
        n_dropped=prep.n_dropped, warnings=tuple(caught), _cox=cox_fits, _fine_gray=fg_fits,
    )


def _recorded(caught: list[str], cause: str, model: str, fit):
    """Run *fit*; re-issue its warnings labelled with the cause and record them."""
    with capture() as w:
        res = fit()
    caught.extend(emit(w.records(f"cause {cause!r} ({model})"), stacklevel=3))
    return res


def _rows(tab: pd.DataFrame, cause: str, model: str) -> pd.DataFrame:
    out = tab[_TABLE].reset_index()
    out.insert(0, "model", pd.Series([model] * len(out), dtype=object))
    out.insert(0, "cause", pd.Series([cause] * len(out), dtype=object))
    return out[["cause", "model", "term", *_TABLE]]


def _side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    keys = ["cause", "term"]
    cs = table[table["model"] == "cause_specific"].set_index(keys)
    out = pd.DataFrame(index=cs.index)
    for pre, model in (("cs", "cause_specific"), ("sd", "fine_gray")):
        sub = table[table["model"] == model].set_index(keys)
        for col in ("hr", "ci_lower", "ci_upper", "p_value"):
            out[f"{pre}_{col}"] = sub[col].reindex(out.index) if len(sub) else np.nan
    return out.reset_index()
