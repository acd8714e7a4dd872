"""Section "The marker as a continuous count" (REMARK item 11).

Dichotomising a count throws information away and hides the shape of its relation with the
outcome. Beside the dichotomised analysis, the count enters the Cox model (adjusted for the
clinical covariates, stratified as the multivariable model) as a restricted cubic spline of
``log(count + 1)`` with Hmisc's default knots (``rcspline.eval(nk = 4)``, fewer when the
count has many ties — e.g. many zeros), as ``rms::cph(Surv ~ rcs(log(count + 1), 4) + ...)``:

* the likelihood-ratio and Wald tests of non-linearity (the spline's non-linear terms = 0;
  ``rms::anova``'s "Nonlinear" row is the Wald test) and the LR test of any association;
* the hazard ratio against a count of 0, with pointwise 95% limits, drawn against the count.

Verified against R (tests/reference/spline/: Hmisc knots, coxph fits, rms::anova).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import DataValidationError
from ...prognostic.calibration import rcs_basis, rcs_knots
from ...survival.cox import fit_cox
from ..context import ReportContext
from ..format import fmt_hr, fmt_int, fmt_num, fmt_p_eq, notes, para, table

__all__ = ["CountSpline", "count_spline", "section_spline"]


@dataclass(frozen=True)
class CountSpline:
    """A restricted cubic spline of log(count + 1) in a Cox model (see :func:`count_spline`).

    ``curve`` columns: ``count, log_hr, std_error, hr, ci_lower, ci_upper`` (against the
    ``reference`` count: 0, or the smallest count observed when no patient has a count of 0).
    """

    knots: np.ndarray
    coef: np.ndarray
    lr_nonlinear: float
    wald_nonlinear: float
    df_nonlinear: int
    p_nonlinear_lr: float
    p_nonlinear_wald: float
    lr_overall: float
    df_overall: int
    p_overall: float
    curve: pd.DataFrame
    n_obs: int
    n_events: int
    warnings: tuple[str, ...] = ()
    reference: float = 0.0


def count_spline(frame: pd.DataFrame, *, count_col: str, time_col: str, event_col: str,
                 covariates=(), strata_col: str | None = None, n_knots: int = 4,
                 grid=None) -> CountSpline:
    """Cox model with a restricted cubic spline of ``log(count + 1)`` (Hmisc knots, ``nk =
    n_knots``) plus ``covariates``; tests of non-linearity and the HR curve against count 0 —
    or, when no patient has a count of 0, against the smallest count observed (a hazard ratio
    against an unobserved count would rest on the spline's linear tail beyond the data).
    The default ``grid`` runs from that reference to the largest count observed.

    Raises DataValidationError when fewer than 3 distinct knots can be placed (the count
    takes too few distinct values).
    """
    lx = np.log1p(frame[count_col].to_numpy(float))
    if np.unique(lx).size < 2:
        raise DataValidationError(
            f"count column {count_col!r} takes a single value; it cannot be analysed as a "
            "continuous variable.")
    try:
        knots = rcs_knots(lx, n_knots)
    except DataValidationError:  # too few distinct counts: linear in log(count + 1)
        knots = np.array([], dtype=float)
    basis = rcs_basis(lx, knots) if knots.size else lx[:, None]
    names = [f"__rcs{j}__" for j in range(basis.shape[1])]
    work = frame.assign(**{n: basis[:, j] for j, n in enumerate(names)})
    covs = list(covariates)

    def fit(cols: list[str]):
        return fit_cox(work, time_col=time_col, event_col=event_col, covariates=cols,
                       strata_col=strata_col)

    full = fit(names + covs)
    lin = fit(names[:1] + covs)
    ll0 = fit(covs).loglik if covs else full.loglik_null
    nl = names[1:]
    if nl:
        b = full.table.loc[nl, "coef"].to_numpy(float)
        v = full.covariance.loc[nl, nl].to_numpy(float)
        wald = float(b @ np.linalg.solve(v, b))
        lr_nl = 2.0 * (full.loglik - lin.loglik)
    else:
        wald = lr_nl = float("nan")
    lr_all = 2.0 * (full.loglik - ll0)
    ref = reference_count(frame[count_col])
    top = float(frame[count_col].max())
    if grid is None:
        grid = count_grid(ref, top)
    grid = np.asarray(grid, float)
    lref = np.full(1, np.log1p(ref))
    d = (rcs_basis(np.log1p(grid), knots) - rcs_basis(lref, knots) if knots.size
         else (np.log1p(grid) - lref)[:, None])
    beta = full.table.loc[names, "coef"].to_numpy(float)
    vs = full.covariance.loc[names, names].to_numpy(float)
    lhr = d @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", d, vs, d), 0.0))
    z = stats.norm.ppf(0.975)
    curve = pd.DataFrame({"count": grid, "log_hr": lhr, "std_error": se, "hr": np.exp(lhr),
                          "ci_lower": np.exp(lhr - z * se), "ci_upper": np.exp(lhr + z * se)})
    k_nl = len(nl)
    return CountSpline(
        knots=knots, coef=beta, lr_nonlinear=float(lr_nl), wald_nonlinear=wald,
        df_nonlinear=k_nl,
        p_nonlinear_lr=float(stats.chi2.sf(lr_nl, k_nl)) if k_nl else float("nan"),
        p_nonlinear_wald=float(stats.chi2.sf(wald, k_nl)) if k_nl else float("nan"),
        lr_overall=float(lr_all),
        df_overall=len(names), p_overall=float(stats.chi2.sf(lr_all, len(names))),
        curve=curve, n_obs=full.n_obs, n_events=full.n_events,
        warnings=full.warnings + lin.warnings, reference=ref)


def reference_count(counts: pd.Series) -> float:
    """The count the spline's hazard ratios are against: 0, or the smallest count observed
    when no patient has 0."""
    return 0.0 if (counts == 0).any() else float(counts.min())


def count_grid(ref: float, top: float) -> np.ndarray:
    """120 counts evenly spaced on log(count + 1) from ``ref`` to ``top``."""
    return np.unique(np.round(np.expm1(np.linspace(np.log1p(ref), np.log1p(top), 120)), 6))


def section_spline(ctx: ReportContext) -> list[dict]:
    import matplotlib.pyplot as plt

    s = ctx.spec
    ep = s.primary
    msgs: list[str] = []
    covs = [c for c in ctx.cox_covariates if c != ctx.term]
    top = float(ctx.frame[s.marker_col].max())
    ref = reference_count(ctx.frame[s.marker_col])
    at = _table_counts(ref, top, s.thresholds)
    grid = np.unique(np.concatenate([count_grid(ref, top), at]))
    try:
        sp = ctx.run(msgs, count_spline, ctx.frame, count_col=s.marker_col,
                     time_col=ep.time_col, event_col=ep.event_col, covariates=covs,
                     strata_col=s.strata_col, grid=grid)
    except DataValidationError as exc:
        return [para(f"The continuous analysis of the count was not done: {exc}",
                     cls="caveat")]
    ctx.results["count_spline"] = sp
    knots = ", ".join(f"{round(float(np.expm1(k)), 1):g}" for k in sp.knots)
    adj = (f"adjusted for {', '.join(covs)}" if covs else "univariable") + (
        f", stratified by {s.strata_col}" if s.strata_col else "")
    if not sp.knots.size:
        blocks = [para(
            f"The {s.marker_label} count as a continuous variable, {ep.title}: the count takes "
            "too few distinct values for a spline (fewer than 3 distinct knots can be placed "
            "on log(count + 1)), so it enters the Cox model linearly on the log(count + 1) "
            f"scale, {adj} ({fmt_int(sp.n_obs)} patients, {fmt_int(sp.n_events)} events); "
            "non-linearity cannot be tested. Association with the outcome: likelihood-ratio "
            f"χ² = {fmt_num(sp.lr_overall, 2)} on 1 df, p {fmt_p_eq(sp.p_overall)}.")]
    else:
        blocks = [para(
        f"The {s.marker_label} count as a continuous variable, {ep.title}: a restricted cubic "
        f"spline of log(count + 1) with {sp.knots.size} knots (at counts {knots}; Hmisc's "
        f"default placement) in a Cox model {adj} ({fmt_int(sp.n_obs)} patients, "
        f"{fmt_int(sp.n_events)} events), as R rms::cph(… rcs(log(count + 1), "
        f"{sp.knots.size}) …). Association with the outcome: likelihood-ratio χ² = "
        f"{fmt_num(sp.lr_overall, 2)} on {sp.df_overall} df, p {fmt_p_eq(sp.p_overall)}. "
        f"Non-linearity: likelihood-ratio χ² = {fmt_num(sp.lr_nonlinear, 2)} on "
        f"{sp.df_nonlinear} df, p {fmt_p_eq(sp.p_nonlinear_lr)} (Wald χ² = "
        f"{fmt_num(sp.wald_nonlinear, 2)}, p {fmt_p_eq(sp.p_nonlinear_wald)}, as "
        "rms::anova).")]
    cur = sp.curve
    rows = []
    for c in at:
        r = cur.loc[np.isclose(cur["count"], c)].iloc[0]
        rows.append([fmt_int(c), "1 (reference)" if c == sp.reference else
                     fmt_hr(r["hr"], r["ci_lower"], r["ci_upper"])])
    cox = ctx.results.get(f"cox:{ep.name}")
    model = "spline" if sp.knots.size else "log-linear"
    ref_txt = f"count {sp.reference:g}"
    note = (f"Hazard ratios against a count of {sp.reference:g} from the {model} model (95% "
            "pointwise limits).")
    if sp.reference != 0:
        note += (f" No patient has a count of 0: the reference is the smallest count "
                 f"observed ({sp.reference:g}), so that no hazard ratio rests on counts "
                 "outside the data.")
    if cox is not None and ctx.term in cox.table.index:
        r = cox.table.loc[ctx.term]
        note += (f" Dichotomised at ≥ {ctx.threshold} in the multivariable model (§6): HR "
                 f"{fmt_hr(r['hr'], r['ci_lower'], r['ci_upper'])}.")
    blocks.append(table(f"Hazard ratio by {s.marker_label} count, {ep.title}",
                        ["count", f"HR vs {ref_txt} (95% CI)"], rows, note=note))
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    x = np.log1p(cur["count"].to_numpy(float))
    ax.fill_between(x, cur["ci_lower"], cur["ci_upper"], color="#9ecae1", alpha=0.6, lw=0,
                    label="95% CI")
    ax.plot(x, cur["hr"], color="#08519c", lw=1.8, label=model)
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.axvline(np.log1p(ctx.threshold), color="#cb181d", ls="--", lw=1.0,
               label=f"threshold ≥ {ctx.threshold}")
    ax.set_yscale("log")
    _plain_log_y(ax)
    ticks = [t for t in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
             if cur["count"].min() <= t <= cur["count"].max()]
    ax.set_xticks(np.log1p(ticks))
    ax.set_xticklabels([str(t) for t in ticks])
    ax.set_xlabel(f"{s.marker_label} count (log(count + 1) scale)")
    ax.set_ylabel(f"Hazard ratio vs {ref_txt}")
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(f"{ep.title}: hazard ratio by {s.marker_label} count", loc="left",
                 fontsize=11)
    blocks.append(ctx.figure(
        fig, f"Hazard ratio of {ep.label} against the {s.marker_label} count ("
             + ("restricted cubic spline of" if sp.knots.size else "linear in")
             + f" log(count + 1), reference {ref_txt}) with 95% pointwise "
             f"limits; dashed: the primary threshold (≥ {ctx.threshold}).",
        title=f"spline {ep.name}"))
    nb = notes(msgs)
    if nb:
        blocks.append(nb)
    return blocks


def _table_counts(ref: float, top: float, thresholds) -> list[float]:
    c = {0, 1, 2, 5, 10, 20, 50, 100, ref} | {int(t) for t in thresholds}
    return sorted(v for v in c if ref <= v <= top)


def _plain_log_y(ax) -> None:
    """Hazard-ratio axis ticks as plain numbers (0.5, 1, 2) instead of powers of ten."""
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

    lo, hi = ax.get_ylim()
    cands = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
    ax.yaxis.set_major_locator(FixedLocator([t for t in cands if lo <= t <= hi]))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())
