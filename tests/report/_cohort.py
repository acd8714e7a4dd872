"""A small seeded cohort for the report tests (no R needed: the statistics themselves are
validated in their own modules' reference tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd

EVIL = "<script>alert('x')</script>"


def small_cohort(seed: int = 11, n: int = 240) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    count = np.where(g.random(n) < 0.5, 0, g.negative_binomial(0.6, 0.1, n))
    age = g.normal(60, 9, n).round()
    grade = g.integers(1, 4, n)
    lp = 0.7 * (count >= 5) + 0.02 * (age - 60) + 0.2 * (grade - 2)
    t = g.exponential(30 / np.exp(lp))
    c = g.uniform(6, 48, n)
    pfs = np.minimum(t, c)
    t_os = t + g.exponential(15, n)
    return pd.DataFrame({
        "patient_id": [f"PT-SECRET-{i:04d}" for i in range(n)],
        "age": age,
        EVIL: grade,
        "ctc_count": count.astype(int),
        "blood_volume_ml": 7.5,
        "pfs_months": pfs.round(2),
        "pfs_event": (t <= c).astype(int),
        "os_months": np.minimum(t_os, c).round(2),
        "os_event": (t_os <= c).astype(int),
        "centre": np.where(g.random(n) < 0.5, "north", "south"),
    })
