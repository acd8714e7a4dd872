"""Batch Cox engine on counting-process (start, stop] data: every replicate equals fit_cox
(start_col=) on that replicate, which equals R coxph(Surv(start, stop, event) ~ ...) in
tests/survival/test_counting_reference.py. Tolerance 1e-8 relative (same iterations and
arithmetic as the single fit; measured ~1e-14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.batch import batch_cox_arrays
from ctcstats.errors import DataValidationError
from ctcstats.survival._core.cox import fit_cox_arrays
from tests.reference._load import load_input, load_output

RTOL = 1e-8


@pytest.fixture(scope="module")
def cgd():
    return load_input("counting", "cgd")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("stratified", [False, True])
def test_bootstrap_replicates_equal_single_fits(cgd, ties, stratified):
    X = cgd[["treat", "sex", "age"]].to_numpy(float)
    t, e, s0 = cgd["tstop"].to_numpy(float), cgd["status"].to_numpy(), \
        cgd["tstart"].to_numpy(float)
    st = cgd["hos_cat"].astype("category").cat.codes.to_numpy() if stratified else None
    g = np.random.default_rng(17)
    W = g.multinomial(len(t), np.full(len(t), 1 / len(t)), size=4).astype(float)
    res = batch_cox_arrays(t, e, X, start=s0, weights=W, ties=ties, strata=st)
    for r in range(4):
        idx = np.repeat(np.arange(len(t)), W[r].astype(int))
        f = fit_cox_arrays(X[idx], t[idx], e[idx], start=s0[idx], ties=ties,
                           strata=None if st is None else st[idx])
        assert_allclose(res.coef[r], f.coef, rtol=RTOL)
        assert_allclose(res.var[r], f.var, rtol=RTOL)
        assert_allclose(res.loglik[r], f.loglik, rtol=RTOL)
        assert res.n_iter[r] == f.n_iter


def test_original_data_equals_r_coxph(cgd):
    """R: coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids +
    propylac, data = cgd, id = id, ties = "breslow") — the model-based part."""
    ref = load_output("counting", "cgd_id_breslow")
    cols = ["treat", "sex", "age", "inherit", "steroids", "propylac"]
    res = batch_cox_arrays(cgd["tstop"].to_numpy(float), cgd["status"].to_numpy(),
                           cgd[cols].to_numpy(float), start=cgd["tstart"].to_numpy(float),
                           ties="breslow")
    assert_allclose(res.coef[0], ref["coef"], rtol=1e-6)
    assert_allclose(res.std_error[0], ref["se_naive"], rtol=1e-6)
    assert_allclose(res.loglik[0], ref["loglik"][1], rtol=1e-9)


def test_frame_api_with_start_col_and_ragged_replicates():
    """batch_cox(start_col=) on a long table of tmerge-style rows of several simulated
    serial cohorts equals fit_cox(start_col=) per replicate."""
    frames = []
    for r in range(3):
        sc = cs.simulate_study("debono2008", n=120 + 20 * r, rng=r)
        cp = cs.counting_process_data(sc.data, draws=sc.draws, time_col="os_months",
                                      event_col="os_event", value_cols=["ctc_count"],
                                      covariates=["age"])
        frames.append(cp.assign(replicate=r, log_ctc=np.log1p(cp["ctc_count"])))
    long = pd.concat(frames, ignore_index=True)
    kw = dict(start_col="start", time_col="stop", event_col="os_event",
              covariates=["log_ctc", "age"])
    res = cs.batch_cox(long, **kw)
    for r, fr in enumerate(frames):
        one = cs.fit_cox(fr, **kw)
        assert_allclose(res.coef[r], one.table["coef"], rtol=RTOL)
        assert_allclose(res.std_error[r], one.table["std_error"], rtol=RTOL)
        assert_allclose(res.loglik[r], one.loglik, rtol=RTOL)


def test_timefix_on_start_and_stop_together():
    """A start within rounding error of another row's stop is merged with it, as fit_cox."""
    g = np.random.default_rng(3)
    n = 80
    start = np.round(g.uniform(0, 5, n), 1)
    stop = start + np.round(g.uniform(0.5, 10, n), 1)
    start[::7] += 1e-12  # rounding error
    x = g.normal(size=n)
    e = g.random(n) < 0.6
    res = batch_cox_arrays(stop, e, x, start=start)
    with pytest.warns(cs.DataWarning, match="merged"):
        one = cs.fit_cox(pd.DataFrame({"a": start, "b": stop, "e": e.astype(int), "x": x}),
                         start_col="a", time_col="b", event_col="e", covariates=["x"])
    assert res.n_merged[0] == 11
    assert_allclose(res.coef[0], one.table["coef"], rtol=RTOL)
    # without merging, the start values 1e-12 above a stop change the risk sets
    raw = batch_cox_arrays(stop, e, x, start=start, timefix=False)
    assert not np.allclose(raw.coef[0], one.table["coef"], rtol=1e-10)


def test_bad_start():
    t = np.array([1.0, 2.0, 3.0])
    with pytest.raises(DataValidationError, match="smaller than its stop"):
        batch_cox_arrays(t, np.ones(3), np.arange(3.0), start=np.array([0.0, 2.0, 1.0]))
    with pytest.raises(DataValidationError, match="shape of time"):
        batch_cox_arrays(t, np.ones(3), np.arange(3.0), start=np.zeros(2))
