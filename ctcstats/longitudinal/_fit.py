"""Maximisation and Wald summaries shared by the longitudinal models (internal).

:func:`maximise` runs BFGS on the exact analytic score of a
:class:`~ctcstats.longitudinal._agq.MarginalModel`, then Newton steps with the observed
information (central differences of the score) until the step is below ``tol``; the final
information gives the standard errors. Numerical trouble is returned as messages, never
printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["Optimum", "maximise", "wald_frame", "covariance_summary"]


@dataclass
class Optimum:
    theta: np.ndarray
    loglik: float
    grad: np.ndarray
    hessian: np.ndarray
    vcov: np.ndarray
    converged: bool
    n_iter: int
    messages: list[str] = field(default_factory=list)


def _safe(model):
    def neg(th):
        try:
            with np.errstate(all="ignore"):
                f, g = model.loglik_grad(th)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return np.inf, np.zeros_like(th)
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            return np.inf, np.zeros_like(th)
        return -f, -g
    return neg


def _quiet(fn, theta):
    """*fn(theta)* without numpy floating-point warnings: overflow in an extreme unit is
    caught by the finiteness checks of :func:`maximise` and reported in its messages."""
    with np.errstate(all="ignore"):
        return fn(theta)


def maximise(model, theta0: np.ndarray, *, max_iter: int = 500, tol: float = 1e-8,
             what: str = "model") -> Optimum:
    """Maximise ``model.loglik_grad`` from ``theta0``; Newton polish; observed information."""
    msgs: list[str] = []
    neg = _safe(model)
    res = optimize.minimize(neg, np.asarray(theta0, dtype=float), jac=True, method="BFGS",
                            options={"maxiter": max_iter, "gtol": 1e-5})
    theta = res.x
    n_iter = int(res.nit)
    if not np.isfinite(res.fun):
        msgs.append(f"the {what} log-likelihood could not be evaluated at the start values "
                    "or during the search; the fit failed.")
        return Optimum(theta, float("nan"), np.full_like(theta, np.nan),
                       np.full((theta.size, theta.size), np.nan),
                       np.full((theta.size, theta.size), np.nan), False, n_iter, msgs)
    converged = False
    f, g = _quiet(model.loglik_grad, theta)
    H = _quiet(model.hessian, theta)
    theta_h = theta.copy()
    for _ in range(3):
        for _ in range(10):
            try:
                step = np.linalg.solve(-H, g)
            except np.linalg.LinAlgError:
                break
            t = 1.0
            while t > 1e-4:
                fn, gn = neg(theta + t * step)
                if np.isfinite(fn) and -fn >= f - 1e-9 * abs(f):
                    break
                t /= 2
            else:
                break
            theta = theta + t * step
            f, g = -fn, -gn
            if np.max(np.abs(t * step)) < tol:
                converged = True
                break
        if converged and np.max(np.abs(theta - theta_h)) < 1e-6:
            break  # the information at theta_h is that at theta to ~1e-6
        H = _quiet(model.hessian, theta)
        theta_h = theta.copy()
        f, g = _quiet(model.loglik_grad, theta)
        if converged:
            break
    if not converged:
        msgs.append(f"the {what} fit did not converge (Newton steps still above tol={tol:g} "
                    f"after {n_iter} BFGS iterations); estimates may be unreliable.")
    if not np.all(np.isfinite(H)):
        # e.g. a time variable in a unit so large or small that the second derivatives
        # overflow: no standard errors, said so — not a raw LinAlgError
        msgs.append(f"the {what} observed information could not be computed (non-finite "
                    "second derivatives at the optimum); standard errors are unavailable — "
                    "rescale the time (or another) variable to a unit of moderate size.")
        nan = np.full((theta.size, theta.size), np.nan)
        return Optimum(theta, float(f), g, H, nan, False, n_iter, msgs)
    # equilibrate before the definiteness check and the inversion: in a unit where one
    # coefficient's SE is 1e7 and another's 0.1 the raw information spans ~1e-16..1e2 and
    # rounding alone would make it look indefinite; D H D has a unit diagonal whatever the
    # units, and vcov = D (-D H D)^-1 D is the same matrix
    with np.errstate(all="ignore"):
        dscale = 1.0 / np.sqrt(np.abs(np.diag(H)))
    dscale = np.where(np.isfinite(dscale) & (dscale > 0), dscale, 1.0)
    Hs = H * np.outer(dscale, dscale)
    evals = np.linalg.eigvalsh(Hs)
    if np.max(evals) >= 0:
        msgs.append(f"the {what} observed information is not positive definite at the "
                    "optimum (a variance component or the dispersion may be on the boundary); "
                    "standard errors are unreliable — consider a simpler random-effects "
                    "structure.")
        vcov = np.linalg.pinv(-Hs) * np.outer(dscale, dscale)
    else:
        vcov = np.linalg.inv(-Hs) * np.outer(dscale, dscale)
    if getattr(model, "mode_failures", 0):
        msgs.append(f"the posterior modes of the random effects did not converge in "
                    f"{model.mode_failures} evaluations; the quadrature may be inaccurate.")
    return Optimum(theta, float(f), g, H, 0.5 * (vcov + vcov.T), converged, n_iter, msgs)


def wald_frame(component: str, terms, coef, se, *, conf_level: float,
               ratio: str | None) -> pd.DataFrame:
    """Tidy Wald rows: ``component, term, coef, std_error, [ratio], ci_lower, ci_upper, z, p``.

    With ``ratio`` (``irr``, ``hr`` or ``odds_ratio``) the confidence limits are on the
    exponentiated scale, as ``fit_count_model`` and ``fit_cox`` report them.
    """
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    z = coef / se
    lo, hi = coef - zq * se, coef + zq * se
    out = {"component": component, "term": list(terms), "coef": coef, "std_error": se}
    if ratio is not None:
        with np.errstate(over="ignore"):  # exp of a coefficient per tiny unit: inf is its value
            out[ratio] = np.exp(coef)
            lo, hi = np.exp(lo), np.exp(hi)
    out.update({"ci_lower": lo, "ci_upper": hi, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z))})
    return pd.DataFrame(out)


def covariance_summary(par: np.ndarray, vcov: np.ndarray, terms: list[str], *,
                       conf_level: float, diagonal: bool = False) -> pd.DataFrame:
    """SDs and correlations of the random effects with delta-method SEs.

    CIs: SDs on the log scale, correlations on Fisher's z scale (back-transformed).
    Columns ``term, estimate, std_error, ci_lower, ci_upper``.
    """
    from ._agq import chol_from_params

    q = len(terms)

    def transform(v):
        L = chol_from_params(v, q, diagonal)
        D = L @ L.T
        sd = np.sqrt(np.diag(D))
        out = list(sd)
        for i in range(q):
            for j in range(i):
                out.append(D[i, j] / (sd[i] * sd[j]))
        return np.array(out)

    est = transform(par)
    J = np.zeros((est.size, par.size))
    for k in range(par.size):
        h = 1e-6 * max(1.0, abs(par[k]))
        e = np.zeros(par.size)
        e[k] = h
        J[:, k] = (transform(par + e) - transform(par - e)) / (2 * h)
    se = np.sqrt(np.maximum(np.diag(J @ vcov @ J.T), 0.0))
    names = [f"sd({t})" for t in terms]
    for i in range(q):
        for j in range(i):
            names.append(f"cor({terms[j]},{terms[i]})")
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    lo = np.empty(est.size)
    hi = np.empty(est.size)
    for k in range(est.size):
        if k < q:
            s = se[k] / est[k]
            lo[k], hi[k] = est[k] * np.exp(-zq * s), est[k] * np.exp(zq * s)
        else:
            r = np.clip(est[k], -0.999999, 0.999999)
            s = se[k] / (1 - r**2)
            lo[k], hi[k] = np.tanh(np.arctanh(r) - zq * s), np.tanh(np.arctanh(r) + zq * s)
    if diagonal:
        names, est, se, lo, hi = names[:q], est[:q], se[:q], lo[:q], hi[:q]
    return pd.DataFrame({"term": names, "estimate": est, "std_error": se, "ci_lower": lo,
                         "ci_upper": hi})
