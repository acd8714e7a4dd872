"""cumulative_incidence against R cmprsk::cuminc / timepoints (stored outputs, no R needed).

R side: tests/reference/competing/competing.R (cmprsk 2.2-11). Inputs: seeded synthetic sets
(``small`` n=60, ``medium`` n=400 with 3 groups and 3 causes, ``large`` n=3000, ``edge`` with
hand-made ties and a KM that reaches 0, ``sparse`` with a group lacking one cause) and two
real data sets shipped with R (MASS::Melanoma, survival::mgus2) written to inputs/ by the
R script.

Tolerances: the estimate, cmprsk's variance and Gray's statistic are closed forms computed
in the same order of operations as cmprsk's Fortran; the only differences are rounding
(observed ≤ 2e-13 relative), so 1e-8 relative is a strict check. R writes 15 significant
digits. Gray's p-value is compared with an absolute 1e-12 besides, because R computes
``1 - pchisq(stat, df)``, which has no relative accuracy below ~1e-15.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataWarning
from ctcstats.survival.competing import cumulative_incidence
from tests.reference._load import as_array, load_input, load_output

TOPIC = "competing"
NAMES = ["small", "medium", "large", "edge", "sparse", "melanoma", "mgus2"]
RTOL = 1e-8  # closed forms; see module docstring


def _fit(data, cause, **kw):
    """Fit, accepting the DataWarning for a group without failures from *cause*."""
    groups = data["group"] if kw.get("group_col") else pd.Series(["all"] * len(data))
    empty = any(not ((data["event"] == cause) & (groups == g)).any() for g in groups.unique())
    if empty:
        with pytest.warns(DataWarning, match="No failure from cause"):
            return cumulative_incidence(data, time_col="time", event_col="event",
                                        event_of_interest=cause, **kw)
    return cumulative_incidence(data, time_col="time", event_col="event",
                                event_of_interest=cause, **kw)


def _jumps(curve: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cinc's step-function vectors (0, t1, t1, t2, t2, ..., tmax) → values after each jump."""
    t, est, var = (as_array(curve[k]) for k in ("time", "est", "var"))
    return t[2:-1:2], est[2:-1:2], var[2:-1:2]


