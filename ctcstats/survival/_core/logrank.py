"""The one log-rank engine: R ``survdiff``'s observed, expected, variance and statistic.

:func:`logrank_arrays` is the computation of R's ``survdiff`` C routine (``survdiff2``),
vectorised over event times; :func:`chisq_statistic` is survdiff's chi-square (groups with
no expected events left out). :func:`ctcstats.logrank_test`, the pairwise tests,
:func:`ctcstats.optimal_cutpoint` and :func:`ctcstats.batch.batch_logrank` all use them.
The Fleming–Harrington weights use the one Kaplan–Meier (:func:`.curves.product_limit`).
Times must already have their ties merged (:func:`.ties.merge_times`).
"""

from __future__ import annotations

import numpy as np

from .curves import product_limit

__all__ = ["chisq_statistic", "logrank_arrays"]


def logrank_arrays(
    time,
    event,
    group_codes,
    n_groups: int,
    strata_codes=None,
    rho: float = 0.0,
    gamma: float = 0.0,
    start=None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted observed, expected and variance matrix of the k-sample log-rank test.

    The computation of R's ``survdiff`` C routine (``survdiff2``), vectorised over event times:
    rows are sorted once by (stratum, time); per distinct time the group counts and events come
    from ``np.bincount``; risk sets are reverse cumulative sums within stratum. At each event time
    t with N at risk (n_k in group k) and D events (d_k), and weight
    w = S(t−)^rho · (1 − S(t−))^gamma of the pooled, left-continuous Kaplan–Meier within the
    stratum::

        observed_k += w d_k
        expected_k += w D n_k / N
        var        += w² D (N − D) / (N (N − 1)) · (diag(n) − n nᵀ / N)      (N > 1)

    Parameters
    ----------
    time : array of float
        Follow-up times (already validated, ≥ 0, finite; no timefix applied here).
    event : array of 0/1 or bool
    group_codes : array of int in ``0 .. n_groups - 1``
    n_groups : int
    strata_codes : array of int ≥ 0, optional
        Stratum of each row; O, E and V are summed over strata.
    rho, gamma : float
        Fleming–Harrington weight exponents; ``rho = gamma = 0`` is the plain log-rank test.
    start : array of float, optional
        Entry times of (start, stop] rows (delayed entry, counting-process data): a row is at
        risk at t when ``start < t <= time`` (the rows of the stratum entering at or after t
        are removed from the risk set).

    Returns
    -------
    obs, exp : ndarray, shape (n_groups,)
        Weighted observed and expected events, summed over strata (R: ``rowSums(fit$obs)``,
        ``rowSums(fit$exp)``).
    var : ndarray, shape (n_groups, n_groups)
        Variance matrix of ``obs - exp`` (R: ``fit$var``).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    codes = np.asarray(group_codes, dtype=np.intp)
    k = int(n_groups)
    n = time.shape[0]
    if n == 0:
        return np.zeros(k), np.zeros(k), np.zeros((k, k))
    strata = (
        np.zeros(n, dtype=np.intp) if strata_codes is None
        else np.asarray(strata_codes, dtype=np.intp)
    )

    order = np.lexsort((time, strata))
    ts, es, gs, ss = time[order], event[order], codes[order], strata[order]

    # one block per distinct (stratum, time)
    new_block = np.empty(n, dtype=bool)
    new_block[0] = True
    new_block[1:] = (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])
    block = np.cumsum(new_block) - 1
    n_blocks = int(block[-1]) + 1
    block_stratum = ss[new_block]

    flat = block * k + gs
    count = np.bincount(flat, minlength=n_blocks * k).reshape(n_blocks, k).astype(float)
    deaths = np.bincount(flat, weights=es, minlength=n_blocks * k).reshape(n_blocks, k)

    # risk sets: reverse cumulative counts, restarted at each stratum
    seg_start = np.flatnonzero(np.r_[True, block_stratum[1:] != block_stratum[:-1]])
    seg_end = np.r_[seg_start[1:], n_blocks]
    is_start = np.zeros(n_blocks, dtype=np.intp)
    is_start[seg_start] = 1
    seg_of_block = np.cumsum(is_start) - 1
    rev = np.cumsum(count[::-1], axis=0)[::-1]
    rev = np.vstack([rev, np.zeros((1, k))])
    at_risk = rev[:n_blocks] - rev[seg_end[seg_of_block]]
    if start is not None:
        at_risk = at_risk - _entered_later(np.asarray(start, float)[order], ss, gs, k,
                                           ts[new_block], block_stratum)

    n_risk = at_risk.sum(axis=1)
    d_tot = deaths.sum(axis=1)

    if rho != 0.0 or gamma != 0.0:
        # pooled Kaplan–Meier within stratum, left-continuous: S(t-) at each block
        s_left = np.empty(n_blocks)
        for a, b in zip(seg_start, seg_end, strict=True):  # one iteration per stratum
            s_left[a] = 1.0
            if b - a > 1:
                s_left[a + 1 : b] = product_limit(d_tot[a : b - 1], n_risk[a : b - 1])
        weight = np.power(s_left, rho) * np.power(1.0 - s_left, gamma)
    else:
        weight = np.ones(n_blocks)

    ev = d_tot > 0
    w, at_risk, deaths, n_risk, d_tot = weight[ev], at_risk[ev], deaths[ev], n_risk[ev], d_tot[ev]

    obs = (w[:, None] * deaths).sum(axis=0)
    exp = ((w * d_tot / n_risk)[:, None] * at_risk).sum(axis=0)
    multi = n_risk > 1
    c = np.zeros_like(n_risk)
    c[multi] = (
        w[multi] ** 2 * d_tot[multi] * (n_risk[multi] - d_tot[multi])
        / (n_risk[multi] * (n_risk[multi] - 1.0))
    )
    var = np.diag((c[:, None] * at_risk).sum(axis=0)) - (
        (at_risk * (c / n_risk)[:, None]).T @ at_risk
    )
    return obs, exp, var


