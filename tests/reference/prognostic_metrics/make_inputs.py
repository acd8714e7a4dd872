"""Seeded inputs for the prognostic-metrics R reference (run from the repo root).

Writes ``tests/reference/prognostic_metrics/inputs/<name>.csv``; ``prognostic_metrics.R``
computes survival::concordance (Harrell, Uno), riskRegression::Score (AUC, Brier, IPA, IBS with
standard errors), the Austin et al. (2020) calibration recipe, and hand-computed decision
curves, and writes ``outputs/<name>.json``.

Inputs
------
synth   n = 300; ``time`` rounded to whole months (many tied event times, events tied with
        censorings), ``status``; ``score`` a risk score rounded to 1 decimal (tied scores);
        ``p12, p24, p36`` predicted probabilities of an event by 12/24/36 months from a
        deliberately mis-calibrated Weibull model (rounded to 3 decimals: tied predictions);
        ``q24`` a weaker model's probability by 24 months (for decision curves).
small   n = 40, times rounded to 5 months (heavy ties), same columns.
gbsg2   lifelines.datasets.load_gbsg2() (German Breast Cancer Study Group 2), with ``lp`` the
        linear predictor of a Cox model (age, tsize, pnodes, log(1 + progrec), horTh) fitted by
        lifelines, and ``p1000, p1500, p2000`` its predicted probabilities of an event by
        1000/1500/2000 days (Breslow baseline), ``q1500`` those of a model without pnodes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261121


def _synthetic(rng: np.random.Generator, n: int, step: float) -> pd.DataFrame:
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, size=n)
    lp = 0.6 * x1 + 0.8 * x2
    t_event = 40.0 * rng.weibull(1.3, size=n) * np.exp(-lp / 1.3)
    t_cens = rng.uniform(6.0, 80.0, size=n)
    time = np.maximum(np.round(np.minimum(t_event, t_cens) / step) * step, step)
    status = (t_event <= t_cens).astype(int)
    # a mis-calibrated model: slope 0.8 on the true lp, wrong baseline
    lp_hat = 0.8 * lp + 0.1
    out = {"time": time, "status": status, "score": np.round(lp_hat, 1)}
    for h in (12, 24, 36):
        out[f"p{h}"] = np.round(1 - np.exp(-((h / 45.0) ** 1.2) * np.exp(lp_hat)), 3)
    out["q24"] = np.round(1 - np.exp(-((24 / 45.0) ** 1.2) * np.exp(0.6 * x1)), 3)
    return pd.DataFrame(out)


def _gbsg2() -> pd.DataFrame:
    from lifelines import CoxPHFitter
    from lifelines.datasets import load_gbsg2

    df = load_gbsg2()
    df["horTh_yes"] = (df["horTh"] == "yes").astype(int)
    df["log_progrec"] = np.log1p(df["progrec"])
    base = pd.DataFrame({"time": df["time"].astype(float), "status": df["cens"].astype(int)})
    out = base.copy()
    cols = ["age", "tsize", "pnodes", "log_progrec", "horTh_yes"]
    for name, use in (("full", cols), ("small", [c for c in cols if c != "pnodes"])):
        fit = CoxPHFitter().fit(pd.concat([base, df[use]], axis=1), "time", "status")
        if name == "full":
            out["lp"] = np.round(fit.predict_log_partial_hazard(df[use]).to_numpy(), 8)
            surv = fit.predict_survival_function(df[use], times=[1000, 1500, 2000])
            for h in (1000, 1500, 2000):
                out[f"p{h}"] = np.round(1 - surv.loc[h].to_numpy(), 8)
        else:
            surv = fit.predict_survival_function(df[use], times=[1500])
            out["q1500"] = np.round(1 - surv.loc[1500].to_numpy(), 8)
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    _synthetic(rng, 300, 1.0).to_csv(OUT / "synth.csv", index=False)
    _synthetic(rng, 40, 5.0).to_csv(OUT / "small.csv", index=False)
    _gbsg2().to_csv(OUT / "gbsg2.csv", index=False)


if __name__ == "__main__":
    main()
