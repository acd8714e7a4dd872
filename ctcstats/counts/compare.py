"""Choosing a count model: information criteria, Vuong tests and the over-dispersion LR test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal, cast

import numpy as np
import pandas as pd
from scipy import special, stats

from .._results import Result, TestResult, result
from .._validation import check_choice
from .._warnings import Recorded, capture, emit
from ..errors import ConvergenceError, ConvergenceWarning, ParameterError
from ._engine import log_pmf
from .models import COUNT_KINDS, CountKind, CountModelResult, fit_count_model

__all__ = ["CountModelComparison", "compare_count_models", "vuong_test"]

# Non-nested pairs compared by Vuong's test (zero-inflation / hurdle against its base model,
# and zero-inflation against hurdle); a pair is used when both kinds are fitted.
VUONG_PAIRS = (
    ("poisson", "zip"),
    ("negbin", "zinb"),
    ("poisson", "hurdle_poisson"),
    ("negbin", "hurdle_negbin"),
    ("zip", "hurdle_poisson"),
    ("zinb", "hurdle_negbin"),
)


@result
class CountModelComparison(Result):
    """Comparison of count models fitted to the same rows (see :func:`compare_count_models`).

    Attributes
    ----------
    table : DataFrame
        ``kind, loglik, df, aic, bic`` — one row per kind, in the order requested.
    vuong : DataFrame
        ``model_1, model_2, correction, statistic, p_value, preferred`` — three rows
        (``correction`` = ``none``, ``aic``, ``bic``) per non-nested pair.
    lr_test : TestResult or None
        Poisson vs negative binomial likelihood-ratio test with the boundary correction
        (present when both kinds are fitted).
    fits : dict
        kind → :class:`CountModelResult`.
    """

    _title: ClassVar[str] = "Count model comparison"

    table: pd.DataFrame
    vuong: pd.DataFrame
    lr_test: TestResult | None
    fits: dict
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_items(self):
        items = [("n_obs", self.n_obs), ("n_dropped", self.n_dropped)]
        if self.lr_test is not None:
            items += [("lr_statistic", self.lr_test.statistic),
                      ("lr_p_value", self.lr_test.p_value)]
        return items


def _loglik_obs(fit: CountModelResult) -> np.ndarray:
    f = fit._fit_state()
    mu = np.exp(f.x @ f.beta + f.offset)
    pz = None if f.z is None else special.expit(f.z @ f.gamma)
    return log_pmf(fit.kind, f.y, mu, f.theta, pz)


def vuong_test(fit_1: CountModelResult, fit_2: CountModelResult) -> pd.DataFrame:
    """Vuong's non-nested test of two count models fitted to the same rows.

    Exactly ``pscl::vuong(m1, m2)``: with m_i = log P1(y_i) − log P2(y_i) over the n rows with
    finite values, the statistic is ``sum(m − c) / (sd(m − c) √n)`` with c = 0 (raw),
    c = (k1 − k2)/n (AIC-corrected) or c = (k1 − k2) log(n) / (2n) (BIC-corrected), where k
    is the number of regression coefficients (theta not counted, as pscl's
    ``length(coef(m))``). The p-value is one-sided in the direction of the statistic, as pscl
    prints it: ``1 − Φ(v)`` when v > 0 (model 1 preferred), ``Φ(v)`` otherwise (model 2).

    Returns
    -------
    DataFrame
        ``model_1, model_2, correction, statistic, p_value, preferred`` with ``correction`` in
        ``none, aic, bic``.
    """
    for name, fit in (("fit_1", fit_1), ("fit_2", fit_2)):
        if not isinstance(fit, CountModelResult):
            raise ParameterError(
                f"The {name!r} parameter of vuong_test must be a CountModelResult; got "
                f"{type(fit).__name__}."
            )
    y1, y2 = fit_1._fit_state().y, fit_2._fit_state().y
    if y1.shape != y2.shape or np.any(y1 != y2):
        raise ParameterError(
            "vuong_test needs two models fitted to the same rows and counts; these differ "
            f"(n = {y1.size} and {y2.size})."
        )
    m = _loglik_obs(fit_1) - _loglik_obs(fit_2)
    good = np.isfinite(m)
    n = int(good.sum())
    m = m[good]
    k1 = int(fit_1.table.shape[0])
    k2 = int(fit_2.table.shape[0])
    rows = []
    for label, c in (("none", 0.0), ("aic", (k1 - k2) / n),
                     ("bic", (k1 - k2) / (2 * n) * np.log(n))):
        num = m - c
        sd = np.std(num, ddof=1)
        v = float(num.sum() / (sd * np.sqrt(n))) if sd > 0 else float("nan")
        p = float(stats.norm.sf(v) if v > 0 else stats.norm.cdf(v))
        rows.append({"model_1": fit_1.kind, "model_2": fit_2.kind, "correction": label,
                     "statistic": v, "p_value": p,
                     "preferred": fit_1.kind if v > 0 else fit_2.kind})
    return pd.DataFrame(rows)


def compare_count_models(
    data: pd.DataFrame,
    *,
    count_col: str,
    covariates: Sequence[str],
    kinds: Sequence[str] = COUNT_KINDS,
    volume_col: str | None = None,
    zero_covariates: Sequence[str] | None = None,
    missing: Literal["raise", "drop"] = "raise",
) -> CountModelComparison:
    """Fit several count models to the same patients and compare them.

    Parameters
    ----------
    data, count_col, covariates, volume_col, missing
        As :func:`~ctcstats.counts.fit_count_model`.
    kinds : sequence of str
        Kinds to fit (default: all six).
    zero_covariates : list of str, optional
        Zero-component covariates of the zip/zinb/hurdle kinds (default: ``covariates``).

    Returns
    -------
    CountModelComparison
        ``table`` (``kind, loglik, df, aic, bic``; AIC/BIC as R's ``AIC()``/``BIC()``, theta
        counted), ``vuong`` (``model_1, model_2, correction, statistic, p_value, preferred``
        for each pair of :data:`VUONG_PAIRS` whose kinds are fitted; as ``pscl::vuong``, see
        :func:`vuong_test`), ``lr_test`` (a TestResult with ``statistic`` = 2·(loglik_NB −
        loglik_Poisson), ``df`` = 1 and ``p_value`` = ½·P(χ²₁ > statistic), the boundary
        correction for testing theta = ∞, as ``pscl::odTest``), ``fits`` (kind → result).
        A kind that fails to converge (e.g. theta → ∞) is left out with a recorded warning.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.counts import compare_count_models
    >>> rng = np.random.default_rng(3)
    >>> n = 400
    >>> d = pd.DataFrame({"node_positive": rng.binomial(1, 0.4, n)})
    >>> mu = 7.5 * np.exp(-1.5 + 0.7 * d["node_positive"])
    >>> d["ctc_count"] = np.where(rng.random(n) < 0.3, 0,
    ...                           rng.negative_binomial(1.0, 1.0 / (1.0 + mu)))
    >>> cmp = compare_count_models(d, count_col="ctc_count", covariates=["node_positive"],
    ...                            kinds=("poisson", "negbin", "zinb"))
    >>> cmp.table["kind"].tolist()
    ['poisson', 'negbin', 'zinb']
    >>> cmp.vuong[["model_1", "model_2", "correction"]].values.tolist()[0]
    ['negbin', 'zinb', 'none']
    >>> bool(cmp.lr_test.p_value < 0.05)
    True
    """
    func = "compare_count_models"
    if isinstance(kinds, str):
        raise ParameterError(
            f"The 'kinds' parameter of {func} must be a sequence of kinds; got the string "
            f"{kinds!r} (write ({kinds!r},))."
        )
    kinds = tuple(kinds)
    if not kinds:
        raise ParameterError(f"The 'kinds' parameter of {func} must name at least one kind.")
    for k in kinds:
        check_choice(k, name="kinds", choices=COUNT_KINDS, func=func)
    if len(set(kinds)) != len(kinds):
        raise ParameterError(f"The 'kinds' parameter of {func} names a kind twice: {kinds}.")
    fits: dict[str, CountModelResult] = {}
    notes: list[Recorded] = []
    for kind in kinds:
        zc = zero_covariates if kind in ("zip", "zinb", "hurdle_poisson",
                                         "hurdle_negbin") else None
        with capture() as caught:
            try:
                fits[kind] = fit_count_model(
                    data, count_col=count_col, covariates=covariates,
                    kind=cast(CountKind, kind), volume_col=volume_col, zero_covariates=zc,
                    missing=missing)
            except ConvergenceError as err:
                notes.append(Recorded(f"{kind} left out: {err}", ConvergenceWarning))
        notes += caught.records(kind)
    if not fits:
        raise ConvergenceError(
            f"{func}: no model could be fitted: " + " | ".join(m for m, _ in notes))
    messages = emit(notes)
    first = next(iter(fits.values()))
    table = pd.DataFrame(
        {
            "kind": list(fits),
            "loglik": [f.loglik for f in fits.values()],
            "df": [f.df for f in fits.values()],
            "aic": [f.aic for f in fits.values()],
            "bic": [f.bic for f in fits.values()],
        }
    )
    vu = [vuong_test(fits[a], fits[b]) for a, b in VUONG_PAIRS if a in fits and b in fits]
    vuong = (pd.concat(vu, ignore_index=True) if vu else pd.DataFrame(
        columns=["model_1", "model_2", "correction", "statistic", "p_value", "preferred"]))
    lr = None
    if "poisson" in fits and "negbin" in fits:
        stat = max(0.0, 2 * (fits["negbin"].loglik - fits["poisson"].loglik))
        lr = TestResult(
            method="likelihood ratio, Poisson vs negative binomial (boundary-corrected, "
                   "p = ½·P(χ²₁ > LR), as pscl::odTest)",
            statistic=float(stat), df=1.0, p_value=float(0.5 * stats.chi2.sf(stat, 1)),
            table=pd.DataFrame({"kind": ["poisson", "negbin"],
                                "loglik": [fits["poisson"].loglik, fits["negbin"].loglik]}),
            n_obs=first.n_obs, n_dropped=first.n_dropped,
        )
    return CountModelComparison(
        table=table, vuong=vuong, lr_test=lr, fits=fits, n_obs=first.n_obs,
        n_dropped=first.n_dropped, warnings=messages,
    )
