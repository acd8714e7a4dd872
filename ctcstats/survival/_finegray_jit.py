"""Compiled kernel of the Fine–Gray risk-set sums (crr's weighted risk set, one pass each way).

Imported lazily by :mod:`ctcstats.survival.finegray` (this module imports numba). The numpy
reference it is tested against is ``finegray._risk_sums_numpy`` (cumulative sums over the
time-sorted rows, then the values at each distinct failure time); the kernel does the same
additions and products in the same order, without the (n, p, p) temporaries, so every sum is
bitwise equal (``tests/survival/test_finegray_jit.py``).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit


@njit
def fg_risk_sums(r, x, comp_w, k, g, second):  # pragma: no cover - compiled
    """S0, S1 (m, p) and S2 (m, p, p) at the m failure-time starts ``k`` (ascending).

    At each k: the sum of v_i over i >= k (accumulated from the last row backwards, as
    numpy's reversed cumulative sum) plus g * the sum of v_i * comp_w_i over i < k
    (accumulated from the first row), v_i = r_i, r_i x_i and (r_i x_ia) x_ib.
    """
    n, p = x.shape
    m = k.size
    q = p if second else 0
    rev0 = np.zeros(m)
    rev1 = np.zeros((m, p))
    rev2 = np.zeros((m, q, q))
    a0 = 0.0
    a1 = np.zeros(p)
    a2 = np.zeros((q, q))
    j = m - 1
    while j >= 0 and k[j] >= n:  # empty tails
        j -= 1
    for i in range(n - 1, -1, -1):
        ri = r[i]
        if i == n - 1:  # the first term of a cumulative sum is the term itself
            a0 = ri
            for a in range(p):
                a1[a] = ri * x[i, a]
            for a in range(q):
                for b in range(q):
                    a2[a, b] = (ri * x[i, a]) * x[i, b]
        else:
            a0 += ri
            for a in range(p):
                a1[a] += ri * x[i, a]
            for a in range(q):
                for b in range(q):
                    a2[a, b] += (ri * x[i, a]) * x[i, b]
        while j >= 0 and k[j] == i:
            rev0[j] = a0
            for a in range(p):
                rev1[j, a] = a1[a]
            for a in range(q):
                for b in range(q):
                    rev2[j, a, b] = a2[a, b]
            j -= 1
    s0 = np.empty(m)
    s1 = np.empty((m, p))
    s2 = np.empty((m, q, q))
    f0 = 0.0
    f1 = np.zeros(p)
    f2 = np.zeros((q, q))
    j = 0
    for i in range(n + 1):
        while j < m and k[j] == i:  # sums over rows before i
            gj = g[j]
            s0[j] = rev0[j] + gj * f0
            for a in range(p):
                s1[j, a] = rev1[j, a] + gj * f1[a]
            for a in range(q):
                for b in range(q):
                    s2[j, a, b] = rev2[j, a, b] + gj * f2[a, b]
            j += 1
        if i == n or j >= m:
            break
        ri = r[i]
        w = comp_w[i]
        if i == 0:
            f0 = ri * w
            for a in range(p):
                f1[a] = (ri * x[i, a]) * w
            for a in range(q):
                for b in range(q):
                    f2[a, b] = ((ri * x[i, a]) * x[i, b]) * w
        else:
            f0 += ri * w
            for a in range(p):
                f1[a] += (ri * x[i, a]) * w
            for a in range(q):
                for b in range(q):
                    f2[a, b] += ((ri * x[i, a]) * x[i, b]) * w
    return s0, s1, s2
