"""Reproducible HTML reports of a CTC/DTC prognostic-marker analysis (REMARK structure).

* :func:`build_report` — a cohort table and an :class:`AnalysisSpec` → one self-contained
  HTML file; :func:`build_design_report` — the same for a registered design's synthetic cohort.
* :class:`AnalysisSpec`, :class:`EndpointSpec`, :class:`Analyses`, :func:`load_spec` (TOML),
  :func:`spec_from_design`; problems raise :class:`SpecError` naming the field.

The command line is ``ctcstats report`` (see ``ctcstats report --help``).
"""

from __future__ import annotations

from .build import build_design_report, build_report
from .spec import (
    Analyses,
    AnalysisSpec,
    EndpointSpec,
    SpecError,
    load_spec,
    spec_from_design,
    spec_from_dict,
)

__all__ = [
    "Analyses",
    "AnalysisSpec",
    "EndpointSpec",
    "SpecError",
    "build_design_report",
    "build_report",
    "load_spec",
    "spec_from_design",
    "spec_from_dict",
]
