"""Design-file schema: every error path names the file and the field; typed paths; the
calibrated file; the generated schema documentation.

Each case below changes one thing in a registered design (parsed TOML) and pins the error
message with ``pytest.raises(DataValidationError, match=...)``; the message names the file
(``'mine.toml'``) and the field.
"""

from __future__ import annotations

import copy
import math
import re
import sys
import tomllib
from pathlib import Path

import pytest

from ctcstats.designs import ParamPath, Target, get_design, load_design_file
from ctcstats.designs._schema import merge_calibrated, parse_design, render_readme
from ctcstats.designs.calibrate import _param_transform, lower_bound, with_params
from ctcstats.errors import DataValidationError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "ctcstats" / "designs" / "data"
ORIGIN = "'mine.toml'"


def _doc(key: str) -> dict:
    return tomllib.loads((DATA / f"{key}.toml").read_text(encoding="utf-8"))


def _cal(key: str) -> dict:
    return tomllib.loads((DATA / f"{key}.calibrated.toml").read_text(encoding="utf-8"))


def A(value, reason="assumed"):  # noqa: N802 - reads like the TOML it stands for
    return {"value": value, "status": "assumption", "reason": reason}


def _walk(doc, path: str):
    parts = [int(p) if p.isdigit() else p for p in path.split("/")]
    node = doc
    for p in parts[:-1]:
        node = node[p]
    return node, parts[-1]


def S(path, value):  # noqa: N802
    """Set doc[path] = value (path segments separated by '/', list indices as numbers)."""
    def f(doc):
        node, last = _walk(doc, path)
        node[last] = value
    return f


def D(path):  # noqa: N802
    """Delete doc[path]."""
    def f(doc):
        node, last = _walk(doc, path)
        del node[last]
    return f


def chain(*fs):
    def f(doc):
        for g in fs:
            g(doc)
    return f


def _result(doc, rid):
    return next(i for i, r in enumerate(doc["results"]) if r["id"] == rid)


def R(rid, key, value):  # noqa: N802
    """Set a field of result *rid*."""
    def f(doc):
        doc["results"][_result(doc, rid)][key] = value
    return f


def _f(field: str) -> str:
    return rf"design file 'mine\.toml': field '{re.escape(field)}' "


