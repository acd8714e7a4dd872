"""Sections 7–8: further analyses (cut-point, count categories, landmarks) and the
prognostic value of the marker over the clinical model."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd

from ...counts import count_categories
from ...cutpoints import optimal_cutpoint
from ...survival.cox import fit_cox
from ...survival.km import kaplan_meier
from ...survival.logrank import logrank_test
from ..context import ReportContext
from ..format import fmt_hr, fmt_int, fmt_num, fmt_p, fmt_p_eq, notes, para, table
from ..units import MIN_AT_RISK, duration, share_at_risk
from .survival import events_per_variable, km_figure

__all__ = ["section_cutpoint", "section_categories", "section_landmarks",
           "section_prognostic"]


def section_cutpoint(ctx: ReportContext) -> list[dict]:
    import matplotlib.pyplot as plt

    s = ctx.spec
    ep = s.primary
    msgs: list[str] = []
    cp = ctx.run(msgs, optimal_cutpoint, ctx.frame, marker_col=s.marker_col,
                 time_col=ep.time_col, event_col=ep.event_col, p_method="lau94",
                 rng=s.seed)
    ctx.results["cutpoint"] = cp
    c = cp.cutpoint
    blocks = [para(
        f"Maximally selected log-rank statistic over cut-points of {s.marker_col} for "
        f"{ep.title} (candidate cut-points between the {cp.min_prop:.0%} and "
        f"{cp.max_prop:.0%} quantiles): the best split is {s.marker_label} ≤ {c:g} "
        f"(n = {fmt_int(cp.n_low)}) vs > {c:g} (n = {fmt_int(cp.n_high)}), i.e. the "
        f"threshold ≥ {c + 1:g}; M = {fmt_num(cp.statistic, 2)}, p corrected for the search "
        f"({cp.p_method}) {fmt_p_eq(cp.p_value)} (unadjusted p {fmt_p_eq(cp.p_value_unadjusted)})."
    )]
    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    cp.plot(ax=ax, clinical_thresholds=[t - 1 for t in s.thresholds])
    ax.set_title("")  # the statistic and p are in the text; keep one title
    ax.set_title(f"Cut-point search, {ep.title}", loc="left", fontsize=11)
    blocks.append(ctx.figure(fig, "Standardised log-rank statistic at each candidate "
                                  f"cut-point of {s.marker_col} for {ep.title}; dotted "
                                  "lines: the prespecified thresholds (as cut-points ≤ "
                                  "threshold − 1).",
                             title="cut-point scan"))
    blocks.append(para("A data-driven cut-point is exploratory: its hazard ratio is biased "
                       "away from 1 and it needs validation in independent data. "
                       + cp.inference_note, cls="caveat"))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def section_categories(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    fr = ctx.frame.copy()
    msgs: list[str] = []
    cats = ctx.run(msgs, count_categories, fr, count_col=s.marker_col,
                   breaks=list(s.analyses.categories))
    col = "count category"
    fr[col] = cats
    blocks: list[dict] = []
    ep = s.primary
    km = ctx.run(msgs, kaplan_meier, fr, time_col=ep.time_col, event_col=ep.event_col,
                 group_col=col)
    blocks.append(km_figure(ctx, km, title=f"{ep.title} by {s.marker_label} count category",
                            caption=f"Kaplan–Meier estimates of {ep.label} by "
                                    f"{s.marker_label} count category."))
    rows = []
    for e in s.endpoints:
        lr = ctx.run(msgs, logrank_test, fr, time_col=e.time_col, event_col=e.event_col,
                     group_col=col, strata_col=s.strata_col, trend=True)
        per = lr.table.set_index("group")
        cells = [e.title]
        for g in per.index:
            cells.append(f"{fmt_int(per.loc[g, 'n_events'])}/{fmt_int(per.loc[g, 'n'])}")
        cells += [fmt_num(lr.statistic, 2), fmt_p(lr.p_value)]
        rows.append(cells)
        groups = list(per.index)
    blocks.append(table(
        f"Events / patients by {s.marker_label} count category, with the log-rank test for "
        "trend", ["endpoint", *[str(g) for g in groups], "χ² (trend, 1 df)", "p"], rows,
        note="Scores 1, 2, … for the ordered categories"
        + (f"; stratified by {s.strata_col}." if s.strata_col else ".")))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def section_landmarks(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    msgs: list[str] = []
    rows = []
    for lm in s.landmarks:
        for ep in s.endpoints:
            fr = ctx.frame
            at = fr[fr[ep.time_col].astype(float) > lm].copy()
            cells = [f"{lm:g}", ep.title, fmt_int(len(at))]
            if len(at) < 2 or at[ep.event_col].astype(float).sum() == 0 or \
                    at[ctx.term].nunique() < 2:
                rows.append(cells + ["0" if len(at) else "—", "—", "—"])
                continue
            at[ep.time_col] = at[ep.time_col].astype(float) - lm
            cox = ctx.run(msgs, fit_cox, at, time_col=ep.time_col, event_col=ep.event_col,
                          covariates=[ctx.term], strata_col=s.strata_col)
            r = cox.table.iloc[0]
            lr = ctx.run(msgs, logrank_test, at, time_col=ep.time_col, event_col=ep.event_col,
                         group_col=ctx.group_col, strata_col=s.strata_col)
            rows.append(cells + [fmt_int(cox.n_events),
                                 fmt_hr(r["hr"], r["ci_lower"], r["ci_upper"]),
                                 fmt_p(lr.p_value)])
    blocks = [table(
        "Landmark analyses: patients still event-free and under follow-up at the landmark, "
        "time measured from the landmark", [f"landmark ({ctx.unit})", "endpoint", "at risk",
                                            "events", f"HR {ctx.pos_label} (95% CI)",
                                            "log-rank p"], rows,
        note="The marker is the baseline status; landmarking removes the guarantee-time "
             "bias of early events only for status measured by the landmark.")]
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


# --------------------------------------------------------------------------- prognostic
def _prognostic_api() -> dict:
    """The prognostic functions available in this ctcstats (the module is growing)."""
    found = {}
    for mod in ("ctcstats.prognostic", "ctcstats.prognostic.metrics",
                "ctcstats.prognostic.models", "ctcstats.prognostic.added_value",
                "ctcstats.prognostic.calibration", "ctcstats.prognostic.decision"):
        try:
            m = importlib.import_module(mod)
        except ImportError:  # pragma: no cover - depends on the installed version
            continue
        for name in ("concordance_index", "time_dependent_auc", "brier_score", "CoxModel",
                     "survival_target", "calibration", "decision_curve", "added_value",
                     "cox_result_risk"):
            if name not in found and callable(getattr(m, name, None)):
                found[name] = getattr(m, name)
    return found


#: the functions without which the section is omitted
_NEEDED = ("concordance_index", "time_dependent_auc", "brier_score", "CoxModel",
           "survival_target")


def _design(fr: pd.DataFrame, cols) -> np.ndarray:
    if not cols:
        return np.zeros((len(fr), 0))
    x = pd.get_dummies(fr[list(cols)], drop_first=True, dtype=float)
    return x.to_numpy(float)


def section_prognostic(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    api = _prognostic_api()
    missing = [n for n in _NEEDED if n not in api]
    if missing:
        return [para("The prognostic-validation functions (" + ", ".join(missing) + ") are not "
                     "available in this version of ctcstats; this section is omitted.")]
    msgs: list[str] = []
    blocks: list[dict] = [para(
        f"Two Cox models per endpoint: the clinical model ({', '.join(s.covariates) or 'no covariates'}) and the "
        f"clinical model plus {ctx.pos_label}. Their risk scores are compared by Harrell's C, and "
        "their predicted event probabilities at the horizons by the cumulative/dynamic "
        "time-dependent AUC and the Brier score (inverse-probability-of-censoring weights "
        "from the Kaplan–Meier estimate of censoring). The first table is apparent "
        "performance (estimated on the data the models were fitted to) and therefore "
        "optimistic; the added-value and internal-validation tables below correct for "
        "optimism. The models are not stratified.")]
    base_cols = list(s.covariates)
    full_cols = [ctx.term, *base_cols]
    rows = []
    for ep in s.endpoints:
        fr = ctx.frame
        y = api["survival_target"](fr, time_col=ep.time_col, event_col=ep.event_col)
        t_max = float(fr.loc[fr[ep.event_col].astype(float) > 0, ep.time_col].max())
        hs = [h for h in ctx.horizons if h < t_max]
        work = fr[[ep.time_col, ep.event_col]].copy()
        res = {}
        for label, cols in (("clinical", base_cols), ("clinical + marker", full_cols)):
            x = _design(fr, cols)
            if x.shape[1] == 0:
                work["__lp__"] = 0.0
            else:
                model = ctx.run(msgs, api["CoxModel"]().fit, x, y)
                work["__lp__"] = model.predict(x)
            c = ctx.run(msgs, api["concordance_index"], work, time_col=ep.time_col,
                        event_col=ep.event_col, risk_col="__lp__")
            per_h = []
            for h in hs:
                if x.shape[1] == 0:
                    per_h.append((np.nan, np.nan, np.nan))
                    continue
                work["__risk__"] = model.predict_risk(x, h)
                a = ctx.run(msgs, api["time_dependent_auc"], work, time_col=ep.time_col,
                            event_col=ep.event_col, risk_col="__risk__", horizon=h)
                b = ctx.run(msgs, api["brier_score"], work, time_col=ep.time_col,
                            event_col=ep.event_col, risk_col="__risk__", horizon=h)
                per_h.append((a.estimate, b.estimate, b.ipa))
            res[label] = (c, per_h)
        for label in res:
            c, per_h = res[label]
            row = [ep.title, label, f"{fmt_num(c.estimate, 3)} "
                   f"({fmt_num(c.ci_lower, 3)}–{fmt_num(c.ci_upper, 3)})"]
            for auc, brier, _ipa in per_h:
                row.append(f"{fmt_num(auc, 3)} / {fmt_num(brier, 3)}")
            rows.append(row)
        header_h = hs
    cols = ["endpoint", "model", "Harrell's C (95% CI)"]
    cols += [f"AUC / Brier at {duration(h, ctx.unit)}" for h in header_h]
    blocks.append(table("Discrimination and overall accuracy (apparent)", cols, rows,
                        note="AUC: cumulative/dynamic time-dependent AUC; Brier: IPCW Brier "
                             "score (lower is better); — where the clinical model is empty."))
    if "added_value" in api and s.covariates:
        blocks += _added_value_blocks(ctx, api, msgs)
    else:
        extra = [n for n in ("added_value", "calibration", "decision_curve") if n not in api]
        blocks.append(para(
            "Not shown: the bootstrap added-value analysis, calibration and decision curves "
            + ("(no clinical covariates to add the marker to)." if not s.covariates else
               "(" + ", ".join(extra) + " not available in this version of ctcstats)."),
            cls="caveat"))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


_MEASURES = {
    "log_likelihood": "log partial likelihood", "aic": "AIC", "c_index": "Harrell's C",
    "auc": "time-dependent AUC", "brier": "Brier score", "ipa": "IPA (scaled Brier)",
    "nri": "NRI (continuous)", "nri_events": "NRI events", "nri_nonevents": "NRI non-events",
    "idi": "IDI", "idi_events": "IDI events", "idi_nonevents": "IDI non-events",
}


def prognostic_horizon(hs: list[float], time: np.ndarray, unit: str) -> tuple[float, str]:
    """The horizon of the added-value analysis and, when it is not the middle of the
    reported horizons, the sentence that says why: the middle horizon if at least
    :data:`MIN_AT_RISK` of the patients are still at risk there, else the latest earlier
    horizon where they are (the earliest horizon if none is)."""
    mid = len(hs) // 2
    share = [share_at_risk(time, h) for h in hs]
    if share[mid] >= MIN_AT_RISK:
        return hs[mid], ""
    ok = [i for i in range(mid) if share[i] >= MIN_AT_RISK]
    i = ok[-1] if ok else 0
    if i == mid:
        return hs[mid], ""
    return hs[i], (
        f"The horizon is {duration(hs[i], unit)}, not the middle reported horizon "
        f"({duration(hs[mid], unit)}): only {share[mid]:.1%} of the patients were still at "
        f"risk there (event-free and followed), too few event-free patients for the AUC, "
        f"Brier score and NRI; at {duration(hs[i], unit)} {share[i]:.1%} were"
        + ("." if share[i] >= MIN_AT_RISK else
           f" (fewer than {MIN_AT_RISK:.0%} at every reported horizon).")
    )


def _added_value_blocks(ctx: ReportContext, api: dict, msgs: list[str]) -> list[dict]:
    """Added value (ΔC, ΔAUC, Brier, NRI/IDI) apparent and corrected for optimism, the internal
    validation of the clinical + marker model (REMARK item 18), decision curves and the
    apparent calibration plot, for the primary endpoint at the middle horizon (an earlier one
    where too few patients remain at risk: :func:`prognostic_horizon`)."""
    import matplotlib.pyplot as plt

    s = ctx.spec
    ep = s.primary
    fr = ctx.frame
    h, why = _added_value_horizon(ctx)
    fn, *args, kw = _added_value_call(ctx, api, h)
    av = ctx.run_prefetched(msgs, "added_value", fn, *args, **kw)
    ctx.results["added_value"] = av
    k_full = int(np.isfinite(av.full_fit.table["coef"]).sum())
    epv = ctx.run(msgs, events_per_variable, av.n_events, k_full,
                  model=f"the clinical + marker Cox model for {ep.title}")
    rows = []
    for _, r in av.table.iterrows():
        m = r["measure"]
        if m in ("log_likelihood", "aic"):
            continue
        d = 3
        rows.append([
            _MEASURES.get(m, m), fmt_num(r["base_corrected"], d), fmt_num(r["full_corrected"], d),
            fmt_num(r["difference"], d), fmt_num(r["corrected"], d),
            (f"{fmt_num(r['corrected_ci_lower'], d)} to {fmt_num(r['corrected_ci_upper'], d)}"
             if np.isfinite(r["corrected_ci_lower"]) else "")])
    blocks = [para(
        f"Added value of {ctx.pos_label} for {ep.title} at {duration(h, ctx.unit)} "
        f"({fmt_int(av.n_obs)} patients, {fmt_int(av.n_events)} events, {k_full} coefficients "
        f"in the clinical + marker model: {fmt_num(epv, 1)} events per variable). The test of "
        f"added value is the likelihood-ratio test of the nested models: χ² = "
        f"{fmt_num(av.lr_statistic, 2)} on {av.lr_df:g} df, p {fmt_p_eq(av.lr_p_value)}. "
        f"Corrected for optimism, ΔC = {fmt_num(av.delta_c_corrected, 3)} "
        f"({fmt_num(av.delta_c_corrected_ci_lower, 3)} to "
        f"{fmt_num(av.delta_c_corrected_ci_upper, 3)}; apparent {fmt_num(av.delta_c, 3)}) "
        f"and ΔAUC = {fmt_num(av.delta_auc_corrected, 3)} "
        f"({fmt_num(av.delta_auc_corrected_ci_lower, 3)} to "
        f"{fmt_num(av.delta_auc_corrected_ci_upper, 3)}; apparent {fmt_num(av.delta_auc, 3)})."
        + (f" {why}" if why else "")),
        table(f"Clinical model vs clinical model + marker, {ep.title}, horizon "
              f"{duration(h, ctx.unit)}",
              ["measure", "clinical (corrected)", "clinical + marker (corrected)",
               "difference, apparent", "difference, corrected",
               f"{av.conf_level:.0%} CI (corrected)"], rows,
              note=f"Unstratified Cox models. Apparent values are estimated on the patients the "
                   f"models were fitted to and are optimistic (a marker of no value still "
                   f"raises them). Corrected: Harrell's bootstrap optimism correction — both "
                   f"models refitted in each of {av.n_boot_success} bootstrap resamples "
                   f"(seed {s.seed}), evaluated in the resample and in the original patients, "
                   f"corrected = apparent − mean(resample − original), as rms::validate; "
                   "intervals: bootstrap percentile intervals shifted by the optimism (Noma "
                   "et al. 2021). NRI: continuous, the sum of its event and non-event parts "
                   "(range −2 to 2); NRI and IDI at the horizon. ΔC, ΔAUC, NRI and IDI "
                   "describe the size of the improvement, the likelihood-ratio test is the "
                   "test (Pepe et al. 2013). In simulations with a marker of no value "
                   "(200 data sets of 150 patients) the corrected NRI averaged 0.01 (SE 0.01; "
                   "0.00 in new patients) where the apparent NRI averaged 0.07.")]
    blocks += _validation_blocks(ctx, ep, h, msgs, av)
    fig, ax = plt.subplots(figsize=(7.2, 4.0))
    av.plot(ax=ax)
    _relabel_legend(ax, {"base": "clinical", "full": "clinical + marker"})
    ax.set_title("")
    ax.set_title(f"Decision curves, {ep.title} at {duration(h, ctx.unit)}", loc="left",
                 fontsize=11)
    blocks.append(ctx.figure(fig, "Net benefit of treating by the predicted risk of the "
                                  "clinical model and of the clinical model + marker "
                                  f"({ep.title} by {duration(h, ctx.unit)}), against "
                                  "treat-all and treat-none (apparent: the models' own patients).",
                             title="decision curve"))
    if "calibration" in api and "cox_result_risk" in api:
        work = fr[[ep.time_col, ep.event_col]].copy()
        work["predicted risk"] = api["cox_result_risk"](av.full_fit, h)
        cal = ctx.run(msgs, api["calibration"], work, time_col=ep.time_col,
                      event_col=ep.event_col, risk_col="predicted risk", horizon=h)
        fig, ax = plt.subplots(figsize=(6.0, 5.0))
        cal.plot(ax=ax)
        ax.set_xlabel(f"Predicted risk by {duration(h, ctx.unit)}")
        ax.set_ylabel(f"Observed risk by {duration(h, ctx.unit)}")
        ax.set_title("")
        ax.set_title(f"Calibration at {duration(h, ctx.unit)}, clinical + marker", loc="left",
                     fontsize=11)
        blocks.append(ctx.figure(
            fig, f"Apparent calibration of the clinical + marker model for {ep.label} at "
                 f"{duration(h, ctx.unit)}: observed (Kaplan–Meier) vs predicted risk by "
                 "decile, and the smoothed calibration curve, in the patients the model was "
                 "fitted to — close to ideal by construction; the internal validation above "
                 "gives the optimism-corrected calibration slope.", title="calibration plot"))
    return blocks


def _added_value_horizon(ctx: ReportContext) -> tuple[float, str]:
    """The added-value analysis's horizon and why (:func:`prognostic_horizon`)."""
    ep = ctx.spec.primary
    fr = ctx.frame
    t_max = float(fr.loc[fr[ep.event_col].astype(float) > 0, ep.time_col].max())
    hs = [h for h in ctx.horizons if h < t_max] or [float(np.median(fr[ep.time_col]))]
    return prognostic_horizon(hs, fr[ep.time_col].to_numpy(float), ctx.unit)


