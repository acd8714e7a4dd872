"""Simulation: ordinal and categorical covariates missing for whole studies of a pooled cohort,
imputed with ``impute(study_col=..., study_model="random")`` (docs/simulations/multilevel_cat.md).

The design, the comparators and one replicate are those of
``tests/missing/test_impute_multilevel_cat_simulation.py`` (loaded from there, so the test
and the documented run are the same code). Seeded: cohort k uses seed k.

Usage::

    nice python scripts/multilevel_cat_simulation.py run FIRST LAST out.csv [m] [n_iter]
    nice python scripts/multilevel_cat_simulation.py fcs_check FIRST LAST out.csv
    python scripts/multilevel_cat_simulation.py summary out.csv [more.csv ...]

``run`` appends one cohort's rows at a time (an interrupted run keeps what it has);
``fcs_check`` runs standard FCS on the same cohorts (m = 10, 5 cycles): without the
study (gaps kept), and on the cohorts' sporadic missingness alone (no whole-study gaps) with
the study random or fixed — to tell the FCS approximation's own bias from the two-stage
model's. ``summary`` prints bias, empirical SD, mean SE and coverage per method and term, with
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


def fcs_check(first: int, last: int, out: str) -> None:
    import warnings

    import ctcstats as cs

    sim = _design()
    warnings.simplefilter("ignore", cs.CTCStatsWarning)
    rows = []
    for seed in range(first, last + 1):
        full, holed = sim._cohort(seed)
        sporadic = cs.add_missingness(full, rates={"grade": 0.2, "site": 0.15},
                                      depends_on=["event", "x"], strength=1.0, rng=seed + 1)
        random = {"study_col": "study", "study_model": "random"}
        for name, data, kw in [("fcs_nostudy_gaps", holed, {}),
                               ("fcs_random_nogaps", sporadic, random),
                               ("fcs_fixed_nogaps", sporadic, {"study_col": "study"})]:
            imp = cs.impute(data, covariates=sim.COV, method="fcs", n_imputations=10,
                            n_iter=5, rng=seed + 2, **kw, **sim.ROLES)
            rows.append(sim._pooled(imp).assign(method=name, seed=seed)
                        .rename_axis("term").reset_index())
        pd.concat(rows).to_csv(out, index=False)
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
    elif sys.argv[1] == "fcs_check":
        fcs_check(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        print(summary(sys.argv[2:]))
