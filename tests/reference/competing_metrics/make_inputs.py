"""Seeded inputs for the competing-risks prognostic-metrics R reference (run from the repo root).

Writes ``tests/reference/competing_metrics/inputs/<name>.csv`` with columns ``time``, ``event``
(0 = censored, 1 = cause of interest, 2 = competing cause), covariates ``x1, x2``, a risk score
``score`` and predicted cumulative incidences of cause 1 ``p12, p24, p36`` by 12/24/36 months;
``competing_metrics.R`` computes riskRegression::Score (cause = 1: AUC, Brier, null model, IPA,
with standard errors), pec::cindex (cause = 1, Wolbers et al. 2009), the Aalen–Johansen
cumulative incidence per quantile group of predicted risk (cmprsk::cuminc) and the predicted
cumulative incidence of cmprsk::crr (predict.crr) and of riskRegression::CSC (predictRisk).

Inputs
------
synth   n = 300; latent Weibull times of cause 1 (depends on x1, x2) and exponential times of
        cause 2 (depends on x2), uniform censoring; times rounded to whole months (tied event
        times of both causes, events tied with censorings); ``score`` rounded to 1 decimal and
        ``p*`` to 3 decimals (tied predictions); the ``p*`` come from a deliberately
        mis-calibrated model (slope 0.8, a wrong baseline).
small   n = 40, times rounded to 5 months (heavy ties), same columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261202


def _synthetic(rng: np.random.Generator, n: int, step: float) -> pd.DataFrame:
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, size=n)
    lp1 = 0.7 * x1 + 0.6 * x2
    t1 = 45.0 * rng.weibull(1.2, size=n) * np.exp(-lp1 / 1.2)
    t2 = rng.exponential(70.0 * np.exp(-0.5 * x2))
    tc = rng.uniform(6.0, 80.0, size=n)
    t = np.minimum(np.minimum(t1, t2), tc)
    event = np.where(tc <= np.minimum(t1, t2), 0, np.where(t1 <= t2, 1, 2))
    time = np.maximum(np.round(t / step) * step, step)
    lp_hat = 0.8 * lp1 + 0.1
    out = {"time": time, "event": event, "x1": np.round(x1, 4), "x2": x2,
           "score": np.round(lp_hat, 1)}
    for h in (12, 24, 36):
        out[f"p{h}"] = np.round(1 - np.exp(-((h / 60.0) ** 1.2) * np.exp(lp_hat)), 3)
    return pd.DataFrame(out)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    _synthetic(rng, 300, 1.0).to_csv(OUT / "synth.csv", index=False)
    _synthetic(rng, 40, 5.0).to_csv(OUT / "small.csv", index=False)


if __name__ == "__main__":
    main()
