"""Seeded inputs for the cut-point (maximally selected log-rank) reference tests.

Run from the repository root: ``python tests/reference/cutpoints/make_inputs.py``.
Writes ``tests/reference/cutpoints/inputs/*.csv``:

* ``ctc_small`` / ``ctc_large`` — zero-heavy CTC counts (many marker ties) with follow-up
  rounded to whole months (deliberate tied times), n = 60 and n = 400;
* ``continuous`` — a continuous marker with a few tied times, n = 150;
* ``null_marker`` — a marker unrelated to survival (moderate permutation p-value), n = 100;
* ``gbsg2`` — the German Breast Cancer Study Group 2 data shipped with lifelines
  (``pnodes``, ``progrec`` vs ``time`` / ``cens``), n = 686.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def ctc_cohort(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # zero-inflated negative binomial counts: ~45% structural zeros, long right tail
    zero = rng.random(n) < 0.45
    counts = rng.negative_binomial(0.6, 0.6 / (0.6 + 4.0), size=n)
    counts[zero] = 0
    hazard = 0.02 * np.exp(0.9 * (counts >= 5) + 0.3 * (counts >= 1))
    t_event = rng.exponential(1 / hazard)
    t_cens = rng.uniform(12, 60, size=n)
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(int)
    time = np.maximum(np.round(time), 1.0)  # whole months -> many tied times
    return pd.DataFrame({"ctc_count": counts, "os_months": time, "os_event": event})


def continuous_cohort(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    marker = rng.lognormal(1.0, 0.8, size=n)
    hazard = 0.05 * np.exp(0.8 * (marker > np.quantile(marker, 0.6)))
    t_event = rng.exponential(1 / hazard)
    t_cens = rng.uniform(5, 40, size=n)
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(int)
    time = np.round(time, 1)  # one decimal: some tied times
    return pd.DataFrame({"marker": np.round(marker, 4), "time": time, "event": event})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    ctc_cohort(60, 101).to_csv(OUT / "ctc_small.csv", index=False)
    ctc_cohort(400, 202).to_csv(OUT / "ctc_large.csv", index=False)
    continuous_cohort(150, 303).to_csv(OUT / "continuous.csv", index=False)
    null = continuous_cohort(100, 404)
    null["marker"] = np.round(np.random.default_rng(405).gamma(2.0, 1.5, size=100), 3)
    null.to_csv(OUT / "null_marker.csv", index=False)
    from lifelines.datasets import load_gbsg2

    g = load_gbsg2()[["pnodes", "progrec", "time", "cens"]]
    g.to_csv(OUT / "gbsg2.csv", index=False)


if __name__ == "__main__":
    main()
