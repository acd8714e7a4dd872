"""Compiled kernels of the concordance engine (Fenwick-tree pair counts, O(n log n)).

Imported lazily by :mod:`ctcstats.survival._core.concordance` (this module imports numba).
References the kernels are tested against: :func:`concordance._pair_counts_numpy` (the
binary-partition pair counts in numpy) and, for :func:`c_counts_replicates`, separate
:func:`concordance.concordance` calls (``tests/survival/test_concordance_jit.py``).

A Fenwick (binary indexed) tree over the score ranks holds the weight of the subjects added
so far; a prefix sum gives the weight with a lower score in O(log n_x). Walking the subjects
in time order once adds each subject and queries each event once.
"""

from __future__ import annotations

import numpy as np

from ..._jit import njit


@njit
def _fen_add(tree, i, v):  # pragma: no cover - compiled
    n = tree.size
    i += 1
    while i < n:
        tree[i] += v
        i += i & (-i)


@njit
def _fen_prefix(tree, i):  # pragma: no cover - compiled
    """Sum of positions 0..i-1."""
    s = 0.0
    while i > 0:
        s += tree[i]
        i -= i & (-i)
    return s


@njit
def _fen_clear(tree, i):  # pragma: no cover - compiled
    n = tree.size
    i += 1
    while i < n:
        tree[i] = 0.0
        i += i & (-i)


@njit
def _directed_counts(at, ax, as_, bt, bx, bs, bw, later, nx, out):  # pragma: no cover
    """For each a, the weight of the b's of its stratum with ``bt > at`` (``later``) or
    ``bt < at`` (not ``later``) whose x is less / equal / greater than the a's x, written to
    ``out[a]``. Both a's and b's are sorted by (stratum, time) (read in sequence: a gather
    through an order array would miss the cache at every step for large n)."""
    tree = np.zeros(nx + 1)
    eq = np.zeros(nx)
    added = np.empty(bt.size, np.int64)
    nadd = 0
    total = 0.0
    na, nb = at.size, bt.size
    cur = np.int64(-1)
    started = False
    if later:  # walk down in time: add the b's later than each a
        j = nb - 1
        for k in range(na - 1, -1, -1):
            a = k
            s = as_[a]
            if not started or s != cur:
                for m in range(nadd):
                    _fen_clear(tree, added[m])
                    eq[added[m]] = 0.0
                nadd = 0
                total = 0.0
                cur = s
                started = True
                while j >= 0 and bs[j] > s:
                    j -= 1
            while j >= 0 and bs[j] == s and bt[j] > at[a]:
                b = j
                _fen_add(tree, bx[b], bw[b])
                eq[bx[b]] += bw[b]
                total += bw[b]
                added[nadd] = bx[b]
                nadd += 1
                j -= 1
            x = ax[a]
            less = _fen_prefix(tree, x)
            out[a, 0] = less
            out[a, 1] = eq[x]
            out[a, 2] = total - less - eq[x]
    else:  # walk up in time: add the b's earlier than each a
        j = 0
        for k in range(na):
            a = k
            s = as_[a]
            if not started or s != cur:
                for m in range(nadd):
                    _fen_clear(tree, added[m])
                    eq[added[m]] = 0.0
                nadd = 0
                total = 0.0
                cur = s
                started = True
                while j < nb and bs[j] < s:
                    j += 1
            while j < nb and bs[j] == s and bt[j] < at[a]:
                b = j
                _fen_add(tree, bx[b], bw[b])
                eq[bx[b]] += bw[b]
                total += bw[b]
                added[nadd] = bx[b]
                nadd += 1
                j += 1
            x = ax[a]
            less = _fen_prefix(tree, x)
            out[a, 0] = less
            out[a, 1] = eq[x]
            out[a, 2] = total - less - eq[x]


