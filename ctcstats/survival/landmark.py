"""Serial marker draws and survival: landmark analysis, time-varying Cox, guarantee-time bias.

A CTC count measured *during* follow-up (Hayes 2006: baseline and 3–5, 6–8, 9–14, 15–20 weeks
after starting therapy) is not known at time zero. Three analyses are on offer here:

* :func:`landmark_analysis` — at each landmark time L, classify the patients still event-free
  and under observation at L by the marker at the draw closest before L (within ``window``)
  and measure time from L (Anderson, Cain & Gelber 1983; Hayes et al. 2006 analysed each
  draw this way). One Cox model and one pair of Kaplan–Meier medians per landmark.
* :func:`fit_time_varying_cox` — one Cox model on counting-process data: each patient's
  follow-up is split into (start, stop] intervals at the draws, the marker status of an
  interval being that of the draw that opened it (R ``tmerge(..., tdc())`` +
  ``coxph(Surv(start, stop, event) ~ ...)``); fitted with lifelines' ``CoxTimeVaryingFitter``.
* :func:`guarantee_time_bias` — the naive analysis next to the two correct ones.

Guarantee-time bias
-------------------
The tempting analysis sorts patients by what is eventually seen — "marker-negative at the
follow-up draw" (responders) versus everybody else — and measures time **from baseline**.
A patient can only be a responder after surviving, event-free, to the follow-up draw; that
guaranteed time is counted as event-free survival of the responders, while every early event
lands in the other group (Anderson et al. 1983; Giobbie-Hurder, Gelber & Regan 2013). The
hazard ratio is therefore more extreme than the truth. The landmark analysis removes the
guarantee by starting the clock at the landmark among patients still at risk; the
time-varying Cox model lets each patient contribute to the group they are in at each moment.
On synthetic Hayes 2006 cohorts (``tests/survival/test_landmark.py``) the naive hazard ratio
for progression-free survival exceeds both the landmark and the time-varying hazard ratios
seed after seed.

References
----------
Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol
1983;1:710–719. Giobbie-Hurder A, Gelber RD, Regan MM. Challenges of guarantee-time bias.
J Clin Oncol 2013;31:2963–2969. Hayes DF, et al. Circulating tumor cells at each follow-up
time point during therapy of metastatic breast cancer patients predict progression-free and
overall survival. Clin Cancer Res 2006;12:4218–4224.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import (
    check_conf_level,
    check_count_column,
    check_event_column,
    check_int,
    check_numeric_column,
    check_one_row_per_id,
    check_real,
    check_time_column,
    format_labels,
    prepare_frame,
)
from .._warnings import capture
from ..errors import DataValidationError, DataWarning, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "LandmarkResult",
    "TimeVaryingCoxResult",
    "GuaranteeTimeBiasResult",
    "landmark_analysis",
    "landmark_data",
    "fit_time_varying_cox",
    "guarantee_time_bias",
]

_LM_COLUMNS = [
    "landmark", "n_at_risk", "n_no_draw", "n_positive", "n_events", "hr", "ci_lower",
    "ci_upper", "p_value", "median_negative", "median_positive",
]
_COEF_COLUMNS = ["coef", "std_error", "hr", "ci_lower", "ci_upper", "z", "p_value"]


# --------------------------------------------------------------------------- results
@result
class LandmarkResult(Result):
    """Landmark analysis of a serially measured marker.

    Attributes
    ----------
    table : DataFrame
        One row per landmark: ``landmark`` (time L), ``n_at_risk`` (patients event-free and
        under observation beyond L with a qualifying draw), ``n_no_draw`` (at risk but no draw
        in the window; left out), ``n_positive``, ``n_events`` (events after L), ``hr``,
        ``ci_lower``, ``ci_upper``, ``p_value`` (Wald; marker-positive vs negative, Cox from L,
        adjusted for ``covariates``), ``median_negative``, ``median_positive`` (Kaplan–Meier
        medians of the time from L; NaN where not reached).
    data : DataFrame
        The analysed rows of every landmark: ``landmark``, the id, ``time`` (from the
        landmark), ``event``, ``draw_time``, ``marker_positive`` and the covariates.
    conf_level : float
    n_obs, n_dropped : int
        Patients validated / removed for missing values (``missing="drop"``).
    """

    _title: ClassVar[str] = "Landmark analysis"

    table: pd.DataFrame
    data: pd.DataFrame
    conf_level: float
    n_obs: int
    n_dropped: int
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Hazard ratio per landmark with its confidence interval (see
        :func:`ctcstats.plotting.landmark.plot_landmark_hr`)."""
        from ..plotting.landmark import plot_landmark_hr

        return plot_landmark_hr(self, ax=ax, **kwargs)


