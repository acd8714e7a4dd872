"""Adaptive Gauss–Hermite quadrature over subject random effects — the array-level engine.

This is the documented internal entry point that every random-effects model of ctcstats
shares (the count mixed model, the joint model, and — for ``pooled`` — a Poisson GLMM on
split survival data with random effects across studies). It knows nothing about data frames.

Model
-----
Subjects ``i = 1..m`` carry random effects ``b_i ~ N(0, D)`` of dimension ``q``. A subject's
conditional log-likelihood is a sum over *rows* of one or more :class:`Block` s, each row
``r`` (belonging to subject ``sub[r]``) contributing ``F_r(eta_r, e_r)`` with

    eta_r = c_r(theta) + a_r(theta) . b_sub[r]      (affine in b)
    e_r   = extra predictors free of b               (e.g. log theta, zero-inflation logit)

The marginal log-likelihood ``sum_i log ∫ exp(sum_r F_r) phi(b; 0, D) db`` is approximated by
adaptive Gauss–Hermite quadrature (Pinheiro & Bates 1995; Rizopoulos 2012 for joint models):
for each subject the integrand is centred at the posterior mode ``b_hat_i(theta)`` and scaled
by ``R_i^{-1}``, where ``H_i = R_i^T R_i`` is the Cholesky factorisation of the curvature
there (the square root of ``H_i^{-1}`` that GLMMadaptive and JM use, so that the same number
of points gives the same rule), then integrated with
``n_quad`` points per dimension (a product rule). With ``n_quad = 1`` this *is* the Laplace
approximation (as ``glmmTMB`` / ``lme4`` ``nAGQ = 1``).

Why own code: no Python library fits GLMMs by adaptive quadrature (statsmodels'
``BinomialBayesMixedGLM`` / ``PoissonBayesMixedGLM`` are variational Bayes), and a joint model
needs the survival terms inside the same integral.

Exact gradient
--------------
The nodes move with the parameters (the centring and scaling are re-computed at each theta),
so the gradient has three parts: the partial derivative at fixed nodes; the movement of the
mode ``d b_hat / d theta = H^{-1} d(grad_b log g)/d theta`` (implicit function theorem); and
the movement of the scale through ``dH/d theta`` (which involves third derivatives of ``F`` in
``eta``) and the derivative of the Cholesky factor. All are analytic. For the Laplace case the
first two parts vanish at the mode and the gradient is ``d log g(b_hat) - 1/2 tr(H^{-1} dH)``,
the same as TMB's automatic differentiation computes for glmmTMB.

The observed information is the central-difference Jacobian of this analytic score
(:meth:`MarginalModel.hessian`), as TMB's ``sdreport`` / ``optimHess`` do for glmmTMB and
``GLMMadaptive`` does with its ``cd_vec``.

Variance parameterisation: ``D = L L^T`` with ``L`` lower triangular; the parameters are the
entries of ``L`` row by row, diagonal entries on the log scale (``diagonal=True``: the log
standard deviations only).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse, special

from ._families import Family

__all__ = ["Block", "Linear", "MarginalModel", "gh_rule", "n_chol", "chol_from_params",
           "params_from_cov"]

SQRT2 = np.sqrt(2.0)


@dataclass
class Linear:
    """The affine pieces of one block at a given theta.

    ``c`` (R,), ``dc`` (R, p); ``a`` (R, q); ``da`` (R, q, k): the derivative of ``a`` with
    respect to the k parameters at positions ``da_index`` (None when ``a`` does not depend on
    theta); ``e`` (R, n_e) and ``de`` (R, n_e, p) (None when the family has none).
    """

    c: np.ndarray
    dc: np.ndarray
    a: np.ndarray
    da: np.ndarray | None = None
    da_index: np.ndarray | None = None
    e: np.ndarray | None = None
    de: np.ndarray | None = None


class Block:
    """Rows of one family: ``sub`` (subject index per row) and ``linear(theta) -> Linear``."""

    def __init__(self, sub: np.ndarray, family: Family,
                 linear: Callable[[np.ndarray], Linear], n_subjects: int):
        self.sub = np.asarray(sub, dtype=np.int64)
        self.family = family
        self.linear = linear
        r = self.sub.size
        self.agg = sparse.csr_matrix((np.ones(r), (self.sub, np.arange(r))),
                                     shape=(n_subjects, r))

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Sum rows of ``x`` (R, ...) within subjects -> (m, ...)."""
        shp = x.shape
        out = self.agg @ x.reshape(shp[0], -1)
        return np.asarray(out).reshape((self.agg.shape[0], *shp[1:]))


