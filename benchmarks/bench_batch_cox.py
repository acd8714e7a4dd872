"""Benchmark (issue 15): the batch Cox engine against per-fit loops, on the designs' real
adjusted analyses.

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_batch_cox.py [--n-sim 200] [--designs braun2005 janni2016 rack2014]
    python benchmarks/bench_batch_cox.py --scaling    # n = 10^3..10^6, replicates 10^2..10^4
    python benchmarks/bench_batch_cox.py --fit-cox-rows 1000000   # fit_cox vs R coxph

For each design, the replicates of ``simulate_power`` with the design's published analysis
(Cox, Efron ties, the marker and the adjustment covariates, strata where the design has
them; the same arrays ``simulate_power`` fits) are fitted, in one run, by:

* the batch engine with its compiled kernel (``engine="kernel"``, the default) and with its
  numpy reference path (``engine="numpy"``);
* a ``fit_cox`` loop and a lifelines ``CoxPHFitter`` loop (on a subset, per fit);
* R (``bench_cox_loop.R``, when ``Rscript`` is on the PATH): a ``coxph`` loop, a bare
  ``coxph.fit`` loop, and survival's C routine (``Ccoxfit6``) alone on data sorted beforehand
  ("the compiled floor") and with the sort it needs.

All times are CPU seconds (``time.process_time``; R ``proc.time()`` user + system), the least
of ``--repeats`` runs (the machine is shared; load inflates some runs), per fit. The largest
coefficient difference to each competitor is printed next to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

from ctcstats.batch import batch_cox_arrays
from ctcstats.designs import get_design
from ctcstats.designs.power import _seed_root, power_analysis
from ctcstats.designs.power_chunk import chunk_replicates
from ctcstats.survival.cox import fit_cox

HERE = os.path.dirname(os.path.abspath(__file__))


def _best_cpu(f, repeats):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.process_time()
        out = f()
        best = min(best, time.process_time() - t0)
    return best, out


def _frame(reps):
    parts = []
    for i, (t, e, X, s, _) in enumerate(reps):
        f = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(X.shape[1])])
        f.insert(0, "strata", 0 if s is None else s)
        f.insert(0, "event", e.astype(int))
        f.insert(0, "time", t)
        f.insert(0, "replicate", i)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def _r(reps, repeats):
    rs = shutil.which("Rscript")
    if not rs:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "reps.csv")
        _frame(reps).to_csv(path, index=False, float_format="%.17g")
        out = subprocess.run([rs, os.path.join(HERE, "bench_cox_loop.R"), path, str(repeats)],
                             capture_output=True, text=True, check=True).stdout
    vals = dict(line.split(" ", 1) for line in out.strip().splitlines())
    k = len(reps)
    return {"coxph": float(vals["coxph_seconds"]) / k,
            "coxph.fit": float(vals["coxph_fit_seconds"]) / k,
            "C, sorted data": float(vals["c_sorted_seconds"]) / k,
            "C + sort": float(vals["c_with_sort_seconds"]) / k,
            "coef": np.array(vals["coef"].split(), float), "version": vals["R"].strip()}


def _lifelines(reps):
    from lifelines import CoxPHFitter

    frames = [f.drop(columns="replicate") for _, f in _frame(reps).groupby("replicate")]
    coefs = []
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in frames:
            strata = ["strata"] if f["strata"].nunique() > 1 else None
            if strata is None:
                f = f.drop(columns="strata")
            coefs.append(CoxPHFitter().fit(f, "time", "event", strata=strata).params_["x1"])
    return (time.process_time() - t0) / len(frames), np.array(coefs)


def _fit_cox_loop(reps):
    frames = [f.drop(columns="replicate") for _, f in _frame(reps).groupby("replicate")]
    coefs = []
    t0 = time.process_time()
    for f in frames:
        xs = [c for c in f.columns if c.startswith("x")]
        strata = "strata" if f["strata"].nunique() > 1 else None
        res = fit_cox(f, time_col="time", event_col="event", covariates=xs, strata_col=strata)
        coefs.append(res.table["coef"].iloc[0])
    return (time.process_time() - t0) / len(frames), np.array(coefs)


def bench(key, n_sim, repeats, k_loop, k_r):
    d = get_design(key)
    a = power_analysis(d)
    n = int(d.n.value)
    reps = chunk_replicates(d, a, n, _seed_root(1).spawn(n_sim))
    args = ([r[0] for r in reps], [r[1] for r in reps], [r[2] for r in reps])
    strata = None if a.strata is None else [r[3] for r in reps]
    p = reps[0][2].shape[1]
    print(f"\n{key}: n = {n}, {p} covariates{', strata' if strata else ''}, Efron; "
          f"{n_sim} replicates, mean events "
          f"{np.mean([r[1].sum() for r in reps]):.0f}\n  {a.describe()}")
    batch_cox_arrays(*(x[:2] for x in args), strata=None if strata is None else strata[:2])
    t_k, fk = _best_cpu(lambda: batch_cox_arrays(*args, strata=strata), repeats)
    t_np, fn = _best_cpu(lambda: batch_cox_arrays(*args, strata=strata, engine="numpy"),
                         repeats)
    per = t_k / n_sim
    rows = [("batch engine, compiled kernel", per, np.nan, 0.0),
            ("batch engine, numpy path", t_np / n_sim, np.nan,
             np.max(np.abs(fn.coef - fk.coef)))]
    t_fc, c_fc = _fit_cox_loop(reps[:k_loop])
    rows.append((f"fit_cox loop (on {k_loop})", t_fc, np.nan,
                 np.max(np.abs(c_fc - fk.coef[:k_loop, 0]))))
    t_ll, c_ll = _lifelines(reps[:k_loop])
    rows.append((f"lifelines CoxPHFitter loop (on {k_loop})", t_ll, np.nan,
                 np.max(np.abs(c_ll - fk.coef[:k_loop, 0]))))
    r = _r(reps[:k_r], repeats)
    if r is not None:
        dr = np.max(np.abs(r["coef"] - fk.coef[: r["coef"].size, 0]))
        for name in ("coxph", "coxph.fit", "C, sorted data", "C + sort"):
            rows.append((f"R {name} loop (on {k_r}; {r['version']})", r[name], np.nan, dr))
    print(f"  {'':48s} {'ms/fit':>8s} {'engine faster by':>17s} {'max |coef diff|':>16s}")
    for name, t, _, diff in rows:
        print(f"  {name:48s} {1e3 * t:8.3f} {t / per:16.2f}x {diff:16.1e}")
    return rows


_CHILD = """
import resource, sys, time, numpy as np
from ctcstats.batch import batch_cox_arrays
n, R, engine = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
g = np.random.default_rng(3)
x = np.stack([(g.random((R, n)) < 0.3).astype(float), g.normal(size=(R, n)),
              g.integers(0, 3, (R, n)).astype(float)], axis=2)
