"""The sections of a design file: typed dataclasses that are also the schema.

Each class below is one section of a design TOML file (``[citation]``, ``[marker]``,
``[[results]]``, ``[model.progression]`` …); each field carries its schema (kind, bounds or
allowed values, required/optional, default, meaning) through
:func:`ctcstats._fieldtable.spec_field`. That one table drives the parser
(:mod:`ctcstats.designs._schema`), its error messages and the schema section of
``ctcstats/designs/data/README.md`` (generated; a test checks it is in sync). Adding a field —
or a section, e.g. arms or screening for trial designs — is a line in a class here, plus the
check or simulation code that uses it.

Model parameters are addressed by :class:`ParamPath` (``progression.state_log_hr[0]``,
``covariates.age.log_hr.other_death``), validated against this table; calibration targets by
:class:`Target` (``os_hr``, ``os_hr:ci``, ``os_median@2``).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .._fieldtable import FieldSpec, Value, schema_of, spec_field

__all__ = [
    "Value",
    "Citation",
    "Setting",
    "DesignInfo",
    "Pooling",
    "Marker",
    "FollowUp",
    "SerialSpec",
    "Endpoint",
    "Covariate",
    "Hazard",
    "PostProgressionHazard",
    "OtherDeathHazard",
    "Trajectory",
    "Model",
    "PublishedResult",
    "CalibrationSpec",
    "FitRow",
    "CalibratedRun",
    "ParamPath",
    "Target",
    "ENDPOINT_KINDS",
    "COVARIATE_KINDS",
    "RESULT_KINDS",
    "GROUPINGS",
    "PROCESSES",
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
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Bad = Callable[[str, str], Exception]


def identifier(v: str) -> str:
    """``v`` if it is an identifier (letters, digits, _), else ValueError (package-internal,
    shared with :mod:`.registry`)."""
    if not _IDENT.match(v):
        raise ValueError(f"must be an identifier (letters, digits, _); got {v!r}.")
    return v


# --------------------------------------------------------------------------- study facts
@dataclass(frozen=True, kw_only=True)
class Citation:
    """``[citation]`` — the publication (plain strings)."""

    authors: str = spec_field("text", "Authors as cited, e.g. \"Braun S, et al.\".")
    title: str = spec_field("text", "Title of the article.")
    journal: str = spec_field("text", "Journal abbreviation.")
    year: int | None = spec_field("int", "Year of publication.", default=None, low=1900,
                                  high=2100)
    volume: str = spec_field("text", "Volume.", default="")
    pages: str = spec_field("text", "Pages.", default="")
    doi: str = spec_field("text", "DOI without the resolver.", default="")
    pmid: str = spec_field("text", "PubMed id.", default="")
    url: str = spec_field("text", "Where the numbers were read.", default="")

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


@dataclass(frozen=True, kw_only=True)
class Setting:
    """``[setting]`` — who was studied and from when time is counted."""

    description: str = spec_field("text", "The study population in one sentence.")
    disease: str = spec_field("text", "Disease, e.g. `breast`.")
    stage: str = spec_field("choice", "Early (adjuvant) or metastatic disease.",
                            choices=("early", "metastatic"))
    time_zero: str = spec_field("text", "Time origin of every endpoint.")


@dataclass(frozen=True, kw_only=True)
class DesignInfo:
    """``[design]`` — the study's size (a trial design would add its arms here)."""

    n: Value = spec_field("number", "Published number of patients analysed (the default `n` of "
                          "`simulate_cohort`).", integer=True, low=1)


@dataclass(frozen=True, kw_only=True)
class Pooling:
    """``[pooling]`` — pooled analyses of several studies (patients get a `study` column)."""

    n_studies: Value = spec_field("number", "Number of pooled studies.", integer=True, low=2)
    study_sizes: Value = spec_field("numbers", "Patients per study (one per study; sum = "
                                    "`design.n`).", integer=True, low=1)
    study_label: str = spec_field("text", "Name of the study column.", default="study")
    prevalence_logit_sd: Value = spec_field(
        "number", "SD of the study effect on the logit of the marker prevalence.", low=0)
    baseline_log_hazard_sd: Value = spec_field(
        "number", "SD of the study effect on the log baseline hazards.", low=0)


