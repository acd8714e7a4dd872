"""ctcstats — statistics for circulating / disseminated tumour cell prognostic-marker studies.

``import ctcstats as cs``; every public function takes a DataFrame first and keyword-only
column roles, and returns a frozen result with tidy tables (see ``help(cs.kaplan_meier)``).

Public names are imported lazily: ``import ctcstats`` loads only the exceptions, and the
first use of a name (``cs.fit_cox``) imports the module that defines it, so statsmodels,
scikit-learn, lifelines, matplotlib and jinja2 load only when an analysis needs them.
"""

from __future__ import annotations

import ast
import importlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    ConvergenceError,
    ConvergenceWarning,
    CTCStatsError,
    CTCStatsWarning,
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
    ProportionalHazardsWarning,
    SmallSampleWarning,
)

try:
    __version__ = version("ctcstats")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "CTCStatsError",
    "DataValidationError",
    "ParameterError",
    "ConvergenceError",
    "CTCStatsWarning",
    "ConvergenceWarning",
    "MonotoneLikelihoodWarning",
    "ProportionalHazardsWarning",
    "SmallSampleWarning",
    "DataWarning",
]

# Each block below is owned by one module; keep its imports and __all__ entries together:
#     # [module]
#     if TYPE_CHECKING:
#         from .module import Name, function
#     __all__ += ["Name", "function"]
# Imports under ``if TYPE_CHECKING:`` are what type checkers and IDEs read; at run time
# ``_lazy_table`` reads the same statements from this file, and ``__getattr__`` imports a
# name's module on first use. A plain (eager) import block still works, but anything it pulls
# in is paid by every ``import ctcstats`` (tests/test_lazy_import.py keeps statsmodels,
# scikit-learn, lifelines, matplotlib and jinja2 out).
# [results]
if TYPE_CHECKING:
    from ._results import TestResult

__all__ += ["TestResult"]
# [data]
if TYPE_CHECKING:
    from .data import COLUMN_ROLES, ValidatedCohort, validate_cohort

__all__ += ["COLUMN_ROLES", "ValidatedCohort", "validate_cohort"]
# [survival.km]
if TYPE_CHECKING:
    from .survival.km import KaplanMeierResult, kaplan_meier

__all__ += ["KaplanMeierResult", "kaplan_meier"]
# [survival.logrank]
if TYPE_CHECKING:
    from .survival.logrank import (
        PairwiseTestResult,
        logrank_test,
        pairwise_logrank_test,
    )

__all__ += ["PairwiseTestResult", "logrank_test", "pairwise_logrank_test"]
# [survival.cox]
if TYPE_CHECKING:
    from .survival.cox import CoxResult, PHTestResult, fit_cox, fit_piecewise_cox

__all__ += ["CoxResult", "PHTestResult", "fit_cox", "fit_piecewise_cox"]
if TYPE_CHECKING:
    from .survival.frailty import FrailtyCoxResult

__all__ += ["FrailtyCoxResult"]
# [survival.competing]
if TYPE_CHECKING:
    from .survival.competing import CumulativeIncidenceResult, cumulative_incidence
    from .survival.finegray import FineGrayResult, fit_fine_gray

__all__ += ["CumulativeIncidenceResult", "cumulative_incidence", "FineGrayResult", "fit_fine_gray"]
# [survival.landmark]
if TYPE_CHECKING:
    from .survival.landmark import (
        GuaranteeTimeBiasResult,
        LandmarkResult,
        TimeVaryingCoxResult,
        fit_time_varying_cox,
        guarantee_time_bias,
        landmark_analysis,
        landmark_data,
    )

__all__ += [
    "GuaranteeTimeBiasResult", "LandmarkResult", "TimeVaryingCoxResult",
    "fit_time_varying_cox", "guarantee_time_bias",
    "landmark_analysis", "landmark_data",
]
# [survival.counting]
if TYPE_CHECKING:
    from .survival.counting import counting_process_data

__all__ += ["counting_process_data"]
# [dynamic]
if TYPE_CHECKING:
    from .dynamic import (
        DynamicPerformanceResult,
        LandmarkPredictionResult,
        LandmarkSupermodelResult,
        dynamic_performance,
        landmark_stack,
        landmark_supermodel,
    )

__all__ += ["DynamicPerformanceResult", "dynamic_performance", "LandmarkPredictionResult", "LandmarkSupermodelResult", "landmark_stack",
            "landmark_supermodel"]
# [counts]
if TYPE_CHECKING:
    from .counts import (
        COUNT_KINDS,
        CountModelComparison,
        CountModelResult,
        DetectionRateResult,
        compare_count_models,
        concentration_ci,
        count_categories,
        detection_probability,
        detection_rates,
        fit_count_model,
        misclassification_probability,
        normalise_counts,
        predict_count_distribution,
        vuong_test,
    )

