"""Competing-risks section, part 2: absolute risks and their prognostic performance.

For an endpoint analysed with competing death (:mod:`.competing`), the Fine–Gray model and the
cause-specific Cox models (same covariates as the hazard-ratio table) each predict every
patient's cumulative incidence of the event at the report's horizons
(:func:`ctcstats.prognostic.competing_predict.predict_cumulative_incidence`, as R
``predict.crr`` and ``riskRegression::predictRisk(CSC(...))``). The report shows

* the mean predicted cumulative incidence by marker group at each horizon;
* per model and horizon: the time-dependent AUC and the Brier score / IPA with competing
  death among the controls (``riskRegression::Score(..., cause = 1)``), Wolbers' concordance
  index truncated at the horizon (``pec::cindex(..., cause = 1)``) and the observed/expected
  ratio (Aalen–Johansen / mean prediction);
* a calibration figure at one horizon: Aalen–Johansen cumulative incidence per quartile of
  predicted risk against the mean prediction, for both models.

All performance is apparent (the models are evaluated on the patients they were fitted to).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from ..._warnings import call_capturing
from ...prognostic.competing import (
    competing_brier_score,
    competing_calibration,
    competing_concordance_index,
    competing_time_dependent_auc,
)
from ...prognostic.competing_predict import predict_cumulative_incidence
from ..context import ReportContext
from ..format import fmt_ci, fmt_num, table
from ..spec import EndpointSpec
from ..units import duration, durations

__all__ = ["prediction_blocks", "prediction_calls"]

MODELS: tuple[tuple[Literal["fine_gray", "cause_specific"], str], ...] = (
    ("fine_gray", "Fine–Gray"), ("cause_specific", "cause-specific Cox"))
_N_GROUPS = 4


def _usable_horizons(ctx: ReportContext, time: np.ndarray, code: np.ndarray) -> list[float]:
    """Report horizons before the last follow-up with events, both before and after them."""
    out = []
    for h in ctx.horizons:
        if h < time.max() and np.any((code == 1) & (time <= h)) and np.any(time > h):
            out.append(float(h))
    return out


def prediction_calls(ctx: ReportContext, ep: EndpointSpec, fr: pd.DataFrame, cov: list[str],
                     event_col: str, prefetch_key: str) -> dict[str, tuple]:
    """``{prefetch_key: (fn, args, kwargs)}``: the predictions and their performance measures
    :func:`prediction_blocks` reports, as one call (none when no horizon is usable)."""
    time = fr[ep.time_col].to_numpy(float)
    code = fr[event_col].to_numpy()
    hs = _usable_horizons(ctx, time, code)
    if not hs:
        return {}
    return {prefetch_key: (_predict_and_score, (fr,), dict(
        time_col=ep.time_col, event_col=event_col, covariates=cov, horizon=hs))}


def _columns(hs: list[float]) -> dict[str, dict[float, str]]:
    return {key: {h: f"__cif_{key}_{i}__" for i, h in enumerate(hs)} for key, _ in MODELS}


def _predict_and_score(fr: pd.DataFrame, *, time_col: str, event_col: str,
                       covariates: list[str], horizon: list[float]) -> dict:
    """Each model's predicted cumulative incidence at the horizons, and at each horizon its
    AUC, Brier score, Wolbers C and calibration, every call's value kept with its own
    warnings (``(value, captured)``, replayed in this order by :func:`prediction_blocks`);
    one call, so a forked child (``ctx.prefetch``) can compute all of it."""
    preds = {key: call_capturing(predict_cumulative_incidence, fr, time_col=time_col,
                                 event_col=event_col, covariates=covariates, horizon=horizon,
                                 method=key) for key, _ in MODELS}
    cols = _columns(horizon)
    scored = fr.assign(**{cols[k][h]: preds[k][0].at(h) for k, _ in MODELS for h in horizon})
    metrics = {}
    for key, _ in MODELS:
        for h in horizon:
            kw: dict[str, Any] = dict(time_col=time_col, event_col=event_col,
                                      risk_col=cols[key][h])
            metrics[(key, h)] = (
                call_capturing(competing_time_dependent_auc, scored, **kw, horizon=h),
                call_capturing(competing_brier_score, scored, **kw, horizon=h),
                call_capturing(competing_concordance_index, scored, **kw, tau=h),
                call_capturing(competing_calibration, scored, **kw, horizon=h,
                               n_groups=_N_GROUPS))
    return {"preds": preds, "metrics": metrics}


def prediction_blocks(ctx: ReportContext, ep: EndpointSpec, fr: pd.DataFrame, cov: list[str],
                      event_col: str, msgs: list[str], *,
                      prefetch_key: str = "cif") -> list[dict]:
    """Absolute-risk and performance tables and the calibration figure of one endpoint
    (the predictions and measures taken from ``ctx.prefetch`` when started there under
    *prefetch_key*)."""
    calls = prediction_calls(ctx, ep, fr, cov, event_col, prefetch_key)
    if not calls:
        return []
    fn, args, kw = calls[prefetch_key]
    hs = kw["horizon"]
    got = ctx.run_prefetched(msgs, prefetch_key, fn, *args, **kw)
    preds = {key: ctx.record(msgs, *got["preds"][key]) for key, _ in MODELS}
    ctx.results[f"competing_predictions:{ep.name}"] = preds
    cols = _columns(hs)
    scored = fr.assign(**{cols[k][h]: preds[k].at(h) for k, _ in MODELS for h in hs})
    blocks = [_risk_table(ctx, ep, scored, cols, hs)]
    rows, cal = [], {}
    for key, label in MODELS:
        for h in hs:
            auc, bs, cw, cb = (ctx.record(msgs, *c) for c in got["metrics"][(key, h)])
            cal[(key, h)] = cb
            rows.append([label, duration(h, ctx.unit),
                         f"{fmt_num(auc.estimate, 3)} ({fmt_ci(auc.ci_lower, auc.ci_upper, 3)})",
                         fmt_num(cw.estimate, 3),
                         f"{fmt_num(bs.estimate, 3)} (null {fmt_num(bs.null_estimate, 3)})",
                         fmt_num(bs.ipa, 3),
                         f"{fmt_num(cb.oe_ratio, 2)} ({fmt_ci(cb.oe_ci_lower, cb.oe_ci_upper)})"])
    ctx.results[f"competing_calibration:{ep.name}"] = cal
    blocks.append(table(
        f"{ep.title}: prognostic performance of the predicted cumulative incidence of the "
        f"{ep.name.upper()} event, with death without it as a competing event",
        ["model", "horizon", "AUC (95% CI)", "Wolbers C", "Brier score", "IPA",
         "O/E (95% CI)"], rows,
        note="Apparent performance (models evaluated on the patients they were fitted to; "
             "optimistic). AUC: cases had the event by the horizon, controls are everyone "
             "else observed at the horizon — event-free, or dead without the event (R "
             "riskRegression::Score, cause = 1, Kaplan–Meier censoring weights). Wolbers C: "
             "concordance for the event, truncated at the horizon, patients who died without "
             "the event counted as at lower risk (R pec::cindex, cause = 1). Brier score with "
             "the Aalen–Johansen null model in brackets; IPA = 1 − Brier / null Brier. O/E: "
             "Aalen–Johansen cumulative incidence over the mean prediction."))
    h_fig = hs[len(hs) // 2]
    blocks.append(_calibration_figure(ctx, ep, {k: cal[(k, h_fig)] for k, _ in MODELS},
                                      h_fig))
    return blocks


def _risk_table(ctx: ReportContext, ep: EndpointSpec, scored: pd.DataFrame, cols,
                hs: list[float]) -> dict:
    groups = list(scored[ctx.group_col].cat.categories)
    g = scored[ctx.group_col].to_numpy()
    rows = []
    for key, label in MODELS:
        for grp in [*groups, "all"]:
            m = np.ones(len(scored), bool) if grp == "all" else (g == grp)
            if not m.any():
                continue
            rows.append([label, str(grp), *[
                fmt_num(100 * float(scored[cols[key][h]].to_numpy()[m].mean()), 1)
                for h in hs]])
    return table(
        f"{ep.title}: mean predicted cumulative incidence (%) of the {ep.name.upper()} event "
        f"by {ctx.marker} group at {durations(hs, ctx.unit)}",
        ["model", "group", *[duration(h, ctx.unit) for h in hs]], rows,
        note="Each patient's predicted cumulative incidence from the Fine–Gray model (R "
             "cmprsk::predict.crr) or from the cause-specific Cox models of the event and of "
             "death without it (R riskRegression::predictRisk of CSC), averaged within the "
             "group; compare with the Aalen–Johansen estimates above.")


def _calibration_figure(ctx: ReportContext, ep: EndpointSpec, cal: dict, h: float) -> dict:
    import matplotlib.pyplot as plt

    from ...plotting.prognostic import plot_competing_calibration

    fig, ax = plt.subplots(figsize=(5.0, 4.6))
    for key, label in MODELS:
        plot_competing_calibration(cal[key], ax=ax, label=label)
    ax.set_xlabel(f"Predicted cumulative incidence by {duration(h, ctx.unit)}")
    ax.set_ylabel(f"Observed cumulative incidence by {duration(h, ctx.unit)}")
    ax.set_title(f"{ep.title}: calibration at {duration(h, ctx.unit)}", fontsize=10)
    out = ctx.figure(
        fig, f"Calibration of the predicted cumulative incidence of the {ep.name.upper()} "
             f"event by {duration(h, ctx.unit)}, death without it as a competing event: "
             f"Aalen–Johansen cumulative incidence (95% CI) against the mean prediction in "
             f"each quartile of predicted risk, Fine–Gray and cause-specific Cox models; "
             "dashed: ideal calibration.",
        title=f"competing risks calibration {ep.name}")
    plt.close(fig)
    return out

