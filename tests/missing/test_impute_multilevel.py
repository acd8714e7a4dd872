"""impute(study_model="random"): two-stage random-effects imputation of covariates missing
for whole studies (systematically missing) in pooled data.

* the pooling step (multivariate method of moments) against R ``mvmeta(method = "mm")``;
* the draws of the two-stage model: a systematically missing study gets parameters from the
  estimated between-study distribution, an observed study from its posterior;
* the API: what is filled, the methods table, reproducibility, and every refusal.

Agreement with R micemd (in distribution) is in test_impute_multilevel_reference.py; bias
and coverage on a pooled design in test_impute_multilevel_simulation.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.missing import impute
from ctcstats.missing._multilevel import fit_draw_two_stage, mm_meta

REF = Path(__file__).resolve().parents[1] / "reference" / "missing_multilevel"
ROLES = {"time_col": "months", "event_col": "event"}
FAST = {"n_imputations": 3, "n_iter": 3}


def _pooled(seed=0, n_studies=6, n_per=120, tau=0.6):
    """x ~ N(a_s, 1) with study means a_s ~ N(0, tau^2); z binary depending on x."""
    rng = np.random.default_rng(seed)
    s = np.repeat(np.arange(n_studies), n_per)
    a = rng.normal(0, tau, n_studies)
    x = rng.normal(a[s], 1.0)
    z = rng.binomial(1, 1 / (1 + np.exp(0.3 - 0.7 * x)))
    t = rng.exponential(25 / np.exp(0.6 * x + 0.5 * z))
    c = rng.uniform(5, 40, s.size)
    d = pd.DataFrame({"centre": [f"C{k + 1}" for k in s], "x": x, "z": z,
                      "months": np.minimum(t, c), "event": (t <= c).astype(int)},
                     index=np.arange(s.size) * 2 + 5)
    d.loc[rng.random(s.size) < 0.15, "x"] = np.nan
    d.loc[rng.random(s.size) < 0.10, "z"] = np.nan
    d.loc[d.centre == "C2", "x"] = np.nan
    d.loc[d.centre == "C4", "z"] = np.nan
    return d


@pytest.fixture(scope="module")
def pooled():
    return _pooled()


def test_method_of_moments_matches_r_mvmeta():
    """R: mvmeta(b ~ 1, S = S, method = "mm") on 6 studies x 3 parameters
    (missing_multilevel.R). Tolerance 1e-7: mvmeta sets truncated eigenvalues of Psi to
    sqrt(.Machine$double.eps) ~ 1.5e-8 instead of 0; otherwise the closed form is exact."""
    ref = json.loads((REF / "outputs" / "multilevel_reference.json").read_text())["mm"]
    beta, var_beta, psi = mm_meta(np.array(ref["b"]), np.array(ref["S"]))
    assert_allclose(beta, ref["coef"], atol=1e-7)
    assert_allclose(var_beta, ref["vcov"], atol=1e-7)
    assert_allclose(psi, ref["psi"], atol=1e-7)
    # the same estimator in one dimension is DerSimonian–Laird
    rng = np.random.default_rng(3)
    y, v = rng.normal(0.3, 0.5, 8), rng.uniform(0.05, 0.3, 8)
    w = 1 / v
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    tau2 = max(0.0, (q - 7) / (w.sum() - np.sum(w**2) / w.sum()))
    _, _, psi1 = mm_meta(y[:, None], v[:, None, None])
    assert_allclose(psi1[0, 0], tau2, rtol=1e-12)


def test_systematically_missing_study_draws_from_between_study_distribution():
    """Large studies, x ~ N(a_k, 1) with a_k ~ N(0, 0.7^2) and no predictors: an observed
    study's drawn intercept sits at its own mean (posterior, SE ~ 0.03), the systematically
    missing study's intercept spreads like the between-study SD (MM estimate from 12
    studies, ~20% relative error; 200 draws)."""
    rng = np.random.default_rng(11)
    K, n = 12, 400
    s = np.repeat(np.arange(K), n)
    a = rng.normal(0, 0.7, K)
    y = rng.normal(a[s], 1.0)
    observed = s != 3
    X = s[:, None].astype(float)  # no predictors, the study code last
    draws = np.array([fit_draw_two_stage("continuous", y, X, rng, n_studies=K,
                                         observed=observed, all_rows=False)[0].betas[:, 0]
                      for _ in range(200)])
    means = np.array([y[s == k].mean() for k in range(K)])
    obs = np.arange(K) != 3
    assert_allclose(draws[:, obs].mean(axis=0), means[obs], atol=0.02)
    assert np.all(draws[:, obs].std(axis=0) < 0.08)
    assert abs(draws[:, 3].mean() - means[obs].mean()) < 0.2
    tau = means[obs].std(ddof=1)
    assert 0.75 * tau < draws[:, 3].std() < 1.3 * tau


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_fills_systematically_missing_studies(pooled, method):
    before = pooled.copy()
    res = impute(pooled, covariates=["x", "z"], study_col="centre", study_model="random",
                 method=method, rng=4, **ROLES, **FAST)
    pd.testing.assert_frame_equal(pooled, before)
    mx = pooled["x"].isna().to_numpy()
    for d in res.datasets:
        assert not d[["x", "z"]].isna().any().any()
        assert d.index.equals(pooled.index)
        assert_array_equal(d["x"].to_numpy()[~mx], pooled["x"].to_numpy()[~mx])
        assert set(d["z"].unique()) <= {0.0, 1.0}
    # the whole-study gap differs between imputations (drawn, not a fixed fill)
    c2 = (pooled.centre == "C2").to_numpy()
    assert np.ptp([d["x"].to_numpy()[c2].mean() for d in res.datasets]) > 0.01
    tab = res.methods.set_index("variable")
    assert tab.loc["x", "model"].startswith("normal linear, two-stage random effects")
    assert tab.loc["z", "model"].startswith("logistic, two-stage random effects")
    again = impute(pooled, covariates=["x", "z"], study_col="centre", study_model="random",
                   method=method, rng=4, **ROLES, **FAST)
    for d1, d2 in zip(res.datasets, again.datasets, strict=True):
        pd.testing.assert_frame_equal(d1, d2)
    fit = cs.pool(res, cs.fit_cox, covariates=["x", "z", "centre"], **ROLES)
    assert fit.table["term"].tolist()[:2] == ["x", "z"]
    assert np.isfinite(fit.table["std_error"]).all()


def test_fixed_is_the_default_and_refuses_with_the_way_out(pooled):
    with pytest.raises(DataValidationError, match="'x' is missing for every patient of study "
                                                  "'C2'.*study_model='random'"):
        impute(pooled, covariates=["x", "z"], study_col="centre", **ROLES, **FAST)


def test_random_without_systematic_gaps_still_runs(pooled):
    d = pooled.copy()
    rng = np.random.default_rng(5)
    d.loc[d.centre == "C2", "x"] = rng.normal(size=int((d.centre == "C2").sum()))
    d.loc[d.centre == "C4", "z"] = rng.binomial(1, 0.5, int((d.centre == "C4").sum()))
    res = impute(d, covariates=["x", "z"], study_col="centre", study_model="random", rng=1,
                 method="fcs", **ROLES, **FAST)
    assert not res.datasets[0][["x", "z"]].isna().any().any()


def test_errors(pooled):
    with pytest.raises(ParameterError, match="'study_model' parameter of impute must be one"):
        impute(pooled, covariates=["x"], study_col="centre", study_model="mixed", **ROLES)
    with pytest.raises(ParameterError, match="study_model.*is 'random' but no study_col"):
        impute(pooled, covariates=["x"], study_model="random", **ROLES)
    d = pooled.assign(grade=np.tile([1.0, 2.0, 3.0], len(pooled) // 3))
    d.loc[d.centre != "C5", "grade"] = np.nan
    with pytest.raises(DataValidationError, match="'grade': only 1 study has enough "
                                                  "observed values.*an ordinal one two levels"):
        impute(d, covariates=["x", "z", "grade"], study_col="centre", study_model="random",
               **ROLES, **FAST)
    few = pooled.copy()
    few.loc[~few.centre.isin(["C1"]), "x"] = np.nan
    with pytest.raises(DataValidationError, match="'x': only 1 study has enough observed "
                                                  "values"):
        impute(few, covariates=["x", "z"], study_col="centre", study_model="random",
               **ROLES, **FAST)


def test_a_study_too_small_for_its_own_model_is_recorded(pooled):
    d = pooled.copy()
    keep = d.index[(d.centre == "C3") & d.x.notna()][:4]
    d.loc[(d.centre == "C3") & ~d.index.isin(keep), "x"] = np.nan
    with pytest.warns(cs.CTCStatsWarning, match="study 'C3': too few observed values"):
        res = impute(d, covariates=["x", "z"], study_col="centre", study_model="random",
                     method="fcs", rng=2, **ROLES, **FAST)
    assert any("study 'C3'" in w for w in res.warnings)


def test_study_logistic_fit_matches_statsmodels_and_detects_separation():
    """The per-study logistic fit (own Newton–Raphson, for speed) equals statsmodels' GLM
    (1e-8: both iterate to a deviance change of ~1e-10); separation gives no fit."""
    import statsmodels.api as sm

    from ctcstats.missing._multilevel import _fit_logistic

    rng = np.random.default_rng(1)
    Z = np.column_stack([np.ones(200), rng.normal(size=(200, 3))])
    y = rng.binomial(1, 0.3, 200).astype(float)
    beta, cov = _fit_logistic(y, Z)
    ref = sm.GLM(y, Z, family=sm.families.Binomial()).fit()
    assert_allclose(beta, ref.params, rtol=1e-8)
    # statsmodels stops its IRLS a little earlier: ~1e-9 absolute in the covariances
    assert_allclose(cov, ref.cov_params(), rtol=1e-6, atol=1e-8)
    assert _fit_logistic((Z[:, 1] > 0).astype(float), Z) is None


def test_row_order_and_labels_do_not_matter(pooled):
    kw = {"covariates": ["x", "z"], "study_col": "centre", "study_model": "random",
          "method": "fcs", "rng": 8, **ROLES, **FAST}
    res = impute(pooled, **kw)
    shuffled = pooled.sample(frac=1.0, random_state=3)
    again = impute(shuffled.set_axis(np.arange(len(shuffled)) + 1000), **kw)
    for d1, d2 in zip(res.datasets, again.datasets, strict=True):
        back = d2.set_axis(shuffled.index).loc[pooled.index]
        assert_allclose(back["x"].to_numpy(), d1["x"].to_numpy(), rtol=1e-12)
        assert_array_equal(back["z"].to_numpy(), d1["z"].to_numpy())
