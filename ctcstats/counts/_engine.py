"""Fitting engine of the count models (private): statsmodels fits, polished, with R's SEs.

Parameter layout used everywhere in ctcstats.counts: ``beta`` (count component, log link,
intercept first), ``gamma`` (zero component, logit link, intercept first; empty for Poisson and
NB) and ``theta`` (negative-binomial size as R's ``theta``; ``inf`` for Poisson kinds).

* zip / zinb: ``gamma`` is the logit of a structural zero (``pscl::zeroinfl``).
* hurdle_*: ``gamma`` is the logit of crossing the hurdle, P(y > 0) (``pscl::hurdle`` with
  ``zero.dist = "binomial"``); the count part is zero-truncated.

Who does what
-------------
statsmodels fits every model (GLM Poisson, discrete NegativeBinomial, ZeroInflatedPoisson,
ZeroInflatedNegativeBinomialP, Logit and the zero-truncated TruncatedLFPoisson /
TruncatedLFNegativeBinomialP). Its default optimisers stop at a gradient tolerance that leaves the
estimates ~1e-5..1e-4 short of the optimum R reaches, and its Hessians for the zero-inflated NB and
truncated models are finite differences of the *log-likelihood* (relative error ~1e-5). We
therefore polish each fit with Newton steps that use statsmodels' analytic scores and a Hessian
from central differences of those scores (relative error ~1e-9), until the Newton step is below
1e-10. Standard errors are then those R reports:

* ``glm`` Poisson / ``MASS::glm.nb``: the GLM (IRLS, expected) information at the fitted theta —
  statsmodels ``GLM(family=NegativeBinomial(alpha=1/theta))`` — not the joint observed
  information that statsmodels' discrete NegativeBinomial reports; SE(theta) as
  ``MASS::theta.ml`` computes it (own code, see :func:`theta_ml_se`).
* zeroinfl / hurdle: the inverse of the observed Hessian of the joint log-likelihood (pscl uses
  optim's Hessian in (coefficients, log theta); at the optimum the coefficient block of its
  inverse does not depend on how theta is parametrised, and SE(log theta) = SE(alpha)/alpha).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._warnings import capture

__all__ = ["EngineFit", "fit_engine", "log_pmf", "pmf_matrix", "moments"]

ZERO_KINDS = ("zip", "zinb", "hurdle_poisson", "hurdle_negbin")
NB_KINDS = ("negbin", "zinb", "hurdle_negbin")


@dataclass
class EngineFit:
    """Raw output of one fit (internal)."""

    beta: np.ndarray
    gamma: np.ndarray
    theta: float
    cov: np.ndarray  # covariance of concatenate([beta, gamma])
    theta_se: float  # on the theta scale
    log_theta_se: float
    converged: bool
    messages: list[str] = field(default_factory=list)
    # standard errors of [beta, gamma] per standard deviation of their covariate (the
    # intercepts at the covariate means): what "a flat likelihood" means whatever the units
    std_error_standardised: np.ndarray | None = None


# --------------------------------------------------------------------------- distributions
def _nb_logpmf(y, mu, theta):
    """log NB(y; mean mu, size theta), as R's dnbinom(log = TRUE)."""
    return (
        special.gammaln(y + theta)
        - special.gammaln(theta)
        - special.gammaln(y + 1.0)
        + theta * (np.log(theta) - np.log(theta + mu))
        + special.xlogy(y, mu)
        - y * np.log(theta + mu)
    )


def _base_logpmf(y, mu, theta):
    if np.isinf(theta):
        return special.xlogy(y, mu) - mu - special.gammaln(y + 1.0)
    return _nb_logpmf(y, mu, theta)


def log_pmf(kind: str, y, mu, theta: float, p_zero_part=None):
    """log P(Y = y) for each row; *y* may be (n,) or (n, K) against (n, 1) parameters.

    ``p_zero_part`` is P(structural zero) for zip/zinb and P(y > 0) for hurdles.
    """
    y = np.asarray(y, dtype=float)
    base = _base_logpmf(y, mu, theta)
    if kind in ("poisson", "negbin"):
        return base
    p = p_zero_part
    if kind in ("zip", "zinb"):
        log0 = np.log(p + (1.0 - p) * np.exp(_base_logpmf(0.0, mu, theta)))
        return np.where(y == 0, log0, np.log1p(-p) + base)
    # hurdle: zero with prob 1 - p, else truncated base
    log_f0 = _base_logpmf(0.0, mu, theta)
    log_trunc = base - np.log(-np.expm1(log_f0))
    return np.where(y == 0, np.log1p(-p), np.log(p) + log_trunc)


