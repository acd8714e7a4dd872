"""Predictive markers in randomised trials: treatment × marker interaction, non-inferiority.

:func:`marker_treatment_interaction` asks whether a marker (e.g. CTC-positive at baseline)
predicts benefit from a treatment: the treatment × marker interaction in a Cox model (R
``coxph(Surv(t, e) ~ treatment * marker + covariates)``, likelihood-ratio and Wald tests of
the interaction terms), the treatment hazard ratio and the difference in restricted mean
survival time (RMST, R ``print(survfit(...), rmean = tau)``) within each marker subgroup, and
a subgroup forest plot. :func:`noninferiority_test` tests a hazard ratio against a
non-inferiority margin (STIC CTC: upper limit of the two-sided 90% CI below 1.25).

Every Cox fit is :func:`ctcstats.survival.cox.fit_cox` (the package's one Cox engine) on a
private design frame; every Kaplan–Meier curve is :func:`ctcstats.survival.km.kaplan_meier`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import (
    check_conf_level,
    check_event_column,
    check_real,
    check_time_column,
    group_levels,
    prepare_frame,
)
from .._warnings import capture
from ..errors import DataValidationError, DataWarning, ParameterError
from ..survival.cox import fit_cox
from ..survival.km import kaplan_meier

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "InteractionResult",
    "NonInferiorityResult",
    "SubgroupForestResult",
    "marker_treatment_interaction",
    "noninferiority_test",
    "treatment_subgroups",
]

_MAX_MARKER_LEVELS = 10
_SUBGROUP_COLUMNS = [
    "marker_level", "n_obs", "n_events", "n_treated", "n_control", "hr", "ci_lower",
    "ci_upper", "p_value", "rmst_treated", "rmst_control", "rmst_difference",
    "rmst_std_error", "rmst_ci_lower", "rmst_ci_upper",
]


# =========================================================================== results
@result
class InteractionResult(Result):
    """Treatment × marker interaction (see :func:`marker_treatment_interaction`).

    ``table`` (index ``term``) is the interaction Cox model as :func:`fit_cox` reports it;
    ``subgroups`` has one row per marker level (columns in the function's docstring);
    ``interaction_statistic, interaction_df, interaction_p_value`` are the likelihood-ratio
    test of the interaction terms, ``wald_statistic, wald_p_value`` the Wald test of the same
    terms, ``rmst_statistic, rmst_p_value`` the chi-square test that the RMST differences are
    equal across marker levels.
    """

    _title: ClassVar[str] = "Treatment × marker interaction (Cox and RMST)"

    table: pd.DataFrame
    subgroups: pd.DataFrame
    interaction_statistic: float
    interaction_df: float
    interaction_p_value: float
    wald_statistic: float
    wald_p_value: float
    rmst_statistic: float
    rmst_p_value: float
    tau: float
    treatment_col: str
    marker_col: str
    control: Any
    treated: Any
    conf_level: float = 0.95
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("subgroups", self.subgroups), ("table", self.table)]

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Subgroup forest plot: treatment HR per marker level with the interaction p-value."""
        from ..plotting.trials import plot_subgroup_forest

        return plot_subgroup_forest(self, ax=ax, **kwargs)


@result
class NonInferiorityResult(Result):
    """Non-inferiority of a treatment hazard ratio (see :func:`noninferiority_test`).

    ``hr`` with its two-sided ``conf_level`` interval ``ci_lower, ci_upper``; ``margin``;
    ``statistic`` = (log HR − log margin) / SE and ``p_value`` = Φ(statistic), the one-sided
    test of H0: HR ≥ margin; ``non_inferior`` is True when ``ci_upper < margin`` (equivalent
    to ``p_value < (1 − conf_level) / 2``). ``table`` is the Cox model.
    """

    _title: ClassVar[str] = "Non-inferiority test of a hazard ratio"

    table: pd.DataFrame
    hr: float
    ci_lower: float
    ci_upper: float
    log_hr: float
    std_error: float
    margin: float
    statistic: float
    p_value: float
    non_inferior: bool
    conf_level: float = 0.90
    control: Any
    treated: Any
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


# =========================================================================== helpers
def _py(v):
    """numpy scalar → Python scalar (clean labels in messages and tables)."""
    return v.item() if isinstance(v, np.generic) else v


def _two_levels(frame: pd.DataFrame, col: str, func: str) -> tuple[Any, Any]:
    levels = [_py(v) for v in group_levels(frame[col])]
    if len(levels) != 2:
        raise DataValidationError(
            f"treatment_col {col!r} has {len(levels)} level(s) "
            f"({', '.join(repr(v) for v in levels[:6])}); {func} compares two arms — "
            "recode it to two levels (control first: 0/1, or a pandas Categorical whose first "
            "category is the control arm)."
        )
    return levels[0], levels[1]


def _marker_levels(frame: pd.DataFrame, col: str, func: str) -> list:
    levels = [_py(v) for v in group_levels(frame[col])]
    if len(levels) < 2:
        raise DataValidationError(
            f"marker_col {col!r} has a single level ({levels[0]!r}); {func} needs marker "
            "subgroups (at least two levels)."
        )
    if len(levels) > _MAX_MARKER_LEVELS:
        raise DataValidationError(
            f"marker_col {col!r} has {len(levels)} distinct values; {func} treats the marker "
            f"as subgroups (at most {_MAX_MARKER_LEVELS}) — categorise it first (e.g. "
            "ctc_count >= 5, or cs.count_categories), or use cs.stepp for a continuous count."
        )
    return levels


def _covariate_list(covariates, func: str) -> list[str]:
    if covariates is None:
        return []
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a list of column names; got "
            f"{covariates!r}."
        )
    return list(covariates)


