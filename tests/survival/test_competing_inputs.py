"""cumulative_incidence: bad input, properties (hypothesis) and cross-checks with lifelines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.survival.competing import cumulative_incidence
from tests.reference._load import load_input


@pytest.fixture
def small():
    return load_input("competing", "small")


def _ci(data, **kw):
    kw.setdefault("time_col", "time")
    kw.setdefault("event_col", "event")
    return cumulative_incidence(data, **kw)


# --------------------------------------------------------------------------- bad input
def test_negative_event_code(small):
    bad = small.copy()
    bad.loc[[2, 7], "event"] = -1
    with pytest.raises(
        DataValidationError,
        match=r"event_col 'event' must contain whole-number event codes ≥ 0 \(0 = censored, "
        r"1\.\.k = causes\); found \{-1\.0\} in 2 rows \(first row labels: 2, 7\)",
    ):
        _ci(bad)


def test_fractional_event_code(small):
    bad = small.copy()
    bad["event"] = bad["event"].astype(float)
    bad.loc[5, "event"] = 1.5
    with pytest.raises(DataValidationError, match=r"found \{1\.5\} in 1 row \(first row labels: 5\)"):
        _ci(bad)


def test_string_event_codes(small):
    bad = small.assign(event=small["event"].map({0: "censored", 1: "relapse", 2: "death"}))
    with pytest.raises(DataValidationError, match=r"event_col 'event' must hold integer event codes"):
        _ci(bad)


def test_event_of_interest_not_present(small):
    with pytest.raises(
        DataValidationError,
        match=r"event_of_interest 3 does not occur in event_col 'event' \(codes present: 0, 1, "
        r"2\); choose one of the causes 1, 2, or check the coding",
    ):
        _ci(small, event_of_interest=3)


def test_all_censored(small):
    with pytest.raises(DataValidationError, match=r"the column has no failures at all"):
        _ci(small.assign(event=0))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0, r"The 'event_of_interest' parameter of cumulative_incidence must be ≥ 1; got 0"),
        (1.0, r"The 'event_of_interest' parameter of cumulative_incidence must be a whole number"),
        (True, r"must be a whole number; got True"),
        ("1", r"must be a whole number; got '1'"),
    ],
)
def test_bad_event_of_interest_parameter(small, value, match):
    with pytest.raises(ParameterError, match=match):
        _ci(small, event_of_interest=value)


def test_missing_column(small):
    with pytest.raises(DataValidationError, match=r"time_col 'months' is not a column of data"):
        _ci(small, time_col="months")
    with pytest.raises(DataValidationError, match=r"group_col 'arm' is not a column of data"):
        _ci(small, group_col="arm")


def test_nan_raises_and_drop_counts(small):
    holes = small.copy()
    holes.loc[[1, 9], "time"] = np.nan
    holes.loc[4, "event"] = np.nan
    with pytest.raises(
        DataValidationError,
        match=r"time_col 'time' has 2 missing values \(first row labels: 1, 9\); pass "
        r"missing='drop'",
    ):
        _ci(holes)
    res = _ci(holes, group_col="group", missing="drop")
    ref = _ci(small.drop(index=[1, 4, 9]), group_col="group")
    assert res.n_obs == 57 and res.n_dropped == 3
    pd.testing.assert_frame_equal(res.table, ref.table)
    assert res.gray_test.n_dropped == 3


def test_negative_time(small):
    bad = small.copy()
    bad.loc[0, "time"] = -2.0
    with pytest.raises(DataValidationError, match=r"time_col 'time' has 1 negative value"):
        _ci(bad)


def test_single_group(small):
    with pytest.raises(DataValidationError, match=r"group_col 'one' has a single level \('x'\)"):
        _ci(small.assign(one="x"), group_col="one")


def test_empty_and_not_a_frame(small):
    with pytest.raises(DataValidationError, match=r"data has no rows"):
        _ci(small.iloc[:0])
    with pytest.raises(DataValidationError, match=r"data must be a pandas DataFrame"):
        _ci(small.to_dict())


def test_bad_conf_level(small):
    with pytest.raises(ParameterError, match=r"'conf_level' parameter of cumulative_incidence"):
        _ci(small, conf_level=95)


@pytest.mark.parametrize("times", [-1.0, [1.0, np.nan], [], "5", [np.inf]])
def test_at_bad_times(small, times):
    res = _ci(small)
    with pytest.raises(ParameterError, match=r"The 'times' parameter of "
                                             r"CumulativeIncidenceResult\.at must be"):
        res.at(times)


def test_boolean_event_column(small):
    """A True/False column is a one-cause problem: the CIF is 1 - Kaplan–Meier."""
    from lifelines import KaplanMeierFitter

    data = small.assign(dead=small["event"] > 0)
    res = _ci(data, event_col="dead")
    km = KaplanMeierFitter().fit(data["time"], data["dead"])
    s = km.survival_function_at_times(res.table["time"]).to_numpy()
    assert_allclose(res.table["cif"], 1.0 - s, rtol=1e-12)


# --------------------------------------------------------------------------- cross-checks
def test_causes_add_up_to_one_minus_km(small):
    """Sum over causes of F_k(t) = 1 - S(t) (lifelines' KM of any failure)."""
    from lifelines import KaplanMeierFitter

    data = load_input("competing", "medium")
    grid = np.unique(data["time"])
    total = sum(_ci(data, event_of_interest=k).at(grid)["cif"].to_numpy() for k in (1, 2, 3))
    km = KaplanMeierFitter().fit(data["time"], data["event"] > 0)
    assert_allclose(total, 1.0 - km.survival_function_at_times(grid).to_numpy(), rtol=1e-12,
                    atol=1e-15)


def test_matches_lifelines_aalen_johansen_without_ties(rng):
    """Without tied times lifelines' AalenJohansenFitter does not jitter and its estimate is
    the same Aalen–Johansen estimate."""
    from lifelines import AalenJohansenFitter

    n = 150
    data = pd.DataFrame({
        "time": rng.exponential(5.0, n),
        "event": rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2]),
    })
    res = _ci(data)
    ajf = AalenJohansenFitter(calculate_variance=False).fit(data["time"], data["event"],
                                                            event_of_interest=1)
    lifelines_cif = ajf.cumulative_density_.iloc[:, 0]
    ref = lifelines_cif.reindex(res.table["time"].to_numpy(), method="ffill").to_numpy()
    assert_allclose(res.table["cif"], ref, rtol=1e-12)


