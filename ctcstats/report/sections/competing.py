"""Section "Competing risks": cause-specific endpoints whose patients can die first.

A cause-specific endpoint (distant-disease-free survival, breast-cancer-specific survival,
…) censors deaths without the event. Those deaths are competing events: Kaplan–Meier with
them censored estimates the risk in a world without competing deaths and overstates the
absolute risk. When the spec has an overall-survival endpoint named ``os``, a death without
the endpoint's event is recognised in the data (event 0, OS event 1 at the same time) and
the endpoint is analysed as competing risks:

* first events by marker group (the event, a competing death, censored);
* the Aalen–Johansen cumulative incidence of the event and of competing death at the
  horizons, with Gray's test (:func:`ctcstats.multistate.competing_incidence`, as R
  ``cmprsk::cuminc``), beside 1 − Kaplan–Meier with deaths censored;
* the cause-specific Cox hazard ratio (effect on the event rate among patients alive and
  event-free) next to the Fine–Gray subdistribution hazard ratio (effect on the cumulative
  incidence) of the marker, for the event and for competing death
  (:func:`ctcstats.multistate.fit_cause_specific_cox`, as ``coxph`` and ``cmprsk::crr``);
* absolute risks from both models and their competing-risks AUC, Brier score, Wolbers C and
  calibration (:mod:`.competing_prediction`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...multistate import competing_incidence, fit_cause_specific_cox
from ...survival.km import kaplan_meier
from ..context import ReportContext
from ..format import fmt_num, notes, para, table
from ..spec import EndpointSpec
from ..units import duration, durations
from .competing_prediction import prediction_blocks, prediction_calls
from .relapse import cause_hr_rows, first_event_rows, incidence_rows
from .survival import EPV_MIN

__all__ = ["competing_endpoints", "competing_codes", "section_competing"]

_DEATH = "death without the event"
_EVENT_CODE, _DEATH_CODE = 1, 2


def _event_label(ep: EndpointSpec) -> str:
    return f"{ep.name.upper()} event"


def _os(ctx: ReportContext) -> EndpointSpec | None:
    return next((e for e in ctx.spec.endpoints if e.name == "os"), None)


def competing_codes(ctx: ReportContext, ep: EndpointSpec) -> np.ndarray:
    """0 censored, 1 the endpoint's event, 2 death without it (OS event at the censoring
    time of the endpoint)."""
    os_ep = _os(ctx)
    fr = ctx.frame
    ev = fr[ep.event_col].to_numpy(float) > 0
    code = np.where(ev, _EVENT_CODE, 0)
    if os_ep is None or os_ep.name == ep.name:
        return code
    t = fr[ep.time_col].to_numpy(float)
    t_os = fr[os_ep.time_col].to_numpy(float)
    died = fr[os_ep.event_col].to_numpy(float) > 0
    same = np.isclose(t, t_os, rtol=1e-9, atol=1e-9 * max(1.0, float(np.nanmax(t_os))))
    code[~ev & died & same] = _DEATH_CODE
    return code


def competing_endpoints(ctx: ReportContext) -> list[EndpointSpec]:
    """The endpoints with at least one competing death (needs an endpoint named ``os``)."""
    if _os(ctx) is None:
        return []
    return [ep for ep in ctx.spec.endpoints
            if ep.name != "os" and (competing_codes(ctx, ep) == _DEATH_CODE).any()]


def section_competing(ctx: ReportContext) -> list[dict]:
    eps = competing_endpoints(ctx)
    blocks: list[dict] = [para(
        "Cause-specific endpoints censor patients who die without the event. Those deaths are "
        "competing events: 1 − Kaplan–Meier with them censored estimates the risk in a world "
        "without competing deaths and overstates the absolute risk. For "
        + ", ".join(ep.title for ep in eps) + ", a death without the event (OS event at the "
        "endpoint's censoring time) is treated as a competing event: the cumulative "
        "incidence is estimated by Aalen–Johansen and compared between the marker groups by "
        "Gray's test (as R cmprsk::cuminc), and the marker's effect is given both as a "
        "cause-specific hazard ratio (on the event rate among patients alive and event-free; "
        "Cox) and as a subdistribution hazard ratio (on the cumulative incidence; Fine–Gray, "
        "as cmprsk::crr). Both models then predict each patient's absolute risk (cumulative "
        "incidence) at the horizons; these predictions are assessed with competing death "
        "taken into account: time-dependent AUC and Brier score (as R riskRegression::Score "
        "with cause = 1), Wolbers' concordance index (as R pec::cindex) and calibration "
        "against the Aalen–Johansen estimate per quartile of predicted risk.")]
    for ep in eps:
        blocks += _one_endpoint(ctx, ep)
    return blocks


def _one_endpoint(ctx: ReportContext, ep: EndpointSpec) -> list[dict]:
    import matplotlib.pyplot as plt

    s = ctx.spec
    code = competing_codes(ctx, ep)
    fr = ctx.frame.assign(__cr_event__=code)
    labels = {_EVENT_CODE: _event_label(ep), _DEATH_CODE: _DEATH}
    msgs: list[str] = []
    blocks: list[dict] = [_counts_table(ctx, ep, fr, code)]
    present = [k for k in (_EVENT_CODE, _DEATH_CODE) if (code == k).any()]
    ci = ctx.run(msgs, competing_incidence, fr, time_col=ep.time_col,
                 event_col="__cr_event__", causes=present,
                 cause_labels={k: labels[k] for k in present}, group_col=ctx.group_col,
                 strata_col=s.strata_col)
    ctx.results[f"competing:{ep.name}"] = ci
    km = ctx.run(msgs, kaplan_meier, fr, time_col=ep.time_col, event_col=ep.event_col,
                 group_col=ctx.group_col)
    blocks.append(_incidence_table(ctx, ep, ci, km))
    axes = ci.plot()
    for a in np.ravel(axes):
        a.set_xlabel(f"Time ({ctx.unit})")
    fig = np.ravel(axes)[0].figure
    fig.suptitle(f"{ep.title}: cumulative incidence with competing death", x=0.02,
                 ha="left", fontsize=11)
    blocks.append(ctx.figure(
        fig, f"Aalen–Johansen cumulative incidence of the {_event_label(ep)} and of death "
             "without it, "
             f"stacked, by {s.marker_label} group; grey: alive and free of the event.",
        title=f"competing risks {ep.name}"))
    plt.close(fig)
    fit_causes = _fit_causes(code)
    if fit_causes:
        cov = _model_covariates(ctx)
        fn, *args, kw = _cause_specific_call(ctx, ep, fr, code)
        cs = ctx.run_prefetched(msgs, f"cause_specific:{ep.name}", fn, *args, **kw)
        ctx.results[f"cause_specific:{ep.name}"] = cs
        blocks.append(_hr_table(ctx, ep, cs, cov, msgs))
        if _EVENT_CODE in fit_causes:
            blocks += prediction_blocks(ctx, ep, fr, cov, "__cr_event__", msgs,
                                        prefetch_key=f"cif:{ep.name}")
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def _model_covariates(ctx: ReportContext) -> list[str]:
    cov = [ctx.term, *[c for c in ctx.cox_covariates if c != ctx.term]]
    if ctx.spec.strata_col:  # Fine–Gray (cmprsk::crr) has no strata: adjust for them instead
        cov.append(ctx.spec.strata_col)
    return cov


def _fit_causes(code: np.ndarray) -> list[int]:
    """The causes modelled: those with at least 5 events (the event first)."""
    return [k for k in (_EVENT_CODE, _DEATH_CODE) if (code == k).sum() >= 5]


def _cause_specific_call(ctx: ReportContext, ep: EndpointSpec, fr: pd.DataFrame,
                         code: np.ndarray) -> tuple:
    """``(fn, data, kwargs)`` of the endpoint's cause-specific and Fine–Gray fits (one place,
    so that the call started early by :func:`start_competing` is the section's call)."""
    labels = {_EVENT_CODE: _event_label(ep), _DEATH_CODE: _DEATH}
    fit_causes = _fit_causes(code)
    return fit_cause_specific_cox, fr, dict(
        time_col=ep.time_col, event_col="__cr_event__", covariates=_model_covariates(ctx),
        causes=fit_causes, cause_labels={k: labels[k] for k in fit_causes}, fine_gray=True)


