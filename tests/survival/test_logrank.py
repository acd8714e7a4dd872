"""Tests of ctcstats.survival.logrank against R survival::survdiff (stored reference outputs).

R script: tests/reference/logrank/logrank.R; inputs: tests/reference/logrank/make_inputs.py.

Tolerance: the log-rank quantities are closed-form sums over event times, computed by R in C
in a different summation order; the two agree to a few ulp per term (observed ≈ 1e-14
relative), so 1e-10 relative (with an absolute floor of 1e-10 times the scale of the quantity,
for entries of O − E and of the variance matrix that are near 0) is a safe bound that would
still catch any real error. p-values can be as small as 1e-57, where scipy's and R's
chi-square tails agree to ~1e-13 relative; 1e-9 relative is used.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, DataWarning, ParameterError
from ctcstats.survival._core.logrank import logrank_arrays
from ctcstats.survival._core.ties import merge_times
from ctcstats.survival.logrank import (
    PairwiseTestResult,
    logrank_test,
    pairwise_logrank_test,
)
from tests.reference._load import load_input, load_output

TOPIC = "logrank"
RTOL = 1e-10  # closed form, see module docstring
P_RTOL = 1e-9  # chi-square tail probabilities, see module docstring
SIZES = ["small", "medium", "large"]

# case name in the R output → keyword arguments of logrank_test
TIES_CASES = {
    "two_group": dict(group_col="arm"),
    "three_group": dict(group_col="ctc_group"),
    "stratified": dict(group_col="ctc_group", strata_col="site"),
    "stratified_two_group": dict(group_col="arm", strata_col="site"),
    "rho1": dict(group_col="ctc_group", rho=1.0),
    "rho05": dict(group_col="ctc_group", rho=0.5),
    "rho1_stratified": dict(group_col="ctc_group", strata_col="site", rho=1.0),
    "gamma1": dict(group_col="ctc_group", gamma=1.0),
    "rho1_gamma1": dict(group_col="ctc_group", rho=1.0, gamma=1.0),
    "rho05_gamma2_stratified": dict(group_col="ctc_group", strata_col="site", rho=0.5, gamma=2.0),
    "trend": dict(group_col="ctc_group", trend=True),
    "trend_numeric": dict(group_col="ctc_score", trend=True),
    "trend_stratified": dict(group_col="ctc_group", strata_col="site", trend=True),
    "trend_rho1": dict(group_col="ctc_group", rho=1.0, trend=True),
}

GBSG2_CASES = {
    "horTh": dict(group_col="horTh"),
    "tgrade": dict(group_col="tgrade"),
    "horTh_by_menostat": dict(group_col="horTh", strata_col="menostat"),
    "tgrade_by_menostat": dict(group_col="tgrade", strata_col="menostat"),
    "tgrade_rho1": dict(group_col="tgrade", rho=1.0),
    "tgrade_gamma1": dict(group_col="tgrade", gamma=1.0),
    "tgrade_rho1_gamma1_by_menostat": dict(
        group_col="tgrade", strata_col="menostat", rho=1.0, gamma=1.0
    ),
    "tgrade_trend": dict(group_col="tgrade", trend=True),
    "tgrade_trend_by_menostat": dict(group_col="tgrade", strata_col="menostat", trend=True),
}


# --------------------------------------------------------------------------- helpers
def _key(v):
    """Match labels across R's JSON (factor levels are strings) and ctcstats (user's type)."""
    try:
        return float(v)
    except ValueError:
        return str(v)


def _r_order(res_groups, r_levels) -> np.ndarray:
    """Index into R's vectors giving ctcstats' group order (matched by label)."""
    pos = {_key(v): i for i, v in enumerate(r_levels)}
    assert set(pos) == {_key(g) for g in res_groups}
    return np.array([pos[_key(g)] for g in res_groups])


def _close(actual, desired, rtol=RTOL):
    desired = np.asarray(desired, dtype=float)
    scale = max(1.0, float(np.max(np.abs(desired)))) if desired.size else 1.0
    assert_allclose(actual, desired, rtol=rtol, atol=rtol * scale)


def _check_against_r(res, ref) -> None:
    idx = _r_order(res.table["group"], ref["levels"])
    obs = np.asarray(ref["obs"], dtype=float)[idx]
    exp = np.asarray(ref["exp"], dtype=float)[idx]
    var = np.asarray(ref["var"], dtype=float)[np.ix_(idx, idx)]
    _close(res.table["observed"], obs)
    _close(res.table["expected"], exp)
    _close(res.table["o_minus_e"], obs - exp)
    _close(res.table["variance"], np.diag(var))
    _close(res.statistic, ref["chisq"])
    assert res.df == ref["df"]
    assert_allclose(res.p_value, ref["pvalue"], rtol=P_RTOL)
    if "scores" in ref:
        _close(res.table["score"], np.asarray(ref["scores"], dtype=float)[idx])


def _ties(size: str) -> pd.DataFrame:
    return load_input(TOPIC, f"ties_{size}")


# --------------------------------------------------------------------------- R references
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("case", list(TIES_CASES))
def test_matches_survdiff_on_tied_synthetic_cohorts(size, case):
    """R: survdiff(Surv(time, event) ~ g [+ strata(site)], rho = rho, data = ties_<size>).

    gamma cases: fh_manual() in logrank.R — Fleming–Harrington weights from survfit's pooled
    Kaplan–Meier (left-continuous, within stratum) applied to the risk sets by hand; trend
    cases: (w'(O − E))² / (w'Vw) from fit$obs, fit$exp, fit$var with w = 1..k (or the numeric
    ctc_score values 0, 2, 12).
    """
    ref = load_output(TOPIC, f"ties_{size}")[case]
    res = logrank_test(_ties(size), time_col="time", event_col="event", **TIES_CASES[case])
    _check_against_r(res, ref)
    assert res.n_obs == len(_ties(size)) and res.n_dropped == 0
    assert res.warnings == ()


@pytest.mark.parametrize("case", list(GBSG2_CASES))
def test_matches_survdiff_on_gbsg2(case):
    """R: survdiff(Surv(time, cens) ~ tgrade [+ strata(menostat)], rho = rho, data = gbsg2).

    GBSG2 from lifelines.datasets.load_gbsg2 (686 patients; recurrence-free survival in days).
    """
    data = load_input(TOPIC, "gbsg2")
    ref = load_output(TOPIC, "gbsg2")[case]
    res = logrank_test(data, time_col="time", event_col="cens", **GBSG2_CASES[case])
    _check_against_r(res, ref)


def test_full_variance_matrix_matches_survdiff():
    """R: survdiff(Surv(time, event) ~ ctc_group + strata(site), rho = 1)$var — the whole
    matrix from the array-level engine, not only its diagonal."""
    data = _ties("medium")
    ref = load_output(TOPIC, "ties_medium")["rho1_stratified"]
    levels = ref["levels"]
    codes = np.array([levels.index(g) for g in data["ctc_group"]])
    strata = pd.factorize(data["site"])[0]
    obs, exp, var = logrank_arrays(
        data["time"].to_numpy(), data["event"].to_numpy(), codes, len(levels), strata, rho=1.0
    )
    _close(obs, ref["obs"])
    _close(exp, ref["exp"])
    _close(var, np.asarray(ref["var"], dtype=float))


def test_trend_pieces_match_r():
    """R: w <- 1:3; u <- sum(w * (fit$obs - fit$exp)); v <- t(w) %*% fit$var %*% w."""
    data = _ties("large")
    ref = load_output(TOPIC, "ties_large")["trend"]
    res = logrank_test(data, time_col="time", event_col="event", group_col="ctc_group",
                       trend=True)
    w = res.table["score"].to_numpy()
    _close(w @ res.table["o_minus_e"].to_numpy(), ref["u"])
    _close(res.statistic * ref["v_trend"], ref["u"] ** 2)
    assert res.df == 1.0
    assert "trend" in res.method


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("case", "kwargs"),
    [("pairwise", {}), ("pairwise_stratified", {"strata_col": "site"}),
     ("pairwise_rho1", {"rho": 1.0})],
)
@pytest.mark.parametrize(("method", "r_method"),
                         [("holm", "holm"), ("bh", "BH"), ("fdr_bh", "BH"),
                          ("bonferroni", "bonferroni"), ("none", "none")])
def test_pairwise_matches_survdiff_and_p_adjust(size, case, kwargs, method, r_method):
    """R: for each pair, survdiff(Surv(time, event) ~ g [+ strata(site)], rho, data = pair
    subset)$chisq and its p-value; then p.adjust(p, method = "holm" / "BH" / ...)."""
    ref = load_output(TOPIC, f"ties_{size}")[case]
    res = pairwise_logrank_test(_ties(size), time_col="time", event_col="event",
                           group_col="ctc_group", p_adjust=method, **kwargs)
    assert isinstance(res, PairwiseTestResult)
    assert list(res.table.columns) == ["group_1", "group_2", "statistic", "p_value",
                                       "p_adjusted"]
    assert res.table["group_1"].tolist() == ref["group_1"]
    assert res.table["group_2"].tolist() == ref["group_2"]
    _close(res.table["statistic"], ref["statistic"])
    assert_allclose(res.table["p_value"], ref["p_value"], rtol=P_RTOL)
    assert_allclose(res.table["p_adjusted"], ref[r_method], rtol=P_RTOL)
    assert res.p_adjust == ("bh" if method == "fdr_bh" else method)


@pytest.mark.parametrize("case", ["tgrade_pairwise", "tgrade_pairwise_by_menostat"])
def test_pairwise_matches_r_on_gbsg2(case):
    """R: pairwise survdiff(Surv(time, cens) ~ tgrade [+ strata(menostat)]) + p.adjust."""
    data = load_input(TOPIC, "gbsg2")
    ref = load_output(TOPIC, "gbsg2")[case]
    strata = "menostat" if case.endswith("menostat") else None
    for method, r_method in [("holm", "holm"), ("bh", "BH")]:
        res = pairwise_logrank_test(data, time_col="time", event_col="cens", group_col="tgrade",
                               strata_col=strata, p_adjust=method)
        _close(res.table["statistic"], ref["statistic"])
        assert_allclose(res.table["p_value"], ref["p_value"], rtol=P_RTOL)
        assert_allclose(res.table["p_adjusted"], ref[r_method], rtol=P_RTOL)


# --------------------------------------------------------------------------- edge cases vs R
def test_group_without_events_is_valid_and_noted():
    """R: survdiff(Surv(time, event) ~ group, data = edge_no_events) — group C has no events."""
    data = load_input(TOPIC, "edge_no_events")
    ref = load_output(TOPIC, "edge_no_events")
    with pytest.warns(DataWarning, match=r"group 'C' of group_col 'group' has no events"):
        res = logrank_test(data, time_col="time", event_col="event", group_col="group")
    _check_against_r(res, ref["three_group"])
    assert res.df == 2.0
    assert len(res.warnings) == 1 and "has no events" in res.warnings[0]
    with pytest.warns(DataWarning, match="has no events"):
        pw = pairwise_logrank_test(data, time_col="time", event_col="event", group_col="group")
    _close(pw.table["statistic"], ref["pairwise"]["statistic"])
    assert_allclose(pw.table["p_adjusted"], ref["pairwise"]["holm"], rtol=P_RTOL)
    assert rec_file_is_caller(data)
    json.dumps(pw.to_dict())
    assert "Pairwise log-rank tests" in str(pw) and "has no events" in pw._repr_html_()


def rec_file_is_caller(data) -> bool:
    """Warnings point at the caller's line (stacklevel), not into ctcstats."""
    with pytest.warns(DataWarning) as rec:
        logrank_test(data, time_col="time", event_col="event", group_col="group")
    return all(w.filename == __file__ for w in rec)


