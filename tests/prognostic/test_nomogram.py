"""Nomogram of a Cox model, against rms::nomogram; the nomogram figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.models import CoxModel
from ctcstats.prognostic.nomogram import nomogram, r_pretty
from ctcstats.survival.cox import fit_cox
from tests.reference._load import load_input, load_output

TOPIC = "prognostic_models"
DATASETS = [("ctc300", "os_months", "os_event"), ("ctc120", "os_months", "os_event"),
            ("gbsg2", "time", "cens")]


def _fits(name, tc, ec):
    d = load_input(TOPIC, name)
    feats = load_output(TOPIC, f"{name}_models")["features"]
    model = CoxModel().fit(d[feats], d[[tc, ec]])
    res = fit_cox(d, time_col=tc, event_col=ec, covariates=feats)
    return d, model, res


@pytest.mark.parametrize("name,tc,ec", DATASETS)
@pytest.mark.parametrize("source", ["CoxModel", "CoxResult"])
def test_matches_rms_nomogram(name, tc, ec, source):
    """R: dd <- datadist(d); options(datadist="dd")
    f <- cph(Surv(T, E) ~ features, x=TRUE, y=TRUE, surv=TRUE, eps=1e-9)
    surv <- Survival(f)
    nom <- nomogram(f, fun=list(function(x) surv(t1, x), function(x) surv(t2, x)),
                    funlabel=c("s1", "s2"), fun.at=c(.95, .9, .8, ..., .05), lp=TRUE)
    nom[[v]]$points, nom$total.points$x, nom$lp$x, nom$s1$x, attr(nom, "info")$sc, ...
    """
    d, model, res = _fits(name, tc, ec)
    nm = load_output(TOPIC, f"{name}_nomogram")
    obj, data = (model, d) if source == "CoxModel" else (res, None)
    nom = nomogram(obj, data, horizon=nm["times"], fun_at=nm["fun_at"])
    # everything below is a closed form of the converged coefficients (agreeing with R's
    # to ~1e-10) and the baseline survival: 1e-8 absolute on points (scale 0-100, rtol 1e-10)
    assert_allclose(nom.points_per_unit, nm["sc"], rtol=1e-8)
    assert_allclose(nom.intercept, nm["intercept"], rtol=1e-8, atol=1e-8)
    assert_allclose(nom.center, nm["center"], rtol=1e-8, atol=1e-8)
    for v in nm["variables"]:
        p = nom.points[nom.points["covariate"] == v["covariate"]]
        assert_allclose(p["value"].astype(float), v["value"], rtol=1e-12)  # R pretty()
        assert_allclose(p["points"], v["points"], atol=1e-8)
    sc = nom.scales

    def axis(a):
        return sc[sc["axis"] == a]

    assert_allclose(axis("total_points")["value"], nm["total_points"], rtol=1e-12)
    assert_allclose(axis("linear_predictor")["value"], nm["lp_at"], rtol=1e-12)
    assert_allclose(axis("linear_predictor")["points"], nm["lp_points"], atol=1e-8)
    for key, t in (("s1", nm["times"][0]), ("s2", nm["times"][1])):
        s = axis(f"survival_{t:g}")
        assert_allclose(s["value"], nm[f"{key}_at"], rtol=1e-12)
        # rms interpolates the inverse on 1000 points; we do the same: 1e-8 absolute
        assert_allclose(s["points"], nm[f"{key}_points"], atol=1e-8)
    lp = np.array([-1.0, 0.0, 1.0])
    total = (lp - nom.intercept) * nom.points_per_unit
    assert_allclose(nom.survival(total, nm["times"][0]), nm["surv_t1_at_lp"], rtol=1e-8)
    assert_allclose(nom.survival(total, nm["times"][1]), nm["surv_t2_at_lp"], rtol=1e-8)


def test_score_reproduces_model_survival():
    d, model, _ = _fits("ctc300", "os_months", "os_event")
    nom = nomogram(model, d, horizon=[24, 36])
    sc = nom.score(d)
    feats = list(model.feature_names_in_)
    assert [c for c in sc.columns if c.startswith("points_")] == [f"points_{f}" for f in feats]
    assert_allclose(sc["survival_24"], model.predict_survival(d[feats], 24.0), rtol=1e-10)
    assert_allclose(sc["survival_36"], model.predict_survival(d[feats], 36.0), rtol=1e-10)
    assert_allclose(sc["linear_predictor"], (d[feats].to_numpy() - model.means_) @ model.coef_,
                    atol=1e-12)
    assert nom.points["points"].max() == pytest.approx(100.0)


def test_categorical_covariate_axis_from_fit_cox():
    d = load_input(TOPIC, "ctc300")
    d["grade_cat"] = d["grade"].map({1: "G1", 2: "G2", 3: "G3"})
    res = fit_cox(d, time_col="os_months", event_col="os_event",
                  covariates=["age", "grade_cat", "ctc_positive"])
    nom = nomogram(res, d, horizon=[24])
    g = nom.points[nom.points["covariate"] == "grade_cat"]
    assert g["value"].tolist() == ["G1", "G2", "G3"]
    b = res.table["coef"]
    effects = np.array([0.0, b["grade_cat[G2]"], b["grade_cat[G3]"]])
    assert_allclose(g["points"], (effects - effects.min()) * nom.points_per_unit, atol=1e-12)
    # without data the reference level is unnamed
    nom2 = nomogram(res, horizon=[24])
    assert nom2.points[nom2.points["covariate"] == "grade_cat"]["value"].iloc[0] == \
        "(reference)"
    sc = nom.score(d)
    # survival from the nomogram equals the numeric-dummy Cox model's
    X = pd.get_dummies(d[["age", "grade_cat", "ctc_positive"]], columns=["grade_cat"],
                       drop_first=True, dtype=float)
    m = CoxModel().fit(X, d[["os_months", "os_event"]])
    assert_allclose(sc["survival_24"], m.predict_survival(X, 24.0), rtol=1e-8)


def test_r_pretty_examples():
    """R 4.2: pretty(c(42, 79), 10); pretty(c(0, 171.3), 10); pretty(c(-1.73, 2.05), 10);
    pretty(c(0.1, 0.1)); pretty(c(0, 0)); pretty(c(0.0123, 0.0987)); pretty(c(-250, 13), 7)
    (printed by R; tick values are exact decimals up to floating-point rounding)."""
    assert_allclose(r_pretty(42, 79, 10), np.arange(40, 81, 5))
    assert_allclose(r_pretty(0, 171.3, 10), np.arange(0, 181, 20))
    assert_allclose(r_pretty(-1.73, 2.05, 10), np.arange(-2.0, 2.51, 0.5), atol=1e-15)
    assert_allclose(r_pretty(0.1, 0.1), [0.0, 0.1])
    assert_allclose(r_pretty(0, 0), [-1.0, 0.0])
    assert_allclose(r_pretty(0.0123, 0.0987), [0.0, 0.02, 0.04, 0.06, 0.08, 0.1], atol=1e-15)
    assert_allclose(r_pretty(-250, 13, 7), [-250, -200, -150, -100, -50, 0, 50])


def test_values_override_and_errors():
    d, model, res = _fits("ctc120", "os_months", "os_event")
    nom = nomogram(model, d, horizon=[24], values={"age": [40, 60, 80]})
    assert nom.points[nom.points["covariate"] == "age"]["value"].tolist() == [40, 60, 80]
    with pytest.raises(ParameterError, match="The 'data' parameter of nomogram is needed"):
        nomogram(model, horizon=[24])
    with pytest.raises(ParameterError, match="must not exceed the last event time"):
        nomogram(model, d, horizon=[500])
    with pytest.raises(ParameterError, match=r"names covariates not in the model: \['stage'\]"):
        nomogram(model, d, horizon=[24], values={"stage": [1, 2]})
    with pytest.raises(ParameterError, match="must be survival probabilities"):
        nomogram(model, d, horizon=[24], fun_at=[0.5, 1.5])
    with pytest.raises(ParameterError, match="must be a fitted CoxModel or a CoxResult"):
        nomogram("cph", d, horizon=[24])
    with pytest.raises(DataValidationError, match=r"lacks the model's feature columns "
                                                  r"\['ctc_positive'\]"):
        nomogram(model, d.drop(columns="ctc_positive"), horizon=[24])
    strat = fit_cox(d, time_col="os_months", event_col="os_event", covariates=["age"],
                    strata_col="grade")
    with pytest.raises(ParameterError, match="cannot be a stratified Cox fit"):
        nomogram(strat, horizon=[24])
    with pytest.raises(DataValidationError, match="covariate 'age' has missing values"):
        nom.score(d.assign(age=np.nan))


def test_plot_draws_rms_layout():
    d, model, _ = _fits("ctc300", "os_months", "os_event")
    nom = nomogram(model, d, horizon=[24, 36])
    ax = nom.plot()
    texts = [t.get_text() for t in ax.texts]
    for label in ("Points", "age", "tumor_size_cm", "node_positive", "grade", "ctc_positive",
                  "Total Points", "Linear Predictor", "Survival(24)", "Survival(36)"):
        assert label in texts
    # one axis line per row, plus one tick per value
    n_rows = 10
    n_ticks = (len(nom.points) + len(nom.scales)
               + len(r_pretty(0, 100, 10)))
    assert len(ax.lines) == n_rows + n_ticks
    assert not ax.axison
