"""Validation of long-format multi-state data, shared by the estimators of this subpackage.

Every estimator takes either a :class:`~ctcstats.multistate.data.MultistateData` (from
:func:`~ctcstats.multistate.multistate_data`) or a DataFrame in the same long format
(``<id_col>, from, to, trans, start, stop, status``) together with its
:class:`~ctcstats.multistate.transitions.TransitionMatrix`. :func:`prepare_long` checks the
latter once and returns the pieces the estimators need; a ``MultistateData`` is trusted (it
was built and checked by ``multistate_data``) but its table is still copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import (
    check_event_column,
    check_numeric_column,
    format_labels,
    group_levels,
    prepare_frame,
)
from ..errors import DataValidationError, ParameterError
from .data import LONG_COLUMNS, MultistateData
from .transitions import TransitionMatrix

__all__ = ["LongData", "prepare_long", "stays"]


@dataclass(frozen=True)
class LongData:
    """Checked long-format data (a private copy, original row labels kept)."""

    frame: pd.DataFrame
    transitions: TransitionMatrix
    id_col: str
    clock: str
    n_rows: int  # rows of the long table analysed
    n_dropped: int  # patients removed for missing values (all their rows)
    n_patients: int


def prepare_long(
    data,
    *,
    func: str,
    transitions: TransitionMatrix | None,
    id_col: str | None,
    extra: Sequence[str | None] = (),
    missing: str = "raise",
) -> LongData:
    """Check *data* (MultistateData or long DataFrame) and return a private copy."""
    extra = [c for c in extra if c is not None]
    if isinstance(data, MultistateData):
        if transitions is not None and transitions != data.transitions:
            raise ParameterError(
                f"The 'transitions' parameter of {func} differs from the transition matrix of "
                "the MultistateData given; leave it out (the data carry their own)."
            )
        if id_col is not None and id_col != data.id_col:
            raise ParameterError(
                f"The 'id_col' parameter of {func} ({id_col!r}) differs from the id column of "
                f"the MultistateData given ({data.id_col!r}); leave it out."
            )
        tm, idc, clock, table = data.transitions, data.id_col, data.clock, data.table
    elif isinstance(data, pd.DataFrame):
        if not isinstance(transitions, TransitionMatrix):
            raise ParameterError(
                f"{func} was given a DataFrame in long format; pass its transition matrix as "
                "transitions=... (or pass the MultistateData from multistate_data)."
            )
        if id_col is None:
            raise ParameterError(
                f"{func} was given a DataFrame in long format; name its patient identifier "
                "with id_col=... ."
            )
        tm, idc, clock, table = transitions, id_col, "forward", data
    else:
        raise DataValidationError(
            f"data must be a MultistateData (from multistate_data) or a pandas DataFrame in "
            f"long format; got {type(data).__name__}."
        )
    roles = {"id_col": idc, **{f"long-format column {c!r}": c for c in LONG_COLUMNS},
             "columns": [c for c in extra if c not in LONG_COLUMNS and c != idc]}
    prep = prepare_frame(table, func=func, roles=roles, missing=missing)
    frame = prep.frame
    n_dropped = 0
    if prep.n_dropped:
        # a patient with a missing value on any row is dropped as a whole (a path with a gap
        # would be wrong); n_dropped counts patients
        gone = table.loc[list(prep.dropped_index), idc].dropna().unique()
        keep = ~frame[idc].isin(gone).to_numpy()
        n_all = int(table[idc].nunique()) + int(table[idc].isna().any())
        frame = frame.loc[keep]
        if frame.empty:
            raise DataValidationError(
                f"every patient has a missing value in the columns {func} uses; nothing is "
                "left to analyse."
            )
        n_dropped = n_all - int(frame[idc].nunique())
    if not isinstance(data, MultistateData):
        clock = _check_long(frame, tm, idc)
    n_pat = int(frame[idc].nunique())
    return LongData(frame, tm, idc, clock, int(frame.shape[0]), n_dropped, n_pat)


def _check_long(frame: pd.DataFrame, tm: TransitionMatrix, id_col: str) -> str:
    """Columns of a user's long table: codes, times, one path per patient."""
    trans = check_numeric_column(frame, "trans", role="long-format column")
    bad = (np.mod(trans, 1) != 0) | (trans < 1) | (trans > tm.n_transitions)
    if bad.any():
        raise DataValidationError(
            f"column 'trans' must hold transition numbers 1..{tm.n_transitions}; found "
            f"{sorted(set(trans[bad].tolist()))[:5]} (first row labels: "
            f"{format_labels(frame.index[bad])})."
        )
    trans = trans.astype(np.int64)
    tab = tm.table
    want_from = tab["from"].to_numpy(dtype=object)[trans - 1]
    want_to = tab["to"].to_numpy(dtype=object)[trans - 1]
    mism = (frame["from"].to_numpy(dtype=object) != want_from) | (
        frame["to"].to_numpy(dtype=object) != want_to)
    if mism.any():
        raise DataValidationError(
            f"columns 'from'/'to' do not match the transition numbers in 'trans' for "
            f"{int(mism.sum())} rows (first row labels: {format_labels(frame.index[mism])}); "
            "'from' and 'to' must be the state names of transition 'trans' of the transition "
            "matrix."
        )
    start = check_numeric_column(frame, "start", role="long-format column")
    stop = check_numeric_column(frame, "stop", role="long-format column")
    nonpos = stop <= start
    if nonpos.any():
        raise DataValidationError(
            f"{int(nonpos.sum())} rows have stop <= start (first row labels: "
            f"{format_labels(frame.index[nonpos])}); every interval (start, stop] must have "
            "positive length."
        )
    status = check_event_column(frame, "status", role="long-format column")
    key = pd.MultiIndex.from_arrays([frame[id_col].to_numpy(dtype=object),
                                     frame["from"].to_numpy(dtype=object)])
    st = pd.DataFrame({"status": status, "start": start, "stop": stop}, index=key)
    g = st.groupby(level=[0, 1], sort=False, observed=True)
    multi = g["status"].sum() > 1
    if multi.any():
        ids = [i for i, _ in multi.index[multi.to_numpy()]]
        raise DataValidationError(
            f"patients {format_labels(ids)} leave a state by more than one transition (status "
            "1 on several rows of the same stay); a stay ends with at most one transition."
        )
    varies = (g["start"].nunique() > 1) | (g["stop"].nunique() > 1)
    if varies.any():
        ids = [i for i, _ in varies.index[varies.to_numpy()]]
        raise DataValidationError(
            f"patients {format_labels(ids)} have rows of one stay (same id and 'from') with "
            "different start or stop times; every row of a stay covers the same interval."
        )
    return "forward"


