"""The compiled Fine–Gray risk-set sums equal their numpy reference bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats.survival.finegray as FG
from ctcstats.survival._finegray_jit import fg_risk_sums
from ctcstats.survival.finegray import fit_fine_gray


def _data(seed: int):
    g = np.random.default_rng(seed)
    n, p = int(g.integers(2, 60)), int(g.integers(1, 5))
    t = np.sort(g.integers(0, max(2, n // 3), n).astype(float))  # many ties, some at 0
    ici = g.integers(0, 3, n)
    ici[g.integers(0, n)] = 1
    x = g.normal(size=(n, p))
    if seed % 3 == 0:
        x[:, 0] = g.integers(0, 2, n) - 0.5  # binary column, exact zeros after centring
        x[g.integers(0, n), :] = 0.0
    return FG._FGData.build(t, ici, x), g.normal(scale=0.5, size=p)


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("second", [True, False])
def test_kernel_equals_numpy_bitwise(seed, second):
    fg, beta = _data(seed)
    r = np.exp(fg.x @ beta)
    ref = FG._risk_sums_numpy(fg, r, second=second)
    got = fg_risk_sums(r, fg.x, fg.comp_w, fg.tau_first, fg.g_tau, second)
    assert np.array_equal(got[0], ref[0])
    assert np.array_equal(got[1], ref[1])
    if second:
        assert np.array_equal(got[2], ref[2])
    else:
        assert ref[2] is None and got[2].size == 0


def _fit(df, monkeypatch, compiled: bool, **kw):
    with monkeypatch.context() as m:
        m.setattr(FG, "_COMPILED", compiled)
        m.setattr(FG, "_JIT_MIN_SIZE", 0)
        return fit_fine_gray(df, **kw)


@pytest.mark.parametrize("seed", range(4))
def test_fit_bitwise_equal_to_numpy_path(seed, monkeypatch):
    g = np.random.default_rng(100 + seed)
    n = 400
    df = pd.DataFrame({
        "months": np.round(g.exponential(24, n), 0) + 0.5 * (seed % 2),
        "status": g.choice([0, 1, 2], n, p=[0.3, 0.45, 0.25]),
        "ctc": g.integers(0, 2, n),
        "age": g.normal(55, 10, n),
        "grade": g.choice(["G1", "G2", "G3"], n),
    })
    kw = dict(time_col="months", event_col="status", covariates=["ctc", "age", "grade"],
              event_of_interest=1 + seed % 2)
    a = _fit(df, monkeypatch, True, **kw)
    b = _fit(df, monkeypatch, False, **kw)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.vcov, b.vcov, check_exact=True)
    pd.testing.assert_frame_equal(a.baseline, b.baseline, check_exact=True)
    assert (a.loglik, a.loglik_null, a.n_iter, a.converged) == (
        b.loglik, b.loglik_null, b.n_iter, b.converged)


def test_small_fits_stay_on_numpy(monkeypatch):
    """Below the size threshold the kernel is not called (no numba import for tiny fits)."""
    import ctcstats.survival._finegray_jit as J

    def boom(*a, **k):
        raise AssertionError("kernel called")

    monkeypatch.setattr(J, "fg_risk_sums", boom)
    fg, beta = _data(1)
    assert fg.x.shape[0] * fg.x.shape[1] ** 2 < FG._JIT_MIN_SIZE
    FG._risk_sums(fg, beta, second=True)
