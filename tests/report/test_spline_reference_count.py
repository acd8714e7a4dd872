"""The count spline's hazard ratios are against a count that patients have: 0, or the smallest
count observed when nobody has 0 (e.g. a lymph-node count in node-positive patients) — never
against an unobserved count resting on the spline's linear tail."""

from __future__ import annotations

import numpy as np
import pytest

from ctcstats.prognostic.calibration import rcs_basis
from ctcstats.report import Analyses, AnalysisSpec, EndpointSpec
from ctcstats.report.context import prepare_context
from ctcstats.report.sections.spline import count_spline, section_spline
from tests.reference._load import load_input

from ._cohort import small_cohort


def _spec() -> AnalysisSpec:
    return AnalysisSpec(
        title="stats", marker_col="ctc_count", marker_label="CTC",
        endpoints=(EndpointSpec("pfs", "pfs_months", "pfs_event",
                                label="progression-free survival"),),
        thresholds=(5,), covariates=("age",),
        analyses=Analyses(cutpoint=False, categories=(), piecewise="never", prognostic=False),
        seed=3)


def test_reference_is_zero_when_zero_is_observed():
    d = load_input("spline", "plateau")
    sp = count_spline(d, count_col="count", time_col="time", event_col="event",
                      covariates=["age"])
    assert sp.reference == 0.0
    assert sp.curve["count"].iloc[0] == 0.0 and sp.curve["count"].iloc[-1] == d["count"].max()
    assert sp.curve["log_hr"].iloc[0] == 0.0


@pytest.mark.parametrize("shift", [1, 3])
def test_reference_is_the_smallest_count_when_nobody_has_zero(shift):
    d = load_input("spline", "plateau")
    d = d.assign(count=d["count"] + shift)
    sp = count_spline(d, count_col="count", time_col="time", event_col="event",
                      covariates=["age"])
    assert sp.reference == shift
    cur = sp.curve
    assert cur["count"].min() == shift and cur["count"].max() == d["count"].max()
    assert cur["log_hr"].iloc[0] == 0.0 and cur["std_error"].iloc[0] == 0.0
    # each log HR is the spline's difference between the count and the reference
    b = rcs_basis(np.log1p(cur["count"].to_numpy(float)), sp.knots)
    b0 = rcs_basis(np.log1p(np.array([float(shift)])), sp.knots)
    np.testing.assert_allclose(cur["log_hr"], (b - b0) @ sp.coef, rtol=1e-12, atol=1e-14)


def test_report_section_names_the_reference_and_says_why():
    df = small_cohort(n=240)
    df = df.rename(columns={"<script>alert('x')</script>": "grade"})
    df["ctc_count"] = df["ctc_count"] + 1  # nobody has 0
    ctx = prepare_context(df, _spec())
    text = repr(section_spline(ctx))
    assert "HR vs count 1 (95% CI)" in text and "HR vs count 0" not in text
    assert "No patient has a count of 0" in text
    assert "Hazard ratio vs count 1" in text and "reference count 1)" in text
    assert "count 0" not in text
