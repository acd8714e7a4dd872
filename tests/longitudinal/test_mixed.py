"""fit_count_mixed_model: validation, invariances, recovery, plots (R references elsewhere)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError

KW = dict(count_col="ctc_count", id_col="patient_id", time_col="draw_months",
          volume_col="blood_volume_ml")


@pytest.fixture(scope="module")
def draws():
    return cs.simulate_joint(n=80, rng=11, kind="negbin").draws


@pytest.fixture(scope="module")
def fit(draws):
    return cs.fit_count_mixed_model(draws, covariates=["visceral_mets"], random="slope",
                                    kind="poisson", method="laplace", **KW)


def test_result_shape(fit, draws):
    assert fit.table.columns.tolist() == ["component", "term", "coef", "std_error", "irr",
                                          "ci_lower", "ci_upper", "z", "p_value"]
    assert fit.table["term"].tolist() == ["intercept", "draw_months", "visceral_mets"]
    assert fit.n_obs == len(draws) and fit.n_subjects == 80 and fit.df == 6
    assert fit.aic == pytest.approx(-2 * fit.loglik + 12)
    assert fit.bic == pytest.approx(-2 * fit.loglik + np.log(len(draws)) * 6)
    re = fit.random_effects
    assert re.columns.tolist() == ["id", "term", "estimate", "std_error"]
    assert len(re) == 160 and (re["std_error"] > 0).all()
    t = fit.table
    assert np.allclose(t["irr"], np.exp(t["coef"]))
    assert (t["ci_lower"] < t["irr"]).all() and (t["irr"] < t["ci_upper"]).all()
    assert np.isnan(fit.theta)
    d = fit.to_dict()
    assert d["result"] == "CountMixedModelResult" and "ctcstats-result" in fit._repr_html_()
    assert fit.covariance.shape == (2, 2)


def test_row_order_and_labels_do_not_matter(draws, fit):
    shuffled = draws.sample(frac=1.0, random_state=3).set_index(
        pd.Index([f"r{i}" for i in range(len(draws))]))
    before = shuffled.copy()
    again = cs.fit_count_mixed_model(shuffled, covariates=["visceral_mets"], random="slope",
                                     kind="poisson", method="laplace", **KW)
    pd.testing.assert_frame_equal(shuffled, before)  # input untouched
    np.testing.assert_allclose(again.table["coef"], fit.table["coef"], rtol=1e-7, atol=1e-9)
    assert again.loglik == pytest.approx(fit.loglik, abs=1e-8)


def test_time_unit_rescales_slope_only(draws, fit):
    weeks = draws.assign(draw_weeks=draws["draw_months"] * 4.345)
    kw = dict(KW, time_col="draw_weeks")
    w = cs.fit_count_mixed_model(weeks, covariates=["visceral_mets"], random="slope",
                                 kind="poisson", method="laplace", **kw)
    assert w.loglik == pytest.approx(fit.loglik, abs=1e-6)
    assert w.table["coef"].iloc[1] * 4.345 == pytest.approx(fit.table["coef"].iloc[1],
                                                             rel=1e-5)
    assert w.table["coef"].iloc[0] == pytest.approx(fit.table["coef"].iloc[0], rel=1e-5)


def test_predict_and_trajectories(fit, draws):
    pred = fit.predict(level="subject")
    assert len(pred) == len(draws) and (pred > 0).all()
    # the subject-level mean tracks the counts better than the population mean
    obs = fit.observed()["count"].to_numpy()
    pop = fit.predict(level="population").to_numpy()
    assert np.mean((obs - pred.to_numpy()) ** 2) < np.mean((obs - pop) ** 2)
    traj = fit.trajectories(n_points=5)
    assert traj.columns.tolist() == ["id", "time", "population", "subject"]


def test_plot_draws_subject_and_population_curves(fit):
    ax = fit.plot(n_subjects=3)
    gids = [ln.get_gid() for ln in ax.get_lines()]
    assert sum(g.startswith("subject:") for g in gids) == 3
    assert sum(g.startswith("population:") for g in gids) == 3
    assert any(c.get_gid() == "observed" for c in ax.collections)
    ids = fit.random_effects["id"].unique()[:2].tolist()
    ax2 = fit.plot(ids=ids, population=False)
    assert [ln.get_gid() for ln in ax2.get_lines()] == [f"subject:{i}" for i in ids]
    with pytest.raises(ParameterError, match="not in the fit"):
        fit.plot(ids=[99999])


def test_negbin_recovers_truth():
    """Simulation recovery on one large data set: estimates within 3 SE of the truth."""
    sim = cs.simulate_joint(n=400, rng=5, kind="negbin", theta=2.0, association=0.0,
                            censor_months=13.0)
    f = cs.fit_count_mixed_model(sim.draws, covariates=["visceral_mets"], random="slope",
                                 kind="negbin", method="laplace", **KW)
    tr = sim.truth
    t = f.table.set_index("term")
    for term, value in tr["count"].items():
        assert abs(t.loc[term, "coef"] - value) < 3 * t.loc[term, "std_error"], term
    v = f.variance.set_index("term")
    assert abs(v.loc["sd(intercept)", "estimate"] - tr["sd_intercept"]) < \
        3 * v.loc["sd(intercept)", "std_error"]
    assert abs(v.loc["sd(draw_months)", "estimate"] - tr["sd_slope"]) < \
        3 * v.loc["sd(draw_months)", "std_error"]
    assert abs(f.theta - 2.0) < 3 * f.theta_std_error


def test_agq_approaches_laplace_and_converges_in_points(draws):
    kw = dict(KW, random="intercept", kind="poisson")
    lap = cs.fit_count_mixed_model(draws, method="laplace", **kw)
    q5 = cs.fit_count_mixed_model(draws, method="agq", n_quad=5, **kw)
    q11 = cs.fit_count_mixed_model(draws, method="agq", n_quad=11, **kw)
    q15 = cs.fit_count_mixed_model(draws, method="agq", n_quad=15, **kw)
    assert lap.n_quad == 1 and q15.n_quad == 15
    # the quadrature converges as points are added: each step closer to the 15-point value
    assert abs(q11.loglik - q15.loglik) < abs(q5.loglik - q15.loglik) < \
        abs(lap.loglik - q15.loglik)


# --------------------------------------------------------------------------- errors
def test_errors(draws):
    f = cs.fit_count_mixed_model
    with pytest.raises(ParameterError, match="'kind' parameter of fit_count_mixed_model"):
        f(draws, kind="hurdle_poisson", **KW)
    with pytest.raises(ParameterError, match="'random' parameter"):
        f(draws, random="quadratic", **KW)
    with pytest.raises(ParameterError, match="'method' parameter"):
        f(draws, method="mcmc", **KW)
    with pytest.raises(ParameterError, match="'time_col' parameter .* is needed"):
        f(draws, count_col="ctc_count", id_col="patient_id", random="slope")
    with pytest.raises(ParameterError, match="'zero_covariates' parameter"):
        f(draws, kind="poisson", zero_covariates=["visceral_mets"], **KW)
    with pytest.raises(ParameterError, match="'time_interactions' parameter .* not one of"):
        f(draws, time_interactions=["age"], **KW)
    bad = draws.assign(ctc_count=draws["ctc_count"] + 0.5)
    with pytest.raises(DataValidationError, match="count_col 'ctc_count' has .* non-integer"):
        f(bad, **KW)
    bad = draws.assign(blood_volume_ml=0.0)
    with pytest.raises(DataValidationError, match="volume_col 'blood_volume_ml' has"):
        f(bad, **KW)
    miss = draws.copy()
    miss.loc[miss.index[3], "ctc_count"] = np.nan
    with pytest.raises(DataValidationError, match="missing"):
        f(miss, **KW)
    dropped = f(miss, missing="drop", random="intercept", kind="poisson", method="laplace",
                **KW)
    assert dropped.n_dropped == 1 and dropped.n_obs == len(draws) - 1
    few = draws.loc[draws["patient_id"].isin([1, 2, 3])]
    with pytest.raises(DataValidationError, match="needs at least 4"):
        f(few, **KW)
    with pytest.raises(DataValidationError, match="is not a column of data"):
        f(draws, count_col="ctc", id_col="patient_id")
    with pytest.raises(ParameterError, match="'n_quad' parameter"):
        f(draws, n_quad=0, **KW)


def test_spline_basis_is_r_ns():
    """splines::ns(x, df = 3) for x = (0, 1, 2, 3, 5, 8, 13), and predict() at -1 and 15."""
    from ctcstats.longitudinal._design import TimeBasis

    x = np.array([0, 1, 2, 3, 5, 8, 13.0])
    b = TimeBasis.natural_spline(x, 3, "t")
    r = np.array([[0, 0, 0], [-0.1270580, 0.3200321, -0.18528173],
                  [-0.1699618, 0.5498132, -0.31831289], [-0.0724234, 0.6255021, -0.36053789],
                  [0.2954045, 0.5082044, -0.25116142], [0.4525289, 0.3631809, 0.07502444],
                  [-0.1611722, 0.3827839, 0.77838828]])
    np.testing.assert_allclose(b.value(x), r, atol=5e-8)  # R prints 7 significant digits
    np.testing.assert_allclose(b.value([-1, 15]), [[0.1410837, -0.3350739, 0.1939902],
                                                   [-0.4908425, 0.4157509, 1.0750916]],
                               atol=5e-8)


def test_spline_random_effects_fit():
    sim = cs.simulate_joint(n=120, rng=8, kind="poisson", sd_slope=0.05)
    f = cs.fit_count_mixed_model(sim.draws, random="spline", n_knots=1, kind="poisson",
                                 method="laplace", **KW)
    assert f.table["term"].tolist() == ["intercept", "ns(draw_months)[1]",
                                        "ns(draw_months)[2]"]
    assert f.variance.shape[0] == 6 and np.isfinite(f.loglik)
