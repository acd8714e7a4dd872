"""CTC/DTC counts: Poisson sampling and detection, count regression and model choice.

* :mod:`.sampling` — ``concentration_ci``, ``detection_probability``,
  ``misclassification_probability``, ``detection_rates``, ``normalise_counts``,
  ``count_categories``.
* :mod:`.models` — ``fit_count_model`` (Poisson, NB, ZIP, ZINB, hurdles; as R's glm, MASS::glm.nb,
  pscl::zeroinfl and pscl::hurdle) and ``predict_count_distribution``.
* :mod:`.compare` — ``compare_count_models`` (AIC/BIC, Vuong tests as pscl::vuong, the
  boundary-corrected Poisson-vs-NB likelihood-ratio test as pscl::odTest) and ``vuong_test``.
"""

from __future__ import annotations

from .compare import CountModelComparison, compare_count_models, vuong_test
from .models import (
    COUNT_KINDS,
    CountModelResult,
    fit_count_model,
    predict_count_distribution,
)
from .sampling import (
    DetectionRateResult,
    concentration_ci,
    count_categories,
    detection_probability,
    detection_rates,
    misclassification_probability,
    normalise_counts,
)

__all__ = [
    "COUNT_KINDS",
    "CountModelComparison",
    "CountModelResult",
    "DetectionRateResult",
    "compare_count_models",
    "concentration_ci",
    "count_categories",
    "detection_probability",
    "detection_rates",
    "fit_count_model",
    "misclassification_probability",
    "normalise_counts",
    "predict_count_distribution",
    "vuong_test",
]
