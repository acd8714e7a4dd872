"""What notebooks/11_serial_draws.py shows, on the same public calls and seeds (its R
comparisons are in tests/dynamic/ and tests/survival/test_counting_data.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs


@pytest.fixture(scope="module")
def debono():
    return cs.simulate_study("debono2008", n=500, rng=2008)


def test_time_dependent_count_is_prognostic(debono):
    cp = cs.counting_process_data(debono.data, draws=debono.draws, time_col="os_months",
                                  event_col="os_event", value_cols=["ctc_count"])
    cp["log_ctc"] = np.log1p(cp["ctc_count"])
    tv = cs.fit_cox(cp, start_col="start", time_col="stop", event_col="os_event",
                    id_col="patient_id", covariates=["log_ctc"])
    assert tv.table.loc["log_ctc", "ci_lower"] > 1


def test_naive_hazard_ratio_exceeds_time_varying():
    hayes = cs.simulate_study("hayes2006", n=600, rng=2006)
    t = cs.guarantee_time_bias(hayes.data, draws=hayes.draws, landmark=1.84, window=0.7,
                               time_col="pfs_months", event_col="pfs_event",
                               marker_col="ctc_positive").table.set_index("analysis")
    assert t.loc["naive", "hr"] > t.loc["time_varying", "ci_upper"]


def test_updated_count_improves_later_landmarks(debono):
    kw = dict(draws=debono.draws, landmarks=[0, 1, 2, 3], horizon=12, time_col="os_months",
              event_col="os_event", marker_col="ctc_count", transform="log1p",
              landmark_degree=1)
    m0 = cs.landmark_supermodel(debono.data, summary="baseline", **kw)
    m1 = cs.landmark_supermodel(debono.data, summary="current", **kw)
    perf = cs.dynamic_performance(debono.data, draws=debono.draws,
                                  models={"baseline": m0, "updated": m1})
    c = perf.comparison.set_index("landmark")
    assert abs(c.loc[0.0, "delta_auc"]) < 1e-9  # the same information at baseline
    assert (c.loc[[2.0, 3.0], "delta_auc"] > 0).all()
    assert (c.loc[[2.0, 3.0], "delta_c_index"] > 0).all()
    # falling vs rising counts from the same baseline: the risks part after baseline
    history = pd.DataFrame({"patient_id": ["f"] * 3 + ["r"] * 3,
                            "draw_months": [0.0, 0.8, 1.6] * 2,
                            "ctc_count": [20, 4, 1, 20, 35, 60]})
    p = m1.predict(history, landmark=[0, 2]).table.set_index(["id", "landmark"])["risk"]
    assert p[("f", 0.0)] == pytest.approx(p[("r", 0.0)])
    assert p[("r", 2.0)] > p[("f", 2.0)] + 0.1


def test_swog_day21_count_adds():
    coh = cs.simulate_study("smerage2014", n=500, rng=11)
    kw = dict(draws=coh.draws, landmarks=[0, 0.75], horizon=12, time_col="os_months",
              event_col="os_event", marker_col="ctc_count", transform="log1p",
              landmark_degree=1)
    perf = cs.dynamic_performance(coh.data, draws=coh.draws, models={
        "baseline": cs.landmark_supermodel(coh.data, summary="baseline", **kw),
        "updated": cs.landmark_supermodel(coh.data, summary="current", **kw)})
    last = perf.comparison.iloc[-1]
    assert last["delta_auc"] > 0 and last["delta_ipa"] > 0