t = np.round(g.exponential(60 / np.exp(0.5 * x[:, :, 0] + 0.2 * x[:, :, 1])), 1) + 0.1
c = np.round(g.uniform(12, 90, (R, n)), 1)
s = g.integers(0, 4, (R, n))
batch_cox_arrays(t[:1, :50], (t <= c)[:1, :50], x[:1, :50], strata=s[:1, :50], engine=engine)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.process_time()
batch_cox_arrays(np.minimum(t, c), t <= c, x, strata=s, engine=engine)
dt = time.process_time() - t0
print(dt, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def scaling(points) -> None:
    """CPU time and peak memory of the engine, each point in a fresh process (3 covariates:
    binary, continuous, three-level; 4 strata; Efron; times to 0.1, many ties)."""
    print("\nscaling (fresh process per point; CPU s; peak RSS of the process, MB; the input "
          "arrays alone are ~50 bytes x rows)")
    print(f"  {'patients':>9s} {'replicates':>10s} {'engine':>7s} {'CPU s':>8s} "
          f"{'ms/replicate':>12s} {'us/row':>7s} {'RSS before':>10s} {'peak RSS':>9s}")
    for n, R, engine in points:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(n), str(R), engine],
                             capture_output=True, text=True, check=True).stdout.split()
        dt, before, peak = (float(v) for v in out)
        print(f"  {n:9d} {R:10d} {engine:>7s} {dt:8.2f} {1e3 * dt / R:12.3f} "
              f"{1e6 * dt / (R * n):7.3f} {before:10.0f} {peak:9.0f}")


