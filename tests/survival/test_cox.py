"""fit_cox / fit_piecewise_cox: oracle (lifelines), invariances, bad input, numerical trouble."""

from __future__ import annotations

import time as _time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ctcstats.errors import (
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
)
from ctcstats.survival._core.concordance import concordance
from ctcstats.survival._core.cox import (
    cox_derivatives,
    fit_cox_arrays,
    prepare_cox_data,
)
from ctcstats.survival.cox import CoxResult, PHTestResult, fit_cox, fit_piecewise_cox
from tests.reference._load import load_input

KW = dict(time_col="time", event_col="status")


def _cohort(rng, n=200, step=1.0):
    x = rng.normal(size=n)
    g = rng.integers(0, 2, size=n)
    t = rng.exponential(30 / np.exp(0.5 * x + 0.6 * g))
    c = rng.uniform(5, 80, size=n)
    return pd.DataFrame({
        "time": np.maximum(np.round(np.minimum(t, c) / step) * step, step),
        "status": (t <= c).astype(int), "x": x, "ctc_positive": g,
        "centre": rng.choice(["A", "B", "C"], size=n), "stage": rng.choice(["I", "II"], size=n),
    })


# --------------------------------------------------------------------------- oracle
def test_efron_matches_lifelines_rossi():
    """lifelines CoxPHFitter (Efron, no strata) is an independent implementation."""
    from lifelines import CoxPHFitter

    df = load_input("cox", "rossi")
    cov = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    res = fit_cox(df, time_col="week", event_col="arrest", covariates=cov)
    cph = CoxPHFitter().fit(df, "week", "arrest")
    # lifelines stops on its own criterion (step size < 1e-7), hence 1e-5
    assert_allclose(res.table["coef"], cph.params_[cov], rtol=1e-5)
    assert_allclose(res.table["std_error"], cph.standard_errors_[cov], rtol=1e-5)
    assert_allclose(res.loglik, cph.log_likelihood_, rtol=1e-8)
    assert_allclose(res.concordance, cph.concordance_index_, rtol=1e-8)


def test_efron_matches_lifelines_synthetic_ties(rng):
    from lifelines import CoxPHFitter

    df = _cohort(rng, 300, step=2.0)
    res = fit_cox(df, covariates=["x", "ctc_positive"], **KW)
    cph = CoxPHFitter().fit(df[["time", "status", "x", "ctc_positive"]], "time", "status")
    assert_allclose(res.table["coef"], cph.params_[["x", "ctc_positive"]], rtol=1e-5)
    assert_allclose(res.table["std_error"], cph.standard_errors_[["x", "ctc_positive"]],
                    rtol=1e-5)


def test_derivatives_are_consistent(rng):
    """Score and information equal numerical derivatives of the log-likelihood (strata,
    (start, stop], weights, offset, both tie methods)."""
    n = 200
    X = rng.normal(size=(n, 2))
    t = np.round(rng.exponential(5, n)) + 1
    start = np.where(rng.random(n) < 0.5, 0.0, t * 0.5)
    ev = rng.random(n) < 0.7
    for ties in ("efron", "breslow"):
        d = prepare_cox_data(X, t, ev, start=start, strata=rng.integers(0, 2, n),
                             weights=rng.uniform(0.5, 2, n), offset=0.1 * rng.normal(size=n))
        b = np.array([0.3, -0.2])
        _, u, info = cox_derivatives(d, b, ties)
        h = 1e-5
        num_u = [(cox_derivatives(d, b + h * e, ties)[0] - cox_derivatives(d, b - h * e, ties)[0])
                 / (2 * h) for e in np.eye(2)]
        num_i = [-(cox_derivatives(d, b + h * e, ties)[1] - cox_derivatives(d, b - h * e, ties)[1])
                 / (2 * h) for e in np.eye(2)]
        assert_allclose(u, num_u, rtol=1e-6, atol=1e-6)  # central differences: O(h^2)
        assert_allclose(info, num_i, rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- invariances
def test_row_order_invariance_including_robust(rng):
    df = _cohort(rng, 250, step=3.0)
    kw = dict(covariates=["x", "ctc_positive", "stage"], strata_col="centre", **KW)
    a = fit_cox(df, cluster_col="centre", **{k: v for k, v in kw.items() if k != "strata_col"})
    perm = df.sample(frac=1.0, random_state=3)
    b = fit_cox(perm, cluster_col="centre", **{k: v for k, v in kw.items() if k != "strata_col"})
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-10)
    c = fit_cox(df, robust=True, **kw)
    d = fit_cox(perm, robust=True, **kw)
    pd.testing.assert_frame_equal(c.table, d.table, rtol=1e-10)
    assert_allclose([c.loglik, c.concordance, c.concordance_std_error],
                    [d.loglik, d.concordance, d.concordance_std_error], rtol=1e-10)
    pd.testing.assert_frame_equal(c.ph_test().table, d.ph_test().table, rtol=1e-10)