def _added_value_call(ctx: ReportContext, api: dict, h: float) -> tuple:
    """``(fn, data, kwargs)`` of the section's added-value bootstrap (one place, so that the
    call started early by :func:`start_prognostic` is the section's call)."""
    s = ctx.spec
    ep = s.primary
    return api["added_value"], ctx.frame, dict(
        time_col=ep.time_col, event_col=ep.event_col, base_covariates=list(s.covariates),
        new_covariates=[ctx.term], horizon=h, n_boot=N_BOOT, rng=s.seed)


def _validation_call(ctx: ReportContext, h: float) -> tuple:
    """``(fn, model, data, kwargs)`` of the section's internal validation (as above): the
    clinical + marker model of the primary endpoint in the analysed frame."""
    from ...prognostic.models import CoxModel
    from ...prognostic.validation import validate_model

    s = ctx.spec
    fr, ep = ctx.frame, s.primary
    cols = [ctx.term, *s.covariates]
    x = pd.get_dummies(fr[cols], drop_first=True, dtype=float)
    x.columns = [f"x{j}" for j in range(x.shape[1])]  # any labels: the model sees numbers
    data = pd.concat([x, fr[[ep.time_col, ep.event_col]]], axis=1)
    return validate_model, CoxModel(), data, dict(
        time_col=ep.time_col, event_col=ep.event_col, covariates=list(x.columns), horizon=h,
        n_boot=N_BOOT, rng=s.seed)


