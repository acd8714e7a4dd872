"""What notebooks/02_metastatic_ctc_cristofanilli2004_hayes2006.py shows, on the same public
calls and seeds."""

from __future__ import annotations

import pytest

import ctcstats as cs


@pytest.fixture(scope="module")
def df():
    return cs.simulate_study("cristofanilli2004", rng=2004).data


def test_prevalence_and_median_os_of_ctc_positive(df):
    assert 0.3 <= df["ctc_positive"].mean() <= 0.7  # published 49%
    km = cs.kaplan_meier(df, time_col="os_months", event_col="os_event",
                         group_col="ctc_positive")
    assert km.median.set_index("group").loc[1, "median"] < 20  # published 10.1 months


def test_cutpoint_search_corrected_p_and_the_split_at_five(df):
    cut = cs.optimal_cutpoint(df, marker_col="ctc_count", time_col="os_months",
                              event_col="os_event")
    # the corrected p-value of the maximally selected statistic exceeds the naive one
    assert cut.p_value > cut.p_value_unadjusted
    # "≥5 CTC" (the split ≤ c vs > c at the largest scanned cut below 5) clears the
    # corrected critical value
    scan = cut.scan.set_index("cutpoint")
    at_5 = scan.loc[scan.index[scan.index < 5].max()]
    assert at_5["statistic"] > cut.critical_value


def test_counts_are_overdispersed(df):
    comparison = cs.compare_count_models(
        df, count_col="ctc_count", covariates=["hr_positive", "her2_positive", "line_of_therapy"],
        volume_col="blood_volume_ml")
    assert comparison.table.sort_values("aic")["kind"].iloc[0] != "poisson"


def test_hayes2006_five_follow_up_draws():
    draws = cs.simulate_study("hayes2006", rng=2006).draws
    assert sorted(draws["draw"].unique()) == [0, 1, 2, 3, 4]
