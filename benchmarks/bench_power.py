"""Benchmark: power by simulation and the batch Cox engine against per-fit loops.

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_power.py            # full run (a few minutes)
    python benchmarks/bench_power.py --quick    # smaller, for a smoke test

It prints, in one run on one machine and on the same simulated cohorts:

1. ``simulate_power`` for 1,000 replicates at n = 4,703 (Cox, one binary covariate — the
   marker — as in DESIGN.md §6), with ``n_jobs=1`` and ``n_jobs=2``; the time split into
   simulation of the cohorts and the fits;
2. the same 1,000 fits by the batch engine alone, by a ``fit_cox`` loop and by a lifelines
   ``CoxPHFitter`` loop (timed on a subset and scaled per fit), and — when ``Rscript`` is
   present — by an R ``coxph`` loop and a bare ``coxph.fit`` loop (same cohorts, written to
   CSV); the ratios; the largest coefficient difference to lifelines and R;
3. how time and peak memory (tracemalloc; numpy reports its allocations) of the engine grow
   with n (1k → 100k patients) and with the number of replicates.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

import ctcstats
from ctcstats.batch import batch_cox_arrays
from ctcstats.designs import get_design
from ctcstats.designs.power import PowerAnalysis, _one_replicate, _seed_root, simulate_power
from ctcstats.survival.cox import fit_cox


def _timed(f, *args, repeat=1, **kw):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return best, out


def _peak(f, *args, **kw):
    tracemalloc.start()
    t0 = time.perf_counter()
    f(*args, **kw)
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dt, peak / 2**20


def _cold_caches():
    """Empty the simulator's per-study cache (the concentration scale of a drawn study
    prevalence), so that a second run on the same seeds is not timed warm."""
    from ctcstats.designs import simulate

    for name in ("_solve_nb_mean", "concentration_scale"):
        f = getattr(simulate, name, None)
        if hasattr(f, "cache_clear"):
            f.cache_clear()


def _synthetic(g, R, n):
    x = (g.random((R, n)) < 0.306).astype(float)
    t = np.round(g.exponential(120 / np.exp(0.6 * x)), 2) + 0.01
    c = np.round(g.uniform(30, 90, (R, n)), 2)
    return np.minimum(t, c), t <= c, x


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="janni2016")
    ap.add_argument("--n", type=int, default=4703)
    ap.add_argument("--n-sim", type=int, default=1000)
    ap.add_argument("--lifelines-fits", type=int, default=20)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, n_sim = args.n, args.n_sim
    if args.quick:
        n_sim, args.lifelines_fits = 100, 5
    print(f"ctcstats {ctcstats.__version__}, numpy {np.__version__}, python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    design = get_design(args.design)
    analysis = PowerAnalysis(test="cox", endpoint=design.endpoints[0].name)
    print(f"design {design.key}, n = {n}, {n_sim} replicates; analysis: {analysis.describe()}")

    # ---- 1. simulate_power end to end -------------------------------------------------
    print("\n[1] simulate_power (simulation + fits)")
    t_start, _ = _timed(simulate_power, design, n=n, n_sim=4, rng=0, n_jobs=2,
                        analysis=analysis, progress=False, chunk_size=2)
    print(f"  (starting the 2 joblib worker processes, once: {t_start:.2f} s; excluded below)")
    for jobs in (1, 2):
        _cold_caches()
        dt, res = _timed(simulate_power, design, n=n, n_sim=n_sim, rng=1, n_jobs=jobs,
                         analysis=analysis, progress=False)
        print(f"  n_jobs={jobs}: {dt:7.2f} s   power {res.power:.3f}, mean events "
              f"{res.mean_events:.0f}")
    seeds = _seed_root(1).spawn(n_sim)
    _cold_caches()
    t_sim, reps = _timed(lambda: [_one_replicate(design, analysis, n, s) for s in seeds])
    times = [r[0] for r in reps]
    events = [r[1] for r in reps]
    xs = [r[2] for r in reps]
    t_fit, bres = _timed(batch_cox_arrays, times, events, xs, repeat=3)
    print(f"  of which: simulating the {n_sim} cohorts {t_sim:.2f} s "
          f"({1e3 * t_sim / n_sim:.1f} ms each); batch fits {t_fit:.2f} s "
          f"({1e3 * t_fit / n_sim:.2f} ms each)")

    # ---- 2. the same fits as loops ------------------------------------------------------
    print("\n[2] the same fits: batch engine vs per-fit loops")
    k = min(args.lifelines_fits, n_sim)
    frames = [pd.DataFrame({"time": t, "event": e.astype(int), "x": x[:, 0]})
              for t, e, x in zip(times, events, xs, strict=True)]
    t_fc, fc = _timed(lambda: [fit_cox(f, time_col="time", event_col="event",
                                       covariates=["x"]) for f in frames[:k]])
    per_fc = t_fc / k
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ll, ll = _timed(lambda: [CoxPHFitter().fit(f, "time", "event") for f in frames[:k]])
    per_ll = t_ll / k
    d_ll = max(abs(m.params_["x"] - bres.coef[i, 0]) for i, m in enumerate(ll))
    print(f"  batch engine      {1e3 * t_fit / n_sim:8.3f} ms/fit  ({t_fit:.2f} s for {n_sim})")
    print(f"  fit_cox loop      {1e3 * per_fc:8.3f} ms/fit  (timed on {k})  "
          f"ratio {per_fc / (t_fit / n_sim):6.1f}x")
    print(f"  lifelines loop    {1e3 * per_ll:8.3f} ms/fit  (timed on {k})  "
          f"ratio {per_ll / (t_fit / n_sim):6.1f}x   max |coef diff| {d_ll:.2e}")
    rs = shutil.which("Rscript")
    if rs:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cohorts.csv")
            pd.concat([f.assign(replicate=i) for i, f in enumerate(frames)]).to_csv(
                path, index=False, float_format="%.17g")
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "bench_cox_loop.R")
            out = subprocess.run([rs, script, path], capture_output=True, text=True,
                                 check=True).stdout
        vals = dict(line.split(" ", 1) for line in out.strip().splitlines())
        r_cox, r_fit = float(vals["coxph_seconds"]), float(vals["coxph_fit_seconds"])
        r_coef = np.array(vals["coef"].split(), float)
        d_r = np.max(np.abs(r_coef - bres.coef[: r_coef.size, 0]))
        print(f"  R coxph loop      {1e3 * r_cox / n_sim:8.3f} ms/fit  ({r_cox:.2f} s)  "
              f"ratio {r_cox / t_fit:6.1f}x   max |coef diff| {d_r:.2e}")
        print(f"  R coxph.fit loop  {1e3 * r_fit / n_sim:8.3f} ms/fit  ({r_fit:.2f} s)  "
              f"ratio {r_fit / t_fit:6.1f}x")
    else:
        print("  (Rscript not found: R loop skipped)")

    # ---- 3. scaling ----------------------------------------------------------------------
    print("\n[3] batch engine scaling (synthetic cohorts, one binary covariate, Efron)")
    g = np.random.default_rng(3)
    print("  patients   replicates   seconds   ms/replicate   peak MB")
    grid = [(1000, 100), (10_000, 100), (100_000, 100), (4703, 100), (4703, 1000),
            (4703, 5000)]
    if args.quick:
        grid = [(1000, 20), (10_000, 20), (4703, 50)]
    for nn, R in grid:
        t, e, x = _synthetic(g, R, nn)
        dt, peak = _peak(batch_cox_arrays, t, e, x[:, :, None])
        print(f"  {nn:8d}   {R:10d}   {dt:7.2f}   {1e3 * dt / R:12.2f}   {peak:7.0f}")
        del t, e, x
    return 0


if __name__ == "__main__":
    sys.exit(main())
