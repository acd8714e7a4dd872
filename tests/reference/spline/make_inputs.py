"""Seeded inputs of the marker-spline reference (tests/reference/spline/spline.R): a CTC-like
count with half zeros and a long tail, a hazard that rises with log(count + 1) and then
flattens (non-linear), age as an adjustment covariate; and a data set with a linear effect."""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def make(seed: int, n: int, shape: str) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    count = np.where(g.random(n) < 0.5, 0, g.negative_binomial(0.5, 0.05, n))
    lx = np.log(count + 1)
    age = g.normal(60, 9, n).round()
    eff = 1.2 * np.minimum(lx, 1.5) if shape == "plateau" else 0.35 * lx
    t = g.exponential(40 / np.exp(eff + 0.02 * (age - 60)))
    c = g.uniform(12, 72, n)
    return pd.DataFrame({"count": count.astype(int), "age": age,
                         "time": np.minimum(t, c).round(3), "event": (t <= c).astype(int)})


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    make(21, 500, "plateau").to_csv(OUT / "plateau.csv", index=False)
    make(22, 400, "linear").to_csv(OUT / "linear.csv", index=False)