def pmf_matrix(kind, counts, mu, theta, p_zero_part=None) -> np.ndarray:
    """P(Y = k) for each row (n) and each k in *counts* (K): an (n, K) array."""
    k = np.asarray(counts, dtype=float)[None, :]
    pz = None if p_zero_part is None else np.asarray(p_zero_part)[:, None]
    return np.exp(log_pmf(kind, k, np.asarray(mu)[:, None], theta, pz))


def moments(kind, mu, theta, p_zero_part=None) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of Y for each row."""
    var_base = mu if np.isinf(theta) else mu + mu**2 / theta
    if kind in ("poisson", "negbin"):
        return mu, var_base
    p = p_zero_part
    if kind in ("zip", "zinb"):
        mean = (1 - p) * mu
        return mean, (1 - p) * (var_base + mu**2) - mean**2
    f0 = np.exp(_base_logpmf(0.0, mu, theta))
    mean = p * mu / (1 - f0)
    second = p * (var_base + mu**2) / (1 - f0)
    return mean, second - mean**2


# --------------------------------------------------------------------------- numerics
def _num_hessian(score, x: np.ndarray) -> np.ndarray:
    """Hessian by central differences of the analytic score (step ~ eps^(1/3), error ~1e-10)."""
    k = x.size
    hess = np.empty((k, k))
    h = np.cbrt(np.finfo(float).eps) * np.maximum(np.abs(x), 1.0)
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        hess[:, j] = (score(x + e) - score(x - e)) / (2 * h[j])
    return (hess + hess.T) / 2


def _newton_polish(loglike, score, x0, *, hessian=None, max_iter=60, tol=1e-10):
    """Maximise *loglike* from *x0* by damped Newton steps; return (x, hessian, converged).

    Own code because statsmodels' optimisers stop at a gradient tolerance (~1e-5) that is too
    loose to agree with R to 1e-5 on every coefficient; Newton from there converges
    quadratically. Steps that do not increase the log-likelihood are halved; where the Hessian
    is not negative definite a gradient step is taken instead.
    """
    hess_fn = hessian or (lambda z: _num_hessian(score, z))
    x = np.asarray(x0, dtype=float).copy()
    f = loglike(x)
    converged = False
    for _ in range(max_iter):
        g = score(x)
        hess = hess_fn(x)
        try:
            step = -np.linalg.solve(hess, g)
            ascent = np.all(np.isfinite(step)) and g @ step > 0
        except np.linalg.LinAlgError:
            ascent = False
        if not ascent:
            step = g / max(1.0, np.abs(g).max())
        t = 1.0
        while t > 1e-12:
            xn = x + t * step
            with np.errstate(all="ignore"):
                fn = loglike(xn)
            if np.isfinite(fn) and fn >= f - 1e-12 * max(1.0, abs(f)):
                break
            t /= 2
        else:
            break
        done = ascent and t == 1.0 and np.max(np.abs(step) / (1.0 + np.abs(x))) < tol
        x, f = xn, fn
        if done:
            converged = True
            break
    hess = hess_fn(x)
    if not converged:
        # a final check: the Newton decrement is negligible even if the step test failed
        g = score(x)
        try:
            converged = bool(abs(g @ np.linalg.solve(hess, g)) < 1e-12 * max(1.0, abs(f)))
        except np.linalg.LinAlgError:
            converged = False
    return x, hess, converged


def _second_route(model, start, current, has_alpha: bool):
    """Refit from pscl's start with scipy BFGS in (coefficients, log theta), as pscl's optim.

    statsmodels optimises alpha = 1/theta directly; on flat likelihoods (a zero component that
    is barely identified) its BFGS can stop at a poorer point than R's optimiser in log(theta).
    Used only when the first polished fit did not converge; the better of the two is kept.
    """
    from scipy import optimize

    def to_sm(lp):
        return np.r_[lp[:-1], np.exp(-lp[-1])] if has_alpha else lp

    def negll(lp):
        with np.errstate(all="ignore"):
            v = model.loglike(to_sm(lp))
        return -v if np.isfinite(v) else np.inf

    def neggrad(lp):
        p = to_sm(lp)
        with np.errstate(all="ignore"):
            g = np.array(model.score(p), dtype=float)
        if has_alpha:
            g[-1] = g[-1] * (-p[-1])
        return -g

    lstart = np.r_[start[:-1], -np.log(start[-1])] if has_alpha else np.asarray(start, float)
    opt = optimize.minimize(negll, lstart, jac=neggrad, method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 5000})
    cand = to_sm(opt.x)
    x2, h2, c2 = _newton_polish(model.loglike, model.score, cand, max_iter=50)
    with np.errstate(all="ignore"):
        better = model.loglike(x2) > model.loglike(current)
    if c2 or better:
        return x2, h2, c2
    return current, _num_hessian(model.score, current), False


def _inv_neg(hess: np.ndarray) -> np.ndarray:
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return np.full_like(hess, np.nan)
    if np.any(np.diag(cov) <= 0):
        cov[np.diag_indices_from(cov)] = np.where(np.diag(cov) > 0, np.diag(cov), np.nan)
    return cov


def theta_score(y, mu, th):
    """d loglik / d theta of the NB2 model at fixed means (MASS::theta.ml's score)."""
    return np.sum(
        special.digamma(th + y) - special.digamma(th) + np.log(th) + 1
        - np.log(th + mu) - (y + th) / (mu + th)
    )


def theta_information(y, mu, th):
    """-d² loglik / d theta² of the NB2 model at fixed means (MASS::theta.ml's info)."""
    return np.sum(
        -special.polygamma(1, th + y) + special.polygamma(1, th) - 1 / th
        + 2 / (mu + th) - (y + th) / (mu + th) ** 2
    )


def theta_ml_se(y, mu, theta_hat: float) -> tuple[float, float]:
    """theta and SE(theta) exactly as ``MASS::theta.ml`` at the final fitted means.

    theta.ml runs Newton from the moment estimate n / sum((y/mu - 1)^2) until the step is below
    .Machine$double.eps^0.25 and reports sqrt(1/info) with the information evaluated at the
    iterate *before* the last step. We replay the same iterations (own code: statsmodels has
    no conditional information for theta) so that SE(theta) matches glm.nb's ``SE.theta``.
    """
    y = np.asarray(y, dtype=float)
    n = y.size

    def score(th):
        return theta_score(y, mu, th)

    def info(th):
        return theta_information(y, mu, th)

    eps = np.finfo(float).eps ** 0.25
    t0 = n / np.sum((y / mu - 1) ** 2)
    delta, it, i = 1.0, 0, np.nan
    while (it := it + 1) < 25 and abs(delta) > eps and np.isfinite(t0):
        t0 = abs(t0)
        i = info(t0)
        delta = score(t0) / i
        t0 = t0 + delta
    if not (np.isfinite(i) and i > 0) or abs(t0 - theta_hat) > 1e-3 * theta_hat:
        # theta.ml's replay strayed (e.g. theta diverging): use the information at theta_hat
        i = info(theta_hat)
    return float(t0), float(np.sqrt(1 / i)) if i > 0 else float("nan")


# --------------------------------------------------------------------------- fits
def _sm():
    import statsmodels.api as sm
    from statsmodels.discrete import count_model, truncated_model

    return sm, count_model, truncated_model


def _quiet_fit(fn, messages: list[str]):
    """Run a statsmodels fit, keeping its warnings as messages (it warns about its own
    optimiser; what matters is whether the polished fit converged, checked afterwards)."""
    with capture() as caught, np.errstate(all="ignore"):
        out = fn()
    messages.extend(caught.messages())
    return out


def _bfgs_polished(model, start, has_alpha: bool, messages: list[str]):
    """statsmodels BFGS from pscl's start, Newton-polished to the exact optimum; when that does
    not converge, pscl's route in log(theta) (:func:`_second_route`). Returns ``(params,
    hessian, converged)``; a non-finite BFGS result (or alpha ≤ 0) restarts from *start*."""
    res = _quiet_fit(
        lambda: model.fit(start_params=start, method="bfgs", maxiter=5000, disp=0), messages
    )
    params = np.asarray(res.params, dtype=float)
    if not np.all(np.isfinite(params)) or (has_alpha and params[-1] <= 0):
        params = start
    params, hess, converged = _newton_polish(model.loglike, model.score, params)
    if not converged:
        params, hess, converged = _second_route(model, start, params, has_alpha)
    return params, hess, converged


def _fit_poisson(y, x, offset, messages):
    sm, _, _ = _sm()
    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    res = _quiet_fit(lambda: model.fit(tol=1e-13, maxiter=200), messages)
    beta = np.asarray(res.params, dtype=float)
    return beta, np.asarray(res.cov_params(), dtype=float), bool(res.converged)


def _fit_negbin(y, x, offset, beta0, messages):
    sm, _, _ = _sm()
    model = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
    start = np.append(beta0, 1.0)
    res = _quiet_fit(
        lambda: model.fit(start_params=start, method="bfgs", maxiter=2000, disp=0), messages
    )
    params = np.asarray(res.params, dtype=float)
    if not np.all(np.isfinite(params)) or params[-1] <= 0:
        params = start
    params, _, converged = _newton_polish(
        model.loglike, model.score, params, hessian=model.hessian
    )
    beta, alpha = params[:-1], float(params[-1])
    _check_alpha(alpha, converged)
    # glm.nb's standard errors: the GLM information at the fitted theta (IRLS, scale 1).
    glm = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset)
    gres = _quiet_fit(lambda: glm.fit(start_params=beta, tol=1e-13, maxiter=200), messages)
    beta = np.asarray(gres.params, dtype=float)
    mu = np.exp(x @ beta + offset)
    theta = 1.0 / alpha
    _, theta_se = theta_ml_se(y, mu, theta)
    return beta, np.asarray(gres.cov_params(), dtype=float), theta, theta_se, converged


