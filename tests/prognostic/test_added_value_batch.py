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


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_baseline_hazard_curve_and_validation_replicates(ties):
    """The compiled baseline curve of a resample equals the reference, and validate_model's
    replicate models built with it equal those built by prepare_cox_data."""
    import ctcstats.prognostic.validation as V
    from ctcstats.prognostic.added_value_jit import baseline_hazard_curve, time_order
    from ctcstats.prognostic.models import CoxModel
    from ctcstats.survival._core.cox import baseline_hazard, linear_predictor

    df = _cohort(6, 250)
    names = ["age", "node_positive", "ctc_positive"]
    Xa = df[names].to_numpy(float)
    tt, ev = df["os_months"].to_numpy(float), df["os_event"].to_numpy()
    g = np.random.default_rng(8)
    order = time_order(tt)
    for _ in range(4):
        ib = g.integers(0, len(df), len(df))
        rows = np.sort(ib)
        coef = g.normal(0, 0.3, 3)
        d = prepare_cox_data(Xa[rows], tt[rows], ev[rows])
        want = baseline_hazard(d, coef, ties)
        got = baseline_hazard_curve(order, tt, ev, np.bincount(ib, minlength=len(df)),
                                    linear_predictor(Xa - d.means, coef), ties)
        assert np.array_equal(got[0], want[0])
        assert_allclose(got[1], want[1], rtol=1e-12, atol=0)
        fit = batch_cox_arrays(tt[ib], ev[ib], Xa[ib], ties=ties)
        arrays = {k: getattr(fit, k)[0] for k in ("coef", "std_error", "var", "loglik",
                                                   "loglik_null", "n_iter", "converged",
                                                   "singular", "maybe_infinite")}
        model = CoxModel(ties=ties)
        (m1, tr1), _, _ = V._boot_train_one(model, names, Xa, tt, ev, 24.0, ib, arrays, order)
        (m0, tr0), _, _ = V._boot_train_one(model, names, Xa, tt, ev, 24.0, ib, arrays)
        assert np.array_equal(m1.means_, m0.means_)
        assert np.array_equal(m1.baseline_times_, m0.baseline_times_)
        assert_allclose(m1.baseline_cumulative_hazard_, m0.baseline_cumulative_hazard_,
                        rtol=1e-12, atol=0)
        assert np.array_equal(tr1, tr0, equal_nan=True)


def test_validation_batch_train_concordance_bitwise():
    """validate_model's batch path takes each replicate's C from one compiled sweep: the
    training and test indexes equal the per-replicate evaluation bit for bit."""
    from joblib import Parallel

    import ctcstats.prognostic.validation as V
    from ctcstats.prognostic.models import CoxModel

    df = _cohort(9, 200)
    X = df[["age", "node_positive", "ctc_positive"]]
    tt, ev = df["os_months"].to_numpy(float), df["os_event"].to_numpy()
    idx = np.random.default_rng(4).integers(0, len(df), (8, len(df)))
    par = Parallel(n_jobs=1)
    model = CoxModel()
    Xa, out, c_test, counts, S, SO = V._boot_batch_train(model, X, tt, ev, 24.0, idx, par)
    assert np.array_equal(np.sort(S, axis=1), np.take_along_axis(S, SO, axis=1))
    assert np.array_equal(counts, np.stack([np.bincount(i, minlength=len(df)) for i in idx]))
    fit = batch_cox_arrays(tt, ev, Xa, weights=np.stack(
        [np.bincount(i, minlength=len(df)) for i in idx]).astype(float), frequency=True)
    for r, ((m, train), _, err) in enumerate(out):
        assert err is None
        arrays = {k: getattr(fit, k)[r] for k in ("coef", "std_error", "var", "loglik",
                                                   "loglik_null", "n_iter", "converged",
                                                   "singular", "maybe_infinite")}
        (_, ref), _, _ = V._boot_train_one(model, list(X.columns), Xa, tt, ev, 24.0, idx[r],
                                           arrays)
        assert np.array_equal(train, ref, equal_nan=True)
        assert np.array_equal(S[r], m.predict(Xa))  # reused for the resample and all patients
        assert np.array_equal(S[r][idx[r]], m.predict(Xa[idx[r]]))
        test = V._evaluate(m, Xa, tt, ev, 24.0, own=False, horizon=False)
        fast = V._evaluate(m, Xa, tt, ev, 24.0, own=False, horizon=False,
                           c_index=float(c_test[r]))
        assert np.array_equal(test, fast, equal_nan=True)


