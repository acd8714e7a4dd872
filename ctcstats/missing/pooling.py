"""Analyse each imputed data set, then pool: :func:`pool` and :func:`pooled_test`.

``pool(imputed, fn, **kwargs)`` runs ``fn(dataset, **kwargs)`` on every completed data set
and combines the results by Rubin's rules exactly as R ``mice::pool`` (mice 3.15:
``pool.fitlist`` / ``barnard.rubin``), with the quantities put on the scale where they are
close to normal first (see :mod:`._extract`). ``pooled_test`` is the pooled test of several
coefficients at once (a categorical covariate, a set of markers): D1 (multivariate Wald),
D2 (combined chi-squares) and D3 (Meng–Rubin likelihood ratio), as ``mice::D1/D2/D3``.

The order of the analysis follows Rubin (1987) and, for performance measures, Wahl et al.
(2016): every model is fitted and evaluated *within* each imputed data set and only the
resulting estimates are pooled — never the data sets averaged, never a model fitted on one
data set evaluated on another. Wahl et al. found that apparent (and bootstrap) performance
estimated this way after imputing with the outcome ("MI-Val") is somewhat optimistic and
that the least biased internal validation imputes training and test parts separately
("Val-MI"); ``pool`` does not do the latter.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import optimize

from .._results import Result, result
from .._typing import DaskClient
from .._validation import check_choice, check_conf_level, check_real
from .._warnings import Recorded, call_capturing, emit
from ..batch.parallel import run_chunks
from ..errors import CTCStatsWarning, DataValidationError, ParameterError
from ._extract import TRANSFORMS, Extracted, extract
from .rubin import d1_test, d2_test, d3_test, rubin_rules

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["PooledResult", "PooledTestResult", "pool", "pooled_test"]

_RATIO_LABEL = {"hr": "hr", "irr": "irr", "odds_ratio": "odds_ratio"}


# =========================================================================== results
@result
class PooledTestResult(Result):
    """A multi-parameter test pooled over imputations (see :func:`pooled_test`).

    ``statistic`` is the F statistic on ``df1`` and ``df2`` degrees of freedom, ``riv`` the
    average relative increase in variance due to the missing data; ``terms`` are the model
    terms tested jointly (= 0).
    """

    _title: ClassVar[str] = "Pooled test over imputations"

    method: str
    statistic: float
    df1: float
    df2: float
    p_value: float
    riv: float
    terms: tuple[str, ...]
    m: int
    dfcom: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


@result
class PooledResult(Result):
    """Estimates pooled over imputed data sets by Rubin's rules (see :func:`pool`).

    ``table`` has one row per pooled quantity: ``term, estimate, std_error, ci_lower,
    ci_upper, df, p_value, fmi, riv, lambda, ubar, b, t`` (``component`` first for count
    models), plus ``hr, hr_ci_lower, hr_ci_upper`` for Cox and Fine–Gray models, ``irr,
    irr_ci_lower, irr_ci_upper`` for count models (and Poisson GLMs) and ``odds_ratio,
    odds_ratio_ci_lower, odds_ratio_ci_upper`` for logistic models; performance measures
    carry a ``scale`` column. ``per_imputation`` has ``imputation, term, estimate,
    std_error`` (natural scale) for every data set.
    """

    _title: ClassVar[str] = "Pooled over imputations (Rubin's rules)"

    table: pd.DataFrame
    per_imputation: pd.DataFrame
    kind: str
    m: int
    dfcom: float
    conf_level: float
    lr_test: PooledTestResult | None = None
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _fits: tuple = dataclasses.field(default=(), repr=False)

    @property
    def fits(self) -> tuple:
        """The per-imputation results that were pooled (in imputation order)."""
        return self._fits

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Forest plot of the pooled estimates with their confidence intervals."""
        from ..plotting.missing import plot_pooled_forest

        return plot_pooled_forest(self, ax=ax, **kwargs)


