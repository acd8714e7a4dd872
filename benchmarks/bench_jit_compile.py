"""Benchmark (issues 14 and 15): the cold compile of the numba kernels, and a first report.

Run from the repository root (not part of the test suite)::

    python benchmarks/bench_jit_compile.py            # compile seconds per kernel
    python benchmarks/bench_jit_compile.py --report   # a cold then a warm braun2005 report

numba caches the compiled kernels on disk (``cache=True``), keyed on each source file's
modification time, so the cache of a fresh clone (or of an edited kernel module) is invalid
and the first call of each kernel compiles it. The default mode compiles every kernel of the
package on tiny inputs, each kernel module in a fresh subprocess with an empty temporary
``NUMBA_CACHE_DIR``, through the functions the package calls them from (so the kernels get
the argument types of the package's own calls). Per kernel it prints the CPU seconds of the
first call less those of a second, identical call (the compile; the run on tiny inputs is
~0), and the number of specializations of the package's jitted functions compiled for it
(each distinct argument-type signature of a function — dtype, layout, read-only-ness,
literal constants — is a separate compile). Kernels of one module share their helpers, which
compile with the first kernel that calls them.

``--report`` times ``ctcstats report --design braun2005 --seed 1`` with
``CTCSTATS_REPORT_JOBS=1`` in a subprocess twice: with an empty cache directory (cold: every
kernel the report uses compiles) and again with the cache it left (warm). Wall and CPU
(user + system of the child) seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- the cases: one per kernel, grouped by kernel module ----------------------------------

def _cox_data(R=3, n=40, p=2, seed=1):
    rng = np.random.default_rng(seed)
    time_ = rng.exponential(1.0, (R, n)).round(2) + 0.01
    event = rng.integers(0, 2, (R, n)).astype(bool)
    X = rng.normal(size=(R, n, p))
    X[:, :, 0] = rng.integers(0, 2, (R, n))  # an indicator (the marker) and a numeric one
    return time_, event, X


def _case_cox_fit_batch():
    from ctcstats.batch import batch_cox_arrays

    time_, event, X = _cox_data()
    strata = np.tile(np.arange(40) % 2, (3, 1))
    batch_cox_arrays(time_, event, X, strata=strata)
    batch_cox_arrays(time_, event, X, start=time_ / 2)


def _case_cox_fit_single():
    from ctcstats.survival._core.cox import _fit_compiled, prepare_cox_data

    time_, event, X = _cox_data(R=1)
    d = prepare_cox_data(X[0], time_[0], event[0])
    _fit_compiled(d, "efron", 1e-9, 20, 1e-9)


def _case_cox_loglik_batch():
    from ctcstats.batch import batch_cox_loglik

    time_, event, X = _cox_data()
    batch_cox_loglik(time_, event, X, np.zeros((3, 2)))


def _case_pair_counts_fenwick():
    from ctcstats.survival._core._concordance_jit import pair_counts_fenwick

    rng = np.random.default_rng(2)
    q = [rng.integers(0, 9, 30) for _ in range(3)] + [np.ones(30)]
    pts = [rng.integers(0, 9, 30) for _ in range(3)] + [np.ones(30)]
    pair_counts_fenwick(*q, *pts, 9)


def _case_row_orders():
    from ctcstats.survival._core._concordance_jit import row_orders

    row_orders(np.random.default_rng(3).normal(size=(4, 30)))


def _case_c_counts_replicates():
    from ctcstats.survival._core._concordance_jit import c_counts_replicates

    rng = np.random.default_rng(4)
    c_counts_replicates(rng.normal(size=(4, 30)), rng.integers(0, 20, 30),
                        rng.integers(0, 2, 30), rng.integers(0, 3, (4, 30)).astype(float))


def _case_suffix_sums_at():
    from ctcstats.survival._core.cox import _suffix_sums, prepare_cox_data

    time_, event, X = _cox_data(R=1)
    d = prepare_cox_data(X[0], time_[0], event[0])
    _suffix_sums(d, np.ones((40, 2)))


def _h0_inputs():
    rng = np.random.default_rng(5)
    n, B = 30, 4
    return (rng.exponential(1.0, n).round(1), rng.integers(0, 2, n).astype(bool),
            rng.integers(0, 3, (B, n)), rng.normal(size=(B, n)))


def _case_baseline_hazard_at():
    from ctcstats.prognostic.added_value_jit import baseline_hazard_at

    t, e, counts, lp = _h0_inputs()
    baseline_hazard_at(t, e, counts, lp, np.ones(4, bool), 1.0, "efron")


def _case_baseline_hazard_curve():
    from ctcstats.prognostic.added_value_jit import baseline_hazard_curve, time_order

    t, e, counts, lp = _h0_inputs()
    baseline_hazard_curve(time_order(t), t, e, counts[0], lp[0], "efron")


def _case_weighted_aucs():
    from ctcstats.prognostic.added_value_jit import weighted_aucs_sets

    rng = np.random.default_rng(6)
    weighted_aucs_sets(rng.normal(size=(4, 30)), [(rng.random((4, 30)), rng.random((4, 30))),
                                                  (rng.random((1, 30)), rng.random((1, 30)))])


def _case_horizon_curves():
    from ctcstats.prognostic.added_value_jit import horizon_curves

    t, e, counts, _ = _h0_inputs()
    horizon_curves(t, e, counts.astype(float), 1.0)


def _case_horizon_ipcw():
    from ctcstats.prognostic.added_value_jit import horizon_ipcw

    t, e, counts, _ = _h0_inputs()
    horizon_ipcw(t, e, counts.astype(float), 1.0, e & (t <= 1.0), t > 1.0)


def _case_centred_lp():
    from ctcstats.prognostic.added_value_jit import centred_lp

    x = np.random.default_rng(7).normal(size=(30, 2))
    beta = np.array([0.5, -0.2])
    centred_lp(x, x.mean(axis=0), beta)
    beta.setflags(write=False)  # the validation passes a fit's (read-only) coefficients
    centred_lp(x, x.mean(axis=0), beta)


def _case_wolbers_sweeps():
    from ctcstats.prognostic._metrics_common import Censoring
    from ctcstats.prognostic.competing import _JIT_MIN_ROWS, _wolbers

    rng = np.random.default_rng(9)
    n = _JIT_MIN_ROWS  # the compiled sweeps run from this many patients on
    t = rng.exponential(1.0, n).round(2) + 0.01
    codes = rng.integers(0, 3, n)
    _wolbers(t, codes, 1, rng.normal(size=n), 1.0, Censoring.fit(t, codes > 0))


def _case_fg_risk_sums():
    from ctcstats.survival._finegray_jit import fg_risk_sums

    rng = np.random.default_rng(8)
    n, p = 30, 2
    fg_risk_sums(rng.random(n), rng.normal(size=(n, p)), rng.random(n),
                 np.array([0, 5, 9, 20], np.int64), rng.random(4), True)


MODULES = {
    "survival/_core/cox_kernel.py": ["cox_fit_batch", "cox_fit_single", "cox_loglik_batch"],
    "survival/_core/_concordance_jit.py": ["pair_counts_fenwick", "row_orders",
                                           "c_counts_replicates"],
    "survival/_core/_risksum_jit.py": ["suffix_sums_at"],
    "prognostic/added_value_jit.py": ["baseline_hazard_at", "baseline_hazard_curve",
                                      "weighted_aucs", "horizon_curves", "horizon_ipcw",
                                      "centred_lp"],
    "prognostic/competing_jit.py": ["wolbers_sweeps"],
    "survival/_finegray_jit.py": ["fg_risk_sums"],
}


def _run_module(module: str) -> list[dict]:
    """In this (fresh) process: each kernel of ``module`` twice; CPU of the first call less
    the second's, and the specializations compiled."""
    from numba.core import event

    compiled: list[str] = []

    class _Count(event.Listener):
        def on_start(self, ev):
            pass

        def on_end(self, ev):
            f = ev.data["dispatcher"].py_func
            if f.__module__.startswith("ctcstats"):
                compiled.append(f.__name__)

    event.register("numba:compile", _Count())
    import numba  # noqa: F401  (imported before the clock starts)

    rows = []
    for name in MODULES[module]:
        case = globals()[f"_case_{name}"]
        compiled.clear()
        t0 = time.process_time()
        case()
        first = time.process_time() - t0
        t0 = time.process_time()
        case()
        second = time.process_time() - t0
        rows.append(dict(kernel=name, seconds=first - second, specializations=len(compiled),
                         functions=sorted(set(compiled))))
    return rows


