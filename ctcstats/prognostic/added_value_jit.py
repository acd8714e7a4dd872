"""Compiled kernel of the bootstrap refits: each replicate's baseline hazard at the horizon.

Imported lazily by :mod:`ctcstats.prognostic.added_value` (this module imports numba). The
reference it is tested against is the per-replicate ``prepare_cox_data`` +
``baseline_hazard`` of the resampled rows (``tests/prognostic/test_added_value_batch.py``).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ..survival._core.cox import ETA_MAX, ETA_MIN


@njit
def _h0_at(order, tt, ev, W, LP, ok, t, efron, eta_min, eta_max, out):  # pragma: no cover
    B, n = LP.shape
    incs = np.empty(n)
    for b in range(B):
        if not ok[b]:
            out[b] = np.nan
            continue
        s0 = 0.0
        ninc = 0
        k = 0
        while k < n:
            tau = tt[order[k]]
            e = k + 1
            while e < n and tt[order[e]] == tau:
                e += 1
            d0 = 0.0
            m = 0.0
            for j in range(k, e):
                i = order[j]
                w = W[b, i]
                if w != 0.0:
                    r = w * np.exp(min(max(LP[b, i], eta_min), eta_max))
                    s0 += r
                    if ev[i]:
                        d0 += r
                        m += w
            if m > 0.0 and tau <= t:
                inc = 0.0
                for kk in range(int(m)):
                    step = kk / m if efron else 0.0
                    inc += 1.0 / (s0 - step * d0)
                incs[ninc] = inc
                ninc += 1
            k = e
        h = 0.0
        for j in range(ninc - 1, -1, -1):  # the increments in time order, as a cumsum
            h += incs[j]
        out[b] = h


def baseline_hazard_at(time: np.ndarray, event: np.ndarray, counts: np.ndarray,
                       lp: np.ndarray, ok: np.ndarray, t: float, ties: str) -> np.ndarray:
    """Breslow (Efron-corrected when ``ties="efron"``) baseline cumulative hazard at ``t`` of
    each replicate: ``counts`` (B, n) integer case counts of the resample, ``lp`` (B, n) the
    replicate's linear predictor centred at the resample's means (clipped to R's coxsafe
    limits, as ``risk_state``); NaN where not ``ok``. Equals ``cumhaz_at(*baseline_hazard(
    prepare_cox_data(x[rows], ...), coef, ties), t)`` of the resampled rows up to rounding
    (the rows are sorted by time once for all replicates)."""
    tt = np.asarray(time, float)
    order = np.argsort(-tt, kind="stable")
    out = np.empty(lp.shape[0])
    _h0_at(order, tt, np.asarray(event).astype(np.bool_),
           np.ascontiguousarray(counts, float), np.ascontiguousarray(lp, float),
           np.asarray(ok, np.bool_), float(t), ties == "efron", ETA_MIN, ETA_MAX, out)
    return out