def start_competing(ctx: ReportContext) -> None:
    """Start each endpoint's model fits and absolute-risk predictions (the section's slowest
    calls) in one forked child per endpoint (``ctx.prefetch``), when the section runs them."""
    if ctx.prefetch is None or not ctx.prefetch.enabled:
        return
    for ep in competing_endpoints(ctx):
        code = competing_codes(ctx, ep)
        if _EVENT_CODE not in _fit_causes(code):
            continue  # no fits, or no prediction without fitting the event (see _one_endpoint)
        fr = ctx.frame.assign(__cr_event__=code)
        fn, *args, kw = _cause_specific_call(ctx, ep, fr, code)
        calls = {f"cause_specific:{ep.name}": (fn, tuple(args), kw)}
        calls.update(prediction_calls(ctx, ep, fr, _model_covariates(ctx), "__cr_event__",
                                      f"cif:{ep.name}"))
        ctx.prefetch.start_group(f"competing:{ep.name}", calls)


def _counts_table(ctx: ReportContext, ep: EndpointSpec, fr: pd.DataFrame,
                  code: np.ndarray) -> dict:
    groups = list(fr[ctx.group_col].cat.categories)
    rows = first_event_rows(ctx, fr, code, [(_EVENT_CODE, _event_label(ep)),
                                            (_DEATH_CODE, _DEATH), (0, "censored")])
    return table(f"{ep.title}: first event by marker group, n (%)",
                 ["first event", *[str(x) for x in groups], "all"], rows)