def _fit(frame, time_col, event_col, covs, strata_col):
    with warnings.catch_warnings():
        # the warnings are recorded on the fits and passed on in the result
        warnings.simplefilter("ignore")
        return fit_cox(frame, time_col=time_col, event_col=event_col, covariates=covs,
                       strata_col=strata_col)


def _design_frame(frame, time_col, event_col, treatment_col, marker_col, covs, strata_col,
                  treated, marker_levels):
    """Private frame: trt (0/1), one indicator per non-reference marker level, products."""
    out = frame[[time_col, event_col, *covs] + ([strata_col] if strata_col else [])].copy()
    trt = (frame[treatment_col].to_numpy(dtype=object) == treated).astype(float)
    out["__trt"] = trt
    out["__arm"] = frame[treatment_col].to_numpy(dtype=object)
    mk = frame[marker_col].to_numpy(dtype=object)
    names = {"__trt": treatment_col}
    main, inter = [], []
    for k, lev in enumerate(marker_levels[1:]):
        m = (mk == lev).astype(float)
        out[f"__m{k}"] = m
        out[f"__i{k}"] = trt * m
        names[f"__m{k}"] = f"{marker_col}[{lev}]"
        names[f"__i{k}"] = f"{treatment_col}:{marker_col}[{lev}]"
        main.append(f"__m{k}")
        inter.append(f"__i{k}")
    return out, names, main, inter


def _rename_table(table: pd.DataFrame, names: dict) -> pd.DataFrame:
    out = table.rename(index=lambda t: names.get(t, t)).copy()
    out.index.name = "term"
    return out


def _default_tau(time, arm, marker) -> float:
    """Largest common horizon: the smallest, over marker level × arm, of the last time."""
    frame = pd.DataFrame({"t": time, "a": arm, "m": marker})
    return float(frame.groupby(["m", "a"], sort=False, observed=True)["t"].max().min())