def test_group_with_zero_expected_is_left_out_as_in_r():
    """R: survdiff(Surv(time, event) ~ group, data = edge_zero_expected) — group D is censored
    before the first event: expected 0, left out, df = 1; pairs with D give chisq 0, p 1."""
    data = load_input(TOPIC, "edge_zero_expected")
    ref = load_output(TOPIC, "edge_zero_expected")
    with pytest.warns(DataWarning) as rec:
        res = logrank_test(data, time_col="time", event_col="event", group_col="group")
    msgs = [str(w.message) for w in rec]
    assert any("expected = 0" in m and "'D'" in m for m in msgs)
    assert any("group 'D' of group_col 'group' has no events" in m for m in msgs)
    assert tuple(msgs) == res.warnings
    _check_against_r(res, ref["three_group"])
    assert res.df == 1.0
    assert np.isnan(res.table.loc[res.table["group"] == "D", "chisq_contribution"]).all()

    with pytest.warns(DataWarning) as rec:
        pw = pairwise_logrank_test(data, time_col="time", event_col="event", group_col="group")
    assert any("pair 'A' vs 'D'" in str(w.message) for w in rec)
    _close(pw.table["statistic"], ref["pairwise"]["statistic"])
    assert_allclose(pw.table["p_value"], ref["pairwise"]["p_value"], rtol=P_RTOL)
    assert_allclose(pw.table["p_adjusted"], ref["pairwise"]["holm"], rtol=P_RTOL)


