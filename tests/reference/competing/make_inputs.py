"""Seeded competing-risks inputs for the cmprsk reference script (run from the repo root).

Writes ``tests/reference/competing/inputs/<name>.csv`` with columns

    time    follow-up time (rounded, so that tied times occur deliberately, also across causes
            and between events and censorings)
    event   0 = censored, 1..k = cause of failure
    group   group label (strings "a", "b", "c": R's factor order equals Python's sorted order)
    strata  stratum label ("s1", "s2") for the stratified Gray test
    x       numeric covariate
    fac     three-level categorical covariate ("lo" < "mid" < "hi" is NOT the sorted order:
            sorted it is hi, lo, mid — both R and ctcstats use the sorted order)

The real data sets (MASS::Melanoma, survival::mgus2) are written to inputs/ by competing.R
itself, because they ship with R packages, not with a Python dependency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def simulate(n: int, *, n_groups: int, n_causes: int, seed: int, resolution: float) -> pd.DataFrame:
    """Latent cause-specific exponential times with covariate effects, uniform censoring.

    Times are rounded up to a multiple of *resolution*, which creates ties within and across
    causes and with censoring times.
    """
    rng = np.random.default_rng(seed)
    group = rng.integers(0, n_groups, size=n)
    strata = rng.integers(0, 2, size=n)
    x = np.round(rng.normal(0.0, 1.0, size=n), 3)
    fac = rng.choice(np.array(["lo", "mid", "hi"]), size=n, p=[0.4, 0.35, 0.25])
    fac_eff = np.select([fac == "mid", fac == "hi"], [0.3, 0.7], 0.0)
    latent = []
    for cause in range(1, n_causes + 1):
        rate = 0.05 / cause * np.exp(0.4 * x * (cause == 1) + 0.35 * group * (cause == 1)
                                     - 0.2 * group * (cause == 2) + fac_eff * (cause == 1)
                                     + 0.2 * strata)
        latent.append(rng.exponential(1.0 / rate))
    latent = np.column_stack(latent)
    t_event = latent.min(axis=1)
    cause = latent.argmin(axis=1) + 1
    cens = rng.uniform(0.0, 25.0, size=n)
    time = np.minimum(t_event, cens)
    event = np.where(t_event <= cens, cause, 0)
    time = np.ceil(time / resolution) * resolution
    time = np.round(time, 6)
    labels = np.array(["a", "b", "c", "d"])[:n_groups]
    return pd.DataFrame(
        {
            "time": time,
            "event": event.astype(int),
            "group": labels[group],
            "strata": np.where(strata == 1, "s2", "s1"),
            "x": x,
            "fac": fac,
        }
    )


def edge() -> pd.DataFrame:
    """Hand-made small set: ties of cause 1, cause 2 and censoring at one time; the largest
    time is a cause-1 failure of the last patient at risk in group "a"; in group "b" several
    patients fail together at the last time (the overall KM drops to zero there)."""
    rows = [
        # group a
        (1.0, 1, "a"), (1.0, 2, "a"), (1.0, 0, "a"), (2.0, 1, "a"), (2.0, 1, "a"),
        (3.0, 0, "a"), (4.0, 2, "a"), (4.0, 2, "a"), (5.0, 1, "a"), (5.0, 0, "a"),
        (6.0, 0, "a"), (7.0, 2, "a"), (8.0, 1, "a"),
        # group b
        (0.5, 0, "b"), (1.0, 1, "b"), (2.0, 2, "b"), (2.5, 1, "b"), (2.5, 1, "b"),
        (2.5, 2, "b"), (3.0, 0, "b"), (4.0, 1, "b"), (6.0, 0, "b"), (6.5, 2, "b"),
        (9.0, 1, "b"), (9.0, 1, "b"), (9.0, 2, "b"),
    ]
    frame = pd.DataFrame(rows, columns=["time", "event", "group"])
    frame["strata"] = np.where(np.arange(len(frame)) % 2 == 0, "s1", "s2")
    frame["x"] = np.round(np.linspace(-1.2, 1.3, len(frame)) ** 2 - 0.5, 3)
    frame["fac"] = np.array(["lo", "mid", "hi"])[np.arange(len(frame)) % 3]
    return frame


def sparse() -> pd.DataFrame:
    """Three groups where group "c" has no failure from cause 2 (Gray's test for cause 2 then
    compares a flat curve)."""
    frame = simulate(90, n_groups=3, n_causes=2, seed=404, resolution=1.0)
    in_c = frame["group"] == "c"
    frame.loc[in_c & (frame["event"] == 2), "event"] = 0
    return frame


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sets = {
        "small": simulate(60, n_groups=2, n_causes=2, seed=101, resolution=1.0),
        "medium": simulate(400, n_groups=3, n_causes=3, seed=202, resolution=0.5),
        "large": simulate(3000, n_groups=2, n_causes=2, seed=303, resolution=0.1),
        "edge": edge(),
        "sparse": sparse(),
    }
    for name, frame in sets.items():
        frame.to_csv(OUT / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
