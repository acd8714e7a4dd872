"""marker_treatment_interaction / noninferiority_test vs survival::coxph and survfit (R).

References: tests/reference/trials (trials.R). Tolerances: Cox coefficients, SEs, LR and
Wald statistics 1e-6 relative (same Newton–Raphson convergence rule as coxph, eps 1e-9);
RMST and its SE 1e-9 (closed form on the same KM curve).
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.trials import marker_treatment_interaction, noninferiority_test
from tests.reference._load import load_input, load_output

matplotlib.use("Agg")

TOL = 1e-6


def _trial() -> pd.DataFrame:
    return load_input("trials", "trial")


def _r_term(term: str, marker: str, trt: str, trt_factor: str | None = None) -> str:
    """Our term names → R's (``ctc_group[1-4]`` → ``ctc_group1-4``; with a factor treatment
    ``trt`` → ``trt2``)."""
    out = term.replace(f"{marker}[", marker).replace("]", "")
    if trt_factor is not None and (out == trt or out.startswith(f"{trt}:")):
        out = trt_factor + out[len(trt):]
    return out


@pytest.mark.parametrize("name, kwargs", [
    ("trial_interaction", dict(covariates=["age"], strata_col="site")),
    ("trial_interaction_plain", dict()),
])
def test_interaction_matches_coxph(name, kwargs):
    ref = load_output("trials", name)
    res = marker_treatment_interaction(
        _trial(), time_col="months", event_col="event", marker_col="ctc_group",
        treatment_col="arm", tau=24.0, **kwargs)
    r_coef = dict(zip(ref["terms"], ref["coef"], strict=True))
    r_se = dict(zip(ref["terms"], ref["se"], strict=True))
    for term, row in res.table.iterrows():
        rt = _r_term(term, "ctc_group", "arm")
        assert_allclose(row["coef"], r_coef[rt], rtol=TOL, atol=1e-9)
        assert_allclose(row["std_error"], r_se[rt], rtol=TOL)
    assert_allclose(res.interaction_statistic, ref["lr"], rtol=TOL)
    assert res.interaction_df == ref["lr_df"]
    assert_allclose(res.interaction_p_value, ref["lr_p"], rtol=TOL)
    assert_allclose(res.wald_statistic, ref["wald"], rtol=TOL)
    sg = res.subgroups
    assert list(sg["marker_level"]) == [s["level"] for s in ref["subgroups"]]
    for (_, row), s in zip(sg.iterrows(), ref["subgroups"], strict=True):
        assert_allclose(np.log(row["hr"]), s["coef"], rtol=TOL, atol=1e-9)
        assert_allclose(row["p_value"], s["p"], rtol=1e-5)
        assert row["n_events"] == s["nevent"] and row["n_obs"] == s["n"]
        # survfit's rows: control (arm=0) then treated (arm=1)
        assert_allclose([row["rmst_control"], row["rmst_treated"]], s["rmean"], rtol=1e-9)
        assert_allclose(row["rmst_std_error"], np.hypot(*s["se_rmean"]), rtol=1e-9)
        assert_allclose(row["rmst_difference"], s["rmean"][1] - s["rmean"][0], rtol=1e-9)


def test_interaction_real_trial_veteran():
    """R's veteran lung-cancer trial: trt (1 = standard) × celltype, adjusted for karno."""
    ref = load_output("trials", "veteran_interaction")
    vet = load_input("trials", "veteran")
    res = marker_treatment_interaction(
        vet, time_col="time", event_col="status", marker_col="celltype", treatment_col="trt",
        covariates=["karno"], tau=100.0)
    r_coef = dict(zip(ref["terms"], ref["coef"], strict=True))
    for term, row in res.table.iterrows():
        assert_allclose(row["coef"], r_coef[_r_term(term, "celltype", "trt", "trt2")], rtol=TOL)
    assert_allclose(res.interaction_statistic, ref["lr"], rtol=TOL)
    assert_allclose(res.wald_statistic, ref["wald"], rtol=TOL)
    for (_, row), s in zip(res.subgroups.iterrows(), ref["subgroups"], strict=True):
        assert row["marker_level"] == s["level"]
        assert_allclose(np.log(row["hr"]), s["coef"], rtol=TOL)
        assert_allclose([row["rmst_control"], row["rmst_treated"]], s["rmean"], rtol=1e-9)
    assert res.control == 1 and res.treated == 2


@pytest.mark.parametrize("name, data, kw", [
    ("trial_ni", "trial", dict(time_col="months", event_col="event", treatment_col="arm",
                              covariates=["age"], strata_col="site")),
    ("veteran_ni", "veteran", dict(time_col="time", event_col="status", treatment_col="trt",
                                   covariates=["karno"])),
])
def test_noninferiority_matches_coxph(name, data, kw):
    ref = load_output("trials", name)
    res = noninferiority_test(load_input("trials", data), margin=1.25, conf_level=0.90, **kw)
    assert_allclose([res.hr, res.ci_lower, res.ci_upper], [ref["hr"], ref["ci_lower"],
                                                           ref["ci_upper"]], rtol=TOL)
    assert_allclose([res.statistic, res.p_value], [ref["z"], ref["p"]], rtol=TOL)
    assert res.non_inferior == (ref["ci_upper"] < 1.25)
    # the decision is the one-sided test at (1 - conf_level)/2
    assert res.non_inferior == (res.p_value < 0.05)