@dataclass(frozen=True, kw_only=True)
class Marker:
    """``[marker]`` — the count, its sample and the concentration model."""

    kind: str = spec_field("choice", "Circulating (blood) or disseminated (bone marrow) "
                           "tumour cells.", choices=("CTC", "DTC"))
    assay: str = spec_field("text", "Detection method, e.g. `CellSearch`.")
    sample: str = spec_field("text", "What was sampled, in words.")
    volume_ml: Value | None = spec_field("number", "Blood volume per sample (mL).", default=None,
                                         required=True, when=("kind", ("CTC",)), low=0,
                                         low_open=True)
    cells_examined: Value | None = spec_field(
        "number", "Mononuclear cells examined per sample.", default=None, required=True,
        when=("kind", ("DTC",)), low=0, low_open=True)
    threshold: Value = spec_field("number", "Positive = count ≥ threshold.", integer=True, low=1)
    prevalence: Value = spec_field("number", "Fraction of patients positive at baseline.", low=0,
                                   high=1, low_open=True, high_open=True)
    zero_fraction: Value = spec_field("number", "Fraction with no tumour cells at all (π0).",
                                      low=0, high=1, high_open=True)
    gamma_shape: Value = spec_field("number", "Gamma shape k of the concentration among "
                                    "carriers (smaller = more over-dispersed).", low=0,
                                    low_open=True)
    recovery: Value = spec_field("number", "Fraction of present cells the assay detects.",
                                 low=0, high=1, low_open=True)
    categories: tuple[int, ...] = spec_field(
        "ints", "Lower bounds of the count categories of the hazard model, starting at 0 and "
        "containing the threshold, e.g. `[0, 1, 2, 3, 5]` (default `[0, threshold]`).",
        default=(), low=0, increasing=True)

    def _check(self, bad: Bad) -> Marker | None:
        prev, pi0 = self.prevalence.value, self.zero_fraction.value
        if prev >= 1 - pi0:
            raise bad("prevalence", f"({prev:g}) must be below 1 − marker.zero_fraction "
                      f"({1 - pi0:g}): patients with a true zero concentration cannot be "
                      "positive. Lower marker.zero_fraction.")
        cats = self.categories or (0, self.threshold.value)
        if len(cats) < 2 or cats[0] != 0:
            raise bad("categories", f"must start at 0 and have at least 2 entries; got "
                      f"{list(cats)!r}.")
        if self.threshold.value not in cats:
            raise bad("categories", f"must contain the threshold {self.threshold.value}; got "
                      f"{list(cats)!r}.")
        return dataclasses.replace(self, categories=tuple(cats))


@dataclass(frozen=True, kw_only=True)
class FollowUp:
    """``[follow_up]`` — accrual and follow-up, which set the censoring."""

    median_months: Value = spec_field("number", "Median (reverse Kaplan–Meier) follow-up.",
                                      low=0, low_open=True)
    accrual_months: Value = spec_field(
        "number", "Uniform accrual period A; administrative follow-up after the last entry is "
        "median − A/2.", low=0, low_open=True)
    window_months: Value | None = spec_field("number", "Observation window (follow-up "
                                             "truncated there).", default=None, low=0,
                                             low_open=True)

    def _check(self, bad: Bad) -> None:
        med, acc = self.median_months.value, self.accrual_months.value
        if med - acc / 2 <= 0:
            raise bad("accrual_months", f"({acc:g}) is too long for follow_up.median_months "
                      f"({med:g}): the administrative follow-up after the last entry, "
                      "median − accrual/2, must be > 0.")


