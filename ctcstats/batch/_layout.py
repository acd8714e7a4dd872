"""Replicates × patients layout shared by the batch log-rank and Cox engines.

Many data sets ("replicates": bootstrap resamples, permutations, simulated cohorts) are held as
2-D arrays of shape ``(R, n)`` — one row per replicate. Ragged replicates are padded with rows
of weight 0; bootstrap resamples are the same patients with integer weights (counts) per
replicate. Each row is sorted once (by time, then stably by stratum), the survival core's tie
rule (R's ``timefix``, relative to the time scale) is applied per replicate, and the
event-time structure is computed for all replicates at once:

* an *event group* is a distinct (replicate, stratum, time) with at least one event;
* its risk set is a contiguous slice of the sorted row (from the group's first position to the
  end of its stratum), so a risk-set sum is a difference of two entries of the per-row reverse
  cumulative sum (one ``np.cumsum`` along the patient axis; a replicate never touches another);
* the events are a flat list ordered by (replicate, group), reduced with ``np.add.reduceat``;
  per-replicate totals are ``np.bincount`` sums (each replicate in its own accumulator).

There is no Python loop over replicates, patients or event times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from ..survival._core.ties import merge_sorted_rows

__all__ = ["BatchLayout", "as_replicates", "build_layout", "sort_replicates", "pad_ragged", "shape_X",
           "suffix_sums", "reduce_multi", "reduce_steps", "per_replicate", "Segments",
           "BatchDisplay", "n_rows"]

# --------------------------------------------------------------------------- inputs
def as_replicates(time, event, X=None, *, strata=None, weights=None, func: str = "batch",
                  keep_X: bool = False):
    """Bring the inputs to the replicate layout.

    Accepted forms: 2-D arrays ``(R, n)`` (``X`` ``(R, n, p)``); 1-D arrays ``(n,)`` shared by
    every replicate (``X`` ``(n, p)`` or ``(n,)``), where ``weights`` of shape ``(R, n)`` make
    the replicates (e.g. bootstrap counts); or lists of 1-D arrays of different lengths (ragged
    replicates, ``X`` a list of ``(n_r, p)`` arrays), padded with weight-0 rows. Shared inputs
    stay 1-D (they are gathered per replicate when sorting). Returns
    ``(R, time, event, X, strata, weights)``; ``X`` is a list of per-covariate arrays and
    ``weights`` is None when every weight is 1. With ``keep_X`` (not for ragged lists), ``X``
    is returned as one array, ``(n, p)`` or ``(R, n, p)`` (:func:`shape_X`), not split.
    """
    if isinstance(time, (list, tuple)) and len(time) and np.ndim(time[0]) == 1:
        return pad_ragged(time, event, X, strata, weights, func)
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    if event.dtype != bool:
        event = event.astype(bool)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if time.ndim not in (1, 2):
        raise DataValidationError(f"{func}: time must be 1-D (n,) or 2-D (replicates, n); "
                                  f"got shape {time.shape}.")
    n = time.shape[-1]
    R = time.shape[0] if time.ndim == 2 else (1 if w is None or w.ndim == 1 else w.shape[0])
    s = None if strata is None else np.asarray(strata)
    if keep_X and X is not None:
        Xa = shape_X(X, time.ndim, n, func)
        cols = [Xa[..., j] for j in range(Xa.shape[-1])]  # views, for the shape checks
    else:
        cols = _split_X(X, time.ndim, n, func)
    for name, a in (("event", event), ("strata", s), ("weights", w)):
        if a is not None and a.shape[-1] != n:
            raise DataValidationError(f"{func}: {name} must have {n} columns like time; got "
                                      f"shape {a.shape}.")
    if time.ndim == 1:  # replicates made by any 2-D input (event, strata, weights, X)
        lead = [a.shape[0] for a in (event, s, w) if a is not None and a.ndim == 2]
        lead += [c.shape[0] for c in (cols or []) if c.ndim == 2]
        R = max([R] + lead)
    if w is not None and np.all(w == 1):
        w = None
    if keep_X and X is not None:
        _check(time, w, [Xa], func)
        return R, time, event, Xa, s, w
    _check(time, w, cols, func)
    return R, time, event, cols, s, w


def shape_X(X, tdim, n, func):
    """The covariates as one array: ``(n, p)`` shared by every replicate or ``(R, n, p)``
    (a view of the input where possible)."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim == 2 and X.shape[0] == n:  # (n, p), shared
        return X
    if X.ndim == 2 and tdim == 2 and X.shape[1] == n:  # (R, n): a single covariate
        return X[:, :, None]
    if X.ndim == 3 and X.shape[1] == n:
        return X
    raise DataValidationError(f"{func}: X must have shape (R, n, p), (n, p) or (n,) with n = "
                              f"{n}; got {X.shape}.")


