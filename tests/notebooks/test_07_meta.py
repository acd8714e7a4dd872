"""What notebooks/07_pooling_and_meta_analysis.py shows, on the same public calls and seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs


@pytest.fixture(scope="module")
def early_os():
    hrs = cs.published_hazard_ratios(setting="early", endpoint="OS", primary_only=True)
    return hrs[hrs["level"] != "meta-analysis"].reset_index(drop=True)


def test_pooled_overall_survival_hr_of_early_breast_cancer(early_os):
    meta = cs.meta_analysis(early_os, estimate_col="log_hr", std_error_col="std_error",
                            study_col="study", method="reml", test="knha")
    assert meta.k >= 5
    hr = np.exp(meta.estimate)
    assert 1.2 <= hr <= 2.5
    assert np.exp(meta.ci_lower) < hr < np.exp(meta.ci_upper)
    loo = cs.leave_one_out(early_os, estimate_col="log_hr", std_error_col="std_error",
                           study_col="study", method="reml", test="knha")
    assert len(loo) == meta.k


def test_ctc_and_dtc_subgroups(early_os):
    sub = cs.subgroup_meta_analysis(early_os, estimate_col="log_hr", std_error_col="std_error",
                                    subgroup_col="marker", study_col="study", method="reml",
                                    test="knha")
    assert sorted(sub.table["subgroup"].astype(str)) == ["CTC", "DTC"]


def test_ipd_reconstructed_from_km_curve_and_risk_table_recovers_the_hr():
    truth = cs.simulate_cohort("cristofanilli2004", rng=7)
    km_true = cs.kaplan_meier(truth, time_col="os_months", event_col="os_event",
                              group_col="ctc_positive")
    risk_times = np.arange(0, 31, 3)
    reconstructed = []
    # the rounded curve of one group implies one event more than its total (recorded)
    with pytest.warns(cs.DataWarning, match="more than total_events"):
        for group in (0, 1):
            curve = km_true.table[km_true.table["group"] == group][["time", "survival"]]
            risk = km_true.survival_at(risk_times)
            risk = risk[(risk["group"] == group) & (risk["time"] <= curve["time"].max())]
            ipd = cs.reconstruct_ipd(
                curve, risk_table=risk[["time", "n_at_risk"]],
                total_events=int(truth.loc[truth["ctc_positive"] == group, "os_event"].sum()))
            reconstructed.append(ipd.assign(ctc_positive=group))
    reconstructed = pd.concat(reconstructed, ignore_index=True).round({"time": 4})
    hr_true = cs.fit_cox(truth, time_col="os_months", event_col="os_event",
                         covariates=["ctc_positive"]).table.loc["ctc_positive", "hr"]
    hr_rec = cs.fit_cox(reconstructed, time_col="time", event_col="event",
                        covariates=["ctc_positive"]).table.loc["ctc_positive", "hr"]
    assert hr_rec == pytest.approx(hr_true, rel=0.1)
