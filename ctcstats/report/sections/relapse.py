"""Section "Relapse sites": where the disease comes back, by marker group.

Added to the further analyses when the spec names a relapse-site column
(``relapse_site_col``; CLI ``--relapse-site-col``). The first event of the relapse endpoint
(``relapse_endpoint``, default the first endpoint — typically disease-free survival) is
split by the site of the first relapse; an event without a site is "death or other first
event". The section reports the first events by marker group, the cumulative incidence of
each site with Gray's test (:func:`ctcstats.multistate.competing_incidence`), the
cause-specific and subdistribution hazard ratios of the marker per site
(:func:`ctcstats.multistate.fit_cause_specific_cox`), and — when the spec also has an
overall-survival endpoint named ``os`` — the probabilities of being disease-free, after a
relapse at each site, or dead over time (:func:`ctcstats.multistate.state_probabilities`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import DataValidationError
from ...multistate import (
    competing_incidence,
    fit_cause_specific_cox,
    multistate_data,
    relapse_site_transitions,
    state_probabilities,
)
from ..context import ReportContext
from ..format import fmt_hr, fmt_int, fmt_num, fmt_p, fmt_pct, notes, para, table
from ..units import duration, durations
from .survival import EPV_MIN, events_per_variable

__all__ = ["section_relapse_sites", "NO_RELAPSE", "cause_hr_rows"]

#: Values of the relapse-site column that mean "no relapse" (case-insensitive).
NO_RELAPSE = ("", "none", "no", "no relapse", "0", "nan")
_OTHER = "death / other first event"


def _endpoint(ctx: ReportContext):
    s = ctx.spec
    name = s.relapse_endpoint or s.primary.name
    for ep in s.endpoints:
        if ep.name == name:
            return ep
    raise DataValidationError(
        f"relapse_endpoint {name!r} is not one of the spec's endpoints "
        f"({', '.join(e.name for e in s.endpoints)})."
    )


def first_events(ctx: ReportContext):
    """Codes of the first event (0 censored, 1..k sites, k + 1 death/other) and site labels."""
    s = ctx.spec
    ep = _endpoint(ctx)
    f = ctx.frame
    raw = f[s.relapse_site_col]
    txt = raw.astype(str).str.strip()
    none = raw.isna().to_numpy() | txt.str.lower().isin(NO_RELAPSE).to_numpy()
    if isinstance(raw.dtype, pd.CategoricalDtype):
        sites = [c for c in raw.cat.categories if str(c).strip().lower() not in NO_RELAPSE]
        sites = [str(c) for c in sites if (txt == str(c)).any()]
    else:
        sites = sorted(pd.unique(txt[~none]).tolist())
    event = f[ep.event_col].to_numpy(dtype=float) > 0
    bad = ~none & ~event
    if bad.any():
        rows = ", ".join(str(i) for i in f.index[bad][:3])
        raise DataValidationError(
            f"relapse_site_col {s.relapse_site_col!r} names a relapse site for "
            f"{int(bad.sum())} patients whose {ep.name} event indicator {ep.event_col!r} is 0 "
            f"(first row labels: {rows}); a relapse is an event of the relapse endpoint — "
            "check the columns (or set relapse_endpoint)."
        )
    code = np.zeros(len(f), dtype=np.int64)
    for k, site in enumerate(sites, start=1):
        code[~none & (txt.to_numpy() == site)] = k
    code[none & event] = len(sites) + 1
    return ep, code, sites


def section_relapse_sites(ctx: ReportContext) -> list[dict]:
    import matplotlib.pyplot as plt

    s = ctx.spec
    ep, code, sites = first_events(ctx)
    labels = {k: site for k, site in enumerate(sites, start=1)}
    labels[len(sites) + 1] = _OTHER
    fr = ctx.frame.assign(__first_event__=code)
    msgs: list[str] = []
    blocks: list[dict] = [para(
        f"First events of {ep.title} split by the site of the first relapse "
        f"({s.relapse_site_col!r}); an event without a recorded site is counted as "
        f"'{_OTHER}'. Sites are competing risks: the cumulative incidence of each is "
        "estimated with the others as competing events (Aalen–Johansen), not by "
        "Kaplan–Meier with them censored.")]
    blocks.append(_counts_table(ctx, fr, code, labels))
    present = sorted(set(code[code > 0].tolist()))
    if not present:
        blocks.append(para("No first event was observed; nothing further to estimate."))
        return blocks
    ci = ctx.run(msgs, competing_incidence, fr, time_col=ep.time_col,
                 event_col="__first_event__", cause_labels={k: labels[k] for k in present},
                 group_col=ctx.group_col, strata_col=s.strata_col)
    ctx.results["relapse_sites"] = ci
    blocks.append(_incidence_table(ctx, ci))
    axes = ci.plot()
    for a in np.ravel(axes):
        a.set_xlabel(f"Time ({ctx.unit})")
    fig = np.ravel(axes)[0].figure
    fig.suptitle(f"First events of {ep.title} by {s.marker_label} group", x=0.02, ha="left",
                 fontsize=11)
    blocks.append(ctx.figure(fig, f"Cumulative incidence of the first event by site, stacked, "
                                  f"by {s.marker_label} group; grey: free of any event.",
                             title="relapse sites"))
    plt.close(fig)
    cov = [ctx.term, *[c for c in ctx.cox_covariates if c != ctx.term]]
    fit_causes = [k for k in present if (code == k).sum() >= 5]
    if fit_causes:
        cs = ctx.run(msgs, fit_cause_specific_cox, fr, time_col=ep.time_col,
                     event_col="__first_event__", covariates=cov, causes=fit_causes,
                     cause_labels={k: labels[k] for k in fit_causes},
                     strata_col=s.strata_col, fine_gray=s.strata_col is None)
        blocks.append(_hr_table(ctx, cs, adjusted=len(cov) > 1, msgs=msgs))
    blocks += _multistate(ctx, fr, ep, code, sites, msgs)
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def _counts_table(ctx, fr, code, labels) -> dict:
    groups = list(fr[ctx.group_col].cat.categories)
    rows = first_event_rows(ctx, fr, code, [*labels.items(), (0, "no event (censored)")])
    return table("First event by site and marker group, n (%).",
                 ["first event", *[str(x) for x in groups], "all"], rows)


def first_event_rows(ctx, fr, code, items) -> list[list[str]]:
    """One row per ``(code, name)`` of *items*: n (%) with that first event in each marker
    group and overall (shared with the competing-risks section)."""
    groups = list(fr[ctx.group_col].cat.categories)
    g = fr[ctx.group_col].to_numpy(dtype=object)
    rows = []
    for k, name in items:
        cells = [name]
        for lev in [*groups, None]:
            sel = np.ones(len(g), bool) if lev is None else (g == lev)
            n = int((code[sel] == k).sum())
            cells.append(f"{fmt_int(n)} ({fmt_pct(n / max(int(sel.sum()), 1))})")
        rows.append(cells)
    return rows


def _incidence_table(ctx, ci) -> dict:
    hs = list(ctx.horizons)
    rows = incidence_rows(ctx, ci)
    unit = ctx.unit
    return table(
        f"Cumulative incidence of the first event by site (%, 95% CI) at "
        f"{durations(hs, unit)}; p: Gray's test per site.",
        ["site", "group", *[duration(h, unit) for h in hs], "Gray p"], rows)


def incidence_rows(ctx, ci, extra=None) -> list[list[str]]:
    """One row per cause and group of *ci* (a competing_incidence result): the cumulative
    incidence (%, 95% CI) at the report's horizons, then ``extra(cause, group)`` when given,
    then Gray's p of the cause on its first row (shared with the competing-risks section)."""
    hs = list(ctx.horizons)
    at = ci.at(hs)
    gp = {} if ci.gray_tests is None else dict(zip(ci.gray_tests["cause"],
                                                  ci.gray_tests["p_value"], strict=True))
    rows = []
    for c in ci.causes:
        for g in ci.groups:
            sub = at[(at["cause"] == c) & (at["group"] == g)]
            cells = [str(c), str(g)]
            for h in hs:
                r = sub[np.isclose(sub["time"], h)]
                cells.append(pct_ci(r["cif"].item(), r["ci_lower"].item(),
                                    r["ci_upper"].item()) if len(r) else "—")
            if extra is not None:
                cells.append(extra(c, g))
            cells.append(fmt_p(gp.get(c)) if g == ci.groups[0] else "")
            rows.append(cells)
    return rows


