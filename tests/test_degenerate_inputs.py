"""Data that cannot mean what it is used as gets a clear error or a recorded warning, never a
confident number (DESIGN.md §4, issue 13).

* numbers stored as text: an error naming the column and the values that are not numbers
  (the old message said "0 non-numeric values"); as a covariate they are not silently turned
  into one indicator per value;
* a continuous column (or an identifier) as ``group_col``: an error above
  ``MAX_GROUP_LEVELS`` levels, with the fix;
* a constant risk score: C is NaN with a recorded warning (was 0.5 with SE 0);
* permutation p-values are ``(b + 1) / (B + 1)``, never 0; Lau94 is floored at the
  unadjusted p-value where R's bound is below it (R reports a negative p-value);
* ``meta_analysis`` with one tiny standard error: Q, τ² and I² accurate (metafor reference in
  tests/reference/meta/tiny_se.R; exact rational arithmetic for Q) and a warning as metafor's;
  a study label used twice and Egger's test with equal standard errors are errors.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats import cutpoints as cp
from ctcstats._validation import MAX_GROUP_LEVELS

from .reference._load import load_input, load_output


def _surv(n: int = 60, seed: int = 1) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    return pd.DataFrame({"t": np.round(g.exponential(10, n), 2) + 0.01,
                         "e": (g.random(n) < 0.7).astype(int),
                         "age": np.round(g.normal(60, 8, n), 1),
                         "grade": g.choice(["G1", "G2", "G3"], n)})


# --------------------------------------------------------------------------- text numbers
def test_numbers_stored_as_text_covariate_is_an_error_not_indicators():
    d = _surv()
    d["age"] = d["age"].astype(str)
    with pytest.raises(cs.DataValidationError,
                       match=r"covariate 'age' must be numeric; found dtype object holding "
                             r"numbers stored as text \(e\.g\. '\d+\.\d'\); convert it with "
                             r"pd\.to_numeric.*astype\('category'\)"):
        cs.fit_cox(d, time_col="t", event_col="e", covariates=["age"])


def test_text_column_names_the_values_that_are_not_numbers():
    d = _surv()
    d["age"] = d["age"].astype(str)
    d.loc[[4, 9], "age"] = ["<40", "n/a"]
    with pytest.raises(cs.DataValidationError,
                       match=r"risk_col 'age' must be numeric; found dtype object holding 2 "
                             r"non-numeric values \('<40', 'n/a'; first row labels: 4, 9\)"):
        cs.concordance_index(d, time_col="t", event_col="e", risk_col="age")
    with pytest.raises(cs.DataValidationError, match=r"2 non-numeric values \('<40', 'n/a'"):
        cs.fit_cox(d, time_col="t", event_col="e", covariates=["age"])


def test_decimal_comma_numbers_are_named_as_such():
    d = _surv()
    d["age"] = d["age"].map(lambda x: f"{x:.1f}".replace(".", ","))
    for call in (lambda: cs.fit_cox(d, time_col="t", event_col="e", covariates=["age"]),
                 lambda: cs.concordance_index(d, time_col="t", event_col="e", risk_col="age")):
        with pytest.raises(cs.DataValidationError,
                           match=r"numbers written with a decimal comma \(e\.g\. '\d+,\d'\); "
                                 r"read the file with pd\.read_csv\(\.\.\., decimal=','\)"):
            call()


def test_text_categories_and_explicit_categoricals_still_work():
    d = _surv()
    assert cs.fit_cox(d, time_col="t", event_col="e",
                      covariates=["grade"]).table.index.tolist() == ["grade[G2]", "grade[G3]"]
    d["code"] = d["grade"].str[1]  # "1", "2", "3": numbers as text → error, Categorical → ok
    with pytest.raises(cs.DataValidationError, match="numbers stored as text"):
        cs.fit_cox(d, time_col="t", event_col="e", covariates=["code"])
    d["code"] = d["code"].astype("category")
    assert cs.fit_cox(d, time_col="t", event_col="e",
                      covariates=["code"]).table.index.tolist() == ["code[2]", "code[3]"]


# --------------------------------------------------------------------------- group_col
def test_continuous_group_col_is_an_error_with_the_fix():
    d = _surv(200)
    with pytest.raises(cs.DataValidationError,
                       match=r"group_col 'age' has \d+ distinct values — it looks like a "
                             r"continuous measurement, not groups \(logrank_test compares "
                             rf"groups; more than {MAX_GROUP_LEVELS} .*cs\.optimal_cutpoint"):
        cs.logrank_test(d, time_col="t", event_col="e", group_col="age")
    with pytest.raises(cs.DataValidationError, match="continuous measurement"):
        cs.kaplan_meier(d, time_col="t", event_col="e", group_col="age")
    d["pid"] = [f"p{i}" for i in range(len(d))]
    with pytest.raises(cs.DataValidationError, match="looks like an identifier"):
        cs.logrank_test(d, time_col="t", event_col="e", group_col="pid")


def test_many_groups_are_accepted_as_an_explicit_categorical():
    d = _surv(200)
    d["decade"] = (d["age"] // 3).astype(int)
    d = d[d.groupby("decade")["e"].transform("sum") > 0]  # an event in every group
    assert d["decade"].nunique() > MAX_GROUP_LEVELS
    with pytest.raises(cs.DataValidationError, match="continuous measurement"):
        cs.logrank_test(d, time_col="t", event_col="e", group_col="decade")
    d["decade"] = d["decade"].astype("category")
    res = cs.logrank_test(d, time_col="t", event_col="e", group_col="decade")
    assert res.df == d["decade"].nunique() - 1


def test_text_group_col_with_many_levels_is_an_error_in_every_function():
    """Text columns obey the same rule as numbers: more than MAX_GROUP_LEVELS plain levels
    is an error (was accepted silently unless every row differed), with the fix; the same
    levels as a Categorical are accepted."""
    d = _surv(200)
    k = MAX_GROUP_LEVELS + 3
    d["centre"] = [f"centre {i % k}" for i in range(len(d))]
    d["age_text"] = (d["age"] // 2).astype(int).astype(str)  # numbers stored as text
    assert d["age_text"].nunique() > MAX_GROUP_LEVELS
    calls = [lambda x, g: cs.logrank_test(x, time_col="t", event_col="e", group_col=g),
             lambda x, g: cs.kaplan_meier(x, time_col="t", event_col="e", group_col=g),
             lambda x, g: cs.pairwise_logrank_test(x, time_col="t", event_col="e",
                                                   group_col=g),
             lambda x, g: cs.cumulative_incidence(x, time_col="t", event_col="e",
                                                  group_col=g),
             lambda x, g: cs.validate_cohort(x, time_col="t", event_col="e", group_col=g)]
    for call in calls:
        with pytest.raises(cs.DataValidationError,
                           match=rf"group_col 'centre' has {k} distinct values — it looks "
                                 r"like text with too many distinct values to be groups.*"
                                 r"astype\('category'\)"):
            call(d, "centre")
        with pytest.raises(cs.DataValidationError,
                           match=r"group_col 'age_text' .* continuous measurement stored as "
                                 r"text.*pd\.to_numeric"):
            call(d, "age_text")
    res = cs.logrank_test(d.assign(centre=d["centre"].astype("category")), time_col="t",
                          event_col="e", group_col="centre")
    assert res.df == k - 1


# --------------------------------------------------------------------------- constant score
def test_constant_risk_score_gives_nan_c_with_a_warning():
    d = _surv().assign(r=0.25)
    with pytest.warns(cs.DataWarning, match=r"risk_col 'r' is constant.*reported as NaN"):
        res = cs.concordance_index(d, time_col="t", event_col="e", risk_col="r")
    assert np.isnan(res.estimate) and np.isnan(res.std_error)
    assert np.isnan(res.ci_lower) and np.isnan(res.ci_upper)
    assert any("is constant" in w for w in res.warnings)


@pytest.mark.parametrize("func", ["time_dependent_auc", "competing_time_dependent_auc"])
def test_constant_risk_score_gives_nan_auc_with_a_warning(func):
    """td-AUC of a constant score was 0.5 with SE 2e-17 — a confident number about a score
    that ranks nobody; now NaN (estimate, SE, CI) with a recorded warning, as the C-index."""
    d = _surv().assign(r=0.25)
    with pytest.warns(cs.DataWarning, match=r"risk_col 'r' is constant, so it separates no "
                                            r"case from a control; the AUC is undefined"):
        res = getattr(cs, func)(d, time_col="t", event_col="e", risk_col="r", horizon=8.0)
    assert np.isnan([res.estimate, res.std_error, res.ci_lower, res.ci_upper]).all()
    assert any("is constant" in w for w in res.warnings)
    # an ordinary score keeps its estimate and SE
    ok = getattr(cs, func)(d.assign(r=d["age"]), time_col="t", event_col="e",
                           risk_col="r", horizon=8.0)
    assert np.isfinite(ok.estimate) and ok.std_error > 0


# --------------------------------------------------------------------------- cut-points
def test_permutation_p_value_is_never_zero():
    g = np.random.default_rng(3)
    x = np.repeat([0.0, 1.0, 2.0, 3.0], 40)
    t = g.exponential(1 / np.exp(2.0 * (x >= 2)))
    d = pd.DataFrame({"x": x, "t": t, "e": 1})
    res = cp.optimal_cutpoint(d, marker_col="x", time_col="t", event_col="e",
                              p_method="permutation", n_perm=99, rng=1)
    assert res.p_value == pytest.approx(1 / 100)  # no permutation beats it: (0 + 1)/(99 + 1)


def test_lau94_floor_where_r_reports_a_negative_p_value():
    """R 4.2.2, maxstat 0.7-25 on these data: ``maxstat.test(Surv(t, e) ~ x, pmethod =
    "Lau94", minprop = 0.1, maxprop = 0.9)$p.value`` = -5.862630601e-34 (statistic
    12.38674852)."""
    g = np.random.default_rng(1)
    x = np.repeat([0, 1, 2], [60, 120, 120])
    d = pd.DataFrame({"x": x, "t": g.exponential(1 / np.exp(2.5 * (x >= 1))), "e": 1})
    with pytest.warns(cs.DataWarning, match=r"the Lau94 bound \(-5\.\d+e-34\) fell below the "
                                            r"unadjusted p-value.*reported as a floor"):
        res = cp.optimal_cutpoint(d, marker_col="x", time_col="t", event_col="e")
    assert_allclose(res.statistic, 12.38674852, rtol=1e-9)
    assert res.p_value == res.p_value_unadjusted > 0
    assert cp.p_lausen94(res.statistic, 300, res.scan["n_low"].to_numpy()) < 0  # the raw bound


# --------------------------------------------------------------------------- meta
def test_meta_analysis_tiny_se_matches_metafor():
    """metafor 3.8-1 (tests/reference/meta/tiny_se.R). metafor's Q is itself computed with
    cancellation of order eps·w_max/w_min ≈ 1e-5 here, so it is compared to 1e-5 relative;
    our Q is compared to exact rational arithmetic to 1e-12."""
    d = load_input("meta", "tiny_se")
    ref = load_output("meta", "tiny_se")
    w = [1 / Fraction(s) ** 2 for s in d["sei"]]
    y = [Fraction(v) for v in d["yi"]]
    mu = sum(a * b for a, b in zip(w, y, strict=True)) / sum(w)
    q_exact = float(sum(a * (b - mu) ** 2 for a, b in zip(w, y, strict=True)))
    for method, key in [("fixed", "FE"), ("dl", "DL"), ("reml", "REML"), ("pm", "PM")]:
        with pytest.warns(cs.DataWarning, match="sampling variances differ by a factor"):
            res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei",
                                   study_col="study", method=method)
        r = ref[key]
        assert "Ratio of largest to smallest sampling variance" in r["warnings"]
        assert_allclose(res.q, q_exact, rtol=1e-12)
        assert_allclose(res.q, r["QE"], rtol=1e-5)
        assert_allclose(res.q_p_value, r["QEp"], rtol=1e-4)
        assert_allclose(res.estimate, r["estimate"], rtol=1e-5)
        assert_allclose(res.std_error, r["se"], rtol=1e-5)
        assert_allclose(res.i2, r["I2"], rtol=1e-5)
        if method != "fixed":
            assert_allclose(res.tau2, r["tau2"], rtol=1e-5)


@pytest.mark.parametrize("tiny", [1e-9, 1e-12])
def test_meta_analysis_q_stays_exact_as_one_se_shrinks(tiny):
    d = pd.DataFrame({"yi": [0.42, 0.61, 0.15, 0.88, 0.30],
                      "sei": [0.20, 0.25, tiny, 0.30, 0.22]})
    with pytest.warns(cs.DataWarning, match="sampling variances differ"):
        res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", method="dl")
    # the limit of Q as the SE → 0 (rational arithmetic): was 12.84 / 9.96 with I² = 0
    assert_allclose(res.q, 11.594087144168963, rtol=1e-12)
    assert_allclose(res.i2, 65.49965555492889, rtol=1e-9)


def test_study_label_used_twice_is_an_error():
    d = pd.DataFrame({"study": ["A", "B", "A", "C"], "yi": [0.4, 0.6, 0.4, 0.9],
                      "sei": [0.2, 0.25, 0.2, 0.3]})
    for call in (cs.meta_analysis, cs.leave_one_out):
        with pytest.raises(cs.DataValidationError,
                           match=r"study_col 'study' names the same study in more than one "
                                 r"row \('A'; first row labels: 0, 2\)"):
            call(d, estimate_col="yi", std_error_col="sei", study_col="study")
    with pytest.raises(cs.DataValidationError, match="names the same study"):
        cs.subgroup_meta_analysis(d.assign(sub=["x", "x", "y", "y"]), estimate_col="yi",
                                  std_error_col="sei", subgroup_col="sub", study_col="study")


def test_egger_with_equal_standard_errors_is_an_error():
    d = pd.DataFrame({"yi": [0.4, 0.6, 0.1, 0.9, 0.3], "sei": [0.2] * 5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.SmallSampleWarning)
        with pytest.raises(cs.DataValidationError,
                           match=r"std_error_col 'sei' has the same value \(0\.2\) for every "
                                 r"study; Egger's test regresses"):
            cs.egger_test(d, estimate_col="yi", std_error_col="sei")


def test_mixed_model_in_an_extreme_time_unit_reports_instead_of_raising():
    """Draw times in a unit 1e9 times too small overflowed the mixed model's second
    derivatives: numpy's LinAlgError ('Eigenvalues did not converge') escaped, with overflow
    RuntimeWarnings. Now: the fit returns, its SEs are NaN and a recorded warning says why
    and how to fix it (the property suite's time-unit test lists the remaining unit
    dependence of this engine as a known failure)."""
    from tests.property._registry import cohort as reg_cohort
    from tests.property._registry import draws_for

    w = draws_for(reg_cohort())
    w = w.assign(draw_t=w["draw_t"] * 1e9)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = cs.fit_count_mixed_model(w, count_col="count", id_col="pid", time_col="draw_t",
                                       random="intercept", kind="poisson", method="laplace")
    assert all(issubclass(x.category, cs.CTCStatsWarning) for x in seen)  # no RuntimeWarning
    assert any("observed information could not be computed" in str(x.message) for x in seen)
    assert np.isnan(res.table["std_error"]).all()
    assert any("rescale the time" in m for m in res.warnings)
