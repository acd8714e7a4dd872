"""Does the marker add to the clinical factors? :func:`added_value` of nested Cox models.

The base model holds the clinical factors, the full model adds the new marker(s) (e.g. CTC
positivity). The question is answered by the likelihood-ratio test of the nested models (R
``anova(coxph_base, coxph_full)``) and described by the change in discrimination (Harrell's
C, time-dependent AUC), overall accuracy (Brier score, IPA), reclassification (NRI, IDI) and
clinical usefulness (decision curves) at a horizon.

Every measure is estimated on the patients the models were fitted to and is therefore
optimistic: a marker of no value still raises the apparent C and gives an apparent NRI > 0 in
most data sets. The measures are therefore also corrected for optimism by Harrell's bootstrap
(both models refitted in each resample, evaluated in the resample and in the original data;
Harrell 2015 §5.3.4, as ``rms::validate``), with location-shifted bootstrap percentile
intervals (Noma et al. 2021).
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
    bootstrap_counts,
    bootstrap_positions,
    check_conf_level,
    check_event_column,
    check_int,
    check_rng,
    check_time_column,
    design_matrix,
    prepare_frame,
)
from .._warnings import Recorded, capture, emit
from ..errors import CTCStatsError, DataWarning, ParameterError
from ..survival._core.concordance import bootstrap_concordances, concordance_estimate
from ..survival._core.cox import baseline_hazard, fit_cox_arrays, linear_predictor, prepare_cox_data
from ..survival._core.ties import merge_times
from ..survival.cox import CoxResult, fit_cox
from ._metrics_common import check_horizon
from .decision import DecisionCurveResult, decision_curve
from .metrics import brier_score, time_dependent_auc
from .models import cumhaz_at
from .reclassification import (
    MEASURES,
    HorizonLayout,
    ReclassificationResult,
    reclassification,
    reclassification_measures,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AddedValueResult", "added_value", "cox_result_risk"]

_TABLE = ["measure", "base", "full", "difference", "ci_lower", "ci_upper", "p_value",
          "base_corrected", "full_corrected", "optimism", "corrected", "corrected_ci_lower",
          "corrected_ci_upper"]
# per-replicate columns: the models' own measures, then the reclassification differences
_REP = ["c_base", "c_full", "auc_base", "auc_full", "brier_base", "brier_full", "ipa_base",
        "ipa_full", *MEASURES]


@result
class AddedValueResult(Result):
    """Added value of new marker(s) over a base Cox model (see :func:`added_value`).

    ``table`` columns ``measure, base, full, difference, ci_lower, ci_upper, p_value,
    base_corrected, full_corrected, optimism, corrected, corrected_ci_lower,
    corrected_ci_upper`` (see :func:`added_value`).
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
    delta_c_corrected: float
    delta_c_corrected_ci_lower: float
    delta_c_corrected_ci_upper: float
    delta_auc_corrected: float
    delta_auc_corrected_ci_lower: float
    delta_auc_corrected_ci_upper: float
    nri_corrected: float
    idi_corrected: float
    horizon: float
    base_covariates: tuple[str, ...]
    new_covariates: tuple[str, ...]
    conf_level: float
    n_boot: int
    n_boot_success: int
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


class _Refit:
    """Both models' design matrices, refitted on row indices and scored on other rows."""

    def __init__(self, xb: np.ndarray, xf: np.ndarray, time, event, t: float, ties: str):
        self.x = (xb, xf)
        self.time, self.event, self.t, self.ties = time, event, t, ties

    def fit(self, rows: np.ndarray):
        """(lp, risk by t) of both models on every patient, fitted on ``rows``; None when a
        fit fails (singular, non-finite or not converged) — the replicate is left out."""
        out = []
        for x in self.x:
            d = prepare_cox_data(x[rows], self.time[rows], self.event[rows])
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    f = fit_cox_arrays(d, ties=self.ties)
            except (CTCStatsError, ValueError, FloatingPointError, np.linalg.LinAlgError):
                return None
            if not f.converged or f.singular.any() or not np.all(np.isfinite(f.coef)):
                return None
            times, cumhaz = baseline_hazard(d, f.coef, self.ties)
            h0 = cumhaz_at(times, cumhaz, self.t)[0]
            lp = linear_predictor(x - d.means, f.coef)
            with np.errstate(over="ignore"):
                out.append((lp, -np.expm1(-h0 * np.exp(lp))))
        return out


