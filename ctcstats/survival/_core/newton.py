"""The one Newton–Raphson of ctcstats' survival models, with R's linear algebra.

Every partial-likelihood fit — Cox (:func:`ctcstats.fit_cox`, ``CoxModel``, calibration,
the bootstrap), ridge and Firth penalties, Fine–Gray, and the batch engine with all its
replicates at once — iterates here. The caller supplies the derivatives (a callback), the
loop supplies the stopping and step-halving rules of the R function it matches:

``rule="coxph"`` — ``survival::coxph.fit`` / ``agreg.fit`` (C ``coxfit6``): start at
    ``beta0``; stop when ``|1 - loglik_best / loglik_new| <= tol`` (R's eps = 1e-9) with finite
    score and information; when the log-likelihood falls (or is not finite) halve the step,
    ``new = (new + h · old) / (h + 1)`` with h the number of consecutive halvings; at most
    ``max_iter`` = 20 iterations; a fit that runs out of iterations returns the last
    accepted beta with its derivatives recomputed. Penalised fits (ridge, Firth) pass the
    penalised log-likelihood, score and information.
``rule="crr"`` — ``cmprsk::crr``: the Newton step, halved until the Armijo condition
    ``f(b + s) <= f(b) + 1e-4 · s'∇f`` holds (f = -loglik; at most 20 halvings, then stop —
    converged when crr's gradient rule below holds there, as crr would have stopped);
    stop when ``max(|score| · max(|b|, 1)) < gtol · max(|loglik|, 1)`` (gtol = 1e-6). In
    scaled coordinates that test no longer means what it means in crr's units, so the stop
    also requires coxph's ``|1 - loglik_old / loglik_new| <= tol`` over the last step: the
    estimate is then at least as converged as crr's (the iterations themselves — and so a
    fit that does not converge in ``max_iter`` steps — are crr's, step for step).

The loop is affine-equivariant: callers iterate in R's scaled coordinates
(:func:`scale_factor`: each covariate centred and divided by its mean absolute deviation, as
``coxfit6``), so the Cholesky tolerance, the singularity checks and crr's rule do not depend
on the units of the covariates.

Arrays carry a leading replicate axis: ``beta0`` is ``(R, p)`` and the callback returns
``loglik (r,)``, ``score (r, p)``, ``info (r, p, p)`` for the replicates ``idx`` it is asked
about, so one call iterates one fit (R = 1) or thousands (the batch engine) in lock-step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EPS",
    "ITER_MAX",
    "TOLER_CHOL",
    "TOLER_INF",
    "NewtonResult",
    "chinv2",
    "cholesky2",
    "chsolve2",
    "newton_raphson",
    "scale_factor",
]

#: ``coxph.control()`` defaults: eps, toler.chol = eps^0.75 (machine eps), toler.inf, iter.max.
EPS = 1e-9
TOLER_CHOL = float(np.finfo(float).eps ** 0.75)
TOLER_INF = float(np.sqrt(EPS))
ITER_MAX = 20
CRR_GTOL = 1e-6
CRR_MAX_HALVINGS = 20

Derivatives = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- scaling
def scale_factor(xc: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """``coxfit6``'s covariate scale: sum(w) / sum(w |x - mean|) along the last axis.

    ``xc`` is already centred (by its weighted mean). A constant column gets 1. Works on one
    column ``(n,)`` or on a stack ``(R, n)`` (one factor per replicate).
    """
    xc = np.asarray(xc, dtype=float)
    if w is None:
        tot = float(xc.shape[-1])
        mad = np.abs(xc).sum(axis=-1)
    else:
        tot = w.sum(axis=-1)
        mad = (w * np.abs(xc)).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(mad > 0, tot / np.where(mad > 0, mad, 1.0), 1.0)
    return s


# --------------------------------------------------------------------------- linear algebra
def _stack(mat: np.ndarray) -> tuple[np.ndarray, bool]:
    m = np.asarray(mat, dtype=float)
    return (m[None], True) if m.ndim == 2 else (m, False)


def cholesky2(mat: np.ndarray, toler: float = TOLER_CHOL) -> tuple[np.ndarray, np.ndarray]:
    """R's ``cholesky2``: LDL' with pivots below ``toler · max|diag|`` zeroed; returns
    (factor, rank). ``mat`` is ``(p, p)`` or a stack ``(R, p, p)``."""
    m, single = _stack(mat)
    m = m.copy()
    R, p, _ = m.shape
    diag = np.abs(np.diagonal(m, axis1=1, axis2=2))
    finite = np.all(np.isfinite(diag), axis=1)
    eps = np.where(finite, np.max(diag, axis=1, initial=0.0) * toler, toler)
    eps = np.where(eps == 0, toler, eps)
    rank = np.zeros(R, dtype=np.int64)
    for i in range(p):  # p is small; vectorised over replicates
        piv = m[:, i, i]
        ok = np.isfinite(piv) & (piv >= eps)
        safe = np.where(ok, piv, 1.0)
        temp = np.where(ok[:, None], m[:, i + 1 :, i] / safe[:, None], 0.0)
        m[:, i + 1 :, i] = temp
        m[~ok, i, i] = 0.0
        m[:, i + 1 :, i + 1 :] -= (temp[:, :, None] * temp[:, None, :]
                                   * np.where(ok, piv, 0.0)[:, None, None])
        rank += ok
    chol = np.tril(m)
    return (chol[0], rank[0]) if single else (chol, rank)


def _unit_lower(chol: np.ndarray) -> np.ndarray:
    return np.tril(chol, -1) + np.eye(chol.shape[-1])


def chsolve2(chol: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve with a :func:`cholesky2` factor; zero pivots give zero solution parts."""
    c, single = _stack(chol)
    yy = np.asarray(y, dtype=float).reshape(c.shape[0], -1)
    if c.shape[-1] == 0:
        return yy[0] if single else yy
    L = _unit_lower(c)
    z = np.linalg.solve(L, yy[:, :, None])[:, :, 0]
    dg = np.diagonal(c, axis1=1, axis2=2)
    z = np.where(dg > 0, z / np.where(dg > 0, dg, 1.0), 0.0)
    out = np.linalg.solve(np.swapaxes(L, 1, 2), z[:, :, None])[:, :, 0]
    return out[0] if single else out


