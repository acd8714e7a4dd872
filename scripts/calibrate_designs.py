"""Calibrate the hazard parameters of the registered designs and store them in the data files.

For each design, the parameters listed in its ``[calibration]`` table are solved (Levenberg–Marquardt
on a fixed-seed synthetic cohort, see :func:`ctcstats.designs.calibrate.calibrate_design`) so
that the published analyses reproduce the listed published results. The solution is written
to the end of ``ctcstats/designs/data/<key>.toml`` as a ``[calibrated]`` section (replacing
any previous one); the loader turns each value into an assumption labelled "calibrated by
scripts/calibrate_designs.py ...". The achieved value of every target is stored beside it.

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
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "ctcstats" / "designs" / "data"
MARK = "# ---- calibrated: written by scripts/calibrate_designs.py; do not edit by hand ----"


def _strip(text: str) -> str:
    i = text.find(MARK)
    return (text if i < 0 else text[:i]).rstrip() + "\n"


def _run(key: str, n: int, seed: int, resume: bool = False, max_iter: int = 12,
         step: float = 0.05):
    from ctcstats.designs import _schema, calibrate

    path = DATA / f"{key}.toml"
    text = path.read_text(encoding="utf-8")
    doc = tomllib.loads(text if resume else _strip(text))
    design = _schema.parse_design(doc, repr(path.name), path=str(path))
    t0 = time.time()
    log = []
    solved, fit = calibrate.calibrate_design(design, n=n, rng=seed, verbose=log.append,
                                             max_iter=max_iter, step=step)
    return key, solved, fit, time.time() - t0


def _write(key: str, solved: dict, fit: list, n: int, seed: int) -> None:
    path = DATA / f"{key}.toml"
    text = _strip(path.read_text(encoding="utf-8"))
    lines = ["", MARK, "[calibrated]", f"seed = {seed}", f"n = {n}", "",
             "[calibrated.parameters]"]
    for name, v in solved.items():
        lines.append(f'"{name}" = {v!r}')
    for target, published, achieved in fit:
        lines += ["", "[[calibrated.fit]]", f'target = "{target}"',
                  f"published = {float(published)!r}", f"achieved = {float(achieved)!r}"]
    path.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("keys", nargs="*")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--resume", action="store_true",
                    help="start from the values already calibrated in the file")
    ap.add_argument("--max-iter", type=int, default=12)
    ap.add_argument("--step", type=float, default=0.05,
                    help="finite-difference step on the transformed parameter scale")
    args = ap.parse_args(argv)
    keys = args.keys or sorted(p.stem for p in DATA.glob("*.toml"))
    keys = [k for k in keys if re.match(r"^[a-z0-9_]+$", k)]
    with ProcessPoolExecutor(max_workers=args.jobs) as ex:
        futs = [ex.submit(_run, k, args.n, args.seed, args.resume, args.max_iter, args.step)
                for k in keys]
        for f in futs:
            key, solved, fit, secs = f.result()
            _write(key, solved, fit, args.n, args.seed)
            worst = max(abs(a / p - 1) for _, p, a in fit)
            print(f"{key}: {secs:.0f} s, worst relative miss {worst:.3%}")
            for t, p, a in fit:
                print(f"    {t:<40} published {p:9.4g}  achieved {a:9.4g}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