__all__ += [
    "COUNT_KINDS", "CountModelComparison", "CountModelResult", "DetectionRateResult",
    "compare_count_models", "concentration_ci", "count_categories", "detection_probability",
    "detection_rates", "fit_count_model", "misclassification_probability", "normalise_counts",
    "predict_count_distribution", "vuong_test",
]
# [cutpoints]
if TYPE_CHECKING:
    from .association import (
        MarkerAssociationResult,
        MarkerTableResult,
        marker_association,
        marker_table,
    )
    from .cutpoints import (
        CutpointResult,
        CutpointStabilityResult,
        CutpointValidationResult,
        cutpoint_stability,
        optimal_cutpoint,
        validate_cutpoint,
    )

__all__ += [
    "CutpointResult", "CutpointStabilityResult", "CutpointValidationResult",
    "cutpoint_stability", "optimal_cutpoint", "validate_cutpoint",
    "MarkerAssociationResult", "MarkerTableResult", "marker_association", "marker_table",
]
# [prognostic]
if TYPE_CHECKING:
    from .prognostic.added_value import AddedValueResult, added_value
    from .prognostic.calibration import CalibrationResult, calibration
    from .prognostic.competing import (
        CompetingAUCResult,
        CompetingBrierResult,
        CompetingCalibrationResult,
        CompetingConcordanceResult,
        competing_brier_score,
        competing_calibration,
        competing_concordance_index,
        competing_time_dependent_auc,
    )
    from .prognostic.competing_predict import (
        CumulativeIncidencePrediction,
        predict_cumulative_incidence,
    )
    from .prognostic.decision import DecisionCurveResult, decision_curve
    from .prognostic.metrics import (
        BrierResult,
        ConcordanceResult,
        IntegratedBrierResult,
        TimeDependentAUCResult,
        brier_score,
        concordance_index,
        integrated_brier_score,
        time_dependent_auc,
    )
    from .prognostic.models import (
        CoxModel,
        IPCWClassifier,
        IPCWLogisticModel,
        ipcw_weights,
        predict_risk,
        survival_target,
    )
    from .prognostic.nomogram import NomogramResult, nomogram
    from .prognostic.reclassification import ReclassificationResult, reclassification
    from .prognostic.validation import (
        ExternalValidationResult,
        ValidationResult,
        external_validation,
        validate_model,
    )

__all__ += [
    "BrierResult", "CalibrationResult", "ConcordanceResult", "DecisionCurveResult",
    "IntegratedBrierResult", "ReclassificationResult", "TimeDependentAUCResult", "brier_score",
    "calibration", "concordance_index", "decision_curve", "integrated_brier_score",
    "reclassification", "time_dependent_auc",
    "AddedValueResult", "added_value", "CoxModel", "IPCWClassifier", "IPCWLogisticModel",
    "ipcw_weights", "predict_risk", "survival_target", "NomogramResult", "nomogram",
    "ExternalValidationResult", "ValidationResult", "external_validation", "validate_model",
    "CompetingAUCResult", "CompetingBrierResult", "CompetingCalibrationResult",
    "CompetingConcordanceResult", "competing_brier_score", "competing_calibration",
    "competing_concordance_index", "competing_time_dependent_auc",
    "CumulativeIncidencePrediction", "predict_cumulative_incidence",
]
# [meta]
if TYPE_CHECKING:
    from . import plotting
    from .meta import (
        EggerResult,
        IPDMetaResult,
        MetaResult,
        SubgroupMetaResult,
        egger_test,
        ipd_meta_analysis,
        leave_one_out,
        log_hr_from_ci,
        meta_analysis,
        published_hazard_ratios,
        reconstruct_ipd,
        study_effects,
        subgroup_meta_analysis,
    )

__all__ += [
    "plotting",
    "EggerResult", "IPDMetaResult", "ipd_meta_analysis", "study_effects", "MetaResult", "SubgroupMetaResult", "egger_test", "leave_one_out",
    "log_hr_from_ci", "meta_analysis", "published_hazard_ratios", "reconstruct_ipd", "subgroup_meta_analysis",
]
# [meta.iecv]
if TYPE_CHECKING:
    from .meta.iecv import IECVResult, internal_external_validation

__all__ += ["IECVResult", "internal_external_validation"]
if TYPE_CHECKING:
    from .meta.random_slope import RandomSlopeResult, random_marker_slope

__all__ += ["RandomSlopeResult", "random_marker_slope"]
# [batch]
if TYPE_CHECKING:
    from .batch import BatchCoxResult, BatchLogrankResult, batch_cox, batch_logrank

__all__ += ["BatchCoxResult", "BatchLogrankResult", "batch_cox", "batch_logrank"]
# [designs]
if TYPE_CHECKING:
    from .designs import (
        StudyDesign,
        SyntheticCohort,
        get_design,
        list_designs,
        load_design_file,
        simulate_cohort,
        simulate_draws,
        simulate_study,
    )
    from .designs.power import (
        PowerAnalysis,
        PowerCurveResult,
        PowerResult,
        SampleSizeResult,
        event_probability,
        expected_events,
        freedman_events,
        power_analysis,
        power_curve,
        sample_size,
        schoenfeld_events,
        schoenfeld_power,
        simulate_power,
    )
    from .designs.replicate import ReplicationResult, replicate_cohort, replicate_design

