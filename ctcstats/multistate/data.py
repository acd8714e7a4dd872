"""Multi-state data in long (counting-process) format: :func:`multistate_data`.

From a patient table with, per state, the time at which it was entered (or the last time the
patient was seen without entering it) and an event indicator, to one row per patient, state
occupied and possible next state — ``(id, from, to, trans, start, stop, status)`` — as
``mstate::msprep``, with transition-specific covariates as ``mstate::expand.covs``.

Own code: no Python package builds multi-state data. The rules are msprep's (the next
transition is the earliest observed event among the states reachable from the current one;
without one the patient is censored at the earliest follow-up time of those states), with
stricter checks: where msprep silently produces an infinite or zero-length interval, or
picks the smallest receiving state for simultaneous events, this function raises an error
that names the rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import (
    check_choice,
    check_event_column,
    check_time_column,
    design_matrix,
    format_labels,
    group_levels,
    prepare_frame,
)
from ..errors import DataValidationError, DataWarning, ParameterError
from .transitions import TransitionMatrix

__all__ = ["MultistateData", "multistate_data", "LONG_COLUMNS"]

_FUNC = "multistate_data"
#: The fixed columns of the long format (after the id column).
LONG_COLUMNS = ("from", "to", "trans", "start", "stop", "status")


@result
class MultistateData(Result):
    """Multi-state data in long format (see :func:`multistate_data`).

    Attributes
    ----------
    table : DataFrame
        One row per patient, state occupied and possible next state: the id column (named as
        ``id_col``), ``from, to`` (state names), ``trans`` (transition number), ``start, stop``
        (the interval at risk of that transition: time since the origin for
        ``clock="forward"``, time since entering ``from`` — ``start`` = 0 — for
        ``clock="reset"``), ``status`` (1 if the transition happened at ``stop``), then the
        covariates as given and their transition-specific copies ``<term>.<trans>``.
    transitions : TransitionMatrix
    events : DataFrame
        Per transition ``trans, from, to, n_at_risk, n_events``: patients who entered
        ``from`` (and stayed there a positive time) and of them how many made the transition
        (``mstate::events``).
    expanded : DataFrame
        ``covariate, term, trans, column``: which column holds which term for which
        transition (``expand.covs``); a categorical covariate has one term ``col[level]`` per
        non-reference level.
    clock : str
        ``"forward"`` or ``"reset"``.
    id_col : str
        Name of the id column of ``table``.
    covariates : tuple of str
    n_obs : int
        Patients in the table.
    n_dropped : int
        Patients removed for missing values (``missing="drop"``).
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Multi-state data (long format)"

    table: pd.DataFrame
    transitions: TransitionMatrix
    events: pd.DataFrame
    expanded: pd.DataFrame
    clock: str
    id_col: str
    covariates: tuple[str, ...] = ()
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("events", self.events), ("table", self.table)]

    def expanded_columns(self, covariate: str) -> list[str]:
        """Columns of the transition-specific copies of *covariate* (all its terms)."""
        rows = self.expanded[self.expanded["covariate"] == covariate]
        if rows.empty:
            raise ParameterError(
                f"{covariate!r} is not one of the covariates of this MultistateData "
                f"({', '.join(repr(c) for c in self.covariates) or 'none'})."
            )
        return rows["column"].tolist()


