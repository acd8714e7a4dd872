"""The one Cox partial-likelihood engine (R ``survival::coxph`` arithmetic, in numpy).

Design decision
---------------
The Cox fit is our own engine rather than lifelines' ``CoxPHFitter``: lifelines supports only
Efron ties, its robust (sandwich) variance ignores tied event times and depends on row order,
its penalizer is not on R's scale, and the batch engine, the Firth fit, calibration and the
bootstrap must share exactly the same arithmetic. lifelines remains an independent oracle in
the tests; R's ``survival`` is the reference.

What is implemented (R's C routines in brackets)
------------------------------------------------
* log partial likelihood, score and information for right-censored and (start, stop]
  counting-process data with strata, case weights and offsets; Breslow and Efron ties
  (``coxfit6``, ``agfit4``) — :func:`cox_derivatives`;
* the fit, :func:`fit_cox_arrays`: R's Newton–Raphson (:mod:`.newton`, ``rule="coxph"``) in
  R's scaled coordinates (each covariate centred and divided by its mean absolute deviation,
  as ``coxfit6``/``agfit4`` do), so that the units of a covariate change nothing but its
  coefficient — a true collinearity is still found by ``cholesky2`` relative to that scale;
* a penalty hook (:class:`Penalty`): ridge (:class:`RidgePenalty`, R ``ridge(theta=,
  scale=TRUE)``, the penalty on the coefficients times the covariates' standard deviations),
  Firth (:mod:`.firth`), and any other penalty ``P(β)`` given with its gradient and Hessian;
* score residuals and dfbeta with Efron's tie handling (``coxscore2``/``agscore2``),
  Schoenfeld residuals (``coxscho``), the baseline cumulative hazard (``survfit.coxph``) and
  the one-step score test of cox.zph (``zph1``/``zph2``).

Everything is vectorised over risk sets: the data are ranked once by (stratum, time); risk-set
sums are differences of cumulative sums looked up with ``searchsorted``; Efron's tie
correction is expanded into one "sub-step" per event, reduced with ``np.add.reduceat``.
There is no loop over rows or event times. The engine compares times exactly: callers merge
ties first (:func:`.ties.merge_times`). It expects validated arrays (no NaN, event 0/1,
weights > 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .curves import kaplan_meier_curve
from .newton import EPS, ITER_MAX, TOLER_CHOL, newton_raphson, scale_factor

__all__ = [
    "CoxData",
    "CoxFit",
    "Penalty",
    "RidgePenalty",
    "RiskState",
    "baseline_hazard",
    "cox_derivatives",
    "fit_cox_arrays",
    "group_sum",
    "information",
    "linear_predictor",
    "lp_center",
    "prepare_cox_data",
    "risk_state",
    "risk_sums",
    "schoenfeld_residuals",
    "score_residuals",
    "zph_score_test",
]


# --------------------------------------------------------------------------- predictor
def linear_predictor(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``X β`` computed row by row with the same arithmetic for every row.

    A BLAS matrix-vector product rounds rows differently by their position (blocks of rows
    take vectorised paths, the remainder another), so two patients with equal covariates can
    get linear predictors one ulp apart — which changes ties in the concordance and makes a
    result depend on row order. Summing ``X * β`` along each row does not.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    return np.sum(X * np.asarray(beta, dtype=float), axis=1)


# --------------------------------------------------------------------------- data layout
@dataclass(frozen=True, eq=False)
class CoxData:
    """Validated Cox data plus the index arrays that turn risk sets into cumulative sums.

    All arrays are in the caller's row order; ``X`` is centred by its weighted column means
    (``means``), as R does, which changes neither coefficients nor likelihood; ``scale`` is
    R's scale factor of each centred column (the fit iterates on ``X * scale``).
    """

    X: np.ndarray  # (n, p), centred
    means: np.ndarray  # (p,)
    scale: np.ndarray  # (p,)
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
    scale = np.array([scale_factor(Xc[:, j], w) for j in range(X.shape[1])], dtype=float)
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
        X=Xc, means=means, scale=scale, stop=stop, start=st, event=event, weights=w,
        offset=off, strata=s, ord_stop=ord_stop, g_stop_lo=g_stop_lo, g_stop_hi=g_stop_hi,
        ord_start=ord_start, g_start_lo=g_start_lo, g_start_hi=g_start_hi,
        row_g_hi=row_g_hi, row_g_lo=row_g_lo, death_idx=didx, death_group=dgrp,
        group_first=first, group_size=size, group_time=all_times[gkeys % M],
        group_stratum=g_str, n_groups=int(gkeys.size),
    )


def risk_sums(d: CoxData, v: np.ndarray) -> np.ndarray:
    """Sum of ``v`` (rows × k) over each event group's risk set → (G, k).

    The risk set of a group is the tail of its stratum (rows ordered by stratum and time), so
    the sums are suffix sums: ``S[lo] − S[end of stratum]``, exact for the last stratum. A
    stratum followed by strata of much larger risk scores would lose its digits to that
    subtraction (under monotone likelihood the scores span e^222); those groups are summed
    again within their own stratum, as R's ``coxfit6`` accumulates stratum by stratum.
    """
    at_lo, at_hi = _suffix_sums(d, v)
    out = at_lo - at_hi
    later = np.abs(at_hi).reshape(len(out), -1).max(axis=1) if len(out) else out
    lost = later > 1e6 * np.abs(out).reshape(len(out), -1).max(axis=1) if len(out) else later
    if np.any(lost):
        vo = v[d.ord_stop]
        for end in np.unique(d.g_stop_hi[lost]):
            gs = np.flatnonzero(lost & (d.g_stop_hi == end))
            b = int(d.g_stop_lo[gs].min())
            loc = np.cumsum(vo[b:end][::-1], axis=0)[::-1]
            out[gs] = loc[d.g_stop_lo[gs] - b]
    if d.start is not None:
        c = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(v[d.ord_start], axis=0)])
        out = out - (c[d.g_start_hi] - c[d.g_start_lo])
    return out


#: Risk-set sums by the compiled kernel (``_risksum_jit``; bitwise equal to the numpy
#: reference ``_suffix_sums_numpy``, which ``False`` selects).
_COMPILED_SUMS = True


def _suffix_sums(d: CoxData, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reversed cumulative sums of ``v`` (rows in ``ord_stop`` order) at each group's
    first row and at the end of its stratum."""
    if not _COMPILED_SUMS or v.dtype != np.float64 or v.ndim < 1 or v.shape[0] == 0:
        return _suffix_sums_numpy(d, v)
    from ._risksum_jit import suffix_sums_at

    shape = (d.g_stop_lo.size,) + v.shape[1:]
    lo, hi = suffix_sums_at(np.ascontiguousarray(v.reshape(v.shape[0], -1)), d.ord_stop,
                            d.g_stop_lo, d.g_stop_hi)
    return lo.reshape(shape), hi.reshape(shape)