def test_pairwise_bh_with_zero_expected_pairs():
    """R: p.adjust(c(0.342, 1, 1), "BH") on edge_zero_expected's pairs."""
    data = load_input(TOPIC, "edge_zero_expected")
    ref = load_output(TOPIC, "edge_zero_expected")["pairwise"]
    with pytest.warns(DataWarning) as rec:
        pw = pairwise_logrank_test(data, time_col="time", event_col="event", group_col="group",
                              p_adjust="bh")
    assert [str(w.message)[:15] for w in rec] == ["group 'D' of gr", "pair 'A' vs 'D'",
                                                  "pair 'B' vs 'D'"]
    assert pw.warnings == tuple(str(w.message) for w in rec)
    assert_allclose(pw.table["p_adjusted"], ref["BH"], rtol=P_RTOL)


@pytest.mark.parametrize(("case", "rho"), [("two_group", 0.0), ("rho1", 1.0)])
def test_near_ties_are_merged_as_r_timefix(case, rho):
    """R: survdiff(Surv(time, event) ~ group, rho = rho, data = edge_near_ties) — times
    1e-12 apart are one time for R (aeqSurv, timefix = TRUE), and for ctcstats, which says
    so on the result."""
    data = load_input(TOPIC, "edge_near_ties")
    ref = load_output(TOPIC, "edge_near_ties")[case]
    with pytest.warns(DataWarning, match="12 distinct values differ from the preceding time"):
        res = logrank_test(data, time_col="time", event_col="event", group_col="group",
                           rho=rho)
    _check_against_r(res, ref)
    assert any("merged with it as a tie" in w for w in res.warnings)


