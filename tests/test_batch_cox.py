"""Batch Cox engine: every replicate equals fit_cox (and R coxph) on the same data.

Tolerances: the batch engine runs R's coxph.fit iterations (same start, step-halving and
stopping rule) with the same arithmetic as fit_cox, so the estimates agree to rounding error;
the contract asks for 1e-6 and we assert 1e-8 (relative) on coef, SE, p-value and loglik.
Against R's stored outputs the tolerance is 1e-6 relative (R stops at a relative loglik change
of 1e-9, and the JSON is written at full precision).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.batch import batch_cox_arrays
from ctcstats.errors import (
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
)
from ctcstats.survival._core.cox import fit_cox_arrays
from ctcstats.survival.cox import fit_cox
from tests.reference._load import as_array, load_input, load_output

RTOL = 1e-8


def _simulate(g, R, n, p, *, ties_decimals=1, n_strata=1):
    x = np.empty((R, n, p))
    x[:, :, 0] = g.random((R, n)) < 0.35
    for j in range(1, p):
        x[:, :, j] = g.normal(size=(R, n)) if j % 2 else g.integers(0, 3, (R, n))
    lp = 0.6 * x[:, :, 0] + (0.3 * x[:, :, 1:].sum(axis=2) if p > 1 else 0)
    t = np.round(g.exponential(10 / np.exp(lp)), ties_decimals) + 0.1
    c = g.uniform(2, 25, (R, n))
    event = t <= c
    time = np.round(np.minimum(t, c), ties_decimals)
    strata = g.integers(0, n_strata, (R, n))
    return time, event, x, strata


def _frame(time, event, x, strata=None) -> pd.DataFrame:
    df = pd.DataFrame({"time": time, "event": event.astype(int)})
    for j in range(x.shape[1]):
        df[f"x{j}"] = x[:, j]
    if strata is not None:
        df["s"] = strata
    return df


def _check_against_fit_cox(res, r, df, p, ties, strata_col=None):
    ref = fit_cox(df, time_col="time", event_col="event",
                  covariates=[f"x{j}" for j in range(p)], strata_col=strata_col, ties=ties)
    assert_allclose(res.coef[r], ref.table["coef"], rtol=RTOL, atol=1e-12)
    assert_allclose(res.std_error[r], ref.table["std_error"], rtol=RTOL)
    assert_allclose(res.p_value[r], ref.table["p_value"], rtol=1e-7, atol=1e-14)
    assert_allclose(res.loglik[r], ref.loglik, rtol=RTOL)
    assert_allclose(res.loglik_null[r], ref.loglik_null, rtol=RTOL)
    assert res.converged[r] == ref.converged
    assert res.n_events[r] == ref.n_events


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_simulated_replicates_equal_fit_cox(rng, ties, p):
    """Independent replicates with many tied times (1 decimal), 1–3 covariates."""
    time, event, x, _ = _simulate(rng, 6, 150, p)
    res = batch_cox_arrays(time, event, x, ties=ties)
    for r in range(6):
        _check_against_fit_cox(res, r, _frame(time[r], event[r], x[r]), p, ties)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_stratified_replicates_equal_fit_cox(rng, ties):
    time, event, x, strata = _simulate(rng, 5, 200, 2, n_strata=3)
    res = batch_cox_arrays(time, event, x, strata=strata, ties=ties)
    for r in range(5):
        _check_against_fit_cox(res, r, _frame(time[r], event[r], x[r], strata[r]), 2, ties,
                               strata_col="s")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_bootstrap_weights_equal_fit_cox_on_resampled_rows(rng, ties):
    """Bootstrap as integer counts per patient = fit_cox on the resampled (duplicated) rows,
    including Efron's correction for the copies of one patient (tied with each other)."""
    time, event, x, strata = _simulate(rng, 1, 180, 2, n_strata=2)
    time, event, x, strata = time[0], event[0], x[0], strata[0]
    idx = rng.integers(0, 180, (5, 180))
    counts = np.stack([np.bincount(i, minlength=180) for i in idx]).astype(float)
    res = batch_cox_arrays(time, event, x, strata=strata, weights=counts, ties=ties)
    base = _frame(time, event, x, strata)
    for r in range(5):
        _check_against_fit_cox(res, r, base.iloc[idx[r]], 2, ties, strata_col="s")


