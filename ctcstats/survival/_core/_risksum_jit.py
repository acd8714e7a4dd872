"""Compiled kernel of the Cox engine's risk-set sums (suffix sums at the event groups).

Imported lazily by :func:`ctcstats.survival._core.cox.risk_sums` (this module imports numba).
The numpy reference it is tested against is ``cox._suffix_sums_numpy`` (a reversed
cumulative sum over all rows, then the values at the groups' positions); the kernel does the
same additions in the same order without the gathered copy and the (n + 1)-row cumulative
array, so every sum is bitwise equal (``tests/survival/test_risksum_jit.py``).
"""

from __future__ import annotations

import numpy as np

from ..._jit import njit


@njit
def suffix_sums_at(v, order, lo, hi):  # pragma: no cover - compiled
    """``(R[lo], R[hi])`` with R[j] = Σ_{i ≥ j} v[order[i]] (accumulated from the last row,
    the first term itself, as ``np.cumsum`` of the reversed rows) and R[n] = 0."""
    n, k = v.shape
    g = lo.size
    slot = np.full(n + 1, -1, np.int64)
    m = 0
    for a in range(g):
        if slot[lo[a]] < 0:
            slot[lo[a]] = m
            m += 1
        if slot[hi[a]] < 0:
            slot[hi[a]] = m
            m += 1
    vals = np.zeros((m, k))  # position n keeps its zeros
    acc = np.zeros(k)
    for i in range(n - 1, -1, -1):
        row = order[i]
        if i == n - 1:
            for c in range(k):
                acc[c] = v[row, c]
        else:
            for c in range(k):
                acc[c] += v[row, c]
        s = slot[i]
        if s >= 0:
            for c in range(k):
                vals[s, c] = acc[c]
    out_lo = np.empty((g, k))
    out_hi = np.empty((g, k))
    for a in range(g):
        sl, sh = slot[lo[a]], slot[hi[a]]
        for c in range(k):
            out_lo[a, c] = vals[sl, c]
            out_hi[a, c] = vals[sh, c]
    return out_lo, out_hi
