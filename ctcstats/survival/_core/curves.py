"""Product-limit curves: the one Kaplan–Meier and the one censoring curve of ctcstats.

Everything that estimates a survival or censoring distribution by the product-limit method
builds it here: :func:`ctcstats.kaplan_meier`, the calibration and replication of the
designs, the prognostic metrics (IPCW weights, Uno's C, the Kaplan–Meier null model),
Fine–Gray's censoring weights, the IPCW models, the Fleming–Harrington weights of the
log-rank test, cox.zph's time transform and the cumulative incidence's all-cause curve.

* :func:`event_table` — weighted numbers at risk, events and censorings at each distinct stop
  time, for right-censored or (start, stop] data (at risk at t: ``start < t <= stop``, as
  ``survfit(Surv(start, stop, event) ~ 1)``); weights may be one row ``(n,)`` or many
  ``(B, n)`` (bootstrap replicates share one sort).
* :func:`product_limit`, :func:`greenwood_terms` — ``prod (1 - d/n)`` and ``d / (n (n - d))``.
* :func:`kaplan_meier_curve` — R ``survfit`` (survfitKM): one row per distinct stop time,
  Greenwood variance of -log S.
* :func:`censoring_curve` — the Kaplan–Meier estimate of the censoring distribution in the
  two conventions R packages use at a time with both events and censorings:
  ``ties="together"`` (``survfit(Surv(time, 1 - event) ~ 1)``: everyone with time ≥ t is at
  risk of censoring; cmprsk::crr, the reverse-KM median follow-up) or
  ``ties="events_first"`` (``prodlim(reverse = TRUE)``, riskRegression's IPCW and survival's
  Uno weights: the events at t leave the risk set first).
* :meth:`Curve.at` — the step function at given times, right-continuous ``S(t)`` or its left
  limit ``S(t-)`` (crr evaluates its weights just before each time; IPCW uses ``G(T_i-)``).
* :func:`quantile` — R ``quantile.survfit`` (``findq``: a flat segment at exactly p gives its
  midpoint), and :func:`confint` — ``survfit_confint`` (log-log, log, plain).

The functions take validated arrays whose ties were already merged
(:func:`~ctcstats.survival._core.ties.merge_times`); they never validate or warn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "QUANTILE_TOL",
    "Curve",
    "EventTable",
    "censoring_curve",
    "confint",
    "event_table",
    "greenwood_terms",
    "kaplan_meier_curve",
    "product_limit",
    "quantile",
    "step_at",
]

#: survival:::quantile.survfit's tolerance for "S(t) equals the probability".
QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))


# --------------------------------------------------------------------------- event table
@dataclass(frozen=True, eq=False)
class EventTable:
    """Weighted counts at the distinct stop times ``time`` (ascending).

    ``n_risk`` is the number at risk just before ``time`` (``start < t <= stop``),
    ``n_event`` / ``n_censor`` the events and censorings at ``time``; with weights of shape
    ``(B, n)`` the counts are ``(B, m)``. ``index`` maps each input row to its stop time.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    index: np.ndarray


