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
