"""random_marker_slope vs lme4::glmer and glmmTMB (Poisson, Laplace) on survSplit data.

Reference: tests/reference/random_slope (random_slope.R; 10 studies, study-specific CTC log HR).
Fixed effects, random-effect SDs, correlation and log-likelihood agree with glmer (bobyqa,
rhoend 1e-10) and glmmTMB at 1e-4 relative; the standard errors are glmmTMB's (inverse
Hessian of the Laplace likelihood in all parameters) at 1e-4 — glmer's ``vcov`` conditions on
the variance parameters and differs by about 0.3%.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError
from tests.reference._load import load_input, load_output


@pytest.fixture(scope="module")
def fit():
    return cs.random_marker_slope(load_input("random_slope", "ipd"), study_col="study",
                                  time_col="months", event_col="event",
                                  marker_col="ctc_positive", covariates=["age"])


def test_matches_glmer_and_glmmtmb(fit):
    ref = load_output("random_slope", "ipd")
    assert_allclose(fit.cuts, ref["cuts"])
    r_terms = ["intercept"] + [f"interval_{k}" for k in range(2, 7)] + ["ctc_positive", "age"]
    coef = dict(zip(r_terms, ref["coef"], strict=True))
    tmb_se = dict(zip(r_terms, ref["tmb_se"], strict=True))
    tab = fit.table.set_index("term")
    for term in r_terms:
        assert_allclose(tab.loc[term, "coef"], coef[term], rtol=1e-4, atol=1e-6)
        assert_allclose(tab.loc[term, "std_error"], tmb_se[term], rtol=1e-4)
    assert_allclose(fit.log_hr, coef["ctc_positive"], rtol=1e-4)
    assert_allclose([fit.sd_intercept, fit.tau, fit.correlation],
                    [ref["sd_intercept"], ref["sd_slope"], ref["cor"]], rtol=1e-4)
    assert_allclose(fit.loglik, ref["loglik"], rtol=1e-8)
    slopes = fit.studies.set_index("study")["log_hr"]
    assert_allclose(slopes.loc[ref["ranef_study"]].to_numpy() - fit.log_hr,
                    ref["ranef_slope"], atol=1e-4)


def test_prediction_interval(fit):
    z = 1.959963984540054
    half = z * np.sqrt(fit.std_error**2 + fit.tau**2)
    assert_allclose([np.log(fit.pi_lower), np.log(fit.pi_upper)],
                    [fit.log_hr - half, fit.log_hr + half], rtol=1e-12)
    assert fit.pi_lower < fit.ci_lower < fit.hr < fit.ci_upper < fit.pi_upper
    assert "studies" in fit._repr_html_() and fit.to_dict()["tau"] == pytest.approx(fit.tau)


def test_errors():
    df = load_input("random_slope", "ipd")
    zero = df.copy()
    zero.loc[zero.index[zero["event"] == 1][0], "months"] = 0.0
    with pytest.raises(DataValidationError, match="events at time 0"):
        cs.random_marker_slope(zero, study_col="study", time_col="months", event_col="event",
                               marker_col="ctc_positive")
    with pytest.raises(DataValidationError, match="at least 3"):
        cs.random_marker_slope(df[df["study"].isin(["study_01", "study_02"])],
                               study_col="study", time_col="months", event_col="event",
                               marker_col="ctc_positive")
