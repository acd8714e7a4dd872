"""Predictive markers and CTC-guided trials: interaction, non-inferiority, STEPP, sample size.

Public functions (also exported as ``ctcstats.<name>``):

* :func:`marker_treatment_interaction` — treatment × marker interaction (Cox, RMST), subgroup
  forest plot; :func:`noninferiority_test` — a hazard ratio against a margin;
"""

from .interaction import (
    InteractionResult,
    NonInferiorityResult,
    marker_treatment_interaction,
    noninferiority_test,
)

__all__ = [
    "InteractionResult",
    "NonInferiorityResult",
    "marker_treatment_interaction",
    "noninferiority_test",
]