def _split_X(X, tdim, n, func):
    if X is None:
        return None
    X = shape_X(X, tdim, n, func)
    if X.ndim == 2:
        return [np.ascontiguousarray(X[:, j]) for j in range(X.shape[1])]
    return [np.ascontiguousarray(X[:, :, j]) for j in range(X.shape[2])]


def pad_ragged(times, events, Xs, stratas, weights, func):
    """Ragged replicates (lists of 1-D arrays) as (R, n) arrays padded with weight-0 rows;
    returns ``(R, time, event, X columns, strata, weights)`` as :func:`as_replicates`."""
    R = len(times)
    lens = np.array([len(t) for t in times])
    n = int(lens.max())
    time = np.zeros((R, n))
    event = np.zeros((R, n), dtype=bool)
    w = np.zeros((R, n))
    p = None if Xs is None else np.asarray(Xs[0], float).reshape(lens[0], -1).shape[1]
    X = None if Xs is None else np.zeros((R, n, p))
    s = None if stratas is None else np.zeros((R, n), dtype=np.int64)
    for i in range(R):  # one copy per replicate (building the layout, not fitting)
        m = lens[i]
        t = np.asarray(times[i], float)
        time[i, :m] = t
        time[i, m:] = t.max() if m else 0.0
        event[i, :m] = np.asarray(events[i]).astype(bool)
        w[i, :m] = 1.0 if weights is None else np.asarray(weights[i], float)
        if X is not None:
            X[i, :m] = np.asarray(Xs[i], float).reshape(m, p)
        if s is not None:
            s[i, :m] = np.asarray(stratas[i])
    cols = None if X is None else [np.ascontiguousarray(X[:, :, j]) for j in range(p)]
    _check(time, w, cols, func)
    return R, time, event, cols, s, w


def _check(time, w, cols, func):
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        raise DataValidationError(f"{func}: times must be finite and ≥ 0.")
    if w is not None and (not np.all(np.isfinite(w)) or np.any(w < 0)):
        raise DataValidationError(f"{func}: weights must be finite and ≥ 0.")
    if cols is not None and not all(np.all(np.isfinite(c)) for c in cols):
        raise DataValidationError(f"{func}: covariates must be finite (no NaN or inf).")


# --------------------------------------------------------------------------- layout
class Segments:
    """Per-replicate sums of arrays whose entries are sorted by replicate.

    ``np.add.reduceat`` over the replicate boundaries (much faster than a weighted
    ``np.bincount``; each replicate is summed on its own); replicates without entries get 0.
    """

    __slots__ = ("R", "m", "starts", "empty")

    def __init__(self, index: np.ndarray, R: int):
        self.R = R
        self.m = index.size
        bounds = np.searchsorted(index, np.arange(R + 1))
        self.empty = bounds[1:] == bounds[:-1]
        # a start may equal m (an empty replicate at the end): it then points at the 0
        # appended in sum(), so the last non-empty replicate keeps all of its entries
        self.starts = bounds[:-1]

    def sum(self, v: np.ndarray) -> np.ndarray:
        if self.m == 0:
            return np.zeros(self.R)
        out = np.add.reduceat(np.append(v, 0.0), self.starts)
        out[self.empty] = 0.0
        return out


