"""Counting-process (start, stop] data against R survival (tests/reference/counting/).

``fit_cox(start_col=, id_col=)`` is ``coxph(Surv(start, stop, event) ~ ..., cluster = id)`` /
``coxph(..., id = id)`` (R's ``agreg.fit``) and ``kaplan_meier(start_col=)`` is
``survfit(Surv(start, stop, event) ~ group)`` with delayed entry. Data: survival::cgd and
survival::bladder2 (recurrent events), survival::pbc + pbcseq merged with ``tmerge``
(time-dependent covariates, the survival package's "timedep" vignette), boot::channing (left
truncation: ages at entry into a retirement home) and a seeded synthetic set whose entry
times coincide with other rows' event times.

Tolerances, as in test_cox_reference.py: the Newton–Raphson is R's iteration for iteration
(the iteration counts are asserted equal), so coefficients and (robust) standard errors are
compared at 1e-6 relative — what would still hold one iteration apart — and log-likelihoods,
concordances and cox.zph statistics at 1e-8. Kaplan–Meier quantities are closed forms of the
counts: 1e-10 relative (counts exactly).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ProportionalHazardsWarning
from ctcstats.survival.cox import fit_cox
from ctcstats.survival.km import kaplan_meier
from tests.reference._load import as_array, load_input, load_output

TOPIC = "counting"
RTOL_COEF = 1e-6
RTOL_CLOSED = 1e-8
RTOL_KM = 1e-10
CGD = ["treat", "sex", "age", "inherit", "steroids", "propylac"]
PBC = ["log_bili", "log_protime", "albumin", "age", "edema"]


def _cgd(**kw):
    return fit_cox(load_input(TOPIC, "cgd"), start_col="tstart", time_col="tstop",
                   event_col="status", **kw)


CASES = {
    # coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids + propylac,
    #       data = cgd, cluster = id)
    "cgd_cluster_efron": (lambda: _cgd(covariates=CGD, cluster_col="id"), CGD),
    # coxph(..., data = cgd, id = id, ties = "breslow")  (robust by subject: recurrent
    # infections, several events per subject)
    "cgd_id_breslow": (lambda: _cgd(covariates=CGD, id_col="id", ties="breslow"), CGD),
    # coxph(Surv(tstart, tstop, status) ~ treat + age + strata(hos_cat), cluster = id)
    "cgd_strata": (lambda: _cgd(covariates=["treat", "age"], strata_col="hos_cat",
                                cluster_col="id"), ["treat", "age"]),
    # coxph(Surv(start, stop, event) ~ rx + number + size, data = bladder2, cluster = id)
    "bladder2_cluster": (lambda: fit_cox(load_input(TOPIC, "bladder2"), start_col="start",
                                         time_col="stop", event_col="event",
                                         covariates=["rx", "number", "size"],
                                         cluster_col="id"), ["rx", "number", "size"]),
    # tmerge(pbc, pbcseq, ...); coxph(Surv(tstart, tstop, death) ~ log(bili) + log(protime)
    #   + albumin + age + edema, id = id)  (one death per subject: model-based SEs)
    "pbc_tmerge_id": (lambda: fit_cox(load_input(TOPIC, "pbc_tmerge"), start_col="tstart",
                                      time_col="tstop", event_col="death", covariates=PBC,
                                      id_col="id"), PBC),
    # coxph(Surv(start, stop, event) ~ x1 + x2 + strata(s), data = synth_cp, cluster = id)
    "synth_cp_strata": (lambda: fit_cox(load_input(TOPIC, "synth_cp"), start_col="start",
                                        time_col="stop", event_col="event",
                                        covariates=["x1", "x2"], strata_col="s",
                                        cluster_col="id"), ["x1", "x2"]),
    # coxph(Surv(start, stop, event) ~ x1 + x2, id = id, ties = "breslow")
    "synth_cp_breslow": (lambda: fit_cox(load_input(TOPIC, "synth_cp"), start_col="start",
                                         time_col="stop", event_col="event",
                                         covariates=["x1", "x2"], id_col="id",
                                         ties="breslow"), ["x1", "x2"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cox_matches_coxph(name):
    """Coefficients, robust and model-based SEs, covariance, logliks, iterations, C."""
    make, terms = CASES[name]
    ref = load_output(TOPIC, name)
    res = make()
    assert list(res.table.index) == terms == ref["terms"]
    # R: robust with cluster = id, and with id = id when a subject has several events
    assert res.robust == ("se_naive" in ref)
    assert_allclose(res.table["coef"], as_array(ref["coef"]), rtol=RTOL_COEF)
    assert_allclose(res.table["std_error"], as_array(ref["se"]), rtol=RTOL_COEF)
    if res.robust:
        assert_allclose(res.table["std_error_naive"], as_array(ref["se_naive"]),
                        rtol=RTOL_COEF)
    p = len(terms)
    assert_allclose(res.covariance.to_numpy(), np.asarray(ref["var"], float).reshape(p, p),
                    rtol=RTOL_COEF, atol=1e-14)
    assert_allclose([res.loglik_null, res.loglik], as_array(ref["loglik"]), rtol=RTOL_CLOSED)
    assert_allclose(res.concordance, ref["concordance"], rtol=RTOL_CLOSED)
    assert_allclose(res.concordance_std_error, ref["concordance_std"], rtol=RTOL_CLOSED)
    assert res.n_events == ref["nevent"] and res.n_obs == ref["n"]
    assert res.n_iter == as_array(ref["iter"])[-1]
    assert res.converged and res.warnings == ()


@pytest.mark.parametrize("name", sorted(CASES))
def test_ph_test_matches_cox_zph(name):
    """R: cox.zph(fit, transform = "km", terms = TRUE) on the counting-process fit."""
    make, _ = CASES[name]
    ref = load_output(TOPIC, name)
    res = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionalHazardsWarning)
        ph = res.ph_test()
    assert list(ph.table["term"]) == ref["zph_terms"]
    assert_allclose(ph.table["statistic"], as_array(ref["zph_chisq"]), rtol=RTOL_CLOSED)
    assert_allclose(ph.table["df"], as_array(ref["zph_df"]))


# --------------------------------------------------------------------------- Kaplan–Meier
def _check_km(res, ref, groups):
    tab = res.table
    want = {"sex=Female": "Female", "sex=Male": "Male", "all": groups[0]}
    assert [want[s] for s in ref["strata"]] == tab["group"].tolist()
    assert_allclose(tab["time"], as_array(ref["time"]), rtol=0)
    assert tab["n_at_risk"].tolist() == as_array(ref["n_risk"]).astype(int).tolist()
    assert tab["n_events"].tolist() == as_array(ref["n_event"]).astype(int).tolist()
    assert tab["n_censored"].tolist() == as_array(ref["n_censor"]).astype(int).tolist()
    assert_allclose(tab["survival"], as_array(ref["surv"]), rtol=RTOL_KM)
    assert_allclose(tab["std_error"], as_array(ref["std_err"]), rtol=RTOL_KM)
    lo, hi = as_array(ref["lower"]), as_array(ref["upper"])
    inside = tab["survival"].to_numpy() < 1  # R: NA limits at S = 1 (ctcstats: [1, 1])
    assert_allclose(tab["ci_lower"][inside], lo[inside], rtol=RTOL_KM)
    assert_allclose(tab["ci_upper"][inside], hi[inside], rtol=RTOL_KM)
    assert_allclose(res.median["median"], as_array(ref["median"]), rtol=0)
    assert_allclose(res.median["ci_lower"], as_array(ref["median_lower"]), rtol=0)
    assert_allclose(res.median["ci_upper"], as_array(ref["median_upper"]), rtol=0)


def test_km_with_entry_times_matches_survfit_by_group():
    """R: survfit(Surv(entry, exit, cens) ~ sex, data = channing, conf.type = "log-log"):
    summary(censored = TRUE), quantile(fit, 0.5) and summary(times = c(800, ..., 1100))."""
    ref = load_output(TOPIC, "channing_sex")
    data = load_input(TOPIC, "channing")
    res = kaplan_meier(data, start_col="entry", time_col="exit", event_col="cens",
                       group_col="sex")
    _check_km(res, ref, ["Female", "Male"])
    at = res.survival_at([800, 900, 1000, 1100], extend=True)
    want = {"sex=Female": "Female", "sex=Male": "Male"}
    ref_at = pd.DataFrame({"group": [want[s] for s in ref["at_strata"]],
                           "time": as_array(ref["at_time"]),
                           "n_at_risk": as_array(ref["at_n_risk"]),
                           "survival": as_array(ref["at_surv"]),
                           "std_error": as_array(ref["at_std_err"])})
    got = at.merge(ref_at, on=["group", "time"], suffixes=("", "_r"))
    assert len(got) == len(ref_at)
    assert (got["n_at_risk"] == got["n_at_risk_r"]).all()
    assert_allclose(got["survival"], got["survival_r"], rtol=RTOL_KM)
    assert_allclose(got["std_error"], got["std_error_r"], rtol=RTOL_KM)


@pytest.mark.parametrize(("name", "data", "cols"), [
    ("channing_male", "channing", ("entry", "exit", "cens")),
    ("synth_cp_km", "synth_cp", ("start", "stop", "event")),
])
def test_km_with_entry_times_matches_survfit(name, data, cols):
    """R: survfit(Surv(entry, exit, cens) ~ 1, data = channing[sex == "Male", ]) and
    survfit(Surv(start, stop, event) ~ 1, data = synth_cp) (rows with ties between entry
    and event times: at risk at t means start < t <= stop)."""
    ref = load_output(TOPIC, name)
    d = load_input(TOPIC, data)
    if name == "channing_male":
        d = d[d["sex"] == "Male"]
    res = kaplan_meier(d, start_col=cols[0], time_col=cols[1], event_col=cols[2])
    _check_km(res, ref, ["all"])


# --------------------------------------------------------------------------- validation
def test_entry_after_exit_is_a_clear_error():
    d = load_input(TOPIC, "channing").head(20).copy()
    d.loc[3, "entry"] = d.loc[3, "exit"]
    with pytest.raises(DataValidationError, match=r"start_col 'entry' must be smaller than "
                                                  r"time_col 'exit' in every row.*1 row have"):
        kaplan_meier(d, start_col="entry", time_col="exit", event_col="cens")
    with pytest.raises(DataValidationError, match="start_col 'entry' must be smaller"):
        fit_cox(d.assign(x=np.arange(20.0)), start_col="entry", time_col="exit",
                event_col="cens", covariates=["x"])


def test_overlapping_intervals_of_a_subject_are_a_clear_error():
    d = load_input(TOPIC, "cgd").copy()
    d.loc[1, "tstart"] = d.loc[0, "tstop"] - 10  # subject 1: (0, 219] and (209, 373]
    with pytest.raises(DataValidationError, match=r"id_col 'id': the \(start, stop\] intervals "
                                                  r"of 1 subject overlap \(first: 1, rows 0 "
                                                  r"and 1\)"):
        fit_cox(d, start_col="tstart", time_col="tstop", event_col="status",
                covariates=["treat"], id_col="id")


def test_intervals_merged_to_zero_length_are_an_error():
    """R's aeqSurv stops when merging near-equal times leaves an interval of length 0."""
    d = pd.DataFrame({"start": [0.0, 1.0, 0.0, 2.0], "stop": [1.0, 1.0 + 1e-12, 3.0, 4.0],
                      "event": [0, 1, 1, 1], "x": [0.0, 1.0, 1.0, 0.0]})
    with pytest.raises(DataValidationError, match="equal to time_col 'stop'"):
        fit_cox(d, start_col="start", time_col="stop", event_col="event", covariates=["x"])


