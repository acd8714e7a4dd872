"""Prognostic models as scikit-learn estimators: CoxModel, IPCW models (R reference + sklearn)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.models import (
    CoxModel,
    IPCWClassifier,
    IPCWLogisticModel,
    ipcw_weights,
    predict_risk,
    survival_target,
)
from tests.reference._load import load_input, load_output

TOPIC = "prognostic_models"
DATASETS = [("ctc300", "os_months", "os_event"), ("ctc120", "os_months", "os_event"),
            ("gbsg2", "time", "cens")]


def _load(name):
    return load_input(TOPIC, name), load_output(TOPIC, f"{name}_models")


def _cohort(rng, n=300, hr_marker=2.0):
    age = rng.normal(60, 10, n)
    node = rng.integers(0, 2, n)
    ctc = rng.binomial(1, 0.35, n)
    lin = 0.02 * (age - 60) + 0.5 * node + np.log(hr_marker) * ctc
    t = rng.exponential(50 / np.exp(lin))
    c = rng.uniform(24, 96, n)
    return pd.DataFrame({"age": age, "node_positive": node, "ctc_positive": ctc,
                         "os_months": np.minimum(t, c), "os_event": (t <= c).astype(int)})


# --------------------------------------------------------------------------- R: Cox
@pytest.mark.parametrize("name,tc,ec", DATASETS)
def test_cox_predictions_match_survfit_and_predictrisk(name, tc, ec):
    """R: full <- coxph(Surv(T, E) ~ features, x=TRUE, y=TRUE)
    coef(full); predict(full, type="lp")
    1 - t(summary(survfit(full, newdata=d), times=times)$surv)
    predictRisk(full, newdata=d, times=times)        # riskRegression
    """
    d, r = _load(name)
    X, y = d[r["features"]], d[[tc, ec]]
    m = CoxModel().fit(X, y)
    # same Newton-Raphson iterations and convergence rule as coxph: agreement to ~1e-12;
    # 1e-8 leaves room for platform differences in the last iteration
    assert_allclose(m.coef_, r["coef_full"], rtol=1e-8)
    assert_allclose(m.loglik_, r["loglik_full"][1], rtol=1e-10)
    assert_allclose(m.predict(X), r["lp_full"], atol=1e-8)
    risk = m.predict_risk(X, r["times"])
    assert_allclose(risk, np.array(r["risk_survfit"]), atol=1e-8)
    assert_allclose(risk, np.array(r["risk_predictrisk"]), atol=1e-8)
    assert_allclose(m.predict_survival(X, r["times"]), 1 - risk, atol=1e-14)
    one = m.predict_risk(X, r["times"][1])
    assert one.shape == (len(d),)
    assert_allclose(one, risk[:, 1], atol=0)


@pytest.mark.parametrize("name,tc,ec", DATASETS)
def test_cox_breslow_ties_match_survfit(name, tc, ec):
    """R: survfit(coxph(..., ties="breslow"), newdata=d) — Breslow baseline without Efron's
    correction (ctype = 1)."""
    d, r = _load(name)
    m = CoxModel(ties="breslow").fit(d[r["features"]], d[[tc, ec]])
    assert_allclose(m.coef_, r["coef_full_breslow"], rtol=1e-8)  # iterative fit, as above
    assert_allclose(m.predict_risk(d[r["features"]], r["times"]),
                    np.array(r["risk_survfit_breslow"]), atol=1e-8)


def test_cox_ridge_matches_r_ridge():
    """R: coxph(Surv(T, E) ~ ridge(x1, ..., theta = 2)) (scale = TRUE); survfit(fit, newdata)."""
    d, r = _load("ctc300")
    m = CoxModel(penalizer=r["ridge"]).fit(d[r["features"]], d[["os_months", "os_event"]])
    assert_allclose(m.coef_, r["coef_ridge"], rtol=1e-8)  # iterative fit
    assert_allclose(m.predict_risk(d[r["features"]], r["times"]), np.array(r["risk_ridge"]),
                    atol=1e-8)


@pytest.mark.parametrize("name,tc,ec", DATASETS)
def test_ipcw_weights_match_riskregression(name, tc, ec):
    """R: ipcw(Hist(T, E) ~ 1, data, method="marginal", times=h, subject.times=T)
    w = 1/G(T-) for events by h, 1/G(h) beyond h, 0 for censored by h (prodlim reverse KM)."""
    d, r = _load(name)
    w = ipcw_weights(d[tc].to_numpy(float), d[ec].to_numpy(), r["horizon"])
    assert_allclose(w, r["ipcw_weights"], rtol=1e-12)  # closed form (products of fractions)


@pytest.mark.parametrize("name,tc,ec", DATASETS)
def test_ipcw_logistic_matches_weighted_glm(name, tc, ec):
    """R: glm(I(T <= h & E == 1) ~ features, weights = w, family = binomial, subset = w > 0)."""
    d, r = _load(name)
    # the default is the unpenalised fit: glm's coefficients
    m = IPCWLogisticModel(horizon=r["horizon"]).fit(d[r["features"]], d[[tc, ec]])
    assert IPCWLogisticModel().C == np.inf
    est = np.concatenate([m.intercept_, m.coef_.ravel()])
    # both are Newton iterations to convergence (glm: deviance change < 1e-8; here tol=1e-8)
    assert_allclose(est, r["logistic_coef"], rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- sklearn API
def test_params_stored_unchanged_and_clone():
    m = CoxModel(ties="breslow", penalizer=0.5)
    assert m.get_params() == {"ties": "breslow", "penalizer": 0.5}
    c = clone(m)
    assert c.get_params() == m.get_params() and c is not m
    lg = IPCWLogisticModel(horizon=24, C=2.0)
    assert lg.get_params()["horizon"] == 24 and clone(lg).C == 2.0
    rf = RandomForestClassifier(n_estimators=5)
    ic = IPCWClassifier(rf, horizon=12)
    assert clone(ic).get_params()["estimator__n_estimators"] == 5


def test_fit_returns_self_and_learned_attributes(rng):
    df = _cohort(rng)
    X, y = df[["age", "node_positive", "ctc_positive"]], df[["os_months", "os_event"]]
    m = CoxModel()
    assert m.fit(X, y) is m
    assert list(m.feature_names_in_) == ["age", "node_positive", "ctc_positive"]
    assert m.n_features_in_ == 3 and m.n_events_ == int(df.os_event.sum())
    assert m.coef_[2] > 0.3  # the marker's true log-HR is log 2 ≈ 0.69
    # an (n, 2) array target gives the same fit
    m2 = CoxModel().fit(X.to_numpy(), y.to_numpy())
    assert_allclose(m2.coef_, m.coef_, rtol=1e-12)
    assert not hasattr(m2, "feature_names_in_")


def test_pipeline_with_column_transformer(rng):
    df = _cohort(rng)
    df["grade"] = rng.choice(["G1", "G2", "G3"], len(df))
    pre = ColumnTransformer([("num", StandardScaler(), ["age"]),
                             ("cat", OneHotEncoder(drop="first"), ["grade"]),
                             ("pass", "passthrough", ["node_positive", "ctc_positive"])])
    pipe = Pipeline([("pre", pre), ("cox", CoxModel())])
    y = survival_target(df, time_col="os_months", event_col="os_event")
    pipe.fit(df, y)
    risk = predict_risk(pipe, df, 24.0)
    assert risk.shape == (len(df),) and np.all((risk > 0) & (risk < 1))
    # the Cox model is scale-invariant: standardising age changes no prediction
    Xraw = pd.get_dummies(df[["age", "grade", "node_positive", "ctc_positive"]],
                          columns=["grade"], drop_first=True, dtype=float)
    raw = CoxModel().fit(Xraw[["age", "grade_G2", "grade_G3", "node_positive",
                               "ctc_positive"]], y)
    assert_allclose(risk, raw.predict_risk(Xraw[["age", "grade_G2", "grade_G3",
                                                 "node_positive", "ctc_positive"]], 24.0),
                    rtol=1e-9)
    assert 0.5 < pipe.score(df, y) < 1


def test_ipcw_classifier_random_forest(rng):
    df = _cohort(rng, n=400)
    X, y = df[["age", "node_positive", "ctc_positive"]], df[["os_months", "os_event"]]
    rf = RandomForestClassifier(n_estimators=50, min_samples_leaf=20, random_state=0)
    m = IPCWClassifier(rf, horizon=24.0).fit(X, y)
    r = m.predict_risk(X)
    assert np.all((r >= 0) & (r <= 1))
    assert_allclose(m.predict_risk(X, horizon=24.0), r)
    assert_allclose(m.predict(X), r)
    assert m.sample_weight_[(df.os_months < 24) & (df.os_event == 0)].sum() == 0
    assert rf.get_params()["n_estimators"] == 50 and not hasattr(rf, "estimators_")
    again = IPCWClassifier(rf, horizon=24.0).fit(X, y).predict_risk(X)
    assert_allclose(again, r)  # seeded forest: deterministic
    assert 0.5 < m.score(X, y) <= 1


# --------------------------------------------------------------------------- bad input
def test_predict_on_other_columns_names_them(rng):
    df = _cohort(rng)
    m = CoxModel().fit(df[["age", "ctc_positive"]], df[["os_months", "os_event"]])
    other = df[["age", "node_positive"]]
    with pytest.raises(DataValidationError, match=r"missing \['ctc_positive'\], unexpected "
                                                  r"\['node_positive'\]"):
        m.predict(other)
    with pytest.raises(DataValidationError, match="missing"):
        m.predict_risk(other, 12.0)
    # same columns in another order are matched by name
    assert_allclose(m.predict(df[["ctc_positive", "age"]]), m.predict(df[["age",
                                                                           "ctc_positive"]]))


def test_nan_and_non_numeric_features(rng):
    df = _cohort(rng)
    y = df[["os_months", "os_event"]]
    bad = df[["age", "ctc_positive"]].copy()
    bad.loc[bad.index[[3, 7]], "age"] = np.nan
    with pytest.raises(DataValidationError, match=r"feature 'age' has 2 missing values "
                                                  r"\(first row labels: 3, 7\)"):
        CoxModel().fit(bad, y)
    txt = df[["age"]].assign(grade="G1")
    with pytest.raises(DataValidationError, match=r"feature columns \['grade'\] are not "
                                                  "numeric"):
        CoxModel().fit(txt, y)
    arr = df[["age", "ctc_positive"]].to_numpy()
    arr[0, 1] = np.nan
    with pytest.raises(DataValidationError, match="feature column 1 of X has 1 missing"):
        CoxModel().fit(arr, y)
    with pytest.raises(DataValidationError, match="feature 'age' has infinite values"):
        CoxModel().fit(df[["age"]].replace(df.age.iloc[0], np.inf), y)


def test_bad_targets(rng):
    df = _cohort(rng)
    X = df[["age"]]
    with pytest.raises(DataValidationError, match="y must have two columns, time then event"):
        CoxModel().fit(X, df["os_months"].to_numpy())
    with pytest.raises(DataValidationError, match="must contain only 0/1"):
        CoxModel().fit(X, df[["os_months", "os_event"]].assign(os_event=2))
    with pytest.raises(DataValidationError, match="has 1 negative value"):
        CoxModel().fit(X, df[["os_months", "os_event"]].assign(
            os_months=np.r_[-1.0, df.os_months.iloc[1:]]))
    with pytest.raises(DataValidationError, match="y has no events"):
        CoxModel().fit(X, df[["os_months", "os_event"]].assign(os_event=0))
    with pytest.raises(DataValidationError, match=r"features \['k'\] are constant"):
        CoxModel().fit(X.assign(k=1.0), df[["os_months", "os_event"]])
    with pytest.raises(DataValidationError, match="X has 300 rows but y has 299"):
        CoxModel().fit(X, df[["os_months", "os_event"]].iloc[1:])
    with pytest.raises(DataValidationError, match="structured array"):
        CoxModel().fit(X, np.zeros(300, dtype=[("t", float), ("e", bool)]))
    with pytest.raises(DataValidationError, match="time_col 'when' is not a column"):
        survival_target(df, time_col="when", event_col="os_event")


def test_parameter_errors(rng):
    df = _cohort(rng)
    X, y = df[["age", "ctc_positive"]], df[["os_months", "os_event"]]
    with pytest.raises(ParameterError, match="The 'ties' parameter of CoxModel.fit"):
        CoxModel(ties="exact").fit(X, y)
    with pytest.raises(ParameterError, match="The 'penalizer' parameter"):
        CoxModel(penalizer=-1).fit(X, y)
    m = CoxModel().fit(X, y)
    with pytest.raises(ParameterError, match=r"must not exceed the longest follow-up"):
        m.predict_risk(X, 1e6)
    with pytest.raises(ParameterError, match="finite time ≥ 0"):
        m.predict_risk(X, -1)
    with pytest.raises(ParameterError, match="must not exceed the longest follow-up"):
        IPCWLogisticModel(horizon=1e6).fit(X, y)
    with pytest.raises(ParameterError, match="must accept sample_weight"):
        IPCWClassifier(KNeighborsClassifier(), horizon=24).fit(X, y)
    with pytest.raises(ParameterError, match="'estimator' parameter of IPCWClassifier"):
        IPCWClassifier(horizon=24).fit(X, y)
    lg = IPCWLogisticModel(horizon=24).fit(X, y)
    with pytest.raises(ParameterError, match=r"must be the model's horizon \(24\)"):
        lg.predict_risk(X, horizon=12)
    with pytest.raises(DataValidationError, match="no events by the horizon"):
        IPCWLogisticModel(horizon=0.001).fit(X, y)
    with pytest.raises(ParameterError, match="must have predict_risk"):
        predict_risk(KNeighborsClassifier(), X, 12)


# --------------------------------------------------------------------------- properties
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_row_order_and_inputs_unchanged(seed):
    rng = np.random.default_rng(seed)
    df = _cohort(rng, n=120)
    X, y = df[["age", "node_positive", "ctc_positive"]], df[["os_months", "os_event"]]
    before = df.copy()
    m = CoxModel().fit(X, y)
    perm = rng.permutation(len(df))
    mp = CoxModel().fit(X.iloc[perm], y.iloc[perm])
    assert_allclose(mp.coef_, m.coef_, rtol=1e-8, atol=1e-10)
    r = m.predict_risk(X, 24.0)
    assert_allclose(mp.predict_risk(X, 24.0), r, rtol=1e-8)
    assert np.all((r >= 0) & (r <= 1))
    # predicted risk is non-decreasing in time
    rr = m.predict_risk(X, [6.0, 12.0, 24.0])
    assert np.all(np.diff(rr, axis=1) >= 0)
    pd.testing.assert_frame_equal(df, before)