def _suffix_sums_numpy(d: CoxData, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vo = v[d.ord_stop]
    rev = np.concatenate([np.cumsum(vo[::-1], axis=0)[::-1], np.zeros((1,) + v.shape[1:])])
    return rev[d.g_stop_lo], rev[d.g_stop_hi]


def _row_cumulate(d: CoxData, a: np.ndarray) -> np.ndarray:
    """For each row, the sum of the per-group values ``a`` (G × k) over its at-risk groups."""
    c = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)])
    return c[d.row_g_hi] - c[d.row_g_lo]


def group_sum(d: CoxData, v: np.ndarray) -> np.ndarray:
    """Sum of ``v`` over the events of each group (v is per event, ordered as death_idx)."""
    if d.n_groups == 0:
        return np.zeros((0,) + v.shape[1:])
    return np.add.reduceat(v, d.group_first, axis=0)


@dataclass(frozen=True, eq=False)
class RiskState:
    """Per-beta risk-set quantities shared by the likelihood, residuals, zph and penalties.

    One Efron "sub-step" per event (Breslow: every sub-step has ``step_e = 0``):
    ``step_den = S0 - e D0`` and ``step_wt`` the mean case weight of the group's events.
    """

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


ETA_MIN, ETA_MAX = -200.0, 22.0  # R survival's coxsafe() limits


