"""Which times are ties: the one rule every survival computation of ctcstats applies.

R's survival package merges times that differ only by floating-point rounding before it
fits anything (``timefix = TRUE``, :func:`survival::aeqSurv`): among the sorted distinct
finite times ``y``, a time whose gap to its predecessor satisfies ::

    dy <= tol   or   dy / mean(|y|) <= tol,        tol = sqrt(.Machine$double.eps)

is replaced by the earlier retained cut (a chain of such gaps collapses onto its first value).

ctcstats applies the *relative* half of that rule only: ``dy <= tol · mean(|y|)``. The
absolute half depends on the unit of time (with times in seconds × 1e-9 every time would be
one tie), so it is dropped; whenever the mean distinct time is at least 1 the absolute half
adds nothing and the merge is exactly R's. The rule is the same for Kaplan–Meier, the
log-rank test, Cox, competing risks, Fine–Gray, concordance, the prognostic metrics and the
batch engine, so that those functions agree with each other at any time scale; rescaling
the times (× 1e-9 … × 1e9) merges the same values.

Merging distinct values is reported: :func:`merge_times` counts them and
:func:`merge_message` turns the count into the sentence every public function records as a
warning on its result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TIE_TOLERANCE", "MergedTimes", "merge_message", "merge_sorted_rows", "merge_times", "no_subset_merges"]

#: R's ``aeqSurv`` tolerance, ``sqrt(.Machine$double.eps)``, here relative to mean(|time|).
TIE_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class MergedTimes:
    """Times after merging ties; ``n_merged`` distinct values were merged into an earlier one."""

    time: np.ndarray
    start: np.ndarray | None
    n_merged: int


def merge_sorted_rows(ts: np.ndarray, valid: np.ndarray | None = None) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """The tie rule applied to every row of the row-wise sorted array ``ts`` (R, n).

    Only ``valid`` entries (e.g. rows of weight > 0 in the batch layout) define the distinct
    values and their mean, exactly as if each row were a data set of its own; every entry is
    mapped to the largest retained cut ≤ its value, so rows stay sorted. Returns the merged
    array (``ts`` itself when nothing merges) and the number of merged distinct values per row.
    """
    R, n = ts.shape
    none = np.zeros(R, dtype=np.int64)
    if n < 2:
        return ts, none
    # fast path: a row can merge only if two sorted neighbours are closer than tol · max|t|
    dy = np.diff(ts, axis=1)
    with np.errstate(invalid="ignore"):
        bound = TIE_TOLERANCE * np.max(np.abs(np.where(np.isfinite(ts), ts, 0.0)), axis=1)
        cand = np.any((dy > 0) & (dy <= bound[:, None]), axis=1)
    if not cand.any():
        return ts, none
    if not cand.all():
        rows = np.flatnonzero(cand)
        out, counts = ts.copy(), none.copy()
        out[rows], counts[rows] = merge_sorted_rows(ts[rows],
                                                    None if valid is None else valid[rows])
        return out, counts
    ok = np.isfinite(ts) if valid is None else (valid & np.isfinite(ts))
    pos = np.broadcast_to(np.arange(n), (R, n))
    last_valid = np.maximum.accumulate(np.where(ok, pos, -1), axis=1)
    prev_idx = np.concatenate([np.full((R, 1), -1), last_valid[:, :-1]], axis=1)
    has_prev = prev_idx >= 0
    prev_val = np.take_along_axis(ts, np.maximum(prev_idx, 0), axis=1)
    new = ok & (~has_prev | (ts != prev_val))  # first occurrence of each distinct value
    n_distinct = new.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_abs = np.where(new, np.abs(ts), 0.0).sum(axis=1) / np.maximum(n_distinct, 1)
        tied = new & has_prev & (ts - prev_val <= TIE_TOLERANCE * mean_abs[:, None])
    if not tied.any():
        return ts, none
    cut = new & ~tied
    last_cut = np.maximum.accumulate(np.where(cut, pos, -1), axis=1)
    mapped = np.take_along_axis(ts, np.maximum(last_cut, 0), axis=1)
    return np.where(last_cut >= 0, mapped, ts), tied.sum(axis=1).astype(np.int64)


def merge_times(time: np.ndarray, start: np.ndarray | None = None) -> MergedTimes:
    """Apply the tie rule to one data set: stop times and, for (start, stop] data, entry times.

    As ``aeqSurv``, the distinct values of start and stop together define the cuts. The
    inputs are never modified; when nothing merges they are returned as they are.
    """
    time = np.asarray(time, dtype=float)
    values = time if start is None else np.concatenate([np.asarray(start, float), time])
    if values.size < 2:
        return MergedTimes(time, start, 0)
    order = np.argsort(values, kind="stable")
    merged, count = merge_sorted_rows(values[order][None, :])
    if count[0] == 0:
        return MergedTimes(time, start, 0)
    out = np.empty_like(values)
    out[order] = merged[0]
    if start is None:
        return MergedTimes(out, None, int(count[0]))
    k = np.asarray(start).size
    return MergedTimes(out[k:], out[:k], int(count[0]))


def no_subset_merges(time: np.ndarray) -> bool:
    """True when no resample of ``time`` can have values merged by the tie rule: every gap
    between distinct values exceeds the tolerance times max |time|, which bounds the
    tolerance of any subset (its mean of distinct |values| is at most max |time|), and a
    subset's gaps are never smaller than the whole data's."""
    u = np.unique(time[np.isfinite(time)])
    if u.size < 2:
        return True
    return bool(np.min(np.diff(u)) > TIE_TOLERANCE * np.max(np.abs(u)))


def merge_message(n_merged: int, col: str | None = None) -> str | None:
    """The warning recorded when distinct times were merged (None when none were)."""
    if not n_merged:
        return None
    what = f"time_col {col!r}" if col else "the times"
    values = "value differs" if n_merged == 1 else "values differ"
    return (
        f"{what}: {n_merged} distinct {values} from the preceding time by at most "
        f"{TIE_TOLERANCE:.1e} × the mean time (floating-point rounding) and "
        f"{'was' if n_merged == 1 else 'were'} merged with it as a tie, as R's timefix "
        "(aeqSurv) does; round the times to their real precision to silence this."
    )