def gh_rule(n_quad: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Product Gauss–Hermite rule: nodes ``z`` (K, q) and log weights incl. ``exp(|z|^2)``."""
    x, w = np.polynomial.hermite.hermgauss(n_quad)
    z = np.array(list(itertools.product(x, repeat=q)), dtype=float).reshape(-1, q)
    lw = np.array(list(itertools.product(np.log(w), repeat=q)), dtype=float).reshape(-1, q)
    return z, lw.sum(axis=1) + (z**2).sum(axis=1)


def n_chol(q: int, diagonal: bool = False) -> int:
    return q if diagonal else q * (q + 1) // 2


def _tril_index(q: int, diagonal: bool) -> list[tuple[int, int]]:
    if diagonal:
        return [(i, i) for i in range(q)]
    return [(i, j) for i in range(q) for j in range(i + 1)]


def chol_from_params(par: np.ndarray, q: int, diagonal: bool = False) -> np.ndarray:
    """Lower Cholesky factor from its parameters (log diagonal)."""
    L = np.zeros((q, q))
    for v, (i, j) in zip(par, _tril_index(q, diagonal), strict=True):
        L[i, j] = np.exp(v) if i == j else v
    return L


def params_from_cov(D: np.ndarray, diagonal: bool = False) -> np.ndarray:
    """Inverse of :func:`chol_from_params` applied to ``D = L L^T``."""
    q = D.shape[0]
    if diagonal:
        return 0.5 * np.log(np.diag(D))
    L = np.linalg.cholesky(D)
    return np.array([np.log(L[i, j]) if i == j else L[i, j]
                     for (i, j) in _tril_index(q, diagonal)])


@dataclass
class _Cov:
    D: np.ndarray
    Dinv: np.ndarray
    logdet: float
    dD: np.ndarray  # (n_d, q, q)


@dataclass
class ModeState:
    """Posterior modes, curvature and the scaled nodes at one theta."""

    b: np.ndarray  # (m, q)
    H: np.ndarray  # (m, q, q)  -d2 log g at the mode
    S: np.ndarray  # (m, q, q)  H^{-1}
    A: np.ndarray  # (m, q, q)  R^{-1} for H = R^T R (upper triangular; A A^T = S)
    converged: bool
    n_iter: int


class MarginalModel:
    """Marginal log-likelihood by adaptive Gauss–Hermite quadrature, with its exact gradient.

    Parameters
    ----------
    blocks : list of Block
    n_subjects, q : int
        Number of subjects and random-effect dimension.
    n_params : int
        Length of theta.
    d_index : array of int
        Positions in theta of the covariance parameters (see :func:`chol_from_params`).
    n_quad : int
        Gauss–Hermite points per dimension (1 = Laplace).
    diagonal : bool
        Diagonal ``D`` (independent random effects).
    """

    def __init__(self, blocks: list[Block], *, n_subjects: int, q: int, n_params: int,
                 d_index, n_quad: int, diagonal: bool = False):
        self.blocks = blocks
        self.m = int(n_subjects)
        self.q = int(q)
        self.p = int(n_params)
        self.d_index = np.asarray(d_index, dtype=np.int64)
        self.diagonal = diagonal
        self.n_quad = int(n_quad)
        self.z, self.lw = gh_rule(self.n_quad, self.q)
        self._b = np.zeros((self.m, self.q))
        self.mode_failures = 0

    # ---------------------------------------------------------------- covariance
    def cov(self, theta: np.ndarray) -> _Cov:
        q = self.q
        par = theta[self.d_index]
        L = chol_from_params(par, q, self.diagonal)
        D = L @ L.T
        Dinv = np.linalg.inv(D)
        dD = np.zeros((par.size, q, q))
        for k, (i, j) in enumerate(_tril_index(q, self.diagonal)):
            E = np.zeros((q, q))
            E[i, j] = L[i, j] if i == j else 1.0
            dD[k] = E @ L.T + L @ E.T
        return _Cov(D, Dinv, 2.0 * np.sum(np.log(np.diag(L))), dD)

    # ---------------------------------------------------------------- local pieces
    def _lins(self, theta):
        return [blk.linear(theta) for blk in self.blocks]

    def _logg(self, b, lins, cov, order):
        """Value (m,), gradient (m, q) and Hessian (m, q, q) of log g_i at b (m, q)."""
        q = self.q
        val = -0.5 * np.einsum("iq,qr,ir->i", b, cov.Dinv, b) - 0.5 * cov.logdet \
            - 0.5 * q * np.log(2 * np.pi)
        grad = -b @ cov.Dinv if order >= 1 else None
        hess = np.broadcast_to(cov.Dinv, (self.m, q, q)).copy() if order >= 2 else None
        for blk, lin in zip(self.blocks, lins, strict=True):
            eta = lin.c + np.einsum("rq,rq->r", lin.a, b[blk.sub])
            d = blk.family.derivs(eta, lin.e, 0 if order == 0 else 3)
            val = val + blk.sum(d.f)
            if order >= 1:
                grad = grad + blk.sum(d.d1[:, None] * lin.a)
                hess = hess - blk.sum(d.d2[:, None, None] * lin.a[:, :, None]
                                      * lin.a[:, None, :])
        return val, grad, hess

    def modes(self, theta: np.ndarray, *, max_iter: int = 50, tol: float = 1e-10,
              lins=None, cov=None) -> ModeState:
        """Posterior modes of b_i by vectorised Newton with step halving (warm-started)."""
        lins = self._lins(theta) if lins is None else lins
        cov = self.cov(theta) if cov is None else cov
        b = self._b.copy()
        if not np.all(np.isfinite(b)):
            b = np.zeros_like(b)
        converged = False
        it = 0
        for it in range(1, max_iter + 1):  # noqa: B007
            val, grad, hess = self._logg(b, lins, cov, 2)
            step = _solve_pd(hess, grad)
            dec = np.einsum("iq,iq->i", grad, step)
            if np.max(np.abs(step)) < tol or np.max(dec) < tol * tol:
                converged = True
                break
            t = np.ones(self.m)
            for _ in range(30):
                bn = b + t[:, None] * step
                # a trial step may overshoot so far that exp() overflows: its value is -inf,
                # the step is rejected and halved (an expected event, not a numerical warning)
                with np.errstate(over="ignore", invalid="ignore"):
                    vn = self._logg(bn, lins, cov, 0)[0]
                bad = ~(vn >= val - 1e-12 * np.abs(val))
                if not bad.any():
                    break
                t = np.where(bad, t / 2, t)
            b = bn
        val, grad, hess = self._logg(b, lins, cov, 2)
        hess = _make_pd(hess)
        A = np.swapaxes(np.linalg.inv(np.linalg.cholesky(hess)), 1, 2)
        S = A @ np.swapaxes(A, 1, 2)
        if converged:
            self._b = b
        else:
            self.mode_failures += 1
        return ModeState(b=b, H=hess, S=S, A=A, converged=converged, n_iter=it)

    # ---------------------------------------------------------------- nodes
    def _nodes(self, ms: ModeState) -> np.ndarray:
        return ms.b[:, None, :] + SQRT2 * np.einsum("iab,kb->ika", ms.A, self.z)

    def _node_logg(self, u, lins, cov, order):
        """log g at every node (m, K); with order 1 also each block's derivatives."""
        q = self.q
        logg = -0.5 * np.einsum("ikq,qr,ikr->ik", u, cov.Dinv, u) - 0.5 * cov.logdet \
            - 0.5 * q * np.log(2 * np.pi)
        parts = []
        for blk, lin in zip(self.blocks, lins, strict=True):
            ur = u[blk.sub]  # (R, K, q)
            eta = lin.c[:, None] + np.einsum("rq,rkq->rk", lin.a, ur)
            d = blk.family.derivs(eta, lin.e, order)
            logg = logg + blk.sum(d.f)
            parts.append((ur, d))
        return logg, parts

    def subject_loglik(self, theta: np.ndarray) -> np.ndarray:
        """Per-subject marginal log-likelihood contributions (m,)."""
        lins = self._lins(theta)
        cov = self.cov(theta)
        ms = self.modes(theta, lins=lins, cov=cov)
        logg, _ = self._node_logg(self._nodes(ms), lins, cov, 0)
        return self._combine(logg, ms)

    def _combine(self, logg, ms):
        logdetA = np.sum(np.log(np.diagonal(ms.A, axis1=1, axis2=2)), axis=1)
        return special.logsumexp(self.lw + logg, axis=1) + logdetA + 0.5 * self.q * np.log(2.0)

    def loglik(self, theta: np.ndarray) -> float:
        return float(np.sum(self.subject_loglik(theta)))

    # ---------------------------------------------------------------- gradient
    def loglik_grad(self, theta: np.ndarray, frozen: ModeState | None = None
                    ) -> tuple[float, np.ndarray]:
        """Marginal log-likelihood and its exact gradient.

        With ``frozen`` (a :class:`ModeState` from :meth:`modes`) the nodes stay where they
        are and the gradient is the partial one at fixed nodes — the quantity GLMMadaptive and
        JM differentiate for their Hessians (used to explain the small difference in SEs).
        """
        theta = np.asarray(theta, dtype=float)
        q, m, p = self.q, self.m, self.p
        lins = self._lins(theta)
        cov = self.cov(theta)
        ms = self.modes(theta, lins=lins, cov=cov) if frozen is None else frozen
        u = self._nodes(ms)
        logg, parts = self._node_logg(u, lins, cov, 1)
        li = self._combine(logg, ms)
        pk = special.softmax(self.lw + logg, axis=1)  # (m, K)
        grad = np.zeros(p)
        G = np.zeros((m, q))
        Mz = np.zeros((m, q, q))
        for blk, lin, (ur, d) in zip(self.blocks, lins, parts, strict=True):
            pr = pk[blk.sub]
            w1 = pr * d.d1
            s1 = w1.sum(axis=1)
            grad += lin.dc.T @ s1
            if lin.da is not None:
                s1u = np.einsum("rk,rkq->rq", w1, ur)
                grad[lin.da_index] += np.einsum("rq,rqj->j", s1u, lin.da)
            if lin.de is not None and d.de is not None and d.de.shape[-1]:
                se = np.einsum("rk,rke->re", pr, d.de)
                grad += np.einsum("re,rep->p", se, lin.de)
            G += blk.sum(s1[:, None] * lin.a)
            s1z = w1 @ self.z
            Mz += blk.sum(lin.a[:, :, None] * s1z[:, None, :])
        ubar = np.einsum("ik,ikq->iq", pk, u)
        pu = pk[:, :, None] * u
        U2 = np.einsum("ikq,ikr->qr", pu, u)
        Uz = np.einsum("ikq,kr->iqr", pu, self.z)
        G -= ubar @ cov.Dinv
        Mz -= np.einsum("ab,ibc->iac", cov.Dinv, Uz)
        M = SQRT2 * Mz
        dDinv = -np.einsum("ab,kbc,cd->kad", cov.Dinv, cov.dD, cov.Dinv, optimize=True)
        grad[self.d_index] += (-0.5 * np.einsum("kab,ba->k", dDinv, U2)
                               - 0.5 * m * np.einsum("ab,kba->k", cov.Dinv, cov.dD))
        if frozen is None:
            grad += self._centring_grad(theta, ms, lins, cov, dDinv, G, M)
        return float(li.sum()), grad

    def _mode_derivatives(self, ms, lins, cov, dDinv):
        """Partial theta-derivatives at the mode: d grad_b (m,q,p), dH (m,q,q,p), d_b H."""
        q, m, p = self.q, self.m, self.p
        b = ms.b
        dgrad = np.zeros((m, q, p))
        dH = np.zeros((m, q, q, p))
        dbH = np.zeros((m, q, q, q))
        for blk, lin in zip(self.blocks, lins, strict=True):
            bs = b[blk.sub]
            eta = lin.c + np.einsum("rq,rq->r", lin.a, bs)
            d = blk.family.derivs(eta, lin.e, 3)
            deta = lin.dc
            if lin.da is not None:
                deta = lin.dc.copy()
                deta[:, lin.da_index] += np.einsum("rq,rqj->rj", bs, lin.da)
            v = d.d2[:, None] * deta
            w = d.d3[:, None] * deta
            if lin.de is not None and d.d1e is not None and d.d1e.shape[-1]:
                v = v + np.einsum("re,rep->rp", d.d1e, lin.de)
                w = w + np.einsum("re,rep->rp", d.d2e, lin.de)
            dgrad += blk.sum(lin.a[:, :, None] * v[:, None, :])
            aa = lin.a[:, :, None] * lin.a[:, None, :]
            dH -= blk.sum(aa[..., None] * w[:, None, None, :])
            if lin.da is not None:
                idx = lin.da_index
                dgrad[:, :, idx] += blk.sum(d.d1[:, None, None] * lin.da)
                cross = lin.da[:, :, None, :] * lin.a[:, None, :, None]
                dH[:, :, :, idx] -= blk.sum(d.d2[:, None, None, None]
                                            * (cross + np.swapaxes(cross, 1, 2)))
            dbH -= blk.sum(d.d3[:, None, None, None] * aa[..., None] * lin.a[:, None, None, :])
        for k, idx in enumerate(self.d_index):
            dgrad[:, :, idx] -= b @ dDinv[k]
            dH[:, :, :, idx] += dDinv[k]
        return dgrad, dH, dbH

    def _centring_grad(self, theta, ms, lins, cov, dDinv, G, M):
        dgrad, dH, dbH = self._mode_derivatives(ms, lins, cov, dDinv)
        dbhat = np.einsum("iab,ibp->iap", ms.S, dgrad)
        dHt = dH + np.einsum("iabl,ilp->iabp", dbH, dbhat)
        # A = Lh^{-T} with H = Lh Lh^T: dA = -A Phi(P)^T, P = A^T dH A, Phi = lower part
        # with halved diagonal; d log det A = -tr(Phi(P)) = -tr(P) / 2.
        P = np.einsum("iba,ibcp->iacp", ms.A, dHt)
        P = np.einsum("iacp,icd->iadp", P, ms.A)
        tril = np.tril(np.ones((self.q, self.q))) - 0.5 * np.eye(self.q)
        phi = P * tril[None, :, :, None]
        MtA = np.einsum("iab,iac->ibc", M, ms.A)
        return (np.einsum("iq,iqp->p", G, dbhat) - np.einsum("ibc,ibcp->p", MtA, phi)
                - 0.5 * np.einsum("iaap->p", P))

    # ---------------------------------------------------------------- information
    def hessian(self, theta: np.ndarray, rel_step: float = 1e-4,
                fixed_nodes: bool = False) -> np.ndarray:
        """Observed information's negative: central differences of the analytic score.

        ``fixed_nodes=True`` differentiates the partial score with the quadrature nodes held
        at the posterior modes and curvatures of ``theta`` (GLMMadaptive's ``cd_vec`` of its
        score, JM's Hessian); the default differentiates the exact score of the adaptive
        quadrature, whose nodes move with the parameters.
        """
        theta = np.asarray(theta, dtype=float)
        frozen = self.modes(theta) if fixed_nodes else None
        # Steps in units of each parameter's own standard error, so that the differences
        # are the same whatever unit a covariate or the time is measured in (a slope per
        # day has a 365x smaller SE than per year; a fixed step of 1e-4 would be 0.3 SE in
        # one unit and 1e-3 SE in the other, and the truncation error of the central
        # difference with it). A first pass with steps relative to |theta| gives the scale.
        steps = rel_step * np.maximum(1.0, np.abs(theta))
        H0 = self._central_hessian(theta, steps, frozen)
        with np.errstate(all="ignore"):
            se = 1.0 / np.sqrt(np.abs(np.diag(H0)))
        if np.all(np.isfinite(se) & (se > 0)):
            return self._central_hessian(theta, 1e-3 * se, frozen)
        return H0

    def _central_hessian(self, theta: np.ndarray, steps: np.ndarray, frozen) -> np.ndarray:
        p = theta.size
        Hm = np.zeros((p, p))
        for k in range(p):
            h = steps[k]
            tp = theta.copy()
            tp[k] += h
            tm = theta.copy()
            tm[k] -= h
            gp = self.loglik_grad(tp, frozen)[1]
            gm = self.loglik_grad(tm, frozen)[1]
            Hm[:, k] = (gp - gm) / (2 * h)
        self.loglik_grad(theta)  # restore the warm start at theta
        return 0.5 * (Hm + Hm.T)


def _make_pd(H: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """Clip eigenvalues of each symmetric (q, q) matrix from below (non-concave posteriors)."""
    H = 0.5 * (H + np.swapaxes(H, 1, 2))
    try:
        np.linalg.cholesky(H)
        return H
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(H)
        w = np.maximum(w, floor * np.maximum(1.0, np.abs(w).max(axis=1, keepdims=True)))
        return np.einsum("iab,ib,icb->iac", V, w, V)


def _solve_pd(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    return np.linalg.solve(_make_pd(H), g[..., None])[..., 0]