def pct_ci(p, lo, hi) -> str:
    """``12.3 (8.1–17.0)``: a proportion and its limits in percent; ``—`` when undefined."""
    if not np.isfinite(p):
        return "—"
    return f"{fmt_num(100 * p, 1)} ({fmt_num(100 * lo, 1)}–{fmt_num(100 * hi, 1)})"


def cause_hr_rows(ctx, cs, msgs: list[str], *, where: str = "") -> list[list[str]]:
    """Rows ``cause, events (EPV), cause-specific HR, p, subdistribution HR, p`` of the
    marker term of a :class:`~ctcstats.multistate.CauseSpecificResult`; a SmallSampleWarning
    is recorded in *msgs* for a cause-specific model with fewer than 10 events per
    coefficient."""
    sbs = cs.side_by_side[cs.side_by_side["term"] == ctx.term]
    events = dict(zip(cs.causes, cs.n_events, strict=True))
    epv = {}
    for c in cs.causes:
        k = int(np.isfinite(cs.cox(c).table["coef"]).sum())
        epv[c] = ctx.run(msgs, events_per_variable, int(events[c]), k,
                         model=f"the cause-specific Cox model of {c}{where}")
    return [[r.cause, f"{fmt_int(events[r.cause])} ({fmt_num(epv[r.cause], 1)})",
             fmt_hr(r.cs_hr, r.cs_ci_lower, r.cs_ci_upper), fmt_p(r.cs_p_value),
             fmt_hr(r.sd_hr, r.sd_ci_lower, r.sd_ci_upper), fmt_p(r.sd_p_value)]
            for r in sbs.itertuples()]


