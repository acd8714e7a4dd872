"""The one concordance engine: weighted pair counts of R ``survival::concordance``.

:func:`pair_counts` is the pair-counting core of ``concordancefit`` (C ``concordance3``/``4``):
for every event (a query) it counts, by weight, the subjects still at risk later with a
lower, equal or higher score, and for every subject the events before it the same way, in
O(n log n) by compiled Fenwick-tree sweeps (the numpy reference :func:`_pair_counts_numpy`
works over a binary partition of the time ranks). :func:`concordance` is
``concordancefit`` itself (strata, case weights, clusters, (start, stop] data, time weights):
the concordance of a Cox linear predictor that ``fit_cox`` and ``CoxModel.score`` report,
Harrell's and Uno's C of :func:`ctcstats.concordance_index`, and the validation indexes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bootstrap_concordances", "concordance", "concordance_estimate",
           "concordance_estimates", "pair_counts"]


def pair_counts(qt, qx, qs, qw, pt, px, ps, pw, nx, *, points=True):
    """Weighted pair counts between queries q and points p with pt > qt (same stratum).

    Returns (per query: weight of points with x less / equal / greater than the query's x;
    per point: weight of queries with x less / equal / greater than the point's x); with
    ``points=False`` the per-point counts are skipped and returned as zeros. Compiled
    Fenwick-tree sweeps in O(n log n) (:mod:`._concordance_jit`); :func:`_pair_counts_numpy`
    is the numpy reference it is tested against (equal for integer weights, to rounding
    otherwise).
    """
    from ._concordance_jit import pair_counts_fenwick

    return pair_counts_fenwick(qt, qx, qs, qw, pt, px, ps, pw, nx, points=points)


def _pair_counts_numpy(qt, qx, qs, qw, pt, px, ps, pw, nx, *, points=True):
    """Weighted pair counts between queries q and points p with pt > qt (same stratum), in
    numpy (the reference of the compiled :func:`pair_counts`).

    Returns (per query: weight of points with x less / equal / greater than the query's x;
    per point: weight of queries with x less / equal / greater than the point's x). Pairs are
    found level by level over a binary partition of the (integer) time ranks. With
    ``points=False`` the per-point counts (needed only for influence functions) are skipped
    and returned as zeros.
    """
    qout = np.zeros((qt.size, 3))
    pout = np.zeros((pt.size, 3))
    top = int(max(qt.max(initial=0), pt.max(initial=0))) + 1
    nlev = max(1, int(np.ceil(np.log2(top + 1))))

    def counts(keys_src, w_src, keys_q, xq):
        if np.all(w_src == 1.0):
            # unit weights: the cumulative weight at a sorted position is the position, so a
            # plain sort replaces argsort + cumsum (about twice as fast)
            ks = np.sort(keys_src)
            cw = None
        else:
            o = np.argsort(keys_src)
            ks = keys_src[o]
            cw = np.concatenate([[0.0], np.cumsum(w_src[o])])
        # the queries searched in sorted order (numpy's binary search then starts from the
        # previous hit: ~30% faster), results put back in the queries' order
        oq = np.argsort(keys_q)
        kq = keys_q[oq]
        base = kq - xq[oq]  # sorted as well: the key with its score part set to 0
        pos = np.empty((kq.size, 4), np.int64)
        pos[oq, 0] = np.searchsorted(ks, base, "left")
        pos[oq, 1] = np.searchsorted(ks, kq, "left")
        pos[oq, 2] = np.searchsorted(ks, kq, "right")
        pos[oq, 3] = np.searchsorted(ks, base + nx, "left")
        cum = pos.astype(float) if cw is None else cw[pos]
        return np.diff(cum, axis=1)

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
        if points:
            pout[pright] += counts(qkey, qw[qleft], pkey, px[pright])
    return qout, pout


def concordance(
    score: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    *,
    start: np.ndarray | None = None,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    time_weight: np.ndarray | None = None,
    std_error: bool = True,
) -> tuple[float, float, np.ndarray]:
    """Concordance of a risk score (higher = earlier event) with its standard error.

    R ``survival::concordancefit(y, score, strata, weights, cluster, reverse=TRUE,
    timefix=FALSE)``: a pair is comparable when the earlier time is an event and the later
    subject is still at risk (a censoring at the same time counts as later); a higher score
    with the earlier event is concordant; ties in the score count one half. ``time_weight``
    (per row, used at its events) is R's ``timewt`` (e.g. 1/G(t-)² for Uno's C, 0 beyond
    ``ymax``); default 1 ("n"). The standard error is the infinitesimal-jackknife one
    (``sqrt(var)``; time weights treated as fixed, as R). Returns ``(C, std_error, counts)``
    with counts ``[concordant, discordant, tied_x, tied_y, tied_xy]`` (R's ``count``).
    ``std_error=False`` is the C-only path for resampling loops: the per-subject counts that
    only the influence function needs are skipped (about half the pair counting) and the
    standard error is returned as NaN; C and counts are the same.
    """
    n = score.size
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    tw = np.ones(n) if time_weight is None else np.asarray(time_weight, float)
    ev = np.asarray(event).astype(bool)
    s = np.zeros(n, np.int64) if strata is None else np.unique(strata, return_inverse=True)[1]
    s = s.ravel().astype(np.int64)
    _, xr = np.unique(score, return_inverse=True)
    xr = xr.ravel().astype(np.int64)
    nx = int(xr.max()) + 2
    if start is None:
        times, r_stop = np.unique(time, return_inverse=True)
        r_stop = r_stop.ravel().astype(np.int64)
    else:
        times = np.unique(np.concatenate([time, start]))
        r_stop = np.searchsorted(times, time).astype(np.int64)
    di = np.flatnonzero(ev)
    qw = w[di] * tw[di]
    # queries: events at 2*rank; points: events at 2*rank, censored at 2*rank+1 (later)
    qt = 2 * r_stop[di]
    pt = 2 * r_stop + (~ev).astype(np.int64)
    qa, pa = pair_counts(qt, xr[di], s[di], qw, pt, xr, s, w, nx, points=std_error)
    if start is not None:  # remove rows not yet at risk: start >= t  <=>  2*r+1 > 2*r_t
        r_start = np.searchsorted(times, start).astype(np.int64)
        qb, pb = pair_counts(qt, xr[di], s[di], qw, 2 * r_start + 1, xr, s, w, nx,
                             points=std_error)
        qa, pa = qa - qb, pa - pb
    qa = qa * tw[di, None]
    wd = w[di]
    count = np.array([wd @ qa[:, 2], wd @ qa[:, 0], wd @ qa[:, 1]])
    tied_y, tied_xy = _tied_events(s[di], r_stop[di], xr[di], wd, tw[di], nx)
    counts = np.array([count[1], count[0], count[2], tied_y - tied_xy, tied_xy])
    npair = count.sum()
    if npair == 0:
        return float("nan"), float("nan"), counts
    somer = (count[0] - count[1]) / npair
    c_index = 1.0 - (somer + 1) / 2
    if not std_error:
        return c_index, float("nan"), counts
    # influence per row in R's orientation (reverse=FALSE): concordant = later has larger x
    infl = np.zeros((n, 3))
    infl[di, 0] += qa[:, 2]
    infl[di, 1] += qa[:, 0]
    infl[di, 2] += qa[:, 1]
    infl[:, 0] += pa[:, 0]
    infl[:, 1] += pa[:, 2]
    infl[:, 2] += pa[:, 1]
    dfb = w * ((infl[:, 0] - infl[:, 1]) / npair - (somer / npair) * infl.sum(axis=1))
    if cluster is not None:
        _, cl = np.unique(cluster, return_inverse=True)
        dfb = np.bincount(cl.ravel(), weights=dfb)
    var = float(np.sum(dfb**2)) / 4
    return c_index, float(np.sqrt(var)), counts


def _tied_events(s, r, x, w, tw, nx) -> tuple[float, float]:
    """Time-weighted weight of pairs of events at the same time (and with the same score)."""
    key_t = s * (r.max(initial=0) + 1) + r
    out = []
    for key in (key_t, key_t * nx + x):
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        sw = np.bincount(inv.ravel(), weights=w)
        sw2 = np.bincount(inv.ravel(), weights=w * w)
        out.append(float(np.sum(tw[first] * (sw * sw - sw2) / 2)))
    return out[0], out[1]


def concordance_estimate(score: np.ndarray, time: np.ndarray, event: np.ndarray, *,
                         weights: np.ndarray | None = None) -> float:
    """Harrell's C of :func:`concordance` without its standard error (``std_error=False``),
    for resampling loops that need the estimate alone."""
    return concordance(score, time, event, weights=weights, std_error=False)[0]


def concordance_estimates(scores: np.ndarray, time: np.ndarray, event: np.ndarray, *,
                          weights: np.ndarray | None = None) -> np.ndarray:
    """:func:`concordance_estimate` of each row of ``scores`` (B, n) with case counts
    ``weights`` (B, n) (None: each patient once); NaN where a replicate has no comparable
    pair. For bootstrap loops (C only, no SE): the time order is sorted once and each
    replicate is one compiled O(n log n) Fenwick sweep; with integer-valued weights every C
    is bitwise that of a separate :func:`concordance_estimate` call (the counts are exact
    sums of integers and the same final arithmetic is used)."""
    S = np.atleast_2d(np.asarray(scores, float))
    if weights is None:
        return _c_from_counts(_replicate_counts(S, time, event, None, unit=True)[1])
    W = np.asarray(weights, float).reshape(S.shape)
    return _c_from_counts(_replicate_counts(S, time, event, W, unit=False)[0])


def bootstrap_concordances(scores: np.ndarray, time: np.ndarray, event: np.ndarray,
                           weights: np.ndarray, orders: np.ndarray | None = None
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``(concordance_estimates(scores, ..., weights=weights), concordance_estimates(scores,
    ...))`` in one sweep per replicate (Harrell's bootstrap: each refit's C in its resample,
    given as case counts, and in the original data). ``orders``: ``np.argsort(scores,
    axis=1)`` when the caller needs it too (not sorted again)."""
    S = np.atleast_2d(np.asarray(scores, float))
    W = np.asarray(weights, float).reshape(S.shape)
    if orders is not None:
        orders = np.ascontiguousarray(orders, np.int64).reshape(S.shape)
    cw, cu = _replicate_counts(S, time, event, W, unit=True, orders=orders)
    return _c_from_counts(cw), _c_from_counts(cu)


def _replicate_counts(S, time, event, W, *, unit, orders=None):
    from ._concordance_jit import c_counts_replicates

    ev = np.asarray(event).astype(bool)
    r_stop = np.searchsorted(np.unique(time), time).astype(np.int64)
    pt = 2 * r_stop + (~ev)
    return c_counts_replicates(S, pt, ev, W, unit=unit, orders=orders)


def _c_from_counts(cnt: np.ndarray) -> np.ndarray:
    """C from (B, 3) counts (greater, less, equal), with :func:`concordance`'s arithmetic."""
    c0, c1, c2 = cnt[:, 0], cnt[:, 1], cnt[:, 2]
    npair = c0 + c1 + c2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(npair > 0, 1.0 - ((c0 - c1) / npair + 1) / 2, np.nan)
