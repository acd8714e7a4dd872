"""Sections 5–6: univariable results per endpoint, multivariable Cox (PH check, piecewise)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from ...errors import SmallSampleWarning
from ...survival.cox import fit_cox, fit_piecewise_cox
from ...survival.km import kaplan_meier
from ...survival.logrank import logrank_test
from ..context import ReportContext
from ..format import (
    fmt_hr,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_p_eq,
    fmt_time_ci,
    notes,
    para,
    table,
    time_digits,
)
from ..spec import EndpointSpec
from ..units import duration, durations, time_ticks, unit_word

__all__ = ["km_figure", "section_univariable", "section_multivariable", "start_survival",
           "time_ticks", "events_per_variable", "EPV_MIN"]


_MAX_CENSOR_MARKS = 1000


def km_figure(ctx: ReportContext, km, *, title: str, caption: str) -> dict:
    import matplotlib.pyplot as plt

    n_groups = len(km.groups)
    axes_h, top, below = 3.6, 0.45, 0.95 + 0.26 * n_groups
    fig = plt.figure(figsize=(7.4, axes_h + top + below))
    ax = fig.add_axes((0.2, below / (axes_h + top + below), 0.76,
                       axes_h / (axes_h + top + below)))
    tmax = float(km.table["time"].max())
    # censoring marks are unreadable (and make the file large) in big cohorts
    ticks = int(km.table["n_censored"].sum()) <= _MAX_CENSOR_MARKS
    km.plot(ax=ax, risk_table=True, times=time_ticks(tmax, ctx.unit), censor_ticks=ticks)
    if not ticks:
        caption += " Censoring marks omitted (more than 1,000 censored patients)."
    curves = [ln for ln in ax.get_lines() if ln.get_gid() == "km-curve"]
    for ln, g in zip(curves, km.groups, strict=False):
        ln.set_label(str(g))
    if len(curves) > 1:
        ax.legend(handles=curves, frameon=False, loc="lower left")
    ax.set_xlabel(f"Time ({ctx.unit})")
    ax.set_ylabel("Survival probability")
    ax.set_title(title, loc="left", fontsize=11)
    return ctx.figure(fig, caption, title=title)


def _plain_log_ticks(ax) -> None:
    """Hazard-ratio axis ticks as plain numbers (0.5, 1, 2) instead of powers of ten."""
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

    lo, hi = ax.get_xlim()
    cands = [0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10, 20, 50, 100]
    ticks = [t for t in cands if lo <= t <= hi]
    if len(ticks) > 7:
        ticks = [t for t in ticks if t in (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100)]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _km_table(ctx: ReportContext, km, horizons) -> dict:
    med = km.median.set_index("group")
    d = time_digits(ctx.unit, 1)
    at = km.survival_at(list(horizons)) if horizons else None
    rows = []
    for g in km.groups:
        sub = km.table[km.table["group"] == g]
        n = int(sub["n_at_risk"].iloc[0]) if len(sub) else 0
        ev = int(sub["n_events"].sum())
        m = med.loc[g]
        row = [str(g), fmt_int(n), fmt_int(ev),
               "not reached" if not math.isfinite(float(m["median"])) else
               f"{fmt_num(m['median'], d)} ({fmt_time_ci(m['ci_lower'], m['ci_upper'], d)})"]
        if at is not None:
            for h in horizons:
                r = at[(at["group"] == g) & (np.isclose(at["time"], h))]
                if len(r) and math.isfinite(float(r["survival"].iloc[0])):
                    r = r.iloc[0]
                    row.append(f"{100 * r['survival']:.1f}% "
                               f"({100 * r['ci_lower']:.1f}–{100 * r['ci_upper']:.1f})")
                else:
                    row.append("—")
        rows.append(row)
    cols = ["group", "patients", "events", f"median, {ctx.unit} (95% CI)"]
    cols += [f"survival at {duration(h, ctx.unit)} (95% CI)" for h in horizons]
    return table("Kaplan–Meier estimates", cols, rows,
                 note="Log-log confidence intervals (as R survfit with conf.type = \"log-log\"; R's default is \"log\"); — = beyond follow-up.")


def _cox_rows(ctx: ReportContext, tab: pd.DataFrame, rename=None) -> list[list[str]]:
    rows = []
    for term, r in tab.iterrows():
        name = rename(term) if rename else ctx.term_label(str(term))
        rows.append([name, fmt_hr(r["hr"], r["ci_lower"], r["ci_upper"]), fmt_p(r["p_value"])])
    return rows


def section_univariable(ctx: ReportContext, ep: EndpointSpec) -> list[dict]:
    s = ctx.spec
    fr = ctx.frame
    msgs: list[str] = []
    km = ctx.run(msgs, kaplan_meier, fr, time_col=ep.time_col, event_col=ep.event_col,
                 group_col=ctx.group_col)
    ctx.results[f"km:{ep.name}"] = km
    blocks = [km_figure(ctx, km, title=f"{ep.title} by {s.marker_label} status",
                        caption=f"Kaplan–Meier estimates of {ep.label} by {s.marker_label} "
                                "status with 95% confidence bands and the number at risk.")]
    blocks.append(_km_table(ctx, km, ctx.horizons))
    lr = ctx.run(msgs, logrank_test, fr, time_col=ep.time_col, event_col=ep.event_col,
                 group_col=ctx.group_col, strata_col=s.strata_col)
    ctx.results[f"logrank:{ep.name}"] = lr
    blocks.append(para(
        f"{lr.method.capitalize()}: χ² = {fmt_num(lr.statistic, 2)} on {lr.df:g} df, "
        f"p {fmt_p_eq(lr.p_value)}."
    ))
    rows = []
    for cov in (ctx.term, *s.covariates):
        fn, args, kw = _cox_call(ctx, ep, [cov])
        cox = ctx.run(msgs, fn, *args, **kw)
        if cov == ctx.term:
            ctx.results[f"cox_uni:{ep.name}"] = cox
        rows += _cox_rows(ctx, cox.table)
    blocks.append(table(
        "Univariable Cox models (one model per row)", ["term", "HR (95% CI)", "p"], rows,
        note=("Stratified by " + s.strata_col + "; " if s.strata_col else "")
        + "Efron ties; Wald p-values; categorical covariates against their first level."))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def _cox_call(ctx: ReportContext, ep: EndpointSpec, covariates: list[str], *,
              firth: bool = False):
    """The ``fit_cox`` call of sections 5–6 (``(fn, args, kwargs)``), one place for the
    section and for :func:`start_survival`."""
    kw = dict(time_col=ep.time_col, event_col=ep.event_col, covariates=covariates,
              strata_col=ctx.spec.strata_col)
    return fit_cox, (ctx.frame,), (dict(kw, firth=True) if firth else kw)


class _NotNeeded(Exception):
    """The Firth fit is not reported (enough events per variable)."""


def _firth_possible(data: pd.DataFrame, kwargs: dict) -> bool:
    """False when section 6 certainly reports no Firth fit for this call: even with one
    coefficient per numeric covariate and one per level of any other (at least as many as
    the fit estimates), there are ≥ :data:`EPV_MIN` events per coefficient."""
    cols = [kwargs["time_col"], kwargs["event_col"], *kwargs["covariates"]]
    if kwargs.get("strata_col"):
        cols.append(kwargs["strata_col"])
    rows = data[cols].dropna()
    n_max = sum(1 if pd.api.types.is_numeric_dtype(rows[c]) else max(rows[c].nunique(), 1)
                for c in kwargs["covariates"])
    n_events = int((rows[kwargs["event_col"]].astype(float) > 0).sum())
    return n_events / n_max < EPV_MIN


def _firth_when_needed(data: pd.DataFrame, **kwargs):
    """``fit_cox(data, **kwargs)`` (a Firth fit) when section 6 reports it — fewer than
    :data:`EPV_MIN` events per coefficient of the ordinary fit, the section's rule — else
    :class:`_NotNeeded` (a prefetched call nobody will ask for is not computed). Only the
    Firth fit's own warnings are captured by the caller."""
    if not _firth_possible(data, kwargs):
        raise _NotNeeded
    plain = {k: v for k, v in kwargs.items() if k != "firth"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cox = fit_cox(data, **plain)
    if _epv(cox.n_events, _n_parameters(cox)) >= EPV_MIN:
        raise _NotNeeded
    return fit_cox(data, **kwargs)


def start_survival(ctx: ReportContext) -> None:
    """Start section 6's multivariable Cox fits and the Firth fits it will report (profile
    intervals: seconds) in a forked child (``ctx.prefetch``), when some endpoint may need a
    Firth fit; the same calls as the section's, taken back by key. Without Firth fits the
    ordinary fits are too quick to pay for a child."""
    if ctx.prefetch is None or not ctx.prefetch.enabled:
        return
    covs = [ctx.term, *ctx.spec.covariates]
    firth = {}
    for ep in ctx.spec.endpoints:
        _, args, kw = _cox_call(ctx, ep, covs, firth=True)
        if _firth_possible(ctx.frame, kw):
            firth[f"cox_firth:{ep.name}"] = (_firth_when_needed, args, kw)
    if firth:
        multi = {f"cox:{ep.name}": _cox_call(ctx, ep, covs) for ep in ctx.spec.endpoints}
        ctx.prefetch.start_group("multivariable", {**multi, **firth})


#: Events per variable below which a model is flagged (Peduzzi et al. 1995; Harrell 2015
#: §4.4 suggest 10–20 for a prespecified model).
EPV_MIN = 10


def _n_parameters(cox) -> int:
    """Estimated coefficients of a Cox fit (indicator terms counted one by one)."""
    return int(np.isfinite(cox.table["coef"]).sum())


def _epv(n_events: int, n_parameters: int) -> float:
    return n_events / n_parameters if n_parameters else float("inf")


def events_per_variable(n_events: int, n_parameters: int, *, model: str,
                        remedy: str = "") -> float:
    """Events per estimated coefficient; warns (SmallSampleWarning) below :data:`EPV_MIN`.

    Counts every coefficient (each indicator of a categorical covariate), as Peduzzi et al.
    (1995) and Harrell (2015, §4.4) do.
    """
    epv = _epv(n_events, n_parameters)
    if epv < EPV_MIN:
        warnings.warn(
            f"{model} has {n_events} events for {n_parameters} coefficients "
            f"({epv:.1f} events per variable, fewer than {EPV_MIN}): Wald tests and intervals "
            "are unreliable and the hazard ratios biased away from 1 (Peduzzi et al. 1995)"
            + (f"; {remedy}" if remedy else "; interpret them with caution") + ".",
            SmallSampleWarning, stacklevel=2)
    return float(epv)


def _median_event_time(fr: pd.DataFrame, ep: EndpointSpec) -> float:
    t = fr.loc[fr[ep.event_col].astype(float) > 0, ep.time_col].to_numpy(float)
    if not len(t):
        return float(np.median(fr[ep.time_col]))
    m = float(np.median(t))
    return float(round(m)) if m >= 2 else round(m, 1)


def section_multivariable(ctx: ReportContext, ep: EndpointSpec) -> list[dict]:
    import matplotlib.pyplot as plt

    s = ctx.spec
    fr = ctx.frame
    msgs: list[str] = []
    covs = [ctx.term, *s.covariates]
    fn, args, kw = _cox_call(ctx, ep, covs)
    cox = ctx.run_prefetched(msgs, f"cox:{ep.name}", fn, *args, **kw)
    ctx.results[f"cox:{ep.name}"] = cox
    epv = ctx.run(msgs, events_per_variable, cox.n_events, _n_parameters(cox),
                  model=f"the multivariable Cox model for {ep.title}",
                  remedy="Firth's penalised likelihood with profile intervals is reported "
                         "beside them")
    ctx.results[f"epv:{ep.name}"] = epv
    cols = ["term", "HR (95% CI)", "p"]
    rows = _cox_rows(ctx, cox.table)
    firth = None
    if epv < EPV_MIN:
        fn, args, kw = _cox_call(ctx, ep, covs, firth=True)
        firth = ctx.run_prefetched(msgs, f"cox_firth:{ep.name}", fn, *args, **kw)
        ctx.results[f"cox_firth:{ep.name}"] = firth
        cols = ["term", "HR (95% Wald CI)", "Wald p", "Firth HR (95% profile CI)",
                "penalised LR p"]
        rows = [r + f for r, f in zip(rows, _cox_rows(ctx, firth.table), strict=True)]
        rows = [[r[0], r[1], r[2], r[4], r[5]] for r in rows]
    blocks = [table(
        f"Multivariable Cox model for {ep.title}", cols, rows,
        note=(f"{fmt_int(cox.n_obs)} patients, {fmt_int(cox.n_events)} events, "
              f"{_n_parameters(cox)} parameters: {fmt_num(epv, 1)} events per variable (EPV)"
              + (f"; stratified by {s.strata_col}" if s.strata_col else "")
              + f"; likelihood-ratio test χ² = {fmt_num(cox.lr_statistic, 1)} on "
              f"{cox.lr_df:g} df, p {fmt_p_eq(cox.lr_p_value)}; Harrell's C"
              # a stratified model's C compares patients within strata only (R coxph): it is
              # not the C of the unstratified models of §8, so it says so
              + (" (within strata)" if s.strata_col else "")
              + f" = {fmt_num(cox.concordance, 3)}."
              + (f" With fewer than {EPV_MIN} events per variable, Wald intervals and tests "
                 "are unreliable and estimates biased away from 1: Firth's penalised "
                 "likelihood (Heinze–Schemper; as R coxphf) with profile penalised-likelihood "
                 "intervals and penalised likelihood-ratio tests is shown beside them."
                 if firth is not None else "")))]
    k = len(cox.table)
    labels = [ctx.term_label(str(t)) for t in cox.table.index]
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * k + 1.3))
    # room for the term labels (about 0.072 inch a character at the report's font size)
    left = min(0.6, max(0.3, (0.072 * max(map(len, labels)) + 0.15) / 7.2))
    fig.subplots_adjust(left=left, right=0.97, bottom=0.8 / (0.42 * k + 1.3))
    cox.plot(ax=ax)
    ax.set_yticklabels(labels)
    _plain_log_ticks(ax)
    ax.set_title(f"{ep.title}: adjusted hazard ratios", loc="left", fontsize=11)
    blocks.append(ctx.figure(fig, f"Hazard ratios (95% CI, log scale) of the multivariable "
                                  f"Cox model for {ep.label}.",
                             title=f"forest plot {ep.name}"))
    ph = ctx.run(msgs, cox.ph_test)
    ctx.results[f"ph:{ep.name}"] = ph
    ph_rows = [[r["term"], fmt_num(r["statistic"], 2), f"{r['df']:g}", fmt_p(r["p_value"])]
               for _, r in ph.table.iterrows()]
    n_ph = len(ph.table) - 1
    blocks.append(table("Proportional-hazards check (score test of x·g(t), g = 1 − KM; as R "
                        "cox.zph(transform = \"km\"))", ["term", "χ²", "df", "p"], ph_rows,
                        note=f"{n_ph} term-wise tests and one global test, p-values not "
                             "adjusted for multiplicity; a p above 0.05 is no evidence against "
                             "proportional hazards, not proof that they hold."))
    ph_tab = ph.table.set_index("term")
    p_marker = float(ph_tab.loc[ctx.term, "p_value"]) if ctx.term in ph_tab.index else np.nan
    mode = s.analyses.piecewise
    if mode == "always" or (mode == "auto" and p_marker < 0.05):
        split = s.analyses.split_at or (_median_event_time(fr, ep),)
        pw = ctx.run(msgs, fit_piecewise_cox, fr, time_col=ep.time_col,
                     event_col=ep.event_col, covariates=covs, split_at=list(split),
                     piecewise=[ctx.term], strata_col=s.strata_col)
        ctx.results[f"piecewise:{ep.name}"] = pw
        tab = pw.table[[str(t).startswith(ctx.term + "@") for t in pw.table.index]]

        def _period(term: str) -> str:
            per = term.split("@", 1)[1].strip("(]").rstrip(")").split(",")
            a, b = per[0], per[1]
            b = "end of follow-up" if b == "inf" else f"{b} {unit_word(ctx.unit, b)}"
            return f"{ctx.term}, {a}–{b}"

        why = ("the proportional-hazards check of the marker failed (p "
               f"{fmt_p_eq(p_marker)})" if mode == "auto" else "requested in the spec")
        blocks.append(table(
            "Period-specific (piecewise) hazard ratios of the marker",
            ["period", "HR (95% CI)", "p"], _cox_rows(ctx, tab, rename=_period),
            note=f"Shown because {why}; follow-up split at "
                 f"{durations(split, ctx.unit)} (other covariates with one "
                 "coefficient)."))
    else:
        blocks.append(para(
            f"No evidence against proportional hazards for the marker (p "
            f"{fmt_p_eq(p_marker)}, one of {n_ph} term-wise tests); no period-specific "
            "effects are shown." if mode == "auto" else
            "Period-specific effects were not requested."))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks
