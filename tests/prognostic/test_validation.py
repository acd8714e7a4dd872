"""Internal (bootstrap optimism, CV) and external validation of prognostic models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ctcstats.errors import DataValidationError, DataWarning, ParameterError
from ctcstats.prognostic.metrics import brier_score, concordance_index
from ctcstats.prognostic.models import CoxModel, IPCWClassifier, IPCWLogisticModel
from ctcstats.prognostic.validation import (
    INDEXES,
    external_validation,
    gini_md,
    validate_model,
)
from tests.reference._load import load_input, load_output

TOPIC = "prognostic_models"
DATASETS = [("ctc300", "os_months", "os_event"), ("ctc120", "os_months", "os_event"),
            ("gbsg2", "time", "cens")]
R_NAMES = {"Dxy": "dxy", "R2": "r2", "Slope": "slope", "D": "d", "U": "u", "Q": "q", "g": "g"}


def _cohort(rng, n=300):
    age = rng.normal(60, 10, n)
    node = rng.integers(0, 2, n)
    ctc = rng.binomial(1, 0.35, n)
    lin = 0.02 * (age - 60) + 0.5 * node + np.log(2.0) * ctc
    t = rng.exponential(50 / np.exp(lin))
    c = rng.uniform(24, 96, n)
    return pd.DataFrame({"age": age, "node_positive": node, "ctc_positive": ctc,
                         "os_months": np.minimum(t, c), "os_event": (t <= c).astype(int)})


FEATURES = ["age", "node_positive", "ctc_positive"]
KW = dict(time_col="os_months", event_col="os_event", covariates=FEATURES, horizon=24.0)


@pytest.fixture(scope="module")
def boot_results():
    out = {}
    for name, tc, ec in DATASETS:
        d = load_input(TOPIC, name)
        r = load_output(TOPIC, f"{name}_models")
        out[name] = validate_model(CoxModel(), d, time_col=tc, event_col=ec,
                                   covariates=r["features"], horizon=r["times"][1], n_boot=200,
                                   rng=20261121)
    return out


@pytest.mark.parametrize("name", [d[0] for d in DATASETS])
def test_apparent_indexes_match_rms_validate(name, boot_results):
    """R: dd <- datadist(d); f <- cph(Surv(T, E) ~ features, x=TRUE, y=TRUE, surv=TRUE,
    eps=1e-9); v <- rms::validate(f, B=200); v[, "index.orig"]
    (Dxy, R2, Slope, D, U, Q, g of the model on its own data)."""
    v = load_output(TOPIC, f"{name}_validate")
    tab = boot_results[name].table.set_index("index")
    ours = np.array([tab.loc[R_NAMES[k], "apparent"] for k in v["index"]])
    # closed forms of the converged fit (both fits converged to ~1e-10 relative in loglik):
    # 1e-6 relative
    assert_allclose(ours, v["index_orig"], rtol=1e-6, atol=1e-9)
    # Dxy = 2 (C - 0.5) with C the coxph concordance
    assert_allclose(tab.loc["dxy", "apparent"], 2 * (tab.loc["c_index", "apparent"] - 0.5),
                    rtol=1e-12)


@pytest.mark.parametrize("name", [d[0] for d in DATASETS])
def test_corrected_indexes_within_monte_carlo_error_of_rms(name, boot_results):
    """R: rms::validate(f, B=200)[, "index.corrected"] with set.seed(20261121).

    R draws other bootstrap samples, so only agreement within Monte-Carlo error can be
    asked: the corrected index is apparent − mean(training − test) over B = 200 replicates,
    whose standard error is sd(training − test)/sqrt(200) (estimated from our replicates); the
    difference of two independent runs has sd sqrt(2) times that; we allow 4 of those sds.
    """
    v = load_output(TOPIC, f"{name}_validate")
    res = boot_results[name]
    reps = res.replicates
    tr = reps[reps["sample"] == "training"].set_index("replicate")
    te = reps[reps["sample"] == "test"].set_index("replicate")
    tab = res.table.set_index("index")
    for k in ("Dxy", "R2", "Slope", "D", "g"):
        col = R_NAMES[k]
        sd = np.std(tr[col] - te[col], ddof=1)
        tol = 4 * np.sqrt(2) * sd / np.sqrt(res.n_success)
        r_corr = v["corrected"][v["index"].index(k)]
        assert abs(tab.loc[col, "corrected"] - r_corr) < tol, (k, tab.loc[col, "corrected"],
                                                               r_corr, tol)


def test_bootstrap_table_arithmetic(boot_results):
    res = boot_results["ctc300"]
    tab = res.table
    assert tab.columns.tolist() == ["index", "apparent", "training", "test", "optimism",
                                    "corrected", "n"]
    assert tab["index"].tolist() == list(INDEXES)
    assert_allclose(tab["optimism"], tab["training"] - tab["test"], rtol=1e-12)
    assert_allclose(tab["corrected"], tab["apparent"] - tab["optimism"], rtol=1e-12)
    t = tab.set_index("index")
    assert t.loc["slope", "apparent"] == 1.0 and t.loc["slope", "training"] == 1.0
    assert 0.7 < t.loc["slope", "corrected"] < 1.0  # shrinkage needed after the refit
    assert t.loc["dxy", "optimism"] > 0 and t.loc["brier", "optimism"] < 0
    assert res.n_success == 200 and (tab["n"] == 200).all()
    assert "<table" in res._repr_html_() and res.to_dict()["method"] == "bootstrap"


def test_gini_md_matches_definition(rng):
    x = rng.normal(size=37)
    brute = np.abs(x[:, None] - x[None, :]).sum() / (x.size * (x.size - 1))
    assert_allclose(gini_md(x), brute, rtol=1e-12)


def test_same_seed_same_result_whatever_n_jobs(rng):
    df = _cohort(rng)
    a = validate_model(CoxModel(), df, **KW, n_boot=12, rng=5, n_jobs=1)
    b = validate_model(CoxModel(), df, **KW, n_boot=12, rng=5, n_jobs=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    c = validate_model(CoxModel(), df, **KW, n_boot=12, rng=6)
    assert not np.allclose(a.table["test"], c.table["test"])


def test_random_forest_seeded_through_rng(rng):
    """An unseeded forest inside IPCWClassifier gets pre-drawn seeds: reproducible, and the
    same with 1 or 2 workers."""
    df = _cohort(rng, n=250)
    model = IPCWClassifier(RandomForestClassifier(n_estimators=20, min_samples_leaf=15),
                           horizon=24.0)
    a = validate_model(model, df, **KW, n_boot=6, rng=3, n_jobs=1)
    b = validate_model(model, df, **KW, n_boot=6, rng=3, n_jobs=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table.set_index("index")
    assert t.loc["c_index", "apparent"] > t.loc["c_index", "corrected"] > 0.5
    assert model.estimator.random_state is None  # the user's estimator is not touched


def test_cross_validation(rng):
    df = _cohort(rng)
    pipe = Pipeline([("scale", StandardScaler()), ("cox", CoxModel())])
    res = validate_model(pipe, df, **KW, method="cv", n_folds=4, n_repeats=3, rng=2)
    assert res.table.columns.tolist() == ["index", "mean", "std", "n"]
    assert res.n_success == 12 and len(res.replicates) == 12
    assert set(res.replicates["fold"]) == {0, 1, 2, 3}
    t = res.table.set_index("index")
    assert 0.55 < t.loc["c_index", "mean"] < 0.8 and t.loc["c_index", "std"] > 0
    again = validate_model(pipe, df, **KW, method="cv", n_folds=4, n_repeats=3, rng=2)
    pd.testing.assert_frame_equal(res.table, again.table)


def test_ipcw_logistic_validation_runs(rng):
    df = _cohort(rng)
    res = validate_model(IPCWLogisticModel(horizon=24.0, C=np.inf), df, **KW, n_boot=10,
                         rng=1)
    t = res.table.set_index("index")
    assert 0.5 < t.loc["c_index", "apparent"] < 1
    assert np.isfinite(t.loc["slope", "apparent"])


def test_failed_replicates_are_counted(rng):
    df = _cohort(rng, n=120)
    df["rare"] = 0
    df.loc[df.index[:2], "rare"] = 1  # absent from many bootstrap samples → constant there
    with pytest.warns(DataWarning) as rec:
        res = validate_model(CoxModel(), df, time_col="os_months", event_col="os_event",
                             covariates=["age", "rare"], horizon=24.0, n_boot=30, rng=4)
    msgs = [str(w.message) for w in rec]
    assert any("of 30 bootstrap replicates could not be fitted (e.g. DataValidationError: "
               "CoxModel.fit: features ['rare'] are constant" in m for m in msgs)
    assert any("monotone likelihood" in m for m in msgs)  # fits with 'rare' all censored
    assert res.n_success < 30 and set(res.warnings) == set(msgs)


def test_validate_errors(rng):
    df = _cohort(rng)
    with pytest.raises(ParameterError, match="The 'method' parameter of validate_model"):
        validate_model(CoxModel(), df, **KW, method="jackknife")
    with pytest.raises(ParameterError, match="'covariates' parameter of validate_model"):
        validate_model(CoxModel(), df, time_col="os_months", event_col="os_event",
                       covariates="age", horizon=24.0)
    with pytest.raises(DataValidationError, match="is beyond the last follow-up"):
        validate_model(CoxModel(), df, **{**KW, "horizon": 500.0})
    bad = df.copy()
    bad.loc[bad.index[5], "age"] = np.nan
    with pytest.raises(DataValidationError, match=r"covariates 'age' has 1 missing value"):
        validate_model(CoxModel(), bad, **KW, n_boot=2)
    res = validate_model(CoxModel(), bad, **KW, n_boot=2, rng=1, missing="drop")
    assert res.n_dropped == 1 and res.n_obs == len(df) - 1


# --------------------------------------------------------------------------- external
def test_external_validation_equals_metrics_on_predictions(rng):
    dev, val = _cohort(rng, 400), _cohort(rng, 300)
    model = CoxModel().fit(dev[FEATURES], dev[["os_months", "os_event"]])
    res = external_validation(model, val, **KW)
    tab = res.table.set_index("measure")
    assert res.table.columns.tolist() == ["measure", "estimate", "std_error", "ci_lower",
                                          "ci_upper"]
    p = val.assign(risk=model.predict_risk(val[FEATURES], 24.0))
    c = concordance_index(p, time_col="os_months", event_col="os_event", risk_col="risk")
    bs = brier_score(p, time_col="os_months", event_col="os_event", risk_col="risk", horizon=24.0)
    assert_allclose(tab.loc["c_index", ["estimate", "std_error"]], [c.estimate, c.std_error],
                    rtol=1e-12)
    assert_allclose(tab.loc["brier", "estimate"], bs.estimate, rtol=1e-12)
    assert_allclose(tab.loc["ipa", "estimate"], bs.ipa, rtol=1e-12)
    assert 0.6 < tab.loc["calibration_slope", "estimate"] < 1.6
    assert tab.loc["ici", "estimate"] < 0.1
    ci = tab.dropna(subset=["ci_lower"])
    assert len(ci) >= 5
    assert ((ci["ci_lower"] <= ci["estimate"]) & (ci["estimate"] <= ci["ci_upper"])).all()
    # an IPCW model at its horizon is validated the same way
    lg = IPCWLogisticModel(horizon=24.0, C=np.inf).fit(dev[FEATURES],
                                                      dev[["os_months", "os_event"]])
    tl = external_validation(lg, val, **KW).table.set_index("measure")
    assert abs(tl.loc["c_index", "estimate"] - tab.loc["c_index", "estimate"]) < 0.05
    # fitting on train_data= gives the same answer
    res2 = external_validation(CoxModel(), val, **KW, train_data=dev)
    pd.testing.assert_frame_equal(res.table, res2.table)
    ax = res.plot()
    assert len(ax.lines) >= 1


def test_external_validation_errors(rng):
    val = _cohort(rng)
    with pytest.raises(ParameterError, match="must be fitted"):
        external_validation(CoxModel(), val, **KW)
    model = CoxModel().fit(val[FEATURES], val[["os_months", "os_event"]])
    with pytest.raises(DataValidationError, match="is beyond the last follow-up"):
        external_validation(model, val, **{**KW, "horizon": 1000.0})
    with pytest.raises(DataValidationError, match=r"missing \['ctc_positive'\]"):
        external_validation(model, val.assign(ctc=val.ctc_positive), time_col="os_months",
                            event_col="os_event", covariates=["age", "node_positive", "ctc"],
                            horizon=24.0)


# --------------------------------------------------------------------------- batch engine
def _both_paths(monkeypatch, *args, **kwargs):
    """validate_model through the batch engine and through per-replicate refits."""
    import ctcstats.prognostic.validation as V

    out = []
    for use in (True, False):
        monkeypatch.setattr(V, "_USE_BATCH", use)
        out.append(validate_model(*args, **kwargs))
    return out


def _assert_same(a, b):
    # the batch engine runs the same Newton–Raphson iterations as CoxModel.fit on the
    # resample, so the results agree to rounding error; the contract asks for 1e-8
    assert_allclose(a.table.iloc[:, 1:].to_numpy(float), b.table.iloc[:, 1:].to_numpy(float),
                    rtol=1e-8, atol=1e-10)
    ra, rb = a.replicates, b.replicates
    pd.testing.assert_frame_equal(ra[["replicate", "sample"]], rb[["replicate", "sample"]])
    assert_allclose(ra[list(INDEXES)].to_numpy(float), rb[list(INDEXES)].to_numpy(float),
                    rtol=1e-8, atol=1e-10)
    assert a.n_success == b.n_success and a.warnings == b.warnings


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_bootstrap_batch_engine_equals_per_replicate_refits(rng, monkeypatch, ties):
    """A plain CoxModel's bootstrap replicates are fitted at once by ctcstats.batch.batch_cox
    (the resample as case counts) and the test-sample slopes too; every replicate's indexes
    equal those of refitting CoxModel on the resampled rows."""
    df = _cohort(rng, n=250)
    df["os_months"] = df["os_months"].round(0)  # many tied times (Efron's correction)
    a, b = _both_paths(monkeypatch, CoxModel(ties=ties), df, **KW, n_boot=25, rng=11)
    _assert_same(a, b)
    assert a.n_success == 25


def test_bootstrap_batch_engine_failures_and_warnings_as_refits(rng, monkeypatch):
    """Resamples in which a feature is constant fail, and monotone fits warn, with the same
    messages as CoxModel.fit."""
    df = _cohort(rng, n=120)
    df["rare"] = 0
    df.loc[df.index[:2], "rare"] = 1
    kw = dict(time_col="os_months", event_col="os_event", covariates=["age", "rare"],
              horizon=24.0, n_boot=30, rng=4)
    with pytest.warns(DataWarning) as rec:
        a, b = _both_paths(monkeypatch, CoxModel(), df, **kw)
    assert len(rec) == 4  # two warnings from each path
    _assert_same(a, b)
    assert a.n_success < 30


def test_bootstrap_batch_engine_horizon_beyond_a_resample_as_refits(rng, monkeypatch):
    """A resample without the patients followed longest cannot predict at the horizon
    (CoxModel.predict_risk refuses a horizon beyond the training follow-up): the replicate
    fails in both paths, with the same message — the batch path reuses each replicate's
    linear predictor and still applies that check."""
    df = _cohort(rng, n=80)
    df.loc[df.index[:2], "os_months"] = [150.0, 160.0]  # the two longest follow-ups
    kw = dict(KW, horizon=120.0, n_boot=30, rng=5)
    with pytest.warns(DataWarning, match="horizon") as rec:
        a, b = _both_paths(monkeypatch, CoxModel(), df, **kw)
    assert len(rec) == 2  # one from each path
    _assert_same(a, b)
    assert 0 < a.n_success < 30


def test_bootstrap_pipeline_and_penalised_cox_use_refits(rng, monkeypatch):
    """Models the batch engine cannot fit (a Pipeline, a ridge penalty) take the
    per-replicate path, so both settings of the switch give the same result."""
    df = _cohort(rng, n=150)
    pipe = Pipeline([("scale", StandardScaler()), ("cox", CoxModel())])
    for model in (pipe, CoxModel(penalizer=0.5)):
        a, b = _both_paths(monkeypatch, model, df, **KW, n_boot=4, rng=2)
        pd.testing.assert_frame_equal(a.table, b.table)
