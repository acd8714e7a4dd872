"""concordance_index, time_dependent_auc, brier_score, integrated_brier_score: hand examples,
independent oracles, properties, bad input and the ROC figure (R comparisons are in
test_metrics_reference.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.metrics import (
    brier_score,
    concordance_index,
    integrated_brier_score,
    time_dependent_auc,
)

ROLES = dict(time_col="t", event_col="e")


def _cohort(rng, n=200, censor=True):
    x = rng.normal(size=n)
    t_ev = rng.exponential(20 * np.exp(-0.8 * x))
    t_c = rng.uniform(5, 60, n) if censor else np.full(n, np.inf)
    t = np.round(np.minimum(t_ev, t_c), 1)
    p = np.clip(1 - np.exp(-(10 / 20) * np.exp(0.8 * x)), 0.001, 0.999)
    return pd.DataFrame({"t": t, "e": (t_ev <= t_c).astype(int), "risk": x, "p": p})


# ---------------------------------------------------------------- oracles
def test_harrell_equals_lifelines_concordance(rng):
    """Harrell's C without tied times equals lifelines.utils.concordance_index(t, -risk, e)."""
    from lifelines.utils import concordance_index as ll_cindex

    d = _cohort(rng)
    d["t"] = d["t"] + np.arange(len(d)) * 1e-4  # no tied times (lifelines ties differ)
    res = concordance_index(d, risk_col="risk", **ROLES)
    # both count pairs exactly: equal to rounding
    assert_allclose(res.estimate, ll_cindex(d["t"], -d["risk"], d["e"]), rtol=1e-12)


def test_auc_without_censoring_is_mann_whitney(rng):
    """With no censoring before the horizon all weights are 1: the AUC is scikit-learn's."""
    from sklearn.metrics import roc_auc_score

    d = _cohort(rng, censor=False)
    res = time_dependent_auc(d, risk_col="risk", horizon=10, **ROLES)
    y = (d["t"] <= 10).astype(int)
    assert_allclose(res.estimate, roc_auc_score(y, d["risk"]), rtol=1e-12)
    assert res.n_censored_before == 0
    assert res.n_cases + res.n_controls == len(d)


def test_brier_without_censoring_is_mean_squared_error(rng):
    d = _cohort(rng, censor=False)
    res = brier_score(d, risk_col="p", horizon=10, **ROLES)
    y = (d["t"] <= 10).astype(float)
    assert_allclose(res.estimate, np.mean((y - d["p"]) ** 2), rtol=1e-12)
    prev = y.mean()
    assert_allclose(res.null_estimate, prev * (1 - prev), rtol=1e-12)
    assert_allclose(res.ipa, 1 - res.estimate / res.null_estimate, rtol=1e-12)


def test_concordance_hand_example():
    """Six patients: comparable pairs counted by hand.

    Events at 2, 4, 7, 12; censored at 5, 9. Comparable pairs (earlier event, later time):
    2:{4,5,7,9,12} 4:{5,7,9,12} 7:{9,12} = 11 pairs; the earlier event has the higher risk in
    all of them except (7: risk 0.9, 9: risk 0.95)."""
    d = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12], "e": [1, 1, 0, 1, 0, 1],
                      "risk": [2.1, 1.5, 0.3, 0.9, 0.95, 0.1]})
    res = concordance_index(d, risk_col="risk", **ROLES)
    counts = dict(zip(res.table["pair_type"], res.table["count"], strict=True))
    assert counts["concordant"] == 10 and counts["discordant"] == 1
    assert_allclose(res.estimate, 10 / 11, rtol=1e-12)
    assert res.ci_lower <= res.estimate <= res.ci_upper


def test_uno_without_censoring_equals_harrell(rng):
    d = _cohort(rng, censor=False)
    h = concordance_index(d, risk_col="risk", tau=15, **ROLES)
    u = concordance_index(d, risk_col="risk", method="uno", tau=15, **ROLES)
    assert_allclose(u.estimate, h.estimate, rtol=1e-12)


