"""Time bases and design matrices of the longitudinal models (internal).

* :class:`TimeBasis` — the time terms of a trajectory: ``linear`` (``t``) or a natural cubic
  spline (``ns``, the basis of R's ``splines::ns(t, df)``: knots at quantiles of the
  observed times, linear beyond the boundary knots; checked against R in
  ``tests/longitudinal/test_design.py``). Values, first derivatives in t and (linear only)
  integrals from 0 to t.
* :class:`TrajectoryDesign` — fixed-effects terms ``intercept, time terms, covariates,
  covariate:time`` and the random-effects terms ``intercept`` (+ the time terms for random
  slopes / splines), evaluated at any times for given covariate rows. The joint model uses it
  to evaluate the latent log-concentration at survival quadrature nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import BSpline

__all__ = ["TimeBasis", "TrajectoryDesign", "ns_knots"]


def _r_quantile(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's default quantile (type 7)."""
    return np.quantile(np.asarray(x, dtype=float), probs, method="linear")


def ns_knots(x: np.ndarray, df: int) -> tuple[np.ndarray, np.ndarray]:
    """Interior and boundary knots of ``splines::ns(x, df)`` (intercept = FALSE)."""
    n_inner = df - 1
    probs = np.linspace(0.0, 1.0, n_inner + 2)[1:-1]
    return _r_quantile(x, probs), np.array([np.min(x), np.max(x)], dtype=float)


def _householder_q(a: np.ndarray) -> np.ndarray:
    """Full orthogonal Q of the QR decomposition of ``a`` (n x k), LINPACK sign convention.

    R's ``qr()`` (LINPACK ``dqrdc2``) makes each reflector ``u = x + sign(x_1) |x| e_1`` and
    the diagonal of R carry ``-sign(x_1) |x|``; we build the same reflectors so that
    ``qr.qty`` — and therefore the ``ns`` basis — equals R's column for column.
    """
    n, k = a.shape
    r = a.astype(float).copy()
    q = np.eye(n)
    for j in range(k):
        x = r[j:, j]
        nrm = np.linalg.norm(x)
        if nrm == 0:
            continue
        alpha = nrm if x[0] >= 0 else -nrm
        u = x.copy()
        u[0] += alpha
        u /= np.linalg.norm(u)
        hj = np.eye(n)
        hj[j:, j:] -= 2.0 * np.outer(u, u)
        r = hj @ r
        q = q @ hj
    return q


@dataclass(frozen=True)
class TimeBasis:
    """Time terms of a trajectory: ``kind`` ``linear`` or ``ns`` (natural cubic spline)."""

    kind: str
    name: str
    knots: np.ndarray = field(default_factory=lambda: np.empty(0))
    boundary: np.ndarray = field(default_factory=lambda: np.empty(0))

    @classmethod
    def linear(cls, name: str) -> TimeBasis:
        return cls("linear", name)

    @classmethod
    def natural_spline(cls, times: np.ndarray, df: int, name: str) -> TimeBasis:
        knots, boundary = ns_knots(times, df)
        return cls("ns", name, knots, boundary)

    @property
    def df(self) -> int:
        return 1 if self.kind == "linear" else self.knots.size + 1

    @property
    def terms(self) -> list[str]:
        if self.kind == "linear":
            return [self.name]
        return [f"ns({self.name})[{k + 1}]" for k in range(self.df)]

    # ---- natural spline machinery ------------------------------------------------------
    def _aknots(self) -> np.ndarray:
        return np.sort(np.r_[np.repeat(self.boundary, 4), self.knots])

    def _bsplines(self, x: np.ndarray, nu: int = 0) -> np.ndarray:
        t = self._aknots()
        nb = t.size - 4
        out = np.empty((x.size, nb))
        for j in range(nb):
            c = np.zeros(nb)
            c[j] = 1.0
            spl = BSpline(t, c, 3, extrapolate=True)
            out[:, j] = spl(x, nu=nu)
        # at the right boundary knot scipy's half-open convention matches R's splineDesign
        return out

    def _ns_transform(self) -> np.ndarray:
        const = self._bsplines(self.boundary, nu=2)[:, 1:]  # (2, nb-1)
        q = _householder_q(const.T)
        return q[:, 2:]  # basis = B[:, 1:] @ q[:, 2:]

    def _ns(self, x: np.ndarray, nu: int) -> np.ndarray:
        lo, hi = self.boundary
        inside = (x >= lo) & (x <= hi)
        nb = self._aknots().size - 4
        full = np.zeros((x.size, nb))
        if inside.any():
            full[inside] = self._bsplines(x[inside], nu)
        for side, mask in ((lo, x < lo), (hi, x > hi)):
            if mask.any():
                piv = np.array([side])
                v0 = self._bsplines(piv, 0)[0]
                v1 = self._bsplines(piv, 1)[0]
                if nu == 0:
                    full[mask] = v0[None, :] + (x[mask] - side)[:, None] * v1[None, :]
                elif nu == 1:
                    full[mask] = v1[None, :]
        return full[:, 1:] @ self._ns_transform()

    # ---- public ------------------------------------------------------------------------
    def value(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float).ravel()
        return t[:, None] if self.kind == "linear" else self._ns(t, 0)

    def deriv(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float).ravel()
        return np.ones((t.size, 1)) if self.kind == "linear" else self._ns(t, 1)

    def integral(self, t: np.ndarray) -> np.ndarray:
        """Integral from 0 to t (linear basis only)."""
        t = np.asarray(t, dtype=float).ravel()
        if self.kind != "linear":  # pragma: no cover - guarded by the public functions
            raise NotImplementedError("integral of a spline basis")
        return (0.5 * t**2)[:, None]


