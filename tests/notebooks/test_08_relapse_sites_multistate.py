"""What notebooks/08_relapse_sites_multistate.py shows, on the same public calls and seeds.
(Its R comparisons on mgus2 are in tests/multistate/test_*_reference.py.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs

CLINICAL = ["tumor_size_cm", "node_positive", "grade", "hr_positive"]
SITES = ("local", "bone", "other_distant")
STATE_TIME_COLS = {"local": "relapse_months", "bone": "relapse_months",
                   "other_distant": "relapse_months", "death": "os_months"}
STATE_EVENT_COLS = {"local": "local_event", "bone": "bone_event",
                    "other_distant": "other_distant_event", "death": "os_event"}


@pytest.fixture(scope="module")
def df():
    return cs.add_relapse_sites(cs.simulate_cohort("braun2005", rng=2005), rng=1)


def test_bone_share_of_first_distant_relapses_among_dtc_positive(df):
    sites = df.loc[df["dtc_positive"] == 1, "relapse_site"]
    share = (sites == "bone").sum() / sites.isin(["bone", "other_distant"]).sum()
    assert 0.52 <= share <= 0.68  # the assumed share is 60%


def test_dtc_acts_most_on_bone_relapse(df):
    labels = df.attrs["first_event_labels"]
    cif = cs.competing_incidence(df, time_col="dfs_months", event_col="first_event",
                                 cause_labels=labels, group_col="dtc_positive")
    assert cif.gray_tests.set_index("cause").loc["bone", "p_value"] < 1e-3
    fit = cs.fit_cause_specific_cox(df, time_col="dfs_months", event_col="first_event",
                                    covariates=["dtc_positive", *CLINICAL], cause_labels=labels)
    hr = fit.side_by_side.set_index(["cause", "term"])["cs_hr"]
    assert hr[("bone", "dtc_positive")] > hr[("other_distant", "dtc_positive")] > 1.0


def test_state_probabilities_and_time_disease_free(df):
    tm = cs.relapse_site_transitions(SITES)
    ms = cs.multistate_data(df, transitions=tm, state_time_cols=STATE_TIME_COLS,
                            state_event_cols=STATE_EVENT_COLS, id_col="patient_id",
                            covariates=["dtc_positive"])
    sp = cs.state_probabilities(ms, group_col="dtc_positive", tau=96)
    total = sp.table.groupby(["group", "time"])["probability"].sum()
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    free = sp.time_in_state.set_index(["group", "state"])["expected_time"]
    assert free[(1, "disease_free")] < free[(0, "disease_free")] < 96


def test_transition_specific_cox_and_predicted_disease_free(df):
    tm = cs.relapse_site_transitions(SITES)
    ms = cs.multistate_data(df, transitions=tm, state_time_cols=STATE_TIME_COLS,
                            state_event_cols=STATE_EVENT_COLS, id_col="patient_id",
                            covariates=["dtc_positive", "node_positive", "tumor_size_cm"])
    fit = cs.fit_multistate_cox(
        ms, covariates={"dtc_positive": "all", "node_positive": [1, 2, 3],
                        "tumor_size_cm": [1, 2, 3]}, ties="breslow")
    assert fit.table.loc["dtc_positive.2", "hr"] > 1.5  # transition 2: a first bone relapse
    profiles = pd.DataFrame({"dtc_positive": [0, 1], "node_positive": [1, 1],
                             "tumor_size_cm": [2.0, 2.0]}, index=["DTC-", "DTC+"])
    at96 = cs.transition_probabilities(fit, profiles).at(96)
    free = at96[(at96["from"] == "disease_free") & (at96["state"] == "disease_free")]
    free = free.set_index("profile")["probability"]
    assert free["DTC+"] < free["DTC-"]