def test_ragged_replicates_equal_fit_cox(rng):
    """Replicates of different sizes (e.g. a landmark or window subset) as a list."""
    time, event, x, _ = _simulate(rng, 4, 120, 2)
    sizes = [120, 75, 33, 101]
    res = batch_cox_arrays([time[r, :m] for r, m in enumerate(sizes)],
                    [event[r, :m] for r, m in enumerate(sizes)],
                    [x[r, :m] for r, m in enumerate(sizes)])
    for r, m in enumerate(sizes):
        _check_against_fit_cox(res, r, _frame(time[r, :m], event[r, :m], x[r, :m]), 2,
                               "efron")


def test_case_weights_match_engine_and_r():
    """R: coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), data = synth, weights = w)
    (reference cox/synth_weights.json; R's model-based SE is se_naive)."""
    df = load_input("cox", "synth")
    ref = load_output("cox", "synth_weights")
    X = np.column_stack([df["x1"], df["x2"], df["grp"] == "b", df["grp"] == "c"]).astype(float)
    s = pd.factorize(df["s"], sort=True)[0]
    w = df["w"].to_numpy()
    res = batch_cox_arrays(df["time"].to_numpy(), df["status"].to_numpy(), X, strata=s,
                    weights=np.stack([w, w]), frequency=False)
    # R stops at a relative loglik change of 1e-9; coefficients agree to ~1e-7
    assert_allclose(res.coef[0], as_array(ref["coef"]), rtol=1e-6)
    assert_allclose(res.std_error[1], as_array(ref["se_naive"]), rtol=1e-6)
    assert_allclose(res.loglik[0], as_array(ref["loglik"])[1], rtol=1e-9)
    eng = fit_cox_arrays(X, df["time"], df["status"], strata=s, weights=w)
    assert_allclose(res.coef[0], eng.coef, rtol=RTOL)
    assert_allclose(res.var[0], eng.var, rtol=RTOL)


@pytest.mark.parametrize("name,ties", [("synth_efron", "efron"), ("synth_breslow", "breslow"),
                                       ("synth_strata", "efron")])
def test_each_replicate_equals_r_coxph(rng, name, ties):
    """R: coxph(Surv(time, status) ~ x1 + x2 + grp [+ strata(s)], data = synth, ties = ...).

    The same cohort in shuffled row orders is each replicate; every one equals R."""
    df = load_input("cox", "synth")
    ref = load_output("cox", name)
    X = np.column_stack([df["x1"], df["x2"], df["grp"] == "b", df["grp"] == "c"]).astype(float)
    s = pd.factorize(df["s"], sort=True)[0] if "strata" in name else None
    perms = [np.arange(len(df))] + [rng.permutation(len(df)) for _ in range(3)]
    t = np.stack([df["time"].to_numpy()[o] for o in perms])
    e = np.stack([df["status"].to_numpy()[o] for o in perms])
    Xs = np.stack([X[o] for o in perms])
    S = None if s is None else np.stack([s[o] for o in perms])
    res = batch_cox_arrays(t, e, Xs, strata=S, ties=ties)
    for r in range(len(perms)):
        assert_allclose(res.coef[r], as_array(ref["coef"]), rtol=1e-6)
        assert_allclose(res.std_error[r], as_array(ref["se"]), rtol=1e-6)
        assert_allclose(res.loglik[r], as_array(ref["loglik"])[1], rtol=1e-9)
        assert res.n_iter[r] == ref["iter"]


