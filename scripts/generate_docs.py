"""Regenerate the documentation generated from the field tables.

* ``ctcstats/designs/data/README.md`` — the design-file schema (from
  :mod:`ctcstats.designs.sections`);
* ``README.md`` — the analysis-spec fields (from :mod:`ctcstats.report.spec`) and the options
  of ``ctcstats report`` (from the parser in :mod:`ctcstats.cli`).

Usage::

    python scripts/generate_docs.py          # rewrite the files
    python scripts/generate_docs.py --check  # exit 1 if a file is out of date

The tests (``tests/designs/test_schema.py``, ``tests/report/test_spec.py``) check that the
committed files equal what this script writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def targets() -> list[tuple[Path, object]]:
    from ctcstats.cli import render_readme as render_flags
    from ctcstats.designs._schema import render_readme
    from ctcstats.report.spec import render_readme as render_spec

    return [
        (ROOT / "ctcstats" / "designs" / "data" / "README.md", render_readme),
        (ROOT / "README.md", lambda text: render_flags(render_spec(text))),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check; do not write")
    args = ap.parse_args(argv)
    stale = []
    for path, render in targets():
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for p in stale:
        print(("out of date: " if args.check else "updated: ") + str(p.relative_to(ROOT)))
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