_R_BIG = """
suppressPackageStartupMessages(library(survival))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
t0 <- proc.time(); f <- coxph(Surv(time, event) ~ x1 + x2, data = d); el <- proc.time() - t0
cat(sprintf("%.3f %.12f %.12f\\n", el[["user.self"]] + el[["sys.self"]], coef(f)[1], coef(f)[2]))
"""


def fit_cox_large(n: int) -> None:
    """``fit_cox`` at n rows (binary + continuous covariate, Efron, times to 0.1): the kernel
    (plain fits from KERNEL_MIN_ROWS rows on) vs the numpy engine vs R ``coxph``."""
    import ctcstats.survival._core.cox as core

    g = np.random.default_rng(1)
    x1 = (g.random(n) < 0.3).astype(float)
    x2 = g.normal(size=n)
    t = np.round(g.exponential(50 / np.exp(0.5 * x1 + 0.3 * x2)), 1) + 0.1
    c = np.round(g.uniform(10, 100, n), 1)
    df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x1": x1,
                       "x2": x2})
    kw = dict(time_col="time", event_col="event", covariates=["x1", "x2"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_cox(df.iloc[: core.KERNEL_MIN_ROWS], **kw)  # imports, kernel from the cache
        t_k, fk = _best_cpu(lambda: fit_cox(df, **kw), 2)
        saved = core.KERNEL_MIN_ROWS
        core.KERNEL_MIN_ROWS = 10**12
        try:
            t_n, fn = _best_cpu(lambda: fit_cox(df, **kw), 1)
        finally:
            core.KERNEL_MIN_ROWS = saved
    print(f"\nfit_cox at n = {n:,} (CPU s): kernel {t_k:.2f}, numpy engine {t_n:.2f}; "
          f"max |coef diff| {np.max(np.abs(fk.table['coef'] - fn.table['coef'])):.1e}")
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "big.csv")
            df.to_csv(path, index=False, float_format="%.17g")
            out = subprocess.run(["Rscript", "-e", _R_BIG, path], capture_output=True,
                                 text=True, check=True).stdout.split()
        r, rc = float(out[0]), np.array(out[1:], float)
        print(f"  R coxph {r:.2f} CPU s (formula, model frame and its concordance included); "
              f"fit_cox / coxph = {t_k / r:.2f}; max |coef diff| "
              f"{np.max(np.abs(fk.table['coef'].to_numpy() - rc)):.1e}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", nargs="+", default=["braun2005", "janni2016", "rack2014"])
    ap.add_argument("--n-sim", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--loop-fits", type=int, default=20)
    ap.add_argument("--r-fits", type=int, default=100)
    ap.add_argument("--fit-cox-rows", type=int, default=0,
                    help="only fit_cox at this many rows against R coxph (e.g. 1000000)")
    ap.add_argument("--scaling", action="store_true",
                    help="only the scaling curves: n = 10^3..10^6, replicates 10^2..10^4")
    args = ap.parse_args()
    if args.fit_cox_rows:
        fit_cox_large(args.fit_cox_rows)
        return 0
    if args.scaling:
        scaling([(1_000, 100, "kernel"), (10_000, 100, "kernel"), (100_000, 100, "kernel"),
                 (1_000_000, 10, "kernel"), (4_703, 100, "kernel"), (4_703, 1_000, "kernel"),
                 (4_703, 10_000, "kernel"), (4_703, 1_000, "numpy"),
                 (100_000, 100, "numpy")])
        return 0
    print(f"CPU seconds, least of {args.repeats} runs; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    for key in args.designs:
        bench(key, args.n_sim, args.repeats, args.loop_fits, min(args.r_fits, args.n_sim))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
