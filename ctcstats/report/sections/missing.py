"""Section "Missing covariates": the missingness table and the multivariable Cox model of the
primary endpoint both on complete cases and after multiple imputation (smcfcs, pooled by
Rubin's rules); the spec's ``primary_analysis`` says which one is primary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import DataValidationError
from ...survival.cox import fit_cox
from ..context import ReportContext, as_levels
from ..format import fmt_hr, fmt_int, fmt_num, fmt_p, fmt_pct, notes, para, table

__all__ = ["needs_missing_section", "section_missing"]


def _analysable(ctx: ReportContext) -> pd.DataFrame:
    """Rows with the primary endpoint, the marker (and volume/strata) observed — the rows
    that multiple imputation can keep — with the report's coding of marker and categories."""
    s = ctx.spec
    data = ctx.data
    assert data is not None, "the report's data are read before its sections"
    ep = s.primary
    need = [ep.time_col, ep.event_col, s.marker_col] + [c for c in (s.volume_col,
                                                                      s.strata_col) if c]
    keep = ~data[need].isna().any(axis=1).to_numpy()
    fr = data.iloc[np.flatnonzero(keep)][list(dict.fromkeys(need + list(s.covariates)))].copy()
    fr = fr.reset_index(drop=True)
    x = fr[s.marker_col].astype(float).to_numpy()
    pos = x > 0 if ctx.marker_kind == "binary" else x >= ctx.threshold
    fr[ctx.term] = pos.astype(int)
    for c in s.categorical:
        fr[c] = as_levels(fr[c])  # the levels of the other sections, missing kept
    return fr


def _whole_study_gaps(fr: pd.DataFrame, covariates: list[str], strata_col: str | None
                      ) -> str:
    """Plain-words list of covariates missing for every patient of some stratum ("" if none)."""
    if strata_col is None:
        return ""
    whole = fr[covariates].isna().groupby(fr[strata_col], observed=True).all().any()
    names = [str(c) for c in whole.index[whole.to_numpy()]]
    if not names:
        return ""
    return (f"{names[0]} is" if len(names) == 1
            else ", ".join(names[:-1]) + f" and {names[-1]} are")


def needs_missing_section(ctx: ReportContext) -> bool:
    """True when a covariate is missing for a patient whose endpoint and marker are known."""
    if ctx.data is None or not ctx.spec.covariates:
        return False
    return bool(_analysable(ctx)[list(ctx.spec.covariates)].isna().to_numpy().any())


def section_missing(ctx: ReportContext) -> list[dict]:
    # imported here: the imputation engine (statsmodels) costs ~1 s to import, and a report
    # without missing covariates only calls needs_missing_section
    from ...missing.diagnostics import missing_table
    from ...missing.impute import impute
    from ...missing.pooling import pool

    s = ctx.spec
    ep = s.primary
    fr = _analysable(ctx)
    covs = [ctx.term, *s.covariates]
    msgs: list[str] = []
    tab = missing_table(fr, list(s.covariates))
    n_inc = int(fr[list(s.covariates)].isna().any(axis=1).sum())
    mi_primary = s.primary_analysis == "multiple_imputation"
    blocks = [para(
        f"{fmt_int(n_inc)} of {fmt_int(len(fr))} patients with known {ep.label} and "
        f"{s.marker_label} ({fmt_pct(n_inc / len(fr))}) miss at least one covariate. The "
        "complete-case analysis (section 6) leaves them out, which biases the hazard ratios "
        "unless missingness is unrelated to the outcome; multiple imputation keeps them, "
        "assuming the values are missing at random given the observed data (MAR). "
        f"Primary analysis (spec primary_analysis): "
        f"{'multiple imputation' if mi_primary else 'complete cases'}.")]
    blocks.append(table(
        "Missing covariate values (patients with known endpoint and marker)",
        ["covariate", "missing", "%"],
        [[r.variable, fmt_int(r.n_missing), fmt_num(r.percent, 1)] for r in tab.itertuples()]))
    cc = ctx.run(msgs, fit_cox, fr, time_col=ep.time_col, event_col=ep.event_col,
                 covariates=covs, strata_col=s.strata_col, missing="drop")
    gaps = _whole_study_gaps(fr, list(s.covariates), s.strata_col)
    try:
        # strata (pooled studies) enter the imputation models as fixed effects; where a
        # covariate is missing for a whole study, as study-level random effects
        imp = ctx.run(msgs, impute, fr, time_col=ep.time_col, event_col=ep.event_col,
                      covariates=covs, n_imputations=s.n_imputations, method="smcfcs",
                      study_col=s.strata_col, study_model="random" if gaps else "fixed",
                      rng=s.seed)
    except DataValidationError as exc:  # e.g. a categorical covariate missing for a study
        blocks.append(para(f"Multiple imputation was not done: {exc} The complete-case "
                           "analysis (section 6) is the only multivariable analysis."))
        return blocks
    mi = ctx.run(msgs, pool, imp, fit_cox, time_col=ep.time_col, event_col=ep.event_col,
                 covariates=covs, strata_col=s.strata_col)
    ctx.results[f"cox_cc:{ep.name}"] = cc
    ctx.results[f"imputation:{ep.name}"] = imp
    ctx.results[f"cox_mi:{ep.name}"] = mi
    mt = mi.table.set_index("term")
    rows = []
    for term, r in cc.table.iterrows():
        m = mt.loc[term]
        rows.append([ctx.term_label(str(term)), fmt_hr(r["hr"], r["ci_lower"], r["ci_upper"]),
                     fmt_p(r["p_value"]), fmt_hr(m["hr"], m["hr_ci_lower"], m["hr_ci_upper"]),
                     fmt_p(m["p_value"]), fmt_num(m["fmi"], 2)])
    first, second = ("multiple imputation", "complete cases") if mi_primary else (
        "complete cases", "multiple imputation")
    blocks.append(table(
        f"Multivariable Cox model for {ep.title}: complete cases and multiple imputation "
        f"(primary: {first}; sensitivity: {second})",
        ["term", "complete cases: HR (95% CI)", "p", "imputed: HR (95% CI)", "p", "FMI"],
        rows,
        note=(f"Complete cases: {fmt_int(cc.n_obs)} patients, {fmt_int(cc.n_events)} events. "
              f"Multiple imputation: {fmt_int(len(fr))} patients, {s.n_imputations} data sets "
              f"by substantive-model-compatible FCS for this Cox model (Bartlett et al. 2015; "
              f"as R smcfcs), {imp.n_iter} cycles, seed {s.seed}; pooled by Rubin's rules "
              "with Barnard–Rubin degrees of freedom (as R mice::pool). FMI: fraction of "
              "missing information."
              + (f" The strata ({s.strata_col}) enter the imputation models as fixed "
                 "effects." if s.strata_col and not gaps else "")
              + (f" {gaps} not recorded for every patient of some {s.strata_col} "
                 "(systematically missing): the imputation models of continuous and binary "
                 f"covariates have coefficients that vary between {s.strata_col} levels "
                 "(two-stage random-effects models, Resche-Rigon & White 2018; as R micemd "
                 "2l.2stage), drawn from their between-level distribution where a covariate "
                 "is missing for a whole level; the Cox model of each imputation step keeps "
                 f"{s.strata_col} as a fixed effect." if gaps else ""))))
    block = notes(msgs)
    if block is not None:
        blocks.append(block)
    return blocks
