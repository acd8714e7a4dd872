"""Fine–Gray proportional subdistribution-hazards regression, as R ``cmprsk::crr``.

Why own code: lifelines has no Fine–Gray model, and a weighted Cox fit on an expanded data
set (``survival::finegray`` + ``coxph``) gives crr's point estimates but not its variance.
This module ports cmprsk's Fortran (``crrfsv``/``crrf`` for the likelihood, its score and
information; ``crrvv`` for the sandwich variance including the term for the estimated
censoring weights); the iterations are the survival core's Newton–Raphson with crr's step
halving and convergence rule (``rule="crr"``), the censoring weights the core's censoring
curve, and ties are merged by the core's one rule.
The Fortran loops over all pairs of patients; here every sum over a risk set is a cumulative
sum over the time-sorted data, so a fit on n = 10,000 takes well under a second.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._validation import (
    check_conf_level,
    check_event_codes,
    check_int,
    check_time_column,
    design_matrix,
    prepare_frame,
)
from ..errors import ConvergenceError, ConvergenceWarning, DataWarning, ParameterError
from ._core.curves import censoring_curve
from ._core.newton import newton_raphson, scale_factor
from ._core.ties import merge_message, merge_times
from .competing import check_event_of_interest

__all__ = ["FineGrayResult", "fit_fine_gray"]

_FUNC = "fit_fine_gray"
#: The risk-set sums by the compiled kernel (``_finegray_jit``; bitwise equal to the numpy
#: reference ``_risk_sums_numpy``, which ``False`` selects) once n·p² reaches
#: ``_JIT_MIN_SIZE``; smaller fits stay in numpy, where importing numba would cost more than
#: the kernel saves.
_COMPILED = True
_JIT_MIN_SIZE = 50_000


@result
class FineGrayResult(Result):
    """A fitted Fine–Gray model for the subdistribution hazard of one cause.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``term``; columns ``coef`` (log subdistribution hazard ratio),
        ``std_error`` (crr's sandwich standard error), ``hr`` (subdistribution hazard ratio,
        ``exp(coef)``), ``ci_lower, ci_upper`` (``conf_level`` interval for ``hr``), ``z``
        and ``p_value`` (two-sided Wald).
    vcov : DataFrame
        crr's ``$var``: the robust (sandwich) covariance matrix of ``coef``, term × term.
    loglik, loglik_null : float
        Log pseudo-partial likelihood at the estimate and at ``coef = 0`` (crr's ``loglik``
        and ``loglik.null``).
    lr_statistic, lr_df, lr_p_value : float
        ``-2 (loglik_null - loglik)`` on ``lr_df`` degrees of freedom (summary.crr's
        ``logtest``); a likelihood-ratio-type statistic that ignores the weighting.
    converged : bool
        crr's convergence flag.
    n_iter : int
        Newton–Raphson steps taken.
    n_obs, n_dropped : int
    n_events, n_competing, n_censored : int
        Failures from the cause of interest, from other causes, and censored rows.
    event_of_interest : int
    conf_level : float
    baseline : DataFrame
        Columns ``time, cumhaz``: the baseline cumulative subdistribution hazard at every
        distinct failure time of the cause of interest, for covariates (design columns) all
        0 — crr's ``cumsum(bfitj)`` at ``tfitj``, so that the predicted cumulative incidence
        is ``1 − exp(−cumhaz · exp(x·coef))`` (R ``predict.crr``).
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Fine–Gray subdistribution hazards model"

    table: pd.DataFrame
    vcov: pd.DataFrame
    loglik: float
    loglik_null: float
    lr_statistic: float
    lr_df: float
    lr_p_value: float
    converged: bool
    n_iter: int
    n_obs: int
    n_dropped: int = 0
    n_events: int
    n_competing: int
    n_censored: int
    event_of_interest: int
    conf_level: float
    baseline: pd.DataFrame | None = None
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]


# --------------------------------------------------------------------------- public API
def fit_fine_gray(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    event_of_interest: int = 1,
    conf_level: float = 0.95,
    max_iter: int = 10,
    missing: Literal["raise", "drop"] = "raise",
) -> FineGrayResult:
    """Fine–Gray regression of the subdistribution hazard of one cause.

    Matches R ``cmprsk::crr(ftime, fstatus, cov1 = model.matrix(~ covariates)[, -1],
    failcode = event_of_interest)``: the same estimating equations (Breslow handling of tied
    times, Kaplan–Meier censoring weights evaluated just before each time), the same
    Newton–Raphson iterations with step halving and convergence rule
    (``max|score| · max(|coef|, 1) < 1e-6 · max(|loglik|, 1)``), and crr's sandwich
    variance, which includes the term for the estimated censoring distribution.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col : str
        Follow-up time (≥ 0).
    event_col : str
        Event code: 0 = censored, 1..k = cause of failure.
    covariates : list of str
        Columns entering the model. Numeric and boolean columns enter as they are; any other
        column (strings, Categorical) becomes indicator terms ``col[level]`` against its
        first level (sorted, or the Categorical's order), as R's treatment contrasts.
    event_of_interest : int, default 1
        The cause modelled (crr's ``failcode``); it must occur in ``event_col``.
    conf_level : float, default 0.95
        Level of the intervals for the subdistribution hazard ratios.
    max_iter : int, default 10
        Maximum number of Newton–Raphson steps (crr's ``maxiter``).
    missing : {"raise", "drop"}, default "raise"
        What to do with missing values in the columns used.

    Returns
    -------
    FineGrayResult
        ``table`` indexed by ``term`` with columns ``coef, std_error, hr, ci_lower, ci_upper,
        z, p_value`` (``hr`` is the subdistribution hazard ratio and its interval
        ``exp(coef ± z · std_error)``); ``vcov``; ``loglik``, ``loglik_null``; ``converged``;
        ``n_obs``, ``n_events``.

    Raises
    ------
    DataValidationError
        Bad columns or codes; ``event_of_interest`` absent from the data.
    ConvergenceError
        The iterations produced non-finite values.

    Warns
    -----
    ConvergenceWarning
        crr's convergence criterion was not met (also recorded in ``warnings``); the
        estimates are those of the last iteration, as crr returns them.

    References
    ----------
    .. [1] Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
       competing risk. Journal of the American Statistical Association 94:496–509.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.survival.finegray import fit_fine_gray
    >>> rng = np.random.default_rng(7)
    >>> n = 300
    >>> df = pd.DataFrame({
    ...     "months": np.round(rng.exponential(24, n), 1) + 0.1,
    ...     "status": rng.choice([0, 1, 2], n, p=[0.3, 0.45, 0.25]),
    ...     "ctc_positive": rng.integers(0, 2, n),
    ...     "grade": rng.choice(["G1", "G2", "G3"], n),
    ... })
    >>> fit = fit_fine_gray(df, time_col="months", event_col="status",
    ...                        covariates=["ctc_positive", "grade"])
    >>> list(fit.table.index)
    ['ctc_positive', 'grade[G2]', 'grade[G3]']
    >>> list(fit.table.columns)
    ['coef', 'std_error', 'hr', 'ci_lower', 'ci_upper', 'z', 'p_value']
    """
    if isinstance(covariates, str):
        raise ParameterError(
            f"The 'covariates' parameter of {_FUNC} must be a list of column names; got the "
            f"string {covariates!r} (write [{covariates!r}])."
        )
    covariates = list(covariates) if covariates is not None else []
    if not covariates:
        raise ParameterError(
            f"The 'covariates' parameter of {_FUNC} must name at least one column; got "
            f"{covariates!r}."
        )
    max_iter = check_int(max_iter, name="max_iter", func=_FUNC, minimum=0)
    info = prepare_frame(
        data,
        func=_FUNC,
        roles={"time_col": time_col, "event_col": event_col, "covariates": covariates},
        missing=missing,
    )
    conf_level = check_conf_level(conf_level, func=_FUNC)
    frame = info.frame
    time = check_time_column(frame, time_col)
    codes = check_event_codes(frame, event_col)
    cause = check_event_of_interest(event_of_interest, codes, event_col=event_col, func=_FUNC)
    x, terms = design_matrix(frame, covariates, func=_FUNC)

    merged = merge_times(time)
    time = merged.time
    caught: list[tuple[type, str]] = [
        (DataWarning, m) for m in [merge_message(merged.n_merged, time_col)] if m]
    ici = np.where(codes == cause, 1, np.where(codes > 0, 2, 0))
    # Sort by time, breaking ties by status and covariates, so that the order of the rows in
    # data cannot change a single floating-point operation.
    keys = [x[:, j] for j in range(x.shape[1] - 1, -1, -1)] + [ici, time]
    order = np.lexsort(keys)
    t, ici, x = time[order], ici[order], x[order]
    # Centring leaves every crr quantity unchanged (likelihood, score, information and
    # variance are invariant to shifting a column) and keeps exp(x b) well scaled; the
    # iterations run on R's scaled covariates (coxfit6's scale, the survival core's), so that
    # the units of a covariate change only its coefficient.
    x_mean = x.mean(axis=0)
    x = x - x_mean
    sc = np.array([scale_factor(x[:, j]) for j in range(x.shape[1])])
    z = x * sc

    data_ = _FGData.build(t, ici, z)
    nr = newton_raphson(
        lambda idx, b: _batched(_loglik_score_info(data_, b[0])),
        np.zeros((1, z.shape[1])), rule="crr", max_iter=max_iter,
        loglik_only=lambda idx, b: np.array([_loglik(data_, b[0])]))
    beta_z, lik = nr.beta[0], float(nr.loglik[0])
    converged, n_iter = bool(nr.converged[0]), int(nr.n_iter[0])
    if not (np.isfinite(lik) and np.all(np.isfinite(nr.score))):
        raise ConvergenceError(
            "fit_fine_gray: the pseudo-likelihood became non-finite during the iterations; "
            "check for a covariate that perfectly predicts failure from the cause of "
            "interest."
        )
    if not converged:
        caught.append((ConvergenceWarning,
            "fit_fine_gray did not meet crr's convergence criterion within "
            f"max_iter = {max_iter} Newton–Raphson iterations; the estimates may be "
            "unreliable. Check for a covariate level without failures from the cause of "
            "interest (the subdistribution hazard ratio then diverges), or raise max_iter."
        ))
    info_mat, meat = _crrvv(data_, beta_z)
    try:
        h = np.linalg.inv(info_mat)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError(
            "fit_fine_gray: the information matrix is singular at the estimate (collinear "
            "covariates, or a covariate level without failures); remove the redundant terms."
        ) from exc
    vcov = (h @ meat @ h.T) * np.outer(sc, sc)
    beta = beta_z * sc
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(vcov))):
        raise ConvergenceError(
            "fit_fine_gray produced non-finite estimates; check for a covariate that perfectly "
            "predicts failure from the cause of interest."
        )
    lik0 = _loglik(data_, np.zeros_like(beta_z))
    # crr's bfitj: failures / weighted risk-set sum, here at the centred covariates, moved
    # to x = 0 (the uncentred design, as predict.crr uses it)
    s0, _, _, shift, _ = _risk_sums(data_, beta_z, second=False)
    with np.errstate(over="ignore"):
        jumps = data_.d / (s0 * np.exp(shift)) * np.exp(-float(x_mean @ beta))
    baseline = pd.DataFrame({"time": data_.tau, "cumhaz": np.cumsum(jumps)})

    se = np.sqrt(np.diag(vcov))
    zq = stats.norm.ppf(0.5 + conf_level / 2.0)
    # per unit of a covariate in a tiny unit the ratios may overflow to inf (no warning)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        zval = beta / se
        table = pd.DataFrame(
            {
                "coef": beta,
                "std_error": se,
                "hr": np.exp(beta),
                "ci_lower": np.exp(beta - zq * se),
                "ci_upper": np.exp(beta + zq * se),
                "z": zval,
                "p_value": 2.0 * stats.norm.sf(np.abs(zval)),
            },
            index=pd.Index(terms, name="term"),
        )
    lr = float(-2.0 * (lik0 - lik))
    for cls, msg in caught:
        warnings.warn(msg, cls, stacklevel=2)
    return FineGrayResult(
        table=table,
        vcov=pd.DataFrame(vcov, index=pd.Index(terms, name="term"), columns=terms),
        loglik=float(lik),
        loglik_null=float(lik0),
        lr_statistic=lr,
        lr_df=float(len(terms)),
        lr_p_value=float(stats.chi2.sf(lr, len(terms))),
        converged=bool(converged),
        n_iter=int(n_iter),
        n_obs=info.n_obs,
        n_dropped=info.n_dropped,
        n_events=int((ici == 1).sum()),
        n_competing=int((ici == 2).sum()),
        n_censored=int((ici == 0).sum()),
        event_of_interest=cause,
        conf_level=conf_level,
        baseline=baseline,
        warnings=tuple(m for _, m in caught),
    )


