"""impute(study_model="random") for ordinal and unordered categorical covariates missing for
whole studies: the two-stage models of ``ctcstats/missing/_multilevel_cat.py``.

* the per-study fits: the multinomial logit against statsmodels' ``MNLogit``; the
  proportional-odds fit with fixed cut offsets against the full fit (at the full fit's own
  spacing the two have the same maximum); their refusals (separation, a category absent);
* the draws: a systematically missing study's location spreads like the between-study SD;
* the API: what is filled (labels, dtypes), the methods table, reproducibility, a study
  lacking some grades keeping its own model, a study lacking a category recorded.

Bias and coverage on pooled cohorts: test_impute_multilevel_cat_simulation.py; agreement
with R jomo in distribution: test_impute_multilevel_cat_reference.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ctcstats as cs
from ctcstats.missing import impute
from ctcstats.missing._multilevel_cat import (
    fit_draw_two_stage_cat,
    fit_mlogit,
    fit_polr_shift,
)
from ctcstats.missing._ordinal import fit_polr

ROLES = {"time_col": "months", "event_col": "event"}
FAST = {"n_imputations": 3, "n_iter": 3}


def _pooled(seed=0, n_studies=6, n_per=150):
    """x normal; grade 1-3 proportional odds on x with a study location; site
    bone/liver/lung multinomial on x with study intercepts; Cox on all three."""
    rng = np.random.default_rng(seed)
    s = np.repeat(np.arange(n_studies), n_per)
    x = rng.normal(size=s.size)
    lat = rng.normal(0, 0.5, n_studies)[s] + 0.8 * x + rng.logistic(size=s.size)
    grade = np.digitize(lat, [-1.0, 1.0]) + 1.0
    u = np.column_stack([np.zeros(s.size), 0.3 + 0.5 * x + rng.normal(0, 0.3, n_studies)[s],
                         -0.2 - 0.4 * x])
    p = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
    site = np.array(["bone", "liver", "lung"])[(p.cumsum(1) < rng.random(s.size)[:, None]
                                                ).sum(1)]
    lp = 0.5 * x + 0.4 * (grade - 1) + np.select([site == "liver", site == "lung"],
                                                  [0.5, -0.3], 0.0)
    t = rng.exponential(20 / np.exp(lp))
    c = rng.uniform(5, 40, s.size)
    d = pd.DataFrame({"centre": [f"C{k + 1}" for k in s], "x": x, "grade": grade,
                      "site": site, "months": np.minimum(t, c),
                      "event": (t <= c).astype(int)}, index=np.arange(s.size) * 3 + 1)
    d.loc[rng.random(s.size) < 0.15, "grade"] = np.nan
    d.loc[rng.random(s.size) < 0.15, "site"] = None
    d.loc[d.centre == "C2", "grade"] = np.nan
    d.loc[d.centre == "C4", "site"] = None
    return d


@pytest.fixture(scope="module")
def pooled():
    return _pooled()


def test_multinomial_fit_matches_statsmodels_and_refuses_what_it_cannot_fit():
    import statsmodels.api as sm

    rng = np.random.default_rng(2)
    Z = np.column_stack([np.ones(400), rng.normal(size=(400, 2))])
    eta = np.column_stack([np.zeros(400), 0.4 + Z[:, 1], -0.3 + 0.5 * Z[:, 2]])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = (p.cumsum(1) < rng.random(400)[:, None]).sum(1)
    theta, cov = fit_mlogit(y, Z, 3)
    ref = sm.MNLogit(y, Z).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert_allclose(theta, np.asarray(ref.params).ravel(order="F"), rtol=1e-7, atol=1e-9)
    assert_allclose(cov, np.asarray(ref.cov_params()), rtol=1e-6, atol=1e-9)
    assert fit_mlogit(np.minimum(y, 1), Z, 3) is None  # a category absent
    sep = np.where(Z[:, 1] > 0, 2, (Z[:, 2] > 0).astype(int))  # category 2 iff x1 > 0
    assert fit_mlogit(sep, Z, 3) is None


def test_shift_polr_at_the_full_fits_spacing_is_the_full_fit():
    """With the cut offsets fixed at the full fit's own spacing, the location and slopes
    maximise the same likelihood: a = c_0 and beta equal the full fit's."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 2))
    y = np.digitize(X @ [0.7, -0.4] + rng.logistic(size=500), [-1.0, 0.5, 2.0])
    full = fit_polr(y, X, 4)
    cuts = np.cumsum(np.concatenate([[full.params[2]], np.exp(full.params[3:])]))
    theta, cov = fit_polr_shift(y, X, cuts - cuts[0])
    assert_allclose(theta, [cuts[0], *full.params[:2]], atol=1e-7)
    # the conditional (fixed-spacing) variance is at most the full one
    assert np.all(np.diag(cov)[1:] <= np.diag(full.cov)[:2] + 1e-12)
    # two observed levels of four are enough for a location and slopes
    two = np.minimum(y, 1)
    assert fit_polr_shift(two, X, cuts - cuts[0]) is not None
    # separation: the top grade exactly when x_1 > 0, the bottom one otherwise
    assert fit_polr_shift(np.where(X[:, 0] > 0, 3, 0), X, cuts - cuts[0]) is None


