"""Benchmark: power by simulation and the batch Cox engine against per-fit loops.

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_power.py            # full run (a few minutes)
    python benchmarks/bench_power.py --quick    # smaller, for a smoke test
    python benchmarks/bench_power.py --designs braun2005,janni2016,rack2014   # [4] below
    python benchmarks/bench_power.py --scaling  # [5] below

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

With ``--designs`` (simulation and scale-out; instead of 1-3):

4. per design, ``simulate_power`` with the design's real (adjusted, stratified, windowed)
   analysis: CPU ms per replicate on one core, split into simulating the cohorts (the chunked
   simulator; the one-cohort path for comparison), building the analysis arrays and the
   batch fits; wall time on 2 workers (warm pool); the same fits by an R ``coxph`` loop and a
   bare ``coxph.fit`` loop (bench_power_designs.R) and a lifelines loop, per fit.

With ``--scaling`` (each point in a fresh process: CPU seconds and peak resident memory):

5. ``simulate_power("braun2005")`` for 10^2, 10^3, 10^4 replicates; the batch engine on
   braun2005-shaped cohorts (marker + 4 covariates, 9 strata) at n = 10^3 … 10^6, beside an R
   ``coxph`` loop and a lifelines loop on the same data.
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

    for name in ("solve_nb_mean", "concentration_scale"):
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
    ap.add_argument("--designs", default=None,
                    help="comma-separated design keys: [4] instead of [1]-[3]")
    ap.add_argument("--scaling", action="store_true", help="[5] instead of [1]-[3]")
    args = ap.parse_args()
    if args.designs or args.scaling:
        _header()
        if args.designs:
            bench_designs(args.designs.split(","), n_sim=200 if args.quick else args.n_sim,
                          k_ll=3 if args.quick else 10, k_r=50 if args.quick else 200)
        if args.scaling:
            bench_scaling(quick=args.quick)
        return 0
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


# =========================================================================== simulation
# [4] and [5]: simulation of cohorts, the designs' real analyses, scale-out, scaling curves.
def _header():
    print(f"ctcstats {ctcstats.__version__}, numpy {np.__version__}, python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")


def _cpu(f, *args, **kw):
    t0 = time.process_time()
    out = f(*args, **kw)
    return time.process_time() - t0, out


def _wall(f, *args, **kw):
    t0 = time.perf_counter()
    out = f(*args, **kw)
    return time.perf_counter() - t0, out


def _reps_frame(reps):
    """One long table of analysis replicates: replicate, time, event, strata, x1..xp."""
    parts = []
    for i, (t, e, X, s, _) in enumerate(reps):
        f = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(X.shape[1])])
        f.insert(0, "strata", 0 if s is None else s)
        f.insert(0, "event", e.astype(int))
        f.insert(0, "time", t)
        f.insert(0, "replicate", i)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def _r_loop(reps):
    """CPU seconds of an R coxph loop and a coxph.fit loop over the replicates (None without
    Rscript) and the marker coefficients R found for the first replicates."""
    rs = shutil.which("Rscript")
    if not rs:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "reps.csv")
        _reps_frame(reps).to_csv(path, index=False, float_format="%.17g")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "bench_power_designs.R")
        out = subprocess.run([rs, script, path], capture_output=True, text=True,
                             check=True).stdout
    vals = dict(line.split(" ", 1) for line in out.strip().splitlines())
    return {"coxph": float(vals["coxph_seconds"]) / len(reps),
            "coxph_fit": float(vals["coxph_fit_seconds"]) / len(reps),
            "coef": np.array(vals["coef"].split(), float), "version": vals.get("R", "")}


def _lifelines_loop(reps):
    from lifelines import CoxPHFitter

    frames = [f.drop(columns="replicate") for _, f in _reps_frame(reps).groupby("replicate")]
    t0 = time.process_time()
    coefs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in frames:
            strata = ["strata"] if f["strata"].nunique() > 1 else None
            if strata is None:
                f = f.drop(columns="strata")
            coefs.append(CoxPHFitter().fit(f, "time", "event", strata=strata).params_["x1"])
    return (time.process_time() - t0) / len(frames), np.array(coefs)


def _chunk_cpu(task, shared):
    from ctcstats.designs.power import _power_chunk

    t0 = time.process_time()
    _power_chunk(task, shared)
    return os.getpid(), time.process_time() - t0


def _worker_cpu(d, a, n, n_sim):
    """(CPU seconds of the busiest of 2 workers, of both) for simulate_power's chunks."""
    from ctcstats.batch.parallel import run_chunks
    from ctcstats.designs._seeds import SeedStream

    size = min(int(np.clip(200_000 // n, 1, 100)), max(8, -(-n_sim // 32)))
    tasks = [(i, min(size, n_sim - i)) for i in range(0, n_sim, size)]
    shared = (d, a, n, "efron", SeedStream(_seed_root(1)).take(n_sim))
    per = {}
    for pid, cpu in run_chunks(_chunk_cpu, tasks, n_jobs=2, shared=shared):
        per[pid] = per.get(pid, 0.0) + cpu
    return max(per.values()), sum(per.values())


def _cohorts_only(iter_chunk, d, a, n, seeds):
    return [b.endpoint(a.endpoint) for b in iter_chunk(d, n, seeds, endpoints=[a.endpoint])]


def _one_by_one(d, a, n, seeds):
    return [_one_replicate(d, a, n, s) for s in seeds]


def bench_designs(keys, *, n_sim, k_ll, k_r):
    from ctcstats.designs.power import power_analysis
    from ctcstats.designs.power_chunk import chunk_replicates
    from ctcstats.designs.simulate_chunk import iter_chunk

    print(f"\n[4] simulate_power with the designs' published analyses ({n_sim} replicates; "
          "CPU ms per replicate, one core unless said)")
    for key in keys:
        d = get_design(key)
        a = power_analysis(d)
        n = int(d.n.value)
        print(f"\n  {key}, n = {n}: {a.describe()}")
        simulate_power(d, n_sim=16, rng=0, progress=False)  # compile / warm caches once
        _cold_caches()
        t_all, res = _cpu(simulate_power, d, n_sim=n_sim, rng=1, progress=False)
        seeds = _seed_root(1).spawn(n_sim)
        _cold_caches()
        t_coh, _ = _cpu(_cohorts_only, iter_chunk, d, a, n, seeds)
        _cold_caches()
        t_sim, reps = _cpu(chunk_replicates, d, a, n, seeds)
        m = min(n_sim, 100)
        _cold_caches()
        t_old, _ = _cpu(_one_by_one, d, a, n, seeds[:m])
        strata = None if a.strata is None else [r[3] for r in reps]
        t_fit, fit = _cpu(batch_cox_arrays, [r[0] for r in reps], [r[1] for r in reps],
                          [r[2] for r in reps], strata=strata)
        ms = 1e3 / n_sim
        print(f"    simulate_power end to end      {t_all * ms:7.2f} ms   (power "
              f"{res.power:.3f}, mean events {res.mean_events:.0f})")
        print(f"    - simulating the cohorts       {t_coh * ms:7.2f} ms   (chunked; the "
              f"one-cohort path with its analysis arrays: {1e3 * t_old / m:.2f} ms)")
        print(f"    - + the analysis arrays        {t_sim * ms:7.2f} ms")
        print(f"    - the batch fits               {t_fit * ms:7.2f} ms")
        simulate_power(d, n_sim=32, rng=0, n_jobs=2, progress=False)  # start the pool once
        w1, _ = _wall(simulate_power, d, n_sim=n_sim, rng=1, progress=False)
        w2, res2 = _wall(simulate_power, d, n_sim=n_sim, rng=1, n_jobs=2, progress=False)
        same = res2.replicates.equals(res.replicates)
        print(f"    wall: 1 worker {w1:.2f} s, 2 workers {w2:.2f} s (warm pool): x{w1 / w2:.2f}"
              f"; replicates identical: {same}; load average {os.getloadavg()[0]:.1f}")
        busy, total = _worker_cpu(d, a, n, n_sim)
        print(f"    2 workers, CPU inside the chunks: {total:.2f} s in all (1 core end to end "
              f"{t_all:.2f} s), busiest worker {busy:.2f} s -> on 2 idle cores x"
              f"{t_all / busy:.2f} at best (the load average above makes the wall ratio "
              "meaningless when other work holds the cores)")
        r = _r_loop(reps[:k_r])
        per_fit = t_fit / n_sim
        if r is not None:
            d_r = np.max(np.abs(r["coef"] - fit.coef[: r["coef"].size, 0]))
            print(f"    R coxph loop      {1e3 * r['coxph']:7.2f} ms/fit (on {k_r})  = x"
                  f"{r['coxph'] / per_fit:5.1f} the batch fit, x{r['coxph'] / (t_all / n_sim):5.1f}"
                  f" simulate_power per replicate; max |coef diff| {d_r:.1e}")
            print(f"    R coxph.fit loop  {1e3 * r['coxph_fit']:7.2f} ms/fit  = x"
                  f"{r['coxph_fit'] / per_fit:5.1f} the batch fit")
        t_ll, c_ll = _lifelines_loop(reps[:k_ll])
        d_ll = np.max(np.abs(c_ll - fit.coef[:k_ll, 0]))
        print(f"    lifelines loop    {1e3 * t_ll:7.2f} ms/fit (on {k_ll})  = x"
              f"{t_ll / per_fit:5.1f} the batch fit, x{t_ll / (t_all / n_sim):5.1f} "
              f"simulate_power per replicate; max |coef diff| {d_ll:.1e}")


_CHILD_POWER = """
import resource, sys, time, numpy as np
from ctcstats.designs.power import simulate_power
simulate_power("braun2005", n_sim=16, rng=0, progress=False)
t0 = time.process_time()
simulate_power("braun2005", n_sim=int(sys.argv[1]), rng=1, progress=False)
print(time.process_time() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

_CHILD_ENGINE = """
import resource, sys, time, numpy as np
from ctcstats.batch import batch_cox_arrays
n, R = int(sys.argv[1]), int(sys.argv[2])
def cohorts(g, R, n):
    x = (g.random((R, n)) < 0.3).astype(float)
    z = np.stack([x, g.lognormal(0.7, 0.6, (R, n)), (g.random((R, n)) < 0.4).astype(float),
                  g.integers(1, 4, (R, n)).astype(float), (g.random((R, n)) < 0.7).astype(float)],
                 axis=2)
    s = g.integers(0, 9, (R, n))
    lp = z @ np.array([0.5, 0.1, 0.4, 0.2, -0.3])
    t = np.round(g.exponential(100 * np.exp(-lp)), 2) + 0.01
    c = np.round(g.uniform(30, 120, (R, n)), 2)
    return np.minimum(t, c), t <= c, z, s
t, e, z, s = cohorts(np.random.default_rng(1), 2, 200)
batch_cox_arrays(t, e, z, strata=s)  # compile
t, e, z, s = cohorts(np.random.default_rng(2), R, n)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.process_time()
fit = batch_cox_arrays(t, e, z, strata=s)
dt = time.process_time() - t0
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, base)
if len(sys.argv) > 3:
    import pandas as pd
    k = min(R, int(sys.argv[4]))
    rows = [pd.DataFrame({"replicate": i, "time": t[i], "event": e[i].astype(int),
                          "strata": s[i], **{f"x{j + 1}": z[i, :, j] for j in range(5)}})
            for i in range(k)]
    pd.concat(rows).to_csv(sys.argv[3], index=False, float_format="%.17g")
    print(" ".join(f"{v:.12f}" for v in fit.coef[:k, 0]))
"""


def _child(code, *args):
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, check=True).stdout.split("\n")
    return out


def bench_scaling(*, quick=False):
    print("\n[5] scaling (each point in a fresh process; CPU seconds, peak resident MB)")
    print("  simulate_power('braun2005'), published adjusted analysis, one core:")
    print("  replicates   CPU s   ms/replicate   peak RSS MB")
    for R in ((100, 1000) if quick else (100, 1000, 10_000)):
        dt, rss = map(float, _child(_CHILD_POWER, R)[0].split())
        print(f"  {R:10d}   {dt:6.1f}   {1e3 * dt / R:12.2f}   {rss:11.0f}", flush=True)
    print("\n  batch engine, braun2005-shaped cohorts (marker + 4 covariates, 9 strata, Efron):")
    print("  patients  replicates  engine ms/fit  peak RSS MB (before the fit)  R coxph ms/fit"
          "  R coxph.fit ms/fit  lifelines ms/fit")
    grid = [(1000, 100), (10_000, 10), (100_000, 2), (1_000_000, 1)]
    if quick:
        grid = grid[:2]
    for n, R in grid:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cohorts.csv")
            k_r = min(R, 20)
            lines = _child(_CHILD_ENGINE, n, R, path, k_r)
            dt, rss, base = map(float, lines[0].split())
            cells = [f"{n:8d}  {R:10d}  {1e3 * dt / R:13.2f}  {rss:8.0f} ({base:.0f})"]
            rs = shutil.which("Rscript")
            if rs:
                script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "bench_power_designs.R")
                out = subprocess.run([rs, script, path], capture_output=True, text=True,
                                     check=True).stdout
                vals = dict(line.split(" ", 1) for line in out.strip().splitlines())
                cells.append(f"{1e3 * float(vals['coxph_seconds']) / k_r:14.2f}")
                cells.append(f"{1e3 * float(vals['coxph_fit_seconds']) / k_r:18.2f}")
            if n <= 100_000:
                df = pd.read_csv(path)
                reps = [(f["time"].to_numpy(), f["event"].to_numpy().astype(bool),
                         f[[f"x{j + 1}" for j in range(5)]].to_numpy(), f["strata"].to_numpy(),
                         0.0) for _, f in df.groupby("replicate")][:3]
                t_ll, _ = _lifelines_loop(reps)
                cells.append(f"{1e3 * t_ll:16.1f}")
            else:
                cells.append("(not run: minutes per fit)")
            print("  " + "  ".join(cells), flush=True)


if __name__ == "__main__":
    sys.exit(main())