def compile_table(python: str, only: str | None = None, verbose: bool = False) -> None:
    total = 0.0
    print(f"{'module / kernel':<46} {'compile CPU s':>13} {'compiles':>8}")
    for module in MODULES:
        if only and only not in module:
            continue
        with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT)
            out = subprocess.run([python, os.path.abspath(__file__), "--module", module],
                                 env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        rows = json.loads(out.stdout.strip().splitlines()[-1])
        sub = sum(r["seconds"] for r in rows)
        total += sub
        print(f"{module:<46} {sub:13.2f}")
        for r in rows:
            print(f"  {r['kernel']:<44} {r['seconds']:13.2f} {r['specializations']:8d}")
            if verbose:
                print(f"    {', '.join(r['functions'])}")
    print(f"{'total':<46} {total:13.2f}")


def _child_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def report_timing(python: str) -> None:
    code = ("from ctcstats.cli import main; "
            "main(['report', '--design', 'braun2005', '--seed', '1', '--out', {!r}])")
    with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
        out = os.path.join(cache, "braun2005.html")
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=ROOT,
                   CTCSTATS_REPORT_JOBS="1")
        for label in ("cold", "warm"):
            c0, w0 = _child_cpu(), time.perf_counter()
            subprocess.run([python, "-c", code.format(out)], env=env, cwd=ROOT, check=True,
                           capture_output=True)
            print(f"{label}: {time.perf_counter() - w0:6.1f} s wall, "
                  f"{_child_cpu() - c0:6.1f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report", action="store_true",
                    help="time a cold and a warm braun2005 report instead")
    ap.add_argument("--only", help="only the kernel modules whose path contains this")
    ap.add_argument("--verbose", action="store_true",
                    help="list the functions compiled for each kernel")
    ap.add_argument("--module", help=argparse.SUPPRESS)  # the child process's part
    args = ap.parse_args()
    if args.module:
        print(json.dumps(_run_module(args.module)))
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if args.report:
        report_timing(sys.executable)
    else:
        compile_table(sys.executable, args.only, args.verbose)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