# --------------------------------------------------------------------------- properties
@st.composite
def cohorts(draw):
    n = draw(st.integers(min_value=2, max_value=40))
    times = draw(st.lists(st.integers(min_value=0, max_value=12), min_size=n, max_size=n))
    codes = draw(st.lists(st.integers(min_value=0, max_value=3), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    codes[0] = 1  # the cause of interest occurs
    groups[0], groups[-1] = "a", "b"
    return pd.DataFrame({"time": np.array(times, float) / 2, "event": codes, "group": groups})


_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


def _quiet_fit(data, **kw):
    import warnings

    from ctcstats.errors import DataWarning

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = _ci(data, group_col="group", **kw)
    # the only warnings allowed are the documented DataWarnings (group without failures,
    # singular Gray variance), and each one is recorded on the result
    assert all(issubclass(w.category, DataWarning) for w in rec)
    assert len(rec) == len(res.warnings)
    return res


@_SETTINGS
@given(cohorts())
def test_estimates_in_range_monotone_and_inside_ci(data):
    res = _quiet_fit(data)
    for _, rows in res.table.groupby("group"):
        f = rows["cif"].to_numpy()
        assert np.all((f > 0) & (f <= 1.0 + 1e-12))
        assert np.all(np.diff(f) > 0)
        assert np.all(rows["std_error"].to_numpy() >= 0)
        assert np.all(rows["ci_lower"].to_numpy() <= f + 1e-12)
        assert np.all(rows["ci_upper"].to_numpy() >= f - 1e-12)
        assert np.all((rows["ci_lower"] >= 0) & (rows["ci_upper"] <= 1))
    if np.isfinite(res.gray_test.statistic):
        assert res.gray_test.statistic >= -1e-9
        assert 0.0 <= res.gray_test.p_value <= 1.0


@_SETTINGS
@given(cohorts(), st.randoms(use_true_random=False))
def test_row_order_invariance_and_input_unchanged(data, random):
    before = data.copy(deep=True)
    res = _quiet_fit(data)
    pd.testing.assert_frame_equal(data, before)
    perm = list(range(len(data)))
    random.shuffle(perm)
    res2 = _quiet_fit(data.iloc[perm])
    pd.testing.assert_frame_equal(res.table, res2.table, check_exact=True)
    grid = np.linspace(0.0, 7.0, 8)
    pd.testing.assert_frame_equal(res.at(grid), res2.at(grid), check_exact=True)
    a, b = res.gray_test.statistic, res2.gray_test.statistic
    assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_fast_for_ten_thousand(rng):
    import time

    n = 10_000
    data = pd.DataFrame({
        "time": np.round(rng.exponential(10.0, n), 1),
        "event": rng.choice([0, 1, 2, 3], n),
        "group": rng.choice(["a", "b", "c"], n),
        "strata": rng.choice(["s1", "s2"], n),
    })
    start = time.perf_counter()
    res = _ci(data, group_col="group", strata_col="strata")
    assert time.perf_counter() - start < 1.0
    assert res.gray_test.df == 2.0


def test_cif_near_one_has_finite_limits_without_overflow_warning():
    """Found by hypothesis: all but a few patients fail from cause 1 at time 0, so F ≈ 1 and
    the log(−log) exponent overflows; the limits must still come out without a warning."""
    import warnings

    from ctcstats.errors import DataWarning

    rows = [(0.0, 1, "a")] + [(0.0, 0, "a")] * 6 + [(0.0, 1, "a")] * 3 + [(0.5, 1, "a")] * 3
    d = pd.DataFrame(rows + [(0.0, 0, "b")], columns=["time", "event", "group"])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = _ci(d, group_col="group")
    assert [w.category for w in rec] == [DataWarning]  # only the documented group-b note
    tab = res.table
    assert ((tab["ci_lower"] <= tab["cif"]) & (tab["cif"] <= tab["ci_upper"])).all()
    last = tab.iloc[-1]  # every patient of group a has failed by 0.5: F = 1 up to rounding
    assert abs(last["cif"] - 1) < 1e-12 and last["ci_lower"] > 0.999