# =========================================================================== helpers
def _datasets(imputed, func: str) -> list[pd.DataFrame]:
    sets = getattr(imputed, "datasets", imputed)
    if isinstance(sets, pd.DataFrame) or not isinstance(sets, Sequence):
        raise ParameterError(
            f"The 'imputed' parameter of {func} must be an ImputationResult or a sequence of "
            f"DataFrames (one per imputation); got {type(imputed).__name__}."
        )
    sets = list(sets)
    bad = [i for i, d in enumerate(sets) if not isinstance(d, pd.DataFrame)]
    if bad:
        raise ParameterError(
            f"The 'imputed' parameter of {func} must hold DataFrames only; element {bad[0]} "
            f"is a {type(sets[bad[0]]).__name__}."
        )
    if len(sets) < 2:
        raise ParameterError(
            f"{func} needs at least 2 imputed data sets to estimate the between-imputation "
            f"variance; got {len(sets)} (use n_imputations >= 2, typically 20 or more)."
        )
    return sets


class _Call:
    """``fn(dataset, **kwargs)`` with the warnings it raises captured (picklable for joblib)."""

    def __init__(self, fn: Callable, kwargs: dict):
        self.fn = fn
        self.kwargs = kwargs

    def __call__(self, data: pd.DataFrame):
        res, caught = call_capturing(self.fn, data, **self.kwargs)
        return res, caught.records()


def _run(sets, fn, kwargs, *, n_jobs, client, func):
    if not callable(fn):
        raise ParameterError(
            f"The 'fn' parameter of {func} must be a function such as ctcstats.fit_cox; got "
            f"{fn!r}."
        )
    out = run_chunks(_Call(fn, kwargs), sets, n_jobs=n_jobs, client=client, caller=func,
                     desc=func, progress=False)
    fits = [r for r, _ in out]
    msgs = _merge_warnings([w for _, w in out], len(sets))
    return fits, msgs


def _merge_warnings(per_fit: list[list[Recorded]], m: int) -> list[Recorded]:
    """One message per distinct warning, saying in how many imputations it occurred."""
    seen: dict[str, tuple[type[Warning], list[int]]] = {}
    for i, ws in enumerate(per_fit, start=1):
        for msg, cat in ws:
            seen.setdefault(msg, (cat, []))[1].append(i)
    out = []
    for msg, (cat, where) in seen.items():
        if not issubclass(cat, CTCStatsWarning):
            cat = CTCStatsWarning
        lead = "in every imputation" if len(set(where)) == m else (
            f"in {len(set(where))} of {m} imputations ({', '.join(map(str, sorted(set(where))[:5]))}"
            + (", …" if len(set(where)) > 5 else "") + ")")
        out.append(Recorded(f"{lead}: {msg}", cat))
    return out


def _check_same_terms(ex: list[Extracted], func: str) -> None:
    first = ex[0].terms
    for i, e in enumerate(ex[1:], start=2):
        if e.terms != first:
            diff = sorted(set(first) ^ set(e.terms))
            raise DataValidationError(
                f"{func}: the fitted terms differ between imputation 1 and imputation {i} "
                f"({diff[:4]}); pooling needs the same model in every data set — a level of a "
                "categorical covariate is probably absent from one imputed data set (merge "
                "rare levels first)."
            )


def _conf_level(kwargs: dict, func: str) -> float:
    return check_conf_level(kwargs.get("conf_level", 0.95), func=func)


def _dfcom(dfcom, ex: Extracted, func: str) -> float:
    if dfcom is None:
        return ex.dfcom
    return check_real(dfcom, name="dfcom", func=func, low=1.0) if dfcom != math.inf else dfcom


