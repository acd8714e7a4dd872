"""What notebooks/04_colorectal_prostate_cohen2008_debono2008.py shows, on the same public
calls and seeds."""

from __future__ import annotations

import pytest
from scipy import stats

import ctcstats as cs


def test_detection_probability_at_the_threshold_is_a_poisson_tail():
    # P(Poisson(5) >= 5) = 0.5595: a patient exactly at 5 cells / 7.5 mL is a coin flip
    p = cs.detection_probability(5 / 7.5, volume_ml=7.5, threshold=5)
    assert p == pytest.approx(stats.poisson.sf(4, 5), abs=1e-12)
    assert p == pytest.approx(0.5595, abs=1e-4)


def test_exact_concentration_ci_of_three_cells():
    lower, upper = cs.concentration_ci(3, 7.5)
    # Garwood: chi2 quantiles / 2 / volume
    assert lower == pytest.approx(stats.chi2.ppf(0.025, 6) / 2 / 7.5, rel=1e-10)
    assert upper == pytest.approx(stats.chi2.ppf(0.975, 8) / 2 / 7.5, rel=1e-10)
    assert (lower, upper) == pytest.approx((0.0825, 1.169), abs=1e-3)


def test_cohen2008_prevalence_falls_with_the_threshold():
    crc = cs.simulate_study("cohen2008", rng=2008).data
    assert (crc["ctc_count"] >= 3).mean() > (crc["ctc_count"] >= 5).mean()


def test_debono2008_conversion_to_favourable_counts_lives_longer():
    sim = cs.simulate_study("debono2008", rng=2009)
    crpc, draws = sim.data, sim.draws
    last = draws.loc[draws["draw"] == 4, ["patient_id", "draw_months", "ctc_positive"]].rename(
        columns={"ctc_positive": "positive_after"})
    conv = crpc.merge(last, on="patient_id")
    label = {0: "favourable", 1: "unfavourable"}
    conv["conversion"] = (conv["ctc_positive"].map(label) + " → "
                          + conv["positive_after"].map(label))
    # rounded to the times' precision (a difference of two float times is not exact)
    conv["os_from_draw"] = (conv["os_months"] - conv["draw_months"]).round(4)
    conv = conv[conv["os_from_draw"] > 0]
    med = cs.kaplan_meier(conv, time_col="os_from_draw", event_col="os_event",
                          group_col="conversion").median.set_index("group")["median"]
    assert len(med) >= 3
    # published 21.3 vs 6.8 months: converters to favourable live longer
    assert med["unfavourable → favourable"] > 2 * med["unfavourable → unfavourable"]