# =========================================================================== interaction
def marker_treatment_interaction(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    marker_col: str,
    treatment_col: str,
    covariates: Sequence[str] | None = None,
    strata_col: str | None = None,
    tau: float | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> InteractionResult:
    """Does the marker predict benefit from the treatment? Cox interaction and subgroup effects.

    Fits R's ``coxph(Surv(time, event) ~ treatment * marker + covariates + strata(s))`` and the
    same model without the interaction; the interaction is tested by the likelihood ratio
    (R ``anova(main, full)``) and by the Wald test of its terms. Within each marker level the
    treatment effect is the hazard ratio of ``coxph(Surv ~ treatment + covariates)`` on that
    subgroup and the difference in restricted mean survival time up to ``tau`` (treated −
    control) of the arms' Kaplan–Meier curves, R ``print(survfit(Surv ~ treatment),
    rmean = tau)``, with SE sqrt(se_1² + se_0²); the RMST differences are compared across
    levels by the chi-square heterogeneity test Σ w_k (d_k − d̄)², w_k = 1/se_k².

    Parameters
    ----------
    data : DataFrame
        One row per randomised patient.
    time_col, event_col : str
        Follow-up time and event indicator (1 = event).
    marker_col : str
        The marker subgroups (e.g. ``ctc_positive``); at most 10 levels, the first (sorted,
        or a Categorical's first category) is the reference of the interaction terms.
    treatment_col : str
        Two arms; the first level (0, False, or a Categorical's first category) is control.
    covariates : list of str, optional
        Adjustment covariates (in every model, also within subgroups).
    strata_col : str, optional
        Stratified baseline hazards (e.g. study or stratification factor).
    tau : float, optional
        RMST horizon; default the smallest last follow-up time over marker level × arm (so
        every curve is observed up to tau).
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    InteractionResult
        ``table``: the interaction model (index ``term``; terms ``<treatment_col>``,
        ``<marker_col>[level]``, ``<treatment_col>:<marker_col>[level]`` and the covariates;
        columns as :func:`fit_cox`). ``subgroups``: ``marker_level, n_obs, n_events,
        n_treated, n_control, hr, ci_lower, ci_upper, p_value`` (treatment HR within the
        level, Wald) and ``rmst_treated, rmst_control, rmst_difference, rmst_std_error,
        rmst_ci_lower, rmst_ci_upper``. Scalars ``interaction_statistic, interaction_df,
        interaction_p_value`` (likelihood ratio), ``wald_statistic, wald_p_value``,
        ``rmst_statistic, rmst_p_value``, ``tau``, ``control``, ``treated``. ``.plot()``
        draws the subgroup forest plot.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.trials import marker_treatment_interaction
    >>> rng = np.random.default_rng(3)
    >>> n = 400
    >>> df = pd.DataFrame({"arm": rng.integers(0, 2, n), "ctc_positive": rng.integers(0, 2, n)})
    >>> lp = 0.7 * df.ctc_positive - 0.5 * df.arm * df.ctc_positive
    >>> t = rng.exponential(24 / np.exp(lp))
    >>> df["os_months"], df["os_event"] = np.minimum(t, 36).round(1), (t < 36).astype(int)
    >>> res = marker_treatment_interaction(df, time_col="os_months", event_col="os_event",
    ...                                    marker_col="ctc_positive", treatment_col="arm")
    >>> list(res.subgroups["marker_level"])
    [0, 1]
    >>> 0 <= res.interaction_p_value <= 1
    True
    """
    func = "marker_treatment_interaction"
    covs = _covariate_list(covariates, func)
    cl = check_conf_level(conf_level, func=func)
    for c in covs:
        if c in (marker_col, treatment_col):
            raise ParameterError(
                f"The 'covariates' parameter of {func} must not repeat marker_col or "
                f"treatment_col; got {c!r} in covariates."
            )
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "time_col": time_col, "event_col": event_col, "marker_col": marker_col,
        "treatment_col": treatment_col, "covariates": covs, "strata_col": strata_col})
    frame = prep.frame
    time = check_time_column(frame, time_col)
    check_event_column(frame, event_col)
    control, treated = _two_levels(frame, treatment_col, func)
    levels = _marker_levels(frame, marker_col, func)
    arm = frame[treatment_col].to_numpy(dtype=object)
    mk = frame[marker_col].to_numpy(dtype=object)
    for lev in levels:
        for a in (control, treated):
            if not np.any((mk == lev) & (arm == a)):
                raise DataValidationError(
                    f"marker_col {marker_col!r} level {lev!r} has no patient in arm {a!r} of "
                    f"treatment_col {treatment_col!r}; the treatment effect in that subgroup "
                    "cannot be estimated — merge marker levels or drop the level."
                )
    if tau is None:
        tau_v = _default_tau(time, arm, mk)
    else:
        tau_v = check_real(tau, name="tau", func=func, low=0.0, low_inclusive=False)
    design, names, main, inter = _design_frame(
        frame, time_col, event_col, treatment_col, marker_col, covs, strata_col, treated, levels)
    msgs: list[str] = []
    full = _fit(design, time_col, event_col, ["__trt", *main, *inter, *covs], strata_col)
    reduced = _fit(design, time_col, event_col, ["__trt", *main, *covs], strata_col)
    msgs.extend(full.warnings)
    lr = max(2.0 * (full.loglik - reduced.loglik), 0.0)
    df_int = float(len(inter))
    b = full.table.loc[inter, "coef"].to_numpy(float)
    v = full.covariance.loc[inter, inter].to_numpy(float)
    wald = float(b @ np.linalg.solve(v, b))
    rows = []
    z = stats.norm.ppf(0.5 + cl / 2)
    for lev in levels:
        sub = design.loc[mk == lev]
        fit = _fit(sub, time_col, event_col, ["__trt", *covs], strata_col)
        msgs.extend(f"marker level {lev!r}: {w}" for w in fit.warnings)
        km = kaplan_meier(sub, time_col=time_col, event_col=event_col, group_col="__arm",
                          conf_level=cl)
        with capture() as caught:
            rm = km.rmst(tau_v).set_index("group")
        msgs.extend(caught.messages(f"marker level {lev!r}"))
        d = float(rm.loc[treated, "rmst"] - rm.loc[control, "rmst"])
        se = float(np.hypot(rm.loc[treated, "std_error"], rm.loc[control, "std_error"]))
        t = fit.table.loc["__trt"]
        rows.append({
            "marker_level": lev, "n_obs": int(sub.shape[0]), "n_events": fit.n_events,
            "n_treated": int(sub["__trt"].sum()), "n_control": int((1 - sub["__trt"]).sum()),
            "hr": float(t["hr"]), "ci_lower": float(t["ci_lower"]),
            "ci_upper": float(t["ci_upper"]), "p_value": float(t["p_value"]),
            "rmst_treated": float(rm.loc[treated, "rmst"]),
            "rmst_control": float(rm.loc[control, "rmst"]), "rmst_difference": d,
            "rmst_std_error": se, "rmst_ci_lower": d - z * se, "rmst_ci_upper": d + z * se,
        })
    sg = pd.DataFrame(rows, columns=_SUBGROUP_COLUMNS)
    w = 1.0 / sg["rmst_std_error"].to_numpy(float) ** 2
    dd = sg["rmst_difference"].to_numpy(float)
    q = float(np.sum(w * (dd - np.sum(w * dd) / np.sum(w)) ** 2))
    for m in msgs:
        warnings.warn(m, DataWarning, stacklevel=2)
    return InteractionResult(
        table=_rename_table(full.table, names), subgroups=sg, interaction_statistic=lr,
        interaction_df=df_int, interaction_p_value=float(stats.chi2.sf(lr, df_int)),
        wald_statistic=wald, wald_p_value=float(stats.chi2.sf(wald, df_int)),
        rmst_statistic=q, rmst_p_value=float(stats.chi2.sf(q, len(levels) - 1)), tau=tau_v,
        treatment_col=treatment_col, marker_col=marker_col, control=control, treated=treated,
        conf_level=cl, n_obs=prep.n_obs, n_events=full.n_events, n_dropped=prep.n_dropped,
        warnings=tuple(prep.notes) + tuple(msgs),
    )


