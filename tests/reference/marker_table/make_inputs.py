"""Seeded inputs for the marker-vs-clinical-factors reference tests (REMARK item 14).

Run from the repository root: ``python tests/reference/marker_table/make_inputs.py``.
Writes ``tests/reference/marker_table/inputs/*.csv``:

* ``cohort`` — n = 120 synthetic breast-cancer cohort: binary ``ctc_positive`` (≥ 5 CTC) and
  three-level ``ctc_group``; ``age`` (normal, 4 missing), ``tumor_size_cm`` (skewed),
  ``grade`` (1–3, ordered), ``node_positive`` (0/1), ``hr_status`` (strings, 3 missing),
  ``histology`` (rare levels → Fisher 2×3), ``her2_positive`` (rare → Fisher 2×2);
* ``gbsg2`` — lifelines' German Breast Cancer Study Group 2 data (n = 686) with the
  marker ``pr_positive`` = progesterone receptor > 20 fmol.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def cohort(n: int = 120, seed: int = 515) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ctc = rng.poisson(rng.gamma(0.4, 6.0, n))
    pos = ctc >= 5
    age = np.round(rng.normal(58 + 3 * pos, 10), 1)
    size = np.round(rng.lognormal(0.7 + 0.3 * pos, 0.5), 2)
    grade = np.clip(rng.binomial(2, 0.45 + 0.15 * pos) + 1, 1, 3)
    nodes = (rng.random(n) < 0.35 + 0.2 * pos).astype(int)
    hr = np.where(rng.random(n) < 0.75, "positive", "negative").astype(object)
    hist = rng.choice(["ductal", "lobular", "other"], size=n, p=[0.8, 0.14, 0.06])
    her2 = (rng.random(n) < 0.06).astype(int)
    group = np.where(ctc == 0, "0", np.where(ctc < 5, "1-4", ">=5"))
    age[[5, 17, 60, 99]] = np.nan
    hr[[8, 40, 77]] = None
    return pd.DataFrame({
        "ctc_count": ctc, "ctc_positive": pos, "ctc_group": group, "age": age,
        "tumor_size_cm": size, "grade": grade, "node_positive": nodes, "hr_status": hr,
        "histology": hist, "her2_positive": her2,
    })


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cohort().to_csv(OUT / "cohort.csv", index=False)
    from lifelines.datasets import load_gbsg2

    g = load_gbsg2()[["age", "menostat", "tsize", "tgrade", "pnodes", "progrec", "horTh"]]
    g = g.assign(pr_positive=(g["progrec"] > 20).astype(int))
    g.to_csv(OUT / "gbsg2.csv", index=False)


if __name__ == "__main__":
    main()
