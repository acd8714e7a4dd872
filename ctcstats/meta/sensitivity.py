"""Sensitivity of a meta-analysis: subgroups, leave-one-out and small-study effects.

* :func:`subgroup_meta_analysis` — a separate model (own τ²) per subgroup, and the
  between-subgroup test Q_b = Σ_g (μ̂_g − μ̂)² / SE_g² on G − 1 df (the fixed-effect Q of the
  subgroup estimates; ``meta::update(..., subgroup=, tau.common=FALSE)`` and RevMan compute the
  same), e.g. by assay, stage or blood-draw time point.
* :func:`leave_one_out` — as ``metafor::leave1out``.
* :func:`egger_test` — as ``metafor::regtest``: the standard error as a moderator in a
  meta-regression fitted with the same method (``model="rma"``, default), or the classical
  weighted regression of Egger et al. 1997 (``model="lm"``, t on k − 2 df).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import check_choice, check_conf_level, prepare_frame
from .._warnings import Recorded, capture, emit
from ..errors import DataValidationError, SmallSampleWarning
from .pooling import check_study_labels, estimate_tau2, meta_analysis, weighted_least_squares

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "EggerResult",
    "SubgroupMetaResult",
    "egger_test",
    "leave_one_out",
    "subgroup_meta_analysis",
]


@result
class SubgroupMetaResult(Result):
    """Per-subgroup pooled estimates and the between-subgroup test.

    ``table`` columns: ``subgroup, k, estimate, std_error, ci_lower, ci_upper, tau2, i2, q,
    q_p_value``; ``overall`` is the meta-analysis of all studies; ``q_between``,
    ``q_between_df``, ``q_between_p_value`` the test of equal subgroup effects.
    """

    _title: ClassVar[str] = "Subgroup meta-analysis"

    method: str
    q_between: float
    q_between_df: float
    q_between_p_value: float
    table: pd.DataFrame
    overall: object
    subgroups: dict
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_items(self):
        return [(k, v) for k, v in super()._summary_items() if k != "overall"]

    def plot(self, ax: Axes | None = None, *, exponentiate: bool = True) -> Axes:
        """Forest plot with a header, the studies and a subtotal diamond per subgroup, the
        overall diamond and the test for subgroup differences."""
        from ..plotting.meta import plot_forest_subgroups

        return plot_forest_subgroups(self, ax=ax, exponentiate=exponentiate)


@result
class EggerResult(Result):
    """Regression test for funnel-plot asymmetry (``metafor::regtest``).

    ``statistic`` is z (``model="rma"``) or t (``model="lm"``, ``df = k − 2``);
    ``limit_estimate`` is the intercept — the effect as the standard error → 0 — with its CI.
    """

    _title: ClassVar[str] = "Egger's regression test"

    model: str
    method: str
    statistic: float
    df: float
    p_value: float
    limit_estimate: float
    limit_ci_lower: float
    limit_ci_upper: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def subgroup_meta_analysis(
    data: pd.DataFrame,
    *,
    estimate_col: str,
    std_error_col: str,
    subgroup_col: str,
    study_col: str | None = None,
    method: Literal["fixed", "dl", "reml", "pm"] = "reml",
    test: Literal["z", "knha"] = "z",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> SubgroupMetaResult:
    """Meta-analysis within each subgroup and a test of differences between subgroups.

    Each subgroup gets its own model (and its own τ²) via :func:`meta_analysis`; a subgroup
    with a single study keeps that study's estimate. The between-subgroup statistic is the
    fixed-effect Q of the subgroup estimates (R: ``rma(yi = est_g, sei = se_g,
    method = "FE")$QE``).

    Returns
    -------
    SubgroupMetaResult
        ``table`` with ``subgroup, k, estimate, std_error, ci_lower, ci_upper, tau2, i2, q,
        q_p_value``; ``q_between, q_between_df, q_between_p_value``; ``overall``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> d = pd.DataFrame({"log_hr": np.log([1.8, 2.1, 1.6, 2.9, 3.4, 2.5]),
    ...                   "se": [0.11, 0.18, 0.2, 0.25, 0.3, 0.22],
    ...                   "setting": ["early"] * 3 + ["metastatic"] * 3})
    >>> res = cs.subgroup_meta_analysis(d, estimate_col="log_hr", std_error_col="se",
    ...                                 subgroup_col="setting", method="dl", test="knha")
    >>> res.table["subgroup"].tolist()
    ['early', 'metastatic']
    """
    func = "subgroup_meta_analysis"
    check_choice(method, name="method", choices=("fixed", "dl", "reml", "pm"), func=func)
    level = check_conf_level(conf_level, func=func)
    prep = prepare_frame(
        data, func=func,
        roles={"estimate_col": estimate_col, "std_error_col": std_error_col,
               "subgroup_col": subgroup_col, "study_col": study_col},
        missing=missing,
    )
    frame = prep.frame
    check_study_labels(frame, study_col, func=func)
    levels = sorted(pd.unique(frame[subgroup_col]), key=str)
    if len(levels) < 2:
        raise DataValidationError(
            f"subgroup_col {subgroup_col!r} has a single level ({levels[0]!r}); a subgroup "
            "analysis needs at least two subgroups."
        )
    z = stats.norm.ppf(1 - (1 - level) / 2)
    rows, fits = [], {}
    collected: list[Recorded] = []
    for g in levels:
        sub = frame.loc[frame[subgroup_col] == g]
        if len(sub) == 1:
            est = float(sub[estimate_col].iloc[0])
            se = float(sub[std_error_col].iloc[0])
            rows.append({"subgroup": g, "k": 1, "estimate": est, "std_error": se,
                         "ci_lower": est - z * se, "ci_upper": est + z * se,
                         "tau2": math.nan, "i2": math.nan, "q": math.nan,
                         "q_p_value": math.nan})
            continue
        with capture() as caught:
            fit = meta_analysis(sub, estimate_col=estimate_col, std_error_col=std_error_col,
                                study_col=study_col, method=method, test=test,
                                conf_level=level)
        collected += caught.records(f"subgroup {g!r}")
        fits[g] = fit
        rows.append({"subgroup": g, "k": fit.k, "estimate": fit.estimate,
                     "std_error": fit.std_error, "ci_lower": fit.ci_lower,
                     "ci_upper": fit.ci_upper, "tau2": fit.tau2, "i2": fit.i2, "q": fit.q,
                     "q_p_value": fit.q_p_value})
    table = pd.DataFrame(rows)
    w = 1.0 / table["std_error"].to_numpy() ** 2
    est = table["estimate"].to_numpy()
    mu = np.sum(w * est) / np.sum(w)
    qb = float(np.sum(w * (est - mu) ** 2))
    dfb = len(levels) - 1
    with capture() as caught:
        overall = meta_analysis(frame, estimate_col=estimate_col, std_error_col=std_error_col,
                                study_col=study_col, method=method, test=test,
                                conf_level=level)
    collected += caught.records("overall")
    messages = emit(collected)
    return SubgroupMetaResult(
        method=method, q_between=qb, q_between_df=float(dfb),
        q_between_p_value=float(stats.chi2.sf(qb, dfb)), table=table, overall=overall,
        subgroups=fits, n_obs=prep.n_obs, n_dropped=prep.n_dropped, warnings=messages,
    )


def leave_one_out(
    data: pd.DataFrame,
    *,
    estimate_col: str,
    std_error_col: str,
    study_col: str | None = None,
    method: Literal["fixed", "dl", "reml", "pm"] = "reml",
    test: Literal["z", "knha"] = "z",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Refit the meta-analysis leaving out each study in turn (``metafor::leave1out``).

    Returns
    -------
    DataFrame
        One row per omitted study: ``study, estimate, std_error, ci_lower, ci_upper, z,
        p_value, q, q_p_value, tau2, i2, h2``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> d = pd.DataFrame({"study": list("ABCD"), "log_hr": np.log([1.8, 2.1, 1.6, 2.9]),
    ...                   "se": [0.11, 0.18, 0.2, 0.25]})
    >>> cs.leave_one_out(d, estimate_col="log_hr", std_error_col="se", study_col="study",
    ...                  method="fixed")["study"].tolist()
    ['A', 'B', 'C', 'D']
    """
    func = "leave_one_out"
    prep = prepare_frame(
        data, func=func,
        roles={"estimate_col": estimate_col, "std_error_col": std_error_col,
               "study_col": study_col},
        missing=missing,
    )
    frame = prep.frame
    check_study_labels(frame, study_col, func=func)
    if len(frame) < 3:
        raise DataValidationError(
            f"leave_one_out needs at least 3 studies (each refit keeps ≥ 2); got {len(frame)}."
        )
    import warnings

    rows = []
    labels = frame[study_col].astype(str).tolist() if study_col else [str(i) for i in frame.index]
    n = len(frame)
    for i, lab in enumerate(labels):
        sub = frame.iloc[np.flatnonzero(np.arange(n) != i)]  # by position: labels may repeat
        with warnings.catch_warnings():
            # the few-studies note is about each refit, not a problem of the caller's data
            warnings.simplefilter("ignore")
            fit = meta_analysis(sub, estimate_col=estimate_col, std_error_col=std_error_col,
                                method=method, test=test, conf_level=conf_level)
        rows.append({"study": lab, "estimate": fit.estimate, "std_error": fit.std_error,
                     "ci_lower": fit.ci_lower, "ci_upper": fit.ci_upper, "z": fit.z,
                     "p_value": fit.p_value, "q": fit.q, "q_p_value": fit.q_p_value,
                     "tau2": fit.tau2, "i2": fit.i2, "h2": fit.h2})
    return pd.DataFrame(rows)


