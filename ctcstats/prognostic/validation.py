"""Internal and external validation of prognostic models.

* :func:`validate_model` — Harrell/Efron bootstrap optimism correction (R ``rms::validate``)
  or repeated k-fold cross-validation, for any model of :mod:`ctcstats.prognostic.models` (or a
  ``Pipeline`` ending in one).
* :func:`external_validation` — discrimination, calibration and overall accuracy of a model
  fitted on one cohort, in another.

The indexes follow ``rms::validate.cph``: Somers' ``dxy`` = 2(C − 0.5) with C Harrell's
concordance (R ``coxph``'s), Nagelkerke's ``r2``, the calibration ``slope`` (Cox regression of
the outcome on the model's linear predictor), ``d`` (discrimination), ``u`` (unreliability),
``q = d − u`` and ``g`` (Gini's mean difference of the linear predictor); we add Harrell's
``c_index`` and, at the prediction ``horizon``, the IPCW ``brier`` score and time-dependent ``auc``
(as ``riskRegression::Score``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._results import Result, result
from .._typing import RandomState
from .._validation import (
    bootstrap_counts,
    bootstrap_positions,
    canonical_order,
    check_choice,
    check_conf_level,
    check_event_column,
    check_int,
    check_rng,
    check_time_column,
    prepare_frame,
)
from .._warnings import capture
from ..errors import (
    ConvergenceWarning,
    CTCStatsError,
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
)
from ..survival._core.concordance import bootstrap_concordances, concordance
from ..survival._core.cox import (
    baseline_hazard,
    cox_derivatives,
    fit_cox_arrays,
    linear_predictor,
    lp_center,
    prepare_cox_data,
)
from ..survival._core.ties import MergedTimes, merge_message, merge_times, no_subset_merges
from ._metrics_common import RISK_CLIP, final_step
from .calibration import CalibrationResult, calibration
from .metrics import brier_score, concordance_index, time_dependent_auc
from .models import CoxModel, predict_risk

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ValidationResult", "ExternalValidationResult", "validate_model",
           "external_validation"]

INDEXES = ("dxy", "c_index", "r2", "slope", "d", "u", "q", "g", "brier", "auc")
_CLIP = RISK_CLIP  # the one rule for risks of exactly 0 or 1 (see clip_risks)
_FIT_ERRORS = (CTCStatsError, ValueError, FloatingPointError, np.linalg.LinAlgError)


# =========================================================================== results
@result
class ValidationResult(Result):
    """Internal validation of a prognostic model (see :func:`validate_model`).

    ``table`` (method ``"bootstrap"``): ``index, apparent, training, test, optimism,
    corrected, n`` as ``rms::validate``; (method ``"cv"``): ``index, mean, std, n``.
    ``replicates`` has one row per bootstrap replicate (``replicate, sample, <indexes>``
    with ``sample`` ``training``/``test``) or per fold (``repeat, fold, <indexes>``).
    """

    _title: ClassVar[str] = "Internal validation of a prognostic model"

    table: pd.DataFrame
    method: str
    horizon: float
    n_boot: int
    n_folds: int
    n_repeats: int
    n_success: int
    replicates: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]


@result
class ExternalValidationResult(Result):
    """Performance of a fitted model in another cohort (see :func:`external_validation`).

    ``table`` columns ``measure, estimate, std_error, ci_lower, ci_upper``; ``calibration``
    holds the full :class:`~ctcstats.prognostic.calibration.CalibrationResult`.
    """

    _title: ClassVar[str] = "External validation of a prognostic model"

    table: pd.DataFrame
    horizon: float
    conf_level: float
    calibration: Any
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]

    def plot(self, ax: Axes | None = None) -> Axes:
        """Calibration plot of the validation cohort (predicted vs observed risk at the horizon)."""
        cal: CalibrationResult = self.calibration
        return cal.plot(ax=ax)


# =========================================================================== indexes
def gini_md(x: np.ndarray) -> float:
    """Gini's mean difference, ``Hmisc::GiniMd``: mean |x_i − x_j| over pairs i ≠ j."""
    return _gini_sorted(np.sort(np.asarray(x, dtype=float)))


def _gini_scaled(slope: float, xs: np.ndarray) -> float:
    """``gini_md(slope * x)`` given ``xs`` = x sorted: a finite non-zero slope keeps (or
    reverses) the order, so no second sort."""
    if np.isfinite(slope) and slope > 0:
        return _gini_sorted(slope * xs)
    if np.isfinite(slope) and slope < 0:
        return _gini_sorted(np.ascontiguousarray((slope * xs)[::-1]))
    return gini_md(slope * xs)


def _gini_sorted(x: np.ndarray) -> float:
    """:func:`gini_md` of ``x`` already sorted ascending (a contiguous array)."""
    n = x.size
    if n < 2:
        return float("nan")
    w = 4.0 * (np.arange(1, n + 1) - (n - 1) / 2) / n / (n - 1)
    return float(np.sum(w * (x - x.mean())))


def _is_cox(model) -> bool:
    return isinstance(final_step(model), CoxModel)