def risk_state(d: CoxData, beta: np.ndarray, ties: str) -> RiskState:
    """The risk-set sums at ``beta`` (original covariate scale).

    The (centred) linear predictor is clipped to [-200, 22] as R's ``coxsafe`` does: under
    monotone likelihood the iterations head for an infinite coefficient, and exp() of the
    unclipped predictor overflows — the fit then ended in NaN and a "collinear" diagnosis
    instead of R's "coefficient may be infinite" (issue 13). Ordinary fits never reach it.
    """
    eta = np.clip(linear_predictor(d.X, beta) + d.offset, ETA_MIN, ETA_MAX)
    score = np.exp(eta)
    r = score * d.weights
    rx = r[:, None] * d.X
    S = risk_sums(d, np.column_stack([r, rx]))
    S0, S1 = S[:, 0], S[:, 1:]
    di = d.death_idx
    DD = group_sum(d, np.column_stack([r[di], rx[di], d.weights[di]]))
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
    return RiskState(eta, score, S0, S1, D0, D1, deadwt, step_group, step_e, step_den, step_wt)


def _loglik(d: CoxData, st: RiskState) -> float:
    di = d.death_idx
    return float(np.sum(d.weights[di] * st.eta[di]) - np.sum(st.step_wt * np.log(st.step_den)))


def _group_scores(d: CoxData, st: RiskState) -> np.ndarray:
    """Per event group contribution to the score vector, (G, p)."""
    di = d.death_idx
    h = st.step_wt / st.step_den
    ag = group_sum(d, np.column_stack([h, h * st.step_e]))
    obs = group_sum(d, d.weights[di, None] * d.X[di])
    return obs - ag[:, :1] * st.S1 + ag[:, 1:] * st.D1


def information(d: CoxData, st: RiskState, omega: np.ndarray | None = None) -> np.ndarray:
    """Information matrix sum_g omega_g I_g (omega = 1 gives the usual one)."""
    h = st.step_wt / st.step_den
    h2 = h / st.step_den
    e = st.step_e
    agg = group_sum(d, np.column_stack([h, h * e, h2, h2 * e, h2 * e * e]))
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
    st = risk_state(d, beta, ties)
    return _loglik(d, st), _group_scores(d, st).sum(axis=0), information(d, st)


