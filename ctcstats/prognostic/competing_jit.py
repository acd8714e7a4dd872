"""Compiled sweeps of Wolbers' concordance index (Fenwick trees over the score ranks).

Imported lazily by :func:`ctcstats.prognostic.competing._wolbers` (this module imports
numba). The reference it is tested against is ``competing._wolbers_python``, the same two
sweeps in Python: the kernel does the same additions in the same order, so the sums are
bitwise equal (``tests/prognostic/test_competing_jit.py``).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit
def _add(tree, r, v):  # pragma: no cover - compiled
    r += 1
    while r < tree.size:
        tree[r] += v
        r += r & -r


@njit
def _below(tree, r):  # pragma: no cover - compiled
    out = 0.0
    while r > 0:
        out += tree[r]
        r -= r & -r
    return out


@njit
def wolbers_sweeps(time, failed, case, comp, rank, m, Gm, G_at, order,
                   order_b):  # pragma: no cover - compiled
    """``(num, den, counts)`` of Wolbers' C: A pairs by a sweep down ``order`` (time
    descending, censored first), B pairs by a sweep up ``order_b`` (time ascending)."""
    n = time.size
    num = 0.0
    den = 0.0
    counts = np.zeros(4)
    cnt = np.zeros(m + 1)
    total = 0.0
    i = 0
    while i < n:  # ---- A
        j = i
        while j < n and time[order[j]] == time[order[i]]:
            j += 1
        for q in range(i, j):
            k = order[q]
            if not failed[k]:
                _add(cnt, rank[k], 1.0)
                total += 1.0
        for q in range(i, j):
            k = order[q]
            if case[k]:
                r = rank[k]
                lo = _below(cnt, r)
                tie = _below(cnt, r + 1) - lo
                w = 1.0 / (Gm[k] * G_at[k])
                c = lo + 0.5 * tie
                num += w * c
                den += w * total
                counts[0] += total
                counts[1] += c
        for q in range(i, j):
            k = order[q]
            if failed[k]:
                _add(cnt, rank[k], 1.0)
                total += 1.0
        i = j
    cnt_b = np.zeros(m + 1)
    w_b = np.zeros(m + 1)
    n_b = 0.0
    wtot = 0.0
    i = 0
    while i < n:  # ---- B
        j = i
        while j < n and time[order_b[j]] == time[order_b[i]]:
            j += 1
        for q in range(i, j):
            k = order_b[q]
            if comp[k]:
                wk = 1.0 / Gm[k]
                _add(cnt_b, rank[k], 1.0)
                _add(w_b, rank[k], wk)
                n_b += 1.0
                wtot += wk
        for q in range(i, j):
            k = order_b[q]
            if case[k]:
                r = rank[k]
                wk = 1.0 / Gm[k]
                lo = _below(cnt_b, r)
                lo_w = _below(w_b, r)
                tie = _below(cnt_b, r + 1) - lo
                tie_w = _below(w_b, r + 1) - lo_w
                num += wk * (lo_w + 0.5 * tie_w)
                den += wk * wtot
                counts[2] += n_b
                counts[3] += lo + 0.5 * tie
        i = j
    return num, den, counts