# (case id, base design, mutation, message regex after the field name)
CASES = [
    # ---- generic: shape of the document
    ("top-unknown", "lucci2012", S("calibrated", {}), "calibrated",
     r"is not a known field; did you mean 'calibration'\? known fields: key, title"),
    ("section-unknown", "lucci2012", S("marker/prevalance", A(0.2)), "marker.prevalance",
     r"is not a known field of marker; did you mean 'prevalence'\?"),
    ("section-unknown-no-hint", "lucci2012", S("follow_up/colour", "red"), "follow_up.colour",
     r"is not a known field of follow_up; known fields: median_months, accrual_months, "
     r"window_months \(see ctcstats/designs/data/README\.md\)"),
    ("missing-required", "lucci2012", D("follow_up/median_months"),
     "follow_up.median_months", r"is missing; add it: Median \(reverse Kaplan–Meier\)"),
    ("missing-section", "lucci2012", D("setting"), "setting", r"is missing; add it"),
    ("not-a-table", "lucci2012", S("marker", "CTC"), "marker", r"must be a table; got 'CTC'"),
    ("when-not-applicable", "lucci2012", S("marker/cells_examined", A(1e6)),
     "marker.cells_examined", r"applies only when marker\.kind is 'DTC' \(here 'CTC'\); "
     r"remove it"),
    ("when-required", "lucci2012", D("marker/volume_ml"), "marker.volume_ml",
     r"is missing; add it: Blood volume"),
    ("text-type", "lucci2012", S("setting/disease", 3), "setting.disease",
     r"must be a non-empty string; got 3"),
    ("text-empty", "lucci2012", S("citation/authors", "  "), "citation.authors",
     r"must be a non-empty string; got '  '"),
    ("optional-text-type", "lucci2012", S("citation/volume", 14), "citation.volume",
     r"must be a string; got 14"),
    ("choice", "lucci2012", S("marker/kind", "ctDNA"), "marker.kind",
     r"must be one of 'CTC', 'DTC'; got 'ctDNA'"),
    ("bool", "debono2008", S("serial/stop_at_progression", "no"), "serial.stop_at_progression",
     r"must be true or false; got 'no'"),
    ("int-float", "lucci2012", S("citation/year", 2012.0), "citation.year",
     r"must be a whole number in \[1900, 2100\]; got 2012\.0"),
    ("int-bounds", "lucci2012", S("citation/year", 12), "citation.year",
     r"must be in \[1900, 2100\]; got 12"),
    ("float-type", "lucci2012", S("covariates/0/low", "25"), "covariates.age.low",
     r"must be a finite number; got '25'"),
    ("texts-string", "lucci2012", S("not_found", "marker.volume_ml"), "not_found",
     r"must be a list of non-empty strings, without repeats \(a TOML array \[\.\.\.\]\); "
     r"got 'marker\.volume_ml'"),
    ("texts-items", "lucci2012", R("os_hr", "covariates", ["age", 3]),
     "results.os_hr.covariates", r"must be a list of non-empty strings"),
    ("texts-unique", "lucci2012", S("not_found", ["marker.volume_ml", "marker.volume_ml"]),
     "not_found", r"must not repeat a value"),
    ("ints-type", "lucci2012", S("marker/categories", [0, 1.5]), "marker.categories",
     r"must be a list of whole numbers in \[0, inf\), strictly increasing; got \[0, 1\.5\]"),
    ("ints-bounds", "lucci2012", S("marker/categories", [-1, 1]), "marker.categories",
     r"must be a list of whole numbers in \[0, inf\)"),
    ("ints-increasing", "lucci2012", S("marker/categories", [0, 5, 1]), "marker.categories",
     r"must be strictly increasing; got \[0, 5, 1\]"),
    ("pair", "lucci2012", R("os_hr", "ci", [1.28]), "results.os_hr.ci",
     r"must be \[lower, upper\] \(two numbers\); got \[1\.28\]"),
    # ---- generic: provenanced numbers
    ("number-not-table", "lucci2012", S("marker/prevalence", 0.24), "marker.prevalence",
     r"must be a table \{value = \.\.\., status = \"published\""),
    ("number-unknown-key", "lucci2012",
     S("marker/recovery", {**A(0.8), "sorce": "x"}), "marker.recovery",
     r"has unknown keys \['sorce'\]"),
    ("number-no-value", "lucci2012", S("marker/recovery", {"status": "assumption",
                                                           "reason": "x"}),
     "marker.recovery", r"has no 'value'"),
    ("number-status", "lucci2012", S("marker/recovery", {"value": 0.8, "status": "guess",
                                                         "reason": "x"}),
     "marker.recovery", r"must have status 'published' or 'assumption'; got 'guess'"),
    ("number-calibrated-status-by-hand", "lucci2012",
     S("marker/recovery", {"value": 0.8, "status": "calibrated", "reason": "x"}),
     "marker.recovery", r"must have status 'published' or 'assumption'; got 'calibrated'"),
    ("number-source-type", "lucci2012",
     S("marker/recovery", {"value": 0.8, "status": "published", "source": 7}),
     "marker.recovery", r"has a non-text 'source' \(7\)"),
    ("published-without-source", "lucci2012",
     S("marker/threshold", {"value": 1, "status": "published"}), "marker.threshold",
     r"is published but has no 'source'; say where it was read"),
    ("assumption-without-reason", "lucci2012",
     S("marker/gamma_shape", {"value": 0.5, "status": "assumption"}), "marker.gamma_shape",
     r"is an assumption but has no 'reason'; give a one-line justification"),
    ("number-type", "lucci2012", S("marker/recovery", A("high")), "marker.recovery",
     r"must be a number in \(0, 1\]; got 'high'"),
    ("number-nan", "lucci2012", S("marker/recovery", A(math.nan)), "marker.recovery",
     r"must be a number in \(0, 1\]; got nan"),
    ("number-whole", "lucci2012", S("design/n", A(302.5)), "design.n",
     r"must be a whole number in \[1, inf\); got 302\.5"),
    ("number-bounds-open", "lucci2012", S("marker/prevalence", A(1.3)), "marker.prevalence",
     r"must be in \(0, 1\); got 1\.3"),
    ("number-bounds-threshold", "lucci2012", S("marker/threshold", A(0)), "marker.threshold",
     r"must be in \[1, inf\); got 0"),
    ("numbers-not-list", "braun2005", S("pooling/study_sizes", A(4703)),
     "pooling.study_sizes", r"must hold a non-empty list of numbers; got 4703"),
    ("numbers-item", "braun2005",
     S("pooling/study_sizes", A([4700, 3.5])), "pooling.study_sizes",
     r"must be a list of whole numbers in \[1, inf\); got 3\.5"),
    ("number-list-not-list", "lucci2012", S("model/progression/marker_log_hr", A(1.0)),
     "model.progression.marker_log_hr", r"must be a list of numbers \(a TOML array"),
    ("number-list-item", "debono2008",
     S("model/progression/state_log_hr/2", {"value": 1.0}),
     "model.progression.state_log_hr[2]", r"must have status 'published' or 'assumption'"),
    ("pairs-value", "debono2008", S("serial/windows_weeks", A([0, 0])),
     "serial.windows_weeks", r"must hold a list of \[start, end\] pairs; got \[0, 0\]"),
    ("text-value", "braun2005", S("covariates/1/direction", A(1)),
     "covariates.tumor_size_cm.direction", r"must hold a non-empty string; got 1"),
    ("number-map-not-table", "lucci2012", S("covariates/0/log_hr", A(0.08)),
     "covariates.age.log_hr.value", r"is not a known field of covariates\.age\.log_hr"),
    ("number-map-type", "lucci2012", S("covariates/0/log_hr", 0.08),
     "covariates.age.log_hr", r"must be a table \{name = \{value, status, …\}, …\}; got 0\.08"),
    ("number-map-process", "lucci2012",
     S("covariates/0/log_hr", {"death": A(0.08)}), "covariates.age.log_hr.death",
     r"is not a known field of covariates\.age\.log_hr; did you mean 'other_death'\? known "
     r"fields: progression, local, post_progression, other_death"),
    ("tables-not-array", "lucci2012", S("endpoints", {"name": "os"}), "endpoints",
     r"must be an array of tables \[\[endpoints\]\]"),
    ("tables-empty", "lucci2012", S("results", []), "results",
     r"must be a non-empty array of tables \[\[results\]\]"),
    ("identifier", "lucci2012", S("key", "my study"), "key",
     r"must be an identifier \(letters, digits, _\); got 'my study'"),
    ("endpoint-identifier", "lucci2012", S("endpoints/0/name", "p-f-s"), "endpoints[0].name",
     r"must be an identifier"),
    ("variant-binary", "lucci2012", S("covariates/2/negative", A(1.2)),
     "covariates.node_positive.negative", r"must be in \(0, 1\); got 1\.2"),
    ("variant-lognormal", "lucci2012", S("covariates/1/negative", A(-2.0)),
     "covariates.tumor_size_cm.negative", r"must be in \(0, inf\); got -2\.0"),
    ("variant-ordinal", "lucci2012", S("covariates/3/negative", A(0.5)),
     "covariates.grade.negative", r"must hold a non-empty list of numbers; got 0\.5"),
    ("result-value-proportion", "lucci2012", R("prevalence", "value", 24.17),
     "results.prevalence.value", r"must be in \[0, 1\]; got 24\.17"),
    ("result-value-ratio", "lucci2012", R("os_hr", "value", -4.04),
     "results.os_hr.value", r"must be in \(0, inf\); got -4\.04"),
    ("result-range-type", "debono2008", R("os_hr_post_range", "value", 3.6),
     "results.os_hr_post_range.value", r"must be a list of numbers in \(0, inf\), strictly "
     r"increasing \(a TOML array"),
    ("result-range-length", "debono2008", R("os_hr_post_range", "value", [3.6, 4.0, 6.5]),
     "results.os_hr_post_range.value", r"must be \[lowest, highest\]; got \[3\.6, 4\.0, 6\.5\]"),
    # ---- checks inside a section
    ("prevalence-vs-zeros", "lucci2012", S("marker/zero_fraction", A(0.8)),
     "marker.prevalence", r"\(0\.2417\) must be below 1 − marker\.zero_fraction"),
    ("categories-start", "lucci2012", S("marker/categories", [1, 5]), "marker.categories",
     r"must start at 0 and have at least 2 entries; got \[1, 5\]"),
    ("categories-threshold", "lucci2012", S("marker/categories", [0, 2, 5]),
     "marker.categories", r"must contain the threshold 1; got \[0, 2, 5\]"),
    ("accrual-too-long", "lucci2012", S("follow_up/accrual_months", A(200.0)),
     "follow_up.accrual_months", r"\(200\) is too long for follow_up\.median_months"),
    ("serial-windows", "debono2008", S("serial/windows_weeks", A([[0, 0], [5, 2]])),
     "serial.windows_weeks", r"must be a list of \[start, end\] week windows, the first "
     r"\[0, 0\]"),
    ("serial-labels", "debono2008", S("serial/labels", ["a", "b"]), "serial.labels",
     r"must have 5 entries \(one per window\); got 2"),
    ("ordinal-sum", "lucci2012", S("covariates/3/negative", A([0.2, 0.2, 0.2])),
     "covariates.grade.negative", r"level probabilities must sum to 1; got 0\.6"),
    ("ordinal-levels", "lucci2012", S("covariates/3/levels", [1, 2]),
     "covariates.grade.levels", r"must list 3 levels \(one per probability in negative\); "
     r"got 2"),
    ("levels-not-ordinal", "lucci2012", S("covariates/2/levels", [0, 1]),
     "covariates.node_positive.levels", r"applies only when covariates\.node_positive\.kind "
     r"is 'ordinal' \(here 'binary'\)"),
    ("low-high", "lucci2012", S("covariates/0/high", 20.0), "covariates.age.high",
     r"\(20\) must be above low \(25\)"),
    ("result-published-source", "lucci2012", R("os_hr", "source", ""), "results.os_hr",
     r"is published but has no 'source'"),
    ("result-assumption-reason", "lucci2012", R("os_hr", "status", "assumption"),
     "results.os_hr", r"is an assumption but has no 'reason'"),
    ("result-status", "lucci2012", R("os_hr", "status", "approximate"),
     "results.os_hr.status", r"must be one of 'published', 'assumption'; got 'approximate'"),
    ("result-kind", "lucci2012", R("os_hr", "kind", "odds_ratio"), "results.os_hr.kind",
     r"must be one of 'prevalence', 'fraction'"),
    ("result-ci", "lucci2012", R("os_hr", "ci", [5.0, 12.8]), "results.os_hr.ci",
     r"\[5\.0, 12\.8\] does not contain the estimate 4\.04"),
    ("result-window", "braun2005", R("os_hr_0_5", "window", [60, 0]),
     "results.os_hr_0_5.window", r"must be \[start, end\] months with 0 ≤ start < end"),
    ("result-time-point", "vandalum2015", D("results/1/time_point"), None,
     r"time_point' is missing; a survival_at result needs the month"),
    ("result-draw-type", "debono2008", R("os_median_conv_unf_fav", "draw", "4"),
     "results.os_median_conv_unf_fav.draw", r"must be a whole number in \[0, inf\); got '4'"),
    # ---- checks across sections
    ("pooling-count", "braun2005", S("pooling/n_studies", {"value": 8, "status": "published",
                                                           "source": "x"}),
     "pooling.study_sizes", r"has 9 entries but pooling\.n_studies is 8"),
    ("pooling-sum", "braun2005", S("design/n", {"value": 4700, "status": "published",
                                                "source": "x"}),
     "pooling.study_sizes", r"sums to 4703 but design\.n is 4700; they must agree"),
    ("endpoints-unique", "lucci2012", S("endpoints/1/name", "pfs"), "endpoints",
     r"names must be unique; got \['pfs', 'pfs'\]"),
    ("covariates-unique", "lucci2012", S("covariates/1/name", "age"), "covariates",
     r"names must be unique"),
    ("covariate-process-absent", "debono2008",
     S("covariates/0/log_hr", {"local": A(0.1)}), "covariates.age.log_hr.local",
     r"names the process 'local', which this design's model has no \[model\.local\] for"),
    ("model-serial-missing", "debono2008", D("model/serial"), "model.serial",
     r"is missing; add it: designs with a \[serial\] section need the trajectory model"),
    ("model-serial-extra", "lucci2012",
     S("model/serial", {k: A(0.5) for k in ("response_probability", "response_log_drop",
                                            "growth_per_month", "noise_sd",
                                            "missing_probability")}),
     "model.serial", r"applies only to designs with a \[serial\] section; remove it"),
    ("trajectory-missing", "debono2008", D("model/serial/noise_sd"), "model.serial.noise_sd",
     r"is missing; add it: Draw-to-draw SD"),
    ("hazard-rate-missing", "lucci2012", D("model/other_death/rate"),
     "model.other_death.rate", r"is missing; add it: Rate per month"),
    ("hazard-rate-bounds", "lucci2012", S("model/progression/rate", A(0.0)),
     "model.progression.rate", r"must be in \(0, inf\); got 0\.0"),
    ("other-death-shape", "lucci2012", S("model/other_death/shape", A(1.2)),
     "model.other_death.shape", r"is not a known field of model\.other_death; known fields: "
     r"rate"),
    ("marker-log-hr-length", "lucci2012",
     S("model/progression/marker_log_hr", [A(1.0), A(2.0)]),
     "model.progression.marker_log_hr", r"must have 1 entries \(one per marker category "
     r"above 0: \[1\]\); got 2"),
    ("state-in-non-serial", "lucci2012", S("model/progression/state_log_hr", [A(1.0)]),
     "model.progression.state_log_hr", r"applies only to designs with serial draws"),
    ("late-without-break", "braun2005", D("model/progression/break_months"),
     "model.progression.marker_log_hr_late", r"needs break_months"),
    ("late-length", "braun2005", S("model/progression/marker_log_hr_late", [A(1.0), A(2.0)]),
     "model.progression.marker_log_hr_late", r"must have 1 entries \(one per marker category "
     r"above 0\); got 2"),
    ("state-length", "debono2008",
     S("model/post_progression/state_log_hr", [A(0.3)] * 4),
     "model.post_progression.state_log_hr", r"must have 5 entries \(one per draw\); got 4"),
    ("marker-log-hr-in-serial", "debono2008",
     S("model/progression/marker_log_hr", [A(1.0)]), "model.progression.marker_log_hr",
     r"applies only to designs without serial draws \(serial designs use state_log_hr\)"),
    ("arm-without-arms", "debono2008", S("model/post_progression/arm_log_hr", A(0.1)),
     "model.post_progression.arm_log_hr", r"applies only to designs with arms"),
    ("result-twice", "lucci2012", R("pfs_hr", "id", "os_hr"), "results.os_hr",
     r"is defined twice; result ids must be unique"),
    ("result-endpoint-missing", "lucci2012", chain(R("os_hr", "endpoint", None),
                                                   lambda d: d["results"][2].pop("endpoint")),
     "results.os_hr.endpoint", r"is missing; a hr_univariable result needs the endpoint"),
    ("result-endpoint-unknown", "lucci2012", R("os_hr", "endpoint", "bcss"),
     "results.os_hr.endpoint", r"'bcss' is not an endpoint of this design \(\['pfs', 'os'\]\)"),
    ("result-covariate-unknown", "lucci2012", R("os_hr", "covariates", ["stage"]),
     "results.os_hr.covariates", r"'stage' is not a covariate of this design"),
    ("result-strata-unknown", "lucci2012", R("os_hr", "strata", "study"),
     "results.os_hr.strata", r"'study' is not a column of the simulated cohort"),
    ("result-draw-unknown", "debono2008", R("os_median_conv_unf_fav", "draw", 9),
     "results.os_median_conv_unf_fav.draw", r"9 is not a draw of this design"),
    ("result-grouping-serial", "lucci2012", R("os_hr", "grouping", "draw"),
     "results.os_hr.grouping", r"'draw' needs a \[serial\] design"),
    ("result-grouping-arm", "debono2008", R("os_hr_baseline", "grouping", "arm"),
     "results.os_hr_baseline.grouping", r"'arm' needs a design with arms"),
    ("result-grouping-category", "lucci2012", R("os_hr", "grouping", "category"),
     "results.os_hr.grouping", r"'category' needs marker\.categories with at least 3"),
    ("result-time-origin", "lucci2012", R("os_hr", "time_origin", "draw"),
     "results.os_hr.time_origin", r"'draw' needs a \[serial\] design"),
    ("result-grouping-choice", "lucci2012", R("os_hr", "grouping", "arms"),
     "results.os_hr.grouping", r"must be one of 'marker', 'category'"),
    # ---- calibration
    ("calibration-path-unknown", "lucci2012",
     S("calibration/parameters", ["progression.rat"]), "calibration.parameters",
     r"'progression\.rat' is not a model parameter; did you mean 'progression\.rate'\? "
     r"parameters are covariate_strength, progression\.rate"),
    ("calibration-path-index", "lucci2012",
     S("calibration/parameters", ["progression.marker_log_hr"]), "calibration.parameters",
     r"'progression\.marker_log_hr' must be written 'progression\.marker_log_hr\[k\]'"),
    ("calibration-path-absent", "lucci2012",
     S("calibration/parameters", ["progression.marker_log_hr[3]"]), "calibration.parameters",
     r"'progression\.marker_log_hr\[3\]' is not a model parameter of this design; its "
     r"parameters are covariate_strength, progression\.rate"),
    ("calibration-path-process", "lucci2012",
     S("calibration/parameters", ["covariates.age.log_hr.death"]), "calibration.parameters",
     r"'covariates\.age\.log_hr\.death' names an unknown process 'death'; use one of "
     r"progression, local"),
    ("calibration-path-published", "lucci2012",
     chain(S("model/other_death/rate", {"value": 0.001, "status": "published",
                                        "source": "x"}),
           S("calibration/parameters", ["other_death.rate"])),
     "calibration.parameters", r"'other_death\.rate' is published; a published number is "
     r"never solved for"),
    ("calibration-duplicate", "lucci2012",
     S("calibration/parameters", ["progression.rate", "progression.rate"]),
     "calibration.parameters", r"must not repeat a value"),
    ("target-unknown", "lucci2012", S("calibration/targets", ["dfs_hr"]),
     "calibration.targets", r"'dfs_hr' is not a result id; results are prevalence, pfs_hr"),
    ("target-weight-negative", "lucci2012", S("calibration/targets", ["os_hr@-2"]),
     "calibration.targets", r"'os_hr@-2': a weight after '@' must be a positive number"),
    ("target-weight-text", "lucci2012", S("calibration/targets", ["os_hr@x"]),
     "calibration.targets", r"'os_hr@x': a weight after '@' must be a positive number"),
    ("target-qualifier", "lucci2012", S("calibration/targets", ["os_hr:se"]),
     "calibration.targets", r"target 'os_hr:se': the only qualifier after ':' is 'ci'"),
    ("target-ci-without-ci", "lucci2012", S("calibration/targets", ["prevalence:ci"]),
     "calibration.targets", r"'prevalence:ci': ':ci' needs a hazard or rate ratio result "
     r"with a published ci"),
    ("target-not-simulated", "lucci2012",
     chain(R("os_hr", "simulated", False), S("calibration/targets", ["os_hr"])),
     "calibration.targets", r"'os_hr' names a result with simulated = false"),
    ("target-not-string", "lucci2012", S("calibration/targets", [3]),
     "calibration.targets", r"must be a list of non-empty strings"),
    ("calibration-missing-targets", "lucci2012", D("calibration/targets"),
     "calibration.targets", r"is missing; add it"),
    # ---- not_found
    ("not-found-unknown", "lucci2012", S("not_found", ["marker.volume"]), "not_found",
     r"lists 'marker\.volume', which is not a field of the design"),
    ("not-found-published", "lucci2012", S("not_found", ["marker.prevalence"]),
     "marker.prevalence", r"is listed in not_found but marked published"),
]