def test_merge_times_merges_only_near_ties():
    t = np.array([1.0, 1.0 + 1e-12, 2.0, 3.0, 3.0 + 1e-6])
    merged = merge_times(t)
    assert_allclose(merged.time, [1.0, 1.0, 2.0, 3.0, 3.0 + 1e-6], rtol=0, atol=0)
    assert merged.n_merged == 1
    u = np.array([2.0, 1.0])
    assert merge_times(u).time is u and merge_times(u).n_merged == 0


# --------------------------------------------------------------------------- behaviour
def _toy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "os_months": [5, 8, 12, 12, 20, 3, 4, 4, 9, 15, 2, 6],
            "os_event": [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1],
            "ctc_group": ["0 CTC"] * 5 + ["1-4 CTC"] * 5 + ["≥5 CTC"] * 2,
        },
        index=[f"p{i}" for i in range(12)],
    )


def test_table_columns_and_labels():
    res = logrank_test(_toy(), time_col="os_months", event_col="os_event",
                       group_col="ctc_group")
    assert list(res.table.columns) == ["group", "n", "n_events", "observed", "expected",
                                       "o_minus_e", "variance", "chisq_contribution"]
    assert res.table["group"].tolist() == ["0 CTC", "1-4 CTC", "≥5 CTC"]
    assert res.table["n"].tolist() == [5, 5, 2]
    assert res.table["n_events"].tolist() == [3, 4, 2]
    assert_allclose(res.table["o_minus_e"].sum(), 0.0, atol=1e-12)
    assert isinstance(res.statistic, float) and isinstance(res.df, float)
    assert res.method == "log-rank"
    json.dumps(res.to_dict())
    assert "log-rank" in str(res) and "≥5 CTC" in res._repr_html_()


def test_weighted_observed_differs_from_counts_and_method_named():
    res = logrank_test(_toy(), time_col="os_months", event_col="os_event",
                       group_col="ctc_group", rho=1.0, strata_col=None)
    assert (res.table["observed"] < res.table["n_events"]).any()
    assert res.method == "Fleming-Harrington G(rho=1, gamma=0) weighted log-rank"


