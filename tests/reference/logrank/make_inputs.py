"""Seeded inputs for the log-rank reference tests (run from the repository root).

Writes ``tests/reference/logrank/inputs/*.csv``:

* ``ties_{small,medium,large}.csv`` — synthetic CTC cohorts (n = 30, 400, 3000) with follow-up
  rounded up to whole months, so that many event and censoring times are tied. Columns:
  ``time``, ``event`` (0/1), ``ctc_group`` (``"0 CTC"``, ``"1-4 CTC"``, ``">=5 CTC"``),
  ``ctc_score`` (numeric 0 / 2 / 12 — the same groups on a numeric scale, for the trend test),
  ``arm`` (``"control"`` / ``"treated"``) and ``site`` (stratum ``"A"``, ``"B"``, ``"C"``).
* ``edge_no_events.csv`` — group ``"C"`` has patients at risk but no events.
* ``edge_zero_expected.csv`` — group ``"D"`` is censored before the first event (expected 0).
* ``edge_near_ties.csv`` — times that differ by less than R's ``timefix`` tolerance.
* ``gbsg2.csv`` — the German Breast Cancer Study Group 2 data shipped with lifelines
  (``lifelines.datasets.load_gbsg2``; 686 patients; ``time`` = recurrence-free survival in days,
  ``cens`` = event).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20240611


def _ties_cohort(n: int, rng: np.random.Generator) -> pd.DataFrame:
    grp = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    site = rng.choice(3, size=n, p=[0.4, 0.35, 0.25])
    arm = rng.integers(0, 2, size=n)
    log_hr = np.array([0.0, 0.4, 0.9])[grp] + np.array([0.0, 0.3, -0.3])[site] - 0.3 * arm
    t_event = rng.exponential(30.0, size=n) / np.exp(log_hr)
    t_cens = rng.uniform(6.0, 60.0, size=n)
    time = np.ceil(np.minimum(t_event, t_cens))  # whole months → heavy ties
    event = (t_event <= t_cens).astype(int)
    labels = np.array(["0 CTC", "1-4 CTC", ">=5 CTC"])
    return pd.DataFrame(
        {
            "time": time,
            "event": event,
            "ctc_group": labels[grp],
            "ctc_score": np.array([0, 2, 12])[grp],
            "arm": np.array(["control", "treated"])[arm],
            "site": np.array(["A", "B", "C"])[site],
        }
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for name, n in [("small", 30), ("medium", 400), ("large", 3000)]:
        _ties_cohort(n, rng).to_csv(OUT / f"ties_{name}.csv", index=False)

    # group C: at risk throughout, never an event
    n = 60
    g = np.repeat(["A", "B", "C"], n // 3)
    time = np.ceil(rng.exponential(12.0, size=n))
    event = (rng.uniform(size=n) < 0.7).astype(int)
    event[g == "C"] = 0
    pd.DataFrame({"time": time, "event": event, "group": g}).to_csv(
        OUT / "edge_no_events.csv", index=False
    )

    # group D: everyone censored before the first event time → expected = 0 (left out, df - 1)
    n = 45
    g = np.repeat(["A", "B", "D"], n // 3)
    time = 2.0 + np.ceil(rng.exponential(10.0, size=n))
    event = (rng.uniform(size=n) < 0.8).astype(int)
    time[g == "D"] = rng.uniform(0.1, 1.0, size=(g == "D").sum()).round(2)
    event[g == "D"] = 0
    pd.DataFrame({"time": time, "event": event, "group": g}).to_csv(
        OUT / "edge_zero_expected.csv", index=False
    )

    # near ties: pairs of times 1e-12 apart, merged by R's aeqSurv (timefix = TRUE)
    n = 80
    base = np.ceil(rng.exponential(10.0, size=n))
    jitter = np.where(rng.uniform(size=n) < 0.5, base * 1e-12, 0.0)
    pd.DataFrame(
        {
            "time": base + jitter,
            "event": (rng.uniform(size=n) < 0.75).astype(int),
            "group": rng.choice(["x", "y"], size=n),
        }
    ).to_csv(OUT / "edge_near_ties.csv", index=False, float_format="%.17g")

    from lifelines.datasets import load_gbsg2

    load_gbsg2().to_csv(OUT / "gbsg2.csv", index=False)


if __name__ == "__main__":
    main()
