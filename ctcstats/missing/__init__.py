"""Missing covariates: multiple imputation for survival analyses and Rubin's rules.

* :func:`impute` — multiply impute missing covariates for a Cox model (smcfcs, Bartlett et
  al. 2015; or chained equations with D and H(T), White & Royston 2009) →
  :class:`ImputationResult`; in pooled data the study enters the covariate models as a
  fixed effect or (``study_model="random"``, for covariates missing for whole studies) as
  two-stage random effects (Resche-Rigon & White 2018; :mod:`._multilevel`);
* :func:`pool` / :func:`pooled_test` — analyse every imputed data set and pool the results
  (Rubin's rules with Barnard–Rubin df, as R ``mice::pool``; D1/D2/D3 tests);
* :func:`rcs_term` — a restricted cubic spline as a derived term of ``impute(terms=...)``;
* :func:`missing_table` / :func:`missing_pattern` — how much is missing, and in which
  combinations.
"""

from ._terms import rcs_term
from .diagnostics import missing_pattern, missing_table
from .impute import ImputationResult, impute
from .pooling import PooledResult, PooledTestResult, pool, pooled_test
from .rubin import barnard_rubin_df, rubin_rules

__all__ = [
    "ImputationResult",
    "PooledResult",
    "PooledTestResult",
    "impute",
    "missing_pattern",
    "missing_table",
    "pool",
    "pooled_test",
    "rcs_term",
    "barnard_rubin_df",
    "rubin_rules",
]