def test_categorical_order_sets_trend_scores():
    data = _ties("medium")
    order = [">=5 CTC", "0 CTC", "1-4 CTC"]  # not monotone in risk: a different trend
    cat = data.assign(ctc_group=pd.Categorical(data["ctc_group"], categories=order))
    res_cat = logrank_test(cat, time_col="time", event_col="event", group_col="ctc_group",
                           trend=True)
    res_str = logrank_test(data, time_col="time", event_col="event", group_col="ctc_group",
                           trend=True)
    assert res_cat.table["group"].tolist() == order
    assert res_cat.table["score"].tolist() == [1.0, 2.0, 3.0]
    assert not np.isclose(res_cat.statistic, res_str.statistic)
    # shifting and rescaling scores changes nothing: 0/2/12 → 10*(0/2/12) + 3
    rescaled = data.assign(ctc_score=data["ctc_score"] * 10 + 3)
    a = logrank_test(data, time_col="time", event_col="event", group_col="ctc_score",
                     trend=True)
    b = logrank_test(rescaled, time_col="time", event_col="event", group_col="ctc_score",
                     trend=True)
    assert_allclose(a.statistic, b.statistic, rtol=1e-12)


def test_stratum_with_one_group_contributes_nothing():
    data = _ties("medium")
    extra = pd.DataFrame({"time": [1.0, 2.0, 3.0], "event": [1, 1, 0],
                          "ctc_group": ["0 CTC"] * 3, "site": ["Z"] * 3})
    a = logrank_test(data, time_col="time", event_col="event", group_col="ctc_group",
                     strata_col="site")
    b = logrank_test(pd.concat([data, extra], ignore_index=True), time_col="time",
                     event_col="event", group_col="ctc_group", strata_col="site")
    assert_allclose(b.statistic, a.statistic, rtol=1e-12)
    assert_allclose(b.table["o_minus_e"], a.table["o_minus_e"], rtol=1e-12, atol=1e-12)


def test_boolean_event_and_numeric_groups():
    data = _ties("small")
    a = logrank_test(data, time_col="time", event_col="event", group_col="ctc_score")
    b = logrank_test(data.assign(event=data["event"].astype(bool)), time_col="time",
                     event_col="event", group_col="ctc_group")
    assert_allclose(a.statistic, b.statistic, rtol=1e-12)
    assert a.table["group"].tolist() == [0, 2, 12]


def test_large_n_runs_vectorised(rng):
    """n = 100,000 with strata and weights: no per-time Python loop (finishes in well under a
    second on a laptop); result agrees with the unstratified per-stratum sum identity."""
    n = 100_000
    data = pd.DataFrame({
        "t": np.round(rng.exponential(10.0, n), 2),
        "e": rng.integers(0, 2, n),
        "g": rng.choice(["a", "b", "c", "d"], n),
        "s": rng.integers(0, 5, n),
    })
    res = logrank_test(data, time_col="t", event_col="e", group_col="g", strata_col="s",
                       rho=0.5, gamma=0.5)
    parts = [
        logrank_arrays(grp["t"].to_numpy(), grp["e"].to_numpy(),
                        pd.Index(["a", "b", "c", "d"]).get_indexer(grp["g"]), 4,
                        rho=0.5, gamma=0.5)
        for _, grp in data.groupby("s")
    ]
    assert_allclose(res.table["expected"], sum(p[1] for p in parts), rtol=1e-10)
    assert_allclose(res.table["variance"], np.diag(sum(p[2] for p in parts)), rtol=1e-10)


# --------------------------------------------------------------------------- bad input
def test_single_group_is_an_error():
    data = _toy().assign(ctc_group="≥5 CTC")
    with pytest.raises(
        DataValidationError,
        match=r"group_col 'ctc_group' has a single level \('≥5 CTC'\); logrank_test needs at "
              r"least 2 groups",
    ):
        logrank_test(data, time_col="os_months", event_col="os_event", group_col="ctc_group")
    with pytest.raises(DataValidationError, match="pairwise_logrank_test needs at least 2 groups"):
        pairwise_logrank_test(data, time_col="os_months", event_col="os_event",
                         group_col="ctc_group")