def pair_counts_fenwick(qt, qx, qs, qw, pt, px, ps, pw, nx, *, points=True):
    """:func:`concordance._pair_counts_numpy` (same arguments and result) by two Fenwick-tree
    sweeps: per query the weight of later points (``pt > qt``, same stratum) with x less /
    equal / greater; per point the weight of earlier queries likewise (skipped, zeros, when
    ``points=False``). Exact for integer weights; otherwise equal up to rounding."""
    qt, pt = np.asarray(qt, np.int64), np.asarray(pt, np.int64)
    qx, px = np.asarray(qx, np.int64), np.asarray(px, np.int64)
    qs, ps = np.asarray(qs, np.int64), np.asarray(ps, np.int64)
    qw, pw = np.asarray(qw, float), np.asarray(pw, float)
    # one integer key (stratum, time) per row: an argsort of it is several times faster than
    # a two-key lexsort (the order within equal keys does not matter)
    span = int(max(qt.max(initial=0), pt.max(initial=0))) + 1
    qo = np.argsort(qs * span + qt)
    po = np.argsort(ps * span + pt)
    nx = int(max(nx, qx.max(initial=-1) + 1, px.max(initial=-1) + 1))
    q = (qt[qo], qx[qo], qs[qo], qw[qo])
    p = (pt[po], px[po], ps[po], pw[po])
    qs_out = np.empty((qt.size, 3))
    _directed_counts(q[0], q[1], q[2], p[0], p[1], p[2], p[3], True, nx, qs_out)
    qout = np.empty((qt.size, 3))
    qout[qo] = qs_out
    pout = np.zeros((pt.size, 3))
    if points:
        ps_out = np.empty((pt.size, 3))
        _directed_counts(p[0], p[1], p[2], q[0], q[1], q[2], q[3], False, nx, ps_out)
        pout[po] = ps_out
    return qout, pout


@njit
def _dense_ranks(v, o, out):  # pragma: no cover - compiled
    """Ranks 0.. of the distinct values of v (o: an argsort of v); returns their number."""
    r = 0
    out[o[0]] = 0
    for k in range(1, v.size):
        if v[o[k]] != v[o[k - 1]]:
            r += 1
        out[o[k]] = r
    return r + 1


@njit
def _radix_argsort_rows(S, out):  # pragma: no cover - compiled
    """An argsort of each row of S (finite values) by an LSD radix sort on the order-keeping
    integer image of the doubles (4 passes of 16 bits): ascending, ties (and -0.0 / +0.0) in
    row order — a valid order for :func:`_dense_ranks`, several times faster than numpy's
    comparison sort at 10^5 values."""
    B, n = S.shape
    keys = np.empty(n, np.uint64)
    k2 = np.empty(n, np.uint64)
    idx = np.empty(n, np.int64)
    i2 = np.empty(n, np.int64)
    cnt = np.empty(65537, np.int64)
    top = np.uint64(0x8000000000000000)
    mask = np.uint64(0xFFFF)
    for b in range(B):
        bits = S[b].view(np.uint64)
        for i in range(n):
            u = bits[i]
            keys[i] = ~u if u & top else u | top
            idx[i] = i
        for ps in range(4):
            sh = np.uint64(16 * ps)
            cnt[:] = 0
            for i in range(n):
                cnt[np.int64((keys[i] >> sh) & mask) + 1] += 1
            for d in range(1, 65537):
                cnt[d] += cnt[d - 1]
            for i in range(n):
                d = np.int64((keys[i] >> sh) & mask)
                j = cnt[d]
                cnt[d] = j + 1
                k2[j] = keys[i]
                i2[j] = idx[i]
            keys, k2 = k2, keys
            idx, i2 = i2, idx
        for i in range(n):
            out[b, i] = idx[i]


#: Rows shorter than this are sorted by numpy: the radix sort's four passes each clear and
#: sum a table of 65,537 counts, whatever the row's length, so below ~5,000 values numpy's
#: argsort is faster (200 rows, CPU s, radix vs numpy: n = 1,000 0.028 vs 0.006; 2,000
#: 0.028 vs 0.013; 4,000 0.032 vs 0.028; 5,000 0.042 vs 0.042; 8,000 0.043 vs 0.063;
#: 10,307 0.051 vs 0.093; 2026-12-03). Every caller gets the same values either way.
_RADIX_MIN_N = 5000


