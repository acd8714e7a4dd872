"""Simulation: ordinal and categorical covariates missing for whole studies of a pooled cohort,
imputed with ``impute(study_col=..., study_model="random")`` (docs/simulations/multilevel_cat.md).

The design, the comparators and one replicate are those of
``tests/missing/test_impute_multilevel_cat_simulation.py`` (loaded from there, so the test
and the documented run are the same code). Seeded: cohort k uses seed k.

Usage::

    nice python scripts/multilevel_cat_simulation.py run FIRST LAST out.csv [m] [n_iter]
    python scripts/multilevel_cat_simulation.py summary out.csv [more.csv ...]

``run`` appends one cohort's rows at a time (an interrupted run keeps what it has);
``summary`` prints bias, empirical SD, mean SE and coverage per method and term, with
Monte-Carlo standard errors, as a markdown table.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd

TEST = (Path(__file__).resolve().parents[1] / "tests" / "missing"
        / "test_impute_multilevel_cat_simulation.py")


def _design():
    spec = importlib.util.spec_from_file_location("multilevel_cat_simulation", TEST)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run(first: int, last: int, out: str, m: int = 10, n_iter: int = 8) -> None:
    sim = _design()
    path = Path(out)
    done = set(pd.read_csv(path)["seed"]) if path.exists() else set()
    for seed in range(first, last + 1):
        if seed in done:
            continue
        rows = sim.replicate(seed, m=m, n_iter=n_iter)
        rows.to_csv(path, mode="a", header=not path.exists(), index=False)
        print(f"cohort {seed} done", flush=True)


def summary(paths: list[str]) -> str:
    sim = _design()
    res = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    summ = sim.summarise(res).reset_index()
    cols = ["method", "term", "n", "bias", "bias_mcse", "emp_sd", "mean_se", "coverage",
            "coverage_mcse"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in summ[cols].itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v)
                                        for v in row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
            *(int(a) for a in sys.argv[5:7]))
    else:
        print(summary(sys.argv[2:]))
