"""What :func:`~ctcstats.missing.pool` pools from each kind of fitted result.

One adapter per result type turns a fitted result into an :class:`Extracted`: the quantities
to pool, each on the scale on which its sampling distribution is close to normal (log hazard
ratios and log rate ratios as fitted; logit for C and AUC; log for the O:E ratio; the natural
scale for Brier scores, calibration slopes and NRI/IDI), its within-imputation variance,
the covariance matrix where the model has one (for the D1/D2 tests), the complete-data
degrees of freedom R ``mice`` would use (``get.dfcom``), and how to evaluate the model's
log-likelihood at fixed coefficients (for D3).

The measures without a standard error on the result (the ICI, E50/E90/Emax of a calibration,
the IPA) are averaged over the imputations only (``scale = "mean"``, no interval).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import ParameterError

__all__ = ["Extracted", "extract", "TRANSFORMS"]


# scale -> (to the pooling scale, back to the natural scale, derivative of the forward map)
TRANSFORMS: dict[str, tuple[Callable, Callable, Callable]] = {
    "identity": (lambda x: x, lambda x: x, lambda x: np.ones_like(x)),
    "log": (np.log, np.exp, lambda x: 1.0 / x),
    "logit": (special.logit, special.expit, lambda x: 1.0 / (x * (1.0 - x))),
    "mean": (lambda x: x, lambda x: x, lambda x: np.ones_like(x)),
}


@dataclass(frozen=True)
class Extracted:
    """One imputation's quantities, ready for Rubin's rules (all on the pooling scale)."""

    terms: tuple[str, ...]
    estimate: np.ndarray
    variance: np.ndarray  # NaN where only the mean is pooled
    scale: tuple[str, ...]
    dfcom: float
    kind: str
    n_obs: int
    covariance: np.ndarray | None = None
    component: tuple[str, ...] | None = None
    ratio: str | None = None  # name of exp(estimate): "hr", "irr", "odds_ratio"
    null_value: tuple[float, ...] | None = None  # natural-scale null of the p-value
    lr_test: tuple[float, float] | None = None  # (chi-square, df) pooled by D2
    loglik: float | None = None
    loglik_at: Callable[[np.ndarray], float] | None = field(default=None, repr=False)
    intercept_index: int | None = None  # D3: mice re-estimates the intercept (see pooling)


def _se_from_ci(lo, hi, conf_level: float, scale: str) -> np.ndarray:
    """Standard error on the pooling scale from a symmetric (on that scale) Wald interval."""
    fwd = TRANSFORMS[scale][0]
    z = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (fwd(np.asarray(hi, float)) - fwd(np.asarray(lo, float))) / (2 * z)


def _measures(rows: list[tuple], *, kind: str, n_obs: int, conf_level: float,
              dfcom: float = math.inf, lr_test=None) -> Extracted:
    """rows: (term, estimate, std_error on the natural scale or None, scale, null)."""
    terms, est, var, scales, nulls = [], [], [], [], []
    for term, value, se, scale, null in rows:
        fwd, _, deriv = TRANSFORMS[scale]
        value = float(value)
        terms.append(term)
        scales.append(scale)
        nulls.append(null)
        with np.errstate(divide="ignore", invalid="ignore"):
            est.append(float(fwd(np.float64(value))))
            if se is None or scale == "mean":
                var.append(np.nan)
            else:
                var.append(float((se * deriv(np.float64(value))) ** 2))
    return Extracted(terms=tuple(terms), estimate=np.asarray(est), variance=np.asarray(var),
                     scale=tuple(scales), dfcom=dfcom, kind=kind, n_obs=n_obs,
                     null_value=tuple(nulls), lr_test=lr_test)


# --------------------------------------------------------------------------- models
def _coef_model(res, *, kind, coef_col, cov, dfcom, ratio, loglik_at=None, loglik=None,
                component=None) -> Extracted:
    tab = res.table
    terms = tuple(str(t) for t in tab.index)
    coef = tab[coef_col].to_numpy(dtype=float)
    se = tab["std_error"].to_numpy(dtype=float)
    return Extracted(
        terms=terms, estimate=coef, variance=se**2, scale=("identity",) * len(terms),
        dfcom=float(dfcom), kind=kind, n_obs=int(res.n_obs),
        covariance=None if cov is None else np.asarray(cov, dtype=float),
        component=component, ratio=ratio, null_value=(0.0,) * len(terms), loglik=loglik,
        loglik_at=loglik_at)


def _cox(res) -> Extracted:
    from ..survival._core.cox import cox_derivatives  # shared Cox engine (see module doc)

    p = int(res.table.shape[0])
    data, ties = res._data, res.ties

    def loglik_at(beta):
        return float(cox_derivatives(data, np.asarray(beta, float), ties)[0])

    # mice get.dfcom for coxph: number of events minus number of coefficients
    return _coef_model(res, kind="cox", coef_col="coef", cov=res.covariance.to_numpy(),
                       dfcom=max(res.n_events - p, 1), ratio="hr", loglik=float(res.loglik),
                       loglik_at=None if res.firth or res.penalizer > 0 else loglik_at)


def _fine_gray(res) -> Extracted:
    p = int(res.table.shape[0])
    return _coef_model(res, kind="fine_gray", coef_col="coef", cov=res.vcov.to_numpy(),
                       dfcom=max(res.n_events - p, 1), ratio="hr")


def _count(res) -> Extracted:
    tab = res.table
    terms = tuple(str(t) for t in tab["term"])
    coef = tab["coef"].to_numpy(dtype=float)
    se = tab["std_error"].to_numpy(dtype=float)
    cov = getattr(res, "covariance", None)
    return Extracted(
        terms=terms, estimate=coef, variance=se**2, scale=("identity",) * len(terms),
        dfcom=float(max(res.n_obs - len(terms), 1)), kind="count", n_obs=int(res.n_obs),
        covariance=None if cov is None else np.asarray(cov, dtype=float),
        component=tuple(str(c) for c in tab["component"]), ratio="irr",
        null_value=(0.0,) * len(terms), loglik=float(res.loglik))


def _statsmodels(res) -> Extracted:
    params = res.params
    names = (tuple(str(t) for t in params.index) if isinstance(params, pd.Series)
             else tuple(f"x{i}" for i in range(len(params))))
    est = np.asarray(params, dtype=float).ravel()
    cov = np.asarray(res.cov_params(), dtype=float)
    model = res.model
    ratio = _statsmodels_ratio(model)
    dfcom = float(getattr(res, "df_resid", math.inf))
    exog = np.asarray(model.exog, dtype=float)
    const = [j for j in range(exog.shape[1]) if np.all(exog[:, j] == 1.0)]
    loglik = float(res.llf) if hasattr(res, "llf") else None
    return Extracted(
        terms=names, estimate=est, variance=np.diag(cov).copy(),
        scale=("identity",) * len(names), dfcom=dfcom, kind="statsmodels",
        n_obs=int(res.nobs), covariance=cov, ratio=ratio, null_value=(0.0,) * len(names),
        loglik=loglik, loglik_at=lambda beta: float(model.loglike(np.asarray(beta, float))),
        intercept_index=const[0] if const else None)


def _statsmodels_ratio(model) -> str | None:
    name = type(model).__name__
    if name in ("Logit",):
        return "odds_ratio"
    if name in ("Poisson", "NegativeBinomial", "NegativeBinomialP"):
        return "irr"
    if name == "PHReg":
        return "hr"
    fam = getattr(model, "family", None)
    if fam is not None:
        link = type(fam.link).__name__.lower()
        fname = type(fam).__name__
        if fname == "Binomial" and link == "logit":
            return "odds_ratio"
        if fname in ("Poisson", "NegativeBinomial") and link == "log":
            return "irr"
    return None


# --------------------------------------------------------------------------- measures
def _concordance(res) -> Extracted:
    return _measures([("concordance", res.estimate, res.std_error, "logit", 0.5)],
                     kind="concordance", n_obs=res.n_obs, conf_level=res.conf_level)


def _auc(res) -> Extracted:
    return _measures([("auc", res.estimate, res.std_error, "logit", 0.5)],
                     kind="auc", n_obs=res.n_obs, conf_level=res.conf_level)


def _brier(res) -> Extracted:
    return _measures([
        ("brier", res.estimate, res.std_error, "identity", math.nan),
        ("brier_null", res.null_estimate, res.null_std_error, "identity", math.nan),
        ("ipa", res.ipa, None, "mean", math.nan),
    ], kind="brier", n_obs=res.n_obs, conf_level=res.conf_level)


def _calibration(res) -> Extracted:
    cl = res.conf_level
    oe_se = float(_se_from_ci(res.oe_ci_lower, res.oe_ci_upper, cl, "log")) * res.oe_ratio
    rows = [
        ("slope", res.slope, res.slope_std_error, "identity", 1.0),
        ("oe_ratio", res.oe_ratio, oe_se, "log", 1.0),
        ("intercept", res.intercept, None, "mean", math.nan),
        ("ici", res.ici, None, "mean", math.nan),
        ("e50", res.e50, None, "mean", math.nan),
        ("e90", res.e90, None, "mean", math.nan),
        ("emax", res.emax, None, "mean", math.nan),
    ]
    return _measures(rows, kind="calibration", n_obs=res.n_obs, conf_level=cl)


def _table_measures(tab: pd.DataFrame, value_col: str, cl: float) -> list[tuple]:
    rows = []
    for _, r in tab.iterrows():
        se = float(_se_from_ci(r["ci_lower"], r["ci_upper"], cl, "identity"))
        rows.append((str(r["measure"]), r[value_col], se if np.isfinite(se) else None,
                     "identity" if np.isfinite(se) else "mean", 0.0))
    return rows


def _reclassification(res) -> Extracted:
    rows = _table_measures(res.table, "estimate", res.conf_level)
    return _measures(rows, kind="reclassification", n_obs=res.n_obs, conf_level=res.conf_level)


def _added_value(res) -> Extracted:
    tab = res.table
    tab = tab.loc[tab["measure"] != "log_likelihood"]
    rows = _table_measures(tab, "difference", res.conf_level)
    lr = (float(res.lr_statistic), float(res.lr_df))
    return _measures(rows, kind="added_value", n_obs=res.n_obs, conf_level=res.conf_level,
                     lr_test=lr)


def _generic(res) -> Extracted:
    tab = getattr(res, "table", None)
    if isinstance(tab, pd.DataFrame) and {"estimate", "std_error"} <= set(tab.columns):
        terms = (tab["term"] if "term" in tab.columns else tab.index).astype(str)
        return _measures(
            [(t, e, s, "identity", 0.0) for t, e, s in
             zip(terms, tab["estimate"], tab["std_error"], strict=True)],
            kind="generic", n_obs=int(getattr(res, "n_obs", 0)), conf_level=0.95)
    return _measures([("estimate", res.estimate, res.std_error, "identity", 0.0)],
                     kind="generic", n_obs=int(getattr(res, "n_obs", 0)), conf_level=0.95)


def _frame(res: pd.DataFrame) -> Extracted:
    terms = (res["term"] if "term" in res.columns else res.index).astype(str)
    return _measures([(t, e, s, "identity", 0.0) for t, e, s in
                      zip(terms, res["estimate"], res["std_error"], strict=True)],
                     kind="generic", n_obs=int(res.shape[0]), conf_level=0.95)


_ADAPTERS: Mapping[str, Callable] = {
    "CoxResult": _cox,
    "FineGrayResult": _fine_gray,
    "CountModelResult": _count,
    "ConcordanceResult": _concordance,
    "TimeDependentAUCResult": _auc,
    "BrierResult": _brier,
    "CalibrationResult": _calibration,
    "ReclassificationResult": _reclassification,
    "AddedValueResult": _added_value,
}


def extract(res, *, func: str = "pool") -> Extracted:
    """The poolable quantities of one fitted result (see the module docstring)."""
    name = type(res).__name__
    if name in _ADAPTERS:
        return _ADAPTERS[name](res)
    if hasattr(res, "params") and hasattr(res, "cov_params") and hasattr(res, "model"):
        return _statsmodels(res)
    if isinstance(res, pd.DataFrame) and {"estimate", "std_error"} <= set(res.columns):
        return _frame(res)
    tab = getattr(res, "table", None)
    if (isinstance(tab, pd.DataFrame) and {"estimate", "std_error"} <= set(tab.columns)) or (
            hasattr(res, "estimate") and hasattr(res, "std_error")):
        return _generic(res)
    raise ParameterError(
        f"{func} cannot pool a {name}: fn must return a ctcstats result with estimates and "
        "standard errors (fit_cox, fit_fine_gray, fit_count_model, concordance_index, "
        "time_dependent_auc, brier_score, calibration, reclassification, added_value), a "
        "statsmodels results object, or a DataFrame with columns estimate and std_error."
    )
