"""Sampling and detection: exact intervals against R, closed forms, properties, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from ctcstats.counts import (
    concentration_ci,
    count_categories,
    detection_probability,
    detection_rates,
    misclassification_probability,
    normalise_counts,
)
from ctcstats.errors import DataValidationError, ParameterError
from tests.reference._load import as_array, load_input, load_output

# Exact intervals are closed forms (gamma / beta quantiles): 1e-10 relative.
RTOL_EXACT = 1e-10


# --------------------------------------------------------------------------- R references
@pytest.mark.parametrize("level", [0.95, 0.90])
def test_concentration_ci_matches_poisson_test(level):
    """R: poisson.test(x, T = volume, conf.level = level)$conf.int."""
    inp = load_input("counts", "poisson_ci")
    ref = load_output("counts", "poisson_ci")
    tag = f"{round(level * 100)}"
    lo, hi = concentration_ci(inp["count"].to_numpy(), inp["volume_ml"].to_numpy(),
                              conf_level=level)
    assert_allclose(lo, as_array(ref[f"lower_{tag}"]), rtol=RTOL_EXACT, atol=0)
    assert_allclose(hi, as_array(ref[f"upper_{tag}"]), rtol=RTOL_EXACT, atol=0)
    # scalars give floats and the same numbers
    slo, shi = concentration_ci(int(inp["count"][3]), float(inp["volume_ml"][3]),
                                conf_level=level)
    assert isinstance(slo, float) and isinstance(shi, float)
    assert_allclose([slo, shi], [lo[3], hi[3]], rtol=RTOL_EXACT)


@pytest.mark.parametrize("level", [0.95, 0.90])
def test_detection_rate_intervals_match_binom_and_prop_test(level):
    """R: binom.test(x, n, conf.level = level)$conf.int (Clopper-Pearson) and
    prop.test(x, n, correct = FALSE, conf.level = level)$conf.int (Wilson)."""
    inp = load_input("counts", "binom_ci")
    ref = load_output("counts", "binom_ci")
    tag = f"{round(level * 100)}"
    for i, (x, n) in enumerate(zip(inp["x"], inp["n"], strict=True)):
        d = pd.DataFrame({"ctc_count": [1] * x + [0] * (n - x)})
        row = detection_rates(d, count_col="ctc_count", conf_level=level).table.iloc[0]
        assert (row["n"], row["n_positive"]) == (n, x)
        got = [row["ci_lower_exact"], row["ci_upper_exact"]]
        want = [ref[f"exact_lower_{tag}"][i], ref[f"exact_upper_{tag}"][i]]
        assert_allclose(got, want, rtol=RTOL_EXACT, atol=1e-15)
        got = [row["ci_lower_wilson"], row["ci_upper_wilson"]]
        want = [ref[f"wilson_lower_{tag}"][i], ref[f"wilson_upper_{tag}"][i]]
        assert_allclose(got, want, rtol=RTOL_EXACT, atol=1e-15)


# --------------------------------------------------------------------------- closed forms
def test_detection_probability_closed_forms():
    """P(Poisson(rcV) >= t) = R's ppois(t - 1, r*c*V, lower.tail = FALSE)."""
    assert_allclose(detection_probability(0.2), 1 - np.exp(-1.5), rtol=1e-14)
    c = np.array([0.0, 0.05, 0.5, 2.0])
    got = detection_probability(c, volume_ml=30.0, threshold=5, recovery=0.8)
    assert_allclose(got, stats.poisson.sf(4, 0.8 * c * 30.0), rtol=1e-12)
    assert detection_probability(0.3, threshold=0) == 1.0
    assert detection_probability(0.0, threshold=1) == 0.0
    assert isinstance(detection_probability(0.3), float)
    # broadcasting over volumes and thresholds
    p = detection_probability(0.3, volume_ml=np.array([7.5, 30.0])[:, None],
                              threshold=np.array([1, 5]))
    assert p.shape == (2, 2)


def test_misclassification_probability_definition():
    c = np.array([0.1, 5 / 7.5, 1.0, 3.0])
    got = misclassification_probability(c, threshold=5, volume_ml=7.5)
    lam = c * 7.5
    truly_pos = np.array([False, True, True, True])
    want = np.where(truly_pos, stats.poisson.cdf(4, lam), stats.poisson.sf(4, lam))
    assert_allclose(got, want, rtol=1e-12)
    # true status by a concentration instead of the expected count
    got = misclassification_probability(c, threshold=5, true_threshold=0.9)
    want = np.where(c >= 0.9, stats.poisson.cdf(4, lam), stats.poisson.sf(4, lam))
    assert_allclose(got, want, rtol=1e-12)
    # losses at capture make positives look negative more often
    assert (misclassification_probability(1.0, recovery=0.5)
            > misclassification_probability(1.0, recovery=1.0))