class _Diverged(Exception):
    """A parameter ran off to the boundary (theta → ∞ or 0)."""


def _check_alpha(alpha: float, converged: bool) -> None:
    """alpha = 1/theta at or heading for 0: the NB likelihood is maximised on the boundary
    theta = ∞ (the Poisson model), where Newton cannot converge; R's glm.nb then stops at
    its iteration limit with a huge theta. We say so instead of returning that theta."""
    if not alpha > 0 or (not converged and alpha < 1e-4):
        raise _Diverged("theta")


def _logit_start(ybin, z, messages):
    sm, _, _ = _sm()
    res = _quiet_fit(lambda: sm.Logit(ybin, z).fit(method="newton", maxiter=100, disp=0),
                     messages)
    g = np.asarray(res.params, dtype=float)
    return g if np.all(np.isfinite(g)) else np.zeros(z.shape[1])


def _fit_zeroinfl(kind, y, x, z, offset, beta0, messages):
    sm, count_model, _ = _sm()
    kz = z.shape[1]
    gamma0 = _logit_start((y == 0).astype(float), z, messages)
    if kind == "zip":
        model = count_model.ZeroInflatedPoisson(y, x, exog_infl=z, offset=offset)
        start = np.concatenate([gamma0, beta0])
    else:
        model = count_model.ZeroInflatedNegativeBinomialP(y, x, exog_infl=z, offset=offset, p=2)
        start = np.concatenate([gamma0, beta0, [1.0]])  # pscl starts at theta = 1
    params, hess, converged = _bfgs_polished(model, start, kind == "zinb", messages)
    cov = _inv_neg(hess)
    gamma, rest = params[:kz], params[kz:]
    kx = x.shape[1]
    order = np.r_[kz : kz + kx, 0:kz]  # → [beta, gamma]
    cov_bg = cov[np.ix_(order, order)]
    if kind == "zip":
        return rest, gamma, np.inf, cov_bg, np.nan, np.nan, converged
    alpha = float(rest[-1])
    _check_alpha(alpha, converged)
    se_alpha = float(np.sqrt(cov[-1, -1]))
    return rest[:-1], gamma, 1 / alpha, cov_bg, se_alpha / alpha**2, se_alpha / alpha, converged


