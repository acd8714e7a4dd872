"""fit_count_model / compare_count_models: behaviour, predictions, plots and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from ctcstats.counts import (
    CountModelResult,
    compare_count_models,
    fit_count_model,
    predict_count_distribution,
    vuong_test,
)
from ctcstats.errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    ParameterError,
)
from tests.reference._load import load_input

TABLE_COLUMNS = ["component", "term", "coef", "std_error", "irr", "ci_lower", "ci_upper", "z",
                 "p_value"]


def _cohort(rng: np.random.Generator, n: int = 300) -> pd.DataFrame:
    """Seeded CTC cohort: ZINB counts, 7.5/30 mL draws, a string stage covariate."""
    node = rng.binomial(1, 0.45, n)
    stage = rng.choice(np.array(["I", "II", "III"]), n)
    vol = np.where(rng.random(n) < 0.7, 7.5, 30.0)
    mu = vol * np.exp(-1.5 + 0.6 * node + 0.5 * (stage == "III"))
    y = rng.negative_binomial(1.0, 1.0 / (1.0 + mu))
    y = np.where(rng.random(n) < 0.25, 0, y)
    return pd.DataFrame({"ctc_count": y, "node_positive": node, "stage": stage,
                         "blood_volume_ml": vol})


@pytest.fixture
def cohort(rng) -> pd.DataFrame:
    return _cohort(rng)


# --------------------------------------------------------------------------- results
@pytest.mark.parametrize("kind", ["poisson", "negbin", "zip", "zinb", "hurdle_poisson",
                                  "hurdle_negbin"])
def test_result_fields_and_table(cohort, kind):
    before = cohort.copy()
    zc = ["node_positive"] if kind not in ("poisson", "negbin") else None
    fit = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive", "stage"],
                          kind=kind, volume_col="blood_volume_ml", zero_covariates=zc)
    pd.testing.assert_frame_equal(cohort, before)
    assert isinstance(fit, CountModelResult) and fit.kind == kind and fit.converged
    assert list(fit.table.columns) == TABLE_COLUMNS
    terms = ["intercept", "node_positive", "stage[II]", "stage[III]"]
    if zc:
        assert fit.table["term"].tolist() == terms + ["intercept", "node_positive"]
        assert fit.table["component"].tolist() == ["count"] * 4 + ["zero"] * 2
    else:
        assert fit.table["term"].tolist() == terms
    t = fit.table
    assert_allclose(t["irr"], np.exp(t["coef"]), rtol=1e-14)
    q = stats.norm.ppf(0.975)
    assert_allclose(t["ci_lower"], np.exp(t["coef"] - q * t["std_error"]), rtol=1e-12)
    assert (t["ci_lower"] <= t["irr"]).all() and (t["irr"] <= t["ci_upper"]).all()
    assert_allclose(fit.aic, -2 * fit.loglik + 2 * fit.df, rtol=1e-14)
    assert_allclose(fit.bic, -2 * fit.loglik + np.log(fit.n_obs) * fit.df, rtol=1e-14)
    assert fit.n_obs == 300 and fit.n_dropped == 0 and fit.warnings == ()
    if kind in ("poisson", "zip", "hurdle_poisson"):
        assert np.isnan(fit.theta) and np.isnan(fit.theta_std_error)
    else:
        assert fit.theta > 0 and fit.theta_std_error > 0
    d = fit.to_dict()
    json.dumps(d)  # JSON-safe
    assert d["kind"] == kind and "_fitted" not in d and len(d["table"]) == len(t)
    assert "Count regression" in str(fit) and "<table" in fit._repr_html_()


def test_conf_level_changes_intervals_only(cohort):
    a = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
                        kind="poisson")
    b = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
                        kind="poisson", conf_level=0.8)
    assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-12)
    assert (b.table["ci_upper"] < a.table["ci_upper"]).all()


def test_row_order_does_not_change_the_fit(cohort):
    kw = dict(count_col="ctc_count", covariates=["node_positive", "stage"],
              volume_col="blood_volume_ml", kind="zinb", zero_covariates=["node_positive"])
    a = fit_count_model(cohort, **kw)
    b = fit_count_model(cohort.sample(frac=1.0, random_state=7), **kw)
    # both fits are polished to a Newton step < 1e-10: agree to 1e-7
    assert_allclose(a.table["coef"], b.table["coef"], rtol=1e-7)
    assert_allclose(a.table["std_error"], b.table["std_error"], rtol=1e-6)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)


def test_categorical_dtype_keeps_its_level_order(cohort):
    d = cohort.assign(stage=pd.Categorical(cohort["stage"], categories=["III", "II", "I"]))
    fit = fit_count_model(d, count_col="ctc_count", covariates=["stage"], kind="poisson")
    assert fit.table["term"].tolist() == ["intercept", "stage[II]", "stage[I]"]


def test_missing_drop_counts_rows(cohort):
    d = cohort.copy()
    d.loc[[3, 8], "ctc_count"] = np.nan
    d.loc[5, "node_positive"] = np.nan
    with pytest.raises(DataValidationError, match=r"count_col 'ctc_count' has 2 missing values "
                                                  r"\(first row labels: 3, 8\)"):
        fit_count_model(d, count_col="ctc_count", covariates=["node_positive"])
    fit = fit_count_model(d, count_col="ctc_count", covariates=["node_positive"],
                          kind="poisson", missing="drop")
    assert fit.n_obs == 297 and fit.n_dropped == 3
    ref = fit_count_model(cohort.drop(index=[3, 5, 8]), count_col="ctc_count",
                          covariates=["node_positive"], kind="poisson")
    assert_allclose(fit.table["coef"], ref.table["coef"], rtol=1e-12)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.assign(ctc_count=d["ctc_count"].where(d.index != 4, -1)),
         r"count_col 'ctc_count' has 1 negative value \(first row labels: 4\); cell counts "
         r"must be ≥ 0"),
        (lambda d: d.assign(ctc_count=d["ctc_count"].astype(float).where(d.index != 2, 2.5)),
         r"count_col 'ctc_count' has 1 non-integer value \(e.g. 2.5 in row 2\); counts must "
         r"be whole numbers — did you pass a concentration\?"),
        (lambda d: d.assign(blood_volume_ml=d["blood_volume_ml"].where(d.index != 6, 0.0)),
         r"volume_col 'blood_volume_ml' has 1 non-positive value \(first row labels: 6\)"),
        (lambda d: d.assign(ctc_count=0),
         r"count_col 'ctc_count' is zero in every one of the 300 rows"),
        (lambda d: d.assign(ctc_count="many"),
         r"count_col 'ctc_count' must be numeric"),
        (lambda d: d.drop(columns="stage"), r"covariates 'stage' is not a column of data"),
    ],
)
def test_bad_data_gives_clear_errors(cohort, change, match):
    with pytest.raises(DataValidationError, match=match):
        fit_count_model(change(cohort), count_col="ctc_count",
                        covariates=["node_positive", "stage"], volume_col="blood_volume_ml")


def test_bad_parameters(cohort):
    kw = dict(count_col="ctc_count", covariates=["node_positive"])
    with pytest.raises(ParameterError, match=r"The 'kind' parameter of fit_count_model must be "
                                             r"one of 'poisson', 'negbin'.*; got 'zinbb'"):
        fit_count_model(cohort, kind="zinbb", **kw)
    with pytest.raises(ParameterError, match=r"'zero_covariates' parameter of fit_count_model "
                                             r"applies only to kinds with a zero component"):
        fit_count_model(cohort, kind="negbin", zero_covariates=["node_positive"], **kw)
    with pytest.raises(ParameterError, match=r"must be a list of column names; got the string "
                                             r"'node_positive'"):
        fit_count_model(cohort, count_col="ctc_count", covariates="node_positive")
    with pytest.raises(ParameterError, match=r"'conf_level' parameter of fit_count_model"):
        fit_count_model(cohort, conf_level=1.5, **kw)
    with pytest.raises(ParameterError, match=r"'missing' parameter of fit_count_model"):
        fit_count_model(cohort, missing="omit", **kw)


def test_zero_kinds_need_zeros_and_enough_rows(cohort):
    d = cohort.assign(ctc_count=cohort["ctc_count"] + 1)
    with pytest.raises(DataValidationError, match=r"count_col 'ctc_count' has no zeros; the "
                                                  r"zero component of kind='zip'"):
        fit_count_model(d, count_col="ctc_count", covariates=["node_positive"], kind="zip")
    small = pd.DataFrame({"ctc_count": [0, 3, 1, 4], "node_positive": [0, 1, 0, 1],
                          "stage": ["I", "II", "III", "I"]})
    with pytest.raises(DataValidationError, match=r"has 4 rows for 5 parameters"):
        fit_count_model(small, count_col="ctc_count", covariates=["node_positive", "stage"],
                        kind="negbin")
    with pytest.raises(DataValidationError, match=r"covariate 'node_positive' is constant"):
        fit_count_model(cohort.assign(node_positive=1), count_col="ctc_count",
                        covariates=["node_positive"], kind="poisson")


def test_poisson_data_with_negbin_kind_reports_infinite_theta(rng):
    """Equidispersed counts: theta runs off to infinity; the fit must say so."""
    x = rng.binomial(1, 0.5, 400)
    d = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.5 + 0.4 * x))})
    with pytest.raises(ConvergenceError, match=r"The negbin fit did not converge: the "
                                               r"negative-binomial theta ran to the boundary"):
        fit_count_model(d, count_col="y", covariates=["x"], kind="negbin")
    # in a comparison the kind is left out with a recorded warning; Poisson stays
    with pytest.warns(ConvergenceWarning, match=r"negbin left out"):
        cmp = compare_count_models(d, count_col="y", covariates=["x"],
                                   kinds=("poisson", "negbin"))
    assert cmp.table["kind"].tolist() == ["poisson"] and cmp.lr_test is None
    assert any("negbin left out" in w for w in cmp.warnings)


# --------------------------------------------------------------------------- predictions
def test_predictions_are_distributions(cohort):
    fit = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive", "stage"],
                          kind="hurdle_negbin", volume_col="blood_volume_ml")
    new = cohort.head(4)
    probs = fit.predict_proba(new, counts=range(0, 400))
    assert probs.index.tolist() == [0, 1, 2, 3] and probs.columns[-1] == 399
    assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    mean = fit.predict_mean(new)
    assert_allclose(mean, (probs * np.arange(400)).sum(axis=1), rtol=1e-6)
    assert_allclose(fit.prob_zero(new), probs[0], rtol=1e-14)
    assert_allclose(fit.prob_at_least(new, k=5), 1 - probs.loc[:, :4].sum(axis=1), rtol=1e-10)
    assert (fit.prob_at_least(new, k=0) == 1.0).all()
    # hurdle: P(0) is exactly 1 - logit^-1(zero part)
    zero = fit.table[fit.table["component"] == "zero"]["coef"].to_numpy()
    design = np.column_stack([np.ones(4), new["node_positive"], new["stage"] == "II",
                              new["stage"] == "III"])
    assert_allclose(fit.prob_zero(new), 1 - 1 / (1 + np.exp(-(design @ zero))), rtol=1e-12)
    pred = predict_count_distribution(fit, new, max_count=3, threshold=5)
    assert list(pred.columns) == ["row", "expected_count", "variance", "prob_zero",
                                  "prob_at_least", "threshold", "p_0", "p_1", "p_2", "p_3"]
    assert_allclose(pred["prob_at_least"], fit.prob_at_least(new, k=5), rtol=1e-12)
    second = (probs * np.arange(400) ** 2).sum(axis=1)
    assert_allclose(pred["variance"], second - mean**2, rtol=1e-5)
    default = predict_count_distribution(fit)
    assert default.shape[0] == 300 and f"p_{cohort['ctc_count'].max()}" in default.columns


def test_predicting_needs_the_model_columns(cohort):
    fit = fit_count_model(cohort, count_col="ctc_count", covariates=["stage"], kind="poisson",
                          volume_col="blood_volume_ml")
    with pytest.raises(DataValidationError, match=r"volume_col 'blood_volume_ml' is not a "
                                                  r"column of data"):
        fit.predict_mean(cohort.drop(columns="blood_volume_ml"))
    bad = cohort.head(2).assign(stage=["IV", "I"])
    with pytest.raises(DataValidationError, match=r"covariate 'stage' has levels \['IV'\] that "
                                                  r"the model was not fitted on"):
        fit.predict_proba(bad)
    with pytest.raises(ParameterError, match=r"'counts' parameter of predict_proba"):
        fit.predict_proba(cohort.head(2), counts=[-1, 2])
    with pytest.raises(ParameterError, match=r"'result' parameter of predict_count_distribution"):
        predict_count_distribution(fit.table)
    # twice the volume, twice the expected count
    m = fit.predict_mean(cohort.head(1).assign(blood_volume_ml=[15.0]))
    m1 = fit.predict_mean(cohort.head(1).assign(blood_volume_ml=[7.5]))
    assert_allclose(m.to_numpy(), 2 * m1.to_numpy(), rtol=1e-12)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_poisson_fit_properties(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=120)
    d = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.3 + 0.5 * x))})
    if d["y"].sum() == 0:
        return
    fit = fit_count_model(d, count_col="y", covariates=["x"], kind="poisson")
    t = fit.table
    assert (t["ci_lower"] <= t["irr"]).all() and (t["irr"] <= t["ci_upper"]).all()
    assert ((t["p_value"] >= 0) & (t["p_value"] <= 1)).all()
    # score equations of the Poisson GLM: observed total = fitted total
    assert_allclose(fit.predict_mean().sum(), d["y"].sum(), rtol=1e-8)


# --------------------------------------------------------------------------- plots
def test_rootogram_draws_hanging_bars(cohort):
    import matplotlib.pyplot as plt

    fit = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
                          kind="zinb", volume_col="blood_volume_ml")
    table = fit.rootogram_table()
    assert list(table.columns) == ["count", "observed", "expected"]
    assert table["observed"].sum() == 300
    assert_allclose(table["expected"].sum(), 300, rtol=0.05)
    _, ax = plt.subplots()
    out = fit.plot(ax=ax)
    assert out is ax
    bars = ax.patches
    assert len(bars) == len(table)
    exp = np.sqrt(table["expected"].to_numpy())
    obs = np.sqrt(table["observed"].to_numpy())
    assert_allclose([b.get_y() for b in bars], exp - obs, atol=1e-12)
    assert_allclose([b.get_height() for b in bars], obs, atol=1e-12)
    curve = [ln for ln in ax.get_lines() if ln.get_label().startswith("expected")][0]
    assert_allclose(curve.get_ydata(), exp, rtol=1e-12)
    assert "ZINB" in ax.get_title() and ax.get_ylabel() == "sqrt(frequency)"


def test_frequency_plot_and_standing_rootogram(cohort):
    fit = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
                          kind="poisson")
    table = fit.rootogram_table()
    ax = fit.plot(kind="frequencies")
    assert_allclose([b.get_height() for b in ax.patches], table["observed"], atol=1e-12)
    assert ax.get_ylabel() == "number of patients"
    ax = fit.plot(kind="rootogram", style="standing")
    assert all(b.get_y() == 0 for b in ax.patches)
    with pytest.raises(ParameterError, match=r"'kind' parameter of CountModelResult.plot"):
        fit.plot(kind="pie")
    with pytest.raises(ParameterError, match=r"'style' parameter of plot_rootogram"):
        fit.plot(style="sideways")


# --------------------------------------------------------------------------- comparison
def test_compare_subset_and_bad_kinds(cohort):
    cmp = compare_count_models(cohort, count_col="ctc_count", covariates=["node_positive"],
                               kinds=("poisson", "zip"), volume_col="blood_volume_ml")
    assert list(cmp.table.columns) == ["kind", "loglik", "df", "aic", "bic"]
    assert cmp.lr_test is None
    assert list(cmp.vuong.columns) == ["model_1", "model_2", "correction", "statistic",
                                       "p_value", "preferred"]
    assert set(cmp.fits) == {"poisson", "zip"}
    assert "Count model comparison" in str(cmp)
    assert json.loads(json.dumps(cmp.to_dict()))["fits"]["zip"]["kind"] == "zip"
    with pytest.raises(ParameterError, match=r"'kinds' parameter of compare_count_models must "
                                             r"be one of"):
        compare_count_models(cohort, count_col="ctc_count", covariates=[], kinds=("zap",))
    with pytest.raises(ParameterError, match=r"must be a sequence of kinds; got the string"):
        compare_count_models(cohort, count_col="ctc_count", covariates=[], kinds="zip")
    with pytest.raises(ParameterError, match=r"names a kind twice"):
        compare_count_models(cohort, count_col="ctc_count", covariates=[],
                             kinds=("zip", "zip"))


def test_vuong_test_needs_same_rows(cohort):
    a = fit_count_model(cohort, count_col="ctc_count", covariates=[], kind="poisson")
    b = fit_count_model(cohort.head(100), count_col="ctc_count", covariates=[], kind="zip")
    with pytest.raises(ParameterError, match=r"same rows and counts"):
        vuong_test(a, b)
    with pytest.raises(ParameterError, match=r"'fit_2' parameter of vuong_test"):
        vuong_test(a, "zip")


def test_lr_test_uses_boundary_correction():
    d = load_input("counts", "ctc_small")
    cmp = compare_count_models(d, count_col="ctc_count", covariates=["node_positive"],
                               kinds=("poisson", "negbin"), volume_col="blood_volume_ml")
    lr = cmp.lr_test
    assert_allclose(lr.statistic, 2 * (cmp.fits["negbin"].loglik - cmp.fits["poisson"].loglik),
                    rtol=1e-14)
    assert_allclose(lr.p_value, 0.5 * stats.chi2.sf(lr.statistic, 1), rtol=1e-14)
    assert lr.table["kind"].tolist() == ["poisson", "negbin"]


def test_large_theta_is_reported(cohort, monkeypatch):
    """The 'very large theta' warning (threshold lowered so that this cohort triggers it)."""
    import ctcstats.counts.models as models

    monkeypatch.setattr(models, "_LARGE_THETA", 0.01)
    with pytest.warns(DataWarning, match=r"theta = .* is very large: the counts show no "
                                         r"over-dispersion"):
        fit = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
                              kind="negbin")
    assert any("very large" in w for w in fit.warnings)
