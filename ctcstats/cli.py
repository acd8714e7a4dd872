"""The ``ctcstats`` command line.

Sub-commands are registered in :func:`build_parser`; each module that adds one keeps its
handler here small and delegates the work to the library. Errors from bad input end the
program with exit status 2 and a one-line message (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .errors import CTCStatsError


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``ctcstats: error: …``, exit status 2) and the same
    class for every sub-command."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.exit(2, f"ctcstats: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ctcstats",
        description="Statistics for CTC/DTC prognostic-marker studies.",
    )
    parser.add_argument("--version", action="version", version=f"ctcstats {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback on errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_designs_commands(sub)
    _add_report_command(sub)
    from .designs.power_cli import add_power_command

    add_power_command(sub)
    return parser


# --------------------------------------------------------------------------- designs
def _add_designs_commands(sub) -> None:
    p = sub.add_parser("designs", help="list the registry of published designs")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="output format (default: an aligned table)")
    p.set_defaults(handler=_cmd_designs)
    p = sub.add_parser(
        "simulate",
        help="simulate a synthetic cohort mirroring a published design",
        description="Write the cohort CSV, the draws CSV (serial designs) and a manifest JSON.",
    )
    p.add_argument("--design", required=True, help="registry key (see 'ctcstats designs') "
                   "or a path to a design TOML file")
    p.add_argument("--seed", required=True, type=int, help="random seed")
    p.add_argument("--n", type=int, default=None, help="number of patients (default: "
                   "the published size)")
    p.add_argument("--out", required=True, help="output CSV path")
    p.set_defaults(handler=_cmd_simulate)


def _cmd_designs(args) -> int:
    from .designs import list_designs

    table = list_designs()
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False, lineterminator="\n"))
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", force_ascii=False, indent=2) + "\n")
    else:
        cols = ["key", "year", "stage", "n", "n_studies", "marker", "threshold", "prevalence",
                "endpoints", "serial"]
        print(table[cols].to_string(index=False))
    return 0


def _cmd_simulate(args) -> int:
    from pathlib import Path

    from .designs import get_design, load_design_file
    from .designs.export import write_synthetic_cohort

    design = args.design
    if design.endswith(".toml") or Path(design).is_file():
        design = load_design_file(design)
    else:
        design = get_design(design)
    command = "ctcstats " + " ".join(args.argv) if getattr(args, "argv", None) else None
    manifest = write_synthetic_cohort(design, rng=args.seed, n=args.n, out=args.out,
                                      command=command)
    for name, digest in manifest["files"].items():
        print(f"wrote {name}  sha256 {digest}")
    return 0


# --------------------------------------------------------------------------- report
def _add_report_command(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report (REMARK structure)",
        description="Analyse a cohort file (CSV, Excel, Parquet, SAS, Stata, SPSS) or a "
                    "built-in design's synthetic cohort and write one self-contained HTML "
                    "report. Examples: 'ctcstats report --design braun2005 --seed 1 --out "
                    "braun2005.html'; 'ctcstats report cohort.csv --time-col os_months "
                    "--event-col os_event --marker-col ctc_count --threshold 5 --out r.html'.",
    )
    p.add_argument("data", nargs="?", default=None, help="cohort file (one row per patient)")
    p.add_argument("--design", help="registry key of a built-in design (see 'ctcstats designs')")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    p.add_argument("--out", required=True, help="output file: .html, or .docx with "
                   "--format docx")
    p.add_argument("--format", choices=("html", "docx"), default=None,
                   help="html (self-contained page) or docx (Word: real tables, PNG figures); "
                   "default: from the --out suffix")
    p.add_argument("--spec", help="analysis spec (TOML): endpoints, thresholds, analyses …")
    p.add_argument("--time-col", help="follow-up time column")
    p.add_argument("--event-col", help="event indicator column (1 = event, 0 = censored)")
    p.add_argument("--marker-col", help="marker column: a cell count or a 0/1 status")
    p.add_argument("--threshold", help="positivity threshold(s) of a count, e.g. 5 or 5,1")
    p.add_argument("--covariates", help="clinical covariates, comma-separated")
    p.add_argument("--strata-col", help="stratification column (e.g. study or centre)")
    p.add_argument("--title", help="report title")
    p.add_argument("--relapse-site-col",
                   help="site of the first relapse (adds the 'Relapse sites' section)")
    p.add_argument("--draws", help="long table of serial draws (patient_id, draw time, the "
                   "marker column): adds the 'Serial draws' section")
    p.add_argument("--primary-analysis", choices=("complete_case", "multiple_imputation"),
                   help="when covariates are missing: the primary multivariable analysis "
                   "(default complete_case; both are shown)")
    p.add_argument("--time-unit", choices=("days", "weeks", "months", "years"),
                   help="unit of the time columns (default: from the column names, e.g. "
                   "os_days; else months, assumed and stated in the report)")
    p.add_argument("--display-unit", choices=("days", "weeks", "months", "years"),
                   help="unit shown in the report (default: --time-unit)")
    p.add_argument("--horizons", help="times of survival estimates and prognostic metrics, "
                   "comma-separated, in the display unit (e.g. 365,730,1095 for days)")
    p.add_argument("--categorical", help="covariates modelled with indicator terms and shown "
                   "by level in Table 1, comma-separated (each must be in --covariates)")
    p.add_argument("--cutpoint", action="store_true", default=None,
                   help="run the maximally selected log-rank cut-point search")
    p.add_argument("--marker-label", help="the marker's name in text and figures (e.g. CTC)")
    p.add_argument("--endpoint-label", help="the endpoint's name in text and figures (e.g. "
                   "'relapse-free survival'; default: from --time-col, e.g. rfs_days → RFS)")
    p.add_argument("--sheet", help="Excel sheet holding the data (default: the first sheet)")
    p.add_argument("--sep", help="field separator of a text file: ',', ';', tab or '|' "
                   "(default: detected)")
    p.add_argument("--decimal", choices=(".", ","), metavar="MARK", help="decimal mark of a "
                   "text file: '.' or ',' (default: detected)")
    p.add_argument("--encoding", help="encoding of a text file (default UTF-8; e.g. cp1252 "
                   "for Excel's 'CSV (Windows)')")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the full traceback on errors")
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args) -> int:
    import shlex
    from pathlib import Path

    from .report.command import report_command

    # record the command without the output path and with file names only (no directories),
    # so that the report does not depend on where it is written or run
    argv, skip = [], False
    for i, a in enumerate(getattr(args, "argv", []) or []):
        if skip:
            skip = False
            continue
        if a in ("--out", "--quiet", "--debug") or a.startswith("--out="):
            skip = a == "--out"
            continue
        prev = (args.argv[i - 1] if i else "")
        argv.append(Path(a).name if a in (args.data, args.spec, args.draws)
                    and prev != "--title" else a)
    path = report_command(
        data=args.data, design=args.design, out=args.out, seed=args.seed, spec=args.spec,
        time_col=args.time_col, event_col=args.event_col, marker_col=args.marker_col,
        threshold=args.threshold, covariates=args.covariates, strata_col=args.strata_col,
        title=args.title, relapse_site_col=args.relapse_site_col, sheet=args.sheet,
        draws=args.draws,
        time_unit=args.time_unit, display_unit=args.display_unit, horizons=args.horizons,
        categorical=args.categorical, cutpoint=args.cutpoint, marker_label=args.marker_label,
        endpoint_label=args.endpoint_label,
        primary_analysis=args.primary_analysis,
        sep=args.sep, decimal=args.decimal, encoding=args.encoding, format=args.format,
        progress=not args.quiet,
        command="ctcstats " + shlex.join(argv) if argv else None,
    )
    print(f"wrote {path}", file=sys.stderr)
    return 0


def report_flags_markdown() -> str:
    """The options of ``ctcstats report`` as a Markdown table (README block ``report-flags``),
    generated from the parser so that the README cannot drift from the command."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    rep = sub.choices["report"]
    rows = ["<!-- generated from ctcstats/cli.py by scripts/generate_docs.py; do not edit by "
            "hand -->", "", "| option | meaning |", "|---|---|"]
    for act in rep._actions:
        if isinstance(act, argparse._HelpAction) or act.help == argparse.SUPPRESS:
            continue
        if act.option_strings:
            name = act.option_strings[-1]
            if act.choices and not act.metavar:
                name += " {" + ",".join(map(str, act.choices)) + "}"
            elif act.nargs != 0:
                name += " " + (act.metavar or act.dest.upper())
        else:
            name = act.dest.upper()
        text = " ".join(str(act.help or "").split()).replace("|", "\\|")
        rows.append(f"| `{name}` | {text} |")
    return "\n".join(rows) + "\n"


