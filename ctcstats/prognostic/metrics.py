"""Discrimination and overall accuracy of a prognostic score: C-index, td-AUC, Brier, IBS.

Every estimate matches R (``tests/reference/prognostic_metrics/``):

* :func:`concordance_index` — ``survival::concordance(Surv(t, e) ~ risk, reverse = TRUE)``
  (Harrell) or with ``timewt = "n/G2", ymax = tau`` (Uno), estimate and ``sqrt(var)``;
* :func:`time_dependent_auc` — cumulative/dynamic AUC of ``riskRegression::Score(...,
  metrics = "auc", cens.model = "km")`` and its influence-function standard error;
* :func:`brier_score` — ``Score(..., metrics = "brier", summary = "ipa")``: Brier score, its
  standard error, the Kaplan–Meier null model's Brier score and the IPA;
* :func:`integrated_brier_score` — the Brier score integrated over a grid of horizons
  (Score's ``summary = "ibs"`` step rule, or the trapezoid rule).

Why own numpy: lifelines has Harrell's C without a standard error and none of the others;
scikit-survival is not a dependency and has no standard errors. The concordance is the survival
core's (:mod:`ctcstats.survival._core.concordance`, R's ``concordancefit``) with time weights;
the IPCW influence functions are in :mod:`._metrics_common`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._results import Result, result
from .._validation import check_choice, check_conf_level
from ..errors import DataValidationError, DataWarning, ParameterError
from ..survival._core.concordance import concordance
from ._metrics_common import (
    Censoring,
    check_horizon,
    check_probabilities,
    km_at,
    prepare_survival_scores,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "BrierResult",
    "ConcordanceResult",
    "IntegratedBrierResult",
    "TimeDependentAUCResult",
    "brier_score",
    "concordance_index",
    "integrated_brier_score",
    "time_dependent_auc",
]


# =========================================================================== concordance
@result
class ConcordanceResult(Result):
    """Concordance index of a risk score (higher risk = earlier event).

    ``table`` has columns ``pair_type, count``: the (time-weighted, for Uno) number of
    ``concordant``, ``discordant``, ``tied_risk`` (comparable pairs tied on the score, counted
    one half), ``tied_time`` (events at the same time, not comparable) and ``tied_both`` pairs,
    as R's ``concordance()$count``.
    """

    _title: ClassVar[str] = "Concordance index"

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    method: str
    tau: float
    conf_level: float
    table: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def concordance_index(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    method: Literal["harrell", "uno"] = "harrell",
    tau: float | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> ConcordanceResult:
    """Harrell's or Uno's concordance index of a risk score, with its standard error.

    A pair of patients is comparable when the one with the shorter time had an event (and,
    with ``tau``, that event is at or before ``tau``); it is concordant when that patient has
    the higher risk score. Pairs tied on the score count one half; patients with events at the
    same time are not compared; a censoring tied with an event counts as later.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
        Follow-up time and event indicator (1 = event, 0 = censored).
    risk_col : str
        The risk score: higher = worse prognosis (e.g. a Cox linear predictor or a predicted
        probability of an event).
    method : {"harrell", "uno"}
        ``"harrell"``: every comparable pair has weight 1 (R ``concordance(Surv(t, e) ~ risk,
        reverse = TRUE)``, the C reported by ``coxph``). ``"uno"``: a pair whose earlier event
        is at time t gets weight 1 / G(t-)^2, G the Kaplan–Meier estimate of the censoring
        distribution, which removes the dependence on the censoring pattern (Uno et al. 2011;
        R ``concordance(..., timewt = "n/G2", ymax = tau)``).
    tau : float, optional
        Only events at or before ``tau`` make pairs comparable (R's ``ymax``). Recommended with
        ``"uno"`` (a time where enough patients remain at risk).
    conf_level : float, default 0.95
        Level of the Wald interval ``estimate ± z * std_error`` (clipped to [0, 1]).
    missing : {"raise", "drop"}

    Returns
    -------
    ConcordanceResult
        ``estimate``, ``std_error`` (R's infinitesimal-jackknife ``sqrt(var)``; for Uno's C,
        as in R, the censoring weights are treated as fixed), ``ci_lower``, ``ci_upper``,
        ``method``, ``tau`` (NaN when not given), ``n_events``, and ``table`` with columns
        ``pair_type, count`` (see :class:`ConcordanceResult`).

    Notes
    -----
    Times that differ by rounding error only are merged first, as R's ``timefix = TRUE`` (the
    survival core's one tie rule, relative to the time scale).

    References
    ----------
    Harrell FE, Lee KL, Mark DB (1996). Multivariable prognostic models. Stat Med 15:361–387.
    Uno H, Cai T, Pencina MJ, D'Agostino RB, Wei LJ (2011). On the C-statistics for evaluating
    overall adequacy of risk prediction procedures with censored survival data. Stat Med
    30:1105–1117.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.metrics import concordance_index
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12], "e": [1, 1, 0, 1, 0, 1],
    ...                    "risk": [2.1, 1.5, 0.3, 0.9, 0.2, 0.1]})
    >>> res = concordance_index(df, time_col="t", event_col="e", risk_col="risk")
    >>> round(res.estimate, 4)
    1.0
    """
    func = "concordance_index"
    check_choice(method, name="method", choices=("harrell", "uno"), func=func)
    conf_level = check_conf_level(conf_level, func=func)
    pf, time, event, sc = prepare_survival_scores(
        data, func=func, time_col=time_col, event_col=event_col,
        score_cols={"risk_col": risk_col}, missing=missing)
    risk = sc[risk_col]
    if not event.any():
        raise DataValidationError(
            f"event_col {event_col!r} has no events; {func} needs at least one event.")
    if tau is not None:
        if isinstance(tau, bool) or not isinstance(tau, (int, float, np.number)) or not (
            np.isfinite(tau) and tau > 0
        ):
            raise ParameterError(
                f"The 'tau' parameter of {func} must be None or a positive number; got {tau!r}.")
        tau = float(tau)
    ev = event.astype(bool)
    if method == "uno" and ev.sum() >= 2:
        # survival's fastkm1 G(t-) (events leave the risk set before tied censorings), the
        # same reverse Kaplan–Meier as prodlim's
        tw = 1.0 / Censoring.fit(time, event).subject_minus() ** 2
    else:  # R falls back to "n" with fewer than 2 events
        tw = np.ones(time.size)
    if tau is not None:
        tw = np.where(time > tau, 0.0, tw)
    c, se, counts = concordance(risk, time, event, time_weight=tw)
    if not np.isfinite(c):
        raise DataValidationError(
            f"no comparable pairs: every event in {event_col!r} is at or after the last "
            f"follow-up{'' if tau is None else f' or after tau={tau:g}'}; {func} needs an event "
            "followed by a longer follow-up time.")
    notes = pf.notes
    if counts[0] + counts[1] == 0:
        # every comparable pair tied on the score (a constant score): C = 0.5 with SE 0
        # would be a confident number about a score that ranks nobody
        what = ("is constant" if np.ptp(risk) == 0 else
                "is tied within every comparable pair")
        msg = (f"risk_col {risk_col!r} {what}, so it ranks no comparable pair of patients; "
               "C is undefined and reported as NaN — check that the column holds the model's "
               "predicted risks.")
        warnings.warn(msg, DataWarning, stacklevel=2)
        notes = (*notes, msg)
        c = se = float("nan")
    z = norm.ppf(0.5 + conf_level / 2)
    table = pd.DataFrame({
        "pair_type": ["concordant", "discordant", "tied_risk", "tied_time", "tied_both"],
        "count": counts.astype(float),
    })
    return ConcordanceResult(
        estimate=float(c), std_error=se, ci_lower=float(np.clip(c - z * se, 0.0, 1.0)),
        ci_upper=float(np.clip(c + z * se, 0.0, 1.0)), method=method,
        tau=float("nan") if tau is None else tau, conf_level=conf_level, table=table,
        n_obs=pf.n_obs, n_events=int(ev.sum()), n_dropped=pf.n_dropped, warnings=notes)


# =========================================================================== td-AUC
@result
class TimeDependentAUCResult(Result):
    """Cumulative/dynamic AUC at a horizon (cases: event by ``horizon``; controls: event-free).

    ``roc`` has columns ``threshold, fpr, tpr`` (IPCW-weighted, one row per distinct score,
    starting at (inf, 0, 0)).
    """

    _title: ClassVar[str] = "Time-dependent AUC (cumulative/dynamic, IPCW)"
    _main_table: ClassVar[str] = "roc"

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    horizon: float
    conf_level: float
    roc: pd.DataFrame
    n_obs: int
    n_cases: int
    n_controls: int
    n_censored_before: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """ROC curve at the horizon; see :func:`ctcstats.plotting.prognostic.plot_roc`."""
        from ..plotting.prognostic import plot_roc

        return plot_roc(self, ax=ax)


def _horizon_sets(time, event, t):
    cases = (time <= t) & event.astype(bool)
    controls = time > t
    return cases, controls


def ipcw_sets(time, event, t, cens: Censoring, sets=None):
    """IPCW weights W, censoring-influence indices q, cases and controls at horizon t.

    ``sets`` is ``None`` (survival: cases = event by t, controls = time > t) or a tuple
    ``(cases, controls, own)``: ``own`` marks the subjects weighted 1 / G(T_i-) at their own
    time (cases, and controls with a competing event by t); the others get 1 / G(t).
    """
    if sets is None:
        cases, controls = _horizon_sets(time, event, t)
        own = cases
    else:
        cases, controls, own = sets
    Gm = cens.subject_minus()
    W = np.where(own, 1.0 / Gm, 1.0 / cens.at(t)) * (cases | controls)
    q = np.where(own, cens.k - 1, cens.index_at(t))
    return W, q, cases, controls


def auc_with_if(risk, time, event, t, cens: Censoring, sets=None):
    """AUC of Score and its influence function (conservative part + KM censoring part)."""
    n = time.size
    W, q, cases, controls = ipcw_sets(time, event, t, cens, sets)
    mu_case, mu_ctrl = W[cases].sum(), W[controls].sum()
    # ic0Case_i = sum over controls with lower risk + half the tied ones (weighted);
    # ic0Control_j = sum over cases with higher risk + half the tied ones.
    ur, rk = np.unique(risk, return_inverse=True)
    rk = rk.ravel()
    wc = np.bincount(rk, weights=W * controls, minlength=ur.size)
    wk = np.bincount(rk, weights=W * cases, minlength=ur.size)
    below_c = np.concatenate([[0.0], np.cumsum(wc)[:-1]])
    above_k = np.concatenate([np.cumsum(wk[::-1])[::-1][1:], [0.0]])
    ic_case = below_c[rk] + 0.5 * wc[rk]
    ic_ctrl = above_k[rk] + 0.5 * wk[rk]
    nu_sum = float(np.sum(W[cases] * ic_case[cases]))
    auc = nu_sum / (mu_case * mu_ctrl)
    mu = mu_case * mu_ctrl / n**2
    nu = auc * mu
    num0 = np.where(cases, W * ic_case, np.where(controls, W * ic_ctrl, 0.0)) / n
    den0 = np.where(cases, W * mu_ctrl, np.where(controls, W * mu_case, 0.0)) / n
    ic0 = (num0 * mu - den0 * nu) / mu**2
    # censoring part: the weights' own influence (s_j = T_j- at their own time, t otherwise)
    num_c = cens.influence(q, np.where(cases, W * ic_case, np.where(controls, W * ic_ctrl, 0)))
    den_c = cens.influence(q, np.where(cases, W * mu_ctrl, np.where(controls, W * mu_case, 0)))
    icc = (num_c / n**2 * mu - den_c / n**2 * nu) / mu**2
    return auc, ic0 + icc, W, cases, controls


def untied_auc(auc, se, conf_level, risk, cases, controls, *, risk_col: str, notes):
    """AUC, SE, CI and notes — all NaN, with a recorded warning, when the score ties every
    case with every control (a constant score): AUC = 0.5 with SE 0 would be a confident
    number about a score that ranks nobody (the rule of ``concordance_index``)."""
    used = risk[cases | controls]
    if used.size and np.ptp(used) == 0:
        what = "is constant" if np.ptp(risk) == 0 else "is tied across every case and control"
        msg = (f"risk_col {risk_col!r} {what}, so it separates no case from a control; the "
               "AUC is undefined and reported as NaN — check that the column holds the "
               "model's predicted risks.")
        warnings.warn(msg, DataWarning, stacklevel=3)
        nan = float("nan")
        return nan, nan, nan, nan, (*notes, msg)
    lo, hi = wald_limits(auc, se, conf_level)
    return float(auc), se, lo, hi, tuple(notes)


def roc_table(risk, W, cases, controls) -> pd.DataFrame:
    order = np.argsort(-risk, kind="stable")
    r = risk[order]
    wcase = (W * cases)[order]
    wctrl = (W * controls)[order]
    tpr = np.cumsum(wcase) / wcase.sum()
    fpr = np.cumsum(wctrl) / wctrl.sum()
    last = np.r_[r[1:] != r[:-1], True]
    return pd.DataFrame({
        "threshold": np.r_[np.inf, r[last]],
        "fpr": np.r_[0.0, fpr[last]],
        "tpr": np.r_[0.0, tpr[last]],
    })


def wald_limits(est, se, conf_level):
    z = norm.ppf(0.5 + conf_level / 2)
    return float(max(0.0, est - z * se)), float(min(1.0, est + z * se))


def time_dependent_auc(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    horizon: float,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> TimeDependentAUCResult:
    """Cumulative/dynamic time-dependent AUC with Kaplan–Meier IPCW, and its standard error.

    Cases are patients with an event at or before ``horizon`` (weight 1 / G(T_i-)), controls
    those still event-free after ``horizon`` (weight 1 / G(horizon)); patients censored before
    ``horizon`` enter only through the weights. The AUC is the weighted probability that a case
    has a higher score than a control (ties count one half).

    Matches ``riskRegression::Score(list(risk), formula = Hist(time, event) ~ 1, data,
    times = horizon, metrics = "auc", cens.model = "km")``: the AUC and its standard error
    ``sd(IF) / sqrt(n)`` from the influence function that includes the estimation of the
    censoring weights (``conservative = FALSE``).

    Parameters
    ----------
    data : DataFrame
    time_col, event_col, risk_col : str
        Follow-up time, event indicator (1/0) and the risk score (higher = worse; any scale).
    horizon : float
        The prediction horizon, before the last follow-up, with at least one event at or before it.
    conf_level : float, default 0.95
        Wald interval clipped to [0, 1], as Score.
    missing : {"raise", "drop"}

    Returns
    -------
    TimeDependentAUCResult
        ``estimate, std_error, ci_lower, ci_upper, horizon, n_cases, n_controls,
        n_censored_before`` and ``roc`` (columns ``threshold, fpr, tpr``); ``plot(ax=)`` draws
        the ROC curve.

    References
    ----------
    Blanche P, Dartigues JF, Jacqmin-Gadda H (2013). Estimating and comparing time-dependent
    areas under receiver operating characteristic curves for censored event times with
    competing risks. Stat Med 32:5381–5397.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.metrics import time_dependent_auc
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12, 14, 15], "e": [1, 1, 0, 1, 0, 1, 0, 0],
    ...                    "risk": [2.1, 1.5, 0.3, 0.5, 0.2, 0.4, 0.1, 0.6]})
    >>> res = time_dependent_auc(df, time_col="t", event_col="e", risk_col="risk", horizon=8)
    >>> round(res.estimate, 4)
    0.9062
    """
    func = "time_dependent_auc"
    conf_level = check_conf_level(conf_level, func=func)
    pf, t_arr, event, sc = prepare_survival_scores(
        data, func=func, time_col=time_col, event_col=event_col,
        score_cols={"risk_col": risk_col}, missing=missing)
    risk = sc[risk_col]
    t = check_horizon(horizon, t_arr, event, func=func)
    cens = Censoring.fit(t_arr, event)
    auc, ic, W, cases, controls = auc_with_if(risk, t_arr, event, t, cens)
    se = float(np.std(ic, ddof=1) / np.sqrt(t_arr.size))
    auc, se, lo, hi, notes = untied_auc(auc, se, conf_level, risk, cases, controls,
                                         risk_col=risk_col, notes=pf.notes)
    return TimeDependentAUCResult(
        estimate=auc, std_error=se, ci_lower=lo, ci_upper=hi, horizon=t,
        conf_level=conf_level, roc=roc_table(risk, W, cases, controls), n_obs=pf.n_obs,
        n_cases=int(cases.sum()), n_controls=int(controls.sum()),
        n_censored_before=int((~cases & ~controls).sum()), n_dropped=pf.n_dropped,
        warnings=notes)


# =========================================================================== Brier
@result
class BrierResult(Result):
    """IPCW Brier score at a horizon, with the Kaplan–Meier null model and the IPA."""

    _title: ClassVar[str] = "Brier score (IPCW)"

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    null_estimate: float
    null_std_error: float
    ipa: float
    horizon: float
    conf_level: float
    n_obs: int
    n_cases: int
    n_controls: int
    n_censored_before: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def brier_with_if(p, time, event, t, cens: Censoring, sets=None):
    n = time.size
    W, q, cases, controls = ipcw_sets(time, event, t, cens, sets)
    res = np.where(cases, (1.0 - p) ** 2, p**2) * W
    b = float(res.sum() / n)
    ic = res - b + cens.influence(q, res) / n
    return b, float(np.std(ic, ddof=1) / np.sqrt(n)), cases, controls


def brier_score(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    horizon: float,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> BrierResult:
    """IPCW Brier score of predicted event probabilities at a horizon, with null model and IPA.

    Brier = (1/n) * [sum over cases (1 - p_i)^2 / G(T_i-) + sum over controls p_i^2 / G(t)],
    cases = event at or before ``horizon``, controls = event-free after it, G the reverse
    Kaplan–Meier estimate of censoring. The null model predicts 1 - KM(t) for everyone;
    IPA = 1 - Brier / Brier_null (Kattan & Gerds 2018).

    Matches ``riskRegression::Score(list(p), formula = Hist(time, event) ~ 1, data,
    times = horizon, metrics = "brier", summary = "ipa", cens.model = "km")``: ``Brier``, its
    ``se`` (influence function including the censoring weights), the Null model's Brier and se,
    and ``IPA``. Score reports no standard error for the IPA; neither does this function.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    risk_col : str
        The predicted probability of an event by ``horizon`` (in [0, 1]).
    horizon : float
        Prediction horizon before the last follow-up, with at least one event at or before it.
    conf_level : float, default 0.95
        Wald interval clipped to [0, 1], as Score.
    missing : {"raise", "drop"}

    Returns
    -------
    BrierResult
        ``estimate, std_error, ci_lower, ci_upper, null_estimate, null_std_error, ipa, horizon,
        n_cases, n_controls, n_censored_before``.

    References
    ----------
    Gerds TA, Schumacher M (2006). Consistent estimation of the expected Brier score in general
    survival models with right-censored event times. Biom J 48:1029–1040.
    Kattan MW, Gerds TA (2018). The index of prediction accuracy: an intuitive measure useful
    for evaluating risk prediction models. Diagn Progn Res 2:7.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.metrics import brier_score
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12, 14, 15], "e": [1, 1, 0, 1, 0, 1, 0, 0],
    ...                    "p": [0.8, 0.7, 0.2, 0.5, 0.2, 0.3, 0.1, 0.3]})
    >>> res = brier_score(df, time_col="t", event_col="e", risk_col="p", horizon=8)
    >>> round(res.estimate, 4), round(res.ipa, 4)
    (0.0882, 0.6323)
    """
    func = "brier_score"
    conf_level = check_conf_level(conf_level, func=func)
    pf, t_arr, event, sc = prepare_survival_scores(
        data, func=func, time_col=time_col, event_col=event_col,
        score_cols={"risk_col": risk_col}, missing=missing)
    p = sc[risk_col]
    check_probabilities(p, risk_col, role="risk_col", func=func, index=pf.frame.index)
    t = check_horizon(horizon, t_arr, event, func=func)
    cens = Censoring.fit(t_arr, event)
    b, se, cases, controls = brier_with_if(p, t_arr, event, t, cens)
    s_km, _ = km_at(t_arr, event, t)
    b0, se0, _, _ = brier_with_if(np.full(t_arr.size, 1.0 - s_km), t_arr, event, t, cens)
    lo, hi = wald_limits(b, se, conf_level)
    return BrierResult(
        estimate=b, std_error=se, ci_lower=lo, ci_upper=hi, null_estimate=b0,
        null_std_error=se0, ipa=float(1.0 - b / b0) if b0 > 0 else float("nan"), horizon=t,
        conf_level=conf_level, n_obs=pf.n_obs, n_cases=int(cases.sum()),
        n_controls=int(controls.sum()), n_censored_before=int((~cases & ~controls).sum()),
        n_dropped=pf.n_dropped, warnings=pf.notes)


# =========================================================================== IBS
@result
class IntegratedBrierResult(Result):
    """Integrated Brier score over a grid of horizons.

    ``table`` has columns ``time, brier, null_brier, ipa`` (one row per grid time).
    """

    _title: ClassVar[str] = "Integrated Brier score (IPCW)"

    estimate: float
    null_estimate: float
    ipa: float
    method: str
    table: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def integrated_brier_score(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_cols: Mapping[float, str],
    method: Literal["trapezoid", "step"] = "trapezoid",
    missing: Literal["raise", "drop"] = "raise",
) -> IntegratedBrierResult:
    """Integrated IPCW Brier score of predictions made at several horizons.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    risk_cols : mapping of float to str
        Horizon → column of ``data`` holding the predicted probability of an event by that
        horizon, e.g. ``{12: "risk_12", 24: "risk_24", 36: "risk_36"}`` (at least two).
    method : {"trapezoid", "step"}
        ``"trapezoid"``: trapezoid rule of the Brier curve between the first and last grid
        time, divided by their distance (the common definition, e.g. scikit-survival's
        ``integrated_brier_score``). ``"step"``: riskRegression ``Score(..., summary =
        "ibs")`` — Brier(0) = 0 prepended, left-endpoint step integral from 0 to the last time,
        divided by the last time.
    missing : {"raise", "drop"}

    Returns
    -------
    IntegratedBrierResult
        ``estimate`` (the model's IBS), ``null_estimate`` (Kaplan–Meier null model's),
        ``ipa`` (1 - IBS / IBS_null), ``method`` and ``table`` (``time, brier, null_brier,
        ipa``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.metrics import integrated_brier_score
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12, 14, 15], "e": [1, 1, 0, 1, 0, 1, 0, 0],
    ...                    "p4": [0.5, 0.4, 0.1, 0.3, 0.1, 0.2, 0.1, 0.1],
    ...                    "p8": [0.8, 0.7, 0.2, 0.5, 0.2, 0.3, 0.1, 0.3]})
    >>> res = integrated_brier_score(df, time_col="t", event_col="e",
    ...                              risk_cols={4: "p4", 8: "p8"})
    >>> list(res.table["time"])
    [4.0, 8.0]
    """
    func = "integrated_brier_score"
    check_choice(method, name="method", choices=("trapezoid", "step"), func=func)
    if not isinstance(risk_cols, Mapping) or len(risk_cols) < 2:
        raise ParameterError(
            f"The 'risk_cols' parameter of {func} must be a mapping of at least two horizons "
            f"to column names, e.g. {{12: 'risk_12', 24: 'risk_24'}}; got {risk_cols!r}.")
    grid = sorted(risk_cols.items(), key=lambda kv: float(kv[0]))
    pf, t_arr, event, sc = prepare_survival_scores(
        data, func=func, time_col=time_col, event_col=event_col,
        score_cols={"risk_cols": [c for _, c in grid]}, missing=missing)
    cens = Censoring.fit(t_arr, event)
    times, b, b0 = [], [], []
    for h, col in grid:
        p = sc[col]
        check_probabilities(p, col, role="risk_cols", func=func, index=pf.frame.index)
        t = check_horizon(h, t_arr, event, func=func)
        s_km, _ = km_at(t_arr, event, t)
        times.append(t)
        b.append(brier_with_if(p, t_arr, event, t, cens)[0])
        b0.append(brier_with_if(np.full(t_arr.size, 1 - s_km), t_arr, event, t, cens)[0])
    times_a, b_a, b0_a = np.array(times), np.array(b), np.array(b0)
    if np.any(np.diff(times_a) <= 0):
        raise ParameterError(f"The horizons in 'risk_cols' of {func} must be distinct.")

    def integrate(y):
        if method == "trapezoid":
            area = np.sum(np.diff(times_a) * (y[1:] + y[:-1]) / 2)
            return float(area / (times_a[-1] - times_a[0]))
        x = np.r_[0.0, times_a]
        yy = np.r_[0.0, y]
        return float(np.sum(yy[:-1] * np.diff(x)) / times_a[-1])

    ibs, ibs0 = integrate(b_a), integrate(b0_a)
    table = pd.DataFrame({"time": times_a, "brier": b_a, "null_brier": b0_a,
                          "ipa": 1.0 - b_a / b0_a})
    return IntegratedBrierResult(
        estimate=ibs, null_estimate=ibs0, ipa=float(1 - ibs / ibs0) if ibs0 > 0 else np.nan,
        method=method, table=table, n_obs=pf.n_obs, n_dropped=pf.n_dropped,
        warnings=pf.notes)
