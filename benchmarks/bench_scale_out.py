"""Benchmark: ``simulate_power`` on one worker against two, beside the machine's own ceiling.

Run from the repository root on an idle machine (not part of the test suite)::

    python benchmarks/bench_scale_out.py                      # braun2005, janni2016, rack2014
    python benchmarks/bench_scale_out.py --designs rack2014 --n-sim 2000 --repeats 5
    python benchmarks/bench_scale_out.py --quick              # a smoke test

For each design, ``simulate_power`` with its published analysis (warm pool: both workers have
run a simulation before the clock starts), ``n_jobs=1`` and ``n_jobs=2`` alternated
``--repeats`` times: wall seconds, their ratio (best of each, and the median of the paired
ratios), the CPU seconds of the calling process during the 2-worker runs, and the CPU seconds
inside the chunks — in one process and summed over the two workers (if the latter is larger,
the chunks run slower side by side: shared cache / memory bandwidth / clock, not dispatch).

The control (the machine's ceiling): the same harness — ``run_chunks`` on the same warm pool,
32 tasks of ~40 ms each (about a chunk of ``simulate_power``) — running

* ``compute``: a compiled (numba) loop with no memory traffic;
* ``numpy``: numpy elementwise passes and a sort on 40,000-element arrays (the simulator's
  block size: cache-resident);
* ``stream``: numpy passes over 32 MB arrays (memory bandwidth bound).

On a machine with two idle cores ``compute`` scales ×2 up to the harness's own overhead;
``simulate_power`` cannot beat what ``numpy`` and ``stream`` get. The load average (1 min) is
printed with every figure: with other work on the cores, wall ratios are meaningless.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import ctcstats
from ctcstats.batch.parallel import run_chunks
from ctcstats.designs import get_design
from ctcstats.designs.power import _power_chunk, _seed_root, power_analysis, simulate_power


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


# ----------------------------------------------------------------------------- control kernels
_JIT: dict = {}


def _compute_kernel():
    if "loop" not in _JIT:
        import numba

        @numba.njit(cache=False)
        def loop(n):  # a dependent chain of multiply-adds: registers only
            x, s = 1.0, 0.0
            for _ in range(n):
                x = x * 1.0000001 + 1e-9
                s += x
            return s

        loop(10)
        _JIT["loop"] = loop
    return _JIT["loop"]


def _control(task, shared):
    """One control task: ``shared`` = (kind, size); returns (pid, CPU s, wall s)."""
    kind, size = shared
    if kind == "compute":
        f = _compute_kernel()
        t0, w0 = time.process_time(), time.perf_counter()
        f(size)
    elif kind == "numpy":
        a = np.random.default_rng(task).random(40_000)
        t0, w0 = time.process_time(), time.perf_counter()
        for _ in range(size):
            b = np.exp(a) * a + np.sqrt(a)
            np.sort(b)
    else:  # stream
        a = np.ones(4_000_000)
        t0, w0 = time.process_time(), time.perf_counter()
        for _ in range(size):
            a += 1.0
    return os.getpid(), time.process_time() - t0, time.perf_counter() - w0


def _calibrate(kind: str, target: float = 0.04) -> int:
    """The size that makes one control task take about ``target`` CPU seconds."""
    size = {"compute": 1_000_000, "numpy": 2, "stream": 2}[kind]
    _control(0, (kind, size))
    cpu = max(_control(0, (kind, size))[1], 1e-4)
    return max(1, int(size * target / cpu))


def _chunk_cpu(task, shared):
    t0 = time.process_time()
    _power_chunk(task, shared)
    return os.getpid(), time.process_time() - t0, 0.0


# ----------------------------------------------------------------------------- measurements
def _alternate(run1, run2, repeats):
    """Wall seconds of run1 and run2 alternated; CPU of this process during run2."""
    w1, w2, parent = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run1()
        w1.append(time.perf_counter() - t0)
        t0, c0 = time.perf_counter(), time.process_time()
        run2()
        w2.append(time.perf_counter() - t0)
        parent.append(time.process_time() - c0)
    ratios = [a / b for a, b in zip(w1, w2, strict=True)]
    return w1, w2, parent, ratios


def _inside(func, tasks, shared):
    """CPU seconds inside the tasks: in this process, and on 2 workers (sum, busiest)."""
    one = sum(r[1] for r in run_chunks(func, tasks, shared=shared))
    per: dict[int, float] = {}
    for pid, cpu, _ in run_chunks(func, tasks, n_jobs=2, shared=shared):
        per[pid] = per.get(pid, 0.0) + cpu
    return one, sum(per.values()), max(per.values()), len(per)


def _row(label, w1, w2, parent, ratios, inside):
    one, two, busiest, nw = inside
    return (f"  {label:10s} 1 worker {min(w1):6.2f} s  2 workers {min(w2):6.2f} s  "
            f"x{min(w1) / min(w2):4.2f} (median of pairs x{np.median(ratios):4.2f})  "
            f"parent CPU {np.median(parent):5.2f} s  | inside the tasks: 1 process "
            f"{one:5.2f} s, 2 workers {two:5.2f} s ({two / one:4.2f}x; busiest {busiest:.2f} s"
            f"{'' if nw == 2 else f', {nw} workers used'})  {_load()}")


def bench_scale_out(keys, *, n_sim: int, repeats: int) -> None:
    from ctcstats.designs._seeds import SeedStream

    print(f"\n[6] one worker against two (warm pool, {repeats} alternated repeats; best wall "
          "times; CPU seconds; load average = 1-minute)")
    # start the pool and warm both workers (imports, compiled kernels) before any clock
    for key in keys:
        simulate_power(key, n_sim=64, rng=0, progress=False)
        for _ in range(2):
            simulate_power(key, n_sim=64, rng=0, n_jobs=2, chunk_size=8, progress=False)
    print("  simulate_power, published analysis:")
    for key in keys:
        d = get_design(key)
        a = power_analysis(d)
        n = int(d.n.value)
        res = {}

        def run(jobs, key=key, res=res):
            res[jobs] = simulate_power(key, n_sim=n_sim, rng=1, n_jobs=jobs, progress=False)

        w1, w2, parent, ratios = _alternate(lambda: run(1), lambda: run(2), repeats)
        same = res[1].replicates.equals(res[2].replicates)
        size = min(int(np.clip(200_000 // n, 1, 100)), max(8, -(-n_sim // 32)))
        tasks = [(i, min(size, n_sim - i)) for i in range(0, n_sim, size)]
        shared = (d, a, n, "efron", SeedStream(_seed_root(1)).take(n_sim))
        inside = _inside(_chunk_cpu, tasks, shared)
        print(_row(key, w1, w2, parent, ratios, inside)
              + f"  [{n_sim} replicates, {len(tasks)} chunks; identical: {same}]", flush=True)
    print("  control (same harness, 32 tasks of ~40 ms):")
    tasks = list(range(32))
    for kind in ("compute", "numpy", "stream"):
        shared = (kind, _calibrate(kind))
        run_chunks(_control, tasks[:4], n_jobs=2, shared=shared)  # compile on the workers
        w1, w2, parent, ratios = _alternate(
            lambda shared=shared: run_chunks(_control, tasks, shared=shared),
            lambda shared=shared: run_chunks(_control, tasks, n_jobs=2, shared=shared),
            repeats)
        print(_row(kind, w1, w2, parent, ratios, _inside(_control, tasks, shared)), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", default="braun2005,janni2016,rack2014")
    ap.add_argument("--n-sim", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"ctcstats {ctcstats.__version__}, numpy {np.__version__}, python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores, {_load()}")
    bench_scale_out(args.designs.split(","), n_sim=400 if args.quick else args.n_sim,
                    repeats=1 if args.quick else args.repeats)
    return 0


if __name__ == "__main__":
    # run as the importable module bench_scale_out, so that the workers import the task
    # functions (and keep their compiled kernel) instead of receiving copies by value
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_scale_out

    sys.exit(bench_scale_out.main())