@dataclass(frozen=True, eq=False)
class BatchLayout:
    """Sorted replicates and their event-group structure (see the module docstring).

    ``flat`` maps each sorted position (r, j) to the flat index of the input (``r * n + c``),
    or ``order`` (R, n) to the input column. Flat "event" arrays list the event rows ordered by
    (replicate, group); "group" arrays list the event groups in the same order. A group has
    one likelihood step (Breslow, or a single event) or, with Efron ties, one sub-step per tied
    event: only those "multi" groups are expanded into the "step" arrays.
    ``g_lo``/``g_hi`` index an ``(R, n + 1)`` reverse-cumulative-sum buffer (column 0 = 0) so
    that a risk-set sum is ``buf.flat[g_lo] - buf.flat[g_hi]``.
    """

    R: int
    n: int
    order: np.ndarray
    flat: np.ndarray
    time: np.ndarray  # (R, n) sorted, timefixed
    weight: np.ndarray | None  # (R, n) sorted; None = all ones
    strata: np.ndarray | None  # (R, n) sorted codes
    event: np.ndarray  # (R, n) sorted event & weight > 0
    ev_flat: np.ndarray
    ev_rep: np.ndarray
    ev_w: np.ndarray | None
    g_first_ev: np.ndarray
    g_rep: np.ndarray
    g_start: np.ndarray  # flat sorted position of the group's first row
    g_lo: np.ndarray
    g_hi: np.ndarray
    g_deadwt: np.ndarray
    # Efron groups with more than one sub-step ("multi"): their indices, the event rows of
    # each (flat list ``m_ev`` with offsets ``m_ev_first``) and the expanded sub-steps
    m_groups: np.ndarray
    m_ev: np.ndarray
    m_ev_first: np.ndarray
    s_local: np.ndarray  # per step: index into m_groups
    s_e: np.ndarray
    s_wt: np.ndarray
    s_first: np.ndarray  # offsets of each multi group's steps
    n_events: np.ndarray  # (R,) weighted events
    g_seg: Segments  # per-replicate sums over groups
    m_seg: Segments  # ... over multi-step groups
    ev_seg: Segments  # ... over events
    ties: str = "efron"
    frequency: bool = True
    n_merged: np.ndarray | None = None  # (R,) distinct times merged as ties per replicate

    def gather(self, a: np.ndarray) -> np.ndarray:
        """Input array (n,) shared or (R, n) → sorted (R, n)."""
        if a.ndim == 1:
            return a[self.order]
        return np.take(a.ravel(), self.flat).reshape(self.R, self.n)


def sort_replicates(R, time, event, weights=None, strata=None, *, timefix=True):
    """Sort every replicate by time, then stably by stratum, and apply the tie rule.

    Returns ``(order, flat, time, weight, strata, event, n_merged)``, each sorted ``(R, n)``
    (``weight``/``strata`` None when not given; ``event`` is ``event & weight > 0``); ``order``
    and ``flat`` as in :class:`BatchLayout`. The first step of :func:`build_layout`, and all
    the compiled kernel needs.
    """
    n = time.shape[-1]
    offs = (np.arange(R) * n)[:, None]
    if time.ndim == 1:
        order = np.broadcast_to(np.argsort(time), (R, n))
    else:
        order = np.argsort(time, axis=1)
    flat = (order + offs).ravel()

    def gather(a):
        return a[order] if a.ndim == 1 else np.take(a.ravel(), flat).reshape(R, n)

    ts = gather(time)
    ws = None if weights is None else gather(weights)
    n_merged = np.zeros(R, dtype=np.int64)
    if timefix:  # the survival core's one tie rule, per replicate
        ts, n_merged = merge_sorted_rows(ts, None if ws is None else ws > 0)
    ss = None
    if strata is not None:
        codes = gather(np.asarray(strata, dtype=np.int64))
        if codes.size and codes.min() < 0:
            raise DataValidationError("strata must be integer codes ≥ 0.")
        dt = np.uint16 if codes.max(initial=0) < 65535 else np.int64
        o2 = np.argsort(codes.astype(dt), axis=1, kind="stable")  # radix sort for small codes
        order = np.take_along_axis(np.asarray(order), o2, axis=1)
        flat = (order + offs).ravel()
        ts = np.take_along_axis(ts, o2, axis=1)
        ws = None if ws is None else np.take_along_axis(ws, o2, axis=1)
        ss = np.take_along_axis(codes, o2, axis=1)
    es = gather(event)
    if ws is not None:
        es = es & (ws > 0)
    return order, flat, ts, ws, ss, es, n_merged


