"""Seeded inputs for the prognostic-model R reference (run from the repo root).

Writes ``tests/reference/prognostic_models/inputs/<name>.csv``; ``prognostic_models.R`` fits
them with ``survival::coxph``, ``riskRegression`` and ``rms`` and writes ``outputs/*.json``.

Inputs
------
ctc300   n = 300 synthetic CTC cohort: clinical covariates ``age`` (whole years),
         ``tumor_size_cm`` (one decimal), ``node_positive`` (0/1), ``grade`` (1-3, numeric),
         the marker ``ctc_positive`` (0/1, true hazard ratio 2), ``os_months`` rounded to whole
         months (many tied event times, events tied with censorings) and ``os_event``.
ctc120   n = 120, same design, times rounded to 3 months (heavy ties).
gbsg2    lifelines.datasets.load_gbsg2() (German Breast Cancer Study Group 2) with the factors
         coded numerically: ``hormon`` (horTh yes = 1), ``meno`` (menostat Post = 1),
         ``grade`` (tgrade I/II/III = 1/2/3); ``time`` in days, ``cens`` the event.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261121


def ctc_cohort(rng: np.random.Generator, n: int, step: float) -> pd.DataFrame:
    """Weibull (shape 1.2) survival with clinical covariates and a CTC marker (HR 2)."""
    age = np.round(rng.normal(58, 10, n))
    size = np.round(rng.gamma(4.0, 0.6, n) + 0.1, 1)
    node = rng.binomial(1, 0.45, n)
    grade = rng.choice([1, 2, 3], n, p=[0.2, 0.5, 0.3])
    ctc = rng.binomial(1, 0.3 + 0.15 * node)
    lin = (0.02 * (age - 58) + 0.15 * (size - 2.5) + 0.5 * node + 0.3 * (grade - 2)
           + np.log(2.0) * ctc)
    scale, shape = 70.0, 1.2
    t_event = scale * (rng.exponential(size=n) / np.exp(lin)) ** (1 / shape)
    t_cens = rng.uniform(24.0, 96.0, n)
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(int)
    time = np.maximum(np.round(time / step) * step, step)
    return pd.DataFrame({"age": age, "tumor_size_cm": size, "node_positive": node,
                         "grade": grade, "ctc_positive": ctc, "os_months": time,
                         "os_event": event})


def gbsg2() -> pd.DataFrame:
    from lifelines.datasets import load_gbsg2

    d = load_gbsg2()
    return pd.DataFrame({
        "age": d["age"], "tsize": d["tsize"], "pnodes": d["pnodes"],
        "progrec": d["progrec"], "estrec": d["estrec"],
        "hormon": (d["horTh"] == "yes").astype(int), "meno": (d["menostat"] == "Post").astype(int),
        "grade": d["tgrade"].map({"I": 1, "II": 2, "III": 3}).astype(int),
        "time": d["time"], "cens": d["cens"],
    })


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    ctc_cohort(rng, 300, 1.0).to_csv(OUT / "ctc300.csv", index=False)
    ctc_cohort(rng, 120, 3.0).to_csv(OUT / "ctc120.csv", index=False)
    gbsg2().to_csv(OUT / "gbsg2.csv", index=False)


if __name__ == "__main__":
    main()
