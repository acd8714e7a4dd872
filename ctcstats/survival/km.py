"""Kaplan–Meier estimation, as R's ``survival::survfit`` computes it.

Everything here is checked against R (``tests/reference/km/``): the product-limit estimate,
Greenwood standard errors, the ``log-log`` / ``log`` / ``plain`` confidence limits of
``survfit(conf.type=)``, ``summary(survfit, times=)``, the median and its confidence limits of
``quantile.survfit``, the restricted mean and its standard error of ``survival:::survmean``
and the reverse Kaplan–Meier median follow-up.

Why own numpy rather than wrapping ``lifelines.KaplanMeierFitter``: lifelines computes the
product-limit estimate itself correctly (the tests cross-check it), but it has no Greenwood
standard error of S(t), only the log-log ("exponential Greenwood") interval, a median
confidence interval without R's flat-segment rule, and an RMST "variance" that is the variance
of the restricted lifetime min(T, tau) (``E[min(T, tau)^2] - RMST^2``), not the sampling variance
of the RMST estimate, so it is wrong for inference. The event table is one ``np.unique`` per
group and the estimate one ``cumprod``, so all of it is done here, vectorised, in the same
arithmetic R uses.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._results import Result, result
from .._typing import ArrayLike
from .._validation import (
    check_choice,
    check_conf_level,
    check_event_column,
    check_group_column,
    check_intervals,
    check_real,
    check_time_column,
    prepare_frame,
)
from ..errors import DataValidationError, DataWarning, ParameterError
from ._core.curves import confint, kaplan_meier_curve, quantile
from ._core.ties import merge_message, merge_times

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KaplanMeierResult", "kaplan_meier"]

_FUNC = "kaplan_meier"
_CONF_TYPES = ("log-log", "log", "plain")
_TABLE_COLUMNS = [
    "group",
    "time",
    "n_at_risk",
    "n_events",
    "n_censored",
    "survival",
    "std_error",
    "ci_lower",
    "ci_upper",
]
_OVERALL = "all"


# --------------------------------------------------------------------------- curve engine
def _curve(time: np.ndarray, event: np.ndarray,
           start: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """One survfit curve: a row per distinct (event or censoring) time, as survfitKM.

    The estimate is the core's (:func:`~ctcstats.survival._core.curves.kaplan_meier_curve`).
    ``se_h`` is R's ``fit$std.err``: the Greenwood standard error of the cumulative hazard
    -log S(t), i.e. sqrt(cumsum d / (n (n - d))); it is ``inf`` once everyone at risk has
    died (n = d), as in R. The standard error of S(t) itself is ``se_h * S(t)`` (R's
    ``summary.survfit``), NaN where S(t) = 0.
    """
    c = kaplan_meier_curve(time, event, start=start)
    se_h = np.sqrt(c.var_log)
    with np.errstate(invalid="ignore"):
        std_error = se_h * c.surv  # inf * 0 -> NaN where S(t) = 0, as R
    return {
        "time": c.time,
        "n_at_risk": c.n_risk,
        "n_events": c.n_event,
        "n_censored": c.n_censor,
        "survival": c.surv,
        "se_h": se_h,
        "std_error": std_error,
    }


def _median_with_ci(curve: dict[str, np.ndarray], z: float, conf_type: str) -> tuple:
    """``quantile.survfit(fit, 0.5)``: median and the times the CI curves cross 0.5."""
    lower, upper = confint(curve["survival"], curve["se_h"], z, conf_type)
    t = curve["time"]
    return (quantile(t, curve["survival"]), quantile(t, lower), quantile(t, upper))


def _rmst(curve: dict[str, np.ndarray], tau: float) -> tuple[float, float]:
    """Restricted mean up to ``tau`` and its standard error, as ``survival:::survmean``.

    Var = sum_j d_j / (n_j (n_j - d_j)) * (integral of S from t_j to tau)^2 over rows with
    t_j ≤ tau (the Greenwood-type variance of the area; terms with n_j = d_j are 0, as R).
    """
    time, surv = curve["time"], curve["survival"]
    n, d = curve["n_at_risk"], curve["n_events"]
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    keep = time <= tau
    if not keep.any():
        return float(tau), 0.0
    temptime = np.concatenate((time[keep], [tau]))
    tempsurv = np.concatenate((surv[keep], [surv[keep][-1]]))
    hh = np.concatenate((hh[keep], [0.0]))
    delta = np.diff(np.concatenate(([0.0], temptime)))
    rectangles = delta * np.concatenate(([1.0], tempsurv[:-1]))
    varmean = np.sum(np.cumsum(rectangles[1:][::-1]) ** 2 * hh[::-1][1:])
    return float(np.sum(rectangles)), float(np.sqrt(varmean))


def _table_ci(curve: dict[str, np.ndarray], z: float, conf_type: str) -> tuple:
    """Confidence limits for the tidy table: R's, except [1, 1] where S(t) = 1.

    R's log-log limits are NA where S(t) = 1 (log(-log 1) is undefined) although the
    standard error there is 0; the degenerate interval [1, 1] is the limit and is what R's
    own ``summary(fit, times=0)`` row reports, so the table shows it.
    """
    lower, upper = confint(curve["survival"], curve["se_h"], z, conf_type)
    one = curve["survival"] == 1.0
    return np.where(one, 1.0, lower), np.where(one, 1.0, upper)


def _at_times(
    curve: dict[str, np.ndarray], times: np.ndarray, z: float, conf_type: str, extend: bool
) -> dict[str, np.ndarray]:
    """``summary(survfit, times=)`` for one curve (times sorted, ≥ 0)."""
    lower, upper = _table_ci(curve, z, conf_type)
    cols = {
        "time": curve["time"],
        "n_at_risk": curve["n_at_risk"],
        "n_events": curve["n_events"],
        "n_censored": curve["n_censored"],
        "survival": curve["survival"],
        "std_error": curve["std_error"],
        "ci_lower": lower,
        "ci_upper": upper,
    }
    if curve["time"][0] != 0.0:  # survfit0(): a row at time 0 with S = 1
        first = {"time": 0.0, "n_at_risk": curve["n_at_risk"][0], "n_events": 0.0,
                 "n_censored": 0.0, "survival": 1.0, "std_error": 0.0, "ci_lower": 1.0,
                 "ci_upper": 1.0}
        cols = {k: np.concatenate(([first[k]], v)) for k, v in cols.items()}
    t = cols["time"]
    row = np.searchsorted(t, times, side="right") - 1  # last row with time <= t
    nxt = np.searchsorted(t, times, side="left")  # first row with time >= t
    out = {"time": times.astype(float)}
    out["n_at_risk"] = np.concatenate((cols["n_at_risk"], [0.0]))[nxt]
    for k in ("n_events", "n_censored"):
        cum = np.cumsum(cols[k])[row]
        out[k] = np.diff(np.concatenate(([0.0], cum)))
    beyond = times > t[-1]
    for k in ("survival", "std_error", "ci_lower", "ci_upper"):
        v = cols[k][row].astype(float)
        if not extend:
            v = np.where(beyond, np.nan, v)
        out[k] = v
    return out


def _frame(label: Any, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(cols["time"])
    group = np.empty(n, dtype=object)
    group[:] = [label] * n
    counts = ("n_at_risk", "n_events", "n_censored")
    return pd.DataFrame(
        {"group": group}
        | {k: (cols[k].astype(np.int64) if k in counts else cols[k]) for k in _TABLE_COLUMNS[1:]}
    )


def _readonly(curve: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for v in curve.values():
        v.setflags(write=False)
    return curve


def _z(conf_level: float) -> float:
    return float(norm.ppf(1.0 - (1.0 - conf_level) / 2.0))


# --------------------------------------------------------------------------- result
@result
class KaplanMeierResult(Result):
    """Kaplan–Meier estimate by group (returned by :func:`kaplan_meier`).

    Attributes
    ----------
    table : DataFrame
        One row per distinct event or censoring time per group, as R's
        ``summary(survfit, censored=TRUE)``: ``group, time, n_at_risk, n_events, n_censored,
        survival, std_error, ci_lower, ci_upper``. ``std_error`` is the Greenwood standard
        error of S(t); ``ci_lower``/``ci_upper`` the ``conf_type`` interval.
    median : DataFrame
        ``group, median, ci_lower, ci_upper`` as R's ``quantile(fit, 0.5)``; NaN where the
        curve (or a confidence curve) never reaches 0.5.
    median_followup : DataFrame
        ``group, median_followup, ci_lower, ci_upper``: the reverse Kaplan–Meier median
        follow-up (censoring treated as the event, as
        ``quantile(survfit(Surv(time, 1 - event) ~ group), 0.5)``) for each group and, when
        there are groups, for all patients together in a last row labelled ``"all"`` (always
        the last row, even if a user group is itself called "all"). Its limits are where the
        ``conf_type`` confidence curves of the reverse estimate cross 0.5.
    conf_level, conf_type : float, str
    time_col, event_col : str
    group_col, start_col : str or None
    groups : tuple
        The group labels in table order.
    n_obs, n_dropped : int
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Kaplan–Meier estimate"

    table: pd.DataFrame
    median: pd.DataFrame
    median_followup: pd.DataFrame
    conf_level: float
    conf_type: str
    time_col: str
    event_col: str
    group_col: str | None = None
    start_col: str | None = None
    groups: tuple = ()
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _curves: dict = dataclasses.field(default_factory=dict, repr=False)

    # ---- queries ------------------------------------------------------------------------
    def survival_at(self, times: ArrayLike, *, extend: bool = False) -> pd.DataFrame:
        """Estimates at given times, as R's ``summary(fit, times=times, extend=extend)``.

        Parameters
        ----------
        times : float or array-like of float
            Times ≥ 0; they are sorted (as R sorts them) and repeated for every group.
        extend : bool, default False
            R's ``extend``. With False, a time after a group's last observed time gets NaN
            for ``survival, std_error, ci_lower, ci_upper`` (R drops such rows; ctcstats keeps
            them so that no requested time disappears silently). With True the last value is
            carried forward, as R does.

        Returns
        -------
        DataFrame
            ``group, time, n_at_risk, n_events, n_censored, survival, std_error, ci_lower,
            ci_upper``, one row per group and time. ``n_at_risk`` is the number still at risk
            at t (followed to t or beyond; 0 past the last time). ``n_events`` and
            ``n_censored`` are counted over the interval since the previous requested time
            (from time 0 for the first), exactly as ``summary.survfit`` reports them, so that
            they add up to the group totals when the last time is past follow-up.

        Examples
        --------
        >>> import pandas as pd, ctcstats.survival.km as km
        >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 5], "e": [1, 1, 0, 1, 0]})
        >>> km.kaplan_meier(df, time_col="t", event_col="e").survival_at([2, 4])[
        ...     ["time", "n_at_risk", "n_events", "survival"]]
           time  n_at_risk  n_events  survival
        0   2.0          4         2       0.6
        1   4.0          1         1       0.3
        """
        t = np.atleast_1d(np.asarray(times, dtype=object))
        ok = t.ndim == 1 and t.size > 0
        if ok:
            try:
                tf = np.asarray([float(v) for v in t])
            except (TypeError, ValueError):
                ok = False
        if not ok or not np.all(np.isfinite(tf)) or np.any(tf < 0):
            raise ParameterError(
                "The 'times' parameter of survival_at must be one or more finite times ≥ 0; "
                f"got {times!r}."
            )
        tf = np.sort(tf)
        z = _z(self.conf_level)
        frames = [
            _frame(g, _at_times(self._curves[g], tf, z, self.conf_type, bool(extend)))
            for g in self.groups
        ]
        return pd.concat(frames, ignore_index=True)

    def rmst(self, tau: float) -> pd.DataFrame:
        """Restricted mean survival time up to ``tau``, by group.

        Matches R ``summary(survfit(...), rmean=tau)$table[, c("rmean", "se(rmean)")]``
        (``survival:::survmean``): the area under the step curve from 0 to tau and its
        standard error sqrt(sum_j d_j / (n_j (n_j - d_j)) A_j^2), A_j the area from t_j to tau.
        (lifelines' ``restricted_mean_survival_time(return_variance=True)`` returns the
        variance of min(T, tau), not of the estimate, and cannot be used for inference.)

        Parameters
        ----------
        tau : float
            Truncation time, > 0. Beyond a group's last observed time its curve is carried
            forward flat (as R); a :class:`~ctcstats.errors.DataWarning` says so when that
            last value is above 0.

        Returns
        -------
        DataFrame
            ``group, rmst, std_error, ci_lower, ci_upper``; the interval is
            rmst ± z·std_error at the result's ``conf_level``.

        Examples
        --------
        >>> import pandas as pd, ctcstats.survival.km as km
        >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 5], "e": [1, 1, 0, 1, 0]})
        >>> km.kaplan_meier(df, time_col="t", event_col="e").rmst(4)[["group", "rmst"]]
          group  rmst
        0   all   2.7
        """
        tau = check_real(tau, name="tau", func="rmst", low=0.0, low_inclusive=False)
        z = _z(self.conf_level)
        rows = []
        for g in self.groups:
            curve = self._curves[g]
            last_t, last_s = curve["time"][-1], curve["survival"][-1]
            if tau > last_t and last_s > 0:
                msg = (
                    f"tau={tau:g} is beyond the last follow-up time of group {g!r} "
                    f"({last_t:g}); its curve is carried forward flat at S={last_s:.4g} from "
                    "there (as R's survmean does). For comparable restricted means choose tau "
                    "no larger than the shortest group's last follow-up time."
                )
                warnings.warn(msg, DataWarning, stacklevel=2)
            mean, se = _rmst(curve, tau)
            rows.append((g, mean, se, mean - z * se, mean + z * se))
        out = pd.DataFrame(rows, columns=["group", "rmst", "std_error", "ci_lower", "ci_upper"])
        out["group"] = out["group"].astype(object)
        return out

    def plot(
        self,
        ax: Axes | None = None,
        *,
        risk_table: bool = True,
        ci: bool = True,
        censor_ticks: bool = True,
        times: ArrayLike | None = None,
    ) -> Axes:
        """Step curves with CI bands, censoring ticks and a number-at-risk table.

        Delegates to :func:`ctcstats.plotting.survival.plot_kaplan_meier`; returns the Axes.
        """
        from ..plotting.survival import plot_kaplan_meier

        return plot_kaplan_meier(
            self, ax=ax, risk_table=risk_table, ci=ci, censor_ticks=censor_ticks, times=times
        )


