"""The report's count spline against R (tests/reference/spline/spline.R): Hmisc knots,
coxph with the rcspline.eval basis, LR and Wald tests of non-linearity (rms::anova), and
the hazard ratio curve against count 0."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ctcstats.report.sections.spline import count_spline
from tests.reference._load import load_input, load_output

TOPIC = "spline"


@pytest.mark.parametrize("name", ["plateau", "linear"])
def test_count_spline_matches_r(name):
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, name)
    sp = count_spline(d, count_col="count", time_col="time", event_col="event",
                      covariates=["age"], grid=ref["grid"])
    # knots: R quantiles (type 7) of the same values, exact
    assert_allclose(sp.knots, ref["knots"], rtol=1e-12)
    assert_allclose(sp.knots, ref["rms_knots"], rtol=1e-12)
    # converged Newton–Raphson fits (relative log-likelihood change 1e-9, as R): 1e-6
    assert_allclose(sp.coef, ref["coef"][: sp.knots.size - 1], rtol=1e-6)
    assert_allclose(sp.lr_nonlinear, ref["lr_nonlinear"], rtol=1e-6)
    assert sp.df_nonlinear == ref["df_nonlinear"]
    assert_allclose(sp.wald_nonlinear, ref["wald_nonlinear"], rtol=1e-6)
    # rms::cph stops earlier (eps 1e-4 on the log-likelihood), so its coefficients differ in
    # the 4th digit: its Wald χ² agrees to 1e-4 relative or 0.005 absolute (observed 1e-6
    # relative at χ² = 49, 0.003 absolute at χ² = 0.07)
    assert_allclose(sp.wald_nonlinear, ref["rms_wald_nonlinear"], rtol=1e-4, atol=5e-3)
    assert_allclose(sp.lr_overall, ref["lr_overall"], rtol=1e-6)
    assert sp.df_overall == ref["df_overall"]
    assert_allclose(sp.curve["log_hr"], ref["log_hr"], rtol=1e-6, atol=1e-12)
    assert_allclose(sp.curve["std_error"], ref["se_log_hr"], rtol=1e-6, atol=1e-12)
    assert_allclose(sp.curve["hr"], np.exp(sp.curve["log_hr"]), rtol=1e-12)


def test_plateau_is_non_linear_and_linear_is_not():
    p = count_spline(load_input(TOPIC, "plateau"), count_col="count", time_col="time",
                     event_col="event", covariates=["age"])
    lin = count_spline(load_input(TOPIC, "linear"), count_col="count", time_col="time",
                       event_col="event", covariates=["age"])
    assert p.p_nonlinear_lr < 1e-6
    assert lin.p_nonlinear_lr > 0.05
