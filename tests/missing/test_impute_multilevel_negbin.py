"""impute(study_model="random", count_model="negbin"): a two-stage negative-binomial model
for a count missing in whole studies (ctcstats/missing/_negbin.py, _multilevel.py).

* stage 1 against R ``MASS::glm.nb`` per study (coefficients, vcov, theta, SE.theta,
  log-likelihood), and stage 2 on R's own per-study estimates against ``mvmeta`` /
  ``mixmeta(method = "mm")`` (coefficients) and ``metafor::rma(method = "DL")`` (log
  dispersions): tests/reference/missing_multilevel/missing_multilevel_negbin.R;
* the draws: NB2 with each study's drawn dispersion, Poisson where it is 0;
* the API: whole numbers, observed values kept, the methods table, reproducibility, a study
  without overdispersion.

The imputation itself has no R counterpart (micemd has no two-stage negative binomial); its
bias and coverage are shown by simulation (docs/simulations/multilevel_imputation.md).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ctcstats as cs
from ctcstats.missing import impute
from ctcstats.missing._multilevel import StudyDrawn, mm_meta
from ctcstats.missing._negbin import fit_negbin

REF = Path(__file__).resolve().parents[1] / "reference" / "missing_multilevel"
OUT = json.loads((REF / "outputs" / "multilevel_negbin_reference.json").read_text())
ROLES = {"time_col": "months", "event_col": "event"}
FAST = {"n_imputations": 3, "n_iter": 3}


def test_reference_provenance():
    assert OUT["versions"]["MASS"] == "7.3.58.2" and OUT["versions"]["mvmeta"] == "1.0.3"
    assert OUT["versions"]["mixmeta"] == "1.2.0" and OUT["versions"]["metafor"] == "3.8.1"
    d = pd.read_csv(REF / "inputs" / "multilevel_negbin.csv")
    assert d.shape == (1000, 5) and OUT["studies"] == [f"S{k}" for k in range(1, 6)]


def test_study_fits_match_mass_glm_nb():
    d = pd.read_csv(REF / "inputs" / "multilevel_negbin.csv")
    for j, (name, g) in enumerate(d.groupby("study")):
        Z = np.column_stack([np.ones(len(g)), g.x, g.z])
        fit = fit_negbin(g.c.to_numpy(float), Z, np.log(g.vol.to_numpy()))
        assert fit is not None, name
        assert_allclose(fit.coef, OUT["coef"][j], rtol=1e-7, atol=1e-9)
        assert_allclose(fit.cov, OUT["vcov"][name], rtol=1e-6, atol=1e-12)
        assert_allclose(fit.theta, OUT["theta"][j], rtol=1e-6)
        # glm.nb's last theta.ml stops at a change below eps^0.25 ~ 1e-4 in theta, which
        # moves its SE.theta in the fifth digit
        assert_allclose(fit.se_theta, OUT["se_theta"][j], rtol=5e-5)
        mu = np.exp(Z @ fit.coef + np.log(g.vol.to_numpy()))
        from ctcstats.missing._negbin import _loglik

        assert_allclose(_loglik(g.c.to_numpy(float), mu, fit.theta), OUT["loglik"][j],
                        rtol=1e-10)


def test_pooling_matches_mvmeta_mixmeta_and_metafor_dl():
    b = np.asarray(OUT["coef"], float)
    V = np.array([OUT["vcov"][s] for s in OUT["studies"]], float)
    beta, var_beta, psi = mm_meta(b, V)
    for ref in (OUT["mvmeta"], OUT["mixmeta"]):
        assert_allclose(beta, ref["coef"], rtol=1e-6, atol=1e-10)
        assert_allclose(var_beta, ref["vcov"], rtol=1e-6, atol=5e-8)
        # (R's Psi and vcov differ from ours by up to 1.5e-8 absolute (entries ~1e-3 to 0.1):
        # mvmeta/mixmeta set truncated eigenvalues of Psi to sqrt(eps) ~ 1.5e-8, not 0)
        assert_allclose(psi, ref["psi"], rtol=1e-6, atol=5e-8)
    assert np.trace(psi) > 0.01  # heterogeneity is estimated here (a non-trivial check)
    dl = OUT["dl"]
    la, v = np.asarray(dl["log_alpha"]), np.asarray(dl["var"])
    assert_allclose(la, -np.log(OUT["theta"]), rtol=1e-12)
    mu, var_mu, tau2 = mm_meta(la[:, None], v[:, None, None])
    assert_allclose(mu[0], dl["mu"], rtol=1e-8)
    assert_allclose(np.sqrt(var_mu[0, 0]), dl["se"], rtol=1e-7)
    assert_allclose(tau2[0, 0], dl["tau2"], rtol=1e-7, atol=1e-12)


def test_no_overdispersion_and_refusals():
    rng = np.random.default_rng(5)
    n = 300
    Z = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = rng.poisson(np.exp(1.0 + 0.3 * Z[:, 1])).astype(float)
    fit = fit_negbin(y, Z)
    assert fit is not None and not fit.dispersion_estimated and fit.theta == np.inf
    import statsmodels.api as sm

    assert_allclose(fit.coef, sm.GLM(y, Z, family=sm.families.Poisson()).fit().params,
                    rtol=1e-6)
    # an all-zero group: an infinite coefficient (standard error above 1000)
    g = rng.binomial(1, 0.3, n)
    y0 = np.where(g == 1, 0.0, rng.negative_binomial(2, 0.3, n).astype(float))
    assert fit_negbin(y0, np.column_stack([Z, g])) is None


def test_draws_are_negative_binomial_per_study():
    drawn = StudyDrawn("count", np.array([[np.log(4.0)], [np.log(4.0)]]),
                       alphas=np.array([0.5, 0.0]))
    n = 40_000
    X = np.column_stack([np.repeat([0.0, 1.0], n // 2)])
    y = drawn.sample(X, np.random.default_rng(0))
    assert_array_equal(y, np.round(y))
    for k, var in ((0, 4 + 0.5 * 16), (1, 4.0)):
        yk = y[X[:, 0] == k]
        assert abs(yk.mean() - 4) < 4 * np.sqrt(var / yk.size)
        assert abs(yk.var() / var - 1) < 0.05


def _pooled(seed=0, n_studies=6, n_per=150):
    rng = np.random.default_rng(seed)
    s = np.repeat(np.arange(n_studies), n_per)
    x = rng.normal(rng.normal(0, 0.5, n_studies)[s], 1.0)
    vol = rng.uniform(5.0, 10.0, s.size)
    mu = vol * np.exp(-1.0 + 0.4 * x + rng.normal(0, 0.3, n_studies)[s])
    ctc = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    t = rng.exponential(25 / np.exp(0.5 * x + 0.02 * ctc))
    c = rng.uniform(5, 40, s.size)
    d = pd.DataFrame({"centre": [f"C{k + 1}" for k in s], "x": x, "ctc": ctc.astype(float),
                      "vol": vol, "months": np.minimum(t, c), "event": (t <= c).astype(int)})
    d.loc[rng.random(s.size) < 0.15, "ctc"] = np.nan
    d.loc[d.centre.isin(["C2", "C5"]), "ctc"] = np.nan
    return d


@pytest.fixture(scope="module")
def pooled():
    return _pooled()


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_fills_an_overdispersed_count_missing_in_whole_studies(pooled, method):
    before = pooled.copy()
    kw = {"covariates": ["x", "ctc"], "types": {"ctc": "count"}, "count_model": "negbin",
          "volume_col": "vol", "study_col": "centre", "study_model": "random",
          "method": method, "rng": 4, **ROLES, **FAST}
    with warnings.catch_warnings():
        warnings.simplefilter("error", cs.CTCStatsWarning)
        res = impute(pooled, **kw)
    pd.testing.assert_frame_equal(pooled, before)
    miss = pooled["ctc"].isna().to_numpy()
    gap = pooled.centre.isin(["C2", "C5"]).to_numpy()
    obs = pooled["ctc"].to_numpy()
    for d in res.datasets:
        v = d["ctc"].to_numpy()
        assert not np.isnan(v).any() and (v >= 0).all() and (v == np.round(v)).all()
        assert_array_equal(v[~miss], obs[~miss])
        # overdispersed like the observed counts (variance/mean of counts per mL well
        # above the Poisson 1), on the observed studies' scale
        r_gap = v[gap] / pooled.vol.to_numpy()[gap]
        r_obs = obs[~miss] / pooled.vol.to_numpy()[~miss]
        assert 0.3 < r_gap.mean() / r_obs.mean() < 3
        assert v[gap].var() / v[gap].mean() > 2
    tab = res.methods.set_index("variable")
    assert tab.loc["ctc", "model"].startswith(
        "negative binomial, two-stage random effects by study")
    again = impute(pooled, **kw)
    for d1, d2 in zip(res.datasets, again.datasets, strict=True):
        pd.testing.assert_frame_equal(d1, d2)
