"""Benchmark: time of ``ctcstats report`` per section, on a 10^5-row file and on a
built-in design (issue 14 targets: ≤ 45 s and ≤ 10 s).

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_report.py [--n 100000] [--design lucci2012] [--skip-large]

Writes a cohort of ``--n`` patients (simulated from janni2016, whose covariates and two
endpoints are those of a typical early-breast-cancer file) to a temporary CSV, times the
report of it (reading included) and of the built-in design, and prints the seconds spent in
each section (the report's own progress steps), so that the slow step is named. Wall and
CPU seconds (``time.process_time`` of this process; the machine is shared, so under load
the CPU figure is the comparable one). Numba's compiled kernels are cached on disk; run once
before timing on a fresh checkout (the first run includes their compilation).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def _timed_sections():
    """Wrap the report's section builders to record their wall time."""
    import ctcstats.report.build as B

    times: dict[str, float] = {}
    orig = B._plan

    def plan(*a, **k):
        secs = orig(*a, **k)
        for s in B._walk(secs):
            if s.build is not None:
                f = s.build

                def timed(f=f, key=f"{s.number} {s.title}"):
                    t0, c0 = time.perf_counter(), time.process_time()
                    try:
                        return f()
                    finally:
                        times[key] = (time.perf_counter() - t0, time.process_time() - c0)
                s.build = timed
        return secs

    B._plan = plan
    return times


def _report(label: str, args: list[str], times: dict) -> float:
    from ctcstats.cli import main

    times.clear()
    t0, c0 = time.perf_counter(), time.process_time()
    rc = main([*args, "--quiet"])
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert rc == 0, rc
    print(f"\n{label}: {total:.1f} s wall, {cpu:.1f} s CPU (sections: wall / CPU)")
    for k, (w, c) in sorted(times.items(), key=lambda kv: -kv[1][1])[:6]:
        print(f"  {w:7.2f} / {c:7.2f} s  {k}")
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--design", default="lucci2012")
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}")
    times = _timed_sections()
    tmp = Path(tempfile.mkdtemp())
    _report(f"design {args.design} (built-in)",
            ["report", "--design", args.design, "--out", str(tmp / "design.html")], times)
    if not args.skip_large:
        import ctcstats as cs

        df = cs.simulate_cohort("janni2016", rng=1, n=args.n)
        csv = tmp / "large.csv"
        df.to_csv(csv, index=False)
        cols = [c for c in ("age", "tumor_size_cm", "node_positive", "grade")
                if c in df.columns]
        _report(f"{args.n:,}-row CSV ({csv.stat().st_size / 1e6:.0f} MB)",
                ["report", str(csv), "--time-col", "dfs_months", "--event-col", "dfs_event",
                 "--marker-col", "ctc_count", "--threshold", "1", "--covariates",
                 ",".join(cols[:3]), "--out", str(tmp / "large.html")], times)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
