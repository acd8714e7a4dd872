"""The work behind ``ctcstats report`` (the CLI handler only parses arguments)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from ..errors import DataValidationError
from .build import build_design_report, build_report
from .spec import AnalysisSpec, EndpointSpec, load_spec, spec_from_dict

__all__ = ["report_command", "one_line"]


def one_line(message: str) -> str:
    """A multi-line error message as one line (problems joined by "; ")."""
    lines = [re.sub(r"^- ", "", ln.strip()) for ln in str(message).splitlines() if ln.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return lines[0] + " " + "; ".join(lines[1:])
    return " ".join(lines)


_TIME_SUFFIX = re.compile(
    r"[_.\s-](?:months?|mos?|mths?|days?|weeks?|wks?|years?|yrs?|time)$", re.I)
# an endpoint abbreviation glued to "time" (gbsg's rfstime); futime (follow-up) is not one
_GLUED = re.compile(r"^(os|pfs|dfs|rfs|efs|mfs|dmfs|ddfs|drfs|idfs|bcss|css|dss|ttp|rfi)time$",
                    re.I)


def _endpoint_name(time_col: str) -> str:
    """The endpoint's short name from its time column: units and 'time' suffixes dropped
    (os_months → os, rfs_time_days → rfs, rfstime → rfs); the column itself when nothing
    else is left (time → time)."""
    name = time_col
    while (short := _TIME_SUFFIX.sub("", name)) != name and short:
        name = short
    return _GLUED.sub(r"\1", name)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def _numbers(value: str | None, option: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        return tuple(float(v) for v in _split(value) or [])
    except ValueError:
        raise DataValidationError(
            f"{option} must be numbers separated by commas (e.g. 12,24,36); got {value!r}."
        ) from None


def _thresholds(value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    out = []
    for v in _split(value) or []:
        try:
            f = float(v)
        except ValueError:
            raise DataValidationError(
                f"--threshold must be whole numbers ≥ 1 separated by commas; got {value!r}."
            ) from None
        if not f.is_integer() or f < 1:
            raise DataValidationError(
                f"--threshold must be whole numbers ≥ 1 separated by commas; got {value!r}."
            )
        out.append(int(f))
    return tuple(out)


def check_output_path(out: str | Path, suffixes: tuple[str, ...] = (".html", ".htm"),
                      *, option: str = "--out") -> Path:
    """Refuse an output path that cannot be written, before any work is done: wrong suffix,
    a directory, a missing or read-only directory, a read-only existing file."""
    out_path = Path(out)
    if out_path.is_dir():
        raise DataValidationError(f"{option} {str(out)!r} is a directory; give a file name "
                                  f"ending in {suffixes[0]}.")
    if not out_path.name.lower().endswith(suffixes):
        raise DataValidationError(f"{option} {str(out)!r} must name an {suffixes[0]} file.")
    parent = out_path.parent if str(out_path.parent) else Path(".")
    if not parent.is_dir():
        raise DataValidationError(
            f"{option} {str(out)!r}: the directory {str(parent)!r} does not exist; create it "
            "first."
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DataValidationError(
            f"{option} {str(out)!r}: the directory {str(parent)!r} is not writable; choose "
            "another place."
        )
    if out_path.exists() and not os.access(out_path, os.W_OK):
        raise DataValidationError(
            f"{option} {str(out)!r} exists and is read-only; remove it or choose another name."
        )
    return out_path


def _spec_columns(spec: AnalysisSpec) -> list[str]:
    cols = [spec.marker_col]
    for ep in spec.endpoints:
        cols += [ep.time_col, ep.event_col]
    cols += list(spec.covariates)
    cols += [c for c in (spec.volume_col, spec.strata_col, spec.relapse_site_col) if c]
    return list(dict.fromkeys(cols))


def _check_text_numbers(frame, spec: AnalysisSpec, name: str) -> None:
    """A column the analysis needs as numbers that holds some text (``"<1"``, ``"n.d."``):
    name the column, the values and the fix, before the analysis fails less clearly."""
    partial = frame.attrs.get("text_in_numbers", {})
    numeric = [spec.marker_col, *(c for ep in spec.endpoints for c in (ep.time_col,
                                                                        ep.event_col))]
    if spec.volume_col:
        numeric.append(spec.volume_col)
    numeric += [c for c in spec.covariates if c not in spec.categorical]
    for col in numeric:
        if col in partial:
            n_bad, examples = partial[col]
            raise DataValidationError(
                f"column {col!r} of {name!r} holds numbers stored as text: {n_bad} value(s) "
                f"are not numbers (e.g. {', '.join(map(repr, examples))}); correct them in the "
                "file (a number, or an empty cell for a missing value)"
                + (" or list the column under --categorical if it is a category."
                   if col in spec.covariates else ".")
            )


def report_command(
    *,
    data: str | None,
    design: str | None,
    out: str,
    seed: int | None = None,
    spec: str | None = None,
    time_col: str | None = None,
    event_col: str | None = None,
    marker_col: str | None = None,
    threshold: str | None = None,
    covariates: str | None = None,
    strata_col: str | None = None,
    title: str | None = None,
    relapse_site_col: str | None = None,
    draws: str | None = None,
    primary_analysis: str | None = None,
    time_unit: str | None = None,
    display_unit: str | None = None,
    horizons: str | None = None,
    categorical: str | None = None,
    cutpoint: bool | None = None,
    marker_label: str | None = None,
    endpoint_label: str | None = None,
    sheet: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    format: str | None = None,
    progress: bool = True,
    command: str | None = None,
) -> Path:
    """Build a report from a data file (+ options / spec file) or a built-in design.

    Returns the path written. Raises DataValidationError (one-line message) on bad input;
    nothing is written then. The output path is checked before anything is read.
    """
    from ..io import read_table

    if (data is None) == (design is None):
        raise DataValidationError(
            "give either a data file (ctcstats report DATA.csv --time-col … --event-col … "
            "--marker-col …) or --design KEY, not both and not neither."
        )
    if format is None:
        format = "docx" if str(out).lower().endswith(".docx") else "html"
    out_path = check_output_path(out, (".docx",) if format == "docx" else (".html", ".htm"))
    try:
        if design is not None:
            other = {"--spec": spec, "--time-col": time_col, "--event-col": event_col,
                     "--marker-col": marker_col, "--threshold": threshold,
                     "--covariates": covariates, "--strata-col": strata_col,
                     "--relapse-site-col": relapse_site_col, "--sheet": sheet, "--sep": sep,
                     "--decimal": decimal, "--encoding": encoding, "--time-unit": time_unit,
                     "--display-unit": display_unit, "--horizons": horizons,
                     "--categorical": categorical, "--cutpoint": cutpoint,
                     "--marker-label": marker_label, "--endpoint-label": endpoint_label,
                     "--draws": draws,
                     "--primary-analysis": primary_analysis}
            given = [k for k, v in other.items() if v is not None]
            if given:
                raise DataValidationError(
                    f"{', '.join(given)} cannot be combined with --design (a design report "
                    "uses the design's own analysis); simulate the cohort with 'ctcstats "
                    "simulate' and report the CSV instead."
                )
            build_design_report(design, rng=1 if seed is None else seed, out=out_path,
                                progress=progress, command=command, format=format)
            return out_path
        assert data is not None  # either data or design (checked above)
        path = Path(data)
        overrides: dict[str, Any] = {
            "marker_col": marker_col, "thresholds": _thresholds(threshold),
            "covariates": _split(covariates), "strata_col": strata_col, "title": title,
            "seed": seed, "relapse_site_col": relapse_site_col, "time_unit": time_unit,
            "display_unit": display_unit, "horizons": _numbers(horizons, "--horizons"),
            "categorical": _split(categorical), "marker_label": marker_label,
            "primary_analysis": primary_analysis,
        }
        if time_col is not None or event_col is not None:
            if time_col is None or event_col is None:
                raise DataValidationError("--time-col and --event-col go together; give both.")
            name = _endpoint_name(time_col)
            overrides["endpoints"] = (EndpointSpec(
                name=name, label=endpoint_label or name.upper(), time_col=time_col,
                event_col=event_col),)
        elif endpoint_label is not None and spec is not None:
            raise DataValidationError(
                "--endpoint-label names the endpoint of --time-col/--event-col; with a spec "
                "file give the endpoint's label there (label = \"...\" in [[endpoints]]).")
        if spec is not None:
            the_spec = load_spec(spec, **overrides)
            if cutpoint:
                the_spec = dataclasses.replace(the_spec, analyses=dataclasses.replace(
                    the_spec.analyses, cutpoint=True))
        else:
            missing = [f"--{k.replace('_', '-')}" for k, v in
                       (("time_col", time_col), ("event_col", event_col),
                        ("marker_col", marker_col)) if v is None]
            if missing:
                raise DataValidationError(
                    f"{', '.join(missing)} required with a data file (or give --spec FILE.toml)."
                )
            fields: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
            if cutpoint:
                fields["analyses"] = {"cutpoint": True}
            the_spec = spec_from_dict(fields)
        assert isinstance(the_spec, AnalysisSpec)
        frame = read_table(path, sheet=sheet, sep=_sep(sep), decimal=decimal,
                           encoding=encoding, columns=_spec_columns(the_spec))
        _check_text_numbers(frame, the_spec, path.name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        where = f" (sheet {frame.attrs['sheet']!r})" if sheet is not None else ""
        draws_frame = None if draws is None else read_table(Path(draws), sep=_sep(sep),
                                                             decimal=decimal)
        build_report(frame, the_spec, out=out_path, source=f"file {path.name}{where}",
                     data_sha256=digest, command=command, progress=progress, format=format,
                     draws=draws_frame)
        return out_path
    except DataValidationError as exc:
        raise DataValidationError(one_line(str(exc))) from None
    except OSError as exc:
        raise DataValidationError(one_line(f"cannot write {out!r}: {exc.strerror or exc}"))\
            from None


def _sep(value: str | None) -> str | None:
    names = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    return None if value is None else names.get(value.lower(), value)
