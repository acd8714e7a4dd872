"""Every public result class renders in Jupyter and exports to JSON.

For each ``Result`` subclass (everything in ``cs.__all__`` plus the power results of
``ctcstats.designs.power``) one instance is built through its public function on small
synthetic data. Checks: ``_repr_html_()`` is a non-empty, escaped HTML fragment that shows the
result's title and every column of every table it displays (the main table included, unless
the class deliberately hides it — listed below with the reason); ``str()`` works; ``to_dict()``
passes ``json.dumps(..., allow_nan=False)``. A coverage test fails when a new result class
appears without a builder here.
"""

from __future__ import annotations

import html
import inspect
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats._results import Result
from ctcstats.designs import power as pw
from ctcstats.designs import simulate_cohort

CLINICAL = ["tumor_size_cm", "node_positive", "grade"]

# Main tables that are intentionally not displayed (too long to be useful in a notebook).
HIDDEN_MAIN = {
    # replicates has n_sim rows (one per simulated cohort); the power and its CI are shown
    "PowerResult": "replicates",
}

# Classes with their own publication-style renderer instead of the generic one: checked
# against what that layout promises (here Table 1: every variable, every marker group).
CUSTOM_HTML = {"MarkerTableResult"}


# --------------------------------------------------------------------------- data
_CACHE: dict[str, object] = {}


def _cached(key: str, make: Callable[[], object]):
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def early() -> pd.DataFrame:
    """A small early-breast-cancer cohort (Janni 2016 design, 5 studies)."""
    return _cached("early", lambda: simulate_cohort("janni2016", n=600, rng=11))


def metastatic() -> pd.DataFrame:
    """A metastatic cohort with many events (Cristofanilli 2004 design)."""
    return _cached("metastatic", lambda: simulate_cohort("cristofanilli2004", n=240, rng=12))


def with_risks() -> pd.DataFrame:
    """The early cohort with predicted 5-year risks of a clinical and a clinical+CTC model."""

    def make():
        df = early().copy()
        y = cs.survival_target(df, time_col="dfs_months", event_col="dfs_event")
        base = cs.CoxModel().fit(df[CLINICAL], y)
        full = cs.CoxModel().fit(df[["ctc_positive", *CLINICAL]], y)
        df["risk_base"] = base.predict_risk(df[CLINICAL], 60)
        df["risk_full"] = full.predict_risk(df[["ctc_positive", *CLINICAL]], 60)
        df["risk_base_36"] = base.predict_risk(df[CLINICAL], 36)
        df["risk_full_36"] = full.predict_risk(df[["ctc_positive", *CLINICAL]], 36)
        return df

    return _cached("with_risks", make)


def published() -> pd.DataFrame:
    """Published hazard ratios: all study-level and pooled rows with a CI (≥ 10 rows, so that
    Egger's test does not warn about too few studies)."""
    hrs = cs.published_hazard_ratios()
    hrs = hrs[hrs["level"] != "meta-analysis"].reset_index(drop=True)
    hrs["study"] = hrs["study"] + " / " + hrs["endpoint"] + " #" + hrs.index.astype(str)
    return hrs


def cr_risks() -> pd.DataFrame:
    """competing() with the Fine–Gray predicted cumulative incidence of cause 1 by 60."""
    def make():
        df = competing()
        pred = cs.predict_cumulative_incidence(
            df, time_col="os_months", event_col="death_cause",
            covariates=["ctc_positive", "node_positive"], horizon=60)
        return df.assign(cif60=pred.at(60))
    return _cached("cr_risks", make)


def competing() -> pd.DataFrame:
    df = early()
    cause = np.where(df["bcss_event"] == 1, 1, np.where(df["os_event"] == 1, 2, 0))
    return df.assign(death_cause=cause)


# --------------------------------------------------------------------------- builders
def _cox():
    return cs.fit_cox(early(), time_col="dfs_months", event_col="dfs_event",
                      covariates=["ctc_positive", *CLINICAL], strata_col="study")


