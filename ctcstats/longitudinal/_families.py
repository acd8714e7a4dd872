"""Per-observation log-densities and their derivatives for the AGQ engine (internal).

A *family* evaluates ``F(eta, e)`` — one term of a subject's log-likelihood — where ``eta`` is
the row's linear predictor (which carries the random effects) and ``e`` are the row's extra
predictors that do not (the negative-binomial ``log theta``, the zero-inflation logit).
:class:`~ctcstats.longitudinal._agq.MarginalModel` needs

* at the quadrature nodes: ``F``, ``F_eta`` and ``F_e`` (first derivatives), and
* at the posterior mode: ``F_eta``, ``F_eta2``, ``F_eta3`` and the mixed ``F_eta_e``,
  ``F_eta2_e`` (for the exact gradient of the adaptive quadrature, whose nodes move with the
  parameters).

Every derivative is analytic (no finite differences). Arrays broadcast: ``eta`` may be
``(R,)`` or ``(R, K)`` (rows x quadrature nodes); ``e`` is ``(R, n_e)`` and broadcast along
the node axis.

Conventions: the negative-binomial dispersion is R's ``theta`` (the *size*: variance
``mu + mu^2 / theta``), which is ``MASS::glm.nb``'s ``theta``, ``glmmTMB``'s ``sigma()`` for
``nbinom2`` and ``exp(phi)`` of ``GLMMadaptive::negative.binomial()``; the engine estimates
``log theta``. The zero-inflation predictor is the logit of a structural zero (as
``glmmTMB``'s ``ziformula`` and GLMMadaptive's ``zi_fixed``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["Derivs", "Family", "PoissonFamily", "NegBinFamily", "ZeroInflated",
           "LinearFamily", "ExpFamily", "count_family"]


@dataclass
class Derivs:
    """Derivatives of F at given (eta, e); unused orders are None."""

    f: np.ndarray | None = None
    d1: np.ndarray | None = None  # dF/deta
    d2: np.ndarray | None = None  # d2F/deta2
    d3: np.ndarray | None = None  # d3F/deta3
    de: np.ndarray | None = None  # dF/de            (..., n_e)
    d1e: np.ndarray | None = None  # d2F/deta de     (..., n_e)
    d2e: np.ndarray | None = None  # d3F/deta2 de    (..., n_e)


class Family:
    """Base class: ``n_e`` extra predictors; subclasses implement :meth:`derivs`."""

    n_e: int = 0

    def derivs(self, eta: np.ndarray, e: np.ndarray | None, order: int) -> Derivs:
        """``order`` 0: value; 1: value, d1, de; 3: d1, d2, d3, d1e, d2e (value too)."""
        raise NotImplementedError


def _bcast(y: np.ndarray, eta: np.ndarray) -> np.ndarray:
    return y if eta.ndim == 1 else y[:, None]


def _ecol(e: np.ndarray, j: int, eta: np.ndarray) -> np.ndarray:
    col = e[:, j]
    return col if eta.ndim == 1 else col[:, None]


class LinearFamily(Family):
    """F = w * eta (event indicator times log hazard)."""

    def __init__(self, weight: np.ndarray):
        self.w = np.asarray(weight, dtype=float)

    def derivs(self, eta, e, order):
        w = _bcast(self.w, eta)
        f = w * eta
        if order == 0:
            return Derivs(f=f)
        d1 = np.broadcast_to(w, eta.shape)
        if order == 1:
            return Derivs(f=f, d1=d1)
        zero = np.zeros_like(eta)
        return Derivs(f=f, d1=d1, d2=zero, d3=zero)


class ExpFamily(Family):
    """F = -exp(eta) (minus a cumulative-hazard quadrature term, weight inside eta)."""

    def derivs(self, eta, e, order):
        f = -np.exp(eta)
        if order == 0:
            return Derivs(f=f)
        if order == 1:
            return Derivs(f=f, d1=f)
        return Derivs(f=f, d1=f, d2=f, d3=f)


class PoissonFamily(Family):
    """log f(y) = y eta - exp(eta) - log y!."""

    def __init__(self, y: np.ndarray):
        self.y = np.asarray(y, dtype=float)
        self.lfy = special.gammaln(self.y + 1.0)

    def derivs(self, eta, e, order):
        y = _bcast(self.y, eta)
        mu = np.exp(eta)
        f = y * eta - mu - _bcast(self.lfy, eta)
        if order == 0:
            return Derivs(f=f)
        if order == 1:
            return Derivs(f=f, d1=y - mu)
        shape = (*eta.shape, 0)
        return Derivs(f=f, d1=y - mu, d2=-mu, d3=-mu, d1e=np.zeros(shape),
                      d2e=np.zeros(shape))


class NegBinFamily(Family):
    """NB2 with size theta = exp(omega): e[:, 0] = omega = log theta."""

    n_e = 1

    def __init__(self, y: np.ndarray):
        self.y = np.asarray(y, dtype=float)
        self.lfy = special.gammaln(self.y + 1.0)

    def derivs(self, eta, e, order):
        y = _bcast(self.y, eta)
        om = _ecol(e, 0, eta)
        th = np.exp(om)
        mu = np.exp(eta)
        log_tm = np.logaddexp(om, eta)  # log(theta + mu)
        # written without terms of size theta * log(theta), which cancel in floating point
        # when theta is large (NB close to Poisson): log G(y+th)/G(th) = lgamma(y) -
        # lbeta(th, y) for y > 0, and th log th - (y+th) log(th+mu) = -y log th -
        # (y+th) log1p(mu/th).
        ys = np.maximum(y, 1.0)
        lratio = np.where(y > 0, special.gammaln(ys) - special.betaln(th, ys), 0.0)
        l1p = np.log1p(np.exp(eta - om))  # log1p(mu / theta)
        f = (lratio - _bcast(self.lfy, eta) - y * om + y * eta - (y + th) * l1p)
        if order == 0:
            return Derivs(f=f)
        inv = np.exp(-log_tm)  # 1 / (theta + mu)
        tm_ratio = th * inv  # theta / (theta + mu)
        mu_ratio = mu * inv  # mu / (theta + mu)
        d1 = tm_ratio * (y - mu)
        d_th = (special.digamma(y + th) - special.digamma(th) - l1p + (mu - y) * inv)
        de = (th * d_th)[..., None]
        if order == 1:
            return Derivs(f=f, d1=d1, de=de)
        d2 = -tm_ratio * mu_ratio * (y + th)
        d3 = -tm_ratio * mu_ratio * (y + th) * (th - mu) * inv
        d1_th = (y - mu) * mu_ratio * inv
        d2_th = -mu_ratio * inv * inv * (y * mu - y * th + 2.0 * th * mu)
        return Derivs(f=f, d1=d1, d2=d2, d3=d3, de=de, d1e=(th * d1_th)[..., None],
                      d2e=(th * d2_th)[..., None])


class ZeroInflated(Family):
    """Mixture of a structural zero (logit zeta = e[:, 0]) and a base count family.

    For y > 0: F = -softplus(zeta) + B. For y = 0: F = logaddexp(zeta, B) - softplus(zeta),
    differentiated through G(zeta, l) = logaddexp(zeta, l) with r = sigmoid(l - zeta).
    """

    def __init__(self, base: Family, y: np.ndarray):
        self.base = base
        self.n_e = 1 + base.n_e
        self.zero = np.asarray(y) == 0

    def derivs(self, eta, e, order):
        zeta = _ecol(e, 0, eta)
        eb = e[:, 1:]
        B = self.base.derivs(eta, eb, order)
        zero = _bcast(self.zero, eta)
        sp = np.logaddexp(0.0, zeta)
        sig_z = special.expit(zeta)
        f = np.where(zero, np.logaddexp(zeta, B.f), B.f) - sp
        if order == 0:
            return Derivs(f=f)
        r = np.where(zero, special.expit(B.f - zeta), 1.0)  # sampling share (1 if y > 0)
        s = r * (1.0 - r)  # G_ll (0 if y > 0)
        d1 = r * B.d1
        de_z = np.where(zero, 1.0 - r, 0.0) - sig_z
        parts = [de_z[..., None]]
        if self.base.n_e:
            parts.append(r[..., None] * B.de)
        de = np.concatenate(parts, axis=-1)
        if order == 1:
            return Derivs(f=f, d1=d1, de=de)
        g3 = s * (1.0 - 2.0 * r)  # G_lll; G_llz = -g3, G_lz = -s
        d2 = s * B.d1**2 + r * B.d2
        d3 = g3 * B.d1**3 + 3.0 * s * B.d1 * B.d2 + r * B.d3
        d1e = [(-s * B.d1)[..., None]]
        d2e = [(-g3 * B.d1**2 - s * B.d2)[..., None]]
        if self.base.n_e:
            bo = B.de  # base dF/domega
            d1e.append(s[..., None] * bo * B.d1[..., None] + r[..., None] * B.d1e)
            d2e.append(g3[..., None] * bo * (B.d1**2)[..., None]
                       + 2.0 * s[..., None] * B.d1[..., None] * B.d1e
                       + s[..., None] * bo * B.d2[..., None] + r[..., None] * B.d2e)
        return Derivs(f=f, d1=d1, d2=d2, d3=d3, de=de, d1e=np.concatenate(d1e, axis=-1),
                      d2e=np.concatenate(d2e, axis=-1))


def count_family(kind: str, y: np.ndarray) -> Family:
    """The family of a count kind: ``poisson``, ``negbin``, ``zip`` or ``zinb``."""
    if kind == "poisson":
        return PoissonFamily(y)
    if kind == "negbin":
        return NegBinFamily(y)
    if kind == "zip":
        return ZeroInflated(PoissonFamily(y), y)
    if kind == "zinb":
        return ZeroInflated(NegBinFamily(y), y)
    raise ValueError(kind)