# --------------------------------------------------------------------------- penalties
class Penalty(Protocol):
    """A penalty ``P(β)`` subtracted from the log partial likelihood.

    Called with the data, β (original scale), the risk state and the (unpenalised)
    information there; returns ``(P, ∇P, ∇²P)``. The fit maximises ``loglik - P`` with score
    ``U - ∇P`` and information ``I + ∇²P``. Ridge has ∇²P = λ·diag(v); Firth (``P = -½ log
    det I``) returns 0 for ∇²P, as coxphf iterates with the unpenalised information.
    """

    def __call__(self, d: CoxData, beta: np.ndarray, st: RiskState,
                 info: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class RidgePenalty:
    """R ``ridge(x1, ..., theta = λ)`` with its default ``scale = TRUE``.

    ``P(β) = (λ/2) Σ_j v_j β_j²`` with ``v_j`` the variance of covariate j (``var()``,
    unweighted, n - 1): the penalty acts on the coefficients per standard deviation, so a
    covariate's unit changes only its coefficient.
    """

    theta: float
    variances: np.ndarray

    @classmethod
    def for_data(cls, theta: float, X: np.ndarray) -> RidgePenalty:
        X = np.asarray(X, dtype=float)
        v = X.var(axis=0, ddof=1) if X.shape[0] > 1 else np.ones(X.shape[1])
        return cls(float(theta), v)

    def __call__(self, d, beta, st, info):
        v = self.theta * self.variances
        return 0.5 * float(np.sum(v * beta**2)), v * beta, np.diag(v)


# --------------------------------------------------------------------------- fit
@dataclass(frozen=True, eq=False)
class CoxFit:
    """Output of :func:`fit_cox_arrays` (coefficients on the original covariate scale)."""

    coef: np.ndarray
    var: np.ndarray  # inverse (penalised) information at coef
    info: np.ndarray  # (unpenalised) information at coef
    score: np.ndarray  # unpenalised score at coef
    loglik: float  # unpenalised log partial likelihood at coef
    loglik_null: float  # at beta = 0 (with the offset)
    penalty: float  # P(coef)
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
    penalised_loglik: float = np.nan  # loglik - penalty (what the iterations maximised)
    penalised_score: np.ndarray | None = None  # score - ∇penalty at coef


#: From this many rows on, plain fits (no penalty, offset, start values or fixed coefficients)
#: run R's Newton–Raphson in the compiled kernel (:mod:`.cox_kernel`): same iterations and
#: results to rounding (``tests/survival/test_cox_kernel_single.py``); smaller fits stay on
#: numpy, where the kernel's one-off import would cost more than it saves.
KERNEL_MIN_ROWS = 20_000


def _fit_compiled(d: CoxData, ties: str, tol: float, max_iter: int, toler_chol: float):
    """:func:`newton_raphson` (``rule="coxph"``, from 0) on ``d`` by the compiled kernel.
    Returns beta, var, score, information, loglik, loglik at 0, score test, iterations, rank,
    converged."""
    from .cox_kernel import cox_fit_batch
    from .ties import TIE_TOLERANCE

    n = d.stop.size
    out = cox_fit_batch(
        off=np.array([0, n], dtype=np.int64), base=np.zeros((7, 1), dtype=np.int64),
        time=np.ascontiguousarray(d.stop, dtype=float),
        orders=np.argsort(d.stop).astype(np.int64),
        event=np.ascontiguousarray(d.event, dtype=np.bool_),
        weight=np.ascontiguousarray(d.weights, dtype=float),
        strata=np.ascontiguousarray(d.strata, dtype=np.int64),
        X=np.ascontiguousarray(d.X, dtype=float),
        start=np.zeros(1) if d.start is None else np.ascontiguousarray(d.start, dtype=float),
        has_weight=True, has_strata=True, has_start=d.start is not None, do_timefix=False,
        tie_tol=TIE_TOLERANCE, efron=ties == "efron", frequency=False, eps=float(tol),
        iter_max=int(max_iter), toler_chol=float(toler_chol))
    beta, var, U, ll, rank, n_iter, conv, ll0, sctest, _, _, _, _, info = out
    return (beta[0], var[0], U[0], info[0], float(ll[0]), float(ll0[0]), float(sctest[0]),
            int(n_iter[0]), int(rank[0]), bool(conv[0]))


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
    penalty: Penalty | None = None,
    init: np.ndarray | None = None,
    tol: float = EPS,
    max_iter: int = ITER_MAX,
    toler_chol: float = TOLER_CHOL,
    toler_inf: float | None = None,
    free: np.ndarray | None = None,
    rule: str = "coxph",
) -> CoxFit:
    """Fit the Cox model exactly as R's ``coxph.fit`` / ``agreg.fit`` (or a penalised fit).

    ``X`` may be a prepared :class:`CoxData` (then ``time``/``event``/... are ignored).
    ``penalizer = λ > 0`` is R's ``ridge(theta = λ)`` (:class:`RidgePenalty`); ``penalty``
    any other :class:`Penalty` (not both). Convergence is tested on the penalised
    log-likelihood. ``free`` (bool per coefficient) holds the others at ``init``; ``rule``
    chooses the iteration rules (:mod:`.newton`).
    """
    if isinstance(X, CoxData):
        d = X
    else:
        if time is None or event is None:
            raise TypeError("fit_cox_arrays: time and event are required with an array X.")
        d = prepare_cox_data(X, time, event, start=start, strata=strata, weights=weights,
                             offset=offset)
    if toler_inf is None:
        toler_inf = float(np.sqrt(tol))
    p = d.X.shape[1]
    lam = float(penalizer)
    if lam > 0:
        if penalty is not None:
            raise ValueError("give either penalizer or penalty")
        penalty = RidgePenalty.for_data(lam, d.X)
    s = d.scale
    ss = np.outer(s, s)

    last: dict = {}

    def penalised(beta: np.ndarray):
        key = beta.tobytes()
        if key in last:
            return last[key]
        st = risk_state(d, beta, ties)
        ll, u, imat = _loglik(d, st), _group_scores(d, st).sum(axis=0), information(d, st)
        if penalty is None:
            out = ll, u, imat, 0.0, np.zeros(p), np.zeros((p, p))
        else:
            pv, pg, ph = penalty(d, beta, st, imat)
            out = ll - pv, u - pg, imat + ph, pv, pg, ph
        last.clear()
        last[key] = out
        return out

    def derivatives(idx, bz):  # scaled coordinates: beta = bz * s
        ll, u, imat = penalised(bz[0] * s)[:3]
        return np.array([ll]), (u * s)[None], (imat * ss)[None]

    beta0 = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    if (penalty is None and free is None and rule == "coxph" and p > 0 and not np.any(beta0)
            and d.stop.size >= KERNEL_MIN_ROWS and not np.any(d.offset)):
        # large plain fits: the compiled kernel (the same iterations; tested against this path)
        (beta, var, u_pen, info_raw, ll_pen, null_ll, sctest, n_iter, rank,
         converged) = _fit_compiled(d, ties, tol, max_iter, toler_chol)
        pv, pg = 0.0, np.zeros(p)
    else:
        nr = newton_raphson(derivatives, (beta0 / s)[None], rule=rule, tol=tol,
                            max_iter=max_iter, toler_chol=toler_chol, free=free)
        beta = nr.beta[0] * s
        var = nr.var[0] * ss
        ll_pen, u_pen, _, pv, pg, ph = penalised(beta) if penalty is not None else (
            nr.loglik[0], nr.score[0] / s, None, 0.0, np.zeros(p), np.zeros((p, p)))
        info_raw = nr.info[0] / ss - ph
        if penalty is None and not np.any(beta0):  # the first evaluation was at 0
            null_ll = float(nr.loglik_init[0])
        else:  # the unpenalised log-likelihood at 0
            null_ll = _loglik(d, risk_state(d, np.zeros(p), ties))
        rank = int(nr.rank[0])
        converged = bool(nr.converged[0])
        sctest, n_iter = float(nr.score_test[0]), int(nr.n_iter[0])
    u_raw = u_pen + pg
    singular = np.diag(var) == 0 if rank < p else np.zeros(p, dtype=bool)
    infs = np.abs(u_pen @ var) if p else np.zeros(0)
    if converged:
        maybe_inf = ~np.isfinite(u_pen) | ((infs > tol) & (infs > toler_inf * np.abs(beta)))
    else:
        maybe_inf = ~np.isfinite(infs)
    if max_iter <= 1:
        maybe_inf = np.zeros(p, dtype=bool)
    return CoxFit(
        coef=beta, var=var, info=(info_raw + info_raw.T) / 2, score=u_raw,
        loglik=float(ll_pen + pv), loglik_null=float(null_ll), penalty=float(pv),
        score_test=sctest, n_iter=n_iter, converged=converged,
        rank=rank, singular=singular, maybe_infinite=maybe_inf & ~singular,
        linear_predictor=linear_predictor(d.X, beta) + d.offset, ties=ties, penalizer=lam,
        data=d,
        penalised_loglik=float(ll_pen), penalised_score=u_pen,
    )


