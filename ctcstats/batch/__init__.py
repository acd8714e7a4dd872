"""Batch engine: log-rank and Cox fitted over many replicates at once.

Used by power simulation, bootstrap validation (C-index CIs, prognostic models), permutation
p-values for cut-points. Each replicate's result equals :func:`ctcstats.fit_cox` /
:func:`ctcstats.logrank_test` on the same data (tested to 1e-6); the work is vectorised numpy
over a (replicates × patients) layout, in chunks that keep peak memory bounded.

* :func:`batch_cox` — Cox (Efron/Breslow, strata, case weights, a few covariates);
  :func:`batch_cox_loglik` — the log partial likelihood at given coefficients;
* :func:`batch_logrank` — k-sample log-rank (strata, weights, Fleming–Harrington);
* :func:`run_chunks` — run seeded chunks of work serially, with joblib or on a dask cluster,
  with identical results whatever the backend.
"""

from __future__ import annotations

from .cox import BatchCoxResult, batch_cox, batch_cox_loglik
from .logrank import BatchLogrankResult, batch_logrank
from .parallel import run_chunks

__all__ = ["BatchCoxResult", "BatchLogrankResult", "batch_cox", "batch_cox_loglik", "batch_logrank",
           "run_chunks"]