def _loop_refits(xb, xf, tt, ev, t, ties, idx, train, test):
    """The refits replicate by replicate with ``fit_cox_arrays`` (C filled into ``train`` /
    ``test``); returns (ok, W, rb, rf). The reference of :func:`_batch_refits`."""
    n_boot, n = idx.shape
    refit = _Refit(xb, xf, tt, ev, t, ties)
    ok = np.zeros(n_boot, bool)
    W, rb, rf = np.zeros((n_boot, n)), np.zeros((n_boot, n)), np.zeros((n_boot, n))
    for b in range(n_boot):
        i = np.sort(idx[b])
        w = np.bincount(i, minlength=n).astype(float)
        fits = refit.fit(i) if ev[i].any() else None
        if fits is None:
            continue
        ok[b] = True
        (lb, pb), (lf, pf) = fits
        W[b], rb[b], rf[b] = w, pb, pf
        train[b, 0], train[b, 1] = _concordances(tt, ev, lb, lf, w)
        test[b, 0], test[b, 1] = _concordances(tt, ev, lb, lf)
    return ok, W, rb, rf


# The refits of all resamples are one batch_cox_arrays call per model (the resamples as case
# counts, frequency weights: each replicate is fit_cox_arrays on the resampled rows, tested
# to 1e-8), and the C of all replicates one compiled sweep each (bootstrap_concordances). Set to False
# to use the per-replicate loop (_loop_refits; the tests compare both paths).
_USE_BATCH = True


def _batch_refits(xs, tt, ev, t, ties, idx):
    """(ok, W, lp_b, lp_f, risk_b, risk_f), each (B, n) but ok (B,): both models refitted
    on every resample at once by the batch engine, scored on every patient as
    :meth:`_Refit.fit` does (same centring, same baseline hazard of the resample)."""
    from ..batch import batch_cox_arrays

    B, n = idx.shape
    W = bootstrap_counts(idx, n)
    ok = (W * ev).sum(axis=1) > 0
    fits = []
    for x in xs:
        # tt is already timefixed on the whole data; the loop fits the resampled rows as
        # they are (no second timefix), so timefix=False here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = batch_cox_arrays(tt, ev, x, weights=W, frequency=True, ties=ties,
                                 timefix=False)
        ok &= f.converged & ~f.singular.any(axis=1) & np.all(np.isfinite(f.coef), axis=1)
        fits.append(f)
    from .added_value_jit import baseline_hazard_at, centred_lp

    xc = [np.ascontiguousarray(x, float) for x in xs]  # for the row-wise pass only
    lps = [np.zeros((B, n)), np.zeros((B, n))]
    live = np.flatnonzero(ok)
    pos = np.arange(n)
    ones = np.ones(n)
    for b in live:
        rows = np.repeat(pos, W[b].astype(np.int64))  # = np.sort(idx[b]), without a sort
        for m, (x, f) in enumerate(zip(xs, fits, strict=True)):
            # centred at the resample's means exactly as prepare_cox_data(x[rows], ...)
            # (its BLAS column sums), then linear_predictor(x - means, coef) in one pass
            if x.shape[1]:
                centred_lp(x, (ones @ x[rows]) / float(n), f.coef[b], out=lps[m][b],
                           xc=xc[m])
    risks = [np.zeros((B, n)), np.zeros((B, n))]
    if live.size:
        for m in range(2):
            # each replicate's baseline hazard at t in one compiled sweep over the rows
            # sorted by time once (the per-replicate prepare_cox_data + baseline_hazard of
            # the resampled rows is the reference, tested to 1e-12); NaN where not ok
            h0 = baseline_hazard_at(tt, ev, W, lps[m], ok, t, ties)
            # risk = -expm1(-h0 * exp(lp)), computed in place (the same operations)
            r = risks[m]
            with np.errstate(over="ignore"):
                np.exp(lps[m], out=r)
                np.multiply(r, -h0[:, None], out=r)
                np.expm1(r, out=r)
                np.negative(r, out=r)
            r[~ok] = 0.0
    W[~ok] = 0.0
    return ok, W, lps[0], lps[1], risks[0], risks[1]


