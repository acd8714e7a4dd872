"""State occupation and transition probabilities (Aalen–Johansen): :func:`state_probabilities`.

Matches R ``survival::survfit(Surv(start, stop, event) ~ group, id = id, istate = from)`` for
multi-state data (estimates, infinitesimal-jackknife standard errors, log confidence limits,
restricted mean time in state with the standard error of
``residuals(fit, times = tau, type = "sojourn")``), and ``mstate::probtrans`` on the
nonparametric ``msfit`` of ``coxph(Surv(Tstart, Tstop, status) ~ strata(trans),
method = "breslow")`` for transition probabilities P(s, t) from every state, with mstate's
Aalen or Greenwood variance, and ``mstate::ELOS`` for the expected length of stay.

Own code: lifelines' ``AalenJohansenFitter`` handles one competing-risks layer only (no
general transition matrix, no left truncation) and jitters tied times; no Python package
computes multi-state Aalen–Johansen estimates with standard errors.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import check_choice, check_conf_level, check_real, group_levels
from ..errors import DataValidationError, DataWarning, ParameterError
from ._aalen_johansen import AJCurve, aalen_johansen
from ._long import id_codes, prepare_long, stays
from ._probtrans import expected_length_of_stay, product_integral
from .transitions import TransitionMatrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["StateProbabilityResult", "TransitionProbabilityResult", "state_probabilities",
           "probability_ci", "transition_table"]

_FUNC = "state_probabilities"


# --------------------------------------------------------------------------- helpers
def probability_ci(p, se, z: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits for probabilities, as ``survival:::survfit_confint(logse = FALSE)``.

    ``"log"``: ``p·exp(±z·se/p)`` (upper limit capped at 1; survfit's default for
    multi-state curves); ``"log-log"``: symmetric on ``log(-log p)``; ``"plain"``:
    ``p ± z·se`` clipped to [0, 1]. Where ``se`` is 0 or ``p`` is 0 (or 1 for log-log) the
    interval collapses onto the estimate (R leaves NA there).
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            lo, hi = np.maximum(p - z * se, 0.0), np.minimum(p + z * se, 1.0)
            ok = se > 0
        elif conf_type == "log":
            w = z * se / p
            lo, hi = p * np.exp(-w), np.minimum(p * np.exp(w), 1.0)
            ok = (p > 0) & (se > 0)
        else:  # log-log
            w = z * se / (p * np.log(p))
            lo, hi = p ** np.exp(-w), p ** np.exp(w)
            ok = (p > 0) & (p < 1) & (se > 0)
    lo = np.where(ok, lo, p)
    hi = np.where(ok, hi, p)
    return np.where(np.isnan(p), np.nan, lo), np.where(np.isnan(p), np.nan, hi)


def _check_horizon(horizon, func: str) -> np.ndarray:
    try:
        t = np.atleast_1d(np.asarray(horizon, dtype=float))
    except (TypeError, ValueError):
        t = np.array([np.nan])
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ParameterError(
            f"The 'horizon' parameter of {func} must be one or more finite times ≥ 0; got "
            f"{horizon!r}."
        )
    return np.unique(t)


def _step_lookup(times: np.ndarray, values: np.ndarray, first: np.ndarray, t: np.ndarray):
    """Right-continuous step function: ``first`` before ``times[0]``, else the last value."""
    idx = np.searchsorted(times, t, side="right")
    full = np.concatenate([first[None], values], axis=0)
    return full[idx]


# --------------------------------------------------------------------------- results
@result
class TransitionProbabilityResult(Result):
    """Transition probabilities ``P_hj(s, t)`` from every non-absorbing state ``h``.

    Attributes
    ----------
    table : DataFrame
        Columns ``<by>, from, time, state, probability, std_error, ci_lower, ci_upper``
        where ``<by>`` is ``group`` (nonparametric, :func:`state_probabilities`) or
        ``profile`` (Cox-model predictions, :func:`transition_probabilities`). The first time
        of each ``from`` is ``start_time`` (probability 1 of being in ``from``); then one row
        per time at which a cumulative hazard jumps and per state, as
        ``mstate::probtrans(..., predt = start_time)[[from]]`` (``pstate<j>``, ``se<j>``).
    start_time : float
        ``s`` (mstate's ``predt``).
    method : str
        ``"aalen"`` or ``"greenwood"``: mstate's variance of the product integral.
    by : str
    states : tuple of str
    conf_level : float
    conf_type : str
    n_obs, n_dropped : int
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Transition probabilities P(s, t)"

    table: pd.DataFrame
    start_time: float
    method: str
    by: str = "group"
    states: tuple = ()
    conf_level: float = 0.95
    conf_type: str = "log"
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def at(self, horizon: float | Sequence[float]) -> pd.DataFrame:
        """``P(s, t)`` at chosen times (right-continuous; NaN before ``start_time``).

        Returns
        -------
        DataFrame
            ``<by>, from, time, state, probability, std_error, ci_lower, ci_upper``.
        """
        t = _check_horizon(horizon, "TransitionProbabilityResult.at")
        out = []
        for (lab, frm), sub in self.table.groupby([self.by, "from"], sort=False, observed=True):
            wide_p = sub.pivot(index="time", columns="state", values="probability")
            wide_s = sub.pivot(index="time", columns="state", values="std_error")
            cols = [s for s in self.states if s in wide_p.columns]
            times = wide_p.index.to_numpy(dtype=float)
            idx = np.searchsorted(times, t, side="right") - 1
            for ti, i in zip(t, idx, strict=True):
                for s in cols:
                    ok = i >= 0
                    out.append({self.by: lab, "from": frm, "time": ti, "state": s,
                                "probability": wide_p[s].iloc[i] if ok else np.nan,
                                "std_error": wide_s[s].iloc[i] if ok else np.nan})
        frame = pd.DataFrame(out)
        z = stats.norm.ppf(0.5 + self.conf_level / 2)
        lo, hi = probability_ci(frame["probability"], frame["std_error"], z, self.conf_type)
        frame["ci_lower"], frame["ci_upper"] = lo, hi
        return frame

    def expected_length_of_stay(self, tau: float) -> pd.DataFrame:
        """Expected time spent in each state between ``start_time`` and ``tau`` (``mstate::ELOS``).

        Returns
        -------
        DataFrame
            ``<by>, from, state, tau, expected_time``: ``∫_s^tau P_hj(s, u) du`` from each
            starting state ``h`` (row ``from``) in each state ``j``. mstate gives no standard
            error for it.
        """
        tau = check_real(tau, name="tau", func="expected_length_of_stay",
                         low=self.start_time)
        rows = []
        for (lab, frm), sub in self.table.groupby([self.by, "from"], sort=False, observed=True):
            wide = sub.pivot(index="time", columns="state", values="probability")
            cols = [s for s in self.states if s in wide.columns]
            elos = expected_length_of_stay(wide.index.to_numpy(dtype=float),
                                           wide[cols].to_numpy(dtype=float), tau)
            for s, v in zip(cols, elos, strict=True):
                rows.append({self.by: lab, "from": frm, "state": s, "tau": tau,
                             "expected_time": float(v)})
        return pd.DataFrame(rows)

    def plot(self, ax: Axes | Sequence[Axes] | None = None, *, from_state: str | None = None,
             group: Any = None, stacked: bool = True) -> Axes | np.ndarray:
        """Stacked transition probabilities from one state for one group/profile.

        Delegates to :func:`ctcstats.plotting.multistate.plot_state_probabilities`.
        """
        from ..plotting.multistate import plot_transition_probabilities

        return plot_transition_probabilities(self, ax, from_state=from_state, group=group,
                                             stacked=stacked)


@result
class StateProbabilityResult(Result):
    """Aalen–Johansen state occupation probabilities by group (see :func:`state_probabilities`).

    Attributes
    ----------
    table : DataFrame
        One row per group, distinct time and state: ``group, time, state, n_at_risk,
        n_events, probability, std_error, ci_lower, ci_upper``. ``n_at_risk`` is the number
        in ``state`` just before ``time``, ``n_events`` the moves into ``state`` at ``time``,
        ``probability`` the Aalen–Johansen estimate of being in ``state`` at ``time``
        (survfit's ``pstate``) and ``std_error`` its infinitesimal-jackknife standard error
        (survfit's ``std.err``); limits as ``conf_type``.
    time_in_state : DataFrame or None
        With ``tau``: ``group, state, tau, expected_time, std_error, ci_lower, ci_upper`` —
        the restricted mean time in each state up to ``tau`` (``summary(fit, rmean = tau)``)
        with its infinitesimal-jackknife standard error and a plain (Wald) interval.
    states, groups : tuple
    group_col : str or None
    tau : float or None
    conf_level : float
    conf_type : str
    n_obs : int
        Patients analysed.
    n_dropped : int
        Patients removed for missing values.
    warnings : tuple of str
    """

    _title: ClassVar[str] = "State occupation probabilities (Aalen–Johansen)"

    table: pd.DataFrame
    time_in_state: pd.DataFrame | None = None
    states: tuple = ()
    groups: tuple = ()
    group_col: str | None = None
    tau: float | None = None
    conf_level: float = 0.95
    conf_type: str = "log"
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _curves: dict = dataclasses.field(default_factory=dict, repr=False)
    _transitions: Any = dataclasses.field(default=None, repr=False)

    def at(self, horizon: float | Sequence[float]) -> pd.DataFrame:
        """State occupation probabilities at chosen times, as ``summary(fit, times=)``.

        Returns
        -------
        DataFrame
            ``group, time, state, probability, std_error, ci_lower, ci_upper``; the value at
            ``t`` is the estimate just after any move at ``t``; before the first time the
            starting distribution; beyond a group's last follow-up time NaN.
        """
        t = _check_horizon(horizon, "StateProbabilityResult.at")
        z = stats.norm.ppf(0.5 + self.conf_level / 2)
        frames = []
        for g in self.groups:
            c: AJCurve = self._curves[g]
            p = _step_lookup(c.time, c.prob, c.p0, t)
            se = _step_lookup(c.time, c.std_error, np.zeros_like(c.p0), t)
            beyond = t > c.max_time
            p[beyond] = np.nan
            se[beyond] = np.nan
            S = len(self.states)
            frames.append(pd.DataFrame({
                "group": pd.Series([g] * (t.size * S), dtype=object),
                "time": np.repeat(t, S),
                "state": pd.Series(list(self.states) * t.size, dtype=object),
                "probability": p.ravel(),
                "std_error": se.ravel(),
            }))
        out = pd.concat(frames, ignore_index=True)
        lo, hi = probability_ci(out["probability"], out["std_error"], z, self.conf_type)
        out["ci_lower"], out["ci_upper"] = lo, hi
        return out

    def transition_probabilities(
        self, start_time: float = 0.0, *, method: Literal["aalen", "greenwood"] = "greenwood"
    ) -> TransitionProbabilityResult:
        """Nonparametric ``P(s, t)`` from every state, as ``mstate::probtrans``.

        The Aalen–Johansen product integral of the Nelson–Aalen hazards of each transition,
        from ``start_time`` on, with mstate's variance: ``method="greenwood"`` matches
        ``probtrans(msfit(c0, vartype = "greenwood", trans = tmat), predt = start_time,
        method = "greenwood")`` and ``"aalen"`` the same with ``vartype = "aalen"`` and
        ``method = "aalen"`` (``c0 = coxph(Surv(Tstart, Tstop, status) ~ strata(trans),
        method = "breslow")``). From the starting state at ``start_time = 0`` the estimate
        equals ``table`` (the state occupation probabilities).

        Returns
        -------
        TransitionProbabilityResult
            ``table`` with ``group, from, time, state, probability, std_error, ci_lower,
            ci_upper``; ``.at(horizon)``, ``.expected_length_of_stay(tau)``, ``.plot()``.
        """
        func = "StateProbabilityResult.transition_probabilities"
        s = check_real(start_time, name="start_time", func=func)
        check_choice(method, name="method", choices=("aalen", "greenwood"), func=func)
        tm: TransitionMatrix = self._transitions
        frames = []
        for g in self.groups:
            c: AJCurve = self._curves[g]
            times, dA, vdA = nonparametric_hazards(c, tm, method=method, start_time=s)
            pi = product_integral(s, times, dA, vdA, tm.pairs, tm.n_states, method=method)
            frames.append(transition_table(pi, tm, g, "group"))
        table = pd.concat(frames, ignore_index=True)
        z = stats.norm.ppf(0.5 + self.conf_level / 2)
        lo, hi = probability_ci(table["probability"], table["std_error"], z, self.conf_type)
        table["ci_lower"], table["ci_upper"] = lo, hi
        return TransitionProbabilityResult(
            table=table, start_time=s, method=method, by="group", states=self.states,
            conf_level=self.conf_level, conf_type=self.conf_type, n_obs=self.n_obs,
            n_dropped=self.n_dropped,
        )

    def plot(self, ax: Axes | Sequence[Axes] | None = None, *, group: Any = None,
             stacked: bool = True) -> Axes | np.ndarray:
        """Stacked state occupation probabilities over time for one group (or each group).

        Delegates to :func:`ctcstats.plotting.multistate.plot_state_probabilities`; returns
        the Axes (an array of Axes, one per group, when ``group`` is None and there are
        several groups and no ``ax``).
        """
        from ..plotting.multistate import plot_state_probabilities

        return plot_state_probabilities(self, ax, group=group, stacked=stacked)


def nonparametric_hazards(c: AJCurve, tm: TransitionMatrix, *, method: str, start_time: float):
    """Nelson–Aalen increments per transition and their covariance (mstate ``msfit``).

    ``"aalen"``: Var(dA_k) = d_k / Y^2, no covariance between transitions;
    ``"greenwood"``: Var(dA_k) = d_k (Y - d_k) / Y^3 and Cov(dA_k, dA_l) = -d_k d_l / Y^3 for
    transitions out of the same state.
    """
    keep = c.event_time > start_time
    times = c.event_time[keep]
    counts = c.event_counts[keep]
    Y = c.event_at_risk[keep]
    frm = np.array([a for a, _ in tm.pairs], dtype=np.int64)
    to = np.array([b for _, b in tm.pairs], dtype=np.int64)
    d = counts[:, frm, to]  # (T, K)
    y = Y[:, frm]
    with np.errstate(divide="ignore", invalid="ignore"):
        dA = np.where(y > 0, d / y, 0.0)
        K = len(tm.pairs)
        V = np.zeros((times.size, K, K))
        if method == "aalen":
            V[:, np.arange(K), np.arange(K)] = np.where(y > 0, d / y**2, 0.0)
        else:
            same = frm[:, None] == frm[None, :]
            y3 = np.where(y > 0, y**3, np.inf)
            V = np.where(same[None], -(d[:, :, None] * d[:, None, :]) / y3[:, :, None], 0.0)
            V[:, np.arange(K), np.arange(K)] = np.where(y > 0, d * (y - d) / y3, 0.0)
    return times, dA, V


def transition_table(pi, tm: TransitionMatrix, label, by: str) -> pd.DataFrame:
    """Long table of a product integral: one block per non-absorbing starting state."""
    S = tm.n_states
    absorbing = set(tm.absorbing_states)
    blocks = []
    T1 = pi.time.size
    for h, frm in enumerate(tm.states):
        if frm in absorbing:
            continue
        blocks.append(pd.DataFrame({
            by: pd.Series([label] * (T1 * S), dtype=object),
            "from": pd.Series([frm] * (T1 * S), dtype=object),
            "time": np.repeat(pi.time, S),
            "state": pd.Series(list(tm.states) * T1, dtype=object),
            "probability": pi.prob[:, h, :].ravel(),
            "std_error": (pi.std_error[:, h, :].ravel() if pi.std_error is not None
                          else np.full(T1 * S, np.nan)),
        }))
    return pd.concat(blocks, ignore_index=True)


# --------------------------------------------------------------------------- public API
def state_probabilities(
    data: Any,
    *,
    transitions: TransitionMatrix | None = None,
    id_col: str | None = None,
    group_col: str | None = None,
    tau: float | None = None,
    conf_level: float = 0.95,
    conf_type: Literal["log", "log-log", "plain"] = "log",
    missing: Literal["raise", "drop"] = "raise",
) -> StateProbabilityResult:
    """Aalen–Johansen probabilities of being in each state over time, by group.

    Matches R ``survival::survfit(Surv(start, stop, event) ~ group, data, id = id,
    istate = from)`` for multi-state data: the estimate ``p(t) = p(t-) (I + dA(t))``, its
    infinitesimal-jackknife standard error (clustered on patient) and survfit's default log
    confidence limits; with ``tau``, the restricted mean time in each state (``summary(fit,
    rmean = tau)``) and its standard error (the root sum of squares of ``residuals(fit,
    times = tau, type = "sojourn")``). Transition probabilities ``P(s, t)`` from every state
    with mstate's variance: ``.transition_probabilities(start_time)``.

    Parameters
    ----------
    data : MultistateData or DataFrame
        From :func:`multistate_data` with ``clock="forward"``, or a DataFrame in the same
        long format (``<id_col>, from, to, trans, start, stop, status``) with
        ``transitions`` and ``id_col``.
    transitions : TransitionMatrix, optional
        Only for a DataFrame.
    id_col : str, optional
        Only for a DataFrame: the patient identifier.
    group_col : str, optional
        A patient-level column of the long table (for :func:`multistate_data` output, one of
        its ``covariates``): separate curves per level (the user's labels kept).
    tau : float, optional
        Horizon of the restricted mean time in state (``time_in_state``).
    conf_level : float, default 0.95
    conf_type : {"log", "log-log", "plain"}, default "log"
        Transform of the pointwise limits (survfit's default is ``"log"``).
    missing : {"raise", "drop"}
        With ``"drop"`` a patient with a missing value on any row is removed entirely.

    Returns
    -------
    StateProbabilityResult
        ``table`` (``group, time, state, n_at_risk, n_events, probability, std_error,
        ci_lower, ci_upper``), ``time_in_state`` (with ``tau``), ``.at(horizon)``,
        ``.transition_probabilities(start_time, method=)``, ``.plot()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.multistate import (illness_death_transitions, multistate_data,
    ...                                   state_probabilities)
    >>> df = pd.DataFrame({"pid": range(1, 7), "rel_m": [5., 8., 20., 4., 30., 12.],
    ...                    "rel": [1, 1, 0, 1, 0, 1], "os_m": [9., 25., 20., 6., 30., 40.],
    ...                    "dead": [1, 0, 1, 1, 0, 1]})
    >>> ms = multistate_data(df, transitions=illness_death_transitions(
    ...         ("disease_free", "relapse", "death")),
    ...     state_time_cols={"relapse": "rel_m", "death": "os_m"},
    ...     state_event_cols={"relapse": "rel", "death": "dead"}, id_col="pid")
    >>> res = state_probabilities(ms, tau=24)
    >>> res.at(10)["probability"].round(3).tolist()  # disease-free, relapse, death
    [0.5, 0.167, 0.333]
    """
    conf_level = check_conf_level(conf_level, func=_FUNC)
    check_choice(conf_type, name="conf_type", choices=("log", "log-log", "plain"), func=_FUNC)
    if tau is not None:
        tau = check_real(tau, name="tau", func=_FUNC, low=0.0, low_inclusive=False)
    ld = prepare_long(data, func=_FUNC, transitions=transitions, id_col=id_col,
                      extra=[group_col], missing=missing)
    if ld.clock != "forward":
        raise ParameterError(
            f"{_FUNC} needs clock-forward data (time since the origin); the MultistateData "
            "was built with clock='reset' — rebuild it with clock='forward'."
        )
    st = stays(ld)
    tm = ld.transitions
    if group_col is not None:
        labels = _patient_groups(ld, group_col, st)
        levels = [v.item() if isinstance(v, np.generic) else v
                  for v in group_levels(ld.frame[group_col])]
    else:
        labels = np.array(["all"] * len(st), dtype=object)
        levels = ["all"]
    curves: dict = {}
    frames, tis = [], []
    caught: list[str] = []
    z = stats.norm.ppf(0.5 + conf_level / 2)
    for g in levels:
        sub = st[labels == g]
        c = aalen_johansen(
            sub["entry"].to_numpy(float), sub["exit"].to_numpy(float),
            sub["state"].to_numpy(np.int64), sub["next"].to_numpy(np.int64),
            id_codes(sub["id"].to_numpy(dtype=object)), tm.n_states, tau=tau,
        )
        curves[g] = c
        frames.append(_curve_table(c, tm, g, z, conf_type))
        if tau is not None:
            tis.append(_time_in_state(c, tm, g, tau, z))
            if tau > c.max_time:
                caught.append(
                    f"tau = {tau:g} is beyond the last follow-up time of group {g!r} "
                    f"({c.max_time:g}); the restricted mean carries the last estimate forward."
                )
        if c.event_time.size == 0:
            caught.append(f"no transition is observed in group {g!r}; its curve stays at the "
                          "starting distribution.")
    for msg in caught:
        warnings.warn(msg, DataWarning, stacklevel=2)
    return StateProbabilityResult(
        table=pd.concat(frames, ignore_index=True),
        time_in_state=pd.concat(tis, ignore_index=True) if tis else None,
        states=tm.states, groups=tuple(levels), group_col=group_col, tau=tau,
        conf_level=conf_level, conf_type=conf_type, n_obs=ld.n_patients,
        n_dropped=ld.n_dropped, warnings=tuple(caught), _curves=curves, _transitions=tm,
    )


def _patient_groups(ld, group_col: str, st: pd.DataFrame) -> np.ndarray:
    f = ld.frame
    per = f.groupby(ld.id_col, sort=False, observed=True)[group_col].nunique()
    bad = per > 1
    if bad.any():
        raise DataValidationError(
            f"group_col {group_col!r} changes within patients ({_fmt(per.index[bad])}); groups "
            "must be fixed at the time origin (e.g. the marker at baseline)."
        )
    first = f.groupby(ld.id_col, sort=False, observed=True)[group_col].first()
    return first.reindex(st["id"].to_numpy(dtype=object)).to_numpy(dtype=object)


def _fmt(ids) -> str:
    from .._validation import format_labels

    return format_labels(list(ids))


def _curve_table(c: AJCurve, tm: TransitionMatrix, g, z: float, conf_type: str):
    S, T = tm.n_states, c.time.size
    lo, hi = probability_ci(c.prob, c.std_error, z, conf_type)
    return pd.DataFrame({
        "group": pd.Series([g] * (T * S), dtype=object),
        "time": np.repeat(c.time, S),
        "state": pd.Series(list(tm.states) * T, dtype=object),
        "n_at_risk": c.n_at_risk.ravel().astype(np.int64),
        "n_events": c.n_events.ravel().astype(np.int64),
        "probability": c.prob.ravel(),
        "std_error": c.std_error.ravel(),
        "ci_lower": lo.ravel(),
        "ci_upper": hi.ravel(),
    })


def _time_in_state(c: AJCurve, tm: TransitionMatrix, g, tau: float, z: float):
    est, se = c.rmean, c.rmean_std_error
    assert est is not None and se is not None, "the curve was computed without tau"
    return pd.DataFrame({
        "group": pd.Series([g] * tm.n_states, dtype=object),
        "state": pd.Series(list(tm.states), dtype=object),
        "tau": np.full(tm.n_states, tau),
        "expected_time": est,
        "std_error": se,
        "ci_lower": np.maximum(est - z * se, 0.0),
        "ci_upper": np.minimum(est + z * se, tau),
    })
