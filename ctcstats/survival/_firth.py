"""Firth-penalised Cox regression (Heinze & Schemper 2001) on plain arrays.

This is the engine behind ``fit_cox(..., firth=True)``. lifelines has no Firth penalty and
the ``firthmodels`` package (used only as a test oracle) has neither strata nor Efron ties.
The fit is the survival core's: the one Cox engine (:mod:`._core.cox`) with Firth's penalty
(:mod:`._core.firth`, ``l*(β) = l(β) + ½ log|I(β)|``, with its Hessian) and the one
Newton–Raphson with coxph.fit's rules (step-halving, stop at a relative change of the
penalised log-likelihood ≤ 1e-9), in R's scaled coordinates, so the units of a covariate
change only its coefficient. coxphf iterates with the unpenalised information (linear
convergence, stop at steps ≤ 1e-6) but solves the same modified score equations: the
estimates agree with coxphf to its own precision, and the variance is coxphf's (the inverse
of the unpenalised information).

Profile penalised-likelihood confidence limits solve ``2 (l*(β̂) - max_{β: β_r = b} l*(β)) =
χ²₁(conf_level)`` for ``b`` on each side, each constrained maximum a warm-started fit of the
same engine with β_r held fixed; penalised likelihood-ratio p-values compare ``l*(β̂)`` with
the fit constrained to ``β_r = 0`` (as ``coxphf(pl=TRUE)``). Ties: ``"breslow"`` (coxphf's
method) or ``"efron"``; strata: the penalty uses the total information.

References
----------
Heinze G, Schemper M (2001). A solution to the problem of monotone likelihood in Cox
regression. *Biometrics* 57(1):114–119.
Firth D (1993). Bias reduction of maximum likelihood estimates. *Biometrika* 80:27–38.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..errors import ConvergenceWarning, DataValidationError, ParameterError
from ._core.cox import CoxData, cox_derivatives, fit_cox_arrays, prepare_cox_data, risk_state
from ._core.firth import FirthPenalty
from ._core.newton import chinv2, cholesky2

__all__ = ["fit_firth_arrays"]

_FUNC = "fit_firth_arrays"


# --------------------------------------------------------------------------- validation
def _check_arrays(X, time, event, strata):
    x = np.asarray(X, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] < 1:
        raise ParameterError(
            f"The 'X' parameter of {_FUNC} must be a 2-D array (n rows × p covariates); "
            f"got shape {x.shape}."
        )
    n = x.shape[0]
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event).ravel()
    if t.shape[0] != n or e.shape[0] != n:
        raise ParameterError(
            f"The 'time' and 'event' parameters of {_FUNC} must have one value per row of X "
            f"({n}); got {t.shape[0]} times and {e.shape[0]} events."
        )
    if not np.all(np.isfinite(x)):
        raise DataValidationError(
            f"X passed to {_FUNC} has {int((~np.isfinite(x)).sum())} missing or infinite "
            "values; drop or impute them before fitting."
        )
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise DataValidationError(
            f"time passed to {_FUNC} must be finite and ≥ 0; found "
            f"{int((~np.isfinite(t) | (t < 0)).sum())} bad values."
        )
    ok = np.isin(e, (0, 1, True, False))
    if not ok.all():
        raise DataValidationError(
            f"event passed to {_FUNC} must contain only 0/1; found "
            f"{sorted(set(np.asarray(e)[~ok].tolist()))[:5]}."
        )
    e = e.astype(int)
    if e.sum() == 0:
        raise DataValidationError(
            f"{_FUNC} needs at least one event; every observation is censored."
        )
    if strata is None:
        s = np.zeros(n, dtype=int)
    else:
        s = np.asarray(strata).ravel()
        if s.shape[0] != n:
            raise ParameterError(
                f"The 'strata' parameter of {_FUNC} must have one code per row of X ({n}); "
                f"got {s.shape[0]}."
            )
        _, s = np.unique(s, return_inverse=True)
    return x, t, e, s


# --------------------------------------------------------------------------- fits
@dataclass(frozen=True)
class _Fit:
    """A (constrained) penalised fit in scaled coordinates: β_z = β / scale."""

    beta: np.ndarray  # scaled
    lstar: float
    score: np.ndarray  # modified score U*, scaled coordinates
    var: np.ndarray  # scaled
    n_iter: int
    converged: bool
    loglik: float


def _fit(d: CoxData, ties: str, start_z: np.ndarray, free: np.ndarray | None,
         max_iter: int) -> _Fit | None:
    s = d.scale
    fixed = () if free is None else tuple(int(j) for j in np.flatnonzero(~free))
    fit = fit_cox_arrays(d, ties=ties, penalty=FirthPenalty(ties, fixed), init=start_z * s,
                         free=free, max_iter=max_iter)
    if not np.isfinite(fit.penalised_loglik):
        return None
    # coxphf's variance: the inverse of the unpenalised information at the estimate
    var_z = chinv2(cholesky2(fit.info * np.outer(s, s))[0])
    return _Fit(beta=fit.coef / s, lstar=fit.penalised_loglik,
                score=fit.penalised_score * s, var=var_z, n_iter=fit.n_iter,
                converged=fit.converged, loglik=fit.loglik)


def _penalised(d: CoxData, beta: np.ndarray, ties: str):
    """l*, l, U*, I at beta (original scale)."""
    ll, u, info = cox_derivatives(d, beta, ties)
    pv, pg, _ = FirthPenalty(ties)(d, beta, risk_state(d, beta, ties), info)
    return ll - pv, ll, u - pg, info


# --------------------------------------------------------------------------- public
def fit_firth_arrays(
    X,
    time,
    event,
    strata=None,
    ties: str = "breslow",
    conf_level: float = 0.95,
    profile_ci: bool = True,
    *,
    max_iter: int = 20,
    start=None,
) -> dict:
    """Firth-penalised Cox regression on arrays (Heinze & Schemper 2001).

    Matches R ``coxphf::coxphf(Surv(time, event) ~ X, pl=profile_ci, alpha=1-conf_level)``
    (Breslow ties, no strata); additionally supports Efron ties and strata.

    Parameters
    ----------
    X : array (n, p)
        Covariates (no intercept). Each column must vary.
    time : array (n,)
        Follow-up times, finite and ≥ 0 (ties already merged).
    event : array (n,)
        1 = event, 0 = censored.
    strata : array (n,), optional
        Stratum codes; each stratum has its own baseline hazard.
    ties : {"breslow", "efron"}
        Handling of tied event times (coxphf uses Breslow).
    conf_level : float
        Confidence level of the intervals.
    profile_ci : bool
        True: profile penalised-likelihood limits and penalised likelihood-ratio p-values
        (coxphf ``pl=TRUE``). False: Wald limits and Wald p-values from ``var``
        (coxphf ``pl=FALSE``).
    max_iter : int, default 20
        Newton–Raphson iterations per fit (coxph.fit's ``iter.max``).
    start : array (n,), optional
        Entry times of counting-process rows ``(start, time]`` (validated, start < time).

    Returns
    -------
    dict
        ``coef`` (p), ``var`` (p × p, inverse information at the estimate, as coxphf),
        ``std_error`` (p), ``loglik`` (penalised log partial likelihood at the estimate),
        ``loglik_null`` (penalised, at β = 0), ``loglik_unpenalised`` (ordinary log
        partial likelihood at the estimate), ``ci_lower``, ``ci_upper`` (p, for ``coef``),
        ``p_value`` (p), ``statistic`` (p; penalised LR χ² or Wald χ²), ``ci_method`` and
        ``p_method`` (``"profile"``/``"wald"``), ``n_iter`` (int), ``converged`` (bool),
        ``warnings`` (tuple of str; each is also issued as a ConvergenceWarning).

        The log-likelihoods are for the covariates as given: coxphf standardises X before
        fitting, so its reported penalised log-likelihoods are these minus
        ``Σ_j log sd(X_j)``; differences (LR tests) are identical.

    Examples
    --------
    >>> import numpy as np
    >>> from ctcstats.survival._firth import fit_firth_arrays
    >>> res = fit_firth_arrays(np.array([[1.0], [0.0]]), np.array([1.0, 2.0]),
    ...                        np.array([1, 0]))
    >>> round(float(np.exp(res["coef"][0])), 6)   # Heinze & Schemper (2001), section 2
    3.0
    """
    if ties not in ("breslow", "efron"):
        raise ParameterError(
            f"The 'ties' parameter of {_FUNC} must be one of 'breslow', 'efron'; got {ties!r}."
        )
    ok = isinstance(conf_level, (int, float)) and not isinstance(conf_level, bool)
    if not ok or not 0.0 < float(conf_level) < 1.0:
        raise ParameterError(
            f"The 'conf_level' parameter of {_FUNC} must be in (0, 1); got {conf_level!r}."
        )
    x, t, e, s = _check_arrays(X, time, event, strata)
    n, p = x.shape
    if n < 2:
        raise DataValidationError(f"{_FUNC} needs at least 2 observations; got {n}.")
    sd = x.std(axis=0, ddof=1)
    if np.any(sd == 0):
        j = int(np.flatnonzero(sd == 0)[0])
        raise DataValidationError(
            f"Column {j} of X is constant; its coefficient cannot be estimated — drop it."
        )
    d = prepare_cox_data(x, t, e, strata=s,
                         start=None if start is None else np.asarray(start, float))
    messages: list[str] = []

    def note(msg: str) -> None:
        messages.append(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)

    null_lstar = _penalised(d, np.zeros(p), ties)[0]
    if not np.isfinite(null_lstar):
        raise DataValidationError(
            "The information matrix of the Cox model is singular at β = 0: the covariates "
            "are collinear (within strata). Drop redundant columns."
        )
    fit = _fit(d, ties, np.zeros(p), None, max_iter)
    if fit is None:  # pragma: no cover - the start is finite, the iterations keep the best
        raise DataValidationError("The penalised likelihood could not be evaluated.")
    if not fit.converged:
        note(
            f"The Firth-penalised Cox fit did not converge in {fit.n_iter} iterations "
            f"(max_iter={max_iter}); estimates may be unreliable. Check for collinear "
            "covariates or increase max_iter."
        )
    bz, var_z = fit.beta, fit.var
    se_z = np.sqrt(np.diag(var_z))
    crit = float(stats.chi2.ppf(conf_level, 1))
    sc = d.scale

    if profile_ci:
        lo_z, hi_z = np.full(p, np.nan), np.full(p, np.nan)
        stat = np.full(p, np.nan)
        for r in range(p):
            lo_z[r], hi_z[r] = _profile_limits(d, ties, bz, fit.lstar, var_z, r, crit,
                                               max_iter, note)
            stat[r] = _lr_statistic(d, ties, bz, fit.lstar, var_z, r, max_iter, note)
        pval = stats.chi2.sf(stat, 1)
        method = "profile"
    else:
        zq = float(stats.norm.ppf(0.5 + conf_level / 2.0))
        lo_z, hi_z = bz - zq * se_z, bz + zq * se_z
        stat = (bz / se_z) ** 2
        pval = stats.chi2.sf(stat, 1)
        method = "wald"

    return {
        "coef": bz * sc,
        "var": var_z * np.outer(sc, sc),
        "std_error": se_z * sc,
        "loglik": fit.lstar,
        "loglik_null": float(null_lstar),
        "loglik_unpenalised": fit.loglik,
        "ci_lower": lo_z * sc,
        "ci_upper": hi_z * sc,
        "p_value": np.asarray(pval, dtype=float),
        "statistic": np.asarray(stat, dtype=float),
        "ci_method": method,
        "p_method": method,
        "n_iter": int(fit.n_iter),
        "converged": bool(fit.converged),
        "warnings": tuple(messages),
    }


def _penalised_loglik(X, time, event, beta, strata=None, ties: str = "breslow") -> dict:
    """l*, l, modified score U* and information I at *beta* (original covariate scale).

    A check-point for tests (the closed-form pieces, compared with R and with numerical
    derivatives); fitting never goes through it.
    """
    x, t, e, s = _check_arrays(X, time, event, strata)
    d = prepare_cox_data(x, t, e, strata=s)
    lstar, ll, u, info = _penalised(d, np.asarray(beta, dtype=float), ties)
    if not np.isfinite(lstar):
        p = x.shape[1]
        return {"lstar": math.nan, "loglik": math.nan, "score": np.full(p, math.nan),
                "info": np.full((p, p), math.nan)}
    return {"lstar": lstar, "loglik": ll, "score": u, "info": info}


# --------------------------------------------------------------------------- profile pieces
def _warm_start(bz: np.ndarray, var_z: np.ndarray, r: int, b: float) -> np.ndarray:
    """β̂ moved along the Wald regression of the other coefficients on β_r."""
    start = bz + (b - bz[r]) * var_z[:, r] / var_z[r, r]
    start[r] = b
    return start


def _constrained(d, ties, start, r, max_iter) -> _Fit | None:
    free = np.ones(start.size, dtype=bool)
    free[r] = False
    return _fit(d, ties, start, free, max_iter)


def _lr_statistic(d, ties, bz, lmax, var_z, r, max_iter, note) -> float:
    """Penalised LR χ² for β_r = 0 (other coefficients re-estimated), as coxphf."""
    fit = _constrained(d, ties, _warm_start(bz, var_z, r, 0.0), r, max_iter)
    if fit is None or not fit.converged:
        note(f"The penalised likelihood-ratio test for coefficient {r} did not converge; "
             "its p-value is NaN.")
        return math.nan
    return max(2.0 * (lmax - fit.lstar), 0.0)


def _profile_limits(d, ties, bz, lmax, var_z, r, crit, max_iter, note) -> tuple[float, float]:
    """Both profile penalised-likelihood limits for coefficient r (standardised scale).

    Solves g(b) = l*_profile(b) - (l*(β̂) - χ²/2) = 0 on each side of β̂ by a safeguarded
    Newton iteration on the root deviance q(b) = √(2 (l*(β̂) - l*_profile(b))) = √χ², which
    is nearly linear in b where g is nearly quadratic (one or two steps fewer): by the
    envelope theorem g'(b) is the modified score U*_r at the constrained optimum and q' =
    -U*_r / q, so each step costs one constrained fit; steps that leave the bracket fall back
    to bisection. Each fit starts from the previous one moved along the profile path (its
    secant slope; at first the Wald regression of the other coefficients on β_r).
    """
    se = math.sqrt(var_z[r, r])
    target = lmax - crit / 2.0
    root = math.sqrt(crit)
    limits = []
    for side in (-1.0, 1.0):
        which = "lower" if side < 0 else "upper"
        path_b, path_beta = bz[r], bz  # the last point of the profile path
        slope = var_z[:, r] / var_z[r, r]  # its direction: d β / d b_r
        inner = bz[r]  # g > 0 inside the interval, g(β̂_r) = χ²/2
        outer = math.nan
        b = bz[r] + side * max(se, 1e-3) * root  # Wald limit
        bound = math.nan
        last_step = 0.0
        for _ in range(200):
            start = path_beta + (b - path_b) * slope
            start[r] = b
            fit = _constrained(d, ties, start, r, max_iter)
            if fit is None or not fit.converged:
                fit = _constrained(d, ties, _warm_start(bz, var_z, r, b), r, max_iter)
            if fit is None:  # likelihood not finite this far out: shrink towards inner
                outer = b
                b = 0.5 * (inner + b)
                continue
            if not fit.converged:
                note(f"The profile likelihood fit for the {which} confidence limit of "
                     f"coefficient {r} did not converge; the limit is NaN.")
                break
            if abs(b - path_b) > 1e-3 * se:  # a secant long enough to be free of noise
                slope = (fit.beta - path_beta) / (b - path_b)
            path_b, path_beta = b, fit.beta
            g, dg = fit.lstar - target, fit.score[r]
            if abs(g) < 1e-10:
                bound = b
                break
            if g > 0:
                inner = b
            else:
                outer = b
            dev = 2.0 * (lmax - fit.lstar)
            if dev > 0 and dg != 0:  # Newton on q(b) = √dev, q' = -U*_r / q
                q = math.sqrt(dev)
                step = (root - q) * q / -dg
            else:
                step = -g / dg if dg != 0 else math.nan
            nxt = b + step
            if math.isnan(outer):
                # no bracket yet: Newton outward, at least doubling the distance
                far = inner + 2.0 * (inner - bz[r]) if inner != bz[r] else b + side * se
                if not np.isfinite(nxt) or side * (nxt - inner) <= 0:
                    nxt = far
                if abs(nxt - bz[r]) > 1e3 * max(se, 1.0):
                    note(f"The profile penalised likelihood of coefficient {r} did not "
                         f"fall below the {which} confidence limit; the limit is reported "
                         "as infinite.")
                    bound = side * math.inf
                    break
            else:
                lo_b, hi_b = sorted((inner, outer))
                if not np.isfinite(nxt) or not lo_b < nxt < hi_b:
                    nxt = 0.5 * (lo_b + hi_b)
                if hi_b - lo_b < 1e-10:
                    bound = nxt
                    break
            if abs(nxt - b) < 1e-11:
                bound = nxt
                break
            newton = nxt == b + step
            if newton and last_step and 10.0 * abs(step) ** 3 / last_step**2 < 1e-10 / abs(dg):
                # converging quadratically (error_k+1 ≈ C error_k², C from the last two
                # steps): the step lands within the b-precision of |g| < 1e-10, with a margin
                bound = nxt
                break
            last_step = step if newton else 0.0
            b = nxt
        else:
            note(f"The {which} profile confidence limit of coefficient {r} was not found; "
                 "the limit is NaN.")
        limits.append(bound)
    return limits[0], limits[1]
