"""Registry of published CTC/DTC study designs.

Each design is a TOML file in ``ctcstats/designs/data/`` (one per study) read with
:mod:`tomllib` into a frozen :class:`StudyDesign`. Every number in a design file is a table
``{value = ..., status = "published", source = "..."}`` or
``{value = ..., status = "assumption", reason = "..."}`` and becomes a :class:`Value`; a number
that the sources did not report is never stored as published.

The file layout (see ``ctcstats/designs/data/README.md`` for the full schema):

* ``key``, ``title``, ``[citation]``, ``[setting]``, ``not_found`` (fields the sources lacked);
* ``[design]`` — ``n`` (and ``n_studies``, ``study_sizes``, ``study_label`` for pooled designs);
* ``[marker]`` — kind (CTC/DTC), assay, sample, volume or cells examined, threshold,
  prevalence and the concentration model (zero fraction, gamma shape, recovery);
* ``[follow_up]`` — median follow-up, accrual, observation window;
* ``[[endpoints]]``, ``[[covariates]]``, ``[model.<process>]`` hazard parameters,
  ``[serial]`` (designs with repeated draws), ``[pooling]`` (study-level variation);
* ``[[results]]`` — the published results (:class:`PublishedResult`), one per quantity, with the
  analysis that produced it;
* ``[calibration]`` — which model parameters are solved to reproduce which results, and the
  ``[calibrated]`` section written by ``scripts/calibrate_designs.py``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..errors import DataValidationError

__all__ = [
    "Value",
    "Citation",
    "Endpoint",
    "Covariate",
    "PublishedResult",
    "SerialSpec",
    "StudyDesign",
    "list_designs",
    "get_design",
    "load_design_file",
    "resolve_design",
]

ENDPOINT_KINDS = ("event_free", "distant", "disease_specific", "overall")
COVARIATE_KINDS = ("binary", "ordinal", "normal", "lognormal")
RESULT_KINDS = (
    "prevalence",
    "fraction",
    "median",
    "median_lower_bound",
    "median_range",
    "hr_univariable",
    "hr_multivariable",
    "hr_range",
    "rate_ratio_univariable",
    "survival_at",
)
GROUPINGS = ("marker", "category", "draw", "conversion", "arm", "all")
PROCESSES = ("progression", "local", "post_progression", "other_death")


# --------------------------------------------------------------------------- value objects
@dataclass(frozen=True)
class Value:
    """One number of a design and its provenance.

    ``status`` is ``"published"`` (then ``source`` says where it was read) or ``"assumption"``
    (then ``reason`` says why this value was chosen). ``value`` is a float, an int, a string or
    a tuple of numbers.
    """

    value: Any
    status: str
    source: str = ""
    reason: str = ""

    @property
    def published(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class Citation:
    authors: str
    title: str
    journal: str
    year: int | None
    volume: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""

    def __str__(self) -> str:
        bits = [self.authors.rstrip(".") + ".", self.title.rstrip(".") + "."]
        jr = self.journal
        if self.year:
            jr += f" {self.year}"
        if self.volume:
            jr += f";{self.volume}"
        if self.pages:
            jr += f":{self.pages}"
        bits.append(jr + ".")
        if self.doi:
            bits.append(f"doi:{self.doi}.")
        if self.pmid:
            bits.append(f"PMID {self.pmid}.")
        return " ".join(bits)


@dataclass(frozen=True)
class Endpoint:
    """An endpoint: column stem ``name`` (``os`` → ``os_months``, ``os_event``) and its kind.

    ``kind``: ``event_free`` (first of local/distant recurrence or progression, or death —
    DFS/PFS/RFS), ``distant`` (distant recurrence; death without it is a competing event,
    censored — DDFS), ``disease_specific`` (death from the cancer; other deaths censored —
    BCSS, colon-cancer-related survival), ``overall`` (death from any cause — OS).
    """

    name: str
    label: str
    kind: str
    definition: str = ""


@dataclass(frozen=True)
class Covariate:
    """A patient covariate generated conditionally on baseline marker status.

    ``negative`` describes the covariate among marker-negative patients (binary: P(=1);
    ordinal: level probabilities; normal: mean; lognormal: median); ``shift`` is the change
    in marker-positive patients (binary/ordinal: log odds ratio, cumulative for ordinal;
    normal: mean difference; lognormal: log ratio of medians); ``sd`` the spread (normal: SD;
    lognormal: SD of the log). ``direction`` records the published direction of association.
    The hazard effects (per unit of the column) live in ``StudyDesign.params`` as
    ``covariates.<name>.log_hr.<process>``.
    """

    name: str
    kind: str
    label: str
    negative: Value
    shift: Value
    sd: Value | None = None
    levels: tuple = ()
    direction: Value | None = None
    decimals: int = 1
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class PublishedResult:
    """One reported quantity and the analysis that produced it.

    ``kind`` is one of ``prevalence, fraction, median, median_lower_bound, median_range,
    hr_univariable, hr_multivariable, hr_range, rate_ratio_univariable, survival_at``.
    ``grouping`` says how patients are grouped (``marker`` — baseline status; ``category`` —
    baseline count category; ``draw`` — status at serial draw ``draw``; ``conversion`` —
    baseline → draw pattern, ``group`` like ``"positive->negative"``; ``arm``; ``all``).
    ``time_origin`` is ``"baseline"`` or ``"draw"`` (landmark at the draw); ``window`` a
    ``(start, end)`` in months for piecewise effects; ``time_point`` the month for
    ``survival_at``; ``covariates`` and ``strata`` the adjustment of the published model.
    ``target`` marks the results the calibration reproduces; ``simulated`` is False for
    results the simulator does not model (e.g. a second draw after chemotherapy); ``status``/``source``/``reason``
    give provenance (a result may be an explicit assumption, e.g. a median reported only as
    "> 18 months").
    """

    id: str
    kind: str
    value: Any
    status: str
    source: str = ""
    reason: str = ""
    endpoint: str | None = None
    grouping: str = "marker"
    group: str | None = None
    reference: str | None = None
    draw: int = 0
    time_origin: str = "baseline"
    window: tuple[float, float] | None = None
    time_point: float | None = None
    ci: tuple[float, float] | None = None
    covariates: tuple[str, ...] = ()
    strata: str | None = None
    analysis: str = ""
    target: bool = False
    simulated: bool = True
    note: str = ""


@dataclass(frozen=True)
class SerialSpec:
    """Serial draws: windows (weeks after the start of therapy) and the trajectory model."""

    labels: tuple[str, ...]
    windows_weeks: tuple[tuple[float, float], ...]
    windows: Value
    stop_at_progression: bool = True
    follow_up_only_if_positive: bool = False


@dataclass(frozen=True)
class StudyDesign:
    """A published study design (frozen). Build with :func:`get_design` / :func:`load_design_file`.

    Attributes
    ----------
    key, title : str
    citation : Citation
    setting : Mapping[str, str]
        ``description``, ``disease``, ``stage`` (``early``/``metastatic``), ``time_zero``.
    n : Value
        Published size (the default ``n`` of :func:`simulate_cohort`).
    marker : Mapping[str, Value | str]
        ``kind`` (CTC/DTC), ``assay``, ``sample``, ``volume_ml`` or ``cells_examined``,
        ``threshold``, ``prevalence``, ``zero_fraction``, ``gamma_shape``, ``recovery``,
        ``categories`` (lower bounds of count categories used by the hazard model).
    follow_up : Mapping[str, Value]
        ``median_months``, ``accrual_months``, optional ``window_months``.
    endpoints, covariates, results : tuples of :class:`Endpoint`, :class:`Covariate`,
        :class:`PublishedResult`.
    params : Mapping[str, Value]
        Every model number by dotted name (``progression.rate``,
        ``progression.marker_log_hr[0]``, ``covariates.age.log_hr.other_death``, ``serial.*``,
        ``pooling.*``, ``covariate_strength``).
    pooling : Mapping[str, Value] | None
        ``n_studies``, ``study_sizes``, ``study_label`` for pooled designs.
    serial : SerialSpec | None
    calibration : Mapping
        ``parameters`` and ``targets`` (result ids, ``id:ci`` for a CI width), ``seed``, ``n``
        and the achieved ``fit`` table when calibrated.
    not_found : tuple[str, ...]
        Fields the sources were searched for but did not report (all stored as assumptions).
    """

    key: str
    title: str
    citation: Citation
    setting: Mapping[str, str]
    n: Value
    marker: Mapping[str, Any]
    follow_up: Mapping[str, Value]
    endpoints: tuple[Endpoint, ...]
    covariates: tuple[Covariate, ...]
    results: tuple[PublishedResult, ...]
    params: Mapping[str, Value]
    pooling: Mapping[str, Any] | None = None
    serial: SerialSpec | None = None
    calibration: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    not_found: tuple[str, ...] = ()
    path: str = ""

    # ---- convenience ----------------------------------------------------------------------
    @property
    def marker_kind(self) -> str:
        return self.marker["kind"]

    @property
    def marker_prefix(self) -> str:
        return "ctc" if self.marker["kind"] == "CTC" else "dtc"

    @property
    def threshold(self) -> int:
        return int(self.marker["threshold"].value)

    @property
    def prevalence(self) -> float:
        return float(self.marker["prevalence"].value)

    @property
    def pooled(self) -> bool:
        return self.pooling is not None

    @property
    def is_serial(self) -> bool:
        return self.serial is not None

    @property
    def endpoint_names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.endpoints)

    def param(self, name: str, default: float | None = None) -> float:
        """The value of model parameter *name* (``default`` when the design omits it)."""
        v = self.params.get(name)
        if v is None:
            if default is None:
                raise KeyError(f"design {self.key!r} has no model parameter {name!r}")
            return default
        return v.value

    def result(self, result_id: str) -> PublishedResult:
        for r in self.results:
            if r.id == result_id:
                return r
        raise KeyError(f"design {self.key!r} has no result {result_id!r}")

    def numbers(self) -> pd.DataFrame:
        """Every number of the design with its provenance.

        Columns ``field, value, status, source, reason`` (one row per :class:`Value`,
        including each published result).
        """
        rows = []
        rows.append(("design.n", self.n))
        for k, v in self.marker.items():
            if isinstance(v, Value):
                rows.append((f"marker.{k}", v))
        for k, v in self.follow_up.items():
            rows.append((f"follow_up.{k}", v))
        if self.pooling:
            for k, v in self.pooling.items():
                if isinstance(v, Value):
                    rows.append((f"pooling.{k}", v))
        for c in self.covariates:
            for nm in ("negative", "shift", "sd", "direction"):
                v = getattr(c, nm)
                if v is not None:
                    rows.append((f"covariates.{c.name}.{nm}", v))
        if self.serial is not None:
            rows.append(("serial.windows_weeks", self.serial.windows))
        for k, v in self.params.items():
            if not k.startswith("covariates.") or ".log_hr." in k:
                rows.append((k, v))
        for r in self.results:
            rows.append(
                (f"results.{r.id}", Value(r.value, r.status, r.source, r.reason))
            )
        seen: dict[str, Value] = {}
        for name, v in rows:
            seen.setdefault(name, v)
        return pd.DataFrame(
            {
                "field": list(seen),
                "value": [v.value for v in seen.values()],
                "status": [v.status for v in seen.values()],
                "source": [v.source for v in seen.values()],
                "reason": [v.reason for v in seen.values()],
            }
        )

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
        if entry.name.endswith(".toml")
    }


def _load_registered(key: str) -> StudyDesign:
    from . import _schema

    if key not in _CACHE:
        entry = _data_files()[key]
        doc = tomllib.loads(entry.read_text(encoding="utf-8"))
        design = _schema.parse_design(doc, f"{entry.name!r}", path=str(entry))
        if design.key != key:
            raise DataValidationError(
                f"design file {entry.name!r}: field 'key' is {design.key!r} but the file "
                f"name says {key!r}."
            )
        _CACHE[key] = design
    return _CACHE[key]


def get_design(key: str) -> StudyDesign:
    """The registered design *key* (e.g. ``"braun2005"``).

    Parameters
    ----------
    key : str
        A registry key; :func:`list_designs` shows them all.

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