@dataclass(frozen=True, kw_only=True)
class SerialSpec:
    """``[serial]`` — designs with repeated draws (windows in weeks after the start of therapy)."""

    windows_weeks: Value = spec_field(
        "pairs_value", "Draw windows `[[0, 0], [3, 5], …]`: the first is the baseline "
        "`[0, 0]`, then increasing, non-overlapping `[start, end]` windows.")
    labels: tuple[str, ...] = spec_field("texts", "One label per draw (default `draw 0`, "
                                         "`draw 1`, …).", default=())
    stop_at_progression: bool = spec_field("bool", "No draws after progression.", default=True)
    follow_up_only_if_positive: bool = spec_field(
        "bool", "Later draws only for baseline-positive patients; arms A (negative), B "
        "(converted), C (still positive; C1/C2 randomised) as in SWOG S0500.", default=False)

    def _check(self, bad: Bad) -> SerialSpec:
        wins = self.windows_weeks.value
        if (wins[0] != (0, 0) or any(a > b for a, b in wins)
                or any(w2[0] < w1[1] for w1, w2 in zip(wins, wins[1:], strict=False))):
            raise bad("windows_weeks", "must be a list of [start, end] week windows, the first "
                      "[0, 0] (baseline), increasing and not overlapping; got "
                      f"{[list(w) for w in wins]!r}.")
        labels = self.labels or tuple(f"draw {j}" for j in range(len(wins)))
        if len(labels) != len(wins):
            raise bad("labels", f"must have {len(wins)} entries (one per window); got "
                      f"{len(labels)}.")
        return dataclasses.replace(self, labels=labels)

    @property
    def windows(self) -> tuple[tuple[float, float], ...]:
        """The windows in weeks as float pairs."""
        return tuple((float(a), float(b)) for a, b in self.windows_weeks.value)


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """``[[endpoints]]`` — one endpoint: column stem ``name`` (``os`` → ``os_months``,
    ``os_event``) and its kind.

    ``kind``: ``event_free`` (first of local/distant recurrence or progression, or death —
    DFS/PFS/RFS), ``distant`` (distant recurrence; death without it is a competing event,
    censored — DDFS), ``disease_specific`` (death from the cancer; other deaths censored —
    BCSS, colon-cancer-related survival), ``overall`` (death from any cause — OS).
    """

    name: str = spec_field("text", "Column stem (`os` → `os_months`, `os_event`).",
                           convert=identifier)
    label: str = spec_field("text", "Name in words.")
    kind: str = spec_field("choice", "How the endpoint is built from the event processes "
                           "(see Endpoints below).", choices=ENDPOINT_KINDS)
    definition: str = spec_field("text", "Definition as published.", default="")


_CONTINUOUS = ("normal", "lognormal")