@pytest.mark.parametrize("name", NAMES)
def test_cif_and_variance_by_group_match_cuminc(name):
    """R: ``z <- cuminc(d$time, d$event, d$group); z[["<group> <cause>"]]$est / $var``
    at every jump of the curve, for every cause and group."""
    data = load_input(TOPIC, name)
    out = load_output(TOPIC, name)
    fits = {}
    for curve in out["cuminc_group"]:
        cause = int(curve["cause"])
        if cause not in fits:
            fits[cause] = _fit(data, cause, group_col="group")
        tab = fits[cause].table
        rows = tab[tab["group"] == curve["group"]]
        jt, est, var = _jumps(curve)
        assert_allclose(rows["time"].to_numpy(), jt, rtol=0, atol=0)
        assert_allclose(rows["cif"].to_numpy(), est, rtol=RTOL)
        assert_allclose(rows["std_error"].to_numpy() ** 2, var, rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
def test_cif_without_groups_matches_cuminc(name):
    """R: ``z <- cuminc(d$time, d$event); z[["1 <cause>"]]``."""
    data = load_input(TOPIC, name)
    out = load_output(TOPIC, name)
    for curve in out["cuminc_all"]:
        res = _fit(data, int(curve["cause"]))
        jt, est, var = _jumps(curve)
        assert (res.table["group"] == "all").all()
        assert_allclose(res.table["time"].to_numpy(), jt, rtol=0, atol=0)
        assert_allclose(res.table["cif"].to_numpy(), est, rtol=RTOL)
        assert_allclose(res.table["std_error"].to_numpy() ** 2, var, rtol=RTOL)


@pytest.mark.parametrize("name", NAMES)
def test_at_matches_timepoints(name):
    """R: ``timepoints(cuminc(d$time, d$event, d$group), times)``: est and var, NA beyond a
    group's largest follow-up time (times include 0, quantiles, points between jumps, the
    largest time and 1.1 × the largest time)."""
    data = load_input(TOPIC, name)
    out = load_output(TOPIC, name)
    tp = out["timepoints_group"]
    times = as_array(tp["times"])
    for i, label in enumerate(tp["names"]):
        group, cause = label.rsplit(" ", 1)
        at = _fit(data, int(cause), group_col="group").at(times)
        rows = at[at["group"] == group]
        assert_allclose(rows["time"].to_numpy(), times, rtol=0, atol=0)
        est, var = as_array(tp["est"][i]), as_array(tp["var"][i])
        assert_allclose(rows["cif"].to_numpy(), est, rtol=RTOL, equal_nan=True)
        assert_allclose(rows["std_error"].to_numpy() ** 2, var, rtol=RTOL, atol=1e-300,
                        equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_at_without_groups_matches_timepoints(name):
    """R: ``timepoints(cuminc(d$time, d$event), times)``."""
    data = load_input(TOPIC, name)
    out = load_output(TOPIC, name)
    tp = out["timepoints_all"]
    times = as_array(tp["times"])
    for i, label in enumerate(tp["names"]):
        at = _fit(data, int(label.rsplit(" ", 1)[1])).at(times)
        assert_allclose(at["cif"].to_numpy(), as_array(tp["est"][i]), rtol=RTOL, equal_nan=True)
        assert_allclose(at["std_error"].to_numpy() ** 2, as_array(tp["var"][i]), rtol=RTOL,
                        equal_nan=True)


def _check_tests(ref: dict, fit_for_cause) -> None:
    for cause, stat, pv, df in zip(
        as_array(ref["cause"]), as_array(ref["stat"]), as_array(ref["pv"]), as_array(ref["df"]),
        strict=True,
    ):
        gt = fit_for_cause(int(cause)).gray_test
        assert gt.df == df
        assert_allclose(gt.statistic, stat, rtol=RTOL)
        assert_allclose(gt.p_value, pv, rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_gray_test_matches_cuminc_tests(name):
    """R: ``cuminc(d$time, d$event, d$group)$Tests`` (stat, pv, df), rho = 0, for each cause;
    2 groups (small, large, edge, melanoma, mgus2) and 3 groups (medium, sparse)."""
    data = load_input(TOPIC, name)
    out = load_output(TOPIC, name)
    _check_tests(out["tests_group"], lambda c: _fit(data, c, group_col="group"))


@pytest.mark.parametrize("name", ["small", "medium", "large", "edge", "sparse"])
def test_stratified_gray_test_matches_cuminc_tests(name):
    """R: ``cuminc(d$time, d$event, d$group, d$strata)$Tests``."""
    data = load_input(TOPIC, name)
    out = load_output(TOPIC, name)
    _check_tests(out["tests_strata"],
                 lambda c: _fit(data, c, group_col="group", strata_col="strata"))


def test_gray_test_fields_and_table():
    data = load_input(TOPIC, "medium")
    res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    gt = res.gray_test
    assert gt.df == 2.0
    assert "Gray" in gt.method
    assert list(gt.table.columns) == ["group", "n", "n_events", "n_competing", "n_censored"]
    assert gt.table["n"].sum() == len(data)
    assert gt.table["n_events"].sum() == (data["event"] == 1).sum()
    assert gt.table["n_competing"].sum() == (data["event"] > 1).sum()
    assert gt.n_obs == len(data)


def test_no_group_has_no_gray_test():
    data = load_input(TOPIC, "small")
    res = cumulative_incidence(data, time_col="time", event_col="event")
    assert res.gray_test is None
    assert res.groups == ("all",)


def test_table_columns_and_counts():
    data = load_input(TOPIC, "edge")
    res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    assert list(res.table.columns) == [
        "group", "time", "n_at_risk", "n_events", "cif", "std_error", "ci_lower", "ci_upper"
    ]
    a = res.table[res.table["group"] == "a"]
    # group a: 13 patients; cause-1 failures at 1 (1), 2 (2), 5 (1) and 8 (1)
    assert a["time"].tolist() == [1.0, 2.0, 5.0, 8.0]
    assert a["n_at_risk"].tolist() == [13, 10, 5, 1]
    assert a["n_events"].tolist() == [1, 2, 1, 1]
    assert res.n_obs == len(data) and res.n_dropped == 0


def test_loglog_interval_formula():
    """ci = F ** exp(±z se / (F log F)) (symmetric interval for log(-log F))."""
    data = load_input(TOPIC, "melanoma")
    res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group",
                               conf_level=0.9)
    f, se = res.table["cif"].to_numpy(), res.table["std_error"].to_numpy()
    z = 1.6448536269514722
    w = z * se / (f * np.log(f))
    assert_allclose(res.table["ci_lower"], f ** np.exp(-w), rtol=1e-13)
    assert_allclose(res.table["ci_upper"], f ** np.exp(w), rtol=1e-13)
    at = res.at([1500.0])
    row = res.table[(res.table["group"] == "absent") & (res.table["time"] <= 1500)].iloc[-1]
    got = at[at["group"] == "absent"].iloc[0]
    assert got["ci_lower"] == pytest.approx(row["ci_lower"], rel=1e-14)
    assert got["ci_upper"] == pytest.approx(row["ci_upper"], rel=1e-14)


def test_at_sorts_and_deduplicates_times_like_timepoints():
    data = load_input(TOPIC, "small")
    res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    at = res.at([10, 2, 10, 5])
    assert at["time"].tolist() == [2.0, 5.0, 10.0, 2.0, 5.0, 10.0]
    assert at["group"].tolist() == ["a", "a", "a", "b", "b", "b"]
    assert list(at.columns) == ["group", "time", "cif", "std_error", "ci_lower", "ci_upper"]
    scalar = res.at(5)
    assert_allclose(scalar["cif"], at[at["time"] == 5.0]["cif"], rtol=0)


def test_group_labels_are_kept():
    """Integer labels stay integers; a Categorical keeps its category order."""
    data = load_input(TOPIC, "medium")
    ints = data.assign(arm=data["group"].map({"a": 10, "b": 20, "c": 30}))
    res = cumulative_incidence(ints, time_col="time", event_col="event", group_col="arm")
    assert res.groups == (10, 20, 30)
    assert set(res.table["group"]) == {10, 20, 30}
    cat = data.assign(arm=pd.Categorical(data["group"], categories=["c", "a", "b"]))
    res_cat = cumulative_incidence(cat, time_col="time", event_col="event", group_col="arm")
    assert res_cat.groups == ("c", "a", "b")
    assert list(dict.fromkeys(res_cat.table["group"])) == ["c", "a", "b"]
    ref = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    assert_allclose(res_cat.gray_test.statistic, ref.gray_test.statistic, rtol=1e-12)


def test_group_without_failures_of_cause_warns_and_is_recorded():
    """sparse: group c has no failure from cause 2."""
    data = load_input(TOPIC, "sparse")
    with pytest.warns(DataWarning, match="No failure from cause 2 in group 'c'"):
        res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group",
                                   event_of_interest=2)
    assert any("group 'c'" in w for w in res.warnings)
    at = res.at([0.0, 5.0])
    assert at[at["group"] == "c"]["cif"].tolist() == [0.0, 0.0]


def test_singular_gray_variance_gives_nan_and_warning():
    """Group y leaves follow-up before the first cause-1 failure, so only group x is ever at
    risk at a cause-1 failure: the score variance is 0. R: ``cuminc(t, e, g)$Tests`` gives
    stat = -1, pv = 1 for cause 1 (and 6.192722 for cause 2); ctcstats reports NaN and says
    why."""
    data = pd.DataFrame({
        "time": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5, 0.6, 0.7],
        "event": [1, 2, 1, 0, 2, 1, 2, 0, 2],
        "group": ["x"] * 6 + ["y"] * 3,
    })
    with pytest.warns(DataWarning) as rec:
        res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    messages = [str(w.message) for w in rec]
    assert any("variance matrix of the scores is singular" in m for m in messages)
    assert any("No failure from cause 1 in group 'y'" in m for m in messages)
    assert np.isnan(res.gray_test.statistic) and np.isnan(res.gray_test.p_value)
    assert len(res.warnings) == 2
    res2 = cumulative_incidence(data, time_col="time", event_col="event", group_col="group",
                                event_of_interest=2)
    assert_allclose(res2.gray_test.statistic, 6.192722, rtol=1e-6)  # R prints 7 digits


