"""Regenerate the example reports in reports/: one HTML report per built-in design.

Usage (from the repository root)::

    python scripts/make_reports.py            # every registered design, seed 1
    python scripts/make_reports.py braun2005  # only some designs

Each report is exactly what ``ctcstats report --design KEY --seed 1 --out reports/KEY.html``
writes; tests/report/test_reports_dir.py regenerates them and compares.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ctcstats.designs import list_designs
from ctcstats.report import build_design_report

SEED = 1
OUT = Path(__file__).resolve().parent.parent / "reports"


def main(keys: list[str]) -> int:
    keys = keys or list(list_designs()["key"])
    OUT.mkdir(exist_ok=True)
    for key in keys:
        t0 = time.perf_counter()
        build_design_report(key, rng=SEED, out=OUT / f"{key}.html")
        print(f"reports/{key}.html  {time.perf_counter() - t0:5.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