@result
class TimeVaryingCoxResult(Result):
    """Cox model with the marker status as a time-dependent covariate.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``term``: ``coef, std_error, hr, ci_lower, ci_upper, z, p_value`` (Wald).
    data : DataFrame
        The counting-process rows: the id, ``start``, ``stop``, ``event``,
        ``marker_positive`` and the covariates.
    loglik : float
        Log partial likelihood at the estimate.
    n_obs : int
        Patients analysed; ``n_intervals`` rows; ``n_events`` events; ``n_no_draw``
        patients without any draw before the end of their follow-up (left out);
        ``n_dropped`` removed for missing values.
    """

    _title: ClassVar[str] = "Time-varying Cox model"

    table: pd.DataFrame
    data: pd.DataFrame
    loglik: float
    conf_level: float
    n_obs: int
    n_intervals: int
    n_events: int
    n_no_draw: int
    n_dropped: int
    warnings: tuple[str, ...] = ()


@result
class GuaranteeTimeBiasResult(Result):
    """The naive analysis of a follow-up draw next to the landmark and time-varying analyses.

    ``table`` has one row per ``analysis`` (``naive``, ``landmark``, ``time_varying``) with
    ``hr, ci_lower, ci_upper, p_value, n, n_events`` and ``description``.
    """

    _title: ClassVar[str] = "Guarantee-time bias"

    table: pd.DataFrame
    landmark: float
    conf_level: float
    n_obs: int
    n_dropped: int
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------- validation
def _prepare(func, data, draws, *, time_col, event_col, id_col, draw_time_col,
             marker_col, count_col, threshold, covariates, strata_col, missing):
    covariates = list(covariates or ())
    if (marker_col is None) == (count_col is None):
        raise ParameterError(
            f"The 'marker_col' and 'count_col' parameters of {func} are alternatives: pass "
            f"exactly one (a 0/1 status column of draws, or counts with threshold); got "
            f"marker_col={marker_col!r}, count_col={count_col!r}."
        )
    if count_col is not None:
        if threshold is None:
            raise ParameterError(
                f"The 'threshold' parameter of {func} must be given with count_col (a count "
                "≥ threshold is positive, e.g. 5 CTC per 7.5 mL); got None."
            )
        threshold = check_int(threshold, name="threshold", func=func, minimum=1)
    pp = prepare_frame(data, func=func, missing=missing, roles={
        "id_col": id_col, "time_col": time_col, "event_col": event_col,
        "covariates": covariates, "strata_col": strata_col})
    pf = pp.frame
    time = check_time_column(pf, time_col)
    event = check_event_column(pf, event_col)
    for c in covariates:
        check_numeric_column(pf, c, role="covariates")
    check_one_row_per_id(pf, id_col)
    ids = pf[id_col]
    mcol = marker_col if marker_col is not None else count_col
    mrole = "marker_col" if marker_col is not None else "count_col"
    dp = prepare_frame(draws, func=func, missing=missing,
                       roles={"id_col": id_col, "draw_time_col": draw_time_col, mrole: mcol})
    df = dp.frame
    dtime = check_numeric_column(df, draw_time_col, role="draw_time_col")
    if marker_col is not None:
        status = check_event_column(df, marker_col, role="marker_col")
    else:
        status = (check_count_column(df, count_col) >= threshold).astype(np.int64)
    unknown = ~df[id_col].isin(data[id_col]).to_numpy()
    if unknown.any():
        raise DataValidationError(
            f"id_col {id_col!r} of draws has {int(unknown.sum())} rows whose patient is not in "
            f"data (first row labels: {format_labels(df.index[unknown])}); every draw must "
            "belong to a patient of the patient table (check the join or missing='drop')."
        )
    pat = pd.DataFrame({"id": ids.to_numpy(), "time": time, "event": event})
    for c in covariates:
        pat[c] = pf[c].to_numpy(dtype=float)
    if strata_col is not None:
        pat["strata"] = pf[strata_col].to_numpy()
    dr = pd.DataFrame({"id": df[id_col].to_numpy(), "draw_time": dtime,
                       "marker_positive": status.astype(np.int64)})
    # one status per patient and time: a repeated draw time is an error (as in
    # counting_process_data and landmark_stack) — keeping "the last row" made the result
    # depend on the order of the rows when the statuses differ
    dup = dr.duplicated(["id", "draw_time"], keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"draws has {int(dup.sum())} rows that repeat a patient's draw time "
            f"{draw_time_col!r} (first row labels: {format_labels(df.index[dup])}); keep one "
            "draw per patient and time (e.g. average replicate counts) first.")
    dr = dr.loc[dr["id"].isin(ids).to_numpy()]  # draws of patients dropped for missing values
    return pat, dr, covariates, pp.n_obs, pp.n_dropped + dp.n_dropped