def start_prognostic(ctx: ReportContext) -> None:
    """Start the section's two bootstraps in forked children (``ctx.prefetch``), when the
    section will run them: the spec asks for it, the API is complete and there are clinical
    covariates (the conditions of :func:`section_prognostic` and :func:`_added_value_blocks`)."""
    s = ctx.spec
    if ctx.prefetch is None or not ctx.prefetch.enabled or not s.analyses.prognostic \
            or not s.covariates:
        return
    api = _prognostic_api()
    if any(n not in api for n in (*_NEEDED, "added_value")):
        return
    h, _ = _added_value_horizon(ctx)
    fn, *args, kwargs = _added_value_call(ctx, api, h)
    ctx.prefetch.start("added_value", fn, *args, **kwargs)
    fn, *args, kwargs = _validation_call(ctx, h)
    ctx.prefetch.start("validate_model", fn, *args, **kwargs)


def _relabel_legend(ax, names: dict[str, str]) -> None:
    """Legend entries named as the text names them (the library's "base"/"full")."""
    leg = ax.get_legend()
    if leg is None:
        return
    for t in leg.get_texts():
        t.set_text(names.get(t.get_text(), t.get_text()))


#: Bootstrap resamples of the added-value optimism correction and the internal validation.
N_BOOT = 200

