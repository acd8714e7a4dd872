"""The compiled sweeps of Wolbers' C equal the Python sweeps bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats.prognostic.competing as CR
from ctcstats.prognostic._metrics_common import Censoring
from ctcstats.prognostic.competing import competing_concordance_index


@pytest.mark.parametrize("seed", range(30))
def test_sweeps_equal_python_bitwise(seed, monkeypatch):
    g = np.random.default_rng(seed)
    n = int(g.integers(2, 300))
    t = g.integers(1, max(2, n // 4), n).astype(float) / 4  # tied times
    c = g.integers(0, 3, n)
    c[0] = 1
    s = np.round(g.random(n), int(g.integers(1, 4)))  # tied scores
    cens = Censoring.fit(t, (c > 0).astype(float))
    tau = float(np.quantile(t, g.uniform(0.3, 1.0)))
    with monkeypatch.context() as m:
        m.setattr(CR, "_JIT_MIN_ROWS", 0)
        got = CR._wolbers(t, c, 1 + seed % 2, s, tau, cens)
        m.setattr(CR, "_COMPILED", False)
        ref = CR._wolbers(t, c, 1 + seed % 2, s, tau, cens)
    assert got[0] == ref[0] and got[1] == ref[1]
    assert np.array_equal(got[2], ref[2])


def test_index_equal_on_both_paths(monkeypatch):
    g = np.random.default_rng(4)
    n = 2500
    df = pd.DataFrame({"t": np.round(g.exponential(20, n), 1) + 0.1,
                       "e": g.choice([0, 1, 2], n, p=[0.4, 0.4, 0.2]), "r": g.random(n)})
    kw = dict(time_col="t", event_col="e", risk_col="r", tau=24.0)
    assert n >= CR._JIT_MIN_ROWS
    a = competing_concordance_index(df, **kw)
    with monkeypatch.context() as m:
        m.setattr(CR, "_COMPILED", False)
        b = competing_concordance_index(df, **kw)
    assert a.estimate == b.estimate
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
