"""Seeded generator of the synthetic counting-process input (run from the repo root).

synth_cp    150 subjects, each followed in one to three (start, stop] intervals with a
            covariate x2 that changes between intervals; some subjects enter late (left
            truncation); times rounded to whole units so that entry times coincide with other
            subjects' event times (the at-risk rule start < t <= stop matters); two strata.

The R data sets (cgd, bladder2, pbc + pbcseq via tmerge, boot::channing) are exported by
counting.R itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def synth_cp(seed: int = 20261202, n: int = 150) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        x1 = int(g.random() < 0.4)
        s = int(g.integers(0, 2))
        entry = float(g.integers(0, 8)) if g.random() < 0.3 else 0.0
        end = entry + float(np.ceil(g.exponential(25 / np.exp(0.5 * x1))))
        cens = entry + float(np.ceil(g.uniform(5, 40)))
        stop_all, event = (end, 1) if end <= cens else (cens, 0)
        k = int(g.integers(1, 4))
        cuts = np.unique(np.ceil(np.sort(g.uniform(entry, stop_all, k - 1))))
        cuts = cuts[(cuts > entry) & (cuts < stop_all)]
        bounds = [entry, *cuts.tolist(), stop_all]
        for j in range(len(bounds) - 1):
            rows.append({"id": i + 1, "start": bounds[j], "stop": bounds[j + 1],
                         "event": event if j == len(bounds) - 2 else 0, "x1": x1,
                         "x2": round(float(g.normal(0.3 * j, 1.0)), 3), "s": s})
    return pd.DataFrame(rows)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    synth_cp().to_csv(OUT / "synth_cp.csv", index=False)


if __name__ == "__main__":
    main()
