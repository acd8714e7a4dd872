"""Seeded inputs of the landmark / time-varying Cox reference (run from the repo root).

* ``serial_<n>``: ``patients_<n>.csv`` (patient_id, time, event, age) and ``draws_<n>.csv``
  (patient_id, draw_time, ctc_count, ctc_positive) for n = 60 and 400: a baseline draw at 0
  and follow-up draws at jittered visits; the hazard depends on the current status; times
  rounded to 0.5 month so that event times are tied, a few draws fall on an event time and
  some patients have their first draw after 0.
* ``jasa``: the Stanford heart-transplant data shipped with lifelines
  (``load_stanford_heart_transplants``), as patients (id, time, event, age) and draws
  (status 0 at time 0, 1 from the transplant) — the classic time-dependent covariate example.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from lifelines.datasets import load_stanford_heart_transplants

OUT = Path(__file__).resolve().parent / "inputs"


def serial(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    age = np.round(rng.normal(60, 9, n))
    visits = np.array([0.0, 1.0, 2.0, 3.5, 5.0])
    t_draw = visits[None, :] + np.where(visits > 0, rng.uniform(-0.3, 0.3, (n, 5)), 0.0)
    conc = rng.gamma(0.5, 4.0, n)[:, None] * np.exp(rng.normal(0, 0.8, (n, 5))
                                                     - 1.5 * (rng.random(n) < 0.5)[:, None]
                                                     * (visits[None, :] > 0))
    count = rng.poisson(conc)
    pos = (count >= 5).astype(int)
    # piecewise-exponential event time with the hazard of the current status
    base = 0.12 * np.exp(0.02 * (age - 60))
    t = np.full(n, np.inf)
    for i in range(n):
        start = 0.0
        for j in range(5):
            stop = t_draw[i, j + 1] if j < 4 else np.inf
            h = base[i] * np.exp(1.0 * pos[i, j])
            e = start + rng.exponential(1 / h)
            if e <= stop:
                t[i] = e
                break
            start = stop
    cens = rng.uniform(4, 14, n)
    time = np.round(np.minimum(t, cens) * 2) / 2 + 0.5
    event = (t <= cens).astype(int)
    td = np.round(t_draw * 2) / 2
    patients = pd.DataFrame({"patient_id": np.arange(1, n + 1), "time": time, "event": event,
                             "age": age})
    rows = []
    late_start = rng.random(n) < 0.05  # a few patients without a baseline draw
    for i in range(n):
        for j in range(5):
            if j == 0 and late_start[i]:
                continue
            if td[i, j] <= time[i]:  # draws up to (and at) the end; R's tdc ignores those at stop
                rows.append((i + 1, td[i, j], count[i, j], pos[i, j]))
    draws = pd.DataFrame(rows, columns=["patient_id", "draw_time", "ctc_count", "ctc_positive"])
    # two visits rounded to the same half month: keep the later one (an unambiguous input)
    return patients, draws.drop_duplicates(["patient_id", "draw_time"], keep="last")


def jasa() -> tuple[pd.DataFrame, pd.DataFrame]:
    d = load_stanford_heart_transplants()
    g = d.groupby("id")
    patients = pd.DataFrame({"patient_id": g["id"].first(), "time": g["stop"].max(),
                             "event": g["event"].max(), "age": g["age"].first()})
    tx = d.loc[d["transplant"] == 1].groupby("id")["start"].min()
    draws = pd.concat([
        pd.DataFrame({"patient_id": patients["patient_id"], "draw_time": 0.0,
                      "ctc_positive": 0}),
        pd.DataFrame({"patient_id": tx.index, "draw_time": tx.to_numpy(), "ctc_positive": 1}),
    ]).sort_values(["patient_id", "draw_time"])
    return patients.reset_index(drop=True), draws.reset_index(drop=True)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for n, seed in ((60, 11), (400, 12)):
        p, d = serial(n, seed)
        p.to_csv(OUT / f"patients_{n}.csv", index=False)
        d.to_csv(OUT / f"draws_{n}.csv", index=False)
    p, d = jasa()
    p.to_csv(OUT / "patients_jasa.csv", index=False)
    d.to_csv(OUT / "draws_jasa.csv", index=False)


if __name__ == "__main__":
    main()