def _concordances(time, event, lp_b, lp_f, w=None) -> tuple[float, float]:
    """Harrell's C of both linear predictors on the original patients with case counts
    ``w`` (None: each once)."""
    keep = np.ones(time.size, bool) if w is None else w > 0
    if not event[keep].any():
        return float("nan"), float("nan")
    ww = None if w is None else w[keep]
    return (concordance_estimate(lp_b[keep], time[keep], event[keep], weights=ww),
            concordance_estimate(lp_f[keep], time[keep], event[keep], weights=ww))


def _weighted_auc(risk: np.ndarray, wc: np.ndarray, wk: np.ndarray) -> float:
    """Σ_cases Σ_controls wc_i wk_j (1[r_i > r_j] + ½ 1[r_i = r_j]) / (Σ wc Σ wk)."""
    ur, rk = np.unique(risk, return_inverse=True)
    rk = rk.ravel()
    ctrl = np.bincount(rk, weights=wk, minlength=ur.size)
    below = np.concatenate([[0.0], np.cumsum(ctrl)[:-1]])
    num = float(np.sum(wc * (below[rk] + 0.5 * ctrl[rk])))
    den = float(wc.sum() * wk.sum())
    return num / den if den > 0 else float("nan")


def horizon_metrics(lay: HorizonLayout, W: np.ndarray, rb: np.ndarray,
                    rf: np.ndarray, curves=None) -> np.ndarray:
    """(B, 6): auc_base, auc_full, brier_base, brier_full, ipa_base, ipa_full at the horizon
    for each row of case counts ``W`` (B, n) and predicted risks ``rb``/``rf`` (B, n).

    The same estimators as :func:`~ctcstats.prognostic.metrics.time_dependent_auc` and
    :func:`~ctcstats.prognostic.metrics.brier_score` (IPCW with the reverse Kaplan–Meier of
    the sample, prodlim's convention; IPA against the Kaplan–Meier null model) on the sample
    that repeats patient i W[b, i] times, without their standard errors; computed for all
    replicates at once (the metrics' own functions would rebuild and re-validate a data frame
    per replicate). Tested equal to them. ``W`` may be one row (1, n) shared by every
    replicate (each patient once: the curves are then computed once); ``curves``:
    ``lay.curves(W)`` when already computed.
    """
    return horizon_metrics_sets(lay, [(W, curves)], rb, rf)[0]


