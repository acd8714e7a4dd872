"""dynamic_performance against R (tests/reference/supermodel/supermodel.R, part D).

pbc + pbcseq: supermodels with the baseline vs the updated (current) log1p bilirubin; R
computes each landmark set's risks from its own coxph fit (basehaz per stratum) and then
``riskRegression::Score(..., times = w, metrics = c("auc", "brier"), summary = "ipa",
cens.model = "km")``, ``survival::concordance`` (Harrell, window-truncated) and the
Kaplan–Meier risk. Tolerance 1e-6 relative (coefficients from R's Newton iterations feed the
risks; the metrics are closed forms of them).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import ParameterError
from tests.reference._load import as_array, load_input, load_output

LMS = [0, 365, 730, 1095, 1461, 1826, 2191]


@pytest.fixture(scope="module")
def perf():
    pat = load_input("supermodel", "pbc_patients_cr")
    pat = pat.assign(status=(pat["status"] == 1).astype(int))
    dr = load_input("tmerge", "pbcseq_draws")[["id", "day", "bili"]]
    kw = dict(draws=dr, landmarks=LMS, horizon=1826, time_col="time", event_col="status",
              id_col="id", draw_time_col="day", marker_col="bili", transform="log1p")
    m0 = cs.landmark_supermodel(pat, summary="baseline", **kw)
    m1 = cs.landmark_supermodel(pat, summary="current", **kw)
    return cs.dynamic_performance(pat, draws=dr, models={"risk0": m0, "risk1": m1}), (pat, dr,
                                                                                      m0, m1)


def test_matches_score_and_concordance(perf):
    res, _ = perf
    ref = load_output("supermodel", "performance")
    t = res.table.sort_values(["landmark", "model"], kind="stable").reset_index(drop=True)
    assert t["model"].tolist() == ref["model"]
    assert_allclose(t["landmark"], as_array(ref["landmark"]))
    assert_allclose(t["n_at_risk"], as_array(ref["n"]))
    for ours, theirs in [("auc", "auc"), ("auc_std_error", "auc_se"), ("brier", "brier"),
                         ("brier_std_error", "brier_se"), ("null_brier", "null_brier"),
                         ("ipa", "ipa"), ("c_index", "c_index"),
                         ("c_index_std_error", "c_se"), ("observed_risk", "observed"),
                         ("mean_risk", "mean_risk"), ("calibration_slope", "cal_slope"),
                         ("calibration_slope_std_error", "cal_slope_se")]:
        assert_allclose(t[ours], as_array(ref[theirs]), rtol=1e-6, err_msg=ours)
    assert_allclose(t["oe_ratio"], t["observed_risk"] / t["mean_risk"])


def test_comparison_and_plot(perf):
    import matplotlib
    matplotlib.use("Agg")
    res, _ = perf
    c = res.comparison
    assert c["model"].unique().tolist() == ["risk1"]
    t = res.table.set_index(["model", "landmark"])
    assert_allclose(c["delta_auc"], (t.loc["risk1", "auc"] - t.loc["risk0", "auc"]).to_numpy())
    # the updated bilirubin discriminates better than the baseline value after baseline
    assert (c.loc[c["landmark"] > 0, "delta_auc"] > 0).all()
    ax = res.plot(metric="ipa")
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "dynamic-performance"]) == 2
    with pytest.raises(ParameterError, match="metric"):
        res.plot(metric="nope")


def test_errors(perf):
    _, (pat, dr, m0, _) = perf
    with pytest.raises(ParameterError, match="landmark_supermodel results"):
        cs.dynamic_performance(pat, draws=dr, models={"x": object()})
    m2 = cs.landmark_supermodel(pat, draws=dr, landmarks=LMS[:3], horizon=1826,
                                time_col="time", event_col="status", id_col="id",
                                draw_time_col="day", marker_col="bili")
    with pytest.raises(ParameterError, match="other landmarks or horizon"):
        cs.dynamic_performance(pat, draws=dr, models={"a": m0, "b": m2})
    single = cs.dynamic_performance(pat, draws=dr, models=m0)
    assert single.comparison.empty and single.table["model"].unique().tolist() == ["model"]
    assert isinstance(single.to_dict(), dict)
    assert np.isfinite(single.table["auc"]).all()
