"""The numbers the narrative of ``notebooks/12_serial_counts_joint_model.py`` relies on."""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs

ROLES = dict(time_col="os_months", event_col="os_event", id_col="patient_id",
             count_col="ctc_count", draw_time_col="draw_months", volume_col="blood_volume_ml")


@pytest.mark.slow
def test_joint_model_centred_on_truth_two_stage_attenuated():
    two, joint = [], []
    for seed in range(5):
        sim = cs.simulate_joint(n=200, rng=100 + seed, intercept=-2.0,
                                draw_months=(0.0, 3.0, 6.0, 9.0, 12.0))
        kw = dict(draws=sim.draws, covariates=["visceral_mets"],
                  long_covariates=["visceral_mets"], random="slope", **ROLES)
        two.append(cs.fit_two_stage_cox(sim.patients, **kw).table.loc["log_concentration",
                                                                       "coef"])
        fit = cs.fit_joint_model(sim.patients, **kw)
        joint.append(fit.table.set_index("component").loc["association", "coef"])
    assert abs(np.mean(joint) - 0.5) < 0.03
    assert np.mean(two) < np.mean(joint) - 0.02
    assert all(t < j + 0.01 for t, j in zip(two, joint, strict=True))


def test_one_data_set_fast():
    sim = cs.simulate_joint(n=200, rng=100, intercept=-2.0,
                            draw_months=(0.0, 3.0, 6.0, 9.0, 12.0))
    kw = dict(draws=sim.draws, covariates=["visceral_mets"],
              long_covariates=["visceral_mets"], random="intercept", **ROLES)
    two = cs.fit_two_stage_cox(sim.patients, **kw).table.loc["log_concentration", "coef"]
    alpha = cs.fit_joint_model(sim.patients, **kw).table.set_index("component")
    alpha = alpha.loc["association"]
    assert abs(alpha["coef"] - 0.5) < 2 * alpha["std_error"]
    assert two < alpha["coef"]


@pytest.fixture(scope="module")
def hayes():
    patients = cs.simulate_cohort("hayes2006", rng=1)
    draws = cs.simulate_draws("hayes2006", rng=1)
    roles = dict(ROLES, time_col="pfs_months", event_col="pfs_event")
    joint = cs.fit_joint_model(patients, draws=draws, covariates=["her2_positive"],
                               random="slope", kind="negbin", **roles)
    return patients, draws, joint


def test_hayes_association_positive_and_falling_counts_predict_better(hayes):
    patients, draws, joint = hayes
    alpha = joint.table.set_index("component").loc["association"]
    assert 1.0 < alpha["hr"] < 1.2 and alpha["p_value"] < 0.05
    history = draws[draws["draw"] <= 2].merge(patients[["patient_id", "her2_positive"]],
                                              on="patient_id")
    history = history[history["patient_id"].isin([11, 13])]
    assert history.groupby("patient_id")["ctc_count"].last().to_dict() == {11: 0, 13: 68}
    pred = joint.predict_survival(history, horizon=[6.0, 12.0], rng=1).table
    s6 = pred[pred["horizon"] == 6.0].set_index("id")["survival"]
    assert s6[11] > s6[13] + 0.05
