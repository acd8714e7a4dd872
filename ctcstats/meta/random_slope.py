"""Between-study variation of a marker's hazard ratio: a random marker slope across studies.

:func:`random_marker_slope` fits the piecewise-exponential (Poisson) equivalent of a Cox model
with a study-specific baseline level and a study-specific marker effect: follow-up is split at
``n_intervals − 1`` quantiles of the event times (R ``survSplit``), and

    events ~ Poisson(exposure · exp(α_interval + β·marker + covariates + a_s + b_s·marker)),
    (a_s, b_s) ~ N(0, D),

the model of R ``lme4::glmer(event ~ factor(interval) + marker + covariates +
offset(log(exposure)) + (1 + marker | study), family = poisson)`` (Laplace). The fit is the
package's count mixed model (:func:`ctcstats.fit_count_mixed_model` with the marker in the role
of its random-slope variable and the study as the grouping). β is the pooled log hazard ratio,
SD(b) = τ the between-study standard deviation of the log hazard ratio, and the prediction
interval ``β ± z sqrt(SE(β)² + τ²)`` says where the log hazard ratio of a new study is
expected to lie (Riley, Higgins & Deeks, BMJ 2011; normal quantiles as in metafor's
``predict``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import (
    check_conf_level,
    check_event_column,
    check_int,
    check_numeric_column,
    check_time_column,
    group_levels,
    prepare_frame,
)
from .._warnings import capture
from ..errors import DataValidationError
from ..survival.cox import split_episodes

__all__ = ["RandomSlopeResult", "random_marker_slope", "split_at_event_quantiles"]


@result
class RandomSlopeResult(Result):
    """Random marker slope across studies (see :func:`random_marker_slope`).

    ``log_hr, std_error, hr, ci_lower, ci_upper`` (pooled effect of the marker);
    ``tau`` (between-study SD of the log HR) and ``pi_lower, pi_upper`` (prediction interval of
    a new study's HR); ``sd_intercept`` and ``correlation`` of the study levels; ``studies``:
    ``study, n_obs, n_events, log_hr, hr`` (fixed + random slope of each study); ``table`` the
    fixed effects and ``variance`` the random-effect SDs of the Poisson mixed model;
    ``cuts`` the interval boundaries.
    """

    _title: ClassVar[str] = "Random marker slope across studies (Poisson GLMM on split data)"

    log_hr: float
    std_error: float
    hr: float
    ci_lower: float
    ci_upper: float
    tau: float
    pi_lower: float
    pi_upper: float
    sd_intercept: float
    correlation: float
    studies: pd.DataFrame
    table: pd.DataFrame
    variance: pd.DataFrame
    cuts: tuple[float, ...]
    marker_col: str
    loglik: float
    conf_level: float = 0.95
    n_obs: int
    n_dropped: int = 0
    model: Any = None
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("studies", self.studies), ("table", self.table), ("variance", self.variance)]


def split_at_event_quantiles(time: np.ndarray, event: np.ndarray, n_intervals: int
                             ) -> np.ndarray:
    """Interior cut points: the ``k/n_intervals`` quantiles of the event times (R type 7)."""
    ev = np.sort(np.asarray(time)[np.asarray(event) == 1])
    qs = np.quantile(ev, np.arange(1, n_intervals) / n_intervals)
    return np.unique(qs[(qs > 0) & (qs < ev.max())])


def random_marker_slope(
    data: pd.DataFrame,
    *,
    study_col: str,
    time_col: str,
    event_col: str,
    marker_col: str,
    covariates: Sequence[str] = (),
    n_intervals: int = 6,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> RandomSlopeResult:
    """How much does the marker's hazard ratio vary between studies? (random slope, Poisson GLMM)

    Parameters
    ----------
    data : DataFrame
        Individual patient data of all studies.
    study_col, time_col, event_col : str
    marker_col : str
        Numeric marker (e.g. ``ctc_positive`` 0/1, or ``log1p`` of the count).
    covariates : list of str, optional
        Numeric adjustment covariates (fixed effects).
    n_intervals : int, default 6
        Pieces of the piecewise-constant baseline hazard (cut at event-time quantiles).
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    RandomSlopeResult
        Pooled ``log_hr``/``hr`` with CI, ``tau`` and the prediction interval, per-study
        ``studies`` table, the mixed model's ``table``/``variance`` (R ``glmer`` on
        ``survSplit`` data; ``tests/reference/random_slope``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.meta.random_slope import random_marker_slope
    >>> g = np.random.default_rng(1)
    >>> rows = []
    >>> for s in range(10):
    ...     x = g.integers(0, 2, 150)
    ...     t = g.exponential(30 / np.exp(g.normal(0, 0.4) + (0.6 + g.normal(0, 0.4)) * x))
    ...     rows.append(pd.DataFrame({"study": s, "ctc_positive": x,
    ...                               "months": np.minimum(t, 48), "event": (t < 48) * 1}))
    >>> res = random_marker_slope(pd.concat(rows), study_col="study", time_col="months",
    ...                           event_col="event", marker_col="ctc_positive")
    >>> res.pi_lower < res.ci_lower <= res.ci_upper < res.pi_upper
    True
    """
    from ..longitudinal.mixed import fit_count_mixed_model

    func = "random_marker_slope"
    cl = check_conf_level(conf_level, func=func)
    k = check_int(n_intervals, name="n_intervals", func=func, minimum=1)
    covs = list(covariates)
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "study_col": study_col, "time_col": time_col, "event_col": event_col,
        "marker_col": marker_col, "covariates": covs})
    frame = prep.frame
    time = check_time_column(frame, time_col)
    event = check_event_column(frame, event_col).astype(int)
    marker = check_numeric_column(frame, marker_col, role="marker_col")
    cov_x = [check_numeric_column(frame, c, role="covariate") for c in covs]
    levels = group_levels(frame[study_col])
    if len(levels) < 3:
        raise DataValidationError(
            f"study_col {study_col!r} has {len(levels)} studies; a between-study SD needs at "
            "least 3 (better 5 or more).")
    cuts = split_at_event_quantiles(time, event, k)
    row, period, start, stop, ev = split_episodes(time, event, cuts)
    exposure = stop - np.maximum(start, 0.0)
    keep = exposure > 0
    if np.any(~keep & (ev == 1)):
        raise DataValidationError(
            f"time_col {time_col!r} has events at time 0; a piecewise-exponential model needs "
            "positive follow-up for every event — check the time origin (or add half a time "
            "unit to same-day events).")
    long = pd.DataFrame({
        "study": frame[study_col].to_numpy(dtype=object)[row], "event": ev,
        "exposure": exposure, "marker": marker[row]})
    for j in range(1, cuts.size + 1):
        long[f"interval_{j + 1}"] = (period == j).astype(float)
    for c, x in zip(covs, cov_x, strict=True):
        long[f"cov_{c}"] = x[row]
    long = long.loc[keep].reset_index(drop=True)
    fixed = [f"interval_{j + 1}" for j in range(1, cuts.size + 1)] + [f"cov_{c}" for c in covs]
    with capture() as caught:
        fit = fit_count_mixed_model(long, count_col="event", id_col="study",
                                    time_col="marker", volume_col="exposure",
                                    covariates=fixed, random="slope", kind="poisson",
                                    method="laplace", conf_level=cl)
    notes = list(caught.messages())
    categories = [w.category for w in caught]
    tab = fit.table.set_index("term")
    b = float(tab.loc["marker", "coef"])
    se = float(tab.loc["marker", "std_error"])
    var = fit.variance.set_index("term")["estimate"]
    tau = float(var.loc["sd(marker)"])
    z = float(stats.norm.ppf(0.5 + cl / 2))
    half_pi = z * float(np.sqrt(se * se + tau * tau))
    re = fit.random_effects
    slopes = re.loc[re["term"] == "marker"].set_index("id")["estimate"]
    studies = pd.DataFrame({
        "study": list(levels),
        "n_obs": [int((frame[study_col] == s).sum()) for s in levels],
        "n_events": [int(event[(frame[study_col] == s).to_numpy()].sum()) for s in levels],
        "log_hr": [b + float(slopes.get(s, np.nan)) for s in levels]})
    studies["hr"] = np.exp(studies["log_hr"])
    names = {"marker": marker_col, **{f"cov_{c}": c for c in covs}}
    table = fit.table.assign(term=fit.table["term"].map(lambda t: names.get(t, t)))
    variance = fit.variance.assign(term=fit.variance["term"].str.replace(
        "marker", marker_col, regex=False))
    for m, cat in zip(notes, categories, strict=True):
        # a posterior-mode search that failed at some trial value of the variance parameters
        # (an intermediate evaluation) does not affect a converged optimum: recorded in
        # ``warnings``, not issued again; everything else is issued
        if fit.converged and m.startswith("the posterior modes of the random effects"):
            continue
        warnings.warn(m, cat, stacklevel=2)
    return RandomSlopeResult(
        log_hr=b, std_error=se, hr=float(np.exp(b)), ci_lower=float(np.exp(b - z * se)),
        ci_upper=float(np.exp(b + z * se)), tau=tau, pi_lower=float(np.exp(b - half_pi)),
        pi_upper=float(np.exp(b + half_pi)), sd_intercept=float(var.loc["sd(intercept)"]),
        correlation=float(var.loc["cor(intercept,marker)"]), studies=studies, table=table,
        variance=variance, cuts=tuple(float(c) for c in cuts), marker_col=marker_col,
        loglik=float(fit.loglik), conf_level=cl, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        model=fit, warnings=tuple(prep.notes) + tuple(notes))
