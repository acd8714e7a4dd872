"""impute agrees with R smcfcs and mice *in distribution*.

tests/reference/missing/missing_impute.R imputes two incomplete data sets many times (seeds
1..N_REP; m = 10 imputations, 10 cycles each), fits coxph to every imputed data set, pools
with mice::pool and stores the pooled log HRs and standard errors per seed:

* ``synth`` — inputs/synth_mar.csv: x ~ N(0,1), z binary (depends on x), Cox with log HRs
  0.7 / 0.6, x (~39%) and z (~23%) missing at random given the event; smcfcs
  ``c("norm", "logreg")`` and mice ``norm``/``logreg`` with the event and H(T).
* ``colon`` — inputs/colon_mar.csv (survival::colon deaths with extra MAR missingness):
  ``Surv(time, status) ~ rx + age + obstruct + nodes + differ`` (differ a 3-level factor);
  smcfcs ``nodes = "norm", differ = "mlogit"``; mice ``norm``/``polyreg`` with status and
  H(T).

Imputation is random, so the Python and R pooled estimates differ by Monte-Carlo error. For
each term the mean of k Python replicates is compared with the mean of the R replicates; the
spread of a replicate is estimated by the SD s of the R replicates, so the difference of the
two means has SD s·sqrt(1/k + 1/N_REP) if both implement the same method. Tolerance: 4 such
SDs (a false alarm once in ~16,000 comparisons per term). The pooled standard errors are
compared the same way, with an extra 3% relative allowance: R's coxph and ours agree
exactly on a given data set, but the SEs of pooled estimates vary little between replicates,
so 4 MC SDs alone would also flag tiny legitimate differences of the draws (e.g. R smcfcs
computes the baseline hazard at the estimated, ours at the drawn coefficients).

The fast test runs smcfcs and FCS on ``synth`` with k = 2; the slow one adds ``colon`` and
k = 5.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs

REF = Path(__file__).resolve().parents[1] / "reference" / "missing"
OUT = json.loads((REF / "outputs" / "impute_reference.json").read_text())

SYNTH = {"time_col": "months", "event_col": "event", "covariates": ["x", "z"]}
COLON = {"time_col": "time", "event_col": "status",
         "covariates": ["rx", "age", "obstruct", "nodes", "differ"]}


def _synth() -> pd.DataFrame:
    return pd.read_csv(REF / "inputs" / "synth_mar.csv")


def _colon() -> pd.DataFrame:
    d = pd.read_csv(REF / "inputs" / "colon_mar.csv")
    # differ as a factor with levels 1 < 2 < 3 (R: factor(differ, levels = 1:3))
    d["differ"] = pd.Categorical(d["differ"], categories=[1.0, 2.0, 3.0])
    return d[["time", "status", "rx", "age", "obstruct", "nodes", "differ"]]


@pytest.fixture(scope="module")
def replicates() -> dict:
    """Pooled estimates per (data set, method, seed), shared by the module's tests: the k = 5
    run on ``synth`` reuses the k = 2 run's seeds 1 and 2 (the same calls, so the same
    numbers) instead of imputing them again. Module-scoped, so the module runs on one xdist
    worker (tests/conftest.py)."""
    return {}


def _python_replicates(data, roles, method, k, cache=None, name=""):
    cache = {} if cache is None else cache
    est, se = [], []
    for seed in range(1, k + 1):
        key = (name, method, seed)
        if key not in cache:
            with warnings.catch_warnings():
                # rejection sampling occasionally keeps a previous value (R smcfcs warns too)
                warnings.simplefilter("ignore", cs.CTCStatsWarning)
                imp = cs.impute(data, n_imputations=OUT["m"], n_iter=OUT["numit"],
                                method=method, rng=1000 + seed, **roles)
            tab = cs.pool(imp, cs.fit_cox, **roles).table
            cache[key] = (tab["estimate"].to_numpy(), tab["std_error"].to_numpy(),
                          list(tab["term"]))
        e, s, terms = cache[key]
        est.append(e)
        se.append(s)
    return np.array(est), np.array(se), terms


def _check(terms, p_est, p_se, r_est, r_se):
    """Means of k Python replicates vs means of the R replicates (tolerance rule above)."""
    p_est, p_se = np.asarray(p_est, float), np.asarray(p_se, float)
    r_est, r_se = np.asarray(r_est, float), np.asarray(r_se, float)
    factor = np.sqrt(1.0 / p_est.shape[0] + 1.0 / r_est.shape[0])
    tol_est = 4 * r_est.std(axis=0, ddof=1) * factor
    tol_se = 4 * r_se.std(axis=0, ddof=1) * factor + 0.03 * r_se.mean(axis=0)
    d_est = np.abs(p_est.mean(axis=0) - r_est.mean(axis=0))
    d_se = np.abs(p_se.mean(axis=0) - r_se.mean(axis=0))
    report = pd.DataFrame({"term": terms, "python": p_est.mean(axis=0),
                           "r": r_est.mean(axis=0), "diff": d_est, "tol": tol_est,
                           "python_se": p_se.mean(axis=0), "r_se": r_se.mean(axis=0),
                           "tol_se": tol_se})
    assert (d_est <= tol_est).all(), report.to_string()
    assert (d_se <= tol_se).all(), report.to_string()


def _compare(ref: dict, data, roles, method, k, cache=None, name=""):
    p_est, p_se, terms = _python_replicates(data, roles, method, k, cache, name)
    assert len(terms) == len(ref["term"])
    _check(terms, p_est, p_se, ref["estimate"], ref["std_error"])


def test_reference_provenance():
    assert OUT["versions"]["smcfcs"] == "1.7.1" and OUT["versions"]["mice"] == "3.15.0"
    assert OUT["m"] == 10 and OUT["numit"] == 10 and OUT["n_rep"] >= 10
    d = _synth()
    assert OUT["synth"]["n_missing"] == d.isna().sum().astype(int).tolist()


@pytest.mark.parametrize(("method", "r_method"), [("smcfcs", "smcfcs"), ("fcs", "mice")])
def test_synthetic_cohort_matches_r_in_distribution(method, r_method, replicates):
    _compare(OUT["synth"][r_method], _synth(), SYNTH, method, k=2, cache=replicates,
             name="synth")


@pytest.mark.slow
@pytest.mark.parametrize(("method", "r_method"), [("smcfcs", "smcfcs"), ("fcs", "mice")])
def test_colon_matches_r_in_distribution(method, r_method):
    _compare(OUT["colon"][r_method], _colon(), COLON, method, k=5)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "r_method"), [("smcfcs", "smcfcs"), ("fcs", "mice")])
def test_synthetic_cohort_more_replicates(method, r_method, replicates):
    _compare(OUT["synth"][r_method], _synth(), SYNTH, method, k=5, cache=replicates,
             name="synth")


# --------------------------------------------------------------------------- competing risks
COMPET = json.loads((REF / "outputs" / "impute_compet_reference.json").read_text())


def _cause(k):
    def fit(data):
        return cs.fit_cox(data.assign(cause=(data["d"] == k).astype(int)), time_col="t",
                          event_col="cause", covariates=["x", "z"])
    return fit


def test_competing_risks_matches_r_smcfcs_compet_in_distribution():
    """missing_impute_compet.R: smcfcs(smtype = "compet") with a cause-specific Cox model per
    cause on inputs/compet_mar.csv, N_REP seeds; same tolerance rule as above, k = 2."""
    assert COMPET["versions"]["smcfcs"] == "1.7.1" and COMPET["m"] == 10
    data = pd.read_csv(REF / "inputs" / "compet_mar.csv")
    assert COMPET["n_missing"] == data.isna().sum().astype(int).tolist()
    k = 2
    est, se = [], []
    for seed in range(1, k + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.CTCStatsWarning)
            imp = cs.impute(data, time_col="t", event_col="d", covariates=["x", "z"],
                            competing_risks=True, n_imputations=COMPET["m"],
                            n_iter=COMPET["numit"], rng=2000 + seed)
        tabs = [cs.pool(imp, _cause(c)).table for c in (1, 2)]
        est.append(np.concatenate([t["estimate"].to_numpy() for t in tabs]))
        se.append(np.concatenate([t["std_error"].to_numpy() for t in tabs]))
    _check(COMPET["term"], est, se, COMPET["estimate"], COMPET["std_error"])


# --------------------------------------------------------------------------- pooled studies
def test_study_fixed_effect_matches_r_smcfcs_in_distribution():
    """missing_impute_study.R: smcfcs with ``Surv(t, d) ~ x + z + study`` on
    inputs/study_mar.csv (4 studies, covariates missing sporadically within each), N_REP
    seeds; same tolerance rule as above, k = 2."""
    ref = json.loads((REF / "outputs" / "impute_study_reference.json").read_text())
    assert ref["versions"]["smcfcs"] == "1.7.1" and ref["m"] == 10
    data = pd.read_csv(REF / "inputs" / "study_mar.csv")
    assert ref["n_missing"] == data.isna().sum().astype(int).tolist()
    roles = {"time_col": "t", "event_col": "d"}
    k = 2
    est, se = [], []
    for seed in range(1, k + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.CTCStatsWarning)
            imp = cs.impute(data, covariates=["x", "z"], study_col="study",
                            n_imputations=ref["m"], n_iter=ref["numit"], rng=3000 + seed,
                            **roles)
        tab = cs.pool(imp, cs.fit_cox, covariates=["x", "z", "study"], **roles).table
        assert tab["term"].tolist() == ["x", "z", "study[S2]", "study[S3]", "study[S4]"]
        est.append(tab["estimate"].to_numpy())
        se.append(tab["std_error"].to_numpy())
    _check(ref["term"], est, se, ref["estimate"], ref["std_error"])