def _fit_hurdle(kind, y, x, z, offset, beta0, messages):
    sm, _, truncated_model = _sm()
    pos = y > 0
    # zero hurdle: logit of P(y > 0), as pscl::hurdle(zero.dist = "binomial")
    logit = sm.Logit(pos.astype(float), z)
    g0 = _logit_start(pos.astype(float), z, messages)
    gamma, hess_z, conv_z = _newton_polish(logit.loglike, logit.score, g0, hessian=logit.hessian)
    cov_z = _inv_neg(hess_z)
    # count part: zero-truncated Poisson / NB on the positive counts
    yp, xp, op = y[pos], x[pos], offset[pos]
    if kind == "hurdle_poisson":
        model = truncated_model.TruncatedLFPoisson(yp, xp, offset=op)
        start = beta0
    else:
        model = truncated_model.TruncatedLFNegativeBinomialP(yp, xp, offset=op, p=2)
        start = np.append(beta0, 1.0)
    params, hess_c, conv_c = _bfgs_polished(model, start, kind == "hurdle_negbin", messages)
    cov_c = _inv_neg(hess_c)
    kx, kz = x.shape[1], z.shape[1]
    cov = np.zeros((kx + kz, kx + kz))
    cov[:kx, :kx] = cov_c[:kx, :kx]
    cov[kx:, kx:] = cov_z  # the likelihood separates: the joint Hessian is block diagonal
    converged = conv_z and conv_c
    if kind == "hurdle_poisson":
        return params, gamma, np.inf, cov, np.nan, np.nan, converged
    alpha = float(params[-1])
    _check_alpha(alpha, conv_c)
    se_alpha = float(np.sqrt(cov_c[-1, -1]))
    return params[:-1], gamma, 1 / alpha, cov, se_alpha / alpha**2, se_alpha / alpha, converged


