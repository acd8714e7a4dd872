"""The shared result base: JSON-safe export, text and HTML display, immutability."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from ctcstats._results import TestResult, jsonable


@pytest.fixture
def res() -> TestResult:
    table = pd.DataFrame({"group": ["<b>x</b>", "y"], "observed": [3, 4], "expected": [np.nan, 2.5]})
    return TestResult(
        method="log-rank", statistic=3.2, df=1.0, p_value=np.float64(0.07), table=table,
        n_obs=10, n_dropped=2, warnings=("no events in group 'y'",),
    )


def test_to_dict_is_json_safe(res):
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)  # would fail on NaN / numpy types
    assert d["result"] == "TestResult"
    assert d["table"][0] == {"group": "<b>x</b>", "observed": 3, "expected": None}
    assert d["p_value"] == 0.07 and isinstance(d["p_value"], float)
    assert d["warnings"] == ["no events in group 'y'"]
    assert '"n_dropped": 2' in text


def test_str_and_html(res):
    s = str(res)
    assert s.splitlines()[0] == "Hypothesis test"
    assert "p_value" in s and "0.07" in s and "no events in group 'y'" in s
    h = res._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in h and "<b>x</b>" not in h  # user labels are escaped
    assert "<table" in h and "warnings" in h
    assert repr(res).startswith("<TestResult method=log-rank")


def test_frozen_and_to_frame_copy(res):
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.statistic = 1.0
    frame = res.to_frame()
    frame.loc[0, "observed"] = 99
    assert res.table.loc[0, "observed"] == 3


def test_jsonable_edge_cases():
    assert jsonable(np.int64(3)) == 3 and isinstance(jsonable(np.int64(3)), int)
    assert jsonable(float("inf")) is None
    assert jsonable(np.array([1.0, np.nan])) == [1.0, None]
    assert jsonable(pd.Series({"a": np.bool_(True)})) == {"a": True}
    indexed = pd.DataFrame({"coef": [0.1]}, index=pd.Index(["x"], name="term"))
    assert jsonable(indexed) == [{"term": "x", "coef": 0.1}]


def test_batch_power_and_synthetic_results_share_the_base():
    """Batch results, PowerAnalysis and SyntheticCohort are Results: to_dict (JSON-safe),
    warnings, HTML; the data-bearing ones also n_obs / n_dropped."""
    import ctcstats as cs
    from ctcstats._results import Result
    from ctcstats.designs.power import power_analysis

    rng = np.random.default_rng(2)
    long = pd.DataFrame({"replicate": np.repeat([0, 1], 40), "x": rng.integers(0, 2, 80),
                         "t": rng.exponential(1.0, 80).round(2), "e": rng.random(80) < 0.8})
    long.loc[3, "x"] = np.nan
    kw = dict(time_col="t", event_col="e", missing="drop")
    cox = cs.batch_cox(long, covariates=["x"], **kw)
    lr = cs.batch_logrank(long, group_col="x", **kw)
    sc = cs.simulate_study("hayes2006", n=30, rng=1)
    spec = power_analysis("janni2016")
    for res in (cox, lr, sc, spec):
        assert isinstance(res, Result)
        d = res.to_dict()
        json.dumps(d, allow_nan=False)
        assert d["result"] == type(res).__name__ and "warnings" in d
        assert res._repr_html_().startswith("<div class='ctcstats-result'>")
    for res in (cox, lr):
        assert (res.n_obs, res.n_dropped) == (79, 1)
        assert res.to_dict()["n_obs"] == 79
    assert sc.n_obs == 30 and len(sc.to_dict()["data"]) == 30
    assert spec.describe() in spec._repr_html_()


def test_simulate_cohort_returns_one_type():
    """A DataFrame of patients whatever the design; serial draws come from simulate_draws."""
    from ctcstats.designs import simulate_cohort, simulate_draws

    serial = simulate_cohort("hayes2006", n=20, rng=1)
    plain = simulate_cohort("lucci2012", n=20, rng=1)
    assert type(serial) is pd.DataFrame and type(plain) is pd.DataFrame
    draws = simulate_draws("hayes2006", n=20, rng=1)
    assert set(draws["patient_id"]) <= set(serial["patient_id"])


def test_tables_are_read_only_and_isolated(res):
    import pickle
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas: assignment to a temporary
        with pytest.raises(ValueError, match="read-only"):
            res.table.loc[0, "expected"] = 5.0
        with pytest.raises(ValueError, match="read-only"):
            res.table.loc[1, "observed"] = 7
    view = res.table
    view["observed"] = 0  # a replaced column reaches only this view
    view.sort_values("group", ascending=False, inplace=True)
    assert res.table["observed"].tolist() == [3, 4]
    assert res.table is not res.table  # a fresh view on each access
    copy = res.to_frame()
    copy.loc[0, "observed"] = 99  # to_frame() is writeable
    assert res.table.loc[0, "observed"] == 3
    again = pickle.loads(pickle.dumps(res))  # unpickled arrays are locked again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match="read-only"):
            again.table.loc[0, "expected"] = 5.0


def test_caller_frames_are_not_locked_and_extension_columns_are_copied():
    table = pd.DataFrame({"group": pd.Categorical(["a", "b"]), "observed": [3.0, 4.0],
                          "n": pd.array([1, None], dtype="Int64")})
    res = TestResult(method="x", statistic=1.0, df=1.0, p_value=0.5, table=table, n_obs=2)
    table.loc[0, "observed"] = 10.0  # the caller's frame stays writeable and is not shared
    assert res.table.loc[0, "observed"] == 3.0
    view = res.table
    view.loc[0, "group"] = "b"  # extension columns cannot be locked: a deep copy per access
    view.loc[1, "n"] = 5
    assert res.table["group"].tolist() == ["a", "b"] and res.table["n"].isna().iloc[1]
    assert res.table["group"].dtype == "category"


def test_array_fields_are_read_only():
    from ctcstats.batch.cox import batch_cox_arrays

    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (2, 50)).astype(float)
    coef_in = rng.exponential(1.0, (2, 50))
    fit = batch_cox_arrays(coef_in, np.ones_like(coef_in), x[:, :, None])
    with pytest.raises(ValueError, match="read-only"):
        fit.coef[0, 0] = 1.0
    coef_in[0, 0] = 1.0  # the caller's input is untouched by the locking
