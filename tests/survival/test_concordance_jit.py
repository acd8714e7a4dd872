"""The compiled Fenwick-tree concordance kernels equal their numpy / pure-Python references."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ctcstats.survival._core.concordance import (
    _pair_counts_numpy,
    bootstrap_concordances,
    concordance,
    concordance_estimates,
    pair_counts,
)


def _brute_pairs(qt, qx, qs, qw, pt, px, ps, pw):
    """O(nq·np) reference of the pair counts."""
    qout, pout = np.zeros((qt.size, 3)), np.zeros((pt.size, 3))
    for i in range(qt.size):
        for j in range(pt.size):
            if qs[i] != ps[j] or not pt[j] > qt[i]:
                continue
            k = 0 if px[j] < qx[i] else (1 if px[j] == qx[i] else 2)
            qout[i, k] += pw[j]
            k = 0 if qx[i] < px[j] else (1 if qx[i] == px[j] else 2)
            pout[j, k] += qw[i]
    return qout, pout


@pytest.mark.parametrize("seed", range(40))
def test_pair_counts_equal_numpy_and_brute_force(seed):
    g = np.random.default_rng(seed)
    nq, npt = int(g.integers(0, 25)), int(g.integers(0, 35))
    nx, ns, T = int(g.integers(1, 7)), int(g.integers(1, 4)), int(g.integers(1, 10))
    qt, pt = g.integers(0, T, nq), g.integers(0, T, npt)
    qx, px = g.integers(0, nx, nq), g.integers(0, nx, npt)
    qs, ps = g.integers(0, ns, nq), g.integers(0, ns, npt)
    integer = seed % 2 == 0
    qw = g.integers(0, 4, nq).astype(float) if integer else g.random(nq)
    pw = g.integers(0, 4, npt).astype(float) if integer else g.random(npt)
    got = pair_counts(qt, qx, qs, qw, pt, px, ps, pw, nx + 1)
    ref = _pair_counts_numpy(qt, qx, qs, qw, pt, px, ps, pw, nx + 1)
    brute = _brute_pairs(qt, qx, qs, qw, pt, px, ps, pw)
    for a, b, c in zip(got, ref, brute, strict=True):
        if integer:  # sums of integers: exact
            assert np.array_equal(a, b) and np.array_equal(a, c)
        else:
            assert_allclose(a, b, rtol=1e-12, atol=1e-12)
            assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    only_q = pair_counts(qt, qx, qs, qw, pt, px, ps, pw, nx + 1, points=False)
    assert np.array_equal(only_q[0], got[0]) and not only_q[1].any()


def _concordance_numpy(monkeypatch, *args, **kw):
    import ctcstats.survival._core.concordance as C

    with monkeypatch.context() as m:
        m.setattr(C, "pair_counts", C._pair_counts_numpy)
        return C.concordance(*args, **kw)


@pytest.mark.parametrize("seed", range(6))
def test_concordance_equals_numpy_path(monkeypatch, seed):
    """C, SE and counts with strata, weights, (start, stop] rows and time weights."""
    g = np.random.default_rng(seed)
    n = 400
    x = np.round(g.normal(size=n), 1)
    t = np.round(g.exponential(10, n), 0) + 1
    e = g.random(n) < 0.6
    kw = {"strata": g.integers(0, 3, n), "weights": g.integers(1, 4, n).astype(float),
          "cluster": g.integers(0, 50, n)}
    if seed % 2:
        kw["start"] = np.where(g.random(n) < 0.5, 0.0, t * g.random(n))
        kw["time_weight"] = g.random(n) + 0.5
        kw["weights"] = g.random(n) + 0.1
    got = concordance(x, t, e, **kw)
    ref = _concordance_numpy(monkeypatch, x, t, e, **kw)
    assert_allclose(got[0], ref[0], rtol=1e-13)
    assert_allclose(got[1], ref[1], rtol=1e-11)
    assert_allclose(got[2], ref[2], rtol=1e-13)
    if seed % 2 == 0:  # integer weights: the same numbers bit for bit
        assert got[0] == ref[0] and np.array_equal(got[2], ref[2])


def test_bootstrap_concordances_equal_separate_calls():
    g = np.random.default_rng(11)
    n, B = 250, 7
    t = np.round(g.exponential(10, n), 0)
    e = g.integers(0, 2, n)
    S = np.round(g.normal(size=(B, n)), 1)
    W = np.stack([np.bincount(g.integers(0, n, n), minlength=n) for _ in range(B)]).astype(float)
    cw, cu = bootstrap_concordances(S, t, e, W)
    for b in range(B):
        k = W[b] > 0
        assert cw[b] == concordance(S[b][k], t[k], e[k], weights=W[b][k])[0]
        assert cu[b] == concordance(S[b], t, e)[0]
    assert np.array_equal(concordance_estimates(S, t, e, weights=W), cw)
    # no comparable pair (no events) gives NaN; a single row works
    assert np.isnan(concordance_estimates(S[:, :5], t[:5], np.zeros(5))).all()
    assert np.isnan(concordance_estimates(np.ones((2, 1)), t[:1], e[:1])).all()
