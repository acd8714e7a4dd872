"""Calibration of predicted event probabilities at a horizon (Austin, Harrell & van Klaveren).

:func:`calibration` reports, for predicted probabilities p_i of an event by time t:

* a grouped table: patients split into ``n_groups`` quantile groups of p; in each, the mean
  prediction and the observed risk 1 - KM(t) with its log-log confidence interval (R
  ``survfit(conf.type = "log-log")``; R's default is ``"log"``);
* the smooth calibration curve of Austin et al. (2020): a Cox model of the outcome on a
  restricted cubic spline of cloglog(p) = log(-log(1 - p)) (``n_knots`` knots at Harrell's
  default quantiles, R ``Hmisc::rcspline.eval``), from which each patient's observed risk is
  1 - S(t | cloglog(p_i)) (R ``survfit.coxph``, Efron baseline); ICI = mean |observed -
  predicted|, E50 = median, E90 = 90th percentile, Emax = maximum;
* the calibration slope: the coefficient of cloglog(p) in a Cox model (ideal 1; < 1 means
  predictions too extreme);
* calibration-in-the-large: the O/E ratio (1 - KM(t)) / mean(p) with a log-scale Greenwood
  interval, and the intercept alpha solving mean(1 - exp(-exp(alpha + cloglog(p_i)))) =
  1 - KM(t) (the shift on the cloglog scale that makes the mean prediction match the
  Kaplan–Meier risk; ideal 0, > 0 means risks under-predicted).

The Cox fits use :mod:`ctcstats.survival._core.cox` (R ``coxph`` arithmetic, Efron ties).
The reference is R ``survival`` itself — ``coxph`` on the ``Hmisc::rcspline.eval`` basis of
cloglog(p) and ``survfit.coxph`` for the smoothed observed risks, Austin et al.'s published
recipe — not ``rms::cph``/``rms::calibrate``, whose calibration curve is smoothed differently
(hazard regression or its own bootstrap) and is not what is computed here.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from .._results import Result, result
from .._validation import check_conf_level, check_int
from ..errors import ConvergenceWarning, DataValidationError, DataWarning, ParameterError
from ..survival._core.cox import baseline_hazard, fit_cox_arrays, linear_predictor
from ..survival._core.curves import confint, step_at
from ._metrics_common import (
    check_horizon,
    check_probabilities,
    clip_risks,
    km_greenwood,
    prepare_survival_scores,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CalibrationResult", "calibration"]

_FUNC = "calibration"


@result
class CalibrationResult(Result):
    """Calibration of predicted risks at a horizon.

    ``table`` columns: ``group, n, n_events, mean_predicted, observed, ci_lower, ci_upper``
    (observed = 1 - KM(horizon) in the group, log-log interval). ``curve`` columns:
    ``predicted, observed`` (the smooth calibration curve on 100 points between the 1st and
    99th percentile of the predictions).
    """

    _title: ClassVar[str] = "Calibration at a horizon"

    horizon: float
    intercept: float
    slope: float
    slope_std_error: float
    slope_ci_lower: float
    slope_ci_upper: float
    oe_ratio: float
    oe_ci_lower: float
    oe_ci_upper: float
    ici: float
    e50: float
    e90: float
    emax: float
    observed_risk: float
    mean_predicted: float
    knots: tuple[float, ...]
    conf_level: float
    table: pd.DataFrame
    curve: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """Calibration plot; see :func:`ctcstats.plotting.prognostic.plot_calibration`."""
        from ..plotting.prognostic import plot_calibration

        return plot_calibration(self, ax=ax)


# --------------------------------------------------------------------------- splines
def _r_quantile(x: np.ndarray, p) -> np.ndarray:
    return np.quantile(x, p)  # numpy "linear" = R type 7


def rcs_knots(x: np.ndarray, nk: int) -> np.ndarray:
    """Knots of ``Hmisc::rcspline.eval(x, nk=nk, knots.only=TRUE)`` (fractied = 0.05)."""
    xx = np.sort(x)
    n = xx.size
    xu = np.unique(xx)
    if xu.size - 2 <= nk:
        knots = xu[1:-1]
    else:
        outer = 0.1 if nk == 3 else 0.05
        if nk > 6:
            outer = 0.025
        nke = nk
        first, last = [], []
        over_first = over_last = False
        vals, cnt = np.unique(xx, return_counts=True)
        f = cnt / n
        if f[1:-1].max() < 0.05:
            if f[0] >= 0.05:
                first = [xx[xx > xx.min()].min()]
                xx = xx[xx > first[0]]
                nke -= 1
                over_first = True
            if f[-1] >= 0.05:
                last = [xx[xx < xx.max()].max()]
                xx = xx[xx < last[0]]
                nke -= 1
                over_last = True
        if nke == 1:
            knots = np.array([np.median(xx)])
        else:
            xu2 = np.unique(xx)
            if xu2.size <= nke:
                knots = xu2
            else:
                pp = (np.linspace(0.5, 1 - outer, nke) if nke == 2
                      else np.linspace(outer, 1 - outer, nke))
                knots = _r_quantile(xx, pp)
                if np.unique(knots).size < min(nke, 3):
                    raise DataValidationError(
                        "the predicted risks take too few distinct values to place the "
                        f"{nk} spline knots of the smooth calibration curve; use fewer knots "
                        "(n_knots=3) or check the predictions.")
            if xx.size < 100:
                xs = np.sort(xx)
                knots = np.array(knots, dtype=float)
                if not over_first:
                    knots[0] = xs[4]
                if not over_last:
                    knots[nke - 1] = xs[-5]
        knots = np.concatenate([first, knots, last])
    knots = np.unique(knots)
    if knots.size < 3:
        raise DataValidationError(
            "fewer than 3 distinct spline knots can be placed on cloglog(predicted risk) — "
            "the predictions take too few distinct values for a smooth calibration curve.")
    return knots


def rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """``Hmisc::rcspline.eval(x, knots, inclx=TRUE)`` (norm = 2): columns x, x', ..."""
    k = knots
    nk = k.size
    kd = (k[-1] - k[0]) ** (2 / 3)
    cols = [x]
    for j in range(nk - 2):
        term = (
            np.maximum((x - k[j]) / kd, 0) ** 3
            + ((k[-2] - k[j]) * np.maximum((x - k[-1]) / kd, 0) ** 3
               - (k[-1] - k[j]) * np.maximum((x - k[-2]) / kd, 0) ** 3) / (k[-1] - k[-2])
        )
        cols.append(term)
    return np.column_stack(cols)