def _landmarks(landmarks, window, func, name="landmarks"):
    if isinstance(landmarks, (int, float, np.number)) and not isinstance(landmarks, bool):
        landmarks = [landmarks]
    try:
        lms = [float(v) for v in landmarks]
    except (TypeError, ValueError):
        lms = [math.nan]
    if not lms or not all(math.isfinite(v) and v >= 0 for v in lms):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be one or more finite times ≥ 0 "
            f"(in the units of time_col); got {landmarks!r}."
        )
    if window is None or isinstance(window, (int, float, np.number)):
        wins = [window] * len(lms)
    else:
        wins = list(window)
        if len(wins) != len(lms):
            raise ParameterError(
                f"The 'window' parameter of {func} must be None, one number or one per "
                f"landmark ({len(lms)}); got {window!r}."
            )
    wins = [None if w is None else check_real(w, name="window", func=func, low=0.0)
            for w in wins]
    return lms, wins


# --------------------------------------------------------------------------- landmark
def _at_landmark(pat, dr, lm, win):
    """Rows at risk at *lm* with the status of the last draw in [lm − win, lm]."""
    ok = dr["draw_time"] <= lm
    if win is not None:
        ok &= dr["draw_time"] >= lm - win
    last = dr.loc[ok].sort_values(["id", "draw_time"]).groupby("id", sort=False, observed=True).tail(1)
    risk = pat.loc[pat["time"] > lm]
    m = risk.merge(last, on="id", how="left")
    has = m["marker_positive"].notna().to_numpy()
    out = m.loc[has].copy()
    out["time"] = out["time"] - lm
    out["marker_positive"] = out["marker_positive"].astype(np.int64)
    out.insert(0, "landmark", lm)
    return out, int((~has).sum())


def _cox_row(frame, covariates, strata, conf_level, msgs, label):
    from .cox import fit_cox

    nan = (math.nan,) * 4
    if frame["marker_positive"].nunique() < 2 or frame["event"].sum() == 0:
        msgs.append(f"{label}: only one marker group or no events; no hazard ratio.")
        return nan
    with capture() as caught:
        res = fit_cox(frame, time_col="time", event_col="event",
                      covariates=["marker_positive", *covariates],
                      strata_col="strata" if strata else None, conf_level=conf_level)
    msgs.extend(caught.messages(label))
    row = res.table.loc["marker_positive"]
    return (float(row["hr"]), float(row["ci_lower"]), float(row["ci_upper"]),
            float(row["p_value"]))


