"""The joint model on real serial counts: CD4 cell counts and death in the ``aids`` trial.

Data: JMbayes2's ``aids`` (Abrams et al. 1994, NEJM: ddI vs ddC in 467 HIV-infected patients;
CD4 counted at 0, 2, 6, 12 and 18 months; 188 deaths), exported by
``tests/reference/longitudinal/export_aids.R``. The data's ``CD4`` is the square root of the
cell count, so ``CD4²`` is the count itself (integers, checked by the script). The counts are
overdispersed (median 30, up to 582): a negative-binomial mixed model with a random intercept
and slope in months, joined to a proportional-hazards model for death with ddI and a previous
AIDS diagnosis, through the current value of the latent log-count.

Against JMbayes2 0.5.7 on the same model (``jm_aids.R``: GLMMadaptive NB mixed model + ``jm``,
2 chains × 4,000 iterations, 1,000 burn-in; outputs in ``outputs/jm_aids_negbin.json``). As in
``test_joint_reference.py`` the comparison is in posterior SDs (JMbayes2 is Bayesian, with a
penalised-spline baseline): every estimate, including the NB size, is within 0.1 posterior SD
of the posterior mean (checked at 0.25), the random-effect (co)variances within 0.1 (checked
at 0.3); standard errors within 4% of the posterior SDs except for ddI in the survival
submodel, whose posterior SD is 29% larger than our SE (0.193 vs 0.150; a plain Cox model of
death on ddI and previous AIDS gives SE 0.150 too, and the simulation-recovery test checks the
coverage of our intervals), checked as a ratio in [0.7, 1.05].
"""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs
from tests.reference._load import load_input, load_output

ROLES = dict(time_col="time", event_col="death", id_col="patient", count_col="cd4_count",
             draw_time_col="obstime")


@pytest.fixture(scope="module")
def aids():
    patients = load_input("longitudinal", "aids_patients")
    draws = load_input("longitudinal", "aids_draws")
    fit = cs.fit_joint_model(patients, draws=draws, covariates=["ddi", "prev_aids"],
                             long_covariates=["prev_aids"], random="slope", kind="negbin",
                             baseline="bspline", **ROLES)
    return patients, draws, fit


def test_joint_model_fits_the_aids_trial(aids):
    patients, draws, fit = aids
    assert fit.converged and fit.warnings == ()
    assert fit.n_obs == 467 and fit.n_draws == 1405 and fit.n_events == 188
    t = fit.table.set_index(["component", "term"])
    # CD4 counts fall over time and are lower after a previous AIDS diagnosis
    assert t.loc[("count", "obstime"), "coef"] < 0
    assert t.loc[("count", "prev_aids"), "coef"] < 0
    # a higher current CD4 count means a lower hazard of death (the trial's known finding)
    alpha = t.loc[("association", "log_concentration")]
    assert alpha["hr"] < 1 and alpha["p_value"] < 1e-6
    assert t.loc[("survival", "prev_aids"), "hr"] > 1
    sd = fit.variance.set_index("term")["estimate"]
    assert sd["sd(intercept)"] > 0.5 and 0 < sd["sd(obstime)"] < 0.5


def test_dynamic_prediction_on_the_aids_trial(aids):
    patients, draws, fit = aids
    alive = patients.loc[patients["time"] > 6.0, "patient"]
    both = draws[draws["patient"].isin(alive) & (draws["obstime"] <= 6.0)]
    n_draws = both.groupby("patient").size()
    ids = n_draws.index[n_draws >= 3][:2].tolist()
    history = both[both["patient"].isin(ids)].merge(
        patients[["patient", "ddi", "prev_aids"]], on="patient")
    pred = fit.predict_survival(history, horizon=[9.0, 12.0, 18.0], landmark=6.0,
                                n_samples=100, rng=3).table
    assert pred["id"].tolist() == [i for i in sorted(ids) for _ in range(3)]
    for _, grp in pred.groupby("id"):
        s = grp.sort_values("horizon")["survival"].to_numpy()
        assert np.all(np.diff(s) <= 1e-12) and np.all((s > 0) & (s < 1))
        assert np.all(grp["ci_lower"] <= grp["survival"]) and np.all(
            grp["survival"] <= grp["ci_upper"])


def test_joint_model_equals_jmbayes2_on_the_aids_trial(aids):
    _, _, fit = aids
    ref = load_output("longitudinal", "jm_aids_negbin")
    assert ref["long_names"] == ["(Intercept)", "obstime", "prev_aids", "sigma"]
    assert ref["surv_names"] == ["ddi", "prev_aids", "value(cd4_count)"]
    t = fit.table
    est = np.append(t["coef"].to_numpy(), fit.theta)
    se = np.append(t["std_error"].to_numpy(), np.nan)
    post_mean = np.array(ref["long_mean"][:3] + ref["surv_mean"] + ref["long_mean"][3:])
    post_sd = np.array(ref["long_sd"][:3] + ref["surv_sd"] + ref["long_sd"][3:])
    assert np.all(np.abs(est - post_mean) <= 0.25 * post_sd), (est - post_mean) / post_sd
    ratio = (se / post_sd)[:6]
    assert np.all(np.abs(ratio[[0, 1, 2, 4, 5]] - 1) <= 0.05), ratio
    assert 0.7 <= ratio[3] <= 1.05, ratio
    v = fit.variance.set_index("term")["estimate"]
    sd0, sd1 = v["sd(intercept)"], v["sd(obstime)"]
    ours = np.array([sd0**2, v["cor(intercept,obstime)"] * sd0 * sd1, sd1**2])
    assert np.all(np.abs(ours - np.array(ref["D_mean"])) <= 0.3 * np.array(ref["D_sd"]))