def test_input_unchanged(rng):
    df = _cohort(rng)
    before = df.copy()
    fit_cox(df, covariates=["x", "stage"], strata_col="centre", robust=True, **KW)
    fit_piecewise_cox(df, covariates=["x", "stage"], split_at=[20], **KW)
    pd.testing.assert_frame_equal(df, before)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(30, 120))
def test_properties(seed, n):
    """CIs contain the estimate; concordance in [0, 1]; LR statistic ≥ 0; shuffling
    changes nothing."""
    rng = np.random.default_rng(seed)
    df = _cohort(rng, n, step=5.0)
    if df.status.sum() < 5 or df.ctc_positive.nunique() < 2:
        return
    if df.groupby("ctc_positive").status.sum().min() == 0:
        return
    res = fit_cox(df, covariates=["x", "ctc_positive"], **KW)
    tab = res.table
    assert np.all(tab.ci_lower <= tab.hr) and np.all(tab.hr <= tab.ci_upper)
    assert 0.0 <= res.concordance <= 1.0
    assert res.lr_statistic >= -1e-9
    shuffled = fit_cox(df.iloc[rng.permutation(n)], covariates=["x", "ctc_positive"], **KW)
    assert_allclose(shuffled.table["coef"], tab["coef"], rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- result shape
def test_result_fields_and_lr_test(rng):
    df = _cohort(rng)
    res = fit_cox(df, covariates=["x", "stage"], **KW)
    assert isinstance(res, CoxResult)
    assert res.table.index.name == "term"
    assert list(res.table.index) == ["x", "stage[II]"]
    assert list(res.table.columns) == ["coef", "std_error", "hr", "ci_lower", "ci_upper", "z",
                                       "p_value"]
    assert res.n_obs == 200 and res.n_dropped == 0 and res.n_events == df.status.sum()
    assert res.ties == "efron" and res.robust is False and res.conf_level == 0.95
    assert res.lr_df == 2
    assert_allclose(res.lr_statistic, 2 * (res.loglik - res.loglik_null))
    d = res.to_dict()
    assert d["result"] == "CoxResult" and "_data" not in d
    assert "Cox proportional-hazards regression" in str(res)
    assert "<table" in res._repr_html_()
    robust = fit_cox(df, covariates=["x"], robust=True, **KW)
    assert "std_error_naive" in robust.table.columns and robust.robust


def test_conf_level_changes_interval(rng):
    df = _cohort(rng)
    a = fit_cox(df, covariates=["x"], conf_level=0.9, **KW).table
    b = fit_cox(df, covariates=["x"], conf_level=0.99, **KW).table
    assert a.ci_upper.iloc[0] < b.ci_upper.iloc[0]
    zq = 1.6448536269514722
    assert_allclose(np.log(a.ci_upper), a.coef + zq * a.std_error, rtol=1e-10)


def test_missing_drop_counts(rng):
    df = _cohort(rng)
    df.loc[[3, 17], "x"] = np.nan
    with pytest.raises(DataValidationError, match=r"covariates 'x' has 2 missing values"):
        fit_cox(df, covariates=["x"], **KW)
    res = fit_cox(df, covariates=["x"], missing="drop", **KW)
    assert res.n_obs == 198 and res.n_dropped == 2


# --------------------------------------------------------------------------- bad input
def test_bad_input_messages(rng):
    df = _cohort(rng, 60)
    with pytest.raises(DataValidationError, match=r"covariates 'nope' is not a column"):
        fit_cox(df, covariates=["nope"], **KW)
    bad = df.copy()
    bad.loc[5, "status"] = 2
    with pytest.raises(DataValidationError, match=r"event_col 'status' must contain only 0/1"):
        fit_cox(bad, covariates=["x"], **KW)
    bad = df.copy()
    bad.loc[7, "time"] = -1.0
    with pytest.raises(DataValidationError, match=r"time_col 'time' has 1 negative value"):
        fit_cox(bad, covariates=["x"], **KW)
    bad = df.assign(k=3.0)
    with pytest.raises(DataValidationError, match=r"covariate 'k' is constant"):
        fit_cox(bad, covariates=["x", "k"], **KW)
    with pytest.raises(DataValidationError, match=r"no events"):
        fit_cox(df.assign(status=0), covariates=["x"], **KW)
    with pytest.raises(ParameterError, match=r"The 'ties' parameter of fit_cox"):
        fit_cox(df, covariates=["x"], ties="exact", **KW)
    with pytest.raises(ParameterError, match=r"The 'penalizer' parameter of fit_cox"):
        fit_cox(df, covariates=["x"], penalizer=-1, **KW)
    with pytest.raises(ParameterError, match=r"list of column names"):
        fit_cox(df, covariates="x", **KW)
    with pytest.raises(ParameterError, match=r"at least one column"):
        fit_cox(df, covariates=[], **KW)
    with pytest.raises(ParameterError, match=r"names a column twice"):
        fit_cox(df, covariates=["x", "x"], **KW)
    with pytest.raises(ParameterError, match=r"'conf_level' parameter of fit_cox"):
        fit_cox(df, covariates=["x"], conf_level=95, **KW)
    with pytest.raises(ParameterError, match=r"cannot be combined"):
        fit_cox(df, covariates=["x"], firth=True, robust=True, **KW)


def test_collinear_covariates_reported(rng):
    df = _cohort(rng).assign(x2=lambda d: 2 * d.x)
    with pytest.warns(DataWarning, match="collinear"):
        res = fit_cox(df, covariates=["x", "x2"], **KW)
    assert np.isnan(res.table.loc["x2", "coef"]) and np.isnan(res.table.loc["x2", "std_error"])
    assert np.isfinite(res.table.loc["x", "coef"])
    assert any("collinear" in w for w in res.warnings)


# --------------------------------------------------------------------------- monotone likelihood
def test_monotone_likelihood_warns_and_suggests_firth(rng):
    df = _cohort(rng, 120)
    df.loc[df.ctc_positive == 1, "status"] = 0  # no events among marker-positive patients
    with pytest.warns(MonotoneLikelihoodWarning, match="firth=True") as rec:
        res = fit_cox(df, covariates=["x", "ctc_positive"], **KW)
    assert any("ctc_positive = 1" in w and "firth=True" in w for w in res.warnings)
    assert res.table.loc["ctc_positive", "coef"] < -5
    # R's coxph would also stop with a coefficient heading to -inf: it either warns that
    # the loglik converged before the variable or that it ran out of iterations
    assert all(issubclass(w.category, (MonotoneLikelihoodWarning, ConvergenceWarning))
               for w in rec)


def test_firth_is_wired(rng):
    df = _cohort(rng, 120)
    df.loc[df.ctc_positive == 1, "status"] = 0
    res = fit_cox(df, covariates=["x", "ctc_positive"], firth=True, ties="breslow", **KW)
    assert res.firth
    tab = res.table
    assert np.all(np.isfinite(tab["coef"])) and tab.loc["ctc_positive", "coef"] < 0
    assert np.all(tab.ci_lower <= tab.hr) and np.all(tab.hr <= tab.ci_upper)


# --------------------------------------------------------------------------- piecewise
def test_piecewise_episode_split_matches_survsplit():
    """An event exactly at the cut belongs to the first period, as survSplit's (0, 60]."""
    from ctcstats.survival.cox import split_episodes

    row, period, start, stop, ev = split_episodes(np.array([30.0, 60.0, 90.0, 0.0]),
                                                  np.array([1, 1, 0, 1]), [60.0])
    assert row.tolist() == [0, 1, 2, 2, 3]
    assert period.tolist() == [0, 0, 0, 1, 0]
    assert stop.tolist() == [30.0, 60.0, 60.0, 90.0, 0.0]
    assert ev.tolist() == [1, 1, 0, 0, 1]
    assert start[3] == 60.0 and np.isneginf(start[0])


def test_piecewise_names_and_errors(rng):
    df = _cohort(rng, 300)
    res = fit_piecewise_cox(df, covariates=["ctc_positive", "x"], piecewise=["ctc_positive"],
                            split_at=[20.0], **KW)
    assert list(res.table.index) == ["ctc_positive@(0,20]", "ctc_positive@(20,inf)", "x"]
    assert res.split_at == (20.0,) and res.n_obs == 300
    with pytest.raises(DataValidationError, match=r"no events in period\(s\) \(500,inf\)"):
        fit_piecewise_cox(df, covariates=["x"], split_at=[500.0], **KW)
    with pytest.raises(ParameterError, match=r"'split_at' parameter of fit_piecewise_cox"):
        fit_piecewise_cox(df, covariates=["x"], split_at=[30, 10], **KW)
    with pytest.raises(ParameterError, match=r"'piecewise' parameter"):
        fit_piecewise_cox(df, covariates=["x"], piecewise=["age"], **KW)


def test_piecewise_single_period_equals_fit_cox(rng):
    """With one covariate not split, the split data give exactly the unsplit model."""
    df = _cohort(rng, 200)
    a = fit_cox(df, covariates=["x", "ctc_positive"], **KW)
    b = fit_piecewise_cox(df, covariates=["x", "ctc_positive"], piecewise=[], split_at=[15], **KW)
    assert_allclose(b.table["coef"], a.table["coef"], rtol=1e-10)
    assert_allclose(b.loglik, a.loglik, rtol=1e-12)
    assert_allclose(b.concordance, a.concordance, rtol=1e-12)


# --------------------------------------------------------------------------- ph_test, plot
def test_ph_test_result_shape(rng):
    df = _cohort(rng)
    ph = fit_cox(df, covariates=["x", "stage"], **KW).ph_test()
    assert isinstance(ph, PHTestResult)
    assert list(ph.table.columns) == ["term", "statistic", "df", "p_value"]
    assert list(ph.table["term"]) == ["x", "stage", "GLOBAL"]
    assert ph.df == 2


def test_forest_plot_draws_each_term(rng):
    df = _cohort(rng)
    res = fit_cox(df, covariates=["x", "ctc_positive", "stage"], **KW)
    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "ctc_positive", "stage[II]"]
    assert ax.get_xscale() == "log"
    (ci,) = [c for c in ax.collections if c.get_gid() == "cox-ci"]
    segs = ci.get_segments()
    assert len(segs) == 3
    assert_allclose(segs[0][:, 0], res.table.loc["x", ["ci_lower", "ci_upper"]].to_numpy(float))
    (hr,) = [ln for ln in ax.lines if ln.get_gid() == "cox-hr"]
    assert_allclose(hr.get_xdata(), res.table["hr"])
    labels = [t for t in ax.texts if t.get_gid() == "cox-label"]
    assert len(labels) == 3 and labels[0].get_text().startswith(f"{res.table.hr.iloc[0]:.2f}")


