"""Simulation: the optimism-corrected NRI of ``added_value`` under a marker of no value.

Why this exists (issue 14): in the seeded null-marker test of ``tests/prognostic/
test_added_value.py`` the corrected continuous NRI averaged about 0.04 instead of 0. This script
separates the three possible explanations:

* **Monte-Carlo error** — the mean over data sets is reported with its standard error;
* **a bug** — every replicate of ``added_value`` is checked elsewhere against refitting by hand
  (``test_one_replicate_equals_refitting_by_hand``); here the corrected value is recomputed
  from the replicates table (apparent − mean(train − test)) and must agree exactly;
* **the estimator's bias** — for each data set the two fitted Cox models are also scored on a
  large independent cohort from the same distribution (n = 20,000): that is the NRI the
  models really have in new patients (the target of the optimism correction). Harrell's
  bootstrap is then compared with this target;
  comparison with this target is what settles the question.

Usage (a few minutes on 2 cores; results are seeded)::

    nice python scripts/nri_null_simulation.py [n_datasets] [n_boot] [out.png]
    python scripts/nri_null_simulation.py out.csv n_boot out.png   # redraw a stored run

It prints the mean (SE) of the apparent, Harrell-corrected and out-of-sample NRI (and the ΔC
for comparison) and draws their distributions over data sets.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

N, N_VALID, HORIZON = 150, 20_000, 24.0
BASE, NEW = ["age", "node_positive", "grade"], ["ctc_positive"]


def cohort(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Weibull survival with age, nodes and grade; the CTC marker has hazard ratio 1."""
    age = rng.normal(60, 10, n)
    node = rng.integers(0, 2, n)
    grade = rng.choice([1, 2, 3], n)
    ctc = rng.binomial(1, 0.35, n)
    lin = 0.02 * (age - 60) + 0.6 * node + 0.3 * (grade - 2)
    t = 60 * rng.exponential(size=n) ** (1 / 1.2) / np.exp(lin / 1.2)
    c = rng.uniform(24, 96, n)
    return pd.DataFrame({"age": age, "node_positive": node, "grade": grade,
                         "ctc_positive": ctc, "os_months": np.minimum(t, c),
                         "os_event": (t <= c).astype(int)})


def one(seed: int, n_boot: int, valid: pd.DataFrame) -> dict:
    from ctcstats.prognostic.added_value import added_value
    from ctcstats.prognostic.models import CoxModel
    from ctcstats.prognostic.reclassification import reclassification

    df = cohort(np.random.default_rng(1000 + seed), N)
    res = added_value(df, time_col="os_months", event_col="os_event", base_covariates=BASE,
                      new_covariates=NEW, horizon=HORIZON, n_boot=n_boot, rng=seed)
    tab = res.table.set_index("measure")
    rep = res.replicates
    train = rep[rep["sample"] == "training"].set_index("replicate")["nri"]
    test = rep[rep["sample"] == "test"].set_index("replicate")["nri"]
    by_hand = tab.loc["nri", "difference"] - float(np.mean(train - test))
    y = df[["os_months", "os_event"]]
    base = CoxModel().fit(df[BASE], y)
    full = CoxModel().fit(df[BASE + NEW], y)
    v = valid[["os_months", "os_event"]].assign(
        base=base.predict_risk(valid[BASE], HORIZON),
        full=full.predict_risk(valid[BASE + NEW], HORIZON))
    out = reclassification(v, time_col="os_months", event_col="os_event",
                           base_risk_col="base", risk_col="full", horizon=HORIZON, n_boot=0)
    return {"seed": seed, "apparent": tab.loc["nri", "difference"],
            "corrected": tab.loc["nri", "corrected"], "corrected_by_hand": by_hand,
            "out_of_sample": out.nri, "dc_apparent": res.delta_c,
            "dc_corrected": res.delta_c_corrected,
            "optimism_train_minus_test": float(np.mean(train - test))}


def plot(rows: pd.DataFrame, n_boot: int, png: str) -> None:
    """Left: the NRI over data sets; right: the mean corrected NRI of blocks of 12 data sets
    (the size of the seeded unit test) with ±2 SE — block means of ±0.04 are Monte-Carlo
    noise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    se = rows.std(ddof=1) / np.sqrt(len(rows))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10.0, 3.9), width_ratios=(1.6, 1.0))
    bins = np.linspace(-0.6, 0.8, 36)
    for col, lab in (("apparent", "apparent"), ("corrected", "Harrell-corrected"),
                     ("out_of_sample", "out of sample (n = 20,000)")):
        ax.hist(rows[col], bins=bins, histtype="step", lw=1.8,
                label=f"{lab}: mean {rows[col].mean():.3f} (SE {se[col]:.3f})")
    ax.axvline(0, color="0.5", ls="--", lw=1)
    ax.set_xlabel("continuous NRI at 24 months (marker of no value)")
    ax.set_ylabel("data sets")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{len(rows)} data sets, n = {N}, {n_boot} bootstrap refits", fontsize=10)
    k = 12
    blocks = rows["corrected"].to_numpy()[: len(rows) // k * k].reshape(-1, k)
    m, s = blocks.mean(axis=1), blocks.std(axis=1, ddof=1) / np.sqrt(k)
    bx.errorbar(np.arange(1, m.size + 1), m, yerr=2 * s, fmt="o", ms=4, capsize=2)
    bx.axhline(0, color="0.5", ls="--", lw=1)
    bx.axhline(rows["corrected"].mean(), color="C1", lw=1,
               label=f"mean of all {len(rows)}: {rows['corrected'].mean():.3f}")
    bx.set_xlabel(f"block of {k} data sets")
    bx.set_ylabel("mean corrected NRI (± 2 SE)")
    bx.set_title(f"Blocks of {k} data sets (the unit test's size)", fontsize=10)
    bx.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(png, dpi=110, metadata={"Software": None})


def main(argv: list[str]) -> None:
    if argv and argv[0].endswith(".csv"):  # redraw from a stored run: CSV, n_boot, PNG
        plot(pd.read_csv(argv[0]), int(argv[1]), argv[2])
        return
    n_sets = int(argv[0]) if argv else 100
    n_boot = int(argv[1]) if len(argv) > 1 else 50
    png = argv[2] if len(argv) > 2 else None
    valid = cohort(np.random.default_rng(7), N_VALID)
    valid["os_months"] = valid["os_months"].round(6)  # no floating-point near-ties
    rows = pd.DataFrame([one(s, n_boot, valid) for s in range(n_sets)])
    assert np.allclose(rows["corrected"], rows["corrected_by_hand"], atol=1e-12)
    se = rows.std(ddof=1) / np.sqrt(len(rows))
    summary = pd.DataFrame({"mean": rows.mean(), "se": se}).drop("seed")
    print(f"{n_sets} data sets of n = {N}, {n_boot} bootstrap refits each, horizon "
          f"{HORIZON:g}; out-of-sample on n = {N_VALID}")
    print(summary.round(4).to_string())
    if png:
        rows.to_csv(png.rsplit(".", 1)[0] + ".csv", index=False)
        plot(rows, n_boot, png)


if __name__ == "__main__":
    main(sys.argv[1:])
