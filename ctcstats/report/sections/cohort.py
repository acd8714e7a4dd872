"""Sections 1–4: marker and aims, patients and flow, the marker's distribution, Table 1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...association import marker_table
from ...counts import detection_rates
from ...survival.km import kaplan_meier
from ..context import ReportContext
from ..format import (
    fmt_int,
    fmt_n_pct,
    fmt_num,
    fmt_pct,
    fmt_time_ci,
    notes,
    para,
    table,
    time_digits,
)

__all__ = ["section_aims", "section_flow", "section_marker", "section_table1"]


def section_aims(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    blocks = []
    if s.description:
        blocks.append(para(s.description))
    if ctx.marker_kind == "count":
        th = ", ".join(f"≥ {t}" for t in s.thresholds)
        what = (f"The marker is the {s.marker_label} count (column {s.marker_col}); a patient "
                f"is {s.marker_label}-positive when the count is ≥ {ctx.threshold} (primary "
                f"threshold; thresholds examined: {th}).")
    else:
        what = (f"The marker is the {s.marker_label} status (column {s.marker_col}, "
                "1 = positive).")
    blocks.append(para(what))
    eps = "; ".join(ep.title for ep in s.endpoints)
    blocks.append(para(
        f"Aim: to estimate the prognostic value of {s.marker_label} for {eps}. Prespecified "
        f"hypothesis: {ctx.pos_label} patients have a higher hazard of the event than "
        f"{ctx.neg_label} patients, also after adjustment for the clinical factors"
        + (f" ({', '.join(s.covariates)})" if s.covariates else "") + "."
    ))
    return blocks


def _imputation_note(ctx: ReportContext) -> str:
    """Which multivariable analysis is primary when covariates are missing (section 6)."""
    from .missing import needs_missing_section

    if ctx.spec.missing != "drop" or not needs_missing_section(ctx):
        return ""
    if ctx.spec.primary_analysis == "multiple_imputation":
        return (" Patients missing only covariates are kept by multiple imputation in the "
                "primary multivariable analysis (section 6, 'Missing covariates'); the "
                "complete-case model is the sensitivity analysis.")
    return (" The complete-case multivariable model is primary; the multiply-imputed one "
            "(section 6, 'Missing covariates') is the sensitivity analysis.")


def section_flow(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    f = ctx.flow
    rows = []
    for _, r in f.iterrows():
        rows.append([r["step"], fmt_int(r["n_patients"]),
                     fmt_int(r["n_removed"]) if r["n_removed"] else "",
                     r["reason"]])
    blocks = [table("Patient flow (complete cases over every column used)",
                    ["step", "patients", "excluded", "reason"], rows,
                    note=f"Missing values: {'complete-case analysis' if s.missing == 'drop' else 'refused (missing = raise)'}."
                    + _imputation_note(ctx))]
    if ctx.units is not None:
        blocks.append(para(ctx.units.statement()))
    fr = ctx.frame
    n = len(fr)
    msgs: list[str] = list(ctx.time_notes)
    ep_rows = []
    d = time_digits(ctx.unit, 1)
    for ep in s.endpoints:
        ev = fr[ep.event_col].astype(float).to_numpy() > 0
        km = ctx.run(msgs, kaplan_meier, fr, time_col=ep.time_col, event_col=ep.event_col)
        fu = km.median_followup
        fu_all = fu[fu["group"] == "all"].iloc[0] if "all" in set(fu["group"]) else fu.iloc[0]
        by = [fmt_n_pct(int(ev[(fr[ctx.group_col] == g).to_numpy()].sum()),
                        int((fr[ctx.group_col] == g).sum())) for g in (ctx.neg_label,
                                                                        ctx.pos_label)]
        ep_rows.append([ep.title, ep.definition or "", fmt_n_pct(int(ev.sum()), n), *by,
                        f"{fmt_num(fu_all['median_followup'], d)} "
                        f"({fmt_time_ci(fu_all['ci_lower'], fu_all['ci_upper'], d)})"])
    blocks.append(table(
        f"Endpoints and events among the {fmt_int(n)} analysed patients",
        ["endpoint", "definition", "events, n (%)", f"events in {ctx.neg_label}",
         f"events in {ctx.pos_label}", f"median follow-up, {ctx.unit} (95% CI)"],
        ep_rows,
        note="Median follow-up by the reverse Kaplan–Meier method (censoring as the event).",
        cls="wrap"))
    cand = [s.marker_col] + ([s.volume_col] if s.volume_col else []) + list(s.covariates)
    blocks.append(para(
        "Variables examined: " + ", ".join(cand)
        + (f"; analyses stratified by {s.strata_col}" if s.strata_col else "") + "."
    ))
    if s.strata_col:
        st = fr[s.strata_col].astype(str).value_counts().sort_index()
        blocks.append(para(f"{s.strata_col}: {len(st)} strata of "
                           f"{fmt_int(st.min())}–{fmt_int(st.max())} patients."))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


# count histogram bins: 0, 1, 2, 3, 4, 5–9, 10–49, 50–99, ≥100 (empty top bins dropped)
_BINS = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 9), (10, 49), (50, 99), (100, None)]


def count_bins(counts: np.ndarray, threshold: int) -> pd.DataFrame:
    """Table of count bins (``bin, n, percent, positive``) for the histogram."""
    rows = []
    total = len(counts)
    top = int(counts.max()) if total else 0
    for lo, hi in _BINS:
        if lo > top:
            break
        m = counts >= lo if hi is None else (counts >= lo) & (counts <= hi)
        label = f"≥{lo}" if hi is None else (str(lo) if lo == hi else f"{lo}–{hi}")
        rows.append({"bin": label, "n": int(m.sum()), "percent": 100.0 * m.sum() / total,
                     "positive": lo >= threshold})
    return pd.DataFrame(rows)


def section_marker(ctx: ReportContext) -> list[dict]:
    import matplotlib.pyplot as plt

    from ...plotting.report import plot_count_histogram

    s = ctx.spec
    fr = ctx.frame
    n = len(fr)
    blocks: list[dict] = []
    msgs: list[str] = []
    if ctx.marker_kind == "binary":
        npos = int(fr[ctx.term].sum())
        blocks.append(para(f"{ctx.pos_label}: {fmt_n_pct(npos, n)} of {fmt_int(n)} patients."))
        return blocks
    c = fr[s.marker_col].to_numpy(float)
    q = np.percentile(c, [25, 50, 75, 90, 95])
    rows = [
        ["patients", fmt_int(n)],
        ["count = 0", fmt_n_pct(int((c == 0).sum()), n)],
        ["median (IQR)", f"{fmt_num(q[1], 0)} ({fmt_num(q[0], 0)}–{fmt_num(q[2], 0)})"],
        ["mean", fmt_num(c.mean(), 2)],
        ["90th / 95th percentile", f"{fmt_num(q[3], 0)} / {fmt_num(q[4], 0)}"],
    ]
    pos = c[c > 0]
    if len(pos):
        rows.append(["median among patients with ≥ 1 cell",
                     fmt_num(np.median(pos), 0)])
    if s.volume_col:
        v = fr[s.volume_col].to_numpy(float)
        f = fmt_int if np.all(np.mod(v, 1) == 0) else (lambda x: fmt_num(x, 1))
        rows.append([f"{s.volume_col}: median (range)",
                     f"{f(np.median(v))} ({f(v.min())}–{f(v.max())})"])
    blocks.append(table(f"Distribution of the {s.marker_label} count ({s.marker_col})",
                        ["", "value"], rows))
    bins = count_bins(c, ctx.threshold)
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    plot_count_histogram(bins, ax=ax, xlabel=f"{s.marker_label} count",
                         positive_label=ctx.pos_label, negative_label=ctx.neg_label)
    blocks.append(ctx.figure(fig, f"Distribution of the {s.marker_label} count; bars at or "
                                  f"above the primary threshold ({ctx.threshold}) in red.",
                             title=f"{s.marker_label} count histogram"))
    thresholds = sorted(set(s.thresholds) | {1})
    dr = ctx.run(msgs, detection_rates, fr, count_col=s.marker_col, thresholds=thresholds,
                 group_col=None)
    t = dr.table
    rrows = []
    for _, r in t.iterrows():
        rrows.append([f"≥ {int(r['threshold'])}" + (" (primary)" if int(r["threshold"])
                                                   == ctx.threshold else ""),
                      fmt_int(r["n"]), fmt_int(r["n_positive"]), fmt_pct(r["proportion"]),
                      f"{fmt_pct(r['ci_lower_exact'])}–{fmt_pct(r['ci_upper_exact'])}"])
    blocks.append(table(
        "Detection rates at the thresholds",
        ["threshold", "patients", "positive", "rate", "95% CI (exact)"], rrows,
        note="Clopper–Pearson exact intervals."))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def _table1_categorical(fr: pd.DataFrame, covs, declared=()) -> tuple[list[str], list[str]]:
    """Covariates Table 1 shows by level — exactly those the Cox models fit by level (declared
    categorical, or not numeric) plus 0/1 ones (one indicator either way) — and the numeric
    covariates with 3–5 whole-number levels that enter the models linearly (named in a note,
    so that Table 1 and the models never disagree silently)."""
    out: list[str] = []
    linear: list[str] = []
    for c in covs:
        s = fr[c]
        if c in declared or not pd.api.types.is_numeric_dtype(s) \
                or pd.api.types.is_bool_dtype(s):
            out.append(c)
        elif s.nunique() <= 5 and np.all(np.mod(s.dropna().to_numpy(float), 1) == 0):
            (out if s.nunique() <= 2 else linear).append(c)
    return out, linear


def section_table1(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    if not s.covariates:
        return [para("No clinical covariates were given; Table 1 is omitted.")]
    msgs: list[str] = []
    fr = ctx.frame
    cat, linear = _table1_categorical(fr, s.covariates, s.categorical)
    mt = ctx.run(msgs, marker_table, fr, marker_col=ctx.group_col,
                 covariates=list(s.covariates), categorical=cat, tests=True,
                 missing="report")
    t = mt.table
    groups = [g for g in t.columns if g not in ("variable", "level", "overall", "missing",
                                                 "test", "p_value", "smd")]
    rows: list = []
    sub: set = set()
    last_var = None
    for _, r in t.iterrows():
        var = "" if r["variable"] == last_var else str(r["variable"])
        last_var = r["variable"]
        level = "" if pd.isna(r["level"]) else str(r["level"])
        is_sub = bool(level) and var == "" and str(r["variable"]) != "n"
        if is_sub:
            sub.add(len(rows))
        rows.append([
            var, level, *["" if pd.isna(r[g]) else str(r[g]) for g in ["overall", *groups]],
            "" if pd.isna(r["missing"]) else str(r["missing"]),
            "" if pd.isna(r["test"]) else str(r["test"]),
            "" if pd.isna(r["p_value"]) else _p_cell(r["p_value"]),
        ])
    blocks = [table(
        f"Table 1. Clinical factors by {s.marker_label} status",
        ["variable", "", "overall", *groups, "missing", "test", "p"], rows, sub_rows=sub,
        cls="table1",
        note="Continuous: mean (SD); categorical: n (%). Tests: t-test (continuous), "
             "chi-square or Fisher's exact test (categorical).")]
    if linear:
        one = len(linear) == 1
        blocks.append(para(
            f"{', '.join(linear)} {'has' if one else 'have'} only a few whole-number levels "
            f"but {'enters' if one else 'enter'} the Cox models linearly (one hazard ratio per "
            f"unit), so Table 1 summarises {'it as a number' if one else 'them as numbers'}"
            "; to model "
            f"and show {'it' if one else 'them'} by level, list {'it' if one else 'them'} as "
            "categorical (--categorical or the spec field categorical)."))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def _p_cell(p) -> str:
    from ..format import fmt_p

    return fmt_p(p)