def render_readme(text: str) -> str:
    """*text* (README.md) with its generated ``report-flags`` block brought up to date."""
    from ._fieldtable import replace_generated

    return replace_generated(text, "report-flags", report_flags_markdown())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("ctcstats: interrupted; nothing was written.", file=sys.stderr)
        return 2
    except Exception as exc:  # every failure: one line, exit status 2 (--debug: traceback)
        if args.debug:
            raise
        print(f"ctcstats: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def console() -> NoReturn:
    """The ``ctcstats`` command: :func:`main`, then exit with its status.

    Before the interpreter shuts down, every object is moved to the collector's permanent
    generation (``gc.freeze``), so that the shutdown's final garbage collections, which
    would walk the whole heap of numpy, pandas, scipy and matplotlib, skip them: after a
    report that took 0.5-0.7 s of wall time, now ~0.05 s (paddy, 2026-12-03). The process
    ends here, so nothing is lost; :func:`main` itself, which other code and the tests call
    in-process, leaves the collector alone.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    sys.exit(code)


def _one_line(exc: BaseException) -> str:
    text = " ".join(ln.strip() for ln in str(exc).splitlines() if ln.strip())
    if isinstance(exc, CTCStatsError):
        return text
    if isinstance(exc, OSError) and exc.strerror:
        where = f" {exc.filename!r}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return (f"unexpected {type(exc).__name__}: {text or 'no message'} (this is a bug in "
            "ctcstats: please report it with the output of the same command run with --debug)")


if __name__ == "__main__":  # pragma: no cover
    console()