def _count_fit():
    return cs.fit_count_model(metastatic(), count_col="ctc_count",
                              covariates=["hr_positive", "line_of_therapy"], kind="negbin",
                              volume_col="blood_volume_ml")


def _hayes():
    sc = _cached("hayes", lambda: cs.simulate_study("hayes2006", n=400, rng=1))
    return {"data": sc.data, "draws": sc.draws}


_LM = dict(time_col="pfs_months", event_col="pfs_event", marker_col="ctc_positive")

_JOINT_ROLES = dict(time_col="os_months", event_col="os_event", id_col="patient_id",
                   count_col="ctc_count", draw_time_col="draw_months",
                   volume_col="blood_volume_ml")


def _joint_sim():
    return _cached("joint_sim", lambda: cs.simulate_joint(n=60, rng=4))


def _joint_fit():
    return _cached("joint_fit", lambda: cs.fit_joint_model(
        _joint_sim().patients, draws=_joint_sim().draws, covariates=["visceral_mets"],
        random="intercept", n_knots=2, n_quad=5, **_JOINT_ROLES))


def _joint_history():
    sim = _joint_sim()
    d = sim.draws.merge(sim.patients, on=["patient_id", "visceral_mets"])
    return d.loc[(d["patient_id"] == d.loc[d["os_months"] > 3, "patient_id"].iloc[0])
                 & (d["draw_months"] < 3)]


