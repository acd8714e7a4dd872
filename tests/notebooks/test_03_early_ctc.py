"""What notebooks/03_early_ctc_janni2016_rack2014_lucci2012.py shows, on the same public calls
and seeds (fewer bootstrap replicates: the checked numbers are point estimates)."""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs

CLINICAL = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
SEED = 2016


@pytest.fixture(scope="module")
def df():
    return cs.simulate_cohort("janni2016", rng=SEED)


def test_janni2016_stratified_cox(df):
    cox = cs.fit_cox(df, time_col="dfs_months", event_col="dfs_event",
                     covariates=["ctc_positive", *CLINICAL], strata_col="study")
    assert 1.3 <= cox.table.loc["ctc_positive", "hr"] <= 3.0  # published 1.82


def test_ctc_status_adds_to_the_clinical_factors(df):
    av = cs.added_value(df, time_col="dfs_months", event_col="dfs_event",
                        base_covariates=CLINICAL, new_covariates=["ctc_positive"],
                        horizon=60, n_boot=20, rng=SEED)
    assert av.lr_p_value < 1e-3
    assert 0.0 <= av.delta_c <= 0.15


def test_calibration_of_the_model_on_held_out_patients(df):
    rng = np.random.default_rng(SEED)
    train_mask = rng.random(len(df)) < 2 / 3
    train, test = df[train_mask], df[~train_mask].copy()
    y_train = cs.survival_target(train, time_col="dfs_months", event_col="dfs_event")
    full_model = cs.CoxModel().fit(train[["ctc_positive", *CLINICAL]], y_train)
    test["risk_clinical_ctc"] = full_model.predict_risk(test[["ctc_positive", *CLINICAL]], 60)
    cal = cs.calibration(test, time_col="dfs_months", event_col="dfs_event",
                         risk_col="risk_clinical_ctc", horizon=60, n_groups=5)
    assert 0.4 <= cal.slope <= 2.0


def test_lucci2012_small_study_large_hr_wide_ci():
    df_lucci = cs.simulate_cohort("lucci2012", rng=2012)
    row = cs.fit_cox(df_lucci, time_col="pfs_months", event_col="pfs_event",
                     covariates=["ctc_positive"]).table.loc["ctc_positive"]
    assert row["hr"] > 1.5
    assert row["ci_upper"] / row["ci_lower"] > 2.5  # ~300 patients, few events