@dataclass(frozen=True, kw_only=True)
class Covariate:
    """``[[covariates]]`` — a patient covariate generated conditionally on baseline marker status.

    ``negative`` describes the covariate among marker-negative patients; ``shift`` is the
    change in marker-positive patients; the hazard effects (per unit of the column, centred at
    the marker-negative mean) are ``log_hr.<process>``.
    """

    name: str = spec_field("text", "Column name.", convert=identifier)
    kind: str = spec_field("choice", "Distribution.", choices=COVARIATE_KINDS)
    label: str = spec_field("text", "Name in words.")
    levels: tuple[int, ...] = spec_field("ints", "Ordinal codes, one per probability in "
                                         "`negative`.", default=(), required=True,
                                         when=("kind", ("ordinal",)))
    negative: Value = spec_field(
        "number", "Distribution among marker-negative patients:", by="kind", variants={
            "binary": FieldSpec("number", "P(= 1)", low=0, high=1, low_open=True,
                                high_open=True),
            "ordinal": FieldSpec("numbers", "level probabilities, summing to 1", low=0, high=1,
                                 low_open=True),
            "normal": FieldSpec("number", "mean"),
            "lognormal": FieldSpec("number", "median", low=0, low_open=True),
        })
    shift: Value = spec_field("number", "Change among marker-positive patients: log odds ratio "
                              "(binary), cumulative log odds ratio (ordinal), mean difference "
                              "(normal), log ratio of medians (lognormal).")
    sd: Value | None = spec_field("number", "SD (normal) or SD of the log (lognormal).",
                                  default=None, required=True, when=("kind", _CONTINUOUS),
                                  low=0, low_open=True)
    decimals: int = spec_field("int", "Decimals kept (0 = whole numbers).", default=1, low=0,
                               when=("kind", _CONTINUOUS))
    low: float | None = spec_field("float", "Values below are set to `low`.", default=None,
                                   when=("kind", _CONTINUOUS))
    high: float | None = spec_field("float", "Values above are set to `high`.", default=None,
                                    when=("kind", _CONTINUOUS))
    direction: Value | None = spec_field("text_value", "Published direction of the association "
                                         "with the marker, in words.", default=None)
    log_hr: Mapping[str, Value] = spec_field(
        "number_map", "Log hazard ratio per unit of the column, for each process that depends "
        "on it, e.g. `log_hr = {other_death = {value = 0.08, …}}`.",
        default=MappingProxyType({}), key_choices=PROCESSES)

    def _check(self, bad: Bad) -> None:
        if self.kind == "ordinal":
            probs = self.negative.value
            if abs(sum(probs) - 1) > 1e-6:
                raise bad("negative", f"level probabilities must sum to 1; got {sum(probs):g}.")
            if len(self.levels) != len(probs):
                raise bad("levels", f"must list {len(probs)} levels (one per probability in "
                          f"negative); got {len(self.levels)}.")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise bad("high", f"({self.high:g}) must be above low ({self.low:g}).")


# --------------------------------------------------------------------------- hazard model
def _lhr(doc: str, **kw: Any) -> Any:
    return spec_field("number_list", doc, default=(), scale="linear", **kw)


@dataclass(frozen=True, kw_only=True)
class Hazard:
    """``[model.progression]``, ``[model.local]`` — a proportional-hazards Weibull process
    (cumulative hazard ``rate · t^shape``, t in months) with piecewise-constant multipliers."""

    rate: Value = spec_field("number", "Weibull rate (per month^shape).", low=0, low_open=True,
                             scale="log")
    shape: Value | None = spec_field("number", "Weibull shape (1 = exponential).",
                                     default=None, fallback=1.0, low=0, low_open=True,
                                     scale="log")
    marker_log_hr: tuple[Value, ...] = _lhr(
        "Designs without serial draws: log-HR of each count category above 0 (one per "
        "category above 0).")
    break_months: Value | None = spec_field("number", "Time at which the marker effect "
                                            "changes (piecewise effect).", default=None, low=0,
                                            low_open=True, scale="log")
    marker_log_hr_late: tuple[Value, ...] = _lhr("Log-HRs of the categories after "
                                                 "`break_months` (default `marker_log_hr`).")
    late_rate_ratio: Value | None = spec_field(
        "number", "Baseline hazard after `break_months` relative to before.", default=None,
        fallback=1.0, low=0, low_open=True, scale="log")
    state_log_hr: tuple[Value, ...] = _lhr("Serial designs: log-HR of a positive status at "
                                           "each draw (one per draw, baseline first).")
    conversion_log_hr: Value | None = spec_field(
        "number", "Serial designs: added log-HR while a baseline-positive patient is negative.",
        default=None, fallback=0.0, scale="linear")
    reversion_log_hr: Value | None = spec_field(
        "number", "Serial designs: added log-HR while a baseline-negative patient is positive.",
        default=None, fallback=0.0, scale="linear")

    def number(self, name: str) -> float:
        """The value of field *name*, or its documented default when absent."""
        v = getattr(self, name)
        if v is None:
            fb = dict(schema_of(type(self)))[name].fallback
            if fb is None:  # pragma: no cover - only fields with a fallback are asked for
                raise KeyError(name)
            return fb
        return v.value


