"""Parser of design files (the TOML schema in ``data/README.md``) into :class:`StudyDesign`.

Every error names the file and the field, says what is wrong and how to fix it.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..errors import DataValidationError
from .registry import (
    COVARIATE_KINDS,
    ENDPOINT_KINDS,
    GROUPINGS,
    PROCESSES,
    RESULT_KINDS,
    Citation,
    Covariate,
    Endpoint,
    PublishedResult,
    SerialSpec,
    StudyDesign,
    Value,
)

__all__ = ["parse_design", "parse_target"]


def parse_target(spec: str) -> tuple[str, str, float]:
    """Split a calibration target ``"<id>[:ci][@w]"`` into ``(result id, "ci" or "", weight)``.

    The weight (default 1) multiplies the target's residual in the least squares; a weight
    that is not a positive number raises ``ValueError``.
    """
    head, _, w = spec.partition("@")
    rid, _, what = head.partition(":")
    weight = float(w) if w else 1.0
    if not weight > 0:
        raise ValueError(f"weight {w!r} is not positive")
    return rid, what, weight

_FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------- parsing helpers
class _Parser:
    """Reads one design document; every error names the file and the field."""

    def __init__(self, doc: dict, origin: str):
        self.doc = doc
        self.origin = origin

    def fail(self, fieldname: str, msg: str) -> DataValidationError:
        return DataValidationError(f"design file {self.origin}: field {fieldname!r} {msg}")

    def get(self, table: Mapping, name: str, where: str, *, required: bool = True):
        if name not in table:
            if required:
                raise self.fail(
                    f"{where}.{name}" if where else name,
                    "is missing; add it (see ctcstats/designs/data/README.md for the schema).",
                )
            return None
        return table[name]

    def table(self, table: Mapping, name: str, where: str, *, required: bool = True) -> dict:
        t = self.get(table, name, where, required=required)
        if t is None:
            return {}
        if not isinstance(t, Mapping):
            raise self.fail(f"{where}.{name}" if where else name, "must be a table.")
        return dict(t)

    def string(self, table: Mapping, name: str, where: str, *, required=True, default=""):
        v = self.get(table, name, where, required=required)
        if v is None:
            return default
        if not isinstance(v, str) or (required and not v.strip()):
            raise self.fail(f"{where}.{name}", f"must be a non-empty string; got {v!r}.")
        return v

    def value(
        self,
        table: Mapping,
        name: str,
        where: str,
        *,
        required: bool = True,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        high_open: bool = False,
        integer: bool = False,
        vector: bool = False,
    ) -> Value | None:
        fname = f"{where}.{name}" if where else name
        raw = self.get(table, name, where, required=required)
        if raw is None:
            return None
        return self.as_value(
            raw, fname, low=low, high=high, low_open=low_open, high_open=high_open,
            integer=integer, vector=vector,
        )

    def as_value(
        self, raw, fname: str, *, low=None, high=None, low_open=False, high_open=False,
        integer=False, vector=False, any_type=False,
    ) -> Value:
        if not isinstance(raw, Mapping):
            raise self.fail(
                fname,
                "must be a table {value = ..., status = \"published\", source = \"...\"} or "
                "{value = ..., status = \"assumption\", reason = \"...\"}; got "
                f"{raw!r}.",
            )
        if "value" not in raw:
            raise self.fail(fname, "has no 'value'.")
        status = raw.get("status")
        if status not in ("published", "assumption"):
            raise self.fail(
                fname, f"must have status 'published' or 'assumption'; got {status!r}."
            )
        source = raw.get("source", "")
        reason = raw.get("reason", "")
        if status == "published" and not (isinstance(source, str) and source.strip()):
            raise self.fail(fname, "is published but has no 'source'; say where it was read.")
        if status == "assumption" and not (isinstance(reason, str) and reason.strip()):
            raise self.fail(
                fname, "is an assumption but has no 'reason'; give a one-line justification."
            )
        extra = set(raw) - {"value", "status", "source", "reason"}
        if extra:
            raise self.fail(fname, f"has unknown keys {sorted(extra)}.")
        v = raw["value"]
        if any_type:
            vals = v if isinstance(v, list) else None
            if vals is not None:
                v = tuple(tuple(x) if isinstance(x, list) else x for x in vals)
            return Value(v, status, source, reason)
        items = v if vector else [v]
        if vector and not isinstance(v, list):
            raise self.fail(fname, f"must hold a list of numbers; got {v!r}.")
        for x in items:
            if not isinstance(x, numbers.Real) or isinstance(x, bool) or not math.isfinite(x):
                raise self.fail(fname, f"must be a finite number; got {x!r}.")
            if integer and float(x) != int(x):
                raise self.fail(fname, f"must be a whole number; got {x!r}.")
            bad_lo = low is not None and (x <= low if low_open else x < low)
            bad_hi = high is not None and (x >= high if high_open else x > high)
            if bad_lo or bad_hi:
                lo = "-inf" if low is None else f"{low:g}"
                hi = "inf" if high is None else f"{high:g}"
                lb = "(" if (low is None or low_open) else "["
                hb = ")" if (high is None or high_open) else "]"
                raise self.fail(fname, f"must be in {lb}{lo}, {hi}{hb}; got {x!r}.")
        if vector:
            return Value(tuple(int(x) if integer else float(x) for x in v), status, source, reason)
        return Value(int(v) if integer else float(v), status, source, reason)


def _flatten_model(p: _Parser, model: Mapping, prefix: str, out: dict[str, Value]) -> None:
    for name, raw in model.items():
        fname = f"{prefix}.{name}" if prefix else name
        if isinstance(raw, Mapping) and "value" in raw:
            out[fname] = p.as_value(raw, fname)
        elif isinstance(raw, Mapping):
            _flatten_model(p, raw, fname, out)
        elif isinstance(raw, list):
            for i, item in enumerate(raw):
                out[f"{fname}[{i}]"] = p.as_value(item, f"{fname}[{i}]")
        else:
            raise p.fail(fname, f"must be a {{value=..., status=...}} table; got {raw!r}.")


# --------------------------------------------------------------------------- the parser
def parse_design(doc: dict, origin: str, path: str = "") -> StudyDesign:
    """Build a :class:`StudyDesign` from a parsed TOML document; *origin* names it in errors."""
    p = _Parser(doc, origin)
    key = p.string(doc, "key", "")
    if not _FIELD_RE.match(key):
        raise p.fail("key", f"must be an identifier (letters, digits, _); got {key!r}.")
    title = p.string(doc, "title", "")

    # citation
    c = p.table(doc, "citation", "")
    year = c.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        raise p.fail("citation.year", f"must be a whole number; got {year!r}.")
    citation = Citation(
        authors=p.string(c, "authors", "citation"),
        title=p.string(c, "title", "citation"),
        journal=p.string(c, "journal", "citation"),
        year=year,
        volume=str(c.get("volume", "")),
        pages=str(c.get("pages", "")),
        doi=str(c.get("doi", "")),
        pmid=str(c.get("pmid", "")),
        url=str(c.get("url", "")),
    )

    # setting
    s = p.table(doc, "setting", "")
    stage = p.string(s, "stage", "setting")
    if stage not in ("early", "metastatic"):
        raise p.fail("setting.stage", f"must be 'early' or 'metastatic'; got {stage!r}.")
    setting = MappingProxyType(
        {
            "description": p.string(s, "description", "setting"),
            "disease": p.string(s, "disease", "setting"),
            "stage": stage,
            "time_zero": p.string(s, "time_zero", "setting"),
        }
    )

    # size and pooling
    dsg = p.table(doc, "design", "")
    n = p.value(dsg, "n", "design", low=1, integer=True)
    pooling = None
    if "pooling" in doc:
        pl = p.table(doc, "pooling", "")
        n_studies = p.value(pl, "n_studies", "pooling", low=2, integer=True)
        sizes = p.value(pl, "study_sizes", "pooling", low=1, integer=True, vector=True)
        if len(sizes.value) != n_studies.value:
            raise p.fail(
                "pooling.study_sizes",
                f"has {len(sizes.value)} entries but pooling.n_studies is {n_studies.value}.",
            )
        if sum(sizes.value) != n.value:
            raise p.fail(
                "pooling.study_sizes",
                f"sums to {sum(sizes.value)} but design.n is {n.value}; they must agree.",
            )
        pooling = MappingProxyType(
            {
                "n_studies": n_studies,
                "study_sizes": sizes,
                "study_label": p.string(pl, "study_label", "pooling", required=False,
                                        default="study"),
                "prevalence_logit_sd": p.value(pl, "prevalence_logit_sd", "pooling", low=0),
                "baseline_log_hazard_sd": p.value(pl, "baseline_log_hazard_sd", "pooling",
                                                  low=0),
            }
        )

    # marker
    m = p.table(doc, "marker", "")
    kind = p.string(m, "kind", "marker")
    if kind not in ("CTC", "DTC"):
        raise p.fail("marker.kind", f"must be 'CTC' or 'DTC'; got {kind!r}.")
    marker: dict[str, Any] = {
        "kind": kind,
        "assay": p.string(m, "assay", "marker"),
        "sample": p.string(m, "sample", "marker"),
        "threshold": p.value(m, "threshold", "marker", low=0, integer=True),
        "prevalence": p.value(m, "prevalence", "marker", low=0, high=1, low_open=True,
                              high_open=True),
        "zero_fraction": p.value(m, "zero_fraction", "marker", low=0, high=1, high_open=True),
        "gamma_shape": p.value(m, "gamma_shape", "marker", low=0, low_open=True),
        "recovery": p.value(m, "recovery", "marker", low=0, high=1, low_open=True),
    }
    if kind == "CTC":
        marker["volume_ml"] = p.value(m, "volume_ml", "marker", low=0, low_open=True)
        if "cells_examined" in m:
            raise p.fail("marker.cells_examined", "applies to DTC designs; CTC designs use "
                         "marker.volume_ml.")
    else:
        marker["cells_examined"] = p.value(m, "cells_examined", "marker", low=0,
                                           low_open=True)
        if "volume_ml" in m:
            raise p.fail("marker.volume_ml", "applies to CTC designs; DTC designs use "
                         "marker.cells_examined.")
    if marker["threshold"].value < 1:
        raise p.fail("marker.threshold", f"must be ≥ 1 (a count); got "
                     f"{marker['threshold'].value!r}.")
    if marker["prevalence"].value >= 1 - marker["zero_fraction"].value:
        raise p.fail(
            "marker.prevalence",
            f"({marker['prevalence'].value:g}) must be below 1 − marker.zero_fraction "
            f"({1 - marker['zero_fraction'].value:g}): patients with a true zero "
            "concentration cannot be positive. Lower marker.zero_fraction.",
        )
    cats = m.get("categories")
    if cats is None:
        cats = [0, marker["threshold"].value]
    if (
        not isinstance(cats, list)
        or len(cats) < 2
        or cats[0] != 0
        or any(not isinstance(x, int) or isinstance(x, bool) for x in cats)
        or any(b <= a for a, b in zip(cats, cats[1:], strict=False))
    ):
        raise p.fail(
            "marker.categories",
            f"must be an increasing list of whole numbers starting at 0; got {cats!r}.",
        )
    if marker["threshold"].value not in cats:
        raise p.fail(
            "marker.categories",
            f"must contain the threshold {marker['threshold'].value}; got {cats!r}.",
        )
    marker["categories"] = tuple(cats)
    marker = MappingProxyType(marker)

    # follow-up
    f = p.table(doc, "follow_up", "")
    med = p.value(f, "median_months", "follow_up", low=0, low_open=True)
    acc = p.value(f, "accrual_months", "follow_up", low=0, low_open=True)
    follow_up = {"median_months": med, "accrual_months": acc}
    if med.value - acc.value / 2 <= 0:
        raise p.fail(
            "follow_up.accrual_months",
            f"({acc.value:g}) is too long for follow_up.median_months ({med.value:g}): "
            "the administrative follow-up after the last entry, median − accrual/2, must "
            "be > 0.",
        )
    win = p.value(f, "window_months", "follow_up", required=False, low=0, low_open=True)
    if win is not None:
        follow_up["window_months"] = win
    follow_up = MappingProxyType(follow_up)

    # endpoints
    eps = p.get(doc, "endpoints", "")
    if not isinstance(eps, list) or not eps:
        raise p.fail("endpoints", "must be a non-empty array of tables [[endpoints]].")
    endpoints = []
    for i, e in enumerate(eps):
        where = f"endpoints[{i}]"
        name = p.string(e, "name", where)
        if not _FIELD_RE.match(name):
            raise p.fail(f"{where}.name", f"must be an identifier; got {name!r}.")
        ek = p.string(e, "kind", where)
        if ek not in ENDPOINT_KINDS:
            raise p.fail(f"{where}.kind", f"must be one of {ENDPOINT_KINDS}; got {ek!r}.")
        endpoints.append(Endpoint(name, p.string(e, "label", where), ek,
                                  p.string(e, "definition", where, required=False)))
    names = [e.name for e in endpoints]
    if len(set(names)) != len(names):
        raise p.fail("endpoints", f"names must be unique; got {names}.")

    # covariates
    covs = []
    for i, cv in enumerate(doc.get("covariates", [])):
        where = f"covariates[{i}]"
        name = p.string(cv, "name", where)
        ck = p.string(cv, "kind", where)
        if ck not in COVARIATE_KINDS:
            raise p.fail(f"{where}.kind", f"must be one of {COVARIATE_KINDS}; got {ck!r}.")
        where = f"covariates.{name}"
        if ck == "binary":
            neg = p.value(cv, "negative", where, low=0, high=1, low_open=True, high_open=True)
        elif ck == "ordinal":
            neg = p.value(cv, "negative", where, low=0, high=1, vector=True, low_open=True)
            if abs(sum(neg.value) - 1) > 1e-6:
                raise p.fail(f"{where}.negative", f"level probabilities must sum to 1; got "
                             f"{sum(neg.value):g}.")
        elif ck == "lognormal":
            neg = p.value(cv, "negative", where, low=0, low_open=True)
        else:
            neg = p.value(cv, "negative", where)
        shift = p.value(cv, "shift", where)
        sd = None
        if ck in ("normal", "lognormal"):
            sd = p.value(cv, "sd", where, low=0, low_open=True)
        levels = tuple(cv.get("levels", ()))
        if ck == "ordinal" and len(levels) != len(neg.value):
            raise p.fail(f"{where}.levels", f"must list {len(neg.value)} levels (one per "
                         "probability in negative).")
        direction = None
        if "direction" in cv:
            direction = p.as_value(cv["direction"], f"{where}.direction", any_type=True)
        covs.append(
            Covariate(
                name=name, kind=ck, label=p.string(cv, "label", where), negative=neg,
                shift=shift, sd=sd, levels=levels, direction=direction,
                decimals=int(cv.get("decimals", 1)), low=cv.get("low"), high=cv.get("high"),
            )
        )

    # model parameters (flattened)
    params: dict[str, Value] = {}
    _flatten_model(p, p.table(doc, "model", ""), "", params)
    for i, cv in enumerate(doc.get("covariates", [])):
        lh = cv.get("log_hr", {})
        if not isinstance(lh, Mapping):
            raise p.fail(f"covariates[{i}].log_hr", "must be a table of processes.")
        for proc, raw in lh.items():
            if proc not in PROCESSES:
                raise p.fail(f"covariates.{cv['name']}.log_hr.{proc}",
                             f"names an unknown process; use one of {PROCESSES}.")
            params[f"covariates.{cv['name']}.log_hr.{proc}"] = p.as_value(
                raw, f"covariates.{cv['name']}.log_hr.{proc}"
            )
    for name in params:
        head = name.split(".")[0]
        if head not in PROCESSES + ("covariates", "serial", "covariate_strength"):
            raise p.fail(f"model.{name}", f"names an unknown process; use one of {PROCESSES}, "
                         "serial or covariate_strength.")
    for proc in ("progression", "post_progression", "other_death"):
        if f"{proc}.rate" not in params:
            raise p.fail(f"model.{proc}.rate", "is missing; every design needs the "
                         "progression, post_progression and other_death hazards.")
    for name, v in params.items():
        if name.endswith(".rate") and not (v.value > 0):
            raise p.fail(f"model.{name}", f"must be > 0; got {v.value!r}.")
        if name.endswith(".shape") and not (v.value > 0):
            raise p.fail(f"model.{name}", f"must be > 0; got {v.value!r}.")
    ncat = len(marker["categories"]) - 1
    if any(e.kind == "event_free" for e in endpoints) and "local.rate" not in params:
        pass  # a design may have no separate local-recurrence process
    for proc in ("progression", "local", "post_progression"):
        if f"{proc}.rate" in params and "serial" not in doc:
            have = [k for k in params if k.startswith(f"{proc}.marker_log_hr[")]
            if len(have) != ncat:
                raise p.fail(
                    f"model.{proc}.marker_log_hr",
                    f"must have {ncat} entries (one per marker category above 0: "
                    f"{list(marker['categories'][1:])}); got {len(have)}.",
                )

    # serial
    serial = None
    if "serial" in doc:
        sr = p.table(doc, "serial", "")
        wv = p.as_value(p.get(sr, "windows_weeks", "serial"), "serial.windows_weeks",
                        any_type=True)
        wins = wv.value
        if (
            not isinstance(wins, tuple)
            or not wins
            or any(not isinstance(w, tuple) or len(w) != 2 or w[0] > w[1] for w in wins)
            or tuple(wins[0]) != (0, 0)
            or any(b[0] < a[1] for a, b in zip(wins, wins[1:], strict=False))
        ):
            raise p.fail(
                "serial.windows_weeks",
                "must be a list of [start, end] week windows, the first [0, 0] (baseline), "
                f"increasing and not overlapping; got {wins!r}.",
            )
        labels = tuple(sr.get("labels", [f"draw {j}" for j in range(len(wins))]))
        if len(labels) != len(wins):
            raise p.fail("serial.labels", f"must have {len(wins)} entries.")
        serial = SerialSpec(
            labels=labels,
            windows_weeks=tuple((float(a), float(b)) for a, b in wins),
            windows=wv,
            stop_at_progression=bool(sr.get("stop_at_progression", True)),
            follow_up_only_if_positive=bool(sr.get("follow_up_only_if_positive", False)),
        )
        for proc in ("progression", "post_progression"):
            have = [k for k in params if k.startswith(f"{proc}.state_log_hr[")]
            if len(have) != len(wins):
                raise p.fail(f"model.{proc}.state_log_hr",
                             f"must have {len(wins)} entries (one per draw); got {len(have)}.")
        for nm in ("response_probability", "response_log_drop", "growth_per_month",
                   "noise_sd", "missing_probability"):
            if f"serial.{nm}" not in params:
                raise p.fail(f"model.serial.{nm}", "is missing (serial designs need the "
                             "trajectory model).")

    # results
    results = []
    rs = p.get(doc, "results", "")
    if not isinstance(rs, list) or not rs:
        raise p.fail("results", "must be a non-empty array of tables [[results]].")
    ids = set()
    cov_names = {c.name for c in covs}
    for i, r in enumerate(rs):
        rid = p.string(r, "id", f"results[{i}]")
        where = f"results.{rid}"
        if rid in ids:
            raise p.fail(where, "is defined twice; result ids must be unique.")
        ids.add(rid)
        rk = p.string(r, "kind", where)
        if rk not in RESULT_KINDS:
            raise p.fail(f"{where}.kind", f"must be one of {RESULT_KINDS}; got {rk!r}.")
        vector = rk in ("median_range", "hr_range")
        low, low_open, high = (0, True, None)
        if rk in ("prevalence", "fraction", "survival_at"):
            low, low_open, high = 0, False, 1
        val = p.as_value(
            {k: r[k] for k in ("value", "status", "source", "reason") if k in r}, where,
            low=low, low_open=low_open, high=high, vector=vector,
        )
        ep = r.get("endpoint")
        if rk not in ("prevalence", "fraction"):
            if ep is None:
                raise p.fail(f"{where}.endpoint", "is missing.")
            if ep not in names:
                raise p.fail(f"{where}.endpoint",
                             f"{ep!r} is not an endpoint of this design ({names}).")
        grouping = r.get("grouping", "marker")
        if grouping not in GROUPINGS:
            raise p.fail(f"{where}.grouping", f"must be one of {GROUPINGS}; got {grouping!r}.")
        ci = r.get("ci")
        if ci is not None:
            if (not isinstance(ci, list) or len(ci) != 2
                    or not all(isinstance(x, numbers.Real) for x in ci)):
                raise p.fail(f"{where}.ci", f"must be [lower, upper]; got {ci!r}.")
            if not (ci[0] <= val.value <= ci[1]):
                raise p.fail(f"{where}.ci", f"{ci} does not contain the estimate "
                             f"{val.value:g}; check the numbers.")
            ci = (float(ci[0]), float(ci[1]))
        win = r.get("window")
        if win is not None:
            if (not isinstance(win, list) or len(win) != 2 or not win[0] < win[1]
                    or win[0] < 0):
                raise p.fail(f"{where}.window", f"must be [start, end] months with "
                             f"0 ≤ start < end; got {win!r}.")
            win = (float(win[0]), float(win[1]))
        adj = tuple(r.get("covariates", ()))
        for a in adj:
            if a not in cov_names:
                raise p.fail(f"{where}.covariates", f"{a!r} is not a covariate of this "
                             f"design ({sorted(cov_names)}).")
        draw = int(r.get("draw", 0))
        if draw and (serial is None or draw >= len(serial.windows_weeks)):
            raise p.fail(f"{where}.draw", f"{draw} is not a draw of this design.")
        if grouping in ("draw", "conversion") and serial is None:
            raise p.fail(f"{where}.grouping", f"{grouping!r} needs a [serial] design.")
        origin = r.get("time_origin", "baseline")
        if origin not in ("baseline", "draw"):
            raise p.fail(f"{where}.time_origin", f"must be 'baseline' or 'draw'; got "
                         f"{origin!r}.")
        if origin == "draw" and serial is None:
            raise p.fail(f"{where}.time_origin", "'draw' needs a [serial] design.")
        tp = r.get("time_point")
        if rk == "survival_at" and not (isinstance(tp, numbers.Real) and tp > 0):
            raise p.fail(f"{where}.time_point", "must be a positive number of months.")
        results.append(
            PublishedResult(
                id=rid, kind=rk, value=val.value, status=val.status, source=val.source,
                reason=val.reason, endpoint=ep, grouping=grouping, group=r.get("group"),
                reference=r.get("reference"), draw=draw, time_origin=origin, window=win,
                time_point=float(tp) if tp is not None else None, ci=ci, covariates=adj,
                strata=r.get("strata"), analysis=p.string(r, "analysis", where),
                target=False, simulated=bool(r.get("simulated", True)),
                note=str(r.get("note", "")),
            )
        )

    # calibration spec + calibrated values
    cal = dict(p.table(doc, "calibration", "", required=False))
    pars = list(cal.get("parameters", []))
    targets = list(cal.get("targets", []))
    for name in pars:
        if name not in params:
            raise p.fail("calibration.parameters", f"{name!r} is not a model parameter.")
    target_ids = set()
    for t in targets:
        try:
            rid = parse_target(t)[0]
        except ValueError:
            raise p.fail("calibration.targets", f"{t!r}: a weight after '@' must be a "
                         "positive number.") from None
        if rid not in ids:
            raise p.fail("calibration.targets", f"{t!r} is not a result id.")
        target_ids.add(rid)
    results = [
        PublishedResult(**{**r.__dict__, "target": r.id in target_ids}) for r in results
    ]
    done = doc.get("calibrated")
    calibration: dict[str, Any] = {"parameters": tuple(pars), "targets": tuple(targets),
                                   "calibrated": done is not None}
    if done is not None:
        seed, ncal = done.get("seed"), done.get("n")
        what = ", ".join(targets)
        for name, v in done.get("parameters", {}).items():
            if name not in params:
                raise p.fail(f"calibrated.parameters.{name}", "is not a model parameter.")
            params[name] = Value(
                float(v), "assumption",
                reason=(f"calibrated by scripts/calibrate_designs.py (seed {seed}, n {ncal}) "
                        f"to reproduce {what}"),
            )
        calibration.update(seed=seed, n=ncal, fit=tuple(dict(x) for x in done.get("fit", [])))

    nf = tuple(doc.get("not_found", ()))
    design = StudyDesign(
        key=key, title=title, citation=citation, setting=setting, n=n, marker=marker,
        follow_up=follow_up, endpoints=tuple(endpoints), covariates=tuple(covs),
        results=tuple(results), params=MappingProxyType(params), pooling=pooling,
        serial=serial, calibration=MappingProxyType(calibration), not_found=nf, path=path,
    )
    table = design.numbers().set_index("field")
    for fld in nf:
        if fld not in table.index:
            raise p.fail("not_found", f"lists {fld!r}, which is not a field of the design.")
        if table.loc[fld, "status"] != "assumption":
            raise p.fail(fld, "is listed in not_found but marked published; a number the "
                         "sources did not report must be an assumption.")
    return design