# --------------------------------------------------------------------------- predictions
def lp_center(X: np.ndarray) -> np.ndarray:
    """R coxph's centring of the linear predictor: column means, except 0 for 0/1 columns
    (survival >= 3.0, ``nocenter``)."""
    means = X.mean(axis=0)
    zero_one = np.all((X == 0) | (X == 1), axis=0)
    return np.where(zero_one, 0.0, means)


def baseline_hazard(d: CoxData, beta: np.ndarray, ties: str, *,
                    reference: str = "means") -> tuple[np.ndarray, np.ndarray]:
    """Event times and baseline cumulative hazard of a fit (no strata).

    Breslow's estimator, with Efron's correction for tied events when ``ties="efron"`` — R
    ``survfit.coxph`` (``ctype`` follows the ties option). ``reference="means"`` gives the
    hazard at the column means of ``d`` (R's default curve), ``"zero"`` at x = 0 (a linear
    predictor used as it is).
    """
    beta = np.asarray(beta, dtype=float)
    st = risk_state(d, beta, ties)
    inc = group_sum(d, st.step_wt / st.step_den)
    cum = np.cumsum(inc)
    if reference == "zero":
        cum = cum * np.exp(-float(d.means @ beta))
    return d.group_time.copy(), cum


# --------------------------------------------------------------------------- residuals
def _xbar_steps(d: CoxData, st: RiskState) -> np.ndarray:
    """Weighted covariate mean of the risk set at each Efron sub-step, (n_events, p)."""
    a = st.S1[st.step_group] - st.step_e[:, None] * st.D1[st.step_group]
    return a / st.step_den[:, None]


