"""counting_process_data against R survival::tmerge (tests/reference/tmerge/).

pbc + pbcseq (the survival package's "timedep" vignette; missing lab values ignored per
column, R's default na.rm = TRUE) and a seeded synthetic set with delayed entry, draws before
and at entry and after the end of follow-up, integer / float / string values. The rows are the
same arithmetic on the stored times: compared at 1e-12 (absolute), values exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.survival.counting import counting_process_data
from ctcstats.survival.cox import fit_cox
from tests.reference._load import as_array, load_input, load_output

PBC_VALUES = ["bili", "albumin", "ascites", "alk_phos", "edema", "stage", "bili_cat"]


def _pbc(**kw):
    return counting_process_data(
        load_input("tmerge", "pbc_patients"), draws=load_input("tmerge", "pbcseq_draws"),
        id_col="id", time_col="time", event_col="death", draw_time_col="day",
        value_cols=PBC_VALUES, covariates=["age"], missing="drop", **kw)


def _values_equal(got: pd.Series, want: list) -> None:
    if pd.api.types.is_numeric_dtype(got):
        np.testing.assert_array_equal(got.to_numpy(float), as_array(want))
    else:
        w = [np.nan if v is None else v for v in want]
        assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v
                                                              for v in w]


def test_pbcseq_rows_match_tmerge():
    ref = load_output("tmerge", "pbc_tmerge")
    cp = _pbc()
    assert list(cp.columns) == ["id", "start", "stop", "death", *PBC_VALUES, "age"]
    np.testing.assert_array_equal(cp["id"], as_array(ref["id"]))
    np.testing.assert_allclose(cp["start"], as_array(ref["tstart"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cp["stop"], as_array(ref["tstop"]), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cp["death"], as_array(ref["death"]))
    for c in [*PBC_VALUES, "age"]:
        _values_equal(cp[c], ref[c])
    assert cp.attrs["n_dropped"] == 0  # only missing lab values (ignored cell-wise)


def test_pbcseq_cox_matches_coxph():
    """coxph(Surv(tstart, tstop, death) ~ log(bili) + albumin + edema + ascites + age, id = id)
    on the tmerge rows (1e-6 relative, as the other Cox references)."""
    ref = load_output("tmerge", "pbc_tmerge_cox")
    cp = _pbc().assign(log_bili=lambda d: np.log(d["bili"]))
    fit = fit_cox(cp, start_col="start", time_col="stop", event_col="death", id_col="id",
                  covariates=["log_bili", "albumin", "edema", "ascites", "age"],
                  missing="drop")
    np.testing.assert_allclose(fit.table["coef"], as_array(ref["coef"]), rtol=1e-6)
    np.testing.assert_allclose(fit.table["std_error"], as_array(ref["se"]), rtol=1e-6)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], as_array(ref["loglik"]),
                               rtol=1e-8)
    assert fit.n_obs == ref["n"] and fit.n_events == ref["nevent"]


def test_delayed_entry_rows_match_tmerge():
    ref = load_output("tmerge", "synth_tmerge")
    cp = counting_process_data(
        load_input("tmerge", "synth_patients"), draws=load_input("tmerge", "synth_draws"),
        id_col="pid", start_col="entry", time_col="time", event_col="status",
        draw_time_col="day", value_cols=["count", "level", "grade"], covariates=["age"])
    np.testing.assert_array_equal(cp["pid"], as_array(ref["pid"]))
    np.testing.assert_allclose(cp["start"], as_array(ref["tstart"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cp["stop"], as_array(ref["tstop"]), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cp["status"], as_array(ref["status"]))
    for c in ["count", "level", "grade", "age"]:
        _values_equal(cp[c], ref[c])
    assert cp["count"].dtype == np.int64 and cp["grade"].dtype == object


def test_row_order_and_inputs_unchanged():
    p, d = load_input("tmerge", "synth_patients"), load_input("tmerge", "synth_draws")
    p0, d0 = p.copy(), d.copy()
    kw = dict(id_col="pid", start_col="entry", time_col="time", event_col="status",
              draw_time_col="day", value_cols=["count", "grade"])
    a = counting_process_data(p, draws=d, **kw)
    pd.testing.assert_frame_equal(p, p0)
    pd.testing.assert_frame_equal(d, d0)
    b = counting_process_data(p, draws=d.iloc[::-1].set_axis(np.arange(len(d)) * 7), **kw)
    pd.testing.assert_frame_equal(a, b)


def test_before_first_drop_and_categorical():
    pat = pd.DataFrame({"patient_id": [1, 2], "os_months": [10.0, 4.0], "os_event": [1, 0]})
    dr = pd.DataFrame({"patient_id": [1, 1, 2], "draw_months": [2.0, 5.0, 0.0],
                       "status": pd.Categorical(["pos", "neg", "neg"])})
    kw = dict(time_col="os_months", event_col="os_event", value_cols=["status"])
    cp = counting_process_data(pat, draws=dr, **kw)
    assert cp["start"].tolist() == [0.0, 2.0, 5.0, 0.0]
    assert cp["status"].isna().tolist() == [True, False, False, False]
    assert isinstance(cp["status"].dtype, pd.CategoricalDtype)
    cp2 = counting_process_data(pat, draws=dr, before_first="drop", **kw)
    assert cp2["start"].tolist() == [2.0, 5.0, 0.0]
    assert cp2["os_event"].tolist() == [0, 1, 0]


def test_errors():
    pat = pd.DataFrame({"patient_id": [1, 2], "os_months": [10.0, 4.0], "os_event": [1, 0]})
    dr = pd.DataFrame({"patient_id": [1, 1, 3], "draw_months": [0.0, 0.0, 1.0],
                       "ctc_count": [1, 2, np.nan]})
    kw = dict(time_col="os_months", event_col="os_event", value_cols=["ctc_count"])
    with pytest.raises(DataValidationError, match="value_cols 'ctc_count' has 1 missing"):
        counting_process_data(pat, draws=dr, **kw)
    with pytest.raises(DataValidationError, match="repeat a patient's draw time"):
        counting_process_data(pat, draws=dr.iloc[:2], **kw)
    with pytest.raises(DataValidationError, match="patient is not in data"):
        counting_process_data(pat, draws=dr.iloc[1:].fillna(0), **kw)
    with pytest.raises(DataValidationError, match="one row per patient"):
        counting_process_data(pd.concat([pat, pat]), draws=dr.iloc[1:2], **kw)
    with pytest.raises(ParameterError, match="would collide"):
        counting_process_data(pat, draws=dr.iloc[1:2].rename(columns={"ctc_count": "start"}),
                              time_col="os_months", event_col="os_event", value_cols=["start"])
    with pytest.raises(ParameterError, match="list of column names"):
        counting_process_data(pat, draws=dr, time_col="os_months", event_col="os_event",
                              value_cols="ctc_count")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = counting_process_data(pat, draws=dr.assign(draw_months=[0.0, 2.0, 1.0]),
                                    missing="drop", **kw)
    assert out.attrs["n_dropped"] == 1  # the draw of the unknown patient 3


def test_string_time_dependent_covariate_matches_coxph():
    """coxph(Surv(tstart, tstop, death) ~ bili_cat + ascites + age, id = id) on the tmerge
    rows: a categorical (string) time-dependent covariate as indicator terms against its
    first level "(0,1]", next to a 0/1 one with missing values (rows dropped, as R)."""
    ref = load_output("tmerge", "pbc_tmerge_cox_factor")
    fit = fit_cox(_pbc(), start_col="start", time_col="stop", event_col="death", id_col="id",
                  covariates=["bili_cat", "ascites", "age"], missing="drop")
    assert list(fit.table.index) == ["bili_cat[(1,3]]", "bili_cat[(3,Inf]]", "ascites", "age"]
    np.testing.assert_allclose(fit.table["coef"], as_array(ref["coef"]), rtol=1e-6)
    np.testing.assert_allclose(fit.table["std_error"], as_array(ref["se"]), rtol=1e-6)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], as_array(ref["loglik"]),
                               rtol=1e-8)
    assert fit.n_obs == ref["n"] and fit.n_events == ref["nevent"]


def test_max_carry_lapses_the_value():
    """A draw counts for 3 months: cut at draw + 3, missing until the next draw (by hand)."""
    pat = pd.DataFrame({"patient_id": [1, 2], "os_months": [10.0, 4.0], "os_event": [1, 0]})
    dr = pd.DataFrame({"patient_id": [1, 1, 2], "draw_months": [0.0, 5.0, 0.0],
                       "ctc_positive": [1, 0, 1]})
    cp = counting_process_data(pat, draws=dr, time_col="os_months", event_col="os_event",
                               value_cols=["ctc_positive"], max_carry=3.0)
    assert cp["start"].tolist() == [0.0, 3.0, 5.0, 8.0, 0.0, 3.0]
    assert cp["stop"].tolist() == [3.0, 5.0, 8.0, 10.0, 3.0, 4.0]
    assert cp["os_event"].tolist() == [0, 0, 0, 1, 0, 0]
    assert cp["ctc_positive"].tolist()[:1] == [1] and np.isnan(cp["ctc_positive"].iloc[1])
    assert cp["ctc_positive"].iloc[2] == 0 and np.isnan(cp["ctc_positive"].iloc[3])
    assert cp["ctc_positive"].iloc[4] == 1 and np.isnan(cp["ctc_positive"].iloc[5])
    # a long max_carry changes nothing
    same = counting_process_data(pat, draws=dr, time_col="os_months", event_col="os_event",
                                 value_cols=["ctc_positive"], max_carry=100.0)
    plain = counting_process_data(pat, draws=dr, time_col="os_months", event_col="os_event",
                                  value_cols=["ctc_positive"])
    pd.testing.assert_frame_equal(same, plain)
    with pytest.raises(ParameterError, match="max_carry"):
        counting_process_data(pat, draws=dr, time_col="os_months", event_col="os_event",
                              value_cols=["ctc_positive"], max_carry=0)


def test_recurrent_events_match_tmerge_and_coxph():
    """survival's cgd0 example: tmerge(cgd0, cgd0, id, tstop = futime) then
    tmerge(., events, id, infect = event(time)); coxph(Surv(tstart, tstop, infect) ~ treat +
    steroids, cluster = id) — rows exact, fit at 1e-6."""
    ref = load_output("tmerge", "cgd0_tmerge")
    cp = counting_process_data(
        load_input("tmerge", "cgd0_patients"), events=load_input("tmerge", "cgd0_events"),
        id_col="id", time_col="futime", event_col="censored",
        recurrent_time_col="infection_day", covariates=["treat", "steroids"])
    np.testing.assert_array_equal(cp["id"], as_array(ref["id"]))
    np.testing.assert_allclose(cp["start"], as_array(ref["tstart"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cp["stop"], as_array(ref["tstop"]), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(cp["censored"], as_array(ref["infect"]))
    assert cp.attrs["n_events_outside"] == 0
    fit = fit_cox(cp, start_col="start", time_col="stop", event_col="censored",
                  covariates=["treat", "steroids"], id_col="id")
    cref = load_output("tmerge", "cgd0_tmerge_cox")
    assert fit.robust  # several events per patient: robust by patient, as R
    np.testing.assert_allclose(fit.table["coef"], as_array(cref["coef"]), rtol=1e-6)
    np.testing.assert_allclose(fit.table["std_error"], as_array(cref["se"]), rtol=1e-6)
    assert fit.n_events == cref["nevent"]


def test_recurrent_events_with_draws_and_outside_events():
    pat = pd.DataFrame({"patient_id": [1, 2], "t": [10.0, 4.0], "death": [1, 0]})
    dr = pd.DataFrame({"patient_id": [1, 2], "draw_months": [0.0, 0.0], "v": [3, 4]})
    ev = pd.DataFrame({"patient_id": [1, 1, 2], "event_months": [2.0, 10.0, 6.0]})
    with pytest.warns(cs.DataWarning, match="1 recurrent events"):
        cp = counting_process_data(pat, draws=dr, events=ev, time_col="t", event_col="death",
                                   value_cols=["v"])
    assert cp["start"].tolist() == [0.0, 2.0, 0.0]
    assert cp["death"].tolist() == [1, 1, 0]
    assert cp["v"].tolist() == [3, 3, 4] and cp.attrs["n_events_outside"] == 1
    with pytest.raises(ParameterError, match="draws .with value_cols. or events"):
        counting_process_data(pat, time_col="t", event_col="death")
    with pytest.raises(DataValidationError, match="repeat a patient's event time"):
        counting_process_data(pat, events=pd.concat([ev, ev]), time_col="t",
                              event_col="death")
