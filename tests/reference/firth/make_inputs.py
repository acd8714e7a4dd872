"""Seeded inputs for the Firth-penalised Cox references (run from the repo root).

Writes ``tests/reference/firth/inputs/<name>.csv`` with columns ``time, event``, covariates
``x1 … xp`` and (where used) ``stratum``. ``firth.R`` computes an independent R oracle for
each file and ``oracle_firthmodels.py`` stores the ``firthmodels`` results.

Inputs
------
coxphf_sep   n = 100, p = 4: the generator of firthmodels' test suite
             (``make_cox_separation_data(seed=42)``), for which coxphf's published output is
             quoted in tests/survival/test_firth.py. Monotone likelihood: no events when
             x1 = 0.
ties_strata  n = 80, p = 2 (binary + continuous), times rounded to whole units (many tied
             event times) and two strata with different baseline hazards.
monotone     n = 40, p = 2: binary x1 with no events at all in the x1 = 1 group (ordinary
             MLE diverges to -inf) plus a continuous x2; tied times.
rossi        lifelines.datasets.load_rossi(): week, arrest, fin, age, prio (heavy ties).
lung         lifelines.datasets.load_lung(): time, status, age, sex, ph.ecog (complete
             cases), stratum = inst > 10 (two strata).
mle_n200, mle_n1000, mle_n5000
             well-conditioned data (two covariates, modest effects, no monotone
             likelihood): the Firth estimate approaches the ordinary Breslow MLE as n grows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "inputs"
SEED = 20261121


def coxphf_sep() -> pd.DataFrame:
    """firthmodels tests/conftest.py::make_cox_separation_data(seed=42, n=100), verbatim."""
    n = 100
    rng = np.random.default_rng(42)
    separator = rng.choice([0, 1], n, p=[0.35, 0.65])
    x1 = rng.standard_normal(n)
    x2 = rng.uniform(-1, 1, n)
    x3 = rng.choice([0, 1], n, p=[0.6, 0.4])
    X = np.column_stack([separator, x1, x2, x3])
    eta = X @ np.array([0.0, 0.5, -0.3, 0.7])
    survival_time = rng.exponential(1 / (0.1 * np.exp(eta)))
    censor_time = rng.exponential(scale=15.0, size=n)
    time = np.minimum(survival_time, censor_time)
    event = survival_time <= censor_time
    event[separator == 0] = False
    out = pd.DataFrame({"time": time, "event": event.astype(int)})
    for j in range(4):
        out[f"x{j + 1}"] = X[:, j]
    return out


def _sim(rng: np.random.Generator, n: int, beta: np.ndarray, step: float | None,
         strata: bool = False) -> pd.DataFrame:
    x1 = rng.binomial(1, 0.4, n).astype(float)
    x2 = np.round(rng.normal(0.0, 1.0, n), 3)
    X = np.column_stack([x1, x2])
    stratum = rng.integers(0, 2, n) if strata else np.zeros(n, dtype=int)
    rate = 0.1 * np.exp(X @ beta) * np.where(stratum == 1, 2.0, 1.0)
    t_ev = rng.exponential(1.0 / rate)
    t_c = rng.uniform(1.0, 20.0, n)
    time = np.minimum(t_ev, t_c)
    if step is not None:
        time = np.maximum(np.round(time / step) * step, step)
    out = pd.DataFrame({"time": np.round(time, 10), "event": (t_ev <= t_c).astype(int),
                        "x1": x1, "x2": x2})
    if strata:
        out["stratum"] = stratum
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    frames: dict[str, pd.DataFrame] = {"coxphf_sep": coxphf_sep()}
    frames["ties_strata"] = _sim(rng, 80, np.array([0.8, -0.5]), 1.0, strata=True)
    mono = _sim(rng, 40, np.array([0.0, 0.6]), 1.0)
    mono.loc[mono["x1"] == 1, "event"] = 0  # no events in the x1 = 1 group
    frames["monotone"] = mono
    from lifelines.datasets import load_lung, load_rossi

    rossi = load_rossi()
    frames["rossi"] = pd.DataFrame({"time": rossi["week"].astype(float),
                                    "event": rossi["arrest"].astype(int),
                                    "x1": rossi["fin"].astype(float),
                                    "x2": rossi["age"].astype(float),
                                    "x3": rossi["prio"].astype(float)})
    lung = load_lung().dropna(subset=["time", "status", "age", "sex", "ph.ecog", "inst"])
    frames["lung"] = pd.DataFrame({"time": lung["time"].astype(float),
                                   "event": lung["status"].astype(int),
                                   "x1": lung["age"].astype(float),
                                   "x2": lung["sex"].astype(float),
                                   "x3": lung["ph.ecog"].astype(float),
                                   "stratum": (lung["inst"] > 10).astype(int)})
    for n in (200, 1000, 5000):
        frames[f"mle_n{n}"] = _sim(rng, n, np.array([0.5, -0.4]), 0.1)
    for name, frame in frames.items():
        frame.reset_index(drop=True).to_csv(OUT / f"{name}.csv", index=False,
                                            float_format="%.17g")
    # the firthmodels oracle depends only on these inputs: refresh it with them
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "oracle_firthmodels", Path(__file__).resolve().parent / "oracle_firthmodels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()


if __name__ == "__main__":
    main()
