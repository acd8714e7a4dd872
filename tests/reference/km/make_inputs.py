"""Seeded inputs for the Kaplan–Meier R reference (run from the repo root).

Writes ``tests/reference/km/inputs/<name>.csv`` with columns ``time, event`` and, for grouped
inputs, ``group``. ``km.R`` fits every file with ``survfit`` and writes ``outputs/<name>.json``.

Inputs
------
ties_1grp      n = 40, one group, integer times: many tied event times and events tied with
               censorings at the same time (R counts the event first).
ties_3grp      n = 150, groups A/B/C, times rounded to 0.5 (ties within and across groups).
large_3grp     n = 600, groups A/B/C, times rounded to 0.1.
to_zero        n = 7, last observation an event: S(t) reaches 0 (R's NA/NaN conventions there).
flat_half      S(t) is exactly 0.5 on [3, 5), then drops: median = midpoint 4 (R's rule).
flat_half_end  S(t) is exactly 0.5 from t = 2 to the last follow-up (t = 4).
never_half     heavy censoring: S(t) never reaches 0.5, median NaN.
zero_time      events and a censoring at time 0 (no survfit0 row is added then).
no_events      groups X (with events) and Y (no events at all).
lung           lifelines.datasets.load_lung(): time, status (1 = death), group = sex.
gbsg2          lifelines.datasets.load_gbsg2(): time, cens, group = tgrade (I, II, III).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20260517


def _synthetic(rng: np.random.Generator, n: int, groups: list[str], step: float) -> pd.DataFrame:
    g = rng.choice(groups, size=n)
    rate = {lev: 0.05 * (1.0 + 0.6 * i) for i, lev in enumerate(groups)}
    lam = np.array([rate[v] for v in g])
    t_event = rng.exponential(1.0 / lam)
    t_cens = rng.uniform(2.0, 40.0, size=n)
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(int)
    time = np.maximum(np.round(time / step) * step, step)  # ties; no zero times
    return pd.DataFrame({"time": np.round(time, 10), "event": event, "group": g})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    frames: dict[str, pd.DataFrame] = {}
    one = _synthetic(rng, 40, ["A"], 1.0).drop(columns="group")
    # force ties between an event and a censoring at the same time
    one.loc[[0, 1, 2], ["time", "event"]] = [[5.0, 1], [5.0, 0], [5.0, 1]]
    frames["ties_1grp"] = one
    frames["ties_3grp"] = _synthetic(rng, 150, ["A", "B", "C"], 0.5)
    frames["large_3grp"] = _synthetic(rng, 600, ["A", "B", "C"], 0.1)
    frames["to_zero"] = pd.DataFrame(
        {"time": [1, 2, 2, 3, 4, 4, 6], "event": [1, 1, 0, 1, 0, 1, 1]}
    )
    frames["flat_half"] = pd.DataFrame(
        {"time": [1, 2, 3, 4, 5, 6], "event": [1, 1, 1, 0, 1, 0]}
    )
    frames["flat_half_end"] = pd.DataFrame({"time": [1, 2, 3, 4], "event": [1, 1, 0, 0]})
    frames["never_half"] = pd.DataFrame(
        {"time": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "event": [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]}
    )
    frames["zero_time"] = pd.DataFrame(
        {"time": [0, 0, 0, 1, 2, 2, 3, 5], "event": [1, 0, 1, 1, 0, 1, 0, 1]}
    )
    frames["no_events"] = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 5, 6, 2, 3, 5, 7],
            "event": [1, 0, 1, 1, 0, 1, 0, 0, 0, 0],
            "group": ["X"] * 6 + ["Y"] * 4,
        }
    )
    from lifelines.datasets import load_gbsg2, load_lung

    lung = load_lung()
    frames["lung"] = pd.DataFrame(
        {"time": lung["time"], "event": lung["status"].astype(int), "group": lung["sex"]}
    )
    gbsg = load_gbsg2()
    frames["gbsg2"] = pd.DataFrame(
        {"time": gbsg["time"], "event": gbsg["cens"].astype(int), "group": gbsg["tgrade"]}
    )
    for name, frame in frames.items():
        frame.to_csv(OUT / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