def test_default_tau_and_invariances():
    df = _trial()
    kw = dict(time_col="months", event_col="event", marker_col="ctc_group",
              treatment_col="arm", covariates=["age"])
    res = marker_treatment_interaction(df, **kw)
    last = df.groupby(["ctc_group", "arm"])["months"].max().min()
    assert res.tau == last
    before = df.copy()
    shuffled = df.sample(frac=1.0, random_state=1).set_index(np.arange(len(df)) * 7 + 3)
    res2 = marker_treatment_interaction(shuffled, **kw)
    pd.testing.assert_frame_equal(df, before)
    assert_allclose(res2.table["coef"], res.table["coef"], rtol=1e-10)
    assert_allclose(res2.subgroups["rmst_difference"], res.subgroups["rmst_difference"],
                    rtol=1e-12)
    # time in days instead of months: hazard ratios unchanged, RMST scales
    days = df.assign(months=df["months"] * 30.4375)
    res3 = marker_treatment_interaction(days, **kw)
    assert_allclose(res3.subgroups["hr"], res.subgroups["hr"], rtol=1e-8)
    assert_allclose(res3.subgroups["rmst_difference"], res.subgroups["rmst_difference"]
                    * 30.4375, rtol=1e-8)
    assert res.to_dict()["subgroups"][0]["marker_level"] == "0"
    assert "subgroups" in res._repr_html_()


def test_forest_plot_draws_subgroups():
    res = marker_treatment_interaction(
        _trial(), time_col="months", event_col="event", marker_col="ctc_group",
        treatment_col="arm")
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("ctc_group = 0 (n=") and labels[-1].startswith("ctc_group = >=5")
    hr_line = [ln for ln in ax.get_lines() if ln.get_gid() == "subgroup-hr"][0]
    assert_allclose(hr_line.get_xdata(), res.subgroups["hr"])
    assert f"{res.interaction_p_value:.3g}" in ax.get_title()


def test_bad_input_messages():
    df = _trial()
    kw = dict(time_col="months", event_col="event", marker_col="ctc_group")
    with pytest.raises(DataValidationError, match="treatment_col 'ctc_group' has 3 level"):
        marker_treatment_interaction(df, treatment_col="ctc_group", **kw | {"marker_col": "arm"})
    with pytest.raises(DataValidationError, match="categorise it first"):
        marker_treatment_interaction(df.assign(c=np.arange(len(df))), time_col="months",
                                     event_col="event", marker_col="c", treatment_col="arm")
    with pytest.raises(DataValidationError, match="has no patient in arm 1"):
        bad = df[~((df.ctc_group == ">=5") & (df.arm == 1))]
        marker_treatment_interaction(bad, treatment_col="arm", **kw)
    with pytest.raises(ParameterError, match="must not repeat marker_col"):
        marker_treatment_interaction(df, treatment_col="arm", covariates=["ctc_group"], **kw)
    with pytest.raises(ParameterError, match="'margin'"):
        noninferiority_test(df, time_col="months", event_col="event", treatment_col="arm",
                            margin=0.8)
    with pytest.raises(DataValidationError, match="missing"):
        marker_treatment_interaction(df.assign(age=np.where(df.index == 3, np.nan, df.age)),
                                     treatment_col="arm", covariates=["age"], **kw)
    res = marker_treatment_interaction(df.assign(age=np.where(df.index == 3, np.nan, df.age)),
                                       treatment_col="arm", covariates=["age"],
                                       missing="drop", **kw)
    assert res.n_dropped == 1 and res.n_obs == len(df) - 1


def test_treatment_subgroups_stack_the_interaction_fits():
    import ctcstats as cs

    df = _trial().assign(old=lambda d: (d["age"] >= 60).astype(int))
    res = cs.treatment_subgroups(df, time_col="months", event_col="event", treatment_col="arm",
                                 subgroup_cols=["ctc_group", "site", "old"], tau=24.0)
    tab = res.table
    assert list(tab["variable"]) == ["overall"] + ["ctc_group"] * 3 + ["site"] * 2 + ["old"] * 2
    single = marker_treatment_interaction(df, time_col="months", event_col="event",
                                          marker_col="ctc_group", treatment_col="arm", tau=24.0)
    rows = tab[tab["variable"] == "ctc_group"]
    assert_allclose(rows["hr"], single.subgroups["hr"], rtol=1e-12)
    assert_allclose(rows["interaction_p_value"], single.interaction_p_value, rtol=1e-12)
    overall = noninferiority_test(df, time_col="months", event_col="event", treatment_col="arm")
    assert_allclose(tab.loc[0, "hr"], overall.hr, rtol=1e-12)
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("overall") and "interaction p" in labels[1]
    with pytest.raises(ParameterError, match="subgroup_cols"):
        cs.treatment_subgroups(df, time_col="months", event_col="event", treatment_col="arm",
                               subgroup_cols="site")