def test_timefix_merges_almost_equal_times_per_replicate():
    """Times differing by rounding error are tied, as fit_cox (R's timefix) does."""
    t = np.array([1.0, 1.0 + 1e-13, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0])
    e = np.array([1, 1, 1, 0, 1, 1, 0, 1])
    x = np.array([0, 1, 0, 1, 1, 0, 1, 0], dtype=float)
    res = batch_cox_arrays(np.stack([t, t]), np.stack([e, e]), x)
    with pytest.warns(DataWarning, match="1 distinct value differs from the preceding time"):
        ref = fit_cox(pd.DataFrame({"time": t, "event": e, "x0": x}), time_col="time",
                      event_col="event", covariates=["x0"])
    assert_allclose(res.coef[:, 0], ref.table["coef"].iloc[0], rtol=RTOL)
    unfixed = batch_cox_arrays(t, e, x, timefix=False)
    assert not np.isclose(unfixed.coef[0, 0], ref.table["coef"].iloc[0], rtol=1e-6)


def test_monotone_and_nonconverged_replicates_are_flagged(rng):
    """A replicate with no events in one group is flagged (fit_cox warns), others are not;
    a tight iteration limit gives converged = False."""
    n = 60
    x = np.r_[np.zeros(30), np.ones(30)]
    t = rng.exponential(1.0, (2, n))
    e = np.stack([np.r_[np.ones(30), np.zeros(30)], rng.random(n) < 0.7]).astype(bool)
    res = batch_cox_arrays(t, e, x)
    assert res.monotone.tolist() == [True, False]
    assert res.ok.tolist() == [False, True]
    with pytest.warns(MonotoneLikelihoodWarning):
        ref = fit_cox(pd.DataFrame({"time": t[0], "event": e[0].astype(int), "x0": x}),
                      time_col="time", event_col="event", covariates=["x0"])
    assert_allclose(res.coef[0, 0], ref.table["coef"].iloc[0], rtol=1e-6)
    assert res.warnings == ("1 of 2 replicates have a monotone likelihood (a coefficient may "
                            "be infinite; consider Firth's penalised fit); .ok marks the "
                            "replicates whose estimates can be used.",)
    short = batch_cox_arrays(t, e, x, max_iter=1)
    assert not short.converged[1]
    assert short.warnings[0].startswith("2 of 2 replicates did not converge")
    frame = res.to_frame()
    assert list(frame.columns) == ["replicate", "coef", "std_error", "z", "p_value", "loglik",
                                   "n_events", "n_iter", "converged", "monotone"]


def test_chunking_does_not_change_results(rng):
    time, event, x, _ = _simulate(rng, 9, 100, 2)
    a = batch_cox_arrays(time, event, x)
    b = batch_cox_arrays(time, event, x, chunk_rows=250)  # two replicates per chunk
    assert_allclose(a.coef, b.coef, rtol=1e-12)
    assert_allclose(a.std_error, b.std_error, rtol=1e-12)


def test_inputs_are_not_modified(rng):
    time, event, x, strata = _simulate(rng, 3, 50, 2, n_strata=2)
    copies = [a.copy() for a in (time, event, x, strata)]
    batch_cox_arrays(time, event, x, strata=strata)
    for a, c in zip((time, event, x, strata), copies, strict=True):
        assert np.array_equal(a, c)


