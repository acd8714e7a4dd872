"""Negative-binomial regression of one study, for the two-stage model of a count missing in
whole studies (``impute(study_model="random", count_model="negbin")``).

The fit is R ``MASS::glm.nb``'s: log link, ``log(volume)`` as offset, NB2 variance
mu + mu^2 / theta; alternately Fisher scoring for the coefficients at the current theta and
Newton for theta at the current means (``theta.ml``), from the Poisson fit, until the
log-likelihood changes by less than 1e-10 (relative) — the joint maximum likelihood. The
coefficients' covariance is glm.nb's ``vcov``: the inverse expected information (X' W X)^-1,
W = mu / (1 + mu / theta), at the estimated theta (coefficients and theta are orthogonal
in expectation); theta's standard error is glm.nb's ``SE.theta`` (observed information).
The dispersion is returned on the log scale, log alpha = -log theta, with its delta-method
variance, for pooling across studies.

Own code, like the per-study fits of :mod:`._multilevel`: these fits run once per study,
variable and cycle, and statsmodels' generic optimiser is slower; checked against
``MASS::glm.nb`` in tests/reference/missing_multilevel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..counts._engine import theta_information, theta_score

__all__ = ["NegBinFit", "fit_negbin", "THETA_MAX"]

THETA_MAX = 1e6  # a larger theta is no overdispersion: the study's dispersion is not estimated


@dataclass(frozen=True)
class NegBinFit:
    coef: np.ndarray
    cov: np.ndarray  # of coef (glm.nb vcov)
    theta: float  # NB size; inf when the fit found no overdispersion
    se_theta: float

    @property
    def log_alpha(self) -> float:
        return -float(np.log(self.theta))

    @property
    def var_log_alpha(self) -> float:
        return (self.se_theta / self.theta) ** 2

    @property
    def dispersion_estimated(self) -> bool:
        return bool(np.isfinite(self.theta) and np.isfinite(self.se_theta))


def _loglik(y, mu, theta) -> float:
    return float(np.sum(special.gammaln(theta + y) - special.gammaln(theta)
                        - special.gammaln(y + 1) + theta * np.log(theta / (theta + mu))
                        + special.xlogy(y, mu / (theta + mu))))


def _theta_ml(y, mu, theta0: float | None, max_iter: int = 50):
    """MLE of theta at fixed means (Newton on log theta; glm.nb's theta.ml on theta)
    → (theta, observed information of theta) or (inf, nan) for no overdispersion."""
    n = y.size
    if theta0 is None or not np.isfinite(theta0):
        denom = float(np.sum((y / mu - 1.0) ** 2))
        theta0 = n / denom if denom > 0 else THETA_MAX  # glm.nb's moment start
    lt = np.log(min(max(theta0, 1e-8), THETA_MAX))
    for _ in range(max_iter):
        th = np.exp(lt)
        score = theta_score(y, mu, th)
        info = theta_information(y, mu, th)
        # d/dlog th = th * score; d2/dlog th2 = th * score - th^2 * info
        g, h = th * score, th * score - th**2 * info
        step = -g / h if h < 0 else np.sign(g) * 1.0  # not concave here: move uphill
        step = float(np.clip(step, -3.0, 3.0))
        lt += step
        if lt > np.log(THETA_MAX):
            return np.inf, np.nan
        if abs(step) < 1e-10:
            break
    th = float(np.exp(lt))
    info = float(theta_information(y, mu, th))
    return th, info


def fit_negbin(y: np.ndarray, Z: np.ndarray, offset: np.ndarray | None = None,
               start: np.ndarray | None = None, max_iter: int = 100,
               tol: float = 1e-10) -> NegBinFit | None:
    """Joint ML fit of the NB2 log-linear model (see the module docstring); ``start`` the
    Poisson estimate. ``None`` when the coefficients cannot be estimated (singular
    information, no convergence, a standard error above 1000 — an all-zero group)."""
    n, q = Z.shape
    off = np.zeros(n) if offset is None else offset
    beta = (np.linalg.lstsq(Z, np.log(y + 0.1) - off, rcond=None)[0] if start is None
            else np.asarray(start, float))
    theta: float = np.inf
    ll_old = -np.inf
    for _ in range(max_iter):
        mu = np.exp(np.minimum(Z @ beta + off, 700.0))
        theta, _ = _theta_ml(y, mu, theta)
        # Fisher scoring for beta at theta (IRLS): a few steps to convergence
        for _ in range(25):
            eta = Z @ beta + off
            mu = np.exp(np.minimum(eta, 700.0))
            w = mu / (1.0 + mu / theta)
            info = Z.T @ (Z * w[:, None])
            try:
                step = np.linalg.solve(info, Z.T @ (w * (y - mu) / mu))
            except np.linalg.LinAlgError:
                return None
            beta = beta + step
            if np.max(np.abs(step)) < 1e-12:
                break
        mu = np.exp(np.minimum(Z @ beta + off, 700.0))
        ll = _loglik(y, mu, theta) if np.isfinite(theta) else float(
            np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))
        if abs(ll - ll_old) < tol * (abs(ll) + 0.1):
            break
        ll_old = ll
    else:
        return None
    mu = np.exp(np.minimum(Z @ beta + off, 700.0))
    theta, info_theta = _theta_ml(y, mu, theta)
    w = mu / (1.0 + mu / theta)
    try:
        cov = np.linalg.inv(Z.T @ (Z * w[:, None]))
    except np.linalg.LinAlgError:
        return None
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if not (np.all(np.isfinite(se)) and np.all(se < 1000.0)):
        return None
    se_theta = float(np.sqrt(1.0 / info_theta)) if np.isfinite(theta) and info_theta > 0 \
        else np.nan
    return NegBinFit(beta, cov, float(theta), se_theta)
