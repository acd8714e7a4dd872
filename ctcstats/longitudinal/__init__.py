"""Serial counts: mixed models of CTC/DTC counts and joint models of counts and survival.

* :func:`fit_count_mixed_model` — Poisson / negative-binomial / zero-inflated GLMMs with
  random intercepts, slopes or splines in time, by adaptive Gauss–Hermite quadrature or
  Laplace.
* :func:`fit_joint_model` — the count submodel joined to a proportional-hazards submodel
  through the latent log-concentration; ``.predict_survival`` gives dynamic predictions.
* :func:`fit_two_stage_cox`, :func:`fit_locf_cox` — the usual alternatives (comparators).
* :func:`simulate_joint` — serial counts from a latent trajectory joined to a hazard that
  depends on the current latent value (the truth is known).

The array-level engine shared by every random-effects model is
:mod:`ctcstats.longitudinal._agq` (documented internal entry point).
"""

from .comparators import LongitudinalCoxResult, fit_locf_cox, fit_two_stage_cox
from .joint import JointModelResult, fit_joint_model
from .mixed import RANDOM_KINDS, CountMixedModelResult, fit_count_mixed_model
from .predict import DynamicPredictionResult
from .simulate import JointSimulation, simulate_joint

__all__ = ["LongitudinalCoxResult", "fit_locf_cox", "fit_two_stage_cox",
           "DynamicPredictionResult", "JointModelResult", "fit_joint_model", "RANDOM_KINDS", "CountMixedModelResult", "fit_count_mixed_model",
           "JointSimulation", "simulate_joint"]
