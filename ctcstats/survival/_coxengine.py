"""Array-level Cox partial-likelihood engine (R ``survival::coxph`` arithmetic, in numpy).

Design decision
---------------
The Cox fit is our own Newton–Raphson engine rather than lifelines' ``CoxPHFitter``, because
lifelines supports only Efron ties, its robust (sandwich) variance ignores tied event times and
depends on row order, its penalizer is not on R's scale, and the batch engine (``_batch.py``)
and the Firth fit (``_firth.py``) must share exactly the same arithmetic. lifelines remains an
independent oracle in the tests; R's ``survival`` is the reference.

What is implemented (R's C routines in brackets)
------------------------------------------------
* log partial likelihood, score and information for right-censored and (start, stop]
  counting-process data with strata, case weights and offsets; Breslow and Efron ties
  (``coxfit6``, ``agfit4``);
* Newton–Raphson from beta = 0 with R's step-halving and convergence rule: stop when
  ``|1 - loglik_old / loglik_new| <= eps`` (eps = 1e-9), at most 20 iterations, generalised
  Cholesky with tolerance ``eps**0.75`` (``coxph.fit``, ``cholesky2``/``chsolve2``/``chinv2``);
* a ridge penalty ``(penalizer / 2) * sum(beta**2)`` (R ``ridge(..., theta=penalizer,
  scale=FALSE)``);
* score residuals and dfbeta, with Efron's tie handling (``coxscore2``/``agscore2``), and
  Schoenfeld residuals (``coxscho``);
* the one-step score test of cox.zph (``zph1``/``zph2``) and the concordance of the linear
  predictor with its infinitesimal-jackknife standard error (``concordance3``/``4``).

Everything is vectorised over risk sets: the data are ranked once by (stratum, time); risk-set
sums are differences of cumulative sums looked up with ``searchsorted``; Efron's tie
correction is expanded into one "sub-step" per event, reduced with ``np.add.reduceat``. There is
no loop over rows or event times; n = 100,000 fits in well under a second per iteration.

Notes: the engine compares times exactly; the public functions in :mod:`.cox` first merge
times that differ only by rounding error, as R's ``timefix``/``aeqSurv``. The engine expects
validated arrays (no NaN, event 0/1, weights > 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CoxData",
    "CoxFit",
    "prepare_cox_data",
    "cox_derivatives",
    "fit_cox_arrays",
    "score_residuals",
    "schoenfeld_residuals",
    "zph_score_test",
    "concordance_lp",
    "cholesky2",
    "chsolve2",
    "chinv2",
]

EPS = 1e-9
TOLER_CHOL = float(np.finfo(float).eps ** 0.75)
TOLER_INF = float(np.sqrt(EPS))


# --------------------------------------------------------------------------- data layout
@dataclass(frozen=True, eq=False)
class CoxData:
    """Validated Cox data plus the index arrays that turn risk sets into cumulative sums.

    All arrays are in the caller's row order; ``X`` is centred by its weighted column means
    (``means``), as R does, which changes neither coefficients nor likelihood.
    """

    X: np.ndarray  # (n, p), centred
    means: np.ndarray  # (p,)
    stop: np.ndarray
    start: np.ndarray | None
    event: np.ndarray  # bool
    weights: np.ndarray
    offset: np.ndarray
    strata: np.ndarray  # int codes 0..K-1
    # sorted-key lookups for risk-set sums at each event group g
    ord_stop: np.ndarray
    g_stop_lo: np.ndarray
    g_stop_hi: np.ndarray
    ord_start: np.ndarray | None
    g_start_lo: np.ndarray | None
    g_start_hi: np.ndarray | None
    # per-row cumulative-over-groups lookups (groups at which the row is at risk)
    row_g_hi: np.ndarray
    row_g_lo: np.ndarray  # groups with t_g <= start (or the stratum's first group)
    # events
    death_idx: np.ndarray  # rows with an event, ordered by group
    death_group: np.ndarray
    group_first: np.ndarray  # index into death_idx where each group starts
    group_size: np.ndarray
    group_time: np.ndarray
    group_stratum: np.ndarray
    n_groups: int


def prepare_cox_data(
    X: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    *,
    start: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
) -> CoxData:
    """Rank the data once and precompute every lookup the likelihood needs.

    ``time`` is the (stop) time; ``start`` (optional) the entry time of (start, stop] rows, a
    row being at risk at t when ``start < t <= stop``. ``strata`` may be any labels.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n = X.shape[0]
    stop = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    if strata is None:
        s = np.zeros(n, dtype=np.int64)
    else:
        _, s = np.unique(np.asarray(strata), return_inverse=True)
        s = s.astype(np.int64).ravel()
    means = (w @ X) / w.sum() if X.shape[1] else np.zeros(0)
    Xc = X - means
    st = None if start is None else np.asarray(start, dtype=float)
    all_times = np.unique(stop if st is None else np.concatenate([stop, st]))
    M = all_times.size + 1
    key_stop = s * M + np.searchsorted(all_times, stop)
    gkeys = np.unique(key_stop[event])
    g_str = gkeys // M
    # risk sums over rows with key_stop >= gkey within the stratum
    ord_stop = np.argsort(key_stop, kind="stable")
    ks = key_stop[ord_stop]
    g_stop_lo = np.searchsorted(ks, gkeys, "left")
    g_stop_hi = np.searchsorted(ks, (g_str + 1) * M, "left")
    ord_start = g_start_lo = g_start_hi = None
    if st is None:
        row_g_lo = np.searchsorted(gkeys, s * M, "left")
    else:
        key_start = s * M + np.searchsorted(all_times, st)
        ord_start = np.argsort(key_start, kind="stable")
        kst = key_start[ord_start]
        g_start_lo = np.searchsorted(kst, gkeys, "left")
        g_start_hi = np.searchsorted(kst, (g_str + 1) * M, "left")
        row_g_lo = np.searchsorted(gkeys, key_start, "right")
    row_g_hi = np.searchsorted(gkeys, key_stop, "right")
    didx = np.flatnonzero(event)
    dgrp = np.searchsorted(gkeys, key_stop[didx])
    o = np.argsort(dgrp, kind="stable")
    didx, dgrp = didx[o], dgrp[o]
    size = np.bincount(dgrp, minlength=gkeys.size)
    first = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    return CoxData(
        X=Xc, means=means, stop=stop, start=st, event=event, weights=w, offset=off, strata=s,
        ord_stop=ord_stop, g_stop_lo=g_stop_lo, g_stop_hi=g_stop_hi, ord_start=ord_start,
        g_start_lo=g_start_lo, g_start_hi=g_start_hi, row_g_hi=row_g_hi, row_g_lo=row_g_lo,
        death_idx=didx, death_group=dgrp, group_first=first, group_size=size,
        group_time=all_times[gkeys % M], group_stratum=g_str, n_groups=int(gkeys.size),
    )


