"""Units do not change answers (DESIGN.md §4, issue 13).

Rescaling a covariate rescales its coefficient (and its standard error) and changes nothing
else, in every model: Cox (strata, robust/cluster, ridge, Firth), Fine–Gray, the batch engine,
the count models and the IPCW logistic model. Rescaling time changes no test statistic, hazard
ratio or survival estimate (times are merged as ties only relative to the time scale).
Property tests, derandomised (tests/conftest.py), small data so the suite stays fast.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.batch import batch_cox_arrays

SCALES = st.sampled_from([1e-8, 1e-3, 7.0, 1e6])
TIME_SCALES = st.sampled_from([1e-9, 1e-4, 1e4, 1e9])
RTOL = 1e-7  # the same iterations on differently rounded numbers
PROPS = settings(max_examples=12, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def _cohort(seed: int, n: int = 120) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    age = g.normal(60, 9, n)
    ctc = (g.random(n) < 0.4).astype(int)
    size = g.gamma(2.0, 1.2, n)
    t = g.exponential(30 / np.exp(0.6 * ctc + 0.03 * (age - 60) + 0.2 * size))
    c = g.uniform(5, 60, n)
    return pd.DataFrame({
        "time": np.round(np.minimum(t, c), 1) + 0.1, "event": (t <= c).astype(int),
        "age": age, "ctc": ctc, "size": size, "centre": g.integers(0, 4, n),
        "cause": np.where(t <= c, g.integers(1, 3, n), 0),
        "count": g.poisson(np.exp(0.3 + 0.4 * ctc + 0.02 * (age - 60))),
    })


def _quiet(fn, *a, **k):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*a, **k)
    return out, sorted(str(w.message) for w in caught)


# --------------------------------------------------------------------------- covariates
COX_OPTIONS = [
    dict(),
    dict(ties="breslow", strata_col="centre"),
    dict(cluster_col="centre"),
    dict(robust=True, ties="breslow"),
    dict(penalizer=0.7),
    dict(firth=True),
]


@PROPS
@given(SCALES, st.sampled_from(["age", "size"]), st.sampled_from(range(len(COX_OPTIONS))),
       st.integers(0, 3))
def test_cox_covariate_units(scale, col, opt, seed):
    df = _cohort(seed)
    kw = dict(time_col="time", event_col="event", covariates=["ctc", "age", "size"],
              **COX_OPTIONS[opt])
    base, wb = _quiet(cs.fit_cox, df, **kw)
    scaled, ws = _quiet(cs.fit_cox, df.assign(**{col: df[col] * scale}), **kw)
    f = np.where(base.table.index == col, scale, 1.0)
    assert_allclose(scaled.table["coef"] * f, base.table["coef"], rtol=RTOL)
    assert_allclose(scaled.table["std_error"] * f, base.table["std_error"], rtol=RTOL)
    # (hr and its limits are exp(coef ± z se): per unit of a tiny unit they may overflow)
    for c in ("z", "p_value"):
        assert_allclose(scaled.table[c], base.table[c], rtol=1e-6, atol=1e-12)
    for a in ("loglik", "loglik_null", "lr_statistic", "concordance",
              "concordance_std_error"):
        assert_allclose(getattr(scaled, a), getattr(base, a), rtol=RTOL)
    assert scaled.n_iter == base.n_iter and ws == wb


@PROPS
@given(SCALES, st.integers(0, 3))
def test_cox_true_collinearity_is_still_found_at_any_scale(scale, seed):
    """A column that is a linear combination of the others is reported whatever its unit;
    a column in a tiny unit is not."""
    df = _cohort(seed)
    df["age2"] = (2.0 * df["age"] - df["size"]) * scale
    with pytest.warns(cs.errors.DataWarning, match="collinear"):
        res = cs.fit_cox(df, time_col="time", event_col="event",
                         covariates=["age", "size", "age2"])
    assert np.isnan(res.table.loc["age2", "coef"])
    ok = cs.fit_cox(df.assign(age=df["age"] * scale), time_col="time", event_col="event",
                    covariates=["age", "size"])
    assert np.all(np.isfinite(ok.table["coef"]))


@PROPS
@given(SCALES, st.integers(0, 3), st.sampled_from([1, 2]))
def test_fine_gray_covariate_units(scale, seed, cause):
    df = _cohort(seed)
    kw = dict(time_col="time", event_col="cause", covariates=["ctc", "age"],
              event_of_interest=cause)
    base, wb = _quiet(cs.fit_fine_gray, df, **kw)
    scaled, ws = _quiet(cs.fit_fine_gray, df.assign(age=df["age"] * scale), **kw)
    f = np.array([1.0, scale])
    assert_allclose(scaled.table["coef"] * f, base.table["coef"], rtol=1e-6)
    assert_allclose(scaled.table["std_error"] * f, base.table["std_error"], rtol=1e-6)
    assert_allclose(scaled.table["p_value"], base.table["p_value"], rtol=1e-6)
    assert_allclose(scaled.loglik, base.loglik, rtol=1e-9)
    assert scaled.converged == base.converged and ws == wb


@PROPS
@given(SCALES, st.integers(0, 3))
def test_batch_cox_covariate_units(scale, seed):
    df = _cohort(seed)
    x = df[["ctc", "age"]].to_numpy(float)
    t, e = df["time"].to_numpy(), df["event"].to_numpy()
    W = np.random.default_rng(seed).integers(0, 3, (5, len(df))).astype(float)
    base = batch_cox_arrays(t, e, x, weights=W)
    scaled = batch_cox_arrays(t, e, x * [1.0, scale], weights=W)
    assert_allclose(scaled.coef * [1.0, scale], base.coef, rtol=RTOL)
    assert_allclose(scaled.std_error * [1.0, scale], base.std_error, rtol=RTOL)
    assert_allclose(scaled.loglik, base.loglik, rtol=RTOL)
    assert (scaled.converged == base.converged).all()


@PROPS
@given(SCALES, st.sampled_from(["poisson", "negbin", "zip", "hurdle_poisson"]),
       st.integers(0, 2))
def test_count_model_covariate_units(scale, kind, seed):
    df = _cohort(seed, n=200)
    df["count"] = np.where(np.random.default_rng(seed).random(len(df)) < 0.3, 0, df["count"])
    kw = dict(count_col="count", covariates=["ctc", "age"], kind=kind)
    if kind in ("zip", "hurdle_poisson"):
        kw["zero_covariates"] = ["age"]
    base, wb = _quiet(cs.fit_count_model, df, **kw)
    scaled, ws = _quiet(cs.fit_count_model, df.assign(age=df["age"] * scale), **kw)
    f = np.where(base.table["term"] == "age", scale, 1.0)
    assert_allclose(scaled.table["coef"] * f, base.table["coef"], rtol=1e-6, atol=1e-9)
    assert_allclose(scaled.table["std_error"] * f, base.table["std_error"], rtol=1e-6)
    assert_allclose(scaled.table["p_value"], base.table["p_value"], rtol=1e-5, atol=1e-12)
    assert_allclose(scaled.loglik, base.loglik, rtol=1e-9)
    if np.isfinite(base.theta):
        assert_allclose(scaled.theta, base.theta, rtol=1e-6)
    assert scaled.converged == base.converged and ws == wb


@PROPS
@given(SCALES, st.sampled_from([np.inf, 1.0]), st.integers(0, 3))
def test_ipcw_logistic_covariate_units(scale, C, seed):
    df = _cohort(seed)
    y = df[["time", "event"]]
    base = cs.IPCWLogisticModel(horizon=20.0, C=C).fit(df[["ctc", "age"]], y)
    X2 = df[["ctc", "age"]].assign(age=df["age"] * scale)
    scaled = cs.IPCWLogisticModel(horizon=20.0, C=C).fit(X2, y)
    assert_allclose(scaled.coef_ * [1.0, scale], base.coef_, rtol=1e-6, atol=1e-10)
    assert_allclose(scaled.intercept_, base.intercept_, rtol=1e-6, atol=1e-10)
    assert_allclose(scaled.predict_risk(X2), base.predict_risk(df[["ctc", "age"]]),
                    rtol=1e-7)


# --------------------------------------------------------------------------- time
@PROPS
@given(TIME_SCALES, st.integers(0, 3))
def test_time_units_change_no_estimate(scale, seed):
    df = _cohort(seed)
    sdf = df.assign(time=df["time"] * scale)
    km = cs.kaplan_meier(df, time_col="time", event_col="event", group_col="ctc")
    skm = cs.kaplan_meier(sdf, time_col="time", event_col="event", group_col="ctc")
    assert_allclose(skm.table["survival"], km.table["survival"], rtol=1e-12)
    assert_allclose(skm.table["time"], km.table["time"] * scale, rtol=1e-12)
    assert_allclose(skm.median["median"], km.median["median"] * scale, rtol=1e-12)
    lr = cs.logrank_test(df, time_col="time", event_col="event", group_col="ctc")
    slr = cs.logrank_test(sdf, time_col="time", event_col="event", group_col="ctc")
    assert_allclose(slr.statistic, lr.statistic, rtol=1e-10)
    kw = dict(event_col="event", covariates=["ctc", "age"], time_col="time")
    assert_allclose(cs.fit_cox(sdf, **kw).table["coef"], cs.fit_cox(df, **kw).table["coef"],
                    rtol=1e-10)
    ci = cs.cumulative_incidence(df, time_col="time", event_col="cause", group_col="ctc")
    sci = cs.cumulative_incidence(sdf, time_col="time", event_col="cause", group_col="ctc")
    assert_allclose(sci.table["cif"], ci.table["cif"], rtol=1e-12)
    assert_allclose(sci.gray_test.statistic, ci.gray_test.statistic, rtol=1e-9)
    fg = dict(time_col="time", event_col="cause", covariates=["ctc", "age"])
    assert_allclose(cs.fit_fine_gray(sdf, **fg).table["coef"],
                    cs.fit_fine_gray(df, **fg).table["coef"], rtol=1e-9)
    c = cs.concordance_index(df.assign(risk=df["ctc"] + df["age"] / 100), time_col="time",
                             event_col="event", risk_col="risk", method="uno", tau=30.0)
    sc = cs.concordance_index(sdf.assign(risk=df["ctc"] + df["age"] / 100), time_col="time",
                              event_col="event", risk_col="risk", method="uno",
                              tau=30.0 * scale)
    assert_allclose(sc.estimate, c.estimate, rtol=1e-12)
    assert_allclose(sc.std_error, c.std_error, rtol=1e-10)


@PROPS
@given(TIME_SCALES, st.integers(0, 3))
def test_near_ties_merge_the_same_at_any_time_scale(scale, seed):
    df = _cohort(seed, n=60)
    df.loc[3, "time"] = df.loc[4, "time"] * (1 + 1e-12)
    base, wb = _quiet(cs.logrank_test, df, time_col="time", event_col="event", group_col="ctc")
    scaled, ws = _quiet(cs.logrank_test, df.assign(time=df["time"] * scale), time_col="time",
                        event_col="event", group_col="ctc")
    assert_allclose(scaled.statistic, base.statistic, rtol=1e-12)
    assert len(wb) == len(ws) and any("merged with it as a tie" in w for w in ws)
    # every survival function merges the same times and records it on its result
    sdf = df.assign(time=df["time"] * scale, risk=df["ctc"] + df["age"] / 100)
    for fn, kw in [
        (cs.kaplan_meier, {}),
        (cs.fit_cox, {"covariates": ["ctc"]}),
        (cs.concordance_index, {"risk_col": "risk"}),
        (cs.brier_score, {"risk_col": "ctc", "horizon": float(np.median(sdf["time"]))}),
    ]:
        res, caught = _quiet(fn, sdf, time_col="time", event_col="event", **kw)
        assert any("merged with it as a tie" in w for w in res.warnings), fn.__name__
        assert any("merged with it as a tie" in w for w in caught), fn.__name__