def _entered_later(st, ss, gs, k, block_time, block_stratum):
    """Per block (stratum, time t) and group, the rows of that stratum with start >= t."""
    vals = np.unique(np.concatenate([st, block_time]))
    M = vals.size + 1
    key = ss.astype(np.int64) * M + np.searchsorted(vals, st)
    o = np.argsort(key, kind="stable")
    ks = key[o]
    onehot = np.zeros((st.size + 1, k))
    onehot[np.arange(1, st.size + 1), gs[o]] = 1.0
    cum = np.cumsum(onehot, axis=0)
    bs = block_stratum.astype(np.int64)
    lo = np.searchsorted(ks, bs * M + np.searchsorted(vals, block_time), "left")
    hi = np.searchsorted(ks, (bs + 1) * M, "left")
    return cum[hi] - cum[lo]


def chisq_statistic(obs: np.ndarray, exp: np.ndarray, var: np.ndarray) -> tuple[float, int, list[str]]:
    """survdiff's statistic: groups with expected 0 are left out, then the first remaining one."""
    keep = np.flatnonzero(exp > 0)
    df = keep.size - 1
    notes: list[str] = []
    if keep.size < 2:
        return 0.0, max(df, 0), notes
    idx = keep[1:]
    u = (obs - exp)[idx]
    vv = var[np.ix_(idx, idx)]
    try:
        stat = float(u @ np.linalg.solve(vv, u))
    except np.linalg.LinAlgError:
        stat = float(u @ np.linalg.pinv(vv) @ u)
        rank = int(np.linalg.matrix_rank(vv))
        notes.append(
            f"the variance matrix of observed − expected is singular (rank {rank} < {df}); a "
            "generalised inverse was used and df reduced to its rank (R survdiff stops here)."
        )
        df = rank
    return stat, df, notes