# --------------------------------------------------------------------------- arguments
def _per_state(arg, tm: TransitionMatrix, *, name: str) -> list[str | None]:
    """A mapping state → column or a list aligned with the states → list aligned with them."""
    if isinstance(arg, Mapping):
        unknown = [k for k in arg if k not in tm.states]
        if unknown:
            raise ParameterError(
                f"The {name!r} parameter of {_FUNC} names {unknown!r}, which are not states of "
                f"the transition matrix ({', '.join(repr(s) for s in tm.states)})."
            )
        cols = [arg.get(s) for s in tm.states]
    elif isinstance(arg, Sequence) and not isinstance(arg, str):
        cols = list(arg)
        if len(cols) != tm.n_states:
            raise ParameterError(
                f"The {name!r} parameter of {_FUNC} must give one entry per state "
                f"({tm.n_states}: {', '.join(repr(s) for s in tm.states)}; None for "
                f"{tm.initial_state!r}); got {len(cols)} entries."
            )
    else:
        raise ParameterError(
            f"The {name!r} parameter of {_FUNC} must be a mapping state → column or a list "
            f"with one column per state; got {arg!r}."
        )
    for i, (s, c) in enumerate(zip(tm.states, cols, strict=True)):
        if i == 0:
            if c is not None:
                raise ParameterError(
                    f"The {name!r} parameter of {_FUNC} gives a column for the starting state "
                    f"{s!r}; every patient is in it from time 0 — give None (or leave it out)."
                )
            continue
        if c is None:
            raise ParameterError(
                f"The {name!r} parameter of {_FUNC} has no column for state {s!r}; every state "
                "other than the starting one needs one."
            )
    return cols


# --------------------------------------------------------------------------- public API
def multistate_data(
    data: pd.DataFrame,
    *,
    transitions: TransitionMatrix,
    state_time_cols: Mapping[str, str] | Sequence[str | None],
    state_event_cols: Mapping[str, str] | Sequence[str | None],
    id_col: str | None = None,
    covariates: Sequence[str] | None = None,
    clock: Literal["forward", "reset"] = "forward",
    missing: Literal["raise", "drop"] = "raise",
) -> MultistateData:
    """Long-format multi-state data from one row per patient (``mstate::msprep``).

    For every state other than the starting one the patient table holds a time and an event
    indicator: with event 1, the time the state was entered; with event 0, the last time the
    patient was known not to have entered it. Every patient starts in the first state of
    ``transitions`` at time 0. From the current state (entered at ``s``) the next transition
    is to the reachable state with the earliest event time; without any, the patient is
    censored at the earliest time of the reachable states (the end of follow-up for them).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    transitions : TransitionMatrix
        From :func:`transition_matrix`, :func:`illness_death_transitions`,
        :func:`relapse_site_transitions`, …
    state_time_cols, state_event_cols : mapping or list
        ``{state: column}`` for every state but the first, or a list aligned with
        ``transitions.states`` with ``None`` for the first (msprep's ``time``/``status``
        vectors). Several states may share a time column (e.g. one relapse time, with one
        event indicator per relapse site).
    id_col : str, optional
        Patient identifier (unique per row). Without it the row labels of ``data`` are used
        as ids, in a column ``"id"``.
    covariates : list of str, optional
        Columns carried into every row, and expanded into transition-specific copies
        ``<term>.<trans>`` (the term's value on rows of that transition, 0 elsewhere) as
        ``mstate::expand.covs``: a numeric or boolean column is one term (``age.1``,
        ``age.2``, …); any other column becomes indicator terms ``col[level]`` against its
        first level (``grade[3].1``; mstate writes ``grade3.1``).
    clock : {"forward", "reset"}, default "forward"
        ``"forward"``: ``start``/``stop`` are times since the origin (Markov models;
        left-truncated at entry into ``from``). ``"reset"``: ``start`` = 0 and ``stop`` is
        the time spent in ``from`` (semi-Markov models; mstate's ``time`` column).
    missing : {"raise", "drop"}, default "raise"

    Returns
    -------
    MultistateData
        ``table`` with columns ``<id_col>, from, to, trans, start, stop, status``, the
        covariates and their expanded copies; ``events`` (``trans, from, to, n_at_risk,
        n_events``); ``expanded`` (``covariate, term, trans, column``).

    Raises
    ------
    DataValidationError
        Naming the rows: an event time earlier than the time the patient entered the state
        it leads from (e.g. death before relapse, both observed); simultaneous events to two
        states (record which came first); an event at the very time the current state was
        entered (a zero-length stay — e.g. relapse and death on the same day; shift one of
        them by a small amount); follow-up of every reachable state ending before the
        current state was entered (e.g. relapse observed after the last follow-up);
        duplicated ids.

    Warns
    -----
    DataWarning
        (also recorded in ``warnings``) when a transition is taken while the follow-up of
        another reachable state ended earlier (msprep's "smallest transition time with
        status=0" warning: the data then assume that state was not entered in between), and
        when patients are censored at the moment they enter a state (their zero-length
        stay is left out of the table and counted).

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.multistate import multistate_data, illness_death_transitions
    >>> df = pd.DataFrame({"pid": [1, 2, 3], "rel_m": [10.0, 30.0, 12.0],
    ...                    "rel": [1, 0, 1], "os_m": [25.0, 30.0, 40.0], "dead": [1, 1, 0],
    ...                    "dtc": [1, 0, 1]})
    >>> ms = multistate_data(df, transitions=illness_death_transitions(
    ...         ("disease_free", "relapse", "death")),
    ...     state_time_cols={"relapse": "rel_m", "death": "os_m"},
    ...     state_event_cols={"relapse": "rel", "death": "dead"}, id_col="pid",
    ...     covariates=["dtc"])
    >>> ms.table[["pid", "from", "to", "start", "stop", "status", "dtc.1"]].head(3)
       pid          from       to  start  stop  status  dtc.1
    0    1  disease_free  relapse    0.0  10.0       1    1.0
    1    1  disease_free    death    0.0  10.0       0    0.0
    2    1       relapse    death   10.0  25.0       1    0.0
    """
    tm = _check_transitions(transitions)
    tcols = _per_state(state_time_cols, tm, name="state_time_cols")
    ecols = _per_state(state_event_cols, tm, name="state_event_cols")
    clock = check_choice(clock, name="clock", choices=("forward", "reset"), func=_FUNC)
    covariates = _check_covariates(covariates)
    used_t = [c for c in dict.fromkeys(tcols) if c is not None]
    used_e = [c for c in dict.fromkeys(ecols) if c is not None]
    prep = prepare_frame(
        data,
        func=_FUNC,
        roles={"state_time_cols": used_t, "state_event_cols": used_e, "id_col": id_col,
               "covariates": covariates},
        missing=missing,
    )
    frame = prep.frame
    n = frame.shape[0]
    ids = _ids(frame, id_col)
    times = np.full((n, tm.n_states), np.nan)
    events = np.zeros((n, tm.n_states), dtype=np.int64)
    for j in range(1, tm.n_states):
        tc, ec = tcols[j], ecols[j]
        assert tc is not None and ec is not None, "every non-initial state has columns"
        times[:, j] = check_time_column(frame, tc, role="state_time_cols")
        events[:, j] = check_event_column(frame, ec, role="state_event_cols")

    caught: list[str] = []
    ep = _walk(tm, times, events, ids, caught)
    id_dtype = frame[id_col].dtype if id_col is not None else frame.index.dtype
    table, row = _long_table(tm, ep, ids, id_col or "id", id_dtype, frame, covariates, clock)
    table, expanded = _expand(table, tm, frame, covariates, row)
    events_tab = _events_table(tm, table)
    for msg in caught:
        warnings.warn(msg, DataWarning, stacklevel=2)
    return MultistateData(
        table=table,
        transitions=tm,
        events=events_tab,
        expanded=expanded,
        clock=clock,
        id_col=id_col or "id",
        covariates=tuple(covariates),
        n_obs=prep.n_obs,
        n_dropped=prep.n_dropped,
        warnings=tuple(caught),
    )


def _check_transitions(transitions) -> TransitionMatrix:
    if not isinstance(transitions, TransitionMatrix):
        raise ParameterError(
            f"The 'transitions' parameter of {_FUNC} must be a TransitionMatrix (build one with "
            "transition_matrix({...}), illness_death_transitions() or "
            f"relapse_site_transitions()); got {type(transitions).__name__}."
        )
    return transitions


