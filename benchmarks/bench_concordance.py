"""Benchmark (issue 15): the concordance engine's C-only path and ``validate_model`` B = 200.

Run from the repository root: ``python benchmarks/bench_concordance.py``. Prints CPU seconds
(``time.process_time``; R ``proc.time()`` user + system), not wall time, so that other load on
the machine does not inflate the figures. Cohort: the one of ``bench_validation.py`` at
n = 3,173 (Cox model age + node + CTC, Efron ties). When ``Rscript`` is on the PATH it also
times ``rms::validate(cph, B = 200)`` and ``survival::concordance`` on the same data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_validation import _cohort  # noqa: E402

from ctcstats.prognostic.models import CoxModel  # noqa: E402
from ctcstats.prognostic.validation import validate_model  # noqa: E402
from ctcstats.survival._core.concordance import concordance  # noqa: E402


def cpu_ms(f, reps: int) -> float:
    t0 = time.process_time()
    for _ in range(reps):
        f()
    return 1e3 * (time.process_time() - t0) / reps


def main() -> int:
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds (time.process_time), not wall")
    g = np.random.default_rng(1)
    print("concordance of a continuous score, ms per call (full = with SE; C only = SE skipped)")
    for n in (1_000, 10_000, 100_000):
        x = g.normal(size=n)
        t = np.round(g.exponential(50, n), 1)
        e = g.random(n) < 0.4
        reps = max(3, 30_000 // n)
        full = cpu_ms(lambda: concordance(x, t, e), reps)  # noqa: B023
        conly = cpu_ms(lambda: concordance(x, t, e, std_error=False), reps)  # noqa: B023
        print(f"  n = {n:>7,}: full {full:8.2f}   C only {conly:8.2f}")
    df = _cohort(np.random.default_rng(1), 3173)
    kw = dict(time_col="os_months", event_col="os_event",
              covariates=["age", "node_positive", "ctc_positive"], horizon=24.0, rng=1)
    validate_model(CoxModel(), df, n_boot=5, **kw)  # warm-up
    t0 = time.process_time()
    validate_model(CoxModel(), df, n_boot=200, **kw)
    py = time.process_time() - t0
    print(f"validate_model(CoxModel(), B = 200, n = 3,173): {py:.2f} CPU s "
          "(also Brier and AUC at the horizon, which rms does not compute)")
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "cohort.csv"
            df.to_csv(csv, index=False)
            out = subprocess.run(["Rscript", str(HERE / "bench_validate_rms.R"), str(csv)],
                                 capture_output=True, text=True, check=True).stdout
        print("  " + out.strip().replace("\n", "\n  "))
        r = float(out.split("rms_validate_cpu_s")[1].split()[0])
        print(f"  validate_model / rms::validate = {py / r:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
