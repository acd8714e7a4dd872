"""What notebooks/10_pooled_and_trials.py says, on the same public calls, data and seeds.
(The R comparisons are in tests/survival/test_frailty.py, tests/test_meta_iecv.py and
tests/trials/.)"""

from __future__ import annotations

import pandas as pd
import pytest

import ctcstats as cs
from tests.reference._load import load_input

COVS = ["ctc_positive", "age"]


@pytest.fixture(scope="module")
def pooled() -> pd.DataFrame:
    return load_input("frailty", "pooled")


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return load_input("trials", "trial")


def test_frailty_and_stratified_hazard_ratios_agree(pooled):
    kw = dict(time_col="months", event_col="event", covariates=COVS)
    gamma = cs.fit_cox(pooled, frailty_col="study", **kw)
    gauss = cs.fit_cox(pooled, frailty_col="study", frailty="gaussian", **kw)
    strat = cs.fit_cox(pooled, strata_col="study", **kw)
    hrs = [m.table.loc["ctc_positive", "hr"] for m in (gamma, gauss, strat)]
    assert max(hrs) - min(hrs) < 0.02 and 1.8 < min(hrs) < 2.0
    assert gamma.theta > 0 and gamma.frailty_lr_p_value < 1e-4


def test_iecv_discrimination_homogeneous_calibration_not(pooled):
    res = cs.internal_external_validation(pooled, study_col="study", time_col="months",
                                          event_col="event", covariates=COVS, horizon=24)
    p = res.pooled.set_index("measure")
    assert p.loc["c_index", "tau2"] < 1e-6
    assert p.loc["oe_ratio", "i2"] > 50


def test_trial_interaction_and_noninferiority(trial):
    inter = cs.marker_treatment_interaction(
        trial, time_col="months", event_col="event", marker_col="ctc_group",
        treatment_col="arm", covariates=["age"], strata_col="site", tau=24)
    assert inter.interaction_p_value < 0.01
    sg = inter.subgroups.set_index("marker_level")
    assert sg.loc[">=5", "ci_upper"] < 1 and sg.loc["0", "ci_lower"] < 1 < sg.loc["0", "ci_upper"]
    ni = cs.noninferiority_test(trial, time_col="months", event_col="event",
                                treatment_col="arm", covariates=["age"], strata_col="site")
    assert ni.non_inferior


def test_screening_claims():
    tab = cs.list_trial_designs().set_index("key")
    assert (tab.loc[["stic_ctc", "detect3", "treat_ctc"], "n_published"] == 0).all()
    detect = cs.screening_size("detect3", n_sim=100, rng=7)
    assert 7.5 < 1 / detect.screening_yield < 9  # "about eight screened per randomised"
    swog = cs.screening_size("swog_s0500", n_sim=100, rng=7)
    assert swog.n_screened == -1 or swog.n_screened >= 1000  # "thousands screened"
    size = cs.model_sample_size(n_parameters=8, rate=0.02, horizon=36, mean_follow_up=30,
                                r2_cs=0.08)
    assert size.n == size.table.loc[0, "n"]  # the shrinkage criterion is binding


def test_random_slope_prediction_interval_wider_than_ci():
    ipd = load_input("random_slope", "ipd")
    slope = cs.random_marker_slope(ipd, study_col="study", time_col="months",
                                   event_col="event", marker_col="ctc_positive",
                                   covariates=["age"])
    assert slope.pi_lower < slope.ci_lower and slope.pi_upper > slope.ci_upper
    assert slope.tau > 0


def test_simulated_stic_trial_shows_the_harm_in_ctc_negatives():
    stic = cs.simulate_trial("stic_ctc", n_screened=1000, hr_negative=1.6, rng=3)
    rnd = stic[stic["randomised"]]
    res = cs.marker_treatment_interaction(rnd, time_col="pfs_months", event_col="pfs_event",
                                          marker_col="ctc_positive", treatment_col="arm")
    sg = res.subgroups.set_index("marker_level")
    assert sg.loc[0, "ci_lower"] > 1 and sg.loc[1, "ci_lower"] < 1 < sg.loc[1, "ci_upper"]
