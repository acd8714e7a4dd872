"""Competing first-relapse sites: competing_incidence and fit_cause_specific_cox.

Reference (tests/reference/multistate/multistate.R, outputs/competing_sites.json), on the
synthetic DTC cohort's first events (1 bone relapse, 2 other distant relapse, 3 death
without relapse)::

    ci <- cuminc(first_months, first_event, group = dtc_positive)    # $Tests, timepoints()
    coxph(Surv(first_months, first_event == k) ~ dtc_positive + age + grade)
    crr(first_months, first_event, cov1 = model.matrix(~ dtc_positive + age + grade)[, -1],
        failcode = k)

Tolerances: cuminc's estimate/variance and Gray's statistic are closed forms (1e-10
relative); the Cox and Fine–Gray fits are iterative — R stops at a relative log-likelihood
change of 1e-9 (coxph) and at crr's gradient criterion 1e-6, so coefficients agree to about
1e-6 relative: 1e-6 for coxph, 1e-5 for crr (its looser stopping rule).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.multistate import competing_incidence, fit_cause_specific_cox
from ctcstats.survival.competing import cumulative_incidence
from tests.reference._load import REFERENCE_DIR, load_input

LABELS = {1: "bone", 2: "other_distant", 3: "death"}


@pytest.fixture(scope="module")
def sites():
    return load_input("multistate", "sites")


@pytest.fixture(scope="module")
def ref():
    with open(REFERENCE_DIR / "multistate" / "outputs" / "competing_sites.json") as fh:
        return json.load(fh)


def test_incidence_and_gray_tests_match_cuminc(sites, ref):
    res = competing_incidence(sites, time_col="first_months", event_col="first_event",
                              group_col="dtc_positive", cause_labels=LABELS)
    assert res.causes == ("bone", "other_distant", "death") and res.codes == (1, 2, 3)
    g = ref["gray"]
    assert_allclose(res.gray_tests["statistic"], g["stat"], rtol=1e-10)
    assert_allclose(res.gray_tests["p_value"], g["pv"], rtol=1e-8)
    assert res.gray_tests["df"].tolist() == g["df"]
    at = res.at([12, 36, 60])
    for tp in ref["timepoints"]:
        grp, cause = tp["key"].split()
        sub = at[(at["group"] == int(grp)) & (at["cause"] == LABELS[int(cause)])]
        assert_allclose(sub["cif"], tp["est"], rtol=1e-10)
        assert_allclose(sub["std_error"] ** 2, tp["var"], rtol=1e-10)


def test_incidence_is_cumulative_incidence_per_cause(sites):
    res = competing_incidence(sites, time_col="first_months", event_col="first_event",
                              causes=[2], group_col="dtc_positive")
    one = cumulative_incidence(sites, time_col="first_months", event_col="first_event",
                               event_of_interest=2, group_col="dtc_positive")
    pd.testing.assert_frame_equal(res.table.drop(columns="cause"), one.table)
    assert res.causes == ("2",)
    assert res.cause_result("2").gray_test.statistic == one.gray_test.statistic
    with pytest.raises(ParameterError, match="not one of the causes"):
        res.cause_result("bone")


def test_cause_specific_and_fine_gray_match_r(sites, ref):
    res = fit_cause_specific_cox(sites, time_col="first_months", event_col="first_event",
                                 covariates=["dtc_positive", "age", "grade"],
                                 cause_labels=LABELS)
    assert res.causes == ("bone", "other_distant", "death")
    for m in ref["models"]:
        lab = LABELS[m["cause"]]
        cs = res.table[(res.table["cause"] == lab) & (res.table["model"] == "cause_specific")]
        fg = res.table[(res.table["cause"] == lab) & (res.table["model"] == "fine_gray")]
        assert cs["term"].tolist() == ["dtc_positive", "age", "grade[G2]", "grade[G3]"]
        assert_allclose(cs["coef"], m["cox_coef"], rtol=1e-6)
        assert_allclose(cs["std_error"], m["cox_se"], rtol=1e-6)
        assert_allclose(fg["coef"], m["crr_coef"], rtol=1e-5)
        assert_allclose(fg["std_error"], m["crr_se"], rtol=1e-5)
        sbs = res.side_by_side[res.side_by_side["cause"] == lab]
        assert_allclose(sbs["cs_hr"], np.exp(m["cox_coef"]), rtol=1e-6)
        assert_allclose(sbs["sd_hr"], np.exp(m["crr_coef"]), rtol=1e-5)
    assert res.n_events == (108, 96, 30)
    assert res.cox("bone").n_events == 108
    assert res.fine_gray("death").event_of_interest == 3


def test_without_fine_gray(sites):
    res = fit_cause_specific_cox(sites, time_col="first_months", event_col="first_event",
                                 covariates=["dtc_positive"], causes=[1], fine_gray=False)
    assert set(res.table["model"]) == {"cause_specific"}
    assert res.side_by_side["sd_hr"].isna().all()
    with pytest.raises(ParameterError, match="has no model here"):
        res.fine_gray("1")


def test_bad_inputs(sites):
    kw = dict(time_col="first_months", event_col="first_event")
    with pytest.raises(DataValidationError, match=r"causes \[4\] do not occur"):
        competing_incidence(sites, **kw, causes=[1, 4])
    with pytest.raises(ParameterError, match="no label for causes \\[3\\]"):
        competing_incidence(sites, **kw, cause_labels={1: "a", 2: "b"})
    with pytest.raises(ParameterError, match="repeats a label"):
        competing_incidence(sites, **kw, cause_labels={1: "a", 2: "a", 3: "b"})
    with pytest.raises(ParameterError, match="names a cause twice"):
        competing_incidence(sites, **kw, causes=[1, 1])
    with pytest.raises(ParameterError, match="must be a list of event codes"):
        competing_incidence(sites, **kw, causes=1)
    censored = sites.assign(first_event=0)
    with pytest.raises(DataValidationError, match="has no failures"):
        competing_incidence(censored, **kw)
    with pytest.raises(ParameterError, match="non-empty list of column names"):
        fit_cause_specific_cox(sites, **kw, covariates="age")
    with pytest.raises(ParameterError, match="'fine_gray' parameter"):
        fit_cause_specific_cox(sites, **kw, covariates=["age"], fine_gray="yes")


def test_results_serialise_and_display(sites):
    res = competing_incidence(sites, time_col="first_months", event_col="first_event",
                              group_col="dtc_positive")
    json.dumps(res.to_dict())
    assert "ctcstats-result" in res._repr_html_()
    cs = fit_cause_specific_cox(sites, time_col="first_months", event_col="first_event",
                                covariates=["dtc_positive"], causes=[1, 2])
    json.dumps(cs.to_dict())
    assert "side_by_side" in str(cs)