def horizon_metrics_sets(lay: HorizonLayout, weights, rb: np.ndarray,
                         rf: np.ndarray) -> list[np.ndarray]:
    """:func:`horizon_metrics` under each ``(W, curves or None)`` of ``weights`` (e.g. the
    resamples' case counts and each patient once), with each risk row sorted once for all of
    them; ``rf is rb`` (one model) computes its AUC and Brier score once (copied to both
    columns). Each value is that of a separate :func:`horizon_metrics` call."""
    B = rb.shape[0]
    one = rf is rb
    outs, ipcw = [], []
    buf = np.empty(rb.shape)  # one work array for every Brier sum (no (B, n) temporaries)
    for W, cur in weights:
        out = np.full((B, 6), np.nan)
        km, wc, wk = lay.curves(W) if cur is None else cur
        with np.errstate(divide="ignore", invalid="ignore"):
            # wc = W / G(T_i-) on cases, wk = W / G(t) on controls
            n_w = W.sum(axis=1)
            p0 = 1.0 - km  # null model: the sample's Kaplan–Meier risk

            def brier(p, wc=wc, wk=wk, n_w=n_w):
                # ((wc * (1 - p)**2).sum(1) + (wk * p**2).sum(1)) / n_w, the same
                # operations into one buffer
                b = buf[: max(p.shape[0], wc.shape[0])]
                np.subtract(1.0, p, out=b)
                np.square(b, out=b)
                np.multiply(wc, b, out=b)
                cases = b.sum(axis=1)
                np.square(p, out=b)
                np.multiply(wk, b, out=b)
                return (cases + b.sum(axis=1)) / n_w

            b0 = brier(np.broadcast_to(p0[:, None], W.shape))
            for j, r in enumerate((rb,) if one else (rb, rf)):
                out[:, 2 + j] = brier(r)
                out[:, 4 + j] = np.where(b0 > 0, 1.0 - out[:, 2 + j] / b0, np.nan)
        outs.append(out)
        ipcw.append((wc, wk))
    from .added_value_jit import weighted_aucs_sets

    # the AUC of every replicate in one compiled sort-and-sweep each (_weighted_auc is the
    # numpy reference, tested equal to 1e-12); each risk row sorted once for every weighting
    for j, r in enumerate((rb,) if one else (rb, rf)):
        aucs = weighted_aucs_sets(r, ipcw)
        for out, a in zip(outs, aucs, strict=True):
            out[:, j] = a
    if one:
        for out in outs:
            out[:, 1], out[:, 3], out[:, 5] = out[:, 0], out[:, 2], out[:, 4]
    return outs


