"""Simulation recovery of the joint model: bias near 0 and 95% Wald intervals covering ~95%.

Data sets from :func:`ctcstats.simulate_joint` (Poisson counts in 7.5 mL from a latent
random-intercept-and-slope log-concentration, Weibull hazard depending on its current value),
so the truth is known. No R package fits this likelihood (JMbayes2 is Bayesian), so recovery
with coverage is the check of estimates *and* standard errors (DESIGN §5).

* fast: 5 data sets of 100 patients, random intercept — the mean estimate of the association
  lies within 3 Monte-Carlo standard errors of the truth.
* full (marked ``slow`` and ``full``, ~140 s; `bash .ci/run -m full`): 100 data sets of 200
  patients, random intercept and slope — for every parameter the bias is within 3 Monte-Carlo
  SEs and the coverage of the 95% CI is in [0.89, 0.99] (the binomial 99% range around 0.95
  for 100 replicates is about 0.89–1.0).
"""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs

ROLES = dict(time_col="os_months", event_col="os_event", id_col="patient_id",
             count_col="ctc_count", draw_time_col="draw_months", volume_col="blood_volume_ml")


def _replicate(seed, n, random):
    sim = cs.simulate_joint(n=n, rng=seed, sd_slope=0.15 if random == "slope" else 0.0,
                            correlation=-0.3 if random == "slope" else 0.0)
    fit = cs.fit_joint_model(sim.patients, draws=sim.draws, covariates=["visceral_mets"],
                             long_covariates=["visceral_mets"], random=random, n_knots=4,
                             n_quad=5 if random == "slope" else 9, **ROLES)
    t = fit.table
    est = dict(zip(t["component"] + ":" + t["term"], zip(t["coef"], t["std_error"],
                                                         strict=True), strict=True))
    tr = sim.truth
    truth = {"count:intercept": tr["count"]["intercept"],
             "count:draw_months": tr["count"]["draw_months"],
             "count:visceral_mets": tr["count"]["visceral_mets"],
             "survival:visceral_mets": tr["survival"]["visceral_mets"],
             "association:log_concentration": tr["association"]}
    return est, truth


def test_association_recovered_fast():
    ests = [_replicate(1000 + k, 100, "intercept")[0]["association:log_concentration"][0]
            for k in range(5)]
    mc_se = np.std(ests, ddof=1) / np.sqrt(len(ests))
    assert abs(np.mean(ests) - 0.5) < 3 * mc_se + 1e-9


@pytest.mark.slow
@pytest.mark.full
def test_bias_and_coverage_slow():
    res = [_replicate(2000 + k, 200, "slope") for k in range(100)]
    for name in res[0][1]:
        est = np.array([r[0][name][0] for r in res])
        se = np.array([r[0][name][1] for r in res])
        true = res[0][1][name]
        mc_se = est.std(ddof=1) / np.sqrt(est.size)
        assert abs(est.mean() - true) < 3 * mc_se, name
        cover = np.mean(np.abs(est - true) <= 1.959964 * se)
        assert 0.89 <= cover <= 0.99, (name, cover)
