"""Compiled kernels of the bootstrap refits: each replicate's baseline hazard.

Imported lazily by :mod:`ctcstats.prognostic.added_value` and
:mod:`ctcstats.prognostic.validation` (this module imports numba). The reference they are
tested against is the per-replicate ``prepare_cox_data`` + ``baseline_hazard`` of the
resampled rows (``tests/prognostic/test_added_value_batch.py``). A resample is given as case
counts on the original rows, which are sorted by time once for all replicates.
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ..survival._core.cox import ETA_MAX, ETA_MIN


@njit
def _h0_at(order, tt, ev, W, LP, ok, t, efron, eta_min, eta_max, out):  # pragma: no cover
    B, n = LP.shape
    incs = np.empty(n)
    for b in range(B):
        if not ok[b]:
            out[b] = np.nan
            continue
        s0 = 0.0
        ninc = 0
        k = 0
        while k < n:
            tau = tt[order[k]]
            e = k + 1
            while e < n and tt[order[e]] == tau:
                e += 1
            d0 = 0.0
            m = 0.0
            for j in range(k, e):
                i = order[j]
                w = W[b, i]
                if w != 0.0:
                    r = w * np.exp(min(max(LP[b, i], eta_min), eta_max))
                    s0 += r
                    if ev[i]:
                        d0 += r
                        m += w
            if m > 0.0 and tau <= t:
                inc = 0.0
                for kk in range(int(m)):
                    step = kk / m if efron else 0.0
                    inc += 1.0 / (s0 - step * d0)
                incs[ninc] = inc
                ninc += 1
            k = e
        h = 0.0
        for j in range(ninc - 1, -1, -1):  # the increments in time order, as a cumsum
            h += incs[j]
        out[b] = h


def baseline_hazard_at(time: np.ndarray, event: np.ndarray, counts: np.ndarray,
                       lp: np.ndarray, ok: np.ndarray, t: float, ties: str) -> np.ndarray:
    """Breslow (Efron-corrected when ``ties="efron"``) baseline cumulative hazard at ``t`` of
    each replicate: ``counts`` (B, n) integer case counts of the resample, ``lp`` (B, n) the
    replicate's linear predictor centred at the resample's means (clipped to R's coxsafe
    limits, as ``risk_state``); NaN where not ``ok``. Equals ``cumhaz_at(*baseline_hazard(
    prepare_cox_data(x[rows], ...), coef, ties), t)`` of the resampled rows up to rounding
    (the rows are sorted by time once for all replicates)."""
    tt = np.asarray(time, float)
    order = np.argsort(-tt, kind="stable")
    out = np.empty(lp.shape[0])
    _h0_at(order, tt, np.asarray(event).astype(np.bool_),
           np.ascontiguousarray(counts, float), np.ascontiguousarray(lp, float),
           np.asarray(ok, np.bool_), float(t), ties == "efron", ETA_MIN, ETA_MAX, out)
    return out


@njit
def _h0_groups(order, tt, ev, w, lp, efron, eta_min, eta_max, times, incs):  # pragma: no cover
    """Event times (descending) and hazard increments of one resample; returns their number."""
    n = order.size
    s0 = 0.0
    g = 0
    k = 0
    while k < n:
        tau = tt[order[k]]
        e = k + 1
        while e < n and tt[order[e]] == tau:
            e += 1
        d0 = 0.0
        m = 0.0
        for j in range(k, e):
            i = order[j]
            wi = w[i]
            if wi != 0.0:
                r = wi * np.exp(min(max(lp[i], eta_min), eta_max))
                s0 += r
                if ev[i]:
                    d0 += r
                    m += wi
        if m > 0.0:
            inc = 0.0
            for kk in range(int(m)):
                step = kk / m if efron else 0.0
                inc += 1.0 / (s0 - step * d0)
            times[g] = tau
            incs[g] = inc
            g += 1
        k = e
    return g


def time_order(time: np.ndarray) -> np.ndarray:
    """Rows by time, descending: the order the kernels walk (computed once per data set)."""
    return np.argsort(-np.asarray(time, float), kind="stable")


def baseline_hazard_curve(order: np.ndarray, time: np.ndarray, event: np.ndarray,
                          counts: np.ndarray, lp: np.ndarray,
                          ties: str) -> tuple[np.ndarray, np.ndarray]:
    """(event times, baseline cumulative hazard) of one resample — ``baseline_hazard(
    prepare_cox_data(x[rows], time[rows], event[rows]), coef, ties)`` of the resampled rows
    up to rounding: ``counts`` (n,) integer case counts on the original rows, ``lp`` (n,) the
    linear predictor centred at the resample's means, ``order`` from :func:`time_order`."""
    n = order.size
    times, incs = np.empty(n), np.empty(n)
    g = _h0_groups(order, np.asarray(time, float), np.asarray(event).astype(np.bool_),
                   np.asarray(counts, float), np.asarray(lp, float), ties == "efron",
                   ETA_MIN, ETA_MAX, times, incs)
    return times[:g][::-1].copy(), np.cumsum(incs[:g][::-1])


