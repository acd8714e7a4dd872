"""Published CTC/DTC study designs and synthetic cohorts that mirror them.

* :func:`list_designs`, :func:`get_design`, :func:`load_design_file` — the registry
  (``ctcstats/designs/data/<key>.toml``, one file per study, and the calibrated values in
  ``<key>.calibrated.toml``; schema in ``data/README.md``, generated from the typed sections
  of :mod:`ctcstats.designs.sections`).
* :func:`simulate_cohort`, :func:`simulate_draws`, :func:`simulate_study` — synthetic cohorts
  (patient table, serial draws, or both).
* :func:`add_missingness` — MCAR/MAR/MNAR missing values at stated rates (an assumption,
  recorded on the frame) for showing the multiple-imputation methods at work.
* :mod:`ctcstats.designs.calibrate` — the published analyses on a synthetic cohort and the
  calibration of the hazard parameters (``scripts/calibrate_designs.py``).
"""

from __future__ import annotations

from .missingness import add_missingness
from .registry import (
    Citation,
    Covariate,
    Endpoint,
    ParamPath,
    PublishedResult,
    SerialSpec,
    StudyDesign,
    Target,
    Value,
    get_design,
    list_designs,
    load_design_file,
)
from .simulate import SyntheticCohort, simulate_cohort, simulate_draws, simulate_study

__all__ = [
    "add_missingness",
    "Citation",
    "Covariate",
    "Endpoint",
    "ParamPath",
    "PublishedResult",
    "SerialSpec",
    "StudyDesign",
    "SyntheticCohort",
    "Target",
    "Value",
    "get_design",
    "list_designs",
    "load_design_file",
    "simulate_cohort",
    "simulate_draws",
    "simulate_study",
]