BUILDERS: dict[str, Callable[[], Result]] = {
    "ReplicationResult": lambda: cs.replicate_design("lucci2012", rng=1),
    "SyntheticCohort": lambda: cs.simulate_study("hayes2006", n=200, rng=1),
    "LandmarkResult": lambda: cs.landmark_analysis(**_hayes(), landmarks=[0.0, 1.84],
                                                   window=0.7, **_LM),
    "TimeVaryingCoxResult": lambda: cs.fit_time_varying_cox(**_hayes(), **_LM),
    "GuaranteeTimeBiasResult": lambda: cs.guarantee_time_bias(**_hayes(), landmark=1.84,
                                                              window=0.7, **_LM),
    "TestResult": lambda: cs.logrank_test(
        early(), time_col="dfs_months", event_col="dfs_event", group_col="ctc_positive"),
    "ValidatedCohort": lambda: cs.validate_cohort(
        early(), time_col="dfs_months", event_col="dfs_event", marker_col="ctc_positive",
        count_col="ctc_count", study_col="study", id_col="patient_id", covariates=CLINICAL),
    "KaplanMeierResult": lambda: cs.kaplan_meier(
        early(), time_col="dfs_months", event_col="dfs_event", group_col="ctc_positive"),
    "PairwiseTestResult": lambda: cs.pairwise_logrank_test(
        early(), time_col="dfs_months", event_col="dfs_event", group_col="grade"),
    "CoxResult": _cox,
    "PHTestResult": lambda: cs.fit_cox(
        metastatic(), time_col="os_months", event_col="os_event",
        covariates=["ctc_positive", "hr_positive"]).ph_test(),
    "CumulativeIncidenceResult": lambda: cs.cumulative_incidence(
        competing(), time_col="os_months", event_col="death_cause", group_col="ctc_positive"),
    "FineGrayResult": lambda: cs.fit_fine_gray(
        competing(), time_col="os_months", event_col="death_cause",
        covariates=["ctc_positive", "node_positive"]),
    "CumulativeIncidencePrediction": lambda: cs.predict_cumulative_incidence(
        competing(), time_col="os_months", event_col="death_cause",
        covariates=["ctc_positive", "node_positive"], horizon=[36, 60]),
    "CompetingAUCResult": lambda: cs.competing_time_dependent_auc(
        cr_risks(), time_col="os_months", event_col="death_cause", risk_col="cif60",
        horizon=60),
    "CompetingBrierResult": lambda: cs.competing_brier_score(
        cr_risks(), time_col="os_months", event_col="death_cause", risk_col="cif60",
        horizon=60),
    "CompetingConcordanceResult": lambda: cs.competing_concordance_index(
        cr_risks(), time_col="os_months", event_col="death_cause", risk_col="cif60", tau=60),
    "CompetingCalibrationResult": lambda: cs.competing_calibration(
        cr_risks(), time_col="os_months", event_col="death_cause", risk_col="cif60",
        horizon=60),
    "CountModelResult": _count_fit,
    "CountModelComparison": lambda: cs.compare_count_models(
        metastatic(), count_col="ctc_count", covariates=["hr_positive"],
        kinds=("poisson", "negbin", "zinb"), volume_col="blood_volume_ml"),
    "DetectionRateResult": lambda: cs.detection_rates(
        metastatic(), count_col="ctc_count", thresholds=[1, 5], group_col="hr_positive"),
    "CutpointResult": lambda: cs.optimal_cutpoint(
        metastatic(), marker_col="ctc_count", time_col="os_months", event_col="os_event"),
    "CutpointStabilityResult": lambda: cs.cutpoint_stability(
        metastatic(), marker_col="ctc_count", time_col="os_months", event_col="os_event",
        n_boot=20, rng=3),
    "CutpointValidationResult": lambda: cs.validate_cutpoint(
        metastatic(), marker_col="ctc_count", time_col="os_months", event_col="os_event",
        method="split", rng=4),
    "MarkerTableResult": lambda: cs.marker_table(
        early(), marker_col="ctc_positive", covariates=["age", *CLINICAL],
        categorical=["node_positive", "grade"], smd=True),
    "MarkerAssociationResult": lambda: cs.marker_association(
        early(), marker_col="ctc_positive", covariates=CLINICAL),
    "ConcordanceResult": lambda: cs.concordance_index(
        with_risks(), time_col="dfs_months", event_col="dfs_event", risk_col="risk_full"),
    "TimeDependentAUCResult": lambda: cs.time_dependent_auc(
        with_risks(), time_col="dfs_months", event_col="dfs_event", risk_col="risk_full",
        horizon=60),
    "BrierResult": lambda: cs.brier_score(
        with_risks(), time_col="dfs_months", event_col="dfs_event", risk_col="risk_full",
        horizon=60),
    "IntegratedBrierResult": lambda: cs.integrated_brier_score(
        with_risks(), time_col="dfs_months", event_col="dfs_event",
        risk_cols={36: "risk_full_36", 60: "risk_full"}),
    "CalibrationResult": lambda: cs.calibration(
        with_risks(), time_col="dfs_months", event_col="dfs_event", risk_col="risk_full",
        horizon=60, n_groups=4),
    "DecisionCurveResult": lambda: cs.decision_curve(
        with_risks(), time_col="dfs_months", event_col="dfs_event",
        risk_cols=["risk_base", "risk_full"], horizon=60,
        thresholds=np.linspace(0.05, 0.3, 6)),
    "ReclassificationResult": lambda: cs.reclassification(
        with_risks(), time_col="dfs_months", event_col="dfs_event", base_risk_col="risk_base",
        risk_col="risk_full", horizon=60, n_boot=10, rng=5),
    "AddedValueResult": lambda: cs.added_value(
        early(), time_col="dfs_months", event_col="dfs_event", base_covariates=CLINICAL,
        new_covariates=["ctc_positive"], horizon=60, n_boot=10, rng=6),
    "NomogramResult": lambda: cs.nomogram(
        cs.CoxModel().fit(early()[["ctc_positive", *CLINICAL]],
                          cs.survival_target(early(), time_col="dfs_months",
                                             event_col="dfs_event")),
        early()[["ctc_positive", *CLINICAL]], horizon=[60]),
    "ValidationResult": lambda: cs.validate_model(
        cs.CoxModel(), early(), time_col="dfs_months", event_col="dfs_event",
        covariates=["ctc_positive", *CLINICAL], horizon=60, n_boot=5, rng=7),
    "ExternalValidationResult": lambda: cs.external_validation(
        cs.CoxModel(), simulate_cohort("janni2016", n=600, rng=99), time_col="dfs_months",
        event_col="dfs_event", covariates=["ctc_positive", *CLINICAL], horizon=60,
        train_data=early(), n_groups=4),
    "MetaResult": lambda: cs.meta_analysis(
        published(), estimate_col="log_hr", std_error_col="std_error", study_col="study",
        method="reml", test="knha"),
    "SubgroupMetaResult": lambda: cs.subgroup_meta_analysis(
        published(), estimate_col="log_hr", std_error_col="std_error", subgroup_col="marker",
        study_col="study"),
    "EggerResult": lambda: cs.egger_test(
        published(), estimate_col="log_hr", std_error_col="std_error"),
    "IPDMetaResult": lambda: cs.ipd_meta_analysis(
        early(), study_col="study", time_col="dfs_months", event_col="dfs_event",
        marker_col="ctc_positive"),
    "PooledResult": lambda: cs.pool(
        [early().sample(frac=1.0, replace=True, random_state=k) for k in range(3)],
        cs.fit_cox, time_col="dfs_months", event_col="dfs_event",
        covariates=["ctc_positive", *CLINICAL]),
    "PooledTestResult": lambda: cs.pooled_test(
        [early().sample(frac=1.0, replace=True, random_state=k) for k in range(4)],
        cs.fit_cox, terms=["ctc_positive", "grade"], time_col="dfs_months", event_col="dfs_event",
        covariates=["ctc_positive", *CLINICAL]),
    "CountMixedModelResult": lambda: cs.fit_count_mixed_model(
        _joint_sim().draws, count_col="ctc_count", id_col="patient_id", time_col="draw_months",
        volume_col="blood_volume_ml", random="slope", kind="poisson", method="laplace"),
    "JointModelResult": _joint_fit,
    "DynamicPredictionResult": lambda: _joint_fit().predict_survival(
        _joint_history(), [4.0, 8.0], landmark=3.0, n_samples=20, rng=1),
    "LongitudinalCoxResult": lambda: cs.fit_locf_cox(
        _joint_sim().patients, draws=_joint_sim().draws, covariates=["visceral_mets"],
        **_JOINT_ROLES),
    "PowerResult": lambda: pw.simulate_power("janni2016", n=600, n_sim=8, rng=8,
                                             progress=False),
    "PowerCurveResult": lambda: pw.power_curve("janni2016", n_grid=[400, 600], n_sim=5,
                                               rng=9, progress=False),
    "SampleSizeResult": lambda: pw.sample_size("janni2016", target_power=0.5, n_sim=5,
                                               n_start=400, rng=10, progress=False),
    "PowerAnalysis": lambda: pw.power_analysis("janni2016"),
    "ImputationResult": lambda: cs.impute(
        early().assign(grade=early()["grade"].where(np.arange(len(early())) % 7 != 0)),
        time_col="dfs_months", event_col="dfs_event", covariates=["ctc_positive", "grade"],
        n_imputations=2, n_iter=2, rng=1),
    "BatchCoxResult": lambda: cs.batch_cox(
        _long(), time_col="dfs_months", event_col="dfs_event",
        covariates=["ctc_positive", "grade"], replicate_col="replicate"),
    "BatchLogrankResult": lambda: cs.batch_logrank(
        _long(), time_col="dfs_months", event_col="dfs_event", group_col="ctc_positive",
        replicate_col="replicate"),
    # multistate: relapse (any site) then death on the early cohort
    "MultistateData": lambda: _multistate(),
    "StateProbabilityResult": lambda: cs.state_probabilities(
        _multistate(), group_col="ctc_positive", tau=60),
    "TransitionProbabilityResult": lambda: cs.state_probabilities(
        _multistate()).transition_probabilities(12.0),
    "MultistateCoxResult": lambda: cs.fit_multistate_cox(
        _multistate(), covariates=["ctc_positive"]),
    "CompetingIncidenceResult": lambda: cs.competing_incidence(
        competing(), time_col="os_months", event_col="death_cause", group_col="ctc_positive"),
    "CauseSpecificResult": lambda: cs.fit_cause_specific_cox(
        competing(), time_col="os_months", event_col="death_cause",
        covariates=["ctc_positive"]),
}