def test_concordance_definition_small():
    """Hand count: times 1,2,3 events, 4 censored; lp 3,2,1,0 → all 6 pairs concordant."""
    c, se, counts = concordance(np.array([3.0, 2.0, 1.0, 0.0]), np.array([1.0, 2, 3, 4]),
                                np.array([1, 1, 1, 0]))
    assert c == 1.0 and counts.tolist() == [6, 0, 0, 0, 0]
    c, _, counts = concordance(np.array([1.0, 1.0, 0.0]), np.array([1.0, 2, 3]),
                               np.array([1, 1, 0]))
    assert counts.tolist() == [2, 0, 1, 0, 0] and c == pytest.approx(2.5 / 3)


# --------------------------------------------------------------------------- performance
def test_engine_handles_100k_rows_quickly(rng):
    n = 100_000
    X = rng.normal(size=(n, 3))
    t = np.round(rng.exponential(10 / np.exp(X @ [0.3, -0.2, 0.1])), 1) + 0.1
    ev = rng.random(n) < 0.6
    t0 = _time.perf_counter()
    fit = fit_cox_arrays(X, t, ev)
    c, se, _ = concordance(fit.linear_predictor, t, ev)
    elapsed = _time.perf_counter() - t0
    assert fit.converged and 0.5 < c < 1 and se > 0
    assert_allclose(fit.coef, [0.3, -0.2, 0.1], atol=0.03)
    assert elapsed < 15.0  # ~1.5 s on the 2-core reference machine