def _check_covariates(covariates) -> list[str]:
    if covariates is None:
        return []
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        raise ParameterError(
            f"The 'covariates' parameter of {_FUNC} must be a list of column names; got "
            f"{covariates!r}" + (f" (write [{covariates!r}])." if isinstance(covariates, str)
                                 else ".")
        )
    covariates = list(covariates)
    if len(set(covariates)) != len(covariates):
        raise ParameterError(
            f"The 'covariates' parameter of {_FUNC} names a column twice: {covariates}."
        )
    clash = [c for c in covariates if c in ("from", "to", "trans", "start", "stop", "status")]
    if clash:
        raise ParameterError(
            f"covariates {clash} clash with the columns of the long format (from, to, trans, "
            "start, stop, status); rename them."
        )
    return covariates


def _ids(frame: pd.DataFrame, id_col: str | None) -> np.ndarray:
    ids = (frame[id_col] if id_col is not None else pd.Series(frame.index, index=frame.index))
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        shown = format_labels(pd.unique(ids[dup]))
        where = f"id_col {id_col!r}" if id_col is not None else "the row labels of data"
        raise DataValidationError(
            f"{where} has duplicated ids ({shown}); {_FUNC} needs one row per patient with "
            "the time and event of every state in columns."
        )
    return ids.to_numpy(dtype=object)


# --------------------------------------------------------------------------- the walk
def _walk(tm: TransitionMatrix, times, events, ids, caught) -> dict[str, np.ndarray]:
    """Follow every patient from the starting state; returns the episodes.

    Each episode is one stay: patient row, state, entry, exit, next state (-1 if censored).
    """
    n = times.shape[0]
    cur = np.zeros(n, dtype=np.int64)
    entry = np.zeros(n)
    active = np.ones(n, dtype=bool)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("row", "state", "entry", "exit", "next")}
    zero_len: list[np.ndarray] = []
    absorbed_at = np.full(n, np.inf)
    targets_of = [[b for a, b in tm.pairs if a == i] for i in range(tm.n_states)]
    for _ in range(tm.n_states):
        if not active.any():
            break
        for h in np.unique(cur[active]):
            rows = np.flatnonzero(active & (cur == h))
            tg = targets_of[h]
            T, D, s = times[np.ix_(rows, tg)], events[np.ix_(rows, tg)], entry[rows]
            nxt_time, nxt_state = _next_transition(tm, h, tg, T, D, s, rows, ids, caught)
            moved = nxt_state >= 0
            zl = ~moved & (nxt_time == s)
            if zl.any():
                zero_len.append(rows[zl])
            keep = ~zl
            out["row"].append(rows[keep])
            out["state"].append(np.full(keep.sum(), h, dtype=np.int64))
            out["entry"].append(s[keep])
            out["exit"].append(nxt_time[keep])
            out["next"].append(nxt_state[keep])
            # patients who moved continue unless the new state is absorbing
            active[rows[~moved]] = False
            new_state = nxt_state[moved]
            cur[rows[moved]] = new_state
            entry[rows[moved]] = nxt_time[moved]
            absorbing = np.array([len(targets_of[k]) == 0 for k in new_state], dtype=bool)
            active[rows[moved][absorbing]] = False
            absorbed_at[rows[moved][absorbing]] = nxt_time[moved][absorbing]
    _check_after_absorption(tm, times, events, absorbed_at, cur, ids)
    if zero_len:
        zr = np.concatenate(zero_len)
        caught.append(
            f"{len(zr)} patient(s) were censored at the moment they entered a state "
            f"({_rows(ids, zr, prefix=False)}): their follow-up ends when the state is "
            "entered, so the zero-length stay is left out of the table (it contributes "
            "nothing to any risk set)."
        )
    return {k: (np.concatenate(v) if v else np.empty(0)) for k, v in out.items()}


