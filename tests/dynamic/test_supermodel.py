"""landmark_supermodel against R (tests/reference/supermodel/supermodel.R).

Real longitudinal data: survival::pbc with the serial serum bilirubin of pbcseq (log1p scale),
landmarks 0–6 years (days), window 5 years. R stacks the landmark sets with its own code and
fits ``coxph(Surv(LM, stop, death) ~ ... + strata(LM) + cluster(id), ties = "breslow")``;
predictions are ``survfit(fit, newdata)`` at ``s + w`` (robust variance, conf.type "log"),
the smooth-baseline risks and the cause-specific cumulative incidences are computed from
``basehaz``. Tolerances: the Newton iterations are R's (1e-6 relative for coefficients, SEs
and predictions, as the other Cox references); the stacked rows are exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from tests.reference._load import as_array, load_input, load_output

LMS = [0, 365, 730, 1095, 1461, 1826, 2191]
RTOL = 1e-6


def _inputs(competing=False):
    pat = load_input("supermodel", "pbc_patients_cr")
    if not competing:
        pat = pat.assign(status=(pat["status"] == 1).astype(int))
    return pat, load_input("tmerge", "pbcseq_draws")[["id", "day", "bili"]]


def _fit(competing=False, **kw):
    pat, dr = _inputs(competing)
    return cs.landmark_supermodel(pat, draws=dr, landmarks=LMS, horizon=1826, time_col="time",
                                  event_col="status", id_col="id", draw_time_col="day",
                                  marker_col="bili", transform="log1p", **kw)


def _check_fit(tab, ref):
    assert_allclose(tab["coef"], as_array(ref["coef"]), rtol=RTOL)
    assert_allclose(tab["std_error"], as_array(ref["se"]), rtol=RTOL)


def test_stacked_rows_match_r():
    ref = load_output("supermodel", "stack")
    pat, dr = _inputs(True)
    st = cs.landmark_stack(pat, draws=dr, landmarks=LMS, horizon=1826, time_col="time",
                           event_col="status", id_col="id", draw_time_col="day",
                           marker_col="bili", transform="log1p",
                           summary=["current", "change", "slope"])
    assert_allclose(st["id"], as_array(ref["id"]))
    assert_allclose(st["landmark"], as_array(ref["LM"]))
    assert_allclose(st["stop"], as_array(ref["stop"]), rtol=0, atol=1e-12)
    assert_allclose(st["event"], as_array(ref["status"]))
    assert_allclose(st["bili_current"], as_array(ref["cur"]), rtol=1e-12)
    assert_allclose(st["bili_change"], as_array(ref["chg"]), rtol=0, atol=1e-12)
    assert_allclose(st["bili_slope"], as_array(ref["slope"]), rtol=1e-9, atol=1e-15)
    assert list(st.columns[-2:]) == ["lm1", "lm2"]


def test_stacked_rows_match_dynpred_cutLM():
    """dynpred::cutLM(tmerge rows, LM = s, horizon = s + w, format = "long", rtime =
    "tstart", right = FALSE) stacked over the landmarks (dynpred 0.1.2 built from its CRAN
    source as an oracle): the same patients, times, statuses and current bilirubin."""
    ref = load_output("supermodel", "dynpred_cutLM")
    pat, dr = _inputs(True)
    st = cs.landmark_stack(pat, draws=dr, landmarks=LMS, horizon=1826, time_col="time",
                           event_col="status", id_col="id", draw_time_col="day",
                           marker_col="bili", summary="current")
    assert_allclose(st["id"], as_array(ref["id"]))
    assert_allclose(st["landmark"], as_array(ref["LM"]))
    assert_allclose(st["stop"], as_array(ref["time"]), rtol=0, atol=1e-12)
    assert_allclose(st["event"], as_array(ref["status"]))
    assert_allclose(st["bili_current"], as_array(ref["bili"]), rtol=0, atol=0)


def test_strata_supermodel_and_predictions_match_coxph_survfit():
    ref = load_output("supermodel", "strata_varying")
    sm = _fit(summary=["current", "change"], covariates=["age"])
    assert sm.table["term"].tolist() == [
        "bili_current", "bili_change", "age", "bili_current:lm1", "bili_current:lm2",
        "bili_change:lm1", "bili_change:lm2"]
    assert list(sm.table.columns) == ["term", "coef", "std_error", "hr", "ci_lower",
                                      "ci_upper", "p_value"]
    _check_fit(sm.table, ref)
    assert_allclose(sm.loglik, ref["loglik"][1], rtol=1e-9)
    assert sm.n_rows == ref["n"] and sm.n_events == ref["nevent"]
    assert sm.landmark_table["n_at_risk"].sum() == sm.n_rows
    # two new patients: log1p(bili) now 1.2 / 6.5 and changes 0.1 / 1.0 since baseline
    got = []
    for s in (730, 1461):
        cur = np.log1p([1.2, 6.5])
        hist = pd.DataFrame({"id": [1, 1, 2, 2], "day": [0, s, 0, s],
                             "bili": [np.expm1(cur[0] - 0.1), 1.2, np.expm1(cur[1] - 1.0), 6.5]})
        p = sm.predict(hist, landmark=s, data=pd.DataFrame({"id": [1, 2], "age": [50., 60.]}))
        got.append(p.table)
    got = pd.concat(got, ignore_index=True)
    assert_allclose(got["landmark"], as_array(ref["pred_landmark"]))
    assert_allclose(1 - got["risk"], as_array(ref["pred_surv"]), rtol=RTOL)
    assert_allclose(1 - got["ci_upper"], as_array(ref["pred_lower"]), rtol=RTOL)
    assert_allclose(1 - got["ci_lower"], as_array(ref["pred_upper"]), rtol=RTOL)


def test_ph_test_matches_cox_zph():
    """cox.zph(fit, transform = "km", terms = TRUE) on the strata(LM) supermodel."""
    ref = load_output("supermodel", "strata_varying_zph")
    sm = _fit(summary=["current", "change"], covariates=["age"])
    with pytest.warns(cs.ProportionalHazardsWarning):
        ph = sm.ph_test()
    assert len(ph.table) == len(ref["terms"])
    assert_allclose(ph.table["statistic"], as_array(ref["chisq"]), rtol=1e-8)
    assert_allclose(ph.table["df"], as_array(ref["df"]))


def test_efron_ties_predictions_match_survfit():
    """ties = "efron": survfit.coxph's Efron hazard and variance (R's default)."""
    ref = load_output("supermodel", "strata_varying_efron")
    sm = _fit(summary=["current", "change"], covariates=["age"], ties="efron")
    _check_fit(sm.table, ref)
    got = []
    for s in (730, 1461):
        cur = np.log1p([1.2, 6.5])
        hist = pd.DataFrame({"id": [1, 1, 2, 2], "day": [0, s, 0, s],
                             "bili": [np.expm1(cur[0] - 0.1), 1.2, np.expm1(cur[1] - 1.0), 6.5]})
        got.append(sm.predict(hist, landmark=s,
                              data=pd.DataFrame({"id": [1, 2], "age": [50., 60.]})).table)
    got = pd.concat(got, ignore_index=True)
    assert_allclose(1 - got["risk"], as_array(ref["pred_surv"]), rtol=RTOL)
    assert_allclose(1 - got["ci_upper"], as_array(ref["pred_lower"]), rtol=RTOL)
    assert_allclose(1 - got["ci_lower"], as_array(ref["pred_upper"]), rtol=RTOL)


def test_smooth_baseline_matches_coxph():
    ref = load_output("supermodel", "smooth")
    sm = _fit(summary=["current", "slope"], varying=["bili_current"], baseline="smooth")
    assert sm.table["term"].tolist() == ["bili_current", "bili_slope", "bili_current:lm1",
                                         "bili_current:lm2", "lm1", "lm2"]
    _check_fit(sm.table, ref)
    risks = []
    for s in (500, 1461):
        # a history whose current log1p(bili) is log1p(3) and slope 0.0005 per day
        t = np.array([s - 400.0, s])
        y = np.log1p(3) + 0.0005 * (t - s)
        hist = pd.DataFrame({"id": 7, "day": t, "bili": np.expm1(y)})
        risks.append(sm.predict(hist, landmark=s).table["risk"].iloc[0])
    assert_allclose(risks, as_array(ref["pred_risk"]), rtol=RTOL)


def test_cause_specific_supermodels_and_cumulative_incidence():
    ref1, ref2 = load_output("supermodel", "cs_death"), load_output("supermodel", "cs_transplant")
    sm = _fit(competing=True, summary="current", covariates=["age"], varying=[])
    _check_fit(sm.table, ref1)
    _check_fit(sm.cause_table.loc[sm.cause_table["cause"] == 2], ref2)
    cif = [sm.predict(pd.DataFrame({"id": 3, "day": [s], "bili": [2.0]}), landmark=s,
                      data=pd.DataFrame({"id": [3], "age": [55.0]})).table["risk"].iloc[0]
           for s in (0, 1095)]
    assert_allclose(cif, as_array(ref1["pred_cif"]), rtol=RTOL)


def test_landmark_effects_and_plots():
    import matplotlib
    matplotlib.use("Agg")
    sm = _fit(summary="current", landmark_degree=1)
    eff = sm.landmark_effects(n_points=3)
    b = sm.table.set_index("term")["coef"]
    assert_allclose(eff["coef"], b["bili_current"] + b["bili_current:lm1"] * np.array([0, .5, 1]))
    ax = sm.plot()
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "landmark-effect"]) == 1
    pred = sm.predict(load_input("tmerge", "pbcseq_draws").query("id <= 2"),
                      landmark=[0, 730, 1461])
    assert pred.table.shape[0] == 6 and pred.table["risk"].between(0, 1).all()
    ax = pred.plot()
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "dynamic-risk"]) == 2
    assert set(pred.to_dict()) >= {"table", "horizon"}


def test_row_order_and_units():
    pat, dr = _inputs()
    kw = dict(landmarks=LMS, horizon=1826, time_col="time", event_col="status", id_col="id",
              draw_time_col="day", marker_col="bili", transform="log1p", covariates=["age"])
    a = cs.landmark_supermodel(pat, draws=dr, **kw)
    b = cs.landmark_supermodel(pat.iloc[::-1].set_axis(range(len(pat))),
                               draws=dr.sample(frac=1.0, random_state=3), **kw)
    assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-10)
    # time in years instead of days: same coefficients (the landmark basis is scale-free)
    kw2 = {**kw, "landmarks": [v / 365.25 for v in LMS], "horizon": 1826 / 365.25}
    # (s + horizon in years lands within rounding error of a death time: merged, as R's timefix)
    with pytest.warns(cs.DataWarning, match="time_col 'stop'.*merged"):
        c = cs.landmark_supermodel(pat.assign(time=pat["time"] / 365.25),
                                   draws=dr.assign(day=dr["day"] / 365.25), **kw2)
    assert_allclose(a.table["coef"], c.table["coef"], rtol=1e-7)


def test_errors():
    pat, dr = _inputs()
    kw = dict(horizon=1826, time_col="time", event_col="status", id_col="id",
              draw_time_col="day", marker_col="bili")
    with pytest.raises(ParameterError, match="'landmarks'.*increasing"):
        cs.landmark_supermodel(pat, draws=dr, landmarks=[365, 0], **kw)
    with pytest.raises(ParameterError, match="'summary'"):
        cs.landmark_supermodel(pat, draws=dr, landmarks=[0, 365], summary="mean", **kw)
    with pytest.raises(ParameterError, match="'threshold'"):
        cs.landmark_supermodel(pat, draws=dr, landmarks=[0, 365], summary="positive", **kw)
    with pytest.raises(DataValidationError, match="not in data"):
        cs.landmark_supermodel(pat.iloc[1:], draws=dr, landmarks=[0, 365], **kw)
    with pytest.raises(DataValidationError, match="negative values"):
        cs.landmark_supermodel(pat, draws=dr.assign(bili=dr["bili"] - 5), landmarks=[0, 365],
                               transform="log1p", **kw)
    sm = cs.landmark_supermodel(pat, draws=dr, landmarks=[0, 365, 730], **kw)
    with pytest.raises(ParameterError, match="fitted landmarks"):
        sm.predict(dr.query("id == 1"), landmark=100)


def test_positive_summary_window_and_no_draw_counts():
    """Hand-checkable: three patients, draws at 0 and 2; landmark 3 with window 0.5 leaves
    everyone without a recent draw out (counted), window None uses the draw at 2."""
    pat = pd.DataFrame({"patient_id": [1, 2, 3], "t": [10.0, 8.0, 2.5], "e": [1, 0, 1]})
    dr = pd.DataFrame({"patient_id": [1, 1, 2, 2, 3], "draw_months": [0, 2, 0, 2, 0.0],
                       "ctc_count": [0, 7, 9, 1, 3]})
    kw = dict(draws=dr, horizon=5, time_col="t", event_col="e", marker_col="ctc_count",
              summary=["positive", "current", "baseline", "change", "slope"], threshold=5)
    st = cs.landmark_stack(pat, landmarks=[0, 3], **kw)
    assert st["patient_id"].tolist() == [1, 2, 3, 1, 2]
    assert st["stop"].tolist() == [5.0, 5.0, 2.5, 8.0, 8.0]
    assert st["event"].tolist() == [0, 0, 1, 0, 0]
    assert st["ctc_count_positive"].tolist() == [0, 1, 0, 1, 0]
    assert st["ctc_count_change"].tolist() == [0, 0, 0, 7, -8]
    assert st["ctc_count_slope"].tolist() == [0, 0, 0, 3.5, -4]
    st_w = cs.landmark_stack(pat, landmarks=[0, 3], window=0.5, **kw)
    assert st_w["landmark"].tolist() == [0, 0, 0]
    with pytest.warns(cs.DataWarning, match="landmark.s. 3: no patient at risk"):
        sm = cs.landmark_supermodel(pat.assign(e=[1, 1, 1], t=[10.0, 4.0, 2.5]),
                                    landmarks=[0, 3], window=0.5,
                                    varying=[], **{**kw, "summary": "positive"})
    assert sm.landmark_table["n_no_draw"].tolist() == [0, 2]
    assert sm.landmark_table["n_at_risk"].tolist() == [3, 0]


def test_competing_risks_bootstrap_interval():
    """n_boot resamples of the patients: a percentile interval around the cumulative
    incidence (no R reference: checked to contain the point estimate and to be reproducible
    under the same seed)."""
    sm = _fit(competing=True, summary="current", covariates=["age"], varying=[])
    hist = pd.DataFrame({"id": 3, "day": [0.0], "bili": [2.0]})
    cov = pd.DataFrame({"id": [3], "age": [55.0]})
    a = sm.predict(hist, landmark=0, data=cov, n_boot=30, rng=1).table.iloc[0]
    b = sm.predict(hist, landmark=0, data=cov, n_boot=30, rng=1).table.iloc[0]
    assert a["ci_lower"] < a["risk"] < a["ci_upper"] < 1
    assert (a["ci_lower"], a["ci_upper"]) == (b["ci_lower"], b["ci_upper"])
    assert np.isnan(sm.predict(hist, landmark=0, data=cov).table["ci_lower"].iloc[0])