def load_design_file(path: str | Path) -> StudyDesign:
    """Read a user-defined design from a TOML file in the registry schema.

    Parameters
    ----------
    path : str or Path
        A TOML file laid out like ``ctcstats/designs/data/*.toml`` (schema in
        ``ctcstats/designs/data/README.md``).

    Returns
    -------
    StudyDesign

    Raises
    ------
    DataValidationError
        The file is missing, not valid TOML, or a field is missing or contradictory
        (e.g. prevalence outside (0, 1), a threshold < 1, a negative median follow-up, a CI
        that does not contain its HR, a result for an undeclared endpoint); the message names
        the field.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.designs import load_design_file
    >>> d = load_design_file(cs.get_design("lucci2012").path)
    >>> d.key
    'lucci2012'
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"design file {str(path)!r} does not exist.")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataValidationError(f"design file {str(path)!r} is not valid TOML: {exc}") from exc
    from . import _schema

    return _schema.parse_design(doc, repr(str(path)), path=str(path))


def resolve_design(design) -> StudyDesign:
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
                "setting": d.setting["description"],
                "stage": d.setting["stage"],
                "n": int(d.n.value),
                "n_studies": int(d.pooling["n_studies"].value) if d.pooling else 1,
                "marker": d.marker_kind,
                "sample": d.marker["sample"],
                "threshold": d.threshold,
                "prevalence": d.prevalence,
                "endpoints": ",".join(d.endpoint_names),
                "median_follow_up_months": float(d.follow_up["median_months"].value),
                "serial": d.is_serial,
                "calibrated": bool(d.calibration.get("calibrated")),
            }
        )
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out