def _scores(model, X, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ranking score, linear score, risk at t) of a fitted model.

    For a Cox model both scores are its linear predictor; otherwise the ranking score is the
    predicted risk and the linear score cloglog(risk) (risk clipped to [1e-12, 1 - 1e-12]),
    the scale on which a Cox model's risk at t is linear in its linear predictor.
    """
    risk = predict_risk(model, X, t)
    if _is_cox(model):
        lp = np.asarray(model.predict(X), dtype=float)
        return lp, lp, risk
    r = np.clip(risk, _CLIP, 1 - _CLIP)
    return risk, np.log(-np.log1p(-r)), risk


def _metric_frame(time, event, risk):
    return pd.DataFrame({"time": time, "event": event, "risk": risk})


def _horizon_metric(fn, frame, t) -> float:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(fn(frame, time_col="time", event_col="event", risk_col="risk",
                            horizon=t).estimate)
    except CTCStatsError:
        return float("nan")


def _varies(x: np.ndarray) -> bool:
    """``np.unique(x).size > 1`` (NaNs count as one value) without sorting."""
    x = np.asarray(x)
    if x.size < 2:
        return False
    nan = np.isnan(x)
    if nan.all():
        return False
    if nan.any():
        return True
    return bool(x.min() < x.max())


def _indexes(score, lin, risk, time, event, t, own_fit: tuple[float, float] | None,
             slope_fit: tuple[float, float, float, float] | None = None, *,
             horizon: bool = True, c_index: float | None = None,
             lin_sorted: np.ndarray | None = None) -> np.ndarray:
    """The validation indexes of one evaluation (rms ``discrim`` of ``validate.cph``).

    ``own_fit = (loglik, loglik_null)`` of a Cox model evaluated on its own training data
    (rms' ``evalfit = TRUE``: slope 1, U = −2/L0, LR of the model itself); otherwise the
    outcome is regressed on the linear score (Cox model) to get the slope, LR and U —
    ``slope_fit = (slope, loglik, loglik_null, loglik at slope 1)`` of that regression when it
    was already fitted (by the batch engine, for all bootstrap replicates at once).
    ``c_index``: Harrell's C of ``score`` when already computed (the batch path computes
    every replicate's in one compiled sweep; bitwise the value computed here).
    ``lin_sorted``: ``np.sort(lin)`` when already known (Gini's mean difference then does
    not sort again).
    """
    n = time.size
    out = dict.fromkeys(INDEXES, np.nan)
    if _varies(score) and event.any():
        c = (concordance(score, time, event, std_error=False)[0]  # C only: no SE
             if c_index is None else c_index)
        out["c_index"] = c
        out["dxy"] = 2.0 * (c - 0.5)
        if own_fit is not None:
            ll, ll0 = own_fit
            lr = 2.0 * (ll - ll0)
            l0 = -2.0 * ll0
            slope, u = 1.0, -2.0 / l0
            g = gini_md(lin) if lin_sorted is None else _gini_sorted(lin_sorted)
        else:
            if slope_fit is None:
                fit = fit_cox_arrays(lin[:, None], time, event, ties="efron")
                ll_frozen = cox_derivatives(fit.data, np.array([1.0]), "efron")[0]
                slope_fit = (float(fit.coef[0]), fit.loglik, fit.loglik_null, ll_frozen)
            slope, ll_fit, ll_null, ll_frozen = slope_fit
            lr = 2.0 * (ll_fit - ll_null)
            l0 = -2.0 * ll_null
            u = -2.0 * (ll_frozen - ll_fit) / l0
            g = gini_md(slope * lin) if lin_sorted is None else _gini_scaled(slope, lin_sorted)
        out.update(slope=slope, d=(lr - 1.0) / l0, u=u, q=(lr - 1.0) / l0 - u, g=g,
                   r2=(1.0 - np.exp(-lr / n)) / (1.0 - np.exp(-l0 / n)))
    else:  # rms: a constant predictor has Dxy 0, slope 1, D = U = R2 = 0
        out.update(dxy=0.0, c_index=0.5, slope=1.0, d=0.0, u=0.0, q=0.0, r2=0.0, g=0.0)
    if horizon:  # else left NaN: the batch path computes them for all replicates at once
        frame = _metric_frame(time, event, risk)
        out["brier"] = _horizon_metric(brier_score, frame, t)
        out["auc"] = _horizon_metric(time_dependent_auc, frame, t)
    return np.array([out[k] for k in INDEXES], dtype=float)


def _evaluate(model, X, time, event, t, *, own: bool, slope_fit=None,
              horizon: bool = True, c_index: float | None = None) -> np.ndarray:
    score, lin, risk = _scores(model, X, t)
    own_fit = None
    if own and _is_cox(model):
        fin = final_step(model)
        own_fit = (fin.loglik_, fin.loglik_null_)
    return _indexes(score, lin, risk, time, event, t, own_fit, slope_fit, horizon=horizon,
                    c_index=c_index)


# =========================================================================== helpers
def _seeded_clone(model, seed: int):
    """Clone, giving every unset ``random_state`` parameter a pre-drawn seed (reproducible
    for the same ``rng`` whatever ``n_jobs``)."""
    m = clone(model)
    params = m.get_params(deep=True)
    upd = {k: int(seed) for k, v in params.items()
           if (k == "random_state" or k.endswith("__random_state")) and v is None}
    if upd:
        m.set_params(**upd)
    return m


def _fit_quietly(model, X, y) -> tuple[Any, list[tuple[type, str]]]:
    with capture() as caught:
        model.fit(X, y)
    return model, [(w.category, w.message) for w in caught]


def _prepare(data, func, time_col, event_col, covariates, missing, canonical=False):
    if isinstance(covariates, str) or not isinstance(covariates, Sequence) or not covariates:
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a non-empty list of column names; "
            f"got {covariates!r}.")
    prep = prepare_frame(data, func=func, roles={"time_col": time_col, "event_col": event_col,
                                                 "covariates": list(covariates)},
                         missing=missing, canonical=canonical)
    frame = prep.frame
    merged = merge_times(check_time_column(frame, time_col, role="time_col"))
    time = merged.time
    tie = merge_message(merged.n_merged, time_col)
    if tie:  # the survival core's one tie rule; issued once here and recorded on the result
        warnings.warn(tie, DataWarning, stacklevel=3)
        prep = dataclasses.replace(prep, notes=(*prep.notes, tie))
    event = check_event_column(frame, event_col, role="event_col")
    X = frame.loc[:, list(covariates)]
    y = pd.DataFrame({"time": time, "event": event}, index=frame.index)
    return prep, X, y, time, event


def _check_time(t, time, event, func):
    from ._metrics_common import check_horizon

    return check_horizon(t, time, event, func=func)


def _warn_summary(notes: list[tuple[type, str]], n_failed: int, total: int, what: str,
                  failures: list[str]) -> list[tuple[type, str]]:
    msgs: list[tuple[type, str]] = []
    if n_failed:
        ex = f" (e.g. {failures[0]})" if failures else ""
        msgs.append((DataWarning, f"{n_failed} of {total} {what} could not be fitted{ex} and "
                     "were left out."))
    if notes:
        cls = ConvergenceWarning if any(issubclass(c, ConvergenceWarning) for c, _ in notes) \
            else DataWarning
        msgs.append((cls, f"{len(notes)} warnings were raised while fitting the {what} "
                     f"(first: {notes[0][1]})."))
    return msgs


# =========================================================================== bootstrap
def _boot_one(model, X, y, time, event, t, idx, seed):
    try:
        m, notes = _fit_quietly(_seeded_clone(model, seed), X.iloc[idx], y.iloc[idx])
        train = _evaluate(m, X.iloc[idx], time[idx], event[idx], t, own=True)
        test = _evaluate(m, X, time, event, t, own=False)
    except _FIT_ERRORS as exc:
        return None, [], f"{type(exc).__name__}: {exc}"
    return (train, test), notes, None


# The bootstrap of a plain CoxModel fits all replicates' coefficients at once with the batch
# engine (ctcstats.batch.batch_cox, each replicate = R coxph.fit on the resample, the
# resample given as case counts) and regresses the outcome on every replicate's test linear
# predictor at once; the replicates are then evaluated one by one exactly as _boot_one does.
# Set to False to force the per-replicate refits (the tests compare both paths).
_USE_BATCH = True


def _batchable(model) -> bool:
    try:
        return (type(model) is CoxModel and model.ties in ("efron", "breslow")
                and float(model.penalizer) == 0.0)
    except (TypeError, ValueError):
        return False


def _cox_replicate(model, names, Xb, tb, eb, fit, baseline=None, center=None):
    """A fitted CoxModel for one replicate of the batch fit (``fit``: that replicate's
    arrays): the checks, warnings and attributes of :meth:`CoxModel.fit` on the resample
    (rows ``Xb``, ``tb``, ``eb``), with the coefficients from the batch engine. Returns
    (model, notes) or raises as fit does. ``baseline(means, coef)``, when given, computes
    the baseline hazard of the resample (compiled, on the original rows sorted once) instead
    of ``prepare_cox_data`` + ``baseline_hazard`` of the resampled rows (the reference).
    ``center``: ``lp_center(Xb)`` when already computed."""
    func = "CoxModel.fit"
    if eb.sum() == 0:
        raise DataValidationError(
            f"{func}: y has no events (all {eb.size} rows censored); a Cox model needs "
            "events.")
    const = [nm for j, nm in enumerate(names) if np.all(Xb[:, j] == Xb[0, j])]
    if const:
        raise DataValidationError(
            f"{func}: features {const} are constant in the training data; their effect "
            "cannot be estimated — remove them.")
    if fit["singular"].any():
        bad = [nm for nm, s in zip(names, fit["singular"], strict=True) if s]
        raise DataValidationError(
            f"{func}: features {bad} are collinear with the others (information matrix "
            "singular); remove the redundant features.")
    coef = fit["coef"].copy()
    if not np.all(np.isfinite(coef)):
        raise DataValidationError(
            f"{func}: the fit produced non-finite coefficients; check for separation or "
            "features on very large scales.")
    notes: list[tuple[type, str]] = []
    if fit["maybe_infinite"].any():
        bad = [nm for nm, f in zip(names, fit["maybe_infinite"], strict=True) if f]
        notes.append((MonotoneLikelihoodWarning,
                      f"{func}: monotone likelihood — the coefficient of {bad} may be infinite "
                      "(e.g. no events in one level); use penalizer > 0 or fit_cox(firth=True)."))
    if not fit["converged"]:
        notes.append((ConvergenceWarning,
                      f"{func} did not converge in 20 Newton–Raphson iterations; the estimates "
                      "may be unusable — rescale the features or check for separation."))
    if baseline is None:
        d = prepare_cox_data(Xb, tb, eb)
        means = d.means
        times, cumhaz = baseline_hazard(d, coef, model.ties)
    else:  # the centring of prepare_cox_data, exactly
        w = np.ones(Xb.shape[0])
        means = (w @ Xb) / w.sum() if Xb.shape[1] else np.zeros(0)
        times, cumhaz = baseline(means, coef)
    m = clone(model)
    m.feature_names_in_ = np.asarray(names, dtype=object)
    m.n_features_in_ = Xb.shape[1]
    m.coef_ = coef
    m.std_error_ = fit["std_error"].copy()
    m.covariance_ = fit["var"].copy()
    m.means_ = means.copy()
    m.lp_center_ = lp_center(Xb) if center is None else center
    m.baseline_times_ = times
    m.baseline_cumulative_hazard_ = cumhaz
    m.loglik_ = float(fit["loglik"])
    m.loglik_null_ = float(fit["loglik_null"])
    m.n_events_ = int(eb.sum())
    m.n_iter_ = int(fit["n_iter"])
    m.converged_ = bool(fit["converged"])
    m.time_max_ = float(tb.max())
    return m, notes


def _boot_train_one(model, names, Xa, time, event, t, ib, fit_r, order=None, c_index=None,
                    no_merges=False, counts=None, lp=None, Xc=None, lp_order=None,
                    center=None):
    """Replicate ``fit_r`` of the batch fit as a CoxModel, evaluated in its resample ``ib``.
    ``lp``: its linear predictor of every patient (``CoxModel.predict(Xa)``) when already
    computed — the resample's are then ``lp[ib]`` (the same row-wise arithmetic, bitwise
    ``predict(Xa[ib])``) instead of predicting the resampled rows again. ``Xc``: ``Xa``
    C-contiguous, for the compiled linear predictor of the baseline hazard. ``lp_order``:
    ``np.argsort(lp)`` — the resample's sorted linear predictor (for Gini's mean
    difference) is then lp in that order, each repeated by its case count. ``center``:
    ``lp_center(Xa[ib])``, when already computed."""
    Xb, eb = Xa[ib], event[ib]
    # merge_times returns its input unchanged when nothing merges: skipped when no resample
    # can merge (checked once on the whole data)
    merged = MergedTimes(time[ib], None, 0) if no_merges else merge_times(time[ib])
    baseline = None
    if order is not None and merged.n_merged == 0:  # else the reference path
        from .added_value_jit import baseline_hazard_curve

        if counts is None:  # the resample's case counts on the original rows
            counts = np.bincount(ib, minlength=time.size).astype(float)

        def baseline(means, coef):
            if Xc is None:
                lp0 = linear_predictor(Xa - means, coef)
            else:  # the same values in one pass (Xc: Xa C-contiguous)
                from .added_value_jit import centred_lp

                lp0 = centred_lp(Xa, means, coef, xc=Xc)
            return baseline_hazard_curve(order, time, event, counts, lp0, model.ties)
    try:
        m, notes = _cox_replicate(model, names, Xb, merged.time, eb, fit_r, baseline, center)
        if lp is None:
            train = _evaluate(m, Xb, time[ib], eb, t, own=True, horizon=False,
                              c_index=c_index)
        else:  # _evaluate(own=True, horizon=False) of a Cox model, without predicting again
            predict_risk(m, Xb[:1], t)  # its horizon check (raises as _evaluate would)
            lb = lp[ib]
            srt = None
            if lp_order is not None and counts is not None:
                srt = np.repeat(lp[lp_order], counts[lp_order].astype(np.int64))
            train = _indexes(lb, lb, None, time[ib], eb, t, (m.loglik_, m.loglik_null_),
                             horizon=False, c_index=c_index, lin_sorted=srt)
    except _FIT_ERRORS as exc:
        return None, [], f"{type(exc).__name__}: {exc}"
    return (m, train), notes, None


def _boot_batch_train(model, X, time, event, t, idx, par):
    """Batch-fit the bootstrap replicates of a plain CoxModel and evaluate each in its own
    resample; returns the feature array, per replicate ((model, train), notes, error), the
    C of each replicate in all patients and the resamples' case counts (B, n)."""
    from ..batch import batch_cox_arrays

    Xa = X.to_numpy(dtype=float)
    names = [str(c) for c in X.columns]
    B, n = idx.shape
    counts = bootstrap_counts(idx, n)
    # time is already timefixed on the whole data; batch_cox_arrays re-applies R's timefix on
    # each resample, as CoxModel.fit does on its y
    fit = batch_cox_arrays(time, event, Xa, weights=counts, frequency=True, ties=model.ties)
    keys = ("coef", "std_error", "var", "loglik", "loglik_null", "n_iter", "converged",
            "singular", "maybe_infinite")
    from .added_value_jit import time_order

    order = time_order(time)  # the rows by time once, for every replicate's baseline hazard
    # Harrell's C of every replicate's linear predictor (CoxModel.predict: centred at
    # lp_center of the resample) in its resample (case counts) and in all patients, one
    # compiled sweep per replicate; bitwise the C of _indexes' concordance() calls
    from .added_value_jit import centred_lp

    Xc = np.ascontiguousarray(Xa)  # for the row-wise pass only (Xa keeps its layout)
    S = np.empty((B, n))
    # each resample's centring, computed once for its linear predictor here and its model's
    # lp_center_ (_cox_replicate computed it a second time: 200 x 0.4 ms, paddy)
    centers = [lp_center(Xa[idx[r]]) for r in range(B)]
    with np.errstate(invalid="ignore", over="ignore"):
        for r in range(B):  # linear_predictor(Xa - lp_center(Xa[idx[r]]), coef) in one pass
            centred_lp(Xa, centers[r], fit.coef[r], out=S[r], xc=Xc)
    finite = np.isfinite(S).all(axis=1)
    # failed fits (non-finite coef) are dropped later; their C is computed on zeros
    Sc = S if finite.all() else np.where(np.isfinite(S), S, 0.0)
    # each row's order, for its C and the Gini mean differences (sorted once)
    from ..survival._core._concordance_jit import row_orders

    SO = row_orders(Sc)
    c_train, c_test = bootstrap_concordances(Sc, time, event, counts, orders=SO)
    no_merges = no_subset_merges(time)
    # each replicate's linear predictor S[r] is CoxModel.predict of its model on every
    # patient (bitwise): reused for its evaluation in the resample and in all patients
    out = par(delayed(_boot_train_one)(model, names, Xa, time, event, t, idx[r],
                                       {k: getattr(fit, k)[r] for k in keys}, order,
                                       float(c_train[r]), no_merges, counts[r],
                                       S[r] if finite[r] else None, Xc, SO[r], centers[r])
              for r in range(B))
    return Xa, out, c_test, counts, np.where(finite[:, None], S, np.nan), SO


