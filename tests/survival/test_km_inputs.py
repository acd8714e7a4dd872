"""kaplan_meier: bad input, missing values, invariances and hypothesis property tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from ctcstats.errors import DataValidationError, DataWarning, ParameterError
from ctcstats.survival.km import kaplan_meier


@pytest.fixture
def cohort(rng: np.random.Generator) -> pd.DataFrame:
    n = 60
    t = np.round(rng.exponential(10.0, n), 0) + 1.0
    return pd.DataFrame(
        {
            "os_months": t,
            "os_event": rng.integers(0, 2, n),
            "ctc_group": rng.choice(["<5 CTC", "≥5 CTC"], n),
        },
        index=pd.RangeIndex(100, 100 + n),
    )


def _km(data, **kw):
    kw.setdefault("time_col", "os_months")
    kw.setdefault("event_col", "os_event")
    return kaplan_meier(data, **kw)


# --------------------------------------------------------------------------- bad input
def test_missing_column(cohort):
    with pytest.raises(DataValidationError, match=r"event_col 'status' is not a column of data"):
        _km(cohort, event_col="status")
    with pytest.raises(DataValidationError, match=r"group_col 'arm' is not a column of data"):
        _km(cohort, group_col="arm")


def test_event_code_two(cohort):
    bad = cohort.copy()
    bad.loc[[101, 105], "os_event"] = 2
    with pytest.raises(
        DataValidationError,
        match=r"event_col 'os_event' must contain only 0/1 or True/False; found \{2\} in 2 "
        r"rows \(first row labels: 101, 105\)",
    ):
        _km(bad)


def test_event_code_yes(cohort):
    bad = cohort.astype({"os_event": object})
    bad.loc[103, "os_event"] = "yes"
    with pytest.raises(
        DataValidationError, match=r"must contain only 0/1 or True/False; found \{'yes'\} in 1 row"
    ):
        _km(bad)


def test_negative_time(cohort):
    bad = cohort.copy()
    bad.loc[102, "os_months"] = -3.0
    with pytest.raises(
        DataValidationError,
        match=r"time_col 'os_months' has 1 negative value \(first row labels: 102\); "
        r"times must be ≥ 0",
    ):
        _km(bad)


def test_nan_time_raises_by_default(cohort):
    bad = cohort.copy()
    bad.loc[[104, 110], "os_months"] = np.nan
    with pytest.raises(
        DataValidationError,
        match=r"time_col 'os_months' has 2 missing values \(first row labels: 104, 110\); "
        r"pass missing='drop'",
    ):
        _km(bad)


def test_infinite_time(cohort):
    bad = cohort.copy()
    bad.loc[100, "os_months"] = np.inf
    with pytest.raises(
        DataValidationError, match=r"time_col 'os_months' has 1 infinite value .*finite"
    ):
        _km(bad)


def test_non_numeric_time(cohort):
    bad = cohort.astype({"os_months": object})
    bad.loc[100, "os_months"] = "12 months"
    with pytest.raises(
        DataValidationError, match=r"time_col 'os_months' must hold numeric follow-up times"
    ):
        _km(bad)


def test_empty_frame(cohort):
    with pytest.raises(DataValidationError, match=r"data has no rows; kaplan_meier needs"):
        _km(cohort.iloc[:0])


def test_not_a_dataframe():
    with pytest.raises(DataValidationError, match=r"data must be a pandas DataFrame; got dict"):
        kaplan_meier({"t": [1]}, time_col="t", event_col="e")


def test_missing_group_label(cohort):
    bad = cohort.copy()
    bad.loc[107, "ctc_group"] = None
    with pytest.raises(DataValidationError, match=r"group_col 'ctc_group' has 1 missing value"):
        _km(bad, group_col="ctc_group")


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({"conf_level": 95}, r"The 'conf_level' parameter of kaplan_meier must be in \(0, 1\)"),
        ({"conf_type": "logit"}, r"The 'conf_type' parameter of kaplan_meier must be one of"),
        ({"missing": "omit"}, r"The 'missing' parameter of kaplan_meier must be one of"),
    ],
)
def test_parameter_errors(cohort, kw, pattern):
    with pytest.raises(ParameterError, match=pattern):
        _km(cohort, **kw)


@pytest.mark.parametrize("times", [[-1.0], [np.nan], "x", [], [[1.0, 2.0]], [np.inf]])
def test_survival_at_bad_times(cohort, times):
    res = _km(cohort)
    with pytest.raises(
        ParameterError, match=r"The 'times' parameter of survival_at must be one or more finite"
    ):
        res.survival_at(times)


@pytest.mark.parametrize("tau", [0, -2.0, np.inf, "10"])
def test_rmst_bad_tau(cohort, tau):
    res = _km(cohort)
    with pytest.raises(ParameterError, match=r"The 'tau' parameter of rmst must"):
        res.rmst(tau)


# --------------------------------------------------------------------------- missing="drop"
def test_missing_drop_counts_rows(cohort):
    bad = cohort.copy()
    bad.loc[[104, 110], "os_months"] = np.nan
    bad.loc[[110, 120], "ctc_group"] = None
    res = _km(bad, group_col="ctc_group", missing="drop")
    assert res.n_dropped == 3 and res.n_obs == len(cohort) - 3
    expected = _km(cohort.drop(index=[104, 110, 120]), group_col="ctc_group")
    assert_frame_equal(res.table, expected.table)


# --------------------------------------------------------------------------- invariances
def test_input_not_mutated(cohort):
    before = cohort.copy(deep=True)
    _km(cohort, group_col="ctc_group").survival_at([5, 10])
    assert_frame_equal(cohort, before)


def test_row_order_invariance(cohort, rng):
    a = _km(cohort, group_col="ctc_group")
    b = _km(cohort.sample(frac=1.0, random_state=np.random.RandomState(7)), group_col="ctc_group")
    assert_frame_equal(a.table, b.table)
    assert_frame_equal(a.median, b.median)
    assert_frame_equal(a.median_followup, b.median_followup)
    assert_frame_equal(a.rmst(12.0), b.rmst(12.0))


def test_group_labels_kept_and_ordered():
    data = pd.DataFrame(
        {"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0], "g": [10, 2, 10, 2, 10, 2]}
    )
    res = kaplan_meier(data, time_col="t", event_col="e", group_col="g")
    assert res.groups == (2, 10)
    assert res.median["group"].tolist() == [2, 10]
    assert res.median_followup["group"].tolist() == [2, 10, "all"]
    cat = data.assign(g=pd.Categorical(["hi", "lo"] * 3, categories=["lo", "hi"]))
    res = kaplan_meier(cat, time_col="t", event_col="e", group_col="g")
    assert res.groups == ("lo", "hi")
    assert res.table["group"].unique().tolist() == ["lo", "hi"]


def test_single_group_and_bool_events():
    data = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [True, False, True], "g": ["x"] * 3})
    res = kaplan_meier(data, time_col="t", event_col="e", group_col="g")
    assert res.groups == ("x",)
    assert res.table["survival"].tolist() == pytest.approx([2 / 3, 2 / 3, 0.0])


def test_group_without_events_warns_and_stays_at_one():
    data = pd.DataFrame(
        {"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 0, 0], "g": ["a"] * 3 + ["b"] * 3}
    )
    with pytest.warns(DataWarning, match=r"Group 'b' of 'g' \(3\) have no events"):
        res = kaplan_meier(data, time_col="t", event_col="e", group_col="g")
    assert len(res.warnings) == 1 and "Group 'b'" in res.warnings[0]
    b = res.table[res.table["group"] == "b"]
    assert (b["survival"] == 1.0).all() and (b["std_error"] == 0.0).all()
    assert (b["ci_lower"] == 1.0).all() and (b["ci_upper"] == 1.0).all()
    assert np.isnan(res.median.loc[res.median["group"] == "b", "median"]).all()
    assert res.rmst(3.0).loc[1, "rmst"] == 3.0


def test_no_events_at_all_warns():
    data = pd.DataFrame({"t": [1, 2], "e": [0, 0]})
    with pytest.warns(DataWarning, match=r"All patients \(2\) have no events"):
        res = kaplan_meier(data, time_col="t", event_col="e")
    assert res.warnings and res.table["survival"].tolist() == [1.0, 1.0]


def test_rmst_beyond_follow_up_warns():
    data = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 0]})
    res = kaplan_meier(data, time_col="t", event_col="e")
    with pytest.warns(DataWarning, match=r"tau=6 is beyond the last follow-up time of group"):
        out = res.rmst(6)
    # S = 3/4 on [1, 3), 3/8 from 3 onward, carried flat to 6: 1 + 2*0.75 + 3*0.375
    assert out["rmst"].iloc[0] == pytest.approx(1 + 1.5 + 1.125)


def test_survival_at_sorts_times_and_counts_intervals():
    data = pd.DataFrame({"t": [1, 2, 2, 3, 4, 4, 6], "e": [1, 1, 0, 1, 0, 1, 1]})
    res = kaplan_meier(data, time_col="t", event_col="e")
    at = res.survival_at([4, 0.5, 2])
    assert at["time"].tolist() == [0.5, 2.0, 4.0]
    assert at["n_at_risk"].tolist() == [7, 6, 3]
    assert at["n_events"].tolist() == [0, 2, 2]
    assert at["n_censored"].tolist() == [0, 1, 1]
    one = res.survival_at(3)
    assert one["n_events"].tolist() == [3] and one["n_at_risk"].tolist() == [4]


# --------------------------------------------------------------------------- properties
@st.composite
def cohorts(draw):
    n = draw(st.integers(min_value=2, max_value=40))
    times = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    events[0] = 1  # at least one event in group groups[0]; each group gets one below
    frame = pd.DataFrame({"t": np.asarray(times, float) / 2.0, "e": events, "g": groups})
    for g in frame["g"].unique():
        frame.loc[frame.index[frame["g"] == g][0], "e"] = 1
    conf_type = draw(st.sampled_from(["log-log", "log", "plain"]))
    perm = draw(st.permutations(list(range(n))))
    return frame, conf_type, perm


@settings(max_examples=60, deadline=None, derandomize=True)
@given(cohorts())
def test_properties(case):
    frame, conf_type, perm = case
    before = frame.copy(deep=True)
    res = kaplan_meier(frame, time_col="t", event_col="e", group_col="g", conf_type=conf_type)
    assert_frame_equal(frame, before)  # input unchanged
    tab = res.table
    s = tab["survival"].to_numpy()
    assert np.all((s >= 0) & (s <= 1))
    for g in res.groups:
        sg = tab.loc[tab["group"] == g, "survival"].to_numpy()
        assert np.all(np.diff(sg) <= 0)  # non-increasing
    ok = tab["ci_lower"].notna().to_numpy()
    # Limits are NaN only where S(t) = 0 (R's convention); elsewhere they bracket S(t).
    assert np.all(s[~ok] == 0)
    lo, hi = tab["ci_lower"].to_numpy()[ok], tab["ci_upper"].to_numpy()[ok]
    assert np.all((lo <= s[ok] + 1e-12) & (s[ok] <= hi + 1e-12))
    assert np.all((lo >= 0) & (hi <= 1 + 1e-12))
    shuffled = frame.iloc[list(perm)]
    again = kaplan_meier(shuffled, time_col="t", event_col="e", group_col="g",
                         conf_type=conf_type)
    assert_frame_equal(res.table, again.table)
    assert_frame_equal(res.median, again.median)
    assert_frame_equal(res.median_followup, again.median_followup)


# --------------------------------------------------------------------------- docs
def test_docstring_examples_run():
    """The Examples sections of km.py and plotting/survival.py run as written."""
    import doctest

    import ctcstats.plotting.survival as plot_mod
    import ctcstats.survival.km as km_mod

    for mod in (km_mod, plot_mod):
        failed, attempted = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert attempted > 0 and failed == 0
