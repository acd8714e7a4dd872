"""Registry of published CTC/DTC study designs.

Each design is a TOML file in ``ctcstats/designs/data/`` (one per study, ``<key>.toml``,
edited by hand) read into a frozen :class:`StudyDesign`; the values solved by
``scripts/calibrate_designs.py`` live beside it in ``<key>.calibrated.toml`` (written by the
script, never edited). Every number of a design file is a table
``{value = ..., status = "published", source = "..."}`` or
``{value = ..., status = "assumption", reason = "..."}`` and becomes a :class:`Value`; a
number that the sources did not report is never stored as published.

The schema — sections, fields, types, bounds, meaning — is one table: the typed dataclasses
of :mod:`ctcstats.designs.sections` (and :class:`StudyDesign` below for the top level). The
parser (:mod:`ctcstats.designs._schema`) and the schema section of
``ctcstats/designs/data/README.md`` are generated from it.

Precedence: a value in ``<key>.calibrated.toml`` replaces the hand-edited starting value of the
same parameter (the file must solve exactly the parameters and targets of ``[calibration]``);
``StudyDesign.numbers()`` shows it with status ``calibrated``.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .._fieldtable import Value, schema_of, spec_field
from ..errors import DataValidationError
from .sections import (
    COVARIATE_KINDS,
    ENDPOINT_KINDS,
    GROUPINGS,
    PROCESSES,
    RESULT_KINDS,
    CalibratedRun,
    CalibrationSpec,
    Citation,
    Covariate,
    DesignInfo,
    Endpoint,
    FollowUp,
    Marker,
    Model,
    ParamPath,
    Pooling,
    PublishedResult,
    SerialSpec,
    Setting,
    Target,
    identifier,
)

__all__ = [
    "Value",
    "Citation",
    "Endpoint",
    "Covariate",
    "PublishedResult",
    "SerialSpec",
    "StudyDesign",
    "ParamPath",
    "Target",
    "list_designs",
    "get_design",
    "load_design_file",
    "resolve_design",
    "ENDPOINT_KINDS",
    "COVARIATE_KINDS",
    "RESULT_KINDS",
    "GROUPINGS",
    "PROCESSES",
]

CALIBRATED_SUFFIX = ".calibrated.toml"


@dataclass(frozen=True, kw_only=True)
class StudyDesign:
    """A published study design (frozen). Build with :func:`get_design` / :func:`load_design_file`.

    Attributes
    ----------
    key, title : str
    not_found : tuple of str
        Fields the sources were searched for but did not report (never published).
    citation, setting, design, pooling, marker, follow_up, serial, model, calibration
        The sections of the file as typed dataclasses (:mod:`ctcstats.designs.sections`);
        ``pooling``, ``serial`` and ``calibration`` are None when the design has none.
    endpoints, covariates, results : tuples of :class:`Endpoint`, :class:`Covariate`,
        :class:`PublishedResult`.
    calibrated : CalibratedRun or None
        The run of ``scripts/calibrate_designs.py`` read from ``<key>.calibrated.toml``
        (seed, n, solved values, achieved fit); its values are already merged into ``model``
        and ``covariates``.
    path : str
        The hand-edited file.
    """

    key: str = spec_field("text", "Registry key; equals the file name without `.toml`.",
                          convert=identifier)
    title: str = spec_field("text", "One line: author year — marker, setting.")
    not_found: tuple[str, ...] = spec_field(
        "texts", "Fields (as in `numbers()`) the sources were searched for but did not report; "
        "each must be an assumption.", default=(), unique=True)
    citation: Citation = spec_field("table", "The publication.", section=Citation)
    setting: Setting = spec_field("table", "Population and time origin.", section=Setting)
    design: DesignInfo = spec_field("table", "Size.", section=DesignInfo)
    pooling: Pooling | None = spec_field("table", "Pooled designs only.", default=None,
                                         section=Pooling)
    marker: Marker = spec_field("table", "The marker and its count model.", section=Marker)
    follow_up: FollowUp = spec_field("table", "Accrual and follow-up.", section=FollowUp)
    serial: SerialSpec | None = spec_field("table", "Designs with serial draws only.",
                                           default=None, section=SerialSpec)
    endpoints: tuple[Endpoint, ...] = spec_field("tables", "At least one endpoint.",
                                                 section=Endpoint, nonempty=True,
                                                 label_key="name")
    covariates: tuple[Covariate, ...] = spec_field("tables", "Patient covariates.", default=(),
                                                   section=Covariate, label_key="name")
    model: Model = spec_field("table", "Hazard model of the event processes.", section=Model)
    results: tuple[PublishedResult, ...] = spec_field(
        "tables", "The published results, one quantity each.", section=PublishedResult,
        nonempty=True, label_key="id")
    calibration: CalibrationSpec | None = spec_field(
        "table", "Parameters solved to reproduce results.", default=None,
        section=CalibrationSpec)
    calibrated: CalibratedRun | None = None
    path: str = ""

    # ---- convenience ----------------------------------------------------------------------
    @property
    def n(self) -> Value:
        """Published size (``design.n``)."""
        return self.design.n

    @property
    def marker_kind(self) -> str:
        return self.marker.kind

    @property
    def marker_prefix(self) -> str:
        return "ctc" if self.marker.kind == "CTC" else "dtc"

    @property
    def threshold(self) -> int:
        return int(self.marker.threshold.value)

    @property
    def prevalence(self) -> float:
        return float(self.marker.prevalence.value)

    @property
    def pooled(self) -> bool:
        return self.pooling is not None

    @property
    def is_serial(self) -> bool:
        return self.serial is not None

    @property
    def has_arms(self) -> bool:
        """Patients are assigned to arms (today: the SWOG S0500 scheme of
        ``serial.follow_up_only_if_positive``; a trial section would add its own)."""
        return self.serial is not None and self.serial.follow_up_only_if_positive

    @property
    def is_calibrated(self) -> bool:
        return self.calibrated is not None

    @property
    def endpoint_names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.endpoints)

    def result(self, result_id: str) -> PublishedResult:
        for r in self.results:
            if r.id == result_id:
                return r
        raise KeyError(f"design {self.key!r} has no result {result_id!r}")

    # ---- model parameters by path -----------------------------------------------------------
    def _walk(self) -> Iterator[tuple[ParamPath, Value]]:
        m = self.model
        for name, spec in schema_of(Model):
            if spec.kind == "number":
                v = getattr(m, name)
                if v is not None:
                    yield ParamPath("", name), v
                continue
            sec = getattr(m, name)
            if sec is None:
                continue
            for fname, fspec in schema_of(type(sec)):
                v = getattr(sec, fname)
                if fspec.kind == "number_list":
                    for i, item in enumerate(v):
                        yield ParamPath(name, fname, i), item
                elif v is not None:
                    yield ParamPath(name, fname), v
        for c in self.covariates:
            for proc, v in c.log_hr.items():
                yield ParamPath("covariates", proc, None, c.name), v

    def parameters(self) -> dict[ParamPath, Value]:
        """Every model number of the design by :class:`ParamPath` (file order)."""
        return dict(self._walk())

    def path_of(self, path: ParamPath | str) -> ParamPath:
        """*path* parsed and checked to exist in this design (``DataValidationError`` lists the
        design's parameters, with a did-you-mean)."""
        try:
            p = ParamPath.parse(path)
        except ValueError as exc:
            raise DataValidationError(f"design {self.key!r}: {exc}") from None
        have = self.parameters()
        if p not in have:
            names = [str(q) for q in have]
            close = difflib.get_close_matches(str(p), names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise DataValidationError(
                f"design {self.key!r} has no model parameter {str(p)!r}; {hint}its parameters "
                f"are {', '.join(names)}.")
        return p

    def param(self, path: ParamPath | str) -> Any:
        """The value of model parameter *path* (e.g. ``"progression.rate"``)."""
        return self.parameters()[self.path_of(path)].value

    def with_values(self, values: Mapping[ParamPath | str, float], *, status: str = "calibrated",
                    source: str = "", reason: str = "") -> StudyDesign:
        """A copy with model parameters replaced by floats carrying the given provenance."""
        model, covs = self.model, {c.name: c for c in self.covariates}
        for key, x in values.items():
            p = self.path_of(key)
            v = Value(float(x), status, source, reason)
            if p.section == "covariates":
                c = covs[str(p.covariate)]
                covs[c.name] = dataclasses.replace(
                    c, log_hr=MappingProxyType({**c.log_hr, p.field: v}))
                continue
            new: Any = v
            if p.section == "":
                model = dataclasses.replace(model, **{p.field: new})
                continue
            sec = getattr(model, p.section)
            if p.index is not None:
                items = list(getattr(sec, p.field))
                items[p.index] = v
                new = tuple(items)
            changed: Any = dataclasses.replace(sec, **{p.field: new})
            model = dataclasses.replace(model, **{p.section: changed})
        return dataclasses.replace(self, model=model,
                                   covariates=tuple(covs[c.name] for c in self.covariates))

    # ---- provenance -------------------------------------------------------------------------
    def _rows(self) -> Iterator[tuple[str, Value]]:
        yield "design.n", self.design.n
        for sec_name in ("pooling", "marker", "follow_up", "serial"):
            sec = getattr(self, sec_name)
            if sec is None:
                continue
            for name, _ in schema_of(type(sec)):
                v = getattr(sec, name)
                if isinstance(v, Value):
                    yield f"{sec_name}.{name}", v
        for c in self.covariates:
            for nm in ("negative", "shift", "sd", "direction"):
                v = getattr(c, nm)
                if v is not None:
                    yield f"covariates.{c.name}.{nm}", v
        for p, v in self._walk():
            yield str(p), v
        for r in self.results:
            yield f"results.{r.id}", r.provenance

    def numbers(self) -> pd.DataFrame:
        """Every number of the design with its provenance.

        Columns ``field, value, status, source, reason``: one row per :class:`Value`
        (including each published result); ``status`` is ``published``, ``assumption`` or
        ``calibrated`` (solved by ``scripts/calibrate_designs.py``, from
        ``<key>.calibrated.toml``).
        """
        rows = list(self._rows())
        return pd.DataFrame(
            {
                "field": [n for n, _ in rows],
                "value": [v.value for _, v in rows],
                "status": [v.status for _, v in rows],
                "source": [v.source for _, v in rows],
                "reason": [v.reason for _, v in rows],
            }
        )

    def calibration_fit(self) -> pd.DataFrame:
        """How closely the calibration reproduced each target.

        Columns ``target, published, achieved`` (one row per target of ``[calibration]``;
        empty when the design is not calibrated).
        """
        rows = self.calibrated.fit if self.calibrated is not None else ()
        return pd.DataFrame({"target": [str(f.target) for f in rows],
                             "published": [f.published for f in rows],
                             "achieved": [f.achieved for f in rows]})

    def __repr__(self) -> str:
        return (
            f"<StudyDesign {self.key!r}: {self.citation.authors.split(',')[0]} "
            f"{self.citation.year}, n={self.n.value}, {self.marker_kind} "
            f"≥{self.threshold}, endpoints={','.join(self.endpoint_names)}>"
        )


# --------------------------------------------------------------------------- public API
_CACHE: dict[str, StudyDesign] = {}


def _data_files() -> dict[str, Any]:
    root = resources.files("ctcstats.designs") / "data"
    return {
        entry.name[:-5]: entry
        for entry in sorted(root.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml") and not entry.name.endswith(CALIBRATED_SUFFIX)
    }


def _read_toml(entry: Any, shown: str) -> dict:
    try:
        return tomllib.loads(entry.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"design file {shown} is not valid TOML: {exc}") from None


def _load(entry: Any, cal: Any, shown: str, cshown: str, *, calibrated: bool) -> StudyDesign:
    """Parse design file *entry* (a Path or package resource) and, if asked and present, merge
    the calibrated file *cal*; *shown*/*cshown* name them in errors."""
    from . import _schema

    design = _schema.parse_design(_read_toml(entry, shown), shown, path=str(entry))
    if calibrated and cal.is_file():
        design = _schema.merge_calibrated(design, _read_toml(cal, cshown), cshown,
                                          path=str(cal))
    return design


def _load_registered(key: str) -> StudyDesign:
    if key not in _CACHE:
        entry = _data_files()[key]
        cal = resources.files("ctcstats.designs") / "data" / f"{key}{CALIBRATED_SUFFIX}"
        design = _load(entry, cal, repr(entry.name), repr(cal.name), calibrated=True)
        if design.key != key:
            raise DataValidationError(
                f"design file {entry.name!r}: field 'key' is {design.key!r} but the file "
                f"name says {key!r}."
            )
        _CACHE[key] = design
    return _CACHE[key]


def get_design(key: str | StudyDesign) -> StudyDesign:
    """The registered design *key* (e.g. ``"braun2005"``).

    Parameters
    ----------
    key : str or StudyDesign
        A registry key; :func:`list_designs` shows them all (a StudyDesign is returned as
        it is).

    Returns
    -------
    StudyDesign
        Frozen; published numbers carry their source and the rest are labelled assumptions.

    Raises
    ------
    DataValidationError
        If *key* is not registered (the message lists the available keys).

    Examples
    --------
    >>> import ctcstats as cs
    >>> d = cs.get_design("braun2005")
    >>> d.n.value, d.prevalence, d.threshold
    (4703, 0.306, 1)
    """
    if isinstance(key, StudyDesign):
        return key
    files = _data_files()
    if not isinstance(key, str) or key not in files:
        raise DataValidationError(
            f"unknown design {key!r}; available designs: {', '.join(files)} (see "
            "ctcstats.list_designs(), or load your own with load_design_file(path))."
        )
    return _load_registered(key)


def load_design_file(path: str | Path, *, calibrated: bool = True) -> StudyDesign:
    """Read a user-defined design from a TOML file in the registry schema.

    Parameters
    ----------
    path : str or Path
        A TOML file laid out like ``ctcstats/designs/data/*.toml`` (schema in
        ``ctcstats/designs/data/README.md``).
    calibrated : bool
        Merge the values of ``<stem>.calibrated.toml`` beside the file, when there is one
        (default). False gives the hand-edited starting values (what the calibration script
        starts from).

    Returns
    -------
    StudyDesign

    Raises
    ------
    DataValidationError
        The file is missing, not valid TOML, or a field is unknown, missing, of the wrong
        type, out of bounds or contradictory (e.g. prevalence outside (0, 1), a threshold
        < 1, a CI that does not contain its HR, a result for an undeclared endpoint, a
        calibrated file that does not match ``[calibration]``); the message names the file
        and the field.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.designs import load_design_file
    >>> d = load_design_file(cs.get_design("lucci2012").path)
    >>> d.key, d.is_calibrated
    ('lucci2012', True)
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"design file {str(path)!r} does not exist.")
    cal = path.with_name(path.name.removesuffix(".toml") + CALIBRATED_SUFFIX)
    return _load(path, cal, repr(str(path)), repr(str(cal)), calibrated=calibrated)


def resolve_design(design: str | StudyDesign) -> StudyDesign:
    """A registry key or a :class:`StudyDesign` → the :class:`StudyDesign`."""
    if isinstance(design, StudyDesign):
        return design
    return get_design(design)


def list_designs() -> pd.DataFrame:
    """One row per registered design.

    Returns
    -------
    DataFrame
        Columns ``key, citation, year, setting, stage, n, n_studies, marker, sample,
        threshold, prevalence, endpoints, median_follow_up_months, serial, calibrated``.
        ``threshold`` is the positivity cut-off (count ≥ threshold); ``endpoints`` a
        comma-separated list of endpoint stems.

    Examples
    --------
    >>> import ctcstats as cs
    >>> "braun2005" in set(cs.list_designs()["key"])
    True
    """
    rows = []
    for key in _data_files():
        d = _load_registered(key)
        rows.append(
            {
                "key": d.key,
                "citation": str(d.citation),
                "year": pd.NA if d.citation.year is None else d.citation.year,
                "setting": d.setting.description,
                "stage": d.setting.stage,
                "n": int(d.n.value),
                "n_studies": int(d.pooling.n_studies.value) if d.pooling else 1,
                "marker": d.marker_kind,
                "sample": d.marker.sample,
                "threshold": d.threshold,
                "prevalence": d.prevalence,
                "endpoints": ",".join(d.endpoint_names),
                "median_follow_up_months": float(d.follow_up.median_months.value),
                "serial": d.is_serial,
                "calibrated": d.is_calibrated,
            }
        )
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out
