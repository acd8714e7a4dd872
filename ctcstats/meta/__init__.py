"""Pooling CTC/DTC studies: meta-analysis of published effects and of individual patient data.

Split by procedure: :mod:`.pooling` (fixed / random effects, as metafor::rma),
:mod:`.sensitivity` (subgroups, leave-one-out, Egger's test), :mod:`.published` (the built-in
table of published CTC/DTC hazard ratios) and :mod:`.reconstruct` (IPD from digitised
Kaplan–Meier curves, Guyot 2012).
"""

from .ipd import IPDMetaResult, ipd_meta_analysis, study_effects
from .pooling import MetaResult, log_hr_from_ci, meta_analysis
from .published import published_hazard_ratios
from .reconstruct import reconstruct_ipd
from .sensitivity import (
    EggerResult,
    SubgroupMetaResult,
    egger_test,
    leave_one_out,
    subgroup_meta_analysis,
)

__all__ = [
    "EggerResult",
    "IPDMetaResult",
    "ipd_meta_analysis",
    "study_effects",
    "MetaResult",
    "SubgroupMetaResult",
    "egger_test",
    "leave_one_out",
    "log_hr_from_ci",
    "meta_analysis",
    "published_hazard_ratios",
    "reconstruct_ipd",
    "subgroup_meta_analysis",
]