def _hr_table(ctx, cs, *, adjusted: bool, msgs: list[str]) -> dict:
    rows = cause_hr_rows(ctx, cs, msgs)
    how = "adjusted for the clinical covariates" if adjusted else "univariable"
    return table(
        f"Hazard ratio of {ctx.pos_label} vs {ctx.neg_label} for each first-event site "
        f"({how}): cause-specific Cox model (effect on the rate of that first event among "
        "patients still event-free) and Fine–Gray model (effect on its cumulative "
        "incidence).",
        ["site", "events (EPV)", "cause-specific HR (95% CI)", "p",
         "subdistribution HR (95% CI)", "p"],
        rows, note="Sites with fewer than 5 events are not modelled; EPV: events per "
                   f"estimated coefficient (below {EPV_MIN}, Wald intervals are unreliable).")


def _multistate(ctx, fr, ep, code, sites, msgs) -> list[dict]:
    """Relapse sites then death: state occupation probabilities when an OS endpoint exists."""
    import matplotlib.pyplot as plt

    os_ep = next((e for e in ctx.spec.endpoints if e.name == "os"), None)
    if os_ep is None or os_ep.name == ep.name or not sites:
        return []
    names = [f"relapse: {s}" for s in sites]
    d = fr.assign(**{f"__site{k}__": (code == k).astype(int) for k in range(1, len(sites) + 1)})
    try:
        ms = ctx.run(msgs, multistate_data, d,
                     transitions=relapse_site_transitions(names, initial="disease-free",
                                                          death="dead"),
                     state_time_cols={**{n: ep.time_col for n in names}, "dead": os_ep.time_col},
                     state_event_cols={**{n: f"__site{k}__" for k, n in enumerate(names, 1)},
                                       "dead": os_ep.event_col},
                     covariates=[ctx.group_col])
        tau = float(ctx.horizons[-1])
        sp = ctx.run(msgs, state_probabilities, ms, group_col=ctx.group_col, tau=tau)
    except DataValidationError as exc:
        return [para(f"The multi-state analysis (relapse sites, then death) was not done: "
                     f"{exc}", cls="caveat")]
    ctx.results["relapse_states"] = sp
    axes = sp.plot()
    for a in np.ravel(axes):
        a.set_xlabel(f"Time ({ctx.unit})")
    fig = np.ravel(axes)[0].figure
    blocks = [para(
        "Relapse sites, then death (multi-state model: disease-free → relapse at a site → "
        f"dead, and disease-free → dead; {ep.name} and {os_ep.name} endpoints): the "
        "Aalen–Johansen probability of being in each state over time, and the expected "
        f"time spent in each state during the first {duration(tau, ctx.unit)} (restricted "
        "mean, with infinitesimal-jackknife standard errors).")]
    blocks.append(ctx.figure(fig, "Probability of being disease-free, after a first relapse "
                                  "at each site, or dead, stacked, by marker group.",
                             title="state probabilities"))
    plt.close(fig)
    tis = sp.time_in_state
    rows = [[r.state, str(r.group), f"{fmt_num(r.expected_time, 1)} "
             f"({fmt_num(r.ci_lower, 1)}–{fmt_num(r.ci_upper, 1)})"]
            for r in tis.itertuples()]
    blocks.append(table(f"Expected time in each state during the first "
                        f"{duration(tau, ctx.unit)} (95% CI).",
                        ["state", "group", f"{ctx.unit} (95% CI)"], rows))
    return blocks
