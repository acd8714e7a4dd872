"""Count regression for CTC/DTC counts: Poisson, negative binomial, zero-inflated and hurdle.

One adapter over statsmodels (see :mod:`ctcstats.counts._engine` for who computes what); the
standard errors are those R reports (``glm``, ``MASS::glm.nb``, ``pscl::zeroinfl``,
``pscl::hurdle``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from .._results import Result, result
from .._validation import (
    check_choice,
    check_conf_level,
    check_count_column,
    check_int,
    check_positive_column,
    prepare_frame,
)
from ..errors import (
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    ParameterError,
)
from ._design import DesignSpec, build_design
from ._engine import NB_KINDS, ZERO_KINDS, fit_engine, moments, pmf_matrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CountModelResult", "fit_count_model", "predict_count_distribution", "COUNT_KINDS"]

COUNT_KINDS = ("poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin")
_LARGE_THETA = 1e4
_LARGE_SE = 50.0

CountKind = Literal["poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin"]


@dataclasses.dataclass(frozen=True)
class _Fitted:
    """What a result keeps of its fit to predict and draw (private)."""

    kind: str
    count_col: str
    volume_col: str | None
    count_spec: DesignSpec
    zero_spec: DesignSpec | None
    beta: np.ndarray
    gamma: np.ndarray
    theta: float
    y: np.ndarray
    x: np.ndarray
    z: np.ndarray | None
    offset: np.ndarray
    index: pd.Index


@result
class CountModelResult(Result):
    """A fitted count regression (see :func:`fit_count_model`).

    Attributes
    ----------
    kind : str
        ``poisson, negbin, zip, zinb, hurdle_poisson`` or ``hurdle_negbin``.
    table : DataFrame
        One row per term: ``component, term, coef, std_error, irr, ci_lower, ci_upper, z,
        p_value``.
    loglik, aic, bic : float
        Log-likelihood at the estimates; ``aic = -2 loglik + 2 df``, ``bic = -2 loglik +
        log(n_obs) df`` (R's ``AIC()`` / ``BIC()``).
    df : int
        Number of estimated parameters, theta included (R's ``attr(logLik(fit), "df")``).
    theta, theta_std_error, log_theta_std_error : float
        Negative-binomial size (R's ``theta``) and its standard error on the theta and the
        log(theta) scale; NaN for the Poisson kinds.
    conf_level : float
    converged : bool
    n_obs, n_dropped : int
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Count regression"

    kind: str
    table: pd.DataFrame
    loglik: float
    df: int
    aic: float
    bic: float
    theta: float
    theta_std_error: float
    log_theta_std_error: float
    conf_level: float
    converged: bool
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _fitted: _Fitted | None = dataclasses.field(default=None, repr=False)

    # ---- prediction ----------------------------------------------------------------------
    def _fit_state(self) -> _Fitted:
        """The fitted design and estimates (kept by every result of fit_count_model)."""
        if self._fitted is None:  # pragma: no cover - results are always built by it
            raise AttributeError("this result does not keep its fitted design")
        return self._fitted

    def _parameters(self, data: pd.DataFrame | None):
        fit = self._fit_state()
        if data is None:
            x, z, offset, index = fit.x, fit.z, fit.offset, fit.index
        else:
            roles = {
                "covariates": list(fit.count_spec.covariates),
                "zero_covariates": (
                    list(fit.zero_spec.covariates) if fit.zero_spec is not None else None
                ),
                "volume_col": fit.volume_col,
            }
            if not any(v for v in roles.values()):
                if not isinstance(data, pd.DataFrame) or data.shape[0] == 0:
                    raise DataValidationError("data must be a non-empty pandas DataFrame.")
                frame = pd.DataFrame(index=data.index)
            else:
                frame = prepare_frame(data, func="predict", roles=roles, missing="raise").frame
            x = fit.count_spec.matrix(frame, role="covariate")
            z = None if fit.zero_spec is None else fit.zero_spec.matrix(frame, role="covariate")
            offset = (
                np.log(check_positive_column(frame, fit.volume_col, role="volume_col"))
                if fit.volume_col is not None
                else np.zeros(frame.shape[0])
            )
            index = frame.index
        mu = np.exp(x @ fit.beta + offset)
        pz = None if z is None else special.expit(z @ fit.gamma)
        return mu, pz, index

    def predict_proba(
        self, data: pd.DataFrame | None = None,
        counts: Sequence[int] | np.ndarray | None = None
    ) -> pd.DataFrame:
        """P(Y = k) per patient: rows are *data*'s rows (default: the fitted rows), columns k.

        ``counts`` defaults to ``range(0, max observed count + 1)``. Matches
        ``predict(fit, newdata, type = "prob")`` of pscl (and ``dpois`` / ``dnbinom`` at the
        fitted means for Poisson and NB).
        """
        ks = np.arange(int(self._fit_state().y.max()) + 1) if counts is None else np.asarray(counts)
        if ks.ndim != 1 or ks.size == 0 or np.any(ks < 0) or np.any(np.mod(ks, 1) != 0):
            raise ParameterError(
                "The 'counts' parameter of predict_proba must be whole numbers ≥ 0; got "
                f"{counts!r}."
            )
        mu, pz, index = self._parameters(data)
        probs = pmf_matrix(self.kind, ks, mu, self._fit_state().theta, pz)
        return pd.DataFrame(probs, index=index, columns=ks.astype(int))

    def predict_mean(self, data: pd.DataFrame | None = None) -> pd.Series:
        """Expected count per patient (pscl ``type = "response"``)."""
        mu, pz, index = self._parameters(data)
        mean, _ = moments(self.kind, mu, self._fit_state().theta, pz)
        return pd.Series(mean, index=index, name="expected_count")

    def prob_zero(self, data: pd.DataFrame | None = None) -> pd.Series:
        """P(Y = 0) per patient (structural and sampling zeros together)."""
        return self.predict_proba(data, counts=[0])[0].rename("prob_zero")

    def prob_at_least(self, data: pd.DataFrame | None = None, k: int = 5) -> pd.Series:
        """P(Y ≥ k) per patient, e.g. k = 5 for the CellSearch ≥5 CTC/7.5 mL threshold."""
        k = check_int(k, name="k", func="prob_at_least", minimum=0)
        if k == 0:
            mu, _, index = self._parameters(data)
            return pd.Series(np.ones(mu.size), index=index, name="prob_at_least")
        probs = self.predict_proba(data, counts=range(k))
        below = probs.sum(axis=1).to_numpy()
        return pd.Series(np.clip(1.0 - below, 0.0, 1.0), index=probs.index, name="prob_at_least")

    def rootogram_table(self) -> pd.DataFrame:
        """Observed and expected frequencies of each count 0..max on the fitted rows.

        Columns ``count, observed, expected``; ``expected`` is the sum over patients of the
        fitted P(Y_i = k) (Kleiber & Zeileis 2016).
        """
        y = self._fit_state().y
        ks = np.arange(int(y.max()) + 1)
        expected = self.predict_proba(None, counts=ks).sum(axis=0).to_numpy()
        observed = np.bincount(y.astype(int), minlength=ks.size)
        return pd.DataFrame({"count": ks, "observed": observed, "expected": expected})

    def plot(self, ax: Axes | None = None, *,
             kind: Literal["rootogram", "frequencies"] = "rootogram", **kwargs: Any) -> Axes:
        """Hanging rootogram (``kind="rootogram"``) or observed-vs-expected frequency bars.

        See :func:`ctcstats.plotting.counts.plot_rootogram`; returns the Axes.
        """
        from ..plotting import counts as pc

        check_choice(kind, name="kind", choices=("rootogram", "frequencies"),
                     func="CountModelResult.plot")
        table = self.rootogram_table()
        label = {"poisson": "Poisson", "negbin": "negative binomial", "zip": "ZIP",
                 "zinb": "ZINB", "hurdle_poisson": "Poisson hurdle",
                 "hurdle_negbin": "NB hurdle"}[self.kind]
        if kind == "rootogram":
            return pc.plot_rootogram(table, ax=ax, label=label, **kwargs)
        return pc.plot_count_frequencies(table, ax=ax, label=label, **kwargs)


# --------------------------------------------------------------------------- fitting
def _check_covariates(value, *, name: str, func: str) -> list[str]:
    if isinstance(value, str):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a list of column names; got the string "
            f"{value!r} (write [{value!r}])."
        )
    try:
        return list(value)
    except TypeError:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a list of column names; got {value!r}."
        ) from None


def _term_table(fit, names_x, names_z, conf_level) -> pd.DataFrame:
    coef = np.r_[fit.beta, fit.gamma]
    se = np.sqrt(np.where(np.diag(fit.cov) > 0, np.diag(fit.cov), np.nan))
    q = stats.norm.ppf(0.5 + conf_level / 2)
    z = coef / se
    with np.errstate(over="ignore"):
        table = pd.DataFrame(
            {
                "component": ["count"] * len(names_x) + ["zero"] * len(names_z),
                "term": list(names_x) + list(names_z),
                "coef": coef,
                "std_error": se,
                "irr": np.exp(coef),
                "ci_lower": np.exp(coef - q * se),
                "ci_upper": np.exp(coef + q * se),
                "z": z,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
            }
        )
    return table


def fit_count_model(
    data: pd.DataFrame,
    *,
    count_col: str,
    covariates: Sequence[str],
    kind: CountKind = "negbin",
    volume_col: str | None = None,
    zero_covariates: Sequence[str] | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CountModelResult:
    """Regression model for CTC/DTC counts (Poisson, NB, zero-inflated or hurdle).

    The count component has a log link, ``log E[count] = log(volume) + x'beta``: with
    ``volume_col`` the sampled volume (or the number of cells examined) is the exposure, so
    ``exp(intercept)`` is a concentration per mL (per cell) and ``exp(beta)`` a rate ratio.

    * ``poisson`` — ``glm(family = poisson)``.
    * ``negbin`` — ``MASS::glm.nb``: NB2 with size ``theta`` (variance ``mu + mu^2/theta``).
    * ``zip`` / ``zinb`` — ``pscl::zeroinfl(dist = "poisson" / "negbin")``: a patient is a
      structural zero with probability ``pi = logit^-1(z'gamma)``, otherwise Poisson / NB.
    * ``hurdle_poisson`` / ``hurdle_negbin`` — ``pscl::hurdle(dist = "poisson" / "negbin",
      zero.dist = "binomial")``: ``logit P(count > 0) = z'gamma`` (note the direction: pscl's
      binomial hurdle models *crossing* the hurdle), positive counts zero-truncated Poisson/NB.

    Parameters
    ----------
    data : DataFrame
        One row per patient (or per draw).
    count_col : str
        Whole-number counts ≥ 0.
    covariates : list of str
        Count-component covariates. Numeric/boolean columns enter as they are; strings and
        pandas Categoricals become indicator terms ``col[level]`` against the first level
        (sorted; a Categorical's own order), as R's treatment contrasts.
    kind : {"poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin"}
    volume_col : str, optional
        Sampled volume (mL) or cells examined, > 0; enters as ``offset(log(volume))`` of the
        count component only (as pscl's ``offset =`` argument).
    zero_covariates : list of str, optional
        Covariates of the zero component of zip/zinb/hurdle kinds; default: the same as
        ``covariates`` (R's ``y ~ x`` without ``|``); ``[]`` for an intercept-only zero part.
        Giving it with ``poisson`` or ``negbin`` is a ParameterError.
    conf_level : float
        Level of the Wald intervals.
    missing : {"raise", "drop"}

    Returns
    -------
    CountModelResult
        ``table`` has one row per term with columns ``component`` (``count`` or ``zero``),
        ``term`` (``intercept``, a covariate or ``col[level]``), ``coef`` (log rate ratio for
        the count component; log odds ratio for the zero component), ``std_error``, ``irr``
        (``exp(coef)``: the rate ratio for ``count`` rows — for the intercept the baseline
        rate per unit volume — and the odds ratio of a structural zero (zip/zinb) or of a
        positive count (hurdles) for ``zero`` rows), ``ci_lower``, ``ci_upper`` (Wald
        interval ``exp(coef ± z·std_error)``, on the same rate-ratio/odds-ratio scale as
        ``irr``), ``z`` and the two-sided Wald ``p_value``. Scalars ``loglik, df, aic, bic,
        theta, theta_std_error, log_theta_std_error, converged``; ``predict_proba``,
        ``predict_mean``, ``prob_zero``, ``prob_at_least`` and ``plot`` (rootogram).

    Notes
    -----
    Standard errors are those R reports: for ``poisson``/``negbin`` the GLM (IRLS)
    information at the fitted theta (``summary(glm.nb(...))``), with ``theta_std_error``
    equal to glm.nb's ``SE.theta`` (MASS ``theta.ml``); for zeroinfl and hurdle kinds the
    inverse observed Hessian of the joint log-likelihood, with ``log_theta_std_error`` equal
    to pscl's ``SE.logtheta`` (``theta_std_error = theta·SE.logtheta``). pscl computes that
    Hessian by finite differences with optim's step 1e-3, so its printed SEs can differ from
    these (exact) ones by ~1e-3 relative when a covariate has a large scale; with
    ``ndeps = rep(1e-6, k)`` in ``zeroinfl.control`` they agree to 1e-7. AIC counts theta
    as a parameter (as ``AIC(glm.nb(...))``). A theta running to infinity (no
    over-dispersion) raises :class:`~ctcstats.errors.ConvergenceError` suggesting the
    Poisson counterpart; a fit that stops short, or a term whose standard error exceeds 50
    (a nearly flat likelihood, e.g. a zero component with no zero-inflation to explain),
    issues a :class:`~ctcstats.errors.ConvergenceWarning` recorded in ``warnings``.

    References
    ----------
    Zeileis A, Kleiber C, Jackman S (2008). Regression models for count data in R. Journal of
    Statistical Software 27(8). Venables WN, Ripley BD (2002). Modern Applied Statistics with
    S, 4th ed., §7.4.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.counts import fit_count_model
    >>> rng = np.random.default_rng(1)
    >>> n = 300
    >>> cohort = pd.DataFrame({"node_positive": rng.binomial(1, 0.4, n),
    ...                        "blood_volume_ml": np.where(rng.random(n) < 0.7, 7.5, 30.0)})
    >>> mu = cohort["blood_volume_ml"] * np.exp(-1.5 + 0.7 * cohort["node_positive"])
    >>> cohort["ctc_count"] = rng.negative_binomial(0.8, 0.8 / (0.8 + mu))
    >>> fit = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
    ...                       volume_col="blood_volume_ml", kind="negbin")
    >>> fit.table[["component", "term"]].values.tolist()
    [['count', 'intercept'], ['count', 'node_positive']]
    >>> bool(fit.table["irr"].iloc[1] > 1), fit.df
    (True, 3)
    >>> zinb = fit_count_model(cohort, count_col="ctc_count", covariates=["node_positive"],
    ...                        volume_col="blood_volume_ml", kind="zinb", zero_covariates=[])
    >>> zinb.table["component"].tolist()
    ['count', 'count', 'zero']
    >>> p5 = fit.prob_at_least(cohort.head(3), k=5)   # P(≥5 CTC) per patient
    >>> bool(((p5 >= 0) & (p5 <= 1)).all())
    True
    """
    func = "fit_count_model"
    kind = check_choice(kind, name="kind", choices=COUNT_KINDS, func=func)
    conf_level = check_conf_level(conf_level, func=func)
    covariates = _check_covariates(covariates, name="covariates", func=func)
    if zero_covariates is not None and kind not in ZERO_KINDS:
        raise ParameterError(
            f"The 'zero_covariates' parameter of {func} applies only to kinds with a zero "
            f"component ('zip', 'zinb', 'hurdle_poisson', 'hurdle_negbin'); got it with "
            f"kind={kind!r}. Drop zero_covariates or choose a zero-inflated or hurdle kind."
        )
    if kind in ZERO_KINDS:
        zero_covs = covariates if zero_covariates is None else _check_covariates(
            zero_covariates, name="zero_covariates", func=func)
    else:
        zero_covs = None
    prepared = prepare_frame(
        data,
        func=func,
        roles={"count_col": count_col, "covariates": covariates,
               "zero_covariates": zero_covs, "volume_col": volume_col},
        missing=missing,
    )
    frame = prepared.frame
    y = check_count_column(frame, count_col)
    if not np.any(y > 0):
        raise DataValidationError(
            f"count_col {count_col!r} is zero in every one of the {y.size} rows; a count "
            "model has nothing to estimate (the rate's maximum-likelihood estimate is 0). "
            "Report the detection rate instead (detection_rates) or check the column."
        )
    if kind in ZERO_KINDS and not np.any(y == 0):
        raise DataValidationError(
            f"count_col {count_col!r} has no zeros; the zero component of kind={kind!r} "
            "cannot be estimated. Use kind='poisson' or 'negbin'."
        )
    offset = (
        np.log(check_positive_column(frame, volume_col, role="volume_col"))
        if volume_col is not None
        else np.zeros(frame.shape[0])
    )
    x, count_spec = build_design(frame, covariates, func=func, role="covariates")
    if zero_covs is not None:
        z, zero_spec = build_design(frame, zero_covs, func=func, role="zero_covariates")
    else:
        z, zero_spec = None, None
    k_total = x.shape[1] + (0 if z is None else z.shape[1]) + (kind in NB_KINDS)
    if y.size <= k_total:
        raise DataValidationError(
            f"{func} has {y.size} rows for {k_total} parameters; a {kind} model needs more "
            "patients than parameters (drop covariates or pool data)."
        )
    engine = fit_engine(kind, y, x, z, offset)

    notes: list[str] = []
    if not engine.converged:
        detail = f" (statsmodels said: {engine.messages[0]})" if engine.messages else ""
        notes.append(
            f"The {kind} fit did not converge: the Newton step did not shrink below 1e-10; "
            f"the estimates may not be the maximum-likelihood estimates{detail}. Simplify the "
            "model (fewer zero covariates) or check for separation."
        )
    table = _term_table(engine, count_spec.terms,
                        () if zero_spec is None else zero_spec.terms, conf_level)
    # judged per standard deviation of the covariate, so that its unit does not matter
    se_std = engine.std_error_standardised
    assert se_std is not None, "the engine reports standardised standard errors"
    is_flat = ~(se_std <= _LARGE_SE)
    if is_flat.any():
        flat = table.loc[is_flat]
        terms = ", ".join(f"{c} {t!r} ({s:.3g})" for c, t, s in
                          zip(flat["component"], flat["term"], se_std[is_flat], strict=True))
        notes.append(
            f"Standard errors above {_LARGE_SE:g} per standard deviation of the covariate for "
            f"{terms}: the likelihood is nearly flat in these terms (quasi-separation, or a "
            "zero component with no zero-inflation to explain); their estimates are not "
            "usable. Remove the terms or use a simpler kind."
        )
    for msg in notes:
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    if kind in NB_KINDS and engine.theta > _LARGE_THETA:
        msg = (
            f"theta = {engine.theta:.4g} is very large: the counts show no over-dispersion "
            f"beyond the Poisson; the Poisson counterpart of kind={kind!r} fits as well."
        )
        warnings.warn(msg, DataWarning, stacklevel=2)
        notes.append(msg)

    mu = np.exp(x @ engine.beta + offset)
    pz = None if z is None else special.expit(z @ engine.gamma)
    from ._engine import log_pmf

    loglik = float(np.sum(log_pmf(kind, y, mu, engine.theta, pz)))
    df = int(k_total)
    n = int(y.size)
    fitted = _Fitted(kind, count_col, volume_col, count_spec, zero_spec, engine.beta,
                     engine.gamma, float(engine.theta), y, x, z, offset, frame.index)
    return CountModelResult(
        kind=kind,
        table=table,
        loglik=loglik,
        df=df,
        aic=-2 * loglik + 2 * df,
        bic=-2 * loglik + np.log(n) * df,
        theta=float(engine.theta) if kind in NB_KINDS else float("nan"),
        theta_std_error=float(engine.theta_se),
        log_theta_std_error=float(engine.log_theta_se),
        conf_level=conf_level,
        converged=bool(engine.converged),
        n_obs=n,
        n_dropped=prepared.n_dropped,
        warnings=tuple(notes),
        _fitted=fitted,
    )


def predict_count_distribution(
    result: CountModelResult,
    data: pd.DataFrame | None = None,
    *,
    max_count: int | None = None,
    threshold: int = 5,
) -> pd.DataFrame:
    """Predicted count distribution per patient from a fitted count model.

    Parameters
    ----------
    result : CountModelResult
    data : DataFrame, optional
        Patients to predict for (needs the model's covariates and volume column); default: the
        rows the model was fitted on.
    max_count : int, optional
        Largest count k with its own probability column; default: the largest fitted count.
    threshold : int
        Positivity threshold for ``prob_at_least`` (5 = CellSearch ≥5 CTC per 7.5 mL).

    Returns
    -------
    DataFrame
        One row per patient with columns ``row`` (the patient's row label), ``expected_count``,
        ``variance``, ``prob_zero``, ``prob_at_least`` (P(count ≥ threshold)), ``threshold``,
        then ``p_0, p_1, …, p_<max_count>`` (P(count = k)). Matches pscl's
        ``predict(type = "response")`` and ``predict(type = "prob")``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.counts import fit_count_model, predict_count_distribution
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"er_positive": rng.binomial(1, 0.6, 200)})
    >>> d["ctc_count"] = rng.poisson(np.exp(0.3 + 0.5 * d["er_positive"]))
    >>> fit = fit_count_model(d, count_col="ctc_count", covariates=["er_positive"],
    ...                       kind="poisson")
    >>> pred = predict_count_distribution(fit, d.head(2), max_count=3, threshold=2)
    >>> list(pred.columns)[:6]
    ['row', 'expected_count', 'variance', 'prob_zero', 'prob_at_least', 'threshold']
    >>> list(pred.columns)[6:]
    ['p_0', 'p_1', 'p_2', 'p_3']
    """
    if not isinstance(result, CountModelResult):
        raise ParameterError(
            "The 'result' parameter of predict_count_distribution must be a CountModelResult "
            f"from fit_count_model; got {type(result).__name__}."
        )
    threshold = check_int(threshold, name="threshold", func="predict_count_distribution",
                          minimum=0)
    if max_count is None:
        max_count = int(result._fit_state().y.max())
    max_count = check_int(max_count, name="max_count", func="predict_count_distribution",
                          minimum=0)
    mu, pz, index = result._parameters(data)
    theta = result._fit_state().theta
    mean, var = moments(result.kind, mu, theta, pz)
    probs = pmf_matrix(result.kind, np.arange(max(max_count + 1, threshold)), mu, theta, pz)
    at_least = np.clip(1.0 - probs[:, :threshold].sum(axis=1), 0.0, 1.0)
    out = pd.DataFrame(
        {
            "row": list(index),
            "expected_count": mean,
            "variance": var,
            "prob_zero": probs[:, 0],
            "prob_at_least": at_least,
            "threshold": threshold,
        }
    )
    cols = pd.DataFrame(probs[:, : max_count + 1], columns=[f"p_{k}" for k in
                                                          range(max_count + 1)])
    return pd.concat([out, cols], axis=1)
