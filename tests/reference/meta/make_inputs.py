"""Seeded inputs for the metafor reference tests (run from the repo root).

* ``published_ebc``: early-breast-cancer CTC/DTC hazard ratios from published_designs.md
  (Janni 2016 DFS, Rack 2014 DFS, Lucci 2012 PFS, Braun 2005 DFS 0–5 y, PADDY DFS is
  missing its CI so it is not used), log-HR and SE from the 95% CIs.
* ``hetero``: 12 synthetic studies with clear heterogeneity (seeded).
* ``homog``: 7 studies without heterogeneity (τ² at the boundary 0 for REML).
* ``bcg``: the real BCG vaccine trials (``metadat::dat.bcg``) as log risk ratios; written by
  the R script itself from the data set that ships with metafor, so both sides read the
  same rows.
"""

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
OUT.mkdir(exist_ok=True)
z = 1.959963984540054

pub = pd.DataFrame(
    {
        "study": ["Janni 2016", "Rack 2014", "Lucci 2012", "Braun 2005 (0-5y)"],
        "hr": [1.82, 2.11, 4.62, 1.85],
        "lower": [1.47, 1.49, 1.79, 1.58],
        "upper": [2.26, 2.99, 11.9, 2.14],
    }
)
pub["yi"] = np.log(pub["hr"])
pub["sei"] = (np.log(pub["upper"]) - np.log(pub["lower"])) / (2 * z)
pub.to_csv(OUT / "published_ebc.csv", index=False, float_format="%.17g")

rng = np.random.default_rng(2005)
k = 12
sei = rng.uniform(0.08, 0.45, k)
theta = rng.normal(0.7, 0.35, k)
pd.DataFrame({"study": [f"S{i + 1:02d}" for i in range(k)],
              "yi": rng.normal(theta, sei), "sei": sei}).to_csv(
    OUT / "hetero.csv", index=False, float_format="%.17g")

pd.DataFrame({"study": [f"H{i + 1}" for i in range(7)],
              "yi": [0.59, 0.64, 0.71, 0.44, 1.03, 0.20, 0.77],
              "sei": [0.11, 0.14, 0.25, 0.17, 0.30, 0.21, 0.19]}).to_csv(
    OUT / "homog.csv", index=False, float_format="%.17g")