def test_result_display_and_export():
    data = load_input(TOPIC, "small")
    res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    text = str(res)
    assert "gray_p_value" in text and "cif" in text
    assert "<table" in res._repr_html_()
    d = res.to_dict()
    assert d["result"] == "CumulativeIncidenceResult"
    assert d["gray_test"]["df"] == 1.0
    assert len(d["table"]) == len(res.table)
    assert "_max_time" not in d


def test_incidence_at_is_cumulative_incidence_at_bitwise():
    # the array-level value at one time (used for prognostic calibration groups) is the
    # public function's .at() exactly: before the first jump, between jumps, at a jump,
    # beyond the last follow-up (NaN), subsets with one cause only
    from ctcstats.survival.competing import incidence_at

    rng = np.random.default_rng(5)
    n = 500
    time = np.round(rng.exponential(20, n), 1)
    codes = rng.choice([0, 1, 2], n, p=[0.4, 0.4, 0.2])
    for k in range(12):
        m = rng.random(n) < (0.15 + 0.07 * k)
        t_s, c_s = time[m], codes[m]
        for cause in (1, 2):
            if not (c_s == cause).any():
                continue
            ci = cumulative_incidence(pd.DataFrame({"t": t_s, "e": c_s}), time_col="t",
                                      event_col="e", event_of_interest=cause)
            jumps = ci.table["time"].to_numpy()
            for t in (0.0, jumps[0] / 2, jumps[0], float(np.median(t_s)), float(jumps[-1]),
                      float(t_s.max()), float(t_s.max()) + 1.0):
                row = ci.at([t]).iloc[0]
                got = incidence_at(t_s, c_s, cause, t)
                want = (float(row["cif"]), float(row["std_error"]))
                assert got is not None
                np.testing.assert_array_equal(np.array(got), np.array(want))


def test_incidence_at_leaves_merging_times_to_the_public_function():
    # times that the tie rule merges make cumulative_incidence warn: incidence_at declines
    from ctcstats.survival.competing import incidence_at

    time = np.array([1.0, 1.0 + 1e-12, 2.0, 3.0, 4.0])
    codes = np.array([1, 2, 1, 0, 1])
    assert incidence_at(time, codes, 1, 2.5) is None
    assert incidence_at(np.array([1.0, 2.0, 3.0]), np.array([1, 0, 1]), 1, 2.5) == (
        pytest.approx(1 / 3), pytest.approx(float(cumulative_incidence(
            pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1]}), time_col="t",
            event_col="e").at([2.5])["std_error"].iloc[0])))