def _km_group(time, event, t, z):
    s, g = km_greenwood(time, event, t)
    se_h = np.sqrt(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = confint(np.array([s]), np.array([se_h]), z, "log-log")
        se = s * se_h if s > 0 else np.nan
    if s == 1.0:
        lo, hi = np.array([1.0]), np.array([1.0])
    return float(s), float(hi[0]), float(lo[0]), float(se)


def calibration(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    horizon: float,
    n_groups: int = 10,
    n_knots: int = 3,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CalibrationResult:
    """Calibration of predicted event probabilities at a horizon: table, curve, ICI, slope.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    risk_col : str
        Predicted probability of an event by ``horizon``, in [0, 1]. Risks of exactly 0 or
        1 are moved 1e-12 inside (0, 1) — the slope and the curve work on cloglog(p) — and a
        warning saying how many is recorded; :func:`external_validation` follows the same
        rule.
    horizon : float
        Prediction horizon before the last follow-up, with events before it.
    n_groups : int, default 10
        Number of quantile groups of the predicted risk in ``table`` (ties stay together).
    n_knots : int, default 3
        Knots of the restricted cubic spline of cloglog(p) (3 to 7, Harrell's quantiles).
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    CalibrationResult
        ``table`` (``group, n, n_events, mean_predicted, observed, ci_lower, ci_upper``),
        ``curve`` (``predicted, observed``), ``ici, e50, e90, emax`` (Austin et al. 2020),
        ``slope`` with ``slope_std_error, slope_ci_lower, slope_ci_upper`` (Cox model on
        cloglog(p)), ``intercept`` (calibration-in-the-large on the cloglog scale, see the
        module notes), ``oe_ratio`` with ``oe_ci_lower, oe_ci_upper``, ``observed_risk``
        (1 - KM(horizon)), ``mean_predicted``, ``knots``; ``plot(ax=)`` draws the calibration
        plot.

    Notes
    -----
    Matches the recipe done in R with ``Hmisc::rcspline.eval`` knots, ``coxph(Surv(time,
    status) ~ rcs terms)`` and ``1 - summary(survfit(fit, newdata), times = t)$surv``
    (tests/reference/prognostic_metrics/prognostic_metrics.R). Austin et al. also describe a
    hazard-regression (``polspline::hare``) smoother; it is not implemented.

    References
    ----------
    Austin PC, Harrell FE Jr, van Klaveren D (2020). Graphical calibration curves and the
    integrated calibration index (ICI) for survival models. Stat Med 39:2714–2742.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.calibration import calibration
    >>> rng = np.random.default_rng(1)
    >>> lp = rng.normal(size=400)
    >>> t_ev = rng.exponential(30 * np.exp(-lp)); t_c = rng.uniform(5, 60, 400)
    >>> df = pd.DataFrame({"t": np.minimum(t_ev, t_c), "e": (t_ev <= t_c).astype(int),
    ...                    "p": 1 - np.exp(-(12 / 30) * np.exp(lp))})
    >>> res = calibration(df, time_col="t", event_col="e", risk_col="p", horizon=12)
    >>> bool(res.ici < 0.05)
    True
    """
    conf_level = check_conf_level(conf_level, func=_FUNC)
    n_groups = check_int(n_groups, name="n_groups", func=_FUNC, minimum=1)
    n_knots = check_int(n_knots, name="n_knots", func=_FUNC, minimum=3)
    if n_knots > 7:
        raise ParameterError(
            f"The 'n_knots' parameter of {_FUNC} must be between 3 and 7; got {n_knots}.")
    pf, t_arr, event, sc = prepare_survival_scores(
        data, func=_FUNC, time_col=time_col, event_col=event_col,
        score_cols={"risk_col": risk_col}, missing=missing)
    p = sc[risk_col]
    idx = pf.frame.index
    check_probabilities(p, risk_col, role="risk_col", func=_FUNC, index=idx)
    p, edge_note = clip_risks(p, risk_col, role="risk_col", index=idx)
    t = check_horizon(horizon, t_arr, event, func=_FUNC)
    z = norm.ppf(0.5 + conf_level / 2)
    msgs: list[tuple[type, str]] = [(DataWarning, edge_note)] if edge_note else []

    # ---- grouped table
    edges = np.quantile(p, np.linspace(0, 1, n_groups + 1))
    g_raw = np.searchsorted(edges[1:-1], p, side="left")
    _, g = np.unique(g_raw, return_inverse=True)
    rows = []
    for j in range(int(g.max()) + 1):
        m = g == j
        s, lo, hi, _ = _km_group(t_arr[m], event[m], t, z)
        if t_arr[m].max() < t:
            msgs.append((DataWarning,
                         f"group {j + 1} of predicted risk has no follow-up reaching time "
                         f"{t:g}; its observed risk is the Kaplan–Meier estimate at its last "
                         "follow-up time (fewer groups may help)."))
        rows.append({"group": j + 1, "n": int(m.sum()),
                     "n_events": int(np.sum(event[m].astype(bool) & (t_arr[m] <= t))),
                     "mean_predicted": float(p[m].mean()), "observed": 1.0 - s,
                     "ci_lower": 1.0 - lo, "ci_upper": 1.0 - hi})
    table = pd.DataFrame(rows)

    # ---- calibration-in-the-large
    s_all, _, _, se_s = _km_group(t_arr, event, t, z)
    observed = 1.0 - s_all
    mean_p = float(p.mean())
    oe = observed / mean_p
    se_log_o = se_s / observed if observed > 0 else np.nan
    cll = np.log(-np.log1p(-p))
    if 0 < observed < 1:
        intercept = float(brentq(lambda a: np.mean(-np.expm1(-np.exp(a + cll))) - observed,
                                 -50.0, 50.0, xtol=1e-14, rtol=4 * np.finfo(float).eps))
    else:
        intercept = float("nan")

    # ---- slope: Cox model on cloglog(p)
    fit1 = fit_cox_arrays(cll[:, None], t_arr, event, ties="efron")
    slope = float(fit1.coef[0])
    slope_se = float(np.sqrt(fit1.var[0, 0]))
    if not fit1.converged:
        msgs.append((ConvergenceWarning, "the Cox model for the calibration slope did not "
                     "converge; the slope is unreliable."))

    # ---- smooth curve: Cox model on an rcs of cloglog(p)
    knots = rcs_knots(cll, n_knots)
    B = rcs_basis(cll, knots)
    fit = fit_cox_arrays(B, t_arr, event, ties="efron")
    if not fit.converged:
        msgs.append((ConvergenceWarning, "the spline Cox model of the calibration curve did "
                     "not converge; the curve and ICI are unreliable."))
    eta = linear_predictor(B, fit.coef)
    bt, bh = baseline_hazard(fit.data, fit.coef, "efron", reference="zero")
    H0 = float(step_at(bt, bh, t, before=0.0))
    obs_i = -np.expm1(-H0 * np.exp(eta))
    absd = np.abs(obs_i - p)
    grid = np.linspace(np.quantile(p, 0.01), np.quantile(p, 0.99), 100)
    eta_g = linear_predictor(rcs_basis(np.log(-np.log1p(-grid)), knots), fit.coef)
    curve = pd.DataFrame({"predicted": grid, "observed": -np.expm1(-H0 * np.exp(eta_g))})

    for cls, msg in msgs:
        warnings.warn(msg, cls, stacklevel=2)
    return CalibrationResult(
        horizon=t, intercept=intercept, slope=slope, slope_std_error=slope_se,
        slope_ci_lower=slope - z * slope_se, slope_ci_upper=slope + z * slope_se,
        oe_ratio=float(oe), oe_ci_lower=float(oe * np.exp(-z * se_log_o)),
        oe_ci_upper=float(oe * np.exp(z * se_log_o)), ici=float(absd.mean()),
        e50=float(np.median(absd)), e90=float(np.quantile(absd, 0.9)), emax=float(absd.max()),
        observed_risk=float(observed), mean_predicted=mean_p,
        knots=tuple(float(k) for k in knots), conf_level=conf_level, table=table, curve=curve,
        n_obs=pf.n_obs, n_events=int(event.sum()), n_dropped=pf.n_dropped,
        warnings=pf.notes + tuple(m for _, m in msgs))