def chinv2(chol: np.ndarray) -> np.ndarray:
    """Inverse from a :func:`cholesky2` factor; singular rows/columns are zero, as in R."""
    c, single = _stack(chol)
    if c.shape[-1] == 0:
        return np.zeros(c.shape[1:]) if single else np.zeros(c.shape)
    L = _unit_lower(c)
    dg = np.diagonal(c, axis1=1, axis2=2)
    Linv = np.linalg.inv(L)
    dinv = np.where(dg > 0, 1.0 / np.where(dg > 0, dg, 1.0), 0.0)
    inv = np.swapaxes(Linv, 1, 2) @ (dinv[:, :, None] * Linv)
    sing = dg <= 0
    inv = np.where(sing[:, :, None] | sing[:, None, :], 0.0, inv)
    return inv[0] if single else inv


# --------------------------------------------------------------------------- Newton–Raphson
@dataclass(frozen=True, eq=False)
class NewtonResult:
    """Per replicate: the estimate and what R reports with it (all in the caller's
    coordinates). ``var`` is the inverse of ``info`` by :func:`chinv2`; ``loglik_init`` the
    log-likelihood at ``beta0``; ``score_test`` the score test at ``beta0`` (coxph's
    ``sctest``); ``rank`` that of the last factorised information."""

    beta: np.ndarray
    loglik: np.ndarray
    score: np.ndarray
    info: np.ndarray
    var: np.ndarray
    rank: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    loglik_init: np.ndarray
    score_test: np.ndarray