def _risk_sums(d: CoxData, v: np.ndarray) -> np.ndarray:
    """Sum of ``v`` (rows × k) over each event group's risk set → (G, k)."""
    c = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v[d.ord_stop], axis=0)])
    out = c[d.g_stop_hi] - c[d.g_stop_lo]
    if d.start is not None:
        c = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v[d.ord_start], axis=0)])
        out = out - (c[d.g_start_hi] - c[d.g_start_lo])
    return out


def _row_cumulate(d: CoxData, a: np.ndarray) -> np.ndarray:
    """For each row, the sum of the per-group values ``a`` (G × k) over its at-risk groups."""
    c = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)])
    return c[d.row_g_hi] - c[d.row_g_lo]


def _group_sum(d: CoxData, v: np.ndarray) -> np.ndarray:
    """Sum of ``v`` over the events of each group (v is per event, ordered as death_idx)."""
    if d.n_groups == 0:
        return np.zeros((0,) + v.shape[1:])
    return np.add.reduceat(v, d.group_first, axis=0)


@dataclass(frozen=True, eq=False)
class _State:
    """Per-beta risk-set quantities shared by the likelihood, residuals and zph."""

    eta: np.ndarray
    score: np.ndarray  # exp(eta) (unweighted)
    S0: np.ndarray  # (G,)
    S1: np.ndarray  # (G, p)
    D0: np.ndarray
    D1: np.ndarray
    deadwt: np.ndarray
    step_group: np.ndarray  # per sub-step
    step_e: np.ndarray  # fraction of the tied events removed at the sub-step
    step_den: np.ndarray
    step_wt: np.ndarray  # wtave of the group