# =========================================================================== pool
def _pooled_table(ex: list[Extracted], dfcom: float, conf_level: float) -> pd.DataFrame:
    first = ex[0]
    q = np.vstack([e.estimate for e in ex])
    u = np.vstack([e.variance for e in ex])
    dfc = np.where(np.array([s == "mean" for s in first.scale]), math.inf, dfcom)
    tab = rubin_rules(q, np.where(np.isnan(u), 0.0, u), dfcom=dfc, conf_level=conf_level,
                      terms=first.terms)
    scales = np.array(first.scale)
    mean_only = scales == "mean"
    if mean_only.any():
        cols = ["std_error", "ci_lower", "ci_upper", "df", "p_value", "fmi", "riv", "lambda",
                "ubar", "t"]
        tab.loc[mean_only, cols] = np.nan
    if first.null_value is not None:
        _p_against_null(tab, scales, first.null_value)
    for scale in ("log", "logit"):
        rows = scales == scale
        if rows.any():
            back = TRANSFORMS[scale][1]
            for col in ("estimate", "ci_lower", "ci_upper"):
                tab.loc[rows, col] = back(tab.loc[rows, col].to_numpy(dtype=float))
    tab = tab.drop(columns=["m", "dfcom"])
    if first.kind in ("concordance", "auc", "brier", "calibration", "reclassification",
                      "added_value", "generic"):
        tab.insert(1, "scale", list(first.scale))
    if first.component is not None:
        tab.insert(0, "component", list(first.component))
    if first.ratio is not None:
        lab = _RATIO_LABEL[first.ratio]
        with np.errstate(over="ignore"):
            tab[lab] = np.exp(tab["estimate"])
            tab[f"{lab}_ci_lower"] = np.exp(tab["ci_lower"])
            tab[f"{lab}_ci_upper"] = np.exp(tab["ci_upper"])
    return tab


def _p_against_null(tab: pd.DataFrame, scales, nulls) -> None:
    """p-values of the pooled t test against each measure's null value on its pooling scale."""
    from scipy import stats

    for i, (scale, null) in enumerate(zip(scales, nulls, strict=True)):
        if scale == "mean":
            continue
        if null is None or not np.isfinite(null):
            tab.loc[i, "p_value"] = np.nan
            continue
        fwd = TRANSFORMS[scale][0]
        z = (tab.loc[i, "estimate"] - float(fwd(np.float64(null)))) / tab.loc[i, "std_error"]
        tab.loc[i, "p_value"] = 2 * stats.t.sf(abs(z), max(tab.loc[i, "df"], 0.001))


def _per_imputation(ex: list[Extracted]) -> pd.DataFrame:
    rows = []
    for i, e in enumerate(ex, start=1):
        for j, term in enumerate(e.terms):
            scale = e.scale[j]
            back, deriv = TRANSFORMS[scale][1], TRANSFORMS[scale][2]
            est = float(back(np.float64(e.estimate[j])))
            with np.errstate(divide="ignore", invalid="ignore"):
                se = float(np.sqrt(e.variance[j]) / abs(deriv(np.float64(est))))
            rows.append({"imputation": i, "term": term, "estimate": est, "std_error": se})
    return pd.DataFrame(rows, columns=["imputation", "term", "estimate", "std_error"])