@dataclass(frozen=True, kw_only=True)
class PostProgressionHazard(Hazard):
    """``[model.post_progression]`` — time from progression to death from the cancer.

    Marker effects here are calibrated ≥ 0: no published number says marker-positive patients
    live longer after relapse (exemptions: ``calibrate.UNBOUNDED``)."""

    marker_log_hr: tuple[Value, ...] = _lhr(
        "Designs without serial draws: log-HR of each count category above 0.",
        calibration_lower=0.0)
    state_log_hr: tuple[Value, ...] = _lhr("Serial designs: log-HR of the status at the last "
                                           "draw before progression (one per draw).",
                                           calibration_lower=0.0)
    conversion_log_hr: Value | None = spec_field(
        "number", "Serial designs: added log-HR for a baseline-positive patient negative at "
        "progression.", default=None, fallback=0.0, scale="linear", calibration_lower=0.0)
    arm_log_hr: Value | None = spec_field(
        "number", "Designs with arms (`serial.follow_up_only_if_positive`): log-HR of arm C2 "
        "(switched therapy) vs C1.", default=None, fallback=0.0, scale="linear")


@dataclass(frozen=True, kw_only=True)
class OtherDeathHazard:
    """``[model.other_death]`` — death from other causes (exponential)."""

    rate: Value = spec_field("number", "Rate per month.", low=0, low_open=True, scale="log")


@dataclass(frozen=True, kw_only=True)
class Trajectory:
    """``[model.serial]`` — the marker's course over serial draws.

    The log concentration at draw j is ``log c0 − drop·R + growth·(1 − R)·t_j + noise·Z``
    with responder indicator R."""

    response_probability: Value = spec_field("number", "P(responder).", low=0, high=1,
                                             low_open=True, high_open=True, scale="logit")
    response_log_drop: Value = spec_field("number", "Fall of the log concentration in "
                                          "responders.", low=0, low_open=True, scale="log")
    growth_per_month: Value = spec_field("number", "Growth of the log concentration per month "
                                         "in non-responders.", scale="linear")
    noise_sd: Value = spec_field("number", "Draw-to-draw SD of the log concentration.", low=0,
                                 low_open=True, scale="log")
    missing_probability: Value = spec_field("number", "P(a scheduled draw is missed).", low=0,
                                            high=1, high_open=True, scale="logit")


@dataclass(frozen=True, kw_only=True)
class Model:
    """``[model]`` — the event processes (``[model.<process>]``) and the marker trajectory."""

    covariate_strength: Value | None = spec_field(
        "number", "Multiplies the covariate log-HRs of the cancer processes.", default=None,
        fallback=1.0, low=0, low_open=True, scale="log")
    progression: Hazard = spec_field("table", "Distant recurrence / progression.",
                                     section=Hazard)
    local: Hazard | None = spec_field("table", "Locoregional recurrence (early designs).",
                                      default=None, section=Hazard)
    post_progression: PostProgressionHazard = spec_field(
        "table", "Progression → death from the cancer.", section=PostProgressionHazard)
    other_death: OtherDeathHazard = spec_field("table", "Death from other causes.",
                                               section=OtherDeathHazard)
    serial: Trajectory | None = spec_field("table", "Marker trajectory (required with a "
                                           "`[serial]` section).", default=None,
                                           section=Trajectory)

    @property
    def covariate_scale(self) -> float:
        return 1.0 if self.covariate_strength is None else float(self.covariate_strength.value)


# --------------------------------------------------------------------------- results
_PROPORTIONS = ("prevalence", "fraction", "survival_at")
_RANGES = ("median_range", "hr_range")


def _result_value_variants() -> dict[str, FieldSpec]:
    out = {}
    for k in RESULT_KINDS:
        if k in _PROPORTIONS:
            out[k] = FieldSpec("float", "a proportion", low=0, high=1)
        elif k in _RANGES:
            out[k] = FieldSpec("floats", "the published range [lowest, highest]", low=0,
                               low_open=True, increasing=True)
        else:
            out[k] = FieldSpec("float", "", low=0, low_open=True)
    return out


