"""Multi-state models: relapse sites, transitions and death.

* :mod:`.transitions` — transition matrices (mstate's ``tmat``) and their common layouts;
* :mod:`.data` — :func:`multistate_data`, long-format data as ``mstate::msprep``;
"""

from .competing import (
    CauseSpecificResult,
    CompetingIncidenceResult,
    competing_incidence,
    fit_cause_specific_cox,
)
from .data import MultistateData, multistate_data
from .probabilities import (
    StateProbabilityResult,
    TransitionProbabilityResult,
    state_probabilities,
)
from .transitions import (
    TransitionMatrix,
    competing_risks_transitions,
    illness_death_transitions,
    relapse_site_transitions,
    transition_matrix,
)

__all__ = [
    "CauseSpecificResult",
    "CompetingIncidenceResult",
    "competing_incidence",
    "fit_cause_specific_cox",
    "MultistateData",
    "StateProbabilityResult",
    "TransitionProbabilityResult",
    "TransitionMatrix",
    "competing_risks_transitions",
    "illness_death_transitions",
    "multistate_data",
    "relapse_site_transitions",
    "state_probabilities",
    "transition_matrix",
]
