"""What notebooks/05_ctc_guided_therapy_swog_s0500.py shows, on the same public calls and
seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs


@pytest.fixture(scope="module")
def analysed():
    sim = cs.simulate_study("smerage2014", rng=2014)
    df, draws = sim.data, sim.draws
    status = draws.pivot(index="patient_id", columns="draw", values="ctc_positive")
    status.columns = ["baseline_positive", "day21_positive"]
    alloc = df.set_index("patient_id").join(status)
    alloc["derived_arm"] = np.select(
        [alloc["baseline_positive"] == 0, alloc["day21_positive"] == 0,
         alloc["day21_positive"] == 1],
        ["A", "B", "C"], default="no day-21 draw")
    alloc["analysis_arm"] = np.where(alloc["derived_arm"] == "C", alloc["arm"],
                                     alloc["derived_arm"])
    return alloc[alloc["analysis_arm"].isin(["A", "B", "C1", "C2"])].reset_index()


def test_ctc_negative_arm_lives_longest(analysed):
    assert len(analysed) <= 595  # the trial's evaluable patients
    med = cs.kaplan_meier(analysed, time_col="os_months", event_col="os_event",
                          group_col="analysis_arm").median.set_index("group")["median"]
    assert med["A"] > med["C1"]
    assert med["A"] > med["C2"]


def test_switching_therapy_early_does_not_help(analysed):
    arm_c = analysed[analysed["analysis_arm"].isin(["C1", "C2"])].assign(
        switched=lambda d: (d["analysis_arm"] == "C2").astype(int))
    fit = cs.fit_cox(arm_c, time_col="os_months", event_col="os_event", covariates=["switched"])
    assert 0.5 <= fit.table.loc["switched", "hr"] <= 2.0  # published 1.00


def test_null_trials_reject_at_about_the_nominal_rate():
    p_values = []
    for seed in range(100):
        trial = cs.simulate_cohort("smerage2014", rng=seed)
        c = trial[trial["arm"].isin(["C1", "C2"])].assign(
            switched=lambda d: (d["arm"] == "C2").astype(int))
        fit = cs.fit_cox(c, time_col="os_months", event_col="os_event", covariates=["switched"])
        p_values.append(fit.table.loc["switched", "p_value"])
    assert (pd.Series(p_values) < 0.05).mean() < 0.15
