"""impute(study_model="random", draw_between="posterior"): the between-study covariance Psi
of the two-stage models drawn from its approximate posterior instead of fixed at the
method-of-moments estimate (ctcstats/missing/_multilevel.py: draw_psi).

* the Gibbs sampler against the exact marginal posterior of tau^2 (one dimension, computed
  by quadrature on a grid): same distribution (Kolmogorov–Smirnov);
* in many dimensions with known study effects (V_k -> 0) against the inverse-Wishart
  posterior mean;
* the API: the option is validated, reproducible, and changes only the two-stage draws;
* a seeded moderate-size check on the simulation design of
  docs/simulations/multilevel_imputation.md: the draw widens the pooled interval of the
  systematically missing covariate (paired, same data and seeds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ctcstats as cs
from ctcstats.errors import ParameterError
from ctcstats.missing._multilevel import draw_psi, mm_meta

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import multilevel_imputation_simulation as sim  # noqa: E402


def _exact_tau2_cdf(b, v):
    """Marginal posterior of tau^2 under b_k ~ N(mu, v_k + tau^2), flat mu and the
    sampler's prior IW(1, mean v) = inverse-gamma(1/2, mean(v) / 2), on a log grid."""
    g = np.linspace(np.log(1e-7), np.log(50.0), 20_000)
    t2 = np.exp(g)
    w = 1 / (v[None] + t2[:, None])
    mu = (w * b).sum(1) / w.sum(1)
    logp = (stats.invgamma.logpdf(t2, 0.5, scale=v.mean() / 2) - 0.5 * np.log(w.sum(1))
            + 0.5 * np.log(w).sum(1) - 0.5 * (w * (b - mu[:, None]) ** 2).sum(1) + g)
    p = np.exp(logp - logp.max())
    return t2, np.cumsum(p) / p.sum()


def test_gibbs_draws_of_tau2_follow_the_exact_posterior():
    b = np.array([0.1, 0.5, -0.3, 0.8, 0.2])
    v = np.array([0.04, 0.09, 0.05, 0.1, 0.03])
    _, _, psi0 = mm_meta(b[:, None], v[:, None, None])
    rng = np.random.default_rng(11)
    draws = np.array([draw_psi(b[:, None], v[:, None, None], psi0, rng, n_sweeps=5)[0, 0]
                      for _ in range(500)])
    t2, cdf = _exact_tau2_cdf(b, v)
    res = stats.kstest(draws, lambda x: np.interp(x, t2, cdf))
    assert res.pvalue > 0.01, (res, draws.mean())
    # and the point estimate is not what is drawn: the posterior is wide and right-skewed
    assert np.quantile(draws, 0.9) > 3 * psi0[0, 0] and np.quantile(draws, 0.1) < psi0[0, 0]


def test_known_study_effects_give_the_inverse_wishart_posterior_mean():
    """V_k tiny: theta_k = b_k, and with a flat mean Psi | b ~ IW(p + K - 1, S0 + S), mean
    (S0 + S) / (K - 2) with S the scatter about the mean of the b_k."""
    rng = np.random.default_rng(2)
    K, p = 12, 3
    b = rng.multivariate_normal(np.zeros(p), [[1, 0.5, 0], [0.5, 2, 0.3], [0, 0.3, 0.5]], K)
    V = np.repeat(1e-6 * np.eye(p)[None], K, axis=0)
    r = b - b.mean(0)
    expect = (r.T @ r + 1e-6 * np.eye(p)) / (K - 2)
    _, _, psi0 = mm_meta(b, V)
    draws = np.array([draw_psi(b, V, psi0, rng, n_sweeps=3) for _ in range(600)])
    # MC SE of each entry's mean: the IW(14, .) entries have CV ~ 0.5 -> ~2% relative
    np.testing.assert_allclose(draws.mean(0), expect, rtol=0.1, atol=0.04)


def test_option_validated_reproducible_and_used():
    data = sim.psi_data(3, 5, 2, n_per=120)
    kw = {"covariates": ["x", "z"], "study_col": "study", "study_model": "random",
          "method": "fcs", "n_imputations": 3, "n_iter": 3, "time_col": "t",
          "event_col": "d"}
    with pytest.raises(ParameterError, match="draw_between"):
        cs.impute(data, draw_between="bayes", rng=1, **kw)
    a = cs.impute(data, draw_between="posterior", rng=1, **kw)
    b = cs.impute(data, draw_between="posterior", rng=1, **kw)
    c = cs.impute(data, draw_between="point", rng=1, **kw)
    miss = data["x"].isna().to_numpy()
    for d1, d2, d3 in zip(a.datasets, b.datasets, c.datasets, strict=True):
        pd.testing.assert_frame_equal(d1, d2)
        pd.testing.assert_series_equal(d1["z"], data["z"])
        assert not np.allclose(d1["x"].to_numpy()[miss], d3["x"].to_numpy()[miss])
    # without study_model="random" there is nothing to draw: identical data sets
    full = data.dropna()
    one = cs.impute(full.assign(x=full.x.where(full.index % 7 > 0)), draw_between="posterior",
                    covariates=["x", "z"], study_col="study", method="fcs",
                    n_imputations=2, n_iter=2, rng=1, time_col="t", event_col="d")
    two = cs.impute(full.assign(x=full.x.where(full.index % 7 > 0)),
                    covariates=["x", "z"], study_col="study", method="fcs",
                    n_imputations=2, n_iter=2, rng=1, time_col="t", event_col="d")
    for d1, d2 in zip(one.datasets, two.datasets, strict=True):
        pd.testing.assert_frame_equal(d1, d2)


@pytest.mark.slow
def test_posterior_draw_widens_the_interval_of_the_systematically_missing_covariate():
    """Five studies, two without x (scenario psi5 of the simulation, 4 data sets, m = 10):
    paired on the same data and seed, the pooled SE of x's log HR is larger with Psi drawn
    (the between-imputation variance carries Psi's uncertainty); the estimates stay close
    to the truth 0.5 either way."""
    ratio, est = [], []
    for seed in (1000, 2000, 3000, 4000):
        rows = {r["estimator"]: r for r in sim.replicate("psi5", seed, "fcs", m=10, n_iter=5)}
        ratio.append(rows["mi_posterior"]["std_error"] / rows["mi_point"]["std_error"])
        est += [rows["mi_posterior"]["estimate"], rows["mi_point"]["estimate"]]
    assert np.mean(ratio) > 1.05, ratio
    assert abs(np.mean(est) - 0.5) < 0.15, est