def _check_after_absorption(tm, times, events, absorbed_at, cur, ids) -> None:
    """No event in a state that leads to the absorbing state entered can come after it.

    A relapse recorded after death contradicts the path (death is reachable from relapse);
    a death recorded after a relapse that the model treats as absorbing (e.g. ebmt4's
    "Rel") does not.
    """
    S = tm.n_states
    reach = np.eye(S, dtype=bool)
    for a, b in tm.pairs:
        reach[a, b] = True
    for _ in range(S):  # transitive closure
        reach = reach | ((reach.astype(int) @ reach.astype(int)) > 0)
    leads = reach[:, np.where(np.isfinite(absorbed_at), cur, 0)].T  # (n, S): j -> final state
    late = (events == 1) & (times > absorbed_at[:, None]) & leads
    bad = late.any(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        j = int(np.flatnonzero(late[i])[0])
        raise DataValidationError(
            f"{_rows(ids, np.flatnonzero(bad))}: an event in state {tm.states[j]!r} at time "
            f"{times[i, j]:g} is recorded after the patient entered the absorbing state "
            f"{tm.states[cur[i]]!r} at {absorbed_at[i]:g} (e.g. a relapse recorded after "
            "death). Check the dates."
        )


def _next_transition(tm, h, tg, T, D, s, rows, ids, caught):
    """Earliest observed event among the reachable states, or the censoring time."""
    name = tm.states[h]
    # an event before the current state was entered contradicts the path
    early = (D == 1) & (T < s[:, None])
    if early.any():
        r, j = np.nonzero(early)
        i = int(r[0])
        raise DataValidationError(
            f"{_rows(ids, rows[np.unique(r)])}: the event time of state {tm.states[tg[j[0]]]!r} "
            f"({T[i, j[0]]:g}) is earlier than the time the patient entered {name!r} "
            f"({s[i]:g}), from which it is reached (e.g. death recorded before relapse). "
            "Check the dates, or the transition matrix."
        )
    cand = np.where(D == 1, T, np.inf)
    nxt = cand.min(axis=1)
    moved = np.isfinite(nxt)
    n_min = (cand == nxt[:, None]).sum(axis=1)
    tie = moved & (n_min > 1)
    if tie.any():
        i = int(np.flatnonzero(tie)[0])
        both = [tm.states[tg[j]] for j in np.flatnonzero(cand[i] == nxt[i])]
        raise DataValidationError(
            f"{_rows(ids, rows[tie])}: simultaneous events from {name!r} to "
            f"{' and '.join(repr(b) for b in both)} at time {nxt[i]:g}; a patient moves to one "
            "state at a time — record which came first (e.g. move the relapse a little "
            "earlier) or set one event indicator to 0."
        )
    zero = moved & (nxt == s)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        to = tm.states[tg[int(np.argmin(cand[i]))]]
        raise DataValidationError(
            f"{_rows(ids, rows[zero])}: the transition {name!r} → {to!r} happens at the very "
            f"time {name!r} was entered ({s[i]:g}), a stay of length zero (e.g. relapse and "
            "death on the same day). Shift the earlier event back by a small amount (as "
            "survival's mgus2 example does with ptime - 0.1) or drop one of the two events."
        )
    nxt_state = np.full(len(rows), -1, dtype=np.int64)
    nxt_state[moved] = np.asarray(tg)[np.argmin(cand[moved], axis=1)]
    # censoring: the earliest follow-up time not before entry
    fu = np.where(T >= s[:, None], T, np.inf)
    cens = fu.min(axis=1)
    bad = ~moved & ~np.isfinite(cens)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"{_rows(ids, rows[bad])}: every time of the states reachable from {name!r} "
            f"({', '.join(repr(tm.states[j]) for j in tg)}) is earlier than the time {name!r} "
            f"was entered ({s[i]:g}) — e.g. a relapse observed after the last follow-up for "
            "death. Check the dates; follow-up cannot end before the last recorded event."
        )
    early_fu = moved & (fu < nxt[:, None]).any(axis=1)
    if early_fu.any():
        caught.append(
            f"{int(early_fu.sum())} patient(s) ({_rows(ids, rows[early_fu], prefix=False)}) "
            f"move from {name!r} at a time later than the end of follow-up of another state "
            "reachable from it; that state is assumed not entered in between (as msprep "
            "does). Check these follow-up times."
        )
    return np.where(moved, nxt, cens), nxt_state


