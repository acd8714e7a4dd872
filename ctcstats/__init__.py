"""ctcstats — statistics for circulating / disseminated tumour cell prognostic-marker studies.

``import ctcstats as cs``; every public function takes a DataFrame first and keyword-only
column roles, and returns a frozen result with tidy tables (see ``help(cs.kaplan_meier)``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._results import TestResult
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
    "TestResult",
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

# Each block below is owned by one module; keep imports and __all__ entries together.
# [data]
from .data import COLUMN_ROLES, ValidatedCohort, validate_cohort  # noqa: E402

__all__ += ["COLUMN_ROLES", "ValidatedCohort", "validate_cohort"]
# [survival.km]
from .survival.km import KaplanMeierResult, kaplan_meier  # noqa: E402

__all__ += ["KaplanMeierResult", "kaplan_meier"]
# [survival.logrank]
from .survival.logrank import (  # noqa: E402
    PairwiseTestResult,
    logrank_test,
    pairwise_logrank_test,
)

__all__ += ["PairwiseTestResult", "logrank_test", "pairwise_logrank_test"]
# [survival.cox]
from .survival.cox import CoxResult, PHTestResult, fit_cox, fit_piecewise_cox  # noqa: E402

__all__ += ["CoxResult", "PHTestResult", "fit_cox", "fit_piecewise_cox"]
from .survival.frailty import FrailtyCoxResult  # noqa: E402

__all__ += ["FrailtyCoxResult"]
# [survival.competing]
from .survival.competing import CumulativeIncidenceResult, cumulative_incidence  # noqa: E402
from .survival.finegray import FineGrayResult, fit_fine_gray  # noqa: E402

__all__ += ["CumulativeIncidenceResult", "cumulative_incidence", "FineGrayResult", "fit_fine_gray"]
# [survival.landmark]
from .survival.landmark import (  # noqa: E402
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
from .survival.counting import counting_process_data  # noqa: E402

__all__ += ["counting_process_data"]
# [dynamic]
from .dynamic import (  # noqa: E402
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
from .counts import (  # noqa: E402
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
from .association import (  # noqa: E402
    MarkerAssociationResult,
    MarkerTableResult,
    marker_association,
    marker_table,
)
from .cutpoints import (  # noqa: E402
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
from .prognostic.added_value import AddedValueResult, added_value  # noqa: E402
from .prognostic.calibration import CalibrationResult, calibration  # noqa: E402
from .prognostic.decision import DecisionCurveResult, decision_curve  # noqa: E402
from .prognostic.metrics import (  # noqa: E402
    BrierResult,
    ConcordanceResult,
    IntegratedBrierResult,
    TimeDependentAUCResult,
    brier_score,
    concordance_index,
    integrated_brier_score,
    time_dependent_auc,
)
from .prognostic.models import (  # noqa: E402
    CoxModel,
    IPCWClassifier,
    IPCWLogisticModel,
    ipcw_weights,
    predict_risk,
    survival_target,
)
from .prognostic.nomogram import NomogramResult, nomogram  # noqa: E402
from .prognostic.reclassification import ReclassificationResult, reclassification  # noqa: E402
from .prognostic.validation import (  # noqa: E402
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
]
# [meta]
from . import plotting  # noqa: E402
from .meta import (  # noqa: E402
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
from .meta.iecv import IECVResult, internal_external_validation  # noqa: E402

__all__ += ["IECVResult", "internal_external_validation"]
from .meta.random_slope import RandomSlopeResult, random_marker_slope  # noqa: E402

__all__ += ["RandomSlopeResult", "random_marker_slope"]
# [batch]
from .batch import BatchCoxResult, BatchLogrankResult, batch_cox, batch_logrank  # noqa: E402

__all__ += ["BatchCoxResult", "BatchLogrankResult", "batch_cox", "batch_logrank"]
# [designs]
from .designs import (  # noqa: E402
    StudyDesign,
    SyntheticCohort,
    get_design,
    list_designs,
    load_design_file,
    simulate_cohort,
    simulate_draws,
    simulate_study,
)
from .designs.power import (  # noqa: E402
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
from .designs.replicate import ReplicationResult, replicate_cohort, replicate_design  # noqa: E402

__all__ += [
    "StudyDesign", "SyntheticCohort", "get_design", "list_designs", "load_design_file",
    "simulate_cohort", "simulate_draws", "simulate_study", "ReplicationResult", "replicate_cohort",
    "replicate_design", "PowerAnalysis", "PowerCurveResult", "PowerResult",
    "SampleSizeResult", "event_probability", "expected_events", "freedman_events",
    "power_analysis", "power_curve", "sample_size", "schoenfeld_events", "schoenfeld_power",
    "simulate_power",
]
# [report]
from .io import adam_to_survival, read_table  # noqa: E402
from .report import (  # noqa: E402
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
from .longitudinal import (  # noqa: E402
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
from .designs.missingness import add_missingness  # noqa: E402
from .missing import (  # noqa: E402
    ImputationResult,
    PooledResult,
    PooledTestResult,
    impute,
    missing_pattern,
    missing_table,
    pool,
    pooled_test,
)

__all__ += ["ImputationResult", "PooledResult", "PooledTestResult", "add_missingness", "impute",
            "missing_pattern", "missing_table", "pool", "pooled_test"]
# [multistate]
from .multistate import (  # noqa: E402
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
from .trials import (  # noqa: E402
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