def _long() -> pd.DataFrame:
    """Three bootstrap resamples of the early cohort stacked as one long table."""
    return _cached("long", lambda: pd.concat(
        [early().sample(frac=1.0, replace=True, random_state=k).assign(replicate=k)
         for k in range(3)], ignore_index=True))


def _multistate():
    def make():
        df = early()
        relapse = ((df.dfs_event == 1) & (df.dfs_months < df.os_months)).astype(int)
        return cs.multistate_data(
            df.assign(relapse=relapse),
            transitions=cs.illness_death_transitions(("disease_free", "relapse", "death")),
            state_time_cols={"relapse": "dfs_months", "death": "os_months"},
            state_event_cols={"relapse": "relapse", "death": "os_event"}, id_col="patient_id",
            covariates=["ctc_positive"])

    return _cached("multistate", make)


def _frailty_pooled():
    from tests.reference._load import load_input

    return load_input("frailty", "pooled")  # 8 studies with a real study frailty


def _random_slope_ipd():
    from tests.reference._load import load_input

    return load_input("random_slope", "ipd")  # 10 studies, study-specific CTC effect


# trials: a randomised arm on the early cohort (alternating allocation)
def _trial():
    return _cached("trial", lambda: early().assign(arm=np.arange(len(early())) % 2))


