"""DataFrame entry points of the batch engine: Cox and log-rank for every replicate of a long
table (one row per patient per replicate, the replicate named in ``replicate_col``).

:func:`batch_cox` and :func:`batch_logrank` validate the table once, code the covariates,
groups and strata over the whole table, split it by replicate and hand the arrays to the
engine (:func:`ctcstats.batch.cox.batch_cox_arrays`,
:func:`ctcstats.batch.logrank.batch_logrank_arrays` — the array-level functions that power
simulation and the bootstrap call directly for speed). Each replicate's result equals
:func:`ctcstats.fit_cox` / :func:`ctcstats.logrank_test` on that replicate's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._validation import (
    check_choice,
    check_event_column,
    check_int,
    check_intervals,
    check_numeric_column,
    check_time_column,
    design_matrix,
    group_levels,
    prepare_frame,
)
from ..errors import DataValidationError, ParameterError
from ..survival._core.newton import EPS
from ._layout import pad_ragged
from .cox import BatchCoxResult, batch_cox_arrays
from .logrank import BatchLogrankResult, batch_logrank_arrays

__all__ = ["batch_cox", "batch_logrank"]


def _split(frame: pd.DataFrame, replicate_col: str):
    """Replicate labels (sorted) and, per replicate, the positions of its rows."""
    labels = group_levels(frame[replicate_col])
    codes = pd.Categorical(frame[replicate_col], categories=labels).codes
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    return np.asarray(labels), [order[bounds[i]:bounds[i + 1]] for i in range(len(labels))]


def _codes(frame: pd.DataFrame, col: str) -> np.ndarray:
    levels = group_levels(frame[col])
    return pd.Categorical(frame[col], categories=levels).codes.astype(np.int64)


def batch_cox(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    replicate_col: str = "replicate",
    start_col: str | None = None,
    strata_col: str | None = None,
    weights_col: str | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    max_iter: int = 20,
    tol: float = EPS,
    missing: Literal["raise", "drop"] = "raise",
) -> BatchCoxResult:
    """Cox model fitted to every replicate of a long table at once.

    Each replicate's fit equals ``fit_cox(data[data[replicate_col] == r], time_col=...,
    event_col=..., covariates=..., strata_col=..., ties=...)`` (R ``coxph``: Efron or Breslow
    ties, R's ``timefix`` per replicate), computed for all replicates together by the batch
    engine — the way to fit thousands of simulated cohorts, bootstrap resamples or
    permutations.

    Parameters
    ----------
    data : DataFrame
        One row per patient per replicate.
    time_col, event_col : str
        Follow-up time (≥ 0) and event indicator (0/1).
    covariates : list of str
        Model terms: numeric or boolean columns as they are; other columns (strings, pandas
        Categorical) become indicator terms ``col[level]`` against the first level of the
        whole table (a replicate without some level then has a singular, NaN coefficient for
        it, where ``fit_cox`` on that replicate alone would drop the term).
    replicate_col : str, default "replicate"
        The replicate of each row; results are in the sorted order of its values.
    start_col : str, optional
        Start of the row's at-risk interval (start, stop] with ``time_col`` its end
        (counting-process data: delayed entry, time-dependent covariates); each replicate's
        fit equals ``fit_cox(..., start_col=)`` on its rows (R ``coxph(Surv(start, stop,
        event) ~ ...)``; model-based standard errors).
    strata_col : str, optional
        Risk sets are formed within strata (R ``strata()``).
    weights_col : str, optional
        Case counts ≥ 0 (a weight of 2 is the row twice, e.g. a bootstrap resample given as
        counts; 0 leaves the row out): the fit equals ``fit_cox`` on the rows repeated.
    ties : {"efron", "breslow"}
    max_iter, tol : int, float
        Newton–Raphson iteration limit and convergence criterion
        ``|1 − loglik_old / loglik_new| ≤ tol`` (R ``coxph.control(iter.max, eps)``).
    missing : {"raise", "drop"}

    Returns
    -------
    BatchCoxResult
        Arrays indexed by replicate (in ``replicates`` order) then term (``terms``):
        ``coef, std_error, z, p_value`` (R, p) as ``fit_cox(...).table``; ``var`` (R, p, p);
        ``loglik, loglik_null, score_test, n_iter, converged, monotone, n_events`` (R,);
        ``to_frame(term)`` gives ``replicate, coef, std_error, z, p_value, loglik, n_events,
        n_iter, converged, monotone`` for one term. On the shared result base: ``n_obs``
        (rows of ``data`` analysed), ``n_dropped``, ``warnings`` (replicates that did not
        converge or have a monotone likelihood), ``to_dict()``, HTML display.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> g = np.random.default_rng(1)
    >>> long = pd.DataFrame({"replicate": np.repeat([0, 1, 2], 200),
    ...                      "ctc_positive": g.integers(0, 2, 600)})
    >>> t = g.exponential(1 / np.exp(0.5 * long["ctc_positive"]))
    >>> long["os_months"], long["os_event"] = np.round(t, 1), 1
    >>> res = cs.batch_cox(long, time_col="os_months", event_col="os_event",
    ...                    covariates=["ctc_positive"])
    >>> res.coef.shape, res.terms
    ((3, 1), ('ctc_positive',))
    """
    func = "batch_cox"
    check_choice(ties, name="ties", choices=("efron", "breslow"), func=func)
    max_iter = check_int(max_iter, name="max_iter", func=func, minimum=0)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
        raise ParameterError(f"The 'tol' parameter of {func} must be a positive number; "
                             f"got {tol!r}.")
    cov_list = [covariates] if isinstance(covariates, str) else list(covariates)
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "time_col": time_col, "event_col": event_col, "covariates": cov_list,
        "replicate_col": replicate_col, "strata_col": strata_col, "weights_col": weights_col,
        "start_col": start_col})
    frame = prep.frame
    time = check_time_column(frame, time_col, role="time_col")
    start = None if start_col is None else check_intervals(frame, start_col=start_col,
                                                           time_col=time_col, stop=time)
    event = check_event_column(frame, event_col, role="event_col")
    X, terms = design_matrix(frame, covariates, func=func)
    strata = None if strata_col is None else _codes(frame, strata_col)
    weights = None
    if weights_col is not None:
        weights = check_numeric_column(frame, weights_col, role="weights_col")
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise DataValidationError(
                f"weights_col {weights_col!r} must hold finite case counts ≥ 0; found "
                f"{int(np.sum(~(weights >= 0)))} negative or non-finite values.")
    labels, parts = _split(frame, replicate_col)
    res = batch_cox_arrays(
        [time[i] for i in parts], [event[i] for i in parts], [X[i] for i in parts],
        strata=None if strata is None else [strata[i] for i in parts],
        weights=None if weights is None else [weights[i] for i in parts],
        start=None if start is None else [start[i] for i in parts],
        ties=ties, frequency=True, timefix=True, tol=float(tol), max_iter=max_iter)
    return _relabel(res, prep, replicates=labels, terms=tuple(terms))


def batch_logrank(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    group_col: str,
    replicate_col: str = "replicate",
    strata_col: str | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    missing: Literal["raise", "drop"] = "raise",
) -> BatchLogrankResult:
    """Log-rank test of every replicate of a long table at once.

    Each replicate's test equals ``logrank_test(data[data[replicate_col] == r], time_col=...,
    event_col=..., group_col=..., strata_col=..., rho=..., gamma=...)`` (R ``survdiff``),
    computed for all replicates together by the batch engine.

    Parameters
    ----------
    data : DataFrame
        One row per patient per replicate.
    time_col, event_col : str
    group_col : str
        The groups compared; their order is that of the whole table (sorted labels, or a
        Categorical's categories), as ``logrank_test``; with two groups ``log_hr`` is that of
        the second group against the first.
    replicate_col : str, default "replicate"
        The replicate of each row; results are in the sorted order of its values.
    strata_col : str, optional
        Stratified test (observed, expected and variance summed over strata).
    rho, gamma : float
        Fleming–Harrington weights S(t−)^rho (1 − S(t−))^gamma of the pooled Kaplan–Meier.
    missing : {"raise", "drop"}

    Returns
    -------
    BatchLogrankResult
        Arrays indexed by replicate (in ``replicates`` order): ``statistic, df, p_value``,
        ``observed, expected`` (R, k) and ``variance`` (R, k, k) in ``groups`` order,
        ``log_hr`` and ``std_error`` (two groups), ``n_events``; ``to_frame()`` gives
        ``replicate, statistic, df, p_value, log_hr, std_error, n_events``. On the shared
        result base: ``n_obs`` (rows of ``data`` analysed), ``n_dropped``, ``warnings``,
        ``to_dict()``, HTML display.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> g = np.random.default_rng(0)
    >>> long = pd.DataFrame({"replicate": np.repeat(np.arange(4), 100),
    ...                      "ctc_positive": g.integers(0, 2, 400)})
    >>> long["os_months"] = np.round(g.exponential(1 / np.exp(0.7 * long["ctc_positive"])), 2)
    >>> long["os_event"] = 1
    >>> res = cs.batch_logrank(long, time_col="os_months", event_col="os_event",
    ...                        group_col="ctc_positive")
    >>> res.statistic.shape, res.groups
    ((4,), (0, 1))
    """
    func = "batch_logrank"
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "time_col": time_col, "event_col": event_col, "group_col": group_col,
        "replicate_col": replicate_col, "strata_col": strata_col})
    frame = prep.frame
    time = check_time_column(frame, time_col, role="time_col")
    event = check_event_column(frame, event_col, role="event_col")
    levels = group_levels(frame[group_col])
    if len(levels) < 2:
        raise DataValidationError(
            f"group_col {group_col!r} has a single level ({levels[0]!r}); {func} needs at "
            "least two groups.")
    group = pd.Categorical(frame[group_col], categories=levels).codes.astype(np.int64)
    strata = None if strata_col is None else _codes(frame, strata_col)
    for name, v in (("rho", rho), ("gamma", gamma)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
            raise ParameterError(f"The {name!r} parameter of {func} must be a finite number "
                                 f"≥ 0; got {v!r}.")
    labels, parts = _split(frame, replicate_col)
    # ragged replicates padded with weight-0 rows; the group codes travel as a column
    _, t2, e2, cols, s2, w2 = pad_ragged(
        [time[i] for i in parts], [event[i] for i in parts],
        [group[i].astype(float)[:, None] for i in parts],
        None if strata is None else [strata[i] for i in parts], None, func)
    res = batch_logrank_arrays(t2, e2, cols[0].astype(np.int64), n_groups=len(levels),
                               strata=s2, weights=w2, rho=float(rho), gamma=float(gamma))
    return _relabel(res, prep, replicates=labels, groups=tuple(_plain(v) for v in levels))


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _relabel(res, prep, **fields):
    """The engine's result with the table's labels, its row counts and the validation notes."""
    import dataclasses

    return dataclasses.replace(res, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
                               warnings=tuple(prep.notes) + tuple(res.warnings), **fields)
