"""The survival submodel of the joint model as engine blocks (internal).

Hazard of patient i at time t:

    log h_i(t) = log h0(t) + w_i gamma + sum_r alpha_r m_i^(r)(t),

where ``m_i^(r)`` is the latent log-concentration (``value``), its time derivative
(``slope``) or its integral from 0 (``cumulative``): ``m^(r)_i(t) = X^(r)_i(t) beta +
Z^(r)_i(t) b_i`` with the trajectory design of the count submodel. ``log h0`` is piecewise
constant between knots (``piecewise``, JM's ``"piecewise-PH-aGH"``) or a cubic B-spline
(``bspline``, JM's ``"spline-PH-aGH"``, unpenalised).

The survival log-likelihood ``delta_i log h_i(T_i) - ∫_0^T_i h_i(s) ds`` enters the engine as
two blocks: one row per event (``F = eta``) and one row per quadrature node of the
cumulative hazard (``F = -exp(eta)``, the log quadrature weight inside ``eta``). The integral
is taken by Gauss–Legendre quadrature with ``n_gauss`` nodes on each piece of [0, T_i]
between consecutive baseline knots (piecewise: the integrand jumps at the knots) or on
[0, T_i] as a whole (B-spline). All patients' nodes are built at once (no loop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import BSpline

from ._agq import Block, Linear
from ._design import TrajectoryDesign
from ._families import ExpFamily, LinearFamily

__all__ = ["Baseline", "ASSOCIATIONS", "association_parts", "SurvLayout", "survival_blocks",
           "quadrature_nodes"]

ASSOCIATIONS = {"value": ("value",), "slope": ("deriv",), "value+slope": ("value", "deriv"),
                "cumulative": ("integral",)}
ASSOC_TERMS = {"value": "log_concentration", "deriv": "log_concentration_slope",
               "integral": "log_concentration_cumulative"}


def association_parts(association: str) -> tuple[str, ...]:
    return ASSOCIATIONS[association]


@dataclass(frozen=True)
class Baseline:
    """Log baseline hazard: ``piecewise`` (``cuts`` = interior cut points) or ``bspline``."""

    kind: str
    cuts: np.ndarray  # piecewise: interior cut points; bspline: full knot vector

    @classmethod
    def from_times(cls, kind: str, time: np.ndarray, event: np.ndarray, n_knots: int):
        ev = time[event == 1]
        src = ev if ev.size else time
        probs = np.linspace(0.0, 1.0, n_knots + 2)[1:-1]
        inner = np.unique(np.quantile(src, probs)) if n_knots else np.empty(0)
        if kind == "piecewise":
            return cls(kind, inner[inner > 0])
        hi = float(np.max(time))
        inner = inner[(inner > 0) & (inner < hi)]
        return cls(kind, np.r_[np.zeros(4), inner, np.full(4, hi)])

    @property
    def n_params(self) -> int:
        return self.cuts.size + 1 if self.kind == "piecewise" else self.cuts.size - 4

    @property
    def terms(self) -> list[str]:
        if self.kind == "piecewise":
            edges = np.r_[0.0, self.cuts, np.inf]
            return [f"log_h0({edges[k]:g},{edges[k + 1]:g}]" for k in range(self.n_params)]
        return [f"bs{k + 1}" for k in range(self.n_params)]

    def basis(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=float).ravel()
        if self.kind == "piecewise":
            k = np.searchsorted(self.cuts, s, side="left")  # (c_{k-1}, c_k]
            out = np.zeros((s.size, self.n_params))
            out[np.arange(s.size), k] = 1.0
            return out
        return BSpline.design_matrix(np.clip(s, 0.0, None), self.cuts, 3,
                                     extrapolate=True).toarray()

    def pieces(self) -> np.ndarray:
        """Edges of the integration pieces (the integrand is smooth within each)."""
        if self.kind == "piecewise":
            return np.r_[0.0, self.cuts, np.inf]
        return np.array([0.0, np.inf])


def quadrature_nodes(baseline: Baseline, start: np.ndarray, end: np.ndarray, n_gauss: int):
    """Gauss–Legendre nodes of ∫_start^end on every smooth piece, for all patients at once.

    Returns ``sub`` (patient of each node), ``s`` (node time) and ``logw`` (log weight).
    """
    x, w = np.polynomial.legendre.leggauss(n_gauss)
    edges = baseline.pieces()
    lo = np.maximum(edges[None, :-1], start[:, None])
    hi = np.minimum(edges[None, 1:], end[:, None])
    ok = hi > lo
    sub_p, piece = np.nonzero(ok)
    a = lo[sub_p, piece]
    b = hi[sub_p, piece]
    half = 0.5 * (b - a)
    s = (half[:, None] * x[None, :] + (0.5 * (a + b))[:, None]).ravel()
    logw = (np.log(half)[:, None] + np.log(w)[None, :]).ravel()
    sub = np.repeat(sub_p, n_gauss)
    return sub, s, logw


@dataclass(frozen=True)
class SurvLayout:
    """Positions of the survival parameters in theta (after the count parameters)."""

    beta: slice
    gamma: slice
    alpha: slice
    lam: slice
    end: int


def _rows(design: TrajectoryDesign, parts, s, w_long):
    """Trajectory design of each association part at times s: lists of X (R,p), Z (R,q)."""
    xs, zs = [], []
    for what in parts:
        x, z = design.matrices(s, w_long, what)
        xs.append(x)
        zs.append(z)
    return xs, zs


def _surv_block(layout: SurvLayout, *, sub, s, extra_c, w_surv, w_long, design, parts,
                baseline: Baseline, family, n_subjects, n_params) -> Block:
    xs, zs = _rows(design, parts, s, w_long)
    bas = baseline.basis(s)
    r = s.size
    q = design.q
    na = len(parts)
    dc_static = np.zeros((r, n_params))
    dc_static[:, layout.gamma] = w_surv
    dc_static[:, layout.lam] = bas
    da = np.stack(zs, axis=2)  # (r, q, n_assoc): d a / d alpha
    da_index = np.arange(layout.alpha.start, layout.alpha.stop)

    def linear(theta: np.ndarray) -> Linear:
        beta = theta[layout.beta]
        alpha = theta[layout.alpha]
        mfix = [x @ beta for x in xs]
        c = extra_c + bas @ theta[layout.lam] + w_surv @ theta[layout.gamma]
        a = np.zeros((r, q))
        dc = dc_static.copy()
        for k in range(na):
            c = c + alpha[k] * mfix[k]
            a = a + alpha[k] * zs[k]
            dc[:, layout.beta] += alpha[k] * xs[k]
            dc[:, layout.alpha.start + k] = mfix[k]
        return Linear(c=c, dc=dc, a=a, da=da, da_index=da_index)

    return Block(sub, family, linear, n_subjects)


def survival_blocks(layout: SurvLayout, *, time, event, w_surv, w_long, design, parts,
                    baseline: Baseline, n_gauss: int, n_params: int) -> list[Block]:
    """Event block and cumulative-hazard block of all patients."""
    m = time.size
    ev = np.flatnonzero(event == 1)
    blocks = []
    if ev.size:
        blocks.append(_surv_block(
            layout, sub=ev, s=time[ev], extra_c=np.zeros(ev.size), w_surv=w_surv[ev],
            w_long=w_long[ev], design=design, parts=parts, baseline=baseline,
            family=LinearFamily(np.ones(ev.size)), n_subjects=m, n_params=n_params))
    sub, s, logw = quadrature_nodes(baseline, np.zeros(m), time, n_gauss)
    blocks.append(_surv_block(
        layout, sub=sub, s=s, extra_c=logw, w_surv=w_surv[sub], w_long=w_long[sub],
        design=design, parts=parts, baseline=baseline, family=ExpFamily(), n_subjects=m,
        n_params=n_params))
    return blocks
