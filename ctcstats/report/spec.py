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
    horizons = [6, 12, 24]            # months
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

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._validation import seed_from_rng
from ..errors import DataValidationError

if TYPE_CHECKING:
    import numpy as np

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


def _fail(name: str, what: str, got: Any) -> SpecError:
    return SpecError(f"spec field {name!r} {what}; got {got!r}.")


def _str(value, name: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, "must be a non-empty string", value)
    return value


def _str_tuple(value, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [s.strip() for s in value.split(",") if s.strip()]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v for v in value):
        raise _fail(name, "must be a list of column names", value)
    if len(set(value)) != len(value):
        raise _fail(name, "must not repeat a name", list(value))
    return tuple(value)


def _num_tuple(value, name: str, *, integer: bool = False, minimum: float = 0.0,
               strict: bool = True, increasing: bool = False) -> tuple:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    kind = "integers" if integer else "numbers"
    bound = f"> {minimum:g}" if strict else f"≥ {minimum:g}"
    ok = isinstance(value, Sequence) and not isinstance(value, str)
    if ok:
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                ok = False
            elif integer and (isinstance(v, float) and not float(v).is_integer()):
                ok = False
            elif not math.isfinite(v) or (v <= minimum if strict else v < minimum):
                ok = False
    if not ok:
        raise _fail(name, f"must be a list of {kind} {bound}", value)
    out = tuple(int(v) if integer else float(v) for v in value)
    if increasing and any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise _fail(name, "must be strictly increasing", list(value))
    if len(set(out)) != len(out):
        raise _fail(name, "must not repeat a value", list(value))
    return out


@dataclass(frozen=True)
class EndpointSpec:
    """One time-to-event endpoint: ``name`` (short, e.g. ``"os"``), its columns and a label."""

    name: str
    time_col: str
    event_col: str
    label: str = ""
    definition: str = ""

    def __post_init__(self) -> None:
        for f in ("name", "time_col", "event_col"):
            _str(getattr(self, f), f)
        for f in ("label", "definition"):
            if not isinstance(getattr(self, f), str):
                raise _fail(f, "must be a string", getattr(self, f))
        if not self.label:
            object.__setattr__(self, "label", self.name)

    @property
    def title(self) -> str:
        return self.label if self.label == self.name else f"{self.label} ({self.name.upper()})"


_PIECEWISE = ("auto", "always", "never")


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

    cutpoint: bool = False
    categories: tuple[int, ...] = ()
    piecewise: str = "auto"
    split_at: tuple[float, ...] = ()
    prognostic: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.cutpoint, bool):
            raise _fail("analyses.cutpoint", "must be true or false", self.cutpoint)
        if not isinstance(self.prognostic, bool):
            raise _fail("analyses.prognostic", "must be true or false", self.prognostic)
        cats = self.categories
        if cats is True:
            cats = (0, 1, 2, 3, 5)
        elif cats is False or cats is None:
            cats = ()
        cats = _num_tuple(cats, "analyses.categories", integer=True, strict=False,
                          increasing=True) if len(cats) else ()
        if cats and (cats[0] != 0 or len(cats) < 3):
            raise _fail("analyses.categories", "must start at 0 and give at least 3 "
                        "categories (lower bounds, e.g. [0, 1, 5])", list(cats))
        object.__setattr__(self, "categories", cats)
        if self.piecewise is True:
            object.__setattr__(self, "piecewise", "always")
        elif self.piecewise is False:
            object.__setattr__(self, "piecewise", "never")
        if self.piecewise not in _PIECEWISE:
            raise _fail("analyses.piecewise", f"must be one of {', '.join(_PIECEWISE)}",
                        self.piecewise)
        split = _num_tuple(self.split_at, "analyses.split_at", increasing=True) \
            if len(self.split_at) else ()
        object.__setattr__(self, "split_at", split)


_MISSING = ("drop", "raise")