def event_table(time: np.ndarray, event: np.ndarray, *, start: np.ndarray | None = None,
                weights: np.ndarray | None = None) -> EventTable:
    """Counts at risk, events and censorings at each distinct stop time (see module notes)."""
    time = np.asarray(time, dtype=float)
    ev = np.asarray(event).astype(float)
    ut, index = np.unique(time, return_inverse=True)
    index = index.ravel()
    m = ut.size
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is None or w.ndim == 1:
        tot = np.bincount(index, weights=w, minlength=m).astype(float)
        d = np.bincount(index, weights=ev if w is None else ev * w, minlength=m)
    else:  # one row of counts per row of weights, sorted once
        order = np.argsort(index, kind="stable")
        bounds = np.searchsorted(index[order], np.arange(m))
        ws = w[:, order]
        tot = np.add.reduceat(ws, bounds, axis=1)
        d = np.add.reduceat(ws * ev[order], bounds, axis=1)
    n_risk = np.flip(np.cumsum(np.flip(tot, -1), axis=-1), -1)
    if start is not None:
        # rows not yet at risk at t: start >= t
        st = np.asarray(start, dtype=float)
        so = np.argsort(st, kind="stable")
        pos = np.searchsorted(st[so], ut, side="left")
        if w is None or w.ndim == 1:
            ww = np.ones(st.size) if w is None else w[so]
            later = np.concatenate([np.flip(np.cumsum(np.flip(ww))), [0.0]])
            n_risk = n_risk - later[pos]
        else:
            later = np.flip(np.cumsum(np.flip(w[:, so], -1), axis=-1), -1)
            later = np.concatenate([later, np.zeros((w.shape[0], 1))], axis=1)
            n_risk = n_risk - later[:, pos]
    return EventTable(time=ut, n_risk=n_risk, n_event=d, n_censor=tot - d, index=index)


# --------------------------------------------------------------------------- product limit
def product_limit(n_jump: np.ndarray, n_risk: np.ndarray) -> np.ndarray:
    """``cumprod(1 - n_jump / n_risk)`` along the last axis (a factor 1 where n_risk = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_risk > 0, 1.0 - n_jump / np.where(n_risk > 0, n_risk, 1.0), 1.0)
    return np.cumprod(factor, axis=-1)


def greenwood_terms(n_event: np.ndarray, n_risk: np.ndarray) -> np.ndarray:
    """Greenwood's ``d / (n (n - d))`` (0 where d = 0; inf where everyone at risk dies)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)


def step_at(knots: np.ndarray, values: np.ndarray, t, *, left: bool = False,
            before: float = 1.0) -> np.ndarray:
    """A right-continuous step function (``values`` from each knot on) at times ``t``.

    ``left=True`` gives the left limit (the value just before t). ``before`` is the value
    before the first knot. ``values`` may have leading dimensions (…, m).
    """
    idx = np.searchsorted(knots, np.asarray(t, dtype=float), side="left" if left else "right")
    v = np.asarray(values, dtype=float)
    pad = np.full(v.shape[:-1] + (1,), before)
    return np.concatenate([pad, v], axis=-1)[..., idx]


# --------------------------------------------------------------------------- curves
@dataclass(frozen=True, eq=False)
class Curve:
    """A product-limit curve with one row per distinct stop time.

    ``surv`` is the estimate just after ``time`` and ``var_log`` the Greenwood variance of
    -log S there (R's ``std.err`` squared; inf once everyone at risk has had the event).
    For a censoring curve ``surv`` is G and the jumps are the censorings.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    var_log: np.ndarray
    index: np.ndarray

    def at(self, t, *, left: bool = False) -> np.ndarray:
        """S(t) (right-continuous) or, with ``left=True``, S(t-); 1 before the first time."""
        return step_at(self.time, self.surv, t, left=left)

    def var_log_at(self, t) -> np.ndarray:
        """Greenwood variance of -log S(t) (0 before the first time)."""
        return step_at(self.time, self.var_log, t, before=0.0)

    def subject_minus(self) -> np.ndarray:
        """S(T_i-) at every input row's own stop time."""
        return np.concatenate([np.ones(self.surv.shape[:-1] + (1,)), self.surv],
                              axis=-1)[..., self.index]


def kaplan_meier_curve(time: np.ndarray, event: np.ndarray, *,
                       start: np.ndarray | None = None,
                       weights: np.ndarray | None = None) -> Curve:
    """The Kaplan–Meier estimate and Greenwood variance, as R ``survfit`` (survfitKM)."""
    tab = event_table(time, event, start=start, weights=weights)
    surv = product_limit(tab.n_event, tab.n_risk)
    var_log = np.cumsum(greenwood_terms(tab.n_event, tab.n_risk), axis=-1)
    return Curve(tab.time, tab.n_risk, tab.n_event, tab.n_censor, surv, var_log, tab.index)


