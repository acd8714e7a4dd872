"""pool / pooled_test: the scales of the performance measures, parallel runs, warnings and
errors. Exactness against R is in test_pool_reference.py."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import special

import ctcstats as cs
from ctcstats.errors import (
    CTCStatsWarning,
    DataValidationError,
    MonotoneLikelihoodWarning,
    ParameterError,
)
from ctcstats.missing import pool, pooled_test, rubin_rules

ROLES = {"time_col": "months", "event_col": "event"}


def _cohort(rng, n=200, beta=(0.6, 0.4)):
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], size=n),
                      "pos": rng.integers(0, 2, size=n)})
    lp = beta[0] * d["x"] + beta[1] * d["pos"] + 0.3 * (d["g"] == "c")
    t = rng.exponential(20 / np.exp(lp))
    c = rng.uniform(5, 40, size=n)
    d["months"] = np.minimum(t, c).round(2)
    d["event"] = (t <= c).astype(int)
    return d


@pytest.fixture
def sets(rng):
    return [_cohort(rng) for _ in range(5)]


def _risk(d):
    fit = cs.fit_cox(d, covariates=["x", "pos"], **ROLES)
    return d.assign(lp=d[["x", "pos"]].to_numpy() @ fit.table["coef"].to_numpy())


def test_cox_pool_is_rubin_on_the_per_imputation_fits(sets):
    res = pool(sets, cs.fit_cox, covariates=["x", "g", "pos"], **ROLES)
    fits = [cs.fit_cox(d, covariates=["x", "g", "pos"], **ROLES) for d in sets]
    q = np.array([f.table["coef"] for f in fits])
    u = np.array([f.table["std_error"] for f in fits]) ** 2
    dfcom = fits[0].n_events - 4
    ref = rubin_rules(q, u, dfcom=dfcom)
    assert_allclose(res.table["estimate"], ref["estimate"], rtol=1e-14)
    assert_allclose(res.table["df"], ref["df"], rtol=1e-14)
    assert list(res.table["term"]) == ["x", "g[b]", "g[c]", "pos"]
    assert_allclose(res.table["hr"], np.exp(res.table["estimate"]), rtol=1e-14)
    assert res.kind == "cox" and res.m == 5 and res.n_obs == 200
    assert res.per_imputation.shape == (20, 4)
    assert res.fits[2].table.equals(fits[2].table)
    assert 0 < res.table["fmi"].min() and res.table["fmi"].max() < 1


def test_concordance_pooled_on_the_logit_scale(sets):
    res = pool(sets, lambda d: cs.concordance_index(_risk(d), risk_col="lp", **ROLES))
    cs_ = [cs.concordance_index(_risk(d), risk_col="lp", **ROLES) for d in sets]
    c = np.array([r.estimate for r in cs_])
    se = np.array([r.std_error for r in cs_])
    q = special.logit(c)
    u = (se / (c * (1 - c))) ** 2
    ref = rubin_rules(q, u)  # dfcom = inf for measures, as mice::pool.scalar
    row = res.table.iloc[0]
    assert row["term"] == "concordance" and row["scale"] == "logit"
    assert_allclose(row["estimate"], special.expit(ref["estimate"][0]), rtol=1e-14)
    assert_allclose(row["ci_lower"], special.expit(ref["ci_lower"][0]), rtol=1e-14)
    assert_allclose(row["std_error"], ref["std_error"][0], rtol=1e-14)  # logit scale
    assert row["ci_lower"] < row["estimate"] < row["ci_upper"] < 1
    # p-value against C = 0.5: logit(0.5) = 0, so the t test of the pooled logit
    assert_allclose(row["p_value"], ref["p_value"][0], rtol=1e-12)
    assert math.isinf(res.dfcom)
    assert_allclose(res.per_imputation["estimate"], c, rtol=1e-14)
    assert_allclose(res.per_imputation["std_error"], se, rtol=1e-12)


def test_auc_brier_and_calibration_scales(sets):
    def risk_at(d):
        fit = cs.fit_cox(d, covariates=["x", "pos"], **ROLES)
        lp = d[["x", "pos"]].to_numpy() @ fit.table["coef"].to_numpy()
        return d.assign(risk=1 - np.exp(-0.04 * 12 * np.exp(lp - lp.mean())))

    auc = pool(sets, lambda d: cs.time_dependent_auc(risk_at(d), risk_col="risk", horizon=12,
                                                     **ROLES))
    assert list(auc.table["scale"]) == ["logit"] and 0.5 < auc.table["estimate"][0] < 1
    br = pool(sets, lambda d: cs.brier_score(risk_at(d), risk_col="risk", horizon=12, **ROLES))
    assert list(br.table["term"]) == ["brier", "brier_null", "ipa"]
    assert list(br.table["scale"]) == ["identity", "identity", "mean"]
    per = br.per_imputation
    assert_allclose(br.table["estimate"][2], per.loc[per["term"] == "ipa", "estimate"].mean())
    assert br.table.loc[2, ["std_error", "ci_lower", "p_value"]].isna().all()
    assert np.isnan(br.table["p_value"][0])  # no null value for a Brier score
    cal = pool(sets, lambda d: cs.calibration(risk_at(d), risk_col="risk", horizon=12,
                                                    n_groups=4, **ROLES))
    tab = cal.table.set_index("term")
    assert tab.loc["oe_ratio", "scale"] == "log" and tab.loc["slope", "scale"] == "identity"
    oe = np.array([cs.calibration(risk_at(d), risk_col="risk", horizon=12, n_groups=4,
                                  **ROLES).oe_ratio
                   for d in sets])
    assert_allclose(tab.loc["oe_ratio", "estimate"], np.exp(np.mean(np.log(oe))), rtol=1e-12)
    assert tab.loc["oe_ratio", "ci_lower"] < tab.loc["oe_ratio", "estimate"]


def test_added_value_lr_test_pooled_by_d2(rng):
    sets = [_cohort(rng, n=150) for _ in range(3)]
    res = pool(sets, cs.added_value, base_covariates=["x"], new_covariates=["pos"], horizon=12,
               n_boot=20, rng=1,
               **ROLES)
    lr = [cs.added_value(d, base_covariates=["x"], new_covariates=["pos"], horizon=12, n_boot=20, rng=1,
                         **ROLES).lr_statistic for d in sets]
    from ctcstats.missing.rubin import d2_test

    ref = d2_test(lr, 1)
    assert res.lr_test.method == "D2" and res.lr_test.df1 == 1
    assert_allclose(res.lr_test.statistic, ref["statistic"], rtol=1e-14)
    assert "c_index" in set(res.table["term"])


def test_generic_frame_and_count_model(sets, rng):
    def frame(d):
        return pd.DataFrame({"term": ["mean_x"], "estimate": [d["x"].mean()],
                             "std_error": [d["x"].std(ddof=1) / math.sqrt(len(d))]})

    res = pool(sets, frame)
    assert_allclose(res.table["estimate"][0], np.mean([d["x"].mean() for d in sets]))
    counts = []
    for _ in range(3):
        d = pd.DataFrame({"x": rng.normal(size=120), "vol": rng.uniform(5, 10, 120)})
        d["n"] = rng.poisson(d["vol"] * np.exp(0.3 * d["x"]) / 7.5)
        counts.append(d)
    res = pool(counts, cs.fit_count_model, count_col="n", covariates=["x"], volume_col="vol",
               kind="poisson")
    assert list(res.table["component"]) == ["count", "count"]
    assert list(res.table["term"]) == ["intercept", "x"]
    assert "irr" in res.table.columns and res.dfcom == 118


def test_parallel_equals_serial_and_inputs_unchanged(sets):
    before = [d.copy() for d in sets]
    serial = pool(sets, cs.fit_cox, covariates=["x", "pos"], **ROLES)
    par = pool(sets, cs.fit_cox, covariates=["x", "pos"], n_jobs=2, **ROLES)
    pd.testing.assert_frame_equal(serial.table, par.table)
    for a, b in zip(before, sets, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_row_order_does_not_matter(sets):
    a = pool(sets, cs.fit_cox, covariates=["x", "pos"], **ROLES)
    shuffled = [d.sample(frac=1.0, random_state=3) for d in sets]
    b = pool(shuffled, cs.fit_cox, covariates=["x", "pos"], **ROLES)
    assert_allclose(a.table["estimate"], b.table["estimate"], rtol=1e-10)
    assert_allclose(a.table["df"], b.table["df"], rtol=1e-8)


def test_fit_warnings_are_merged_and_recorded(rng):
    sets = [_cohort(rng, n=80) for _ in range(3)]
    for d in sets[:2]:
        d.loc[d["pos"] == 1, "event"] = 0  # no events among the marker-positive
    with pytest.warns(MonotoneLikelihoodWarning, match=r"in 2 of 3 imputations \(1, 2\)"):
        res = pool(sets, cs.fit_cox, covariates=["pos"], **ROLES)
    assert len(res.warnings) == 1 and res.warnings[0].startswith("in 2 of 3 imputations")


def test_d_tests_single_term_agree_with_the_pooled_t_test(sets):
    """For one coefficient D1 is the square of the pooled t statistic."""
    res = pool(sets, cs.fit_cox, covariates=["x", "pos"], **ROLES)
    d1 = pooled_test(sets, cs.fit_cox, terms=["pos"], covariates=["x", "pos"], dfcom=math.inf,
                     **ROLES)
    row = res.table.set_index("term").loc["pos"]
    assert_allclose(d1.statistic, (row["estimate"] / row["std_error"]) ** 2, rtol=1e-12)
    assert d1.terms == ("pos",)
    d3 = pooled_test(sets, cs.fit_cox, terms=["g"], method="D3", covariates=["x", "g", "pos"],
                     **ROLES)
    assert d3.df1 == 2 and 0 <= d3.p_value <= 1 and d3.terms == ("g[b]", "g[c]")


# --------------------------------------------------------------------------- errors
def test_errors(sets):
    with pytest.raises(ParameterError, match="at least 2 imputed data sets"):
        pool(sets[:1], cs.fit_cox, covariates=["x"], **ROLES)
    with pytest.raises(ParameterError, match="ImputationResult or a sequence of DataFrames"):
        pool(sets[0], cs.fit_cox, covariates=["x"], **ROLES)
    with pytest.raises(ParameterError, match="must hold DataFrames only; element 1"):
        pool([sets[0], "x"], cs.fit_cox, covariates=["x"], **ROLES)
    with pytest.raises(ParameterError, match="'fn' parameter of pool must be a function"):
        pool(sets, "fit_cox")
    with pytest.raises(ParameterError, match="cannot pool a str"):
        pool(sets, lambda d: "nothing")
    with pytest.raises(ParameterError, match="'conf_level' parameter of pool"):
        pool(sets, cs.fit_cox, covariates=["x"], conf_level=95, **ROLES)
    with pytest.raises(ParameterError, match="'dfcom' parameter of pool"):
        pool(sets, cs.fit_cox, covariates=["x"], dfcom=0, **ROLES)
    odd = [d.copy() for d in sets]
    odd[3] = odd[3].assign(g="a")
    odd[3].loc[0, "g"] = "b"
    with pytest.raises(DataValidationError, match="fitted terms differ between imputation 1 "
                                                  "and imputation 4"):
        pool(odd, cs.fit_cox, covariates=["g"], **ROLES)


def test_pooled_test_errors(sets):
    kw = dict(covariates=["x", "g"], **ROLES)
    with pytest.raises(ParameterError, match="'method' parameter of pooled_test"):
        pooled_test(sets, cs.fit_cox, terms=["g"], method="D4", **kw)
    with pytest.raises(ParameterError, match="names 'age', which is not a term"):
        pooled_test(sets, cs.fit_cox, terms=["age"], **kw)
    with pytest.raises(ParameterError, match=r"write \['g'\]"):
        pooled_test(sets, cs.fit_cox, terms="g", **kw)
    with pytest.raises(ParameterError, match="D3'\\) cannot drop every covariate"):
        pooled_test(sets, cs.fit_cox, terms=["x", "g"], method="D3", **kw)
    with pytest.raises(ParameterError, match="needs the null model"):
        pooled_test(sets, lambda d: cs.fit_cox(d, **kw), terms=["g"], method="D3")
    ev = [d.assign(event=np.where(d.index % 7 == 0, 2, d["event"])) for d in sets]
    with pytest.raises(ParameterError, match="not for a fine_gray result"):
        pooled_test(ev, cs.fit_fine_gray, terms=["g"], method="D3", **kw)


def test_plot_forest(sets):
    res = pool(sets, cs.fit_cox, covariates=["x", "pos"], **ROLES)
    ax = res.plot()
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()),
                       strict=True))
    assert [lab for _, lab in ticks] == ["pos", "x"]  # first term at the top
    assert ax.get_xscale() == "log"
    est = [ln for ln in ax.lines if ln.get_gid() == "pooled-estimate"][0]
    assert_allclose(est.get_xdata(), res.table["hr"])
    assert len([t for t in ax.texts if t.get_gid() == "pooled-label"]) == 2


def test_to_dict_and_repr(sets):
    res = pool(sets, cs.fit_cox, covariates=["x"], **ROLES)
    d = res.to_dict()
    assert d["result"] == "PooledResult" and d["m"] == 5 and "_fits" not in d
    assert "Rubin" in res._repr_html_()
    with warnings.catch_warnings():
        warnings.simplefilter("error", CTCStatsWarning)
        str(res)


def test_d1_small_sample_df_undefined_is_warned(sets):
    """k (m - 1) = 2: Reiter's df divides by zero (R gives NaN); we warn, p is NaN."""
    with pytest.warns(CTCStatsWarning, match=r"not defined with m = 3 imputations"):
        res = pooled_test(sets[:3], cs.fit_cox, terms=["pos"], covariates=["x", "pos"],
                          **ROLES)
    assert np.isnan(res.p_value) and res.statistic > 0
    ok = pooled_test(sets[:3], cs.fit_cox, terms=["pos"], covariates=["x", "pos"],
                     dfcom=math.inf, **ROLES)
    assert 0 <= ok.p_value <= 1
