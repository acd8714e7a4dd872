"""Landmark analysis, time-varying Cox and the guarantee-time bias demonstration.

R references in ``tests/reference/landmark/`` (``landmark.R``): counting-process data by
``survival::tmerge(..., tdc())``, ``coxph(Surv(tstart, tstop, death) ~ pos (+ age))`` and
landmark models ``coxph(Surv(time - L, event) ~ ctc_positive, subset = time > L)`` with the
last draw in ``[L - w, L]``; inputs: two seeded serial cohorts with tied times (n = 60, 400)
and the Stanford heart-transplant data of lifelines (transplant as the time-dependent
covariate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.errors import DataValidationError, DataWarning, ParameterError
from ctcstats.survival._core.cox import fit_cox_arrays
from ctcstats.survival.counting import counting_process_data
from ctcstats.survival.landmark import (
    fit_time_varying_cox,
    guarantee_time_bias,
    landmark_analysis,
    landmark_data,
)
from tests.reference._load import as_array, load_input, load_output

NAMES = ["60", "400", "jasa"]
KW = dict(time_col="time", event_col="event", marker_col="ctc_positive",
          draw_time_col="draw_time")
# the general tmerge helper with the rows before the first draw dropped (R: NA, removed)
CP_KW = dict(time_col="time", event_col="event", value_cols=["ctc_positive"],
             draw_time_col="draw_time", before_first="drop")


def _ref(nm):
    return load_input("landmark", f"patients_{nm}"), load_input("landmark", f"draws_{nm}"), \
        load_output("landmark", f"landmark_{nm}")


@pytest.mark.parametrize("nm", NAMES)
def test_counting_process_matches_tmerge(nm):
    """R: tmerge(base, d, id = patient_id, pos = tdc(draw_time, ctc_positive)), NA rows
    removed — identical rows (exact: same arithmetic on the stored times)."""
    p, d, ref = _ref(nm)
    cp = counting_process_data(p, draws=d, **CP_KW)
    np.testing.assert_array_equal(cp["patient_id"], as_array(ref["cp_id"]))
    np.testing.assert_allclose(cp["start"], as_array(ref["cp_start"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cp["stop"], as_array(ref["cp_stop"]), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cp["event"], as_array(ref["cp_event"]))
    np.testing.assert_array_equal(cp["ctc_positive"], as_array(ref["cp_pos"]))


@pytest.mark.parametrize("nm", NAMES)
def test_time_varying_cox_matches_coxph(nm):
    """R: coxph(Surv(tstart, tstop, death) ~ pos, ties = "efron") and ~ pos + age.

    lifelines' Newton iterations stop at their own tolerance (step/likelihood ~1e-7), R's at
    a relative log-likelihood change of 1e-9: estimates agree to ~1e-5 relative.
    """
    p, d, ref = _ref(nm)
    n_no = len(set(p["patient_id"]) - set(as_array(ref["cp_id"]).astype(int)))
    res = _tv(n_no, p, d)
    np.testing.assert_allclose(res.table.loc["marker_positive", "coef"], ref["tv_coef"],
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res.table.loc["marker_positive", "std_error"], ref["tv_se"],
                               rtol=1e-5)
    np.testing.assert_allclose(res.loglik, ref["tv_loglik"], rtol=1e-8)
    res2 = _tv(n_no, p, d, covariates=["age"])
    np.testing.assert_allclose(res2.table["coef"], as_array(ref["tv2_coef"]), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(res2.table["std_error"], as_array(ref["tv2_se"]), rtol=1e-5)
    assert res2.table.index.tolist() == ["marker_positive", "age"]
    assert res.n_intervals == len(ref["cp_id"])
    assert res.n_events == int(np.sum(as_array(ref["cp_event"])))


@pytest.mark.parametrize("nm", NAMES)
def test_own_engine_agrees_on_counting_process_rows(nm):
    """Our Cox engine (R's agreg.fit algorithm) on the same (start, stop] rows equals R to
    ~1e-8: same Newton iterations and convergence rule as coxph."""
    p, d, ref = _ref(nm)
    cp = counting_process_data(p, draws=d, covariates=["age"], **CP_KW)
    fit = fit_cox_arrays(cp[["ctc_positive", "age"]].to_numpy(float), cp["stop"].to_numpy(),
                         cp["event"].to_numpy(), start=cp["start"].to_numpy())
    np.testing.assert_allclose(fit.coef, as_array(ref["tv2_coef"]), rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.var)), as_array(ref["tv2_se"]), rtol=1e-7)


def _tv(n_no, p, d, **kw):
    """fit_time_varying_cox, asserting the warning about patients without any draw."""
    if n_no == 0:
        return fit_time_varying_cox(p, draws=d, **kw, **KW)
    with pytest.warns(DataWarning, match=f"{n_no} patients have no draw"):
        res = fit_time_varying_cox(p, draws=d, **kw, **KW)
    assert res.n_no_draw == n_no and len(res.warnings) == 1
    return res


@pytest.mark.parametrize("nm", NAMES)
def test_landmark_matches_r(nm):
    """R: coxph(Surv(time - L, event) ~ ctc_positive, data = at-risk rows with the last draw
    in [L - w, L]) and survfit medians per status. Same algorithm as R (fit_cox): 1e-7."""
    p, d, ref = _ref(nm)
    lms = as_array(ref["landmarks"]).tolist()
    hr_ref = as_array(ref["lm_hr"])
    if np.isnan(hr_ref).any():
        with pytest.warns(DataWarning, match="only one marker group"):
            res = landmark_analysis(p, draws=d, landmarks=lms, window=ref["window"], **KW)
    else:
        res = landmark_analysis(p, draws=d, landmarks=lms, window=ref["window"], **KW)
    t = res.table
    np.testing.assert_array_equal(t["n_at_risk"], as_array(ref["lm_n"]))
    np.testing.assert_array_equal(t["n_positive"], as_array(ref["lm_npos"]))
    np.testing.assert_allclose(t["hr"], hr_ref, rtol=1e-7)
    ok = np.isfinite(hr_ref)
    se = np.log(t["ci_upper"] / t["hr"]) / 1.959963984540054
    np.testing.assert_allclose(se[ok], as_array(ref["lm_se"])[ok], rtol=1e-7)
    np.testing.assert_allclose(t["median_negative"], as_array(ref["lm_median_negative"]),
                               rtol=1e-12)
    np.testing.assert_allclose(t["median_positive"], as_array(ref["lm_median_positive"]),
                               rtol=1e-12)


def test_landmark_data_and_counts_threshold():
    p, d, _ = _ref("400")
    a = landmark_analysis(p, draws=d, landmarks=[1.0, 2.5], window=1.5, **KW)
    b = landmark_analysis(p, draws=d, landmarks=[1.0, 2.5], window=1.5, time_col="time",
                          event_col="event", draw_time_col="draw_time", count_col="ctc_count",
                          threshold=5)
    pd.testing.assert_frame_equal(a.table, b.table)
    rows = landmark_data(p, draws=d, landmark=2.5, window=1.5, **KW)
    assert (rows["time"] > 0).all() and (rows["draw_time"] <= 2.5).all()
    assert (rows["draw_time"] >= 1.0).all()
    assert len(rows) == a.table.loc[1, "n_at_risk"]
    assert a.table.loc[1, "n_events"] == rows["event"].sum()


def test_row_order_and_inputs_unchanged(rng):
    p, d, _ = _ref("400")
    p0, d0 = p.copy(), d.copy()
    a = landmark_analysis(p, draws=d, landmarks=[0.0, 2.5], window=1.5, **KW)
    tv = _tv(1, p, d)
    pd.testing.assert_frame_equal(p, p0)
    pd.testing.assert_frame_equal(d, d0)
    ps = p.sample(frac=1.0, random_state=1)
    ds = d.sample(frac=1.0, random_state=2)
    b = landmark_analysis(ps, draws=ds, landmarks=[0.0, 2.5], window=1.5, **KW)
    tv2 = _tv(1, ps, ds)
    pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-10)
    np.testing.assert_allclose(tv.table["coef"], tv2.table["coef"], rtol=1e-8)


def test_plot_draws_one_point_per_landmark():
    import matplotlib.pyplot as plt

    p, d, _ = _ref("400")
    res = landmark_analysis(p, draws=d, landmarks=[0.0, 1.0, 2.5], window=1.5, **KW)
    ax = res.plot()
    pts = [ln for ln in ax.get_lines() if ln.get_gid() == "landmark-hr"][0]
    np.testing.assert_allclose(pts.get_xdata(), [0.0, 1.0, 2.5])
    np.testing.assert_allclose(pts.get_ydata(), res.table["hr"])
    ci = [c for c in ax.collections if c.get_gid() == "landmark-ci"][0]
    assert len(ci.get_segments()) == 3
    assert ax.get_yscale() == "log"
    plt.close(ax.figure)


def test_errors():
    p, d, _ = _ref("60")
    with pytest.raises(ParameterError, match="alternatives"):
        landmark_analysis(p, draws=d, landmarks=[1.0], time_col="time", event_col="event",
                          draw_time_col="draw_time")
    with pytest.raises(ParameterError, match="'threshold' parameter"):
        landmark_analysis(p, draws=d, landmarks=[1.0], time_col="time", event_col="event",
                          draw_time_col="draw_time", count_col="ctc_count")
    with pytest.raises(ParameterError, match="'landmarks' parameter"):
        landmark_analysis(p, draws=d, landmarks=[-1.0], **KW)
    with pytest.raises(ParameterError, match="'window' parameter"):
        landmark_analysis(p, draws=d, landmarks=[1.0, 2.0], window=[1.0], **KW)
    bad = pd.concat([d, pd.DataFrame({"patient_id": [999], "draw_time": [0.0],
                                      "ctc_count": [1], "ctc_positive": [0]})],
                    ignore_index=True)
    with pytest.raises(DataValidationError, match="not in data"):
        landmark_analysis(p, draws=bad, landmarks=[1.0], **KW)
    with pytest.raises(DataValidationError, match="one row per patient"):
        landmark_analysis(pd.concat([p, p.iloc[:2]]), draws=d, landmarks=[1.0], **KW)
    with pytest.raises(DataValidationError, match="draw_time_col 'when' is not a column"):
        fit_time_varying_cox(p, draws=d, time_col="time", event_col="event",
                             marker_col="ctc_positive", draw_time_col="when")
    d2 = d.assign(ctc_positive=d["ctc_positive"] * 2)
    with pytest.raises(DataValidationError, match="marker_col 'ctc_positive'"):
        fit_time_varying_cox(p, draws=d2, **KW)


def test_missing_drop_counts_rows():
    p, d, _ = _ref("60")
    p = p.astype({"age": float})
    p.loc[3, "age"] = np.nan
    with pytest.raises(DataValidationError, match="missing"):
        fit_time_varying_cox(p, draws=d, covariates=["age"], **KW)
    res = fit_time_varying_cox(p, draws=d, covariates=["age"], missing="drop", **KW)
    assert res.n_dropped == 1


@pytest.mark.parametrize("seed", range(5))
def test_guarantee_time_bias_direction_hayes(seed):
    """Hayes 2006 synthetic cohorts, PFS, follow-up draw at 6–8 weeks (landmark 8 weeks).

    The naive responder analysis (negative at the draw vs everybody else, time from baseline)
    gives a larger HR than the landmark analysis and the Mantel–Byar time-varying Cox model
    of the same contrast — the guaranteed event-free time before the draw is credited to the
    responders (see the module docstring of ctcstats.survival.landmark).
    """
    sc = cs.simulate_study("hayes2006", n=1000, rng=seed)
    res = guarantee_time_bias(sc.data, draws=sc.draws, landmark=8 / 4.348, window=0.7,
                              time_col="pfs_months", event_col="pfs_event",
                              marker_col="ctc_positive")
    hr = res.table.set_index("analysis")["hr"]
    assert hr["naive"] > hr["landmark"] > 1.0
    assert hr["naive"] > hr["time_varying"]
    assert res.table["n"].tolist()[0] == 1000


def test_counting_process_is_the_public_builder():
    """fit_time_varying_cox builds its (start, stop] rows with the public
    counting_process_data(before_first="drop") (issue 13 review; it used a private copy).
    Both gave identical rows, coefficients and log-likelihood on the three R reference inputs
    (checked when switching); the edge cases, by hand: draws before 0 set the status at the
    start (the last of them counts), a patient enters at a first draw after 0, draws at or
    after the end of follow-up are ignored, a patient without a draw is left out."""
    p = pd.DataFrame({"pid": [1, 2, 3, 4, 5], "time": [10.0, 8, 6, 12, 9],
                      "event": [1, 0, 1, 1, 0], "age": [50.0, 60, 70, 55, 65]})
    d = pd.DataFrame({"pid": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4],
                      "dt": [-1.0, 0.0, 3.0, 2.0, 8.0, 0.0, 4.0, 7.0, -2.0, 5.0],
                      "pos": [1, 0, 1, 1, 0, 1, 0, 1, 0, 1]})
    with pytest.warns(cs.CTCStatsWarning):
        res = fit_time_varying_cox(p, draws=d, marker_col="pos", time_col="time",
                                   event_col="event", id_col="pid", draw_time_col="dt",
                                   covariates=["age"])
    expected = pd.DataFrame({
        "id": [1, 1, 2, 3, 3, 4, 4], "start": [0.0, 3, 2, 0, 4, 0, 5],
        "stop": [3.0, 10, 8, 4, 6, 5, 12], "event": [0, 1, 0, 0, 1, 0, 1],
        "marker_positive": [0, 1, 1, 1, 0, 0, 1], "age": [50.0, 50, 60, 70, 70, 55, 55]})
    pd.testing.assert_frame_equal(res.data, expected)
    assert res.n_no_draw == 1
    public = counting_process_data(p, draws=d, time_col="time", event_col="event",
                                   value_cols=["pos"], id_col="pid", draw_time_col="dt",
                                   covariates=["age"], before_first="drop")
    np.testing.assert_array_equal(public[["start", "stop", "pos"]].to_numpy(float),
                                  expected[["start", "stop", "marker_positive"]].to_numpy(float))


def test_repeated_draw_time_is_an_error_not_the_last_row():
    """Two draws of one patient at one time used to be resolved by keeping the last row, so
    the result depended on the order of the rows when the statuses differed; now an error
    naming the rows, as counting_process_data and landmark_stack."""
    p = pd.DataFrame({"pid": [1, 2, 3], "time": [10.0, 8, 6], "event": [1, 0, 1]})
    d = pd.DataFrame({"pid": [1, 1, 2, 3, 1], "dt": [0.0, 3, 0, 0, 3],
                      "pos": [1, 0, 1, 0, 1]}, index=["a", "b", "c", "d", "e"])
    kw = dict(marker_col="pos", time_col="time", event_col="event", id_col="pid",
              draw_time_col="dt")
    with pytest.raises(DataValidationError, match=r"draws has 2 rows that repeat a patient's "
                                                  r"draw time 'dt' \(first row labels: 'b', 'e'\)"):
        fit_time_varying_cox(p, draws=d, **kw)
    with pytest.raises(DataValidationError, match="repeat a patient's draw time"):
        landmark_analysis(p, draws=d, landmarks=[3.0], **kw)
