"""Section "Serial draws": the marker measured again during follow-up.

Added to the further analyses when the report is given a long table of draws (``draws=``;
one row per draw with the patient id, the draw time on the clock of the endpoints and the
marker column of the spec). It reports the draw schedule (draws, timing and positivity per
visit), the time-dependent Cox model of each endpoint with the status and the count of the
latest draw (:func:`ctcstats.counting_process_data` + :func:`ctcstats.fit_cox` with
``start_col``/``id_col``), and — for the first endpoint — landmark supermodels with the
baseline and with the updated marker, compared per landmark by C, time-dependent AUC and IPA
(:func:`ctcstats.landmark_supermodel`, :func:`ctcstats.dynamic_performance`). Only
summaries are written, never a patient's draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dynamic import dynamic_performance, landmark_supermodel
from ...errors import DataValidationError
from ...survival.counting import counting_process_data
from ...survival.cox import fit_cox
from ..context import ReportContext
from ..format import (
    fmt_hr,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_time,
    notes,
    para,
    table,
    time_digits,
)

__all__ = ["section_serial", "draw_columns", "data_unit", "ID_COLS", "DRAW_TIME_COLS"]

#: patient-id columns looked for in both tables, in this order
ID_COLS = ("patient_id", "id")
#: draw-time columns looked for in the draws, in this order (``{unit}`` = the spec's unit)
DRAW_TIME_COLS = ("draw_time", "draw_{unit}", "draw_months")


def data_unit(ctx: ReportContext) -> str:
    """The unit of the data's times (the draws are on the same clock)."""
    return ctx.units.data if ctx.units is not None else (ctx.spec.time_unit or "months")


def draw_columns(data: pd.DataFrame, draws: pd.DataFrame, marker_col: str,
                 unit: str) -> tuple[str, str]:
    """The id and draw-time columns of the draws (DataValidationError naming what is missing)."""
    if not isinstance(draws, pd.DataFrame):
        raise DataValidationError(
            f"draws must be a pandas DataFrame (one row per draw); got {type(draws).__name__}."
        )
    ids = [c for c in ID_COLS if c in data.columns and c in draws.columns]
    times = [c.format(unit=unit) for c in DRAW_TIME_COLS if c.format(unit=unit) in draws.columns]
    if not ids or not times or marker_col not in draws.columns:
        raise DataValidationError(
            "draws need a patient id shared with the data (one of "
            f"{', '.join(ID_COLS)}), a draw time (one of "
            f"{', '.join(dict.fromkeys(c.format(unit=unit) for c in DRAW_TIME_COLS))}, on the "
            f"clock of the endpoints) and the marker column {marker_col!r}; the draws have "
            f"columns {', '.join(map(str, draws.columns[:12]))}."
        )
    return ids[0], times[0]


def _visits(draws: pd.DataFrame, tcol: str) -> pd.Series:
    """Visit of each draw: the ``draw`` index when given, else the draw time rounded."""
    if "draw" in draws.columns:
        return draws["draw"]
    return draws[tcol].astype(float).round(1)


def _schedule(ctx, dr, tcol):
    thr = ctx.threshold if ctx.marker_kind == "count" else 1
    v = dr[ctx.spec.marker_col].astype(float)
    g = dr.assign(_visit=_visits(dr, tcol), _pos=v >= thr, _v=v).groupby("_visit", sort=True, observed=True)
    rows = []
    for visit, sub in g:
        label = sub["draw_label"].iloc[0] if "draw_label" in sub.columns else str(visit)
        rows.append([str(label), fmt_int(len(sub)),
                     fmt_num(sub[tcol].median(), time_digits(ctx.unit, 2)),
                     fmt_pct(sub["_pos"].mean()),
                     fmt_num(sub["_v"].median(), 1) if ctx.marker_kind == "count" else "—"])
    return table(
        "Draw schedule: draws per visit, their median time, the share positive "
        f"({ctx.pos_label}) and the median marker value",
        ["visit", "draws", f"median time ({ctx.unit})", "positive", "median value"], rows)


def _time_dependent(ctx, data, dr, idc, tcol, msgs):
    s = ctx.spec
    m = s.marker_col
    thr = ctx.threshold if ctx.marker_kind == "count" else 1
    dr = dr.assign(_status=(dr[m].astype(float) >= thr).astype(int),
                   _log=np.log1p(dr[m].astype(float).clip(lower=0)))
    rows = []
    for ep in s.endpoints:
        cp = ctx.run(msgs, counting_process_data, data, draws=dr, time_col=ep.time_col,
                     event_col=ep.event_col, id_col=idc, draw_time_col=tcol,
                     value_cols=["_status", "_log"], before_first="drop")
        cells = [ep.title, fmt_int(cp[idc].nunique()), fmt_int(len(cp)),
                 fmt_int(int(cp[ep.event_col].sum()))]
        for term in (["_status", "_log"] if ctx.marker_kind == "count" else ["_status"]):
            if cp[ep.event_col].sum() == 0 or cp[term].nunique() < 2:
                cells.append("—")
                continue
            fit = ctx.run(msgs, fit_cox, cp, start_col="start", time_col="stop",
                          event_col=ep.event_col, id_col=idc, covariates=[term])
            r = fit.table.iloc[0]
            cells.append(fmt_hr(r["hr"], r["ci_lower"], r["ci_upper"]))
        if ctx.marker_kind != "count":
            cells.append("—")
        rows.append(cells)
    return table(
        "Time-dependent Cox models: the marker of the latest draw as a time-dependent "
        "covariate ((start, stop] rows cut at the draws, last value carried forward)",
        ["endpoint", "patients", "intervals", "events", f"HR {ctx.pos_label} (current)",
         "HR per log(1 + count) (current)"], rows,
        note="Follow-up before a patient's first draw is not used. Unlike a comparison by "
             "the status seen at a later visit, the time-dependent model has no guarantee-"
             "time bias.")


