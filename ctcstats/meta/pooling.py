"""Meta-analysis of published (or per-study) effects: fixed and random effects, as metafor.

statsmodels has ``combine_effects`` (FE, DL, Paule–Mandel) but no REML, no Q-profile
confidence interval for τ²/I² and no Hartung–Knapp–Sidik–Jonkman adjustment, so the
estimators are written here, each following ``metafor::rma.uni`` (version 3.8) step for step:

* ``fixed``: inverse-variance weights 1/v_i.
* ``dl``: DerSimonian–Laird moment estimator, truncated at 0.
* ``reml``: Fisher scoring on the restricted likelihood, started at the Hedges (HE)
  estimator, step-halving at the boundary τ² = 0 (metafor's algorithm).
* ``pm``: Paule–Mandel, the root of the generalised Q statistic = k − 1.

``test="knha"`` gives the Hartung–Knapp–Sidik–Jonkman standard error with t_{k−1} quantiles,
which metafor does not truncate (neither do we). Heterogeneity: Cochran's Q with weights
1/v_i, I² = 100·τ²/(τ² + s²) with s² the "typical" within-study variance (for the fixed-effect
model I² = 100·(Q − df)/Q truncated at 0, as metafor prints), and Q-profile confidence
intervals for τ², I² and H² (``confint.rma.uni``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._results import Result, result
from .._validation import (
    check_choice,
    check_conf_level,
    check_numeric_column,
    check_real,
    format_labels,
    prepare_frame,
)
from ..errors import ConvergenceError, DataValidationError, DataWarning

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MetaResult", "meta_analysis", "log_hr_from_ci"]

_METHODS = ("fixed", "dl", "reml", "pm")
_TOL = 1e-12
_MAXITER = 1000


@result
class MetaResult(Result):
    """Pooled estimate of a meta-analysis (``meta_analysis``).

    Attributes
    ----------
    estimate, std_error, ci_lower, ci_upper, z, p_value : float
        Pooled effect on the analysis scale (e.g. log hazard ratio); with ``test="knha"``
        ``z`` is the t statistic on ``k − 1`` degrees of freedom.
    pi_lower, pi_upper : float
        Prediction interval for the effect in a new study (equal to the CI for ``fixed``).
    tau2, tau2_ci_lower, tau2_ci_upper : float
        Between-study variance and its Q-profile CI (NaN for ``fixed``).
    i2, i2_ci_lower, i2_ci_upper, h2 : float
        I² in percent (as metafor) with its Q-profile CI; H².
    q, q_df, q_p_value : float
        Cochran's Q test of heterogeneity.
    table : DataFrame
        One row per study: ``study, estimate, std_error, ci_lower, ci_upper, weight``
        (weight in percent of the total, as ``weights(rma)``).
    """

    _title: ClassVar[str] = "Meta-analysis"

    method: str
    test: str
    k: int
    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    z: float
    p_value: float
    pi_lower: float
    pi_upper: float
    tau2: float
    tau2_ci_lower: float
    tau2_ci_upper: float
    i2: float
    i2_ci_lower: float
    i2_ci_upper: float
    h2: float
    q: float
    q_df: float
    q_p_value: float
    conf_level: float
    table: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, *, kind: str = "forest", exponentiate: bool = True,
             xlabel: str | None = None) -> Axes:
        """``kind="forest"``: one row per study with its CI and weight, the pooled diamond and
        the prediction interval; ``kind="funnel"``: estimates against standard errors with the
        pseudo-confidence region. ``exponentiate=True`` shows hazard ratios on a log axis."""
        from ..plotting.meta import plot_forest, plot_funnel

        check_choice(kind, name="kind", choices=("forest", "funnel"), func="MetaResult.plot")
        if kind == "funnel":
            return plot_funnel(self, ax=ax, exponentiate=exponentiate)
        return plot_forest(self, ax=ax, exponentiate=exponentiate, xlabel=xlabel)


# --------------------------------------------------------------------------- estimators
# Written for a general moderator matrix X (k × p) so that meta-regression (Egger's test,
# subgroup models) shares the estimators; the pooled model is X = a column of ones.
def weighted_least_squares(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float):
    """Weighted least squares at τ²: (β̂, vcov(β̂), weights, P, residual Q) (package-internal,
    shared with :mod:`.sensitivity`).

    Computed from a complete QR decomposition of ``W^½ X`` (rows in decreasing weight, so
    the decomposition is accurate row by row) rather than as ``W − W X (X'WX)⁻¹ X'W``: with
    ``Q₂`` the orthogonal complement, ``P = W^½ Q₂ Q₂' W^½`` and the residual Q is
    ``‖Q₂' W^½ y‖²``. The textbook form cancels catastrophically when one study's variance
    is tiny (one weight dominates): Q came out wrong or negative and I² 0 (issue 13); this
    form is non-negative and accurate to rounding however unequal the weights.
    """
    w = 1.0 / (v + tau2)
    k, p = X.shape
    order = np.argsort(-w, kind="stable")
    sw = np.sqrt(w[order])
    Q, R = np.linalg.qr(sw[:, None] * X[order], mode="complete")
    r_inv = np.linalg.inv(R[:p])
    beta = r_inv @ (Q[:, :p].T @ (sw * y[order]))
    vb = r_inv @ r_inv.T
    M = np.empty((k, k - p))
    M[order] = sw[:, None] * Q[:, p:]
    P = M @ M.T
    rss = float(np.sum((Q[:, p:].T @ (sw * y[order])) ** 2))
    return beta, vb, w, P, rss


def _q_gen(y: np.ndarray, v: np.ndarray, tau2: float, X: np.ndarray | None = None) -> float:
    """Generalised Q: Σ w_i(τ²)(y_i − x_iβ̂(τ²))²."""
    X = np.ones((len(y), 1)) if X is None else X
    return weighted_least_squares(y, v, X, tau2)[4]


def _tau2_dl(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    k, p = X.shape
    _, _, _, P, q = weighted_least_squares(y, v, X, 0.0)
    return max(0.0, (q - (k - p)) / float(np.trace(P)))


def _tau2_he(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    k, p = X.shape
    H = X @ np.linalg.inv(X.T @ X) @ X.T
    P = np.eye(k) - H
    rss = float(y @ P @ y)
    return max(0.0, (rss - float(np.trace(P * v))) / (k - p))


def _tau2_reml(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> tuple[float, int]:
    # metafor: Fisher scoring started at the HE estimate, halving a step that would leave
    # [0, inf); we iterate to |Δτ²| < 1e-12 (metafor's default threshold is 1e-5).
    tau2 = _tau2_he(y, v, X)
    for it in range(1, _MAXITER + 1):
        P = weighted_least_squares(y, v, X, tau2)[3]
        PP = P @ P
        adj = (y @ PP @ y - np.trace(P)) / np.trace(PP)
        while tau2 + adj < 0:
            adj /= 2.0
        tau2_new = tau2 + adj
        if abs(tau2_new - tau2) < _TOL:
            return max(0.0, tau2_new), it
        tau2 = tau2_new
    raise ConvergenceError(
        f"REML estimation of tau2 did not converge in {_MAXITER} Fisher-scoring steps; try "
        "method='dl' or method='pm'."
    )


def _tau2_pm(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    k, p = X.shape
    if _q_gen(y, v, 0.0, X) <= k - p:
        return 0.0
    hi = max(1.0, 10 * np.var(y, ddof=1))
    while _q_gen(y, v, hi, X) > k - p:
        hi *= 10
    return float(optimize.brentq(lambda t: _q_gen(y, v, t, X) - (k - p), 0.0, hi, xtol=_TOL))


def estimate_tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str) -> float:
    """Between-study variance τ² by ``method`` (``fixed``, ``dl``, ``reml``, …), as metafor's
    ``rma``; shared with :mod:`.sensitivity` (package-internal)."""
    if method == "fixed":
        return 0.0
    if method == "dl":
        return _tau2_dl(y, v, X)
    if method == "reml":
        return _tau2_reml(y, v, X)[0]
    return _tau2_pm(y, v, X)


def _fe(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float, np.ndarray]:
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(math.sqrt(1.0 / np.sum(w))), w


def _qprofile_ci(y: np.ndarray, v: np.ndarray, conf_level: float) -> tuple[float, float]:
    """Q-profile CI for τ² (Viechtbauer 2007), as ``confint.rma.uni``."""
    k = len(y)
    alpha = 1.0 - conf_level
    crit_lo = stats.chi2.ppf(1 - alpha / 2, k - 1)  # Q(τ²_lo) = upper quantile
    crit_hi = stats.chi2.ppf(alpha / 2, k - 1)
    q0 = _q_gen(y, v, 0.0)

    def root(crit: float) -> float:
        if q0 < crit:
            return 0.0
        hi = max(1.0, 10 * np.var(y, ddof=1))
        while _q_gen(y, v, hi) > crit:
            hi *= 10
            if hi > 1e12:  # pragma: no cover - pathological input
                return math.inf
        return float(optimize.brentq(lambda t: _q_gen(y, v, t) - crit, 0.0, hi, xtol=_TOL))

    return root(crit_lo), root(crit_hi)


def check_study_labels(frame: pd.DataFrame, study_col: str | None, *, func: str) -> None:
    """Each study once: a label in two rows would pool that study twice (package-internal,
    shared with :mod:`.sensitivity`)."""
    if study_col is None:
        return
    s = frame[study_col]
    dup = s.duplicated(keep=False).to_numpy()
    if dup.any():
        shown = ", ".join(repr(v) for v in pd.unique(s[dup])[:3])
        raise DataValidationError(
            f"study_col {study_col!r} names the same study in more than one row ({shown}; "
            f"first row labels: {format_labels(frame.index[dup])}); {func} would count it "
            "twice — keep one row per study (pool subgroups of a study first, or give them "
            "distinct labels if they are independent samples).")


def _typical_variance(v: np.ndarray) -> float:
    """Higgins–Thompson typical within-study variance (k − 1)·Σw / ((Σw)² − Σw²).

    ``(Σw)² − Σw²`` is summed as ``Σᵢ wᵢ·Σ_{j≠i} wⱼ`` so that one dominant weight does not
    cancel it to 0 (or below)."""
    w = 1.0 / v
    k = len(v)
    others = np.array([np.sum(np.delete(w, i)) for i in range(k)])
    return float((k - 1) * np.sum(w) / np.sum(w * others))


# --------------------------------------------------------------------------- public
def meta_analysis(
    data: pd.DataFrame,
    *,
    estimate_col: str,
    std_error_col: str,
    study_col: str | None = None,
    method: Literal["fixed", "dl", "reml", "pm"] = "reml",
    test: Literal["z", "knha"] = "z",
    conf_level: float = 0.95,
    n_col: str | None = None,
    events_col: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
) -> MetaResult:
    """Pool per-study effects with a fixed- or random-effects model.

    Matches R ``metafor::rma(yi, sei=, method=, test=)`` (``method`` ``"FE"``, ``"DL"``,
    ``"REML"``, ``"PM"``), ``predict(rma)`` for the prediction interval and
    ``confint(rma)`` for the Q-profile intervals of τ², I² and H².

    Parameters
    ----------
    data : DataFrame
        One row per study.
    estimate_col, std_error_col : str
        Effect on an additive scale (e.g. log hazard ratio) and its standard error (> 0).
        For published HRs with a CI, convert first with :func:`log_hr_from_ci`.
    study_col : str, optional
        Study labels for the table and forest plot (row labels otherwise).
    method : {"fixed", "dl", "reml", "pm"}
        Fixed effect, DerSimonian–Laird, restricted maximum likelihood, Paule–Mandel.
    test : {"z", "knha"}
        Normal-theory inference, or the Hartung–Knapp–Sidik–Jonkman adjustment (t on
        k − 1 degrees of freedom), recommended when there are few studies.
    conf_level : float
        Level of every interval.
    n_col, events_col : str, optional
        Patients and events per study; carried into ``table`` (columns ``n`` and
        ``n_events``) and printed in the forest plot.
    missing : {"raise", "drop"}

    Returns
    -------
    MetaResult
        Scalars ``estimate, std_error, ci_lower, ci_upper, z, p_value, pi_lower, pi_upper,
        tau2, tau2_ci_lower, tau2_ci_upper, i2, i2_ci_lower, i2_ci_upper, h2, q, q_df,
        q_p_value``; ``table`` with columns ``study, estimate, std_error, ci_lower,
        ci_upper, weight`` (percent).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> studies = pd.DataFrame({"study": ["A", "B", "C", "D", "E"],
    ...                         "log_hr": np.log([1.8, 2.4, 1.5, 2.9, 2.0]),
    ...                         "se": [0.12, 0.20, 0.25, 0.30, 0.18]})
    >>> res = cs.meta_analysis(studies, estimate_col="log_hr", std_error_col="se",
    ...                        study_col="study", method="reml")
    >>> round(float(np.exp(res.estimate)), 2)
    1.96
    >>> res.table.columns.tolist()
    ['study', 'estimate', 'std_error', 'ci_lower', 'ci_upper', 'weight']
    """
    func = "meta_analysis"
    check_choice(method, name="method", choices=_METHODS, func=func)
    check_choice(test, name="test", choices=("z", "knha"), func=func)
    level = check_conf_level(conf_level, func=func)
    prep = prepare_frame(
        data, func=func,
        roles={"estimate_col": estimate_col, "std_error_col": std_error_col,
               "study_col": study_col, "n_col": n_col, "events_col": events_col},
        missing=missing,
    )
    frame = prep.frame
    check_study_labels(frame, study_col, func=func)
    y = check_numeric_column(frame, estimate_col, role="estimate_col")
    se = check_numeric_column(frame, std_error_col, role="std_error_col")
    bad = se <= 0
    if bad.any():
        raise DataValidationError(
            f"std_error_col {std_error_col!r} has {int(bad.sum())} non-positive standard "
            f"error(s) (first row labels: {', '.join(map(str, frame.index[bad][:3]))}); "
            "standard errors must be > 0."
        )
    k = len(y)
    if k < 2:
        raise DataValidationError(
            f"meta_analysis needs at least 2 studies; got {k} row(s) in data."
        )
    labels = (
        frame[study_col].astype(str).tolist() if study_col is not None
        else [str(i) for i in frame.index]
    )
    v = se**2
    warns: list[str] = []
    if np.max(v) / np.min(v) >= 1e7:  # metafor's threshold and warning
        i = int(np.argmin(v))
        warns.append(
            f"the largest and smallest sampling variances differ by a factor of "
            f"{np.max(v) / np.min(v):.2g} (study {labels[i]!r} has std_error {se[i]:.3g}); "
            "that study all but fixes the pooled estimate and the heterogeneity statistics "
            "rest on it — check that its standard error is on the same scale as the others.")
    tau2 = estimate_tau2(y, v, np.ones((k, 1)), method)
    mu, se_mu, w = _fe(y, v, tau2)
    q = _q_gen(y, v, 0.0)
    q_df = k - 1
    q_p = float(stats.chi2.sf(q, q_df))
    alpha = 1.0 - level
    if test == "knha":
        se_mu = math.sqrt(float(np.sum(w * (y - mu) ** 2)) / ((k - 1) * float(np.sum(w))))
        crit = float(stats.t.ppf(1 - alpha / 2, k - 1))
        zval = mu / se_mu
        p = float(2 * stats.t.sf(abs(zval), k - 1))
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
        zval = mu / se_mu
        p = float(2 * stats.norm.sf(abs(zval)))
    s2 = _typical_variance(v)
    if method == "fixed":
        i2 = max(0.0, 100.0 * (q - q_df) / q) if q > 0 else 0.0
        h2 = q / q_df if q_df > 0 else math.nan
        tau2_out = math.nan
        t_lo = t_hi = i2_lo = i2_hi = math.nan
        pi_lo, pi_hi = mu - crit * se_mu, mu + crit * se_mu
    else:
        i2 = 100.0 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2
        tau2_out = tau2
        t_lo, t_hi = _qprofile_ci(y, v, level)
        i2_lo, i2_hi = 100.0 * t_lo / (t_lo + s2), 100.0 * t_hi / (t_hi + s2)
        half = crit * math.sqrt(se_mu**2 + tau2)
        pi_lo, pi_hi = mu - half, mu + half
    if k < 5 and method != "fixed" and test == "z":
        warns.append(
            f"only {k} studies: the between-study variance is poorly estimated and normal-"
            "theory intervals are too narrow; consider test='knha'."
        )
    z_i = float(stats.norm.ppf(1 - alpha / 2))
    table = pd.DataFrame(
        {
            "study": labels,
            "estimate": y,
            "std_error": se,
            "ci_lower": y - z_i * se,
            "ci_upper": y + z_i * se,
            "weight": 100.0 * w / np.sum(w),
        }
    )
    if n_col is not None:
        table["n"] = frame[n_col].to_numpy()
    if events_col is not None:
        table["n_events"] = frame[events_col].to_numpy()
    for msg in warns:
        import warnings as _w

        _w.warn(msg, DataWarning, stacklevel=2)
    return MetaResult(
        method=method, test=test, k=k, estimate=mu, std_error=se_mu,
        ci_lower=mu - crit * se_mu, ci_upper=mu + crit * se_mu, z=zval, p_value=p,
        pi_lower=pi_lo, pi_upper=pi_hi, tau2=tau2_out, tau2_ci_lower=t_lo,
        tau2_ci_upper=t_hi, i2=i2, i2_ci_lower=i2_lo, i2_ci_upper=i2_hi, h2=h2, q=q,
        q_df=float(q_df), q_p_value=q_p, conf_level=level, table=table,
        n_obs=prep.n_obs, n_dropped=prep.n_dropped, warnings=tuple(warns),
    )


def log_hr_from_ci(
    data: pd.DataFrame,
    *,
    hr_col: str,
    lower_col: str,
    upper_col: str,
    conf_level: float = 0.95,
    asymmetry_tolerance: float = 0.5,
    missing: Literal["raise", "drop"] = "raise",
) -> pd.DataFrame:
    """Convert published hazard ratios with their CI to ``log_hr`` and ``std_error``.

    ``std_error = (log(upper) − log(lower)) / (2·z)``. Published CIs are rounded, so the two
    half-widths on the log scale never agree exactly; a relative difference larger than
    *asymmetry_tolerance* (default 50 %) means the CI was not a Wald interval on the log
    scale or was mistyped, and is an error naming the row.

    Returns a new DataFrame: the input columns plus ``log_hr`` and ``std_error``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ctcstats as cs
    >>> pub = pd.DataFrame({"hr": [1.82, 2.11], "lo": [1.47, 1.49], "hi": [2.26, 2.99]})
    >>> out = cs.log_hr_from_ci(pub, hr_col="hr", lower_col="lo", upper_col="hi")
    >>> out["std_error"].round(3).tolist()
    [0.11, 0.178]
    """
    func = "log_hr_from_ci"
    level = check_conf_level(conf_level, func=func)
    asymmetry_tolerance = check_real(asymmetry_tolerance, name="asymmetry_tolerance",
                                     func=func, low=0.0)
    prep = prepare_frame(
        data, func=func, roles={"hr_col": hr_col, "lower_col": lower_col, "upper_col": upper_col},
        missing=missing,
    )
    f = prep.frame
    hr = check_numeric_column(f, hr_col, role="hr_col")
    lo = check_numeric_column(f, lower_col, role="lower_col")
    hi = check_numeric_column(f, upper_col, role="upper_col")
    # rows by position (labels may repeat); the label is only shown
    nonpos = (hr <= 0) | (lo <= 0) | (hi <= 0)
    if nonpos.any():
        k = int(np.flatnonzero(nonpos)[0])
        raise DataValidationError(
            f"hazard ratios and their CI limits must be > 0; row {format_labels(f.index[[k]])} "
            f"has hr={hr[k]:g}, lower={lo[k]:g}, upper={hi[k]:g} (did you pass log-HRs?)."
        )
    inverted = ~((lo <= hr) & (hr <= hi)) | (lo >= hi)
    if inverted.any():
        k = int(np.flatnonzero(inverted)[0])
        raise DataValidationError(
            f"row {format_labels(f.index[[k]])}: the CI ({lo[k]:g}, {hi[k]:g}) in "
            f"{lower_col!r}/{upper_col!r} does not contain the hazard ratio {hr[k]:g} "
            "(inverted or swapped limits?)."
        )
    left, right = np.log(hr) - np.log(lo), np.log(hi) - np.log(hr)
    rel = np.abs(left - right) / np.maximum((left + right) / 2, 1e-12)
    asym = rel > asymmetry_tolerance
    if asym.any():
        k = int(np.flatnonzero(asym)[0])
        raise DataValidationError(
            f"row {format_labels(f.index[[k]])}: the CI ({lo[k]:g}, {hi[k]:g}) is asymmetric "
            f"around the hazard ratio {hr[k]:g} on the log scale (half-widths differ "
            f"by {100 * rel[asym][0]:.0f}%); it is not a Wald interval of a log-HR — check the "
            "source, or raise asymmetry_tolerance if the rounding explains it."
        )
    z = stats.norm.ppf(1 - (1 - level) / 2)
    out = data.iloc[prep.positions].copy()
    out["log_hr"] = np.log(hr)
    out["std_error"] = (np.log(hi) - np.log(lo)) / (2 * z)
    return out