@dataclass(frozen=True)
class TrajectoryDesign:
    """Fixed and random terms of a log-concentration trajectory.

    Fixed: ``intercept``, the time terms, ``covariate terms`` (the columns of ``w``) and
    ``<term>:<time>`` for the covariate terms in ``interactions`` (linear time only).
    Random: ``intercept`` and, for ``random`` in (slope, spline), the time terms.
    """

    basis: TimeBasis | None
    cov_terms: tuple[str, ...]
    interactions: tuple[int, ...]  # positions in cov_terms
    random: str

    @property
    def fixed_terms(self) -> list[str]:
        t = [] if self.basis is None else self.basis.terms
        inter = [f"{self.cov_terms[j]}:{self.basis.name}" for j in self.interactions] \
            if self.basis is not None else []
        return ["intercept", *t, *self.cov_terms, *inter]

    @property
    def random_terms(self) -> list[str]:
        if self.random == "intercept" or self.basis is None:
            return ["intercept"]
        return ["intercept", *self.basis.terms]

    @property
    def q(self) -> int:
        return len(self.random_terms)

    def _assemble(self, tb: np.ndarray, w: np.ndarray, const: np.ndarray, tw: np.ndarray):
        n = tb.shape[0]
        inter = [w[:, j:j + 1] * tw for j in self.interactions]
        x = np.hstack([const.reshape(n, 1), tb, w * const.reshape(n, 1), *inter])
        z = np.hstack([const.reshape(n, 1), tb])[:, :self.q]
        return x, z

    def matrices(self, t: np.ndarray, w: np.ndarray, what: str = "value"):
        """Fixed (n, p) and random (n, q) design rows at times ``t`` for covariate rows ``w``.

        ``what``: ``value`` (the trajectory), ``deriv`` (its slope in t) or ``integral``
        (its integral from 0 to t).
        """
        t = np.asarray(t, dtype=float).ravel()
        n = t.size
        w = np.asarray(w, dtype=float).reshape(n, len(self.cov_terms))
        if self.basis is None:
            tb = np.empty((n, 0))
            tw = np.zeros((n, 1))
        elif what == "value":
            tb, tw = self.basis.value(t), t[:, None]
        elif what == "deriv":
            tb, tw = self.basis.deriv(t), np.ones((n, 1))
        else:
            tb, tw = self.basis.integral(t), (0.5 * t**2)[:, None]
        const = {"value": np.ones(n), "deriv": np.zeros(n), "integral": t}[what]
        return self._assemble(tb, w, const, tw)