def _state(d: CoxData, beta: np.ndarray, ties: str) -> _State:
    eta = d.X @ beta + d.offset
    score = np.exp(eta)
    r = score * d.weights
    rx = r[:, None] * d.X
    S = _risk_sums(d, np.column_stack([r, rx]))
    S0, S1 = S[:, 0], S[:, 1:]
    di = d.death_idx
    DD = _group_sum(d, np.column_stack([r[di], rx[di], d.weights[di]]))
    D0, D1, deadwt = DD[:, 0], DD[:, 1:-1], DD[:, -1]
    size = d.group_size
    step_group = d.death_group
    if ties == "efron":
        k = np.arange(di.size) - d.group_first[step_group]
        step_e = k / size[step_group]
    else:
        step_e = np.zeros(di.size)
    step_den = S0[step_group] - step_e * D0[step_group]
    step_wt = (deadwt / np.maximum(size, 1))[step_group]
    return _State(eta, score, S0, S1, D0, D1, deadwt, step_group, step_e, step_den, step_wt)


def _loglik(d: CoxData, st: _State) -> float:
    di = d.death_idx
    return float(np.sum(d.weights[di] * st.eta[di]) - np.sum(st.step_wt * np.log(st.step_den)))


def _group_scores(d: CoxData, st: _State) -> np.ndarray:
    """Per event group contribution to the score vector, (G, p)."""
    di = d.death_idx
    h = st.step_wt / st.step_den
    ag = _group_sum(d, np.column_stack([h, h * st.step_e]))
    obs = _group_sum(d, d.weights[di, None] * d.X[di])
    return obs - ag[:, :1] * st.S1 + ag[:, 1:] * st.D1


def _information(d: CoxData, st: _State, omega: np.ndarray | None = None) -> np.ndarray:
    """Information matrix sum_g omega_g I_g (omega = 1 gives the usual one)."""
    h = st.step_wt / st.step_den
    h2 = h / st.step_den
    e = st.step_e
    agg = _group_sum(d, np.column_stack([h, h * e, h2, h2 * e, h2 * e * e]))
    if omega is not None:
        agg = agg * omega[:, None]
    alpha, alpha_e, g0, g1, g2 = agg.T
    r = st.score * d.weights
    rowA = _row_cumulate(d, alpha[:, None])[:, 0]
    X = d.X
    info = (X * (r * rowA)[:, None]).T @ X
    di = d.death_idx
    Xd = X[di]
    info -= (Xd * (r[di] * alpha_e[d.death_group])[:, None]).T @ Xd
    S1, D1 = st.S1, st.D1
    cross = (S1 * g1[:, None]).T @ D1
    info -= (S1 * g0[:, None]).T @ S1 - cross - cross.T + (D1 * g2[:, None]).T @ D1
    return (info + info.T) / 2


