"""Seeded inputs for the Cox regression R reference (run from the repo root).

Writes ``tests/reference/cox/inputs/<name>.csv``; ``cox.R`` fits each with ``survival::coxph``
and writes ``outputs/<model>.json``.

Inputs
------
synth       n = 300: ``time`` (months, rounded to whole months: many tied event times, events
            tied with censorings), ``status``, continuous ``x1``, binary ``x2``, factor ``grp``
            (a/b/c), two strata ``s`` (A/B), ``id`` (clusters of 1-4 rows), ``w`` case weights.
synth_small n = 60, times rounded to 5 months (heavy ties), same columns.
gbsg2       lifelines.datasets.load_gbsg2() (German Breast Cancer Study Group 2), as shipped.
rossi       lifelines.datasets.load_rossi() (recidivism), as shipped.
monotone    n = 120: ``time, status, x, g`` where no patient with g = 1 has an event (monotone
            likelihood: R's coefficient for g runs to about -20 with "Loglik converged
            before variable 2; coefficient may be infinite").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20260611


def _synthetic(rng: np.random.Generator, n: int, step: float) -> pd.DataFrame:
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, size=n)
    grp = rng.choice(["a", "b", "c"], size=n, p=[0.4, 0.35, 0.25])
    s = rng.choice(["A", "B"], size=n)
    lin = 0.5 * x1 + 0.7 * x2 + np.select([grp == "b", grp == "c"], [0.3, -0.4], 0.0)
    base = np.where(s == "A", 1 / 40, 1 / 70)
    t_event = rng.exponential(1.0 / (base * np.exp(lin)))
    t_cens = rng.uniform(10.0, 150.0, size=n)
    time = np.minimum(t_event, t_cens)
    status = (t_event <= t_cens).astype(int)
    time = np.maximum(np.round(time / step) * step, step)
    sizes = rng.integers(1, 5, size=n)
    ids = np.repeat(np.arange(n), sizes)[:n]
    w = np.round(rng.uniform(0.5, 2.0, size=n), 2)
    return pd.DataFrame({"time": time, "status": status, "x1": np.round(x1, 4), "x2": x2,
                         "grp": grp, "s": s, "id": ids, "w": w})


def main() -> None:
    from lifelines.datasets import load_gbsg2, load_rossi

    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    _synthetic(rng, 300, 1.0).to_csv(OUT / "synth.csv", index=False)
    _synthetic(rng, 60, 5.0).to_csv(OUT / "synth_small.csv", index=False)
    load_gbsg2().to_csv(OUT / "gbsg2.csv", index=False)
    n = 120
    mono = pd.DataFrame({"x": np.round(rng.normal(size=n), 4), "g": rng.integers(0, 2, n),
                         "time": np.round(rng.exponential(10, n)) + 1,
                         "status": rng.integers(0, 2, n)})
    mono.loc[mono.g == 1, "status"] = 0
    mono.to_csv(OUT / "monotone.csv", index=False)
    load_rossi().to_csv(OUT / "rossi.csv", index=False)


if __name__ == "__main__":
    main()
