"""Benchmark (issue 15): ``validate_model`` (bootstrap, B = 200) against ``rms::validate``.

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_validation.py [--n-boot 200] [--with-loop]

Cohort: the report's janni2016 cohort (``simulate_cohort("janni2016", rng=1)``, n = 3,173),
Cox model of DFS on the marker and the clinical covariates (indicator-coded, as
``bench_added_value.py``), Efron ties. Prints CPU seconds (``time.process_time``, least of
``--repeats`` runs) of ``validate_model(CoxModel(), ...)``, the share spent in the batch Cox
engine (the bootstrap refits and the slope regressions, all replicates at once) and in the
rest (evaluating every replicate: concordance, calibration slope, baseline hazards, Brier
score and AUC at the horizon), and — with ``Rscript`` — ``rms::validate(cph, B = 200)`` on the
same data and model (``bench_validate_rms.R``). ``--with-loop`` also times the per-replicate
refit path (``validation._USE_BATCH = False``) and the largest difference of the tables.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import ctcstats.prognostic.validation as V
from ctcstats.prognostic.models import CoxModel

HERE = os.path.dirname(os.path.abspath(__file__))


def _cohort(g, n):
    age = g.normal(60, 10, n)
    node = g.integers(0, 2, n)
    ctc = g.binomial(1, 0.35, n)
    lin = 0.02 * (age - 60) + 0.5 * node + np.log(2.0) * ctc
    t = g.exponential(50 / np.exp(lin))
    c = g.uniform(24, 96, n)
    return pd.DataFrame({"age": age, "node_positive": node, "ctc_positive": ctc,
                         "os_months": np.round(np.minimum(t, c), 1),
                         "os_event": (t <= c).astype(int)})


def _janni():
    import ctcstats as cs

    cohort = cs.simulate_cohort("janni2016", rng=1)
    base = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
    x = pd.get_dummies(cohort[["ctc_positive", *base]], drop_first=True, dtype=float)
    return pd.concat([x, cohort[["dfs_months", "dfs_event"]]], axis=1), list(x.columns)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--with-loop", action="store_true")
    args = ap.parse_args()
    import ctcstats.batch as batch

    data, cols = _janni()
    kw = dict(time_col="dfs_months", event_col="dfs_event", covariates=cols, horizon=60,
              n_boot=args.n_boot, rng=1)
    print(f"load average {os.getloadavg()[0]:.1f}; janni2016 cohort n = {len(data)}, "
          f"{int(data.dfs_event.sum())} events, {len(cols)} covariates, B = {args.n_boot}; "
          f"CPU seconds (least of {args.repeats})")
    V.validate_model(CoxModel(), data, **{**kw, "n_boot": 2})  # imports, compilation
    in_engine = [0.0]
    fits = {name: getattr(batch, name) for name in ("batch_cox_arrays", "batch_cox_loglik")}

    def timed(f):
        def g(*a, **k):
            t0 = time.process_time()
            try:
                return f(*a, **k)
            finally:
                in_engine[0] += time.process_time() - t0
        return g

    for name, f in fits.items():
        setattr(batch, name, timed(f))
    best, best_fit, out = np.inf, np.inf, None
    try:
        for _ in range(args.repeats):
            in_engine[0] = 0.0
            t0 = time.process_time()
            out = V.validate_model(CoxModel(), data, **kw)
            dt = time.process_time() - t0
            if dt < best:
                best, best_fit = dt, in_engine[0]
    finally:
        for name, f in fits.items():
            setattr(batch, name, f)
    print(f"  validate_model(CoxModel(), B = {args.n_boot}): {best:.2f} CPU s — batch Cox "
          f"engine {best_fit:.2f} s, evaluating the replicates {best - best_fit:.2f} s")
    if args.with_loop:
        V._USE_BATCH = False
        t0 = time.process_time()
        ref = V.validate_model(CoxModel(), data, **kw)
        dt = time.process_time() - t0
        V._USE_BATCH = True
        a, b = out.table, ref.table
        diff = np.nanmax(np.abs(a.iloc[:, 1:].to_numpy(float) - b.iloc[:, 1:].to_numpy(float)))
        print(f"  per-replicate refits: {dt:.2f} CPU s; max |difference| of the tables "
              f"{diff:.1e}")
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            csv = os.path.join(tmp, "cohort.csv")
            data.to_csv(csv, index=False)
            res = subprocess.run(["Rscript", os.path.join(HERE, "bench_validate_rms.R"), csv,
                                  "dfs_months", "dfs_event"], capture_output=True, text=True,
                                 check=True).stdout
        r = float(res.split("rms_validate_cpu_s")[1].split()[0])
        print("  " + res.strip().replace("\n", "\n  "))
        print(f"  validate_model / rms::validate = {best / r:.2f} (target: <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
