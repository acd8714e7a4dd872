"""fit_joint_model and predict_survival against JMbayes2 on the same data.

Data: the synthetic Poisson draws of ``tests/reference/longitudinal/inputs`` (200 patients,
1,242 counts in 7.5 mL, random intercept and slope; 133 deaths). R: ``jm.R`` — GLMMadaptive
``mixed_model`` (Poisson, random intercept and slope) joined by ``JMbayes2::jm`` to a Cox model
with ``visceral_mets``, association through the current value of the linear predictor; MCMC 2
chains × 6,000 iterations (1,000 burn-in), seed 20240601. Versions in the output file
(R 4.2.2, JMbayes2 0.5.7, GLMMadaptive 0.9.1).

Why the tolerances (differences by design, not by error):

* JMbayes2 is Bayesian: it reports posterior means and SDs under its default (weakly
  informative) priors; ctcstats maximises the likelihood and reports the observed-information
  SEs. Its baseline hazard is a penalised quadratic B-spline in log time; ours (here
  ``baseline="bspline"``) a cubic B-spline log hazard by maximum likelihood. With 200 patients
  the posterior mean and the MLE of every parameter differ by at most 0.05 posterior SDs here
  (checked at 0.25, a margin for the Monte-Carlo error of the posterior means), the random-effect
  (co)variances by at most 0.2 posterior SDs (checked at 0.3).
* JMbayes2 drops the constant offset ``log(7.5)`` of the mixed model, so its intercept is per
  7.5 mL; ours is per mL: compared after adding ``log(7.5)``.
* Standard errors vs posterior SDs: within 3% for the count submodel and the association
  (checked at 5%); for the survival covariate our SE is 23% below JMbayes2's posterior SD
  (0.181 vs 0.235; the posterior also carries the uncertainty of the penalised baseline spline
  and the priors), checked as a ratio in [0.7, 1.05].
* Dynamic predictions (cumulative incidence at 4, 6, 9 and 12 months for three patients alive
  at 3 months, given their draws before 3 months): within 0.02 (absolute) of JMbayes2's
  posterior means; 95% interval limits within 0.06. Both are Monte-Carlo estimates (ours with
  500 parameter draws, seeded).
"""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs
from tests.reference._load import load_input, load_output

ROLES = dict(time_col="os_months", event_col="os_event", id_col="patient_id",
             count_col="ctc_count", draw_time_col="draw_months", volume_col="blood_volume_ml")


@pytest.fixture(scope="module")
def ref():
    return load_output("longitudinal", "jm_pois_value")


@pytest.fixture(scope="module")
def data():
    return load_input("longitudinal", "patients_pois"), load_input("longitudinal", "draws_pois")


@pytest.fixture(scope="module")
def fit(data):
    patients, draws = data
    return cs.fit_joint_model(patients, draws=draws, covariates=["visceral_mets"],
                              long_covariates=["visceral_mets"], random="slope",
                              baseline="bspline", **ROLES)


def test_estimates_within_a_fraction_of_the_posterior_sd(fit, ref):
    t = fit.table
    count = t[t["component"] == "count"].set_index("term")
    surv = t[t["component"] == "survival"].set_index("term")
    assoc = t[t["component"] == "association"].iloc[0]
    assert ref["long_names"] == ["(Intercept)", "draw_months", "visceral_mets"]
    ours = np.array([count.loc["intercept", "coef"] + np.log(7.5),
                     count.loc["draw_months", "coef"], count.loc["visceral_mets", "coef"],
                     surv.loc["visceral_mets", "coef"], assoc["coef"]])
    se = np.array([count.loc["intercept", "std_error"], count.loc["draw_months", "std_error"],
                   count.loc["visceral_mets", "std_error"],
                   surv.loc["visceral_mets", "std_error"], assoc["std_error"]])
    post_mean = np.array(ref["long_mean"] + ref["surv_mean"])
    post_sd = np.array(ref["long_sd"] + ref["surv_sd"])
    assert np.all(np.abs(ours - post_mean) <= 0.25 * post_sd), (ours - post_mean) / post_sd
    ratio = se / post_sd
    assert np.all(np.abs(ratio[[0, 1, 2, 4]] - 1) <= 0.05), ratio
    assert 0.7 <= ratio[3] <= 1.05, ratio


def test_random_effect_covariance_within_a_fraction_of_the_posterior_sd(fit, ref):
    v = fit.variance.set_index("term")["estimate"]
    sd0, sd1 = v["sd(intercept)"], v["sd(draw_months)"]
    cov = v["cor(intercept,draw_months)"] * sd0 * sd1
    ours = np.array([sd0**2, cov, sd1**2])  # D[1,1], D[1,2], D[2,2] as JMbayes2 stores them
    assert np.all(np.abs(ours - np.array(ref["D_mean"])) <= 0.3 * np.array(ref["D_sd"]))


def test_dynamic_predictions_match_jmbayes2(fit, data, ref):
    _, draws = data
    ids = sorted(set(ref["pred_ids"]))
    history = draws[draws["patient_id"].isin(ids) & (draws["draw_months"] < ref["landmark"])]
    pred = fit.predict_survival(history, horizon=[4.0, 6.0, 9.0, 12.0],
                                landmark=ref["landmark"], n_samples=500, rng=1).table
    assert pred["id"].tolist() == ref["pred_ids"]
    assert pred["horizon"].tolist() == ref["pred_times"]
    np.testing.assert_allclose(1 - pred["survival"], ref["pred_cif"], atol=0.02)
    np.testing.assert_allclose(1 - pred["ci_upper"], ref["pred_low"], atol=0.06)
    np.testing.assert_allclose(1 - pred["ci_lower"], ref["pred_upp"], atol=0.06)
