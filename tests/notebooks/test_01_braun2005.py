"""What notebooks/01_pooled_dtc_braun2005.py shows, on the same public calls and seed."""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs

CLINICAL = ["tumor_size_cm", "node_positive", "grade", "hr_positive"]


@pytest.fixture(scope="module")
def df():
    return cs.simulate_cohort("braun2005", rng=2005)


def test_dtc_prevalence_and_stratified_cox(df):
    assert 0.25 <= df["dtc_positive"].mean() <= 0.37  # published 30.6%
    cox = cs.fit_cox(df, time_col="os_months", event_col="os_event",
                     covariates=["dtc_positive", *CLINICAL], strata_col="study")
    assert 1.15 <= cox.table.loc["dtc_positive", "hr"] <= 3.0


def test_period_specific_hazard_ratios_both_above_one(df):
    piecewise = cs.fit_piecewise_cox(
        df, time_col="os_months", event_col="os_event", covariates=["dtc_positive", *CLINICAL],
        split_at=[60], piecewise=["dtc_positive"], strata_col="study")
    pw = piecewise.table
    dtc = pw.loc[pw.index.str.startswith("dtc_positive"), "hr"]
    assert len(dtc) == 2  # years 0-5 and after 5
    assert (dtc > 1).all()


def test_two_stage_pooling_of_the_nine_studies(df):
    effects = cs.study_effects(df, study_col="study", time_col="os_months",
                               event_col="os_event", covariates=["dtc_positive", *CLINICAL])
    dtc = effects[effects["term"] == "dtc_positive"]
    meta = cs.meta_analysis(dtc, estimate_col="coef", std_error_col="std_error",
                            study_col="study", method="reml", test="knha")
    assert meta.k == 9
    assert 1.15 <= np.exp(meta.estimate) <= 3.0
