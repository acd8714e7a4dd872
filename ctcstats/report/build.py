"""``build_report``: one self-contained HTML file structured by the REMARK guideline."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import seed_from_rng
from ..errors import DataValidationError, ParameterError
from ._prefetch import Prefetch
from ._runtime import report_runtime
from .context import ReportContext, prepare_context
from .spec import AnalysisSpec, spec_from_design

if TYPE_CHECKING:
    from ..designs.registry import StudyDesign

__all__ = ["build_report", "build_design_report", "write_atomic", "render_html"]


@dataclass
class _Section:
    number: str
    title: str
    anchor: str
    remark: tuple[int, ...]
    build: Callable[[], list[dict]] | None = None
    blocks: list[dict] = field(default_factory=list)
    children: list[_Section] = field(default_factory=list)


def _plan(ctx: ReportContext, draws: pd.DataFrame | None = None) -> list[_Section]:
    from .sections import (
        cohort,
        competing,
        further,
        methods,
        missing,
        relapse,
        serial,
        spline,
        survival,
    )

    s = ctx.spec
    plan = [
        _Section("1", "Marker and aims", "aims", (1,), lambda: cohort.section_aims(ctx)),
        _Section("2", "Patients, flow and endpoints", "patients", (2, 6, 7, 8, 12),
                 lambda: cohort.section_flow(ctx), children=[
                     _Section("2.1", "Statistical methods", "methods", (10,),
                              lambda: methods.section_methods(ctx)),
                     _Section("2.2", "Sample size", "sample-size", (9,),
                              lambda: methods.section_sample_size(ctx))]),
        _Section("3", f"Distribution of {s.marker_label}", "marker", (11, 13),
                 lambda: cohort.section_marker(ctx)),
        _Section("4", f"{s.marker_label} and clinical factors (Table 1)", "table1", (13, 14),
                 lambda: cohort.section_table1(ctx)),
    ]
    uni = _Section("5", "Univariable analyses", "univariable", (15,))
    multi = _Section("6", "Multivariable Cox models", "multivariable", (10, 16, 17, 18))
    for i, ep in enumerate(s.endpoints, start=1):
        uni.children.append(_Section(
            f"5.{i}", ep.title, f"univariable-{i}", (15,),
            functools.partial(survival.section_univariable, ctx, ep)))
        multi.children.append(_Section(
            f"6.{i}", ep.title, f"multivariable-{i}", (16, 17, 18),
            functools.partial(survival.section_multivariable, ctx, ep)))
    if missing.needs_missing_section(ctx):
        multi.children.append(_Section(
            f"6.{len(s.endpoints) + 1}", "Missing covariates: complete cases and multiple "
            "imputation", "missing-covariates", (10, 16),
            lambda: missing.section_missing(ctx)))
    plan += [uni, multi]
    further_sec = _Section("7", "Further analyses", "further", (11, 18))
    k = 0
    if s.analyses.cutpoint and ctx.marker_kind == "count":
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", "Cut-point search", "cutpoint", (11, 18),
            lambda: further.section_cutpoint(ctx)))
    if s.analyses.categories and ctx.marker_kind == "count":
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", "Count categories and trend", "categories", (11, 15),
            lambda: further.section_categories(ctx)))
    if ctx.marker_kind == "count":
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", f"{s.marker_label} as a continuous count", "continuous-count", (11,),
            lambda: spline.section_spline(ctx)))
    if s.landmarks:
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", "Landmark analyses", "landmarks", (18,),
            lambda: further.section_landmarks(ctx)))
    if competing.competing_endpoints(ctx):
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", "Competing risks", "competing-risks", (15, 17),
            lambda: competing.section_competing(ctx)))
    if s.relapse_site_col:
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", "Relapse sites", "relapse-sites", (15, 17),
            lambda: relapse.section_relapse_sites(ctx)))
    if draws is not None:
        k += 1
        further_sec.children.append(_Section(
            f"7.{k}", "Serial draws", "serial-draws", (11, 18),
            lambda: serial.section_serial(ctx, draws)))
    if not further_sec.children:
        further_sec.build = lambda: [_p("No further analyses were requested in the spec.")]
    plan.append(further_sec)
    plan.append(_Section(
        "8", "Prognostic value of the marker", "prognostic", (18,),
        (lambda: further.section_prognostic(ctx)) if s.analyses.prognostic
        else (lambda: [_p("Not requested in the spec (analyses.prognostic = false).")])))
    return plan


def _p(text: str) -> dict:
    from .format import para

    return para(text)


def _walk(plan):
    for sec in plan:
        yield sec
        yield from _walk(sec.children)


def render_html(context: dict) -> str:
    """Render the report template (jinja2, autoescape on) with CSS inlined."""
    import jinja2

    root = resources.files("ctcstats.report") / "templates"
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (root / name).read_text(encoding="utf-8")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["safe_svg"] = lambda s: jinja2.utils.markupsafe.Markup(s)
    css = (root / "report.css").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(css=css, **context)


def _file_mode(path: Path) -> int:
    """The mode a newly written file gets: an existing file keeps its mode; a new one gets
    0o666 minus the user's umask, as ``open(path, "w")`` would give it."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write *text* (UTF-8, ``\\n`` line ends; or bytes as they are) to *path* via a
    temporary file and a rename, so that a failure never leaves a partial file. The file gets
    the mode an ordinary write would give it (the user's umask; an existing file's mode)."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise DataValidationError(f"output {str(path)!r} is a directory; give a file name.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise DataValidationError(
            f"output directory {str(parent)!r} does not exist; create it first."
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        os.chmod(tmp, _file_mode(path))  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


class _NoBar:
    """The progress bar's methods the report calls, doing nothing (``progress=False``)."""

    def set_postfix_str(self, s: str) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _heartbeat(bar, every: float = 1.0):
    """Redraw *bar* every second from a daemon thread, so that the elapsed time keeps moving
    during a long section (the bootstrap of the prognostic section takes minutes on large
    files) and the user sees the report is working. Returns the Event that stops it."""
    import threading

    stop = threading.Event()

    def beat():
        while not stop.wait(every):
            bar.refresh()

    threading.Thread(target=beat, name="ctcstats-report-progress", daemon=True).start()
    return stop


def build_report(
    data: pd.DataFrame,
    spec: AnalysisSpec,
    *,
    out: str | Path | None = None,
    source: str | None = None,
    data_sha256: str | None = None,
    command: str | None = None,
    progress: bool = False,
    format: str = "html",
    draws: pd.DataFrame | None = None,
) -> str | bytes:
    """Analyse a cohort as the spec says and write one self-contained HTML report (or a Word
    document with the same content).

    The report follows the REMARK guideline (McShane et al. 2005): 1 marker and aims;
    2 patients, flow and endpoints (rows read, exclusions with reasons, events per endpoint,
    median follow-up); 3 the marker's distribution (count histogram, detection rates at the
    thresholds); 4 Table 1 (:func:`ctcstats.marker_table`); 5 univariable analyses per
    endpoint (Kaplan–Meier curves with number at risk, medians, survival at the horizons,
    log-rank, univariable Cox); 6 multivariable Cox (table, forest plot, PH check,
    period-specific effects when the PH check fails); 7 further analyses when asked
    (cut-point search with corrected p, count categories with trend test, landmarks);
    8 prognostic value (C, time-dependent AUC, Brier score of the clinical model with and
    without the marker); 9 the REMARK checklist mapped to the sections; 10 provenance
    (versions, SHA-256 of the data, the spec as TOML, the seed).

    Figures are inline SVG, CSS is inline, nothing is fetched. Every user string is escaped;
    no patient-level rows or identifiers are written. The same data, spec and seed give a
    byte-identical file.

    Parameters
    ----------
    data : DataFrame
        One row per patient with the columns the spec names.
    spec : AnalysisSpec
        What to analyse (see :class:`ctcstats.report.AnalysisSpec`, :func:`load_spec`).
    out : str or Path, optional
        Where to write the HTML (atomically: a temporary file renamed at the end).
    source : str, optional
        How the data are described in the provenance (default ``"DataFrame"``); pass a
        file *name* rather than an absolute path to keep reports comparable across machines.
    data_sha256 : str, optional
        Digest to record (e.g. of the file's bytes); default: SHA-256 of the frame written as
        CSV without index.
    command : str, optional
        The command line to record in the provenance.
    progress : bool, default False
        Show a progress bar (one step per section) on stderr.
    format : {"html", "docx"}, default "html"
        ``"docx"``: a Word document (python-docx) with the same sections, tables as real Word
        tables and figures as PNG images.
    draws : DataFrame, optional
        Serial draws (one row per draw: ``patient_id``, the draw time ``draw_time`` /
        ``draw_<time unit>`` / ``draw_months`` and the spec's marker column): adds the
        section "Serial draws" (draw schedule, time-dependent Cox models, landmark
        supermodels with the baseline vs the updated marker).

    Returns
    -------
    str or bytes
        The HTML text, or the .docx file's bytes (also written to *out* when given).

    Raises
    ------
    DataValidationError
        A spec column is missing from the data, or the data fail validation (the message,
        one line, names the column). Nothing is written then.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.report import build_report, spec_from_design
    >>> df = cs.simulate_cohort("lucci2012", rng=1)
    >>> html = build_report(df, spec_from_design("lucci2012", rng=1))
    >>> html.startswith("<!DOCTYPE html>")
    True
    """
    if not isinstance(spec, AnalysisSpec):
        raise ParameterError(
            f"The 'spec' parameter of build_report must be an AnalysisSpec (see load_spec); "
            f"got {type(spec).__name__}."
        )
    if format not in ("html", "docx"):
        raise ParameterError(f"The 'format' parameter of build_report must be 'html' or "
                             f"'docx'; got {format!r}.")
    ctx = prepare_context(data, spec)
    ctx.png = format == "docx"
    if draws is not None:
        from .sections.serial import data_unit, draw_columns

        draw_columns(data, draws, spec.marker_col, data_unit(ctx))
    ctx.prefetch = Prefetch()
    try:
        from .sections.competing import start_competing
        from .sections.further import start_prognostic
        from .sections.survival import start_survival

        with report_runtime():  # one BLAS thread, no huge pages (_runtime.py says why)
            start_survival(ctx)  # sections 5-6's Cox fits, in forked children when it pays
            start_prognostic(ctx)  # section 8's bootstraps
            start_competing(ctx)  # and the competing-risks models
            return _build(ctx, data, spec, out=out, source=source, data_sha256=data_sha256,
                          command=command, progress=progress, format=format, draws=draws)
    finally:
        ctx.prefetch.close()


def _build(ctx: ReportContext, data: pd.DataFrame, spec: AnalysisSpec, *, out, source,
           data_sha256, command, progress, format, draws) -> str | bytes:
    import matplotlib

    # tqdm.std, not tqdm.auto: the notebook widget needs ipywidgets and warns without it
    from tqdm.std import tqdm

    from .sections.methods import section_profile
    from .sections.remark import data_sha256 as _sha
    from .sections.remark import section_checklist, section_provenance
    from .svg import SVG_RC

    with matplotlib.rc_context(SVG_RC):
        plan = _plan(ctx, draws)
        todo = [s for s in _walk(plan) if s.build is not None]
        # no tqdm object without a bar: tqdm starts its monitor thread even when disabled,
        # and a process running other threads does not fork (_prefetch.py)
        bar = tqdm(total=len(todo) + 1, desc="ctcstats report", unit="section",
                   file=sys.stderr, leave=False) if progress else _NoBar()
        stop = _heartbeat(bar) if progress else None
        try:
            for sec in todo:
                bar.set_postfix_str(f"{sec.number} {sec.title}"[:40])
                sec.blocks = sec.build()
                bar.update(1)
            mapping: dict[int, list[tuple[str, str]]] = {}
            for sec in _walk(plan):
                covered = {i for c in sec.children for i in c.remark}
                for item in sec.remark:
                    if item not in covered:  # parents list only what no child lists
                        mapping.setdefault(item, []).append((sec.number, sec.title))
            checklist = _Section("9", "REMARK checklist", "remark", ())
            checklist.blocks = section_profile(ctx) + section_checklist(mapping)
            prov = _Section("10", "Provenance", "provenance", ())
            prov.blocks = section_provenance(
                source=source or "DataFrame", sha=data_sha256 or _sha(data),
                n_rows=int(data.shape[0]), n_cols=int(data.shape[1]),
                spec_toml=spec.to_toml(), seed=spec.seed, command=command)
            plan += [checklist, prov]
            from .. import __version__

            if format == "docx":
                from .docx import render_docx

                html: str | bytes = render_docx(
                    title=spec.title, sections=plan,
                    subtitle=(f"Prognostic-marker report structured by the REMARK guideline · "
                              f"{len(ctx.frame)} of {ctx.n_read} patients analysed · "
                              f"endpoints: {', '.join(e.title for e in spec.endpoints)} · "
                              f"ctcstats {__version__}"))
            else:
                html = render_html({
                    "title": spec.title, "spec": spec, "sections": plan,
                    "version": __version__, "n": len(ctx.frame), "n_read": ctx.n_read,
                    "endpoints": spec.endpoints,
                })
            bar.update(1)
        finally:
            if stop is not None:
                stop.set()
            bar.close()
    if out is not None:
        write_atomic(out, html)
    return html


def build_design_report(design: str | StudyDesign, *, rng: int | np.random.Generator | None = 1,
                        out: str | Path | None = None, progress: bool = False,
                        command: str | None = None, format: str = "html") -> str | bytes:
    """The report of a registered design's synthetic cohort (``simulate_cohort(design,
    rng=seed)``, with ``simulate_draws(design, rng=seed)`` for designs with serial draws) with
    :func:`~ctcstats.report.spec.spec_from_design`'s spec.

    ``rng`` is the seed of the cohort and of every resampling in the report (default 1); a
    Generator or None gives a seed drawn from it, and the report records the seed used."""
    from ..designs import get_design, simulate_cohort, simulate_draws

    seed = seed_from_rng(rng, func="build_design_report")
    d = get_design(design)
    spec = spec_from_design(d, rng=seed)
    data = simulate_cohort(d, rng=seed)
    # designs with serial draws come with their long table (section "Serial draws")
    draws = simulate_draws(d, rng=seed) if d.serial is not None else None
    return build_report(
        data, spec, out=out, progress=progress, draws=draws,
        source=f"synthetic cohort: ctcstats.simulate_cohort({d.key!r}, rng={seed})",
        command=command or f"ctcstats report --design {d.key} --seed {seed}", format=format,
    )