def test_missing_column_is_an_error():
    with pytest.raises(DataValidationError,
                       match=r"group_col 'ctc' is not a column of data; available columns: "
                             r"'os_months', 'os_event', 'ctc_group'"):
        logrank_test(_toy(), time_col="os_months", event_col="os_event", group_col="ctc")
    with pytest.raises(DataValidationError, match=r"strata_col 'site' is not a column of data"):
        logrank_test(_toy(), time_col="os_months", event_col="os_event",
                     group_col="ctc_group", strata_col="site")


def test_event_code_2_is_an_error():
    data = _toy()
    data.loc[["p3", "p7"], "os_event"] = 2
    with pytest.raises(
        DataValidationError,
        match=r"event_col 'os_event' must contain only 0/1 or True/False; found \{2\} in 2 rows "
              r"\(first row labels: 'p3', 'p7'\)",
    ):
        logrank_test(data, time_col="os_months", event_col="os_event", group_col="ctc_group")


def test_negative_time_is_an_error():
    data = _toy()
    data.loc["p2", "os_months"] = -1
    with pytest.raises(DataValidationError,
                       match=r"time_col 'os_months' has 1 negative value \(first row labels: "
                             r"'p2'\); times must be ≥ 0"):
        logrank_test(data, time_col="os_months", event_col="os_event", group_col="ctc_group")


def test_no_events_is_an_error():
    data = _toy().assign(os_event=0)
    with pytest.raises(DataValidationError,
                       match=r"event_col 'os_event' has no events \(all 12 rows are censored\); "
                             r"logrank_test needs at least one event"):
        logrank_test(data, time_col="os_months", event_col="os_event", group_col="ctc_group")


def test_missing_group_raise_and_drop():
    data = _toy()
    data.loc[["p1", "p6"], "ctc_group"] = np.nan
    with pytest.raises(DataValidationError,
                       match=r"group_col 'ctc_group' has 2 missing values \(first row labels: "
                             r"'p1', 'p6'\); pass missing='drop'"):
        logrank_test(data, time_col="os_months", event_col="os_event", group_col="ctc_group")
    res = logrank_test(data, time_col="os_months", event_col="os_event",
                       group_col="ctc_group", missing="drop")
    ref = logrank_test(data.drop(index=["p1", "p6"]), time_col="os_months",
                       event_col="os_event", group_col="ctc_group")
    assert res.n_obs == 10 and res.n_dropped == 2
    assert_allclose(res.statistic, ref.statistic, rtol=1e-14)
    pw = pairwise_logrank_test(data, time_col="os_months", event_col="os_event",
                          group_col="ctc_group", missing="drop")
    assert pw.n_obs == 10 and pw.n_dropped == 2


def test_missing_stratum_dropped_and_counted():
    data = _ties("small")
    data.loc[[0, 5, 9], "site"] = None
    with pytest.raises(DataValidationError, match=r"strata_col 'site' has 3 missing values"):
        logrank_test(data, time_col="time", event_col="event", group_col="ctc_group",
                     strata_col="site")
    res = logrank_test(data, time_col="time", event_col="event", group_col="ctc_group",
                       strata_col="site", missing="drop")
    assert (res.n_obs, res.n_dropped) == (27, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rho": -1.0}, r"The 'rho' parameter of logrank_test must be in \[0, inf\); got -1.0"),
        ({"gamma": float("nan")},
         r"The 'gamma' parameter of logrank_test must be a finite number; got nan"),
        ({"trend": "yes"}, r"The 'trend' parameter of logrank_test must be True or False"),
        ({"missing": "ignore"}, r"The 'missing' parameter of logrank_test must be one of"),
        ({"strata_col": "ctc_group"},
         r"The 'strata_col' parameter of logrank_test must differ from group_col"),
    ],
)
def test_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        logrank_test(_toy(), time_col="os_months", event_col="os_event",
                     group_col="ctc_group", **kwargs)


def test_pairwise_parameter_error():
    with pytest.raises(ParameterError,
                       match=r"The 'p_adjust' parameter of pairwise_logrank_test must be one of "
                             r"'holm', 'bonferroni', 'bh', 'fdr_bh', 'none'; got 'BH'"):
        pairwise_logrank_test(_toy(), time_col="os_months", event_col="os_event",
                         group_col="ctc_group", p_adjust="BH")


def test_not_a_dataframe():
    with pytest.raises(DataValidationError, match="data must be a pandas DataFrame; got dict"):
        logrank_test({"a": [1]}, time_col="a", event_col="a", group_col="a")


