"""The boundary checks: every message names the column, says what is wrong and how to fix it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ctcstats._validation import (
    check_choice,
    check_conf_level,
    check_count_column,
    check_event_codes,
    check_event_column,
    check_group_column,
    check_int,
    check_positive_column,
    check_real,
    check_rng,
    check_time_column,
    design_matrix,
    format_labels,
    prepare_frame,
)
from ctcstats.errors import DataValidationError, ParameterError


@pytest.fixture
def cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "os_months": [1.0, 2.5, 3.0, 4.0, 5.5],
            "os_event": [1, 0, 1, 1, 0],
            "grade": ["G2", "G1", "G3", "G2", "G1"],
            "age": [50.0, 61.0, 45.0, 70.0, 55.0],
        },
        index=[17, 42, 108, 7, 9],
    )


def test_missing_column_names_role_and_lists_available(cohort):
    with pytest.raises(DataValidationError, match=r"time_col 'pfs_months' is not a column.*'os_months'"):
        prepare_frame(cohort, func="f", roles={"time_col": "pfs_months"})


def test_not_a_dataframe():
    with pytest.raises(DataValidationError, match="data must be a pandas DataFrame; got dict"):
        prepare_frame({"a": [1]}, func="f", roles={"time_col": "a"})


def test_empty_frame(cohort):
    with pytest.raises(DataValidationError, match="data has no rows; f needs at least one patient"):
        prepare_frame(cohort.iloc[:0], func="f", roles={"time_col": "os_months"})


def test_missing_values_raise_with_row_labels(cohort):
    df = cohort.copy()
    df.loc[[42, 7], "age"] = np.nan
    with pytest.raises(
        DataValidationError,
        match=r"covariates 'age' has 2 missing values \(first row labels: 42, 7\); pass missing='drop'",
    ):
        prepare_frame(df, func="f", roles={"time_col": "os_months", "covariates": ["age"]})


def test_missing_drop_counts_and_keeps_labels(cohort):
    df = cohort.copy()
    df.loc[42, "age"] = np.nan
    before = df.copy()
    prep = prepare_frame(
        df, func="f", roles={"time_col": "os_months", "covariates": ["age"]}, missing="drop"
    )
    assert prep.n_obs == 4 and prep.n_dropped == 1
    assert prep.dropped_index == (42,)
    assert prep.dropped_by_column == {"age": 1}
    assert list(prep.frame.index) == [17, 108, 7, 9]
    pd.testing.assert_frame_equal(df, before)  # input never mutated
    prep.frame.loc[17, "age"] = -1.0
    assert df.loc[17, "age"] == 50.0  # the prepared frame is a copy


def test_missing_drop_everything_is_an_error(cohort):
    df = cohort.assign(age=np.nan)
    with pytest.raises(DataValidationError, match="every row has a missing value"):
        prepare_frame(df, func="f", roles={"covariates": ["age"]}, missing="drop")


def test_missing_parameter_value(cohort):
    with pytest.raises(ParameterError, match="The 'missing' parameter of f must be one of 'raise', 'drop'; got 'omit'"):
        prepare_frame(cohort, func="f", roles={"time_col": "os_months"}, missing="omit")


@pytest.mark.parametrize("bad, found", [(2, r"\{2\}"), ("yes", r"\{'yes'\}")])
def test_event_codes_other_than_binary(cohort, bad, found):
    df = cohort.astype({"os_event": object})
    df.loc[[17, 108], "os_event"] = bad
    with pytest.raises(
        DataValidationError,
        match=rf"event_col 'os_event' must contain only 0/1 or True/False; found {found} in 2 rows \(first row labels: 17, 108\)",
    ):
        check_event_column(df, "os_event")


def test_event_bool_and_float_accepted(cohort):
    df = cohort.assign(b=cohort["os_event"].astype(bool), f=cohort["os_event"].astype(float))
    np.testing.assert_array_equal(check_event_column(df, "b"), [1, 0, 1, 1, 0])
    np.testing.assert_array_equal(check_event_column(df, "f"), [1, 0, 1, 1, 0])


def test_negative_times(cohort):
    df = cohort.copy()
    df.loc[[42, 9], "os_months"] = -1.0
    with pytest.raises(
        DataValidationError,
        match=r"time_col 'os_months' has 2 negative values \(first row labels: 42, 9\); times must be ≥ 0 \(check the date arithmetic\)",
    ):
        check_time_column(df, "os_months")


def test_infinite_times(cohort):
    df = cohort.copy()
    df.loc[17, "os_months"] = np.inf
    with pytest.raises(DataValidationError, match=r"time_col 'os_months' has 1 infinite value \(first row labels: 17\)"):
        check_time_column(df, "os_months")


def test_string_times(cohort):
    df = cohort.assign(os_months=["1", "2", "x", "4", "5"])
    with pytest.raises(DataValidationError, match=r"time_col 'os_months' must hold numeric follow-up times.*'x' in row 108"):
        check_time_column(df, "os_months")


def test_competing_event_codes():
    df = pd.DataFrame({"status": [0, 1, 2, 1.5, -1]})
    with pytest.raises(DataValidationError, match=r"event_col 'status' must contain whole-number event codes ≥ 0.*in 2 rows"):
        check_event_codes(df, "status")
    np.testing.assert_array_equal(check_event_codes(df.iloc[:3], "status"), [0, 1, 2])


def test_counts():
    df = pd.DataFrame({"ctc_count": [0, 3, 2.5, 1]}, index=[1, 14, 15, 16])
    with pytest.raises(
        DataValidationError,
        match=r"count_col 'ctc_count' has 1 non-integer value \(e.g. 2.5 in row 15\); counts must be whole numbers — did you pass a concentration\?",
    ):
        check_count_column(df, "ctc_count")
    with pytest.raises(DataValidationError, match=r"count_col 'ctc_count' has 1 negative value"):
        check_count_column(pd.DataFrame({"ctc_count": [0, -1]}), "ctc_count")
    out = check_count_column(pd.DataFrame({"ctc_count": [0.0, 4.0]}), "ctc_count")
    assert out.dtype == np.int64 and out.tolist() == [0, 4]


def test_volumes_must_be_positive():
    df = pd.DataFrame({"blood_volume_ml": [7.5, 0.0, 30.0]})
    with pytest.raises(DataValidationError, match=r"volume_col 'blood_volume_ml' has 1 non-positive value"):
        check_positive_column(df, "blood_volume_ml", role="volume_col")


def test_single_group(cohort):
    df = cohort.assign(ctc_group="≥5 CTC")
    with pytest.raises(
        DataValidationError,
        match=r"group_col 'ctc_group' has a single level \('≥5 CTC'\); logrank_test needs at least 2 groups",
    ):
        check_group_column(df, "ctc_group", func="logrank_test")


def test_group_levels_sorted_or_categorical_order(cohort):
    _, levels = check_group_column(cohort, "grade", func="f")
    assert levels == ["G1", "G2", "G3"]
    df = cohort.assign(grade=pd.Categorical(cohort["grade"], categories=["G3", "G2", "G1", "G4"]))
    _, levels = check_group_column(df, "grade", func="f")
    assert levels == ["G3", "G2", "G1"]  # category order kept, unused level dropped


def test_design_matrix_indicators_against_first_sorted_level(cohort):
    X, names = design_matrix(cohort, ["age", "grade"], func="fit_cox")
    assert names == ["age", "grade[G2]", "grade[G3]"]
    np.testing.assert_array_equal(X[:, 1], [1, 0, 0, 1, 0])
    np.testing.assert_array_equal(X[:, 2], [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(X[:, 0], cohort["age"].to_numpy())


def test_design_matrix_errors(cohort):
    with pytest.raises(DataValidationError, match=r"covariate 'k' is constant \(every value is 3\)"):
        design_matrix(cohort.assign(k=3), ["k"], func="fit_cox")
    with pytest.raises(DataValidationError, match=r"covariate 'g' has a single level \('a' in every row\)"):
        design_matrix(cohort.assign(g="a"), ["g"], func="fit_cox")
    with pytest.raises(ParameterError, match=r"must be a list of column names; got the string 'age' \(write \['age'\]\)"):
        design_matrix(cohort, "age", func="fit_cox")
    with pytest.raises(ParameterError, match="names a column twice"):
        design_matrix(cohort, ["age", "age"], func="fit_cox")


def test_parameter_checks():
    assert check_conf_level(0.9, func="f") == 0.9
    with pytest.raises(ParameterError, match=r"The 'conf_level' parameter of kaplan_meier must be in \(0, 1\); got 95 \(give a proportion"):
        check_conf_level(95, func="kaplan_meier")
    with pytest.raises(ParameterError, match=r"must be in \(0, 1\); got True"):
        check_conf_level(True, func="f")
    with pytest.raises(ParameterError, match=r"The 'ties' parameter of fit_cox must be one of 'efron', 'breslow'; got 'exact'"):
        check_choice("exact", name="ties", choices=("efron", "breslow"), func="fit_cox")
    assert check_real(0.5, name="p", func="f", low=0, high=1) == 0.5
    with pytest.raises(ParameterError, match=r"The 'p' parameter of f must be in \(0, 1\]; got 0"):
        check_real(0, name="p", func="f", low=0, high=1, low_inclusive=False)
    with pytest.raises(ParameterError, match="must be a finite number; got nan"):
        check_real(float("nan"), name="p", func="f")
    assert check_int(np.int64(3), name="n", func="f", minimum=1) == 3
    with pytest.raises(ParameterError, match=r"The 'n' parameter of f must be ≥ 1; got 0"):
        check_int(0, name="n", func="f", minimum=1)
    with pytest.raises(ParameterError, match="must be a whole number; got 2.5"):
        check_int(2.5, name="n", func="f")


def test_rng_convention():
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    assert check_rng(5).integers(1000) == np.random.default_rng(5).integers(1000)
    with pytest.raises(ParameterError, match="The 'rng' parameter must be None, a non-negative "
                                             "int seed"):
        check_rng("seed")
    with pytest.raises(ParameterError, match=r"The 'rng' parameter of f must be None, a "
                                             r"non-negative int seed or a numpy Generator; "
                                             r"got -1\."):
        check_rng(-1, func="f")


def test_format_labels_truncates():
    assert format_labels([1, 2, 3, 4]) == "1, 2, 3, …"
    assert format_labels(["a"]) == "'a'"
    assert format_labels(np.array([np.int64(5)])) == "5"


def test_r_surv_coding_1_2_gets_a_hint(cohort):
    df = cohort.assign(os_event=cohort["os_event"] + 1)  # R's lung: 1 = censored, 2 = dead
    with pytest.raises(DataValidationError,
                       match=r"look like R's Surv\(\) coding, 1 = censored and 2 = event: use "
                             r"os_event - 1"):
        check_event_column(df, "os_event")
    df = cohort.assign(os_event=cohort["os_event"] * 2)  # 0/2: no such hint
    with pytest.raises(DataValidationError) as err:
        check_event_column(df, "os_event")
    assert "Surv()" not in str(err.value)


def test_number_like_text_read_once_per_distinct_value_equals_value_by_value():
    # _not_number_like reads a long text column's distinct strings only (a speed path);
    # the mask must be the value-by-value one, missing values (None, NaN, pd.NA) never bad
    from ctcstats._validation import _not_number_like, _not_number_like_each

    rng = np.random.default_rng(11)
    pool = np.array(["A", "b", " 1", "2,5", "3.5", "x", "nan", "", "1e3", "1,000", " 4 ",
                     "-2", "inf", "<NA>", "None"], dtype=object)
    cases = []
    for n in (10, 64, 65, 300, 5000):
        for miss in (None, np.nan, pd.NA):
            v = pool[rng.integers(0, pool.size, n)].copy()
            v[rng.random(n) < 0.1] = miss
            cases += [pd.Series(v, dtype=object), pd.Series(v, dtype=object).astype("string")]
    cases.append(pd.Series([1, "1", 1.0, True, "a", None] * 50, dtype=object))  # not all text
    cases.append(pd.Series([str(i) for i in range(1000)], dtype=object))  # all distinct
    cases.append(pd.Series([f"site {i % 4}" for i in range(1000)], dtype=object,
                           index=np.arange(1000)[::-1]))
    for s in cases:
        fast, each = _not_number_like(s), _not_number_like_each(s)
        assert fast.dtype == bool and fast.shape == (len(s),)
        np.testing.assert_array_equal(fast, each)
    # and it still tells text numbers from categories
    assert not _not_number_like(pd.Series(["1,5", "2", None] * 100, dtype=object)).any()
    assert _not_number_like(pd.Series(["a", "b", None] * 100, dtype=object))[:2].all()
