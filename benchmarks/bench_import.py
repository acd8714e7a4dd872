"""CPU seconds of ``import ctcstats`` in a fresh interpreter (issue 15 target: <= 1 s).

CPU time (``time.process_time``), not wall time: the machine this runs on is often shared, and
CPU seconds do not grow with other processes' load. Run: ``python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

CODE = (
    "import time; t = time.process_time(); import ctcstats; "
    "print(time.process_time() - t)"
)
FIRST_USE = (
    "import time; import ctcstats as cs; t = time.process_time(); cs.{name}; "
    "print(time.process_time() - t)"
)


def cpu_seconds(code: str, repeats: int = 5) -> float:
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(repeats)
    ]
    return statistics.median(runs)


if __name__ == "__main__":
    print(f"import ctcstats: {cpu_seconds(CODE):.3f} CPU s (median of 5)")
    for name in ("kaplan_meier", "fit_cox", "validate_model", "build_report"):
        print(f"  first use of cs.{name}: {cpu_seconds(FIRST_USE.format(name=name)):.3f} CPU s")
