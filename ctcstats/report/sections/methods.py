"""REMARK items 9 and 10 and the REMARK profile: the statistical methods as run, the
sample-size statement (events available and the hazard ratio detectable at 80% power), and
the profile table of Altman et al. (2012) — patients, endpoints and the analyses with their
numbers of patients and events."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..context import ReportContext
from ..format import fmt_int, fmt_num, fmt_pct, para, table
from ..spec import EndpointSpec
from ..units import duration, durations
from .survival import EPV_MIN

__all__ = ["detectable_hr", "section_methods", "section_sample_size", "section_profile"]

POWER = 0.8
ALPHA = 0.05


def detectable_hr(events: float, prevalence: float, *, power: float = POWER,
                  alpha: float = ALPHA) -> float:
    """The hazard ratio (> 1) that a two-sided test at level ``alpha`` detects with
    ``power`` given ``events`` and the proportion ``prevalence`` of marker-positive patients:
    Schoenfeld's formula solved for the HR, ``exp((z_{1−α/2} + z_power) / √(d p (1 − p)))``
    — the inverse of :func:`ctcstats.designs.formulas.schoenfeld_events`."""
    if events <= 0 or not 0 < prevalence < 1:
        return float("nan")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(np.exp(z / np.sqrt(events * prevalence * (1 - prevalence))))


def _events(ctx: ReportContext, ep) -> int:
    return int((ctx.frame[ep.event_col].to_numpy(float) > 0).sum())


def section_methods(ctx: ReportContext) -> list[dict]:
    s = ctx.spec
    strat = f", stratified by {s.strata_col}" if s.strata_col else ""
    out = [
        "Follow-up was summarised by the reverse Kaplan–Meier method (censoring as the event). "
        "Survival curves are Kaplan–Meier estimates with log-log 95% confidence intervals "
        "(R survfit with conf.type = \"log-log\"), compared between the marker groups by the "
        f"log-rank test{strat}.",
        "Hazard ratios are from Cox proportional-hazards models (Efron ties, R coxph) with "
        f"Wald 95% confidence intervals and Wald tests{strat}; a continuous covariate's "
        "hazard ratio is per one unit of its column as recorded in the data, a two-valued "
        "covariate's compares the values named beside it (1 vs 0, True vs False), a "
        "categorical covariate's against its first level. The multivariable model contains "
        "the marker and every clinical covariate given in the spec"
        + (f" ({', '.join(s.covariates)})" if s.covariates else "")
        + "; no variable selection was done. The number of events per estimated coefficient "
        f"(EPV) is reported for every multivariable model; below {EPV_MIN}, Firth's "
        "penalised likelihood (Heinze & Schemper 2001, as R coxphf) with profile "
        "penalised-likelihood intervals and penalised likelihood-ratio tests is reported "
        "beside the ordinary fit.",
        "Proportional hazards were checked by the score test of each term and globally "
        "(R cox.zph, Kaplan–Meier transform)"
        + {"auto": "; where the marker's test gave p < 0.05, period-specific (piecewise) "
                   "hazard ratios are shown",
           "always": "; period-specific (piecewise) hazard ratios of the marker are shown",
           "never": ""}.get(s.analyses.piecewise, "") + ".",
    ]
    if ctx.marker_kind == "count":
        out.append(
            f"The marker count was dichotomised at the prespecified threshold (≥ "
            f"{ctx.threshold}) and also analysed as a continuous variable: a restricted cubic "
            "spline of log(count + 1) in the Cox model (Hmisc's default knots, as "
            "rms::rcs), with likelihood-ratio and Wald tests of non-linearity.")
        if s.analyses.cutpoint:
            out.append("A data-driven cut-point was searched by the maximally selected "
                       "log-rank statistic with a p-value corrected for the search (Lausen & "
                       "Schumacher 1994; as R maxstat); it is exploratory.")
        if s.analyses.categories:
            out.append("Count categories were compared by the log-rank test for trend.")
    if s.landmarks:
        out.append("Landmark analyses restart the clock at "
                   + durations(s.landmarks, ctx.unit) + " among the "
                   "patients still at risk then.")
    from .competing import competing_endpoints

    comp = competing_endpoints(ctx)
    if comp:
        out.append("For cause-specific endpoints (" + ", ".join(e.title for e in comp)
                   + "), deaths without the event are competing events: cumulative incidence "
                   "by Aalen–Johansen with Gray's test (R cmprsk::cuminc), cause-specific Cox "
                   "and Fine–Gray subdistribution hazard models (R cmprsk::crr); the models' "
                   "predicted cumulative incidences were assessed by the time-dependent AUC "
                   "and Brier score with competing events (R riskRegression::Score), Wolbers' "
                   "concordance index (R pec::cindex) and Aalen–Johansen calibration.")
    if s.relapse_site_col:
        out.append("Sites of first relapse were analysed as competing risks (cumulative "
                   "incidence, Gray's test, cause-specific and Fine–Gray models).")
    if s.analyses.prognostic:
        out.append(
            "The prognostic value added by the marker to the clinical covariates was tested "
            "by the likelihood-ratio test of nested Cox models and described by the change in "
            "Harrell's C, the time-dependent AUC, the Brier score, the NRI and the IDI, "
            "corrected for optimism by Harrell's bootstrap (both models refitted in each "
            "resample); the final model was validated internally by the same bootstrap "
            "(optimism-corrected C and calibration slope, as rms::validate).")
    out.append(
        "Missing values: "
        + ("complete-case analysis (patients with a missing value in any column used are "
           "excluded and counted in §2)." if s.missing == "drop" else
           "none allowed (the analysis stops on a missing value).")
        + " All tests are two-sided at the 5% level without adjustment for multiplicity; "
          "only the marker's effect on the primary endpoint is the prespecified hypothesis, "
          f"the other analyses are supportive. Seed of every resampling: {s.seed}. "
          "Software and versions: §10.")
    return [para(t) for t in out]


def section_sample_size(ctx: ReportContext) -> list[dict]:
    fr = ctx.frame
    p = float(fr[ctx.term].mean())
    rows = []
    for ep in ctx.spec.endpoints:
        d = _events(ctx, ep)
        hr = detectable_hr(d, p)
        rows.append([ep.title, fmt_int(len(fr)), fmt_int(d),
                     f"{fmt_num(hr, 2)} (or {fmt_num(1 / hr, 2)})" if np.isfinite(hr)
                     else "—"])
    return [
        para("The data set fixes the sample size; the rationale for it (REMARK item 9: the "
             "planned effect size and power) must be supplied by the authors. What the "
             f"available events allow: with {fmt_pct(p)} of patients {ctx.pos_label}, the "
             "hazard ratio that a two-sided test at the 5% level would detect with 80% power "
             "(Schoenfeld's 1983 formula solved for the hazard ratio)."),
        table("Events available and the detectable hazard ratio",
              ["endpoint", "patients", "events", "HR detectable at 80% power"], rows,
              note=f"Marker-positive proportion {fmt_num(p, 3)}; unadjusted two-group "
                   "comparison; adjustment and stratification change the precision little "
                   "when the covariates are not strongly related to the marker."),
    ]


def section_profile(ctx: ReportContext) -> list[dict]:
    """The REMARK profile (Altman et al. 2012): patients, then each analysis with its
    patients and events."""
    s = ctx.spec
    fr = ctx.frame
    n = len(fr)
    flow = ctx.flow
    excl = [f"{fmt_int(r['n_removed'])} {r['reason']}" for _, r in flow.iterrows()
            if r["n_removed"]]
    rows = [["Patients", f"{fmt_int(ctx.n_read)} read; {fmt_int(n)} analysed"
             + (f" (excluded: {'; '.join(excl)})" if excl else ""), ""]]
    ev = "; ".join(f"{ep.name.upper()} {fmt_int(_events(ctx, ep))}" for ep in s.endpoints)
    rows.append(["Endpoints (events)", ev, ""])
    covs = ", ".join(s.covariates) or "none"
    rows.append(["A1 Univariable", f"marker; each covariate ({covs}); every endpoint",
                 f"n = {fmt_int(n)}; {ev}"])
    rows.append(["A2 Multivariable", f"marker + {covs}"
                 + (f", stratified by {s.strata_col}" if s.strata_col else "")
                 + "; every endpoint", f"n = {fmt_int(n)}; {ev}"])
    k = 3
    extra: list[tuple[str, EndpointSpec | None]] = []
    if ctx.marker_kind == "count":
        extra.append(("continuous count (spline of log(count + 1))", s.primary))
        if s.analyses.cutpoint:
            extra.append(("cut-point search", s.primary))
        if s.analyses.categories:
            extra.append(("count categories, trend test", None))
    for lm in s.landmarks:
        at = int((fr[s.primary.time_col].to_numpy(float) > lm).sum())
        extra.append((f"landmark at {duration(lm, ctx.unit)} ({fmt_int(at)} at risk)", None))
    from .competing import competing_endpoints

    for cep in competing_endpoints(ctx):
        extra.append((f"competing risks, {cep.name.upper()}", cep))
    if s.relapse_site_col:
        extra.append(("relapse sites (competing first events)", None))
    for what, xep in extra:
        rows.append([f"A{k} Further", what,
                     f"n = {fmt_int(n)}; " + (f"{xep.name.upper()} {fmt_int(_events(ctx, xep))}"
                                              if xep is not None else ev)])
        k += 1
    if s.analyses.prognostic and s.covariates:
        ep = s.primary
        rows.append([f"A{k} Prognostic value", "clinical model vs clinical + marker; "
                     "internal validation (bootstrap)",
                     f"n = {fmt_int(n)}; {ep.name.upper()} {fmt_int(_events(ctx, ep))}"])
    return [table("REMARK profile (Altman et al. 2012)", ["", "description", "patients; "
                  "events"], rows, cls="wrap",
                  note="Altman DG, McShane LM, Sauerbrei W, Taube SE (2012). Reporting "
                       "recommendations for tumor marker prognostic studies (REMARK): "
                       "explanation and elaboration. PLoS Med 9:e1001216.")]