def _landmarks(ctx, dr, tcol, t_max) -> list[float]:
    med = dr.assign(_visit=_visits(dr, tcol)).groupby("_visit", observed=True)[tcol].median()
    lms = sorted({0.0, *[round(float(x), 2) for x in med if 0 < x < t_max]})
    return lms


def _supermodel(ctx, data, dr, idc, tcol, msgs):
    s = ctx.spec
    ep = s.endpoints[0]
    horizon = float(ctx.horizons[0])
    t = data[ep.time_col].astype(float)
    lms = _landmarks(ctx, dr, tcol, float(t.median()))
    if len(lms) < 2:
        return [para("Landmark supermodels need at least one follow-up visit before the "
                     "median follow-up; none here.")]
    kw = dict(draws=dr, landmarks=lms, horizon=horizon, time_col=ep.time_col,
              event_col=ep.event_col, id_col=idc, draw_time_col=tcol, marker_col=s.marker_col,
              transform="log1p" if ctx.marker_kind == "count" else "identity",
              landmark_degree=1)
    base = ctx.run(msgs, landmark_supermodel, data, summary="baseline", **kw)
    upd = ctx.run(msgs, landmark_supermodel, data, summary="current", **kw)
    perf = ctx.run(msgs, dynamic_performance, data, draws=dr,
                   models={"baseline": base, "updated": upd})
    tab = perf.table
    rows = []
    for lm in lms:
        b = tab[(tab["model"] == "baseline") & (tab["landmark"] == lm)].iloc[0]
        u = tab[(tab["model"] == "updated") & (tab["landmark"] == lm)].iloc[0]
        rows.append([fmt_num(lm, time_digits(ctx.unit, 2)), fmt_int(b["n_at_risk"]),
                     fmt_int(b["n_events"]),
                     fmt_num(b["auc"], 3), fmt_num(u["auc"], 3), fmt_num(b["ipa"], 3),
                     fmt_num(u["ipa"], 3), fmt_num(u["oe_ratio"], 2)])
    blocks = [table(
        f"Dynamic prediction of {ep.title} within {fmt_time(horizon, ctx.unit)} of "
        "each landmark: landmark supermodels (one baseline hazard per landmark, effect "
        "linear in the landmark, robust SE by patient) with the baseline or the updated "
        "(latest) marker value, log(1 + count)",
        [f"landmark ({ctx.unit})", "at risk", "events in window", "AUC baseline",
         "AUC updated", "IPA baseline", "IPA updated", "O/E updated"], rows,
        note="Apparent performance (same patients for fitting and evaluation): AUC is the "
             "cumulative/dynamic AUC and IPA 1 − Brier/Brier(null) at the window's end, with "
             "Kaplan–Meier censoring weights, on the patients at risk at the landmark with a "
             "draw by then (as riskRegression::Score per landmark set).")]
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    perf.plot(ax=ax, metric="auc")
    blocks.append(ctx.figure(fig, f"Time-dependent AUC per landmark ({ep.title}, "
                             "baseline vs updated marker).", title="dynamic AUC"))
    plt.close(fig)
    return blocks


def section_serial(ctx: ReportContext, draws: pd.DataFrame) -> list[dict]:
    """Blocks of the section "Serial draws" (see the module docstring)."""
    data = ctx.frame
    idc, tcol = draw_columns(data, draws, ctx.spec.marker_col, data_unit(ctx))
    dr = draws.loc[draws[idc].isin(data[idc]).to_numpy()]
    dr = dr.loc[dr[[idc, tcol, ctx.spec.marker_col]].notna().all(axis=1).to_numpy()].copy()
    if ctx.units is not None and ctx.units.factor != 1.0:  # the endpoints are shown in
        dr[tcol] = dr[tcol].astype(float) * ctx.units.factor  # the display unit
    msgs: list[str] = []
    blocks = [para(
        f"{fmt_int(len(dr))} draws of {fmt_int(dr[idc].nunique())} analysed patients "
        f"(draws of excluded patients and draws with a missing value are not used). The "
        "marker is updated at each draw; analyses at a time t use only the draws taken by t.")]
    blocks.append(_schedule(ctx, dr, tcol))
    blocks.append(_time_dependent(ctx, data, dr, idc, tcol, msgs))
    blocks += _supermodel(ctx, data, dr, idc, tcol, msgs)
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks
