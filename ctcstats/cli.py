"""The ``ctcstats`` command line.

Sub-commands are registered in :func:`build_parser`; each module that adds one keeps its
handler here small and delegates the work to the library. Errors from bad input end the
program with exit status 2 and a one-line message (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .errors import CTCStatsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctcstats",
        description="Statistics for CTC/DTC prognostic-marker studies.",
    )
    parser.add_argument("--version", action="version", version=f"ctcstats {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback on errors"
    )
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except CTCStatsError as exc:
        if args.debug:
            raise
        print(f"ctcstats: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
