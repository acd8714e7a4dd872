"""Regenerate synthetic_data/: one cohort per registered design at its published size.

Run from the repository root: ``python scripts/make_synthetic_data.py``. Each file is written by
the command recorded in its manifest (``ctcstats simulate --design KEY --seed SEED --out
synthetic_data/KEY.csv``), so ``tests/designs/test_synthetic_data.py`` can regenerate it and
compare bytes.
"""

from __future__ import annotations

import sys

from ctcstats.cli import main as cli_main
from ctcstats.designs import list_designs

SEED = 20240611


def main() -> int:
    for key in list_designs()["key"]:
        rc = cli_main(["simulate", "--design", key, "--seed", str(SEED), "--out",
                       f"synthetic_data/{key}.csv"])
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main())
