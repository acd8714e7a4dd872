"""meta_analysis against metafor::rma (FE, DL, REML, PM; z and Knapp–Hartung)."""

from __future__ import annotations

import json
from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from tests.reference._load import load_input, load_output

DATASETS = ["published_ebc", "hetero", "homog", "bcg"]
METHODS = {"FE": ("fixed", "z"), "DL": ("dl", "z"), "REML": ("reml", "z"), "PM": ("pm", "z"),
           "DL_knha": ("dl", "knha"), "REML_knha": ("reml", "knha"), "PM_knha": ("pm", "knha")}

# Tolerances. FE and DL are closed forms: 1e-10 relative. REML (Fisher scoring) and PM and the
# Q-profile limits (root finding) were run in R with threshold/tol 1e-12, as ours; both land on
# the same optimum to ~1e-9, so 1e-7 relative with an absolute floor of 1e-9 for τ² ≈ 0.
TOL = {"FE": 1e-10, "DL": 1e-10}


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("key", list(METHODS))
def test_matches_metafor_rma(name, key):
    """R: ``rma(yi, sei=sei, method=M, test=T, control=list(threshold=1e-12, tol=1e-12))``,
    ``predict(fit)``, ``confint(fit)``, ``weights(fit)``."""
    d = load_input("meta", name)
    ref = load_output("meta", name)[key]
    method, test = METHODS[key]
    few = len(d) < 5 and method != "fixed" and test == "z"
    with pytest.warns(cs.DataWarning, match="only 4 studies") if few else nullcontext():
        res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", study_col="study",
                               method=method, test=test)
    rtol = TOL.get(key, 1e-7)
    assert_allclose(res.estimate, ref["estimate"], rtol=rtol)
    assert_allclose(res.std_error, ref["se"], rtol=rtol)
    assert_allclose([res.ci_lower, res.ci_upper], [ref["ci_lb"], ref["ci_ub"]], rtol=rtol)
    assert_allclose(res.z, ref["zval"], rtol=rtol)
    assert_allclose(res.p_value, ref["pval"], rtol=1e-6)
    assert_allclose([res.pi_lower, res.pi_upper], [ref["pi_lb"], ref["pi_ub"]], rtol=rtol)
    assert_allclose(res.q, ref["QE"], rtol=1e-10)
    assert_allclose(res.q_p_value, ref["QEp"], rtol=1e-8)
    assert_allclose(res.i2, ref["I2"], rtol=rtol, atol=1e-7)
    assert_allclose(res.h2, ref["H2"], rtol=rtol)
    assert_allclose(res.table["weight"], ref["weights"], rtol=rtol)
    if method == "fixed":
        assert np.isnan(res.tau2)
    else:
        assert_allclose(res.tau2, ref["tau2"], rtol=rtol, atol=1e-9)
        assert_allclose([res.tau2_ci_lower, res.tau2_ci_upper], ref["tau2_ci"], rtol=1e-7, atol=1e-9)
        assert_allclose([res.i2_ci_lower, res.i2_ci_upper], ref["I2_ci"], rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name", DATASETS)
def test_reml_close_to_metafor_default_control(name):
    """R's default REML stops at |Δτ²| < 1e-5, so its estimate differs from the exact optimum
    by at most that order; ours is within 1e-4 relative of it on every data set."""
    d = load_input("meta", name)
    ref = load_output("meta", name)["REML_default_control"]
    with pytest.warns(cs.DataWarning) if len(d) < 5 else nullcontext():
        res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", method="reml")
    assert_allclose(res.estimate, ref["estimate"], rtol=1e-4)
    assert_allclose(res.tau2, ref["tau2"], atol=1e-5)


def test_log_hr_from_ci_and_pooling_published_hrs():
    pub = load_input("meta", "published_ebc")
    conv = cs.log_hr_from_ci(pub, hr_col="hr", lower_col="lower", upper_col="upper")
    assert_allclose(conv["log_hr"], pub["yi"], rtol=1e-12)
    assert_allclose(conv["std_error"], pub["sei"], rtol=1e-12)
    assert "log_hr" not in pub.columns  # input untouched


def test_log_hr_from_ci_errors():
    base = pd.DataFrame({"hr": [1.8], "lo": [1.5], "hi": [2.2]})
    with pytest.raises(DataValidationError, match=r"does not contain the hazard ratio 1.8 \(inverted"):
        cs.log_hr_from_ci(base.assign(lo=2.2, hi=1.5), hr_col="hr", lower_col="lo", upper_col="hi")
    with pytest.raises(DataValidationError, match="is asymmetric around the hazard ratio"):
        cs.log_hr_from_ci(base.assign(hi=9.0), hr_col="hr", lower_col="lo", upper_col="hi")
    with pytest.raises(DataValidationError, match=r"must be > 0.*did you pass log-HRs\?"):
        cs.log_hr_from_ci(base.assign(lo=-0.2), hr_col="hr", lower_col="lo", upper_col="hi")


def test_bad_input_and_parameters():
    d = load_input("meta", "hetero")
    with pytest.raises(DataValidationError, match="std_error_col 'sei' has 1 non-positive"):
        cs.meta_analysis(d.assign(sei=[0.0] + d["sei"].tolist()[1:]), estimate_col="yi",
                         std_error_col="sei")
    with pytest.raises(DataValidationError, match="needs at least 2 studies"):
        cs.meta_analysis(d.iloc[:1], estimate_col="yi", std_error_col="sei")
    with pytest.raises(ParameterError, match="The 'method' parameter of meta_analysis must be one of"):
        cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", method="hs")
    with pytest.raises(DataValidationError, match="estimate_col 'logHR' is not a column"):
        cs.meta_analysis(d, estimate_col="logHR", std_error_col="sei")
    d2 = d.copy()
    d2.loc[3, "yi"] = np.nan
    with pytest.raises(DataValidationError, match="estimate_col 'yi' has 1 missing value"):
        cs.meta_analysis(d2, estimate_col="yi", std_error_col="sei")
    res = cs.meta_analysis(d2, estimate_col="yi", std_error_col="sei", missing="drop")
    assert (res.n_obs, res.n_dropped, res.k) == (11, 1, 11)


def test_few_studies_warns_and_records():
    d = load_input("meta", "published_ebc")
    with pytest.warns(cs.DataWarning, match="only 4 studies"):
        res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", method="reml")
    assert any("test='knha'" in w for w in res.warnings)


def test_row_order_invariance_and_json(rng):
    d = load_input("meta", "bcg")
    a = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", study_col="study")
    b = cs.meta_analysis(d.sample(frac=1, random_state=1), estimate_col="yi",
                         std_error_col="sei", study_col="study")
    assert_allclose([a.estimate, a.tau2, a.tau2_ci_upper], [b.estimate, b.tau2, b.tau2_ci_upper],
                    rtol=1e-10)
    json.dumps(a.to_dict(), allow_nan=False)
    assert "Meta-analysis" in a._repr_html_()


def test_forest_plot_draws_every_study():
    d = load_input("meta", "bcg")
    res = cs.meta_analysis(d, estimate_col="yi", std_error_col="sei", study_col="study")
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == d["study"].tolist()[:3] and labels[-1] == "Pooled (REML)"
    squares = [ln for ln in ax.lines if ln.get_marker() == "s"]
    assert len(squares) == len(d)
    assert len(ax.patches) == 1  # the pooled diamond
    assert ax.get_xscale() == "log"
    assert "I² =" in ax.get_title(loc="left")
