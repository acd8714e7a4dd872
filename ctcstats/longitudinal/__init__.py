"""Serial counts: mixed models of CTC/DTC counts and joint models of counts and survival.

* :func:`fit_count_mixed_model` — Poisson / negative-binomial / zero-inflated GLMMs with
  random intercepts, slopes or splines in time, by adaptive Gauss–Hermite quadrature or
  Laplace.
* :func:`simulate_joint` — serial counts from a latent trajectory joined to a hazard that
  depends on the current latent value (the truth is known).

The array-level engine shared by every random-effects model is
:mod:`ctcstats.longitudinal._agq` (documented internal entry point).
"""

from .joint import JointModelResult, fit_joint_model
from .mixed import RANDOM_KINDS, CountMixedModelResult, fit_count_mixed_model
from .simulate import JointSimulation, simulate_joint

__all__ = ["JointModelResult", "fit_joint_model", "RANDOM_KINDS", "CountMixedModelResult", "fit_count_mixed_model",
           "JointSimulation", "simulate_joint"]
