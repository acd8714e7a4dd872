"""The compiled risk-set sums of the Cox engine equal their numpy reference bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats.survival._core.cox as C
from ctcstats.survival._core.cox import prepare_cox_data, risk_sums
from ctcstats.survival.cox import fit_cox


def _data(seed: int):
    g = np.random.default_rng(seed)
    n, p = int(g.integers(1, 80)), int(g.integers(1, 4))
    t = g.integers(1, max(2, n // 2), n).astype(float)
    e = g.integers(0, 2, n)
    e[0] = 1
    strata = g.integers(0, 1 + seed % 3, n)
    start = None
    if seed % 4 == 3:
        start = np.maximum(t - g.integers(1, 4, n), 0).astype(float)
    w = g.uniform(0.5, 2.0, n) if seed % 5 == 4 else None
    x = g.normal(size=(n, p))
    return prepare_cox_data(x, t, e, strata=strata, start=start, weights=w), g


@pytest.mark.parametrize("seed", range(40))
def test_risk_sums_equal_numpy_bitwise(seed, monkeypatch):
    d, g = _data(seed)
    n = d.X.shape[0]
    scale = 1e8 if seed % 7 == 6 else 1.0  # large values in one stratum: the 'lost' branch
    for v in (g.exponential(size=n) * scale, g.normal(size=(n, 3)),
              g.normal(size=(n, 2, 2))[:, ::-1, :]):  # also a non-contiguous view
        lo, hi = C._suffix_sums(d, v)
        rlo, rhi = C._suffix_sums_numpy(d, v)
        assert lo.shape == rlo.shape and np.array_equal(lo, rlo)
        assert np.array_equal(hi, rhi)
        got = risk_sums(d, v)
        with monkeypatch.context() as m:
            m.setattr(C, "_COMPILED_SUMS", False)
            ref = risk_sums(d, v)
        assert np.array_equal(got, ref)


@pytest.mark.parametrize("firth", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_fit_cox_bitwise_equal_to_numpy_sums(seed, firth, monkeypatch):
    g = np.random.default_rng(50 + seed)
    n = 150
    df = pd.DataFrame({"t": np.round(g.exponential(30, n)) + 1, "e": g.integers(0, 2, n),
                       "ctc": g.integers(0, 2, n), "age": g.normal(55, 10, n),
                       "site": g.choice(["a", "b"], n)})
    kw = dict(time_col="t", event_col="e", covariates=["ctc", "age"], firth=firth,
              strata_col="site" if seed == 2 else None)
    a = fit_cox(df, **kw)
    with monkeypatch.context() as m:
        m.setattr(C, "_COMPILED_SUMS", False)
        b = fit_cox(df, **kw)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert a.loglik == b.loglik and a.concordance == b.concordance
