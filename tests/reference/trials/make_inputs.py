"""Seeded inputs for the trials R reference (interaction, non-inferiority, STEPP).

Writes ``tests/reference/trials/inputs/<name>.csv``; ``trials.R`` fits them with
``survival::coxph`` / ``survfit`` and writes ``outputs/<name>.json``.

Inputs
------
trial   n = 500 randomised patients: ``arm`` (0 control / 1 CTC-guided), ``ctc_group``
        (three levels "0", "1-4", ">=5"), ``ctc_count`` (for STEPP), ``age``, ``site``
        (stratum A/B), ``months`` (rounded to 0.1: tied times), ``event``. The arm helps only
        patients with >= 5 CTC (a true interaction).
veteran R's ``survival::veteran`` is written by ``trials.R`` itself (real trial data: ``trt``
        × ``celltype``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261202


def trial(rng: np.random.Generator, n: int = 500) -> pd.DataFrame:
    arm = rng.integers(0, 2, n)
    count = rng.negative_binomial(0.4, 0.4 / (0.4 + 6.0), n)
    grp = np.where(count == 0, "0", np.where(count < 5, "1-4", ">=5"))
    age = rng.normal(58, 10, n).round(0)
    site = rng.choice(["A", "B"], n)
    lp = (0.4 * (grp == "1-4") + 0.9 * (grp == ">=5") - 0.6 * arm * (grp == ">=5")
          + 0.01 * (age - 58) + 0.2 * (site == "B"))
    t = rng.exponential(20.0 / np.exp(lp))
    c = rng.uniform(12, 48, n)
    return pd.DataFrame({
        "arm": arm, "ctc_group": grp, "ctc_count": count, "age": age, "site": site,
        "months": np.round(np.minimum(t, c), 1), "event": (t <= c).astype(int),
    })


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    trial(rng).to_csv(OUT / "trial.csv", index=False)


if __name__ == "__main__":
    main()