def test_systematically_missing_study_location_spreads_like_between_study_sd():
    """No predictors, grade with a location a_k ~ N(0, 0.8^2) in 12 large studies: an
    observed study's drawn location sits near its own estimate; study 3 (no observed value)
    gets locations that spread like the between-study SD (MM from 12 studies; 150 draws)."""
    rng = np.random.default_rng(7)
    K, n = 12, 400
    s = np.repeat(np.arange(K), n)
    a = rng.normal(0, 0.8, K)
    y = np.digitize(a[s] + rng.logistic(size=s.size), [-0.8, 0.8]).astype(float)
    observed = s != 3
    X = s[:, None].astype(float)
    draws = np.array([fit_draw_two_stage_cat("ordinal", y, X, rng, n_studies=K, n_levels=3,
                                             observed=observed, all_rows=False)[0]
                      for _ in range(150)])
    # the centre of a study's two cuts, a_k + d_1 / 2; the truth is -a_k (cuts -0.8 - a_k,
    # 0.8 - a_k)
    loc = np.array([d.betas[:, 0] + d.offsets[1] / 2 for d in draws])
    obs = np.arange(K) != 3
    assert np.all(loc[:, obs].std(axis=0) < 0.2)
    assert np.corrcoef(loc[:, obs].mean(axis=0), -a[obs])[0, 1] > 0.95
    tau = loc[:, obs].mean(axis=0).std(ddof=1)
    assert abs(loc[:, 3].mean() - loc[:, obs].mean()) < 0.35
    assert 0.7 * tau < loc[:, 3].std() < 1.35 * tau


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_fills_systematically_missing_ordinal_and_categorical(pooled, method):
    before = pooled.copy()
    kw = {"covariates": ["x", "grade", "site"], "study_col": "centre",
          "study_model": "random", "method": method, "rng": 5, **ROLES, **FAST}
    res = impute(pooled, **kw)
    pd.testing.assert_frame_equal(pooled, before)
    mg = pooled["grade"].isna().to_numpy()
    for d in res.datasets:
        assert not d[["grade", "site"]].isna().any().any()
        assert d.index.equals(pooled.index)
        assert set(d["grade"].unique()) <= {1.0, 2.0, 3.0}
        assert set(d["site"].unique()) <= {"bone", "liver", "lung"}
        assert_array_equal(d["grade"].to_numpy()[~mg], pooled["grade"].to_numpy()[~mg])
    c2 = (pooled.centre == "C2").to_numpy()
    assert np.ptp([d["grade"].to_numpy()[c2].mean() for d in res.datasets]) > 0.01
    # every grade and site occurs in the gaps (drawn from a model, not a fill)
    assert set(res.datasets[0]["grade"][c2]) == {1.0, 2.0, 3.0}
    c4 = (pooled.centre == "C4").to_numpy()
    assert set(res.datasets[0]["site"][c4]) == {"bone", "liver", "lung"}
    tab = res.methods.set_index("variable")
    assert tab.loc["grade", "model"].startswith(
        "proportional odds, two-stage random effects by study (location and slopes")
    assert tab.loc["site", "model"].startswith("multinomial logistic, two-stage random")
    again = impute(pooled, **kw)
    for d1, d2 in zip(res.datasets, again.datasets, strict=True):
        pd.testing.assert_frame_equal(d1, d2)
    fit = cs.pool(res, cs.fit_cox, covariates=["x", "grade", "site", "centre"], **ROLES)
    assert fit.table["term"].tolist()[:4] == ["x", "grade", "site[liver]", "site[lung]"]
    assert np.isfinite(fit.table["std_error"]).all()


def test_labels_and_ordered_categories_are_kept(pooled):
    d = pooled.assign(grade=pd.Categorical(pooled["grade"].map({1.0: "G1", 2.0: "G2",
                                                                  3.0: "G3"}),
                                           categories=["G1", "G2", "G3"], ordered=True))
    res = impute(d, covariates=["x", "grade", "site"], study_col="centre",
                 study_model="random", method="fcs", rng=1, **ROLES, **FAST)
    g = res.datasets[0]["grade"]
    assert g.dtype == d["grade"].dtype and g.notna().all()
    assert res.methods.set_index("variable").loc["grade", "type"] == "ordinal"


def test_a_study_lacking_grades_keeps_its_own_model_one_lacking_a_site_is_recorded(pooled):
    d = pooled.copy()
    c3 = d.centre == "C3"
    d.loc[c3 & (d.grade == 3), "grade"] = 2.0  # C3 never grades 3: still its own fit
    d.loc[c3 & (d.site == "lung"), "site"] = "liver"  # C3 has no lung: no fit of its own
    with pytest.warns(cs.CTCStatsWarning, match="site: study 'C3': too few observed values"):
        res = impute(d, covariates=["x", "grade", "site"], study_col="centre",
                     study_model="random", method="fcs", rng=2, **ROLES, **FAST)
    assert not any(w.startswith("grade:") for w in res.warnings)


def test_row_order_and_labels_do_not_matter(pooled):
    kw = {"covariates": ["x", "grade", "site"], "study_col": "centre",
          "study_model": "random", "method": "smcfcs", "rng": 8, **ROLES, **FAST}
    res = impute(pooled, **kw)
    shuffled = pooled.sample(frac=1.0, random_state=3)
    again = impute(shuffled.set_axis(np.arange(len(shuffled)) + 1000), **kw)
    for d1, d2 in zip(res.datasets, again.datasets, strict=True):
        back = d2.set_axis(shuffled.index).loc[pooled.index]
        assert_array_equal(back["grade"].to_numpy(), d1["grade"].to_numpy())
        assert_array_equal(back["site"].to_numpy(), d1["site"].to_numpy())
