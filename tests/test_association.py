"""Tests of ctcstats.marker_table against R (tests/reference/marker_table/)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ctcstats.association as mt
from ctcstats.errors import (
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
    SmallSampleWarning,
)
from tests.reference._load import as_array, load_input, load_output

TOPIC = "marker_table"
VARS = ["age", "tumor_size_cm", "grade", "node_positive", "hr_status", "histology",
        "her2_positive"]
KW = dict(covariates=VARS, categorical=["node_positive", "her2_positive"],
          nonnormal=["tumor_size_cm"], missing="report")
# p-values are closed forms of the same statistics (chi-square, t, normal approximations,
# hypergeometric sums): 1e-8 relative.
RTOL = 1e-8


def cohort() -> pd.DataFrame:
    d = load_input(TOPIC, "cohort")
    d["grade"] = pd.Categorical(d["grade"], categories=[1, 2, 3], ordered=True)
    return d


def gbsg2() -> pd.DataFrame:
    d = load_input(TOPIC, "gbsg2")
    d["tgrade"] = pd.Categorical(d["tgrade"], categories=["I", "II", "III"], ordered=True)
    return d


def _p(res, var):
    return float(res.tests.set_index("variable").loc[var, "p_value"])


def _test(res, var):
    return str(res.tests.set_index("variable").loc[var, "test"])


def test_binary_marker_matches_r():
    """R: t.test(age ~ g, var.equal = TRUE); wilcox.test(size ~ g, exact = FALSE,
    correct = TRUE); prop.trend.test(tab[, 2], rowSums(tab)) for grade; chisq.test(tab)
    (Yates) for node_positive; fisher.test(tab) for hr_status (2×2), histology (3×2) and
    her2_positive (2×2); SMDs as R tableone (Yang & Dalton)."""
    ref = load_output(TOPIC, "cohort")["ctc_positive"]
    res = mt.marker_table(cohort(), marker_col="ctc_positive", smd=True, **KW)
    assert _test(res, "age") == "t-test"
    assert_allclose(_p(res, "age"), ref["age"]["t_p"], rtol=RTOL)
    assert _test(res, "tumor_size_cm") == "Mann–Whitney"
    assert_allclose(_p(res, "tumor_size_cm"), ref["tumor_size_cm"]["w_p"], rtol=RTOL)
    tests = res.tests.set_index("variable")
    assert tests.loc["tumor_size_cm", "statistic"] == ref["tumor_size_cm"]["w_statistic"]
    assert_allclose(tests.loc["age", "statistic"], ref["age"]["t_statistic"], rtol=RTOL)
    assert _test(res, "grade") == "Cochran–Armitage trend"
    assert_allclose(_p(res, "grade"), ref["grade"]["trend_p"], rtol=RTOL)
    assert_allclose(tests.loc["grade", "statistic"], ref["grade"]["trend_statistic"], rtol=RTOL)
    assert _test(res, "node_positive") == "chi-square (Yates)"
    assert_allclose(_p(res, "node_positive"), ref["node_positive"]["chisq_p"], rtol=RTOL)
    assert_allclose(tests.loc["node_positive", "statistic"],
                    ref["node_positive"]["chisq_statistic"], rtol=RTOL)
    for v in ("hr_status", "histology", "her2_positive"):
        assert ref[v]["expected_min"] < 5
        assert _test(res, v) == "Fisher's exact"
        assert_allclose(_p(res, v), ref[v]["fisher_p"], rtol=RTOL)
    for v in VARS:
        assert_allclose(tests.loc[v, "smd"], ref[v]["smd"], rtol=RTOL)
    assert res.warnings == ()


def test_binary_marker_summaries_match_r():
    """R: mean, sd, quantile(type = 7) overall and per group; table(v, g) counts."""
    ref = load_output(TOPIC, "cohort")["ctc_positive"]
    res = mt.marker_table(cohort(), marker_col="ctc_positive", **KW)
    s = res.summary
    age = s[s["variable"] == "age"]
    assert_allclose(age["mean"].iloc[0], ref["age"]["mean"], rtol=1e-12)
    assert_allclose(age["sd"].iloc[0], ref["age"]["sd"], rtol=1e-12)
    assert_allclose(age["mean"].iloc[1:], as_array(ref["age"]["group_mean"]), rtol=1e-12)
    assert_allclose(age["sd"].iloc[1:], as_array(ref["age"]["group_sd"]), rtol=1e-12)
    size = s[s["variable"] == "tumor_size_cm"]
    assert_allclose(size[["q1", "median", "q3"]].iloc[0], as_array(ref["tumor_size_cm"]["q"]),
                    rtol=1e-12)
    assert_allclose(size["q1"].iloc[1:], as_array(ref["tumor_size_cm"]["group_q1"]), rtol=1e-12)
    assert_allclose(size["median"].iloc[1:], as_array(ref["tumor_size_cm"]["group_median"]),
                    rtol=1e-12)
    assert_allclose(size["q3"].iloc[1:], as_array(ref["tumor_size_cm"]["group_q3"]), rtol=1e-12)
    hist = s[(s["variable"] == "histology") & (s["group"] != "overall")]
    # R's table(v, g) is column-major: levels vary fastest within each group
    counts = hist.sort_values(["group", "level"])["n"].to_numpy()
    assert_allclose(counts, as_array(ref["histology"]["counts"]))
    t = res.table
    assert t.loc[t["variable"] == "age", "missing"].iloc[0] == 4
    assert t.loc[t["variable"] == "hr_status", "missing"].iloc[0] == 3
    assert t.loc[(t["variable"] == "hr_status") & (t["level"] == "negative"), "False"].iloc[0] \
        == "29 (28.7%)"
    assert list(t.columns) == ["variable", "level", "overall", "False", "True", "missing",
                               "test", "p_value", "smd"]
    assert t.iloc[0].tolist()[:5] == ["n", "", "120", "104", "16"]


def test_three_group_marker_matches_r():
    """R: oneway.test(age ~ g, var.equal = TRUE) (= aov); kruskal.test(size ~ g);
    chisq.test(tab) for node_positive (2×3) and, with a warning, grade and histology (3×3,
    expected < 5); fisher.test(tab) for hr_status and her2_positive (2×3)."""
    ref = load_output(TOPIC, "cohort")["ctc_group"]
    with pytest.warns(SmallSampleWarning, match="no exact test is available") as rec:
        res = mt.marker_table(cohort(), marker_col="ctc_group", **KW)
    assert len(rec) == 2 and len(res.warnings) == 2
    assert _test(res, "age") == "ANOVA"
    assert_allclose(_p(res, "age"), ref["age"]["anova_p"], rtol=RTOL)
    assert_allclose(_p(res, "age"), ref["age"]["aov_p"], rtol=RTOL)
    assert _test(res, "tumor_size_cm") == "Kruskal–Wallis"
    assert_allclose(_p(res, "tumor_size_cm"), ref["tumor_size_cm"]["kruskal_p"], rtol=RTOL)
    for v in ("grade", "node_positive", "histology"):
        assert_allclose(_p(res, v), ref[v]["chisq_p"], rtol=RTOL)
    assert _test(res, "grade") == "chi-square (expected < 5)"
    for v in ("hr_status", "her2_positive"):
        assert _test(res, v) == "Fisher's exact"
        assert_allclose(_p(res, v), ref[v]["fisher_p"], rtol=RTOL)
    assert res.groups == ("0", "1-4", ">=5")


def test_gbsg2_matches_r():
    """Real data (lifelines load_gbsg2), marker progesterone receptor > 20 fmol."""
    ref = load_output(TOPIC, "gbsg2")
    res = mt.marker_table(gbsg2(), marker_col="pr_positive",
                          covariates=["age", "tsize", "pnodes", "tgrade", "menostat", "horTh"],
                          nonnormal=["tsize", "pnodes"], smd=True)
    assert_allclose(_p(res, "age"), ref["age"]["t_p"], rtol=RTOL)
    assert_allclose(_p(res, "tsize"), ref["tsize"]["w_p"], rtol=RTOL)
    assert_allclose(_p(res, "pnodes"), ref["pnodes"]["w_p"], rtol=RTOL)
    assert_allclose(_p(res, "tgrade"), ref["tgrade"]["trend_p"], rtol=RTOL)
    assert_allclose(_p(res, "menostat"), ref["menostat"]["chisq_p"], rtol=RTOL)
    assert_allclose(_p(res, "horTh"), ref["horTh"]["chisq_p"], rtol=RTOL)
    tests = res.tests.set_index("variable")
    for v in ("age", "tsize", "pnodes", "tgrade", "menostat", "horTh"):
        assert_allclose(tests.loc[v, "smd"], ref[v]["smd"], rtol=RTOL)


def test_fisher_2xc_direct():
    """R: fisher.test(matrix(c(1, 4, 2, 0, 3, 2), 2))$p.value = 0.35064935064935."""
    assert_allclose(mt.fisher_2xc(np.array([[1, 2, 3], [4, 0, 2]])), 0.35064935064935,
                    rtol=1e-12)
    assert_allclose(mt.fisher_2xc(np.array([[1, 4], [2, 0], [3, 2]])), 0.35064935064935,
                    rtol=1e-12)


# ----------------------------------------------------------------------------- association
@pytest.mark.parametrize("case", ["cohort", "gbsg2"])
def test_marker_association_matches_glm(case):
    """R: glm(marker ~ covariates, family = binomial, control = glm.control(epsilon =
    1e-12)); summary(fit)$coefficients; confint.default(fit); logLik; AIC."""
    ref = load_output(TOPIC, case)["glm"]
    if case == "cohort":
        res = mt.marker_association(
            load_input(TOPIC, "cohort"), marker_col="ctc_positive",
            covariates=["age", "tumor_size_cm", "node_positive", "hr_status"], missing="drop")
        assert res.n_dropped == 7
    else:
        res = mt.marker_association(load_input(TOPIC, "gbsg2"), marker_col="pr_positive",
                                    covariates=["age", "menostat", "tsize", "tgrade", "horTh"])
        assert list(res.table.index) == ["intercept", "age", "menostat[Pre]", "tsize",
                                         "tgrade[II]", "tgrade[III]", "horTh[yes]"]
    t = res.table
    assert res.n_obs == ref["n"]
    # iterative (IRLS) fits, both converged far below 1e-6: 1e-6 relative
    assert_allclose(t["coef"], as_array(ref["coef"]), rtol=1e-6)
    assert_allclose(t["std_error"], as_array(ref["se"]), rtol=1e-6)
    assert_allclose(t["z"], as_array(ref["z"]), rtol=1e-6)
    assert_allclose(t["p_value"], as_array(ref["p"]), rtol=1e-6)
    ci = np.array(ref["ci"], dtype=float)
    assert_allclose(np.log(t["ci_lower"]), ci[:, 0], rtol=1e-6, atol=1e-9)
    assert_allclose(np.log(t["ci_upper"]), ci[:, 1], rtol=1e-6, atol=1e-9)
    assert_allclose(res.loglik, ref["loglik"], rtol=1e-8)
    assert_allclose(res.aic, ref["aic"], rtol=1e-8)
    assert list(t.columns) == ["coef", "std_error", "odds_ratio", "ci_lower", "ci_upper", "z",
                               "p_value"]
    assert (t["ci_lower"] <= t["odds_ratio"]).all() and (t["odds_ratio"] <= t["ci_upper"]).all()


def test_marker_association_errors_and_separation():
    d = load_input(TOPIC, "gbsg2")
    with pytest.raises(DataValidationError, match="marker_col 'pnodes' must contain only 0/1"):
        mt.marker_association(d, marker_col="pnodes", covariates=["age"])
    with pytest.raises(DataValidationError, match="is never positive"):
        mt.marker_association(d.assign(z=0), marker_col="z", covariates=["age"])
    with pytest.raises(ParameterError, match="'covariates' parameter of marker_association"):
        mt.marker_association(d, marker_col="pr_positive", covariates="age")
    with pytest.raises(DataValidationError, match="are collinear"):
        mt.marker_association(d.assign(age2=2 * d["age"]), marker_col="pr_positive",
                              covariates=["age", "age2"])
    sep = pd.DataFrame({"m": [0] * 10 + [1] * 10, "x": np.r_[np.arange(10), np.arange(20, 30)]})
    with pytest.warns(MonotoneLikelihoodWarning, match="separation"):
        res = mt.marker_association(sep, marker_col="m", covariates=["x"])
    assert res.warnings


# ----------------------------------------------------------------------------- behaviour
def test_missing_modes():
    d = cohort()
    d["ctc_positive"] = d["ctc_positive"].astype(object)
    d.loc[[2, 3], "ctc_positive"] = None
    with pytest.warns(DataWarning, match="marker_col 'ctc_positive' has 2 missing"):
        res = mt.marker_table(d, marker_col="ctc_positive", **KW)
    assert res.n_dropped == 2 and res.n_obs == 118
    with pytest.raises(DataValidationError, match="marker_col 'ctc_positive' has 2 missing"):
        mt.marker_table(d, marker_col="ctc_positive", **{**KW, "missing": "raise"})
    with pytest.raises(DataValidationError, match="marker_col 'ctc_positive' has 2 missing"):
        mt.marker_table(d, marker_col="ctc_positive", covariates=VARS)  # default: raise
    res = mt.marker_table(cohort(), marker_col="ctc_positive", **{**KW, "missing": "drop"})
    assert res.n_dropped == 7 and res.n_obs == 113
    assert (res.table["missing"].dropna() == 0).all()


def test_errors():
    d = cohort()
    with pytest.raises(ParameterError, match="'covariates' parameter of marker_table must be a list"):
        mt.marker_table(d, marker_col="ctc_positive", covariates="age")
    with pytest.raises(ParameterError, match="must not include marker_col"):
        mt.marker_table(d, marker_col="ctc_positive", covariates=["ctc_positive"])
    with pytest.raises(ParameterError, match="'nonnormal' parameter of marker_table must name"):
        mt.marker_table(d, marker_col="ctc_positive", covariates=["age"], nonnormal=["x"])
    with pytest.raises(ParameterError, match="lists 'grade', which is categorical"):
        mt.marker_table(d, marker_col="ctc_positive", covariates=["grade"], nonnormal=["grade"])
    with pytest.raises(ParameterError, match="'smd' parameter of marker_table needs a binary"):
        mt.marker_table(d, marker_col="ctc_group", covariates=["age"], smd=True,
                        missing="report")
    with pytest.raises(DataValidationError, match="covariates 'nope' is not a column"):
        mt.marker_table(d, marker_col="ctc_positive", covariates=["nope"])
    with pytest.raises(DataValidationError, match="marker_col 'one' has a single level"):
        mt.marker_table(d.assign(one=1), marker_col="one", covariates=["age"],
                        missing="report")
    with pytest.raises(ParameterError, match="'missing' parameter"):
        mt.marker_table(d, marker_col="ctc_positive", covariates=["age"], missing="keep")


def test_html_and_dict():
    res = mt.marker_table(cohort().rename(columns={"age": "<age>"}), marker_col="ctc_positive",
                          covariates=["<age>", "grade"], smd=True, missing="report")
    h = res._repr_html_()
    assert "&lt;age&gt;" in h and "<age>" not in h
    assert "Cochran–Armitage trend" in h and "<th>True</th>" in h
    d = res.to_dict()
    assert d["table"][0]["variable"] == "n" and d["table"][0]["missing"] is None
    assert "ctc_positive" in str(res)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_row_order_invariance_and_inputs_unchanged(seed):
    d = cohort()
    before = d.copy()
    a = mt.marker_table(d, marker_col="ctc_positive", smd=True, **KW)
    b = mt.marker_table(d.sample(frac=1.0, random_state=seed % 10_000),
                        marker_col="ctc_positive", smd=True, **KW)
    pd.testing.assert_frame_equal(d, before)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-10)
    assert ((a.tests["p_value"] >= 0) & (a.tests["p_value"] <= 1)).all()


def test_docstring_examples_run():
    for f in (mt.marker_table, mt.marker_association):
        runner = doctest.DocTestRunner()
        for test in doctest.DocTestFinder().find(f, globs={}):
            runner.run(test)
        assert runner.failures == 0, f.__name__
