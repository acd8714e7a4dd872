"""Firth's penalty for the Cox partial likelihood (Heinze & Schemper 2001) as a core penalty.

The penalised log partial likelihood is ``l*(β) = l(β) + ½ log det I(β)``; as a
:class:`~ctcstats.survival._core.cox.Penalty` that is ``P(β) = -½ log det I(β)`` with
gradient ``-½ tr(I⁻¹ ∂I/∂β_r)`` (analytic, below) and Hessian by forward differences of that
gradient. With the Hessian the one Newton–Raphson (coxph.fit's rules) converges
quadratically to the root of the modified score; coxphf instead iterates with the
unpenalised information, which converges only linearly (and on tiny data sets oscillates for
dozens of iterations). The estimate is the same; its variance is, as coxphf's, the inverse of
the unpenalised information. ``∂I/∂β_r`` is a sum over the likelihood's (Efron) sub-steps of
weighted third central moments of the covariates in the risk set; contracting the third
moment with ``A = I⁻¹`` first (``Σ_st A_st E[(x-x̄)_s (x-x̄)_t (x-x̄)_r] = E[h·x_r] -
E[h]·x̄_r - 2 (V A x̄)_r`` with ``h = xᵀAx``) keeps every sum a risk-set sum of the one Cox
engine: O(n p²) per evaluation, for strata, case weights and (start, stop] data alike.
Everything is computed in R's scaled coordinates (``CoxData.scale``), so the penalty does not
depend on the covariates' units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .cox import CoxData, RiskState, group_sum, information, risk_state, risk_sums
from .newton import TOLER_CHOL

_STEP = float(np.sqrt(np.finfo(float).eps))

__all__ = ["FirthPenalty", "firth_gradient"]


def _moments(d: CoxData, st: RiskState, Z: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Risk-set second moments per sub-step, (steps, p, p), of the scaled covariates."""
    p = Z.shape[1]
    zz = (r[:, None, None] * Z[:, :, None] * Z[:, None, :]).reshape(Z.shape[0], p * p)
    S2 = risk_sums(d, zz).reshape(-1, p, p)
    di = d.death_idx
    D2 = group_sum(d, zz[di]).reshape(-1, p, p)
    g, e = st.step_group, st.step_e
    return S2[g] - e[:, None, None] * D2[g]


def firth_gradient(d: CoxData, beta: np.ndarray, st: RiskState,
                   info: np.ndarray) -> tuple[float, np.ndarray]:
    """``(P, ∇P)`` with ``P = -½ log det I(β)`` (original scale); P = inf where I is not
    positive definite (the iterations then step back)."""
    p = d.X.shape[1]
    s = d.scale
    Iz = info * np.outer(s, s)
    try:
        chol = linalg.cho_factor(Iz, lower=True)
    except (linalg.LinAlgError, ValueError):
        return np.inf, np.full(p, np.nan)
    piv = np.diag(chol[0]) ** 2  # the pivots of LDL', as cholesky2 sees them
    if not np.all(np.isfinite(chol[0])) or piv.min() < TOLER_CHOL * np.max(np.diag(Iz)):
        return np.inf, np.full(p, np.nan)  # singular relative to the covariates' scale
    logdet_z = 2.0 * float(np.log(np.diag(chol[0])).sum())
    A = linalg.cho_solve(chol, np.eye(p))
    Z = d.X * s
    r = st.score * d.weights
    g, e = st.step_group, st.step_e
    den = st.step_den
    s1 = (st.S1[g] - e[:, None] * st.D1[g]) * s  # scaled S1 per sub-step
    xbar = s1 / den[:, None]
    v = _moments(d, st, Z, r) / den[:, None, None] - xbar[:, :, None] * xbar[:, None, :]
    h = np.einsum("ij,jk,ik->i", Z, A, Z)
    rh = r * h
    ab = risk_sums(d, np.column_stack([rh, rh[:, None] * Z]))
    di = d.death_idx
    abd = group_sum(d, np.column_stack([rh[di], rh[di, None] * Z[di]]))
    b = ab[g, 0] - e * abd[g, 0]
    a = ab[g, 1:] - e[:, None] * abd[g, 1:]
    term = (a - b[:, None] * xbar) / den[:, None]
    term -= 2.0 * np.einsum("ers,es->er", v, xbar @ A)
    corr_z = st.step_wt @ term
    # log det I_x = log det I_z - 2 Σ log s; d/dβ_x = (1/s) · d/dβ_z
    value = -0.5 * (logdet_z - 2.0 * float(np.log(s).sum()))
    return value, -0.5 * corr_z / s


@dataclass(frozen=True)
class FirthPenalty:
    """Firth's penalty for the Cox engine's penalty hook (``ties`` as in the fit).

    ``fixed``: coefficients a constrained fit holds fixed (profile likelihoods). The Newton
    loop replaces their rows and columns of the information by a unit block, so their
    columns of the penalty's Hessian are not differenced (zero); the free block is computed
    exactly as without ``fixed``.
    """

    ties: str
    fixed: tuple[int, ...] = ()

    def __call__(self, d: CoxData, beta: np.ndarray, st: RiskState,
                 info: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad = firth_gradient(d, beta, st, info)
        p = beta.size
        if not np.isfinite(value):
            return value, grad, np.zeros((p, p))
        hess = np.zeros((p, p))
        for j in range(p):  # forward differences in scaled coordinates
            if j in self.fixed:
                continue
            h = _STEP * max(abs(beta[j] / d.scale[j]), 1.0) * d.scale[j]
            bb = beta.copy()
            bb[j] += h
            sj = risk_state(d, bb, self.ties)
            hess[:, j] = (firth_gradient(d, bb, sj, information(d, sj))[1] - grad) / h
        hess = (hess + hess.T) / 2.0
        if not np.all(np.isfinite(hess)):
            hess = np.zeros((p, p))
        return value, grad, hess
