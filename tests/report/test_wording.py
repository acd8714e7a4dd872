"""Issue 14, clinician-facing wording: a time of one unit reads "1 year" (never "1 years")
everywhere in the report, and a hazard ratio of a 0/1 or True/False covariate says which value
it compares with which ("node_positive (1 vs 0)") in the tables and the forest plot."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from ctcstats.report import build_report
from ctcstats.report.context import prepare_context
from ctcstats.report.spec import spec_from_dict

from ._cohort import small_cohort


def _cohort_in_years() -> pd.DataFrame:
    df = small_cohort(n=160)
    df = df.drop(columns=[c for c in df.columns if c.startswith("<")])
    df["os_years"] = df.pop("os_months") / 12.0
    g = np.random.default_rng(5)
    df["node_positive"] = g.integers(0, 2, len(df))
    df["hr_positive"] = g.random(len(df)) < 0.6
    df["stage"] = g.integers(1, 3, len(df))  # two values 1, 2: the HR is 2 vs 1
    df["dose"] = g.choice([0.0, 2.0], len(df))  # two values 0, 2: the HR is per 1 unit
    return df


def _spec(**kw):
    return spec_from_dict({
        "marker_col": "ctc_count", "thresholds": [5], "marker_label": "CTC",
        "covariates": ["age", "node_positive", "hr_positive"], "time_unit": "years",
        "horizons": [1], "landmarks": [1],
        "endpoints": [{"name": "os", "time_col": "os_years", "event_col": "os_event"}],
        "analyses": {"prognostic": True, "piecewise": "always", "split_at": [1]}, **kw})


@pytest.fixture(scope="module")
def page() -> str:
    return build_report(_cohort_in_years(), _spec())


def test_one_year_is_singular_everywhere(page):
    text = html.unescape(page)
    # the plural after a lone 1 nowhere: tables, captions, notes, figure texts (SVG <text>)
    assert not re.findall(r"\b1 (?:years|months|weeks|days)\b", text)
    assert "survival at 1 year (95% CI)" in text  # Kaplan–Meier column header
    assert "AUC / Brier at 1 year" in text  # prognostic table header
    assert ">Predicted risk by 1 year</text>" in text  # calibration figure axis label
    assert "Decision curves, os at 1 year" in text  # figure title
    assert "follow-up split at 1 year" in text and "CTC ≥ 5, 0–1 year" in text  # piecewise
    assert "Landmark analyses restart the clock at 1 year among" in text  # methods
    assert "landmark at 1 year (" in text  # REMARK profile
    # units without a number keep the plural
    assert "median, years (95% CI)" in text and "Time (years)" in text


def test_binary_covariates_say_which_value_is_compared(page):
    text = html.unescape(re.sub(r"\s+", " ", page))
    for label in ("node_positive (1 vs 0)", "hr_positive (True vs False)", "age (per 1 unit)"):
        # univariable and multivariable tables, and the forest plot's tick labels
        assert text.count(f"<td>{label}</td>") == 2, label
        assert re.search(rf'\)">{re.escape(label)}</text>', text), label
    cox_tables = [t for t in re.findall(r"<table.*?</table>", text) if "HR (95% CI)" in t]
    assert len(cox_tables) == 3  # univariable, multivariable, piecewise (the marker only)
    for t in cox_tables:
        assert "<td>node_positive</td>" not in t and "<td>hr_positive</td>" not in t
        assert "<td>age</td>" not in t
    assert ("a two-valued covariate's compares the values named beside it (1 vs 0, True vs "
            "False)") in text  # the statistical methods say so once
    # the marker's own term names its group: no suffix
    assert "<td>CTC ≥ 5</td>" in text and "CTC ≥ 5 (1 vs 0)" not in text


def test_term_label_rules():
    df = _cohort_in_years()
    ctx = prepare_context(df, _spec(covariates=["age", "node_positive", "hr_positive",
                                                "stage", "dose", "centre"]))
    assert ctx.term_label("node_positive") == "node_positive (1 vs 0)"
    assert ctx.term_label("hr_positive") == "hr_positive (True vs False)"
    assert ctx.term_label("stage") == "stage (2 vs 1)"
    assert ctx.term_label("dose") == "dose (per 1 unit)"
    assert ctx.term_label("age") == "age (per 1 unit)"
    # a categorical indicator names its level and the reference (the first level)
    assert ctx.term_label("centre[south]") == "centre: south vs north"
    assert ctx.term_label("centre[north]") == "centre[north]"  # the reference: no term
    assert ctx.term_label("nosuch[x]") == "nosuch[x]"
    assert ctx.term_label(ctx.term) == ctx.term == "CTC ≥ 5"
    # 0/1 stored as floats reads the same
    ctx = prepare_context(df.assign(node_positive=df["node_positive"].astype(float)), _spec())
    assert ctx.term_label("node_positive") == "node_positive (1 vs 0)"
    assert df["node_positive"].dtype.kind == "i"  # input not mutated
