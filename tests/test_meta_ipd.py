"""Two-stage and one-stage IPD pooling against survival::coxph, anova and metafor::rma."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError
from tests.reference._load import load_input, load_output

REF = load_output("ipd", "ipd")
KW = dict(study_col="study", time_col="os_months", event_col="os_event")


def test_study_effects_match_per_study_coxph():
    """R: ``coxph(Surv(os_months, os_event) ~ dtc_positive + age, data = subset)`` per study
    (eps 1e-12). Iterative fits: 1e-6 relative."""
    d = load_input("ipd", "studies")
    eff = cs.study_effects(d, covariates=["dtc_positive", "age"], **KW)
    for ref in REF["per_study"]:
        sub = eff[eff["study"] == ref["study"]].set_index("term")
        assert_allclose(sub.loc[["dtc_positive", "age"], "coef"], ref["coef"], rtol=1e-6)
        assert_allclose(sub.loc[["dtc_positive", "age"], "std_error"], ref["se"], rtol=1e-6)
        assert (sub["n_obs"] == ref["n"]).all() and (sub["n_events"] == ref["nevent"]).all()
        assert (sub["method"] == "cox").all()
    assert eff.columns.tolist()[:6] == ["study", "term", "coef", "std_error", "hr", "ci_lower"]


def test_one_stage_two_stage_and_interaction_match_r():
    """R: ``coxph(... + strata(study))``; ``anova(one, coxph(... + dtc_positive:factor(study)
    + strata(study)))``; ``rma(yi, sei, method="FE")`` and ``method="REML"``."""
    d = load_input("ipd", "studies")
    res = cs.ipd_meta_analysis(d, marker_col="dtc_positive", covariates=["age"], **KW)
    tab = res.table.set_index("approach")
    assert_allclose(tab.loc["one-stage (stratified Cox)", ["estimate", "std_error"]],
                    [REF["one_stage"]["coef"][0], REF["one_stage"]["se"][0]], rtol=1e-6)
    assert_allclose(tab.loc["two-stage fixed", ["estimate", "std_error"]],
                    [REF["fe"]["b"], REF["fe"]["se"]], rtol=1e-6)
    assert_allclose(tab.loc["two-stage reml", ["estimate", "std_error"]],
                    [REF["re"]["b"], REF["re"]["se"]], rtol=1e-6)
    assert_allclose(res.meta.tau2, REF["re"]["tau2"], rtol=1e-5, atol=1e-9)
    assert_allclose([res.interaction_statistic, res.interaction_p_value],
                    [REF["interaction"]["chisq"], REF["interaction"]["p"]], rtol=1e-6)
    assert res.interaction_df == REF["interaction"]["df"]
    assert res.n_studies == 6 and res.n_obs == len(d)
    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()][:6] == [f"S{i}" for i in range(1, 7)]


def test_monotone_study_is_reported_and_firth_auto_refits():
    d = load_input("ipd", "studies")
    # make study S6's marker-positive patients event-free: monotone likelihood in S6
    d.loc[(d["study"] == "S6") & (d["dtc_positive"] == 1), "os_event"] = 0
    eff = cs.study_effects(d, covariates=["dtc_positive"], firth=False, **KW)
    s6 = eff[eff["study"] == "S6"].iloc[0]
    assert "firth=True" in s6["note"] and s6["method"] == "cox"
    assert abs(s6["coef"]) > 5  # the ordinary estimate runs away
    auto = cs.study_effects(d, covariates=["dtc_positive"], firth="auto", **KW)
    s6 = auto[auto["study"] == "S6"].iloc[0]
    assert s6["method"] == "firth" and np.isfinite(s6["ci_lower"]) and -6 < s6["coef"] < 0
    assert (auto.loc[auto["study"] != "S6", "method"] == "cox").all()
    others = auto[auto["study"] != "S6"].reset_index(drop=True)
    base = eff[eff["study"] != "S6"].reset_index(drop=True)
    assert_allclose(others["coef"], base["coef"], rtol=1e-12)


def test_errors_and_no_event_study():
    d = load_input("ipd", "studies")
    with pytest.raises(DataValidationError, match="study_col 'study' has a single level"):
        cs.ipd_meta_analysis(d.assign(study="S1"), marker_col="dtc_positive", **KW)
    with pytest.raises(DataValidationError, match="marker_col 'grp' must be numeric"):
        cs.ipd_meta_analysis(d.assign(grp="a"), marker_col="grp", **KW)
    with pytest.raises(DataValidationError, match="The 'firth' parameter of study_effects"):
        cs.study_effects(d, covariates=["dtc_positive"], firth="yes", **KW)
    d2 = d.copy()
    d2.loc[d2["study"] == "S6", "os_event"] = 0
    eff = cs.study_effects(d2, covariates=["dtc_positive"], **KW)
    s6 = eff[eff["study"] == "S6"].iloc[0]
    assert s6["note"] == "no events: not estimable" and np.isnan(s6["coef"])
    before = d2.copy()
    with pytest.warns(cs.DataWarning, match="left out of the two-stage pooling: S6"):
        res = cs.ipd_meta_analysis(d2, marker_col="dtc_positive", **KW)
    assert res.meta.k == 5
    assert res.interaction_df == 4  # S6 has no events: no interaction term of its own
    pd.testing.assert_frame_equal(d2, before)


def test_forest_plot_prints_patients_and_events():
    d = load_input("ipd", "studies")
    res = cs.ipd_meta_analysis(d, marker_col="dtc_positive", **KW)
    assert {"n", "n_events"} <= set(res.meta.table.columns)
    ax = res.plot()
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith("n  events  HR (95% CI)")
    s1 = res.effects[res.effects["study"] == "S1"].iloc[0]
    assert any(t.startswith(f"{s1['n_obs']}  {s1['n_events']}  ") for t in texts)
    assert any(t.startswith("prediction interval") for t in texts)
