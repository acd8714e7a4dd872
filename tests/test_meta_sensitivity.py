"""Subgroups, leave-one-out and Egger's test against metafor (leave1out, regtest, rma)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError
from tests.reference._load import as_array, load_input, load_output

REF = load_output("meta", "sensitivity")
METHOD = {"FE": "fixed", "DL": "dl", "REML": "reml"}


@pytest.mark.parametrize("name", ["hetero", "bcg"])
@pytest.mark.parametrize("m", ["FE", "DL", "REML"])
def test_leave_one_out_matches_metafor(name, m):
    """R: ``leave1out(rma(yi, sei=sei, method=m, control=list(threshold=1e-12, tol=1e-12)))``.
    Closed forms (FE, DL) and REML to 1e-12 in both: 1e-7 relative, 1e-9 absolute on τ²."""
    d = load_input("meta", name)
    ref = REF[name][f"leave1out_{m}"]
    out = cs.leave_one_out(d, estimate_col="yi", std_error_col="sei", study_col="study",
                           method=METHOD[m])
    assert out["study"].tolist() == d["study"].tolist()
    for col, key in [("estimate", "estimate"), ("std_error", "se"), ("z", "zval"),
                     ("ci_lower", "ci_lb"), ("ci_upper", "ci_ub"), ("q", "Q")]:
        assert_allclose(out[col], as_array(ref[key]), rtol=1e-7, err_msg=col)
    assert_allclose(out["p_value"], as_array(ref["pval"]), rtol=1e-6)
    if m != "FE":
        assert_allclose(out["tau2"], as_array(ref["tau2"]), rtol=1e-7, atol=1e-9)
        assert_allclose(out["i2"], as_array(ref["I2"]), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name", ["hetero", "bcg"])
@pytest.mark.parametrize("m", ["FE", "DL", "REML"])
def test_egger_rma_matches_regtest(name, m):
    """R: ``regtest(rma(yi, sei=sei, method=m))`` — sei as moderator, z test."""
    d = load_input("meta", name)
    ref = REF[name][f"regtest_rma_{m}"]
    ctx = pytest.warns(cs.SmallSampleWarning) if len(d) < 10 else _null()
    with ctx:
        res = cs.egger_test(d, estimate_col="yi", std_error_col="sei", method=METHOD[m])
    assert_allclose(res.statistic, ref["zval"], rtol=1e-7)
    assert_allclose(res.p_value, ref["pval"], rtol=1e-6)
    assert_allclose(res.limit_estimate, ref["est"], rtol=1e-7)
    assert_allclose([res.limit_ci_lower, res.limit_ci_upper], [ref["ci_lb"], ref["ci_ub"]],
                    rtol=1e-7)


@pytest.mark.parametrize("name", ["hetero", "bcg"])
def test_egger_lm_matches_regtest(name):
    """R: ``regtest(rma(yi, sei=sei, method="FE"), model="lm")`` — classical Egger, t(k−2)."""
    d = load_input("meta", name)
    ref = REF[name]["regtest_lm"]
    res = cs.egger_test(d, estimate_col="yi", std_error_col="sei", model="lm")
    assert res.df == ref["dfs"]
    assert_allclose([res.statistic, res.p_value, res.limit_estimate],
                    [ref["zval"], ref["pval"], ref["est"]], rtol=1e-8)
    assert_allclose([res.limit_ci_lower, res.limit_ci_upper], [ref["ci_lb"], ref["ci_ub"]],
                    rtol=1e-8)


@pytest.mark.parametrize("name", ["hetero", "bcg"])
@pytest.mark.parametrize("m", ["DL", "REML"])
def test_subgroups_match_separate_rma_fits(name, m):
    """R: one ``rma(method=m)`` per subgroup; ``rma(est_g, sei=se_g, method="FE")$QE`` as the
    between-subgroup Q."""
    d = load_input("meta", f"{name}_subgroups")
    ref = REF[name][f"subgroup_{m}"]
    # bcg's subgroups have 2, 7 and 4 trials: the few-studies note is expected and recorded
    ctx = pytest.warns(cs.DataWarning, match=r"subgroup '\w+': only \d studies") \
        if name == "bcg" else _null()
    with ctx:
        res = cs.subgroup_meta_analysis(d, estimate_col="yi", std_error_col="sei",
                                        subgroup_col="subgroup", study_col="study",
                                        method=METHOD[m])
    if name == "bcg":
        assert any(w.startswith("subgroup 'systematic': only 4 studies") for w in res.warnings)
    assert res.table["subgroup"].tolist() == ref["levels"]
    assert_allclose(res.table["estimate"], as_array(ref["estimate"]), rtol=1e-7)
    assert_allclose(res.table["std_error"], as_array(ref["se"]), rtol=1e-7)
    assert_allclose(res.table["tau2"], as_array(ref["tau2"]), rtol=1e-7, atol=1e-9)
    assert_allclose([res.q_between, res.q_between_p_value], [ref["QM"], ref["QMp"]], rtol=1e-7)
    assert res.q_between_df == ref["df"]
    assert res.overall.k == len(d)


def test_errors():
    d = load_input("meta", "hetero_subgroups")
    with pytest.raises(DataValidationError, match="subgroup_col 'subgroup' has a single level"):
        cs.subgroup_meta_analysis(d.assign(subgroup="x"), estimate_col="yi",
                                  std_error_col="sei", subgroup_col="subgroup")
    with pytest.raises(DataValidationError, match="leave_one_out needs at least 3 studies"):
        cs.leave_one_out(d.iloc[:2], estimate_col="yi", std_error_col="sei")
    with pytest.raises(DataValidationError, match="egger_test needs at least 3 studies"):
        cs.egger_test(d.iloc[:2], estimate_col="yi", std_error_col="sei")


def test_funnel_plot_draws_points_and_pseudo_ci():
    d = load_input("meta", "bcg")
    res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", method="reml")
    ax = res.plot(kind="funnel", exponentiate=False)
    pts = [c for c in ax.collections if len(c.get_offsets()) == len(d)]
    assert len(pts) == 1
    np.testing.assert_allclose(np.asarray(pts[0].get_offsets())[:, 1], d["sei"])
    assert ax.yaxis_inverted()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_subgroup_forest_plot_has_headers_and_diamonds():
    d = load_input("meta", "hetero_subgroups")
    res = cs.subgroup_meta_analysis(d, estimate_col="yi", std_error_col="sei",
                                    subgroup_col="subgroup", study_col="study", method="dl")
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "a" and "b" in labels and labels[-1] == "Overall"
    assert sum(lab.strip().startswith("Subtotal") for lab in labels) == 2
    assert len(ax.patches) == 3  # two subtotal diamonds and the overall diamond
    studies = [ln for ln in ax.lines if ln.get_marker() == "s"]
    assert len(studies) == len(d)
    assert "Test for subgroup differences" in ax.get_title(loc="left")