# =========================================================================== non-inferiority
def noninferiority_test(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    treatment_col: str,
    covariates: Sequence[str] | None = None,
    strata_col: str | None = None,
    margin: float = 1.25,
    conf_level: float = 0.90,
    missing: Literal["raise", "drop"] = "raise",
) -> NonInferiorityResult:
    """Non-inferiority of the treated arm: is the upper confidence limit of its HR below a margin?

    The hazard ratio (treated vs control, higher = worse) of R ``coxph(Surv(time, event) ~
    treatment + covariates + strata(s))`` with its two-sided ``conf_level`` Wald interval;
    non-inferiority is declared when the upper limit is below ``margin``. The one-sided test
    of H0: HR ≥ margin has z = (log HR − log margin)/SE and p = Φ(z). STIC CTC (Bidard et al.,
    JAMA Oncol 2021) used margin 1.25 on the upper limit of the 90% CI (the defaults).

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    treatment_col : str
        Two arms; the first level (0, False, or a Categorical's first category) is the
        standard (control) arm, the second the arm to be shown non-inferior.
    covariates : list of str, optional
    strata_col : str, optional
    margin : float, default 1.25
        Non-inferiority margin on the hazard-ratio scale (> 1).
    conf_level : float, default 0.90
        Two-sided level of the interval whose upper limit is compared with the margin.
    missing : {"raise", "drop"}

    Returns
    -------
    NonInferiorityResult
        ``hr, ci_lower, ci_upper, log_hr, std_error, margin, statistic, p_value,
        non_inferior``, ``table`` (the Cox model, index ``term``), ``control``, ``treated``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.trials import noninferiority_test
    >>> rng = np.random.default_rng(5)
    >>> df = pd.DataFrame({"arm": rng.integers(0, 2, 600)})
    >>> t = rng.exponential(30, 600)
    >>> df["pfs_months"], df["pfs_event"] = np.minimum(t, 40).round(2), (t < 40).astype(int)
    >>> res = noninferiority_test(df, time_col="pfs_months", event_col="pfs_event",
    ...                           treatment_col="arm", margin=1.25)
    >>> res.non_inferior == (res.ci_upper < 1.25)
    True
    """
    func = "noninferiority_test"
    covs = _covariate_list(covariates, func)
    mg = check_real(margin, name="margin", func=func, low=1.0, low_inclusive=False)
    cl = check_conf_level(conf_level, func=func)
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "time_col": time_col, "event_col": event_col, "treatment_col": treatment_col,
        "covariates": covs, "strata_col": strata_col})
    frame = prep.frame
    control, treated = _two_levels(frame, treatment_col, func)
    design = frame[[time_col, event_col, *covs] + ([strata_col] if strata_col else [])].copy()
    design["__trt"] = (frame[treatment_col].to_numpy(dtype=object) == treated).astype(float)
    fit = fit_cox(design, time_col=time_col, event_col=event_col,
                  covariates=["__trt", *covs], strata_col=strata_col, conf_level=cl)
    t = fit.table.loc["__trt"]
    b, se = float(t["coef"]), float(t["std_error"])
    zstat = (b - np.log(mg)) / se
    return NonInferiorityResult(
        table=_rename_table(fit.table, {"__trt": treatment_col}), hr=float(np.exp(b)),
        ci_lower=float(t["ci_lower"]), ci_upper=float(t["ci_upper"]), log_hr=b, std_error=se,
        margin=mg, statistic=float(zstat), p_value=float(stats.norm.cdf(zstat)),
        non_inferior=bool(t["ci_upper"] < mg), conf_level=cl, control=control,
        treated=treated, n_obs=prep.n_obs, n_events=fit.n_events, n_dropped=prep.n_dropped,
        warnings=fit.warnings,
    )