def row_orders(S: np.ndarray) -> np.ndarray:
    """An ascending argsort of each row of ``S`` (B, n) for Harrell's C (its dense ranks do
    not depend on the order of tied scores): the compiled radix sort when every value is
    finite and the rows are long (``_RADIX_MIN_N``), else numpy's argsort."""
    S = np.ascontiguousarray(S, dtype=float)
    if S.size == 0 or S.shape[1] < _RADIX_MIN_N or not np.isfinite(S).all():
        return np.argsort(S, axis=1)
    out = np.empty(S.shape, np.int64)
    _radix_argsort_rows(S, out)
    return out


@njit
def _c_counts_replicates(order, pt, ev, S, SO, W, weighted, unit, out_w, out_u):  # pragma: no cover
    """Harrell's C pair counts of each row of S (B, n) with case counts W (weighted) and with
    each subject once (unit); SO (B, n) an argsort of each row of S (numpy's sort is several
    times faster than numba's). ``order``: subjects by ``pt`` descending (events at 2r,
    censored at 2r+1, so a censoring at an event's time counts as later). Writes
    (Σ w_i·greater_i, Σ w_i·less_i, Σ w_i·equal_i) over events i to ``out_*[b]``."""
    B, n = S.shape
    xr = np.empty(n, np.int64)
    for b in range(B):
        nx = _dense_ranks(S[b], SO[b], xr)
        tw = np.zeros(nx + 1)
        tu = np.zeros(nx + 1)
        ew = np.zeros(nx)
        eu = np.zeros(nx)
        totw = 0.0
        totu = 0.0
        c0w = c1w = c2w = 0.0
        c0u = c1u = c2u = 0.0
        k = 0
        while k < n:
            # the block of subjects with the same pt
            e = k + 1
            while e < n and pt[order[e]] == pt[order[k]]:
                e += 1
            if ev[order[k]]:  # events at one time: compare with the later ones, then add
                for m in range(k, e):
                    i = order[m]
                    x = xr[i]
                    if weighted:
                        wi = W[b, i]
                        if wi != 0.0:
                            less = _fen_prefix(tw, x)
                            c1w += wi * less
                            c2w += wi * ew[x]
                            c0w += wi * (totw - less - ew[x])
                    if unit:
                        less = _fen_prefix(tu, x)
                        c1u += less
                        c2u += eu[x]
                        c0u += totu - less - eu[x]
            for m in range(k, e):
                i = order[m]
                x = xr[i]
                if weighted:
                    wi = W[b, i]
                    if wi != 0.0:
                        _fen_add(tw, x, wi)
                        ew[x] += wi
                        totw += wi
                if unit:
                    _fen_add(tu, x, 1.0)
                    eu[x] += 1.0
                    totu += 1.0
            k = e
        out_w[b, 0] = c0w
        out_w[b, 1] = c1w
        out_w[b, 2] = c2w
        out_u[b, 0] = c0u
        out_u[b, 1] = c1u
        out_u[b, 2] = c2u


def c_counts_replicates(scores, pt, event, weights=None, *, unit=True, orders=None):
    """Pair counts (greater, less, equal) of Harrell's C for each row of ``scores`` (B, n):
    returns (counts with case counts ``weights`` (B, n) or None, counts with each subject
    once or None when ``unit=False``), each (B, 3). ``pt``: integer time keys (2·rank, +1
    for censored). The time order is sorted once for all replicates. ``orders``: an
    argsort of each row of ``scores`` (B, n) when the caller has one (any order of tied
    scores gives the same counts)."""
    S = np.ascontiguousarray(scores, dtype=float)
    B, n = S.shape
    pt = np.asarray(pt, np.int64)
    ev = np.asarray(event).astype(np.bool_)
    order = np.argsort(-pt, kind="stable")
    weighted = weights is not None
    W = (np.ascontiguousarray(weights, dtype=float) if weighted else np.zeros((1, 1)))
    out_w = np.zeros((B, 3))
    out_u = np.zeros((B, 3))
    if n:
        step = max(1, 2_000_000 // n)  # replicates per chunk: argsorts of <= ~16 MB
        for a in range(0, B, step):
            sl = slice(a, a + step)
            so = row_orders(S[sl]) if orders is None else orders[sl]
            _c_counts_replicates(order, pt, ev, S[sl], so,
                                 W[sl] if weighted else W, weighted, unit, out_w[sl],
                                 out_u[sl])
    return (out_w if weighted else None), (out_u if unit else None)