_VALIDATION_ROWS = {
    "c_index": ("Harrell's C", 3),
    "slope": ("calibration slope (shrinkage factor)", 3),
    "auc": ("time-dependent AUC", 3),
    "brier": ("Brier score", 4),
    "r2": ("Nagelkerke R²", 3),
}


def _validation_blocks(ctx: ReportContext, ep, h: float,
                       msgs: list[str], av=None) -> list[dict]:
    """REMARK item 18: internal validation of the clinical + marker Cox model by the
    bootstrap (cs.validate_model, as rms::validate).

    Harrell's C, the AUC and the Brier score of this model are also in the added-value table
    (*av*), corrected there by its own bootstrap; one model has one value of each wherever
    it is cited, so these rows show the added-value bootstrap's numbers (the same estimator,
    apparent − mean optimism) and the table says so."""
    s = ctx.spec
    fn, *args, kw = _validation_call(ctx, h)
    val = ctx.run_prefetched(msgs, "validate_model", fn, *args, **kw)
    ctx.results["validation"] = val
    tab = val.table.set_index("index")
    shared = {} if av is None else {
        m: (float(r["full"]), float(r["full_corrected"]))
        for m, r in av.table.set_index("measure").iterrows()
        if m in ("c_index", "auc", "brier") and np.isfinite(r["full_corrected"])}
    rows = []
    for idx, (label, d) in _VALIDATION_ROWS.items():
        r = tab.loc[idx]
        app, cor = shared.get(idx, (float(r["apparent"]), float(r["corrected"])))
        apparent = "— (1 by construction)" if idx == "slope" else fmt_num(app, d)
        rows.append([label, apparent, fmt_num(app - cor if idx != "slope" else r["optimism"], d),
                     fmt_num(cor, d)])
    slope = float(tab.loc["slope", "corrected"])
    return [table(
        f"Internal validation of the clinical + marker model for {ep.title} (REMARK item 18)",
        ["index", "apparent", "optimism", "optimism-corrected"], rows,
        note=f"Bootstrap optimism correction with {val.n_success} of {val.n_boot} refits "
             f"(seed {s.seed}; as R rms::validate); AUC and Brier score at "
             f"{duration(h, ctx.unit)}"
             + ("; Harrell's C, AUC and Brier score are those of the added-value table above "
                "(the same model corrected by the same bootstrap estimator, with that table's "
                "resamples), so that each is cited once" if shared else "")
             + f". The corrected calibration slope ({fmt_num(slope, 2)}) is the "
             "shrinkage factor: "
             + (f"the model's log hazard ratios would be about {fmt_num(100 * (1 - slope), 0)}%"
                " too extreme in new patients"
                + ("; shrink them before using the model for prediction." if slope < 0.9
                   else ".") if slope < 1 else "no shrinkage is indicated."))]
