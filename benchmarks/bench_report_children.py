"""Benchmark: CPU seconds of each call a report starts in a forked child (``_prefetch.py``).

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_report_children.py [--design paddy] [--seed 1] [--repeat 1]
        [--only KEY] [--profile KEY] [--dump FILE]

Builds the report's context exactly as ``build_design_report`` does (same cohort, spec and
prepared frame), asks ``start_prognostic`` and ``start_competing`` for their calls through a
stand-in ``Prefetch`` that records the calls instead of forking, and runs each call in this
process under the report's runtime settings (``report_runtime``: one BLAS thread, no huge
pages), printing the CPU seconds (``time.process_time``) of each. ``--profile KEY`` runs that
call under cProfile and prints the top of the profile; ``--dump FILE`` pickles the values
(to compare two versions of the code for identical results). Numba caches compiled kernels
per source path: the first run from a new checkout compiles them; discard it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pickle
import pstats
import time


def _calls(design: str, seed: int) -> dict:
    from ctcstats.designs import get_design, simulate_cohort
    from ctcstats.report._prefetch import Prefetch
    from ctcstats.report.context import prepare_context
    from ctcstats.report.sections.competing import start_competing
    from ctcstats.report.sections.further import start_prognostic
    from ctcstats.report.spec import spec_from_design

    class Recorder(Prefetch):
        def __init__(self) -> None:
            super().__init__(enabled=True)
            self.calls: dict = {}

        def start_group(self, group, calls):  # record, do not fork
            self.calls.update(calls)
            return True

    d = get_design(design)
    spec = spec_from_design(d, rng=seed)
    data = simulate_cohort(d, rng=seed)
    ctx = prepare_context(data, spec)
    rec = Recorder()
    ctx.prefetch = rec
    start_prognostic(ctx)
    start_competing(ctx)
    return rec.calls


def _profiled(call, fn, a, kw):
    prof = cProfile.Profile()
    prof.enable()
    out = call(fn, *a, **kw)
    prof.disable()
    for order, n in (("cumulative", 60), ("tottime", 35)):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats(order).print_stats(n)
        print(s.getvalue(), flush=True)
    return out


def _in_child(call, fn, a, kw, profile: bool = False) -> float:
    """CPU seconds (user + system) of ``call(fn, *a, **kw)`` in a forked child (printing its
    profile when *profile*)."""
    import gc
    import os

    from ctcstats.report._prefetch import _share_modules

    _share_modules()  # what the report's parent loads before it forks
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        try:
            if profile:
                _profiled(call, fn, a, kw)
            else:
                call(fn, *a, **kw)
        finally:
            os._exit(0)
    gc.unfreeze()
    _, _, ru = os.wait4(pid, 0)
    return ru.ru_utime + ru.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default="paddy")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--profile", default=None)
    ap.add_argument("--dump", default=None)
    ap.add_argument("--fork", action="store_true",
                    help="run each call in a forked child, as the report does (first-call "
                         "costs such as imports then count in each call); CPU of the child")
    args = ap.parse_args()
    from ctcstats._warnings import call_capturing
    from ctcstats.report._runtime import report_runtime

    calls = _calls(args.design, args.seed)
    values = {}
    with report_runtime():
        for key, (fn, a, kw) in calls.items():
            if args.only and not any(key.startswith(o) for o in args.only):
                continue
            if args.profile and key.startswith(args.profile):
                if args.fork:
                    _in_child(call_capturing, fn, a, kw, profile=True)
                else:
                    values[key] = _profiled(call_capturing, fn, a, kw)
                continue
            cpu = []
            for _ in range(args.repeat):
                if args.fork:
                    cpu.append(_in_child(call_capturing, fn, a, kw))
                    continue
                c0 = time.process_time()
                values[key] = call_capturing(fn, *a, **kw)
                cpu.append(time.process_time() - c0)
            print(f"{key:32s} " + " ".join(f"{c:6.2f}" for c in cpu), flush=True)
    if args.dump:
        with open(args.dump, "wb") as fh:
            pickle.dump(values, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