def _rows(ids, rows, *, prefix: bool = True) -> str:
    """'3 patients (ids 4, 17, 20)': the ids in sorted order, whatever the row order."""
    rows = np.asarray(rows)
    shown = format_labels(group_levels(pd.Series(ids[rows], dtype=object)))
    head = f"{len(rows)} patient" + ("s" if len(rows) != 1 else "")
    return f"{head} (ids {shown})" if prefix else f"ids {shown}"


# --------------------------------------------------------------------------- tables
def _long_table(tm, ep, ids, id_name, id_dtype, frame, covariates, clock):
    trans_no = {pair: k + 1 for k, pair in enumerate(tm.pairs)}
    targets_of = [[b for a, b in tm.pairs if a == i] for i in range(tm.n_states)]
    reps = np.array([len(targets_of[h]) for h in ep["state"]], dtype=np.int64)
    row = np.repeat(ep["row"].astype(np.int64), reps)
    frm = np.repeat(ep["state"].astype(np.int64), reps)
    to = np.concatenate([targets_of[h] for h in ep["state"]]).astype(np.int64) if reps.sum() \
        else np.empty(0, dtype=np.int64)
    start = np.repeat(ep["entry"], reps)
    stop = np.repeat(ep["exit"], reps)
    status = (to == np.repeat(ep["next"].astype(np.int64), reps)).astype(np.int64)
    trans = np.array([trans_no[(a, b)] for a, b in zip(frm, to, strict=True)], dtype=np.int64)
    # canonical order: id (sorted), then time, then transition number
    levels = group_levels(pd.Series(ids[row] if row.size else [], dtype=object))
    rank = {lev: i for i, lev in enumerate(levels)}
    id_rank = np.fromiter((rank[v] for v in ids[row]), dtype=np.int64, count=row.size)
    order = np.lexsort((trans, start, id_rank))
    row, frm, to, start, stop, status, trans = (
        a[order] for a in (row, frm, to, start, stop, status, trans)
    )
    if clock == "reset":
        stop = stop - start
        start = np.zeros_like(stop)
    states = np.asarray(tm.states, dtype=object)
    table = pd.DataFrame(
        {
            id_name: pd.Series(ids[row]).astype(id_dtype),
            "from": pd.Series(states[frm], dtype=object),
            "to": pd.Series(states[to], dtype=object),
            "trans": trans,
            "start": start.astype(float),
            "stop": stop.astype(float),
            "status": status,
        }
    )
    for c in covariates:
        table[c] = frame[c].iloc[row].reset_index(drop=True)
    return table, row


def _expand(table, tm, frame, covariates, row):
    records: list[dict[str, Any]] = []
    new_cols: dict[str, np.ndarray] = {}
    trans = table["trans"].to_numpy()
    for c in covariates:
        x, terms = design_matrix(frame, [c], func=_FUNC)
        for j, term in enumerate(terms):
            for k in range(1, tm.n_transitions + 1):
                col = f"{term}.{k}"
                if col in table.columns or col in new_cols:
                    raise DataValidationError(
                        f"the expanded covariate column {col!r} already exists in data; rename "
                        f"the column {col!r} or the covariate {c!r}."
                    )
                new_cols[col] = np.where(trans == k, x[row, j], 0.0)
                records.append({"covariate": c, "term": term, "trans": k, "column": col})
    if new_cols:
        table = pd.concat([table, pd.DataFrame(new_cols, index=table.index)], axis=1)
    expanded = pd.DataFrame(records, columns=["covariate", "term", "trans", "column"])
    expanded["trans"] = expanded["trans"].astype(np.int64)
    return table, expanded


def _events_table(tm: TransitionMatrix, table: pd.DataFrame) -> pd.DataFrame:
    trans = table["trans"].to_numpy()
    status = table["status"].to_numpy()
    k = tm.n_transitions
    at_risk = np.bincount(trans - 1, minlength=k) if trans.size else np.zeros(k, dtype=int)
    ev = np.bincount(trans - 1, weights=status, minlength=k) if trans.size else np.zeros(k)
    out = tm.table
    out["n_at_risk"] = at_risk.astype(np.int64)
    out["n_events"] = ev.astype(np.int64)
    return out