def egger_test(
    data: pd.DataFrame,
    *,
    estimate_col: str,
    std_error_col: str,
    model: Literal["rma", "lm"] = "rma",
    method: Literal["fixed", "dl", "reml", "pm"] = "reml",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> EggerResult:
    """Regression test for funnel-plot asymmetry, as ``metafor::regtest(rma(...))``.

    ``model="rma"`` adds the standard error as a moderator to the meta-analytic model fitted
    with *method* and tests its coefficient with z; ``model="lm"`` is Egger's weighted
    regression (weights 1/SE²) tested with t on k − 2 df. The intercept is the "limit
    estimate" as SE → 0.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> rng = np.random.default_rng(1)
    >>> se = rng.uniform(0.1, 0.4, 12)
    >>> d = pd.DataFrame({"log_hr": rng.normal(0.6, se), "se": se})
    >>> res = cs.egger_test(d, estimate_col="log_hr", std_error_col="se", model="lm")
    >>> 0 <= res.p_value <= 1
    True
    """
    func = "egger_test"
    check_choice(model, name="model", choices=("rma", "lm"), func=func)
    check_choice(method, name="method", choices=("fixed", "dl", "reml", "pm"), func=func)
    level = check_conf_level(conf_level, func=func)
    prep = prepare_frame(
        data, func=func, roles={"estimate_col": estimate_col, "std_error_col": std_error_col},
        missing=missing,
    )
    y = prep.frame[estimate_col].to_numpy(float)
    se = prep.frame[std_error_col].to_numpy(float)
    k = len(y)
    if k < 3:
        raise DataValidationError(f"egger_test needs at least 3 studies; got {k}.")
    if np.any(se <= 0):
        raise DataValidationError(f"std_error_col {std_error_col!r} must be > 0 in every row.")
    if np.ptp(se) <= 1e-12 * np.max(se):
        raise DataValidationError(
            f"std_error_col {std_error_col!r} has the same value ({se[0]:g}) for every study; "
            "Egger's test regresses the estimates on their standard errors, which needs "
            "studies of different precision — with equal standard errors funnel-plot "
            "asymmetry cannot be assessed.")
    v = se**2
    X = np.column_stack([np.ones(k), se])
    warns: list[str] = []
    if k < 10:
        warns.append(
            f"only {k} studies: tests for funnel-plot asymmetry have little power below 10 "
            "studies (Sterne et al. 2011)."
        )
    if model == "lm":
        beta, vb, w, P, rss = weighted_least_squares(y, v, X, 0.0)
        sigma2 = rss / (k - 2)  # lm with weights 1/v estimates a residual scale
        cov = vb * sigma2
        df = float(k - 2)
        stat = float(beta[1] / math.sqrt(cov[1, 1]))
        p = float(2 * stats.t.sf(abs(stat), df))
        crit = float(stats.t.ppf(1 - (1 - level) / 2, df))
    else:
        tau2 = estimate_tau2(y, v, X, method)
        beta, cov, *_ = weighted_least_squares(y, v, X, tau2)
        df = math.inf
        stat = float(beta[1] / math.sqrt(cov[1, 1]))
        p = float(2 * stats.norm.sf(abs(stat)))
        crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    b0, s0 = float(beta[0]), math.sqrt(cov[0, 0])
    import warnings

    for msg in warns:
        warnings.warn(msg, SmallSampleWarning, stacklevel=2)
    return EggerResult(
        model=model, method=method if model == "rma" else "lm", statistic=stat, df=df,
        p_value=p, limit_estimate=b0, limit_ci_lower=b0 - crit * s0,
        limit_ci_upper=b0 + crit * s0, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        warnings=tuple(warns),
    )