BUILDERS.update({
    "InteractionResult": lambda: cs.marker_treatment_interaction(
        _trial(), time_col="dfs_months", event_col="dfs_event", marker_col="ctc_positive",
        treatment_col="arm"),
    "NonInferiorityResult": lambda: cs.noninferiority_test(
        _trial(), time_col="dfs_months", event_col="dfs_event", treatment_col="arm"),
    "FrailtyCoxResult": lambda: cs.fit_cox(
        _frailty_pooled(), time_col="months", event_col="event",
        covariates=["ctc_positive"], frailty_col="study", frailty="gaussian"),
    "SteppResult": lambda: cs.stepp(
        _trial(), time_col="dfs_months", event_col="dfs_event", marker_col="ctc_count",
        treatment_col="arm", horizon=36, n_perm=20, rng=1),
    "TrialPowerResult": lambda: cs.simulate_trial_power("detect3", n_screened=1500,
                                                        n_sim=10, rng=1),
    "ScreeningSizeResult": lambda: cs.screening_size("detect3", n_grid=(800, 1600), n_sim=10,
                                                     rng=1),
    "IECVResult": lambda: cs.internal_external_validation(
        _frailty_pooled(), study_col="study", time_col="months", event_col="event",
        covariates=["ctc_positive", "age"], horizon=24),
    "RandomSlopeResult": lambda: cs.random_marker_slope(
        _random_slope_ipd(), study_col="study", time_col="months", event_col="event",
        marker_col="ctc_positive"),
    "SubgroupForestResult": lambda: cs.treatment_subgroups(
        _trial(), time_col="dfs_months", event_col="dfs_event", treatment_col="arm",
        subgroup_cols=["ctc_positive", "node_positive"]),
    "ModelSampleSizeResult": lambda: cs.model_sample_size(
        n_parameters=10, rate=0.01, horizon=60, mean_follow_up=50, r2_cs=0.1),
    "ValidationSampleSizeResult": lambda: cs.validation_sample_size(
        lp_sd=0.8, rate=0.01, horizon=36, follow_up=(36, 60), n_grid=(100, 200), n_sim=5,
        rng=1),
})


def _supermodel():
    return _cached("supermodel", lambda: cs.landmark_supermodel(
        **_hayes(), landmarks=[0.0, 1.0, 2.0], horizon=6.0, time_col="os_months",
        event_col="os_event", marker_col="ctc_count", transform="log1p"))


