"""Log-rank tests: k-sample, stratified, Fleming–Harrington weighted, trend and pairwise.

Matches R ``survival::survdiff`` (observed, expected, variance matrix, chi-square statistic,
degrees of freedom and p-value), including its handling of tied times (hypergeometric
variance), of groups with no expected events (left out of the test) and of almost-equal times
(``timefix``: times closer than ``sqrt(.Machine$double.eps)`` relative to the mean time are
treated as tied, and the merge is recorded as a warning).

The arithmetic is our own vectorised numpy code rather than lifelines: lifelines'
``multivariate_logrank_test`` has no strata and no test for trend, and the batch engine
needs an array-level entry point that sorts once and works over all event times at once,
without a Python loop per time. That entry point is the survival core's
(:func:`ctcstats.survival._core.logrank.logrank_arrays`), shared with the cut-point scan and
the batch engine; ties are merged by the core's one rule (relative to the time scale).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, TestResult, result
from .._validation import (
    check_choice,
    check_event_column,
    check_group_column,
    check_intervals,
    check_real,
    check_strata,
    check_time_column,
    group_levels,
    prepare_frame,
)
from ..errors import DataValidationError, DataWarning, ParameterError
from ._core.logrank import chisq_statistic, logrank_arrays
from ._core.ties import merge_message, merge_times

__all__ = ["PairwiseTestResult", "logrank_test", "pairwise_logrank_test"]

_P_ADJUST = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh", "fdr_bh": "fdr_bh",
             "none": None}


# =========================================================================== statistics
def _trend(obs, exp, var, scores) -> tuple[float, list[str]]:
    """(w'(O − E))² / (w'Vw) with df = 1."""
    u = float(scores @ (obs - exp))
    v = float(scores @ var @ scores)
    if not v > 0:
        return float("nan"), [
            "the variance of the trend score is zero (no informative event times); the test "
            "for trend is undefined."
        ]
    return u * u / v, []


def _p_value(stat: float, df: int) -> float:
    if np.isnan(stat):
        return float("nan")
    if df <= 0:
        return 1.0  # R: pchisq(0, 0, lower.tail = FALSE) is 1
    return float(stats.chi2.sf(stat, df))


# =========================================================================== frame level
@dataclass(frozen=True)
class _Prepared:
    time: np.ndarray
    event: np.ndarray
    codes: np.ndarray
    levels: list
    strata: np.ndarray | None
    numeric_group: bool
    n_obs: int
    n_dropped: int
    notes: list
    start: np.ndarray | None = None


def _codes(values: np.ndarray, levels: list) -> np.ndarray:
    codes = pd.Index(levels, dtype=object).get_indexer(pd.Index(values, dtype=object))
    return codes.astype(np.intp)


def _prepare(data, *, func, time_col, event_col, group_col, strata_col, missing,
             start_col=None) -> _Prepared:
    if strata_col is not None and strata_col == group_col:
        raise ParameterError(
            f"The 'strata_col' parameter of {func} must differ from group_col; got "
            f"{strata_col!r} for both (within each stratum there would be a single group)."
        )
    prep = prepare_frame(
        data,
        func=func,
        roles={"start_col": start_col, "time_col": time_col, "event_col": event_col,
               "group_col": group_col, "strata_col": strata_col},
        missing=missing,
    )
    frame = prep.frame
    stop = check_time_column(frame, time_col)
    start = None if start_col is None else check_intervals(
        frame, start_col=start_col, time_col=time_col, stop=stop)
    merged = merge_times(stop, start)
    time, start = merged.time, merged.start
    if start is not None and np.any(start >= time):
        raise DataValidationError(
            f"after merging times that differ only by rounding error (R's timefix), some rows "
            f"have start_col {start_col!r} equal to time_col {time_col!r}; round the times to "
            "their real precision, or drop those rows."
        )
    event = check_event_column(frame, event_col)
    labels, levels = check_group_column(frame, group_col, func=func)
    if not event.any():
        raise DataValidationError(
            f"event_col {event_col!r} has no events (all {prep.n_obs} rows are censored); "
            f"{func} needs at least one event to compare the groups."
        )
    strata = None
    if strata_col is not None:
        s = frame[strata_col]
        strata = _codes(s.to_numpy(dtype=object), group_levels(s))
        strata_note = check_strata(strata, time, event, col=strata_col, func=func)
    g = frame[group_col]
    numeric = pd.api.types.is_numeric_dtype(g) and not pd.api.types.is_bool_dtype(g)
    return _Prepared(
        time=time,
        event=event,
        codes=_codes(labels, levels),
        levels=list(levels),
        strata=strata,
        numeric_group=bool(numeric),
        n_obs=prep.n_obs,
        n_dropped=prep.n_dropped,
        notes=[m for m in [merge_message(merged.n_merged, time_col),
                           strata_note if strata_col is not None else ""] if m],
        start=start,
    )


def _check_weights(rho, gamma, *, func: str) -> tuple[float, float]:
    rho = check_real(rho, name="rho", func=func, low=0.0)
    gamma = check_real(gamma, name="gamma", func=func, low=0.0)
    return rho, gamma


def _method_name(rho: float, gamma: float, trend: bool, strata_col: str | None) -> str:
    name = "log-rank" if rho == 0 and gamma == 0 else (
        f"Fleming-Harrington G(rho={rho:g}, gamma={gamma:g}) weighted log-rank"
    )
    if trend:
        name += " test for trend"
    if strata_col is not None:
        name += f", stratified by {strata_col!r}"
    return name


def _fmt_label(v) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _emit(messages: list[str]) -> tuple[str, ...]:
    for msg in messages:
        warnings.warn(msg, DataWarning, stacklevel=3)
    return tuple(messages)


def _no_event_notes(p: _Prepared, group_col: str, func: str) -> list[str]:
    n_events = np.bincount(p.codes, weights=p.event, minlength=len(p.levels))
    return [
        f"group {_fmt_label(lev)} of group_col {group_col!r} has no events; {func} is still "
        "valid, but a hazard ratio for this group cannot be estimated (in fit_cox use "
        "firth=True)."
        for lev, ne in zip(p.levels, n_events, strict=True)
        if ne == 0
    ]


# =========================================================================== public API
def logrank_test(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    group_col: str,
    strata_col: str | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    trend: bool = False,
    start_col: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
) -> TestResult:
    """Log-rank test of equal survival in k groups (optionally stratified, weighted, for trend).

    Matches R ``survival::survdiff(Surv(time, event) ~ group + strata(stratum), rho = rho)``:
    the same observed and expected events, variance matrix, chi-square statistic, degrees of
    freedom and p-value, including R's treatment of tied times (hypergeometric variance) and of
    almost-equal times (``timefix``).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col : str
        Follow-up time (≥ 0).
    event_col : str
        1/True = event, 0/False = censored.
    group_col : str
        Groups to compare (at least two levels). Labels are kept; order is the column's
        categorical order if it is a pandas Categorical, otherwise sorted (numbers numerically,
        strings by code point).
    strata_col : str, optional
        Stratified test: observed, expected and variance are computed within each stratum and
        summed (R ``+ strata(s)``).
    rho, gamma : float, default 0
        Fleming–Harrington G(rho, gamma) weights S(t−)^rho · (1 − S(t−))^gamma, where S is the
        left-continuous Kaplan–Meier estimate of the pooled data (within stratum when
        stratified). ``rho = 0, gamma = 0`` is the log-rank test; ``rho = 1, gamma = 0`` the
        Peto–Peto / Prentice modification of the Gehan–Wilcoxon test (R ``rho = 1``);
        ``gamma > 0`` emphasises late differences (no ``survdiff`` equivalent; validated
        against a direct computation from the risk sets in R).
    trend : bool, default False
        Test for trend across ordered groups, e.g. 0 / 1–4 / ≥5 CTC: statistic
        (w'(O − E))² / (w'Vw) with one degree of freedom. The scores w are the group values
        themselves when ``group_col`` is numeric (e.g. 0, 2, 12), otherwise 1, 2, …, k in the
        group order above (use a pandas Categorical to fix the order of string labels). The
        statistic does not change if the scores are shifted or rescaled.
    start_col : str, optional
        Entry time of each row (delayed entry / left truncation, or (start, stop] rows with
        ``time_col`` the end): a row is in the risk set at t when ``start < t <= time``.
        R's ``survdiff`` refuses such data; the statistic equals the score test at β = 0 of
        ``coxph(Surv(start, stop, event) ~ group, ties = "exact")`` (the exact partial
        likelihood's score is O − E and its information the hypergeometric variance;
        ``tests/reference/counting_logrank/``). Only the unweighted test (``rho = gamma =
        0``).
    missing : {"raise", "drop"}, default "raise"
        What to do with missing values in the columns used; with ``"drop"`` the removed rows
        are counted in ``n_dropped``.

    Returns
    -------
    TestResult
        ``statistic`` (chi-square), ``df`` (number of groups with expected > 0, minus 1; 1 for
        trend), ``p_value``, ``method``, ``n_obs``, ``n_dropped``, ``warnings`` and ``table``
        with one row per group and columns

        - ``group`` — the user's label;
        - ``n`` — patients in the group;
        - ``n_events`` — events in the group (unweighted);
        - ``observed`` — weighted observed events (equal to ``n_events`` when rho = gamma = 0;
          R ``fit$obs``, summed over strata);
        - ``expected`` — weighted expected events under equal survival (R ``fit$exp``);
        - ``o_minus_e`` — ``observed - expected``;
        - ``variance`` — diagonal of the variance matrix of O − E (R ``diag(fit$var)``);
        - ``chisq_contribution`` — (O − E)² / E, as printed by R (NaN where E = 0);
        - ``score`` — the trend score (only when ``trend=True``).

    Warns
    -----
    DataWarning
        A group with no events (the test is valid, but note it), a group with no patients at
        risk at any event time (expected 0; left out of the test as R does, reducing df), or a
        singular variance matrix. Each message is also recorded in ``warnings``.

    Raises
    ------
    DataValidationError
        Missing columns, bad times or event codes, missing values with ``missing="raise"``, a
        group column with a single level, or no events at all.

    See Also
    --------
    pairwise_logrank_test : every pair of groups, with multiplicity-adjusted p-values.

    References
    ----------
    Harrington DP, Fleming TR (1982). A class of rank test procedures for censored survival
    data. Biometrika 69(3):553–566.

    Examples
    --------
    >>> import pandas as pd
    >>> import ctcstats.survival.logrank as lr
    >>> df = pd.DataFrame({
    ...     "os_months": [5, 8, 12, 12, 20, 3, 4, 4, 9, 15, 2, 6],
    ...     "os_event":  [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1],
    ...     "ctc_group": ["0"] * 5 + ["1-4"] * 5 + [">=5"] * 2,
    ... })
    >>> res = lr.logrank_test(df, time_col="os_months", event_col="os_event",
    ...                       group_col="ctc_group")
    >>> round(res.statistic, 4), res.df
    (4.5167, 2.0)
    >>> res.table[["group", "n", "observed", "expected"]].round(3)
      group  n  observed  expected
    0     0  5       3.0     5.168
    1   1-4  5       4.0     3.207
    2   >=5  2       2.0     0.625
    >>> round(lr.logrank_test(df, time_col="os_months", event_col="os_event",
    ...                       group_col="ctc_group", trend=True).p_value, 4)
    0.0458
    """
    func = "logrank_test"
    rho, gamma = _check_weights(rho, gamma, func=func)
    if not isinstance(trend, (bool, np.bool_)):
        raise ParameterError(
            f"The 'trend' parameter of {func} must be True or False; got {trend!r}."
        )
    if start_col is not None and (rho != 0.0 or gamma != 0.0):
        raise ParameterError(
            f"The 'start_col' parameter of {func} works with the unweighted log-rank test only "
            f"(rho = gamma = 0); got rho={rho!r}, gamma={gamma!r}."
        )
    p = _prepare(data, func=func, time_col=time_col, event_col=event_col,
                 group_col=group_col, strata_col=strata_col, missing=missing,
                 start_col=start_col)
    k = len(p.levels)
    obs, exp, var = logrank_arrays(p.time, p.event, p.codes, k, p.strata, rho=rho, gamma=gamma,
                                   start=p.start)

    notes = _no_event_notes(p, group_col, func) + p.notes
    zero_e = [lev for lev, e in zip(p.levels, exp, strict=True) if not e > 0]
    if zero_e:
        shown = ", ".join(_fmt_label(v) for v in zero_e)
        notes.append(
            f"group(s) {shown} of group_col {group_col!r} have no patients at risk at any event "
            "time (expected = 0) and are left out of the test, as R survdiff does; df is "
            "reduced accordingly."
        )
    if trend:
        scores = (
            np.asarray(p.levels, dtype=float) if p.numeric_group
            else np.arange(1.0, k + 1.0)
        )
        stat, extra = _trend(obs, exp, var, scores)
        df = 1
    else:
        stat, df, extra = chisq_statistic(obs, exp, var)
        if df == 0:
            extra.append(
                "fewer than two groups have patients at risk at an event time; there is "
                "nothing to compare (statistic 0, p-value 1, as R survdiff)."
            )
    notes.extend(extra)

    n_per = np.bincount(p.codes, minlength=k)
    n_events = np.bincount(p.codes, weights=p.event, minlength=k).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = np.where(exp > 0, (obs - exp) ** 2 / np.where(exp > 0, exp, 1.0), np.nan)
    table = pd.DataFrame(
        {
            "group": pd.Series(p.levels, dtype=object),
            "n": n_per.astype(np.int64),
            "n_events": n_events,
            "observed": obs,
            "expected": exp,
            "o_minus_e": obs - exp,
            "variance": np.diag(var).copy(),
            "chisq_contribution": contrib,
        }
    )
    if trend:
        table["score"] = scores
    return TestResult(
        method=_method_name(rho, gamma, trend, strata_col),
        statistic=float(stat),
        df=float(df),
        p_value=_p_value(stat, df),
        table=table,
        n_obs=p.n_obs,
        n_dropped=p.n_dropped,
        warnings=_emit(notes),
    )


@result
class PairwiseTestResult(Result):
    """Log-rank tests of every pair of groups, with multiplicity-adjusted p-values.

    ``table`` has one row per pair with columns ``group_1, group_2, statistic, p_value,
    p_adjusted``; ``p_adjust`` names the adjustment (``holm``, ``bonferroni``, ``bh`` or
    ``none``, as R ``p.adjust``) and ``method`` the test.
    """

    _title: ClassVar[str] = "Pairwise log-rank tests"

    method: str
    p_adjust: str
    table: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def pairwise_logrank_test(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    group_col: str,
    strata_col: str | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    p_adjust: Literal["holm", "bonferroni", "bh", "fdr_bh", "none"] = "holm",
    missing: Literal["raise", "drop"] = "raise",
) -> PairwiseTestResult:
    """Log-rank test of every pair of groups, with adjusted p-values.

    Each pair is tested on the rows of those two groups only, exactly as R
    ``survdiff(Surv(time, event) ~ group + strata(stratum), rho = rho, data = subset)`` (so the
    weights' pooled Kaplan–Meier is that of the pair), and the p-values are adjusted as R
    ``p.adjust(p, method)`` (via ``statsmodels.stats.multitest.multipletests``). This is what
    ``survminer::pairwise_survdiff`` computes.

    Parameters
    ----------
    data, time_col, event_col, group_col, strata_col, rho, gamma, missing
        As in :func:`logrank_test`.
    p_adjust : {"holm", "bonferroni", "bh", "fdr_bh", "none"}, default "holm"
        Multiplicity adjustment: Holm, Bonferroni, Benjamini–Hochberg false discovery rate
        (``"bh"`` and ``"fdr_bh"`` are the same; R ``"BH"``) or none.

    Returns
    -------
    PairwiseTestResult
        ``table`` with one row per pair (in group order) and columns ``group_1``, ``group_2``
        (the user's labels), ``statistic`` (chi-square, df 1), ``p_value`` (unadjusted) and
        ``p_adjusted``; plus ``method``, ``p_adjust``, ``n_obs``, ``n_dropped``, ``warnings``.

    Warns
    -----
    DataWarning
        A group with no events, or a pair in which one group has no patients at risk at any
        event time (statistic 0, p-value 1, as R). Also recorded in ``warnings``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ctcstats.survival.logrank as lr
    >>> df = pd.DataFrame({
    ...     "os_months": [5, 8, 12, 12, 20, 3, 4, 4, 9, 15, 2, 6],
    ...     "os_event":  [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1],
    ...     "ctc_group": ["0"] * 5 + ["1-4"] * 5 + [">=5"] * 2,
    ... })
    >>> res = lr.pairwise_logrank_test(df, time_col="os_months", event_col="os_event",
    ...                           group_col="ctc_group", p_adjust="holm")
    >>> res.table[["group_1", "group_2"]].values.tolist()
    [['0', '1-4'], ['0', '>=5'], ['1-4', '>=5']]
    >>> res.table["p_adjusted"].round(4).tolist()
    [0.4673, 0.1722, 0.4673]
    """
    func = "pairwise_logrank_test"
    rho, gamma = _check_weights(rho, gamma, func=func)
    check_choice(p_adjust, name="p_adjust", choices=tuple(_P_ADJUST), func=func)
    p = _prepare(data, func=func, time_col=time_col, event_col=event_col,
                 group_col=group_col, strata_col=strata_col, missing=missing)
    notes = _no_event_notes(p, group_col, func) + p.notes

    rows = []
    for i, j in itertools.combinations(range(len(p.levels)), 2):
        sel = (p.codes == i) | (p.codes == j)
        obs, exp, var = logrank_arrays(
            p.time[sel],
            p.event[sel],
            (p.codes[sel] == j).astype(np.intp),
            2,
            None if p.strata is None else p.strata[sel],
            rho=rho,
            gamma=gamma,
        )
        stat, df, extra = chisq_statistic(obs, exp, var)
        if df == 0:
            extra.append(
                f"pair {_fmt_label(p.levels[i])} vs {_fmt_label(p.levels[j])}: one group has "
                "no patients at risk at any event time; statistic 0 and p-value 1, as R "
                "survdiff."
            )
        notes.extend(extra)
        rows.append((p.levels[i], p.levels[j], stat, _p_value(stat, df)))

    table = pd.DataFrame(rows, columns=["group_1", "group_2", "statistic", "p_value"])
    table = table.astype({"group_1": object, "group_2": object, "statistic": float,
                          "p_value": float})
    table["p_adjusted"] = _adjust(table["p_value"].to_numpy(), _P_ADJUST[p_adjust])
    canonical = "bh" if p_adjust == "fdr_bh" else p_adjust
    return PairwiseTestResult(
        method="pairwise " + _method_name(rho, gamma, False, strata_col),
        p_adjust=canonical,
        table=table,
        n_obs=p.n_obs,
        n_dropped=p.n_dropped,
        warnings=_emit(notes),
    )


def _adjust(pvals: np.ndarray, method: str | None) -> np.ndarray:
    """R ``p.adjust``: NaN p-values are left out (R's ``n = length(p[!is.na(p)])``)."""
    out = np.full_like(pvals, np.nan, dtype=float)
    ok = ~np.isnan(pvals)
    if method is None or not ok.any():
        out[ok] = pvals[ok]
        return out
    from statsmodels.stats.multitest import multipletests

    out[ok] = multipletests(pvals[ok], method=method)[1]
    return out
