"""Cox proportional-hazards regression: :func:`fit_cox`, :func:`fit_piecewise_cox`.

Matches R ``survival::coxph`` (coefficients, model-based and robust/cluster sandwich standard
errors, log partial likelihoods, likelihood-ratio test, concordance with its standard error)
and ``survival::cox.zph(fit, transform="km", terms=TRUE)`` for the proportional-hazards test.

The fit itself is the survival core's Newton–Raphson engine (:mod:`._core.cox`), not
lifelines' ``CoxPHFitter``: lifelines supports only Efron ties, its robust variance ignores tied times and
depends on row order, its penalizer is not on R's scale, and the batch engine must share the
same arithmetic. lifelines is used as an independent oracle in the tests.
"""

from __future__ import annotations

import dataclasses
import warnings
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
    check_intervals,
    check_real,
    check_strata,
    check_time_column,
    design_matrix,
    format_labels,
    prepare_frame,
)
from ..errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    MonotoneLikelihoodWarning,
    ParameterError,
    ProportionalHazardsWarning,
)
from ._core.concordance import concordance
from ._core.cox import (
    CoxData,
    RidgePenalty,
    fit_cox_arrays,
    linear_predictor,
    prepare_cox_data,
    score_residuals,
    zph_score_test,
)
from ._core.ties import merge_message, merge_times

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CoxResult", "PHTestResult", "fit_cox", "fit_piecewise_cox"]

_TABLE_COLUMNS = ["coef", "std_error", "hr", "ci_lower", "ci_upper", "z", "p_value"]
_FIRTH_HINT = "refit with firth=True (Firth's penalised likelihood gives finite estimates)"


# =========================================================================== results
@result
class PHTestResult(Result):
    """Test of proportional hazards, as R ``cox.zph(fit, transform="km", terms=TRUE)``.

    ``table`` has one row per model term and a last row ``"GLOBAL"``, columns ``term,
    statistic, df, p_value``; ``statistic``/``df``/``p_value`` repeat the global test.
    """

    _title: ClassVar[str] = "Proportional-hazards test (score test of x·g(t), g = KM)"

    table: pd.DataFrame
    statistic: float
    df: float
    p_value: float
    transform: str = "km"
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


