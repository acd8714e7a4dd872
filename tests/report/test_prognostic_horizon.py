"""The horizon of the added-value analysis has event-free patients to compare with: the middle
reported horizon unless fewer than 10% of the patients are still at risk there (metastatic PFS
at 24 months: ~2%), then the latest earlier horizon with at least 10%; default horizons of a
data file are chosen among those with 10% still at risk."""

from __future__ import annotations

import numpy as np

from ctcstats.report.sections.further import MIN_AT_RISK, prognostic_horizon
from ctcstats.report.units import default_horizons


def _times(shares: dict[float, float], n: int = 1000) -> np.ndarray:
    """n follow-up times with the given share of patients followed to at least each time."""
    t, done = [], 0
    for h, share in sorted(shares.items(), reverse=True):
        k = int(round(share * n)) - done
        t += [h + 0.5] * k
        done += k
    return np.array(t + [0.5] * (n - done))


def test_middle_horizon_when_enough_remain_at_risk():
    t = _times({12: 0.5, 24: 0.3, 36: 0.2})
    assert prognostic_horizon([12.0, 24.0, 36.0], t, "months") == (24.0, "")


def test_earlier_horizon_when_too_few_remain():
    t = _times({12: 0.18, 24: 0.02, 36: 0.01})
    h, why = prognostic_horizon([12.0, 24.0, 36.0], t, "months")
    assert h == 12.0
    assert "not the middle reported horizon (24 months)" in why and "2.0%" in why
    assert "at 12 months 18.0% were." in why
    # exactly at the limit the middle horizon stays
    t = _times({12: 0.5, 24: MIN_AT_RISK, 36: 0.05})
    assert prognostic_horizon([12.0, 24.0, 36.0], t, "months")[0] == 24.0


def test_earliest_horizon_with_a_caveat_when_none_has_enough():
    t = _times({1: 0.08, 2: 0.04, 3: 0.02})
    h, why = prognostic_horizon([1.0, 2.0, 3.0], t, "years")
    assert h == 1.0 and "(fewer than 10% at every reported horizon)" in why
    assert "The horizon is 1 year" in why
    assert prognostic_horizon([1.0], t, "years") == (1.0, "")  # a single horizon: no choice


def test_default_horizons_keep_those_with_patients_at_risk():
    # metastatic PFS in days: by 730 days 3% remain, by 365 days 13%
    t = _times({90: 0.7, 180: 0.45, 365: 0.13, 730: 0.03})
    # without the times: the last three usual horizons within the median follow-up
    assert default_horizons(1020.0, "days") == (365.0, 730.0, 1095.0)
    assert default_horizons(1020.0, "days", time=t) == (90.0, 180.0, 365.0)
    # none with 10% at risk: the earliest usual horizon within the follow-up
    assert default_horizons(1020.0, "days", time=_times({90: 0.05})) == (90.0,)
