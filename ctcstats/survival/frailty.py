"""Shared-frailty Cox models: ``fit_cox(..., frailty_col=, frailty="gamma"|"gaussian")``.

Pooled CTC/DTC analyses combine studies (or centres) whose assays and populations differ; a
shared frailty multiplies the hazard of every patient of study i by ``exp(w_i)``. This module
fits R ``coxph(Surv ~ x + frailty(study, distribution = ...))`` by penalised partial
likelihood on the survival core's Newton–Raphson with its penalty hook
(:class:`ctcstats.survival._core.cox.Penalty`): one indicator column per study, whose
coefficients ``w`` are the log-frailties, with penalty

* gamma (variance θ, ν = 1/θ): ``P(w) = ν Σ (exp(w_i) − w_i)`` (R ``frailty.gamma``);
* gaussian (variance θ): ``P(w) = ½ Σ w_i² / θ`` (R ``frailty.gaussian``).

The partial likelihood does not change when every w_i moves by the same amount; the penalty
pins the level (at the optimum mean(exp(w)) = 1, resp. mean(w) = 0, as R's recentring).

θ is estimated as R does by default, but solved to full precision instead of R's outer-loop
tolerance (R stops at a relative change of 1e-5 in its criterion, so its θ moves in the
fifth digit; with ``frailty(..., eps = 1e-10)`` R gives the same θ as here):

* gamma (``method = "em"``): θ maximises the marginal ("I-") log-likelihood
  ``PL(β̂, ŵ) + Σ_i [d_i + ν log ν − (ν + d_i) log(ν + d_i) + lgamma(ν + d_i) − lgamma(ν)]``
  (PL the unpenalised partial log-likelihood at the penalised fit, d_i the events of study
  i; Therneau & Grambsch 2000, §9.6) — exact for the gamma frailty;
* gaussian (``method = "reml"``): θ solves ``θ = Σ ŵ_i² / (K − tr(V_ww) / θ)`` with V_ww
  the frailty block of the inverse penalised information (R ``frailty.controlgauss``);
* gaussian with ``frailty_method="ml"``: θ maximises the Laplace approximation of the
  integrated partial likelihood, ``PL − ½ ŵ'ŵ/θ − ½ K log θ − ½ log det H_ww`` (R ``coxme``,
  whose sparse computation keeps only the diagonal of H_ww for more than 50 small groups).

Standard errors are R's ``se(coef)``: the inverse of the penalised information (with R's
``sparse`` approximation, which keeps only the diagonal of the frailty × frailty block,
when there are more than 5 studies unless ``sparse`` says otherwise); ``std_error_naive``
holds nothing here. The test of the frailty is R's printed row: the Wald statistic of ŵ
with the term's effective degrees of freedom ``tr((H⁻¹ I)_ww)``; for the gamma frailty the
likelihood-ratio test of θ = 0 on the marginal likelihood is given too (boundary: half a
χ²₁ tail).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar, NoReturn

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._results import result
from ..errors import ConvergenceError, ParameterError
from ._core.concordance import concordance
from ._core.cox import CoxFit, fit_cox_arrays, prepare_cox_data
from .cox import CoxResult

__all__ = ["FrailtyCoxResult", "fit_frailty_arrays", "gamma_marginal_correction"]

#: R frailty(): sparse computation when the frailty has more than 5 levels.
SPARSE_LEVELS = 5
_THETA_MAX = 1e4
_THETA_ZERO = 1e-10  # the variance used to evaluate a fit whose estimated variance is 0


# =========================================================================== result
@result
class FrailtyCoxResult(CoxResult):
    """A shared-frailty Cox model (see :func:`ctcstats.fit_cox` with ``frailty_col``).

    As :class:`CoxResult` (``table`` has the fixed effects only), plus ``frailty`` (the
    distribution), ``theta`` (variance of the random effect), ``frailties`` (one row per
    level of ``frailty_col``: ``level, n_obs, n_events, log_frailty, frailty, std_error``),
    the frailty test ``frailty_statistic, frailty_df, frailty_p_value`` (R's printed
    ``frailty(...)`` row), ``frailty_lr_statistic, frailty_lr_p_value`` (θ = 0 on the
    marginal likelihood: gamma, or gaussian with ``frailty_method="ml"``; NaN for the
    gaussian REML fit), ``marginal_loglik`` (R's I-likelihood for gamma; coxme's integrated
    log-likelihood for ``"ml"``), ``penalised_loglik`` and ``frailty_method``.
    """

    _title: ClassVar[str] = "Cox regression with a shared frailty"

    frailty: str = "gamma"
    frailty_col: str = ""
    theta: float = float("nan")
    frailties: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    frailty_statistic: float = float("nan")
    frailty_df: float = float("nan")
    frailty_p_value: float = float("nan")
    frailty_lr_statistic: float = float("nan")
    frailty_lr_p_value: float = float("nan")
    marginal_loglik: float = float("nan")
    penalised_loglik: float = float("nan")
    sparse: bool = False
    frailty_method: str = "default"

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table), ("frailties", self.frailties)]

    def ph_test(self) -> NoReturn:
        """Not available for frailty models (nor in R: ``cox.zph`` has no frailty support)."""
        raise ParameterError(
            "ph_test is not available for a shared-frailty fit; test proportional hazards on "
            "the model stratified by the frailty column (fit_cox(..., strata_col=...)).")


# =========================================================================== penalties
@dataclass(frozen=True)
class _FrailtyPenalty:
    """Penalty on the frailty columns ``cols`` of β (the survival core's penalty hook)."""

    kind: str
    theta: float
    cols: slice

    def __call__(self, d, beta, st, info):
        p = beta.size
        w = beta[self.cols]
        grad = np.zeros(p)
        hess = np.zeros((p, p))
        idx = np.arange(p)[self.cols]
        if self.kind == "gamma":
            nu = 1.0 / self.theta
            ew = np.exp(w)
            pen = nu * float(np.sum(ew - w))
            grad[self.cols] = nu * (ew - 1.0)
            hess[idx, idx] = nu * ew
        else:
            pen = 0.5 * float(np.sum(w * w)) / self.theta
            grad[self.cols] = w / self.theta
            hess[idx, idx] = 1.0 / self.theta
        return pen, grad, hess


def gamma_marginal_correction(d_events: np.ndarray, theta: float) -> float:
    """Σ_i [d_i + ν log ν − (ν + d_i) log(ν + d_i) + lgamma(ν + d_i) − lgamma(ν)], ν = 1/θ.

    Added to the partial log-likelihood of the penalised fit it gives the marginal
    log-likelihood of the gamma-frailty model (R ``frailty.gammacon``); 0 at θ = 0.
    """
    if theta <= 0:
        return 0.0
    nu = 1.0 / theta
    dd = np.asarray(d_events, float)
    # term 1: d − ν log(1 + d/ν) = ν h(d/ν), h(x) = x − log1p(x) (a series for small x, where
    # the difference would cancel); term 2: lgamma(ν + d) − lgamma(ν) − d log(ν + d) as the
    # sum over k = 1..d of log((ν + k − 1)/(ν + d)) — both free of cancellation for large ν
    x = dd / nu
    h = np.where(x < 1e-4, x * x / 2 - x**3 / 3 + x**4 / 4, x - np.log1p(np.maximum(x, 0)))
    term1 = float(np.sum(nu * h))
    di = dd.astype(np.int64)
    grp_d = np.repeat(dd, di)
    k = np.arange(grp_d.size) - np.repeat(np.cumsum(di) - di, di) + 1.0
    term2 = float(np.sum(np.log1p((k - 1.0 - grp_d) / (nu + grp_d))))
    return term1 + term2


def _gamma_marginal(fit: CoxFit, d_events: np.ndarray, theta: float, K: int) -> float:
    """R's I-likelihood of the gamma frailty: PL − ν Σ(exp(ŵ) − ŵ) + Kν + correction.

    R's penalty drops the constant ν Σ exp(ŵ) = Kν (mean(exp(ŵ)) = 1 at the optimum); its
    ``c.loglik`` is the partial likelihood minus that penalty plus ``frailty.gammacon``.
    """
    return (fit.loglik - fit.penalty + K / theta
            + gamma_marginal_correction(d_events, theta))


# =========================================================================== fitting
@dataclass(frozen=True, eq=False)
class _Inner:
    fit: CoxFit
    var: np.ndarray
    theta: float
    var2: np.ndarray
    pen_diag: np.ndarray  # second derivative of the penalty on each frailty coefficient
    logdet_ww: float  # log det of the frailty block of the penalised information (as used)


def _inner_fit(d, p, K, kind, theta, ties, sparse, init) -> _Inner:
    pen = _FrailtyPenalty(kind, theta, slice(p, p + K))
    fit = fit_cox_arrays(d, ties=ties, penalty=pen, init=init, max_iter=100)
    if not fit.converged or not np.all(np.isfinite(fit.coef)):
        raise ConvergenceError(
            f"the penalised Cox fit did not converge for frailty variance {theta:.4g} "
            f"({kind}); check for studies without events or covariates that separate them."
        )
    P = pen(d, fit.coef, None, None)[2]
    H = fit.info + P
    if sparse:
        ww = H[p:, p:]
        H = H.copy()
        H[p:, p:] = np.diag(np.diag(ww))
    var = np.linalg.inv(H)
    var = (var + var.T) / 2
    # R's var2 = H⁻¹ (H − P) H⁻¹ on the (approximated) H it inverted (coxpenal.df)
    var2 = var @ (H - P) @ var
    logdet_ww = float(np.linalg.slogdet(H[p:, p:])[1])
    return _Inner(fit, var, theta, (var2 + var2.T) / 2, np.diag(P)[p:], logdet_ww)


def fit_frailty_arrays(X, time, event, groups, *, kind: str, start=None, strata=None,
                       ties: str = "efron", sparse: bool | None = None,
                       theta: float | None = None, method: str = "default") -> dict:
    """Fit the shared-frailty model on arrays; ``groups`` are integer codes 0..K−1.

    Returns the pieces :func:`ctcstats.survival.cox.fit_cox` needs (documented internal
    function; see the module notes for the algorithm).
    """
    X = np.asarray(X, float)
    n, p = X.shape
    codes = np.asarray(groups, dtype=np.int64)
    K = int(codes.max()) + 1
    G = np.zeros((n, K))
    G[np.arange(n), codes] = 1.0
    d = prepare_cox_data(np.column_stack([X, G]), time, event, start=start, strata=strata)
    if method == "ml":  # coxme's rule: sparse when > 50 levels, each < 2% of the rows
        auto = K > 50 and np.bincount(codes).max() < 0.02 * n
    else:  # coxph's frailty(): sparse when more than 5 levels
        auto = K > SPARSE_LEVELS
    sp = auto if sparse is None else bool(sparse)
    d_events = np.bincount(codes, weights=np.asarray(event, float), minlength=K)
    state: dict = {"init": np.zeros(p + K)}
    cache: dict[float, _Inner] = {}

    def inner(th: float) -> _Inner:
        key = float(th)
        if key not in cache:
            res = _inner_fit(d, p, K, kind, key, ties, sp, state["init"])
            state["init"] = res.fit.coef.copy()
            cache[key] = res
        return cache[key]

    null_fit = fit_cox_arrays(X, time, event, start=start, strata=strata, ties=ties)
    if theta is not None:
        th = float(theta)
    elif kind == "gamma" or method == "ml":
        if kind == "gamma":
            def neg_marginal(u: float) -> float:
                th = float(np.exp(u))
                return -_gamma_marginal(inner(th).fit, d_events, th, K)
        else:
            def neg_marginal(u: float) -> float:
                th = float(np.exp(u))
                return -_laplace_integrated(inner(th), p, K, th)

        th = _maximise_log_theta(neg_marginal, null_fit.loglik)
    else:
        def resid(th: float) -> float:
            r = inner(th)
            w = r.fit.coef[p:]
            tr = float(np.trace(r.var[p:, p:]))
            return float(np.sum(w * w)) / (K - tr / th) - th

        th = _gaussian_root(resid)
    notes = []
    if th <= 0:
        # at the boundary: the penalised fit at a negligible variance is the plain Cox fit
        # (frailties ~0); theta is reported as 0
        notes.append(
            f"the estimated {kind} frailty variance is 0 (no heterogeneity between the "
            "groups of frailty_col detected); the fit equals the Cox model without the "
            "frailty — report that model, or stratify by the groups.")
        r = inner(_THETA_ZERO)
    else:
        r = inner(th)
    return dict(fit=r.fit, var=r.var, var2=r.var2, pen_diag=r.pen_diag, theta=max(th, 0.0),
                theta_fit=r.theta, p=p, K=K, codes=codes, sparse=sp, notes=notes,
                method=method, integrated=_laplace_integrated(r, p, K, r.theta)
                if kind == "gaussian" else float("nan"),
                d_events=d_events, null_fit=null_fit, penalty=_FrailtyPenalty(
                    kind, th, slice(p, p + K)))


def _maximise_log_theta(neg_objective, null_value: float) -> float:
    """θ maximising a profile criterion over log θ: a coarse grid brackets the maximum, Brent
    polishes it; 0 when the criterion never exceeds its θ → 0 limit (the plain Cox fit)."""
    grid = np.log(np.array([1e-3, 1e-2, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 20.0]))
    vals = np.array([neg_objective(u) for u in grid])
    k = int(np.argmin(vals))
    if k == 0 and -vals[0] <= null_value + 1e-8:
        return 0.0
    lo = grid[max(k - 1, 0)] - (2.0 if k == 0 else 0.0)
    hi = grid[min(k + 1, grid.size - 1)] + (3.0 if k == grid.size - 1 else 0.0)
    opt = optimize.minimize_scalar(neg_objective, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-10})
    return 0.0 if -opt.fun <= null_value else float(np.exp(opt.x))


