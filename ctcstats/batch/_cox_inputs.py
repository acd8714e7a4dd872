"""Inputs of the compiled Cox kernel (:mod:`ctcstats.survival._core.cox_kernel`) and the calls into it.

The kernel takes flat inputs: replicate r has ``off[r + 1] - off[r]`` rows, and its rows of
each input begin at ``base[k, r]`` — the same position for every replicate when the input is
shared (bootstrap replicates: one time column, one weight column per replicate). Ragged
replicates (lists of arrays, e.g. simulated cohorts of different sizes) are concatenated, not
padded: the kernel works on one replicate at a time with O(n) work arrays, so no
``(replicates × patients)`` temporaries are built. This module does not import numba; the
kernel is imported when a fit runs.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataValidationError
from ..survival._core.ties import TIE_TOLERANCE, merge_times

__all__ = ["fit_kernel", "is_ragged", "kernel_inputs", "loglik_kernel", "ragged_inputs"]


def is_ragged(time) -> bool:
    return isinstance(time, (list, tuple)) and len(time) > 0 and np.ndim(time[0]) == 1


def _flat(a, R, n, dtype):
    """(R, n) or (n,) → flat array and the base of each replicate."""
    a = np.asarray(a, dtype=dtype)
    if a.ndim == 1:
        return np.ascontiguousarray(a), np.zeros(R, dtype=np.int64)
    return np.ascontiguousarray(a).ravel(), np.arange(R, dtype=np.int64) * n


def kernel_inputs(R, time, event, cols, weights, strata, start, timefix):
    """Kernel inputs from the replicate layout of :func:`._layout.as_replicates` (arrays
    (R, n) or shared (n,); ``cols`` the covariate columns, or one array (n, p) / (R, n, p) as
    ``as_replicates(keep_X=True)`` gives it — used in place). (start, stop] times are tie-fixed
    here, start and stop together per replicate (as the numpy path). Returns the keyword
    arguments of the kernel and the merged-time counts of (start, stop] data (else None)."""
    n = time.shape[-1]
    n_merged = None
    if start is not None and timefix:
        from .cox import merge_start_times

        time, start, n_merged = merge_start_times(R, time, start)
    shared_order = None
    if time.ndim == 1 and start is None:
        # one time column for every replicate (bootstrap case counts, many covariate sets
        # on one cohort): all inputs put in time order once, so that each replicate's scan
        # reads its rows one after the other instead of gathering them; the kernel sees
        # the same rows in the same order (its order is then 0..n-1), so every fit is the
        # same, bit for bit
        shared_order = np.argsort(time)
        time, event = time[shared_order], np.asarray(event)[..., shared_order]
        weights = None if weights is None else np.asarray(weights)[..., shared_order]
        strata = None if strata is None else np.asarray(strata)[..., shared_order]
        if isinstance(cols, np.ndarray):
            cols = cols[shared_order] if cols.ndim == 2 else cols[:, shared_order]
        else:
            cols = [np.asarray(c)[..., shared_order] for c in cols]
    if isinstance(cols, np.ndarray):
        X = np.ascontiguousarray(cols)
        p = X.shape[-1]
        if X.ndim == 3:
            X = X.reshape(X.shape[0] * n, p)
            bx = np.arange(R, dtype=np.int64) * n if cols.shape[0] > 1 else np.zeros(
                R, dtype=np.int64)
        else:
            bx = np.zeros(R, dtype=np.int64)
    elif all(c.ndim == 1 for c in cols):
        X = np.column_stack(cols) if cols else np.zeros((n, 0))
        bx = np.zeros(R, dtype=np.int64)
    else:
        X = np.empty((R, n, len(cols)))
        for j, c in enumerate(cols):
            X[:, :, j] = c
        X = X.reshape(R * n, len(cols))
        bx = np.arange(R, dtype=np.int64) * n
    t, bt = _flat(time, R, n, float)
    o, bo = _flat(np.arange(n) if shared_order is not None else np.argsort(time, axis=-1),
                  R, n, np.int64)
    e, be = _flat(event, R, n, np.bool_)
    w, bw = (np.ones(1), np.zeros(R, np.int64)) if weights is None else _flat(weights, R, n,
                                                                             float)
    s, bs = ((np.zeros(1, np.int64), np.zeros(R, np.int64)) if strata is None
             else _flat(strata, R, n, np.int64))
    st, bst = ((np.zeros(1), np.zeros(R, np.int64)) if start is None
               else _flat(start, R, n, float))
    kw = dict(off=np.arange(R + 1, dtype=np.int64) * n,
              base=np.stack([bt, bo, be, bw, bs, bx, bst]), time=t, orders=o, event=e,
              weight=w, strata=s, X=np.ascontiguousarray(X, dtype=float), start=st,
              has_weight=weights is not None, has_strata=strata is not None,
              has_start=start is not None, do_timefix=bool(timefix) and start is None,
              tie_tol=TIE_TOLERANCE)
    return kw, n_merged


def ragged_inputs(time, event, X, strata, weights, start, timefix, func):
    """Kernel inputs from ragged replicates (lists of 1-D arrays; ``X`` a list of (n_r, p)
    arrays), concatenated. Validated as :func:`._layout.pad_ragged` (finite times ≥ 0,
    weights finite ≥ 0, finite covariates; equal lengths within a replicate). Returns the
    keyword arguments, the number of replicates, the rows analysed (positive weight) and the
    merged-time counts of (start, stop] data (else None)."""
    R = len(time)
    ts = [np.asarray(t, dtype=float) for t in time]
    lens = np.array([t.size for t in ts], dtype=np.int64)
    if X is None:
        raise DataValidationError(f"{func}: X (the covariates) is required.")
    if len(X) != R or len(event) != R:
        raise DataValidationError(f"{func}: time, event and X must list the same number of "
                                  f"replicates; got {R}, {len(event)} and {len(X)}.")
    p = np.asarray(X[0], float).reshape(lens[0], -1).shape[1] if R else 0

    def cat(parts, name, dtype):
        if parts is None:
            return None
        if len(parts) != R:
            raise DataValidationError(f"{func}: {name} must list {R} replicates like time; "
                                      f"got {len(parts)}.")
        arrs = [np.asarray(a, dtype=dtype).ravel() for a in parts]
        bad = [i for i, a in enumerate(arrs) if a.size != lens[i]]
        if bad:
            raise DataValidationError(f"{func}: {name} of replicate {bad[0]} has "
                                      f"{arrs[bad[0]].size} rows; time has {lens[bad[0]]}.")
        return np.concatenate(arrs) if arrs else np.zeros(0, dtype)

    e = cat(list(event), "event", np.bool_)
    w = cat(weights, "weights", float)
    s = cat(strata, "strata", np.int64)
    stt = cat(start, "start", float)
    xs = []
    for i, x in enumerate(X):
        x = np.asarray(x, dtype=float)
        if x.size != lens[i] * p:
            raise DataValidationError(f"{func}: X of replicate {i} must have shape "
                                      f"({lens[i]}, {p}); got {x.shape}.")
        xs.append(x.reshape(lens[i], p))
    Xf = np.concatenate(xs) if xs else np.zeros((0, p))
    t = np.concatenate(ts) if ts else np.zeros(0)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise DataValidationError(f"{func}: times must be finite and ≥ 0.")
    if w is not None and (not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise DataValidationError(f"{func}: weights must be finite and ≥ 0.")
    if not np.all(np.isfinite(Xf)):
        raise DataValidationError(f"{func}: covariates must be finite (no NaN or inf).")
    if stt is not None and (not np.all(np.isfinite(stt)) or np.any(stt >= t)):
        raise DataValidationError(f"{func}: every start must be finite and smaller than its "
                                  f"stop time; {int(np.sum(~(stt < t)))} are not.")
    n_merged = None
    if stt is not None and timefix:
        off0 = np.concatenate([[0], np.cumsum(lens)])
        n_merged = np.zeros(R, dtype=np.int64)
        merged_t, merged_s = [], []
        for i in range(R):
            m = merge_times(ts[i], stt[off0[i]:off0[i + 1]])
            merged_t.append(m.time)
            merged_s.append(m.start)
            n_merged[i] = m.n_merged
        ts, stt = merged_t, np.concatenate(merged_s) if merged_s else stt
    if stt is not None and timefix:
        t = np.concatenate(ts) if ts else np.zeros(0)
    off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    orders = (np.concatenate([np.argsort(a) for a in ts]).astype(np.int64) if R
              else np.zeros(0, np.int64))
    b = off[:-1]
    z = np.zeros(R, dtype=np.int64)
    kw = dict(off=off, base=np.stack([b, b, b, z if w is None else b, z if s is None else b, b,
                                      z if stt is None else b]),
              time=t, orders=orders, event=e, weight=np.ones(1) if w is None else w,
              strata=np.zeros(1, np.int64) if s is None else s, X=Xf,
              start=np.zeros(1) if stt is None else stt, has_weight=w is not None,
              has_strata=s is not None, has_start=stt is not None,
              do_timefix=bool(timefix) and stt is None, tie_tol=TIE_TOLERANCE)
    n_obs = int(t.size if w is None else np.count_nonzero(w > 0))
    return kw, R, p, n_obs, n_merged


def _status(status: np.ndarray) -> None:
    if np.any(status == 1):
        raise DataValidationError(
            "frequency weights must be whole numbers (case counts) for Efron ties; use "
            "frequency=False for R's coxph(weights=) semantics.")


def fit_kernel(kw: dict, n_merged, *, ties, frequency, eps, iter_max,
               toler_chol) -> tuple[dict, np.ndarray]:
    """R's coxph.fit for every replicate by the compiled kernel; returns the fit in the form
    of the numpy path's ``_nr`` (plus ``n_events``, ``n_merged``) and the replicates'
    no-event-level flags."""
    from ..survival._core.cox_kernel import cox_fit_batch

    s = kw["strata"]
    if kw["has_strata"] and s.size and s.min() < 0:
        raise DataValidationError("strata must be integer codes ≥ 0.")
    out = cox_fit_batch(**kw, efron=ties == "efron", frequency=bool(frequency),
                        eps=float(eps), iter_max=int(iter_max), toler_chol=float(toler_chol))
    beta, var, U, ll, rank, n_iter, conv, ll0, sctest, nev, nm, no_ev, status, _ = out
    _status(status)
    fit = dict(beta=beta, var=var, U=U, ll=ll, ll0=ll0, sctest=sctest, n_iter=n_iter,
               converged=conv, rank=rank, n_events=nev,
               n_merged=nm if n_merged is None else n_merged)
    return fit, no_ev


def loglik_kernel(kw: dict, beta: np.ndarray, *, ties, frequency) -> np.ndarray:
    """Log partial likelihood of every replicate at ``beta`` by the compiled kernel."""
    from ..survival._core.cox_kernel import cox_loglik_batch

    ll, status = cox_loglik_batch(**kw, efron=ties == "efron", frequency=bool(frequency),
                                  beta=np.ascontiguousarray(beta, dtype=float))
    _status(status)
    return ll