# --------------------------------------------------------------------------- machinery
@dataclasses.dataclass(frozen=True)
class _FGData:
    """Time-sorted data and the fixed pieces of crr's estimating equations."""

    t: np.ndarray  # sorted times
    ici: np.ndarray  # 1 cause of interest, 2 other cause, 0 censored
    x: np.ndarray  # (n, p) centred covariates
    g_obs: np.ndarray  # censoring KM just before each patient's time (crr's uuu)
    comp_w: np.ndarray  # 1/G(t_i-) for competing failures, 0 otherwise
    tau: np.ndarray  # distinct failure times of the cause of interest
    d: np.ndarray  # failures at each tau
    tau_first: np.ndarray  # index of the first patient with t >= tau
    g_tau: np.ndarray  # G(tau-)
    fail_idx: np.ndarray  # distinct-failure-time index of every patient (for ici == 1)

    @classmethod
    def build(cls, t: np.ndarray, ici: np.ndarray, x: np.ndarray) -> _FGData:
        g_obs = _censoring_weights(t, ici == 0)
        tau, d = np.unique(t[ici == 1], return_counts=True)
        tau_first = np.searchsorted(t, tau, side="left")
        g_tau = g_obs[tau_first]
        comp_w = np.where(ici == 2, 1.0 / np.where(ici == 2, g_obs, 1.0), 0.0)
        fail_idx = np.searchsorted(tau, t, side="left")
        return cls(t, ici, x, g_obs, comp_w, tau, d.astype(float), tau_first, g_tau, fail_idx)


