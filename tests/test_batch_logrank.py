"""Batch log-rank: every replicate equals logrank_test (and R survdiff) on the same data.

The batch arithmetic is survdiff's, so statistics agree to rounding error: asserted at 1e-9
relative against logrank_test and R's stored outputs (closed form, no iteration).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.batch import batch_logrank_arrays
from ctcstats.errors import DataValidationError
from ctcstats.survival.logrank import logrank_test
from tests.reference._load import as_array, load_input, load_output


def _reference(t, e, g, s=None, rho=0.0, gamma=0.0):
    df = pd.DataFrame({"t": t, "e": e.astype(int), "g": g})
    if s is not None:
        df["s"] = s
    with warnings.catch_warnings():
        # groups without events or at risk are reported by logrank_test; not under test here
        warnings.simplefilter("ignore")
        return logrank_test(df, time_col="t", event_col="e", group_col="g",
                            strata_col=None if s is None else "s", rho=rho, gamma=gamma)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("rho,gamma", [(0.0, 0.0), (1.0, 0.0), (0.5, 2.0)])
@pytest.mark.parametrize("stratified", [False, True])
def test_replicates_equal_logrank_test(rng, k, rho, gamma, stratified):
    R, n = 5, 120
    g = rng.integers(0, k, (R, n))
    t = np.round(rng.exponential(1 / np.exp(0.4 * g)), 1)
    e = rng.random((R, n)) < 0.7
    s = rng.integers(0, 3, (R, n)) if stratified else None
    res = batch_logrank_arrays(t, e, g, strata=s, rho=rho, gamma=gamma)
    for r in range(R):
        ref = _reference(t[r], e[r], g[r], None if s is None else s[r], rho, gamma)
        assert_allclose(res.statistic[r], ref.statistic, rtol=1e-9)
        assert_allclose(res.p_value[r], ref.p_value, rtol=1e-9)
        assert res.df[r] == ref.df
        assert_allclose(res.observed[r], ref.table["observed"], rtol=1e-9)
        assert_allclose(res.expected[r], ref.table["expected"], rtol=1e-9)


def test_bootstrap_and_permutation_layouts(rng):
    """Shared times with count weights (bootstrap) and with permuted labels (permutation)."""
    n = 150
    g = rng.integers(0, 2, n)
    t = np.round(rng.exponential(1 / np.exp(0.5 * g)), 1)
    e = rng.random(n) < 0.8
    idx = rng.integers(0, n, (4, n))
    w = np.stack([np.bincount(i, minlength=n) for i in idx]).astype(float)
    boot = batch_logrank_arrays(t, e, g, weights=w)
    perm = np.stack([rng.permutation(g) for _ in range(4)])
    pres = batch_logrank_arrays(t, e, perm)
    for r in range(4):
        ref = _reference(t[idx[r]], e[idx[r]], g[idx[r]])
        assert_allclose(boot.statistic[r], ref.statistic, rtol=1e-9)
        ref = _reference(t, e, perm[r])
        assert_allclose(pres.statistic[r], ref.statistic, rtol=1e-9)


@pytest.mark.parametrize("key,strata", [("two_group", None), ("stratified_two_group", "site")])
def test_equals_r_survdiff(rng, key, strata):
    """R: survdiff(Surv(time, event) ~ arm [+ strata(site)], data = ties_medium)."""
    df = load_input("logrank", "ties_medium")
    ref = load_output("logrank", "ties_medium")[key]
    g = (df["arm"] == "treated").to_numpy().astype(np.int64)
    s = None if strata is None else pd.factorize(df[strata], sort=True)[0]
    perms = [np.arange(len(df)), rng.permutation(len(df))]
    res = batch_logrank_arrays(np.stack([df["time"].to_numpy()[o] for o in perms]),
                        np.stack([df["event"].to_numpy()[o] for o in perms]),
                        np.stack([g[o] for o in perms]),
                        strata=None if s is None else np.stack([s[o] for o in perms]))
    for r in range(2):
        assert_allclose(res.observed[r], as_array(ref["obs"]), rtol=1e-9)
        assert_allclose(res.expected[r], as_array(ref["exp"]), rtol=1e-9)
        assert_allclose(res.variance[r], np.asarray(ref["var"], float), rtol=1e-9)
        assert_allclose(res.statistic[r], ref["chisq"], rtol=1e-9)
    # two groups: the log-rank (Peto) log-HR estimate (O - E)/V and its SE 1/sqrt(V)
    v = np.asarray(ref["var"], float)[1, 1]
    assert_allclose(res.log_hr[0], (ref["obs"][1] - ref["exp"][1]) / v, rtol=1e-9)
    assert_allclose(res.std_error[0], 1 / np.sqrt(v), rtol=1e-9)


def test_group_without_patients_at_risk_follows_survdiff():
    """A replicate where one group is absent: df 0, statistic 0, p 1 (as R survdiff)."""
    t = np.array([[1.0, 2, 3, 4], [1, 2, 3, 4]])
    e = np.ones((2, 4))
    g = np.array([[0, 0, 0, 0], [0, 1, 0, 1]])
    res = batch_logrank_arrays(t, e, g)
    assert res.df.tolist() == [0.0, 1.0]
    assert res.statistic[0] == 0.0 and res.p_value[0] == 1.0
    assert list(res.to_frame().columns) == ["replicate", "statistic", "df", "p_value",
                                            "log_hr", "std_error", "n_events"]


def test_bad_group_codes_raise():
    with pytest.raises(DataValidationError, match="group must hold integer codes"):
        batch_logrank_arrays(np.ones((1, 3)), np.ones((1, 3)), np.array([[0.5, 1, 0]]))
    with pytest.raises(DataValidationError, match="group must have the shape of time"):
        batch_logrank_arrays(np.ones((1, 3)), np.ones((1, 3)), np.array([[0, 1]]))


def test_batch_results_display_a_summary():
    rng = np.random.default_rng(3)
    t = rng.exponential(1.0, (4, 60))
    e = (rng.random((4, 60)) < 0.7).astype(int)
    g = rng.integers(0, 2, (4, 60))
    lr = batch_logrank_arrays(t, e, g)
    assert repr(lr) == "<BatchLogrankResult n_replicates=4, n_obs=240, n_dropped=0>"
    html = lr._repr_html_()
    assert "Batch log-rank tests" in html and "p_value" in html
    assert "<b>first 10 replicates</b>" in html
    from ctcstats.batch import batch_cox_arrays

    cx = batch_cox_arrays(t, e, g[..., None].astype(float))
    lines = str(cx).splitlines()
    assert lines[0] == "Batch Cox fits"
    assert "n_replicates     4" in lines and "n_converged      4" in lines
