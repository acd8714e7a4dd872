"""Rubin's rules and the multi-parameter pooled tests, as plain numerics.

Everything here works on arrays of per-imputation estimates; :mod:`.pooling` turns fitted
results into those arrays. The formulas are those of R ``mice`` 3.15 (``pool.fitlist``,
``barnard.rubin``, ``pool.scalar``) and of ``mitml`` 0.4.4 (``.D1``, ``.D2``), which
``mice::D1`` and ``mice::D2`` call, and ``mice::D3`` (Meng & Rubin 1992); the tests compare
them with stored R output to 1e-10.

References
----------
Rubin DB (1987). *Multiple Imputation for Nonresponse in Surveys.* Wiley.
Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple imputation.
*Biometrika* 86:948–955.
Li KH, Raghunathan TE, Rubin DB (1991). Large-sample significance levels from multiply
imputed data using moment-based statistics and an F reference distribution. *JASA*
86:1065–1073 (D1).
Li KH, Meng XL, Raghunathan TE, Rubin DB (1991). Significance levels from repeated
p-values with multiply-imputed data. *Statistica Sinica* 1:65–92 (D2).
Meng XL, Rubin DB (1992). Performing likelihood ratio tests with multiply-imputed data sets.
*Biometrika* 79:103–111 (D3).
Reiter JP (2007). Small-sample degrees of freedom for multi-component significance tests
with multiple imputation for missing data. *Biometrika* 94:502–508 (D1 with ``dfcom``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "barnard_rubin_df",
    "rubin_rules",
    "d1_test",
    "d2_test",
    "d3_test",
]


def barnard_rubin_df(m: int, b, t, dfcom=math.inf) -> np.ndarray:
    """Barnard–Rubin (1999) degrees of freedom, exactly as R ``mice:::barnard.rubin``.

    ``lambda = (1 + 1/m) b / t`` is floored at 1e-4 (so that a term without
    between-imputation variance gets a large, finite df); with ``dfcom = inf`` the df is
    Rubin's ``(m - 1) / lambda**2``.
    """
    b = np.asarray(b, dtype=float)
    t = np.asarray(t, dtype=float)
    dfcom = np.asarray(dfcom, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (1.0 + 1.0 / m) * b / t
        lam = np.where(lam < 1e-4, 1e-4, lam)
        dfold = (m - 1) / lam**2
        dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
        out = np.where(np.isinf(dfcom), dfold, dfold * dfobs / (dfold + dfobs))
    return out


def rubin_rules(
    estimates, variances, *, dfcom=math.inf, conf_level: float = 0.95, terms=None
) -> pd.DataFrame:
    """Pool per-imputation estimates by Rubin's rules with Barnard–Rubin df (mice ``pool``).

    Parameters
    ----------
    estimates, variances : array-like, shape (m,) or (m, k)
        Estimate and its squared standard error in each of the ``m`` imputed data sets.
    dfcom : float or array of k floats
        Complete-data degrees of freedom (R ``mice`` takes ``df.residual``, or for ``coxph``
        the number of events minus the number of coefficients); ``inf`` for large-sample.
    conf_level : float
    terms : sequence of str, optional
        Row labels (default ``0..k-1``).

    Returns
    -------
    DataFrame
        One row per term: ``term, estimate`` (mean over imputations, mice ``qbar``),
        ``std_error`` (``sqrt(t)``), ``ci_lower, ci_upper`` (``estimate ± t_{df} ·
        std_error``, as ``confint.mipo``), ``df`` (Barnard–Rubin), ``p_value`` (two-sided t
        test of 0 on ``max(df, 0.001)`` df, as ``summary.mipo``), ``fmi`` (fraction of
        missing information ``(riv + 2/(df + 3)) / (riv + 1)``), ``riv`` (relative increase
        in variance ``(1 + 1/m) b / ubar``), ``lambda`` (``(1 + 1/m) b / t``), ``ubar``
        (mean within-imputation variance), ``b`` (between-imputation variance, ``ddof=1``),
        ``t`` (total variance ``ubar + (1 + 1/m) b``), ``m`` and ``dfcom``.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.ndim == 1:
        q = q[:, None]
        u = u[:, None]
    m, k = q.shape
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1) if m > 1 else np.full(k, np.nan)
    t = ubar + (1.0 + 1.0 / m) * b
    dfc = np.broadcast_to(np.asarray(dfcom, dtype=float), (k,))
    df = barnard_rubin_df(m, b, t, dfc)
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1.0 + 1.0 / m) * b / ubar
        lam = (1.0 + 1.0 / m) * b / t
        fmi = (riv + 2.0 / (df + 3.0)) / (riv + 1.0)
        se = np.sqrt(t)
        stat = qbar / se
    p = 2.0 * stats.t.sf(np.abs(stat), np.maximum(df, 0.001))
    tq = stats.t.ppf(0.5 + conf_level / 2.0, df)
    return pd.DataFrame({
        "term": list(terms) if terms is not None else list(range(k)),
        "estimate": qbar, "std_error": se, "ci_lower": qbar - tq * se,
        "ci_upper": qbar + tq * se, "df": df, "p_value": p, "fmi": fmi, "riv": riv,
        "lambda": lam, "ubar": ubar, "b": b, "t": t, "m": m, "dfcom": dfc.astype(float),
    })


