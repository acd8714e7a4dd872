"""Prognostic models as scikit-learn estimators: Cox and IPCW horizon models.

Survival target
---------------
Every estimator here takes the survival outcome as ``y`` with **two columns, time then event**:
a DataFrame such as ``data[["os_months", "os_event"]]`` (the column names are free) or an
``(n, 2)`` array. This avoids scikit-survival's structured arrays, composes with
``Pipeline``/``ColumnTransformer`` (which pass ``y`` through untouched) and with
``sklearn.base.clone``. Use :func:`survival_target` to build one from a cohort table.

Every model has ``predict(X)`` (a risk *score*: higher = earlier event) and
``predict_risk(X, horizon)`` (predicted probability of the event by ``horizon``); the module-level
:func:`predict_risk` also reaches through a ``Pipeline`` to its final step.

* :class:`CoxModel` — Cox proportional hazards (our R-validated engine,
  :mod:`ctcstats.survival._core.cox`) with the Breslow/Efron baseline hazard, so that
  ``predict_risk`` equals R ``1 - summary(survfit(coxph_fit, newdata), times=t)$surv`` and
  ``riskRegression::predictRisk(coxph_fit, newdata, times=t)``.
* :class:`IPCWClassifier` — any scikit-learn classifier (random forest, gradient boosting)
  fitted to "event by the horizon" with inverse-probability-of-censoring weights.
* :class:`IPCWLogisticModel` — the same with a logistic regression.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from .._typing import ArrayLike
from .._validation import (
    check_choice,
    check_event_column,
    check_real,
    check_time_column,
    format_labels,
)
from ..errors import (
    ConvergenceWarning,
    DataValidationError,
    MonotoneLikelihoodWarning,
    ParameterError,
)
from ..survival._core.concordance import concordance
from ..survival._core.cox import (
    baseline_hazard,
    fit_cox_arrays,
    linear_predictor,
    lp_center,
    prepare_cox_data,
)
from ..survival._core.curves import censoring_curve, step_at
from ..survival._core.ties import merge_times

__all__ = [
    "CoxModel",
    "IPCWClassifier",
    "IPCWLogisticModel",
    "ipcw_weights",
    "predict_risk",
    "survival_target",
]


# =========================================================================== targets
def survival_target(data: pd.DataFrame, *, time_col: str, event_col: str) -> pd.DataFrame:
    """The two-column survival target ``y`` (time, event) that the models here expect.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
        Follow-up time (≥ 0) and event indicator (1 = event, 0 = censored).

    Returns
    -------
    DataFrame
        Columns ``time`` and ``event`` (same row labels as ``data``); validated.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.models import survival_target
    >>> df = pd.DataFrame({"os_months": [5.0, 12.0], "os_event": [1, 0]})
    >>> survival_target(df, time_col="os_months", event_col="os_event").columns.tolist()
    ['time', 'event']
    """
    for role, col in (("time_col", time_col), ("event_col", event_col)):
        if col not in data.columns:
            raise DataValidationError(f"{role} {col!r} is not a column of data.")
    frame = data.loc[:, [time_col, event_col]]
    t, e = _check_target(frame, "survival_target")
    return pd.DataFrame({"time": t, "event": e}, index=data.index)


def _check_target(y, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate a two-column (time, event) target; return float times and int events."""
    if isinstance(y, pd.DataFrame):
        frame = y
    else:
        arr = np.asarray(y)
        if arr.dtype.names is not None:
            raise DataValidationError(
                f"{func}: y is a structured array; pass a two-column DataFrame (time, event) "
                "instead, e.g. y = data[['os_months', 'os_event']]."
            )
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise DataValidationError(
                f"{func}: y must have two columns, time then event (e.g. "
                f"data[['os_months', 'os_event']]); got shape {arr.shape}."
            )
        frame = pd.DataFrame(arr, columns=["time", "event"])
    if frame.shape[1] != 2:
        raise DataValidationError(
            f"{func}: y must have exactly two columns, time then event; got "
            f"{frame.shape[1]} columns {list(frame.columns)}."
        )
    tcol, ecol = frame.columns[0], frame.columns[1]
    for col in (tcol, ecol):
        na = frame[col].isna().to_numpy()
        if na.any():
            raise DataValidationError(
                f"{func}: y column {col!r} has {int(na.sum())} missing values (first row "
                f"labels: {format_labels(frame.index[na])}); drop or complete those rows first."
            )
    t = check_time_column(frame, tcol, role="time column of y")
    e = check_event_column(frame, ecol, role="event column of y")
    return merge_times(t).time, e


