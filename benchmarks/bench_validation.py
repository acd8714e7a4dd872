"""Benchmark: bootstrap validation of a Cox model with the batch engine vs per-replicate refits.

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_validation.py [--n 1000] [--n-boot 200]

Prints the time of ``validate_model(CoxModel(), ..., method="bootstrap")`` with the
bootstrap refits done at once by :func:`ctcstats.batch.batch_cox_arrays` (the default) and by
refitting ``CoxModel`` replicate by replicate (the fallback, used for other models), the
largest difference between the two tables, and how the time splits between fitting and
evaluating the replicates.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

import ctcstats.prognostic.validation as V
from ctcstats.prognostic.models import CoxModel


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--n-boot", type=int, default=200)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; n = {args.n}, n_boot = {args.n_boot}, "
          "CoxModel with 3 features, Efron ties")
    df = _cohort(np.random.default_rng(1), args.n)
    kw = dict(time_col="os_months", event_col="os_event",
              covariates=["age", "node_positive", "ctc_positive"], horizon=24.0,
              n_boot=args.n_boot, rng=1)
    out = {}
    for use in (True, False):
        V._USE_BATCH = use
        t0 = time.perf_counter()
        out[use] = V.validate_model(CoxModel(), df, **kw)
        dt = time.perf_counter() - t0
        print(f"  {'batch engine' if use else 'per-replicate refits'}: {dt:6.2f} s "
              f"({1e3 * dt / args.n_boot:.1f} ms per replicate)")
    V._USE_BATCH = True
    a, b = out[True].table, out[False].table
    diff = np.nanmax(np.abs(a.iloc[:, 1:].to_numpy(float) - b.iloc[:, 1:].to_numpy(float)))
    print(f"  max |difference| of the tables: {diff:.1e}")
    # the fits alone: batch_cox_arrays on the bootstrap counts vs CoxModel refits
    from ctcstats.batch import batch_cox_arrays

    X = df[kw["features"]]
    y = df[["os_months", "os_event"]]
    idx = np.random.default_rng(2).integers(0, args.n, (args.n_boot, args.n))
    counts = np.stack([np.bincount(i, minlength=args.n) for i in idx]).astype(float)
    t0 = time.perf_counter()
    batch_cox_arrays(df["os_months"].to_numpy(), df["os_event"].to_numpy(), X.to_numpy(float),
              weights=counts)
    t_b = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in idx:
        CoxModel().fit(X.iloc[i], y.iloc[i])
    t_l = time.perf_counter() - t0
    print(f"  the {args.n_boot} refits alone: batch {t_b:.2f} s, CoxModel loop {t_l:.2f} s "
          f"({t_l / t_b:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