def stays(ld: LongData) -> pd.DataFrame:
    """One row per stay: id, state code, entry, exit, next state code (-1 censored)."""
    f = ld.frame
    tm = ld.transitions
    code = {s: i for i, s in enumerate(tm.states)}
    frm = np.fromiter((code[s] for s in f["from"]), dtype=np.int64, count=len(f))
    to = np.fromiter((code[s] for s in f["to"]), dtype=np.int64, count=len(f))
    status = f["status"].to_numpy(dtype=np.int64)
    df = pd.DataFrame({"id": f[ld.id_col].to_numpy(dtype=object), "state": frm,
                       "entry": f["start"].to_numpy(dtype=float),
                       "exit": f["stop"].to_numpy(dtype=float),
                       "next": np.where(status == 1, to, -1), "row": np.arange(len(f))})
    out = df.groupby(["id", "state"], sort=False, observed=True).agg(
        entry=("entry", "first"), exit=("exit", "first"), next=("next", "max"),
        row=("row", "first"))
    out = out.reset_index()
    _check_paths(out, ld)
    return out


def _check_paths(st: pd.DataFrame, ld: LongData) -> None:
    """Stays of one patient must not overlap (survival::survcheck's 'overlap' flag)."""
    st = st.sort_values(["id", "entry"], kind="stable", key=None)
    same = st["id"].to_numpy(dtype=object)[1:] == st["id"].to_numpy(dtype=object)[:-1]
    overlap = same & (st["entry"].to_numpy()[1:] < st["exit"].to_numpy()[:-1])
    if overlap.any():
        ids = st["id"].to_numpy(dtype=object)[1:][overlap]
        raise DataValidationError(
            f"patients {format_labels(pd.unique(ids))} have overlapping stays (a stay starts "
            "before the previous one ends); check the start and stop times."
        )


def id_codes(ids: np.ndarray) -> np.ndarray:
    """Patient codes 0..m-1 in sorted-id order (independent of row order)."""
    levels = group_levels(pd.Series(ids, dtype=object))
    lookup = {v: i for i, v in enumerate(levels)}
    return np.fromiter((lookup[v] for v in ids), dtype=np.int64, count=len(ids))
