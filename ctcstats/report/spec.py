"""The analysis specification of a report: what to analyse and how.

An :class:`AnalysisSpec` names the endpoints (time and event columns), the marker (a count
with positivity thresholds, or a 0/1 status), the clinical covariates, optional strata,
horizons and landmarks, and which further analyses to run. It is built in Python, read from a
TOML file with :func:`load_spec`, or derived from a registered design with
:func:`spec_from_design`. Every problem raises :class:`SpecError` naming the field, e.g.
``spec field 'endpoints[1].time_col' is missing``.

A TOML spec::

    title = "CTC and survival in metastatic breast cancer"
    marker_col = "ctc_count"          # a count (thresholds apply) or a 0/1 status
    marker_label = "CTC"
    thresholds = [5, 1]               # positive = count >= threshold; the first is primary
    volume_col = "blood_volume_ml"
    covariates = ["age", "hr_positive", "line_of_therapy"]
    categorical = ["line_of_therapy"]
    strata_col = "centre"
    time_unit = "months"              # of the time columns: days, weeks, months, years
    horizons = [6, 12, 24]            # in the display unit (default: time_unit)
    landmarks = [3]
    seed = 1

    [[endpoints]]
    name = "pfs"
    label = "progression-free survival"
    time_col = "pfs_months"
    event_col = "pfs_event"

    [analyses]
    cutpoint = true
    categories = [0, 1, 2, 3, 5]
    piecewise = "auto"                # "auto" (when the PH check fails), "always", "never"
    split_at = [12]
    prognostic = true
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from .._fieldtable import (
    Reader,
    check_instance,
    markdown_table,
    replace_generated,
    schema_of,
    spec_field,
)
from .._validation import seed_from_rng
from ..errors import DataValidationError

if TYPE_CHECKING:
    import numpy as np

    from ..designs.registry import StudyDesign

__all__ = [
    "SpecError",
    "EndpointSpec",
    "Analyses",
    "AnalysisSpec",
    "load_spec",
    "spec_from_dict",
    "spec_from_design",
]


class SpecError(DataValidationError):
    """An analysis specification is incomplete or contradictory; the message names the field."""


README_REF = "README.md, section 'Analysis spec'"
README_BLOCK = "spec-fields"


def _spec_fail(name: str, msg: str) -> SpecError:
    return SpecError(f"spec field {name!r} {msg}")


def _validate(obj: Any) -> None:
    check_instance(obj, _spec_fail, README_REF)


@dataclass(frozen=True)
class EndpointSpec:
    """One time-to-event endpoint: ``name`` (short, e.g. ``"os"``), its columns and a label."""

    name: str = spec_field("text", "Short name, e.g. `os` (used in headings and file names).")
    time_col: str = spec_field("text", "Column of follow-up times.")
    event_col: str = spec_field("text", "Column of event indicators (1 = event, 0 = censored).")
    label: str = spec_field("text", "Name in words (default: `name`).", default="")
    definition: str = spec_field("text", "Definition shown in the report.", default="")

    def __post_init__(self) -> None:
        _validate(self)
        if not self.label:
            object.__setattr__(self, "label", self.name)

    @property
    def title(self) -> str:
        # "RFS", not "RFS (RFS)": the short name is added only when it says something new —
        # not when it is the time column's own name ("relapse-free survival", not
        # "relapse-free survival (TIME)" for R's colon with --time-col time)
        if self.label.casefold() == self.name.casefold() or self.name == self.time_col:
            return self.label
        return f"{self.label} ({self.name.upper()})"


@dataclass(frozen=True)
class Analyses:
    """Optional analyses.

    ``cutpoint`` — maximally selected log-rank cut-point search on the count (first endpoint)
    with a multiplicity-corrected p-value; ``categories`` — count categories (lower bounds,
    starting at 0, e.g. ``(0, 1, 2, 3, 5)``) with KM curves and a log-rank test for trend
    (empty: not done); ``piecewise`` — period-specific marker effects split at ``split_at``:
    ``"auto"`` when the proportional-hazards check of the marker fails (p < 0.05),
    ``"always"`` or ``"never"``; ``split_at`` — cut times (default: the median of the observed
    event times); ``prognostic`` — added value of the marker over the clinical model
    (concordance, time-dependent AUC, Brier score at the horizons).
    """

    cutpoint: bool = spec_field("bool", "Maximally selected log-rank cut-point search on the "
                                "count (first endpoint), multiplicity-corrected p-value.",
                                default=False)
    categories: tuple[int, ...] = spec_field(
        "ints", "Count categories by their lower bounds, starting at 0, at least 3 (KM curves "
        "and a log-rank test for trend); `[]` = not done.", default=(), low=0,
        increasing=True, example="[0, 1, 2, 3, 5]")
    piecewise: str = spec_field("choice", "Period-specific marker effects split at "
                                "`split_at`: `auto` when the proportional-hazards check of the "
                                "marker fails (p < 0.05), `always` or `never`.", default="auto",
                                choices=("auto", "always", "never"))
    split_at: tuple[float, ...] = spec_field(
        "floats", "Cut times of the piecewise effects (default: the median observed event "
        "time).", default=(), low=0, low_open=True, increasing=True, example="[12, 24]")
    prognostic: bool = spec_field("bool", "Added value of the marker over the clinical model "
                                  "(concordance, time-dependent AUC, Brier score at the "
                                  "horizons).", default=True)

    def __post_init__(self) -> None:
        _validate(self)
        cats = self.categories
        if cats and (cats[0] != 0 or len(cats) < 3):
            raise _spec_fail("analyses.categories", "must start at 0 and give at least 3 "
                             "categories (lower bounds, e.g. [0, 1, 5]); got "
                             f"{list(cats)!r}.")


@dataclass(frozen=True)
class AnalysisSpec:
    """What a report analyses (see the module docstring for the TOML form).

    Every field is described — type, allowed values, default, meaning — in the table of
    ``README.md`` (section "Analysis spec"), generated from the fields below; adding a field
    is one line here.

    Attributes
    ----------
    endpoints : tuple of EndpointSpec
        At least one; the first is the primary endpoint (cut-point search, prognostic value).
    marker_col : str
        The marker: a count (non-negative integers; positivity is ``count >= threshold``) or a
        0/1 status.
    title, marker_label, description : str
        Report title, the marker's name in text and figures (default ``marker_col``) and
        the study's aims (REMARK item 1).
    thresholds : tuple of int
        Positivity thresholds of a count marker; the first defines the primary grouping.
    volume_col : str, optional
        Blood volume (mL) or cells examined, summarised with the marker.
    covariates, categorical : tuple of str
        Clinical covariates of Table 1 and the multivariable model; ``categorical`` ones are
        modelled with indicator terms (others enter linearly).
    strata_col : str, optional
        Stratification (e.g. study or centre) of the log-rank tests and Cox models.
    time_unit : {"days", "weeks", "months", "years"}, optional
        Unit of the time columns (default: from the columns' names, e.g. ``os_days``; else
        months, assumed and said so in the report). Implausible follow-up for the unit is
        refused.
    display_unit : {"days", "weeks", "months", "years"}, optional
        Unit of the report's tables and axes (default ``time_unit``).
    horizons, landmarks : tuple of float
        Times (in the display unit) for survival estimates / prognostic metrics (default:
        usual horizons of the unit within the median follow-up) and landmark times (patients
        still at risk at the landmark, time reset).
    analyses : Analyses
    missing : {"drop", "raise"}
        ``"drop"`` (default) analyses complete cases and shows the excluded rows in the flow;
        ``"raise"`` refuses data with missing values.
    primary_analysis : {"complete_case", "multiple_imputation"}
        When covariates are missing, the report adds a section with the multivariable Cox
        model on complete cases and after multiple imputation; this says which is primary.
    n_imputations : int
        Number of imputed data sets in that section (default 20).
    seed : int
        Seed of every random step (recorded in the provenance).
    design : str, optional
        Registry key of the design the data were simulated from (provenance only).
    relapse_site_col : str, optional
        Site of the first relapse (e.g. ``"bone"``, ``"visceral"``; empty, ``"none"`` or
        missing for no relapse): adds the section "Relapse sites" (competing first-relapse
        sites and, with an ``os`` endpoint, relapse sites then death).
    relapse_endpoint : str, optional
        Name of the endpoint whose events are the first relapses (or deaths); default the
        first endpoint.
    """

    endpoints: tuple[EndpointSpec, ...] = spec_field(
        "tables", "At least one endpoint; the first is primary (cut-point search, prognostic "
        "value).", section=EndpointSpec, nonempty=True)
    marker_col: str = spec_field("text", "The marker column: a count (positive = count ≥ "
                                 "threshold) or a 0/1 status.")
    title: str = spec_field("text", "Report title (default: \"<marker_label> as a prognostic "
                            "marker\").", default="")
    marker_label: str = spec_field("text", "The marker's name in text and figures (default: "
                                   "`marker_col`).", default="")
    description: str = spec_field("text", "The study's aims (REMARK item 1).", default="")
    thresholds: tuple[int, ...] = spec_field(
        "ints", "Positivity thresholds of a count marker; the first defines the primary "
        "grouping.", default=(1,), low=1, nonempty=True, unique=True, example="[5, 1]")
    volume_col: str | None = spec_field("text", "Blood volume (mL) or cells examined, "
                                        "summarised with the marker.", default=None)
    covariates: tuple[str, ...] = spec_field(
        "texts", "Clinical covariates of Table 1 and the multivariable model.", default=(),
        unique=True, example='["age", "grade"]')
    categorical: tuple[str, ...] = spec_field(
        "texts", "Covariates modelled with indicator terms (others enter linearly); each must "
        "be in `covariates`.", default=(), unique=True, example='["grade"]')
    strata_col: str | None = spec_field("text", "Stratification (e.g. study or centre) of the "
                                        "log-rank tests and Cox models.", default=None)
    time_unit: str | None = spec_field(
        "choice", "Unit of the time columns. Default: from the time columns' names "
        "(`os_days` → days), else months are assumed and the report says so. Follow-up "
        "implausible for the unit (a median of 700 months) is refused.", default=None,
        choices=("days", "weeks", "months", "years"))
    display_unit: str | None = spec_field(
        "choice", "Unit shown in the report's tables and axes (times converted; months are "
        "365.25/12 days). `horizons`, `landmarks` and `analyses.split_at` are in this unit. "
        "Default: `time_unit`.", default=None, choices=("days", "weeks", "months", "years"))
    horizons: tuple[float, ...] = spec_field(
        "floats", "Times of survival estimates and prognostic metrics, in the display unit "
        "(default: usual horizons of the unit — e.g. 6, 12, 24 months or 180, 365, 730 days — "
        "within the median follow-up).", default=(), low=0, low_open=True, increasing=True,
        example="[12, 24, 36]")
    landmarks: tuple[float, ...] = spec_field(
        "floats", "Landmark times (patients still at risk there, time reset).", default=(),
        low=0, low_open=True, increasing=True, example="[3]")
    analyses: Analyses = spec_field("table", "Optional analyses (table below).",
                                    default=Analyses(), section=Analyses)
    missing: str = spec_field("choice", "`drop`: analyse complete cases and show the excluded "
                              "rows in the flow; `raise`: refuse data with missing values.",
                              default="drop", choices=("drop", "raise"))
    primary_analysis: str = spec_field(
        "choice", "When covariates are missing: which multivariable analysis is primary — "
        "`complete_case` or `multiple_imputation` (smcfcs); the report shows both.",
        default="complete_case", choices=("complete_case", "multiple_imputation"))
    n_imputations: int = spec_field("int", "Imputed data sets when covariates are missing.",
                                    default=20, low=2)
    seed: int = spec_field("int", "Seed of every random step (recorded in the provenance).",
                           default=1, low=0)
    design: str | None = spec_field("text", "Registry key of the design the data were "
                                    "simulated from (provenance only).", default=None)
    relapse_site_col: str | None = spec_field(
        "text", "Site of the first relapse (e.g. bone, visceral; empty, `none` or missing for "
        "no relapse): adds the section 'Relapse sites' (competing first-relapse sites and, "
        "with an `os` endpoint, relapse sites then death).", default=None)
    relapse_endpoint: str | None = spec_field(
        "text", "Endpoint whose events are the first relapses or deaths (default: the first "
        "endpoint); needs `relapse_site_col`.", default=None)

    def __post_init__(self) -> None:
        _validate(self)
        names = [e.name for e in self.endpoints]
        if len(set(names)) != len(names):
            raise _spec_fail("endpoints", f"must have distinct names; got {names!r}.")
        if not self.marker_label:
            object.__setattr__(self, "marker_label", self.marker_col)
        if not self.title:
            object.__setattr__(self, "title", f"{self.marker_label} as a prognostic marker")
        extra = [c for c in self.categorical if c not in self.covariates]
        if extra:
            raise _spec_fail("categorical", f"must name covariates listed in 'covariates'; got "
                             f"{extra!r}.")
        if self.marker_col in self.covariates:
            raise _spec_fail("covariates", f"must not contain the marker column "
                             f"{self.marker_col!r}; got {list(self.covariates)!r}.")
        if self.relapse_site_col is not None and self.relapse_site_col in (
                self.marker_col, *self.covariates):
            raise _spec_fail("relapse_site_col", f"must not be the marker or a covariate; got "
                             f"{self.relapse_site_col!r}.")
        if self.relapse_endpoint is not None:
            if self.relapse_site_col is None:
                raise _spec_fail("relapse_endpoint", f"needs relapse_site_col; got "
                                 f"{self.relapse_endpoint!r}.")
            if self.relapse_endpoint not in names:
                raise _spec_fail("relapse_endpoint", f"must name an endpoint "
                                 f"({', '.join(names)}); got {self.relapse_endpoint!r}.")

    @property
    def primary(self) -> EndpointSpec:
        return self.endpoints[0]

    def to_dict(self) -> dict:
        """A plain dict in the TOML layout (``None`` and empty optional fields left out)."""
        return _as_dict(self)

    def to_toml(self) -> str:
        """The spec as TOML text (written by tomli-w) that :func:`load_spec` reads back to an
        equal spec."""
        return tomli_w.dumps(self.to_dict())


def _as_dict(obj: Any) -> dict:
    out: dict[str, Any] = {}
    for name, spec in schema_of(type(obj)):
        v = getattr(obj, name)
        if v is None or (spec.kind == "text" and v == "" and not spec.required):
            continue
        if spec.kind == "table":
            v = _as_dict(v)
        elif spec.kind == "tables":
            v = [_as_dict(x) for x in v]
        elif isinstance(v, tuple):
            v = list(v)
        out[name] = v
    return out


def spec_from_dict(d: Mapping[str, Any], **overrides: Any) -> AnalysisSpec:
    """Build an :class:`AnalysisSpec` from a TOML-like dict; ``overrides`` replace fields.

    Nothing is coerced: a string where a list is expected, a float where a whole number is
    expected or an unknown key raises :class:`SpecError` naming the field and the fix.
    """
    if not isinstance(d, Mapping):
        raise SpecError(f"a spec must be a table of fields; got {type(d).__name__}.")
    merged = dict(d)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return Reader(_spec_fail, README_REF).section(AnalysisSpec, merged, "")


def spec_markdown() -> str:
    """The spec section of ``README.md``, generated from the field table."""
    parts = ["<!-- generated from ctcstats/report/spec.py by scripts/generate_docs.py; do not "
             "edit by hand -->", ""]
    for title, cls in (("top level", AnalysisSpec), ("[[endpoints]]", EndpointSpec),
                       ("[analyses]", Analyses)):
        parts += [f"`{title}`", "", markdown_table(cls), ""]
    return "\n".join(parts)


def render_readme(text: str) -> str:
    """*text* (README.md) with its generated spec block brought up to date."""
    return replace_generated(text, README_BLOCK, spec_markdown())


def load_spec(path: str | Path, **overrides: Any) -> AnalysisSpec:
    """Read an analysis spec from a TOML file (layout in :mod:`ctcstats.report.spec`).

    Parameters
    ----------
    path : str or Path
        The TOML file.
    **overrides
        Fields that replace the file's (``None`` values are ignored), e.g. ``seed=2``.

    Raises
    ------
    SpecError
        The file is missing or not TOML, or a field is unknown, missing or invalid (the
        message names it, e.g. ``spec field 'analyses.split_at' must be strictly
        increasing``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from ctcstats.report import load_spec
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "spec.toml"
    >>> _ = p.write_text('marker_col = "ctc_count"\\nthresholds = [5]\\n'
    ...                  '[[endpoints]]\\nname = "os"\\ntime_col = "os_months"\\n'
    ...                  'event_col = "os_event"\\n')
    >>> load_spec(p).thresholds
    (5,)
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"spec file {str(p)!r} does not exist.")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"spec file {p.name!r} is not valid TOML: {exc}") from None
    return spec_from_dict(doc, **overrides)