# =========================================================================== several subgroups
@result
class SubgroupForestResult(Result):
    """Treatment effect overall and within the levels of several subgrouping variables.

    ``table``: the overall row (``variable`` = ``"overall"``) then one row per level of each
    variable — ``variable, level, n_obs, n_events, hr, ci_lower, ci_upper, p_value,
    rmst_difference, interaction_p_value`` (likelihood-ratio test of that variable's
    interaction with treatment, repeated on its rows; NaN for the overall row).
    ``interactions`` holds each variable's :class:`InteractionResult`.
    """

    _title: ClassVar[str] = "Subgroup analysis of the treatment effect"

    table: pd.DataFrame
    treatment_col: str
    control: Any
    treated: Any
    tau: float
    conf_level: float = 0.95
    n_obs: int
    n_dropped: int = 0
    interactions: dict
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Forest plot: overall and per-subgroup hazard ratios, interaction p per variable."""
        from ..plotting.trials import plot_subgroups

        return plot_subgroups(self, ax=ax, **kwargs)


def treatment_subgroups(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    treatment_col: str,
    subgroup_cols: Sequence[str],
    covariates: Sequence[str] | None = None,
    strata_col: str | None = None,
    tau: float | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> SubgroupForestResult:
    """The classic trial forest plot: the treatment effect in every subgroup, with the
    interaction test of each subgrouping variable (e.g. CTC status, node status, age group).

    Each variable is analysed by :func:`marker_treatment_interaction` (R ``coxph(Surv ~
    treatment * variable + covariates)`` and ``anova``); the overall row is R ``coxph(Surv ~
    treatment + covariates)``. All use the same patients (complete cases over every column
    with ``missing="drop"``) and the same RMST horizon ``tau``.

    Parameters
    ----------
    data, time_col, event_col, treatment_col, covariates, strata_col, conf_level, missing
        As :func:`marker_treatment_interaction`.
    subgroup_cols : list of str
        Categorical subgrouping variables (at most 10 levels each).
    tau : float, optional
        RMST horizon shared by all rows; default the smallest last follow-up time over every
        variable's level × arm.

    Returns
    -------
    SubgroupForestResult
        ``table`` (columns above), ``interactions``; ``.plot()`` draws the forest.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.trials import treatment_subgroups
    >>> g = np.random.default_rng(8)
    >>> n = 500
    >>> df = pd.DataFrame({"arm": g.integers(0, 2, n), "ctc_positive": g.integers(0, 2, n),
    ...                    "node_positive": g.integers(0, 2, n)})
    >>> t = g.exponential(20 / np.exp(0.5 * df.ctc_positive - 0.4 * df.arm))
    >>> df["months"], df["event"] = np.minimum(t, 30), (t < 30).astype(int)
    >>> res = treatment_subgroups(df, time_col="months", event_col="event", treatment_col="arm",
    ...                           subgroup_cols=["ctc_positive", "node_positive"])
    >>> list(res.table["variable"])
    ['overall', 'ctc_positive', 'ctc_positive', 'node_positive', 'node_positive']
    """
    func = "treatment_subgroups"
    if isinstance(subgroup_cols, str) or not isinstance(subgroup_cols, Sequence) \
            or not subgroup_cols:
        raise ParameterError(
            f"The 'subgroup_cols' parameter of {func} must be a non-empty list of column "
            f"names; got {subgroup_cols!r}.")
    covs = _covariate_list(covariates, func)
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "time_col": time_col, "event_col": event_col, "treatment_col": treatment_col,
        "subgroup_cols": list(subgroup_cols), "covariates": covs, "strata_col": strata_col})
    frame = prep.frame
    time = check_time_column(frame, time_col)
    arm = frame[treatment_col].to_numpy(dtype=object)
    if tau is None:
        tau = min(_default_tau(time, arm, frame[c].to_numpy(dtype=object))
                  for c in subgroup_cols)
    kw: dict[str, Any] = dict(time_col=time_col, event_col=event_col,
                              treatment_col=treatment_col, strata_col=strata_col, tau=tau,
                              conf_level=conf_level)
    overall = noninferiority_test(frame, time_col=time_col, event_col=event_col,
                                  treatment_col=treatment_col, covariates=covs,
                                  strata_col=strata_col, margin=2.0, conf_level=conf_level)
    rows = [{"variable": "overall", "level": "all", "n_obs": overall.n_obs,
             "n_events": overall.n_events, "hr": overall.hr, "ci_lower": overall.ci_lower,
             "ci_upper": overall.ci_upper,
             "p_value": float(2 * stats.norm.sf(abs(overall.log_hr / overall.std_error))),
             "rmst_difference": float("nan"), "interaction_p_value": float("nan")}]
    inters, msgs = {}, list(prep.notes)
    for col in subgroup_cols:
        res = marker_treatment_interaction(
            frame, marker_col=col, covariates=[c for c in covs if c != col], **kw)
        inters[col] = res
        msgs.extend(f"{col}: {w}" for w in res.warnings)
        for _, r in res.subgroups.iterrows():
            rows.append({"variable": col, "level": r["marker_level"], "n_obs": r["n_obs"],
                         "n_events": r["n_events"], "hr": r["hr"], "ci_lower": r["ci_lower"],
                         "ci_upper": r["ci_upper"], "p_value": r["p_value"],
                         "rmst_difference": r["rmst_difference"],
                         "interaction_p_value": res.interaction_p_value})
    return SubgroupForestResult(
        table=pd.DataFrame(rows), treatment_col=treatment_col, control=overall.control,
        treated=overall.treated, tau=float(tau), conf_level=float(conf_level),
        n_obs=prep.n_obs, n_dropped=prep.n_dropped, interactions=inters,
        warnings=tuple(dict.fromkeys(msgs)))