def _standardise(m: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray]:
    """Design (intercept first) with its covariates centred and divided by their SD, and the
    map ``A`` from standardised to original coefficients (``b_orig = A @ b_std``)."""
    if m is None:
        return None, np.zeros((0, 0))
    k = m.shape[1]
    c = m[:, 1:].mean(axis=0)
    s = m[:, 1:].std(axis=0)
    s = np.where(s > 0, s, 1.0)
    c = np.where(m[:, 1:].std(axis=0) > 0, c, 0.0)  # a constant column is left as it is
    A = np.eye(k)
    A[0, 1:] = -c / s
    A[1:, 1:] = np.diag(1.0 / s)
    return np.column_stack([m[:, :1], (m[:, 1:] - c) / s]), A


def fit_engine(kind: str, y, x, z, offset) -> EngineFit:
    """Fit one model; *z* is None for Poisson / NB.

    The fit runs on covariates centred and scaled by their standard deviation (the designs
    have the intercept first) and is mapped back: the units of a covariate change only its
    coefficient, and the optimisers' tolerances mean the same whatever the units.
    """
    xs, Ax = _standardise(np.asarray(x, dtype=float))
    zs, Az = _standardise(None if z is None else np.asarray(z, dtype=float))
    fit = _fit_engine(kind, y, xs, zs, offset)
    kx = Ax.shape[0]
    A = np.zeros((kx + Az.shape[0],) * 2)
    A[:kx, :kx] = Ax
    A[kx:, kx:] = Az
    with np.errstate(invalid="ignore"):
        se_std = np.sqrt(np.where(np.diag(fit.cov) > 0, np.diag(fit.cov), np.nan))
    # a maximum has a positive-definite covariance: where it is not (a flat direction),
    # the point reached is not reported as converged whatever the step size
    converged = bool(fit.converged and np.all(np.isfinite(se_std)))
    return EngineFit(
        beta=Ax @ fit.beta, gamma=Az @ fit.gamma if fit.gamma.size else fit.gamma,
        theta=fit.theta, cov=A @ fit.cov @ A.T, theta_se=fit.theta_se,
        log_theta_se=fit.log_theta_se, converged=converged, messages=fit.messages,
        std_error_standardised=se_std,
    )


def _fit_engine(kind: str, y, x, z, offset) -> EngineFit:
    messages: list[str] = []
    y = np.asarray(y, dtype=float)
    beta_p, cov_p, conv_p = _fit_poisson(y, x, offset, messages)
    empty = np.empty(0)
    if kind == "poisson":
        return EngineFit(beta_p, empty, np.inf, cov_p, np.nan, np.nan, conv_p, messages)
    try:
        if kind == "negbin":
            beta, cov, theta, theta_se, conv = _fit_negbin(y, x, offset, beta_p, messages)
            return EngineFit(beta, empty, theta, cov, theta_se, theta_se / theta, conv, messages)
        fitter = _fit_zeroinfl if kind in ("zip", "zinb") else _fit_hurdle
        beta, gamma, theta, cov, theta_se, log_se, conv = fitter(
            kind, y, x, z, offset, beta_p, messages
        )
    except _Diverged:
        from ..errors import ConvergenceError

        raise ConvergenceError(
            f"The {kind} fit did not converge: the negative-binomial theta ran to the boundary "
            "(alpha = 1/theta ≤ 0), i.e. the counts show no over-dispersion beyond the "
            f"{'zero part and ' if kind != 'negbin' else ''}Poisson model. Fit the Poisson "
            "counterpart instead (kind='poisson', 'zip' or 'hurdle_poisson')."
        ) from None
    return EngineFit(beta, gamma, theta, cov, theta_se, log_se, conv, messages)