@settings(max_examples=60, deadline=None)
@given(x=st.integers(0, 500), v=st.floats(0.5, 50.0), level=st.floats(0.5, 0.999))
def test_concentration_ci_contains_estimate(x, v, level):
    lo, hi = concentration_ci(x, v, conf_level=level)
    assert 0.0 <= lo <= x / v <= hi


@settings(max_examples=60, deadline=None)
@given(c1=st.floats(0, 5), c2=st.floats(0, 5), t=st.integers(1, 10))
def test_detection_probability_monotone_in_concentration(c1, c2, t):
    p1, p2 = detection_probability([c1, c2], threshold=t)
    assert 0.0 <= p1 <= 1.0 and 0.0 <= p2 <= 1.0
    if c1 <= c2:
        assert p1 <= p2 + 1e-15


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=2, max_size=40), seed=st.integers(0, 99))
def test_detection_rates_properties(counts, seed):
    d = pd.DataFrame({"ctc_count": counts, "g": ["a", "b"] * (len(counts) // 2)
                      + ["a"] * (len(counts) % 2)})
    before = d.copy()
    res = detection_rates(d, count_col="ctc_count", thresholds=(1, 5), group_col="g")
    pd.testing.assert_frame_equal(d, before)
    t = res.table
    assert (t["ci_lower_exact"] <= t["proportion"] + 1e-12).all()
    assert (t["proportion"] <= t["ci_upper_exact"] + 1e-12).all()
    assert (t["ci_lower_wilson"] <= t["proportion"] + 1e-12).all()
    assert (t["proportion"] <= t["ci_upper_wilson"] + 1e-12).all()
    shuffled = d.sample(frac=1.0, random_state=seed)
    res2 = detection_rates(shuffled, count_col="ctc_count", thresholds=(1, 5), group_col="g")
    pd.testing.assert_frame_equal(res.table, res2.table)


# --------------------------------------------------------------------------- detection rates
def test_detection_rates_table_layout():
    d = pd.DataFrame({"ctc_count": [0, 0, 1, 3, 7, 0, 12, 5, 0, 2, np.nan],
                      "arm": ["B"] * 5 + ["A"] * 6})
    with pytest.raises(DataValidationError, match=r"count_col 'ctc_count' has 1 missing"):
        detection_rates(d, count_col="ctc_count")
    res = detection_rates(d, count_col="ctc_count", thresholds=(5, 1), group_col="arm",
                          missing="drop")
    assert res.n_obs == 10 and res.n_dropped == 1
    assert list(res.table.columns) == ["group", "threshold", "n", "n_positive", "proportion",
                                       "ci_lower_exact", "ci_upper_exact", "ci_lower_wilson",
                                       "ci_upper_wilson"]
    assert res.table["group"].tolist() == ["A", "A", "B", "B"]
    assert res.table["threshold"].tolist() == [1, 5, 1, 5]
    assert res.table["n_positive"].tolist() == [3, 2, 3, 1]
    overall = detection_rates(d.dropna(), count_col="ctc_count")
    assert overall.table["group"].tolist() == ["all"]
    assert "Detection rates" in str(overall)
    assert overall.to_dict()["table"][0]["n"] == 10


def test_detection_rates_all_zero_counts_is_fine():
    d = pd.DataFrame({"ctc_count": [0] * 8})
    row = detection_rates(d, count_col="ctc_count").table.iloc[0]
    assert row["proportion"] == 0.0 and row["ci_lower_exact"] == 0.0
    assert_allclose(row["ci_upper_exact"], 1 - 0.025 ** (1 / 8), rtol=1e-12)


@pytest.mark.parametrize("bad", [(0,), (1.5,), (), "5", (True,)])
def test_detection_rates_bad_thresholds(bad):
    d = pd.DataFrame({"ctc_count": [0, 1, 2]})
    with pytest.raises(ParameterError, match=r"The 'thresholds' parameter of detection_rates"):
        detection_rates(d, count_col="ctc_count", thresholds=bad)


def test_detection_rates_bad_counts():
    d = pd.DataFrame({"ctc_count": [0, -1, 2]})
    with pytest.raises(DataValidationError, match=r"count_col 'ctc_count' has 1 negative"):
        detection_rates(d, count_col="ctc_count")
    d = pd.DataFrame({"ctc_count": [0, 1.5, 2]})
    with pytest.raises(DataValidationError, match=r"1 non-integer value \(e.g. 1.5 in row 1\)"):
        detection_rates(d, count_col="ctc_count")


# --------------------------------------------------------------------------- bad scalar input
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: concentration_ci(-1, 7.5), r"'count' parameter of concentration_ci must hold "
                                            r"whole numbers ≥ 0; found -1 at position 0"),
        (lambda: concentration_ci(2.5, 7.5), r"'count' .* whole numbers ≥ 0; found 2.5"),
        (lambda: concentration_ci([1, np.nan], 7.5), r"must be finite .* found nan at "
                                                     r"position 1"),
        (lambda: concentration_ci(3, 0.0), r"'volume_ml' parameter of concentration_ci must "
                                           r"be > 0; found 0"),
        (lambda: concentration_ci(3, [7.5, -1]), r"'volume_ml' .* > 0; found -1 at position 1"),
        (lambda: concentration_ci(3, 7.5, conf_level=95), r"'conf_level' .* \(0, 1\)"),
        (lambda: concentration_ci([1, 2, 3], [7.5, 30.0]), r"shapes that broadcast"),
        (lambda: concentration_ci("a", 7.5), r"'count' parameter .* a number or an array"),
        (lambda: detection_probability(-0.1), r"'concentration_per_ml' .* ≥ 0; found -0.1"),
        (lambda: detection_probability(0.1, recovery=0.0), r"'recovery' .* \(0, 1\]"),
        (lambda: detection_probability(0.1, threshold=1.5), r"'threshold' .* whole numbers"),
        (lambda: misclassification_probability(0.1, threshold=0), r"whole numbers ≥ 1"),
        (lambda: misclassification_probability(0.1, true_threshold=-1.0),
         r"'true_threshold' .* \[0, inf\)"),
    ],
)
def test_scalar_functions_reject_bad_input(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


# --------------------------------------------------------------------------- normalise
def test_normalise_counts_per_ml_and_per_million_cells():
    d = pd.DataFrame({"ctc_count": [0, 3, 12], "blood_volume_ml": [7.5, 30.0, 7.5],
                      "dtc_count": [0, 2, 1], "cells_examined": [2e6, 4e6, 1e6]},
                     index=[10, 20, 30])
    before = d.copy()
    s = normalise_counts(d, count_col="ctc_count", volume_col="blood_volume_ml")
    assert_allclose(s.to_numpy(), [0.0, 0.1, 1.6], rtol=1e-14)
    assert s.name == "ctc_count_normalised" and s.index.tolist() == [10, 20, 30]
    s = normalise_counts(d, count_col="dtc_count", volume_col="cells_examined", per=1e6)
    assert_allclose(s.to_numpy(), [0.0, 0.5, 1.0], rtol=1e-14)
    pd.testing.assert_frame_equal(d, before)


def test_normalise_counts_bad_input():
    d = pd.DataFrame({"ctc_count": [1, 2], "v": [7.5, 0.0]})
    with pytest.raises(DataValidationError, match=r"volume_col 'v' has 1 non-positive"):
        normalise_counts(d, count_col="ctc_count", volume_col="v")
    d = pd.DataFrame({"ctc_count": [1, np.nan], "v": [7.5, 7.5]})
    s = normalise_counts(d, count_col="ctc_count", volume_col="v", missing="drop")
    assert s.index.tolist() == [0]
    with pytest.raises(ParameterError, match=r"'per' parameter of normalise_counts"):
        normalise_counts(d, count_col="ctc_count", volume_col="v", per=0)


# --------------------------------------------------------------------------- categories
def test_count_categories_default_labels():
    d = pd.DataFrame({"ctc_count": [0, 1, 2, 3, 4, 5, 6, 250]})
    s = count_categories(d, count_col="ctc_count")
    assert s.tolist() == ["0", "1", "2", "3–4", "3–4", "≥5", "≥5", "≥5"]
    assert s.cat.ordered
    assert s.cat.categories.tolist() == ["0", "1", "2", "3–4", "≥5"]
    assert s.name == "ctc_count_category"
    # the first category is the reference level of an indicator coding
    assert s.cat.categories[0] == "0"


def test_count_categories_custom_breaks_and_labels():
    d = pd.DataFrame({"ctc_count": [0, 4, 5, 20]}, index=list("abcd"))
    s = count_categories(d, count_col="ctc_count", breaks=(0, 5, 20))
    assert s.tolist() == ["0–4", "0–4", "5–19", "≥20"]
    s = count_categories(d, count_col="ctc_count", breaks=(0, 5), labels=["neg", "pos"])
    assert s.tolist() == ["neg", "neg", "pos", "pos"] and s.index.tolist() == list("abcd")


@pytest.mark.parametrize("breaks", [(1, 2), (0, 2, 2), (0, 1.5), (), "0,1"])
def test_count_categories_bad_breaks(breaks):
    d = pd.DataFrame({"ctc_count": [0, 1]})
    with pytest.raises(ParameterError, match=r"'breaks' parameter of count_categories"):
        count_categories(d, count_col="ctc_count", breaks=breaks)


def test_count_categories_bad_labels_and_counts():
    d = pd.DataFrame({"ctc_count": [0, 1]})
    with pytest.raises(ParameterError, match=r"must give 2 distinct labels"):
        count_categories(d, count_col="ctc_count", breaks=(0, 5), labels=["a"])
    d = pd.DataFrame({"ctc_count": [0, -2]})
    with pytest.raises(DataValidationError, match=r"count_col 'ctc_count' has 1 negative"):
        count_categories(d, count_col="ctc_count")
    d = pd.DataFrame({"ctc_count": [0.0, np.nan, 7.0]})
    s = count_categories(d, count_col="ctc_count", missing="drop")
    assert s.tolist() == ["0", "≥5"]