@pytest.mark.parametrize(("case", "key", "change", "field", "message"), CASES,
                         ids=[c[0] for c in CASES])
def test_error_names_file_and_field(case, key, change, field, message):
    doc = copy.deepcopy(_doc(key))
    change(doc)
    head = _f(field) if field is not None else r"design file 'mine\.toml': field '.*"
    with pytest.raises(DataValidationError, match=head + message):
        parse_design(doc, ORIGIN)


def test_every_case_starts_from_a_valid_design():
    for key in {c[1] for c in CASES}:
        assert parse_design(_doc(key), ORIGIN).key == key


# --------------------------------------------------------------------------- calibrated file
CAL_CASES = [
    ("cal-unknown", S("sed", 1), "sed", r"is not a known field; did you mean 'seed'\?"),
    ("cal-seed-type", S("seed", "x"), "seed", r"must be a whole number in \[0, inf\); got 'x'"),
    ("cal-n-bounds", S("n", 0), "n", r"must be in \[1, inf\); got 0"),
    ("cal-value-type", S("parameters/progression.rate", "0.1"),
     "parameters.progression.rate", r"must be a number; got '0\.1'"),
    ("cal-path", S("parameters", {"progression.rat": 0.1}), "parameters",
     r"'progression\.rat' is not a model parameter; did you mean 'progression\.rate'\?"),
    ("cal-stale-params", D("parameters/progression.rate"), "parameters",
     r"does not match calibration\.parameters of the design \(extra: \[\], missing: "
     r"\['progression\.rate'\]\); the file is stale: rerun python "
     r"scripts/calibrate_designs\.py lucci2012"),
    ("cal-stale-fit", D("fit/2"), "fit",
     r"has targets \['pfs_hr', 'pfs_hr:ci'\] but calibration\.targets are"),
    ("cal-fit-target", S("fit/0/target", "pfs_hr@0"), "fit[0].target",
     r"'pfs_hr@0': a weight after '@' must be a positive number"),
    ("cal-fit-not-tables", S("fit", 3), "fit", r"must be an array of tables \[\[fit\]\]"),
]


