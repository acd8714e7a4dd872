"""Benchmark (issue 15): the concordance engine's C-only path and ``validate_model`` B = 200.

Run from the repository root: ``python benchmarks/bench_concordance.py``. Prints CPU seconds
(``time.process_time``; R ``proc.time()`` user + system), not wall time, so that other load on
the machine does not inflate the figures. Cohort: the one of ``bench_validation.py`` at
n = 3,173 (Cox model age + node + CTC, Efron ties). When ``Rscript`` is on the PATH it also
times ``rms::validate(cph, B = 200)`` and ``survival::concordance`` on the same data.

``--fit-cox`` adds ``fit_cox`` at 10^6 rows (binary + continuous covariate, Efron, times to
one decimal; the fit reports the concordance with its SE) against R ``coxph`` on the same
data. ``--skip-validate`` leaves out the validate_model part. The "numpy" column is the
reference pair counting (``_pair_counts_numpy``, the engine before the compiled
Fenwick-tree sweep).
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

import ctcstats.survival._core.concordance as C  # noqa: E402
from ctcstats.prognostic.models import CoxModel  # noqa: E402
from ctcstats.prognostic.validation import validate_model  # noqa: E402
from ctcstats.survival._core.concordance import concordance  # noqa: E402


def cpu_ms(f, reps: int) -> float:
    t0 = time.process_time()
    for _ in range(reps):
        f()
    return 1e3 * (time.process_time() - t0) / reps


R_FIT = r"""
suppressMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
t0 <- proc.time()
f <- coxph(Surv(time, event) ~ x + z, data = d, ties = "efron")
p <- proc.time() - t0
cat(sprintf("coxph_cpu_s %.3f\ncoef %.10f %.10f\nconcordance %.10f\n",
            p[["user.self"]] + p[["sys.self"]], coef(f)[1], coef(f)[2], f$concordance[["concordance"]]))
cat(sprintf("R %s survival %s\n", getRversion(), packageVersion("survival")))
"""


def fit_cox_vs_r(n: int = 1_000_000) -> None:
    import pandas as pd

    import ctcstats as cs

    g = np.random.default_rng(5)
    x = g.integers(0, 2, n).astype(float)
    z = g.normal(size=n)
    t = np.round(g.exponential(50, n) / np.exp(0.5 * x + 0.3 * z), 1) + 0.1
    c = np.round(g.uniform(0, 120, n), 1) + 0.1
    df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x": x, "z": z})
    cs.fit_cox(df.iloc[:1000], time_col="time", event_col="event", covariates=["x", "z"])
    t0 = time.process_time()
    fit = cs.fit_cox(df, time_col="time", event_col="event", covariates=["x", "z"])
    py = time.process_time() - t0
    print(f"fit_cox, n = {n:,} (Efron, 2 covariates, with concordance + SE): {py:.2f} CPU s; "
          f"C = {fit.concordance:.10f}")
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv, rs = Path(tmp) / "d.csv", Path(tmp) / "fit.R"
            df.to_csv(csv, index=False)
            rs.write_text(R_FIT)
            out = subprocess.run(["Rscript", str(rs), str(csv)], capture_output=True,
                                 text=True, check=True).stdout
        print("  " + out.strip().replace("\n", "\n  "))
        r = float(out.split("coxph_cpu_s")[1].split()[0])
        print(f"  fit_cox / coxph = {py / r:.2f}")


def main() -> int:
    print(f"load average {os.getloadavg()[0]:.1f}; CPU seconds (time.process_time), not wall")
    g = np.random.default_rng(1)
    concordance(np.arange(5.0), np.arange(5.0), np.ones(5))  # compile / load the kernels
    print("concordance of a continuous score, ms per call (full = with SE; C only = SE "
          "skipped); compiled Fenwick sweep, and the numpy reference")
    for n in (1_000, 10_000, 100_000, 1_000_000):
        x = g.normal(size=n)
        t = np.round(g.exponential(50, n), 1)
        e = g.random(n) < 0.4
        reps = max(1, 30_000 // n)
        full = cpu_ms(lambda: concordance(x, t, e), reps)  # noqa: B023
        conly = cpu_ms(lambda: concordance(x, t, e, std_error=False), reps)  # noqa: B023
        fast = C.pair_counts
        C.pair_counts = C._pair_counts_numpy
        try:
            nfull = cpu_ms(lambda: concordance(x, t, e), reps)  # noqa: B023
            nconly = cpu_ms(lambda: concordance(x, t, e, std_error=False), reps)  # noqa: B023
        finally:
            C.pair_counts = fast
        print(f"  n = {n:>9,}: full {full:9.2f} (numpy {nfull:9.2f})   C only {conly:9.2f} "
              f"(numpy {nconly:9.2f})")
    print("bootstrap C of 200 replicates (weighted in the resample + unweighted in all):")
    for n in (3_173, 100_000):
        t = np.round(g.exponential(50, n), 1)
        e = g.random(n) < 0.4
        S = g.normal(size=(200, n))
        W = np.stack([np.bincount(g.integers(0, n, n), minlength=n) for _ in range(200)])
        t0 = time.process_time()
        C.bootstrap_concordances(S, t, e, W.astype(float))
        print(f"  n = {n:>9,}: {time.process_time() - t0:.2f} CPU s")
    if "--fit-cox" in sys.argv:
        fit_cox_vs_r()
    if "--skip-validate" in sys.argv:
        return 0
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