def _incidence_table(ctx: ReportContext, ep: EndpointSpec, ci, km) -> dict:
    hs = list(ctx.horizons)
    kat = km.survival_at(hs)

    def one_minus_km(c, g) -> str:  # 1 − KM with competing deaths censored, for comparison
        if c != _event_label(ep):
            return ""
        k = kat[(kat["group"] == g)]
        return "; ".join(
            fmt_num(100 * (1 - float(k[np.isclose(k["time"], h)]["survival"].iloc[0])), 1)
            if (np.isclose(k["time"], h)).any() else "—" for h in hs)

    rows = incidence_rows(ctx, ci, one_minus_km)
    unit = ctx.unit
    return table(
        f"{ep.title}: cumulative incidence (%, 95% CI) at {durations(hs, unit)}",
        ["cause", "group", *[duration(h, unit) for h in hs], "1 − KM, deaths censored (%)",
         "Gray p"], rows,
        note="Aalen–Johansen estimates with log(−log) limits (cmprsk); Gray's test per cause"
             + (f", stratified by {ctx.spec.strata_col}" if ctx.spec.strata_col else "")
             + ". 1 − Kaplan–Meier treats competing deaths as censored and is larger than the "
               "cumulative incidence whenever such deaths occur.")


def _hr_table(ctx: ReportContext, ep: EndpointSpec, cs, cov: list[str],
              msgs: list[str]) -> dict:
    rows = cause_hr_rows(ctx, cs, msgs, where=f" ({ep.name})")
    adj = [c for c in cov if c != ctx.term]
    return table(
        f"{ep.title}: hazard ratio of {ctx.pos_label} vs {ctx.neg_label}, cause-specific "
        "and subdistribution (Fine–Gray)",
        ["cause", "events (EPV)", "cause-specific HR (95% CI)", "p",
         "subdistribution HR (95% CI)", "p"], rows,
        note=("Adjusted for " + ", ".join(adj) if adj else "Univariable")
             + (f" ({ctx.spec.strata_col} as a covariate: Fine–Gray has no strata)"
                if ctx.spec.strata_col else "")
             + ". Causes with fewer than 5 events are not modelled; EPV: events per "
               f"estimated coefficient (below {EPV_MIN}, Wald intervals are unreliable). The "
               "cause-specific HR describes the biology (rate of the event among those at "
               "risk); the subdistribution HR the absolute risk, which also depends on the "
               "marker's effect on competing death.")
