"""fit_cox_arrays on the compiled kernel (plain fits from KERNEL_MIN_ROWS rows on) against
the numpy engine on the same data.

Both run R's coxph.fit Newton–Raphson with the same rules; the kernel adds the risk-set sums
in another order (one backward scan per stratum instead of cumulative-sum differences), so
estimates agree to rounding: 1e-9 relative here (measured ~1e-13), iteration counts and flags
exactly. The numpy engine is the one checked against R (test_cox_reference.py and others).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ctcstats.survival._core.cox as core
from ctcstats.survival._core.cox import fit_cox_arrays


def _both(monkeypatch, *args, **kw):
    monkeypatch.setattr(core, "KERNEL_MIN_ROWS", 10**12)
    ref = fit_cox_arrays(*args, **kw)
    monkeypatch.setattr(core, "KERNEL_MIN_ROWS", 0)
    ker = fit_cox_arrays(*args, **kw)
    return ker, ref


def _same(k, r):
    rtol = 1e-9
    for name in ("coef", "var", "info", "loglik", "loglik_null", "score_test"):
        assert_allclose(getattr(k, name), getattr(r, name), rtol=rtol, atol=1e-11,
                        err_msg=name)
    # the score at the estimate is ~0: a difference of sums of n terms, compared absolutely
    assert_allclose(k.score, r.score, rtol=0, atol=1e-8, err_msg="score")
    for name in ("n_iter", "converged", "rank", "singular", "maybe_infinite"):
        np.testing.assert_array_equal(getattr(k, name), getattr(r, name), err_msg=name)
    assert_allclose(k.linear_predictor, r.linear_predictor, rtol=rtol, atol=1e-11)


def _data(g, n, p=3):
    X = np.column_stack([g.random(n) < 0.35, g.normal(size=n), g.integers(0, 3, n)])[:, :p]
    t = np.round(g.exponential(10 / np.exp(0.5 * X[:, 0] + 0.3 * X[:, 1])), 1) + 0.1
    c = np.round(g.uniform(2, 25, n), 1)
    return X.astype(float), np.minimum(t, c), t <= c, g.integers(0, 3, n)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_kernel_single_fit_equals_numpy_engine(rng, monkeypatch, ties):
    X, t, e, s = _data(rng, 400)
    w = rng.uniform(0.5, 2.0, 400)
    _same(*_both(monkeypatch, X, t, e, ties=ties))
    _same(*_both(monkeypatch, X, t, e, strata=s, weights=w, ties=ties))
    start = np.round(rng.uniform(0, 1.5, 400), 1)
    keep = start < t
    _same(*_both(monkeypatch, X[keep], t[keep], e[keep], start=start[keep], strata=s[keep],
                 ties=ties))


def test_kernel_single_fit_flags_as_numpy_engine(rng, monkeypatch):
    X, t, e, _ = _data(rng, 300)
    X[:, 0] = np.where(e, 1.0, X[:, 0])  # every event at x0 = 1: monotone likelihood
    # the infinite coefficient stops on the flat tail of the likelihood (information ~1e-7),
    # where rounding differences of the sums move it and its covariances by ~1e-9..1e-6
    # relative; the finite coefficients, their variances, the likelihood and flags agree
    k, r = _both(monkeypatch, X, t, e)
    assert_allclose(k.coef[1:], r.coef[1:], rtol=1e-9)
    assert_allclose(k.var[1:, 1:], r.var[1:, 1:], rtol=1e-8)
    assert_allclose(k.loglik, r.loglik, rtol=1e-12)
    assert_allclose(k.coef[0], r.coef[0], rtol=1e-6)
    for name in ("n_iter", "converged", "rank", "singular", "maybe_infinite"):
        np.testing.assert_array_equal(getattr(k, name), getattr(r, name), err_msg=name)
    assert k.maybe_infinite[0]
    X2 = np.column_stack([X[:, 1], 2 * X[:, 1]])  # collinear: singular
    k, r = _both(monkeypatch, X2, t, e)
    _same(k, r)
    assert k.singular[1]


def test_large_fit_takes_the_kernel_and_equals_numpy(rng, monkeypatch):
    """At KERNEL_MIN_ROWS rows and more, fit_cox_arrays uses the kernel by default."""
    X, t, e, s = _data(rng, core.KERNEL_MIN_ROWS)
    default = fit_cox_arrays(X, t, e, strata=s)
    monkeypatch.setattr(core, "KERNEL_MIN_ROWS", 10**12)
    _same(default, fit_cox_arrays(X, t, e, strata=s))


def test_penalised_and_offset_fits_stay_on_numpy(rng, monkeypatch):
    X, t, e, _ = _data(rng, 200)
    monkeypatch.setattr(core, "KERNEL_MIN_ROWS", 0)
    calls = []
    monkeypatch.setattr(core, "_fit_compiled", lambda *a, **k: calls.append(1))
    fit_cox_arrays(X, t, e, penalizer=0.5)
    fit_cox_arrays(X, t, e, offset=np.full(200, 0.1))
    fit_cox_arrays(X, t, e, init=np.full(3, 0.1))
    assert calls == []
