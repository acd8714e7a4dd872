"""ctcstats — statistics for circulating / disseminated tumour cell prognostic-marker studies.

``import ctcstats as cs``; every public function takes a DataFrame first and keyword-only
column roles, and returns a frozen result with tidy tables (see ``help(cs.kaplan_meier)``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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

# Each block below is owned by one module; keep imports and __all__ entries together.
# [data]
from .data import COLUMN_ROLES, ValidatedCohort, validate_cohort  # noqa: E402

__all__ += ["COLUMN_ROLES", "ValidatedCohort", "validate_cohort"]
# [survival.km]
# [survival.logrank]
# [survival.cox]
# [survival.competing]
# [survival.landmark]
# [counts]
# [cutpoints]
# [prognostic]
# [meta]
from . import plotting  # noqa: E402
from .meta import (  # noqa: E402
    EggerResult,
    MetaResult,
    SubgroupMetaResult,
    egger_test,
    leave_one_out,
    log_hr_from_ci,
    meta_analysis,
    reconstruct_ipd,
    subgroup_meta_analysis,
)

__all__ += [
    "EggerResult", "MetaResult", "SubgroupMetaResult", "egger_test", "leave_one_out",
    "log_hr_from_ci", "meta_analysis", "reconstruct_ipd", "subgroup_meta_analysis",
]
# [designs]
# [report]