def _boot_batch_slopes(models, Xa, time, event, lins=None):
    """(slope, loglik, loglik_null, loglik at slope 1) of the Cox regression of the outcome
    on each model's linear predictor in the original data — ``_indexes``' per-replicate
    ``fit_cox_arrays`` / ``cox_derivatives``, for all replicates at once. ``lins``: the
    models' linear predictors (``predict(Xa)``, one row per model) when already computed."""
    from ..batch import batch_cox_arrays, batch_cox_loglik

    if lins is None:
        lins = np.stack([linear_predictor(Xa - m.lp_center_, m.coef_) for m in models])
    fit = batch_cox_arrays(time, event, lins[:, :, None], ties="efron", timefix=False)
    frozen = batch_cox_loglik(time, event, lins[:, :, None], np.ones((len(models), 1)),
                              ties="efron", timefix=False)
    return [(float(fit.coef[r, 0]), float(fit.loglik[r]), float(fit.loglik_null[r]),
             float(frozen[r])) for r in range(len(models))]


def _boot_test_one(m, Xa, time, event, t, slope_fit, c_index=None, lp=None,
                   lp_order=None):
    """The evaluation of replicate model ``m`` in all patients; ``lp``: ``m.predict(Xa)``
    when already computed (then not predicted again), ``lp_order`` its argsort."""
    try:
        if lp is not None:  # _evaluate(own=False, horizon=False) of a Cox model
            srt = None if lp_order is None else lp[lp_order]
            return _indexes(lp, lp, None, time, event, t, None, slope_fit, horizon=False,
                            c_index=c_index, lin_sorted=srt), None
        return _evaluate(m, Xa, time, event, t, own=False, slope_fit=slope_fit,
                         horizon=False, c_index=c_index), None
    except _FIT_ERRORS as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _boot_batch(model, X, time, event, t, idx, par):
    """The bootstrap replicates of a plain CoxModel via the batch engine; the same
    ``(result, notes, error)`` per replicate as :func:`_boot_one`."""
    Xa, trained, c_test, counts, S, SO = _boot_batch_train(model, X, time, event, t, idx,
                                                           par)
    live = [k for k, o in enumerate(trained) if o[0] is not None]
    if not live:
        return trained
    models = [trained[k][0][0] for k in live]
    # S[k] = models[k].predict(Xa) bitwise (NaN rows: not finite, predicted again)
    lins = S[live]
    fin = np.isfinite(lins).all(axis=1)
    if not fin.all():
        lins = np.stack([lins[j] if fin[j] else linear_predictor(Xa - m.lp_center_, m.coef_)
                         for j, m in enumerate(models)])
    slopes = _boot_batch_slopes(models, Xa, time, event, lins)
    tests = par(delayed(_boot_test_one)(m, Xa, time, event, t, sf, float(c_test[k]),
                                        lins[j] if fin[j] else None, SO[k])
                for j, (k, m, sf) in enumerate(zip(live, models, slopes, strict=True)))
    _batch_horizon(models, [trained[k][0][1] for k in live], [tests[j][0] for j in
                   range(len(live))], Xa, time, event, t, counts[live])
    out = list(trained)
    for k, (test, err) in zip(live, tests, strict=True):
        (_, train), notes, _ = trained[k]
        out[k] = (None, [], err) if test is None else ((train, test), notes, None)
    return out