@pytest.mark.parametrize(("case", "change", "field", "message"), CAL_CASES,
                         ids=[c[0] for c in CAL_CASES])
def test_calibrated_file_errors(case, change, field, message):
    design = parse_design(_doc("lucci2012"), ORIGIN)
    doc = copy.deepcopy(_cal("lucci2012"))
    change(doc)
    with pytest.raises(DataValidationError, match=_f(field) + message):
        merge_calibrated(design, doc, ORIGIN)


def test_calibrated_file_without_calibration_section():
    doc = _doc("lucci2012")
    del doc["calibration"]
    design = parse_design(doc, ORIGIN)
    with pytest.raises(DataValidationError, match=_f("parameters") + r"calibrates design "
                       r"'lucci2012', which has no \[calibration\] section"):
        merge_calibrated(design, _cal("lucci2012"), ORIGIN)


def test_files_on_disk(tmp_path):
    """Loader errors: missing file, bad TOML in either file, a registered key that differs
    from the file name."""
    with pytest.raises(DataValidationError, match=r"design file '.*nope\.toml' does not exist"):
        load_design_file(tmp_path / "nope.toml")
    p = tmp_path / "mine.toml"
    p.write_text("key = \n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"design file '.*mine\.toml' is not valid "
                       r"TOML"):
        load_design_file(p)
    p.write_text((DATA / "lucci2012.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "mine.calibrated.toml").write_text("seed = [\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"design file '.*mine\.calibrated\.toml' is "
                       r"not valid TOML"):
        load_design_file(p)
    assert load_design_file(p, calibrated=False).calibrated is None


def test_registered_key_must_match_file_name(monkeypatch):
    from ctcstats.designs import registry

    files = registry._data_files()
    monkeypatch.setattr(registry, "_data_files", lambda: {"other": files["lucci2012"]})
    monkeypatch.setattr(registry, "_CACHE", {})
    with pytest.raises(DataValidationError, match=r"design file 'lucci2012\.toml': field 'key' "
                       r"is 'lucci2012' but the file name says 'other'"):
        registry._load_registered("other")


# --------------------------------------------------------------------------- precedence
def test_calibrated_values_take_precedence_and_are_labelled(tmp_path):
    d = get_design("lucci2012")
    start = load_design_file(d.path, calibrated=False)
    cal = _cal("lucci2012")["parameters"]
    assert d.calibrated is not None and start.calibrated is None
    for text, value in cal.items():
        assert d.param(text) == value  # bit for bit, as written by the script
        assert start.param(text) != value
    table = d.numbers().set_index("field")
    assert list(table.index[table["status"] == "calibrated"]) == list(cal)
    assert (table.loc[list(cal), "source"] == "lucci2012.calibrated.toml").all()
    assert table.loc["progression.rate", "reason"].startswith(
        "calibrated by scripts/calibrate_designs.py (seed 20240611, n 100000) to reproduce "
        "pfs_hr, pfs_hr:ci, os_hr")
    assert start.numbers().set_index("field").loc["progression.rate", "status"] == "assumption"
    fit = d.calibration_fit()
    assert list(fit.columns) == ["target", "published", "achieved"]
    assert list(fit["target"]) == ["pfs_hr", "pfs_hr:ci", "os_hr"]


def test_hand_edited_files_hold_no_calibrated_values():
    for p in sorted(DATA.glob("*.toml")):
        if p.name.endswith(".calibrated.toml"):
            continue
        text = p.read_text(encoding="utf-8")
        assert "[calibrated" not in text, p.name
        assert (DATA / f"{p.stem}.calibrated.toml").is_file(), p.name


def test_calibration_script_writes_exact_floats(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import calibrate_designs
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    solved = {"progression.rate": 0.1 + 0.2, "post_progression.marker_log_hr[0]": 1 / 3}
    fit = [(Target.parse("os_hr@2"), 4.04, float("nan"))]
    path = calibrate_designs.write_calibrated("mine", solved, fit, 1000, 7, data=tmp_path)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert doc["parameters"] == solved and doc["seed"] == 7 and doc["n"] == 1000
    assert doc["fit"][0]["target"] == "os_hr@2" and math.isnan(doc["fit"][0]["achieved"])
    assert path.read_text(encoding="utf-8").startswith("# written by "
                                                       "scripts/calibrate_designs.py")


# --------------------------------------------------------------------------- typed paths
def test_param_paths_round_trip_and_schema():
    for text in ("progression.rate", "post_progression.state_log_hr[3]", "covariate_strength",
                 "serial.noise_sd", "covariates.age.log_hr.other_death"):
        p = ParamPath.parse(text)
        assert str(p) == text and ParamPath.parse(p) is p
    assert ParamPath.parse("progression.rate") == ParamPath("progression", "rate")
    assert ParamPath.parse("serial.response_probability").spec.scale == "logit"
    assert ParamPath.parse("progression.marker_log_hr[0]").spec.scale == "linear"
    assert lower_bound("post_progression.marker_log_hr[2]") == 0.0
    assert lower_bound("post_progression.marker_log_hr[0]", "paddy") == -math.inf
    assert lower_bound("progression.marker_log_hr[0]") == -math.inf
    fwd, inv = _param_transform("progression.rate")
    assert inv(fwd(0.25)) == pytest.approx(0.25) and fwd(1.0) == 0.0
    assert "covariates.<name>.log_hr.<process>" in ParamPath.forms()


@pytest.mark.parametrize(("text", "message"), [
    ("progression.rat", r"'progression\.rat' is not a model parameter; did you mean "
                        r"'progression\.rate'\?"),
    ("marker.prevalence", r"'marker\.prevalence' is not a model parameter"),
    ("progression.rate[0]", r"'progression\.rate\[0\]' must be written 'progression\.rate'"),
    ("covariates.age.log_hr.death", r"names an unknown process 'death'"),
    ("progression..rate", r"is not a model parameter"),
    (3, r"3 is not a parameter path \(a string such as 'progression\.rate'\)"),
])
def test_param_path_errors(text, message):
    with pytest.raises(ValueError, match=message):
        ParamPath.parse(text)


def test_unknown_paths_in_code_name_the_valid_ones():
    d = get_design("debono2008")
    with pytest.raises(DataValidationError, match=r"design 'debono2008' has no model "
                       r"parameter 'progression\.state_log_hr\[7\]'; did you mean "
                       r"'progression\.state_log_hr\[4\]'\? its parameters are "
                       r"covariate_strength, progression\.rate"):
        d.param("progression.state_log_hr[7]")
    with pytest.raises(DataValidationError, match=r"design 'debono2008': "
                       r"'progression\.rat' is not a model parameter"):
        with_params(d, {"progression.rat": 1.0}, "test")
    with pytest.raises(DataValidationError, match=r"design 'debono2008' has no model "
                       r"parameter 'local\.rate'"):
        d.param(ParamPath("local", "rate"))


def test_with_values_replaces_only_the_named_parameters():
    d = get_design("braun2005")
    new = with_params(d, {"progression.marker_log_hr[0]": 0.5,
                          "covariates.age.log_hr.other_death": 0.09,
                          "covariate_strength": 1.5}, "test")
    assert new.param("progression.marker_log_hr[0]") == 0.5
    assert new.model.progression.marker_log_hr[0].status == "calibrated"
    assert new.param("covariates.age.log_hr.other_death") == 0.09
    assert new.param("covariate_strength") == 1.5
    old, changed = d.parameters(), new.parameters()
    assert list(old) == list(changed)
    same = [p for p in old if old[p] == changed[p]]
    assert len(same) == len(old) - 3
    assert d.param("covariate_strength") != 1.5  # the original is unchanged


@pytest.mark.parametrize(("spec", "message"), [
    ("os_hr:ci:ci", r"the only qualifier after ':' is 'ci'"),
    ("os hr", r"must start with a result id"),
    ("os_hr@0", r"a weight after '@' must be a positive number"),
    ("os_hr@inf", r"a weight after '@' must be a positive number"),
    (3, r"must be a string"),
])
def test_target_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        Target.parse(spec)


# --------------------------------------------------------------------------- documentation
def test_schema_documentation_is_generated_and_in_sync():
    path = DATA / "README.md"
    text = path.read_text(encoding="utf-8")
    assert render_readme(text) == text, ("ctcstats/designs/data/README.md is out of date: "
                                         "python scripts/generate_docs.py")
    for field in ("`prevalence`", "`state_log_hr`", "`windows_weeks`", "`time_origin`",
                  "`arm_log_hr`", "`achieved`"):
        assert field in text


def test_documentation_lists_every_field():
    from ctcstats._fieldtable import schema_of
    from ctcstats.designs import _schema

    text = (DATA / "README.md").read_text(encoding="utf-8")
    for _, cls, _ in _schema._SECTIONS:
        for name, _ in schema_of(cls):
            assert f"| `{name}` |" in text, (cls.__name__, name)


def test_generated_block_must_exist():
    from ctcstats._fieldtable import replace_generated

    with pytest.raises(KeyError, match=r"no '<!-- BEGIN GENERATED: design-schema -->' block"):
        replace_generated("# README without markers\n", "design-schema", "x")