@njit
def _weighted_aucs(R, RO, WC, WK, out):  # pragma: no cover - compiled
    """AUC of each row of R (RO: its argsort) under weights WC/WK, which are either one row
    per row of R or a single row shared by all (e.g. each patient once)."""
    B, n = R.shape
    shared = WC.shape[0] == 1
    for b in range(B):
        bw = 0 if shared else b
        sc = 0.0
        sk = 0.0
        for i in range(n):
            sc += WC[bw, i]
            sk += WK[bw, i]
        if not (sc > 0.0 and sk > 0.0):
            out[b] = np.nan
            continue
        o = RO[b]
        num = 0.0
        below = 0.0
        k = 0
        while k < n:
            v = R[b, o[k]]
            e = k
            gk = 0.0
            gc = 0.0
            while e < n and R[b, o[e]] == v:
                gk += WK[bw, o[e]]
                gc += WC[bw, o[e]]
                e += 1
            num += gc * (below + 0.5 * gk)
            below += gk
            k = e
        out[b] = num / (sc * sk)


def weighted_aucs(risk: np.ndarray, wc: np.ndarray, wk: np.ndarray) -> np.ndarray:
    """``added_value._weighted_auc`` of each row (B, n) — Σ_cases Σ_controls wc_i wk_j
    (1[r_i > r_j] + ½ 1[r_i = r_j]) / (Σ wc Σ wk), NaN when either sum is 0 — one compiled
    sort-and-sweep per row (equal to the numpy reference up to rounding; numpy sorts,
    several times faster than numba's sort). ``wc``/``wk`` (B, n), or (1, n) shared by
    every row."""
    return weighted_aucs_sets(risk, [(wc, wk)])[0]