def _censoring_weights(t: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Kaplan–Meier of the censoring times (the survival core's censoring curve), as crr.

    crr evaluates ``survfit(Surv(ftime, cenind) ~ 1)`` (everyone with time ≥ t at risk of
    censoring) with ``approx(..., method = "constant")`` at ``ftime * (1 - 100 *
    .Machine$double.eps)``: the estimate just before each time (at time 0, the value at 0).
    """
    G = censoring_curve(t, ~censored, ties="together")
    return np.where(t > 0, G.at(t, left=True), G.at(np.zeros_like(t)))


def _risk_sums(fg: _FGData, beta: np.ndarray, *, second: bool):
    """S0, S1 (and S2) over crr's weighted risk set at every distinct failure time.

    The risk set at tau holds everyone still under observation (weight exp(x b)) and everyone
    who failed from another cause before tau, weighted by exp(x b) G(tau-) / G(t_i-).
    Returns ``(S0, S1, S2, shift)`` with all sums scaled by ``exp(-shift)``.
    """
    eta = fg.x @ beta
    shift = float(eta.max()) if eta.size else 0.0
    r = np.exp(eta - shift)
    n, p = fg.x.shape
    if _COMPILED and n * p * p >= _JIT_MIN_SIZE:
        from ._finegray_jit import fg_risk_sums

        s0, s1, s2 = fg_risk_sums(r, np.ascontiguousarray(fg.x), fg.comp_w, fg.tau_first,
                                  fg.g_tau, second)
        return s0, s1, (s2 if second else None), shift, r
    s0, s1, s2 = _risk_sums_numpy(fg, r, second=second)
    return s0, s1, s2, shift, r


def _risk_sums_numpy(fg: _FGData, r: np.ndarray, *, second: bool):
    """The reference of the compiled kernel: cumulative sums over all rows, then the
    values at each failure time."""
    k = fg.tau_first

    def at_risk_plus_competing(v: np.ndarray) -> np.ndarray:
        # sum over t_i >= tau (reverse cumulative) + G(tau-) * sum over competing t_i < tau
        rev = np.cumsum(v[::-1], axis=0)[::-1]
        rev = np.concatenate([rev, np.zeros((1,) + v.shape[1:])], axis=0)
        wv = v * (fg.comp_w.reshape((-1,) + (1,) * (v.ndim - 1)))
        fwd = np.concatenate([np.zeros((1,) + v.shape[1:]), np.cumsum(wv, axis=0)], axis=0)
        g = fg.g_tau.reshape((-1,) + (1,) * (v.ndim - 1))
        return rev[k] + g * fwd[k]

    s0 = at_risk_plus_competing(r)
    s1 = at_risk_plus_competing(r[:, None] * fg.x)
    s2 = None
    if second:
        s2 = at_risk_plus_competing(r[:, None, None] * fg.x[:, :, None] * fg.x[:, None, :])
    return s0, s1, s2


def _loglik(fg: _FGData, beta: np.ndarray) -> float:
    """crr's log pseudo-likelihood (the negative of Fortran ``crrf``)."""
    s0, _, _, shift, _ = _risk_sums(fg, beta, second=False)
    xb_fail = (fg.x[fg.ici == 1] @ beta).sum()
    return float(xb_fail - np.sum(fg.d * (np.log(s0) + shift)))


def _batched(d: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One fit's (loglik, score, information) with the core's leading replicate axis of 1."""
    ll, u, imat = d
    return np.asarray(ll)[None], np.asarray(u)[None], np.asarray(imat)[None]


def _loglik_score_info(fg: _FGData, beta: np.ndarray):
    """Log-likelihood, score and information (Fortran ``crrfsv``, signs as in R)."""
    s0, s1, s2, shift, _ = _risk_sums(fg, beta, second=True)
    fail = fg.ici == 1
    lik = float((fg.x[fail] @ beta).sum() - np.sum(fg.d * (np.log(s0) + shift)))
    xbar = s1 / s0[:, None]
    score = fg.x[fail].sum(axis=0) - (fg.d[:, None] * xbar).sum(axis=0)
    info = np.einsum("k,kij->ij", fg.d / s0, s2) - np.einsum("k,ki,kj->ij", fg.d, xbar, xbar)
    return lik, score, info


def _crrvv(fg: _FGData, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Information and the middle of crr's sandwich (Fortran ``crrvv``), vectorised.

    For patient i the influence term is eta_i + psi_i:

    * eta_i: the score contribution dN_i(t) minus its compensator under the fitted model;
    * psi_i: the effect of estimating the censoring distribution by Kaplan–Meier,
      ``-sum_{censored c, t_c <= t_i} q(t_c) / Y(t_c)^2 + [i censored] q(t_i) / Y(t_i)``
      with ``q(u) = sum_{tau >= u} G(tau-) / S0(tau) * sum_{competing j, t_j < u}
      exp(x_j b) / G(t_j-) (x_j - xbar(tau))`` per failure, and Y(u) the number with t >= u.

    Returns ``(information, sum_i (eta_i + psi_i)(eta_i + psi_i)')``.
    """
    s0, s1, s2, _, r = _risk_sums(fg, beta, second=True)
    x, t, ici = fg.x, fg.t, fg.ici
    n, p = x.shape
    xbar = s1 / s0[:, None]
    info = np.einsum("k,kij->ij", fg.d / s0, s2) - np.einsum("k,ki,kj->ij", fg.d, xbar, xbar)

    a = fg.d / s0  # per distinct failure time (each tied failure counts once)
    bvec = a[:, None] * xbar
    cum_a = np.concatenate([[0.0], np.cumsum(a)])
    cum_b = np.concatenate([np.zeros((1, p)), np.cumsum(bvec, axis=0)])
    ag, bg = fg.g_tau * a, fg.g_tau[:, None] * bvec
    cum_ag = np.concatenate([[0.0], np.cumsum(ag)])
    cum_bg = np.concatenate([np.zeros((1, p)), np.cumsum(bg, axis=0)])

    k_le = np.searchsorted(fg.tau, t, side="right")  # failure times <= t_i
    # eta: dN part, then the compensator while at risk, then after a competing failure
    eta = np.zeros((n, p))
    fail = ici == 1
    eta[fail] = x[fail] - xbar[fg.fail_idx[fail]]
    eta -= r[:, None] * (x * cum_a[k_le][:, None] - cum_b[k_le])
    comp = ici == 2
    a_gt = cum_ag[-1] - cum_ag[k_le]
    b_gt = cum_bg[-1] - cum_bg[k_le]
    wcomp = np.where(comp, r * fg.comp_w, 0.0)
    eta -= wcomp[:, None] * (x * a_gt[:, None] - b_gt)

    # psi: only patients censored at a time contribute jumps of the censoring martingale
    psi = np.zeros((n, p))
    cens = ici == 0
    if cens.any():
        ut, first = np.unique(t, return_index=True)
        y_risk = (n - first).astype(float)
        # competing sums over t_j < u: C0(u), C1(u)
        c0 = np.concatenate([[0.0], np.cumsum(r * fg.comp_w)])[first]
        c1 = np.concatenate([np.zeros((1, p)), np.cumsum((r * fg.comp_w)[:, None] * x, axis=0)])[
            first
        ]
        k_lt = np.searchsorted(fg.tau, ut, side="left")  # failure times < u
        ag_ge = cum_ag[-1] - cum_ag[k_lt]
        bg_ge = cum_bg[-1] - cum_bg[k_lt]
        q = c1 * ag_ge[:, None] - c0[:, None] * bg_ge  # q(u) at every distinct time
        uidx = np.searchsorted(ut, t, side="left")  # distinct-time index of each patient
        n_cens_u = np.bincount(uidx, weights=cens.astype(float), minlength=len(ut))
        jump = q * (n_cens_u / y_risk**2)[:, None]  # sum over censorings at u of q/Y^2
        cum_jump = np.cumsum(jump, axis=0)
        psi = -cum_jump[uidx]
        psi[cens] += q[uidx[cens]] / y_risk[uidx[cens]][:, None]
    resid = eta + psi
    meat = resid.T @ resid
    return info, meat
