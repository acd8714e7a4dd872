"""The count submodel as engine blocks (internal; shared by the mixed and the joint model).

:func:`count_layout` places the count parameters in theta — fixed effects ``beta``, the
covariance parameters of the random effects, ``log theta`` (negative binomial) and the
zero-inflation coefficients ``gamma`` — and :func:`count_block` builds the engine
:class:`~ctcstats.longitudinal._agq.Block` of the serial counts:

    eta_ij = log(volume_ij) + X_ij beta + Z_ij b_i,   zeta_ij = W_ij gamma,   omega = log theta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._agq import Block, Linear, n_chol
from ._families import count_family

__all__ = ["CountLayout", "count_layout", "count_block", "KINDS"]

KINDS = ("poisson", "negbin", "zip", "zinb")


@dataclass(frozen=True)
class CountLayout:
    """Positions of the count parameters in theta."""

    kind: str
    beta: slice
    d: slice
    log_theta: int | None
    gamma: slice | None
    end: int

    @property
    def has_theta(self) -> bool:
        return self.log_theta is not None


def count_layout(kind: str, p_x: int, q: int, p_zero: int, start: int = 0,
                 diagonal: bool = False) -> CountLayout:
    pos = start
    beta = slice(pos, pos + p_x)
    pos += p_x
    d = slice(pos, pos + n_chol(q, diagonal))
    pos = d.stop
    log_theta = None
    if kind in ("negbin", "zinb"):
        log_theta = pos
        pos += 1
    gamma = None
    if kind in ("zip", "zinb"):
        gamma = slice(pos, pos + p_zero)
        pos += p_zero
    return CountLayout(kind, beta, d, log_theta, gamma, pos)


def count_block(layout: CountLayout, *, y, x, z, offset, w_zero, sub, n_subjects: int,
                n_params: int) -> Block:
    """Engine block of the counts (rows sorted by subject)."""
    y = np.asarray(y)
    r = y.size
    dc = np.zeros((r, n_params))
    dc[:, layout.beta] = x
    de_parts = []
    if layout.gamma is not None:
        d = np.zeros((r, n_params))
        d[:, layout.gamma] = w_zero
        de_parts.append(d)
    if layout.log_theta is not None:
        d = np.zeros((r, n_params))
        d[:, layout.log_theta] = 1.0
        de_parts.append(d)
    de = np.stack(de_parts, axis=1) if de_parts else None
    z = np.asarray(z, dtype=float)

    def linear(theta: np.ndarray) -> Linear:
        c = offset + x @ theta[layout.beta]
        e_parts = []
        if layout.gamma is not None:
            e_parts.append(w_zero @ theta[layout.gamma])
        if layout.log_theta is not None:
            e_parts.append(np.full(r, theta[layout.log_theta]))
        e = np.column_stack(e_parts) if e_parts else None
        return Linear(c=c, dc=dc, a=z, e=e, de=de)

    return Block(sub, count_family(layout.kind, y), linear, n_subjects)
