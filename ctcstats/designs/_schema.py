"""Parser of design files into :class:`~ctcstats.designs.registry.StudyDesign`.

The field table (:mod:`ctcstats.designs.sections` and :class:`StudyDesign`) does the per-field
work — types, bounds, allowed values, required fields, unknown keys with a did-you-mean — and
the checks inside one section; this module adds the checks that involve several sections
(vector lengths against marker categories and draws, results against endpoints, covariates
and draws, calibration paths and targets against the design, ``not_found``), merges a
``<key>.calibrated.toml`` (:func:`merge_calibrated`) and writes the schema documentation
(:func:`schema_markdown`). Every error names the file and the field, says what is wrong and
how to fix it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from .._fieldtable import Reader, markdown_table, replace_generated
from ..errors import DataValidationError
from .registry import CALIBRATED_SUFFIX, StudyDesign
from .sections import (
    CalibratedRun,
    CalibrationSpec,
    Citation,
    Covariate,
    DesignInfo,
    Endpoint,
    FitRow,
    FollowUp,
    Hazard,
    Marker,
    Model,
    OtherDeathHazard,
    Pooling,
    PostProgressionHazard,
    PublishedResult,
    SerialSpec,
    Setting,
    Trajectory,
)

__all__ = ["parse_design", "merge_calibrated", "schema_markdown", "render_readme", "README_BLOCK"]

README_REF = "ctcstats/designs/data/README.md"
README_BLOCK = "design-schema"
Fail = Callable[[str, str], DataValidationError]


def _failer(origin: str) -> Fail:
    def fail(fieldname: str, msg: str) -> DataValidationError:
        return DataValidationError(f"design file {origin}: field {fieldname!r} {msg}")

    return fail


# --------------------------------------------------------------------------- the parser
def parse_design(doc: dict, origin: str, path: str = "") -> StudyDesign:
    """Build a :class:`StudyDesign` from a parsed TOML document; *origin* names it in errors."""
    fail = _failer(origin)
    design = Reader(fail, README_REF).section(StudyDesign, doc, "")
    design = dataclasses.replace(design, path=path)
    _check_pooling(design, fail)
    _check_endpoints_covariates(design, fail)
    _check_model(design, fail)
    _check_results(design, fail)
    design = _check_calibration(design, fail)
    _check_not_found(design, fail)
    return design


def _check_pooling(d: StudyDesign, fail: Fail) -> None:
    if d.pooling is None:
        return
    sizes, k = d.pooling.study_sizes.value, d.pooling.n_studies.value
    if len(sizes) != k:
        raise fail("pooling.study_sizes", f"has {len(sizes)} entries but pooling.n_studies is "
                   f"{k}.")
    if sum(sizes) != d.n.value:
        raise fail("pooling.study_sizes", f"sums to {sum(sizes)} but design.n is "
                   f"{d.n.value}; they must agree.")


def _check_endpoints_covariates(d: StudyDesign, fail: Fail) -> None:
    names = list(d.endpoint_names)
    if len(set(names)) != len(names):
        raise fail("endpoints", f"names must be unique; got {names}.")
    cov = [c.name for c in d.covariates]
    if len(set(cov)) != len(cov):
        raise fail("covariates", f"names must be unique; got {cov}.")
    for c in d.covariates:
        for proc in c.log_hr:
            if getattr(d.model, proc) is None:
                raise fail(f"covariates.{c.name}.log_hr.{proc}", f"names the process {proc!r}, "
                           f"which this design's model has no [model.{proc}] for; remove it "
                           "or add the process.")


def _check_model(d: StudyDesign, fail: Fail) -> None:
    m = d.model
    ncat = len(d.marker.categories) - 1
    if d.serial is not None and m.serial is None:
        raise fail("model.serial", "is missing; add it: designs with a [serial] section need "
                   "the trajectory model [model.serial].")
    if d.serial is None and m.serial is not None:
        raise fail("model.serial", "applies only to designs with a [serial] section; remove "
                   "it.")
    for proc in ("progression", "local", "post_progression"):
        h: Hazard | None = getattr(m, proc)
        if h is None:
            continue
        where = f"model.{proc}"
        if d.serial is None:
            if len(h.marker_log_hr) != ncat:
                raise fail(f"{where}.marker_log_hr", f"must have {ncat} entries (one per "
                           f"marker category above 0: {list(d.marker.categories[1:])}); got "
                           f"{len(h.marker_log_hr)}.")
            for name in ("state_log_hr", "conversion_log_hr", "reversion_log_hr"):
                if getattr(h, name):
                    raise fail(f"{where}.{name}", "applies only to designs with serial draws; "
                               "use marker_log_hr.")
            late = h.marker_log_hr_late
            if h.break_months is None and (late or h.late_rate_ratio is not None):
                which = "marker_log_hr_late" if late else "late_rate_ratio"
                raise fail(f"{where}.{which}", "needs break_months (the time the effect "
                           "changes); add it.")
            if late and len(late) != ncat:
                raise fail(f"{where}.marker_log_hr_late", f"must have {ncat} entries (one "
                           f"per marker category above 0); got {len(late)}.")
        else:
            nd = len(d.serial.windows)
            if len(h.state_log_hr) != nd:
                raise fail(f"{where}.state_log_hr", f"must have {nd} entries (one per draw); "
                           f"got {len(h.state_log_hr)}.")
            for name in ("marker_log_hr", "marker_log_hr_late", "break_months",
                         "late_rate_ratio"):
                if getattr(h, name):
                    raise fail(f"{where}.{name}", "applies only to designs without serial "
                               "draws (serial designs use state_log_hr).")
    if m.post_progression.arm_log_hr is not None and not d.has_arms:
        raise fail("model.post_progression.arm_log_hr", "applies only to designs with arms "
                   "(serial.follow_up_only_if_positive = true); remove it.")


def _check_results(d: StudyDesign, fail: Fail) -> None:
    ids: set[str] = set()
    names = list(d.endpoint_names)
    cov_names = sorted(c.name for c in d.covariates)
    for r in d.results:
        where = f"results.{r.id}"
        if r.id in ids:
            raise fail(where, "is defined twice; result ids must be unique.")
        ids.add(r.id)
        if r.kind not in ("prevalence", "fraction"):
            if r.endpoint is None:
                raise fail(f"{where}.endpoint", f"is missing; a {r.kind} result needs the "
                           f"endpoint (one of {names}).")
            if r.endpoint not in names:
                raise fail(f"{where}.endpoint", f"{r.endpoint!r} is not an endpoint of this "
                           f"design ({names}).")
        for a in r.covariates:
            if a not in cov_names:
                raise fail(f"{where}.covariates", f"{a!r} is not a covariate of this design "
                           f"({cov_names}).")
        if r.strata is not None and r.strata not in cov_names + (["study"] if d.pooled else []):
            raise fail(f"{where}.strata", f"{r.strata!r} is not a column of the simulated "
                       "cohort; use 'study' (pooled designs) or a covariate "
                       f"({cov_names}).")
        if r.draw and (d.serial is None or r.draw >= len(d.serial.windows)):
            raise fail(f"{where}.draw", f"{r.draw} is not a draw of this design.")
        if r.grouping in ("draw", "conversion") and d.serial is None:
            raise fail(f"{where}.grouping", f"{r.grouping!r} needs a [serial] design.")
        if r.grouping == "arm" and not d.has_arms:
            raise fail(f"{where}.grouping", "'arm' needs a design with arms "
                       "(serial.follow_up_only_if_positive = true).")
        if r.grouping == "category" and len(d.marker.categories) < 3:
            raise fail(f"{where}.grouping", "'category' needs marker.categories with at least "
                       "3 entries.")
        if r.time_origin == "draw" and d.serial is None:
            raise fail(f"{where}.time_origin", "'draw' needs a [serial] design.")


def _check_calibration(d: StudyDesign, fail: Fail) -> StudyDesign:
    if d.calibration is None:
        return d
    have = d.parameters()
    for p in d.calibration.parameters:
        if p not in have:
            raise fail("calibration.parameters", f"{str(p)!r} is not a model parameter of "
                       f"this design; its parameters are {', '.join(str(q) for q in have)}.")
        if have[p].published:
            raise fail("calibration.parameters", f"{str(p)!r} is published; a published "
                       "number is never solved for — remove it from the list.")
    by_id = {r.id: r for r in d.results}
    for t in d.calibration.targets:
        r = by_id.get(t.result_id)
        if r is None:
            raise fail("calibration.targets", f"{str(t)!r} is not a result id; results are "
                       f"{', '.join(by_id)}.")
        if not r.simulated:
            raise fail("calibration.targets", f"{str(t)!r} names a result with simulated = "
                       "false, which the simulator cannot reproduce.")
        if t.ci and (r.ci is None or not r.kind.startswith(("hr_", "rate_ratio"))):
            raise fail("calibration.targets", f"{str(t)!r}: ':ci' needs a hazard or rate "
                       "ratio result with a published ci.")
    chosen = {t.result_id for t in d.calibration.targets}
    results = tuple(dataclasses.replace(r, target=r.id in chosen) for r in d.results)
    return dataclasses.replace(d, results=results)


def _check_not_found(d: StudyDesign, fail: Fail) -> None:
    table = {name: v for name, v in d._rows()}
    for fld in d.not_found:
        if fld not in table:
            raise fail("not_found", f"lists {fld!r}, which is not a field of the design (see "
                       "StudyDesign.numbers()).")
        if table[fld].published:
            raise fail(fld, "is listed in not_found but marked published; a number the "
                       "sources did not report must be an assumption.")


# --------------------------------------------------------------------------- calibrated file
def merge_calibrated(design: StudyDesign, doc: dict, origin: str, path: str = "") -> StudyDesign:
    """*design* with the values of a parsed ``<key>.calibrated.toml`` (named *origin*).

    The file must solve exactly the parameters and targets of the design's ``[calibration]``
    (otherwise it is stale: rerun ``scripts/calibrate_designs.py <key>``). Each value
    replaces the hand-edited starting value and is labelled ``calibrated``.
    """
    fail = _failer(origin)
    run = Reader(fail, README_REF).section(CalibratedRun, doc, "")
    run = dataclasses.replace(run, path=path)
    rerun = f"rerun python scripts/calibrate_designs.py {design.key}"
    if design.calibration is None:
        raise fail("parameters", f"calibrates design {design.key!r}, which has no "
                   f"[calibration] section; delete {origin} or add the section and {rerun}.")
    want, got = list(design.calibration.parameters), list(run.parameters)
    if set(want) != set(got):
        extra = [str(p) for p in got if p not in want]
        lack = [str(p) for p in want if p not in got]
        raise fail("parameters", f"does not match calibration.parameters of the design "
                   f"(extra: {extra}, missing: {lack}); the file is stale: {rerun}.")
    tw = [str(t) for t in design.calibration.targets]
    tg = [str(f.target) for f in run.fit]
    if sorted(tw) != sorted(tg):
        raise fail("fit", f"has targets {tg} but calibration.targets are {tw}; the file is "
                   f"stale: {rerun}.")
    what = ", ".join(tw)
    reason = (f"calibrated by scripts/calibrate_designs.py (seed {run.seed}, n {run.n}) to "
              f"reproduce {what}")
    source = path.rsplit("/", 1)[-1] if path else f"{design.key}{CALIBRATED_SUFFIX}"
    out = design.with_values(run.parameters, status="calibrated", source=source, reason=reason)
    return dataclasses.replace(out, calibrated=run)


# --------------------------------------------------------------------------- documentation
_SECTIONS: list[tuple[str, type, str]] = [
    ("top level", StudyDesign, ""),
    ("[citation]", Citation, ""),
    ("[setting]", Setting, ""),
    ("[design]", DesignInfo, ""),
    ("[pooling]", Pooling, "pooled designs"),
    ("[marker]", Marker, ""),
    ("[follow_up]", FollowUp, ""),
    ("[serial]", SerialSpec, "designs with serial draws"),
    ("[[endpoints]]", Endpoint, ""),
    ("[[covariates]]", Covariate, ""),
    ("[model]", Model, ""),
    ("[model.progression], [model.local]", Hazard, ""),
    ("[model.post_progression]", PostProgressionHazard, ""),
    ("[model.other_death]", OtherDeathHazard, ""),
    ("[model.serial]", Trajectory, "designs with serial draws"),
    ("[[results]]", PublishedResult, ""),
    ("[calibration]", CalibrationSpec, ""),
    (f"`<key>{CALIBRATED_SUFFIX}`", CalibratedRun, "written by scripts/calibrate_designs.py"),
    (f"`[[fit]]` of `<key>{CALIBRATED_SUFFIX}`", FitRow, ""),
]


def _first_line(cls: type) -> str:
    """The class docstring's first paragraph as Markdown, without the leading section name."""
    if cls is StudyDesign:
        return "The top level of `<key>.toml`."
    doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
    doc = re.sub(r"^(``[^`]*``(, )?)+ — ", "", doc)
    doc = re.sub(r":\w+:`~?([^`]*)`", r"`\1`", doc)
    doc = doc.replace("``", "`")
    return doc[:1].upper() + doc[1:]


def schema_markdown() -> str:
    """The schema section of ``ctcstats/designs/data/README.md``, generated from the table."""
    parts = [
        "<!-- generated from ctcstats/designs/sections.py by scripts/generate_docs.py; "
        "do not edit by hand -->",
        "",
        "Types: `{value, status, …}` is a provenanced number (see above); a list of them is "
        "written `[{value = …, …}, {value = …, …}]`. Bounds: `(a, b)` open, `[a, b]` closed. "
        "Parameters of `[model]` are addressed in `[calibration]` and `numbers()` by paths "
        "(`progression.rate`, `post_progression.state_log_hr[0]`, `covariate_strength`, "
        "`serial.noise_sd`, `covariates.<name>.log_hr.<process>`); the scale says how the "
        "calibration moves them.",
    ]
    for title, cls, note in _SECTIONS:
        head = f"### {title}" if title.startswith("`") else f"### `{title}`"
        parts += ["", head + (f" ({note})" if note else ""), "", _first_line(cls), ""]
        parts.append(markdown_table(cls))
    return "\n".join(parts) + "\n"


def render_readme(text: str) -> str:
    """*text* (the data README) with its generated schema block brought up to date."""
    return replace_generated(text, README_BLOCK, schema_markdown())