def _medians(frame, conf_level, msgs, label):
    from .km import kaplan_meier

    out = []
    for g in (0, 1):
        sub = frame.loc[frame["marker_positive"] == g, ["time", "event"]]
        if sub.empty:
            out.append(math.nan)
            continue
        with capture() as caught:
            med = kaplan_meier(sub, time_col="time", event_col="event",
                               conf_level=conf_level).median
        msgs.extend(caught.messages(label))
        out.append(float(med["median"].iloc[0]))
    return out


def _emit(msgs):
    for m in msgs:
        warnings.warn(m, DataWarning, stacklevel=3)
    return tuple(msgs)


def landmark_data(
    data: pd.DataFrame, *, draws: pd.DataFrame, landmark: float, time_col: str,
    event_col: str, id_col: str = "patient_id", draw_time_col: str = "draw_months",
    marker_col: str | None = None, count_col: str | None = None, threshold: int | None = None,
    window: float | None = None, covariates: Sequence[str] = (), strata_col: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """The rows a landmark analysis at *landmark* uses (see :func:`landmark_analysis`).

    Returns a DataFrame with ``landmark``, ``id``, ``time`` (from the landmark), ``event``,
    the covariates (and ``strata``), ``draw_time`` and ``marker_positive``.
    """
    func = "landmark_data"
    pat, dr, covs, _, _ = _prepare(
        func, data, draws, time_col=time_col, event_col=event_col, id_col=id_col,
        draw_time_col=draw_time_col, marker_col=marker_col, count_col=count_col,
        threshold=threshold, covariates=covariates, strata_col=strata_col, missing=missing)
    (lm,), (win,) = _landmarks([landmark], window, func, "landmark")
    return _at_landmark(pat, dr, lm, win)[0].reset_index(drop=True)


def landmark_analysis(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    landmarks: float | Sequence[float],
    time_col: str,
    event_col: str,
    id_col: str = "patient_id",
    draw_time_col: str = "draw_months",
    marker_col: str | None = None,
    count_col: str | None = None,
    threshold: int | None = None,
    window: float | Sequence[float | None] | None = None,
    covariates: Sequence[str] = (),
    strata_col: str | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> LandmarkResult:
    """Landmark analysis of a serially measured marker (one Cox model per landmark).

    At each landmark time L, the patients still event-free and under observation (``time >
    L``) are classified by the marker at their last draw at or before L — and no earlier
    than ``L − window`` when a window is given — and followed **from L**: time is
    ``time − L``. Patients without such a draw are left out (counted in ``n_no_draw``).
    This is how Hayes et al. (2006) analysed each follow-up draw; it removes the
    guarantee-time bias of classifying patients by a later draw and timing from baseline (see
    the module notes and :func:`guarantee_time_bias`).

    Each landmark is analysed with :func:`ctcstats.fit_cox` (R ``coxph(Surv(time - L,
    event) ~ marker_positive + covariates, subset = time > L)``, Efron ties) and
    :func:`ctcstats.kaplan_meier` medians per status.

    Parameters
    ----------
    data : DataFrame
        One row per patient: ``id_col``, ``time_col`` (from baseline), ``event_col``, the
        covariates and ``strata_col``.
    draws : DataFrame
        One row per draw: ``id_col``, ``draw_time_col`` (same clock and units as
        ``time_col``) and either ``marker_col`` (0/1 status) or ``count_col`` (count; positive
        when ≥ ``threshold``). :func:`ctcstats.simulate_draws` (or ``simulate_study(...).draws``)
        gives this layout (``patient_id, draw_months, ctc_count, ctc_positive``).
    landmarks : float or sequence of float
        Landmark times (≥ 0), e.g. the ends of the draw windows.
    window : float, sequence or None
        Only draws in ``[L − window, L]`` qualify (one value, or one per landmark); None
        takes the last draw before L whenever it was taken.
    covariates, strata_col : adjustment of the Cox model (numeric covariates).
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    LandmarkResult
        ``table`` with one row per landmark (``landmark, n_at_risk, n_no_draw, n_positive,
        n_events, hr, ci_lower, ci_upper, p_value, median_negative, median_positive``),
        ``data`` (the analysed rows), ``plot()``.

    Warns
    -----
    DataWarning
        A landmark without events or with one marker group (its HR is NaN), or a warning of
        the Cox fit or Kaplan–Meier estimate at a landmark; also recorded in ``warnings``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.survival.landmark import landmark_analysis
    >>> sc = cs.simulate_study("hayes2006", n=600, rng=2)
    >>> res = landmark_analysis(sc.data, draws=sc.draws, landmarks=[0.0, 1.15, 1.84],
    ...                         time_col="pfs_months", event_col="pfs_event",
    ...                         marker_col="ctc_positive", window=0.7)
    >>> res.table["landmark"].tolist()
    [0.0, 1.15, 1.84]
    >>> bool((res.table["hr"] > 1).all())
    True
    """
    func = "landmark_analysis"
    cl = check_conf_level(conf_level, func=func)
    pat, dr, covs, n_obs, n_drop = _prepare(
        func, data, draws, time_col=time_col, event_col=event_col, id_col=id_col,
        draw_time_col=draw_time_col, marker_col=marker_col, count_col=count_col,
        threshold=threshold, covariates=covariates, strata_col=strata_col, missing=missing)
    lms, wins = _landmarks(landmarks, window, func)
    rows, frames, msgs = [], [], []
    for lm, win in zip(lms, wins, strict=True):
        fr, n_no = _at_landmark(pat, dr, lm, win)
        label = f"landmark {lm:g}"
        if fr.empty:
            msgs.append(f"{label}: no patient at risk with a qualifying draw.")
            hr = (math.nan,) * 4
            meds = [math.nan, math.nan]
        else:
            hr = _cox_row(fr, covs, strata_col, cl, msgs, label)
            meds = _medians(fr, cl, msgs, label)
        rows.append([lm, len(fr), n_no, int(fr["marker_positive"].sum()) if len(fr) else 0,
                     int(fr["event"].sum()) if len(fr) else 0, *hr, *meds])
        frames.append(fr)
    table = pd.DataFrame(rows, columns=_LM_COLUMNS)
    data = pd.concat(frames, ignore_index=True)
    return LandmarkResult(table=table, data=data, conf_level=cl, n_obs=n_obs,
                          n_dropped=n_drop, warnings=_emit(msgs))


# --------------------------------------------------------------------------- time-varying
def _counting_process(pat, dr):
    """(start, stop] rows: a new interval at each draw before the end of follow-up — the
    public :func:`ctcstats.counting_process_data` with ``before_first="drop"`` (a patient
    enters at the first draw; draws at or before 0 set the status at the start, the last of
    them counting; draws at or after the end of follow-up are ignored).

    Identical rows, coefficients and log-likelihood to the former private builder on the R
    reference inputs (tests/reference/landmark: 60, 400, jasa) and on the edge cases of
    tests/survival/test_landmark.py::test_counting_process_is_the_public_builder.
    """
    from .counting import counting_process_data

    extra = [c for c in pat.columns if c not in ("id", "time", "event")]
    cp = counting_process_data(pat, draws=dr, time_col="time", event_col="event",
                               value_cols=["marker_positive"], id_col="id",
                               draw_time_col="draw_time", covariates=extra,
                               before_first="drop")
    cp = cp[["id", "start", "stop", "event", "marker_positive", *extra]]
    cp = cp.astype({"event": np.int64, "marker_positive": np.int64})
    n_no = int((~pat["id"].isin(cp["id"])).sum())
    return cp.reset_index(drop=True), n_no


def fit_time_varying_cox(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    time_col: str,
    event_col: str,
    id_col: str = "patient_id",
    draw_time_col: str = "draw_months",
    marker_col: str | None = None,
    count_col: str | None = None,
    threshold: int | None = None,
    covariates: Sequence[str] = (),
    strata_col: str | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> TimeVaryingCoxResult:
    """Cox model with the marker status at the latest draw as a time-dependent covariate.

    The follow-up of each patient is split into (start, stop] intervals at the draws (as
    :func:`ctcstats.counting_process_data` with ``before_first="drop"``); the hazard at
    time t depends on the status at the last draw before t. Fitted with :func:`ctcstats.fit_cox` on the (start, stop] rows
    (``start_col``; Efron ties, model-based standard errors); matches R
    ``coxph(Surv(start, stop, event) ~ marker_positive + covariates + strata(s))`` on the
    ``tmerge`` data (``tests/reference/landmark/``).

    Parameters
    ----------
    data, draws, time_col, event_col, id_col, draw_time_col, marker_col, count_col,
    threshold, covariates, strata_col, conf_level, missing
        As in :func:`landmark_analysis`.

    Returns
    -------
    TimeVaryingCoxResult
        ``table`` indexed by ``term`` (``marker_positive`` first, then the covariates) with
        ``coef, std_error, hr, ci_lower, ci_upper, z, p_value``; ``data`` (the
        counting-process rows), ``loglik``, ``n_obs``, ``n_intervals``, ``n_events``,
        ``n_no_draw``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.survival.landmark import fit_time_varying_cox
    >>> sc = cs.simulate_study("hayes2006", n=400, rng=5)
    >>> res = fit_time_varying_cox(sc.data, draws=sc.draws, time_col="pfs_months",
    ...                            event_col="pfs_event", marker_col="ctc_positive")
    >>> res.table.columns.tolist()
    ['coef', 'std_error', 'hr', 'ci_lower', 'ci_upper', 'z', 'p_value']
    """
    from .cox import fit_cox

    func = "fit_time_varying_cox"
    cl = check_conf_level(conf_level, func=func)
    pat, dr, covs, _, n_drop = _prepare(
        func, data, draws, time_col=time_col, event_col=event_col, id_col=id_col,
        draw_time_col=draw_time_col, marker_col=marker_col, count_col=count_col,
        threshold=threshold, covariates=covariates, strata_col=strata_col, missing=missing)
    cp, n_no = _counting_process(pat, dr)
    msgs: list[str] = []
    if n_no:
        msgs.append(f"{n_no} patients have no draw before the end of their follow-up and are "
                    "left out (their marker status is unknown throughout).")
    if cp.empty or cp["event"].sum() == 0 or cp["marker_positive"].nunique() < 2:
        raise DataValidationError(
            f"{func}: the counting-process data have no events or a single marker status "
            f"({len(cp)} intervals, {int(cp['event'].sum())} events); nothing to fit."
        )
    terms = ["marker_positive", *covs]
    with capture() as caught:
        fit = fit_cox(cp, start_col="start", time_col="stop", event_col="event",
                      covariates=terms, strata_col="strata" if strata_col else None,
                      conf_level=cl)
    msgs.extend(caught.messages())
    table = fit.table[_COEF_COLUMNS].copy()
    return TimeVaryingCoxResult(
        table=table, data=cp, loglik=float(fit.loglik), conf_level=cl,
        n_obs=int(cp["id"].nunique()), n_intervals=len(cp), n_events=int(cp["event"].sum()),
        n_no_draw=n_no, n_dropped=n_drop, warnings=_emit(msgs))


# --------------------------------------------------------------------------- bias demo
def guarantee_time_bias(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    landmark: float,
    time_col: str,
    event_col: str,
    id_col: str = "patient_id",
    draw_time_col: str = "draw_months",
    marker_col: str | None = None,
    count_col: str | None = None,
    threshold: int | None = None,
    window: float | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> GuaranteeTimeBiasResult:
    """Show the guarantee-time bias of analysing a follow-up draw from baseline.

    Three hazard ratios of marker-positive vs marker-negative status at a follow-up draw
    (the last draw by ``landmark``, within ``window``):

    * ``naive`` — every patient, time **from baseline**; "negative" = marker-negative at the
      follow-up draw (a responder), "positive" = everybody else (positive at the draw, or
      no draw because the event or censoring came first). Biased: responders are guaranteed
      event-free until the draw.
    * ``landmark`` — :func:`landmark_analysis` at ``landmark`` (patients at risk there, time
      from the landmark).
    * ``time_varying`` — the Mantel–Byar analysis of the same contrast with
      :func:`fit_time_varying_cox`: every patient is in the "positive" (non-responder)
      state from baseline and moves to the status of the follow-up draw when it is taken,
      so the time before the draw is credited to the state the patient was really in.

    Returns
    -------
    GuaranteeTimeBiasResult
        ``table`` with ``analysis, hr, ci_lower, ci_upper, p_value, n, n_events,
        description``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.survival.landmark import guarantee_time_bias
    >>> sc = cs.simulate_study("hayes2006", n=1000, rng=3)
    >>> res = guarantee_time_bias(sc.data, draws=sc.draws, landmark=1.84, window=0.7,
    ...                           time_col="pfs_months", event_col="pfs_event",
    ...                           marker_col="ctc_positive")
    >>> res.table["analysis"].tolist()
    ['naive', 'landmark', 'time_varying']
    """
    func = "guarantee_time_bias"
    cl = check_conf_level(conf_level, func=func)
    kw: dict[str, Any] = dict(time_col=time_col, event_col=event_col, id_col=id_col,
                              draw_time_col=draw_time_col, marker_col=marker_col,
                              count_col=count_col, threshold=threshold, missing=missing)
    pat, dr, _, n_obs, n_drop = _prepare(func, data, draws, covariates=(),
                                         strata_col=None, **kw)
    (lm,), (win,) = _landmarks([landmark], window, func, "landmark")
    # naive: responders = negative at the follow-up draw; everybody else "positive"
    ok = (dr["draw_time"] > 0) & (dr["draw_time"] <= lm)
    if win is not None:
        ok &= dr["draw_time"] >= lm - win
    last = dr.loc[ok].sort_values(["id", "draw_time"]).groupby("id", sort=False, observed=True).tail(1)
    resp = pat["id"].isin(last.loc[last["marker_positive"] == 0, "id"]).to_numpy()
    naive = pat.assign(marker_positive=(~resp).astype(np.int64))
    msgs: list[str] = []
    rows = []
    h = _cox_row(naive, [], None, cl, msgs, "naive")
    rows.append(["naive", *h, len(naive), int(naive["event"].sum()),
                 "status at the follow-up draw (no draw = positive), time from baseline"])
    with capture() as caught:
        lmr = landmark_analysis(data, draws=draws, landmarks=[lm], window=win,
                                conf_level=cl, **kw)
        # Mantel–Byar: everyone starts in the "positive" (non-responder) state and moves to
        # the status of the follow-up draw when it is taken
        mb_draws = pd.concat([
            pd.DataFrame({"id": pat["id"], "draw_time": 0.0, "marker_positive": 1}),
            last[["id", "draw_time", "marker_positive"]],
        ], ignore_index=True)
        mb_pat = pat[["id", "time", "event"]]
        tv = fit_time_varying_cox(mb_pat, draws=mb_draws, time_col="time", event_col="event",
                                  id_col="id", draw_time_col="draw_time",
                                  marker_col="marker_positive", conf_level=cl)
    msgs.extend(caught.messages())
    t = lmr.table.iloc[0]
    rows.append(["landmark", t["hr"], t["ci_lower"], t["ci_upper"], t["p_value"],
                 int(t["n_at_risk"]), int(t["n_events"]),
                 "patients at risk at the landmark, status at the draw, time from landmark"])
    r = tv.table.loc["marker_positive"]
    rows.append(["time_varying", r["hr"], r["ci_lower"], r["ci_upper"], r["p_value"],
                 tv.n_obs, tv.n_events,
                 "Mantel–Byar: positive until the follow-up draw, then its status"])
    table = pd.DataFrame(rows, columns=["analysis", "hr", "ci_lower", "ci_upper", "p_value",
                                        "n", "n_events", "description"])
    return GuaranteeTimeBiasResult(table=table, landmark=lm, conf_level=cl, n_obs=n_obs,
                                   n_dropped=n_drop, warnings=_emit(msgs))