# =========================================================================== features
def _check_X(est, X, *, reset: bool, func: str) -> np.ndarray:
    """Numeric, finite feature matrix; records / checks the feature names."""
    if isinstance(X, pd.DataFrame):
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        if reset:
            est.feature_names_in_ = names
        else:
            fitted = getattr(est, "feature_names_in_", None)
            if fitted is not None:
                missing = [c for c in fitted if c not in set(names)]
                extra = [c for c in names if c not in set(fitted)]
                if missing or extra:
                    raise DataValidationError(
                        f"{func}: X does not have the columns the model was fitted on; missing "
                        f"{missing}, unexpected {extra}. Pass the same feature columns "
                        f"({list(fitted)})."
                    )
                X = X.loc[:, list(fitted)]
        bad = [c for c in X.columns
               if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))]
        if bad:
            raise DataValidationError(
                f"{func}: feature columns {bad} are not numeric; encode them first (e.g. a "
                "Pipeline with a ColumnTransformer and OneHotEncoder) or use fit_cox, which "
                "makes indicator terms."
            )
        na = X.isna()
        if na.to_numpy().any():
            col = X.columns[na.any(axis=0).to_numpy()][0]
            m = na[col].to_numpy()
            raise DataValidationError(
                f"{func}: feature {col!r} has {int(m.sum())} missing values (first row labels: "
                f"{format_labels(X.index[m])}); impute them (e.g. SimpleImputer in a Pipeline) "
                "or drop those rows."
            )
        arr = X.to_numpy(dtype=float)
        labels = [str(c) for c in X.columns]
    else:
        try:
            arr = np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataValidationError(
                f"{func}: X must be numeric (a DataFrame or 2-D array of numbers)."
            ) from exc
        if arr.ndim != 2:
            raise DataValidationError(f"{func}: X must be 2-D; got shape {arr.shape}.")
        if reset and hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
        labels = [f"x{j}" for j in range(arr.shape[1])]
        if np.isnan(arr).any():
            j = int(np.flatnonzero(np.isnan(arr).any(axis=0))[0])
            raise DataValidationError(
                f"{func}: feature column {j} of X has {int(np.isnan(arr[:, j]).sum())} missing "
                "values; impute them (e.g. SimpleImputer in a Pipeline) or drop those rows."
            )
    if reset:
        est.n_features_in_ = arr.shape[1]
    elif arr.shape[1] != est.n_features_in_:
        raise DataValidationError(
            f"{func}: X has {arr.shape[1]} features but the model was fitted on "
            f"{est.n_features_in_}."
        )
    inf = ~np.isfinite(arr)
    if inf.any():
        j = int(np.flatnonzero(inf.any(axis=0))[0])
        raise DataValidationError(
            f"{func}: feature {labels[j]!r} has infinite values; features must be finite."
        )
    return arr


def _check_horizons(horizon, func: str, t_max: float) -> tuple[np.ndarray, bool]:
    scalar = np.ndim(horizon) == 0
    try:
        if np.asarray(horizon).dtype.kind in "OSU":  # text is not a time (numpy would parse it)
            raise TypeError("text")
        t = np.atleast_1d(np.asarray(horizon, dtype=float))
    except (TypeError, ValueError):
        t = np.array([np.nan])
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ParameterError(
            f"The 'horizon' parameter of {func} must be a finite time ≥ 0 (or a list of them); "
            f"got {horizon!r}."
        )
    if np.any(t > t_max):
        raise ParameterError(
            f"The 'horizon' parameter of {func} must not exceed the longest follow-up of the "
            f"training data ({t_max:g}); got {horizon!r} — the baseline hazard is not estimated "
            "beyond it."
        )
    return t, scalar