# ---------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["harrell", "uno"]))
def test_concordance_properties(seed, method):
    """C in [0, 1], CI contains it, row order and a monotone transform change nothing, input
    unchanged; reversing the score gives 1 - C."""
    rng = np.random.default_rng(seed)
    d = _cohort(rng, n=60)
    before = d.copy()
    kw = dict(risk_col="risk", method=method, tau=20, **ROLES)
    res = concordance_index(d, **kw)
    pd.testing.assert_frame_equal(d, before)
    assert 0 <= res.estimate <= 1 and res.ci_lower <= res.estimate <= res.ci_upper
    shuffled = d.sample(frac=1, random_state=seed)
    assert_allclose(concordance_index(shuffled, **kw).estimate, res.estimate, rtol=1e-12)
    d2 = d.assign(risk=np.exp(d["risk"]))
    assert_allclose(concordance_index(d2, **kw).estimate, res.estimate, rtol=1e-12)
    d3 = d.assign(risk=-d["risk"])
    assert_allclose(concordance_index(d3, **kw).estimate, 1 - res.estimate, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_auc_brier_properties(seed):
    rng = np.random.default_rng(seed)
    d = _cohort(rng, n=80)
    before = d.copy()
    auc = time_dependent_auc(d, risk_col="risk", horizon=10, **ROLES)
    b = brier_score(d, risk_col="p", horizon=10, **ROLES)
    pd.testing.assert_frame_equal(d, before)
    assert 0 <= auc.estimate <= 1 and auc.ci_lower <= auc.estimate <= auc.ci_upper
    assert 0 <= b.estimate <= 1 and b.ci_lower <= b.estimate <= b.ci_upper
    assert auc.std_error > 0 and b.std_error > 0
    roc = auc.roc
    assert np.all(np.diff(roc["fpr"]) >= -1e-12) and np.all(np.diff(roc["tpr"]) >= -1e-12)
    assert_allclose(roc[["fpr", "tpr"]].iloc[-1], [1, 1], rtol=1e-12)
    sh = d.sample(frac=1, random_state=seed)
    assert_allclose(time_dependent_auc(sh, risk_col="risk", horizon=10, **ROLES).std_error,
                    auc.std_error, rtol=1e-9)
    assert_allclose(brier_score(sh, risk_col="p", horizon=10, **ROLES).std_error, b.std_error,
                    rtol=1e-9)


def test_missing_drop_counts_rows(rng):
    d = _cohort(rng)
    d.loc[d.index[:3], "risk"] = np.nan
    res = concordance_index(d, risk_col="risk", missing="drop", **ROLES)
    assert (res.n_obs, res.n_dropped) == (len(d) - 3, 3)
    full = concordance_index(d.dropna(), risk_col="risk", **ROLES)
    assert_allclose(res.estimate, full.estimate, rtol=1e-12)


def test_to_dict_is_json_safe(rng):
    import json

    d = _cohort(rng)
    for res in (concordance_index(d, risk_col="risk", **ROLES),
                time_dependent_auc(d, risk_col="risk", horizon=10, **ROLES),
                brier_score(d, risk_col="p", horizon=10, **ROLES)):
        json.dumps(res.to_dict())
        assert str(res) and res._repr_html_()


# ---------------------------------------------------------------- bad input
def test_nan_risk_names_the_column(rng):
    d = _cohort(rng)
    d.loc[d.index[5], "risk"] = np.nan
    with pytest.raises(DataValidationError, match="risk_col 'risk' has 1 missing value"):
        concordance_index(d, risk_col="risk", **ROLES)
    with pytest.raises(DataValidationError, match="risk_col 'risk' has 1 missing value"):
        time_dependent_auc(d, risk_col="risk", horizon=10, **ROLES)


def test_horizon_beyond_last_follow_up():
    d = pd.DataFrame({"t": [5.0, 12.5, 40.0, 96.3], "e": [1, 0, 1, 0], "p": [.5, .4, .3, .2]})
    with pytest.raises(DataValidationError,
                       match=r"horizon 120 is beyond the last follow-up \(96.3\)"):
        brier_score(d, risk_col="p", horizon=120, **ROLES)
    with pytest.raises(DataValidationError, match=r"horizon 96.3 is at the last follow-up"):
        time_dependent_auc(d, risk_col="p", horizon=96.3, **ROLES)


def test_horizon_without_events():
    d = pd.DataFrame({"t": [5.0, 12.5, 40.0, 96.3], "e": [0, 0, 1, 0], "p": [.5, .4, .3, .2]})
    with pytest.raises(DataValidationError, match="horizon 10 has no events at or before it"):
        time_dependent_auc(d, risk_col="p", horizon=10, **ROLES)


def test_probabilities_outside_unit_interval(rng):
    d = _cohort(rng)
    with pytest.raises(DataValidationError, match=r"risk_col 'risk' must hold predicted "
                                                  r"probabilities in \[0, 1\] for brier_score"):
        brier_score(d, risk_col="risk", horizon=10, **ROLES)
    with pytest.raises(DataValidationError, match="risk_cols 'risk' must hold predicted"):
        integrated_brier_score(d, risk_cols={5: "p", 10: "risk"}, **ROLES)


def test_missing_column(rng):
    d = _cohort(rng)
    with pytest.raises(DataValidationError, match="risk_col 'score' is not a column of data"):
        concordance_index(d, risk_col="score", **ROLES)
    with pytest.raises(DataValidationError, match="time_col 'time' is not a column of data"):
        brier_score(d, time_col="time", event_col="e", risk_col="p", horizon=10)


def test_parameter_errors(rng):
    d = _cohort(rng)
    with pytest.raises(ParameterError, match="'method' parameter of concordance_index"):
        concordance_index(d, risk_col="risk", method="gonen", **ROLES)
    with pytest.raises(ParameterError, match="'tau' parameter of concordance_index"):
        concordance_index(d, risk_col="risk", tau=-1, **ROLES)
    with pytest.raises(ParameterError, match="'horizon' parameter of brier_score"):
        brier_score(d, risk_col="p", horizon="10", **ROLES)
    with pytest.raises(ParameterError, match="'risk_cols' parameter of integrated_brier"):
        integrated_brier_score(d, risk_cols={10: "p"}, **ROLES)
    with pytest.raises(ParameterError, match="'conf_level' parameter of time_dependent_auc"):
        time_dependent_auc(d, risk_col="risk", horizon=10, conf_level=95, **ROLES)


def test_no_events_and_no_pairs():
    d = pd.DataFrame({"t": [1.0, 2, 3], "e": [0, 0, 0], "r": [1.0, 2, 3]})
    with pytest.raises(DataValidationError, match="event_col 'e' has no events"):
        concordance_index(d, risk_col="r", **ROLES)
    d = pd.DataFrame({"t": [1.0, 2, 3], "e": [0, 0, 1], "r": [1.0, 2, 3]})
    with pytest.raises(DataValidationError, match="no comparable pairs"):
        concordance_index(d, risk_col="r", **ROLES)


# ---------------------------------------------------------------- figure
def test_roc_plot_draws_curve_and_chance_line(rng):
    import matplotlib.pyplot as plt

    d = _cohort(rng)
    res = time_dependent_auc(d, risk_col="risk", horizon=10, **ROLES)
    fig, ax = plt.subplots()
    out = res.plot(ax=ax)
    assert out is ax
    lines = {ln.get_gid(): ln for ln in ax.get_lines()}
    assert set(lines) == {"roc-curve", "roc-chance"}
    assert_allclose(lines["roc-curve"].get_xdata(), res.roc["fpr"])
    assert_allclose(lines["roc-curve"].get_ydata(), res.roc["tpr"])
    assert f"{res.estimate:.3f}" in ax.get_legend().get_texts()[0].get_text()