def _laplace_integrated(r: _Inner, p: int, K: int, theta: float) -> float:
    """coxme's integrated (Laplace) log-likelihood of the gaussian frailty:
    PL − ½ ŵ'ŵ/θ − ½ K log θ − ½ log det H_ww, H the penalised information (its frailty
    block's diagonal only in the sparse computation)."""
    w = r.fit.coef[p:]
    ppl = r.fit.loglik - 0.5 * float(np.sum(w * w)) / theta
    return ppl - 0.5 * K * np.log(theta) - 0.5 * r.logdet_ww


def _gaussian_root(resid) -> float:
    """θ > 0 with resid(θ) = 0 (R's REML equation), bracketed on a log grid then brentq."""
    prev_t, prev_r = None, None
    for t in np.exp(np.linspace(np.log(1e-4), np.log(_THETA_MAX), 40)):
        try:
            rv = resid(float(t))
        except ConvergenceError:
            break
        if prev_r is not None and np.sign(rv) != np.sign(prev_r):
            return float(optimize.brentq(resid, prev_t, float(t), xtol=1e-14, rtol=1e-13))
        prev_t, prev_r = float(t), rv
    return 0.0


def frailty_fields(*, fit_out: dict, kind: str, names, term_cols, term_names, time, event,
                   start, strata, levels, conf_level, n_obs, n_dropped, ties,
                   frailty_col, make_table) -> dict:
    """CoxResult + frailty fields from :func:`fit_frailty_arrays` output (for fit_cox, which
    passes its table builder ``make_table(coef, se, conf_level, names)``)."""
    fit, var, p, K = fit_out["fit"], fit_out["var"], fit_out["p"], fit_out["K"]
    th = fit_out["theta"]
    coef = fit.coef[:p]
    se = np.sqrt(np.diag(var)[:p])
    table = make_table(coef, se, conf_level, names)
    w = fit.coef[p:]
    w_se = np.sqrt(np.diag(var)[p:])
    vw = var[p:, p:]
    var2 = fit_out["var2"]
    # R's degrees of freedom per term (coxpenal.df): tr(V_tt⁻¹ var2_tt) for each covariate's
    # terms; the frailty's K − Σ diag(V_ww)·P''_w in the sparse computation (the same as its
    # trace formula when the block is dense). Its Wald test: ŵ' V_ww⁻ ŵ, or Σ ŵ²/diag(V_ww)
    # when sparse (R's print of the frailty term).
    df_terms = [float(np.trace(np.linalg.solve(var[np.ix_(c, c)], var2[np.ix_(c, c)])))
                for c in term_cols]
    if fit_out["sparse"]:
        df_w = float(K - np.sum(np.diag(vw) * fit_out["pen_diag"]))
        wald = float(np.sum(w * w / np.diag(vw)))
    else:
        df_w = float(np.trace(np.linalg.lstsq(vw, var2[p:, p:], rcond=None)[0]))
        wald = float(w @ np.linalg.lstsq(vw, w, rcond=None)[0])
    df_all = float(np.sum(df_terms) + df_w)
    n_events = int(np.sum(event))
    counts = np.bincount(fit_out["codes"], minlength=K)
    frailties = pd.DataFrame({
        "level": list(levels), "n_obs": counts.astype(int),
        "n_events": fit_out["d_events"].astype(int), "log_frailty": w,
        "frailty": np.exp(w), "std_error": w_se})
    null_fit = fit_out["null_fit"]
    if kind == "gamma" or fit_out["method"] == "ml":
        ml = (_gamma_marginal(fit, fit_out["d_events"], fit_out["theta_fit"], K)
              if kind == "gamma" else fit_out["integrated"])
        lr = max(2.0 * (ml - null_fit.loglik), 0.0)
        lr_p = 0.5 * float(stats.chi2.sf(lr, 1))
    else:
        ml, lr, lr_p = float("nan"), float("nan"), float("nan")
    lp = fit.linear_predictor
    c, c_se, _ = concordance(lp, time, event, start=start, strata=strata)
    lr_fit = 2.0 * (fit.loglik - fit.loglik_null)
    return dict(
        table=table, covariance=pd.DataFrame(var[:p, :p], index=table.index,
                                             columns=table.index),
        loglik=float(fit.loglik), loglik_null=float(fit.loglik_null),
        lr_statistic=float(lr_fit), lr_df=df_all,
        lr_p_value=float(stats.chi2.sf(lr_fit, df_all)), concordance=c,
        concordance_std_error=c_se, n_obs=n_obs, n_events=n_events, n_dropped=n_dropped,
        n_iter=int(fit.n_iter), converged=bool(fit.converged), ties=ties, robust=False,
        conf_level=conf_level, frailty=kind, frailty_col=frailty_col, theta=float(th),
        frailties=frailties, frailty_statistic=wald, frailty_df=df_w,
        frailty_p_value=float(stats.chi2.sf(wald, max(df_w, 0.5))),
        frailty_lr_statistic=float(lr), frailty_lr_p_value=float(lr_p),
        marginal_loglik=float(ml), penalised_loglik=float(fit.penalised_loglik),
        sparse=bool(fit_out["sparse"]), frailty_method=fit_out["method"],
        _term_columns=tuple(term_cols),
        _term_names=tuple(term_names),
    )