def build_layout(R, time, event, weights=None, strata=None, *, timefix=True, ties="efron",
                 frequency=True) -> BatchLayout:
    """Sort every replicate and compute the event-group structure.

    ``frequency=True`` treats weights as case counts (a weight of 2 is the row twice, so
    Efron's tie correction counts ``sum(w)`` tied events, as a bootstrap resample does);
    ``frequency=False`` uses R's ``coxph(weights=)`` semantics (tied rows counted once each).
    """
    order, flat, ts, ws, ss, es, n_merged = sort_replicates(R, time, event, weights, strata,
                                                            timefix=timefix)
    n = time.shape[-1]
    N = R * n
    tsf = ts.ravel()
    newb = np.empty(N, dtype=bool)
    newb[0] = True
    np.not_equal(tsf[1:], tsf[:-1], out=newb[1:])
    newb[::n] = True
    if ss is not None:
        ssf = ss.ravel()
        news = np.empty(N, dtype=bool)
        news[0] = True
        np.not_equal(ssf[1:], ssf[:-1], out=news[1:])
        news[::n] = True
        newb |= news
    ev_flat = np.flatnonzero(es.ravel())
    blk = np.cumsum(newb) - 1
    bstart = np.flatnonzero(newb)
    key = blk[ev_flat]
    del blk
    newg = np.ones(ev_flat.size, dtype=bool)
    newg[1:] = key[1:] != key[:-1]
    g_first_ev = np.flatnonzero(newg)
    g_start = bstart[key[g_first_ev]]
    g_rep = g_start // n
    g_pos = g_start - g_rep * n
    if ss is not None:
        sid = np.cumsum(news) - 1
        last = np.empty(N, dtype=bool)
        last[:-1] = news[1:]
        last[-1] = True
        send = np.flatnonzero(last) + 1
        g_end = send[sid[g_start]] - g_rep * n
    else:
        g_end = np.full(g_start.size, n)
    g_lo = g_rep * (n + 1) + (n - g_pos)
    g_hi = g_rep * (n + 1) + (n - g_end)
    ev_rep = ev_flat // n
    G = g_first_ev.size
    E = ev_flat.size
    ev_w = None if ws is None else ws.ravel()[ev_flat]
    if ev_w is None:
        g_deadwt = np.diff(np.append(g_first_ev, E)).astype(float)
        n_events = np.bincount(ev_rep, minlength=R).astype(float)
    else:
        g_deadwt = np.add.reduceat(ev_w, g_first_ev) if G else np.zeros(0)
        n_events = np.bincount(ev_rep, weights=ev_w, minlength=R)
    if ties == "breslow":
        m = np.ones(G, dtype=np.int64)
    elif frequency and ev_w is not None:
        mf = np.rint(g_deadwt)
        if not np.allclose(mf, g_deadwt, rtol=0, atol=1e-9):
            raise DataValidationError(
                "frequency weights must be whole numbers (case counts) for Efron ties; use "
                "frequency=False for R's coxph(weights=) semantics."
            )
        m = mf.astype(np.int64)
    else:
        m = np.diff(np.append(g_first_ev, E))
    m_groups = np.flatnonzero(m > 1)
    rows_per = np.diff(np.append(g_first_ev, E))[m_groups]
    m_ev_first = np.zeros(m_groups.size, dtype=np.int64)
    if m_groups.size:
        m_ev_first[1:] = np.cumsum(rows_per)[:-1]
    m_ev = (np.repeat(g_first_ev[m_groups] - m_ev_first, rows_per)
            + np.arange(int(rows_per.sum())))
    mm = m[m_groups]
    s_first = np.zeros(m_groups.size, dtype=np.int64)
    if m_groups.size:
        s_first[1:] = np.cumsum(mm)[:-1]
    s_local = np.repeat(np.arange(m_groups.size), mm)
    k = np.arange(s_local.size) - s_first[s_local]
    s_e = k / mm[s_local]
    s_wt = (g_deadwt[m_groups] / mm)[s_local]
    return BatchLayout(
        R=R, n=n, order=np.asarray(order), flat=flat, time=ts, weight=ws, strata=ss, event=es,
        ev_flat=ev_flat, ev_rep=ev_rep, ev_w=ev_w, g_first_ev=g_first_ev, g_rep=g_rep,
        g_start=g_start, g_lo=g_lo, g_hi=g_hi, g_deadwt=g_deadwt, m_groups=m_groups,
        m_ev=m_ev, m_ev_first=m_ev_first, s_local=s_local, s_e=s_e, s_wt=s_wt,
        s_first=s_first, g_seg=Segments(g_rep, R), m_seg=Segments(g_rep[m_groups], R),
        ev_seg=Segments(ev_rep, R),
        n_events=n_events, ties=ties, frequency=bool(frequency), n_merged=n_merged,
    )


