"""Counting-process (start, stop] data from a patient table and a long table of draws.

:func:`counting_process_data` is the ``survival::tmerge`` of R for serial marker draws: each
patient's follow-up ``(entry, time]`` is cut at the times of their draws, and every value
column is a time-dependent covariate whose value on an interval is the last value observed at
or before the interval's start (last observation carried forward, R ``tdc()``). The rows go
straight into :func:`ctcstats.fit_cox` with ``start_col="start"``, ``time_col="stop"`` and
``id_col``. Own code: neither lifelines (``add_covariate_to_timeline`` handles one event
column and no entry times, and fills before the first draw) nor pandas offers the tmerge rules.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._validation import (
    check_choice,
    check_event_column,
    check_numeric_column,
    check_one_row_per_id,
    check_real,
    check_time_column,
    format_labels,
    prepare_frame,
)
from ..errors import DataValidationError, DataWarning, ParameterError

__all__ = ["counting_process_data"]

_RESERVED = ("start", "stop")


def _names(value, name, func) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a list of column names; got {value!r}"
            + (f" (write [{value!r}])." if isinstance(value, str) else ".")
        )
    out = list(value)
    if len(set(out)) != len(out):
        raise ParameterError(f"The {name!r} parameter of {func} names a column twice: {out}.")
    return out


def _patients(data, func, id_col, time_col, event_col, start_col, covariates, missing):
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "id_col": id_col, "start_col": start_col, "time_col": time_col,
        "event_col": event_col, "covariates": covariates})
    pf = prep.frame
    time = check_time_column(pf, time_col)
    event = check_event_column(pf, event_col)
    entry = np.zeros_like(time) if start_col is None else check_time_column(
        pf, start_col, role="start_col")
    bad = entry >= time
    if bad.any():
        raise DataValidationError(
            f"start_col {start_col!r} must be smaller than time_col {time_col!r}; "
            f"{int(bad.sum())} rows are not (first row labels: {format_labels(pf.index[bad])})"
            ". Remove patients with no time at risk or correct the dates."
        )
    check_one_row_per_id(pf, id_col)
    pat = pd.DataFrame({"_id": pf[id_col].to_numpy(), "_entry": entry, "_time": time,
                        "_event": event.astype(np.int64)})
    for c in covariates:
        pat[c] = pf[c].to_numpy()
    return pat, prep.n_dropped


def _draws(draws, func, id_col, draw_time_col, value_cols, missing, pat):
    prep = prepare_frame(draws, func=func, missing="raise" if missing == "raise" else "drop",
                         roles={"id_col": id_col, "draw_time_col": draw_time_col})
    if missing == "raise":
        prepare_frame(draws, func=func, missing="raise", roles={"value_cols": value_cols})
    df = draws.iloc[prep.positions]  # by position: row labels may repeat
    dtime = check_numeric_column(df, draw_time_col, role="draw_time_col")
    ids = df[id_col].to_numpy()
    unknown = ~pd.Series(ids).isin(pat["_id"]).to_numpy()
    if unknown.any() and missing == "raise":
        raise DataValidationError(
            f"id_col {id_col!r} of draws has {int(unknown.sum())} rows whose patient is not in "
            f"data (first row labels: {format_labels(df.index[unknown])}); every draw must "
            "belong to a patient of the patient table (check the join, or pass missing='drop' "
            "to leave them out)."
        )
    dup = pd.DataFrame({"i": ids, "t": dtime}).duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"draws has {int(dup.sum())} rows that repeat a patient's draw time "
            f"{draw_time_col!r} (first row labels: {format_labels(df.index[dup])}); keep one "
            "draw per patient and time (e.g. average replicate counts) first."
        )
    out = pd.DataFrame({"_id": ids, "_t": dtime})
    for c in value_cols:
        out[c] = df[c].to_numpy()
    keep = ~unknown
    return out.loc[keep].reset_index(drop=True), int(prep.n_dropped + unknown.sum())


def _recurrent(events, func, id_col, tcol, missing, pat):
    """Recurrent event times within each patient's (entry, time]: ``(_id, _t)`` rows, the
    number outside, and the number of event rows dropped for missing values."""
    prep = prepare_frame(events, func=func, missing=missing,
                         roles={"id_col": id_col, "recurrent_time_col": tcol})
    ef = prep.frame
    t = check_numeric_column(ef, tcol, role="recurrent_time_col")
    ev = pd.DataFrame({"_id": ef[id_col].to_numpy(), "_t": t})
    unknown = ~ev["_id"].isin(pat["_id"]).to_numpy()
    if unknown.any():
        raise DataValidationError(
            f"id_col {id_col!r} of events has {int(unknown.sum())} rows whose patient is not "
            f"in data (first row labels: {format_labels(ef.index[unknown])}); every event "
            "must belong to a patient of the patient table."
        )
    dup = ev.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"events has {int(dup.sum())} rows that repeat a patient's event time {tcol!r} "
            f"(first row labels: {format_labels(ef.index[dup])}); two events at one time "
            "cannot be told apart in (start, stop] rows — keep one or separate the times."
        )
    m = ev.merge(pat[["_id", "_entry", "_time"]], on="_id", how="left")
    inside = ((m["_t"] > m["_entry"]) & (m["_t"] <= m["_time"])).to_numpy()
    n_out = int((~inside).sum())
    if n_out:
        warnings.warn(
            f"{n_out} recurrent events of events lie outside their patient's follow-up "
            f"(entry, {tcol!r} ≤ end]; they are not used (result.attrs['n_events_outside']).",
            DataWarning, stacklevel=4)
    return ev.loc[inside].reset_index(drop=True), n_out, prep.n_dropped


def _intervals(pat, obs_times):
    """Cut each (entry, time] at the draw times strictly inside it."""
    cuts = obs_times.merge(pat[["_id", "_entry", "_time"]], on="_id")
    cuts = cuts.loc[(cuts["_t"] > cuts["_entry"]) & (cuts["_t"] < cuts["_time"]),
                    ["_id", "_t"]].drop_duplicates()
    bounds = pd.concat([pat[["_id"]].assign(_t=pat["_entry"].to_numpy()), cuts],
                       ignore_index=True)
    order = pd.DataFrame({"_id": pd.factorize(pat["_id"])[0]}, index=pat["_id"])
    bounds["_ord"] = order.loc[bounds["_id"], "_id"].to_numpy()
    bounds = bounds.sort_values(["_ord", "_t"], kind="stable").reset_index(drop=True)
    nxt = bounds.groupby("_ord", sort=False, observed=True)["_t"].shift(-1)
    stop = pat.set_index("_id").loc[bounds["_id"], "_time"].to_numpy()
    last = nxt.isna().to_numpy()
    bounds["start"] = bounds["_t"].to_numpy()
    bounds["stop"] = np.where(last, stop, nxt.to_numpy())
    ev = pat.set_index("_id").loc[bounds["_id"], "_event"].to_numpy()
    bounds["_ev"] = np.where(last, ev, 0)
    return bounds


def _carry_forward(rows, obs, col, max_carry=None):
    """Value of *col* at each row start: the last non-missing draw at or before it (missing
    once the row starts ``max_carry`` or more after that draw)."""
    o = obs.loc[obs[col].notna(), ["_id", "_t", col]].sort_values("_t", kind="stable")
    r = rows[["_id", "start"]].reset_index().sort_values("start", kind="stable")
    m = pd.merge_asof(r, o, left_on="start", right_on="_t", by="_id", direction="backward",
                      allow_exact_matches=True)
    if max_carry is not None:
        m[col] = m[col].where(~(m["start"] >= m["_t"] + max_carry))
    return m.set_index("index").loc[rows.index, col]


def _typed(values: np.ndarray, like: pd.Series) -> pd.Series:
    """*values* in the dtype of the draws' column (float/object where missing values appear)."""
    has_na = bool(pd.isna(values).any())
    if isinstance(like.dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(values, categories=like.dtype.categories,
                                        ordered=like.dtype.ordered))
    if has_na and pd.api.types.is_bool_dtype(like):
        return pd.Series(values, dtype=object)
    if has_na and pd.api.types.is_integer_dtype(like):
        return pd.Series(values, dtype=float)
    return pd.Series(values, dtype=like.dtype)


