"""Seeded multi-study cohort for the IPD pooling references (run from the repo root).

Six studies with different sizes, baseline hazards and marker prevalences; a true marker
log-HR of 0.6 with study-level variation (SD 0.2); an age covariate; times rounded to 0.1
month so that ties occur; administrative censoring at 60 months plus random drop-out.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
OUT.mkdir(exist_ok=True)
rng = np.random.default_rng(2014)
rows = []
for i, (n, prev, base) in enumerate([(420, 0.25, 0.010), (250, 0.35, 0.015), (610, 0.2, 0.008),
                                     (180, 0.45, 0.02), (330, 0.3, 0.012), (120, 0.3, 0.01)]):
    beta = 0.6 + rng.normal(0, 0.2)
    pos = (rng.random(n) < prev).astype(int)
    age = rng.normal(58, 10, n).round()
    lam = base * np.exp(beta * pos + 0.02 * (age - 58))
    t = rng.exponential(1 / lam)
    c = np.minimum(rng.uniform(20, 60, n), rng.exponential(200, n))
    rows.append(pd.DataFrame({"study": f"S{i + 1}", "dtc_positive": pos, "age": age,
                              "os_months": np.maximum(np.minimum(t, c), 0.1).round(1),
                              "os_event": (t <= c).astype(int)}))
pd.concat(rows, ignore_index=True).to_csv(OUT / "studies.csv", index=False)
