"""Does the marker add to the clinical factors? :func:`added_value` of nested Cox models.

The base model holds the clinical factors, the full model adds the new marker(s) (e.g. CTC
positivity). The question is answered by the likelihood-ratio test of the nested models (R
``anova(coxph_base, coxph_full)``) and described by the change in discrimination (Harrell's
C, time-dependent AUC), overall accuracy (Brier score, IPA), reclassification (NRI, IDI) and
clinical usefulness (decision curves) at a horizon.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._typing import RandomState
from .._validation import (
    bootstrap_positions,
    check_conf_level,
    check_event_column,
    check_int,
    check_rng,
    check_time_column,
    prepare_frame,
)
from .._warnings import Recorded, capture, emit
from ..errors import CTCStatsError, DataWarning, ParameterError
from ..survival._core.concordance import concordance
from ..survival._core.cox import baseline_hazard, linear_predictor
from ..survival._core.ties import merge_times
from ..survival.cox import CoxResult, fit_cox
from ._metrics_common import check_horizon
from .decision import DecisionCurveResult, decision_curve
from .metrics import brier_score, time_dependent_auc
from .models import cumhaz_at
from .reclassification import ReclassificationResult, reclassification

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AddedValueResult", "added_value", "cox_result_risk"]

_TABLE = ["measure", "base", "full", "difference", "ci_lower", "ci_upper", "p_value"]


@result
class AddedValueResult(Result):
    """Added value of new marker(s) over a base Cox model (see :func:`added_value`).

    ``table`` columns ``measure, base, full, difference, ci_lower, ci_upper, p_value``.
    """

    _title: ClassVar[str] = "Added value of the new marker(s) over the base model"

    table: pd.DataFrame
    lr_statistic: float
    lr_df: float
    lr_p_value: float
    delta_c: float
    delta_c_ci_lower: float
    delta_c_ci_upper: float
    delta_auc: float
    delta_auc_ci_lower: float
    delta_auc_ci_upper: float
    horizon: float
    base_covariates: tuple[str, ...]
    new_covariates: tuple[str, ...]
    conf_level: float
    n_boot: int
    base_fit: Any
    full_fit: Any
    reclassification: Any
    decision: Any
    replicates: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]

    def plot(self, ax: Axes | None = None) -> Axes:
        """Decision curves of the base and the full model (net benefit at ``horizon``)."""
        dec: DecisionCurveResult = self.decision
        return dec.plot(ax=ax)


def cox_result_risk(fit: CoxResult, t: float) -> np.ndarray:
    """Predicted risk by ``t`` for each row a :class:`CoxResult` was fitted on.

    ``1 − exp(−H0(t)·exp(lp))`` with the Breslow/Efron baseline hazard of the fit, as R
    ``1 - summary(survfit(fit, newdata=data), times=t)$surv`` (unstratified fits only).
    """
    d = fit._data
    times, cumhaz = baseline_hazard(d, fit._beta, fit.ties)
    H0 = cumhaz_at(times, cumhaz, t)[0]
    return -np.expm1(-H0 * np.exp(linear_predictor(d.X, fit._beta)))


def _names(value, name: str, func: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) == 0:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a non-empty list of column names; got "
            f"{value!r}" + (f" (write [{value!r}])." if isinstance(value, str) else "."))
    return list(value)


def _percentile(x: np.ndarray, cl: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    a = (1 - cl) / 2
    lo, hi = np.quantile(x, [a, 1 - a])
    return float(lo), float(hi)


def _horizon(fn, time, event, risk, t) -> tuple[float, float]:
    """(estimate, ipa) of a horizon metric on one (bootstrap) sample; NaN if undefined."""
    frame = pd.DataFrame({"time": time, "event": event, "risk": risk})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(frame, time_col="time", event_col="event", risk_col="risk", horizon=t)
    except CTCStatsError:
        return float("nan"), float("nan")
    return float(r.estimate), float(getattr(r, "ipa", np.nan))


def added_value(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    base_covariates: Sequence[str],
    new_covariates: Sequence[str],
    horizon: float,
    n_boot: int = 200,
    cutoffs: Sequence[float] | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    rng: RandomState = None,
    missing: Literal["raise", "drop"] = "raise",
) -> AddedValueResult:
    """Does the new marker add to the clinical factors? Nested Cox models compared.

    Fits the base Cox model (``base_covariates``) and the full model (``base_covariates +
    new_covariates``) on the
    same patients and compares them:

    * **likelihood-ratio test** of the nested models — R ``anova(coxph(Surv ~ base),
      coxph(Surv ~ base + new))``: ``lr_statistic = 2·(loglik_full − loglik_base)`` on
      ``lr_df`` = number of new terms. This is the test of added value (Pepe et al. 2013
      show that tests of ΔC or ΔAUC between nested models are invalid/very conservative).
    * **Harrell's C** of each linear predictor (R ``coxph``'s concordance) and ΔC;
    * at ``horizon``: **time-dependent AUC**, **Brier score** and **IPA** of the predicted
      risks ``1 − S(horizon | x)`` (IPCW, as ``riskRegression::Score``) and their differences;
    * **NRI and IDI** (:func:`~ctcstats.prognostic.reclassification.reclassification`) and the
      two **decision curves** (:func:`~ctcstats.prognostic.decision.decision_curve`).

    Confidence intervals of the differences are percentile intervals of a paired bootstrap:
    patients are resampled ``n_boot`` times and both models' predictions (from the fits to all
    patients) are scored on the same resample.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    base_covariates : list of str
        Clinical covariates (numeric, boolean, or categorical → indicator terms).
    new_covariates : list of str
        The marker(s) added, e.g. ``["ctc_positive"]``.
    horizon : float
        Prediction horizon of the predicted risks (before the last follow-up).
    n_boot : int, default 200
        Bootstrap replicates (0: no intervals).
    cutoffs : list of float, optional
        Risk categories for a categorical NRI (default: continuous NRI).
    ties : {"efron", "breslow"}
    conf_level : float, default 0.95
    rng : int, Generator or None
    missing : {"raise", "drop"}
        ``"drop"`` removes patients with a missing value in any of the columns, so that both
        models are fitted on the same patients (required for the LR test).

    Returns
    -------
    AddedValueResult
        ``table`` with columns ``measure, base, full, difference, ci_lower, ci_upper,
        p_value`` and rows ``log_likelihood`` (p_value: the LR test), ``aic``, ``c_index``,
        ``auc``, ``brier``, ``ipa`` and, from the reclassification, ``nri, nri_events,
        nri_nonevents, idi, idi_events, idi_nonevents`` (base/full NaN there);
        ``lr_statistic, lr_df, lr_p_value``; ``delta_c`` and ``delta_auc`` with their
        intervals; ``base_fit`` and ``full_fit`` (:class:`~ctcstats.survival.cox.CoxResult`);
        ``reclassification``; ``decision`` (decision curves, models ``"base"`` and
        ``"full"``); ``replicates`` (``replicate, c_base, c_full, auc_base, auc_full,
        brier_base, brier_full``); ``plot(ax=)`` draws the decision curves.

    References
    ----------
    Pepe MS, Kerr KF, Longton G, Wang Z (2013). Testing for improvement in prediction model
    performance. Stat Med 32:1467–1482.
    Steyerberg EW (2019). Clinical Prediction Models, 2nd ed. Springer. Ch. 15.

    Examples
    --------
    Does CTC add to the clinical factors in a cohort like Janni 2016?

    >>> import ctcstats as cs
    >>> cohort = cs.simulate_cohort("janni2016", rng=1)
    >>> res = cs.added_value(cohort, time_col="dfs_months", event_col="dfs_event",
    ...                      base_covariates=["tumor_size_cm", "node_positive", "grade",
    ...                                       "hr_positive", "her2_positive"],
    ...                      new_covariates=["ctc_positive"], horizon=60, n_boot=50, rng=1)
    >>> bool(res.lr_p_value < 0.001)
    True
    >>> res.table["measure"].tolist()[:4]
    ['log_likelihood', 'aic', 'c_index', 'auc']
    """
    func = "added_value"
    base = _names(base_covariates, "base_covariates", func)
    new = _names(new_covariates, "new_covariates", func)
    both = set(base) & set(new)
    if both:
        raise ParameterError(
            f"The 'new_covariates' parameter of {func} must not repeat base covariates; "
            f"{sorted(both)} are in both.")
    cl = check_conf_level(conf_level, func=func)
    n_boot = check_int(n_boot, name="n_boot", func=func, minimum=0)
    gen = check_rng(rng, func=func)
    prep = prepare_frame(data, func=func, roles={"time_col": time_col, "event_col": event_col,
                                                 "base_covariates": base,
                                                 "new_covariates": new}, missing=missing)
    frame = prep.frame
    tt = merge_times(check_time_column(frame, time_col, role="time_col")).time
    ev = check_event_column(frame, event_col, role="event_col")
    t = check_horizon(horizon, tt, ev, func=func)
    with capture() as caught:
        fb = fit_cox(frame, time_col=time_col, event_col=event_col, covariates=base, ties=ties,
                     conf_level=cl)
        ff = fit_cox(frame, time_col=time_col, event_col=event_col, covariates=base + new,
                     ties=ties, conf_level=cl)
    msgs: list[Recorded] = caught.records()
    lr = 2.0 * (ff.loglik - fb.loglik)
    df = float(np.sum(np.isfinite(ff.table["coef"])) - np.sum(np.isfinite(fb.table["coef"])))
    p_lr = float(stats.chi2.sf(lr, df)) if df > 0 else float("nan")
    lp_b = linear_predictor(fb._data.X, fb._beta)
    lp_f = linear_predictor(ff._data.X, ff._beta)
    r_b, r_f = cox_result_risk(fb, t), cox_result_risk(ff, t)
    c_b = concordance(lp_b, tt, ev)[0]
    c_f = concordance(lp_f, tt, ev)[0]
    auc_b, _ = _horizon(time_dependent_auc, tt, ev, r_b, t)
    auc_f, _ = _horizon(time_dependent_auc, tt, ev, r_f, t)
    br_b, ipa_b = _horizon(brier_score, tt, ev, r_b, t)
    br_f, ipa_f = _horizon(brier_score, tt, ev, r_f, t)

    # ---- paired bootstrap of the differences (predictions fixed, patients resampled)
    n = tt.size
    reps = np.full((n_boot, 8), np.nan)
    if n_boot:
        idx = bootstrap_positions(gen, frame, n_boot)  # canonical order: row order irrelevant
        for b in range(n_boot):
            i = idx[b]
            w = np.bincount(i, minlength=n).astype(float)
            keep = w > 0
            if ev[keep].any():
                reps[b, 0] = concordance(lp_b[keep], tt[keep], ev[keep], weights=w[keep])[0]
                reps[b, 1] = concordance(lp_f[keep], tt[keep], ev[keep], weights=w[keep])[0]
            reps[b, 2] = _horizon(time_dependent_auc, tt[i], ev[i], r_b[i], t)[0]
            reps[b, 3] = _horizon(time_dependent_auc, tt[i], ev[i], r_f[i], t)[0]
            reps[b, 4], reps[b, 6] = _horizon(brier_score, tt[i], ev[i], r_b[i], t)
            reps[b, 5], reps[b, 7] = _horizon(brier_score, tt[i], ev[i], r_f[i], t)
        bad = int(np.sum(~np.isfinite(reps).all(axis=1)))
        if bad:
            msgs.append(Recorded(f"{bad} of {n_boot} bootstrap replicates had a measure "
                                 "that could not be computed (e.g. no events by the horizon) "
                                 "and were left out of that measure's interval.", DataWarning))
    d_c = _percentile(reps[:, 1] - reps[:, 0], cl)
    d_auc = _percentile(reps[:, 3] - reps[:, 2], cl)
    d_br = _percentile(reps[:, 5] - reps[:, 4], cl)
    d_ipa = _percentile(reps[:, 7] - reps[:, 6], cl)

    # ---- reclassification and decision curves
    rframe = pd.DataFrame({"time": tt, "event": ev, "base": r_b, "full": r_f})
    with capture() as caught:
        recl: ReclassificationResult = reclassification(
            rframe, time_col="time", event_col="event", base_risk_col="base",
            risk_col="full", horizon=t, cutoffs=cutoffs, n_boot=n_boot, conf_level=cl,
            rng=gen)
        dec = decision_curve(rframe, time_col="time", event_col="event",
                             risk_cols=["base", "full"], horizon=t)
    msgs.extend(caught.records())

    nan = float("nan")
    k_b = float(np.isfinite(fb.table["coef"]).sum())
    k_f = float(np.isfinite(ff.table["coef"]).sum())
    aic_b, aic_f = -2 * fb.loglik + 2 * k_b, -2 * ff.loglik + 2 * k_f
    rows = [
        ("log_likelihood", fb.loglik, ff.loglik, ff.loglik - fb.loglik, nan, nan, p_lr),
        ("aic", aic_b, aic_f, aic_f - aic_b, nan, nan, nan),
        ("c_index", c_b, c_f, c_f - c_b, *d_c, nan),
        ("auc", auc_b, auc_f, auc_f - auc_b, *d_auc, nan),
        ("brier", br_b, br_f, br_f - br_b, *d_br, nan),
        ("ipa", ipa_b, ipa_f, ipa_f - ipa_b, *d_ipa, nan),
    ]
    for _, r in recl.table.iterrows():
        rows.append((r["measure"], nan, nan, r["estimate"], r["ci_lower"], r["ci_upper"], nan))
    table = pd.DataFrame(rows, columns=_TABLE)
    table[_TABLE[1:]] = table[_TABLE[1:]].astype(float)
    replicates = pd.DataFrame(reps[:, :6], columns=["c_base", "c_full", "auc_base", "auc_full",
                                                    "brier_base", "brier_full"])
    replicates.insert(0, "replicate", np.arange(n_boot))
    messages = emit(msgs)  # re-issue what the fits and metrics raised (captured above)
    return AddedValueResult(
        table=table, lr_statistic=float(lr), lr_df=df, lr_p_value=p_lr,
        delta_c=float(c_f - c_b), delta_c_ci_lower=d_c[0], delta_c_ci_upper=d_c[1],
        delta_auc=float(auc_f - auc_b), delta_auc_ci_lower=d_auc[0],
        delta_auc_ci_upper=d_auc[1], horizon=t, base_covariates=tuple(base), new_covariates=tuple(new),
        conf_level=cl, n_boot=n_boot, base_fit=fb, full_fit=ff, reclassification=recl,
        decision=dec, replicates=replicates, n_obs=prep.n_obs, n_events=int(ev.sum()),
        n_dropped=prep.n_dropped, warnings=messages)