# --------------------------------------------------------------------------- properties
def _naive(time, event, group, k, strata, rho, gamma):
    """Per-event-time loop, straight from the textbook formulas (independent of the engine)."""
    obs, exp, var = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for s in np.unique(strata):
        m = strata == s
        t, e, g = time[m], event[m], group[m]
        surv = 1.0
        for u in np.unique(t):
            risk = t >= u
            n_k = np.bincount(g[risk], minlength=k).astype(float)
            d_k = np.bincount(g[(t == u) & (e == 1)], minlength=k).astype(float)
            big_n, big_d = n_k.sum(), d_k.sum()
            w = surv**rho * (1.0 - surv) ** gamma
            if big_d > 0:
                obs += w * d_k
                exp += w * big_d * n_k / big_n
                if big_n > 1:
                    var += (w * w * big_d * (big_n - big_d) / (big_n * (big_n - 1))
                            * (np.diag(n_k) - np.outer(n_k, n_k) / big_n))
            surv *= (big_n - big_d) / big_n
    return obs, exp, var


_cohorts = st.integers(min_value=0, max_value=2**32 - 1).map(
    lambda seed: np.random.default_rng(seed)
)


def _random_frame(gen: np.random.Generator) -> pd.DataFrame:
    n = int(gen.integers(6, 60))
    frame = pd.DataFrame({
        "time": gen.integers(0, 12, n).astype(float),  # heavy ties, zero times included
        "event": gen.integers(0, 2, n),
        "grp": gen.choice(["a", "b", "c"], n),
        "site": gen.choice([1, 2], n),
    })
    frame.loc[0, ["grp", "event"]] = ["a", 1]
    frame.loc[1, "grp"] = "b"
    return frame


@settings(max_examples=60, deadline=None, derandomize=True)
@given(gen=_cohorts, rho=st.sampled_from([0.0, 0.5, 1.0]), gamma=st.sampled_from([0.0, 1.0]))
def test_engine_matches_naive_loop(gen, rho, gamma):
    frame = _random_frame(gen)
    codes = pd.Index(["a", "b", "c"]).get_indexer(frame["grp"])
    strata = frame["site"].to_numpy()
    got = logrank_arrays(frame["time"].to_numpy(), frame["event"].to_numpy(), codes, 3,
                          strata, rho=rho, gamma=gamma)
    want = _naive(frame["time"].to_numpy(), frame["event"].to_numpy(), codes, 3, strata,
                  rho, gamma)
    for a, b in zip(got, want, strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(gen=_cohorts, trend=st.booleans(), stratified=st.booleans())
def test_row_order_invariance_and_input_unchanged(gen, trend, stratified):
    frame = _random_frame(gen)
    before = frame.copy(deep=True)
    kwargs = dict(time_col="time", event_col="event", group_col="grp", trend=trend,
                  strata_col="site" if stratified else None)
    with warnings.catch_warnings(record=True) as rec:  # some draws have a group w/o events
        warnings.simplefilter("always")
        res = logrank_test(frame, **kwargs)
        shuffled = frame.sample(frac=1.0, random_state=np.random.RandomState(7))
        res2 = logrank_test(shuffled, **kwargs)
        # p_adjust="none": statsmodels' multipletests calls gc.collect() (≈0.1 s a call), too
        # slow for many examples; the adjustments themselves are checked against R above
        pw = pairwise_logrank_test(frame, time_col="time", event_col="event", group_col="grp",
                              p_adjust="none")
        pw2 = pairwise_logrank_test(shuffled, time_col="time", event_col="event", group_col="grp",
                               p_adjust="none")
    assert all(issubclass(w.category, DataWarning) for w in rec)
    assert {str(w.message) for w in rec} == set(res.warnings + pw.warnings)
    pd.testing.assert_frame_equal(frame, before)
    assert_allclose(res2.statistic, res.statistic, rtol=1e-10, atol=1e-12)
    assert_allclose(res2.table[["observed", "expected", "variance"]],
                    res.table[["observed", "expected", "variance"]], rtol=1e-10, atol=1e-12)
    assert_allclose(pw2.table["p_value"], pw.table["p_value"], rtol=1e-10)
    assert 0.0 <= res.p_value <= 1.0 and res.statistic >= 0.0
    assert_allclose(pw.table["p_adjusted"], pw.table["p_value"], rtol=0)