# --------------------------------------------------------------------------- public
def kaplan_meier(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    group_col: str | None = None,
    start_col: str | None = None,
    conf_level: float = 0.95,
    conf_type: Literal["log-log", "log", "plain"] = "log-log",
    missing: Literal["raise", "drop"] = "raise",
) -> KaplanMeierResult:
    """Kaplan–Meier estimate of survival, by group.

    Matches R ``survival::survfit(Surv(time, event) ~ group, conf.type=conf_type,
    conf.int=conf_level)`` and its ``summary``/``quantile`` methods (survival 3.5); with
    ``start_col``, ``survfit(Surv(start, time, event) ~ group)``.

    Parameters
    ----------
    data : DataFrame
        One row per patient; never modified.
    time_col : str
        Follow-up time (finite, ≥ 0).
    event_col : str
        1/True = event, 0/False = censored.
    group_col : str, optional
        Grouping column; its labels are kept (ordered as a Categorical's categories, else
        sorted). Without it every row belongs to group ``"all"``.
    start_col : str, optional
        Entry time (delayed entry, left truncation): a row is at risk on ``(start, time]``
        only, as ``survfit(Surv(start, time, event) ~ 1)``; the table has one row per
        distinct ``time`` and ``n_at_risk`` counts those who have entered. The reverse
        Kaplan–Meier follow-up uses the same entry times.
    conf_level : float, default 0.95
        Confidence level of every interval.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        Interval for S(t), as R's ``conf.type``: log-log is
        exp(-exp(log(-log S) ± z·se_H / log S)), log is S·exp(± z·se_H) (upper clipped at 1),
        plain is S ± z·SE(S) clipped to [0, 1]; se_H is the Greenwood SE of -log S. Note
        R's own default is ``"log"``.
    missing : {"raise", "drop"}, default "raise"
        What to do with missing values in the used columns; dropped rows are counted in
        ``n_dropped``.

    Returns
    -------
    KaplanMeierResult
        ``table`` — one row per distinct event or censoring time per group, as
        ``summary(fit, censored=TRUE)``, columns ``group, time, n_at_risk, n_events,
        n_censored, survival, std_error, ci_lower, ci_upper``; ``std_error`` is the
        Greenwood standard error of S(t) (R ``summary(fit)$std.err``).
        ``median`` — ``group, median, ci_lower, ci_upper`` as ``quantile(fit, 0.5)``
        (a flat segment at exactly 0.5 gives its midpoint; NaN if 0.5 is never reached).
        ``median_followup`` — ``group, median_followup, ci_lower, ci_upper`` by reverse
        Kaplan–Meier. Methods ``survival_at(times)``, ``rmst(tau)`` and ``plot(ax=None)``.

    Notes
    -----
    Where S(t) = 0 the standard error and the limits are NaN (R: NaN / NA). Where S(t) = 1
    the limits are 1 (R leaves log-log limits NA there; see ``_table_ci``). The median
    follows ``quantile.survfit``; ``print.survfit`` uses a slightly different rule only when
    a curve stays at exactly 0.5 until its last time (it then reports the start of that
    flat segment, ``quantile`` the midpoint to the last time).

    A group without events gets a :class:`~ctcstats.errors.DataWarning` (its survival stays
    1 and its median is not reached); the message is also in ``warnings``.

    References
    ----------
    Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat
    Assoc 1958;53:457–481. Greenwood M. The natural duration of cancer. Reports on Public
    Health and Medical Subjects 1926;33:1–26. Therneau T. A Package for Survival Analysis in
    R, version 3.5 (``survfit``, ``quantile.survfit``, ``survmean``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.survival.km import kaplan_meier
    >>> df = pd.DataFrame({
    ...     "os_months": [3, 5, 5, 8, 12, 14, 20, 21, 30, 33],
    ...     "os_event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    ...     "ctc_positive": [1, 1, 1, 1, 0, 1, 0, 0, 0, 0],
    ... })
    >>> res = kaplan_meier(df, time_col="os_months", event_col="os_event",
    ...                    group_col="ctc_positive")
    >>> res.median
      group  median  ci_lower  ci_upper
    0     0    30.0      12.0       NaN
    1     1     8.0       3.0       NaN
    >>> res.rmst(14)["rmst"].round(3).tolist()
    [13.6, 8.2]
    """
    conf_level = check_conf_level(conf_level, func=_FUNC)
    conf_type = check_choice(conf_type, name="conf_type", choices=_CONF_TYPES, func=_FUNC)
    prepared = prepare_frame(
        data,
        func=_FUNC,
        roles={"start_col": start_col, "time_col": time_col, "event_col": event_col,
               "group_col": group_col},
        missing=missing,
    )
    frame = prepared.frame
    stop = check_time_column(frame, time_col)
    entry = None
    if start_col is not None:
        entry = check_intervals(frame, start_col=start_col, time_col=time_col, stop=stop)
    merged = merge_times(stop, entry)
    time, entry = merged.time, merged.start
    if entry is not None and np.any(entry >= time):
        raise DataValidationError(
            f"after merging times that differ only by rounding error (R's timefix), "
            f"start_col {start_col!r} equals time_col {time_col!r} in "
            f"{int(np.sum(entry >= time))} row(s); round the times to their real precision."
        )
    event = check_event_column(frame, event_col)
    if group_col is None:
        labels = np.full(time.size, _OVERALL, dtype=object)
        levels: list = [_OVERALL]
    else:
        labels, levels = check_group_column(frame, group_col, func=_FUNC, min_levels=1)
        # numpy scalars -> Python scalars, so that labels print as the user wrote them
        levels = [v.item() if isinstance(v, np.generic) else v for v in levels]

    z = _z(conf_level)
    curves: dict = {}
    tables, medians, followups = [], [], []
    messages: list[str] = []
    merge_note = merge_message(merged.n_merged, time_col)
    if merge_note is not None:
        messages.append(merge_note)
    for g in levels:
        mask = labels == g
        gstart = None if entry is None else entry[mask]
        curve = _readonly(_curve(time[mask], event[mask], gstart))
        curves[g] = curve
        lower, upper = _table_ci(curve, z, conf_type)
        tables.append(_frame(g, {**curve, "ci_lower": lower, "ci_upper": upper}))
        medians.append((g, *_median_with_ci(curve, z, conf_type)))
        followups.append((g, *_median_with_ci(_curve(time[mask], 1 - event[mask], gstart),
                                               z, conf_type)))
        if curve["n_events"].sum() == 0:
            who = "All patients" if group_col is None else f"Group {g!r} of {group_col!r}"
            messages.append(
                f"{who} ({int(mask.sum())}) have no events, every one is censored; survival "
                "stays at 1 and the median is not reached."
            )
    if group_col is not None:
        followups.append((_OVERALL, *_median_with_ci(_curve(time, 1 - event, entry), z,
                                                     conf_type)))
    for msg in messages:
        warnings.warn(msg, DataWarning, stacklevel=2)

    median = pd.DataFrame(medians, columns=["group", "median", "ci_lower", "ci_upper"])
    median_followup = pd.DataFrame(
        followups, columns=["group", "median_followup", "ci_lower", "ci_upper"]
    )
    for f in (median, median_followup):
        f["group"] = f["group"].astype(object)
    return KaplanMeierResult(
        table=pd.concat(tables, ignore_index=True),
        median=median,
        median_followup=median_followup,
        conf_level=conf_level,
        conf_type=conf_type,
        time_col=time_col,
        event_col=event_col,
        group_col=group_col,
        start_col=start_col,
        groups=tuple(levels),
        n_obs=prepared.n_obs,
        n_dropped=prepared.n_dropped,
        warnings=tuple(messages),
        _curves=curves,
    )