def test_splitting_follow_up_changes_nothing(rng):
    """A subject's follow-up cut into two (start, stop] rows with the same covariates gives
    the same Cox fit (model-based SEs), Firth fit and Kaplan–Meier curve as one row."""
    n = 80
    x = rng.normal(size=n)
    t = np.ceil(rng.exponential(20 / np.exp(0.5 * x)))
    e = rng.random(n) < 0.8
    one = pd.DataFrame({"id": np.arange(n), "start": 0.0, "stop": t, "event": e.astype(int),
                        "x": x})
    cut = np.floor(t / 2)
    two = pd.concat([one.assign(stop=np.where(cut > 0, cut, t),
                                event=np.where(cut > 0, 0, one["event"])),
                     one.assign(start=cut)[cut > 0]], ignore_index=True)
    kw = dict(start_col="start", time_col="stop", event_col="event", covariates=["x"])
    a, b = fit_cox(one, **kw), fit_cox(two, **kw)
    assert_allclose(b.table["coef"], a.table["coef"], rtol=1e-10)
    assert_allclose(b.table["std_error"], a.table["std_error"], rtol=1e-10)
    assert_allclose(b.loglik, a.loglik, rtol=1e-12)
    fa, fb = fit_cox(one, firth=True, **kw), fit_cox(two, firth=True, **kw)
    assert_allclose(fb.table["coef"], fa.table["coef"], rtol=1e-8)
    assert_allclose(fb.table["ci_upper"], fa.table["ci_upper"], rtol=1e-7)
    ka = kaplan_meier(one, start_col="start", time_col="stop", event_col="event")
    kb = kaplan_meier(two, start_col="start", time_col="stop", event_col="event")
    ev = ka.table["n_events"] > 0
    sb = kb.table.set_index("time").loc[ka.table["time"][ev], "survival"]
    assert_allclose(sb.to_numpy(), ka.table["survival"][ev].to_numpy(), rtol=1e-12)