@result
class CoxResult(Result):
    """A fitted Cox model (see :func:`fit_cox`).

    ``table`` is indexed by ``term`` with columns ``coef, std_error, hr, ci_lower, ci_upper,
    z, p_value`` (plus ``std_error_naive`` when the standard errors are robust);
    ``covariance`` is the variance matrix used for ``std_error``.
    """

    _title: ClassVar[str] = "Cox proportional-hazards regression"

    table: pd.DataFrame
    covariance: pd.DataFrame
    loglik: float
    loglik_null: float
    lr_statistic: float
    lr_df: float
    lr_p_value: float
    concordance: float
    concordance_std_error: float
    n_obs: int
    n_events: int
    n_dropped: int = 0
    n_iter: int
    converged: bool
    ties: str
    robust: bool
    penalizer: float = 0.0
    firth: bool = False
    conf_level: float = 0.95
    split_at: tuple[float, ...] = ()
    #: the test behind ``table["z"]`` and ``table["p_value"]``: ``"wald"`` (coef / SE) or,
    #: with ``firth=True``, ``"penalised_lr"`` (penalised likelihood-ratio test, as coxphf)
    p_value_test: str = "wald"
    #: how ``ci_lower``/``ci_upper`` were made: ``"wald"`` or, with ``firth=True``,
    #: ``"profile_penalised_likelihood"``
    ci_method: str = "wald"
    warnings: tuple[str, ...] = ()
    # private: what ph_test needs
    _data: Any = dataclasses.field(default=None, repr=False)
    _beta: Any = dataclasses.field(default=None, repr=False)
    _term_columns: tuple = dataclasses.field(default=(), repr=False)
    _term_names: tuple = dataclasses.field(default=(), repr=False)

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]

    def ph_test(self) -> PHTestResult:
        """Proportional-hazards test of every term and globally (R ``cox.zph``, survival ≥ 3).

        The score test, at the fitted coefficients, for adding ``x · g(t)`` where ``g`` is
        ``1 - KM(t-)`` of the pooled data centred over the events (``transform="km"``); terms
        of a categorical covariate are tested jointly (``terms=TRUE``). Matches
        ``cox.zph(fit, transform="km", terms=TRUE)$table``.

        Returns
        -------
        PHTestResult
            ``table`` columns ``term, statistic, df, p_value``; last row ``"GLOBAL"``. A
            :class:`~ctcstats.errors.ProportionalHazardsWarning` is issued (and recorded) when
            a p-value is below 0.05.
        """
        keep = [i for i, c in enumerate(self._term_columns) if len(c)]
        cols = [list(self._term_columns[i]) for i in keep]
        names = [self._term_names[i] for i in keep]
        hess = None
        if self.penalizer > 0:
            hess = RidgePenalty.for_data(self.penalizer, self._data.X)(
                self._data, self._beta, None, None)[2]
        stat, df = zph_score_test(self._data, self._beta, self.ties, cols, hess)
        p = stats.chi2.sf(stat, df)
        table = pd.DataFrame(
            {"term": names + ["GLOBAL"], "statistic": stat, "df": df, "p_value": p}
        )
        msgs = []
        bad = [(n, pv) for n, pv in zip(names, p[:-1], strict=True) if pv < 0.05]
        if bad:
            which = ", ".join(f"{n} (p = {pv:.3g})" for n, pv in bad)
            msgs.append(
                f"proportional hazards rejected at the 5% level for {which}: {len(bad)} of "
                f"{len(names)} term-wise tests below 0.05, unadjusted for multiplicity "
                f"(global test p = {p[-1]:.3g}); consider fit_piecewise_cox (period-specific "
                "hazard ratios) or stratifying on that covariate."
            )
            warnings.warn(msgs[-1], ProportionalHazardsWarning, stacklevel=2)
        return PHTestResult(
            table=table, statistic=float(stat[-1]), df=float(df[-1]), p_value=float(p[-1]),
            n_obs=self.n_obs, n_events=self.n_events, n_dropped=self.n_dropped,
            warnings=tuple(msgs),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Forest plot of the hazard ratios with their confidence intervals (log axis)."""
        from ..plotting.cox import plot_cox_forest

        return plot_cox_forest(self, ax=ax, **kwargs)


# =========================================================================== helpers
def _design(frame: pd.DataFrame, covariates, func: str):
    """Design matrix plus, per covariate, the columns of its terms."""
    if isinstance(covariates, str) or not isinstance(covariates, Sequence):
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a list of column names; got "
            f"{covariates!r}" + (f" (write [{covariates!r}])." if isinstance(covariates, str)
                                 else ".")
        )
    if len(covariates) == 0:
        raise ParameterError(
            f"The 'covariates' parameter of {func} must name at least one column; got []."
        )
    if len(set(covariates)) != len(covariates):
        raise ParameterError(
            f"The 'covariates' parameter of {func} names a column twice: {list(covariates)}."
        )
    blocks: list[np.ndarray] = []
    names: list[str] = []
    term_cols: list[list[int]] = []
    for col in covariates:
        x, nm = design_matrix(frame, [col], func=func)
        term_cols.append(list(range(len(names), len(names) + len(nm))))
        blocks.append(x)
        names.extend(nm)
    return np.column_stack(blocks), names, term_cols


def _check_common(func, ties, penalizer, conf_level, robust=False, firth=False):
    check_choice(ties, name="ties", choices=("efron", "breslow"), func=func)
    lam = check_real(penalizer, name="penalizer", func=func, low=0.0)
    cl = check_conf_level(conf_level, func=func)
    for name, v in (("robust", robust), ("firth", firth)):
        if not isinstance(v, (bool, np.bool_)):
            raise ParameterError(f"The {name!r} parameter of {func} must be True or False; "
                                 f"got {v!r}.")
    return lam, cl


def _no_event_levels(X, names, event) -> list[str]:
    """Binary design columns one of whose two values has no event (monotone likelihood)."""
    out = []
    for j, nm in enumerate(names):
        vals = np.unique(X[:, j])
        if vals.size == 2:
            for v in vals:
                if not np.any(event[X[:, j] == v]):
                    out.append(f"{nm} = {v:g}")
    return out


def _table(coef, se, conf_level, names, se_naive=None) -> pd.DataFrame:
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = coef / se
        tab = pd.DataFrame({
            "coef": coef, "std_error": se, "hr": np.exp(coef),
            "ci_lower": np.exp(coef - zq * se), "ci_upper": np.exp(coef + zq * se),
            "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
        }, index=pd.Index(names, name="term"))
    if se_naive is not None:
        tab["std_error_naive"] = se_naive
    return tab


def _fit_and_summarise(
    *, func, X, names, term_cols, term_names, time, event, start, strata, cluster, robust,
    ties, penalizer, conf_level, n_obs, n_dropped, split_at=(), firth=False,
) -> tuple[dict, list[tuple[type, str]]]:
    """Fit, check the numerics, and assemble the CoxResult fields; returns (fields, warnings)."""
    msgs: list[tuple[type, str]] = []
    n_events = int(event.sum())
    if n_events == 0:
        raise DataValidationError(
            f"the event column has no events (all {event.size} rows censored); {func} needs "
            "at least one event to estimate hazard ratios."
        )
    d = prepare_cox_data(X, time, event, start=start, strata=strata)
    if firth:
        return _firth_fields(func, d, X, names, term_cols, term_names, time, event, start,
                             strata, ties, conf_level, n_obs, n_dropped, split_at, n_events)
    fit = fit_cox_arrays(d, ties=ties, penalizer=penalizer)
    coef = fit.coef.copy()
    if not np.all(np.isfinite(coef)):
        raise ConvergenceError(
            f"{func}: the Newton–Raphson iterations produced non-finite coefficients; "
            f"{_FIRTH_HINT} or check for covariates on very large scales."
        )
    if fit.singular.any():
        bad = [n for n, s in zip(names, fit.singular, strict=True) if s]
        coef[fit.singular] = np.nan
        msgs.append((DataWarning, f"covariate terms {bad} are collinear with the other terms "
                     "(information matrix singular); their coefficients are NaN, as R reports "
                     "NA — remove the redundant covariates."))
    monotone = _no_event_levels(X, names, event) if penalizer == 0 else []
    infinite = [n for n, f in zip(names, fit.maybe_infinite, strict=True) if f]
    if monotone or infinite:
        what = "; ".join(
            ([f"no events where {', '.join(monotone)}"] if monotone else [])
            + ([f"the log-likelihood converged before the coefficient of "
                f"{', '.join(infinite)} did (it may be infinite)"] if infinite else [])
        )
        msgs.append((MonotoneLikelihoodWarning,
                     f"monotone likelihood: {what}; the estimates and standard errors of the "
                     f"affected terms are unreliable — {_FIRTH_HINT}."))
    if not fit.converged:
        msgs.append((ConvergenceWarning,
                     f"{func} did not converge in 20 Newton–Raphson iterations (relative "
                     "log-likelihood change still above 1e-9); the estimates may be unusable — "
                     + ("check for separation, or " + _FIRTH_HINT if np.max(np.abs(coef)) > 10
                        else "rescale the covariates or check for separation") + "."))
    var = fit.var.copy()
    var[fit.singular, :] = np.nan
    var[:, fit.singular] = np.nan
    se_naive = np.sqrt(np.diag(var))
    use_robust = bool(robust) or cluster is not None
    if use_robust:
        D = score_residuals(d, fit.coef, ties) @ fit.var
        if cluster is not None:
            _, cl = np.unique(cluster, return_inverse=True)
            D = np.column_stack([np.bincount(cl.ravel(), weights=D[:, j])
                                 for j in range(D.shape[1])])
        var = D.T @ D
        var[fit.singular, :] = np.nan
        var[:, fit.singular] = np.nan
    se = np.sqrt(np.diag(var))
    table = _table(coef, se, conf_level, names, se_naive if use_robust else None)
    lr = 2.0 * (fit.loglik - fit.loglik_null)
    if penalizer > 0:
        lr_df = float(np.trace(fit.var @ fit.info))
    else:
        lr_df = float(np.sum(~fit.singular))
    c, c_se, _ = concordance(fit.linear_predictor, time, event, start=start, strata=strata,
                             cluster=cluster)
    fields = dict(
        table=table, covariance=pd.DataFrame(var, index=table.index, columns=table.index),
        loglik=fit.loglik, loglik_null=fit.loglik_null, lr_statistic=float(lr),
        lr_df=lr_df, lr_p_value=float(stats.chi2.sf(lr, lr_df)) if lr_df > 0 else float("nan"),
        concordance=c, concordance_std_error=c_se, n_obs=n_obs, n_events=n_events,
        n_dropped=n_dropped, n_iter=fit.n_iter, converged=fit.converged, ties=ties,
        robust=use_robust, penalizer=float(penalizer), conf_level=conf_level,
        split_at=tuple(split_at), _data=d, _beta=fit.coef, _term_columns=tuple(term_cols),
        _term_names=tuple(term_names),
    )
    return fields, msgs


def _firth_fields(func, d: CoxData, X, names, term_cols, term_names, time, event, start,
                  strata, ties, conf_level, n_obs, n_dropped, split_at, n_events):
    from ._firth import fit_firth_arrays

    out = fit_firth_arrays(X, time, event, strata=strata, ties=ties, conf_level=conf_level,
                           profile_ci=True, start=start)
    coef = np.asarray(out["coef"], float)
    var = np.asarray(out["var"], float)
    se = np.sqrt(np.diag(var))
    table = _table(coef, se, conf_level, names)
    # profile penalised-likelihood limits (log-HR scale) and penalised LR p-values
    table["ci_lower"] = np.exp(np.asarray(out["ci_lower"], float))
    table["ci_upper"] = np.exp(np.asarray(out["ci_upper"], float))
    table["p_value"] = np.asarray(out["p_value"], float)
    # z and p from the same test: the signed root of the penalised LR χ² (coxphf's "Chisq"),
    # not a Wald z beside an LR p (p_value_test records which test it is)
    table["z"] = np.sign(coef) * np.sqrt(np.asarray(out["statistic"], float))
    # _firth issues its own ConvergenceWarnings; record them without issuing them twice
    msgs = [(None, str(m)) for m in out.get("warnings", ())]
    lr = 2.0 * (float(out["loglik"]) - float(out["loglik_null"]))
    p = coef.size
    lp = linear_predictor(d.X, coef)
    c, c_se, _ = concordance(lp, time, event, start=start, strata=strata)
    shift = float(np.sum(np.log(np.asarray(X, float).std(axis=0, ddof=1))))
    fields = dict(
        table=table, covariance=pd.DataFrame(var, index=table.index, columns=table.index),
        # coxphf's penalised log-likelihoods, on covariates standardised by their SD: unlike
        # log det I of the covariates as given, they do not depend on the covariates' units
        loglik=float(out["loglik"]) - shift, loglik_null=float(out["loglik_null"]) - shift,
        lr_statistic=lr, lr_df=float(p), lr_p_value=float(stats.chi2.sf(lr, p)),
        concordance=c, concordance_std_error=c_se, n_obs=n_obs, n_events=n_events,
        n_dropped=n_dropped, n_iter=int(out.get("n_iter", 0)),
        converged=bool(out.get("converged", True)), ties=ties, robust=False, penalizer=0.0,
        firth=True, conf_level=conf_level, split_at=tuple(split_at),
        p_value_test="penalised_lr", ci_method="profile_penalised_likelihood", _data=d,
        _beta=coef,
        _term_columns=tuple(term_cols), _term_names=tuple(term_names),
    )
    return fields, msgs


def _prepare(data, func, time_col, event_col, covariates, strata_col, cluster_col, missing,
             start_col=None, id_col=None, robust=False, frailty_col=None):
    roles = {"start_col": start_col, "time_col": time_col, "event_col": event_col,
             "covariates": covariates if not isinstance(covariates, str) else [covariates],
             "strata_col": strata_col, "cluster_col": cluster_col, "id_col": id_col,
             "frailty_col": frailty_col}
    prep = prepare_frame(data, func=func, roles=roles, missing=missing)
    frame = prep.frame
    stop = check_time_column(frame, time_col, role="time_col")
    start = None
    if start_col is not None:
        start = check_intervals(frame, start_col=start_col, time_col=time_col, stop=stop,
                                id_col=id_col)
    merged = merge_times(stop, start)
    time, start = merged.time, merged.start
    if start is not None:
        _check_merged_intervals(start, time, frame, start_col, time_col)
    event = check_event_column(frame, event_col, role="event_col")
    X, names, term_cols = _design(frame, covariates, func)
    strata = None if strata_col is None else frame[strata_col].to_numpy(dtype=object)
    if strata is not None:
        strata = pd.factorize(strata, sort=False)[0]
    cluster = None if cluster_col is None else pd.factorize(frame[cluster_col])[0]
    if cluster is None and id_col is not None:
        ids = pd.factorize(frame[id_col])[0]
        # R coxph(..., id = id): the variance is grouped by subject when it is robust, and it
        # is robust by default when a subject has more than one event (recurrent events)
        if robust or np.unique(ids[event.astype(bool)]).size < int(event.sum()):
            cluster = ids
    notes = [(DataWarning, m) for m in [merge_message(merged.n_merged, time_col)] if m]
    if strata is not None and start is None and event.any():
        note = check_strata(strata, time, event, col=strata_col, func=func)
        if note:
            notes.append((DataWarning, note))
    return prep, time, event, X, names, term_cols, strata, cluster, notes, start


def _check_merged_intervals(start, stop, frame, start_col, time_col) -> None:
    zero = start >= stop
    if zero.any():
        raise DataValidationError(
            f"after merging times that differ only by rounding error (R's timefix), "
            f"{int(zero.sum())} row(s) have start_col {start_col!r} equal to time_col "
            f"{time_col!r} (first row labels: {format_labels(frame.index[zero])}); R stops "
            "here too (aeqSurv). Round the times to their real precision, or drop those rows."
        )


def _emit(msgs, stacklevel=3) -> tuple[str, ...]:
    for cls, m in msgs:
        if cls is not None:
            warnings.warn(m, cls, stacklevel=stacklevel)
    return tuple(m for _, m in msgs)


# =========================================================================== fit_cox
def fit_cox(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    start_col: str | None = None,
    id_col: str | None = None,
    strata_col: str | None = None,
    cluster_col: str | None = None,
    robust: bool = False,
    ties: Literal["efron", "breslow"] = "efron",
    penalizer: float = 0.0,
    firth: bool = False,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
    frailty_col: str | None = None,
    frailty: Literal["gamma", "gaussian"] = "gamma",
    frailty_sparse: bool | None = None,
    frailty_method: Literal["default", "ml"] = "default",
) -> CoxResult:
    """Cox proportional-hazards regression (hazard ratios with confidence intervals).

    Matches R ``survival::coxph(Surv(time, event) ~ covariates + strata(s), ties=...,
    robust=..., cluster=...)``: the same Newton–Raphson iterations (start at 0, step-halving,
    stop at a relative log-likelihood change ≤ 1e-9, at most 20 iterations), Efron or
    Breslow ties, strata, and the robust sandwich variance ``D'D`` with ``D`` the dfbeta
    residuals (summed within clusters), exactly as R's ``residuals(fit, "dfbeta")`` incl.
    Efron's tie handling. ``penalizer = λ > 0`` maximises ``loglik − (λ/2)·Σ v_j β_j²``
    with v_j the variance of covariate j, R's ``coxph(Surv ~ ridge(x1, x2, theta=λ))``
    (ridge's default ``scale=TRUE``: the penalty is on the coefficients per standard
    deviation, so the units of a covariate change only its coefficient). Times that differ
    only by rounding error (relative to the time scale) are merged first, as R's
    ``timefix``, and the merge is recorded in ``warnings``. Covariates are centred and scaled
    internally, as R's ``coxph.fit``: rescaling a covariate rescales its coefficient and
    changes nothing else; a column is reported collinear only when it is a linear
    combination of the others relative to its own scale.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col, event_col : str
        Follow-up time (≥ 0) and event indicator (1 = event, 0 = censored). With
        ``start_col``, ``time_col`` is the end of the row's interval and ``event_col`` says
        whether the event happened at that end.
    covariates : list of str
        Numeric or boolean columns enter as they are; other columns (strings, Categorical)
        become indicator terms ``col[level]`` against their first (sorted) level.
    start_col : str, optional
        Start of the row's at-risk interval ``(start, stop]`` (counting-process data, R
        ``Surv(start, stop, event)``, as ``agreg.fit``): delayed entry (left truncation),
        time-dependent covariates (one row per interval in which they are constant) and
        recurrent events. Every start must be smaller than its stop.
    id_col : str, optional
        Subject identifier of counting-process rows, as R ``coxph(..., id = id)``: the
        intervals of one subject must not overlap; the standard errors are the robust ones
        grouped by subject (the sandwich of ``cluster = id``; the model-based ones are kept
        in ``std_error_naive``) when ``robust=True`` or when a subject has more than one
        event (recurrent events) — R's default. With one event per subject (time-dependent
        covariates, delayed entry) the rows of a subject are not correlated and the
        model-based standard errors are reported, as R does.
    strata_col : str, optional
        Separate baseline hazards per level (R ``strata()``).
    cluster_col : str, optional
        Cluster identifier (e.g. patient with several rows, or centre); implies robust SEs.
    robust : bool, default False
        Robust (sandwich) standard errors, R ``robust=TRUE``.
    ties : {"efron", "breslow"}
        Handling of tied event times (R's default is Efron).
    penalizer : float, default 0
        Ridge penalty λ on the coefficients per standard deviation of their covariate,
        ``(λ/2)·Σ var(x_j) β_j²`` (R ``ridge(..., theta=λ)``, whose default is
        ``scale=TRUE``); the standard errors are then R's ``sqrt(diag(var))`` (inverse
        penalised information) and ``lr_df`` its effective degrees of freedom
        ``trace(var · I)``.
    firth : bool, default False
        Firth's penalised likelihood (Heinze–Schemper), the remedy for monotone likelihood
        (a group without events); profile-likelihood confidence limits and penalised
        likelihood-ratio p-values as R ``coxphf``; ``loglik`` and ``loglik_null`` are then
        the penalised log-likelihoods as coxphf reports them (covariates standardised), and
        ``z`` is the signed square root of the penalised LR χ² (coxphf's ``Chisq``), so
        that ``z`` and ``p_value`` come from the same test (``p_value_test =
        "penalised_lr"``, ``ci_method = "profile_penalised_likelihood"``).
    conf_level : float, default 0.95
    missing : {"raise", "drop"}
        ``"drop"`` analyses complete cases and counts the others in ``n_dropped``.
    frailty_col : str, optional
        Shared frailty by the levels of this column (e.g. ``study`` in a pooled analysis):
        R ``coxph(Surv ~ covariates + frailty(study, distribution = frailty))``, penalised
        partial likelihood with the frailty variance estimated as R (gamma: marginal
        likelihood, R's ``method = "em"``; gaussian: R's ``method = "reml"``); see
        :mod:`ctcstats.survival.frailty`. Returns a
        :class:`~ctcstats.survival.frailty.FrailtyCoxResult`. Not combined with
        ``cluster_col``, ``robust``, ``penalizer`` or ``firth``.
    frailty : {"gamma", "gaussian"}
        Distribution of the frailty (gamma on exp(w), gaussian on w).
    frailty_sparse : bool, optional
        R's ``sparse`` computation of the frailty block (only its diagonal enters the
        variance); default as R, True when ``frailty_col`` has more than 5 levels (with
        ``frailty_method="ml"`` coxme's rule: more than 50 levels, each under 2% of rows).
    frailty_method : {"default", "ml"}
        How the frailty variance is estimated: ``"default"`` as coxph (gamma: marginal
        likelihood; gaussian: REML equation); ``"ml"`` (gaussian only) maximises the Laplace
        integrated partial likelihood, R ``coxme(Surv ~ x + (1 | group))``.

    Returns
    -------
    CoxResult
        ``table`` indexed by ``term`` with ``coef`` (log hazard ratio), ``std_error``
        (robust when ``robust`` or ``cluster_col``; the model-based one is then kept in
        ``std_error_naive``), ``hr``, ``ci_lower``/``ci_upper`` (Wald limits of the HR),
        ``z``, ``p_value`` (Wald; penalised LR with ``firth=True``), with the test recorded
        in ``p_value_test`` and the interval method in ``ci_method``; ``covariance`` (p × p); ``loglik`` and ``loglik_null``
        (R's ``fit$loglik``); the likelihood-ratio test ``lr_statistic, lr_df, lr_p_value``;
        ``concordance`` and ``concordance_std_error`` (R's ``fit$concordance``, Harrell's C
        of the linear predictor with the infinitesimal-jackknife SE); ``n_obs``,
        ``n_events``, ``n_dropped``, ``n_iter``, ``converged``, ``warnings``.
        ``.ph_test()`` tests proportional hazards (R ``cox.zph``), ``.plot()`` draws a
        forest plot.

    Warns
    -----
    MonotoneLikelihoodWarning
        A coefficient diverges (e.g. a binary covariate with no events in one level); the
        message suggests ``firth=True``. Also recorded in ``warnings``.
    ConvergenceWarning
        Newton–Raphson stopped after 20 iterations.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats.survival.cox as cox
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"ctc_positive": rng.integers(0, 2, 200), "age": rng.normal(60, 8, 200)})
    >>> t = rng.exponential(40 / np.exp(0.7 * df.ctc_positive))
    >>> df["os_months"], df["os_event"] = np.minimum(t, 60).round(1), (t < 60).astype(int)
    >>> res = cox.fit_cox(df, time_col="os_months", event_col="os_event",
    ...                   covariates=["ctc_positive", "age"])
    >>> list(res.table.columns)
    ['coef', 'std_error', 'hr', 'ci_lower', 'ci_upper', 'z', 'p_value']
    >>> bool(res.table.loc["ctc_positive", "hr"] > 1)
    True
    """
    func = "fit_cox"
    lam, cl = _check_common(func, ties, penalizer, conf_level, robust, firth)
    if firth and (lam > 0 or robust or cluster_col is not None):
        raise ParameterError(
            f"The 'firth' parameter of {func} cannot be combined with penalizer, robust or "
            "cluster_col; got firth=True with those set."
        )
    if frailty_col is not None:
        check_choice(frailty, name="frailty", choices=("gamma", "gaussian"), func=func)
        check_choice(frailty_method, name="frailty_method", choices=("default", "ml"),
                     func=func)
        if frailty_method == "ml" and frailty != "gaussian":
            raise ParameterError(
                f"The 'frailty_method' parameter of {func} is 'ml' only for "
                "frailty='gaussian' (coxme's model); got frailty='gamma'.")
        if firth or lam > 0 or robust or cluster_col is not None or id_col is not None:
            raise ParameterError(
                f"The 'frailty_col' parameter of {func} cannot be combined with firth, "
                "penalizer, robust, cluster_col or id_col; the frailty models the "
                "correlation within its groups (drop those options)."
            )
    prep, time, event, X, names, term_cols, strata, cluster, notes, start = _prepare(
        data, func, time_col, event_col, covariates, strata_col, cluster_col, missing,
        start_col=start_col, id_col=id_col, robust=robust, frailty_col=frailty_col,
    )
    if frailty_col is not None:
        return _fit_frailty(prep, time, event, X, names, term_cols, list(covariates), strata,
                            start, notes, frailty_col, frailty, frailty_sparse, ties, cl,
                            frailty_method)
    fields, msgs = _fit_and_summarise(
        func=func, X=X, names=names, term_cols=term_cols, term_names=list(covariates),
        time=time, event=event, start=start, strata=strata, cluster=cluster, robust=robust,
        ties=ties, penalizer=lam, conf_level=cl, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        firth=firth,
    )
    return CoxResult(**fields, warnings=_emit(notes + msgs))


def _fit_frailty(prep, time, event, X, names, term_cols, term_names, strata, start, notes,
                 frailty_col, kind, sparse, ties, conf_level, method):
    """fit_cox(frailty_col=...): the fit lives in :mod:`.frailty` (penalty hook of the core)."""
    from .frailty import FrailtyCoxResult, fit_frailty_arrays, frailty_fields

    codes, levels = pd.factorize(prep.frame[frailty_col], sort=True)
    if levels.size < 2:
        raise DataValidationError(
            f"frailty_col {frailty_col!r} has a single level; a shared frailty needs at "
            "least two groups (drop frailty_col)."
        )
    out = fit_frailty_arrays(X, time, event, codes, kind=kind, start=start, strata=strata,
                             ties=ties, sparse=sparse, method=method)
    fields = frailty_fields(
        fit_out=out, kind=kind, names=names, term_cols=term_cols, term_names=term_names,
        time=time, event=event, start=start, strata=strata,
        levels=[v.item() if isinstance(v, np.generic) else v for v in levels],
        conf_level=conf_level, n_obs=prep.n_obs, n_dropped=prep.n_dropped, ties=ties,
        frailty_col=frailty_col, make_table=_table)
    notes = list(notes) + [(DataWarning, m) for m in out["notes"]]
    return FrailtyCoxResult(**fields, warnings=_emit(notes))


# =========================================================================== piecewise
def _period_labels(cuts: Sequence[float]) -> list[str]:
    edges = [0.0, *cuts]
    labs = [f"({edges[i]:g},{edges[i + 1]:g}]" for i in range(len(cuts))]
    return labs + [f"({edges[-1]:g},inf)"]


def split_episodes(time, event, cuts):
    """Split each row into (start, stop] episodes at ``cuts`` (R ``survSplit``).

    Returns (row index, period index 0..len(cuts), start, stop, event) of the episodes; the
    first episode starts at -inf (at risk from the origin, also for a time of 0), period k
    covers (cuts[k-1], cuts[k]].
    """
    cuts = np.asarray(cuts, float)
    n = time.size
    k = np.searchsorted(cuts, time, "left")  # number of cuts strictly below time
    reps = k + 1
    row = np.repeat(np.arange(n), reps)
    period = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    lower = np.concatenate([[-np.inf], cuts])
    start = lower[period]
    last = period == k[row]
    stop = np.where(last, time[row], np.append(cuts, np.inf)[period])
    ev = np.where(last, event[row], 0)
    return row, period, start, stop, ev


def fit_piecewise_cox(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    split_at: Sequence[float] = (60.0,),
    piecewise: Sequence[str] | None = None,
    strata_col: str | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CoxResult:
    """Cox model with period-specific (time-split) hazard ratios.

    Each patient's follow-up is split at ``split_at`` into (start, stop] episodes (R
    ``survSplit(..., cut=split_at, episode="period")``) and every covariate in
    ``piecewise`` gets one coefficient per period, the others one overall coefficient. It is
    the model R users fit as ``coxph(Surv(tstart, time, status) ~ x:strata(period) + z)``
    — a time-varying coefficient, not a stratification — and the way Braun et al. (2005)
    reported the effect of disseminated tumour cells for 0–5 and beyond 5 years.

    Parameters
    ----------
    data, time_col, event_col, covariates, strata_col, ties, conf_level, missing
        As in :func:`fit_cox`.
    split_at : sequence of float, default (60.0,)
        Increasing cut points (in the units of ``time_col``), all > 0.
    piecewise : list of str, optional
        Covariates with period-specific effects (default: all of ``covariates``).

    Returns
    -------
    CoxResult
        As :func:`fit_cox`; period-specific terms are named ``"<term>@(<a>,<b>]"``, e.g.
        ``ctc_positive@(0,60]`` (events up to and including month 60) and
        ``ctc_positive@(60,inf)``; ``split_at`` holds the cut points; ``n_obs`` counts
        patients (not episodes). The concordance is R's for the split data.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats.survival.cox as cox
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"dtc_positive": rng.integers(0, 2, 300)})
    >>> t = rng.exponential(60 / np.exp(0.8 * df.dtc_positive))
    >>> df["months"], df["event"] = np.minimum(t, 120).round(), (t < 120).astype(int)
    >>> res = cox.fit_piecewise_cox(df, time_col="months", event_col="event",
    ...                             covariates=["dtc_positive"], split_at=[60])
    >>> list(res.table.index)
    ['dtc_positive@(0,60]', 'dtc_positive@(60,inf)']
    """
    func = "fit_piecewise_cox"
    _, cl = _check_common(func, ties, 0.0, conf_level)
    cut_list: Any = ([split_at] if isinstance(split_at, (int, float, np.number))
                     and not isinstance(split_at, bool) else split_at)
    try:
        cuts = np.asarray(list(cut_list), dtype=float)
    except (TypeError, ValueError):
        cuts = np.array([np.nan])
    if (cuts.size == 0 or not np.all(np.isfinite(cuts)) or np.any(cuts <= 0)
            or np.any(np.diff(cuts) <= 0)):
        raise ParameterError(
            f"The 'split_at' parameter of {func} must be increasing positive finite cut "
            f"points, e.g. [60.0]; got {split_at!r}."
        )
    prep, time, event, X, names, term_cols, strata, _, notes, _ = _prepare(
        data, func, time_col, event_col, covariates, strata_col, None, missing
    )
    cov_list = list(covariates)
    if piecewise is None:
        piecewise = cov_list
    if isinstance(piecewise, str) or not set(piecewise) <= set(cov_list):
        raise ParameterError(
            f"The 'piecewise' parameter of {func} must be a list of names from covariates "
            f"{cov_list}; got {piecewise!r}."
        )
    row, period, start, stop, ev = split_episodes(time, event, cuts)
    labels = _period_labels(cuts.tolist())
    n_per = np.bincount(period[ev == 1], minlength=cuts.size + 1)
    if np.any(n_per == 0):
        empty = [labels[i] for i in np.flatnonzero(n_per == 0)]
        raise DataValidationError(
            f"{func}: no events in period(s) {', '.join(empty)} of time_col {time_col!r}; "
            "period-specific hazard ratios need events in every period — move or remove "
            f"split_at (got {cuts.tolist()})."
        )
    blocks, new_terms, term_names = [], [], []
    new_names: list[str] = []
    for cov, cols in zip(cov_list, term_cols, strict=True):
        if cov in piecewise:
            for k, lab in enumerate(labels):
                idx = []
                for j in cols:
                    blocks.append(X[row, j] * (period == k))
                    idx.append(len(new_names))
                    new_names.append(f"{names[j]}@{lab}")
                new_terms.append(idx)
                term_names.append(f"{cov}@{lab}")
        else:
            idx = []
            for j in cols:
                blocks.append(X[row, j])
                idx.append(len(new_names))
                new_names.append(names[j])
            new_terms.append(idx)
            term_names.append(cov)
    Xs = np.column_stack(blocks)
    fields, msgs = _fit_and_summarise(
        func=func, X=Xs, names=new_names, term_cols=new_terms, term_names=term_names,
        time=stop, event=ev, start=start, strata=None if strata is None else strata[row],
        cluster=None, robust=False, ties=ties, penalizer=0.0, conf_level=cl,
        n_obs=prep.n_obs, n_dropped=prep.n_dropped, split_at=tuple(cuts.tolist()),
    )
    return CoxResult(**fields, warnings=_emit(notes + msgs))
