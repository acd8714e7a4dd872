"""Seeded multi-state inputs for the survival / mstate reference script (run from the repo root).

Writes ``tests/reference/multistate/inputs/sites.csv``: one row per patient of a synthetic
DTC cohort followed from surgery through a first distant relapse (bone or another distant
site) to death — the "relapse sites then death" model (states disease_free, bone,
other_distant, death). Columns

    id              1..n, shuffled (so no code can rely on the row order)
    dtc_positive    0/1 marker
    age             years (1 decimal)
    grade           "G1" / "G2" / "G3" (categorical; sorted order = R factor order)
    relapse_months  time of the first distant relapse, or of the end of relapse follow-up
                    (= the end of follow-up: death or censoring)
    bone_event      1 if the first relapse was in bone
    other_event     1 if the first relapse was elsewhere
    os_months       death or last follow-up
    os_event        1 = death
    first_months    time of the first event (relapse at any site or death) or censoring
    first_event     0 censored, 1 bone, 2 other distant, 3 death without relapse

Times are rounded to 0.5 months, which creates ties within and across transitions and with
censoring; a death that would round onto its relapse time is moved 0.5 months later, so
that every stay has positive length. The real data sets (survival::mgus2, mstate::ebmt3 and
ebmt4) are written to inputs/ by multistate.R itself, because they ship with R packages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"


def simulate_sites(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dtc = rng.binomial(1, 0.3, n)
    age = np.round(rng.normal(56, 10, n), 1)
    grade = rng.choice(np.array(["G1", "G2", "G3"]), n, p=[0.2, 0.45, 0.35])
    g3 = (grade == "G3").astype(float)
    z = (age - 56) / 10
    # cause-specific hazards per month from disease-free
    h_bone = 0.004 * np.exp(0.9 * dtc + 0.3 * g3)
    h_other = 0.004 * np.exp(0.4 * dtc + 0.5 * g3)
    h_death = 0.0015 * np.exp(0.6 * z)
    latent = np.column_stack([rng.exponential(1 / h_bone), rng.exponential(1 / h_other),
                              rng.exponential(1 / h_death)])
    first = latent.min(axis=1)
    cause = latent.argmin(axis=1) + 1
    # death after relapse: bone relapses live longer than other distant sites
    h_post = np.where(cause == 1, 0.025, 0.045) * np.exp(0.3 * dtc + 0.2 * z)
    death_after = first + rng.exponential(1 / h_post)
    t_death = np.where(cause == 3, first, death_after)
    cens = rng.uniform(24, 120, n)
    step = 0.5
    rnd = lambda x: np.ceil(x / step) * step  # noqa: E731
    relapsed = (cause <= 2) & (first <= cens)
    rel_t = np.where(relapsed, rnd(first), np.nan)
    os_t = rnd(np.minimum(t_death, cens))
    os_e = (t_death <= cens).astype(int)
    # a death that rounds onto (or before) its relapse time: move it one step later
    clash = relapsed & (os_t <= rel_t)
    os_t = np.where(clash, rel_t + step, os_t)
    relapse_months = np.where(relapsed, rel_t, os_t)
    first_months = np.where(relapsed, rel_t, os_t)
    first_event = np.where(relapsed, cause, np.where(os_e == 1, 3, 0))
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "dtc_positive": dtc,
            "age": age,
            "grade": grade,
            "relapse_months": relapse_months,
            "bone_event": (relapsed & (cause == 1)).astype(int),
            "other_event": (relapsed & (cause == 2)).astype(int),
            "os_months": os_t,
            "os_event": os_e,
            "first_months": first_months,
            "first_event": first_event.astype(int),
        }
    )
    perm = rng.permutation(n)
    frame = frame.iloc[perm].reset_index(drop=True)
    frame["id"] = rng.permutation(n) + 1
    return frame


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    simulate_sites(400, seed=20240519).to_csv(OUT / "sites.csv", index=False)


if __name__ == "__main__":
    main()
