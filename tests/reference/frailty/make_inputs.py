"""Seeded inputs for the shared-frailty R reference (run from the repo root).

Writes ``tests/reference/frailty/inputs/pooled.csv``; ``frailty.R`` also writes R's ``rats``
(100 litters, Mantel et al.) and ``kidney`` (38 patients, 2 recurrences each) data sets.

pooled  8 studies of 60–150 patients with a CTC-positivity effect (log HR 0.6), age, a
        gamma-distributed study frailty (variance 0.3) and uniform censoring; ``months``
        rounded to 0.5 (ties).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261203


def pooled(rng: np.random.Generator) -> pd.DataFrame:
    sizes = rng.integers(60, 151, 8)
    frail = rng.gamma(1 / 0.3, 0.3, 8)
    rows = []
    for s, (m, z) in enumerate(zip(sizes, frail, strict=True)):
        ctc = rng.binomial(1, 0.25 + 0.03 * s, m)
        age = rng.normal(57, 9, m).round(0)
        lam = 0.02 * z * np.exp(0.6 * ctc + 0.015 * (age - 57))
        t = rng.exponential(1 / lam)
        c = rng.uniform(24, 96, m)
        rows.append(pd.DataFrame({
            "study": f"S{s + 1}", "ctc_positive": ctc, "age": age,
            "months": np.round(np.minimum(t, c) * 2) / 2, "event": (t <= c).astype(int)}))
    out = pd.concat(rows, ignore_index=True)
    out.loc[out["months"] == 0, "months"] = 0.5
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pooled(np.random.default_rng(SEED)).to_csv(OUT / "pooled.csv", index=False)


if __name__ == "__main__":
    main()