BUILDERS.update({
    "LandmarkSupermodelResult": _supermodel,
    "DynamicPerformanceResult": lambda: cs.dynamic_performance(**_hayes(),
                                                               models=_supermodel()),
    "LandmarkPredictionResult": lambda: _supermodel().predict(
        _hayes()["draws"].query("patient_id <= 2"), landmark=[0.0, 1.0]),
})


def _all_result_classes() -> set[str]:
    """Every Result subclass the package defines (after importing its public modules)."""
    import ctcstats.designs.power  # noqa: F401 - registers the power results

    seen: set[str] = set()
    stack = [Result]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("ctcstats"):
                seen.add(sub.__name__)
            stack.append(sub)
    return seen


def test_every_result_class_has_a_builder():
    public = {n for n in cs.__all__
              if inspect.isclass(getattr(cs, n)) and issubclass(getattr(cs, n), Result)}
    missing = (_all_result_classes() | public) - set(BUILDERS)
    assert not missing, f"add a builder for {sorted(missing)}"


# --------------------------------------------------------------------------- checks
def _displayed_frames(res: Result) -> list[tuple[str, pd.DataFrame]]:
    return [(n, f) for n, f in res._summary_frames() if isinstance(f, pd.DataFrame)]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_renders_and_exports(name):
    res = BUILDERS[name]()
    assert type(res).__name__ == name

    out = res._repr_html_()
    assert isinstance(out, str) and out.strip()
    assert out.startswith("<div class='ctcstats-result'>") and out.endswith("</div>")
    assert f"<h4>{html.escape(res._title)}" in out
    assert "<script" not in out.lower()

    if name in CUSTOM_HTML:
        _check_custom(res, out)
    else:
        _check_generic(res, out, name)

    text = str(res)
    assert res._title in text

    payload = res.to_dict()
    assert payload["result"] == name
    encoded = json.dumps(payload, allow_nan=False)
    assert json.loads(encoded)["result"] == name


def _check_custom(res: Result, out: str) -> None:
    assert type(res).__name__ == "MarkerTableResult"
    assert html.escape(res.marker_col) in out
    for variable in res.table["variable"].astype(str).unique():
        assert f"<td>{html.escape(variable)}</td>" in out, variable
    groups = [c for c in res.table.columns if str(c) not in (
        "variable", "level", "overall", "missing", "test", "p_value", "smd")]
    assert groups, "no marker-group columns"
    for group in groups:
        assert f"<th>{html.escape(str(group))}</th>" in out, group
    for header in ("Overall", "Missing", "Test", "p", "SMD"):
        assert f"<th>{header}</th>" in out


def _check_generic(res: Result, out: str, name: str) -> None:
    # every scalar in the header is shown
    for key, _ in res._summary_items():
        assert f">{html.escape(key)}</th>" in out, key

    # the main table is displayed (unless deliberately hidden) with all its columns
    main = getattr(res, res._main_table, None)
    shown = dict(_displayed_frames(res))
    if isinstance(main, pd.DataFrame) and name not in HIDDEN_MAIN:
        assert res._main_table in shown, f"{name}.{res._main_table} is not displayed"
    if name in HIDDEN_MAIN:
        assert HIDDEN_MAIN[name] == res._main_table and res._main_table not in shown
    for frame_name, frame in shown.items():
        assert f"<b>{html.escape(frame_name)}</b>" in out
        names = [str(c) for c in frame.columns] + [str(n) for n in frame.index.names if n]
        for col in names:
            assert f">{html.escape(col)}</th>" in out, f"{frame_name}: column {col!r}"


# --------------------------------------------------------------------------- escaping
HOSTILE = "<script>alert('x')</script> & \"ctc\""


def test_user_labels_are_escaped():
    df = early().assign(arm=np.where(early()["ctc_positive"] == 1, HOSTILE, "negative"))
    km = cs.kaplan_meier(df, time_col="dfs_months", event_col="dfs_event", group_col="arm")
    out = km._repr_html_()
    assert "<script>" not in out
    assert "&lt;script&gt;alert(" in out
    json.dumps(km.to_dict(), allow_nan=False)


