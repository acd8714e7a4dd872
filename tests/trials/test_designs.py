"""Trial designs (provenance rules) and simulated power / screening size.

The simulated power is checked against Schoenfeld's closed form for the events the simulated
trials observed (superiority) and its non-inferiority analogue Φ((log margin − log HR)·√(d/4)
− z); the binomial screening chain against its expectation.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import ctcstats as cs
from ctcstats.designs.formulas import schoenfeld_power
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.trials import (
    get_trial_design,
    list_trial_designs,
    screening_size,
    simulate_trial_power,
)
from ctcstats.trials.designs import _parse

KEYS = ["circe01", "detect3", "stic_ctc", "swog_s0500", "treat_ctc"]


def test_registry_and_provenance():
    tab = list_trial_designs()
    assert list(tab["key"]) == KEYS
    for key in KEYS:
        d = get_trial_design(key)
        nums = d.numbers()
        pub = nums[nums["status"] == "published"]
        assert (pub["source"].str.contains("published_designs.md")).all()
        assert (nums.loc[nums["status"] == "assumption", "reason"].str.len() > 0).all()
        for nf in d.not_found:
            assert nf not in set(pub["field"])
    # trials without any number in the compiled sources are all assumptions
    for key in ("stic_ctc", "detect3", "treat_ctc"):
        assert tab.set_index("key").loc[key, "n_published"] == 0
    circe = get_trial_design("circe01").numbers().set_index("field")
    assert circe.loc["trial.hr", "status"] == "published" and circe.loc["trial.hr", "value"] \
        == 0.95
    stic = get_trial_design("stic_ctc")
    assert stic.question == "noninferiority" and stic.value("trial.margin") == 1.25
    assert_allclose(get_trial_design("swog_s0500").screening_yield,
                    0.5361 * 0.85 * 0.4 * 0.9)


def test_parse_rejects_bad_provenance():
    text = """key = "x"\ntitle = "x"\n[screening]\nprevalence = {value = 0.5, status = "published"}\n"""
    with pytest.raises(DataValidationError, match="needs a source"):
        _parse(text, "x")
    text2 = ("key = 'x'\ntitle = 'x'\nnot_found = ['screening.prevalence']\n[screening]\n"
             "prevalence = {value = 0.5, status = 'published', source = 's'}\n")
    with pytest.raises(DataValidationError, match="listed as not found"):
        _parse(text2, "x")
    with pytest.raises(ParameterError, match="unknown trial design 'nope'"):
        get_trial_design("nope")


def _no_attrition(key: str):
    d = get_trial_design(key)
    vals = dict(d.values)
    for f in ("prevalence", "retest_compliance", "persistence", "randomised_fraction"):
        vals[f"screening.{f}"] = 1.0
    return dataclasses.replace(d, values=vals)


def test_superiority_power_matches_schoenfeld():
    d = _no_attrition("detect3")
    res = simulate_trial_power(d, n_screened=300, n_sim=400, rng=7)
    assert (res.replicates["n_randomised"] == 300).all()
    expected = schoenfeld_power(0.7, events=res.mean_events, prevalence=0.5)
    assert abs(res.power - expected) < 3.5 * np.sqrt(expected * (1 - expected) / 400) + 0.02
    assert res.ci_lower <= res.power <= res.ci_upper


def test_noninferiority_power_matches_closed_form():
    d = _no_attrition("stic_ctc")
    res = simulate_trial_power(d, n_screened=500, n_sim=400, rng=8)
    z = stats.norm.ppf(0.95)
    expected = stats.norm.cdf(np.log(1.25) * np.sqrt(res.mean_events / 4) - z)
    assert abs(res.power - expected) < 3.5 * np.sqrt(expected * (1 - expected) / 400) + 0.02
    # success is exactly "upper 90% limit below the margin"
    reps = res.replicates
    assert (reps["success"] == (reps["ci_upper"] < 1.25)).all()


def test_screening_chain_and_size():
    res = simulate_trial_power("swog_s0500", n_screened=5000, n_sim=200, rng=3)
    reps = res.replicates
    y = get_trial_design("swog_s0500").screening_yield
    assert_allclose(reps["n_randomised"].mean(), 5000 * y, rtol=0.03)
    assert (reps["n_randomised"] <= reps["n_eligible"]).all()
    assert (reps["n_eligible"] <= reps["n_retested"]).all()
    assert (reps["n_retested"] <= reps["n_positive"]).all()
    size = screening_size("detect3", n_sim=100, rng=4)
    tab = size.table
    assert tab["power"].is_monotonic_increasing or tab["power"].diff().min() > -0.1
    hit = tab.loc[tab["power"] >= 0.8, "n_screened"]
    assert size.n_screened == (int(hit.iloc[0]) if len(hit) else -1)
    assert_allclose(tab["expected_randomised"], tab["n_screened"] * size.screening_yield)
    again = screening_size("detect3", n_sim=100, rng=4)
    assert again.table.equals(tab)
    with pytest.raises(ParameterError, match="'n_screened'"):
        simulate_trial_power("detect3", n_screened=0)


def test_stic_randomises_everyone_screened():
    d = get_trial_design("stic_ctc")
    assert d.randomises == "all"
    assert_allclose(d.screening_yield, 0.95)  # prevalence guides treatment, not eligibility
    res = simulate_trial_power("stic_ctc", n_screened=400, n_sim=50, rng=2)
    assert res.replicates["n_randomised"].mean() > 0.9 * 400


def test_simulate_trial_patient_level_feeds_the_analyses():
    df = cs.simulate_trial("stic_ctc", n_screened=1500, hr_negative=1.6, rng=11)
    rnd = df[df["randomised"]]
    assert set(rnd["arm"]) == {0, 1} and (df.loc[~df["randomised"], "arm"] == -1).all()
    assert df.loc[~df["randomised"], "pfs_months"].isna().all()
    inter = cs.marker_treatment_interaction(rnd, time_col="pfs_months", event_col="pfs_event",
                                            marker_col="ctc_positive", treatment_col="arm")
    sg = inter.subgroups.set_index("marker_level")
    assert sg.loc[0, "hr"] > 1.3 and 0.75 < sg.loc[1, "hr"] < 1.3
    assert inter.interaction_p_value < 0.01
    again = cs.simulate_trial("stic_ctc", n_screened=1500, hr_negative=1.6, rng=11)
    assert again.equals(df)
    swog = cs.simulate_trial("swog_s0500", n_screened=3000, rng=1)
    assert (swog.loc[swog["randomised"], "ctc_positive"] == 1).all()
    assert_allclose(swog["randomised"].mean(), get_trial_design("swog_s0500").screening_yield,
                    atol=0.03)


def test_too_small_trials_warn():
    from ctcstats.errors import DataWarning

    with pytest.warns(DataWarning, match="randomised too few patients"):
        res = simulate_trial_power("treat_ctc", n_screened=40, n_sim=20, rng=1)
    assert res.warnings and res.power <= 0.2
