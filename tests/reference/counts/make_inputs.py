"""Seeded inputs for the count-model and sampling-interval references (run from the repo root).

Writes ``tests/reference/counts/inputs/``:

* ``ctc_small.csv`` (n = 150) and ``ctc_large.csv`` (n = 800): synthetic CTC cohorts whose counts
  come from a zero-inflated negative binomial with covariates (age, nodal status, stage as a
  three-level factor), blood volumes of 7.5 or 30 mL entering as exposure. Ties in the counts are
  plentiful by construction (many 0s and 1s).
* ``randhie.csv``: the first 2,000 rows of the RAND Health Insurance Experiment data shipped with
  statsmodels (``statsmodels.datasets.randhie``; outcome ``mdvis``, physician visits), a real
  over-dispersed, zero-heavy count outcome.
* ``poisson_ci.csv`` (count, volume_ml) and ``binom_ci.csv`` (x, n): inputs for the exact Poisson
  (``poisson.test``), Clopper–Pearson (``binom.test``) and Wilson (``prop.test(correct=FALSE)``)
  intervals, edge cases included (0 events, x = n).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def ctc_cohort(n: int, seed: int) -> pd.DataFrame:
    """A zero-inflated NB CTC cohort: structural zeros depend on nodal status and age."""
    rng = np.random.default_rng(seed)
    age = np.round(rng.normal(60, 10, n), 1)
    node = rng.binomial(1, 0.45, n)
    stage = rng.choice(np.array(["I", "II", "III"]), size=n, p=[0.35, 0.4, 0.25])
    volume = np.where(rng.random(n) < 0.7, 7.5, 30.0)
    stage_eff = np.select([stage == "II", stage == "III"], [0.4, 0.9], 0.0)
    log_rate = -1.6 + 0.25 * (age - 60) / 10 + 0.6 * node + stage_eff  # cells per mL
    mu = volume * np.exp(log_rate)
    theta = 0.9
    counts = rng.negative_binomial(theta, theta / (theta + mu))
    p_struct = 1 / (1 + np.exp(-(-0.3 - 1.0 * node + 0.02 * (age - 60))))
    counts = np.where(rng.random(n) < p_struct, 0, counts)
    return pd.DataFrame(
        {
            "patient_id": np.arange(1, n + 1),
            "age": age,
            "node_positive": node,
            "stage": stage,
            "blood_volume_ml": volume,
            "ctc_count": counts.astype(int),
        }
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    ctc_cohort(150, 20260101).to_csv(OUT / "ctc_small.csv", index=False)
    ctc_cohort(800, 20260102).to_csv(OUT / "ctc_large.csv", index=False)

    import statsmodels.api as sm

    rand = sm.datasets.randhie.load_pandas().data.iloc[:2000]
    rand = rand.loc[:, ["mdvis", "lncoins", "idp", "physlm", "disea"]].copy()
    rand["mdvis"] = rand["mdvis"].astype(int)
    rand.to_csv(OUT / "randhie.csv", index=False, float_format="%.10g")

    pois = pd.DataFrame(
        {
            "count": [0, 0, 1, 2, 3, 5, 5, 12, 47, 250, 1, 0],
            "volume_ml": [7.5, 30.0, 7.5, 7.5, 30.0, 7.5, 22.5, 7.5, 30.0, 7.5, 1.0, 1.0],
        }
    )
    pois.to_csv(OUT / "poisson_ci.csv", index=False)
    binom = pd.DataFrame(
        {
            "x": [0, 1, 5, 12, 40, 40, 3, 177, 0, 9],
            "n": [10, 10, 37, 12, 100, 400, 3, 500, 1, 10],
        }
    )
    binom.to_csv(OUT / "binom_ci.csv", index=False)


if __name__ == "__main__":
    main()