def test_weighted_aucs_kernel_equals_numpy_reference():
    from ctcstats.prognostic.added_value_jit import weighted_aucs

    g = np.random.default_rng(12)
    B, n = 7, 300
    R = np.round(g.random((B, n)), 2)  # tied risks
    WC = np.where(g.random((B, n)) < 0.3, g.random((B, n)) * 3, 0.0)
    WK = np.where(WC == 0, g.integers(0, 3, (B, n)) * 1.7, 0.0)
    WC[3] = 0.0  # no cases: NaN
    got = weighted_aucs(R, WC, WK)
    assert np.isnan(got[3])
    for b in (0, 1, 2, 4, 5, 6):
        assert_allclose(got[b], A._weighted_auc(R[b], WC[b], WK[b]), rtol=1e-12)


def test_horizon_curves_kernel_bitwise_equal_survival_core():
    """HorizonLayout's compiled KM / reverse-KM values equal the survival core's curves."""
    from ctcstats.prognostic.reclassification import HorizonLayout
    from ctcstats.survival._core.curves import censoring_curve, kaplan_meier_curve

    df = _cohort(10, 300)
    tt, ev = df["os_months"].to_numpy(float), df["os_event"].to_numpy()
    g = np.random.default_rng(13)
    W = np.stack([np.bincount(g.integers(0, 300, 300), minlength=300) for _ in range(6)])
    W = W.astype(float) * (g.random((6, 300)) < 0.7)  # subsets, as W * up
    W[2] = 0.0  # no weight: NaN
    for t in (0.5, 24.0, 60.0, 1e9):
        lay = HorizonLayout(tt, ev, t)
        km, (wc, wk) = lay.km(W), lay.ipcw(W)
        want_km = np.where(W.sum(axis=1) > 0,
                           kaplan_meier_curve(tt, ev, weights=W).at(t), np.nan)
        assert np.array_equal(km, want_km, equal_nan=True)
        lay.compiled = False
        ref = lay.ipcw(W)
        assert np.array_equal(lay.km(W), km, equal_nan=True)
        assert np.array_equal(wc, ref[0], equal_nan=True)
        assert np.array_equal(wk, ref[1], equal_nan=True)
        G = censoring_curve(tt, ev, ties="events_first", weights=W)
        assert G.at([t]).shape == (6, 1)


def test_shared_unit_weights_and_one_sort_give_the_same_bits():
    """The test sample (each patient once) as one row of weights shared by every replicate,
    the curves computed once (HorizonLayout.curves) and each risk row sorted once for both
    weightings (horizon_metrics_sets): bitwise the values of separate calls with a full
    (B, n) array of ones, as added_value and validate_model computed them before."""
    from ctcstats.prognostic.added_value_jit import weighted_aucs
    from ctcstats.prognostic.reclassification import HorizonLayout, reclassification_measures

    df = _cohort(11, 400)
    tt, ev = df["os_months"].to_numpy(float), df["os_event"].to_numpy()
    g = np.random.default_rng(14)
    B, n = 9, 400
    W = np.stack([np.bincount(g.integers(0, n, n), minlength=n) for _ in range(B)]).astype(float)
    rb, rf = np.round(g.random((B, n)), 3), np.round(g.random((B, n)), 3)  # tied risks
    ones, full = np.ones((1, n)), np.ones((B, n))
    lay = HorizonLayout(tt, ev, 24.0)
    for w in (W, ones):
        km, wc, wk = lay.curves(w)
        assert np.array_equal(km, lay.km(w))
        for a, b in zip((wc, wk), lay.ipcw(w), strict=True):
            assert np.array_equal(a, b)
    assert np.array_equal(lay.curves(ones)[1][0], lay.curves(full)[1][3])
    a_w, a_1 = A.horizon_metrics_sets(lay, [(W, None), (ones, lay.curves(ones))], rb, rf)
    assert np.array_equal(a_w, A.horizon_metrics(lay, W, rb, rf), equal_nan=True)
    assert np.array_equal(a_1, A.horizon_metrics(lay, full, rb, rf), equal_nan=True)
    one = A.horizon_metrics_sets(lay, [(W, None), (ones, None)], rb, rb)
    for got, w in zip(one, (W, full), strict=True):
        want = A.horizon_metrics(lay, w, rb, rb.copy())  # the model twice, computed twice
        assert np.array_equal(got, want, equal_nan=True)
    wc1, wk1 = lay.ipcw(ones)
    wcf, wkf = lay.ipcw(full)
    assert np.array_equal(weighted_aucs(rb, wc1, wk1), weighted_aucs(rb, wcf, wkf))
    up, down = A._up_down(rb, rf, ())
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.array_equal(reclassification_measures(lay, ones, up, down, rb, rf),
                              reclassification_measures(lay, full, up, down, rb, rf),
                              equal_nan=True)
    with pytest.raises(ValueError, match="one row"):
        weighted_aucs(rb, wc1[:, :5], wk1[:, :5].repeat(2, axis=0))


