"""Multi-state models: where and when the disease comes back — relapse sites, then death.

* :mod:`.transitions` — transition matrices (mstate's ``tmat``) and their common layouts;
* :mod:`.data` — :func:`multistate_data`, long-format data as ``mstate::msprep`` +
  ``expand.covs``;
* :mod:`.competing` — competing first-relapse sites: :func:`competing_incidence` (every
  cause, Gray's test per cause) and :func:`fit_cause_specific_cox` (next to Fine–Gray);
* :mod:`.probabilities` — :func:`state_probabilities`: Aalen–Johansen state occupation
  (survfit) and transition probabilities P(s, t) (mstate ``probtrans``), time in state;
* :mod:`.cox` — :func:`fit_multistate_cox`: transition-specific Cox models (mstate / coxph);
* :mod:`.predict` — :func:`transition_probabilities` for covariate profiles (msfit + probtrans);
* :mod:`.simulate` — :func:`add_relapse_sites` for synthetic cohorts (labelled assumptions).

Internal: ``_long`` (checks of long-format data), ``_aalen_johansen`` (the survfit engine),
``_probtrans`` (product integral and its variance).
"""

from .competing import (
    CauseSpecificResult,
    CompetingIncidenceResult,
    competing_incidence,
    fit_cause_specific_cox,
)
from .cox import MultistateCoxResult, fit_multistate_cox
from .data import MultistateData, multistate_data
from .predict import transition_probabilities
from .probabilities import (
    StateProbabilityResult,
    TransitionProbabilityResult,
    state_probabilities,
)
from .simulate import DTC_BONE_SHARE, SiteAssumption, add_relapse_sites
from .transitions import (
    TransitionMatrix,
    competing_risks_transitions,
    illness_death_transitions,
    relapse_site_transitions,
    transition_matrix,
)

__all__ = [
    "DTC_BONE_SHARE",
    "SiteAssumption",
    "add_relapse_sites",
    "CauseSpecificResult",
    "CompetingIncidenceResult",
    "competing_incidence",
    "fit_cause_specific_cox",
    "MultistateCoxResult",
    "MultistateData",
    "StateProbabilityResult",
    "TransitionProbabilityResult",
    "TransitionMatrix",
    "competing_risks_transitions",
    "illness_death_transitions",
    "fit_multistate_cox",
    "multistate_data",
    "relapse_site_transitions",
    "state_probabilities",
    "transition_matrix",
    "transition_probabilities",
]
