"""Stacked landmark data sets with the marker history summarised at each landmark.

:func:`landmark_stack` builds the data of a landmark supermodel (van Houwelingen 2007; van
Houwelingen & Putter 2012, ch. 7–8; the layout of R ``dynpred::cutLM`` for one landmark): for every landmark
``s`` the patients still event-free and under observation at ``s`` who have a draw by ``s``,
followed from ``s`` (entry) to ``min(T, s + horizon)`` on the original time scale, with events
after ``s + horizon`` administratively censored, and the marker history up to ``s`` reduced to
one number per summary. Own code: no Python package stacks landmark data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import (
    check_choice,
    check_event_codes,
    check_int,
    check_numeric_column,
    check_one_row_per_id,
    check_real,
    check_time_column,
    format_labels,
    prepare_frame,
)
from ..errors import DataValidationError, ParameterError

__all__ = ["SUMMARIES", "check_landmarks", "landmark_basis", "landmark_stack", "model_matrix",
           "summarise_history", "term_names"]

#: marker-history summaries at a landmark s (each a column ``<marker_col>_<summary>``)
SUMMARIES = ("current", "positive", "baseline", "change", "slope")


def check_landmarks(landmarks, func) -> np.ndarray:
    if isinstance(landmarks, (int, float, np.number)) and not isinstance(landmarks, bool):
        landmarks = [landmarks]
    try:
        lms = np.asarray([float(v) for v in landmarks], float)
    except (TypeError, ValueError):
        lms = np.array([math.nan])
    if (lms.size == 0 or not np.all(np.isfinite(lms)) or np.any(lms < 0)
            or np.any(np.diff(lms) <= 0)):
        raise ParameterError(
            f"The 'landmarks' parameter of {func} must be increasing finite times ≥ 0 (in the "
            f"units of time_col), e.g. [0, 3, 6, 9, 12]; got {landmarks!r}."
        )
    return lms


def check_summary(summary, threshold, func) -> tuple[tuple[str, ...], int | None]:
    if isinstance(summary, str):
        summary = (summary,)
    summary = tuple(summary)
    bad = [s for s in summary if s not in SUMMARIES]
    if not summary or bad or len(set(summary)) != len(summary):
        raise ParameterError(
            f"The 'summary' parameter of {func} must be one or more distinct names from "
            f"{list(SUMMARIES)}; got {summary!r}."
        )
    if "positive" in summary:
        if threshold is None:
            raise ParameterError(
                f"The 'threshold' parameter of {func} must be given with summary 'positive' (a "
                "marker value ≥ threshold is positive, e.g. 5 CTC per 7.5 mL); got None."
            )
        threshold = check_real(threshold, name="threshold", func=func)
    return summary, threshold


def landmark_basis(s, landmarks: np.ndarray, degree: int) -> np.ndarray:
    """Columns ``f_k(s) = ((s - s_first) / (s_last - s_first))**k``, k = 1..degree (zero
    columns for a single landmark)."""
    s = np.asarray(s, float)
    span = landmarks[-1] - landmarks[0]
    u = (s - landmarks[0]) / span if span > 0 else np.zeros_like(s)
    return np.column_stack([u ** k for k in range(1, degree + 1)]) if degree else \
        np.empty((s.size, 0))


def summarise_history(dr: pd.DataFrame, s: float, *, summary, transform, threshold,
                      window, marker: str) -> pd.DataFrame:
    """Summaries at *s* of the draws ``dr`` (columns ``_id, _t, _v``) with ``_t ≤ s``.

    One row per patient with a draw by *s* (within ``window`` of *s* for the current value):
    ``_id`` and ``<marker>_<summary>`` per summary. ``transform`` is applied to the values
    before ``current``, ``baseline``, ``change`` and ``slope``; ``positive`` compares the raw
    current value with ``threshold``. ``slope`` is the least-squares slope of the transformed
    values on time over the draws up to *s* (0 with one draw).
    """
    d = dr.loc[dr["_t"] <= s].sort_values(["_id", "_t"], kind="stable")
    g = d.groupby("_id", sort=False, observed=True)
    last = g.tail(1).set_index("_id")
    if window is not None:
        last = last.loc[last["_t"] >= s - window]
    first = g.head(1).set_index("_id").loc[last.index]
    f = np.log1p if transform == "log1p" else (lambda x: x)
    out = pd.DataFrame({"_id": last.index.to_numpy()})
    cur = f(last["_v"].to_numpy(float))
    for name in summary:
        col = f"{marker}_{name}"
        if name == "current":
            out[col] = cur
        elif name == "positive":
            out[col] = (last["_v"].to_numpy(float) >= threshold).astype(np.int64)
        elif name == "baseline":
            out[col] = f(first["_v"].to_numpy(float))
        elif name == "change":
            out[col] = cur - f(first["_v"].to_numpy(float))
        else:  # slope
            dd = d.loc[d["_id"].isin(last.index)].assign(_y=lambda x: f(x["_v"].to_numpy(float)))
            gg = dd.groupby("_id", sort=False, observed=True)
            tc = dd["_t"] - gg["_t"].transform("mean")
            yc = dd["_y"] - gg["_y"].transform("mean")
            sxy = (tc * yc).groupby(dd["_id"], sort=False, observed=True).sum()
            sxx = (tc * tc).groupby(dd["_id"], sort=False, observed=True).sum()
            slope = (sxy / sxx.where(sxx > 0)).fillna(0.0)
            out[col] = slope.loc[last.index].to_numpy(float)
    return out


def prepare_inputs(data, draws, *, func, time_col, event_col, id_col, draw_time_col,
                   marker_col, covariates, missing, transform="identity"):
    """Validated patient table (``_id, _time, _event`` + covariates) and draws (``_id, _t,
    _v``); returns them with the numbers of patients and draws dropped."""
    covariates = list(covariates or ())
    pp = prepare_frame(data, func=func, missing=missing, roles={
        "id_col": id_col, "time_col": time_col, "event_col": event_col,
        "covariates": covariates})
    pf = pp.frame
    time = check_time_column(pf, time_col)
    event = check_event_codes(pf, event_col)
    for c in covariates:
        check_numeric_column(pf, c, role="covariates")
    check_one_row_per_id(pf, id_col)
    dp = prepare_frame(draws, func=func, missing=missing, roles={
        "id_col": id_col, "draw_time_col": draw_time_col, "marker_col": marker_col})
    df = dp.frame
    dt = check_numeric_column(df, draw_time_col, role="draw_time_col")
    dv = check_numeric_column(df, marker_col, role="marker_col")
    if transform == "log1p" and np.any(dv < 0):
        bad = dv < 0
        raise DataValidationError(
            f"marker_col {marker_col!r} has {int(bad.sum())} negative values (first row "
            f"labels: {format_labels(df.index[bad])}); transform='log1p' is for counts and "
            "concentrations ≥ 0 — correct the values or use transform='identity'."
        )
    known = df[id_col].isin(data[id_col]).to_numpy()
    if not known.all():
        raise DataValidationError(
            f"id_col {id_col!r} of draws has {int((~known).sum())} rows whose patient is not in "
            f"data (first row labels: {format_labels(df.index[~known])}); every draw must "
            "belong to a patient of the patient table (check the join)."
        )
    dr = pd.DataFrame({"_id": df[id_col].to_numpy(), "_t": dt, "_v": dv})
    dupd = dr.duplicated(["_id", "_t"], keep=False).to_numpy()
    if dupd.any():
        raise DataValidationError(
            f"draws has {int(dupd.sum())} rows that repeat a patient's draw time "
            f"{draw_time_col!r} (first row labels: {format_labels(df.index[dupd])}); keep one "
            "draw per patient and time (e.g. average replicate counts) first."
        )
    dr = dr.loc[dr["_id"].isin(pf[id_col]).to_numpy()].reset_index(drop=True)
    pat = pd.DataFrame({"_id": pf[id_col].to_numpy(), "_time": time,
                        "_event": event.astype(np.int64)})
    for c in covariates:
        pat[c] = pf[c].to_numpy(float)
    return pat, dr, covariates, pp.n_obs, pp.n_dropped, dp.n_dropped


def stack(pat, dr, lms, horizon, *, summary, transform, threshold, window, marker):
    """The stacked rows (``_id, landmark, start, stop, event`` + summaries + covariates) and
    the number of at-risk patients without a qualifying draw per landmark."""
    frames, no_draw = [], []
    extra = [c for c in pat.columns if c not in ("_id", "_time", "_event")]
    for s in lms:
        risk = pat.loc[pat["_time"] > s]
        sm = summarise_history(dr, s, summary=summary, transform=transform,
                               threshold=threshold, window=window, marker=marker)
        m = risk.merge(sm, on="_id", how="inner")
        no_draw.append(len(risk) - len(m))
        end = s + horizon
        fr = pd.DataFrame({"_id": m["_id"].to_numpy(), "landmark": s, "start": s,
                           "stop": np.minimum(m["_time"].to_numpy(), end),
                           "event": np.where(m["_time"].to_numpy() <= end,
                                             m["_event"].to_numpy(), 0)})
        for c in sm.columns[1:]:
            fr[c] = m[c].to_numpy()
        for c in extra:
            fr[c] = m[c].to_numpy()
        frames.append(fr)
    return pd.concat(frames, ignore_index=True), no_draw


def landmark_stack(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    landmarks: Sequence[float],
    horizon: float,
    time_col: str,
    event_col: str,
    marker_col: str,
    id_col: str = "patient_id",
    draw_time_col: str = "draw_months",
    covariates: Sequence[str] = (),
    summary: str | Sequence[str] = ("current",),
    transform: str = "identity",
    threshold: float | None = None,
    window: float | None = None,
    landmark_degree: int = 2,
    missing: str = "raise",
) -> pd.DataFrame:
    """Stacked landmark data sets for a landmark supermodel (see :func:`landmark_supermodel`).

    For each landmark ``s``: the patients with ``time_col > s`` and a draw at or before ``s``
    (the last one within ``window`` of ``s`` when given), entering at ``s``, followed to
    ``min(time, s + horizon)``; an event after ``s + horizon`` is censored there — the
    rows of R ``dynpred::cutLM(..., LM = s, horizon = s + horizon, format = "long",
    right = FALSE)`` on ``tmerge`` rows, stacked over the landmarks (a draw taken at ``s``
    itself counts); equal to dynpred and to independent R code on pbc + pbcseq
    (``tests/reference/supermodel/``).

    Returns
    -------
    DataFrame
        ``id_col``, ``landmark``, ``start`` (= landmark), ``stop``, ``event`` (the code of
        ``event_col``, 0 when censored), ``<marker_col>_<summary>`` per summary, the
        covariates and ``lm1 … lm<landmark_degree>`` (the landmark basis
        ``((s - s_first)/(s_last - s_first))**k``).

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.dynamic.stacking import landmark_stack
    >>> sc = cs.simulate_study("hayes2006", n=200, rng=1)
    >>> st = landmark_stack(sc.data, draws=sc.draws, landmarks=[0, 1, 2], horizon=6,
    ...                     time_col="os_months", event_col="os_event",
    ...                     marker_col="ctc_count", summary=["current", "change"],
    ...                     transform="log1p")
    >>> st.columns[:7].tolist()
    ['patient_id', 'landmark', 'start', 'stop', 'event', 'ctc_count_current', 'ctc_count_change']
    """
    func = "landmark_stack"
    lms = check_landmarks(landmarks, func)
    horizon = check_real(horizon, name="horizon", func=func, low=0.0)
    if horizon <= 0:
        raise ParameterError(f"The 'horizon' parameter of {func} must be > 0; got {horizon!r}.")
    summary, threshold = check_summary(summary, threshold, func)
    check_choice(transform, name="transform", choices=("identity", "log1p"), func=func)
    if window is not None:
        window = check_real(window, name="window", func=func, low=0.0)
    deg = check_int(landmark_degree, name="landmark_degree", func=func, minimum=0)
    pat, dr, _, _, _, _ = prepare_inputs(
        data, draws, func=func, time_col=time_col, event_col=event_col, id_col=id_col,
        draw_time_col=draw_time_col, marker_col=marker_col, covariates=covariates,
        missing=missing, transform=transform)
    st, _ = stack(pat, dr, lms, horizon, summary=summary, transform=transform,
                  threshold=threshold, window=window, marker=marker_col)
    basis = landmark_basis(st["landmark"].to_numpy(), lms, deg)
    for k in range(deg):
        st[f"lm{k + 1}"] = basis[:, k]
    return st.rename(columns={"_id": id_col})


def model_matrix(rows: pd.DataFrame, spec: dict) -> np.ndarray:
    """Model matrix of stacked-layout rows: main terms, interactions, landmark terms."""
    basis = landmark_basis(rows["landmark"].to_numpy(float), spec["landmarks"], spec["degree"])
    cols = [rows[t].to_numpy(float) for t in spec["main"]]
    for t in spec["varying"]:
        cols.extend(rows[t].to_numpy(float) * basis[:, k] for k in range(spec["degree"]))
    if spec["baseline"] == "smooth":
        cols.extend(basis[:, k] for k in range(spec["degree"]))
    return np.column_stack(cols)


def term_names(spec: dict) -> list[str]:
    names = list(spec["main"])
    for t in spec["varying"]:
        names.extend(f"{t}:lm{k + 1}" for k in range(spec["degree"]))
    if spec["baseline"] == "smooth":
        names.extend(f"lm{k + 1}" for k in range(spec["degree"]))
    return names