def _up_down(pb: np.ndarray, pf: np.ndarray, cutoffs) -> tuple[np.ndarray, np.ndarray]:
    if cutoffs:
        cb = np.searchsorted(cutoffs, pb, side="right")
        cf = np.searchsorted(cutoffs, pf, side="right")
        return (cf > cb).astype(float), (cf < cb).astype(float)
    return (pf > pb).astype(float), (pf < pb).astype(float)


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
    """Does the new marker add to the clinical factors? Nested Cox models compared, apparent
    and corrected for optimism.

    Fits the base Cox model (``base_covariates``) and the full model (``base_covariates +
    new_covariates``) on the same patients and compares them:

    * **likelihood-ratio test** of the nested models — R ``anova(coxph(Surv ~ base),
      coxph(Surv ~ base + new))``: ``lr_statistic = 2·(loglik_full − loglik_base)`` on
      ``lr_df`` = number of new terms. This is the test of added value (Pepe et al. 2013
      show that tests of ΔC or ΔAUC between nested models are invalid/very conservative).
    * **Harrell's C** of each linear predictor (R ``coxph``'s concordance) and ΔC;
    * at ``horizon``: **time-dependent AUC**, **Brier score** and **IPA** of the predicted
      risks ``1 − S(horizon | x)`` (IPCW, as ``riskRegression::Score``) and their differences;
    * **NRI and IDI** (:func:`~ctcstats.prognostic.reclassification.reclassification`; the
      NRI is the sum of its event and non-event parts) and the two **decision curves**
      (:func:`~ctcstats.prognostic.decision.decision_curve`, apparent).

    **Optimism correction** (Harrell 2015 §5.3.4; Steyerberg 2019 §17): in each of
    ``n_boot`` bootstrap samples *both models are refitted*, and every measure is computed
    in the bootstrap sample (``training``) and in the original data (``test``);
    ``optimism = mean(training − test)`` and ``corrected = apparent − optimism`` — the
    arithmetic of ``rms::validate``, applied to each model's C/AUC/Brier/IPA and to the
    differences, NRI and IDI. Under a marker of no value the corrected ΔC, ΔAUC, NRI and IDI
    centre on 0, where the apparent ones are positive. Intervals: ``ci_lower, ci_upper`` are
    percentile intervals of the apparent difference over the refitted resamples (the
    ``training`` values), and ``corrected_ci_lower, corrected_ci_upper`` the same shifted by
    the optimism (Noma et al. 2021's location-shifted bootstrap interval). Replicates whose
    fit fails (singular, e.g. a category absent from the resample, or not converged) are left
    out and counted in ``n_boot_success`` (and a warning).

    The refits of all resamples are done at once by the batch Cox engine
    (:func:`ctcstats.batch.batch_cox_arrays`, each resample given as case counts; each
    replicate equals ``fit_cox`` on the resampled rows, tested to 1e-8) and Harrell's C of all
    replicates by one pair count, with the same results as refitting replicate by replicate.

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
        Bootstrap replicates (0: apparent values only, no correction or intervals).
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
        ``table`` with columns ``measure`` and ``base, full, difference`` (apparent),
        ``ci_lower, ci_upper`` (of the apparent difference), ``p_value`` (the LR test, on
        ``log_likelihood``), ``base_corrected, full_corrected`` (each model's
        optimism-corrected value), ``optimism``, ``corrected`` (the corrected difference)
        and ``corrected_ci_lower, corrected_ci_upper``; rows ``log_likelihood``, ``aic``,
        ``c_index``, ``auc``, ``brier``, ``ipa`` and ``nri, nri_events, nri_nonevents, idi,
        idi_events, idi_nonevents`` (base/full NaN there). ``lr_statistic, lr_df,
        lr_p_value``; ``delta_c`` / ``delta_auc`` (apparent) with intervals and
        ``delta_c_corrected`` / ``delta_auc_corrected`` with theirs; ``nri_corrected``,
        ``idi_corrected``; ``base_fit`` and ``full_fit``
        (:class:`~ctcstats.survival.cox.CoxResult`); ``reclassification`` (apparent, without
        intervals); ``decision`` (apparent decision curves, models ``"base"`` and ``"full"``);
        ``replicates`` (``replicate, sample`` = ``training``/``test``, then ``c_base, c_full,
        auc_base, auc_full, brier_base, brier_full, ipa_base, ipa_full, nri, nri_events,
        nri_nonevents, idi, idi_events, idi_nonevents``); ``n_boot_success``;
        ``plot(ax=)`` draws the decision curves.

    References
    ----------
    Harrell FE Jr (2015). Regression Modeling Strategies, 2nd ed. Springer. §5.3.
    Noma H, Shinozaki T, Iba K, Teramukai S, Furukawa TA (2021). Confidence intervals of
    prediction accuracy measures for multivariable prediction models based on the
    bootstrap-based optimism correction methods. Stat Med 40:5691–5701.
    Pepe MS, Kerr KF, Longton G, Wang Z (2013). Testing for improvement in prediction model
    performance. Stat Med 32:1467–1482.
    Steyerberg EW (2019). Clinical Prediction Models, 2nd ed. Springer. Ch. 15, 17.

    Examples
    --------
    Does CTC add to the clinical factors in a cohort like Janni 2016?

    >>> import ctcstats as cs
    >>> cohort = cs.simulate_cohort("janni2016", rng=1)
    >>> res = cs.added_value(cohort, time_col="dfs_months", event_col="dfs_event",
    ...                      base_covariates=["tumor_size_cm", "node_positive", "grade",
    ...                                       "hr_positive", "her2_positive"],
    ...                      new_covariates=["ctc_positive"], horizon=60, n_boot=20, rng=1)
    >>> bool(res.lr_p_value < 0.001)
    True
    >>> res.table["measure"].tolist()[:4]
    ['log_likelihood', 'aic', 'c_index', 'auc']
    >>> bool(res.delta_c_corrected < res.delta_c)
    True
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
    # not canonical=True: base_fit and full_fit are returned with the caller's rows in the
    # caller's order; the bootstrap replicates are bitwise row-order independent anyway
    # (drawn on the canonical order), the apparent values equal to the last bits (~1e-13)
    frame = prep.frame
    tt = merge_times(check_time_column(frame, time_col, role="time_col")).time
    ev = check_event_column(frame, event_col, role="event_col")
    t = check_horizon(horizon, tt, ev, func=func)
    cut: tuple[float, ...] = () if cutoffs is None else tuple(float(c) for c in cutoffs)
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
    app = np.full(8, np.nan)
    app[0], app[1] = _concordances(tt, ev, lp_b, lp_f)
    app[2] = _horizon(time_dependent_auc, tt, ev, r_b, t)[0]
    app[3] = _horizon(time_dependent_auc, tt, ev, r_f, t)[0]
    app[4], app[6] = _horizon(brier_score, tt, ev, r_b, t)
    app[5], app[7] = _horizon(brier_score, tt, ev, r_f, t)

    # ---- reclassification (apparent; its intervals come from the refits below) and
    # decision curves
    rframe = pd.DataFrame({"time": tt, "event": ev, "base": r_b, "full": r_f})
    with capture() as caught:
        recl: ReclassificationResult = reclassification(
            rframe, time_col="time", event_col="event", base_risk_col="base",
            risk_col="full", horizon=t, cutoffs=cutoffs, n_boot=0, conf_level=cl)
        dec = decision_curve(rframe, time_col="time", event_col="event",
                             risk_cols=["base", "full"], horizon=t)
    msgs.extend(caught.records())
    app_recl = recl.table.set_index("measure").loc[MEASURES, "estimate"].to_numpy(float)

    # ---- optimism: both models refitted in each bootstrap sample (Harrell)
    train = np.full((n_boot, len(_REP)), np.nan)
    test = np.full((n_boot, len(_REP)), np.nan)
    ok = np.zeros(n_boot, bool)
    if n_boot:
        xb = design_matrix(frame, base, func=func)[0]
        xf = design_matrix(frame, base + new, func=func)[0]
        idx = bootstrap_positions(gen, frame, n_boot)  # canonical order: row order irrelevant
        if _USE_BATCH:
            ok, W, lb, lf, rb, rf = _batch_refits((xb, xf), tt, ev, t, ties, idx)
            if ok.any():
                train[ok, 0], test[ok, 0] = bootstrap_concordances(lb[ok], tt, ev, W[ok])
                train[ok, 1], test[ok, 1] = bootstrap_concordances(lf[ok], tt, ev, W[ok])
        else:  # the per-replicate refits (the reference the batch path is tested against)
            ok, W, rb, rf = _loop_refits(xb, xf, tt, ev, t, ties, idx, train, test)
        if ok.any():
            lay = HorizonLayout(tt, ev, t)
            if not ok.all():
                W, rb, rf = W[ok], rb[ok], rf[ok]
            # the test sample (each patient once) is the same for every replicate: its
            # curves are computed once, as one row of weights shared by all
            ones = np.ones((1, W.shape[1]))
            cw, cu = lay.curves(W), lay.curves(ones)
            train[ok, 2:8], test[ok, 2:8] = horizon_metrics_sets(
                lay, [(W, cw), (ones, cu)], rb, rf)
            up, down = _up_down(rb, rf, cut)
            with np.errstate(divide="ignore", invalid="ignore"):
                train[ok, 8:] = reclassification_measures(lay, W, up, down, rb, rf, cw)
                test[ok, 8:] = reclassification_measures(lay, ones, up, down, rb, rf, cu)
        failed = int(n_boot - ok.sum())
        if failed:
            msgs.append(Recorded(
                f"{failed} of {n_boot} bootstrap refits failed (a covariate level absent or "
                "constant in the resample, no events, or no convergence) and were left out "
                "of the optimism correction.", DataWarning))
        bad = int(np.sum(ok & ~np.isfinite(np.hstack([train, test])).all(axis=1)))
        if bad:
            msgs.append(Recorded(f"{bad} of {n_boot} bootstrap replicates had a measure "
                                 "that could not be computed (e.g. no events by the horizon) "
                                 "and were left out of that measure's correction and "
                                 "interval.", DataWarning))
    nan = float("nan")

    def opt(col: np.ndarray) -> float:
        col = col[np.isfinite(col)]
        return float(col.mean()) if col.size else nan

    def row(name: str, base_v: float, full_v: float, diff: float,
            d_train: np.ndarray, d_test: np.ndarray, jb: int | None = None,
            jf: int | None = None) -> tuple:
        o = opt(d_train - d_test)
        lo, hi = _percentile(d_train, cl)
        bc = base_v - opt(train[:, jb] - test[:, jb]) if jb is not None else nan
        fc = full_v - opt(train[:, jf] - test[:, jf]) if jf is not None else nan
        return (name, base_v, full_v, diff, lo, hi, nan, bc, fc, o, diff - o, lo - o, hi - o)

    k_b = float(np.isfinite(fb.table["coef"]).sum())
    k_f = float(np.isfinite(ff.table["coef"]).sum())
    aic_b, aic_f = -2 * fb.loglik + 2 * k_b, -2 * ff.loglik + 2 * k_f
    rows = [
        ("log_likelihood", fb.loglik, ff.loglik, ff.loglik - fb.loglik, nan, nan, p_lr,
         *([nan] * 6)),
        ("aic", aic_b, aic_f, aic_f - aic_b, *([nan] * 9)),
    ]
    for m, name in enumerate(("c_index", "auc", "brier", "ipa")):
        jb, jf = 2 * m, 2 * m + 1
        rows.append(row(name, app[jb], app[jf], app[jf] - app[jb],
                        train[:, jf] - train[:, jb], test[:, jf] - test[:, jb], jb, jf))
    for k, name in enumerate(MEASURES):
        rows.append(row(name, nan, nan, app_recl[k], train[:, 8 + k], test[:, 8 + k]))
    table = pd.DataFrame(rows, columns=_TABLE)
    table[_TABLE[1:]] = table[_TABLE[1:]].astype(float)
    reps = pd.concat([pd.DataFrame(train, columns=_REP).assign(sample="training"),
                      pd.DataFrame(test, columns=_REP).assign(sample="test")])
    reps.insert(0, "replicate", np.concatenate([np.arange(n_boot)] * 2))
    reps = reps[["replicate", "sample", *_REP]].sort_values(
        ["replicate", "sample"], ascending=[True, False], kind="mergesort").reset_index(drop=True)
    messages = emit(msgs)  # re-issue what the fits and metrics raised (captured above)
    tab = table.set_index("measure")
    c, a = tab.loc["c_index"], tab.loc["auc"]
    return AddedValueResult(
        table=table, lr_statistic=float(lr), lr_df=df, lr_p_value=p_lr,
        delta_c=float(c["difference"]), delta_c_ci_lower=float(c["ci_lower"]),
        delta_c_ci_upper=float(c["ci_upper"]), delta_auc=float(a["difference"]),
        delta_auc_ci_lower=float(a["ci_lower"]), delta_auc_ci_upper=float(a["ci_upper"]),
        delta_c_corrected=float(c["corrected"]),
        delta_c_corrected_ci_lower=float(c["corrected_ci_lower"]),
        delta_c_corrected_ci_upper=float(c["corrected_ci_upper"]),
        delta_auc_corrected=float(a["corrected"]),
        delta_auc_corrected_ci_lower=float(a["corrected_ci_lower"]),
        delta_auc_corrected_ci_upper=float(a["corrected_ci_upper"]),
        nri_corrected=float(tab.loc["nri", "corrected"]),
        idi_corrected=float(tab.loc["idi", "corrected"]),
        horizon=t, base_covariates=tuple(base), new_covariates=tuple(new),
        conf_level=cl, n_boot=n_boot, n_boot_success=int(ok.sum()), base_fit=fb, full_fit=ff,
        reclassification=recl, decision=dec, replicates=reps, n_obs=prep.n_obs,
        n_events=int(ev.sum()), n_dropped=prep.n_dropped, warnings=messages)