def pool(
    imputed: Any,
    fn: Callable[..., Any],
    *,
    dfcom: float | None = None,
    n_jobs: int = 1,
    client: DaskClient = None,
    **kwargs: Any,
) -> PooledResult:
    """Fit ``fn`` to every imputed data set and pool the results by Rubin's rules.

    Matches R ``summary(mice::pool(fits), conf.int = TRUE)`` (mice 3.15) for model
    coefficients: ``estimate`` is the mean over imputations, the total variance ``t = ubar
    + (1 + 1/m) b``, Barnard–Rubin degrees of freedom with the complete-data df ``dfcom``,
    t-based intervals and p-values, ``riv``, ``lambda`` and ``fmi`` as mice computes them.
    Performance measures are pooled on a scale where they are close to normal — logit for
    the C index and the time-dependent AUC, log for the O:E ratio, natural for Brier scores,
    calibration slopes and NRI/IDI (Marshall et al. 2009; Debray et al. 2023) — and reported
    back-transformed, after each was estimated within its imputed data set (Wahl et al.
    2016; see the module docstring).

    Parameters
    ----------
    imputed : ImputationResult or sequence of DataFrames
        The completed data sets (at least two).
    fn : callable
        ``fn(dataset, **kwargs)``: a ctcstats function (``fit_cox``, ``fit_fine_gray``,
        ``fit_count_model``, ``concordance_index``, ``time_dependent_auc``,
        ``brier_score``, ``calibration``, ``reclassification``, ``added_value``), a
        statsmodels fit (e.g. ``lambda d: smf.logit("y ~ x", d).fit(disp=0)`` for a logistic
        model), or any function returning a DataFrame with ``estimate`` and ``std_error``.
        A measure that needs risk predictions must compute them inside ``fn`` from the model
        fitted to the same imputed data set.
    dfcom : float, optional
        Complete-data degrees of freedom. Default as R ``mice:::get.dfcom``: events minus
        coefficients for Cox and Fine–Gray models, rows minus coefficients for count models,
        ``df_resid`` of statsmodels fits; infinite for performance measures (as
        ``mice::pool.scalar``'s default).
    n_jobs, client
        Fit the data sets in parallel (joblib processes, or a dask ``Client``).
    **kwargs
        Passed to ``fn`` (``conf_level`` is also the level of the pooled intervals).

    Returns
    -------
    PooledResult
        ``table`` (see :class:`PooledResult`), ``per_imputation``, ``kind``, ``m``,
        ``dfcom``, ``conf_level``, ``lr_test`` (for ``added_value``: its likelihood-ratio
        test pooled by D2), ``n_obs`` (rows per data set), ``warnings`` (each fit's warnings,
        with the imputations they came from), ``fits``. For transformed measures
        (``scale`` logit/log) ``estimate, ci_lower, ci_upper`` are back-transformed while
        ``std_error, ubar, b, t`` stay on the pooling scale; ``p_value`` tests the null
        value of the measure (C = AUC = 0.5, O:E = slope = 1, difference = 0; none for
        Brier scores); ``scale = "mean"`` rows are averages only.

    References
    ----------
    Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    Barnard J, Rubin DB (1999). Biometrika 86:948–955.
    Marshall A, Altman DG, Holder RL, Royston P (2009). Combining estimates of interest in
    prognostic modelling studies after multiple imputation. BMC Med Res Methodol 9:57.
    Wahl S, Boulesteix AL, Zierer A, Thorand B, van de Wiel MA (2016). Assessment of
    predictive performance in incomplete data by combining internal validation and
    multiple imputation. BMC Med Res Methodol 16:144.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> rng = np.random.default_rng(3)
    >>> sets = []
    >>> for i in range(5):
    ...     d = pd.DataFrame({"x": rng.normal(size=150)})
    ...     t = rng.exponential(20 / np.exp(0.5 * d.x))
    ...     d["months"], d["event"] = np.minimum(t, 30), (t < 30).astype(int)
    ...     sets.append(d)
    >>> res = cs.pool(sets, cs.fit_cox, time_col="months", event_col="event",
    ...               covariates=["x"])
    >>> list(res.table.columns[:9])
    ['term', 'estimate', 'std_error', 'ci_lower', 'ci_upper', 'df', 'p_value', 'fmi', 'riv']
    >>> bool(res.table.loc[0, "hr"] > 1)
    True
    """
    func = "pool"
    sets = _datasets(imputed, func)
    cl = _conf_level(kwargs, func)
    fits, msgs = _run(sets, fn, kwargs, n_jobs=n_jobs, client=client, func=func)
    ex = [extract(f, func=func) for f in fits]
    _check_same_terms(ex, func)
    dfc = _dfcom(dfcom, ex[0], func)
    table = _pooled_table(ex, dfc, cl)
    lr = None
    if ex[0].lr_test is not None:
        chisq = np.array([e.lr_test[0] for e in ex if e.lr_test is not None])
        k = ex[0].lr_test[1]
        r = d2_test(chisq, int(round(k)))
        lr = PooledTestResult(method="D2", terms=(), m=len(sets), dfcom=math.inf,
                              n_obs=ex[0].n_obs, **r)
    return PooledResult(
        table=table, per_imputation=_per_imputation(ex), kind=ex[0].kind, m=len(sets),
        dfcom=float(dfc), conf_level=cl, lr_test=lr, n_obs=ex[0].n_obs,
        warnings=emit(msgs), _fits=tuple(fits))


# =========================================================================== tests
def _term_index(terms: Sequence[str], available: tuple[str, ...], func: str) -> list[int]:
    if isinstance(terms, str) or not isinstance(terms, Sequence) or len(terms) == 0:
        raise ParameterError(
            f"The 'terms' parameter of {func} must be a non-empty list of covariates or model "
            f"terms; got {terms!r}" + (f" (write [{terms!r}])." if isinstance(terms, str)
                                       else ".")
        )
    idx: list[int] = []
    for name in terms:
        hit = [j for j, t in enumerate(available) if t == name or t.startswith(f"{name}[")]
        if not hit:
            raise ParameterError(
                f"The 'terms' parameter of {func} names {name!r}, which is not a term of the "
                f"fitted model; available: {', '.join(available)}."
            )
        idx.extend(j for j in hit if j not in idx)
    return idx


