"""The ``ctcstats power`` sub-command: power or sample size of a design by simulation.

Registered in :mod:`ctcstats.cli` with ``add_power_command(sub)``. Examples::

    ctcstats power --design janni2016 --n 2000 --n-sim 1000 --seed 1 --out power.json
    ctcstats power --design lucci2012 --target-power 0.9 --n-sim 500 --seed 1 --out n.csv

``--out`` ending in ``.csv`` gets the table (replicates, or the evaluated n for
``--target-power``); any other name gets the full result as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["add_power_command"]


def add_power_command(subparsers) -> None:
    """Add ``power`` to an ``argparse`` sub-parser collection (handler in ``handler``)."""
    p = subparsers.add_parser(
        "power",
        help="power (or sample size) of a design by simulation",
        description="Simulate cohorts of a design, run its published analysis on each and "
                    "report the power (or the smallest n reaching --target-power).",
    )
    p.add_argument("--design", required=True,
                   help="registry key (see 'ctcstats designs') or a design TOML file")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--n", type=int, default=None,
                      help="patients per simulated cohort (default: the published size)")
    size.add_argument("--target-power", type=float, default=None,
                      help="find the smallest n with at least this power instead")
    p.add_argument("--n-sim", type=int, default=1000, help="simulated cohorts (default 1000)")
    p.add_argument("--alpha", type=float, default=0.05, help="two-sided level (default 0.05)")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--analysis", default=None,
                   help="result id of the design whose analysis is powered (default: the "
                        "first hazard-ratio result)")
    p.add_argument("--test", choices=("cox", "logrank"), default=None,
                   help="override the analysis' test")
    p.add_argument("--n-jobs", type=int, default=1, help="worker processes (-1: all cores)")
    p.add_argument("--scheduler", default=None,
                   help="dask scheduler address (tcp://host:port) to run on a cluster")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, help="output file (.json or .csv)")
    p.set_defaults(handler=_cmd_power)


def _cmd_power(args) -> int:
    from .power import PowerResult, SampleSizeResult, sample_size, simulate_power
    from .registry import get_design, load_design_file

    design = args.design
    if design.endswith(".toml") or Path(design).is_file():
        design = load_design_file(design)
    else:
        design = get_design(design)
    common = dict(n_sim=args.n_sim, alpha=args.alpha, rng=args.seed, n_jobs=args.n_jobs,
                  analysis=args.analysis, test=args.test, client=args.scheduler,
                  progress=False if args.quiet else None)
    out = Path(args.out)
    res: SampleSizeResult | PowerResult
    if args.target_power is not None:
        res = sample_size(design, target_power=args.target_power, **common)
        table = res.table
        line = (f"{res.design}: n = {res.n} gives power {res.power:.3f} "
                f"({res.ci_lower:.3f}–{res.ci_upper:.3f}) ≥ {res.target_power:g}")
    else:
        res = simulate_power(design, n=args.n, **common)
        table = res.replicates
        line = (f"{res.design}: power {res.power:.3f} ({res.ci_lower:.3f}–{res.ci_upper:.3f}) "
                f"at n = {res.n}, {res.n_sim} simulations, mean events {res.mean_events:.1f}")
    if out.suffix.lower() == ".csv":
        table.to_csv(out, index=False, lineterminator="\n")
    else:
        out.write_text(json.dumps(res.to_dict(), indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    print(line)
    print(f"analysis: {res.analysis}")
    print(f"wrote {out}")
    return 0