# --------------------------------------------------------------------------- reductions
def suffix_sums(L: BatchLayout, v: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """Risk-set sums of ``v`` (R, n, sorted) at every event group → (G,).

    ``buf`` is an (R, n + 1) work array whose column 0 is 0. The cumulative sum runs from the
    latest time backwards (as R's C code accumulates), so small late risk sets keep full
    precision.
    """
    np.cumsum(v[:, ::-1], axis=1, out=buf[:, 1:])
    b = buf.ravel()
    return b[L.g_lo] - b[L.g_hi]


def reduce_multi(L: BatchLayout, v: np.ndarray) -> np.ndarray:
    """Sum a per-event array (ordered as ``ev_flat``) within each multi-step group."""
    if L.m_groups.size == 0:
        return np.zeros(0)
    return np.add.reduceat(v[L.m_ev], L.m_ev_first)


def reduce_steps(L: BatchLayout, v: np.ndarray) -> np.ndarray:
    """Sum a per-step array within each multi-step group."""
    if L.m_groups.size == 0:
        return np.zeros(0)
    return np.add.reduceat(v, L.s_first)


def per_replicate(index: np.ndarray, v: np.ndarray, R: int) -> np.ndarray:
    """Sum ``v`` (m,) into its replicate ``index`` → (R,) (any order of ``index``)."""
    return np.bincount(index, weights=v, minlength=R)


class BatchDisplay:
    """Display of the array-valued batch results, mixed in before the shared result base
    (:class:`ctcstats._results.Result`, which gives ``to_dict``, ``__str__`` and
    ``_repr_html_``): the header counts the replicates (and the converged ones) and the body
    shows the first rows of ``to_frame()``; the arrays stay the primary interface."""

    _title: ClassVar[str] = "Batch fits"
    _n_shown: ClassVar[int] = 10

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every batch result defines it
        raise NotImplementedError

    def _summary_items(self) -> list[tuple[str, Any]]:
        frame = self.to_frame()
        items: list[tuple[str, Any]] = [("n_replicates", len(frame))]
        if "converged" in frame:
            items.append(("n_converged", int(frame["converged"].sum())))
        return items + super()._summary_items()  # type: ignore[misc]

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [(f"first {self._n_shown} replicates", self.to_frame().head(self._n_shown))]


def n_rows(R: int, n: int, w: np.ndarray | None) -> int:
    """Rows analysed over all replicates: (replicate, row) pairs of positive weight (the
    weight-0 padding of ragged replicates, and rows a bootstrap did not draw, excluded)."""
    if w is None:
        return R * n
    return int(np.count_nonzero(np.broadcast_to(w, (R, n)) > 0))
