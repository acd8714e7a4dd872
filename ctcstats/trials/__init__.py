"""Predictive markers and CTC-guided trials: interaction, non-inferiority, STEPP, sample size.

Public functions (also exported as ``ctcstats.<name>``):

* :func:`marker_treatment_interaction` — treatment × marker interaction (Cox, RMST), subgroup
  forest plot; :func:`noninferiority_test` — a hazard ratio against a margin;
* :func:`model_sample_size` — Riley et al.'s minimum sample size for a survival prediction
  model (R ``pmsampsize``); :func:`validation_sample_size` — external validation by simulation;
* :func:`stepp` — subpopulation treatment effect pattern plot over a continuous count;
* trial designs (:func:`list_trial_designs`, :func:`get_trial_design`) with
  :func:`simulate_trial_power` and :func:`screening_size` — "how many must we screen?".
"""

from .designs import (
    ScreeningSizeResult,
    TrialDesign,
    TrialPowerResult,
    get_trial_design,
    list_trial_designs,
    screening_size,
    simulate_trial,
    simulate_trial_power,
)
from .interaction import (
    InteractionResult,
    NonInferiorityResult,
    SubgroupForestResult,
    marker_treatment_interaction,
    noninferiority_test,
    treatment_subgroups,
)
from .sample_size import (
    ModelSampleSizeResult,
    ValidationSampleSizeResult,
    model_sample_size,
    validation_sample_size,
)
from .stepp import SteppResult, sliding_windows, stepp

__all__ = [
    "InteractionResult",
    "NonInferiorityResult",
    "marker_treatment_interaction",
    "noninferiority_test",
    "SubgroupForestResult",
    "treatment_subgroups",
    "ModelSampleSizeResult",
    "ValidationSampleSizeResult",
    "model_sample_size",
    "validation_sample_size",
    "SteppResult",
    "sliding_windows",
    "stepp",
    "ScreeningSizeResult",
    "TrialDesign",
    "TrialPowerResult",
    "get_trial_design",
    "list_trial_designs",
    "screening_size",
    "simulate_trial",
    "simulate_trial_power",
]
