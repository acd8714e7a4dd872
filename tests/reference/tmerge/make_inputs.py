"""Seeded synthetic input for tmerge.R: delayed entry, draws before/at entry, at the end of
follow-up and after it, ties between draw and event times, numeric, integer and string values
(run: python make_inputs.py; writes inputs/synth_patients.csv and inputs/synth_draws.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261202)
n = 40
entry = np.where(rng.random(n) < 0.3, rng.integers(1, 4, n).astype(float), 0.0)
time = entry + rng.integers(2, 30, n).astype(float)
pat = pd.DataFrame({"pid": np.arange(101, 101 + n), "entry": entry, "time": time,
                    "status": rng.integers(0, 2, n), "age": rng.normal(60, 8, n).round(1)})
rows = []
for p, e, t in zip(pat.pid, entry, time, strict=True):
    times = {float(e) - 1, float(e), *rng.integers(0, int(t) + 4, 4).astype(float)}
    for d in sorted(times):
        rows.append((p, d, int(rng.poisson(4)), round(float(rng.normal(1, 0.5)), 3),
                     str(rng.choice(["low", "mid", "high"]))))
dr = pd.DataFrame(rows, columns=["pid", "day", "count", "level", "grade"])
dr = dr.sample(frac=1.0, random_state=1).reset_index(drop=True)  # row order must not matter
out = Path(__file__).resolve().parent / "inputs"
out.mkdir(exist_ok=True)
pat.to_csv(out / "synth_patients.csv", index=False)
dr.to_csv(out / "synth_draws.csv", index=False)
