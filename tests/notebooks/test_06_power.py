"""What notebooks/06_study_design_and_power.py shows, on the same public calls (fewer
simulated trials than the notebook: the checks are about the direction of the results)."""

from __future__ import annotations

import math

import pytest
from scipy import stats

import ctcstats as cs


def test_schoenfeld_events_closed_form():
    # (z_.975 + z_.8)^2 / (0.2 * 0.8 * log(2)^2) = 102.10
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 / (0.2 * 0.8 * math.log(2) ** 2)
    assert cs.schoenfeld_events(2.0, prevalence=0.2) == pytest.approx(expected, rel=1e-10)
    assert expected == pytest.approx(102.103, abs=2e-3)


def test_simulated_power_of_lucci2012_with_its_interval():
    res = cs.simulate_power("lucci2012", n_sim=100, rng=1, progress=False)
    assert 0.0 <= res.ci_lower <= res.power <= res.ci_upper <= 1.0
    assert len(res.replicates) == 100


def test_janni2016_at_half_size_is_well_powered():
    res = cs.simulate_power("janni2016", n=1500, n_sim=40, rng=2, progress=False)
    assert 0.5 <= res.power <= 1.0


def test_power_curve_rises_with_n():
    with pytest.warns(UserWarning):  # monotone likelihood in some small cohorts (narrated)
        curve = cs.power_curve("lucci2012", n_grid=[100, 600], n_sim=100, rng=3,
                               progress=False)
    assert curve.table["n"].tolist() == [100, 600]
    assert curve.table["power"].iloc[-1] > curve.table["power"].iloc[0]
