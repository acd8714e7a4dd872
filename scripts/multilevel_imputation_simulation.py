"""Simulation: covariates missing in whole studies, imputed by ``impute(study_model="random")``
with few studies — the coverage of the pooled Cox log HR with the between-study covariance
Psi at its estimate (``draw_between="point"``, as micemd's ``method_est = "mm"``) and drawn
from its approximate posterior (``"posterior"``); and negative-binomial counts missing in
whole studies (``count_model="negbin"``).

Scenarios (``docs/simulations/multilevel_imputation.md`` describes them and the results):

* ``psi5`` / ``psi8`` — K = 5 / 8 studies of 150 patients, a continuous covariate x missing
  in 2 / 3 whole studies (and sporadically, MAR on the event, elsewhere); its mean and its
  slope on the binary covariate z vary between studies; hazard exp(u_s + 0.5 x + 0.5 z).
  The analysis model Cox(x, z, study) is correctly specified: the true log HR of x is 0.5.
* ``nb`` — K = 6 studies of 150, a negative-binomial count c (sampled volume 5-10 mL,
  offset; study-specific intercept, slope on z and dispersion) missing in 2 whole studies and
  sporadically elsewhere; hazard exp(u_s + 0.04 c + 0.5 z): true log HR of c 0.04.

Usage (seeded; about 4 s per data set and method on an idle core)::

    nice python scripts/multilevel_imputation_simulation.py SCENARIO N_REP OUT.csv [method]

It prints bias, empirical SE, mean model SE and coverage of the 95% interval per estimator.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

import ctcstats as cs

ROLES = {"time_col": "t", "event_col": "d"}


def _outcome(rng, s, lp, u):
    t = rng.exponential(1 / (0.03 * np.exp(u[s] + lp)))
    c = rng.uniform(5, 40, s.size)
    return np.minimum(t, c), (t <= c).astype(int)


def psi_data(seed: int, n_studies: int, n_missing: int, n_per: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = np.repeat(np.arange(n_studies), n_per)
    a, b, u = (rng.normal(0, sd, n_studies) for sd in (0.5, 0.4, 0.3))
    z = rng.binomial(1, 0.4, s.size)
    x = a[s] + (0.5 + b[s]) * z + rng.standard_normal(s.size)
    t, d = _outcome(rng, s, 0.5 * x + 0.5 * z, u)
    data = pd.DataFrame({"study": [f"S{k + 1}" for k in s], "t": t, "d": d, "x": x, "z": z})
    data.loc[rng.random(s.size) < 1 / (1 + np.exp(2 - d)), "x"] = np.nan
    data.loc[s >= n_studies - n_missing, "x"] = np.nan
    return data


def nb_data(seed: int, n_studies: int = 6, n_missing: int = 2, n_per: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    s = np.repeat(np.arange(n_studies), n_per)
    a, b, u = (rng.normal(0, sd, n_studies) for sd in (0.4, 0.3, 0.3))
    theta = np.exp(np.log(1.5) + rng.normal(0, 0.3, n_studies))  # NB size per study
    z = rng.binomial(1, 0.4, s.size)
    vol = rng.uniform(5, 10, s.size)
    mu = vol * np.exp(-0.5 + a[s] + (0.4 + b[s]) * z)
    c = rng.negative_binomial(theta[s], theta[s] / (theta[s] + mu)).astype(float)
    t, d = _outcome(rng, s, 0.04 * c + 0.5 * z, u)
    data = pd.DataFrame({"study": [f"S{k + 1}" for k in s], "t": t, "d": d, "c": c, "z": z,
                         "vol": vol})
    data.loc[rng.random(s.size) < 1 / (1 + np.exp(2 - d)), "c"] = np.nan
    data.loc[s >= n_studies - n_missing, "c"] = np.nan
    return data


SCENARIOS = {
    "psi5": (lambda seed: psi_data(seed, 5, 2), "x", 0.5, {}),
    "psi8": (lambda seed: psi_data(seed, 8, 3), "x", 0.5, {}),
    "nb": (nb_data, "c", 0.04, {"types": {"c": "count"}, "count_model": "negbin",
                                "volume_col": "vol"}),
}


def _row(tab: pd.DataFrame, term: str) -> dict:
    r = tab.set_index("term").loc[term]
    return {"estimate": r["estimate"], "std_error": r["std_error"], "ci_lower": r["ci_lower"],
            "ci_upper": r["ci_upper"]}


def replicate(scenario: str, seed: int, method: str = "fcs", m: int = 10,
              n_iter: int = 5) -> list[dict]:
    make, var, _, extra = SCENARIOS[scenario]
    data = make(seed)
    out = []
    full_cov = [var, "z", "study"]
    for draw in ("point", "posterior"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.CTCStatsWarning)
            imp = cs.impute(data, covariates=[var, "z"], study_col="study",
                            study_model="random", method=method, n_imputations=m,
                            n_iter=n_iter, rng=seed + 1, draw_between=draw, **extra, **ROLES)
            tab = cs.pool(imp, cs.fit_cox, covariates=full_cov, **ROLES).table
        out.append({"seed": seed, "estimator": f"mi_{draw}", **_row(tab, var)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.CTCStatsWarning)
        cc = cs.fit_cox(data.dropna(subset=[var]), covariates=full_cov, **ROLES).table.loc[var]
    out.append({"seed": seed, "estimator": "complete_cases", "estimate": cc["coef"],
                "std_error": cc["std_error"], "ci_lower": np.log(cc["ci_lower"]),
                "ci_upper": np.log(cc["ci_upper"])})
    return out


def summarise(res: pd.DataFrame, truth: float) -> pd.DataFrame:
    res = res.assign(covered=(res.ci_lower <= truth) & (truth <= res.ci_upper),
                     width=res.ci_upper - res.ci_lower)
    g = res.groupby("estimator")
    summ = pd.DataFrame({"n_rep": g.size(), "bias": g["estimate"].mean() - truth,
                         "mc_se_bias": g["estimate"].std() / np.sqrt(g.size()),
                         "emp_se": g["estimate"].std(), "mean_se": g["std_error"].mean(),
                         "coverage": g["covered"].mean(), "mean_width": g["width"].mean()})
    summ["mc_se_coverage"] = np.sqrt(summ.coverage * (1 - summ.coverage) / summ.n_rep)
    return summ


def main(argv: list[str]) -> None:
    scenario, n_rep, out = argv[0], int(argv[1]), argv[2]
    method = argv[3] if len(argv) > 3 else "fcs"
    rows: list[dict] = []
    t0 = time.time()
    for seed in range(1, n_rep + 1):
        rows.extend(replicate(scenario, 1000 * seed, method))
        if seed % 10 == 0:
            print(f"{seed} data sets, {time.time() - t0:.0f} s", flush=True)
            pd.DataFrame(rows).to_csv(out, index=False)
    res = pd.DataFrame(rows)
    res.to_csv(out, index=False)
    print(summarise(res, SCENARIOS[scenario][2]).round(4).to_string())


if __name__ == "__main__":
    main(sys.argv[1:])
