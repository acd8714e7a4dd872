"""internal_external_validation vs R (coxph, concordance, basehaz, survfit, metafor::rma with
test="knha" and metamisc valmeta's t(k−2) prediction interval, or test="z" and predict()).

Study-level values agree at 1e-8 (same fits and curves); pooled estimates, CIs and
prediction intervals at 1e-5 (metafor stops REML at a change of 1e-5), except where REML's τ² sits at the boundary 0, where R's
optimiser stops at τ² ≈ 1e-6 (lung O/E): there the pooled values are compared at 1e-4.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError
from tests.reference._load import load_input, load_output

CASES = {
    "lung": dict(study_col="inst", time_col="time", event_col="status",
                 covariates=["age", "sex", "ph.ecog"], horizon=365),
    "pooled": dict(study_col="study", time_col="months", event_col="event",
                   covariates=["ctc_positive", "age"], horizon=24),
}


@pytest.mark.parametrize("test", ["knha", "z"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_r(name, test):
    ref = load_output("iecv", name)
    res = cs.internal_external_validation(load_input("iecv", name), test=test,
                                          **CASES[name])
    suffix = "_knha" if test == "knha" else ""
    tab = res.table
    assert [str(s) for s in tab["study"]] == [str(s) for s in ref["study"]]
    for ours, theirs in (("c_index", "c"), ("c_std_error", "c_se"), ("slope", "slope"),
                         ("slope_std_error", "slope_se"), ("observed", "observed"),
                         ("expected", "expected"), ("log_oe_std_error", "se_log_o")):
        assert_allclose(tab[ours], ref[theirs], rtol=1e-8, err_msg=ours)
    pooled = res.pooled.set_index("measure")
    for measure, key, back in (("c_index", "pool_c", lambda x: 1 / (1 + np.exp(-x))),
                               ("slope", "pool_slope", lambda x: x),
                               ("oe_ratio", "pool_oe", np.exp)):
        r = ref[key + suffix]
        tol = 1e-4 if r["tau2"] < 1e-4 else 1e-5
        row = pooled.loc[measure]
        assert_allclose(row["estimate"], back(r["estimate"]), rtol=tol)
        assert_allclose([row["ci_lower"], row["ci_upper"]], back(np.array([r["ci_lb"],
                                                                           r["ci_ub"]])),
                        rtol=tol)
        assert_allclose([row["pi_lower"], row["pi_upper"]], back(np.array([r["pi_lb"],
                                                                           r["pi_ub"]])),
                        rtol=tol, atol=tol)
        assert_allclose(row["tau2"], r["tau2"], atol=1e-5)


def test_iecv_errors_and_outputs():
    df = load_input("iecv", "pooled")
    kw = CASES["pooled"]
    with pytest.raises(DataValidationError, match="at least 3"):
        cs.internal_external_validation(df[df["study"].isin(["S1", "S2"])], **kw)
    with pytest.raises(DataValidationError, match="horizon 500"):
        cs.internal_external_validation(df, **kw | {"horizon": 500})
    res = cs.internal_external_validation(df, **kw)
    assert set(res.meta) == {"c_index", "slope", "oe_ratio"}
    assert "pooled" in res._repr_html_()
    assert res.to_dict()["pooled"][0]["measure"] == "c_index"
    import matplotlib

    matplotlib.use("Agg")
    ax = res.plot(measure="slope")
    assert ax is not None