@dataclass(frozen=True, kw_only=True)
class PublishedResult:
    """``[[results]]`` — one reported quantity and the analysis that produced it.

    ``grouping`` says how patients are grouped (``marker`` — baseline status; ``category`` —
    baseline count category; ``draw`` — status at serial draw ``draw``; ``conversion`` —
    baseline → draw pattern, ``group`` like ``"positive->negative"``; ``arm``; ``all``).
    ``target`` marks the results the calibration reproduces (set from ``[calibration]``).
    """

    id: str = spec_field("text", "Identifier, unique in the design.", convert=identifier)
    kind: str = spec_field("choice", "What was published.", choices=RESULT_KINDS)
    value: Any = spec_field("float", "The published number:", by="kind",
                            variants=_result_value_variants(),
                            type_doc="number or [lowest, highest]")
    status: str = spec_field("choice", "Provenance of the value.",
                             choices=("published", "assumption"))
    source: str = spec_field("text", "Where it was read (required when published).",
                             default="")
    reason: str = spec_field("text", "Why this value (required when an assumption).",
                             default="")
    endpoint: str | None = spec_field("text", "Endpoint name (all kinds but prevalence and "
                                      "fraction).", default=None)
    grouping: str = spec_field("choice", "How patients are grouped.", default="marker",
                               choices=GROUPINGS)
    group: str | None = spec_field("text", "The group reported (e.g. `positive`, `>=5`, "
                                   "`positive->negative`, `B`; `B+C1` = either).",
                                   default=None)
    reference: str | None = spec_field("text", "Reference group of a ratio (default "
                                       "`negative`), or the denominator groups of a fraction.",
                                       default=None)
    draw: int = spec_field("int", "Serial draw the grouping or time origin refers to.",
                           default=0, low=0)
    time_origin: str = spec_field("choice", "Time counted from `baseline` or from the date "
                                  "of `draw` (for any grouping).", default="baseline",
                                  choices=("baseline", "draw"))
    window: tuple[float, float] | None = spec_field("pair", "[start, end] months of a "
                                                    "piecewise effect.", default=None)
    time_point: float | None = spec_field("float", "Month of a `survival_at` result.",
                                          default=None, low=0, low_open=True)
    ci: tuple[float, float] | None = spec_field("pair", "Published 95% CI [lower, upper].",
                                                default=None)
    covariates: tuple[str, ...] = spec_field("texts", "Adjustment covariates of the "
                                             "published model.", default=(), unique=True)
    strata: str | None = spec_field("text", "Stratification column (`study` for pooled "
                                    "designs, or a covariate).", default=None)
    analysis: str = spec_field("text", "The published analysis, in words.", default="",
                               required=True)
    note: str = spec_field("text", "Anything else a reader should know.", default="")
    simulated: bool = spec_field("bool", "False for results the simulator does not model.",
                                 default=True)
    target: bool = False

    def _check(self, bad: Bad) -> None:
        if self.status == "published" and not self.source.strip():
            raise bad("", "is published but has no 'source'; say where it was read.")
        if self.status == "assumption" and not self.reason.strip():
            raise bad("", "is an assumption but has no 'reason'; give a one-line "
                      "justification.")
        if self.kind in _RANGES and len(self.value) != 2:
            raise bad("value", f"must be [lowest, highest]; got {list(self.value)!r}.")
        if self.ci is not None and not isinstance(self.value, tuple):
            lo, hi = self.ci
            if not lo <= self.value <= hi:
                raise bad("ci", f"{list(self.ci)} does not contain the estimate "
                          f"{self.value:g}; check the numbers.")
        if self.window is not None and not 0 <= self.window[0] < self.window[1]:
            raise bad("window", f"must be [start, end] months with 0 ≤ start < end; got "
                      f"{list(self.window)!r}.")
        if self.kind == "survival_at" and self.time_point is None:
            raise bad("time_point", "is missing; a survival_at result needs the month.")

    @property
    def provenance(self) -> Value:
        return Value(self.value, self.status, self.source, self.reason)


