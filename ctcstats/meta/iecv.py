"""Internal–external cross-validation (IECV) of a pooled Cox prognostic model.

:func:`internal_external_validation` leaves one study out at a time, develops the Cox model on
the other studies, validates it on the one left out, and pools the study-specific performance
by random-effects meta-analysis with prediction intervals — the approach of Debray et al.
(Stat Med 2013; BMJ 2017) and of R ``metamisc::valmeta``:

* discrimination: Harrell's C of the linear predictor (R ``concordance(Surv ~ lp,
  reverse = TRUE)``), pooled on the logit scale with SE(logit C) = SE(C) / (C (1 − C));
* calibration slope: the coefficient of the linear predictor in ``coxph(Surv ~ lp)`` on the
  validation study (1 = no over-/under-fitting), pooled as it is;
* calibration-in-the-large: the observed/expected ratio at ``horizon``, observed = 1 − KM(t)
  of the validation study, expected = mean predicted risk ``1 − S₀(t)^exp(lp)`` from the
  development model (baseline hazard of ``survfit.coxph``), pooled on the log scale with
  SE(log O) = SE(KM) / (1 − KM) (Greenwood).

The pooling is :func:`ctcstats.meta_analysis` (REML with Hartung–Knapp intervals by default,
as valmeta, whose prediction interval uses t on k − 2 degrees of freedom; or normal-theory
intervals with metafor's ``predict``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import (
    check_choice,
    check_event_column,
    check_real,
    check_time_column,
    design_matrix,
    group_levels,
    prepare_frame,
)
from ..errors import DataValidationError
from ..survival._core.concordance import concordance
from ..survival._core.cox import baseline_hazard, fit_cox_arrays, linear_predictor
from ..survival._core.curves import kaplan_meier_curve, step_at
from .pooling import MetaResult, meta_analysis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["IECVResult", "internal_external_validation"]


@result
class IECVResult(Result):
    """Internal–external cross-validation (see :func:`internal_external_validation`).

    ``table``: one row per held-out study — ``study, n_obs, n_events, c_index,
    c_std_error, slope, slope_std_error, oe_ratio, log_oe_std_error, observed, expected``.
    ``pooled``: one row per measure (``c_index``, ``slope``, ``oe_ratio``) with ``estimate,
    ci_lower, ci_upper, pi_lower, pi_upper, tau2, i2`` on the natural scale (C back from
    logit, O/E back from log); ``test`` the interval method (``knha``: valmeta's). ``meta`` holds the three :class:`MetaResult` fits.
    """

    _title: ClassVar[str] = "Internal–external cross-validation (leave one study out)"

    table: pd.DataFrame
    pooled: pd.DataFrame
    horizon: float
    method: str
    test: str = "knha"
    conf_level: float = 0.95
    n_obs: int
    n_dropped: int = 0
    meta: dict
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("pooled", self.pooled), ("table", self.table)]

    def plot(self, ax: Axes | None = None, measure: str = "c_index", **kwargs: Any) -> Axes:
        """Forest plot of one measure across the held-out studies (``meta[measure].plot``)."""
        return self.meta[measure].plot(ax=ax, **kwargs)


def _validate_one(X_dev, t_dev, e_dev, X_val, t_val, e_val, horizon, ties):
    fit = fit_cox_arrays(X_dev, t_dev, e_dev, ties=ties)
    lp_val = linear_predictor(X_val, fit.coef)
    c, c_se, _ = concordance(lp_val, t_val, e_val)
    slope_fit = fit_cox_arrays(lp_val[:, None], t_val, e_val, ties=ties)
    slope = float(slope_fit.coef[0])
    slope_se = float(np.sqrt(slope_fit.var[0, 0]))
    times, cumhaz = baseline_hazard(fit.data, fit.coef, ties, reference="zero")
    h0 = float(step_at(times, cumhaz, np.array([horizon]), before=0.0)[0])
    expected = float(np.mean(1.0 - np.exp(-h0 * np.exp(lp_val))))
    km = kaplan_meier_curve(t_val, e_val)
    s = float(km.at(np.array([horizon]))[0])
    observed = 1.0 - s
    se_log_o = s * float(np.sqrt(km.var_log_at(np.array([horizon]))[0])) / observed
    return dict(c_index=c, c_std_error=c_se, slope=slope, slope_std_error=slope_se,
                oe_ratio=observed / expected, log_oe_std_error=se_log_o, observed=observed,
                expected=expected)


def internal_external_validation(
    data: pd.DataFrame,
    *,
    study_col: str,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    horizon: float,
    method: Literal["reml", "dl", "fixed"] = "reml",
    test: Literal["knha", "z"] = "knha",
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> IECVResult:
    """Leave one study out: develop on the rest, validate on it, pool C, slope and O/E.

    See the module notes for the measures; the pooled estimates and intervals match R
    ``metafor::rma(yi, sei, method = "REML", test = "knha")`` with valmeta's prediction
    interval (``test="z"``: ``rma(..., test = "z")`` and ``predict()``) on the same
    study-level values.

    Parameters
    ----------
    data : DataFrame
        Individual patient data of all studies.
    study_col : str
        Study (or centre) of each patient; at least 3 studies.
    time_col, event_col : str
    covariates : list of str
        Predictors of the Cox model (categorical columns become indicators).
    horizon : float
        Time of the observed/expected comparison; every validation study must have its
        Kaplan–Meier estimate defined and below 1 there.
    method : {"reml", "dl", "fixed"}
        Between-study variance estimator of the pooling.
    test : {"knha", "z"}
        ``"knha"`` (default, as ``metamisc::valmeta``): Hartung–Knapp–Sidik–Jonkman
        confidence intervals and valmeta's prediction interval ``μ ± t_{k−2} sqrt(τ² +
        SE(μ)²)``; ``"z"``: normal-theory intervals and metafor's ``predict`` interval.
    ties : {"efron", "breslow"}
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    IECVResult
        ``table`` (per held-out study), ``pooled`` (``measure, estimate, ci_lower,
        ci_upper, pi_lower, pi_upper, tau2, i2``), ``meta`` (the MetaResult of each measure,
        on the logit / identity / log scale).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.meta.iecv import internal_external_validation
    >>> g = np.random.default_rng(0)
    >>> n = 600
    >>> df = pd.DataFrame({"study": g.integers(0, 5, n), "ctc_positive": g.integers(0, 2, n),
    ...                    "age": g.normal(60, 9, n)})
    >>> t = g.exponential(40 / np.exp(0.7 * df.ctc_positive + 0.02 * (df.age - 60)))
    >>> df["months"], df["event"] = np.minimum(t, 60), (t < 60).astype(int)
    >>> res = internal_external_validation(df, study_col="study", time_col="months",
    ...                                    event_col="event",
    ...                                    covariates=["ctc_positive", "age"], horizon=24)
    >>> list(res.pooled["measure"])
    ['c_index', 'slope', 'oe_ratio']
    """
    func = "internal_external_validation"
    hz = check_real(horizon, name="horizon", func=func, low=0.0, low_inclusive=False)
    check_choice(ties, name="ties", choices=("efron", "breslow"), func=func)
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "study_col": study_col, "time_col": time_col, "event_col": event_col,
        "covariates": list(covariates)})
    frame = prep.frame
    time = check_time_column(frame, time_col)
    event = check_event_column(frame, event_col)
    X, _ = design_matrix(frame, list(covariates), func=func)
    study = frame[study_col].to_numpy(dtype=object)
    levels = [v.item() if isinstance(v, np.generic) else v for v in group_levels(
        frame[study_col])]
    if len(levels) < 3:
        raise DataValidationError(
            f"study_col {study_col!r} has {len(levels)} studies; {func} needs at least 3 "
            "(each left out once, the rest pooled).")
    rows = []
    for lev in levels:
        val = study == lev
        if not event[val].any():
            raise DataValidationError(
                f"study {lev!r} of study_col {study_col!r} has no events; it cannot be "
                "validated on — merge it with a similar study or drop it.")
        if time[val].max() < hz or time[val][event[val] == 1].min() > hz:
            raise DataValidationError(
                f"study {lev!r}: horizon {hz:g} is outside its follow-up or before its first "
                "event, so observed risk at the horizon is undefined; choose a horizon all "
                "studies reach.")
        out = _validate_one(X[~val], time[~val], event[~val], X[val], time[val], event[val],
                            hz, ties)
        rows.append({"study": lev, "n_obs": int(val.sum()), "n_events": int(event[val].sum()),
                     **out})
    table = pd.DataFrame(rows)
    c = table["c_index"].to_numpy(float)
    inputs = {
        "c_index": (np.log(c / (1 - c)), table["c_std_error"] / (c * (1 - c))),
        "slope": (table["slope"].to_numpy(float), table["slope_std_error"]),
        "oe_ratio": (np.log(table["oe_ratio"].to_numpy(float)), table["log_oe_std_error"]),
    }
    back: dict[str, Callable[[float], float]] = {
        "c_index": lambda x: 1 / (1 + np.exp(-x)), "slope": lambda x: x, "oe_ratio": np.exp}
    metas: dict[str, MetaResult] = {}
    pooled = []
    for name, (est, se) in inputs.items():
        m = meta_analysis(pd.DataFrame({"study": table["study"].astype(str), "y": est,
                                        "se": np.asarray(se, float)}),
                          estimate_col="y", std_error_col="se", study_col="study",
                          method=method, test=test, conf_level=conf_level)
        metas[name] = m
        f = back[name]
        if test == "knha":  # valmeta's prediction interval (calcPredInt): t on k - 2 df
            tau2 = 0.0 if not np.isfinite(m.tau2) else float(m.tau2)
            half = (stats.t.ppf(0.5 + conf_level / 2, m.k - 2)
                    * np.sqrt(tau2 + m.std_error**2)) if m.k > 2 else np.inf
            pi_lo, pi_hi = m.estimate - half, m.estimate + half
        else:
            pi_lo, pi_hi = m.pi_lower, m.pi_upper
        pooled.append({"measure": name, "estimate": float(f(m.estimate)),
                       "ci_lower": float(f(m.ci_lower)), "ci_upper": float(f(m.ci_upper)),
                       "pi_lower": float(f(pi_lo)), "pi_upper": float(f(pi_hi)),
                       "tau2": float(m.tau2), "i2": float(m.i2)})
    return IECVResult(table=table, pooled=pd.DataFrame(pooled), horizon=hz, method=method,
                      test=test,
                      conf_level=float(conf_level), n_obs=prep.n_obs, n_dropped=prep.n_dropped,
                      meta=metas, warnings=tuple(prep.notes))