def test_varies_is_unique_size_above_one():
    from ctcstats.prognostic.validation import _varies

    cases = [[], [1.0], [2.0, 2.0], [0.0, -0.0], [1.0, 2.0], [np.nan, np.nan],
             [np.nan, 1.0], [1.0, 1.0, np.nan], [np.inf, np.inf], [-np.inf, np.inf],
             np.arange(1000.0)]
    for x in cases:
        x = np.asarray(x, float)
        assert _varies(x) == (np.unique(x).size > 1), x


def test_fused_ipcw_divisions_as_numpy_where_the_censoring_curve_reaches_zero():
    """The compiled IPCW weights divide in the curve's sweep (horizon_ipcw); where G is 0
    (every patient still at risk censored, the later case / control of weight 0) numpy
    gives 0/0 = NaN and numba would raise — the kernel gives numpy's values."""
    from ctcstats.prognostic.reclassification import HorizonLayout

    tt = np.array([1.0, 2.0, 3.0, 4.0, 0.5])
    ev = np.array([0, 0, 1, 0, 1])
    W = np.array([[1.0, 1.0, 0.0, 0.0, 1.0], [1.0, 2.0, 1.0, 3.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0]])
    for t in (2.5, 3.5):
        lay = HorizonLayout(tt, ev, t)
        got = lay.curves(W)
        assert np.isnan(got[1][0, 2]) or np.isnan(got[2][0]).any()  # a 0/0 is met
        lay.compiled = False
        with np.errstate(divide="ignore", invalid="ignore"):
            want = lay.curves(W)
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("p", [1, 2, 3, 5, 7, 8, 12])
def test_centred_lp_bitwise_linear_predictor(p):
    """The compiled linear predictor of the bootstrap paths adds each row's terms in
    numpy's order: bitwise linear_predictor(x - means, beta) — up to 7 columns compiled,
    wider designs (numpy sums 8+ terms in blocks) and non-contiguous input take
    linear_predictor itself. Signed zeros included (a row at the means, β < 0)."""
    from ctcstats.prognostic.added_value_jit import LP_MAX_COLS, centred_lp
    from ctcstats.survival._core.cox import linear_predictor

    g = np.random.default_rng(20 + p)
    n = 5000
    x = g.normal(size=(n, p)) * g.choice([1e-3, 1.0, 1e3], size=p)
    x[:, : p // 2] = np.round(x[:, : p // 2])  # 0/1-like and integer columns
    means = x.mean(axis=0)
    x[0] = means  # every term (0.0 · β) — the row's sign of zero must be numpy's
    beta = -np.abs(g.normal(size=p))
    for xx in (x, np.asfortranarray(x)):
        want = linear_predictor(xx - means, beta)  # (8+ columns: depends on the layout)
        for got in (centred_lp(xx, means, beta),
                    centred_lp(xx, means, beta, xc=np.ascontiguousarray(xx))):
            assert np.array_equal(got, want)
            assert np.array_equal(np.signbit(got), np.signbit(want))
    out = np.full(n, np.nan)
    assert centred_lp(x, means, beta, out=out) is out
    assert np.array_equal(out, linear_predictor(x - means, beta))
    assert LP_MAX_COLS == 7


def test_gini_from_a_sorted_predictor_bitwise():
    """validate_model's batch path sorts each replicate's linear predictor once (the argsort
    of its C) and takes Gini's mean difference of the resample (repeated by case counts)
    and of slope · lp (order kept for slope > 0, reversed for slope < 0) from it: bitwise
    gini_md of the unsorted values."""
    from ctcstats.prognostic.validation import _gini_scaled, _gini_sorted, gini_md

    g = np.random.default_rng(30)
    x = np.round(g.normal(size=3000), 2)  # ties
    x[:5] = 0.0
    o = np.argsort(x)
    counts = np.bincount(g.integers(0, 3000, 3000), minlength=3000)
    res = np.repeat(x, counts)
    assert _gini_sorted(np.repeat(x[o], counts[o])) == gini_md(res)
    for slope in (0.73, 1.0, -0.41, 0.0, np.nan):
        want, got = gini_md(slope * x), _gini_scaled(slope, x[o])
        assert got == want or (np.isnan(got) and np.isnan(want)), slope