def weighted_aucs_sets(risk: np.ndarray, weights) -> np.ndarray:
    """:func:`weighted_aucs` of ``risk`` (B, n) under each (wc, wk) pair of ``weights``
    (each (B, n) or (1, n)): (len(weights), B). Each row of ``risk`` is sorted once for all
    pairs (the sort is most of the time), so every value is that of a separate call."""
    R = np.ascontiguousarray(risk, float)
    B, n = R.shape
    ws = []
    for wc, wk in weights:
        WC, WK = np.ascontiguousarray(wc, float), np.ascontiguousarray(wk, float)
        if WC.shape[0] != WK.shape[0] or WC.shape[0] not in (1, B):
            raise ValueError("weights must have one row, or one row per row of risk")
        ws.append((WC, WK))
    out = np.empty((len(ws), B))
    step = max(1, 2_000_000 // max(n, 1))
    for a in range(0, B, step):
        sl = slice(a, a + step)
        ro = np.argsort(R[sl], axis=1)
        for k, (WC, WK) in enumerate(ws):
            wsl = sl if WC.shape[0] > 1 else slice(0, 1)
            _weighted_aucs(R[sl], ro, WC[wsl], WK[wsl], out[k, sl])
    return out


@njit
def _curve_row(index, m, ev, W, b, gt, tot, dd, nrisk, surv_g):  # pragma: no cover
    """Kaplan–Meier S(t) and reverse KM G(t) of weight row b (returned) and G just before
    each distinct time (surv_g), as event_table + product_limit (same sums and products,
    same order)."""
    n = W.shape[1]
    for g in range(m):
        tot[g] = 0.0
        dd[g] = 0.0
    for i in range(n):
        w = W[b, i]
        tot[index[i]] += w
        if ev[i]:
            dd[index[i]] += w
    nr = 0.0
    for g in range(m - 1, -1, -1):
        nr += tot[g]
        nrisk[g] = nr
    s = 1.0
    gs = 1.0
    surv_g[0] = 1.0
    km_t = 1.0
    g_t = 1.0
    for g in range(m):
        r = nrisk[g]
        f = 1.0 - dd[g] / r if r > 0 else 1.0
        s = s * f
        r2 = nrisk[g] - dd[g]
        c = tot[g] - dd[g]
        f2 = 1.0 - c / r2 if r2 > 0 else 1.0
        gs = gs * f2
        surv_g[g + 1] = gs
        if g < gt:
            km_t = s
            g_t = gs
    return km_t, g_t


@njit
def _horizon_curves(index, m, ev, W, gt, minus, km_out, g_out, gminus):  # pragma: no cover
    """Kaplan–Meier S(t) and the reverse KM G (events first) at t and, when ``minus``, at
    each row's T_i- for every row of W."""
    B, n = W.shape
    tot, dd, nrisk, surv_g = np.empty(m), np.empty(m), np.empty(m), np.empty(m + 1)
    for b in range(B):
        km_out[b], g_out[b] = _curve_row(index, m, ev, W, b, gt, tot, dd, nrisk, surv_g)
        if minus:
            for i in range(n):
                gminus[b, i] = surv_g[index[i]]


@njit
def _ieee_div(w, g):  # pragma: no cover - compiled
    """``w / g`` as numpy divides (0/0 NaN, w/0 ±inf) — numba raises on a zero divisor."""
    if g != 0.0:
        return w / g
    if w == 0.0 or w != w:
        return np.nan
    return np.inf if w > 0.0 else -np.inf


@njit
def _horizon_ipcw(index, m, ev, W, gt, case, control, km_out, wc, wk):  # pragma: no cover
    """S(t) and the IPCW weights of every row of W: W / G(T_i-) on cases, W / G(t) on
    controls, 0 elsewhere (written directly, no (B, n) array of G(T_i-))."""
    B, n = W.shape
    tot, dd, nrisk, surv_g = np.empty(m), np.empty(m), np.empty(m), np.empty(m + 1)
    for b in range(B):
        km_out[b], g_t = _curve_row(index, m, ev, W, b, gt, tot, dd, nrisk, surv_g)
        for i in range(n):
            if case[i]:
                wc[b, i] = _ieee_div(W[b, i], surv_g[index[i]])
            else:
                wc[b, i] = 0.0
            if control[i]:
                wk[b, i] = _ieee_div(W[b, i], g_t)
            else:
                wk[b, i] = 0.0


def horizon_ipcw(time: np.ndarray, event: np.ndarray, W: np.ndarray, t: float,
                 case: np.ndarray, control: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S(t), wc, wk) of each row of weights ``W`` (B, n): the Kaplan–Meier S(t) of
    :func:`horizon_curves` and the weights W / G(T_i-) where ``case``, W / G(t) where
    ``control``, 0 elsewhere — the same divisions as dividing by :func:`horizon_curves`'
    G values (bitwise), in the same sweep."""
    ut, index = np.unique(np.asarray(time, float), return_inverse=True)
    Wc = np.ascontiguousarray(W, float)
    B = Wc.shape[0]
    km = np.empty(B)
    wc, wk = np.empty(Wc.shape), np.empty(Wc.shape)
    n_le = int(np.searchsorted(ut, float(t), side="right"))  # distinct times <= t
    _horizon_ipcw(index.ravel().astype(np.int64), ut.size, np.asarray(event).astype(np.bool_),
                  Wc, n_le, np.asarray(case, np.bool_), np.asarray(control, np.bool_), km,
                  wc, wk)
    return km, wc, wk


def horizon_curves(time: np.ndarray, event: np.ndarray, W: np.ndarray, t: float, *,
                   minus: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """For each row of weights ``W`` (B, n): Kaplan–Meier S(t), the reverse Kaplan–Meier G(t)
    with events leaving first (prodlim's convention) and G(T_i-) per row — the values of
    ``kaplan_meier_curve(time, event, weights=W).at(t)``, ``censoring_curve(...,
    ties="events_first", weights=W)``'s ``at([t])`` and ``subject_minus()``, by the same sums
    and products in the same order (bitwise equal for integer weights; tested). G(T_i-) is
    None when not ``minus``."""
    ut, index = np.unique(np.asarray(time, float), return_inverse=True)
    Wc = np.ascontiguousarray(W, float)
    B = Wc.shape[0]
    km, gt = np.empty(B), np.empty(B)
    gm = np.empty(Wc.shape) if minus else np.empty((1, 1))
    n_le = int(np.searchsorted(ut, float(t), side="right"))  # distinct times <= t
    _horizon_curves(index.ravel().astype(np.int64), ut.size, np.asarray(event).astype(np.bool_),
                    Wc, n_le, minus, km, gt, gm)
    return km, gt, (gm if minus else None)


#: widest design for which :func:`centred_lp` reproduces numpy's row sums bit for bit: numpy
#: adds up to 7 terms of a row one after the other, starting from +0.0 (from 8 on it sums a
#: contiguous row in blocks of 8)
LP_MAX_COLS = 7


@njit
def _centred_lp(x, means, beta, out):  # pragma: no cover - compiled
    n, p = x.shape
    for i in range(n):
        s = 0.0
        for j in range(p):
            s += (x[i, j] - means[j]) * beta[j]
        out[i] = s


def centred_lp(x: np.ndarray, means: np.ndarray, beta: np.ndarray,
               out: np.ndarray | None = None, *, xc: np.ndarray | None = None) -> np.ndarray:
    """``linear_predictor(x - means, beta)`` (the survival core's row sums of
    ``(x − means)·β``) without the two (n, p) temporaries: one compiled pass adding each
    row's terms in numpy's order — bitwise equal for 1 to :data:`LP_MAX_COLS` columns;
    other widths take ``linear_predictor(x - means, beta)`` itself (whose sums depend on
    ``x``'s memory layout from 8 columns on). ``xc``: ``x`` as a C-contiguous float array,
    when the caller keeps one for many calls."""
    from ..survival._core.cox import linear_predictor

    x = np.asarray(x)
    if x.ndim != 2 or not 1 <= x.shape[1] <= LP_MAX_COLS:
        lp = linear_predictor(x - means, beta)
        if out is None:
            return lp
        out[:] = lp
        return out
    if xc is None:
        xc = np.ascontiguousarray(x, float)
    if out is None:
        out = np.empty(x.shape[0])
    # copies of the two short vectors: a fit's coefficients are read-only, and a read-only
    # array is another argument type (a second compile of the kernel)
    _centred_lp(xc, np.array(means, float), np.array(beta, float), out)
    return out