def _null_fits(sets, fn, kwargs, terms, null_fn, *, n_jobs, client, func):
    if null_fn is not None:
        return _run(sets, null_fn, {}, n_jobs=n_jobs, client=client, func=func)
    covs = kwargs.get("covariates")
    if covs is None:
        raise ParameterError(
            f"{func}(method='D3') needs the null model: pass null_fn (a function fitting the "
            "model without the tested terms), or use a ctcstats fn with a 'covariates' "
            "argument."
        )
    rest = [c for c in covs if c not in set(terms)]
    if len(rest) == len(covs):
        raise ParameterError(
            f"With method='D3', the 'terms' parameter of {func} must name covariates (the "
            f"null model drops them); got {list(terms)!r}, covariates {list(covs)!r}."
        )
    if not rest:
        raise ParameterError(
            f"{func}(method='D3') cannot drop every covariate; pass null_fn or test a subset."
        )
    return _run(sets, fn, {**kwargs, "covariates": rest}, n_jobs=n_jobs, client=client,
                func=func)


def _loglik_pooled(e: Extracted, beta: np.ndarray) -> float:
    """Log-likelihood at the pooled coefficients — with the intercept re-estimated, as
    ``mice::D3`` does (``fix.coef`` refits ``y ~ 1 + offset(X beta)``)."""
    assert e.loglik_at is not None, "checked by the caller"
    if e.intercept_index is None:
        return e.loglik_at(beta)
    j = e.intercept_index

    def neg(a):
        b = beta.copy()
        b[j] += a
        return -e.loglik_at(b)

    res = optimize.minimize_scalar(neg, bracket=(-1.0, 1.0), method="brent",
                                   options={"xtol": 1e-13, "maxiter": 500})
    return float(-res.fun)


def _d3(ex_full: list[Extracted], ex_null: list[Extracted], func: str) -> dict:
    for e in ex_full + ex_null:
        if e.loglik_at is None or e.loglik is None:
            raise ParameterError(
                f"{func}(method='D3') needs the log-likelihood at fixed coefficients, which "
                f"is available for fit_cox (unpenalised) and statsmodels fits, not for a "
                f"{e.kind} result; use method='D1' or 'D2'."
            )
    k = len(ex_full[0].terms) - len(ex_null[0].terms)
    if k <= 0:
        raise ParameterError(f"{func}(method='D3'): the null model is not smaller than the "
                             "full model.")
    q1 = np.mean([e.estimate for e in ex_full], axis=0)
    q0 = np.mean([e.estimate for e in ex_null], axis=0)
    ll1 = [e.loglik for e in ex_full]
    ll0 = [e.loglik for e in ex_null]
    ll1p = [_loglik_pooled(e, q1) for e in ex_full]
    ll0p = [_loglik_pooled(e, q0) for e in ex_null]
    return d3_test(ll1, ll0, ll1p, ll0p, k)