def test_bad_inputs_raise():
    t = np.array([[1.0, 2.0, 3.0]])
    e = np.array([[1, 0, 1]])
    with pytest.raises(DataValidationError, match="times must be finite and ≥ 0"):
        batch_cox_arrays(-t, e, np.zeros((1, 3, 1)))
    with pytest.raises(DataValidationError, match="covariates must be finite"):
        batch_cox_arrays(t, e, np.full((1, 3, 1), np.nan))
    with pytest.raises(DataValidationError, match="X must have shape"):
        batch_cox_arrays(t, e, np.zeros((1, 4, 1)))
    with pytest.raises(DataValidationError, match="weights must be finite and ≥ 0"):
        batch_cox_arrays(t, e, np.zeros((1, 3, 1)), weights=-np.ones((1, 3)))
    with pytest.raises(DataValidationError, match="frequency weights must be whole numbers"):
        batch_cox_arrays(np.array([[1.0, 1.0, 2.0]]), np.ones((1, 3)), np.array([0.0, 1.0, 0.0]),
                  weights=np.array([[1.5, 1.0, 1.0]]))
    with pytest.raises(DataValidationError, match="X .the covariates. is required"):
        batch_cox_arrays(t, e, None)
    with pytest.raises(ParameterError, match="The 'ties' parameter of batch_cox"):
        batch_cox_arrays(t, e, np.zeros((1, 3, 1)), ties="exact")
    with pytest.raises(DataValidationError, match="strata must be integer codes"):
        batch_cox_arrays(t, e, np.zeros((1, 3, 1)), strata=np.array([[0, -1, 0]]))


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_loglik_at_given_coefficients_equals_engine(rng, ties):
    """batch_cox_loglik = cox_derivatives(prepare_cox_data(...), beta)[0] per replicate
    (used for rms' unreliability index U at slope 1); shared times, per-replicate X."""
    from ctcstats.batch.cox import batch_cox_loglik
    from ctcstats.survival._core.cox import cox_derivatives, prepare_cox_data

    time, event, x, _ = _simulate(rng, 4, 160, 2)
    beta = rng.normal(size=(4, 2))
    ll = batch_cox_loglik(time[0], event[0], x, beta, ties=ties, timefix=False)
    for r in range(4):
        ref = cox_derivatives(prepare_cox_data(x[r], time[0], event[0]), beta[r], ties)[0]
        assert_allclose(ll[r], ref, rtol=RTOL)


def test_singular_and_maybe_infinite_flags_equal_engine(rng):
    """The per-coefficient flags equal fit_cox_arrays' (collinear column → singular; a
    binary covariate whose level 1 has no events → maybe infinite)."""
    time, event, x, _ = _simulate(rng, 2, 150, 2)
    x = np.concatenate([x, 2 * x[:, :, 1:2]], axis=2)  # collinear third column
    x[1, :, 0] = np.where(event[1], 0.0, x[1, :, 0])  # no events where x0 = 1
    res = batch_cox_arrays(time, event, x)
    for r in range(2):
        eng = fit_cox_arrays(x[r], time[r], event[r])
        np.testing.assert_array_equal(res.singular[r], eng.singular)
        np.testing.assert_array_equal(res.maybe_infinite[r], eng.maybe_infinite)
    assert res.singular[:, 2].all() and res.maybe_infinite[1, 0]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_indicator_covariates_counted_per_pattern_equal_rows(rng, monkeypatch, ties):
    """0/1 covariates (the marker, category indicators) take the numpy path's per-pattern route (risk
    sets as counts per covariate pattern); it equals the row-wise path and fit_cox, with
    strata, bootstrap counts and many ties (including the stragglers' re-layout)."""
    import ctcstats.batch.cox as bc

    n = 200
    cat = rng.integers(0, 3, n)
    x = np.column_stack([rng.random(n) < 0.3, cat == 1, cat == 2]).astype(float)
    t = np.round(rng.exponential(8 / np.exp(0.7 * x[:, 0] + 0.4 * x[:, 1])), 0) + 1
    c = rng.uniform(2, 20, n)
    time, event, strata = np.minimum(t, c).round(0), t <= c, rng.integers(0, 2, n)
    idx = rng.integers(0, n, (6, n))
    counts = np.stack([np.bincount(i, minlength=n) for i in idx]).astype(float)
    res = batch_cox_arrays(time, event, x, strata=strata, weights=counts, ties=ties,
                           engine="numpy")
    monkeypatch.setattr(bc, "_MAX_PATTERN_COVARIATES", 0)
    rows = batch_cox_arrays(time, event, x, strata=strata, weights=counts, ties=ties,
                            engine="numpy")
    assert_allclose(res.coef, rows.coef, rtol=1e-10, atol=1e-13)
    assert_allclose(res.var, rows.var, rtol=1e-10, atol=1e-15)
    assert_allclose(res.loglik, rows.loglik, rtol=1e-12)
    base = _frame(time, event, x, strata)
    for r in range(6):
        _check_against_fit_cox(res, r, base.iloc[idx[r]], 3, ties, strata_col="s")
