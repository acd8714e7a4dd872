"""The k-sample log-rank test over many replicates at once (R ``survdiff`` per replicate).

The arithmetic of :func:`ctcstats.survival._core.logrank.logrank_arrays` (R's ``survdiff2``)
over the replicates × patients layout of :mod:`._layout`: numbers at risk per group are reverse
cumulative sums along each sorted replicate, events per group are reduced within event groups,
and observed, expected and variance are summed per replicate. Strata, case weights (counts)
and Fleming–Harrington G(rho, gamma) weights are supported.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from ..errors import DataValidationError
from ..survival._core.logrank import chisq_statistic
from ._layout import BatchDisplay, as_replicates, build_layout, n_rows, suffix_sums

__all__ = ["BatchLogrankResult", "batch_logrank_arrays"]


@result
class BatchLogrankResult(BatchDisplay, Result):
    """Per-replicate log-rank tests.

    ``observed``, ``expected`` ``(R, k)``; ``variance`` ``(R, k, k)`` (R ``survdiff``'s
    ``obs``, ``exp`` and ``var``, summed over strata); ``statistic``, ``df``, ``p_value``
    ``(R,)`` as ``logrank_test``; for two groups ``log_hr`` = (O₂ − E₂)/V (the log-rank, or
    Peto, estimate of the log hazard ratio of the second group) and ``std_error`` = 1/√V;
    ``n_events`` per replicate (weighted); ``n_merged`` the distinct times merged as ties.
    From :func:`ctcstats.batch.batch_logrank`, ``replicates`` holds the replicate labels and
    ``groups`` the group labels (in code order). ``n_obs`` counts the rows analysed over all
    replicates, ``n_dropped`` the rows removed (``missing="drop"``).
    """

    _title: ClassVar[str] = "Batch log-rank tests"

    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    log_hr: np.ndarray
    std_error: np.ndarray
    n_events: np.ndarray
    replicates: np.ndarray | None = None
    n_merged: np.ndarray | None = None  # (R,) distinct times merged as ties (the core's rule)
    groups: tuple = ()
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """``replicate, statistic, df, p_value, log_hr, std_error, n_events``."""
        reps = np.arange(self.statistic.size) if self.replicates is None else self.replicates
        return pd.DataFrame({
            "replicate": reps, "statistic": self.statistic,
            "df": self.df, "p_value": self.p_value, "log_hr": self.log_hr,
            "std_error": self.std_error, "n_events": self.n_events,
        })


def _km_left(L, D: np.ndarray, N: np.ndarray) -> np.ndarray:
    """Left-continuous pooled Kaplan–Meier S(t−) at each event group, within (replicate,
    stratum): the core's product limit (1 − D/N) over the earlier groups of the same
    segment, computed for all segments at once as exclusive sums of logs."""
    G = D.size
    seg_key = L.g_rep.astype(np.int64)
    if L.strata is not None:
        seg_key = seg_key * (int(L.strata.max()) + 1) + L.strata.ravel()[L.g_start]
    new = np.ones(G, dtype=bool)
    new[1:] = seg_key[1:] != seg_key[:-1]
    seg = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    f = 1.0 - D / N
    zero = f <= 0
    with np.errstate(divide="ignore"):
        lf = np.where(zero, 0.0, np.log(np.where(zero, 1.0, f)))
    # exclusive cumulative sums within segment
    cl = np.concatenate([[0.0], np.cumsum(lf)])
    cz = np.concatenate([[0], np.cumsum(zero)])
    excl_l = cl[:-1] - cl[first[seg]]
    excl_z = cz[:-1] - cz[first[seg]]
    return np.where(excl_z > 0, 0.0, np.exp(excl_l))


def _one_chunk(R, time, event, group, k, weights, strata, rho, gamma, timefix):
    L = build_layout(R, time, event, weights, strata, timefix=timefix, ties="breslow")
    gs = L.gather(group)
    w = L.weight
    buf = np.zeros((R, L.n + 1))
    G = L.g_rep.size
    ge = gs.ravel()[L.ev_flat]
    we = np.ones(L.ev_flat.size) if L.ev_w is None else L.ev_w
    at_risk = np.empty((G, k))
    deaths = np.empty((G, k))
    for lev in range(k):
        ind = (gs == lev).astype(float)
        if w is not None:
            ind *= w
        at_risk[:, lev] = suffix_sums(L, ind, buf)
        v = we * (ge == lev)
        deaths[:, lev] = np.add.reduceat(v, L.g_first_ev) if G else v[:0]
    N = at_risk.sum(axis=1)
    D = L.g_deadwt
    if rho != 0.0 or gamma != 0.0:
        s = _km_left(L, D, N)
        wt = np.power(s, rho) * np.power(1.0 - s, gamma)
    else:
        wt = np.ones(G)
    seg = L.g_seg
    obs = np.column_stack([seg.sum(wt * deaths[:, lev]) for lev in range(k)])
    ratio = wt * D / N
    exp = np.column_stack([seg.sum(ratio * at_risk[:, lev]) for lev in range(k)])
    multi = N > 1
    c = np.zeros(G)
    c[multi] = wt[multi] ** 2 * D[multi] * (N[multi] - D[multi]) / (N[multi] * (N[multi] - 1))
    var = np.empty((R, k, k))
    cn = c / N
    for a in range(k):
        for b in range(a, k):
            v = -seg.sum(cn * at_risk[:, a] * at_risk[:, b])
            if a == b:
                v += seg.sum(c * at_risk[:, a])
            var[:, a, b] = var[:, b, a] = v
    return obs, exp, var, L.n_events, L.n_merged


def batch_logrank_arrays(
    time,
    event,
    group,
    *,
    n_groups: int | None = None,
    strata=None,
    weights=None,
    rho: float = 0.0,
    gamma: float = 0.0,
    timefix: bool = True,
    chunk_rows: int = 200_000,
) -> BatchLogrankResult:
    """Log-rank test of every replicate; each equals ``logrank_test`` on that replicate.

    The array-level entry point of the batch engine (documented internal function, used by
    :func:`ctcstats.designs.power.simulate_power` for speed); the public
    :func:`ctcstats.batch.batch_logrank` takes a long DataFrame and calls this.

    Parameters
    ----------
    time, event : array (R, n) or (n,) or list of 1-D arrays
        As in :func:`ctcstats.batch.cox.batch_cox_arrays` (shared 1-D arrays with ``weights`` (R, n) are
        bootstrap replicates; lists are ragged replicates).
    group : array of int codes 0..k-1, same layout
        Group of each row (e.g. marker-negative 0, marker-positive 1). For permutation
        p-values pass the permuted codes as an (R, n) array with shared times.
    n_groups : int, optional
        k (default: largest code + 1).
    strata : array of int codes ≥ 0, optional
        Stratified test (O, E and V summed over strata).
    weights : array, optional
        Case counts ≥ 0 (0 = row absent).
    rho, gamma : float
        Fleming–Harrington weights S(t−)^rho (1 − S(t−))^gamma of the pooled KM.
    timefix : bool
        Merge almost-equal times per replicate (R's ``timefix``), as ``logrank_test``.
    chunk_rows : int
        Replicates are processed in chunks of about this many rows.

    Returns
    -------
    BatchLogrankResult

    Examples
    --------
    >>> import numpy as np
    >>> from ctcstats.batch.logrank import batch_logrank_arrays
    >>> g = np.random.default_rng(0)
    >>> grp = g.integers(0, 2, (4, 100))
    >>> t = g.exponential(1 / np.exp(0.7 * grp))
    >>> res = batch_logrank_arrays(np.round(t, 2), np.ones_like(t), grp)
    >>> res.statistic.shape, bool(np.all(res.df == 1))
    ((4,), True)
    """
    R, time, event, _, strata, w = as_replicates(time, event, None, strata=strata,
                                                 weights=weights, func="batch_logrank_arrays")
    group = np.asarray(group)
    if not np.issubdtype(group.dtype, np.integer) or (group.size and group.min() < 0):
        raise DataValidationError("batch_logrank_arrays: group must hold integer codes 0..k-1.")
    if group.shape[-1] != time.shape[-1]:
        raise DataValidationError("batch_logrank_arrays: group must have the shape of time.")
    if group.ndim == 2 and time.ndim == 1 and R == 1:
        R = group.shape[0]  # shared times, one labelling per replicate (permutations)
    if group.ndim == 2 and group.shape[0] != R:
        raise DataValidationError(f"batch_logrank_arrays: group has {group.shape[0]} replicates; "
                                  f"time/weights have {R}.")
    k = int(group.max()) + 1 if n_groups is None else int(n_groups)
    k = max(k, 2)
    n = time.shape[-1]
    step = max(1, int(chunk_rows) // max(n, 1))
    parts = []

    def rows(a, lo, hi):
        return a if a is None or a.ndim == 1 else a[lo:hi]

    for a in range(0, R, step):
        b = min(R, a + step)
        wc = w if w is None or w.ndim == 2 else np.broadcast_to(w, (b - a, n))
        parts.append(_one_chunk(b - a, rows(time, a, b), rows(event, a, b),
                                rows(group, a, b), k, rows(wc, a, b), rows(strata, a, b),
                                float(rho), float(gamma), timefix))
    obs, exp, var, nev, merged = (np.concatenate([p[i] for p in parts]) for i in range(5))
    stat = np.zeros(R)
    df = np.zeros(R)
    allpos = np.all(exp > 0, axis=1)
    if k == 2:
        v = var[:, 1, 1]
        u = obs[:, 1] - exp[:, 1]
        good = allpos & (v > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.where(good, u * u / np.where(good, v, 1.0), 0.0)
        df = np.where(allpos, 1.0, 0.0)
        todo = np.flatnonzero(allpos & ~good)
    else:
        good = allpos.copy()
        if good.any():
            u = (obs - exp)[good][:, 1:]
            vv = var[good][:, 1:, 1:]
            try:
                sol = np.linalg.solve(vv, u[:, :, None])[:, :, 0]
                stat[good] = np.einsum("ri,ri->r", u, sol)
                df[good] = k - 1
            except np.linalg.LinAlgError:
                good[:] = False
        todo = np.flatnonzero(~good)
    for r in todo:  # survdiff's rules for empty groups or singular variances (rare)
        s_, d_, _ = chisq_statistic(obs[r], exp[r], var[r])
        stat[r], df[r] = s_, d_
    p = np.where(df > 0, stats.chi2.sf(stat, np.maximum(df, 1)), 1.0)
    if k == 2:
        v = var[:, 1, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_hr = np.where(v > 0, (obs[:, 1] - exp[:, 1]) / v, np.nan)
            se = np.where(v > 0, 1.0 / np.sqrt(v), np.nan)
    else:
        log_hr = se = np.full(R, np.nan)
    return BatchLogrankResult(observed=obs, expected=exp, variance=var, statistic=stat, df=df,
                              p_value=p, log_hr=log_hr, std_error=se, n_events=nev,
                              n_merged=merged, n_obs=n_rows(R, n, w))