def _model_score(est, X, y) -> float:
    """Harrell's C of ``predict(X)`` (R coxph concordance arithmetic)."""
    t, e = _check_target(y, f"{type(est).__name__}.score")
    s = np.asarray(est.predict(X), dtype=float)
    c, _, _ = concordance(s, t, e, std_error=False)  # C only: no SE
    return float(c)


# =========================================================================== Cox
def cumhaz_at(times: np.ndarray, cumhaz: np.ndarray, t) -> np.ndarray:
    """Right-continuous step function H(t) from event times and cumulative hazards."""
    return step_at(times, cumhaz, np.atleast_1d(np.asarray(t, dtype=float)), before=0.0)


class CoxModel(BaseEstimator):
    """Cox proportional-hazards model as a scikit-learn estimator.

    The fit is R ``survival::coxph(Surv(time, event) ~ x1 + ... + xp, ties=ties)`` (the
    package's Newton–Raphson engine, the same arithmetic as :func:`ctcstats.fit_cox`);
    ``penalizer = λ > 0`` maximises ``loglik − (λ/2)·Σ var(x_j) β_j²`` (R ``ridge(...,
    theta=λ)``, whose default ``scale=TRUE`` penalises the coefficients per standard deviation,
    so that the units of a feature change only its coefficient). The baseline cumulative
    hazard is Breslow's, with Efron's correction for
    tied event times when ``ties="efron"`` — exactly R ``survfit.coxph`` (whose ``ctype``
    follows the ties option).

    Parameters
    ----------
    ties : {"efron", "breslow"}, default "efron"
    penalizer : float, default 0.0

    Attributes
    ----------
    coef_ : ndarray (p,)
        Log hazard ratios, in feature order.
    std_error_ : ndarray (p,)
        Model-based standard errors.
    feature_names_in_ : ndarray of str
        Feature names when ``X`` was a DataFrame.
    n_features_in_ : int
    means_ : ndarray (p,)
        Column means of the training features (the baseline hazard refers to them).
    lp_center_ : ndarray (p,)
        Centring of :meth:`predict` — R coxph's ``fit$means`` (0 for 0/1 columns).
    baseline_times_, baseline_cumulative_hazard_ : ndarray
        Distinct event times and the cumulative hazard at ``means_`` just after them.
    loglik_, loglik_null_ : float
        Log partial likelihood at the fit and at β = 0 (R ``fit$loglik``).
    n_events_ : int
    time_max_ : float
        Longest follow-up time in the training data.
    converged_ : bool

    Notes
    -----
    ``y`` is two columns, time then event (see :func:`survival_target`). Categorical features
    must be encoded first (e.g. a ``Pipeline`` with a ``ColumnTransformer``); features are
    used on their own scale.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.models import CoxModel
    >>> rng = np.random.default_rng(3)
    >>> X = pd.DataFrame({"ctc_positive": rng.integers(0, 2, 200),
    ...                   "age": rng.normal(60, 8, 200)})
    >>> t = rng.exponential(40 / np.exp(0.7 * X.ctc_positive))
    >>> y = pd.DataFrame({"time": np.minimum(t, 60), "event": (t < 60).astype(int)})
    >>> model = CoxModel().fit(X, y)
    >>> risk = model.predict_risk(X.iloc[:3], 24.0)   # P(event by month 24)
    >>> bool(np.all((risk > 0) & (risk < 1)))
    True
    """

    def __init__(self, ties: str = "efron", penalizer: float = 0.0):
        self.ties = ties
        self.penalizer = penalizer

    def fit(self, X: Any, y: Any) -> CoxModel:
        """Fit the model; ``y`` is two columns (time, event). Returns ``self``."""
        func = "CoxModel.fit"
        check_choice(self.ties, name="ties", choices=("efron", "breslow"), func=func)
        lam = check_real(self.penalizer, name="penalizer", func=func, low=0.0)
        Xa = _check_X(self, X, reset=True, func=func)
        t, e = _check_target(y, func)
        if Xa.shape[0] != t.size:
            raise DataValidationError(
                f"{func}: X has {Xa.shape[0]} rows but y has {t.size}; they must match."
            )
        if Xa.shape[1] == 0:
            raise DataValidationError(f"{func}: X has no feature columns.")
        if e.sum() == 0:
            raise DataValidationError(
                f"{func}: y has no events (all {e.size} rows censored); a Cox model needs "
                "events."
            )
        names = (list(self.feature_names_in_) if hasattr(self, "feature_names_in_")
                 else [f"x{j}" for j in range(Xa.shape[1])])
        const = [nm for j, nm in enumerate(names) if np.all(Xa[:, j] == Xa[0, j])]
        if const:
            raise DataValidationError(
                f"{func}: features {const} are constant in the training data; their effect "
                "cannot be estimated — remove them."
            )
        d = prepare_cox_data(Xa, t, e)
        fit = fit_cox_arrays(d, ties=self.ties, penalizer=lam)
        if fit.singular.any():
            bad = [nm for nm, s in zip(names, fit.singular, strict=True) if s]
            raise DataValidationError(
                f"{func}: features {bad} are collinear with the others (information matrix "
                "singular); remove the redundant features."
            )
        if not np.all(np.isfinite(fit.coef)):
            raise DataValidationError(
                f"{func}: the fit produced non-finite coefficients; check for separation or "
                "features on very large scales."
            )
        if fit.maybe_infinite.any():
            bad = [nm for nm, f in zip(names, fit.maybe_infinite, strict=True) if f]
            warnings.warn(
                f"{func}: monotone likelihood — the coefficient of {bad} may be infinite "
                "(e.g. no events in one level); use penalizer > 0 or fit_cox(firth=True).",
                MonotoneLikelihoodWarning, stacklevel=2,
            )
        if not fit.converged:
            warnings.warn(
                f"{func} did not converge in 20 Newton–Raphson iterations; the estimates may "
                "be unusable — rescale the features or check for separation.",
                ConvergenceWarning, stacklevel=2,
            )
        times, cumhaz = baseline_hazard(d, fit.coef, self.ties)
        self.coef_ = fit.coef.copy()
        self.std_error_ = np.sqrt(np.diag(fit.var))
        self.covariance_ = fit.var.copy()
        self.means_ = d.means.copy()
        self.lp_center_ = lp_center(Xa)
        self.baseline_times_ = times
        self.baseline_cumulative_hazard_ = cumhaz
        self.loglik_ = float(fit.loglik)
        self.loglik_null_ = float(fit.loglik_null)
        self.n_events_ = int(e.sum())
        self.n_iter_ = int(fit.n_iter)
        self.converged_ = bool(fit.converged)
        self.time_max_ = float(t.max())
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Linear predictor ``(x − lp_center_)·β`` — R ``predict(coxph_fit, newdata, type="lp")``."""
        check_is_fitted(self, "coef_")
        Xa = _check_X(self, X, reset=False, func="CoxModel.predict")
        return linear_predictor(Xa - self.lp_center_, self.coef_)

    def cumulative_hazard(self, X: Any, horizon: float | ArrayLike) -> np.ndarray:
        """Cumulative hazard ``H0(t)·exp((x − means_)·β)``; shape (n,) or (n, len(horizon))."""
        check_is_fitted(self, "coef_")
        func = "CoxModel.predict_risk"
        t, scalar = _check_horizons(horizon, func, self.time_max_)
        Xa = _check_X(self, X, reset=False, func=func)
        H0 = cumhaz_at(self.baseline_times_, self.baseline_cumulative_hazard_, t)
        H = np.exp(linear_predictor(Xa - self.means_, self.coef_))[:, None] * H0[None, :]
        return H[:, 0] if scalar else H

    def predict_risk(self, X: Any, horizon: float | ArrayLike) -> np.ndarray:
        """Predicted probability of the event by ``horizon``: ``1 − exp(−H(t | x))``.

        Matches R ``1 - summary(survfit(fit, newdata), times=t)$surv`` and
        ``riskRegression::predictRisk(fit, newdata, times=t)``. ``horizon`` may be a scalar
        (→ shape (n,)) or a list (→ shape (n, k)); it must not exceed the training follow-up.
        """
        return -np.expm1(-self.cumulative_hazard(X, horizon))

    def predict_survival(self, X: Any, horizon: float | ArrayLike) -> np.ndarray:
        """Predicted survival probability at ``horizon`` (``1 − predict_risk``)."""
        return np.exp(-self.cumulative_hazard(X, horizon))

    def score(self, X: Any, y: Any) -> float:
        """Harrell's C of the linear predictor (R coxph concordance)."""
        return _model_score(self, X, y)


