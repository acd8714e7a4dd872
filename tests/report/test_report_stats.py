"""Statistics content of the report sections (issue 14b): events per variable, PH wording,
Firth at low EPV. Sections are built directly from a prepared context (no full report)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
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


def _competing_cohort(seed=5, n=300):
    """Disease-specific survival with deaths from other causes (competing) and OS."""
    g = np.random.default_rng(seed)
    ctc = g.integers(0, 12, n) * (g.random(n) < 0.4)
    age = g.normal(60, 9, n).round()
    t_dss = g.exponential(50 / np.exp(0.8 * (ctc >= 5)))
    t_other = g.exponential(80, n)
    c = g.uniform(12, 60, n)
    t = np.minimum.reduce([t_dss, t_other, c])
    dss_event = (t == t_dss).astype(int)
    died = (t == t_dss) | (t == t_other)
    return pd.DataFrame({"ctc_count": ctc, "age": age, "grade": g.integers(1, 4, n),
                         "dss_months": t.round(3), "dss_event": dss_event,
                         "os_months": t.round(3), "os_event": died.astype(int)})


def test_competing_risks_section_matches_the_multistate_functions():
    from ctcstats.multistate import competing_incidence
    from ctcstats.report.sections.competing import (
        competing_codes,
        competing_endpoints,
        section_competing,
    )

    df = _competing_cohort()
    spec = _spec(endpoints=(EndpointSpec("dss", "dss_months", "dss_event",
                                         label="disease-specific survival"),
                            EndpointSpec("os", "os_months", "os_event")),
                 horizons=(12.0, 24.0))
    ctx = prepare_context(df, spec)
    assert [e.name for e in competing_endpoints(ctx)] == ["dss"]
    code = competing_codes(ctx, ctx.spec.endpoints[0])
    expect = np.where(df["dss_event"] == 1, 1, np.where(df["os_event"] == 1, 2, 0))
    assert np.array_equal(code, expect[ctx.frame.index])
    text = _text(section_competing(ctx))
    ci = ctx.results["competing:dss"]
    direct = competing_incidence(ctx.frame.assign(e=code), time_col="dss_months", event_col="e",
                                 cause_labels={1: "DSS event", 2: "death without the event"},
                                 group_col=ctx.group_col)
    pd.testing.assert_frame_equal(ci.gray_tests, direct.gray_tests)
    r = direct.at([24.0]).iloc[0]
    assert f"{100 * r['cif']:.1f} ({100 * r['ci_lower']:.1f}–{100 * r['ci_upper']:.1f})" in text
    assert "Gray p" in text and "subdistribution HR (95% CI)" in text
    assert "1 − KM, deaths censored (%)" in text
    cs = ctx.results["cause_specific:dss"]
    assert set(cs.causes) == {"DSS event", "death without the event"}


def test_no_competing_section_without_competing_deaths():
    from ctcstats.report.sections.competing import competing_endpoints

    ctx = prepare_context(_cohort(240), _spec(endpoints=(
        EndpointSpec("pfs", "pfs_months", "pfs_event"), EndpointSpec("os", "os_months",
                                                                     "os_event"))))
    assert competing_endpoints(ctx) == []


def test_spline_section_beside_the_dichotomised_hr():
    from ctcstats.report.sections.spline import section_spline
    from ctcstats.report.sections.survival import section_multivariable

    ctx = prepare_context(_cohort(240), _spec())
    section_multivariable(ctx, ctx.spec.primary)
    text = _text(section_spline(ctx))
    sp = ctx.results["count_spline"]
    assert sp.knots.size >= 3 and sp.df_nonlinear == sp.knots.size - 2
    assert f"{sp.lr_nonlinear:.2f} on {sp.df_nonlinear} df" in text
    assert "Dichotomised at ≥ 5 in the multivariable model" in text
    assert "HR vs count 0 (95% CI)" in text and "figure" in text
    c0 = sp.curve.loc[sp.curve["count"] == 0].iloc[0]
    assert c0["hr"] == 1.0 and c0["std_error"] == 0.0


def test_detectable_hr_inverts_schoenfeld():
    from ctcstats.designs.formulas import schoenfeld_events, schoenfeld_power
    from ctcstats.report.sections.methods import detectable_hr

    for d, p in ((100, 0.5), (465, 0.2), (33, 0.35)):
        hr = detectable_hr(d, p)
        assert hr > 1
        np.testing.assert_allclose(schoenfeld_power(hr, events=d, prevalence=p), 0.8,
                                   rtol=1e-10)
        np.testing.assert_allclose(schoenfeld_events(hr, prevalence=p), d, rtol=1e-10)
    assert np.isnan(detectable_hr(0, 0.3))


def test_methods_sample_size_and_profile_sections():
    from ctcstats.report.sections.methods import (
        detectable_hr,
        section_methods,
        section_profile,
        section_sample_size,
    )

    ctx = prepare_context(_cohort(240), _spec())
    methods = _text(section_methods(ctx))
    assert "Efron ties" in methods and "no variable selection" in methods
    assert "restricted cubic spline of log(count + 1)" in methods
    size = _text(section_sample_size(ctx))
    d = int(ctx.frame["pfs_event"].sum())
    p = float(ctx.frame[ctx.term].mean())
    assert f"{detectable_hr(d, p):.2f}" in size
    profile = _text(section_profile(ctx))
    assert "REMARK profile (Altman et al. 2012)" in profile
    assert f"PFS {d}" in profile and "A2 Multivariable" in profile


def test_remark_items_in_full():
    from ctcstats.report.sections.remark import REMARK_ITEMS

    assert "(at least age and sex)" in REMARK_ITEMS[13]
    assert "Kaplan–Meier plot is recommended" in REMARK_ITEMS[15]
    assert len(REMARK_ITEMS) == 20


def test_continuous_covariates_say_per_unit():
    ctx = prepare_context(_cohort(240), _spec())
    text = _text(section_multivariable(ctx, ctx.spec.primary))
    assert "age (per 1 unit)" in text
    assert "grade: 2 vs 1" in text and "grade[" not in text and "(per 1 unit)" not in \
        text.split("grade: 2 vs 1")[1][:20]
    assert f"{ctx.term} (per 1 unit)" not in text


def test_spline_falls_back_to_log_linear_with_few_distinct_counts():
    from ctcstats.report.sections.spline import count_spline, section_spline
    from ctcstats.survival.cox import fit_cox

    df = _cohort(240)
    df["ctc_count"] = np.minimum(df["ctc_count"], 3) * (df["ctc_count"] > 5)  # 0 or 3
    df.loc[df.index[:30], "ctc_count"] = 1
    ctx = prepare_context(df, _spec(thresholds=(1,)))
    sp = count_spline(ctx.frame, count_col="ctc_count", time_col="pfs_months",
                      event_col="pfs_event", covariates=["age"])
    assert sp.knots.size == 0 and sp.df_nonlinear == 0 and np.isnan(sp.p_nonlinear_lr)
    lin = fit_cox(ctx.frame.assign(lx=np.log1p(ctx.frame["ctc_count"])),
                  time_col="pfs_months", event_col="pfs_event", covariates=["lx", "age"])
    np.testing.assert_allclose(sp.coef, [lin.table.loc["lx", "coef"]], rtol=1e-9)
    text = _text(section_spline(ctx))
    assert "enters the Cox model linearly on the log(count + 1) scale" in text
