"""impute(terms=...): non-linear and interaction terms of the substantive Cox model.

Reference: tests/reference/impute_terms/impute_terms.R runs R smcfcs with *passive
variables* on inputs/terms_mar.csv (n = 800; a standardised age ``a`` (missing), a binary
treatment ``trt`` (complete) and an overdispersed count ``ctc`` (missing), hazard non-linear
in ``a`` and ``log(ctc + 1)`` with a ``log(ctc + 1) x trt`` interaction):
``Surv(months, event) ~ a + asq + lc + lc1 + lc2 + trt + lctrt`` with asq = a^2,
lc = log(ctc + 1), lc1/lc2 the non-linear columns of Hmisc's restricted cubic spline of lc
(4 knots, Hmisc's default placement on the observed counts) and lctrt = lc x trt; smcfcs
``a = "norm"``, ``ctc = "poisson"``, m = 10, numit = 10, seeds 1..N_REP, pooled by
mice::pool. Python imputes the same model with ``terms`` (the spline through
:func:`ctcstats.rcs_term` with the knots recomputed by ``rcs_knots`` and checked equal to
R's) and ``types={"ctc": "count"}`` (Poisson). Tolerance rule as in
test_impute_reference.py: mean of k Python replicates vs mean of the R replicates, 4 Monte-
Carlo SDs (from the spread of the R replicates) plus 3% on the pooled SEs.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.prognostic.calibration import rcs_knots

from .test_impute_reference import _check

REF = Path(__file__).resolve().parents[1] / "reference" / "impute_terms"
OUT = json.loads((REF / "outputs" / "impute_terms_reference.json").read_text())
ROLES = {"time_col": "months", "event_col": "event"}


def _data() -> pd.DataFrame:
    return pd.read_csv(REF / "inputs" / "terms_mar.csv")


def _knots(d: pd.DataFrame) -> np.ndarray:
    return rcs_knots(np.log1p(d["ctc"].dropna().to_numpy(float)), 4)


def _terms(knots):
    return {"asq": lambda c: c["a"] ** 2,
            "lc": cs.rcs_term("ctc", knots),
            "lctrt": lambda c: np.log1p(c["ctc"]) * c["trt"]}


def test_knots_and_basis_as_r():
    d = _data()
    assert OUT["n_missing"] == d.isna().sum().astype(int).tolist()
    assert OUT["versions"]["smcfcs"] == "1.7.1" and OUT["m"] == 10 and OUT["n_rep"] >= 10
    assert_allclose(_knots(d), OUT["knots"], rtol=1e-12)


def test_pooled_estimates_match_r_smcfcs_passive_variables():
    d = _data()
    knots = _knots(d)
    covs = ["a", "asq", "lc", "trt", "lctrt"]
    est, se = [], []
    for seed in (1, 2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.CTCStatsWarning)  # rare rejection failures
            imp = cs.impute(d, covariates=covs, terms=_terms(knots), types={"ctc": "count"},
                            n_imputations=OUT["m"], n_iter=OUT["numit"], rng=4000 + seed,
                            **ROLES)
        assert imp.model_covariates == ("a", "asq", "lc_1", "lc_2", "lc_3", "trt", "lctrt")
        tab = cs.pool(imp, cs.fit_cox, covariates=list(imp.model_covariates), **ROLES).table
        est.append(tab["estimate"].to_numpy())
        se.append(tab["std_error"].to_numpy())
    _check(OUT["term"], est, se, OUT["estimate"], OUT["std_error"])