# =========================================================================== IPCW
def ipcw_weights(time: ArrayLike, event: ArrayLike, horizon: float) -> np.ndarray:
    """Inverse-probability-of-censoring weights for "event by ``horizon``".

    ``G`` is the Kaplan–Meier estimate of the censoring distribution (censorings as events;
    at tied times events precede censorings). Weights: ``1/G(T−)`` for an event at
    ``T ≤ horizon``; ``0`` for a censoring at ``T ≤ horizon``; ``1/G(horizon)`` for
    ``T > horizon`` — as ``riskRegression::ipcw(cens.model="km")`` weights in ``Score``.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    G = censoring_curve(t, e, ties="events_first")
    g_minus = G.subject_minus()  # G(T-)
    g_h = float(G.at(horizon))  # G(horizon)
    w = np.zeros(t.size)
    ev = e & (t <= horizon)
    with np.errstate(divide="ignore"):
        w[ev] = 1.0 / g_minus[ev]
        w[t > horizon] = 1.0 / g_h if g_h > 0 else np.inf
    return w


class IPCWClassifier(BaseEstimator):
    """Any scikit-learn classifier as a model of the event by ``horizon`` (IPCW).

    The outcome is ``event by horizon`` (1 if ``T ≤ horizon`` with an event); patients
    censored before the horizon carry no information about it and get weight 0; the others
    are weighted by the inverse of the Kaplan–Meier probability of remaining uncensored
    (:func:`ipcw_weights`), so that the weighted sample represents the cohort without
    censoring. ``estimator`` must accept ``sample_weight`` in ``fit`` and have
    ``predict_proba`` (e.g. ``RandomForestClassifier``, ``GradientBoostingClassifier``).

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned at fit; the fitted copy is ``estimator_``.
    horizon : float
        Prediction horizon, in the units of the time column.

    Attributes
    ----------
    estimator_ : fitted classifier
    sample_weight_ : ndarray
        The IPCW weights used (0 for those censored before the horizon).
    n_events_ : int
        Events by the horizon.
    time_max_ : float

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from ctcstats.prognostic.models import IPCWClassifier
    >>> rng = np.random.default_rng(4)
    >>> X = pd.DataFrame({"ctc_positive": rng.integers(0, 2, 300), "age": rng.normal(60, 8, 300)})
    >>> t = rng.exponential(40 / np.exp(0.7 * X.ctc_positive))
    >>> y = pd.DataFrame({"time": np.minimum(t, 60), "event": (t < 60).astype(int)})
    >>> rf = RandomForestClassifier(n_estimators=50, min_samples_leaf=20, random_state=0)
    >>> model = IPCWClassifier(rf, horizon=24.0).fit(X, y)
    >>> model.predict_risk(X.iloc[:2]).shape
    (2,)
    """

    def __init__(self, estimator: Any = None, horizon: float = 1.0):
        self.estimator = estimator
        self.horizon = horizon

    def _make_estimator(self):
        if self.estimator is None:
            raise ParameterError(
                "The 'estimator' parameter of IPCWClassifier must be a scikit-learn classifier "
                "(e.g. RandomForestClassifier()); got None."
            )
        return clone(self.estimator)

    def fit(self, X: Any, y: Any) -> IPCWClassifier:
        """Fit to ``event by horizon`` with IPCW weights; ``y`` is two columns (time, event)."""
        func = f"{type(self).__name__}.fit"
        h = check_real(self.horizon, name="horizon", func=func, low=0.0, low_inclusive=False)
        Xa = _check_X(self, X, reset=True, func=func)
        t, e = _check_target(y, func)
        if Xa.shape[0] != t.size:
            raise DataValidationError(
                f"{func}: X has {Xa.shape[0]} rows but y has {t.size}; they must match."
            )
        if h > t.max():
            raise ParameterError(
                f"The 'horizon' parameter of {func} must not exceed the longest follow-up "
                f"({t.max():g}); got {self.horizon!r}."
            )
        w = ipcw_weights(t, e, h)
        if not np.all(np.isfinite(w)):
            raise DataValidationError(
                f"{func}: every patient still at risk is censored by the horizon {h:g} (the "
                "censoring survival G(horizon) is 0); choose an earlier horizon."
            )
        label = ((t <= h) & (e == 1)).astype(int)
        keep = w > 0
        if len(np.unique(label[keep])) < 2:
            what = "no events" if label.sum() == 0 else "no patients event-free"
            raise DataValidationError(
                f"{func}: {what} by the horizon {h:g}; a model of the event by the horizon "
                "needs both outcomes — choose another horizon."
            )
        est = self._make_estimator()
        Xk = X.iloc[np.flatnonzero(keep)] if isinstance(X, pd.DataFrame) else Xa[keep]
        if not has_fit_parameter(est, "sample_weight"):
            raise ParameterError(
                f"The 'estimator' of {func} must accept sample_weight in fit (IPCW needs it); "
                f"{type(est).__name__} does not."
            )
        if not hasattr(est, "predict_proba"):
            raise ParameterError(
                f"The 'estimator' of {func} must have predict_proba; {type(est).__name__} "
                "does not."
            )
        est.fit(Xk, label[keep], sample_weight=w[keep])
        self.estimator_ = est
        self.sample_weight_ = w
        self.n_events_ = int(label.sum())
        self.time_max_ = float(t.max())
        self.horizon_ = h
        return self

    def predict_risk(self, X: Any, horizon: float | None = None) -> np.ndarray:
        """Predicted probability of the event by the model's horizon (``horizon``, if given,
        must equal it)."""
        check_is_fitted(self, "estimator_")
        func = f"{type(self).__name__}.predict_risk"
        if horizon is not None:
            tt = np.atleast_1d(np.asarray(horizon, dtype=float))
            if tt.size != 1 or not np.isclose(tt[0], self.horizon_):
                raise ParameterError(
                    f"The 'horizon' parameter of {func} must be the model's horizon "
                    f"({self.horizon_:g}); got {horizon!r} — an IPCW model predicts only at its "
                    "horizon (fit another model for another time)."
                )
        _check_X(self, X, reset=False, func=func)
        if isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            X = X.loc[:, list(self.feature_names_in_)]
        proba = self.estimator_.predict_proba(X)
        classes = list(self.estimator_.classes_)
        return np.asarray(proba[:, classes.index(1)], dtype=float)

    def predict(self, X: Any) -> np.ndarray:
        """Risk score = predicted probability of the event by the horizon."""
        return self.predict_risk(X)

    def score(self, X: Any, y: Any) -> float:
        """Harrell's C of the predicted risk (R coxph concordance arithmetic)."""
        return _model_score(self, X, y)