def _batch_horizon(models, trains, tests, Xa, time, event, t, W) -> None:
    """Fill the Brier score and AUC at ``t`` of every replicate's training (its resample, as
    case counts ``W``) and test (every patient once) evaluation, for all replicates at once with
    added_value's vectorised estimators (equal to brier_score / time_dependent_auc on the
    resampled rows to 1e-10; tested)."""
    from .added_value import horizon_metrics_sets
    from .reclassification import HorizonLayout

    risk = np.stack([predict_risk(m, Xa, t) for m in models])
    lay = HorizonLayout(time, event, t)
    jb, ja = INDEXES.index("brier"), INDEXES.index("auc")
    # the test sample (each patient once) as one row of weights shared by every replicate;
    # one model: horizon_metrics_sets computes its AUC / Brier once (rf is rb)
    hms = horizon_metrics_sets(lay, [(W, None), (np.ones((1, W.shape[1])), None)], risk, risk)
    for rows, hm in zip((trains, tests), hms, strict=True):  # auc at 0, brier at 2
        for r, v in enumerate(rows):
            if v is not None:
                v[jb], v[ja] = hm[r, 2], hm[r, 0]


def _cv_one(model, X, y, time, event, t, tr, te, seed):
    try:
        m, notes = _fit_quietly(_seeded_clone(model, seed), X.iloc[tr], y.iloc[tr])
        res = _evaluate(m, X.iloc[te], time[te], event[te], t, own=False)
    except _FIT_ERRORS as exc:
        return None, [], f"{type(exc).__name__}: {exc}"
    return res, notes, None