def _f_result(statistic: float, df1: float, df2: float, riv: float) -> dict:
    ok = np.isfinite(statistic) and not np.isnan(df2) and df2 > 0
    p = float(stats.f.sf(statistic, df1, df2)) if ok else math.nan
    return {"statistic": float(statistic), "df1": float(df1), "df2": float(df2),
            "p_value": p, "riv": float(riv)}


def _denominator_df(k: int, m: int, r: float) -> float:
    """Li–Raghunathan–Rubin (1991) denominator df of D1/D3 (mitml ``.D1`` without df.com)."""
    t = k * (m - 1)
    with np.errstate(divide="ignore"):
        r = np.float64(r)
        if t > 4:
            return float(4 + (t - 4) * (1 + (1 - 2 / t) / r) ** 2)
        return float(t * (1 + 1 / k) * (1 + 1 / r) ** 2 / 2)


def d1_test(estimates, covariances, *, dfcom=None) -> dict:
    """D1: multivariate Wald test of ``Q = 0`` pooled over imputations (mitml ``.D1``).

    Parameters
    ----------
    estimates : array, shape (m, k)
    covariances : array, shape (m, k, k)
    dfcom : float, optional
        Complete-data df; given, the denominator df is Reiter's (2007) small-sample one (as
        ``mice::D1``, which passes ``get.dfcom``); None is the large-sample version.

    Returns
    -------
    dict with ``statistic`` (F), ``df1`` (k), ``df2``, ``p_value``, ``riv``.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(covariances, dtype=float)
    m, k = q.shape
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = np.atleast_2d(np.cov(q, rowvar=False, ddof=1))
    r = (1 + 1 / m) * float(np.trace(b @ np.linalg.inv(ubar))) / k
    ttilde = (1 + r) * ubar
    stat = float(qbar @ np.linalg.solve(ttilde, qbar)) / k
    t = np.float64(k * (m - 1))
    if dfcom is not None and np.isfinite(dfcom):
        # Reiter (2007); with k (m - 1) <= 4 it divides by zero and, as in R, gives inf/NaN
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a = r * t / (t - 2)
            vstar = ((dfcom + 1) / (dfcom + 3)) * dfcom
            c0 = 1 / (t - 4)
            c1 = vstar - 2 * (1 + a)
            c2 = vstar - 4 * (1 + a)
            z = (1 / c2 + c0 * (a**2 * c1 / ((1 + a) ** 2 * c2))
                 + c0 * (8 * a**2 * c1 / ((1 + a) * c2**2) + 4 * a**2 / ((1 + a) * c2))
                 + c0 * (4 * a**2 / (c2 * c1) + 16 * a**2 * c1 / c2**3)
                 + c0 * (8 * a**2 / c2**2))
            v = float(4 + 1 / z)
    else:
        v = _denominator_df(k, m, r)
    return _f_result(stat, k, v, r)


def d2_test(chisq, k: int) -> dict:
    """D2: combine ``m`` chi-square statistics on ``k`` df (mitml ``.D2``, mice ``D2``).

    Returns ``statistic`` (F), ``df1`` (k), ``df2``, ``p_value`` and ``riv`` (computed from
    the square roots of the statistics; negative statistics are not expected).
    """
    d = np.asarray(chisq, dtype=float)
    m = d.size
    dbar = d.mean()
    r = (1 + 1 / m) * float(np.var(np.sqrt(d), ddof=1))
    stat = (dbar / k - (m + 1) / (m - 1) * r) / (1 + r)
    with np.errstate(divide="ignore"):
        v = k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2
    return _f_result(stat, k, v, r)


def d3_test(loglik_full, loglik_null, loglik_full_pooled, loglik_null_pooled, k: int) -> dict:
    """D3: Meng–Rubin (1992) pooled likelihood-ratio test (``mice::D3``).

    Parameters
    ----------
    loglik_full, loglik_null : array, shape (m,)
        Log-likelihood of the full and the null model at each imputation's own estimates.
    loglik_full_pooled, loglik_null_pooled : array, shape (m,)
        The same log-likelihoods evaluated at the pooled estimates.
    k : int
        Number of parameters tested.
    """
    lf, ln = np.asarray(loglik_full, float), np.asarray(loglik_null, float)
    lfp, lnp = np.asarray(loglik_full_pooled, float), np.asarray(loglik_null_pooled, float)
    m = lf.size
    dev_m = float(np.mean(-2 * ln + 2 * lf))
    dev_l = float(np.mean(-2 * lnp + 2 * lfp))
    r = ((m + 1) / (k * (m - 1))) * (dev_m - dev_l)
    stat = dev_l / (k * (1 + r))
    return _f_result(stat, k, _denominator_df(k, m, r), r)