def schoenfeld_residuals(d: CoxData, beta: np.ndarray, ties: str = "efron") -> np.ndarray:
    """Unweighted Schoenfeld residuals, one row per event, ordered as ``d.death_idx``.

    Matches R ``residuals(fit, type="schoenfeld", weighted=FALSE)`` (``coxscho``): the event's
    covariates minus the average over Efron sub-steps of the risk-set mean.
    """
    st = risk_state(d, np.asarray(beta, float), ties)
    xbar = group_sum(d, _xbar_steps(d, st)) / d.group_size[:, None]
    return d.X[d.death_idx] - xbar[d.death_group]


def score_residuals(d: CoxData, beta: np.ndarray, ties: str = "efron") -> np.ndarray:
    """Per-row score residuals (n × p), R ``residuals(fit, type="score")`` (unweighted).

    ``dfbeta = score_residuals @ var``; the robust variance is ``(w * dfbeta)' (w * dfbeta)``
    after summing rows within clusters, as R ``coxph(..., robust=TRUE)`` / ``cluster()``.
    """
    st = risk_state(d, np.asarray(beta, float), ties)
    p = d.X.shape[1]
    h = st.step_wt / st.step_den
    mean = _xbar_steps(d, st)
    e = st.step_e
    agg = group_sum(d, np.column_stack([h, h[:, None] * mean, e * h, (e * h)[:, None] * mean]))
    hz, hm = agg[:, 0], agg[:, 1 : 1 + p]
    hz_e, hm_e = agg[:, 1 + p], agg[:, 2 + p :]
    cum = _row_cumulate(d, np.column_stack([hz, hm]))
    H, Mx = cum[:, 0], cum[:, 1:]
    resid = -st.score[:, None] * (d.X * H[:, None] - Mx)
    di, g = d.death_idx, d.death_group
    xbar = group_sum(d, mean) / d.group_size[:, None]
    resid[di] += d.X[di] - xbar[g]
    resid[di] += st.score[di, None] * (d.X[di] * hz_e[g, None] - hm_e[g])
    return resid


# --------------------------------------------------------------------------- cox.zph
def _km_transform(d: CoxData) -> np.ndarray:
    """1 - KM(t-) of the pooled data (no strata, no weights) at each row's stop time."""
    curve = kaplan_meier_curve(d.stop, d.event, start=d.start)
    return 1.0 - curve.at(d.stop, left=True)


def zph_score_test(
    d: CoxData,
    beta: np.ndarray,
    ties: str,
    term_columns: list[list[int]],
    penalty_hessian: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """cox.zph(fit, transform="km", terms=TRUE) score tests: (statistics, df), GLOBAL last.

    Follows survival >= 3.0 (``zph1``/``zph2``): the score test, at the fitted beta, for adding
    ``x * g(t)`` with g the centred KM transform, information taken in full (2p × 2p); a
    penalised fit adds its penalty's Hessian to both diagonal blocks.
    """
    st = risk_state(d, np.asarray(beta, float), ties)
    p = d.X.shape[1]
    tt = _km_transform(d)
    gt_row = tt - tt[d.event].mean()
    gt = gt_row[d.death_idx[d.group_first]] if d.n_groups else np.zeros(0)
    u2 = (gt[:, None] * _group_scores(d, st)).sum(axis=0)
    i11 = information(d, st)
    i12 = information(d, st, gt)
    i22 = information(d, st, gt * gt)
    imat = np.block([[i11, i12], [i12.T, i22]])
    if penalty_hessian is not None:
        imat[:p, :p] += penalty_hessian
        imat[p:, p:] += penalty_hessian
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
