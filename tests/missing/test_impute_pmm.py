"""impute(method="fcs", continuous_model="pmm"): predictive mean matching as R mice's pmm.

Reference: tests/reference/impute_pmm/impute_pmm.R imputes ../missing/inputs/synth_mar.csv
with mice (x "pmm" with donors = 5 and type-1 matching, z "logreg", event and Nelson–Aalen
H(T) as predictors; m = 10, maxit = 10) for seeds 1..N_REP and stores per seed the pooled
Cox log HRs and SEs and summaries of the imputed x (mean, SD, 10/50/90% quantiles over the m
data sets). The Python means of k replicates are compared with the R means by the rule of
test_impute_reference.py (4 Monte-Carlo SDs from the spread of the R replicates; the pooled
SEs with a further 3%). The donor search is checked against brute force.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

import ctcstats as cs
from ctcstats.errors import ParameterError
from ctcstats.missing._pmm import match_donors

from .test_impute_reference import _check

REF = Path(__file__).resolve().parents[1] / "reference"
OUT = json.loads((REF / "impute_pmm" / "outputs" / "impute_pmm_reference.json").read_text())
ROLES = {"time_col": "months", "event_col": "event", "covariates": ["x", "z"]}


def _synth() -> pd.DataFrame:
    return pd.read_csv(REF / "missing" / "inputs" / "synth_mar.csv")


def _stats(x):
    return [x.mean(), x.std(ddof=1), *np.quantile(x, [0.1, 0.5, 0.9])]


def test_matches_mice_pmm_in_distribution():
    assert OUT["versions"]["mice"] == "3.15.0" and OUT["donors"] == 5
    assert OUT["matchtype"] == 1 and OUT["n_rep"] >= 20
    d = _synth()
    miss = d["x"].isna().to_numpy()
    observed = set(d["x"].dropna())
    est, se, imputed = [], [], []
    for seed in (1, 2, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.CTCStatsWarning)
            imp = cs.impute(d, method="fcs", continuous_model="pmm", n_imputations=OUT["m"],
                            n_iter=OUT["maxit"], rng=5000 + seed, **ROLES)
        assert imp.methods["model"].iloc[0] == "predictive mean matching on D, H(T)"
        xi = np.concatenate([f["x"].to_numpy()[miss] for f in imp.datasets])
        assert set(xi) <= observed  # donors' observed values only
        imputed.append(_stats(xi))
        tab = cs.pool(imp, cs.fit_cox, **ROLES).table
        est.append(tab["estimate"].to_numpy())
        se.append(tab["std_error"].to_numpy())
    _check(OUT["term"], est, se, OUT["estimate"], OUT["std_error"])
    r = np.asarray(OUT["imputed"], float)
    p = np.asarray(imputed)
    tol = 4 * r.std(axis=0, ddof=1) * np.sqrt(1 / p.shape[0] + 1 / r.shape[0])
    diff = np.abs(p.mean(axis=0) - r.mean(axis=0))
    assert (diff <= tol).all(), (OUT["imputed_stats"], p.mean(axis=0), r.mean(axis=0), tol)


def test_donors_are_the_k_nearest_by_brute_force():
    rng = np.random.default_rng(3)
    yhat_obs = rng.normal(size=57)
    y_obs = np.arange(57.0)  # the value identifies the donor
    yhat_mis = np.concatenate([rng.normal(size=40), [-9.0, 9.0]])  # and both ends
    for k in (1, 5, 57, 80):
        seen: list[set] = [set() for _ in yhat_mis]
        for rep in range(60):
            got = match_donors(yhat_obs, yhat_mis, y_obs, np.random.default_rng(rep), donors=k)
            for j, g in enumerate(got):
                seen[j].add(int(g))
        kk = min(k, 57)
        for j, t in enumerate(yhat_mis):
            nearest = set(np.argsort(np.abs(yhat_obs - t))[:kk].tolist())
            assert seen[j] <= nearest
            if kk <= 5:
                assert seen[j] == nearest  # each of k donors drawn in 60 tries


def test_ties_are_broken_at_random():
    yhat_obs = np.zeros(10)  # all tied: every donor is equally near
    got = [match_donors(yhat_obs, np.zeros(1), np.arange(10.0), np.random.default_rng(s),
                        donors=1)[0] for s in range(200)]
    assert set(got) == set(range(10))


def test_same_seed_same_data_sets():
    d = _synth()
    kw = dict(method="fcs", continuous_model="pmm", n_imputations=2, n_iter=2, rng=4, **ROLES)
    a, b = cs.impute(d, **kw), cs.impute(d, **kw)
    for x, y in zip(a.datasets, b.datasets, strict=True):
        assert_array_equal(x["x"], y["x"])


def test_pmm_parameter_errors():
    d = _synth()
    with pytest.raises(ParameterError, match="continuous_model='pmm'.*method='fcs'"):
        cs.impute(d, continuous_model="pmm", n_imputations=1, **ROLES)
    with pytest.raises(ParameterError, match="'continuous_model' parameter of impute"):
        cs.impute(d, method="fcs", continuous_model="hotdeck", n_imputations=1, **ROLES)
    with pytest.raises(ParameterError, match="'donors' parameter of impute"):
        cs.impute(d, method="fcs", continuous_model="pmm", donors=0, n_imputations=1,
                  **ROLES)