class _StandardisedLogistic(ClassifierMixin, BaseEstimator):
    """``LogisticRegression`` fitted to features centred and divided by their standard
    deviation, reporting ``coef_``/``intercept_`` on the features' own scale.

    The penalty then acts on coefficients per standard deviation (as glmnet's
    ``standardize = TRUE``) and the solver's tolerance means the same whatever the units,
    so rescaling a feature rescales its coefficient and changes nothing else; without a
    penalty (``C = inf``) the estimates are those of the unstandardised fit.
    """

    def __init__(self, C=1.0, l1_ratio=0.0, tol=1e-8, max_iter=1000, solver="newton-cholesky"):
        self.C = C
        self.l1_ratio = l1_ratio
        self.tol = tol
        self.max_iter = max_iter
        self.solver = solver

    def fit(self, X, y, sample_weight=None):
        Xa = np.asarray(X, dtype=float)
        self.center_ = Xa.mean(axis=0)
        sd = Xa.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        # imported here: sklearn.linear_model costs ~0.1 s to import, and the report (whose
        # imports come before it can start its parallel work) never fits this model
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression(C=self.C, l1_ratio=self.l1_ratio, tol=self.tol,
                                         max_iter=self.max_iter, solver=self.solver)
        self.model_.fit((Xa - self.center_) / self.scale_, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        self.coef_ = self.model_.coef_ / self.scale_
        self.intercept_ = self.model_.intercept_ - self.coef_ @ self.center_
        return self

    def predict_proba(self, X):
        Xa = np.asarray(X, dtype=float)
        return self.model_.predict_proba((Xa - self.center_) / self.scale_)


class IPCWLogisticModel(IPCWClassifier):
    """Logistic regression of the event by ``horizon`` with IPCW weights.

    A :class:`IPCWClassifier` around ``sklearn.linear_model.LogisticRegression(C=C,
    l1_ratio=l1_ratio, tol=tol, max_iter=max_iter)`` (Newton–Cholesky solver for the ridge /
    unpenalised fit, saga for l1), fitted to the features standardised (centred, divided by
    their standard deviation) and reported on their own scale: the penalty acts on
    coefficients per standard deviation (glmnet's ``standardize = TRUE``), so the units of a
    feature change only its coefficient. The default ``C=np.inf`` is the unpenalised maximum
    weighted likelihood fit (the IPCW logistic model of e.g. Blanche et al. 2013), whose
    coefficients are R's ``glm(I(T <= h & E == 1) ~ X, weights = w, family = binomial)``;
    a finite ``C`` adds a ridge (or elastic-net) penalty, shrinking the coefficients.

    Parameters
    ----------
    horizon : float
    C : float, default np.inf
        Inverse penalty strength (scikit-learn's convention); ``np.inf`` = no penalty.
    l1_ratio : float, default 0.0
        Elastic-net mixing (0 = ridge).
    tol : float, default 1e-8
    max_iter : int, default 1000

    Attributes
    ----------
    coef_, intercept_ : ndarray
        Log-odds coefficients of the fitted logistic regression.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.models import IPCWLogisticModel
    >>> rng = np.random.default_rng(5)
    >>> X = pd.DataFrame({"ctc_positive": rng.integers(0, 2, 300)})
    >>> t = rng.exponential(40 / np.exp(0.7 * X.ctc_positive))
    >>> y = pd.DataFrame({"time": np.minimum(t, 60), "event": (t < 60).astype(int)})
    >>> m = IPCWLogisticModel(horizon=24.0).fit(X, y)
    >>> bool(m.coef_[0, 0] > 0)
    True
    """

    def __init__(self, horizon: float = 1.0, C: float = np.inf, l1_ratio: float = 0.0,
                 tol: float = 1e-8, max_iter: int = 1000):
        self.horizon = horizon
        self.C = C
        self.l1_ratio = l1_ratio
        self.tol = tol
        self.max_iter = max_iter

    def _make_estimator(self):
        if not isinstance(self.C, numbers.Real) or not self.C > 0:
            raise ParameterError(
                f"The 'C' parameter of IPCWLogisticModel must be > 0; got {self.C!r}."
            )
        # Newton–Cholesky converges to R glm's estimates (1e-8) where lbfgs stops near 1e-5
        solver = "saga" if self.l1_ratio not in (0, 0.0) else "newton-cholesky"
        return _StandardisedLogistic(C=self.C, l1_ratio=self.l1_ratio, tol=self.tol,
                                     max_iter=self.max_iter, solver=solver)

    def fit(self, X: Any, y: Any) -> IPCWLogisticModel:
        """Fit; ``y`` is two columns (time, event). Returns ``self``."""
        super().fit(X, y)
        self.coef_ = self.estimator_.coef_
        self.intercept_ = self.estimator_.intercept_
        return self


# =========================================================================== helpers
def predict_risk(model: Any, X: Any, horizon: float | ArrayLike) -> np.ndarray:
    """Predicted probability of the event by ``horizon`` from a model or a ``Pipeline``.

    A ``Pipeline`` does not forward ``predict_risk``; this applies its transformers and calls
    the final step's ``predict_risk``. Any estimator with ``predict_risk(X, horizon)`` works.
    """
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        Xt = X
        for _, step in model.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            Xt = step.transform(Xt)
        return predict_risk(model.steps[-1][1], Xt, horizon)
    if not hasattr(model, "predict_risk"):
        raise ParameterError(
            f"The model must have predict_risk(X, horizon) (CoxModel, IPCWClassifier, "
            f"IPCWLogisticModel, or a Pipeline ending in one); got {type(model).__name__}."
        )
    return np.asarray(model.predict_risk(X, horizon), dtype=float)
