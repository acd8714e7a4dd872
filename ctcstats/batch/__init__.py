"""Batch engine: log-rank and Cox fitted over many replicates at once.

Used by power simulation, bootstrap validation (C-index CIs, prognostic models), permutation
p-values for cut-points. Each replicate's result equals :func:`ctcstats.fit_cox` /
:func:`ctcstats.logrank_test` on the same data (tested to 1e-6); the work is vectorised numpy
over a (replicates × patients) layout, in chunks that keep peak memory bounded.

* :func:`batch_cox`, :func:`batch_logrank` — the public entry points: a long DataFrame (one
  row per patient per replicate, ``replicate_col``) in, per-replicate fits out;
* :func:`~ctcstats.batch.cox.batch_cox_arrays`, :func:`~ctcstats.batch.cox.batch_cox_loglik`,
  :func:`~ctcstats.batch.logrank.batch_logrank_arrays` — the array-level engine (documented
  internal functions: (replicates × patients) arrays, shared arrays with per-replicate case
  counts, or ragged lists), called directly by power simulation and the bootstrap for speed;
* :func:`run_chunks` — run seeded chunks of work serially, with joblib or on a dask cluster,
  with identical results whatever the backend.
"""

from __future__ import annotations

from .cox import BatchCoxResult, batch_cox_arrays, batch_cox_loglik
from .frame import batch_cox, batch_logrank
from .logrank import BatchLogrankResult, batch_logrank_arrays
from .parallel import run_chunks

__all__ = ["BatchCoxResult", "BatchLogrankResult", "batch_cox", "batch_cox_arrays",
           "batch_cox_loglik", "batch_logrank", "batch_logrank_arrays", "run_chunks"]