# --------------------------------------------------------------------------- addressing
_PATH_RE = re.compile(
    r"^(?:covariates\.(?P<cov>[A-Za-z_]\w*)\.log_hr\.(?P<proc>\w+)"
    r"|(?:(?P<sec>\w+)\.)?(?P<field>\w+)(?:\[(?P<idx>\d+)\])?)$"
)


@dataclass(frozen=True, order=True)
class ParamPath:
    """The address of one model number, validated against the schema.

    ``section`` is ``""`` (a number of ``[model]`` itself, e.g. ``covariate_strength``), a
    process (``progression``, ``local``, ``post_progression``, ``other_death``), ``serial``
    (``[model.serial]``) or ``covariates``; ``field`` the field in that section (for
    ``covariates``: the process); ``index`` the element of a list field; ``covariate`` the
    covariate of a ``covariates.<name>.log_hr.<process>`` path. ``str(path)`` is the form used
    in design files (``progression.state_log_hr[0]``).
    """

    section: str
    field: str
    index: int | None = None
    covariate: str | None = None

    def __str__(self) -> str:
        if self.section == "covariates":
            return f"covariates.{self.covariate}.log_hr.{self.field}"
        head = f"{self.section}.{self.field}" if self.section else self.field
        return head if self.index is None else f"{head}[{self.index}]"

    def __repr__(self) -> str:
        return f"ParamPath({str(self)!r})"

    @property
    def spec(self) -> FieldSpec:
        """The schema of the addressed field (scale, bounds, calibration bound)."""
        if self.section == "covariates":
            return FieldSpec("number", "covariate log-HR", scale="linear")
        cls = _section_class(self.section)
        return dict(schema_of(cls))[self.field]

    @classmethod
    def parse(cls, text: Any) -> ParamPath:
        """``"progression.state_log_hr[0]"`` → ParamPath; ``ValueError`` names the valid forms."""
        if isinstance(text, ParamPath):
            return text
        if not isinstance(text, str):
            raise ValueError(f"{text!r} is not a parameter path (a string such as "
                             "'progression.rate').")
        m = _PATH_RE.match(text)
        if m is None:
            raise ValueError(cls._unknown(text))
        if m["cov"]:
            if m["proc"] not in PROCESSES:
                raise ValueError(f"{text!r} names an unknown process {m['proc']!r}; use one "
                                 f"of {', '.join(PROCESSES)}.")
            return cls("covariates", m["proc"], None, m["cov"])
        sec, fld = m["sec"] or "", m["field"]
        idx = None if m["idx"] is None else int(m["idx"])
        table = _numeric_fields(sec)
        if table is None or fld not in table:
            raise ValueError(cls._unknown(text))
        if (table[fld].kind == "number_list") != (idx is not None):
            form = f"{sec}.{fld}[k]" if table[fld].kind == "number_list" else f"{sec}.{fld}"
            raise ValueError(f"{text!r} must be written {form!r}.")
        return cls(sec, fld, idx)

    @staticmethod
    def forms() -> list[str]:
        """Every form a model parameter path can take (``progression.marker_log_hr[k]`` …)."""
        out = []
        for sec in ("",) + PROCESSES + ("serial",):
            for name, spec in (_numeric_fields(sec) or {}).items():
                head = f"{sec}.{name}" if sec else name
                out.append(head + ("[k]" if spec.kind == "number_list" else ""))
        return out + ["covariates.<name>.log_hr.<process>"]

    @classmethod
    def _unknown(cls, text: str) -> str:
        forms = cls.forms()
        close = difflib.get_close_matches(re.sub(r"\[\d+\]", "[k]", text), forms, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return (f"{text!r} is not a model parameter; {hint}parameters are "
                f"{', '.join(forms)}.")


def _section_class(section: str) -> type:
    if section == "":
        return Model
    if section == "serial":
        return Trajectory
    return dict(schema_of(Model))[section].section  # type: ignore[return-value]


def _numeric_fields(section: str) -> dict[str, FieldSpec] | None:
    if section not in ("", "serial") + PROCESSES:
        return None
    return {n: s for n, s in schema_of(_section_class(section))
            if s.kind in ("number", "number_list")}


@dataclass(frozen=True)
class Target:
    """A calibration target: result ``result_id``, its CI half-width (``ci``), its weight.

    Written ``"<id>[:ci][@w]"`` in design files: ``os_hr`` (the estimate), ``os_hr:ci`` (the
    published 95% CI half-width of a hazard ratio at the published n, which sets the number of
    events), ``os_median@2`` (weight 2 in the least squares).
    """

    result_id: str
    ci: bool = False
    weight: float = 1.0

    def __str__(self) -> str:
        out = self.result_id + (":ci" if self.ci else "")
        return out if self.weight == 1 else f"{out}@{self.weight:g}"

    @classmethod
    def parse(cls, spec: Any) -> Target:
        """``"os_hr:ci@2"`` → Target; ``ValueError`` says what is wrong."""
        if isinstance(spec, Target):
            return spec
        if not isinstance(spec, str):
            raise ValueError(f"target {spec!r} must be a string '<result id>[:ci][@weight]'.")
        head, at, w = spec.partition("@")
        rid, colon, what = head.partition(":")
        if not _IDENT.match(rid):
            raise ValueError(f"target {spec!r} must start with a result id.")
        if colon and what != "ci":
            raise ValueError(f"target {spec!r}: the only qualifier after ':' is 'ci' (the CI "
                             "half-width of a hazard ratio).")
        try:
            weight = float(w) if at else 1.0
        except ValueError:
            weight = math.nan
        if not (weight > 0 and math.isfinite(weight)):
            raise ValueError(f"{spec!r}: a weight after '@' must be a positive number.")
        return cls(rid, bool(colon), weight)


def _targets(v: tuple[str, ...]) -> tuple[Target, ...]:
    return tuple(Target.parse(t) for t in v)


def _paths(v: tuple[str, ...]) -> tuple[ParamPath, ...]:
    return tuple(ParamPath.parse(t) for t in v)


@dataclass(frozen=True, kw_only=True)
class CalibrationSpec:
    """``[calibration]`` — which model parameters are solved to reproduce which results."""

    parameters: tuple[ParamPath, ...] = spec_field(
        "texts", "Model parameters to solve (paths as in `numbers()`, e.g. "
        "`progression.rate`, `post_progression.state_log_hr[0]`, "
        "`covariates.age.log_hr.other_death`).", unique=True, convert=_paths,
        type_doc="list of parameter paths")
    targets: tuple[Target, ...] = spec_field(
        "texts", "Result ids to reproduce; `id:ci` = the CI half-width of a hazard ratio at the "
        "published n; a suffix `@w` weights a target by w in the least squares; a "
        "`median_range`/`hr_range` target aims at the range's geometric middle.", unique=True,
        convert=_targets, type_doc="list of targets")


# --------------------------------------------------------------------------- calibrated file
@dataclass(frozen=True, kw_only=True)
class FitRow:
    """``[[fit]]`` of a calibrated file — one target and how closely it was reproduced."""

    target: Target = spec_field("text", "The target, as in `calibration.targets`.",
                                convert=Target.parse)
    published: float = spec_field("float", "The published value (a range's middle).")
    achieved: float = spec_field("float", "The value on the calibration cohort.", finite=False)


def _path_map(m: Mapping[str, float]) -> Mapping[ParamPath, float]:
    return MappingProxyType({ParamPath.parse(k): v for k, v in m.items()})


@dataclass(frozen=True, kw_only=True)
class CalibratedRun:
    """``<key>.calibrated.toml`` — written by ``scripts/calibrate_designs.py``, never by hand."""

    seed: int = spec_field("int", "Seed of the calibration cohort.", low=0)
    n: int = spec_field("int", "Size of the calibration cohort.", low=1)
    parameters: Mapping[ParamPath, float] = spec_field(
        "float_map", "Solved value of each parameter of `calibration.parameters`.",
        convert=_path_map)
    fit: tuple[FitRow, ...] = spec_field("tables", "One row per target.", default=(),
                                         section=FitRow)
    path: str = ""
