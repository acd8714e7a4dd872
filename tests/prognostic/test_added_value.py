"""added_value: does the marker add to the clinical factors? (nested Cox models)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.added_value import AddedValueResult, added_value, cox_result_risk
from ctcstats.prognostic.models import CoxModel
from tests.reference._load import load_input, load_output

TOPIC = "prognostic_models"
BASE = {"ctc300": ["age", "tumor_size_cm", "node_positive", "grade"],
        "ctc120": ["age", "tumor_size_cm", "node_positive", "grade"],
        "gbsg2": ["age", "tsize", "pnodes", "grade", "hormon", "meno"]}
DATASETS = [("ctc300", "os_months", "os_event"), ("ctc120", "os_months", "os_event"),
            ("gbsg2", "time", "cens")]
TABLE = ["measure", "base", "full", "difference", "ci_lower", "ci_upper", "p_value"]


def _cohort(seed: int, n: int, hr: float) -> pd.DataFrame:
    """Weibull (shape 1.2) survival: age, nodes, grade, and a CTC marker with hazard ratio hr."""
    rng = np.random.default_rng(seed)
    age = rng.normal(60, 10, n)
    node = rng.integers(0, 2, n)
    grade = rng.choice([1, 2, 3], n)
    ctc = rng.binomial(1, 0.35, n)
    lin = 0.02 * (age - 60) + 0.6 * node + 0.3 * (grade - 2) + np.log(hr) * ctc
    t = 60 * rng.exponential(size=n) ** (1 / 1.2) / np.exp(lin / 1.2)
    c = rng.uniform(24, 96, n)
    return pd.DataFrame({"age": age, "node_positive": node, "grade": grade,
                         "ctc_positive": ctc, "os_months": np.minimum(t, c),
                         "os_event": (t <= c).astype(int)})


KW = dict(time_col="os_months", event_col="os_event",
          base_covariates=["age", "node_positive", "grade"], new_covariates=["ctc_positive"],
          horizon=24.0)


@pytest.fixture(scope="module")
def effect():
    return added_value(_cohort(0, 400, 2.0), **KW, n_boot=100, rng=0)


@pytest.fixture(scope="module")
def null():
    return added_value(_cohort(0, 400, 1.0), **KW, n_boot=100, rng=0)


# --------------------------------------------------------------------------- R reference
@pytest.mark.parametrize("name,tc,ec", DATASETS)
def test_lr_test_and_concordance_match_r(name, tc, ec):
    """R: base <- coxph(Surv(T, E) ~ base); full <- coxph(Surv(T, E) ~ base + new)
    a <- anova(base, full); a$Chisq[2]; a$Df[2]; a[["Pr(>|Chi|)"]][2]
    base$concordance["concordance"]; full$concordance["concordance"]
    1 - t(summary(survfit(full, newdata=d), times=times)$surv)"""
    d = load_input(TOPIC, name)
    r = load_output(TOPIC, f"{name}_models")
    new = [f for f in r["features"] if f not in BASE[name]]
    res = added_value(d, time_col=tc, event_col=ec, base_covariates=BASE[name], new_covariates=new,
                      horizon=r["times"][1], n_boot=0)
    # the LR statistic is a difference of two iterative fits' log-likelihoods, both converged
    # to a relative change of 1e-9 as R's: 1e-6 relative on the statistic and p-value
    assert_allclose(res.lr_statistic, r["lr_statistic"], rtol=1e-6)
    assert res.lr_df == r["lr_df"]
    assert_allclose(res.lr_p_value, r["lr_p_value"], rtol=1e-6)
    tab = res.table.set_index("measure")
    # concordance counts pairs exactly given the (converged) linear predictors: 1e-10
    assert_allclose(tab.loc["c_index", ["base", "full"]],
                    [r["concordance_base"], r["concordance_full"]], rtol=1e-10)
    assert_allclose(tab.loc["log_likelihood", ["base", "full"]],
                    [r["loglik_base"][1], r["loglik_full"][1]], rtol=1e-10)
    assert_allclose(cox_result_risk(res.full_fit, r["times"][1]),
                    np.array(r["risk_survfit"])[:, 1], atol=1e-8)


# --------------------------------------------------------------------------- the question
def test_marker_with_hr2_adds(effect):
    """True HR 2 for the marker: the LR test rejects and the C index rises."""
    assert effect.lr_p_value < 0.01
    assert effect.delta_c > 0 and effect.delta_auc > 0
    assert effect.delta_c_ci_lower <= effect.delta_c <= effect.delta_c_ci_upper
    tab = effect.table.set_index("measure")
    assert tab.loc["brier", "difference"] < 0 and tab.loc["ipa", "difference"] > 0
    assert tab.loc["aic", "difference"] < 0
    assert effect.full_fit.table.loc["ctc_positive", "hr"] > 1.4


def test_null_marker_does_not_add(null):
    """True HR 1: the LR test does not reject and the ΔC interval covers 0."""
    assert null.lr_p_value > 0.05
    assert null.delta_c_ci_lower <= 0 <= null.delta_c_ci_upper
    assert null.delta_auc_ci_lower <= 0 <= null.delta_auc_ci_upper


def test_table_shape_and_rendering(effect):
    assert isinstance(effect, AddedValueResult)
    tab = effect.table
    assert tab.columns.tolist() == TABLE
    assert tab["measure"].tolist() == ["log_likelihood", "aic", "c_index", "auc", "brier",
                                       "ipa", "nri", "nri_events", "nri_nonevents", "idi",
                                       "idi_events", "idi_nonevents"]
    t = tab.set_index("measure")
    assert_allclose(t.loc["log_likelihood", "difference"], effect.lr_statistic / 2,
                    rtol=1e-12)
    assert t.loc["log_likelihood", "p_value"] == effect.lr_p_value
    assert_allclose(t.loc["c_index", "difference"], effect.delta_c, rtol=1e-12)
    recl = effect.reclassification.table.set_index("measure")
    assert_allclose(t.loc["nri", ["difference", "ci_lower", "ci_upper"]].to_numpy(float),
                    recl.loc["nri", ["estimate", "ci_lower", "ci_upper"]].to_numpy(float))
    for row in ("c_index", "auc", "brier", "ipa"):
        assert t.loc[row, "ci_lower"] <= t.loc[row, "difference"] <= t.loc[row, "ci_upper"]
    html = effect._repr_html_()
    assert "<table" in html and "c_index" in html and "nri_events" in html
    json.dumps(effect.to_dict())
    assert len(effect.replicates) == 100
    assert set(effect.decision.models) == {"base", "full"}


def test_plot_draws_both_decision_curves(effect):
    ax = effect.plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert "base" in labels and "full" in labels


def test_same_seed_same_intervals():
    df = _cohort(3, 250, 2.0)
    a = added_value(df, **KW, n_boot=20, rng=9)
    b = added_value(df.iloc[::-1], **KW, n_boot=20, rng=9)  # point estimates: row order free
    pd.testing.assert_frame_equal(a.table, added_value(df, **KW, n_boot=20, rng=9).table)
    assert_allclose(a.table[["base", "full", "difference"]].iloc[:6].to_numpy(float),
                    b.table[["base", "full", "difference"]].iloc[:6].to_numpy(float),
                    rtol=1e-9)


def test_categorical_base_covariate_and_consistency_with_cox_model():
    df = _cohort(5, 300, 2.0)
    df["grade"] = df["grade"].map({1: "G1", 2: "G2", 3: "G3"})
    res = added_value(df, **KW, n_boot=0)
    assert res.lr_df == 1.0
    assert list(res.full_fit.table.index) == ["age", "node_positive", "grade[G2]",
                                              "grade[G3]", "ctc_positive"]
    X = pd.get_dummies(df[["age", "node_positive", "grade", "ctc_positive"]],
                       columns=["grade"], drop_first=True, dtype=float)
    m = CoxModel().fit(X, df[["os_months", "os_event"]])
    assert_allclose(cox_result_risk(res.full_fit, 24.0), m.predict_risk(X, 24.0), rtol=1e-9)
    assert np.isnan(res.table.set_index("measure").loc["c_index", "ci_lower"])  # n_boot=0


def test_input_unchanged_and_missing():
    df = _cohort(6, 200, 2.0)
    df.loc[df.index[[4, 9]], "ctc_positive"] = np.nan
    before = df.copy()
    with pytest.raises(DataValidationError, match=r"new_covariates 'ctc_positive' has 2 missing values "
                                                  r"\(first row labels: 4, 9\)"):
        added_value(df, **KW, n_boot=0)
    res = added_value(df, **KW, n_boot=0, missing="drop")
    assert res.n_dropped == 2 and res.n_obs == 198
    pd.testing.assert_frame_equal(df, before)


def test_parameter_errors():
    df = _cohort(7, 200, 2.0)
    with pytest.raises(ParameterError, match=r"must not repeat base covariates; \['age'\]"):
        added_value(df, **{**KW, "new_covariates": ["age"]})
    with pytest.raises(ParameterError, match=r"The 'new_covariates' parameter of added_value must be a "
                                             r"non-empty list.*\(write \['ctc_positive'\]\)"):
        added_value(df, **{**KW, "new_covariates": "ctc_positive"})
    with pytest.raises(ParameterError, match="The 'n_boot' parameter"):
        added_value(df, **KW, n_boot=-1)
    with pytest.raises(DataValidationError, match="is beyond the last follow-up"):
        added_value(df, **{**KW, "horizon": 1000.0})
    with pytest.raises(DataValidationError, match="base_covariates 'stage' is not a column of data"):
        added_value(df, **{**KW, "base_covariates": ["age", "stage"]})
