"""Calibrate the hazard parameters of the registered designs; write ``<key>.calibrated.toml``.

For each design, the parameters listed in its ``[calibration]`` table are solved (Levenberg–Marquardt
on a fixed-seed synthetic cohort, see :func:`ctcstats.designs.calibrate.calibrate_design`) so
that the published analyses reproduce the listed published results. The hand-edited design
file ``ctcstats/designs/data/<key>.toml`` is never written: the solution goes to
``<key>.calibrated.toml`` beside it (replaced whole, written with tomli-w), with the seed, the
cohort size and the achieved value of every target. The loader merges it, and
``StudyDesign.numbers()`` shows those values with status ``calibrated``.

Usage::

    python scripts/calibrate_designs.py            # every design
    python scripts/calibrate_designs.py lucci2012  # some designs
    python scripts/calibrate_designs.py --n 100000 --seed 20240611 --jobs 2
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import tomli_w

DATA = Path(__file__).resolve().parents[1] / "ctcstats" / "designs" / "data"
SUFFIX = ".calibrated.toml"
HEADER = ("# written by scripts/calibrate_designs.py; do not edit by hand (rerun the script). "
          "Values here replace the\n# starting values of the same parameters in {name}.\n")


def _run(key: str, n: int, seed: int, resume: bool = False, max_iter: int = 12,
         step: float = 0.05):
    from ctcstats.designs import calibrate, load_design_file

    design = load_design_file(DATA / f"{key}.toml", calibrated=resume)
    t0 = time.time()
    log: list[str] = []
    solved, fit = calibrate.calibrate_design(design, n=n, rng=seed, verbose=log.append,
                                             max_iter=max_iter, step=step)
    return key, solved, fit, time.time() - t0


def calibrated_toml(key: str, solved: dict, fit: list, n: int, seed: int) -> str:
    """The text of ``<key>.calibrated.toml`` (tomli-w; floats written with ``repr``, so the
    numbers read back bit for bit)."""
    doc = {
        "seed": int(seed),
        "n": int(n),
        "parameters": {str(name): float(v) for name, v in solved.items()},
        "fit": [{"target": str(t), "published": float(p), "achieved": float(a)}
                for t, p, a in fit],
    }
    return HEADER.format(name=f"{key}.toml") + tomli_w.dumps(doc)


def write_calibrated(key: str, solved: dict, fit: list, n: int, seed: int,
                     data: Path = DATA) -> Path:
    path = data / f"{key}{SUFFIX}"
    path.write_text(calibrated_toml(key, solved, fit, n, seed), encoding="utf-8")
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("keys", nargs="*")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--resume", action="store_true",
                    help="start from the values already calibrated (the .calibrated.toml)")
    ap.add_argument("--max-iter", type=int, default=12)
    ap.add_argument("--step", type=float, default=0.05,
                    help="finite-difference step on the transformed parameter scale")
    args = ap.parse_args(argv)
    keys = args.keys or sorted(p.name[:-5] for p in DATA.glob("*.toml")
                               if not p.name.endswith(SUFFIX))
    keys = [k for k in keys if re.match(r"^[a-z0-9_]+$", k)]
    with ProcessPoolExecutor(max_workers=args.jobs) as ex:
        futs = [ex.submit(_run, k, args.n, args.seed, args.resume, args.max_iter, args.step)
                for k in keys]
        for f in futs:
            key, solved, fit, secs = f.result()
            write_calibrated(key, solved, fit, args.n, args.seed)
            worst = max(abs(a / p - 1) for _, p, a in fit)
            print(f"{key}: {secs:.0f} s, worst relative miss {worst:.3%}")
            for t, p, a in fit:
                print(f"    {t:<40} published {p:9.4g}  achieved {a:9.4g}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
