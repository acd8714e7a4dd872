"""Seeded inputs of missing_augment.R: a 3-level category ``z`` that never takes level 0 when
``g == 1`` and a binary ``b`` that is never 1 when ``g == 1`` (quasi-complete separation),
with a continuous ``x`` (age-like, in years). Run from the repository root:
``python tests/reference/missing_augment/make_inputs.py``."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261203)
n = 300
x = np.round(rng.normal(60.0, 10.0, n), 1)
g = (rng.random(n) < 0.3).astype(int)
eta1 = 0.5 + 0.03 * (x - 60.0)
eta2 = -0.2 + 0.05 * (x - 60.0)
p = np.column_stack([np.ones(n), np.exp(eta1), np.exp(eta2)])
p[g == 1, 0] = 0.0
p /= p.sum(axis=1, keepdims=True)
z = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
b = (rng.random(n) < 0.3).astype(int) * (1 - g)
out = Path(__file__).resolve().parent / "inputs"
out.mkdir(exist_ok=True)
pd.DataFrame({"x": x, "g": g, "z": z, "b": b}).to_csv(out / "separated.csv", index=False)
