"""The work behind ``ctcstats report`` (the CLI handler only parses arguments)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

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


def _endpoint_name(time_col: str) -> str:
    name = re.sub(r"_(months|month|days|day|weeks|years|time)$", "", time_col, flags=re.I)
    return name or time_col


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


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
    progress: bool = True,
    command: str | None = None,
) -> Path:
    """Build a report from a data file (+ options / spec file) or a built-in design.

    Returns the path written. Raises DataValidationError (one-line message) on bad input;
    nothing is written then.
    """
    from ..io import read_table

    out_path = Path(out)
    if (data is None) == (design is None):
        raise DataValidationError(
            "give either a data file (ctcstats report DATA.csv --time-col … --event-col … "
            "--marker-col …) or --design KEY, not both and not neither."
        )
    if not str(out_path.name).lower().endswith((".html", ".htm")):
        raise DataValidationError(f"--out {out!r} must name an .html file.")
    if not (out_path.parent if str(out_path.parent) else Path(".")).is_dir():
        raise DataValidationError(
            f"--out {out!r}: the directory {str(out_path.parent)!r} does not exist."
        )
    try:
        if design is not None:
            other = {"--spec": spec, "--time-col": time_col, "--event-col": event_col,
                     "--marker-col": marker_col, "--threshold": threshold,
                     "--covariates": covariates, "--strata-col": strata_col,
                     "--relapse-site-col": relapse_site_col}
            given = [k for k, v in other.items() if v is not None]
            if given:
                raise DataValidationError(
                    f"{', '.join(given)} cannot be combined with --design (a design report "
                    "uses the design's own analysis); simulate the cohort with 'ctcstats "
                    "simulate' and report the CSV instead."
                )
            build_design_report(design, rng=1 if seed is None else seed, out=out_path,
                                progress=progress, command=command)
            return out_path
        path = Path(data)
        frame = read_table(path)
        overrides = {
            "marker_col": marker_col, "thresholds": _thresholds(threshold),
            "covariates": _split(covariates), "strata_col": strata_col, "title": title,
            "seed": seed, "relapse_site_col": relapse_site_col,
        }
        if time_col is not None or event_col is not None:
            if time_col is None or event_col is None:
                raise DataValidationError("--time-col and --event-col go together; give both.")
            name = _endpoint_name(time_col)
            overrides["endpoints"] = (EndpointSpec(name=name, label=name.upper(),
                                                   time_col=time_col, event_col=event_col),)
        if spec is not None:
            the_spec = load_spec(spec, **overrides)
        else:
            missing = [f"--{k.replace('_', '-')}" for k, v in
                       (("time_col", time_col), ("event_col", event_col),
                        ("marker_col", marker_col)) if v is None]
            if missing:
                raise DataValidationError(
                    f"{', '.join(missing)} required with a data file (or give --spec FILE.toml)."
                )
            the_spec = spec_from_dict({k: v for k, v in overrides.items() if v is not None})
        assert isinstance(the_spec, AnalysisSpec)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        build_report(frame, the_spec, out=out_path, source=f"file {path.name}",
                     data_sha256=digest, command=command, progress=progress)
        return out_path
    except DataValidationError as exc:
        raise DataValidationError(one_line(str(exc))) from None
    except OSError as exc:
        raise DataValidationError(one_line(f"cannot write {out!r}: {exc.strerror or exc}"))\
            from None
