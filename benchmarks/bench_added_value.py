"""Benchmark: CPU seconds of the report's two bootstraps on janni2016 (n = 3,173).

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_added_value.py

Times ``added_value`` (B = 200; both Cox models refitted in each resample) with the refits
done at once by the batch engine (the default) and replicate by replicate (the reference
path, ``_USE_BATCH = False``), and ``validate_model(CoxModel(), ...)`` (B = 200) of the
clinical + marker model, on the report's janni2016 cohort (seed 1), as the report calls them.
CPU seconds (``time.process_time``), imports excluded; the load average is printed.
"""

from __future__ import annotations

import os
import sys
import time

import pandas as pd

import ctcstats as cs
import ctcstats.prognostic.added_value as A
import ctcstats.prognostic.validation as V
from ctcstats.prognostic.models import CoxModel


def main() -> int:
    cohort = cs.simulate_cohort("janni2016", rng=1)
    base = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
    kw = dict(time_col="dfs_months", event_col="dfs_event", base_covariates=base,
              new_covariates=["ctc_positive"], horizon=60, n_boot=200, rng=1)
    x = pd.get_dummies(cohort[["ctc_positive", *base]], drop_first=True, dtype=float)
    data = pd.concat([x, cohort[["dfs_months", "dfs_event"]]], axis=1)
    vkw = dict(time_col="dfs_months", event_col="dfs_event", covariates=list(x.columns),
               horizon=60, n_boot=200, rng=1)
    A.added_value(cohort, **{**kw, "n_boot": 2})  # imports and first calls out of the timing
    V.validate_model(CoxModel(), data, **{**vkw, "n_boot": 2})
    print(f"n = {len(cohort)}, events = {int(cohort.dfs_event.sum())}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for use in (False, True):
        A._USE_BATCH = use
        t0 = time.process_time()
        A.added_value(cohort, **kw)
        print(f"  added_value, {'batch engine' if use else 'per-replicate refits'}: "
              f"{time.process_time() - t0:.2f} CPU s")
    t0 = time.process_time()
    V.validate_model(CoxModel(), data, **vkw)
    print(f"  validate_model: {time.process_time() - t0:.2f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