def censoring_curve(time: np.ndarray, event: np.ndarray, *, ties: str = "together",
                    start: np.ndarray | None = None,
                    weights: np.ndarray | None = None) -> Curve:
    """Kaplan–Meier estimate G of the censoring distribution (censorings are the jumps).

    ``ties="together"``: at a time with events and censorings everyone with time ≥ t is at
    risk of censoring (``survfit(Surv(time, 1 - event) ~ 1)``; cmprsk::crr; the reverse-KM
    follow-up). ``ties="events_first"``: the events leave first, the risk set is Y - d
    (``prodlim(reverse = TRUE)``; riskRegression, survival's Uno weights). In the returned
    curve ``n_event`` holds the censorings and ``n_censor`` the events.
    """
    if ties not in ("together", "events_first"):
        raise ValueError(f"unknown censoring-curve convention {ties!r}")
    tab = event_table(time, event, start=start, weights=weights)
    n = tab.n_risk if ties == "together" else tab.n_risk - tab.n_event
    surv = product_limit(tab.n_censor, n)
    var_log = np.cumsum(greenwood_terms(tab.n_censor, n), axis=-1)
    return Curve(tab.time, n, tab.n_censor, tab.n_event, surv, var_log, tab.index)


# --------------------------------------------------------------------------- quantiles, CIs
def _approx_index(knots: np.ndarray, p: float) -> float:
    """R ``approx(knots, seq_along(knots), p, method="constant", f=1)`` (rule 1, NA dropped):
    the 0-based position of the smallest knot ≥ p, NaN when p is outside the knots' range."""
    pos = np.flatnonzero(~np.isnan(knots))
    k = knots[pos]
    order = np.argsort(k, kind="stable")
    k, pos = k[order], pos[order]
    if k.size == 0 or p < k[0] or p > k[-1]:
        return np.nan
    return float(pos[np.searchsorted(k, p, side="left")])


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = QUANTILE_TOL) -> float:
    """``survival:::findq``: the time where the step curve 1 - S first reaches p.

    A flat segment at exactly p (within ``tol``) gives the midpoint of the segment; a curve
    that stays at exactly p to its end gives the midpoint of where it reached p and the last
    time; a curve that never reaches p gives NaN.
    """
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    keep = np.sort(np.unique(y, return_index=True, equal_nan=True)[1])  # R duplicated()
    x, y = x[keep], y[keep]
    i1 = _approx_index(y + tol, p)
    i2 = _approx_index(y - tol, p)
    xi1 = np.nan if np.isnan(i1) else x[int(i1)]
    xi2 = np.nan if np.isnan(i2) else x[int(i2)]
    quant = (xi1 + xi2) / 2.0
    if p == 0:
        quant = x[0]
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        quant = (xi1 + xmax) / 2.0
    return float(quant)


def quantile(time: np.ndarray, surv: np.ndarray, p: float = 0.5) -> float:
    """R ``quantile.survfit``: the time at which the curve ``surv`` (at ``time``) first falls
    to 1 - p (NaN if never); a flat segment at exactly 1 - p gives its midpoint."""
    x = np.concatenate(([0.0], np.asarray(time, dtype=float)))
    y = np.concatenate(([0.0], 1.0 - np.asarray(surv, dtype=float)))
    return _findq(x, y, p)


def confint(surv: np.ndarray, se_log: np.ndarray, z: float,
            conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """``survival:::survfit_confint(p, se, logse=TRUE, conf.type, conf.int)``, NA as NaN.

    ``se_log`` is the standard error of -log S. R leaves log-log limits NA where S = 0 or
    S = 1, log limits NA where S = 0, and plain limits NaN where S = 0 (se = inf); plain
    limits are clipped to [0, 1] as R does.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se_log * surv * z
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * se_log
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
        se2 = z * se_log / np.log(xx)
        lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
        upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        return lower, upper
