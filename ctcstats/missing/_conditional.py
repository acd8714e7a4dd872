"""Conditional (covariate) models of the imputation chains, fitted by statsmodels, with a draw
of their parameters from the approximate posterior ("proper" imputation, Rubin 1987).

Each ``fit_<kind>`` takes the observed values ``y`` of one variable, the design ``X`` of its
predictors (rows where ``y`` is observed) and returns a :class:`Drawn` model whose
parameters are already drawn: ``sample(X, rng)`` draws new values for the given rows,
``log_probs(X)`` (discrete kinds) gives log P(y = level | x) for every level.

* ``continuous`` — normal linear regression (statsmodels OLS); sigma* = sqrt(RSS / chi2(n-p)),
  beta* ~ N(beta_hat, sigma*^2 (X'X)^-1): R ``mice.impute.norm`` (``.norm.draw``) and
  ``smcfcs``'s ``"norm"``.
* ``binary`` — logistic regression (statsmodels GLM binomial); beta* ~ N(beta_hat, V): R
  ``mice.impute.logreg`` and ``smcfcs``'s ``"logreg"``.
* ``ordinal`` — proportional-odds logistic model (analytic Newton fit, :mod:`._ordinal`, in
  statsmodels ``OrderedModel``'s parameterisation; ``OrderedModel`` itself where a level is
  unobserved); all parameters drawn from their asymptotic normal: as ``smcfcs``'s
  ``"podds"`` (``mice``'s ``polr`` uses the fitted probabilities without a draw).
* ``categorical`` — multinomial logistic (statsmodels ``MNLogit``), parameters drawn as
  ``smcfcs``'s ``"mlogit"``.
* ``count`` — Poisson (GLM) or negative binomial (statsmodels ``NegativeBinomial``, NB2)
  with ``log(volume)`` as offset when a volume is given; parameters drawn from their
  asymptotic normal (the NB dispersion on the log scale) as ``smcfcs``'s ``"poisson"``; a
  dispersion estimated at its boundary 0 means the Poisson model, which is then used.

Perfect prediction (separation) in the binary and categorical models — a level never seen
with some predictor value, so its estimates drift to infinity with standard errors in the
thousands and drawn parameters land on an arbitrary side — is detected (non-convergence or a
fitted probability below 1e-8) and the model refitted with mice's augmented data (White,
Daniel & Royston 2010): a few weighted pseudo-observations at the predictors' means ± SD/2
for every level, weighing p + 1 observations in all; R smcfcs has no such remedy, mice's
``logreg`` and ``polyreg`` always augment. The refit is reported in the result's
``warnings``. Other numerical trouble (non-convergence of the ordinal or count models) is
caught and returned as messages; the chain carries on with the estimates, as R does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import special

from .._warnings import Captured, capture, emit
from ._ordinal import fit_polr

__all__ = ["Drawn", "MAX_SE", "augment", "finish_fit", "fit_draw", "fit_mlogit",
           "perfect_prediction"]


def draw_mvn(rng: np.random.Generator, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """One draw of N(mean, cov); a symmetric-eigen square root tolerates a singular cov."""
    cov = (np.asarray(cov, float) + np.asarray(cov, float).T) / 2
    w, v = np.linalg.eigh(cov)
    root = v * np.sqrt(np.clip(w, 0.0, None))
    return np.asarray(mean, float) + root @ rng.standard_normal(mean.shape[0])


def with_intercept(X: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(X.shape[0]), X])


MAX_SE = 1000.0  # a logistic standard error above this is separation (micemd's threshold)


def finish_fit(theta: np.ndarray, info: np.ndarray):
    """``(theta, cov)`` from a Newton fit's information, or ``None`` where the covariance is
    singular, not finite or has a standard error above :data:`MAX_SE` (separation)."""
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return None
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(se)) and np.all(se < MAX_SE)):
        return None
    return theta, (cov + cov.T) / 2


def fit_mlogit(y: np.ndarray, Z: np.ndarray, n_levels: int, *,
               weights: np.ndarray | None = None, max_iter: int = 50, tol: float = 1e-10):
    """Baseline-category logit of codes ``y`` on ``Z`` (with its constant column) by
    Newton–Raphson → ``(theta, cov)``, theta the (q, J - 1) coefficients flattened equation
    by equation (as statsmodels ``MNLogit``'s params in Fortran order), or ``None`` (a
    category absent, no convergence, separation). ``weights``: prior weights of the rows
    (the log-likelihood a weighted sum, as R ``nnet::multinom(weights=)``); statsmodels'
    ``MNLogit`` takes none, hence this fit (also used per study by the two-stage model)."""
    y = np.asarray(y).astype(int)
    n, q = Z.shape
    m = n_levels - 1
    if np.unique(y).size < n_levels or n <= q * m or np.linalg.matrix_rank(Z) < q:
        return None
    Y = (y[:, None] == np.arange(1, n_levels)[None, :]).astype(float)
    B = np.zeros((q, m))
    w = None if weights is None else np.asarray(weights, float)

    def state(B):
        eta = Z @ B
        top = np.maximum(eta.max(axis=1), 0.0)  # log-sum-exp with the baseline's 0
        lse = top + np.log(np.exp(-top) + np.exp(eta - top[:, None]).sum(axis=1))
        contrib = np.sum(Y * eta) - lse.sum() if w is None else np.sum(
            w * (np.sum(Y * eta, axis=1) - lse))
        return float(contrib), np.exp(eta - lse[:, None])

    def information(P):
        W = P[:, :, None] * np.eye(m)[None] - P[:, :, None] * P[:, None, :]
        if w is not None:
            W = W * w[:, None, None]
        return np.einsum("ijl,ia,ib->jalb", W, Z, Z).reshape(m * q, m * q)

    ll, P = state(B)
    for _ in range(max_iter):
        info = information(P)
        resid = Y - P if w is None else (Y - P) * w[:, None]
        try:
            step = np.linalg.solve(info, (Z.T @ resid).ravel(order="F"))
        except np.linalg.LinAlgError:
            return None
        t = 1.0
        while True:
            nB = B + t * step.reshape(q, m, order="F")
            new, nP = state(nB)
            if new >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t /= 2
        B, P, ll_old, ll = nB, nP, ll, new
        if abs(ll - ll_old) < tol * (abs(ll) + 0.1):
            return finish_fit(B.ravel(order="F"), information(P))
    return None


def augment(codes: np.ndarray, X: np.ndarray, n_levels: int):
    """Pseudo-observations against perfect prediction (White, Daniel & Royston 2010), as R
    ``mice:::augment``: for each predictor j and each level, two rows at the predictors'
    means with x_j moved by ±SD_j/2 (clipped to its range), carrying that level; together
    they weigh (p + 1) observations. Returns ``(codes, X, weights)`` with the rows appended
    (the data's rows weigh 1)."""
    n, p = X.shape
    if p == 0:
        return codes, X, np.ones(n)
    k = n_levels
    nr = 2 * p * k
    mean, sd = X.mean(axis=0), X.std(axis=0, ddof=1)
    d = np.tile(mean, (nr, 1))
    for j in range(p):
        rows = slice(2 * k * j, 2 * k * (j + 1))
        d[rows, j] += np.tile([0.5, -0.5], k) * sd[j]
    d = np.clip(d, X.min(axis=0), X.max(axis=0))
    e = np.tile(np.repeat(np.arange(k, dtype=float), 2), p)
    return (np.concatenate([codes, e]), np.vstack([X, d]),
            np.concatenate([np.ones(n), np.full(nr, (p + 1) / nr)]))


def perfect_prediction(probs: np.ndarray, converged: bool) -> bool:
    """Whether a logistic fit shows (quasi-)complete separation: it did not converge, or a
    fitted probability of some level is below 1e-8 for some row (the estimates drift to
    infinity with standard errors in the thousands; drawing parameters from them gives
    imputations from an arbitrary side of the boundary). Scale-free, so invariant to the
    predictors' units."""
    return (not converged) or bool(np.min(probs) < 1e-8)


@dataclass(frozen=True)
class Drawn:
    """A covariate model with drawn parameters."""

    kind: str
    beta: np.ndarray
    sigma: float = np.nan  # continuous: residual SD; count (negbin): dispersion alpha
    cuts: np.ndarray | None = None  # ordinal: thresholds
    n_levels: int = 0
    family: str = ""  # count: "poisson" or "negbin"
    mle: np.ndarray | None = None  # the estimate (ordinal: warm start of the next fit)

    def linear(self, X: np.ndarray) -> np.ndarray:
        if self.kind == "ordinal":
            return X @ self.beta if X.shape[1] else np.zeros(X.shape[0])
        if self.kind == "categorical":
            return with_intercept(X) @ self.beta  # (n, K-1)
        return with_intercept(X) @ self.beta

    def log_probs(self, X: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """log P(level k | x), shape (n, K) — discrete kinds."""
        eta = self.linear(X)
        if self.kind == "binary":
            return np.column_stack([-np.logaddexp(0.0, eta), -np.logaddexp(0.0, -eta)])
        if self.kind == "categorical":
            full = np.column_stack([np.zeros(X.shape[0]), eta])
            return full - special.logsumexp(full, axis=1, keepdims=True)
        if self.kind == "ordinal":
            assert self.cuts is not None
            cdf = special.expit(self.cuts[None, :] - eta[:, None])
            cdf = np.column_stack([np.zeros(X.shape[0]), cdf, np.ones(X.shape[0])])
            with np.errstate(divide="ignore"):
                return np.log(np.clip(np.diff(cdf, axis=1), 0.0, None))
        raise ValueError(self.kind)

    def sample(self, X: np.ndarray, rng: np.random.Generator,
               offset: np.ndarray | None = None) -> np.ndarray:
        """Draw values for the rows of X (codes 0..K-1 for discrete kinds)."""
        n = X.shape[0]
        if self.kind == "continuous":
            return self.linear(X) + self.sigma * rng.standard_normal(n)
        if self.kind == "count":
            mu = np.exp(self.linear(X) + (0.0 if offset is None else offset))
            if self.family == "poisson" or not self.sigma > 1e-8:  # alpha ~ 0: Poisson
                return rng.poisson(mu).astype(float)
            size = 1.0 / self.sigma
            return rng.negative_binomial(size, size / (size + mu)).astype(float)
        return sample_codes(self.log_probs(X), rng)


def sample_codes(logp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row from unnormalised log-probabilities."""
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    cum = np.cumsum(p, axis=1)
    u = rng.random(logp.shape[0]) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1).astype(float)


def _caught(ws: Captured) -> list[str]:
    return [m.splitlines()[0] for m in ws.messages()]


def fit_draw(kind: str, y: np.ndarray, X: np.ndarray, rng: np.random.Generator, *,
             n_levels: int = 0, family: str = "poisson",
             offset: np.ndarray | None = None,
             start: np.ndarray | None = None) -> tuple[Drawn, list[str]]:
    """Fit the covariate model of one variable and draw its parameters (``start``: the
    previous estimate, a warm start where the fit is iterative and slow)."""
    with capture() as ws:
        model = _FITTERS[kind](y, X, rng, n_levels=n_levels, family=family, offset=offset,
                               start=start)
    return model, _caught(ws)


def _fit_continuous(y, X, rng, **_):
    res = sm.OLS(y, with_intercept(X)).fit()
    df = max(res.df_resid, 1.0)
    sigma = float(np.sqrt(res.ssr / rng.chisquare(df)))
    beta = draw_mvn(rng, np.asarray(res.params), sigma**2 * np.asarray(res.normalized_cov_params))
    return Drawn("continuous", beta, sigma=sigma)


def _fit_binary(y, X, rng, **_):
    Z = with_intercept(X)
    with capture() as first:
        res = sm.GLM(y, Z, family=sm.families.Binomial()).fit()
        p = np.asarray(res.fittedvalues)
    if perfect_prediction(np.column_stack([p, 1.0 - p]), bool(res.converged)):
        ya, Xa, wa = augment(y, X, 2)
        res = sm.GLM(ya, with_intercept(Xa), family=sm.families.Binomial(),
                     freq_weights=wa).fit()
        warnings.warn(_AUGMENTED, stacklevel=2)
    else:
        emit(first)
    return Drawn("binary", draw_mvn(rng, np.asarray(res.params), np.asarray(res.cov_params())),
                 n_levels=2)


_AUGMENTED = ("perfect prediction (separation) in its imputation model: refitted with "
              "augmented data (White, Daniel & Royston 2010; as R mice's logreg/polyreg)")


def _fit_ordinal(y, X, rng, *, n_levels, start=None, **_):
    p = X.shape[1]
    codes = y.astype(int)
    fit = None
    if np.bincount(codes, minlength=n_levels).min() > 0:
        # analytic Newton fit (_ordinal), in OrderedModel's parameterisation; warm start at
        # the previous cycle's estimate
        fit = fit_polr(codes, X, n_levels, start=start)
    if fit is not None and fit.converged:
        params, cov = fit.params, fit.cov
    else:  # a level unobserved, or no convergence: statsmodels' numerical fit
        from statsmodels.miscmodels.ordinal_model import OrderedModel

        res = OrderedModel(codes, X, distr="logit").fit(
            method="bfgs", disp=0, maxiter=500, start_params=start)
        params, cov = np.asarray(res.params), np.asarray(res.cov_params())
    theta = draw_mvn(rng, params, cov)
    cuts = np.cumsum(np.concatenate([[theta[p]], np.exp(theta[p + 1:])]))
    return Drawn("ordinal", theta[:p], cuts=cuts, n_levels=n_levels, mle=params)


def _fit_categorical(y, X, rng, *, n_levels, **_):
    Z = with_intercept(X)
    with capture() as first:
        res = sm.MNLogit(y.astype(int), Z).fit(disp=0, method="newton", maxiter=100)
        probs = np.asarray(res.predict(Z))
    params = np.asarray(res.params)  # (p+1, K-1)
    mean, cov = params.ravel(order="F"), np.asarray(res.cov_params())
    if perfect_prediction(probs, bool(res.mle_retvals.get("converged", False))):
        ya, Xa, wa = augment(y.astype(float), X, n_levels)
        fit = fit_mlogit(ya, with_intercept(Xa), n_levels, weights=wa, max_iter=100)
        if fit is not None:
            mean, cov = fit
            warnings.warn(_AUGMENTED, stacklevel=2)
        else:  # not even with the pseudo-observations: keep statsmodels' fit and its warning
            emit(first)
    else:
        emit(first)
    flat = draw_mvn(rng, mean, cov)
    return Drawn("categorical", flat.reshape(params.shape, order="F"), n_levels=n_levels)


def _fit_count(y, X, rng, *, family, offset, **_):
    pois = sm.GLM(y, with_intercept(X), family=sm.families.Poisson(), offset=offset).fit()
    p_draw = None if family == "negbin" else draw_mvn(rng, np.asarray(pois.params),
                                                   np.asarray(pois.cov_params()))
    if family == "poisson":
        return Drawn("count", p_draw, family="poisson")
    try:
        # a dispersion estimate at its boundary 0 makes the Hessian singular; that case is
        # the Poisson model (below), so statsmodels' warnings about it are not passed on
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.NegativeBinomial(y, with_intercept(X), offset=offset, loglike_method="nb2").fit(
                start_params=np.append(np.asarray(pois.params), 0.1), disp=0, maxiter=200)
            params = np.asarray(res.params)
            cov = np.asarray(res.cov_params())
    except (ValueError, np.linalg.LinAlgError):
        params, cov = np.append(np.asarray(pois.params), 0.0), None
    a = params[-1]
    if cov is None or not a > 1e-6 or not np.all(np.isfinite(cov)):
        # no overdispersion: the negative binomial is the Poisson model
        return Drawn("count", draw_mvn(rng, np.asarray(pois.params),
                                   np.asarray(pois.cov_params())), sigma=0.0, family="negbin")
    # dispersion alpha drawn on the log scale (delta method), the others as they are
    jac = np.ones(params.size)
    jac[-1] = 1.0 / a
    theta = draw_mvn(rng, np.append(params[:-1], np.log(a)), cov * np.outer(jac, jac))
    return Drawn("count", theta[:-1], sigma=float(np.exp(theta[-1])), family="negbin")


_FITTERS: dict[str, Callable[..., Drawn]] = {"continuous": _fit_continuous, "binary": _fit_binary, "ordinal": _fit_ordinal,
            "categorical": _fit_categorical, "count": _fit_count}
