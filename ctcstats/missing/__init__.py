"""Missing covariates: multiple imputation for survival analyses and Rubin's rules.

* :func:`pool` / :func:`pooled_test` — analyse every imputed data set and pool the results
  (Rubin's rules with Barnard–Rubin df, as R ``mice::pool``; D1/D2/D3 tests).
"""

from .pooling import PooledResult, PooledTestResult, pool, pooled_test
from .rubin import barnard_rubin_df, rubin_rules

__all__ = [
    "PooledResult",
    "PooledTestResult",
    "pool",
    "pooled_test",
    "barnard_rubin_df",
    "rubin_rules",
]
