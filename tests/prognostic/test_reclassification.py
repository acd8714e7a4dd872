"""reclassification(): NRI and IDI at a horizon.

No R package is available (survIDINRI and nricens are not packaged for Debian), so these tests
check hand-computed examples: without censoring the textbook definitions (Pencina et al. 2008,
2011), with censoring the Kaplan–Meier formulas of Steyerberg & Pencina (2010) worked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.reclassification import reclassification

ROLES = dict(time_col="t", event_col="e", base_risk_col="old", risk_col="new")


def _est(res):
    return dict(zip(res.table["measure"], res.table["estimate"], strict=True))


def test_uncensored_continuous_textbook():
    """4 events by t = 5, 4 non-events. Up movers: 3 events, 1 non-event; down: 1 event,
    3 non-events. NRI_e = (3 - 1)/4, NRI_ne = (3 - 1)/4. IDI = (mean new - mean old among
    events) - (same among non-events) = (0.625 - 0.5) - (0.375 - 0.5) = 0.25."""
    d = pd.DataFrame({"t": [1, 2, 3, 4, 10, 10, 10, 10], "e": [1, 1, 1, 1, 0, 0, 0, 0],
                      "old": [.5] * 8, "new": [.7, .7, .7, .4, .3, .3, .6, .3]})
    e = _est(reclassification(d, horizon=5, n_boot=0, **ROLES))
    assert_allclose([e["nri_events"], e["nri_nonevents"], e["nri"]], [0.5, 0.5, 1.0],
                    rtol=1e-12)
    assert_allclose([e["idi_events"], e["idi_nonevents"], e["idi"]], [0.125, 0.125, 0.25],
                    rtol=1e-12)


def test_uncensored_categorical():
    """Cutoffs 0.2, 0.5: old categories all 'middle' (0.3); new 0.1 → low, 0.6 → high."""
    d = pd.DataFrame({"t": [1, 2, 3, 4, 10, 10, 10, 10], "e": [1, 1, 1, 1, 0, 0, 0, 0],
                      "old": [.3] * 8, "new": [.6, .6, .35, .1, .1, .1, .6, .35]})
    res = reclassification(d, horizon=5, cutoffs=[0.2, 0.5], n_boot=0, **ROLES)
    e = _est(res)
    # events: up 2, down 1 -> 1/4; non-events: down 2, up 1 -> 1/4
    assert_allclose([e["nri_events"], e["nri_nonevents"]], [0.25, 0.25], rtol=1e-12)
    assert res.kind == "categorical" and res.cutoffs == (0.2, 0.5)
    # a risk equal to a cutoff belongs to the higher category
    d2 = d.assign(new=[.5, .5, .3, .3, .3, .3, .3, .3])
    assert_allclose(_est(reclassification(d2, horizon=5, cutoffs=[0.2, 0.5], n_boot=0,
                                          **ROLES))["nri_events"], 0.5, rtol=1e-12)


def test_censored_km_formula_by_hand():
    """Up movers: times 2, 3+, 4, 8 (events at 2, 4): S_up(5) = (3/4)(1/2) = 3/8.
    Down movers: 1, 6+, 7, 9+ (event at 1): S_down(5) = 3/4.
    Everyone (times 1, 2, 3+, 4, 6+, 7, 8, 9+): S(5) = (7/8)(6/7)(4/5) = 0.6;
    P(up) = P(down) = 1/2.
    NRI_e = [(5/8)(1/2) - (1/4)(1/2)] / 0.4 = 0.46875
    NRI_ne = [(3/4)(1/2) - (3/8)(1/2)] / 0.6 = 0.3125"""
    d = pd.DataFrame({"t": [2, 3, 4, 8, 1, 6, 7, 9], "e": [1, 0, 1, 1, 1, 0, 1, 0],
                      "old": [.4] * 8, "new": [.6, .6, .6, .6, .2, .2, .2, .2]})
    res = reclassification(d, horizon=5, n_boot=0, **ROLES)
    e = _est(res)
    assert_allclose(e["nri_events"], (5 / 8 * 0.5 - 0.25 * 0.5) / 0.4, rtol=1e-12)
    assert_allclose(e["nri_nonevents"], (0.75 * 0.5 - 3 / 8 * 0.5) / 0.6, rtol=1e-12)
    mv = res.movers.set_index("direction")
    assert_allclose(mv.loc[["up", "down"], "event_risk"], [5 / 8, 1 / 4], rtol=1e-12)
    # IDI by hand: cases at 1, 2, 4 with G(T-) = 1, 1, 5/6 (reverse KM: the censoring at 3
    # among the 6 still at risk -> G(3) = 5/6), i.e. weights 1, 1, 6/5
    w = {1: 1.0, 2: 1.0, 4: 6 / 5}
    is_new = (0.2 * w[1] + 0.6 * w[2] + 0.6 * w[4]) / sum(w.values())
    is_old = 0.4
    # controls: t > 5: 8, 7, 6+, 9+ all weight 1/G(5), equal -> plain means
    ip_new, ip_old = np.mean([0.6, 0.2, 0.2, 0.2]), 0.4
    assert_allclose(e["idi"], (is_new - is_old) - (ip_new - ip_old), rtol=1e-12)


def test_bootstrap_is_seeded_and_covers(rng):
    n = 300
    x, z = rng.normal(size=n), rng.normal(size=n)
    t_ev = rng.exponential(20 * np.exp(-(0.7 * x + 0.5 * z)))
    t_c = rng.uniform(5, 50, n)
    d = pd.DataFrame({"t": np.minimum(t_ev, t_c), "e": (t_ev <= t_c).astype(int),
                      "old": 1 - np.exp(-0.5 * np.exp(0.7 * x)),
                      "new": 1 - np.exp(-0.5 * np.exp(0.7 * x + 0.5 * z))})
    before = d.copy()
    a = reclassification(d, horizon=10, n_boot=100, rng=7, **ROLES)
    b = reclassification(d.sample(frac=1, random_state=1), horizon=10, n_boot=0, **ROLES)
    pd.testing.assert_frame_equal(d, before)
    c = reclassification(d, horizon=10, n_boot=100, rng=7, **ROLES)
    pd.testing.assert_frame_equal(a.table, c.table)
    assert_allclose(a.table["estimate"], b.table["estimate"], rtol=1e-10)  # row order
    tab = a.table
    assert np.all((tab["ci_lower"] <= tab["estimate"]) & (tab["estimate"] <= tab["ci_upper"]))
    assert a.nri > 0 and a.idi > 0 and a.table["ci_lower"].iloc[3] > 0
    assert b.table["ci_lower"].isna().all()


def test_bad_input():
    d = pd.DataFrame({"t": [1.0, 2, 3, 4, 10], "e": [1, 1, 0, 1, 0],
                      "old": [.1, .2, .3, .4, .5], "new": [.2, .2, .3, 1.4, .5]})
    with pytest.raises(DataValidationError, match="risk_col 'new' must hold predicted "
                                                  "probabilities"):
        reclassification(d, horizon=5, n_boot=0, **ROLES)
    d["new"] = [.2, .2, .3, .4, .5]
    with pytest.raises(ParameterError, match="'cutoffs' parameter of reclassification"):
        reclassification(d, horizon=5, cutoffs=[0.5, 0.2], **ROLES)
    with pytest.raises(ParameterError, match="must differ from 'base_risk_col'"):
        reclassification(d, time_col="t", event_col="e", base_risk_col="old",
                         risk_col="old", horizon=5)
    with pytest.raises(DataValidationError, match="horizon 12 is beyond the last follow-up"):
        reclassification(d, horizon=12, **ROLES)
    d.loc[2, "old"] = np.nan
    with pytest.raises(DataValidationError, match="base_risk_col 'old' has 1 missing value"):
        reclassification(d, horizon=5, **ROLES)