def validate_model(
    model: Any,
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    horizon: float,
    n_boot: int = 200,
    method: Literal["bootstrap", "cv"] = "bootstrap",
    n_folds: int = 5,
    n_repeats: int = 10,
    rng: RandomState = None,
    n_jobs: int = 1,
    missing: Literal["raise", "drop"] = "raise",
) -> ValidationResult:
    """Internal validation: bootstrap optimism correction (rms::validate) or repeated CV.

    ``method="bootstrap"`` (Harrell 2015, §5.3; Efron's optimism): the model is refitted in
    ``n_boot`` bootstrap samples; each refit is evaluated in its bootstrap sample
    (``training``) and in the original data (``test``); ``optimism = mean(training) −
    mean(test)`` and ``corrected = apparent − optimism``, exactly the arithmetic of
    ``rms::validate(cph(..., x=TRUE, y=TRUE), B=n_boot)``. ``method="cv"``: repeated,
    event-stratified k-fold cross-validation; each fold's model is evaluated in the held-out
    fold.

    Parameters
    ----------
    model : estimator
        A :class:`~ctcstats.prognostic.models.CoxModel`, ``IPCWClassifier``,
        ``IPCWLogisticModel`` or a ``Pipeline`` ending in one (cloned, never modified).
    data : DataFrame
    time_col, event_col : str
    covariates : list of str
        Columns passed to the model as ``X`` (a DataFrame).
    horizon : float
        Prediction horizon of the Brier score and AUC (and of the risk of IPCW models).
    n_boot : int, default 200
        Bootstrap replicates (method ``"bootstrap"``).
    method : {"bootstrap", "cv"}
    n_folds, n_repeats : int, default 5, 10
        Folds and repetitions (method ``"cv"``).
    rng : int, Generator or None
        Seed; the bootstrap indices, the folds and a seed per replicate (given to any unset
        ``random_state`` of the model, e.g. a random forest) are drawn up front, so the
        result is identical for the same seed whatever ``n_jobs``.
    n_jobs : int, default 1
        Parallel workers (joblib).
    missing : {"raise", "drop"}

    Returns
    -------
    ValidationResult
        ``table``: for the bootstrap ``index, apparent, training, test, optimism,
        corrected, n`` (n = successful replicates for that index); for CV ``index, mean,
        std, n``. Indexes (rows): ``dxy`` (Somers' Dxy = 2(C − 0.5)), ``c_index`` (Harrell),
        ``r2`` (Nagelkerke), ``slope`` (calibration slope), ``d``, ``u``, ``q``, ``g`` (as
        rms), ``brier`` and ``auc`` at ``horizon`` (IPCW). ``replicates`` holds every
        replicate's values; ``n_success`` counts the replicates that could be fitted.

    Notes
    -----
    For a Cox model the ``apparent`` column equals R's ``index.orig`` of
    ``rms::validate(cph(...))`` to numerical precision (verified); ``training``, ``test``
    and hence ``optimism`` depend on the bootstrap samples, so they agree with R only within
    Monte-Carlo error (R draws other samples). R refits the calibration slope with
    ``eps = 1e-4``; we iterate to convergence. For non-Cox models the linear score is
    cloglog(predicted risk at ``horizon``), on which a Cox model's risk is linear; ``g`` is then on
    that scale. Replicates whose fit fails (e.g. a binary covariate constant in the sample)
    are left out and counted in a warning, as rms does.

    For a plain ``CoxModel`` (no ``Pipeline``, ``penalizer=0``) the bootstrap refits are
    done at once by the batch engine (:func:`ctcstats.batch.batch_cox_arrays`, each resample
    given as case counts, each replicate R's ``coxph.fit`` on it), as are the Cox regressions of
    the outcome on each refit's linear predictor in the original data, and the Brier scores and
    AUCs of all replicates (resamples as case counts); every other index is then evaluated
    replicate by replicate as before. The result equals refitting the model replicate by replicate
    (tested to 1e-8); other models are refitted replicate by replicate.

    References
    ----------
    Harrell FE Jr (2015). Regression Modeling Strategies, 2nd ed. Springer. §5.3.
    Efron B, Tibshirani R (1993). An Introduction to the Bootstrap. Chapman & Hall. §17.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.models import CoxModel
    >>> from ctcstats.prognostic.validation import validate_model
    >>> rng = np.random.default_rng(7)
    >>> df = pd.DataFrame({"ctc_positive": rng.integers(0, 2, 200), "age": rng.normal(60, 8, 200)})
    >>> t = rng.exponential(40 / np.exp(0.7 * df.ctc_positive))
    >>> df["os_months"], df["os_event"] = np.minimum(t, 60), (t < 60).astype(int)
    >>> res = validate_model(CoxModel(), df, time_col="os_months", event_col="os_event",
    ...                      covariates=["ctc_positive", "age"], horizon=24, n_boot=20, rng=1)
    >>> res.table.columns.tolist()
    ['index', 'apparent', 'training', 'test', 'optimism', 'corrected', 'n']
    """
    func = "validate_model"
    check_choice(method, name="method", choices=("bootstrap", "cv"), func=func)
    n_boot = check_int(n_boot, name="n_boot", func=func, minimum=1)
    n_folds = check_int(n_folds, name="n_folds", func=func, minimum=2)
    n_repeats = check_int(n_repeats, name="n_repeats", func=func, minimum=1)
    n_jobs = check_int(n_jobs, name="n_jobs", func=func)
    gen = check_rng(rng, func=func)
    # canonical row order: the resamples and every sum are bitwise independent of row order
    prep, X, y, tt, ev = _prepare(data, func, time_col, event_col, covariates, missing,
                                  canonical=True)
    t = _check_time(horizon, tt, ev, func)
    n = tt.size
    par = Parallel(n_jobs=n_jobs)
    msgs: list[tuple[type, str]] = []
    if method == "bootstrap":
        apparent_model, notes0 = _fit_quietly(_seeded_clone(model, int(gen.integers(2**31))),
                                              X, y)
        msgs.extend(notes0)
        apparent = _evaluate(apparent_model, X, tt, ev, t, own=True)
        # resamples drawn on the canonical row order: the same patients whatever the order
        # and labels of the caller's rows
        idx = bootstrap_positions(gen, prep.frame, n_boot)
        seeds = gen.integers(0, 2**31 - 1, size=n_boot)
        if _USE_BATCH and _batchable(model):
            out = _boot_batch(model, X, tt, ev, t, idx, par)
        else:
            out = par(delayed(_boot_one)(model, X, y, tt, ev, t, idx[b], seeds[b])
                      for b in range(n_boot))
        ok = [o[0] for o in out if o[0] is not None]
        notes = [w for o in out for w in o[1]]
        fails = [o[2] for o in out if o[2] is not None]
        msgs.extend(_warn_summary(notes, len(fails), n_boot, "bootstrap replicates", fails))
        if not ok:
            raise DataValidationError(
                f"{func}: none of the {n_boot} bootstrap fits succeeded (first error: "
                f"{fails[0]}).")
        train = np.array([o[0] for o in ok])
        test = np.array([o[1] for o in ok])
        valid = np.isfinite(train) & np.isfinite(test)
        with np.errstate(invalid="ignore"):
            tr_m = np.where(valid, train, 0).sum(0) / valid.sum(0)
            te_m = np.where(valid, test, 0).sum(0) / valid.sum(0)
        optimism = tr_m - te_m
        table = pd.DataFrame({"index": INDEXES, "apparent": apparent, "training": tr_m,
                              "test": te_m, "optimism": optimism,
                              "corrected": apparent - optimism, "n": valid.sum(0)})
        reps = []
        for b, (tr, te) in enumerate(ok):
            reps.append({"replicate": b, "sample": "training", **dict(zip(INDEXES, tr,
                                                                           strict=True))})
            reps.append({"replicate": b, "sample": "test", **dict(zip(INDEXES, te,
                                                                       strict=True))})
        n_success = len(ok)
    else:
        # imported here: sklearn.model_selection costs ~0.05 s to import, and the report
        # (bootstrap validation) never needs it
        from sklearn.model_selection import RepeatedStratifiedKFold

        cv = RepeatedStratifiedKFold(n_splits=n_folds, n_repeats=n_repeats,
                                     random_state=int(gen.integers(2**31 - 1)))
        # folds formed on the canonical row order (then mapped back to positions), so they
        # hold the same patients whatever the order of the caller's rows
        order = canonical_order(prep.frame)
        splits = [(np.sort(order[tr]), np.sort(order[te]))
                  for tr, te in cv.split(np.zeros(n), ev[order])]
        seeds = gen.integers(0, 2**31 - 1, size=len(splits))
        out = par(delayed(_cv_one)(model, X, y, tt, ev, t, tr, te, seeds[k])
                  for k, (tr, te) in enumerate(splits))
        notes = [w for o in out for w in o[1]]
        fails = [o[2] for o in out if o[2] is not None]
        msgs.extend(_warn_summary(notes, len(fails), len(splits), "cross-validation folds",
                                  fails))
        rows, reps = [], []
        for k, o in enumerate(out):
            if o[0] is not None:
                rows.append(o[0])
                reps.append({"repeat": k // n_folds, "fold": k % n_folds,
                             **dict(zip(INDEXES, o[0], strict=True))})
        if not rows:
            raise DataValidationError(
                f"{func}: none of the {len(splits)} cross-validation fits succeeded (first "
                f"error: {fails[0]}).")
        vals = np.array(rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            table = pd.DataFrame({"index": INDEXES, "mean": np.nanmean(vals, axis=0),
                                  "std": np.nanstd(vals, axis=0, ddof=1),
                                  "n": np.isfinite(vals).sum(0)})
        n_success = len(rows)
    table["n"] = table["n"].astype(np.int64)
    for cls, m in msgs:
        warnings.warn(m, cls, stacklevel=2)
    return ValidationResult(
        table=table, method=method, horizon=t, n_boot=n_boot if method == "bootstrap" else 0,
        n_folds=n_folds if method == "cv" else 0, n_repeats=n_repeats if method == "cv" else 0,
        n_success=n_success, replicates=pd.DataFrame(reps), n_obs=prep.n_obs,
        n_events=int(ev.sum()), n_dropped=prep.n_dropped,
        warnings=prep.notes + tuple(m for _, m in msgs))


# =========================================================================== external
def _is_fitted(model) -> bool:
    try:
        check_is_fitted(final_step(model))
    except NotFittedError:
        return False
    return True


def external_validation(
    model: Any,
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    horizon: float,
    train_data: pd.DataFrame | None = None,
    n_groups: int = 10,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> ExternalValidationResult:
    """Performance of a prognostic model in an independent (validation) cohort.

    The model is either already fitted (on the development cohort) or fitted here on
    ``train_data``; it then predicts the risk of an event by ``horizon`` for every patient of
    ``data``, which is scored for discrimination (Harrell's and Uno's C, time-dependent AUC),
    calibration (slope, calibration-in-the-large, O/E ratio, ICI/E50/E90) and overall
    accuracy (Brier score and IPA), with the metrics of :mod:`ctcstats.prognostic.metrics`.

    Parameters
    ----------
    model : estimator
        A fitted model of :mod:`ctcstats.prognostic.models` (or a Pipeline ending in one), or
        an unfitted one together with ``train_data``.
    data : DataFrame
        The validation cohort.
    time_col, event_col : str
        Outcome columns (the same names in ``train_data``).
    covariates : list of str
        Columns passed to the model as ``X``.
    horizon : float
        Prediction horizon of the predicted risk (before the last follow-up of ``data``).
    train_data : DataFrame, optional
        Development cohort; when given, a clone of ``model`` is fitted on it first.
    n_groups : int, default 10
        Risk groups of the calibration table.
    conf_level : float, default 0.95
    missing : {"raise", "drop"}
        Applies to ``data`` (and ``train_data``).

    Returns
    -------
    ExternalValidationResult
        ``table`` with columns ``measure, estimate, std_error, ci_lower, ci_upper`` and rows
        ``c_index`` (Harrell), ``c_index_uno`` (Uno, tau = horizon), ``auc``, ``brier``,
        ``ipa``, ``calibration_slope``, ``calibration_intercept``, ``oe_ratio``, ``ici``,
        ``e50``, ``e90`` (NaN where no standard error or interval is defined);
        ``calibration`` (the full calibration result); ``plot(ax=)`` draws the calibration
        plot.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.models import CoxModel
    >>> from ctcstats.prognostic.validation import external_validation
    >>> def cohort(seed, n=300):
    ...     r = np.random.default_rng(seed)
    ...     d = pd.DataFrame({"ctc_positive": r.integers(0, 2, n), "age": r.normal(60, 8, n)})
    ...     t = r.exponential(40 / np.exp(0.7 * d.ctc_positive))
    ...     d["os_months"], d["os_event"] = np.minimum(t, 60), (t < 60).astype(int)
    ...     return d
    >>> res = external_validation(CoxModel(), cohort(2), time_col="os_months",
    ...                           event_col="os_event", covariates=["ctc_positive", "age"],
    ...                           horizon=24, train_data=cohort(1))
    >>> res.table["measure"].tolist()[:3]
    ['c_index', 'c_index_uno', 'auc']
    """
    func = "external_validation"
    cl = check_conf_level(conf_level, func=func)
    n_groups = check_int(n_groups, name="n_groups", func=func, minimum=1)
    prep, X, y, tt, ev = _prepare(data, func, time_col, event_col, covariates, missing)
    t = _check_time(horizon, tt, ev, func)
    if train_data is not None:
        _, Xtr, ytr, _, _ = _prepare(train_data, func, time_col, event_col, covariates,
                                     missing)
        model = clone(model).fit(Xtr, ytr)
    elif not _is_fitted(model):
        raise ParameterError(
            f"The 'model' parameter of {func} must be fitted (call model.fit(X, y) on the "
            "development cohort) or come with train_data=; got an unfitted "
            f"{type(final_step(model)).__name__}.")
    risk = predict_risk(model, X, t)
    frame = _metric_frame(tt, ev, risk)
    kw: dict[str, Any] = dict(time_col="time", event_col="event", risk_col="risk")
    rows = []
    msgs: list[str] = []
    c_h = concordance_index(frame, **kw, conf_level=cl)
    c_u = concordance_index(frame, **kw, method="uno", tau=t, conf_level=cl)
    auc = time_dependent_auc(frame, **kw, horizon=t, conf_level=cl)
    bs = brier_score(frame, **kw, horizon=t, conf_level=cl)
    for name, r in (("c_index", c_h), ("c_index_uno", c_u), ("auc", auc), ("brier", bs)):
        rows.append((name, r.estimate, r.std_error, r.ci_lower, r.ci_upper))
        msgs.extend(r.warnings)
    rows.append(("ipa", bs.ipa, np.nan, np.nan, np.nan))
    # risks of exactly 0 or 1: calibration's one rule (moved 1e-12 inside, recorded)
    cal = calibration(frame, **kw, horizon=t, n_groups=n_groups, conf_level=cl)
    msgs.extend(cal.warnings)
    rows += [
        ("calibration_slope", cal.slope, cal.slope_std_error, cal.slope_ci_lower,
         cal.slope_ci_upper),
        ("calibration_intercept", cal.intercept, np.nan, np.nan, np.nan),
        ("oe_ratio", cal.oe_ratio, np.nan, cal.oe_ci_lower, cal.oe_ci_upper),
        ("ici", cal.ici, np.nan, np.nan, np.nan),
        ("e50", cal.e50, np.nan, np.nan, np.nan),
        ("e90", cal.e90, np.nan, np.nan, np.nan),
    ]
    table = pd.DataFrame(rows, columns=["measure", "estimate", "std_error", "ci_lower",
                                        "ci_upper"])
    table[["estimate", "std_error", "ci_lower", "ci_upper"]] = table[
        ["estimate", "std_error", "ci_lower", "ci_upper"]].astype(float)
    return ExternalValidationResult(
        table=table, horizon=t, conf_level=cl, calibration=cal, n_obs=prep.n_obs,
        n_events=int(ev.sum()), n_dropped=prep.n_dropped, warnings=prep.notes + tuple(msgs))
