"""Cox regression fitted to many replicates at once (R ``coxph.fit`` per replicate).

Two engines compute the same fits. The default, ``engine="kernel"``, is the compiled kernel
of the survival core (:mod:`ctcstats.survival._core.cox_kernel`, numba): each replicate is
sorted, tie-fixed, centred and scaled and fitted by R's Newton–Raphson with one backward scan
per evaluation, one replicate after another (inputs prepared by :mod:`._cox_inputs`; ragged
replicates concatenated, not padded). ``engine="numpy"`` is the reference it is tested
against (``tests/test_batch_kernel.py``), described below.

In the numpy engine every replicate gets exactly the computation of
:func:`ctcstats.survival._core.cox.fit_cox_arrays` (R's ``coxph.fit``): the survival core's
Newton–Raphson (:func:`ctcstats.survival._core.newton.newton_raphson`, the same loop, rules,
constants and R linear algebra) in R's scaled coordinates (each covariate centred and scaled
per replicate, as ``coxfit6``) — all replicates advance together: each keeps its own beta,
step-halving state and convergence flag, and the likelihood, score and information of all
replicates come from one set of array operations over the ``(replicates × patients)``
layout of :mod:`._layout` (that vectorised derivative computation is this module's own).
Replicates that have converged are carried along unchanged; when fewer than half are still
iterating, the rest are re-laid out on their own so the stragglers (e.g. monotone
likelihoods) cost little.

Ties: Efron or Breslow. Strata, case weights (bootstrap counts, ``frequency=True``; or R's
``coxph(weights=)``, ``frequency=False``) and a few covariates are supported.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from ..errors import DataValidationError, ParameterError
from ..survival._core.cox import ETA_MAX, ETA_MIN
from ..survival._core.newton import EPS, ITER_MAX, TOLER_CHOL, newton_raphson, scale_factor
from ..survival._core.ties import merge_times
from ._cox_inputs import fit_kernel, is_ragged, kernel_inputs, loglik_kernel, ragged_inputs
from ._layout import (
    BatchDisplay,
    BatchLayout,
    as_replicates,
    build_layout,
    n_rows,
    reduce_multi,
    reduce_steps,
    suffix_sums,
)

__all__ = ["BatchCoxResult", "batch_cox_arrays", "batch_cox_loglik"]


# --------------------------------------------------------------------------- derivatives
@dataclass(frozen=True, eq=False)
class _Prepared:
    L: BatchLayout
    X: list  # p arrays (R, n), sorted, centred per replicate
    means: np.ndarray  # (R, p)
    scale: np.ndarray  # (R, p): R's scale factor of each centred covariate per replicate
    Xe: list  # p arrays (E,): covariates of the event rows
    pairs: list  # (j, k) with j <= k
    obs: np.ndarray  # (R, p): weighted covariate sums of the events
    buf: np.ndarray  # (R, n + 1) work array, column 0 = 0
    pat: _Patterns | None = None  # indicator covariates: risk sets as counts per pattern
    start: np.ndarray | None = None  # (R, n) entry times of (start, stop] rows, sorted as L
    sidx: _StartIndex | None = None


@dataclass(frozen=True, eq=False)
class _StartIndex:
    """(start, stop] rows: a row is at risk at t when start < t <= stop, so a risk-set sum is
    the suffix sum over stop >= t (the layout's) minus the sum over the rows of the same
    stratum with start >= t. Those rows are contiguous when each replicate's rows are ordered
    by (stratum, start) — ``perm`` (flat sorted positions in that order) — and ``lo``/``hi``
    index the (R, n + 1) forward cumulative sums of that order (as the survival core's
    ``prepare_cox_data``, per replicate)."""

    perm: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _start_index(L: BatchLayout, start: np.ndarray) -> _StartIndex:
    R, n = L.R, L.n
    st = L.strata if L.strata is not None else np.zeros((R, n), dtype=np.int64)
    S = int(st.max(initial=0)) + 2
    gt = L.time.ravel()[L.g_start]
    gs = st.ravel()[L.g_start]
    vals = np.unique(np.concatenate([start.ravel(), gt]))
    M = vals.size + 1
    rep = np.repeat(np.arange(R, dtype=np.int64), n)
    key = (rep * S + st.ravel()) * M + np.searchsorted(vals, start.ravel())
    perm = np.argsort(key, kind="stable")
    ks = key[perm]
    gbase = L.g_rep * S + gs
    lo = np.searchsorted(ks, gbase * M + np.searchsorted(vals, gt), "left")
    hi = np.searchsorted(ks, (gbase + 1) * M, "left")
    off = L.g_rep * (n + 1) - L.g_rep * n  # flat position in replicate r → buffer index
    return _StartIndex(perm=perm, lo=lo + off, hi=hi + off)


def _start_sums(P: _Prepared, v: np.ndarray) -> np.ndarray:
    """Sums of ``v`` (R, n, sorted as the layout) over the rows entering at or after each
    event group's time (same stratum) → (G,)."""
    si = P.sidx
    assert si is not None, "called for (start, stop] data only"
    R, n = P.L.R, P.L.n
    np.cumsum(v.ravel()[si.perm].reshape(R, n), axis=1, out=P.buf[:, 1:])
    b = P.buf.ravel()
    return b[si.hi] - b[si.lo]


@dataclass(frozen=True, eq=False)
class _Patterns:
    """Covariates that are all 0/1 indicators (the marker; category indicators): a row's
    covariate vector is one of K = 2^p patterns, so every risk-set sum is
    ``sum_k N_k(g) exp(eta_k) f(x_k)`` with ``N_k(g)`` the (weighted) number at risk with
    pattern k — counted once, before the iterations. Each Newton–Raphson step then costs
    O(groups × K) instead of O(replicates × patients): the same sums, added in another order.
    """

    U: np.ndarray  # (K, p) the patterns, uncentred
    N: np.ndarray  # (K, G) weighted numbers at risk per pattern at each event group
    E: np.ndarray  # (K, M) weighted events per pattern in each multi-step (Efron) group
    events: np.ndarray  # (K, R) weighted events per pattern in each replicate


_MAX_PATTERN_COVARIATES = 3


def merge_start_times(R, time, start):
    """R's timefix on (start, stop] data, per replicate (start and stop values together, as
    ``fit_cox``); returns 2-D times, 2-D starts and the number of merged values."""
    time2 = np.broadcast_to(time, (R, time.shape[-1]))
    start2 = np.broadcast_to(start, (R, time.shape[-1]))
    tt, ss = np.empty(time2.shape), np.empty(time2.shape)
    n_merged = np.zeros(R, dtype=np.int64)
    for r in range(R):
        m = merge_times(time2[r], start2[r])
        tt[r], ss[r], n_merged[r] = m.time, m.start, m.n_merged
    return tt, ss, n_merged


def _prepare(R, time, event, cols, weights, strata, *, ties, frequency, timefix,
             start=None) -> _Prepared:
    n_merged = None
    if start is not None and timefix:
        time, start, n_merged = merge_start_times(R, time, start)
    L = build_layout(R, time, event, weights, strata, timefix=timefix and start is None,
                     ties=ties, frequency=frequency)
    if n_merged is not None:
        object.__setattr__(L, "n_merged", n_merged)
    Xs = [L.gather(c) for c in cols]
    P = _center(L, Xs)
    if start is not None:
        st = L.gather(np.asarray(start, dtype=float))
        return dataclasses.replace(P, start=st, sidx=_start_index(L, st))
    if len(Xs) <= _MAX_PATTERN_COVARIATES and all(_is_indicator(c) for c in cols):
        P = _with_patterns(P, Xs)
    return P


def _is_indicator(c: np.ndarray) -> bool:
    return bool(np.all((c == 0) | (c == 1)))


def _with_patterns(P: _Prepared, Xs: list) -> _Prepared:
    L = P.L
    p = len(Xs)
    code = Xs[0].astype(np.int64)
    for j in range(1, p):
        code += Xs[j].astype(np.int64) << j
    K = 1 << p
    U = ((np.arange(K)[:, None] >> np.arange(p)[None, :]) & 1).astype(float)
    w = np.ones((L.R, L.n)) if L.weight is None else L.weight
    N = np.empty((K, L.g_rep.size))
    for k in range(K):
        N[k] = suffix_sums(L, np.where(code == k, w, 0.0), P.buf)
    E = np.zeros((K, L.m_groups.size))
    ce = code.ravel()[L.ev_flat]
    ew = np.ones(ce.size) if L.ev_w is None else L.ev_w
    if L.m_groups.size:
        for k in range(K):
            E[k] = reduce_multi(L, np.where(ce == k, ew, 0.0))
    events = np.array([L.ev_seg.sum(np.where(ce == k, ew, 0.0)) for k in range(K)])
    return _Prepared(L=P.L, X=P.X, means=P.means, scale=P.scale, Xe=P.Xe, pairs=P.pairs,
                     obs=P.obs, buf=P.buf, pat=_Patterns(U=U, N=N, E=E, events=events))


def _center(L: BatchLayout, Xs: list) -> _Prepared:
    R, n = L.R, L.n
    p = len(Xs)
    if L.weight is None:
        means = np.column_stack([x.mean(axis=1) for x in Xs])
    else:
        wsum = L.weight.sum(axis=1)
        wsum = np.where(wsum > 0, wsum, 1.0)
        means = np.column_stack([np.einsum("rn,rn->r", L.weight, x) / wsum for x in Xs])
    X = [x - means[:, j, None] for j, x in enumerate(Xs)]
    scale = np.column_stack([scale_factor(x, L.weight) for x in X]) if p else np.ones((R, 0))
    Xe = [x.ravel()[L.ev_flat] for x in X]
    obs = np.column_stack([
        L.ev_seg.sum(xe if L.ev_w is None else L.ev_w * xe) for xe in Xe
    ])
    pairs = [(j, k) for j in range(p) for k in range(j, p)]
    buf = np.zeros((R, n + 1))
    return _Prepared(L=L, X=X, means=means, scale=scale, Xe=Xe, pairs=pairs, obs=obs,
                     buf=buf)


def _sums_rows(P: _Prepared, beta: np.ndarray, info: bool):
    """Risk-set sums S0, S1, S2 at every event group and event sums D0, D1, D2 of every
    multi-step group, from the rows (cumulative sums along each replicate)."""
    L, X = P.L, P.X
    p = beta.shape[1]
    eta = X[0] * beta[:, 0, None]
    for j in range(1, p):
        eta += X[j] * beta[:, j, None]
    # R's coxsafe limits, as the single fit (survival/_core/cox.py): the events' share of the
    # log-likelihood uses the clipped predictor too (``lost``: what clipping removed)
    eta_c = np.clip(eta, ETA_MIN, ETA_MAX)
    lost_ev = (eta - eta_c).ravel()[L.ev_flat]
    lost = L.ev_seg.sum(lost_ev if L.ev_w is None else L.ev_w * lost_ev)
    r = np.exp(eta_c)
    if L.weight is not None:
        r *= L.weight
    rx = [r * x for x in X]
    S0 = suffix_sums(L, r, P.buf)
    S1 = [suffix_sums(L, v, P.buf) for v in rx]
    S2 = [suffix_sums(L, rx[j] * X[k], P.buf) for j, k in P.pairs] if info else None
    if P.sidx is not None:  # (start, stop] rows: remove those not yet entered
        S0 = S0 - _start_sums(P, r)
        S1 = [a - _start_sums(P, v) for a, v in zip(S1, rx, strict=True)]
        if S2 is not None:
            S2 = [a - _start_sums(P, rx[j] * X[k])
                  for a, (j, k) in zip(S2, P.pairs, strict=True)]
    D0 = D1 = D2 = None
    if L.m_groups.size:
        re = r.ravel()[L.ev_flat]
        D0 = reduce_multi(L, re)
        D1 = [reduce_multi(L, re * xe) for xe in P.Xe]
        if info:
            D2 = [reduce_multi(L, re * P.Xe[j] * P.Xe[k]) for j, k in P.pairs]
    return S0, S1, S2, D0, D1, D2, lost


def _sums_patterns(P: _Prepared, beta: np.ndarray, info: bool):
    """:func:`_sums_rows` for indicator covariates, from the counts per pattern."""
    L, pat = P.L, P.pat
    assert pat is not None, "called for indicator covariates only"
    K, p = pat.U.shape
    xc = pat.U.T[:, :, None] - P.means.T[:, None, :]  # (p, K, R) centred patterns
    eta = np.einsum("pkr,rp->kr", xc, beta)  # (K, R)
    eta_c = np.clip(eta, ETA_MIN, ETA_MAX)  # R's coxsafe limits, as _sums_rows
    lost = np.sum((eta - eta_c) * pat.events, axis=0)
    ek = np.exp(eta_c)

    def sums(counts, rep):  # counts (K, m) per pattern; rep (m,) replicate of each entry
        s0 = np.zeros(rep.size)
        s1 = [np.zeros(rep.size) for _ in range(p)]
        s2 = [np.zeros(rep.size) for _ in P.pairs] if info else None
        for k in range(K):
            a = counts[k] * ek[k][rep]
            s0 += a
            xs = [xc[j, k][rep] for j in range(p)]
            ax = [a * x for x in xs]
            for j in range(p):
                s1[j] += ax[j]
            if info:
                for q, (j, k2) in enumerate(P.pairs):
                    s2[q] += ax[j] * xs[k2]
        return s0, s1, s2

    S0, S1, S2 = sums(pat.N, L.g_rep)
    D0 = D1 = D2 = None
    if L.m_groups.size:
        D0, D1, D2 = sums(pat.E, L.g_rep[L.m_groups])
    return S0, S1, S2, D0, D1, D2, lost


def _derivatives(P: _Prepared, beta: np.ndarray, info: bool = True):
    """Log partial likelihood (R,), score (R, p) and information (R, p, p) at ``beta`` (R, p).

    Per event group g with risk-set sums S0, S1, S2 and event sums D0, D1, D2 (of
    r = w exp(eta)), Efron's sub-steps k = 0..m-1 (e = k/m, step weight a = deadwt/m) give
    den_k = S0 - e D0 and::

        loglik = sum w eta - sum_k a log den_k
        score  = sum w x - sum_k a (S1 - e D1) / den_k
        info   = sum_k a [(S2 - e D2) / den_k - (S1 - e D1)(S1 - e D1)' / den_k^2]

    (Breslow: one step with e = 0). Everything is reduced per group, then per replicate.
    """
    L = P.L
    R, p = beta.shape
    mg = L.m_groups
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if P.pat is not None:
            S0, S1, S2, D0, D1, D2, lost = _sums_patterns(P, beta, info)
        else:
            S0, S1, S2, D0, D1, D2, lost = _sums_rows(P, beta, info)
        # single-step groups (Breslow, or one event): den = S0, step weight = deadwt
        h = L.g_deadwt / S0
        g0 = h / S0
        logt = L.g_deadwt * np.log(S0)
        if mg.size:  # Efron sub-steps of tied groups
            sl, e = L.s_local, L.s_e
            den = S0[mg][sl] - e * D0[sl]
            hs = L.s_wt / den
            hes = hs * e
            h[mg] = reduce_steps(L, hs)
            logt[mg] = reduce_steps(L, L.s_wt * np.log(den))
            hg1 = reduce_steps(L, hes)
            if info:
                g0[mg] = reduce_steps(L, hs / den)
                g1 = reduce_steps(L, hes / den)
                g2 = reduce_steps(L, hes * e / den)
        ll = np.einsum("rp,rp->r", beta, P.obs) - lost - L.g_seg.sum(logt)
        U = np.empty((R, p))
        for j in range(p):
            U[:, j] = P.obs[:, j] - L.g_seg.sum(h * S1[j])
            if mg.size:
                U[:, j] += L.m_seg.sum(hg1 * D1[j])
        if not info:
            return ll, U, None
        imat = np.empty((R, p, p))
        for q, (j, k) in enumerate(P.pairs):
            v = L.g_seg.sum(h * S2[q] - g0 * S1[j] * S1[k])
            if mg.size:
                S1j, S1k = S1[j][mg], S1[k][mg]
                v += L.m_seg.sum(-hg1 * D2[q] + g1 * (S1j * D1[k] + D1[j] * S1k)
                                 - g2 * D1[j] * D1[k])
            imat[:, j, k] = imat[:, k, j] = v
    return ll, U, imat


# --------------------------------------------------------------------------- result
@result
class BatchCoxResult(BatchDisplay, Result):
    """Per-replicate Cox fits (arrays indexed by replicate first).

    ``coef``, ``std_error``, ``z``, ``p_value`` (Wald, two-sided) are ``(R, p)``; ``var``
    ``(R, p, p)``; ``loglik``, ``loglik_null``, ``score_test`` ``(R,)``; ``n_iter``,
    ``converged`` (R's Newton–Raphson flag, as ``fit_cox(...).converged``), ``monotone``
    (a binary covariate level without events, or a coefficient whose likelihood converged
    before it did — R's "coefficient may be infinite"), ``n_events`` (weighted) and
    ``n_merged`` (distinct times merged as ties by the survival core's rule) per replicate.
    ``singular`` and ``maybe_infinite`` ``(R, p)`` are ``fit_cox_arrays``' flags per
    coefficient (a singular coefficient is NaN here).
    ``ok`` is ``converged & ~monotone & finite``: the replicates whose estimates can be used.
    From :func:`ctcstats.batch.batch_cox`, ``replicates`` holds the replicate labels (in the
    order of the arrays) and ``terms`` the covariate term names. ``n_obs`` counts the rows
    analysed over all replicates, ``n_dropped`` the rows removed (``missing="drop"``);
    ``warnings`` records how many replicates did not converge or have a monotone likelihood
    (recorded, not issued: in simulations a few such replicates are expected, and ``ok``
    flags them one by one).
    """

    _title: ClassVar[str] = "Batch Cox fits"

    coef: np.ndarray
    var: np.ndarray
    std_error: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    loglik: np.ndarray
    loglik_null: np.ndarray
    score_test: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    monotone: np.ndarray
    n_events: np.ndarray
    ties: str
    singular: np.ndarray | None = None
    maybe_infinite: np.ndarray | None = None
    replicates: np.ndarray | None = None
    n_merged: np.ndarray | None = None  # (R,) distinct times merged as ties (the core's rule)
    terms: tuple[str, ...] = ()
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> np.ndarray:
        return self.converged & ~self.monotone & np.all(np.isfinite(self.std_error), axis=1)

    def to_frame(self, term: int | str = 0) -> pd.DataFrame:
        """Tidy table for one term (position, or name from ``terms``): ``replicate, coef,
        std_error, z, p_value, loglik, n_events, n_iter, converged, monotone``."""
        if isinstance(term, str):
            if term not in self.terms:
                raise ParameterError(
                    f"The 'term' parameter of BatchCoxResult.to_frame must be one of "
                    f"{list(self.terms)}; got {term!r}.")
            term = self.terms.index(term)
        reps = np.arange(self.coef.shape[0]) if self.replicates is None else self.replicates
        return pd.DataFrame({
            "replicate": reps, "coef": self.coef[:, term],
            "std_error": self.std_error[:, term], "z": self.z[:, term],
            "p_value": self.p_value[:, term], "loglik": self.loglik,
            "n_events": self.n_events, "n_iter": self.n_iter, "converged": self.converged,
            "monotone": self.monotone,
        })


def _no_event_level(P: _Prepared) -> np.ndarray:
    """Replicates in which a two-valued covariate has a value without events (monotone
    likelihood; as ``fit_cox``'s check)."""
    return _no_event_level_arrays(P.X, P.L.weight, P.L.event)


def _no_event_level_arrays(X: list, weight: np.ndarray | None, event: np.ndarray) -> np.ndarray:
    pos = None if weight is None else weight > 0
    out = np.zeros(event.shape[0], dtype=bool)
    for x in X:
        lo = (x if pos is None else np.where(pos, x, np.inf)).min(axis=1)
        hi = (x if pos is None else np.where(pos, x, -np.inf)).max(axis=1)
        at_lo = x == lo[:, None]
        at_hi = x == hi[:, None]
        other = ~at_lo & ~at_hi
        if pos is not None:
            other &= pos
        two = ~other.any(axis=1) & (hi > lo)
        if not two.any():
            continue
        ev_lo = (event & at_lo).any(axis=1)
        ev_hi = (event & at_hi).any(axis=1)
        out |= two & ~(ev_lo & ev_hi)
    return out


class _Derivatives:
    """The core Newton–Raphson's callback: derivatives of the replicates ``idx`` at scaled
    coefficients; when fewer than half of the current layout's replicates are asked for,
    they are re-laid out on their own (the stragglers then cost little)."""

    def __init__(self, P: _Prepared):
        self.P, self.Q, self.qidx = P, P, np.arange(P.L.R)

    def __call__(self, idx: np.ndarray, bz: np.ndarray):
        if idx.size <= self.qidx.size // 2:
            self.Q, self.qidx = _subset(self.P, idx), idx
        pos = np.searchsorted(self.qidx, idx)
        sc = self.P.scale[idx]
        b = np.zeros((self.qidx.size, bz.shape[1]))
        b[pos] = bz * sc
        ll, U, imat = _derivatives(self.Q, b)
        return ll[pos], U[pos] * sc, imat[pos] * sc[:, :, None] * sc[:, None, :]


def _nr(P: _Prepared, eps: float, iter_max: int, toler_chol: float):
    """R's coxph.fit Newton–Raphson (the core's) for every replicate of ``P``."""
    R, p = P.L.R, len(P.X)
    nr = newton_raphson(_Derivatives(P), np.zeros((R, p)), rule="coxph", tol=eps,
                        max_iter=iter_max, toler_chol=toler_chol)
    sc = P.scale
    ss = sc[:, :, None] * sc[:, None, :]
    return dict(beta=nr.beta * sc, var=nr.var * ss, U=nr.score / sc, ll=nr.loglik,
                ll0=nr.loglik_init, sctest=nr.score_test, n_iter=nr.n_iter,
                converged=nr.converged, rank=nr.rank)


def _subset(P: _Prepared, idx: np.ndarray) -> _Prepared:
    """The prepared data of replicates ``idx`` only.

    The rows are already sorted and timefixed; the layout is rebuilt on them (its sorts leave
    sorted rows in place up to the order of tied rows, which changes no sum beyond rounding).
    """
    L = P.L
    Lsub = build_layout(idx.size, L.time[idx], L.event[idx],
                        None if L.weight is None else L.weight[idx],
                        None if L.strata is None else L.strata[idx], timefix=False,
                        ties=L.ties, frequency=L.frequency)
    Xs = [Lsub.gather(x[idx]) for x in P.X]
    if P.start is not None:
        st = Lsub.gather(P.start[idx])
        return dataclasses.replace(_center(Lsub, Xs), start=st, sidx=_start_index(Lsub, st))
    if P.pat is None:
        return _center(Lsub, Xs)
    # indicator covariates: back to 0/1 (the rows were centred per replicate)
    Xs = [np.rint(x + P.means[idx, j, None]) for j, x in enumerate(Xs)]
    return _with_patterns(_center(Lsub, Xs), Xs)


def _finish(fit: dict, eps: float, toler_inf: float, iter_max: int) -> dict:
    beta, var, U = fit["beta"], fit["var"], fit["U"]
    R, p = beta.shape
    dvar = np.diagonal(var, axis1=1, axis2=2)
    singular = (fit["rank"] < p)[:, None] & (dvar == 0)
    with np.errstate(invalid="ignore", over="ignore"):
        infs = np.abs(np.einsum("rp,rpq->rq", U, var))
        conv = fit["converged"][:, None]
        maybe_inf = np.where(
            conv, ~np.isfinite(U) | ((infs > eps) & (infs > toler_inf * np.abs(beta))),
            ~np.isfinite(infs))
    if iter_max <= 1:
        maybe_inf[:] = False
    fit["maybe_infinite"] = maybe_inf & ~singular
    fit["singular"] = singular
    return fit


def batch_cox_arrays(
    time,
    event,
    X,
    *,
    start=None,
    strata=None,
    weights=None,
    ties: str = "efron",
    frequency: bool = True,
    timefix: bool = True,
    tol: float = EPS,
    max_iter: int = ITER_MAX,
    chunk_rows: int = 2_000_000,
    engine: str = "kernel",
) -> BatchCoxResult:
    """Fit the Cox model to every replicate; each equals ``fit_cox`` on that replicate's data.

    The array-level entry point of the batch engine (documented internal function, used by
    :func:`ctcstats.designs.power.simulate_power` and the bootstrap of
    :func:`ctcstats.prognostic.validation.validate_model` for speed); the public
    :func:`ctcstats.batch.batch_cox` takes a long DataFrame and calls this.

    Parameters
    ----------
    time, event : array (R, n) or (n,) or list of 1-D arrays
        Follow-up times and event indicators per replicate (see :func:`as_replicates`: shared
        1-D arrays with ``weights`` of shape (R, n) are bootstrap replicates; lists are ragged
        replicates, padded with weight-0 rows).
    X : array (R, n, p) or (n, p) or (n,), or a list of (n_r, p) arrays
        Covariates (numeric; indicator-code categorical covariates first).
    start : array (R, n) or (n,), optional
        Entry times of (start, stop] rows (``time`` is then the stop): delayed entry and
        time-dependent covariates, R ``coxph(Surv(start, stop, event) ~ ...)`` per replicate
        (equal to ``fit_cox(start_col=)``); a list of 1-D arrays with ragged replicates.
    strata : array of int codes, optional
        Stratum of each row (same layout as ``time``); risk sets are within strata.
    weights : array, optional
        Case weights ≥ 0; rows of weight 0 are absent.
    ties : {"efron", "breslow"}
    frequency : bool, default True
        Weights are counts (a weight of 2 is the row twice — a bootstrap resample; Efron's
        correction then counts ``sum(w)`` tied events). ``False`` gives R
        ``coxph(weights=)`` semantics (equal to ``fit_cox_arrays(weights=)``).
    timefix : bool, default True
        Merge times that differ only by rounding error, per replicate, as R (and ``fit_cox``).
    tol, max_iter
        R's convergence criterion (``eps``) and iteration limit (``iter.max``) of
        ``coxph.control``.
    chunk_rows : int
        ``engine="numpy"`` only: replicates are fitted in chunks of about this many rows
        (R × n) so that peak memory stays bounded (≈ 200 MB per 10^6 rows with a few
        covariates). The kernel works on one replicate at a time (memory O(n) beyond the
        inputs; ragged replicates are concatenated, not padded).
    engine : {"kernel", "numpy"}
        ``"kernel"`` (default): the compiled single-pass kernel (:mod:`ctcstats.survival._core.cox_kernel`, numba),
        one replicate after another. ``"numpy"``: all replicates advanced together by array
        operations — the reference the kernel is tested against (same fits to rounding).

    Returns
    -------
    BatchCoxResult
        Per-replicate ``coef``, ``std_error``, ``z``, ``p_value`` (Wald, as
        ``fit_cox(...).table``), ``var``, ``loglik``, ``loglik_null``, ``score_test``,
        ``n_iter``, ``converged``, ``monotone``, ``n_events``.

    Examples
    --------
    >>> import numpy as np
    >>> from ctcstats.batch.cox import batch_cox_arrays
    >>> g = np.random.default_rng(1)
    >>> x = g.integers(0, 2, (3, 200)).astype(float)
    >>> t = g.exponential(1 / np.exp(0.5 * x))
    >>> res = batch_cox_arrays(np.round(t, 1), np.ones_like(t), x[:, :, None])
    >>> res.coef.shape
    (3, 1)
    """
    if ties not in ("efron", "breslow"):
        raise ParameterError(f"The 'ties' parameter of batch_cox_arrays must be one of 'efron', "
                             f"'breslow'; got {ties!r}.")
    _check_engine(engine, "batch_cox_arrays")
    toler_inf = float(np.sqrt(tol))
    if engine == "kernel" and is_ragged(time):  # concatenated, never padded
        kw, R, _, n_obs, n_merged = ragged_inputs(time, event, X, strata, weights, start,
                                                  timefix, "batch_cox_arrays")
        fit, no_ev = fit_kernel(kw, n_merged, ties=ties, frequency=frequency, eps=tol,
                                iter_max=max_iter, toler_chol=TOLER_CHOL)
        fit = _finish(fit, tol, toler_inf, max_iter)
        fit["monotone"] = no_ev | np.any(fit["maybe_infinite"], axis=1)
        return _result(fit, R, ties, n_obs)
    if engine == "kernel":  # the covariates used in place, one kernel call
        R, time, event, Xa, strata, w = as_replicates(time, event, X, strata=strata,
                                                      weights=weights, keep_X=True,
                                                      func="batch_cox_arrays")
        if Xa is None:
            raise DataValidationError("batch_cox_arrays: X (the covariates) is required.")
        kw, n_merged = kernel_inputs(R, time, event, Xa, w, strata,
                                     _check_start(start, time, "batch_cox_arrays"), timefix)
        fit, no_ev = fit_kernel(kw, n_merged, ties=ties, frequency=frequency, eps=tol,
                                iter_max=max_iter, toler_chol=TOLER_CHOL)
        fit = _finish(fit, tol, toler_inf, max_iter)
        fit["monotone"] = no_ev | np.any(fit["maybe_infinite"], axis=1)
        return _result(fit, R, ties, n_rows(R, time.shape[-1], w))
    R, time, event, cols, strata, w = as_replicates(time, event, X, strata=strata,
                                                    weights=weights, func="batch_cox_arrays")
    if cols is None:
        raise DataValidationError("batch_cox_arrays: X (the covariates) is required.")
    n = time.shape[-1]
    start = _check_start(start, time, "batch_cox_arrays")
    step = max(1, int(chunk_rows) // max(n, 1))
    parts = []

    def rows(a, lo, hi):
        return a if a is None or a.ndim == 1 else a[lo:hi]

    for a in range(0, R, step):
        b = min(R, a + step)
        Rc = b - a
        wc = w
        if w is not None and w.ndim == 1:
            wc = np.broadcast_to(w, (Rc, n))
        args = (Rc, rows(time, a, b), rows(event, a, b), [rows(c, a, b) for c in cols],
                rows(wc, a, b), rows(strata, a, b))
        P = _prepare(*args, ties=ties, frequency=frequency, timefix=timefix,
                     start=rows(start, a, b))
        fit = _finish(_nr(P, tol, max_iter, TOLER_CHOL), tol, toler_inf, max_iter)
        no_ev = _no_event_level(P)
        fit["n_events"], fit["n_merged"] = P.L.n_events, P.L.n_merged
        fit["monotone"] = no_ev | np.any(fit["maybe_infinite"], axis=1)
        parts.append(fit)
    cat = {k: np.concatenate([f[k] for f in parts]) for k in parts[0]}
    return _result(cat, R, ties, n_rows(R, n, w))


def _result(cat: dict, R: int, ties: str, n_obs: int) -> BatchCoxResult:
    coef = cat["beta"].copy()
    var = cat["var"].copy()
    sing = cat["singular"]
    coef[sing] = np.nan
    var = np.where(sing[:, :, None] | sing[:, None, :], np.nan, var)
    se = np.sqrt(np.diagonal(var, axis1=1, axis2=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = coef / se
    notes = []
    for flag, what in ((~cat["converged"], "did not converge (Newton–Raphson iteration limit)"),
                       (cat["monotone"], "have a monotone likelihood (a coefficient may be "
                                         "infinite; consider Firth's penalised fit)")):
        if flag.any():
            notes.append(f"{int(flag.sum())} of {R} replicates {what}; .ok marks the "
                         "replicates whose estimates can be used.")
    return BatchCoxResult(
        coef=coef, var=var, std_error=se, z=z, p_value=2 * stats.norm.sf(np.abs(z)),
        loglik=cat["ll"], loglik_null=cat["ll0"], score_test=cat["sctest"],
        n_iter=cat["n_iter"], converged=cat["converged"], monotone=cat["monotone"],
        n_events=cat["n_events"], ties=ties, singular=sing, n_merged=cat["n_merged"],
        maybe_infinite=cat["maybe_infinite"], n_obs=n_obs, warnings=tuple(notes),
    )


def _pad_start(start, n):
    """Ragged entry times padded as :func:`pad_ragged` pads the rows (weight 0); the padding
    repeats the replicate's smallest entry time, so it adds no distinct time."""
    out = np.empty((len(start), n))
    for i, a in enumerate(start):
        a = np.asarray(a, float)
        out[i, :a.size] = a
        out[i, a.size:] = a.min() if a.size else -1.0
    return out


def _check_start(start, time, func):
    if start is None:
        return None
    if isinstance(start, (list, tuple)) and len(start) and np.ndim(start[0]) == 1:
        start = _pad_start(start, time.shape[-1])
    st = np.asarray(start, dtype=float)
    if st.shape[-1] != time.shape[-1] or st.ndim not in (1, 2) or (
            st.ndim == 2 and time.ndim == 2 and st.shape != time.shape):
        raise DataValidationError(f"{func}: start must have the shape of time {time.shape} "
                                  f"(or (n,) shared); got {st.shape}.")
    bad = ~np.isfinite(st) | (st >= np.broadcast_to(time, np.broadcast_shapes(st.shape,
                                                                              time.shape)))
    if bad.any():
        raise DataValidationError(f"{func}: every start must be finite and smaller than its "
                                  f"stop time; {int(bad.sum())} are not.")
    return st


def _check_engine(engine, func):
    if engine not in ("kernel", "numpy"):
        raise ParameterError(f"The 'engine' parameter of {func} must be one of 'kernel', "
                             f"'numpy'; got {engine!r}.")


def batch_cox_loglik(time, event, X, beta, *, strata=None, weights=None, ties: str = "efron",
                     frequency: bool = True, timefix: bool = True, start=None,
                     engine: str = "kernel") -> np.ndarray:
    """Log partial likelihood of every replicate at given coefficients ``beta`` (R, p).

    Equal to ``cox_derivatives(prepare_cox_data(...), beta_r, ties)[0]`` per replicate (e.g.
    the likelihood of a linear predictor frozen at slope 1). Inputs (and ``engine``) as
    :func:`batch_cox_arrays`.
    """
    _check_engine(engine, "batch_cox_loglik")
    if engine == "kernel" and is_ragged(time):  # concatenated, never padded
        kw, R, p, _, _ = ragged_inputs(time, event, X, strata, weights, start, timefix,
                                       "batch_cox_loglik")
        beta = np.asarray(beta, dtype=float).reshape(R, p)
        return loglik_kernel(kw, beta, ties=ties, frequency=frequency)
    if engine == "kernel":
        R, time, event, Xa, strata, w = as_replicates(time, event, X, strata=strata,
                                                      weights=weights, keep_X=True,
                                                      func="batch_cox_loglik")
        if Xa is None:
            raise DataValidationError("batch_cox_loglik: X (the covariates) is required.")
        beta = np.asarray(beta, dtype=float).reshape(R, Xa.shape[-1])
        kw, _ = kernel_inputs(R, time, event, Xa, w, strata,
                              _check_start(start, time, "batch_cox_loglik"), timefix)
        return loglik_kernel(kw, beta, ties=ties, frequency=frequency)
    R, time, event, cols, strata, w = as_replicates(time, event, X, strata=strata,
                                                    weights=weights, func="batch_cox_loglik")
    if cols is None:
        raise DataValidationError("batch_cox_loglik: X (the covariates) is required.")
    beta = np.asarray(beta, dtype=float).reshape(R, len(cols))
    n = time.shape[-1]
    if w is not None and w.ndim == 1:
        w = np.broadcast_to(w, (R, n))
    start = _check_start(start, time, "batch_cox_loglik")
    P = _prepare(R, time, event, cols, w, strata, ties=ties, frequency=frequency,
                 timefix=timefix, start=start)
    # the likelihood does not depend on the centring: sum w eta - sum log den shifts equally
    return _derivatives(P, beta, info=False)[0]
