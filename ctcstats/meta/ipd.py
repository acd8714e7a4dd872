"""Individual-patient-data pooling: two-stage and one-stage Cox analyses of several studies.

* Two-stage: :func:`study_effects` fits a Cox model in each study (Firth's penalised likelihood
  where a study has monotone likelihood, if asked) and :func:`~ctcstats.meta_analysis` pools
  the per-study log-HRs.
* One-stage: a Cox model stratified by study (each study its own baseline hazard, as Bidard
  2014 and the neoadjuvant IPD meta-analysis did), with a likelihood-ratio test of the
  study × marker interaction for heterogeneity of the marker effect.

:func:`ipd_meta_analysis` runs both and puts the estimates side by side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import (
    check_choice,
    check_conf_level,
    check_event_column,
    check_time_column,
    group_levels,
    prepare_frame,
)
from .._warnings import Recorded, call_capturing, capture, emit
from ..errors import DataValidationError, DataWarning, MonotoneLikelihoodWarning
from .pooling import MetaResult, meta_analysis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["IPDMetaResult", "ipd_meta_analysis", "study_effects"]

_EFFECT_COLUMNS = ["study", "term", "coef", "std_error", "hr", "ci_lower", "ci_upper",
                   "p_value", "n_obs", "n_events", "method", "note"]


def _fit(frame, *, time_col, event_col, covariates, ties, firth, conf_level):
    from ..survival.cox import fit_cox

    return call_capturing(fit_cox, frame, time_col=time_col, event_col=event_col,
                          covariates=covariates, ties=ties, firth=firth, conf_level=conf_level)


def study_effects(
    data: pd.DataFrame,
    *,
    study_col: str,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    firth: bool | Literal["auto"] = False,
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Per-study Cox fits — the first stage of a two-stage IPD meta-analysis.

    Each study is fitted with R ``coxph(Surv(time, event) ~ covariates, data = subset)``.
    A study where a covariate level has no events has a monotone likelihood: its ordinary
    estimate diverges. It is reported in ``note``; with ``firth="auto"`` such studies (and
    only those) are refitted with Firth's penalised likelihood, with ``firth=True`` every
    study is.

    Parameters
    ----------
    data : DataFrame
        One row per patient, with the study label in *study_col*.
    study_col, time_col, event_col : str
    covariates : sequence of str
        The marker and any adjustment covariates (categorical columns become ``col[level]``).
    firth : bool or "auto"
    ties : {"efron", "breslow"}
    conf_level : float
    missing : {"raise", "drop"}

    Returns
    -------
    DataFrame
        One row per study and term: ``study, term, coef, std_error, hr, ci_lower, ci_upper,
        p_value, n_obs, n_events, method`` (``"cox"`` or ``"firth"``), ``note``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> rng = np.random.default_rng(7)
    >>> n = 600
    >>> d = pd.DataFrame({"study": rng.choice(["A", "B", "C"], n),
    ...                   "ctc_positive": rng.integers(0, 2, n)})
    >>> t = rng.exponential(20 / np.exp(0.6 * d["ctc_positive"]))
    >>> d["os_months"], d["os_event"] = np.minimum(t, 36), (t < 36).astype(int)
    >>> eff = cs.study_effects(d, study_col="study", time_col="os_months",
    ...                        event_col="os_event", covariates=["ctc_positive"])
    >>> eff["study"].tolist()
    ['A', 'B', 'C']
    """
    func = "study_effects"
    if firth not in (True, False, "auto"):
        raise DataValidationError(
            f"The 'firth' parameter of {func} must be True, False or 'auto'; got {firth!r}."
        )
    check_choice(ties, name="ties", choices=("efron", "breslow"), func=func)
    level = check_conf_level(conf_level, func=func)
    prep = prepare_frame(
        data, func=func,
        roles={"study_col": study_col, "time_col": time_col, "event_col": event_col,
               "covariates": list(covariates)},
        missing=missing,
    )
    frame = prep.frame
    check_time_column(frame, time_col)
    check_event_column(frame, event_col)
    studies = group_levels(frame[study_col])
    rows = []
    for s in studies:
        sub = frame.loc[frame[study_col] == s]
        n_ev = int(sub[event_col].astype(int).sum())
        base = {"study": s, "n_obs": int(len(sub)), "n_events": n_ev}
        if n_ev == 0:
            rows.append({**base, "term": None, "coef": math.nan, "std_error": math.nan,
                         "hr": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                         "p_value": math.nan, "method": "none",
                         "note": "no events: not estimable"})
            continue
        try:
            res, caught = _fit(sub, time_col=time_col, event_col=event_col,
                               covariates=covariates, ties=ties, firth=firth is True,
                               conf_level=level)
        except DataValidationError as exc:
            rows.append({**base, "term": None, "coef": math.nan, "std_error": math.nan,
                         "hr": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                         "p_value": math.nan, "method": "none", "note": f"not estimable: {exc}"})
            continue
        monotone = any(issubclass(w.category, MonotoneLikelihoodWarning) for w in caught)
        method = "firth" if firth is True else "cox"
        note = "; ".join(caught.messages())
        if monotone and firth == "auto":
            res, caught2 = _fit(sub, time_col=time_col, event_col=event_col,
                                covariates=covariates, ties=ties, firth=True, conf_level=level)
            method = "firth"
            note = "monotone likelihood: refitted with Firth's penalised likelihood"
            extra = "; ".join(caught2.messages())
            note = f"{note}; {extra}" if extra else note
        for term, r in res.table.iterrows():
            rows.append({**base, "term": term, "coef": r["coef"], "std_error": r["std_error"],
                         "hr": r["hr"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                         "p_value": r["p_value"], "method": method, "note": note})
    out = pd.DataFrame(rows)
    return out.reindex(columns=_EFFECT_COLUMNS)


@result
class IPDMetaResult(Result):
    """One-stage and two-stage pooled estimates of a marker's effect.

    Attributes
    ----------
    table : DataFrame
        ``approach, estimate, std_error, hr, ci_lower, ci_upper, p_value`` for
        ``one-stage (stratified Cox)``, ``two-stage fixed`` and ``two-stage <method>``.
    effects : DataFrame
        The per-study fits (:func:`study_effects`).
    meta : MetaResult
        The two-stage random-effects meta-analysis (forest plot via ``.plot()``).
    interaction_statistic, interaction_df, interaction_p_value : float
        Likelihood-ratio test of the study × marker interaction in the one-stage model.
    """

    _title: ClassVar[str] = "IPD meta-analysis: one-stage vs two-stage"

    term: str
    table: pd.DataFrame
    effects: pd.DataFrame
    meta: MetaResult
    interaction_statistic: float
    interaction_df: float
    interaction_p_value: float
    n_studies: int
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Forest plot of the per-study HRs with the pooled diamond (two-stage)."""
        return self.meta.plot(ax=ax, **kwargs)


def ipd_meta_analysis(
    data: pd.DataFrame,
    *,
    study_col: str,
    time_col: str,
    event_col: str,
    marker_col: str,
    covariates: Sequence[str] = (),
    method: Literal["dl", "reml", "pm"] = "reml",
    test: Literal["z", "knha"] = "z",
    firth: bool | Literal["auto"] = "auto",
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> IPDMetaResult:
    """Pool a marker's effect over studies, one-stage and two-stage, and test heterogeneity.

    One-stage: R ``coxph(Surv(t, e) ~ marker + covariates + strata(study))``; heterogeneity
    of the marker effect: LR test of adding ``marker:factor(study)`` (``anova`` of the two
    fits). Two-stage: :func:`study_effects` then :func:`meta_analysis` of the marker's term
    (``rma(yi, sei, method=)``), with the fixed-effect estimate alongside.

    Parameters
    ----------
    marker_col : str
        A numeric (e.g. 0/1) marker column; its coefficient is the pooled quantity.
    covariates : sequence of str
        Adjustment covariates (the same in every study).
    method, test : str
        Random-effects estimator and test for the two-stage pooling.
    firth : bool or "auto"
        Passed to :func:`study_effects` (default: Firth only where a study's likelihood is
        monotone).

    Returns
    -------
    IPDMetaResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> rng = np.random.default_rng(11)
    >>> n = 1500
    >>> d = pd.DataFrame({"study": rng.choice(list("ABCDE"), n),
    ...                   "dtc_positive": rng.integers(0, 2, n)})
    >>> t = rng.exponential(60 / np.exp(0.6 * d["dtc_positive"]))
    >>> d["os_months"], d["os_event"] = np.minimum(t, 80), (t < 80).astype(int)
    >>> res = cs.ipd_meta_analysis(d, study_col="study", time_col="os_months",
    ...                            event_col="os_event", marker_col="dtc_positive")
    >>> res.table["approach"].tolist()
    ['one-stage (stratified Cox)', 'two-stage fixed', 'two-stage reml']
    """
    from ..survival.cox import fit_cox

    func = "ipd_meta_analysis"
    check_choice(method, name="method", choices=("dl", "reml", "pm"), func=func)
    level = check_conf_level(conf_level, func=func)
    covariates = list(covariates)
    prep = prepare_frame(
        data, func=func,
        roles={"study_col": study_col, "time_col": time_col, "event_col": event_col,
               "marker_col": marker_col, "covariates": covariates},
        missing=missing,
    )
    frame = prep.frame
    if not pd.api.types.is_numeric_dtype(frame[marker_col]):
        raise DataValidationError(
            f"marker_col {marker_col!r} must be numeric (e.g. 0/1 for marker-positive); found "
            f"dtype {frame[marker_col].dtype}."
        )
    studies = group_levels(frame[study_col])
    if len(studies) < 2:
        raise DataValidationError(
            f"study_col {study_col!r} has a single level ({studies[0]!r}); pooling needs at "
            "least two studies."
        )
    collected: list[Recorded] = []
    terms = [marker_col] + covariates
    with capture() as caught:
        one = fit_cox(frame, time_col=time_col, event_col=event_col, covariates=terms,
                      strata_col=study_col, ties=ties, conf_level=level)
        work = frame.copy()
        inter = []
        for s in studies[1:]:
            name = f"{marker_col}:{study_col}[{s}]"
            work[name] = work[marker_col].to_numpy(float) * (work[study_col] == s).to_numpy()
            in_s = (work[study_col] == s).to_numpy()
            # a study without events carries no information on its own marker effect
            if work[name].nunique() > 1 and work.loc[in_s, event_col].astype(int).sum() > 0:
                inter.append(name)
        full = fit_cox(work, time_col=time_col, event_col=event_col, covariates=terms + inter,
                       strata_col=study_col, ties=ties, conf_level=level)
    collected += caught.records("one-stage")
    lr = max(0.0, 2.0 * (full.loglik - one.loglik))
    df_int = float(np.isfinite(full.table.loc[inter, "coef"]).sum()) if inter else 0.0
    p_int = float(stats.chi2.sf(lr, df_int)) if df_int > 0 else math.nan

    effects = study_effects(frame, study_col=study_col, time_col=time_col, event_col=event_col,
                            covariates=terms, firth=firth, ties=ties, conf_level=level)
    eff = effects.loc[(effects["term"] == marker_col) & effects["std_error"].notna()]
    dropped = sorted(set(map(str, studies)) - set(map(str, eff["study"])))
    if dropped:
        collected.append(Recorded(f"studies without an estimable {marker_col} effect were left "
                                  f"out of the two-stage pooling: {', '.join(dropped)}",
                                  DataWarning))
    if len(eff) < 2:
        raise DataValidationError(
            f"fewer than two studies have an estimable {marker_col!r} effect; the two-stage "
            "analysis cannot pool them (try firth='auto')."
        )
    metas = {}
    for m in ("fixed", method):
        with capture() as caught:
            metas[m] = meta_analysis(eff, estimate_col="coef", std_error_col="std_error",
                                     study_col="study", method=m, test=test, conf_level=level,
                                     n_col="n_obs", events_col="n_events")
        collected += caught.records(f"two-stage {m}")
    row1 = one.table.loc[marker_col]
    z = stats.norm.ppf(1 - (1 - level) / 2)
    est = [row1["coef"]] + [metas[m].estimate for m in ("fixed", method)]
    se = [row1["std_error"]] + [metas[m].std_error for m in ("fixed", method)]
    lo = [row1["coef"] - z * row1["std_error"]] + [metas[m].ci_lower for m in ("fixed", method)]
    hi = [row1["coef"] + z * row1["std_error"]] + [metas[m].ci_upper for m in ("fixed", method)]
    table = pd.DataFrame({
        "approach": ["one-stage (stratified Cox)", "two-stage fixed", f"two-stage {method}"],
        "estimate": est, "std_error": se, "hr": np.exp(est), "ci_lower": np.exp(lo),
        "ci_upper": np.exp(hi),
        "p_value": [row1["p_value"]] + [metas[m].p_value for m in ("fixed", method)],
    })
    messages = emit(collected)
    return IPDMetaResult(
        term=marker_col, table=table, effects=effects, meta=metas[method],
        interaction_statistic=lr, interaction_df=df_int, interaction_p_value=p_int,
        n_studies=len(studies), n_obs=prep.n_obs, n_events=int(one.n_events),
        n_dropped=prep.n_dropped, warnings=messages,
    )