def test_user_column_names_are_escaped():
    col = "ctc<b>positive</b>"
    df = early().rename(columns={"ctc_positive": col})
    cox = cs.fit_cox(df, time_col="dfs_months", event_col="dfs_event", covariates=[col])
    out = cox._repr_html_()
    assert "<b>positive</b>" not in out
    assert html.escape(col) in out


def test_study_names_are_escaped():
    data = published().head(6).copy()
    data["study"] = [f"{HOSTILE} {i}" for i in range(len(data))]
    meta = cs.meta_analysis(data, estimate_col="log_hr", std_error_col="std_error",
                            study_col="study")
    out = meta._repr_html_()
    assert "<script>" not in out
    assert "&lt;script&gt;alert(" in out


# --------------------------------------------------------------------------- read-only
def _drawn(fig) -> list:
    """What a figure shows: line and collection coordinates, patch extents, texts."""
    out: list = []
    for ax in fig.axes:
        out += [np.asarray(ln.get_xydata(), dtype=float) for ln in ax.lines]
        for c in ax.collections:
            out.append(np.asarray(c.get_offsets(), dtype=float))
            out += [np.asarray(p.vertices, dtype=float) for p in c.get_paths()]
        out += [np.asarray(p.get_path().vertices, dtype=float) for p in ax.patches]
        out += [t.get_text() for t in ax.texts]
    return out


def _same_drawing(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        x == y if isinstance(x, str) else (x.shape == y.shape and np.array_equal(x, y, True))
        for x, y in zip(a, b, strict=True))


def _plot(res):
    import matplotlib.pyplot as plt

    plt.close("all")
    try:
        res.plot()  # its own figure(s): grouped results draw one panel per group
        return [d for num in plt.get_fignums() for d in _drawn(plt.figure(num))]
    finally:
        plt.close("all")


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_tables_and_arrays_are_read_only(name):
    """Writing into a result's tables or arrays raises (or reaches only a copy); nothing a
    caller does to them changes what plot(), to_dict() or the display show."""
    import warnings

    res = BUILDERS[name]()
    before = (json.dumps(res.to_dict(), allow_nan=False), res._repr_html_())
    drawn = _plot(res) if hasattr(res, "plot") else None
    frames = [f.name for f in res._fields() if isinstance(getattr(res, f.name), pd.DataFrame)]
    for field in frames:
        frame = getattr(res, field)
        numeric = [j for j in range(frame.shape[1])
                   if pd.api.types.is_numeric_dtype(frame.dtypes.iloc[j])
                   and isinstance(frame.dtypes.iloc[j], np.dtype)]
        locked = field not in res._deep_copied
        if len(frame) and numeric:
            with warnings.catch_warnings():
                # pandas 2.x notes that the assignment goes to a temporary object
                warnings.simplefilter("ignore", FutureWarning)
                if locked:
                    with pytest.raises(ValueError, match="read-only"):
                        getattr(res, field).iloc[0, numeric[0]] = 5
                    with pytest.raises(ValueError, match="read-only"):
                        getattr(res, field).iloc[:, numeric[0]].to_numpy()[0] = 5
                else:
                    getattr(res, field).iloc[0, numeric[0]] = 5
        view = getattr(res, field)
        for j in range(view.shape[1]):
            view.isetitem(j, 5)
        view["__extra__"] = 1
        assert "__extra__" not in getattr(res, field).columns
        assert getattr(res, field).equals(frame)
    for f in res._fields():
        v = getattr(res, f.name)
        if isinstance(v, np.ndarray) and v.size:
            with pytest.raises(ValueError, match="read-only"):
                v.flat[0] = v.flat[0]
    assert (json.dumps(res.to_dict(), allow_nan=False), res._repr_html_()) == before
    if drawn is not None:
        assert _same_drawing(_plot(res), drawn)
    copy = res.to_frame() if frames and res._main_table in frames else None
    if copy is not None and copy.shape[1]:
        copy.iloc[:, 0] = 0  # to_frame() is an ordinary, writeable copy