@dataclass(frozen=True)
class AnalysisSpec:
    """What a report analyses (see the module docstring for the TOML form).

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
    time_unit : str
        Unit of the time columns, shown in tables and axes (default ``"months"``).
    horizons, landmarks : tuple of float
        Times for survival estimates / prognostic metrics (default chosen from the follow-up)
        and landmark times (patients still at risk at the landmark, time reset).
    analyses : Analyses
    missing : {"drop", "raise"}
        ``"drop"`` (default) analyses complete cases and shows the excluded rows in the flow;
        ``"raise"`` refuses data with missing values.
    seed : int
        Seed of every random step (recorded in the provenance).
    design : str, optional
        Registry key of the design the data were simulated from (provenance only).
    """

    endpoints: tuple[EndpointSpec, ...]
    marker_col: str
    title: str = ""
    marker_label: str = ""
    description: str = ""
    thresholds: tuple[int, ...] = (1,)
    volume_col: str | None = None
    covariates: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    strata_col: str | None = None
    time_unit: str = "months"
    horizons: tuple[float, ...] = ()
    landmarks: tuple[float, ...] = ()
    analyses: Analyses = field(default_factory=Analyses)
    missing: str = "drop"
    seed: int = 1
    design: str | None = None

    def __post_init__(self) -> None:
        eps = self.endpoints
        if isinstance(eps, EndpointSpec):
            eps = (eps,)
        if not isinstance(eps, Sequence) or isinstance(eps, str) or not eps:
            raise _fail("endpoints", "must list at least one endpoint", eps)
        conv = []
        for i, e in enumerate(eps):
            if isinstance(e, Mapping):
                e = _endpoint_from_mapping(e, f"endpoints[{i}]")
            if not isinstance(e, EndpointSpec):
                raise _fail(f"endpoints[{i}]", "must be an EndpointSpec or a table", e)
            conv.append(e)
        names = [e.name for e in conv]
        if len(set(names)) != len(names):
            raise _fail("endpoints", "must have distinct names", names)
        object.__setattr__(self, "endpoints", tuple(conv))
        _str(self.marker_col, "marker_col")
        for f in ("title", "marker_label", "description", "time_unit"):
            if not isinstance(getattr(self, f), str):
                raise _fail(f, "must be a string", getattr(self, f))
        if not self.marker_label:
            object.__setattr__(self, "marker_label", self.marker_col)
        if not self.time_unit:
            raise _fail("time_unit", "must be a non-empty string", self.time_unit)
        if not self.title:
            object.__setattr__(self, "title", f"{self.marker_label} as a prognostic marker")
        th = _num_tuple(self.thresholds, "thresholds", integer=True, minimum=1, strict=False)
        if not th:
            raise _fail("thresholds", "must list at least one threshold", list(th))
        object.__setattr__(self, "thresholds", th)
        _str(self.volume_col, "volume_col", optional=True)
        _str(self.strata_col, "strata_col", optional=True)
        object.__setattr__(self, "covariates", _str_tuple(self.covariates, "covariates"))
        cat = _str_tuple(self.categorical, "categorical")
        extra = [c for c in cat if c not in self.covariates]
        if extra:
            raise _fail("categorical", "must name covariates listed in 'covariates'", extra)
        object.__setattr__(self, "categorical", cat)
        if self.marker_col in self.covariates:
            raise _fail("covariates", f"must not contain the marker column "
                        f"{self.marker_col!r}", list(self.covariates))
        object.__setattr__(self, "horizons", _num_tuple(self.horizons, "horizons",
                                                        increasing=True) if len(self.horizons)
                           else ())
        object.__setattr__(self, "landmarks", _num_tuple(self.landmarks, "landmarks",
                                                         increasing=True) if len(self.landmarks)
                           else ())
        an = self.analyses
        if isinstance(an, Mapping):
            an = _analyses_from_mapping(an)
        if not isinstance(an, Analyses):
            raise _fail("analyses", "must be an Analyses object or a table", an)
        object.__setattr__(self, "analyses", an)
        if self.missing not in _MISSING:
            raise _fail("missing", f"must be one of {', '.join(_MISSING)}", self.missing)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise _fail("seed", "must be a non-negative integer", self.seed)
        _str(self.design, "design", optional=True)

    @property
    def primary(self) -> EndpointSpec:
        return self.endpoints[0]

    def to_dict(self) -> dict:
        """A plain dict in the TOML layout (``None`` fields left out)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            if f.name == "endpoints":
                out["endpoints"] = [
                    {k: getattr(e, k) for k in ("name", "label", "time_col", "event_col",
                                                "definition") if getattr(e, k)}
                    for e in v
                ]
            elif f.name == "analyses":
                out["analyses"] = {g.name: (list(getattr(v, g.name))
                                            if isinstance(getattr(v, g.name), tuple)
                                            else getattr(v, g.name)) for g in fields(v)}
            else:
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def to_toml(self) -> str:
        """The spec as TOML text that :func:`load_spec` reads back to an equal spec."""
        d = self.to_dict()
        lines = []
        for k, v in d.items():
            if k not in ("endpoints", "analyses"):
                lines.append(f"{k} = {_toml_value(v)}")
        for e in d["endpoints"]:
            lines.append("")
            lines.append("[[endpoints]]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in e.items())
        lines.append("")
        lines.append("[analyses]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in d["analyses"].items())
        return "\n".join(lines) + "\n"


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        esc = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        esc = esc.replace("\t", "\\t").replace("\r", "\\r")
        return f'"{esc}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")  # pragma: no cover


_ENDPOINT_KEYS = {f.name for f in fields(EndpointSpec)}
_ANALYSES_KEYS = {f.name for f in fields(Analyses)}
_SPEC_KEYS = {f.name for f in fields(AnalysisSpec)}


def _unknown(d: Mapping, known: set[str], where: str) -> None:
    for k in d:
        if k not in known:
            name = f"{where}.{k}" if where else str(k)
            raise SpecError(
                f"spec field {name!r} is not known; known fields{' of ' + where if where else ''}"
                f": {', '.join(sorted(known))}."
            )


def _endpoint_from_mapping(d: Mapping, where: str) -> EndpointSpec:
    _unknown(d, _ENDPOINT_KEYS, where)
    for k in ("name", "time_col", "event_col"):
        if k not in d:
            raise SpecError(f"spec field '{where}.{k}' is missing.")
    try:
        return EndpointSpec(**d)
    except SpecError as exc:
        raise SpecError(str(exc).replace("spec field '", f"spec field '{where}.", 1)) from None


def _analyses_from_mapping(d: Mapping) -> Analyses:
    _unknown(d, _ANALYSES_KEYS, "analyses")
    return Analyses(**d)


def spec_from_dict(d: Mapping[str, Any], **overrides) -> AnalysisSpec:
    """Build an :class:`AnalysisSpec` from a TOML-like dict; ``overrides`` replace fields.

    Raises :class:`SpecError` naming the first unknown, missing or invalid field.
    """
    if not isinstance(d, Mapping):
        raise SpecError(f"a spec must be a table of fields; got {type(d).__name__}.")
    merged = dict(d)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    _unknown(merged, _SPEC_KEYS, "")
    for k in ("endpoints", "marker_col"):
        if k not in merged:
            raise SpecError(f"spec field {k!r} is missing.")
    eps = merged["endpoints"]
    if isinstance(eps, Mapping):
        eps = [eps]
    if not isinstance(eps, Sequence) or isinstance(eps, str):
        raise _fail("endpoints", "must be a list of tables ([[endpoints]])", eps)
    merged["endpoints"] = tuple(
        e if isinstance(e, EndpointSpec) else _endpoint_from_mapping(e, f"endpoints[{i}]")
        if isinstance(e, Mapping) else e
        for i, e in enumerate(eps)
    )
    if isinstance(merged.get("analyses"), Mapping):
        merged["analyses"] = _analyses_from_mapping(merged["analyses"])
    return AnalysisSpec(**merged)


def load_spec(path: str | Path, **overrides) -> AnalysisSpec:
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


def spec_from_design(design, *, rng: int | np.random.Generator | None = 1) -> AnalysisSpec:
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
                if 0 < float(w) < float(d.follow_up.get("window_months").value
                                        if d.follow_up.get("window_months") else 1e9):
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
    cats = tuple(int(c) for c in d.marker.get("categories", ()) or ())
    volume = "blood_volume_ml" if d.marker_kind == "CTC" else "cells_examined"
    horizons = (12.0, 24.0, 36.0) if d.setting.get("stage") == "metastatic" else (36.0, 60.0, 96.0)
    return AnalysisSpec(
        title=f"{d.marker_kind} as a prognostic marker — synthetic cohort mirroring "
              f"{d.citation.authors.split(',')[0]} {d.citation.year or ''}".rstrip(),
        description=(
            f"{d.setting.get('description', '')}. Synthetic cohort simulated from the registered "
            f"design {d.key!r} ({d.citation}); every number of the design is published or a "
            "labelled assumption (cs.get_design(key).numbers())."
        ),
        endpoints=endpoints,
        marker_col=f"{d.marker_prefix}_count",
        marker_label=d.marker_kind,
        thresholds=tuple(thresholds),
        volume_col=volume,
        covariates=covariates,
        categorical=categorical,
        strata_col=strata,
        horizons=horizons,
        analyses=Analyses(cutpoint=True, categories=cats if len(cats) >= 3 else (),
                          piecewise="auto", split_at=tuple(sorted(splits)), prognostic=True),
        missing="drop",
        seed=seed_from_rng(rng, func="spec_from_design"),
        design=d.key,
    )