def cox_derivatives(
    d: CoxData, beta: np.ndarray, ties: str = "efron"
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood, score vector and information matrix at ``beta``."""
    beta = np.asarray(beta, dtype=float)
    st = _state(d, beta, ties)
    return _loglik(d, st), _group_scores(d, st).sum(axis=0), _information(d, st)


# --------------------------------------------------------------------------- linear algebra
def cholesky2(mat: np.ndarray, toler: float = TOLER_CHOL) -> tuple[np.ndarray, int]:
    """R's ``cholesky2``: LDL' with zeroed pivots below ``toler * max|diag|``; returns rank."""
    m = np.array(mat, dtype=float, copy=True)
    p = m.shape[0]
    diag = np.abs(np.diag(m))
    eps = float(diag.max()) * toler if p and np.all(np.isfinite(diag)) else toler
    if eps == 0:
        eps = toler
    rank = 0
    for i in range(p):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            m[i + 1 :, i] = 0.0
            continue
        rank += 1
        temp = m[i + 1 :, i] / pivot
        m[i + 1 :, i] = temp
        m[i + 1 :, i + 1 :] -= np.outer(temp, temp) * pivot
    return np.tril(m), rank


def chsolve2(chol: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Solve with the factor of :func:`cholesky2` (zero pivots give zero solution parts)."""
    p = chol.shape[0]
    L = np.tril(chol, -1) + np.eye(p)
    z = np.linalg.solve(L, y) if p else y
    dg = np.diag(chol)
    z = np.where(dg > 0, z / np.where(dg > 0, dg, 1.0), 0.0)
    return np.linalg.solve(L.T, z) if p else z


def chinv2(chol: np.ndarray) -> np.ndarray:
    """Inverse from the :func:`cholesky2` factor; singular rows/columns are zero, as in R."""
    p = chol.shape[0]
    if p == 0:
        return np.zeros((0, 0))
    L = np.tril(chol, -1) + np.eye(p)
    dg = np.diag(chol)
    Linv = np.linalg.inv(L)
    dinv = np.where(dg > 0, 1.0 / np.where(dg > 0, dg, 1.0), 0.0)
    inv = Linv.T @ (dinv[:, None] * Linv)
    sing = dg <= 0
    inv[sing, :] = 0.0
    inv[:, sing] = 0.0
    return inv


# --------------------------------------------------------------------------- Newton–Raphson
@dataclass(frozen=True, eq=False)
class CoxFit:
    """Output of :func:`fit_cox_arrays` (coefficients on the original covariate scale)."""

    coef: np.ndarray
    var: np.ndarray  # inverse (penalised) information at coef
    info: np.ndarray  # (unpenalised) information at coef
    score: np.ndarray  # unpenalised score at coef
    loglik: float  # unpenalised log partial likelihood at coef
    loglik_null: float  # at beta = 0 (with the offset)
    penalty: float  # (penalizer / 2) * sum(coef**2)
    score_test: float
    n_iter: int
    converged: bool
    rank: int
    singular: np.ndarray  # bool per coefficient (R sets these to NA)
    maybe_infinite: np.ndarray  # bool per coefficient (R's "Loglik converged before ...")
    linear_predictor: np.ndarray  # X beta + offset, on the centred scale as R's lp
    ties: str
    penalizer: float
    data: CoxData = field(repr=False)


def fit_cox_arrays(
    X: np.ndarray | CoxData,
    time: np.ndarray | None = None,
    event: np.ndarray | None = None,
    *,
    start: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    ties: str = "efron",
    penalizer: float = 0.0,
    init: np.ndarray | None = None,
    eps: float = EPS,
    iter_max: int = 20,
    toler_chol: float = TOLER_CHOL,
    toler_inf: float | None = None,
) -> CoxFit:
    """Newton–Raphson fit of the Cox model exactly as R's ``coxph.fit`` / ``agreg.fit``.

    ``X`` may be a prepared :class:`CoxData` (then ``time``/``event``/... are ignored). The
    ridge penalty enters as ``loglik - penalizer/2 * sum(beta**2)``; convergence is tested on
    that penalised log-likelihood.
    """
    d = X if isinstance(X, CoxData) else prepare_cox_data(
        X, time, event, start=start, strata=strata, weights=weights, offset=offset
    )
    if toler_inf is None:
        toler_inf = float(np.sqrt(eps))
    p = d.X.shape[1]
    lam = float(penalizer)
    beta = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()

    def evaluate(b):
        ll, u, imat = cox_derivatives(d, b, ties)
        pen = 0.5 * lam * float(b @ b)
        return ll, ll - pen, u - lam * b, imat + lam * np.eye(p), u, imat

    ll0_raw, ll0, u, imat, _, _ = evaluate(beta)
    null_ll = ll0_raw if init is None or not np.any(beta) else evaluate(np.zeros(p))[0]
    chol, rank = cholesky2(imat, toler_chol)
    a = chsolve2(chol, u)
    sctest = float(u @ a)
    if iter_max == 0 or not np.isfinite(ll0):
        var = chinv2(chol)
        return _finish(d, beta, var, u, imat, ll0_raw, null_ll, lam, sctest, 0, iter_max == 0,
                       rank, ties, eps, toler_inf, iter_max)
    best = ll0
    newbeta = beta + a
    halving = 0
    converged = False
    it = 0
    for it in range(1, iter_max + 1):
        ll_raw, newlk, u, imat, _, _ = evaluate(newbeta)
        chol, rank = cholesky2(imat, toler_chol)
        finite = np.isfinite(newlk) and np.all(np.isfinite(u)) and np.all(np.isfinite(imat))
        if finite and abs(1 - best / newlk) <= eps:
            beta = newbeta
            converged = True
            break
        if it == iter_max:
            break
        if not finite or newlk < best:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            step = chsolve2(chol, u)
            beta = newbeta
            newbeta = newbeta + step
    if not converged and iter_max > 1:
        ll_raw, newlk, u, imat, _, _ = evaluate(beta)
        chol, rank = cholesky2(imat, toler_chol)
    var = chinv2(chol)
    return _finish(d, beta, var, u, imat, ll_raw, null_ll, lam, sctest, it, converged, rank,
                   ties, eps, toler_inf, iter_max)


def _finish(d, beta, var, u, imat, ll_raw, null_ll, lam, sctest, it, converged, rank, ties,
            eps, toler_inf, iter_max) -> CoxFit:
    p = beta.size
    singular = np.diag(var) == 0 if rank < p else np.zeros(p, dtype=bool)
    infs = np.abs(u @ var) if p else np.zeros(0)
    if converged:
        maybe_inf = ~np.isfinite(u) | ((infs > eps) & (infs > toler_inf * np.abs(beta)))
    else:
        maybe_inf = ~np.isfinite(infs)
    if iter_max <= 1:
        maybe_inf = np.zeros(p, dtype=bool)
    u_raw = u + lam * beta
    info_raw = imat - lam * np.eye(p)
    return CoxFit(
        coef=beta, var=var, info=info_raw, score=u_raw, loglik=float(ll_raw),
        loglik_null=float(null_ll), penalty=0.5 * lam * float(beta @ beta), score_test=sctest,
        n_iter=int(it), converged=bool(converged), rank=int(rank), singular=singular,
        maybe_infinite=maybe_inf & ~singular, linear_predictor=d.X @ beta + d.offset, ties=ties,
        penalizer=lam, data=d,
    )


# --------------------------------------------------------------------------- residuals
def _xbar_steps(d: CoxData, st: _State) -> np.ndarray:
    """Weighted covariate mean of the risk set at each Efron sub-step, (n_events, p)."""
    a = st.S1[st.step_group] - st.step_e[:, None] * st.D1[st.step_group]
    return a / st.step_den[:, None]


def schoenfeld_residuals(d: CoxData, beta: np.ndarray, ties: str = "efron") -> np.ndarray:
    """Unweighted Schoenfeld residuals, one row per event, ordered as ``d.death_idx``.

    Matches R ``residuals(fit, type="schoenfeld", weighted=FALSE)`` (``coxscho``): the event's
    covariates minus the average over Efron sub-steps of the risk-set mean.
    """
    st = _state(d, np.asarray(beta, float), ties)
    xbar = _group_sum(d, _xbar_steps(d, st)) / d.group_size[:, None]
    return d.X[d.death_idx] - xbar[d.death_group]


def score_residuals(d: CoxData, beta: np.ndarray, ties: str = "efron") -> np.ndarray:
    """Per-row score residuals (n × p), R ``residuals(fit, type="score")`` (unweighted).

    ``dfbeta = score_residuals @ var``; the robust variance is ``(w * dfbeta)' (w * dfbeta)``
    after summing rows within clusters, as R ``coxph(..., robust=TRUE)`` / ``cluster()``.
    """
    st = _state(d, np.asarray(beta, float), ties)
    p = d.X.shape[1]
    h = st.step_wt / st.step_den
    mean = _xbar_steps(d, st)
    e = st.step_e
    agg = _group_sum(d, np.column_stack([h, h[:, None] * mean, e * h, (e * h)[:, None] * mean]))
    hz, hm = agg[:, 0], agg[:, 1 : 1 + p]
    hz_e, hm_e = agg[:, 1 + p], agg[:, 2 + p :]
    cum = _row_cumulate(d, np.column_stack([hz, hm]))
    H, Mx = cum[:, 0], cum[:, 1:]
    resid = -st.score[:, None] * (d.X * H[:, None] - Mx)
    di, g = d.death_idx, d.death_group
    xbar = _group_sum(d, mean) / d.group_size[:, None]
    resid[di] += d.X[di] - xbar[g]
    resid[di] += st.score[di, None] * (d.X[di] * hz_e[g, None] - hm_e[g])
    return resid


# --------------------------------------------------------------------------- cox.zph
def _km_transform(d: CoxData) -> np.ndarray:
    """1 - KM(t-) of the pooled data (no strata, no weights) at each row's stop time."""
    ev_t = np.unique(d.stop[d.event])
    s_stop = np.sort(d.stop)
    n_risk = d.stop.size - np.searchsorted(s_stop, ev_t, "left")
    if d.start is not None:
        n_risk = n_risk - (d.stop.size - np.searchsorted(np.sort(d.start), ev_t, "left"))
    n_ev = np.bincount(np.searchsorted(ev_t, d.stop[d.event]), minlength=ev_t.size)
    surv = np.cumprod(1.0 - n_ev / n_risk)
    idx = np.searchsorted(ev_t, d.stop, "left")  # number of event times < t
    return 1.0 - np.concatenate([[1.0], surv])[idx]


def zph_score_test(
    d: CoxData,
    beta: np.ndarray,
    ties: str,
    term_columns: list[list[int]],
    penalizer: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """cox.zph(fit, transform="km", terms=TRUE) score tests: (statistics, df), GLOBAL last.

    Follows survival >= 3.0 (``zph1``/``zph2``): the score test, at the fitted beta, for adding
    ``x * g(t)`` with g the centred KM transform, information taken in full (2p × 2p).
    """
    st = _state(d, np.asarray(beta, float), ties)
    p = d.X.shape[1]
    tt = _km_transform(d)
    gt_row = tt - tt[d.event].mean()
    gt = gt_row[d.death_idx[d.group_first]] if d.n_groups else np.zeros(0)
    u2 = (gt[:, None] * _group_scores(d, st)).sum(axis=0)
    i11 = _information(d, st)
    i12 = _information(d, st, gt)
    i22 = _information(d, st, gt * gt)
    imat = np.block([[i11, i12], [i12.T, i22]])
    if penalizer:
        imat = imat + penalizer * np.eye(2 * p)
    stats, dfs = [], []
    for cols in term_columns:
        kk = list(range(p)) + [p + j for j in cols]
        u = np.concatenate([np.zeros(p), u2[cols]])
        stats.append(float(u @ np.linalg.solve(imat[np.ix_(kk, kk)], u)))
        dfs.append(len(cols))
    u = np.concatenate([np.zeros(p), u2])
    stats.append(float(u @ np.linalg.solve(imat, u)))
    dfs.append(p)
    return np.asarray(stats), np.asarray(dfs, dtype=float)


# --------------------------------------------------------------------------- concordance
def _dominance(qt, qx, qs, qw, pt, px, ps, pw, nx):
    """Weighted pair counts between queries q and points p with pt > qt (same stratum).

    Returns (per query: weight of points with x less / equal / greater than the query's x;
    per point: weight of queries with x less / equal / greater than the point's x). Pairs are
    found level by level over a binary partition of the (integer) time ranks.
    """
    qout = np.zeros((qt.size, 3))
    pout = np.zeros((pt.size, 3))
    top = int(max(qt.max(initial=0), pt.max(initial=0))) + 1
    nlev = max(1, int(np.ceil(np.log2(top + 1))))

    def counts(keys_src, w_src, keys_q, xq):
        o = np.argsort(keys_src, kind="stable")
        ks = keys_src[o]
        cw = np.concatenate([[0.0], np.cumsum(w_src[o])])
        base = keys_q - xq
        lo = cw[np.searchsorted(ks, base, "left")]
        mid_l = cw[np.searchsorted(ks, keys_q, "left")]
        mid_r = cw[np.searchsorted(ks, keys_q, "right")]
        hi = cw[np.searchsorted(ks, base + nx, "left")]
        return np.column_stack([mid_l - lo, mid_r - mid_l, hi - mid_r])

    for k in range(nlev):
        bq, bp = qt >> k, pt >> k
        qleft = (bq & 1) == 0
        pright = (bp & 1) == 1
        if not qleft.any() or not pright.any():
            continue
        npar = (top >> (k + 1)) + 2
        qkey = (qs[qleft] * npar + (bq[qleft] >> 1)) * nx + qx[qleft]
        pkey = (ps[pright] * npar + (bp[pright] >> 1)) * nx + px[pright]
        qout[qleft] += counts(pkey, pw[pright], qkey, qx[qleft])
        pout[pright] += counts(qkey, qw[qleft], pkey, px[pright])
    return qout, pout


def concordance_lp(
    lp: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    *,
    start: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
) -> tuple[float, float, np.ndarray]:
    """Concordance of a Cox linear predictor as R coxph reports it, with its std error.

    Matches ``survival::concordancefit(y, lp, strata, weights, cluster, reverse=TRUE,
    timefix=FALSE)`` (timewt "n"): a pair is comparable when the earlier time is an event
    and the later subject is still at risk (a censoring at the same time counts as later);
    a higher ``lp`` with the earlier event is concordant; ties in ``lp`` count one half.
    The standard error is the infinitesimal-jackknife one (``sqrt(var)``). Returns
    (concordance, std_error, counts[concordant, discordant, tied_x, ...first three]).
    """
    n = lp.size
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    ev = np.asarray(event).astype(bool)
    s = np.zeros(n, np.int64) if strata is None else np.unique(strata, return_inverse=True)[1]
    s = s.ravel().astype(np.int64)
    _, xr = np.unique(lp, return_inverse=True)
    xr = xr.ravel().astype(np.int64)
    nx = int(xr.max()) + 2
    times = np.unique(time if start is None else np.concatenate([time, start]))
    r_stop = np.searchsorted(times, time).astype(np.int64)
    di = np.flatnonzero(ev)
    # queries: events at 2*rank; points: events at 2*rank, censored at 2*rank+1 (later)
    qt = 2 * r_stop[di]
    pt = 2 * r_stop + (~ev).astype(np.int64)
    qa, pa = _dominance(qt, xr[di], s[di], w[di], pt, xr, s, w, nx)
    if start is not None:  # remove rows not yet at risk: start >= t  <=>  2*r+1 > 2*r_t
        r_start = np.searchsorted(times, start).astype(np.int64)
        qb, pb = _dominance(qt, xr[di], s[di], w[di], 2 * r_start + 1, xr, s, w, nx)
        qa, pa = qa - qb, pa - pb
    # influence per row in R's orientation (reverse=FALSE): concordant = later has larger x
    infl = np.zeros((n, 3))
    infl[di, 0] += qa[:, 2]
    infl[di, 1] += qa[:, 0]
    infl[di, 2] += qa[:, 1]
    infl[:, 0] += pa[:, 0]
    infl[:, 1] += pa[:, 2]
    infl[:, 2] += pa[:, 1]
    wd = w[di]
    count = np.array([wd @ qa[:, 2], wd @ qa[:, 0], wd @ qa[:, 1]])
    npair = count.sum()
    if npair == 0:
        return float("nan"), float("nan"), count
    somer = (count[0] - count[1]) / npair
    dfb = w * ((infl[:, 0] - infl[:, 1]) / npair - (somer / npair) * infl.sum(axis=1))
    if cluster is not None:
        _, cl = np.unique(cluster, return_inverse=True)
        dfb = np.bincount(cl.ravel(), weights=dfb)
    var = float(np.sum(dfb**2)) / 4
    return 1.0 - (somer + 1) / 2, float(np.sqrt(var)), count[[1, 0, 2]]
