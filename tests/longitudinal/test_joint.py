"""fit_joint_model, dynamic predictions and the two-stage / LOCF comparators.

Simulation recovery with coverage over many data sets is in ``test_joint_recovery.py``
(slow); here: one data set with known truth, structure, invariances and every error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError

ROLES = dict(time_col="os_months", event_col="os_event", id_col="patient_id",
             count_col="ctc_count", draw_time_col="draw_months", volume_col="blood_volume_ml")


@pytest.fixture(scope="module")
def sim():
    return cs.simulate_joint(n=150, rng=21)


@pytest.fixture(scope="module")
def fit(sim):
    return cs.fit_joint_model(sim.patients, draws=sim.draws, covariates=["visceral_mets"],
                              long_covariates=["visceral_mets"], random="intercept",
                              n_knots=3, n_quad=7, **ROLES)


def test_structure_and_truth(fit, sim):
    t = fit.table
    assert t.columns.tolist() == ["component", "term", "coef", "std_error", "irr", "hr",
                                  "ci_lower", "ci_upper", "z", "p_value"]
    assert t["component"].tolist() == ["count", "count", "count", "survival", "association"]
    assert t["term"].tolist() == ["intercept", "draw_months", "visceral_mets",
                                  "visceral_mets", "log_concentration"]
    assert t["irr"].notna().tolist() == [True, True, True, False, False]
    assert t["hr"].notna().tolist() == [False, False, False, True, True]
    assert fit.n_obs == 150 and fit.n_draws == len(sim.draws)
    assert fit.n_events == int(sim.patients["os_event"].sum())
    bh = fit.baseline_hazard
    assert bh.columns.tolist() == ["term", "start", "end", "coef", "std_error", "hazard"]
    assert len(bh) == 4 and bh["end"].iloc[-1] == np.inf
    alpha = t.set_index("component").loc["association"]
    assert abs(alpha["coef"] - sim.truth["association"]) < 3 * alpha["std_error"]
    assert alpha["ci_lower"] < alpha["hr"] < alpha["ci_upper"]
    assert fit.random_effects.shape == (150, 4)
    assert fit.df == 3 + 1 + 1 + 1 + 4
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * fit.df)


def test_row_order_does_not_matter(sim, fit):
    p = sim.patients.sample(frac=1.0, random_state=1).reset_index(drop=True)
    d = sim.draws.sample(frac=1.0, random_state=2)
    again = cs.fit_joint_model(p, draws=d, covariates=["visceral_mets"],
                               long_covariates=["visceral_mets"], random="intercept",
                               n_knots=3, n_quad=7, **ROLES)
    np.testing.assert_allclose(again.table["coef"], fit.table["coef"], rtol=1e-6, atol=1e-8)


def test_predict_survival(fit, sim):
    d = sim.draws.merge(sim.patients, on=["patient_id", "visceral_mets"])
    ids = sim.patients.loc[sim.patients["os_months"] > 4, "patient_id"].iloc[:2].tolist()
    hist = d.loc[d["patient_id"].isin(ids) & (d["draw_months"] < 3)]
    pr = fit.predict_survival(hist, [2.0, 5.0, 8.0, 12.0], landmark=3.0, n_samples=100,
                              rng=5)
    tab = pr.table
    assert tab.columns.tolist() == ["id", "landmark", "horizon", "survival", "median",
                                    "ci_lower", "ci_upper", "first_order"]
    assert len(tab) == 8 and pr.n_obs == 2
    for _, g in tab.groupby("id"):
        s = g["survival"].to_numpy()
        assert s[0] == 1.0  # a horizon before the landmark
        assert np.all(np.diff(s) <= 1e-12) and np.all((s > 0) & (s <= 1))
        assert np.all(g["ci_lower"] <= g["median"]) and np.all(g["median"] <= g["ci_upper"])
    again = fit.predict_survival(hist, [2.0, 5.0, 8.0, 12.0], landmark=3.0, n_samples=100,
                                 rng=5)
    pd.testing.assert_frame_equal(again.table, tab)
    ax = pr.plot()
    assert any(ln.get_gid() == "survival" for ln in ax.get_lines())
    with pytest.raises(DataValidationError, match="after the landmark"):
        fit.predict_survival(hist, [5.0], landmark=0.5)
    with pytest.raises(ParameterError, match="'horizon' parameter"):
        fit.predict_survival(hist, [np.nan])


def test_high_counts_predict_worse_survival(fit, sim):
    """A patient whose counts are high is predicted to do worse than one with zeros."""
    base = pd.DataFrame({"patient_id": [1, 1], "draw_months": [0.0, 1.0],
                         "blood_volume_ml": 7.5, "visceral_mets": 0})
    low = base.assign(ctc_count=[0, 0])
    high = base.assign(ctc_count=[40, 60], patient_id=2)
    pr = fit.predict_survival(pd.concat([low, high]), [6.0], n_samples=50, rng=2)
    s = pr.table.set_index("id")["survival"]
    assert s.loc[2] < s.loc[1]


def test_comparators(sim):
    kw = dict(draws=sim.draws, covariates=["visceral_mets"], **ROLES)
    locf = cs.fit_locf_cox(sim.patients, **kw)
    two = cs.fit_two_stage_cox(sim.patients, long_covariates=["visceral_mets"],
                               random="intercept", **kw)
    for res, method in ((locf, "locf"), (two, "two_stage")):
        assert res.method == method
        assert res.table.index.tolist() == ["log_concentration", "visceral_mets"]
        assert res.table.loc["log_concentration", "coef"] > 0
    assert locf.n_intervals == len(sim.draws)  # every draw here precedes the end of follow-up
    assert two.data.groupby("id")["event"].sum().max() == 1


def test_errors(sim):
    f = cs.fit_joint_model
    p, d = sim.patients, sim.draws
    with pytest.raises(ParameterError, match="'association' parameter"):
        f(p, draws=d, association="area", **ROLES)
    with pytest.raises(ParameterError, match="'kind' parameter"):
        f(p, draws=d, kind="zip", **ROLES)
    with pytest.raises(ParameterError, match="'baseline' parameter"):
        f(p, draws=d, baseline="weibull", **ROLES)
    with pytest.raises(ParameterError, match="'cumulative' only with a linear"):
        f(p, draws=d, association="cumulative", random="spline", **ROLES)
    late = d.copy()
    late.loc[late.index[0], "draw_months"] = 1000.0
    with pytest.raises(DataValidationError, match="after the patient's event or censoring"):
        f(p, draws=late, **ROLES)
    stranger = pd.concat([d, d.iloc[:1].assign(patient_id=9999)])
    with pytest.raises(DataValidationError, match="whose patient is not in data"):
        f(p, draws=stranger, **ROLES)
    with pytest.raises(DataValidationError, match="one row per patient"):
        f(pd.concat([p, p.iloc[:1]]), draws=d, **ROLES)
    with pytest.raises(DataValidationError, match="times ≤ 0"):
        f(p.assign(os_months=0.0), draws=d.assign(draw_months=0.0), **ROLES)
    with pytest.raises(DataValidationError, match="has no events"):
        f(p.assign(os_event=0), draws=d, **ROLES)


def test_simulate_joint_is_seeded_and_checked():
    a = cs.simulate_joint(n=30, rng=4)
    b = cs.simulate_joint(n=30, rng=4)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert (a.draws.merge(a.patients, on="patient_id").eval("draw_months < os_months")
            | (a.draws["draw"].to_numpy() == 0)).all()
    with pytest.raises(ParameterError, match="'recovery' parameter of simulate_joint"):
        cs.simulate_joint(recovery=1.5)
    with pytest.raises(ParameterError, match="'draw_months' parameter"):
        cs.simulate_joint(draw_months=[-1.0])


def test_overshooting_mode_steps_raise_no_numpy_warning():
    # low concentrations and sparse draws: a Newton step for a patient's random effects
    # overshoots until exp() overflows; the step is rejected, and no RuntimeWarning escapes
    # (pytest turns warnings into errors)
    sim = cs.simulate_joint(n=200, rng=100, intercept=-2.0,
                            draw_months=(0.0, 3.0, 6.0, 9.0, 12.0))
    fit = cs.fit_joint_model(sim.patients, draws=sim.draws, covariates=["visceral_mets"],
                             long_covariates=["visceral_mets"], random="slope", **ROLES)
    assert fit.converged
    alpha = fit.table.set_index("component").loc["association"]
    assert abs(alpha["coef"] - sim.truth["association"]) < 3 * alpha["std_error"]