def counting_process_data(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame | None = None,
    time_col: str,
    event_col: str,
    value_cols: Sequence[str] = (),
    id_col: str = "patient_id",
    draw_time_col: str = "draw_months",
    events: pd.DataFrame | None = None,
    recurrent_time_col: str = "event_months",
    start_col: str | None = None,
    covariates: Sequence[str] = (),
    rule: Literal["locf"] = "locf",
    max_carry: float | None = None,
    before_first: Literal["missing", "drop"] = "missing",
    missing: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Build (start, stop] rows with time-dependent covariates from serial draws.

    As R ``survival::tmerge``: ``base <- tmerge(data, data, id = id, event = event(time,
    event))`` (with ``tstart = entry`` when ``start_col`` is given) followed by
    ``tmerge(base, draws, id = id, v1 = tdc(draw_time, v1), v2 = tdc(draw_time, v2), ...)``.
    Each patient's follow-up ``(entry, time]`` is cut at every draw time strictly inside it; the
    event sits on the last interval; each value column takes, on an interval, the last value
    observed at or before the interval's start (``rule="locf"``, R ``tdc``). A draw at or before
    the entry sets the value from the entry on; draws at or after the end of follow-up are not
    used. Value columns may be numeric, boolean, strings or categorical (types are kept).

    Parameters
    ----------
    data : DataFrame
        One row per patient: ``id_col``, ``time_col`` (end of follow-up), ``event_col`` (0/1),
        optionally ``start_col`` (entry time, delayed entry) and the ``covariates`` to carry.
    draws : DataFrame
        One row per draw: ``id_col``, ``draw_time_col`` (same clock and units as
        ``time_col``) and the ``value_cols``. One row per patient and time.
    value_cols : list of str
        Columns of ``draws`` that become time-dependent covariates.
    events : DataFrame, optional
        Recurrent events (Andersen–Gill data): one row per event with ``id_col`` and
        ``recurrent_time_col`` (same clock as ``time_col``), as R ``tmerge(..., ev =
        event(time))``: the follow-up is cut at each event time and ``event_col`` is 1 on the
        interval ending there (as well as on the last interval when the patient's own
        ``event_col`` is 1, a terminal event; use 0 there for none). Events outside
        ``(entry, time]`` are not used (their number is in
        ``result.attrs["n_events_outside"]``, with a DataWarning). Fit with
        ``fit_cox(..., id_col=)`` (robust SE by patient).
    recurrent_time_col : str, default "event_months"
        Event-time column of ``events``.
    start_col : str, optional
        Entry time in ``data`` (left truncation); default 0 for every patient.
    covariates : list of str
        Baseline columns of ``data`` copied onto every row of the patient.
    rule : {"locf"}
        Last observation carried forward (the only rule that uses no future information; it
        is R's ``tdc``).
    max_carry : float, optional
        A value is carried forward for at most this long after its draw (same units as the
        times): the follow-up is also cut at ``draw time + max_carry`` and the value is
        missing from there until the next draw (e.g. a CTC status taken as current for three
        months only). Default: carried until the next draw (R ``tdc``).
    before_first : {"missing", "drop"}
        Intervals before a column's first observation: ``"missing"`` keeps them with a missing
        value (R), ``"drop"`` removes them (a patient then enters at the first draw).
    missing : {"raise", "drop"}
        ``"raise"``: a missing value in a used column (or a draw of an unknown patient) is an
        error. ``"drop"``: patients with missing values are left out, draws with a missing id
        or time are left out, and a missing value in a value column is not an observation of
        that column (the previous value is carried forward — R's ``tmerge`` default
        ``na.rm = TRUE``). ``result.attrs["n_dropped"]`` counts the patients and draws left
        out.

    Returns
    -------
    DataFrame
        One row per interval, in the patients' order and by time: ``id_col``, ``start``,
        ``stop``, ``event_col`` (1 on the interval that ends with the event), the value
        columns, then the covariates. Matches R's ``tmerge`` rows exactly
        (``tests/reference/tmerge/``, pbc + pbcseq).

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.survival.counting import counting_process_data
    >>> pat = pd.DataFrame({"patient_id": [1, 2], "os_months": [10.0, 4.0],
    ...                     "os_event": [1, 0]})
    >>> dr = pd.DataFrame({"patient_id": [1, 1, 2], "draw_months": [0.0, 3.0, 0.0],
    ...                    "ctc_count": [12, 2, 0]})
    >>> counting_process_data(pat, draws=dr, time_col="os_months", event_col="os_event",
    ...                       value_cols=["ctc_count"])
       patient_id  start  stop  os_event  ctc_count
    0           1    0.0   3.0         0         12
    1           1    3.0  10.0         1          2
    2           2    0.0   4.0         0          0
    """
    func = "counting_process_data"
    check_choice(rule, name="rule", choices=("locf",), func=func)
    if max_carry is not None:
        max_carry = check_real(max_carry, name="max_carry", func=func, low=0.0)
        if max_carry <= 0:
            raise ParameterError(f"The 'max_carry' parameter of {func} must be > 0; got "
                                 f"{max_carry!r}.")
    check_choice(before_first, name="before_first", choices=("missing", "drop"), func=func)
    check_choice(missing, name="missing", choices=("raise", "drop"), func=func)
    value_cols = _names(value_cols, "value_cols", func)
    covariates = _names(covariates, "covariates", func)
    if draws is None and events is None:
        raise ParameterError(f"{func} needs draws (with value_cols) or events (recurrent "
                             "event times), or both; got neither.")
    if (draws is None) != (not value_cols):
        raise ParameterError(
            f"The 'value_cols' parameter of {func} must name the columns of draws that become "
            f"time-dependent covariates (and only with draws); got {value_cols!r} with "
            f"draws {'missing' if draws is None else 'given'}.")
    clash = [c for c in value_cols + covariates if c in (*_RESERVED, id_col, event_col)]
    clash += [c for c in value_cols if c in covariates]
    if clash:
        raise ParameterError(
            f"{func}: the output columns would collide: {sorted(set(clash))} (value_cols and "
            f"covariates must differ from each other and from 'start', 'stop', {id_col!r} and "
            f"{event_col!r}); rename those columns first."
        )
    pat, n_drop_p = _patients(data, func, id_col, time_col, event_col, start_col, covariates,
                              missing)
    if draws is not None:
        obs, n_drop_d = _draws(draws, func, id_col, draw_time_col, value_cols, missing, pat)
    else:
        obs, n_drop_d = pd.DataFrame({"_id": pd.Series(dtype=object), "_t": 0.0}), 0
    seen = obs.loc[obs[value_cols].notna().any(axis=1).to_numpy(), ["_id", "_t"]] \
        if value_cols else obs[["_id", "_t"]]
    if max_carry is not None:  # the value lapses at draw + max_carry: a cut there too
        seen = pd.concat([seen, seen.assign(_t=seen["_t"] + max_carry)], ignore_index=True)
    n_outside = 0
    if events is not None:
        evt, n_outside, n_drop_e = _recurrent(events, func, id_col, recurrent_time_col,
                                              missing, pat)
        n_drop_d += n_drop_e
        seen = pd.concat([seen, evt], ignore_index=True)
    rows = _intervals(pat, seen)
    ev_col = rows["_ev"].to_numpy(np.int64)
    if events is not None:
        hit = rows[["_id", "stop"]].merge(evt.rename(columns={"_t": "stop"}).assign(_hit=1),
                                          on=["_id", "stop"], how="left")["_hit"]
        ev_col = np.maximum(ev_col, hit.fillna(0).to_numpy(np.int64))
    out = pd.DataFrame({id_col: rows["_id"].to_numpy(), "start": rows["start"].to_numpy(float),
                        "stop": rows["stop"].to_numpy(float), event_col: ev_col})
    for c in value_cols:  # value_cols are given exactly when draws are (checked above)
        assert draws is not None
        out[c] = _typed(_carry_forward(rows, obs, c, max_carry).to_numpy(), draws[c])
    if covariates:
        cov = pat.set_index("_id").loc[rows["_id"], covariates]
        for c in covariates:
            out[c] = cov[c].to_numpy()
    if before_first == "drop":
        out = out.loc[out[value_cols].notna().all(axis=1).to_numpy()].reset_index(drop=True)
    out.attrs["n_dropped"] = n_drop_p + n_drop_d
    if events is not None:
        out.attrs["n_events_outside"] = n_outside
    return out
