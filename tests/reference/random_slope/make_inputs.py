"""Seeded input for the random-marker-slope R reference (run from the repo root).

ipd  10 studies of 80–200 patients; CTC positivity (prevalence 0.2–0.5 by study); log HR of
     CTC 0.6 + N(0, 0.35²) by study; study baseline log hazard N(0, 0.4²); age; exponential
     event times (baseline 0.015/month), uniform censoring 12–84 months; months rounded to 0.1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261204


def ipd(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s in range(10):
        m = int(rng.integers(80, 201))
        prev = rng.uniform(0.2, 0.5)
        a, b = rng.normal(0, 0.4), 0.6 + rng.normal(0, 0.35)
        ctc = rng.binomial(1, prev, m)
        age = rng.normal(58, 10, m).round(0)
        lam = 0.015 * np.exp(a + b * ctc + 0.01 * (age - 58))
        t = rng.exponential(1 / lam)
        c = rng.uniform(12, 84, m)
        rows.append(pd.DataFrame({"study": f"study_{s + 1:02d}", "ctc_positive": ctc,
                                  "age": age, "months": np.maximum(np.round(np.minimum(t, c), 1),
                                                                   0.1),
                                  "event": (t <= c).astype(int)}))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    ipd(np.random.default_rng(SEED)).to_csv(OUT / "ipd.csv", index=False)


if __name__ == "__main__":
    main()
