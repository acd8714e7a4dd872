"""Statistics content of the report sections (issue 14b): events per variable, PH wording,
Firth at low EPV. Sections are built directly from a prepared context (no full report)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ctcstats.errors import SmallSampleWarning
from ctcstats.report import Analyses, AnalysisSpec, EndpointSpec
from ctcstats.report.context import prepare_context
from ctcstats.report.sections.survival import (
    EPV_MIN,
    events_per_variable,
    section_multivariable,
)

from ._cohort import small_cohort


def _spec(**kw) -> AnalysisSpec:
    base = dict(
        title="stats", marker_col="ctc_count", marker_label="CTC",
        endpoints=(EndpointSpec("pfs", "pfs_months", "pfs_event",
                                label="progression-free survival"),),
        thresholds=(5,), covariates=("age", "grade"), categorical=("grade",),
        analyses=Analyses(cutpoint=False, categories=(), piecewise="never",
                          prognostic=False),
        seed=3,
    )
    base.update(kw)
    return AnalysisSpec(**base)


def _text(blocks) -> str:
    return repr(blocks)


def _cohort(n):
    return small_cohort(n=n).rename(columns={"<script>alert('x')</script>": "grade"})


def test_events_per_variable_warns_below_ten():
    with pytest.warns(SmallSampleWarning, match="9.5 events per variable"):
        assert events_per_variable(19, 2, model="m") == 9.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert events_per_variable(20, 2, model="m") == 10.0
    assert EPV_MIN == 10


def test_low_epv_model_shows_firth_beside_wald():
    ctx = prepare_context(_cohort(50), _spec())
    blocks = section_multivariable(ctx, ctx.spec.primary)
    cox = ctx.results["cox:pfs"]
    k = int(np.isfinite(cox.table["coef"]).sum())
    assert k == 4  # marker, age, two grade indicators
    epv = cox.n_events / k
    assert epv < EPV_MIN and ctx.results["epv:pfs"] == pytest.approx(epv)
    text = _text(blocks)
    assert f"{epv:.1f} events per variable (EPV)" in text
    assert "SmallSampleWarning" in text
    assert "Firth HR (95% profile CI)" in text and "penalised LR p" in text
    firth = ctx.results["cox_firth:pfs"]
    assert firth.p_value_test == "penalised_lr"


def test_adequate_epv_model_has_no_firth_and_no_warning():
    ctx = prepare_context(_cohort(240), _spec())
    blocks = section_multivariable(ctx, ctx.spec.primary)
    assert ctx.results["epv:pfs"] >= EPV_MIN
    text = _text(blocks)
    assert "SmallSampleWarning" not in text and "Firth" not in text
    assert "events per variable (EPV)" in text


def test_ph_wording_no_evidence_against_and_number_of_tests():
    ctx = prepare_context(_cohort(240), _spec(analyses=Analyses(
        cutpoint=False, categories=(), piecewise="auto", prognostic=False)))
    text = _text(section_multivariable(ctx, ctx.spec.primary))
    assert "holds" not in text
    ph = ctx.results["ph:pfs"]
    n = len(ph.table) - 1
    assert f"{n} term-wise tests and one global test" in text
    p_marker = ph.table.set_index("term").loc[ctx.term, "p_value"]
    if p_marker >= 0.05:
        assert "No evidence against proportional hazards for the marker" in text


def test_prognostic_section_reports_optimism_corrected_values_and_validation(monkeypatch):
    from ctcstats.report.sections import further

    monkeypatch.setattr(further, "N_BOOT", 15)
    spec = _spec(endpoints=(EndpointSpec("pfs", "pfs_months", "pfs_event"),),
                 analyses=Analyses(cutpoint=False, categories=(), piecewise="never",
                                   prognostic=True), horizons=(12.0,))
    ctx = prepare_context(_cohort(240), spec)
    text = _text(further.section_prognostic(ctx))
    av, val = ctx.results["added_value"], ctx.results["validation"]
    assert av.n_boot == 15 and val.n_boot == 15
    assert f"ΔC = {av.delta_c_corrected:.3f}" in text
    assert "difference, corrected" in text and "Noma et al. 2021" in text
    assert "Internal validation of the clinical + marker model" in text
    assert "REMARK item 18" in text
    slope = val.table.set_index("index").loc["slope", "corrected"]
    assert f"({slope:.2f}) is the shrinkage factor" in text
    # no in-sample calibration slope is printed: the apparent slope is 1 by construction
    assert "— (1 by construction)" in text and "Calibration slope" not in text
    assert "events per variable" in text
