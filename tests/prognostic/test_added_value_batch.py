"""added_value's bootstrap refits by the batch engine equal the per-replicate refits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats.prognostic.added_value as A
from ctcstats.batch import batch_cox_arrays
from ctcstats.survival._core.concordance import (
    bootstrap_concordances,
    concordance_estimate,
    concordance_estimates,
)
from ctcstats.survival._core.cox import fit_cox_arrays, prepare_cox_data


def _cohort(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 10, n)
    node = rng.integers(0, 2, n)
    grade = rng.choice(["G1", "G2", "G3"], n, p=[0.1, 0.6, 0.3])
    ctc = rng.binomial(1, 0.35, n)
    lin = 0.02 * (age - 60) + 0.6 * node + 0.5 * (grade == "G3") + 0.7 * ctc
    t = np.round(40 * rng.exponential(size=n) / np.exp(lin), 0) + 1  # tied times
    c = rng.uniform(24, 96, n).round(0)
    return pd.DataFrame({"age": age.round(0), "node_positive": node, "grade": grade,
                         "ctc_positive": ctc, "os_months": np.minimum(t, c),
                         "os_event": (t <= c).astype(int)})


def test_concordance_estimates_equal_separate_calls_bitwise():
    g = np.random.default_rng(3)
    n, B = 300, 9
    t = np.round(g.exponential(10, n), 0)
    e = g.integers(0, 2, n)
    S = np.round(g.normal(size=(B, n)), 1)  # tied scores
    W = np.stack([np.bincount(g.integers(0, n, n), minlength=n) for _ in range(B)]).astype(float)
    W[4] *= 1 - e  # a replicate without events: no comparable pair, NaN
    got = concordance_estimates(S, t, e, weights=W)
    for b in range(B):
        k = W[b] > 0
        want = (concordance_estimate(S[b][k], t[k], e[k], weights=W[b][k])
                if e[k].any() else np.nan)
        assert np.array_equal(got[b], want, equal_nan=True)
    unw = concordance_estimates(S, t, e)
    assert np.array_equal(unw, [concordance_estimate(S[b], t, e) for b in range(B)])
    assert np.isnan(got[4])
    both = bootstrap_concordances(S, t, e, W)  # one sweep per replicate for both
    assert np.array_equal(both[0], got, equal_nan=True)
    assert np.array_equal(both[1], unw)


def test_batch_refit_equals_fit_cox_per_replicate():
    df = _cohort(1, 250)
    x = pd.get_dummies(df[["age", "node_positive", "grade", "ctc_positive"]],
                       drop_first=True, dtype=float).to_numpy()
    tt, ev = df["os_months"].to_numpy(float), df["os_event"].to_numpy()
    idx = np.random.default_rng(2).integers(0, len(df), (12, len(df)))
    ok, W, lp, _, risk, _ = A._batch_refits((x, x[:, :2]), tt, ev, 36.0, "efron", idx)
    assert ok.all()
    refit = A._Refit(x, x[:, :2], tt, ev, 36.0, "efron")
    for b in range(idx.shape[0]):
        rows = np.sort(idx[b])
        f = fit_cox_arrays(prepare_cox_data(x[rows], tt[rows], ev[rows]), ties="efron")
        fb = batch_cox_arrays(tt, ev, x, weights=W[b:b + 1], frequency=True, timefix=False)
        assert_allclose(fb.coef[0], f.coef, rtol=0, atol=1e-8)
        (lb, pb), _ = refit.fit(rows)
        assert_allclose(lp[b], lb, rtol=0, atol=1e-8)
        assert_allclose(risk[b], pb, rtol=0, atol=1e-8)


@pytest.mark.parametrize("n", [120, 400])
def test_added_value_batch_equals_loop(monkeypatch, n):
    df = _cohort(n, n)
    if n == 120:  # a level held by 3 patients: absent from some resamples, whose refits fail
        df["grade"] = np.where(np.arange(n) < 3, "G1", np.where(df["grade"] == "G1", "G2",
                                                                df["grade"]))
    kw = dict(time_col="os_months", event_col="os_event",
              base_covariates=["age", "node_positive", "grade"],
              new_covariates=["ctc_positive"], horizon=36, n_boot=40, rng=5)
    res, caught = {}, {}
    for use in (True, False):
        monkeypatch.setattr(A, "_USE_BATCH", use)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            res[use] = A.added_value(df, **kw)
        caught[use] = [str(x.message) for x in w]
    a, b = res[True], res[False]
    assert caught[True] == caught[False]
    assert a.n_boot_success == b.n_boot_success
    assert (a.n_boot_success < 40) == (n == 120)
    assert_allclose(a.table.iloc[:, 1:].to_numpy(float), b.table.iloc[:, 1:].to_numpy(float),
                    rtol=0, atol=1e-9)
    ra, rb = a.replicates, b.replicates
    assert ra[["replicate", "sample"]].equals(rb[["replicate", "sample"]])
    assert_allclose(ra.iloc[:, 2:].to_numpy(float), rb.iloc[:, 2:].to_numpy(float),
                    rtol=0, atol=1e-9)
    # Harrell's C of the refits: the same pair counts, equal to the last bit
    assert np.array_equal(ra[["c_base", "c_full"]].to_numpy(), rb[["c_base", "c_full"]].to_numpy(),
                          equal_nan=True)



@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_baseline_hazard_kernel_equals_per_replicate_reference(ties):
    """The compiled H0(t) of every replicate equals prepare_cox_data + baseline_hazard of
    the resampled rows (duplicated rows, tied times, Efron's correction)."""
    from ctcstats.prognostic.added_value_jit import baseline_hazard_at
    from ctcstats.prognostic.models import cumhaz_at
    from ctcstats.survival._core.cox import baseline_hazard, linear_predictor

    df = _cohort(4, 300)
    x = df[["age", "node_positive", "ctc_positive"]].to_numpy(float)
    tt, ev = df["os_months"].to_numpy(float), df["os_event"].to_numpy()
    g = np.random.default_rng(7)
    B, n = 6, len(df)
    idx = g.integers(0, n, (B, n))
    W = np.stack([np.bincount(i, minlength=n) for i in idx]).astype(float)
    coef = g.normal(0, 0.5, (B, 3))
    coef[5] = [0.0, 300.0, 0.0]  # linear predictors beyond R's coxsafe clip
    LP = np.empty((B, n))
    ok = np.ones(B, bool)
    ok[2] = False
    want = np.full(B, np.nan)
    for t in (0.5, 12.0, 36.0, 1e9):
        for b in range(B):
            rows = np.sort(idx[b])
            d = prepare_cox_data(x[rows], tt[rows], ev[rows])
            LP[b] = linear_predictor(x - d.means, coef[b])
            if ok[b]:
                times, cum = baseline_hazard(d, coef[b], ties)
                want[b] = cumhaz_at(times, cum, t)[0]
        got = baseline_hazard_at(tt, ev, W, LP, ok, t, ties)
        assert np.isnan(got[2])
        assert_allclose(got, want, rtol=1e-12, atol=0)
        if t == 0.5:
            assert np.all(got[ok] == 0.0)  # before the first event time