__all__ += [
    "StudyDesign", "SyntheticCohort", "get_design", "list_designs", "load_design_file",
    "simulate_cohort", "simulate_draws", "simulate_study", "ReplicationResult", "replicate_cohort",
    "replicate_design", "PowerAnalysis", "PowerCurveResult", "PowerResult",
    "SampleSizeResult", "event_probability", "expected_events", "freedman_events",
    "power_analysis", "power_curve", "sample_size", "schoenfeld_events", "schoenfeld_power",
    "simulate_power",
]
# [report]
if TYPE_CHECKING:
    from .io import adam_to_survival, read_table
    from .report import (
        Analyses,
        AnalysisSpec,
        EndpointSpec,
        SpecError,
        build_design_report,
        build_report,
        load_spec,
        spec_from_design,
        spec_from_dict,
    )

__all__ += [
    "adam_to_survival", "read_table", "Analyses", "AnalysisSpec", "EndpointSpec", "SpecError",
    "build_design_report", "build_report", "load_spec", "spec_from_design", "spec_from_dict",
]
# [longitudinal]
if TYPE_CHECKING:
    from .longitudinal import (
        CountMixedModelResult,
        DynamicPredictionResult,
        JointModelResult,
        JointSimulation,
        LongitudinalCoxResult,
        fit_count_mixed_model,
        fit_joint_model,
        fit_locf_cox,
        fit_two_stage_cox,
        simulate_joint,
    )

__all__ += [
    "CountMixedModelResult", "DynamicPredictionResult", "JointModelResult", "JointSimulation",
    "LongitudinalCoxResult", "fit_count_mixed_model", "fit_joint_model", "fit_locf_cox",
    "fit_two_stage_cox", "simulate_joint",
]
# [missing]
if TYPE_CHECKING:
    from .designs.missingness import add_missingness
    from .missing import (
        ImputationResult,
        PooledResult,
        PooledTestResult,
        impute,
        missing_pattern,
        missing_table,
        pool,
        pooled_test,
        rcs_term,
    )

__all__ += ["ImputationResult", "PooledResult", "PooledTestResult", "add_missingness", "impute",
            "missing_pattern", "missing_table", "pool", "pooled_test", "rcs_term"]
# [multistate]
if TYPE_CHECKING:
    from .multistate import (
        CauseSpecificResult,
        CompetingIncidenceResult,
        MultistateCoxResult,
        MultistateData,
        StateProbabilityResult,
        TransitionMatrix,
        TransitionProbabilityResult,
        add_relapse_sites,
        competing_incidence,
        competing_risks_transitions,
        fit_cause_specific_cox,
        fit_multistate_cox,
        illness_death_transitions,
        multistate_data,
        relapse_site_transitions,
        state_probabilities,
        transition_matrix,
        transition_probabilities,
    )

__all__ += [
    "CauseSpecificResult", "CompetingIncidenceResult", "MultistateCoxResult", "MultistateData",
    "StateProbabilityResult", "TransitionMatrix", "TransitionProbabilityResult",
    "add_relapse_sites", "competing_incidence", "competing_risks_transitions",
    "fit_cause_specific_cox", "fit_multistate_cox", "illness_death_transitions",
    "multistate_data", "relapse_site_transitions", "state_probabilities", "transition_matrix",
    "transition_probabilities",
]
# [trials]
if TYPE_CHECKING:
    from .trials import (
        InteractionResult,
        ModelSampleSizeResult,
        NonInferiorityResult,
        ScreeningSizeResult,
        SteppResult,
        SubgroupForestResult,
        TrialDesign,
        TrialPowerResult,
        ValidationSampleSizeResult,
        get_trial_design,
        list_trial_designs,
        marker_treatment_interaction,
        model_sample_size,
        noninferiority_test,
        screening_size,
        simulate_trial,
        simulate_trial_power,
        stepp,
        treatment_subgroups,
        validation_sample_size,
    )

__all__ += [
    "InteractionResult", "NonInferiorityResult", "marker_treatment_interaction",
    "noninferiority_test", "ModelSampleSizeResult", "ValidationSampleSizeResult",
    "model_sample_size", "validation_sample_size", "SteppResult", "stepp",
    "ScreeningSizeResult", "TrialDesign", "TrialPowerResult", "get_trial_design",
    "list_trial_designs", "screening_size", "simulate_trial", "simulate_trial_power",
    "SubgroupForestResult", "treatment_subgroups",
]


def _lazy_table() -> dict[str, tuple[str, str | None]]:
    """Public name -> (module, attribute) from the ``if TYPE_CHECKING:`` imports of this file.

    Our own code rather than a lazy-loading package: the table is this file's import
    statements (one source for type checkers and run time), read with ``ast`` as SPEC 1's
    ``lazy_loader.attach_stub`` reads a stub. ``attribute`` None means the name is a submodule.
    """
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    table: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if not isinstance(stmt, ast.ImportFrom) or stmt.level != 1:
                continue
            for alias in stmt.names:
                public = alias.asname or alias.name
                if stmt.module is None:  # from . import submodule
                    table[public] = ("." + alias.name, None)
                else:
                    table[public] = ("." + stmt.module, alias.name)
    return table


_LAZY = _lazy_table()


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