def _restrict(u: np.ndarray, imat: np.ndarray, free: np.ndarray | None):
    """Hold the coordinates outside ``free`` fixed: zero score, unit information there."""
    if free is None or free.all():
        return u, imat
    fixed = ~free
    u = np.where(fixed, 0.0, u)
    imat = imat.copy()
    imat[:, fixed, :] = 0.0
    imat[:, :, fixed] = 0.0
    idx = np.flatnonzero(fixed)
    imat[:, idx, idx] = 1.0
    return u, imat


def newton_raphson(
    derivatives: Derivatives,
    beta0: np.ndarray,
    *,
    rule: str = "coxph",
    tol: float = EPS,
    max_iter: int = ITER_MAX,
    toler_chol: float = TOLER_CHOL,
    free: np.ndarray | None = None,
    loglik_only: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> NewtonResult:
    """Maximise a log-likelihood by R's Newton–Raphson (see the module notes for ``rule``).

    ``derivatives(idx, beta)`` returns the log-likelihood ``(r,)``, score ``(r, p)`` and
    information ``(r, p, p)`` of the replicates ``idx`` at ``beta`` ``(r, p)``; ``free``
    (bool, p) holds the other coordinates at ``beta0`` (profile likelihoods);
    ``loglik_only`` (crr's step halving) defaults to the first output of ``derivatives``.
    """
    beta0 = np.atleast_2d(np.asarray(beta0, dtype=float))
    if rule == "coxph":
        return _coxph(derivatives, beta0, tol, max_iter, toler_chol, free)
    if rule == "crr":
        if loglik_only is None:
            def loglik_only(idx, b):
                return derivatives(idx, b)[0]
        return _crr(derivatives, loglik_only, beta0, tol, max_iter, toler_chol, free)
    raise ValueError(f"unknown Newton–Raphson rule {rule!r}")


def _coxph(derivatives, beta0, eps, iter_max, toler_chol, free) -> NewtonResult:
    R, p = beta0.shape
    every = np.arange(R)
    beta = beta0.copy()
    ll0, u, imat = derivatives(every, beta)
    u, imat = _restrict(u, imat, free)
    chol, rank = cholesky2(imat, toler_chol)
    a = chsolve2(chol, u)
    sctest = np.einsum("rp,rp->r", u, a)
    best = ll0.copy()
    newbeta = beta + a
    halving = np.zeros(R)
    converged = np.zeros(R, dtype=bool)
    n_iter = np.zeros(R, dtype=np.int64)
    ll, U, Imat = ll0.copy(), u.copy(), imat.copy()
    bad0 = ~np.isfinite(ll0)
    done = bad0.copy()
    if iter_max == 0:
        done[:] = True
    for it in range(1, iter_max + 1):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        nl, nu, ni = derivatives(act, newbeta[act])
        nu, ni = _restrict(nu, ni, free)
        n_iter[act] = it
        ll[act], U[act], Imat[act] = nl, nu, ni
        finite = (np.isfinite(nl) & np.all(np.isfinite(nu), axis=1)
                  & np.all(np.isfinite(ni), axis=(1, 2)))
        with np.errstate(divide="ignore", invalid="ignore"):
            conv = finite & (np.abs(1 - best[act] / nl) <= eps)
        ca = act[conv]
        beta[ca] = newbeta[ca]
        converged[ca] = True
        done[ca] = True
        if it == iter_max:
            done[act] = True
            break
        rest = ~conv
        worse = rest & (~finite | (nl < best[act]))
        wa = act[worse]
        halving[wa] += 1
        newbeta[wa] = (newbeta[wa] + halving[wa, None] * beta[wa]) / (halving[wa, None] + 1.0)
        good = rest & ~worse
        ga = act[good]
        if ga.size:
            halving[ga] = 0
            best[ga] = nl[good]
            ch, _ = cholesky2(ni[good], toler_chol)
            step = chsolve2(ch, nu[good])
            beta[ga] = newbeta[ga]
            newbeta[ga] = newbeta[ga] + step
    # out of iterations: the derivatives at the last accepted beta (as R, unless iter_max <= 1)
    redo = np.flatnonzero(~converged & ~bad0) if iter_max > 1 else np.zeros(0, np.int64)
    if redo.size:
        rl, ru, ri = derivatives(redo, beta[redo])
        ru, ri = _restrict(ru, ri, free)
        ll[redo], U[redo], Imat[redo] = rl, ru, ri
    if bad0.any():
        ll[bad0], U[bad0], Imat[bad0] = ll0[bad0], u[bad0], imat[bad0]
    chol, rank = cholesky2(Imat, toler_chol)
    return NewtonResult(beta=beta, loglik=ll, score=U, info=Imat, var=chinv2(chol), rank=rank,
                        n_iter=n_iter, converged=converged, loglik_init=ll0,
                        score_test=sctest)


def _crr(derivatives, loglik_only, beta0, eps, max_iter, toler_chol, free) -> NewtonResult:
    """cmprsk::crr's loop, one replicate at a time (Fine–Gray fits one data set)."""
    R, p = beta0.shape
    out = []
    for r in range(R):
        idx = np.array([r])
        b = beta0[r : r + 1].copy()
        converged = False
        n_iter = 0
        lik, score, info = derivatives(idx, b)
        score, info = _restrict(score, info, free)
        ll0 = lik.copy()
        sctest = np.full(1, np.nan)
        prev = np.nan
        for k in range(max_iter + 1):
            if k > 0:
                prev = float(lik[0])
                lik, score, info = derivatives(idx, b)
                score, info = _restrict(score, info, free)
            if not (np.isfinite(lik[0]) and np.all(np.isfinite(score))):
                break
            crit = np.max(np.abs(score) * np.maximum(np.abs(b), 1.0), initial=0.0)
            settled = abs(1.0 - prev / float(lik[0])) <= eps if k > 0 else crit == 0
            gradient_ok = crit < max(abs(float(lik[0])), 1.0) * CRR_GTOL  # crr's own stop
            if gradient_ok and settled:
                converged = True
                break
            if k == max_iter:
                break
            try:
                sc = np.linalg.solve(info[0], score[0])[None, :]
            except np.linalg.LinAlgError:
                break
            bound = -float(lik[0]) + 1e-4 * float(np.sum(sc * -score))
            bn = b + sc
            fbn = -float(loglik_only(idx, bn)[0])
            i = 0
            while not np.isfinite(fbn) or fbn > bound:
                i += 1
                sc = sc * 0.5
                bn = b + sc
                fbn = -float(loglik_only(idx, bn)[0])
                if i > CRR_MAX_HALVINGS:
                    break
            if i > CRR_MAX_HALVINGS:
                # No step lowers -loglik. Where crr's own gradient rule already holds this is
                # the optimum: the Newton step there is of the order of rounding, and whether
                # its Armijo test passes is decided by the last bits of the sums (it differed
                # between machines for braun2005's Fine-Gray fit). crr would have stopped here.
                converged = gradient_ok
                break
            b = bn
            n_iter += 1
        chol, rank = cholesky2(info, toler_chol)
        out.append((b[0], lik[0], score[0], info[0], chinv2(chol)[0], rank[0], n_iter,
                    converged, ll0[0], sctest[0]))
    cols = list(zip(*out, strict=True))
    return NewtonResult(
        beta=np.array(cols[0]), loglik=np.array(cols[1]), score=np.array(cols[2]),
        info=np.array(cols[3]), var=np.array(cols[4]), rank=np.array(cols[5]),
        n_iter=np.array(cols[6]), converged=np.array(cols[7]), loglik_init=np.array(cols[8]),
        score_test=np.array(cols[9]))