def spec_from_design(design: str | StudyDesign, *, rng: int | np.random.Generator | None = 1) -> AnalysisSpec:
    """The report spec of a registered design's published analysis.

    Endpoints are the design's (``<name>_months`` / ``<name>_event``); the marker is the
    count with the design's threshold (plus ≥ 1 and ≥ 5 for CTC designs where they differ);
    covariates and strata are those of the published multivariable models (all design
    covariates when none was published); piecewise splits come from the published time
    windows; count categories from the design's categories; a cut-point search and the
    prognostic analyses are always included. ``rng`` becomes the spec's integer ``seed``
    (a Generator or None gives a seed drawn from it).
    """
    from ..designs import get_design

    d = get_design(design)
    endpoints = tuple(
        EndpointSpec(name=e.name, label=e.label, definition=e.definition,
                     time_col=f"{e.name}_months", event_col=f"{e.name}_event")
        for e in d.endpoints
    )
    cov_names = [c.name for c in d.covariates]
    published: list[str] = []
    strata = None
    splits: set[float] = set()
    for r in d.results:
        if r.kind == "hr_multivariable":
            published += [c for c in r.covariates if c not in published and c in cov_names]
            if r.strata and strata is None:
                strata = r.strata
        if r.window is not None and r.kind.startswith("hr"):
            for w in r.window:
                win = d.follow_up.window_months
                if 0 < float(w) < (float(win.value) if win is not None else 1e9):
                    splits.add(float(w))
    covariates = tuple(published or cov_names)
    if strata is not None and strata not in ("study",) and d.pooled:
        strata = "study"
    if strata is None and d.pooled:
        strata = "study"
    categorical = tuple(c.name for c in d.covariates
                        if c.name in covariates and c.kind == "ordinal" and len(c.levels) > 3)
    thresholds = [d.threshold]
    if d.marker_kind == "CTC":
        thresholds += [t for t in (1, 5) if t != d.threshold]
    cats = tuple(int(c) for c in d.marker.categories)
    volume = "blood_volume_ml" if d.marker_kind == "CTC" else "cells_examined"
    horizons = (12.0, 24.0, 36.0) if d.setting.stage == "metastatic" else (36.0, 60.0, 96.0)
    return AnalysisSpec(
        title=f"{d.marker_kind} as a prognostic marker — synthetic cohort mirroring "
              f"{d.citation.authors.split(',')[0]} {d.citation.year or ''}".rstrip(),
        description=(
            f"{d.setting.description}. Synthetic cohort simulated from the registered "
            f"design {d.key!r} ({d.citation}); every number of the design is published, a "
            "labelled assumption or calibrated to reproduce the published results "
            "(listed with their sources in the design's table of numbers)."
        ),
        endpoints=endpoints,
        marker_col=f"{d.marker_prefix}_count",
        marker_label=d.marker_kind,
        thresholds=tuple(thresholds),
        volume_col=volume,
        covariates=covariates,
        categorical=categorical,
        strata_col=strata,
        time_unit="months",
        horizons=horizons,
        analyses=Analyses(cutpoint=True, categories=cats if len(cats) >= 3 else (),
                          piecewise="auto", split_at=tuple(sorted(splits)), prognostic=True),
        missing="drop",
        seed=seed_from_rng(rng, func="spec_from_design"),
        design=d.key,
    )
