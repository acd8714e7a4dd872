"""Mixed models for serial CTC/DTC counts: Poisson, negative binomial, zero-inflated GLMMs.

A patient's serial counts are Poisson (or negative-binomial) samples of a latent
concentration that changes over time; the log blood volume (or log cells examined) is the
exposure. :func:`fit_count_mixed_model` fits

    log E[y_ij | b_i] = log(volume_ij) + X_ij beta + Z_ij b_i,     b_i ~ N(0, D),

with a random intercept, a random intercept and slope in time (correlated: unstructured
2 x 2 ``D``) or a random intercept plus a natural cubic spline in time, by maximum likelihood
with adaptive Gauss–Hermite quadrature (``method="agq"``, as ``GLMMadaptive::mixed_model``)
or the Laplace approximation (``method="laplace"`` = one quadrature point, as ``glmmTMB``).
See :mod:`ctcstats.longitudinal._agq` for the engine, its exact gradient and why it is own
code (no Python library fits GLMMs by adaptive quadrature).

Conventions
-----------
* ``theta`` is the negative-binomial *size* (variance ``mu + mu^2/theta``): R's ``theta`` of
  ``MASS::glm.nb``, ``sigma(fit)`` of ``glmmTMB(family = nbinom2)``, ``exp(phi)`` of
  ``GLMMadaptive``'s ``negative.binomial()``.
* The zero component (``zip``, ``zinb``) is the logit of a structural zero with its own fixed
  effects (``zero_covariates``; intercept only by default), as ``glmmTMB``'s ``ziformula``.
* Standard errors come from the observed information: the central-difference Jacobian of
  the exact analytic score of the (adaptive-quadrature) marginal log-likelihood at the
  optimum.
* Random-effect predictions are the empirical Bayes modes with conditional standard errors
  ``sqrt(diag(H_i^{-1}))`` (GLMMadaptive's ``ranef(fit, post_vars = TRUE)``).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._typing import RandomState
from .._validation import (
    check_choice,
    check_conf_level,
    check_count_column,
    check_int,
    check_numeric_column,
    check_positive_column,
    check_real,
    design_matrix,
    prepare_frame,
)
from ..errors import ConvergenceWarning, DataValidationError, ParameterError
from ._agq import MarginalModel, params_from_cov
from ._count import KINDS, count_block, count_layout
from ._design import TimeBasis, TrajectoryDesign
from ._fit import covariance_summary, maximise, wald_frame

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CountMixedModelResult", "fit_count_mixed_model", "RANDOM_KINDS"]

RANDOM_KINDS = ("intercept", "slope", "spline")
_DEFAULT_NQ = {1: 11, 2: 7}


@dataclasses.dataclass(frozen=True)
class _Fitted:
    """What the result keeps to predict and draw (private)."""

    design: TrajectoryDesign
    layout: Any
    theta: np.ndarray
    vcov: np.ndarray
    ids: np.ndarray  # subject label per subject
    sub: np.ndarray  # subject index per row
    time: np.ndarray
    y: np.ndarray
    volume: np.ndarray
    x: np.ndarray
    z: np.ndarray
    w: np.ndarray  # covariate rows (for the trajectory plots)
    w_zero: np.ndarray  # zero-inflation design (intercept first)
    modes: np.ndarray
    post_cov: np.ndarray
    covariates: tuple[str, ...]
    time_col: str | None
    volume_col: str | None


@result
class CountMixedModelResult(Result):
    """A fitted count mixed model (see :func:`fit_count_mixed_model`).

    Attributes
    ----------
    kind, random, method : str
    n_quad : int
        Gauss–Hermite points per random-effect dimension (1 = Laplace).
    table : DataFrame
        Fixed effects: ``component`` (``count`` or ``zero``), ``term``, ``coef``,
        ``std_error``, ``irr`` (``exp(coef)``: incidence-rate ratio for ``count`` rows, odds
        ratio of a structural zero for ``zero`` rows), ``ci_lower``, ``ci_upper`` (Wald, on
        the ``irr`` scale), ``z``, ``p_value``.
    variance : DataFrame
        ``term`` (``sd(intercept)``, ``sd(<time>)``, ``cor(intercept,<time>)``, ...),
        ``estimate``, ``std_error`` (delta method), ``ci_lower``, ``ci_upper``.
    random_effects : DataFrame
        Empirical Bayes modes: ``id, term, estimate, std_error`` (conditional SE).
    loglik, aic, bic : float
        ``bic`` uses the number of draws (``n_obs``), as ``glmmTMB``'s ``BIC()``.
    df : int
        Number of estimated parameters.
    theta, theta_std_error : float
        Negative-binomial size and its SE (NaN for Poisson kinds).
    converged : bool
    n_obs, n_subjects, n_dropped : int
        Draws analysed, patients, draws removed for missing values.
    warnings : tuple of str
    """

    _title: ClassVar[str] = "Count mixed model"

    kind: str
    random: str
    method: str
    n_quad: int
    table: pd.DataFrame
    variance: pd.DataFrame
    random_effects: pd.DataFrame
    loglik: float
    df: int
    aic: float
    bic: float
    theta: float
    theta_std_error: float
    conf_level: float
    converged: bool
    n_obs: int
    n_subjects: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _fitted: _Fitted | None = dataclasses.field(default=None, repr=False)

    def _summary_frames(self):
        return [("table", self.table), ("variance", self.variance)]

    def _fit_state(self) -> _Fitted:
        """The fitted model's arrays (present on every result :func:`fit_count_mixed_model`
        returns)."""
        if self._fitted is None:
            raise ParameterError("This CountMixedModelResult carries no fitted model; build "
                                 "it with fit_count_mixed_model.")
        return self._fitted

    @property
    def coef(self) -> pd.Series:
        """Count-component fixed effects indexed by term."""
        t = self.table.loc[self.table["component"] == "count"]
        return pd.Series(t["coef"].to_numpy(), index=t["term"].to_numpy(), name="coef")

    @property
    def covariance(self) -> pd.DataFrame:
        """The random-effects covariance matrix ``D`` (terms x terms)."""
        from ._agq import chol_from_params

        f = self._fit_state()
        L = chol_from_params(f.theta[f.layout.d], f.design.q)
        terms = f.design.random_terms
        return pd.DataFrame(L @ L.T, index=terms, columns=terms)

    def trajectories(self, *, n_points: int = 50) -> pd.DataFrame:
        """Fitted log-concentration curves of every patient on a grid of their draw times.

        Columns ``id, time, population, subject`` (log expected count per unit of
        ``volume_col``; ``population`` sets the random effects to 0, ``subject`` uses the
        empirical Bayes modes). Covariates are taken from each patient's first draw.
        """
        f = self._fit_state()
        if f.time_col is None:
            raise ParameterError("trajectories needs a fit with time_col.")
        n_points = check_int(n_points, name="n_points", func="trajectories", minimum=2)
        rows = []
        beta = f.theta[f.layout.beta]
        first = np.r_[0, np.flatnonzero(np.diff(f.sub)) + 1]
        for i, r0 in enumerate(first):
            ti = f.time[f.sub == i]
            grid = np.linspace(ti.min(), ti.max(), n_points) if ti.max() > ti.min() \
                else np.array([ti.min()])
            w = np.repeat(f.w[r0:r0 + 1], grid.size, axis=0)
            x, z = f.design.matrices(grid, w)
            pop = x @ beta
            rows.append(pd.DataFrame({"id": f.ids[i], "time": grid, "population": pop,
                                      "subject": pop + z @ f.modes[i]}))
        return pd.concat(rows, ignore_index=True)

    def observed(self) -> pd.DataFrame:
        """The analysed draws: ``id, time, count, volume, concentration`` (count / volume)."""
        f = self._fit_state()
        return pd.DataFrame({"id": f.ids[f.sub], "time": f.time, "count": f.y,
                             "volume": f.volume, "concentration": f.y / f.volume})

    def plot(self, ax: Axes | None = None, *, ids: Sequence | None = None, n_subjects: int = 8,
             rng: RandomState = 0, **kwargs: Any) -> Axes:
        """Individual trajectories: observed concentrations, subject and population curves.

        ``ids`` chooses the patients (default: ``n_subjects`` drawn with ``rng`` among those
        with at least two draws). See :func:`ctcstats.plotting.longitudinal.plot_trajectories`.
        """
        from .._validation import check_rng
        from ..plotting import longitudinal as pl

        obs = self.observed()
        if ids is None:
            n_subjects = check_int(n_subjects, name="n_subjects", func="plot", minimum=1)
            counts = obs.groupby("id", sort=True, observed=True).size()
            pool = counts.index[counts >= 2].to_numpy()
            if pool.size == 0:
                pool = counts.index.to_numpy()
            g = check_rng(rng)
            ids = list(pool[np.sort(g.choice(pool.size, min(n_subjects, pool.size),
                                             replace=False))])
        else:
            ids = list(ids)
            unknown = [i for i in ids if i not in set(obs["id"])]
            if unknown:
                raise ParameterError(f"The 'ids' parameter of plot names patients that are not "
                                     f"in the fit: {unknown[:3]}.")
        traj = self.trajectories()
        return pl.plot_trajectories(obs.loc[obs["id"].isin(ids)],
                                    traj.loc[traj["id"].isin(ids)], ax=ax, **kwargs)

    def predict(self, *, level: Literal["population", "subject"] = "subject") -> pd.Series:
        """Expected count of every analysed draw (``exp`` of the linear predictor incl. exposure).

        For zero-inflated kinds, the mean of the count component times ``1 - P(structural 0)``.
        """
        check_choice(level, name="level", choices=("population", "subject"), func="predict")
        f = self._fit_state()
        eta = np.log(f.volume) + f.x @ f.theta[f.layout.beta]
        if level == "subject":
            eta = eta + np.einsum("rq,rq->r", f.z, f.modes[f.sub])
        mean = np.exp(eta)
        if f.layout.gamma is not None:
            from scipy.special import expit

            mean = mean * (1 - expit(f.w_zero @ f.theta[f.layout.gamma]))
        return pd.Series(mean, name="expected_count")


# --------------------------------------------------------------------------- preparation
@dataclasses.dataclass
class PreparedDraws:
    """Validated draws sorted by (id, time) (internal; shared with the joint model)."""

    ids: np.ndarray
    sub: np.ndarray
    time: np.ndarray | None
    y: np.ndarray
    volume: np.ndarray
    w: np.ndarray
    cov_terms: list[str]
    w_zero: np.ndarray
    zero_terms: list[str]
    n_obs: int
    n_dropped: int
    labels: pd.Index


def prepare_draws(draws, *, func: str, count_col: str, id_col: str, time_col: str | None,
                  volume_col: str | None, covariates: Sequence[str],
                  zero_covariates: Sequence[str] | None, missing: str) -> PreparedDraws:
    covariates = list(covariates or ())
    zc = list(zero_covariates or ())
    pf = prepare_frame(draws, func=func, missing=missing, roles={
        "id_col": id_col, "count_col": count_col, "time_col": time_col,
        "volume_col": volume_col, "covariates": covariates, "zero_covariates": zc})
    fr = pf.frame
    y = check_count_column(fr, count_col)
    vol = (check_positive_column(fr, volume_col, role="volume_col") if volume_col is not None
           else np.ones(fr.shape[0]))
    t = check_numeric_column(fr, time_col, role="time_col") if time_col is not None else None
    w, cov_terms = design_matrix(fr, covariates, func=func) if covariates \
        else (np.empty((fr.shape[0], 0)), [])
    wz, zero_terms = design_matrix(fr, zc, func=func, role="zero_covariates") if zc \
        else (np.empty((fr.shape[0], 0)), [])
    idv = fr[id_col].to_numpy()
    try:
        uniq, sub = np.unique(idv, return_inverse=True)
    except TypeError as exc:
        raise DataValidationError(
            f"id_col {id_col!r} mixes types that cannot be ordered (e.g. numbers and text); "
            "convert it with .astype(str) first."
        ) from exc
    key = (sub, t) if t is not None else (sub,)
    order = np.lexsort(tuple(reversed([*key, y])))
    return PreparedDraws(
        ids=uniq, sub=sub[order], time=None if t is None else t[order], y=y[order],
        volume=vol[order], w=w[order], cov_terms=cov_terms, w_zero=wz[order],
        zero_terms=zero_terms, n_obs=pf.n_obs, n_dropped=pf.n_dropped,
        labels=fr.index[order])


def trajectory_design(pd_: PreparedDraws, *, func: str, random: str, time_col: str | None,
                      n_knots: int, interactions: Sequence[str]) -> TrajectoryDesign:
    check_choice(random, name="random", choices=RANDOM_KINDS, func=func)
    if time_col is None and (random != "intercept" or interactions):
        raise ParameterError(
            f"The 'time_col' parameter of {func} is needed for random={random!r} and for "
            "time_interactions (the column of draw times); got None."
        )
    if time_col is None:
        basis = None
    elif random == "spline":
        n_knots = check_int(n_knots, name="n_knots", func=func, minimum=0)
        assert pd_.time is not None, "draw times are read whenever time_col is given"
        if np.unique(pd_.time).size < n_knots + 3:
            raise DataValidationError(
                f"time_col {time_col!r} has {np.unique(pd_.time).size} distinct draw times; "
                f"a natural spline with {n_knots} interior knots needs at least {n_knots + 3}."
            )
        basis = TimeBasis.natural_spline(pd_.time, n_knots + 1, time_col)
    else:
        basis = TimeBasis.linear(time_col)
    inter = []
    for c in interactions:
        hits = [k for k, t in enumerate(pd_.cov_terms) if t == c or t.startswith(f"{c}[")]
        if not hits:
            raise ParameterError(
                f"The 'time_interactions' parameter of {func} names {c!r}, which is not one "
                f"of the covariates {pd_.cov_terms}; add it to covariates first."
            )
        inter.extend(hits)
    if inter and random == "spline":
        raise ParameterError(
            f"The 'time_interactions' parameter of {func} needs a linear time trend; "
            "random='spline' does not support it."
        )
    return TrajectoryDesign(basis, tuple(pd_.cov_terms), tuple(inter), random)


def poisson_irls(y, x, offset, max_iter: int = 50) -> np.ndarray:
    """Poisson GLM by IRLS (start values; no random effects)."""
    beta = np.zeros(x.shape[1])
    beta[0] = np.log((y.sum() + 0.5) / np.exp(offset).sum())
    for _ in range(max_iter):
        eta = np.clip(offset + x @ beta, -30, 30)
        mu = np.exp(eta)
        zw = eta - offset + (y - mu) / mu
        xtw = x.T * mu
        try:
            new = np.linalg.solve(xtw @ x, xtw @ zw)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(new)):
            break
        done = np.max(np.abs(new - beta)) < 1e-8
        beta = new
        if done:
            break
    return beta


def start_values(layout, y, x, offset, sub, q, m):
    """Poisson GLM for beta; D from between-patient spread of log rates; theta = 1."""
    theta = np.zeros(layout.end)
    beta = poisson_irls(y, x, offset)
    theta[layout.beta] = beta
    resid = np.bincount(sub, weights=y, minlength=m) + 0.5
    expct = np.bincount(sub, weights=np.exp(offset + x @ beta), minlength=m) + 0.5
    v0 = max(np.var(np.log(resid / expct)) - np.mean(1.0 / resid), 0.25)
    D0 = np.diag([v0] + [0.1 * v0] * (q - 1))
    theta[layout.d] = params_from_cov(D0)
    if layout.log_theta is not None:
        theta[layout.log_theta] = 0.0
    if layout.gamma is not None:
        theta[layout.gamma] = 0.0
        theta[layout.gamma.start] = -1.5
    return theta


# --------------------------------------------------------------------------- public
def fit_count_mixed_model(
    draws: pd.DataFrame,
    *,
    count_col: str,
    id_col: str,
    time_col: str | None = None,
    volume_col: str | None = None,
    covariates: Sequence[str] = (),
    time_interactions: Sequence[str] = (),
    random: Literal["intercept", "slope", "spline"] = "slope",
    kind: Literal["poisson", "negbin", "zip", "zinb"] = "negbin",
    zero_covariates: Sequence[str] | None = None,
    method: Literal["agq", "laplace"] = "agq",
    n_quad: int | None = None,
    n_knots: int = 1,
    conf_level: float = 0.95,
    max_iter: int = 500,
    tol: float = 1e-8,
    missing: Literal["raise", "drop"] = "raise",
) -> CountMixedModelResult:
    """Generalised linear mixed model of serial counts (one row per draw).

    Parameters
    ----------
    draws : DataFrame
        One row per draw: patient id, draw time, count, sampled volume (and covariates).
    count_col, id_col : str
        The count (whole numbers ≥ 0) and the patient identifier.
    time_col : str, optional
        Draw time (any unit; the slope is per unit). Needed for ``random`` slope/spline.
        With ``time_col`` the fixed effects contain the time terms.
    volume_col : str, optional
        Blood volume in mL (or cells examined): ``log(volume)`` is the exposure (offset), so
        coefficients are on the scale of log concentration per unit volume.
    covariates : list of str
        Fixed-effect covariates (baseline or per draw; categorical columns become indicator
        terms ``col[level]``).
    time_interactions : list of str
        Covariates whose effect changes linearly with time (terms ``<term>:<time_col>``).
    random : {"intercept", "slope", "spline"}
        Random intercept; random intercept and slope (correlated, unstructured ``D``); or a
        random intercept plus natural-spline coefficients (``n_knots`` interior knots at
        quantiles of the draw times, as ``splines::ns(time, df = n_knots + 1)``; the fixed
        time terms use the same basis).
    kind : {"poisson", "negbin", "zip", "zinb"}
    zero_covariates : list of str, optional
        Covariates of the structural-zero logit (zip/zinb); intercept only by default.
    method : {"agq", "laplace"}
        Adaptive Gauss–Hermite quadrature with ``n_quad`` points per dimension, or the Laplace
        approximation (one point).
    n_quad : int, optional
        Default 11 (one random effect), 7 (two), 5 (more). Ignored for ``laplace``.
    conf_level, max_iter, tol, missing
        As everywhere; ``tol`` bounds the final Newton step.

    Returns
    -------
    CountMixedModelResult
        ``table`` (fixed effects: ``component, term, coef, std_error, irr, ci_lower,
        ci_upper, z, p_value``), ``variance`` (``term, estimate, std_error, ci_lower,
        ci_upper``: SDs and correlations of the random effects), ``random_effects`` (``id,
        term, estimate, std_error``), ``loglik, aic, bic, df, theta``, ``warnings``;
        ``plot()`` draws individual trajectories.

    Notes
    -----
    Matches ``glmmTMB(y ~ time + x + offset(log(vol)) + (time | id), family = nbinom2)``
    (``method="laplace"``) and ``GLMMadaptive::mixed_model(y ~ time + x + offset(log(vol)),
    random = ~ time | id, family = negative.binomial(), nAGQ = n_quad)`` (``method="agq"``);
    see ``tests/reference/longitudinal/``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> draws = cs.simulate_joint(n=60, rng=2).draws
    >>> fit = cs.fit_count_mixed_model(draws, count_col="ctc_count", id_col="patient_id",
    ...                                time_col="draw_months", volume_col="blood_volume_ml",
    ...                                random="slope", kind="poisson", method="laplace")
    >>> fit.table["term"].tolist()
    ['intercept', 'draw_months']
    >>> fit.variance["term"].tolist()
    ['sd(intercept)', 'sd(draw_months)', 'cor(intercept,draw_months)']
    """
    func = "fit_count_mixed_model"
    cl = check_conf_level(conf_level, func=func)
    check_choice(kind, name="kind", choices=KINDS, func=func)
    check_choice(method, name="method", choices=("agq", "laplace"), func=func)
    max_iter = check_int(max_iter, name="max_iter", func=func, minimum=1)
    tol = check_real(tol, name="tol", func=func, low=0.0, low_inclusive=False)
    if zero_covariates and kind not in ("zip", "zinb"):
        raise ParameterError(
            f"The 'zero_covariates' parameter of {func} applies to kind 'zip' or 'zinb'; "
            f"got kind={kind!r}."
        )
    prep = prepare_draws(draws, func=func, count_col=count_col, id_col=id_col,
                         time_col=time_col, volume_col=volume_col, covariates=covariates,
                         zero_covariates=zero_covariates, missing=missing)
    design = trajectory_design(prep, func=func, random=random, time_col=time_col,
                               n_knots=n_knots, interactions=time_interactions)
    q = design.q
    nq = default_n_quad(method, n_quad, q, func)
    m = prep.ids.size
    if m < q + 2:
        raise DataValidationError(
            f"draws has {m} patients; a mixed model with {q} random effects per patient "
            f"needs at least {q + 2} (use fit_count_model for a single sample per patient)."
        )
    tt = prep.time if prep.time is not None else np.zeros(prep.y.size)
    x, z = design.matrices(tt, prep.w)
    _check_rank(x, design.fixed_terms, func)
    w_zero = np.column_stack([np.ones(prep.y.size), prep.w_zero])
    zero_terms = ["intercept", *prep.zero_terms]
    layout = count_layout(kind, x.shape[1], q, w_zero.shape[1])
    offset = np.log(prep.volume)
    block = count_block(layout, y=prep.y, x=x, z=z, offset=offset, w_zero=w_zero, sub=prep.sub,
                        n_subjects=m, n_params=layout.end)
    model = MarginalModel([block], n_subjects=m, q=q, n_params=layout.end,
                          d_index=np.arange(layout.d.start, layout.d.stop), n_quad=nq)
    theta0 = start_values(layout, prep.y, x, offset, prep.sub, q, m)
    opt = maximise(model, theta0, max_iter=max_iter, tol=tol, what="count mixed model")
    ms = model.modes(opt.theta)
    return _assemble(opt, ms, layout, design, prep, kind=kind, random=random, method=method,
                     nq=nq, cl=cl, x=x, z=z, w_zero=w_zero, zero_terms=zero_terms,
                     time_col=time_col, volume_col=volume_col, covariates=covariates)


def default_n_quad(method, n_quad, q, func):
    if method == "laplace":
        return 1
    if n_quad is None:
        return _DEFAULT_NQ.get(q, 5)
    return check_int(n_quad, name="n_quad", func=func, minimum=1)


def _check_rank(x, terms, func):
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise DataValidationError(
            f"the fixed-effects design of {func} ({', '.join(terms)}) is rank deficient: a "
            "covariate is constant within the data or a linear combination of others (e.g. "
            "constant over time while time_interactions includes it twice); remove it."
        )


def _assemble(opt, ms, layout, design, prep, *, kind, random, method, nq, cl, x, z, w_zero,
              zero_terms, time_col, volume_col, covariates):
    th = opt.theta
    se = np.sqrt(np.maximum(np.diag(opt.vcov), 0.0))
    frames = [wald_frame("count", design.fixed_terms, th[layout.beta], se[layout.beta],
                         conf_level=cl, ratio="irr")]
    if layout.gamma is not None:
        frames.append(wald_frame("zero", zero_terms, th[layout.gamma], se[layout.gamma],
                                 conf_level=cl, ratio="irr"))
    table = pd.concat(frames, ignore_index=True)
    dsl = layout.d
    variance = covariance_summary(th[dsl], opt.vcov[dsl, dsl], design.random_terms,
                                  conf_level=cl)
    theta_nb, theta_se = float("nan"), float("nan")
    if layout.log_theta is not None:
        theta_nb = float(np.exp(th[layout.log_theta]))
        theta_se = theta_nb * se[layout.log_theta]
    msgs = list(opt.messages)
    if layout.log_theta is not None and theta_nb > 1e4:
        msgs.append(f"theta = {theta_nb:.3g} is very large: the counts show no overdispersion "
                    "beyond the random effects; kind='poisson' fits as well with one parameter "
                    "less.")
    sds = variance["estimate"].to_numpy()[: design.q]
    if np.any(sds < 1e-3):
        msgs.append("a random-effect standard deviation is estimated near 0 (boundary of the "
                    "parameter space); its Wald interval is not valid — consider a simpler "
                    "random structure.")
    sd_post = np.sqrt(np.diagonal(ms.S, axis1=1, axis2=2))
    re = pd.DataFrame({"id": np.repeat(prep.ids, design.q),
                       "term": np.tile(design.random_terms, prep.ids.size),
                       "estimate": ms.b.ravel(), "std_error": sd_post.ravel()})
    for msg in msgs:
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    npar = th.size
    n = prep.n_obs
    fitted = _Fitted(design=design, layout=layout, theta=th, vcov=opt.vcov, ids=prep.ids,
                     sub=prep.sub, time=prep.time if prep.time is not None else np.zeros(n),
                     y=prep.y, volume=prep.volume, x=x, z=z, w=prep.w, w_zero=w_zero,
                     modes=ms.b,
                     post_cov=ms.S, covariates=tuple(covariates), time_col=time_col,
                     volume_col=volume_col)
    return CountMixedModelResult(
        kind=kind, random=random, method=method, n_quad=nq, table=table, variance=variance,
        random_effects=re, loglik=opt.loglik, df=npar,
        aic=-2 * opt.loglik + 2 * npar, bic=-2 * opt.loglik + np.log(n) * npar,
        theta=theta_nb, theta_std_error=theta_se, conf_level=cl, converged=opt.converged,
        n_obs=n, n_subjects=int(prep.ids.size), n_dropped=prep.n_dropped,
        warnings=tuple(msgs), _fitted=fitted)