def pooled_test(
    imputed: Any,
    fn: Callable[..., Any],
    *,
    terms: Sequence[str],
    method: Literal["D1", "D2", "D3"] = "D1",
    null_fn: Callable[..., Any] | None = None,
    dfcom: float | None = None,
    n_jobs: int = 1,
    client: DaskClient = None,
    **kwargs: Any,
) -> PooledTestResult:
    """Pooled test that several coefficients are all zero (a categorical covariate, a set of
    markers), over imputed data sets — R ``mice::D1``, ``mice::D2``, ``mice::D3``.

    * ``"D1"`` — multivariate Wald test with the pooled covariance (Li, Raghunathan & Rubin
      1991), denominator df of Reiter (2007) for the complete-data df ``dfcom`` (as
      ``mice::D1``; ``dfcom=inf`` gives the large-sample df of ``mitml::testModels``);
    * ``"D2"`` — combines the per-imputation Wald chi-squares (Li, Meng, Raghunathan &
      Rubin 1991; ``mice::D2``, ``use = "wald"``); needs no pooled covariance but is the
      least accurate;
    * ``"D3"`` — Meng & Rubin (1992) likelihood-ratio test: log-likelihoods of the full and
      null models at each imputation's and at the pooled estimates (``mice::D3``; for models
      with an intercept the intercept is re-estimated at the pooled slopes, as mice does).
      mice refuses Cox models here; ours evaluates the partial likelihood at the pooled
      coefficients.

    Parameters
    ----------
    imputed, fn, **kwargs
        As :func:`pool`; ``fn`` fits the full model.
    terms : list of str
        Covariates (all their terms, e.g. ``"grade"`` → ``grade[G2]``, ``grade[G3]``) or
        individual model terms to test.
    method : {"D1", "D2", "D3"}
    null_fn : callable, optional
        D3 only: fits the model without ``terms`` on a data set; by default ``fn`` with
        ``covariates`` minus ``terms``.
    dfcom : float, optional
        Complete-data df for D1 (default as :func:`pool`).
    n_jobs, client
        Parallel fitting, as :func:`pool`.

    Returns
    -------
    PooledTestResult
        ``method, statistic`` (F), ``df1, df2, p_value, riv, terms`` (model terms tested),
        ``m, dfcom, n_obs, warnings``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> rng = np.random.default_rng(5)
    >>> sets = []
    >>> for i in range(5):
    ...     d = pd.DataFrame({"grade": rng.choice(["G1", "G2", "G3"], 200),
    ...                       "x": rng.normal(size=200)})
    ...     t = rng.exponential(20 / np.exp(0.6 * (d.grade == "G3") + 0.3 * d.x))
    ...     d["months"], d["event"] = np.minimum(t, 30), (t < 30).astype(int)
    ...     sets.append(d)
    >>> test = cs.pooled_test(sets, cs.fit_cox, terms=["grade"], method="D1",
    ...                       time_col="months", event_col="event", covariates=["grade", "x"])
    >>> test.terms, test.df1
    (('grade[G2]', 'grade[G3]'), 2.0)
    """
    func = "pooled_test"
    check_choice(method, name="method", choices=("D1", "D2", "D3"), func=func)
    sets = _datasets(imputed, func)
    fits, msgs = _run(sets, fn, kwargs, n_jobs=n_jobs, client=client, func=func)
    ex = [extract(f, func=func) for f in fits]
    _check_same_terms(ex, func)
    idx = _term_index(terms, ex[0].terms, func)
    tested = tuple(ex[0].terms[j] for j in idx)
    dfc = _dfcom(dfcom, ex[0], func)
    if method in ("D1", "D2"):
        if any(e.covariance is None for e in ex):
            raise ParameterError(
                f"{func}(method={method!r}) needs the covariance matrix of the coefficients, "
                f"which a {ex[0].kind} result does not provide."
            )
        q = np.vstack([e.estimate[idx] for e in ex])
        u = np.stack([e.covariance[np.ix_(idx, idx)] for e in ex if e.covariance is not None])
        if method == "D1":
            r = d1_test(q, u, dfcom=dfc)
        else:
            chisq = [float(qi @ np.linalg.solve(ui, qi)) for qi, ui in zip(q, u, strict=True)]
            r = d2_test(chisq, len(idx))
            dfc = math.inf
    else:
        null, msgs0 = _null_fits(sets, fn, kwargs, terms, null_fn, n_jobs=n_jobs,
                                 client=client, func=func)
        msgs = msgs + msgs0
        ex0 = [extract(f, func=func) for f in null]
        _check_same_terms(ex0, func)
        r = _d3(ex, ex0, func)
        dfc = math.inf
    if not np.isfinite(r["p_value"]):
        msgs.append(Recorded(f"{method}: the denominator degrees of freedom are not "
                             f"defined with m = {len(sets)} imputations and {len(idx)} tested "
                             "terms (k (m - 1) <= 4 with the small-sample correction); use more "
                             "imputations or dfcom=math.inf.", CTCStatsWarning))
    return PooledTestResult(method=method, terms=tested, m=len(sets), dfcom=float(dfc),
                            n_obs=ex[0].n_obs, warnings=emit(msgs), **r)
