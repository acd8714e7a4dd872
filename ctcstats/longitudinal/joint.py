"""Joint model of serial counts and survival (shared random effects).

The count submodel of :func:`~ctcstats.longitudinal.fit_count_mixed_model` (Poisson or
negative binomial, random intercept / slope / spline, log volume as exposure) describes the
latent log-concentration ``m_i(t) = X_i(t) beta + Z_i(t) b_i``; a proportional-hazards
submodel with a flexible baseline (piecewise constant or cubic B-spline) uses its current
value (optionally its slope, or its cumulative value) as a time-varying covariate:

    h_i(t) = h0(t) exp(w_i gamma + alpha m_i(t)).

Maximum likelihood integrates the random effects out by adaptive Gauss–Hermite quadrature
(as JM's ``"piecewise-PH-aGH"`` / ``"spline-PH-aGH"``; the engine is
:mod:`ctcstats.longitudinal._agq`), with the cumulative hazard by Gauss–Legendre quadrature per
patient (:mod:`ctcstats.longitudinal._survival`); standard errors from the observed
information (central differences of the exact analytic score). Because the counts are a noisy
Poisson sample of the concentration, the joint model estimates the association with the
*latent* concentration, which the observed count (LOCF) attenuates.

Why own code: no Python package fits joint models (with any longitudinal submodel); R's JM /
joineRML are Gaussian-only, JMbayes2 is Bayesian.

References
----------
Rizopoulos D. Joint Models for Longitudinal and Time-to-Event Data. Chapman & Hall/CRC 2012.
Rizopoulos D. Dynamic predictions and prospective accuracy in joint models for longitudinal
and time-to-event data. Biometrics 2011;67:819–829.
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
    check_event_column,
    check_int,
    check_one_row_per_id,
    check_real,
    check_time_column,
    design_matrix,
    format_labels,
    prepare_frame,
)
from ..errors import ConvergenceWarning, DataValidationError, ParameterError
from ._agq import MarginalModel
from ._count import count_block, count_layout
from ._fit import covariance_summary, maximise, wald_frame
from ._survival import (
    ASSOC_TERMS,
    ASSOCIATIONS,
    Baseline,
    SurvLayout,
    association_parts,
    quadrature_nodes,
    survival_blocks,
)
from .mixed import default_n_quad, prepare_draws, start_values, trajectory_design

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .predict import DynamicPredictionResult

__all__ = ["JointModelResult", "fit_joint_model"]


@dataclasses.dataclass(frozen=True)
class JointFit:
    """Everything prediction needs (internal; see :mod:`ctcstats.longitudinal.predict`)."""

    kind: str
    design: Any
    baseline: Baseline
    parts: tuple[str, ...]
    count: Any  # CountLayout
    surv: SurvLayout
    theta: np.ndarray
    vcov: np.ndarray
    n_gauss: int
    cov_cols: tuple[str, ...]  # survival covariates (columns of data)
    long_cols: tuple[str, ...]  # longitudinal covariates (columns of data)
    cov_terms: tuple[str, ...]
    long_terms: tuple[str, ...]
    cov_levels: dict  # column -> levels (categorical covariates)
    id_col: str
    draw_time_col: str
    count_col: str
    volume_col: str | None
    ids: np.ndarray
    modes: np.ndarray
    draw_sub: np.ndarray
    draw_time: np.ndarray
    y: np.ndarray
    volume: np.ndarray
    w_long: np.ndarray


@result
class JointModelResult(Result):
    """A fitted joint model of serial counts and survival (see :func:`fit_joint_model`).

    Attributes
    ----------
    table : DataFrame
        Both submodels: ``component`` (``count`` — longitudinal fixed effects; ``survival`` —
        baseline covariates of the hazard; ``association`` — log hazard ratio per unit of the
        latent log-concentration, its slope or cumulative value), ``term``, ``coef``,
        ``std_error``, ``irr`` (count rows), ``hr`` (survival and association rows),
        ``ci_lower``, ``ci_upper`` (Wald, on the ``irr`` / ``hr`` scale), ``z``, ``p_value``.
    variance : DataFrame
        Random-effect SDs and correlations (``term, estimate, std_error, ci_lower,
        ci_upper``).
    baseline_hazard : DataFrame
        ``term, coef, std_error`` of the log baseline hazard (piecewise: one log hazard per
        interval, with ``start, end``; bspline: the B-spline coefficients).
    random_effects : DataFrame
        Empirical Bayes modes given counts *and* survival: ``id, term, estimate, std_error``.
    loglik, aic, bic : float
        ``bic`` uses the number of patients.
    theta, theta_std_error : float
        Negative-binomial size (NaN for Poisson).
    association, kind, random, baseline : str
    n_quad, n_gauss : int
    converged : bool
    n_obs, n_draws, n_events, n_dropped : int
        Patients analysed, draws, events, patient rows removed for missing values.
    """

    _title: ClassVar[str] = "Joint model of serial counts and survival"

    table: pd.DataFrame
    variance: pd.DataFrame
    baseline_hazard: pd.DataFrame
    random_effects: pd.DataFrame
    loglik: float
    df: int
    aic: float
    bic: float
    theta: float
    theta_std_error: float
    association: str
    kind: str
    random: str
    baseline: str
    n_quad: int
    n_gauss: int
    conf_level: float
    converged: bool
    n_obs: int
    n_draws: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
    _fitted: JointFit | None = dataclasses.field(default=None, repr=False)

    def _summary_frames(self):
        return [("table", self.table), ("variance", self.variance)]

    def _fit_state(self) -> JointFit:
        """The fitted model's arrays (present on every result :func:`fit_joint_model`
        returns)."""
        if self._fitted is None:
            raise ParameterError("This JointModelResult carries no fitted model; build it "
                                 "with fit_joint_model.")
        return self._fitted

    def predict_survival(self, history: pd.DataFrame, horizon: float | Sequence[float], *,
                         landmark: float | None = None, n_samples: int = 200,
                         conf_level: float | None = None,
                         rng: RandomState = None) -> DynamicPredictionResult:
        """Dynamic survival of patients given their counts so far.

        See :func:`ctcstats.longitudinal.predict.predict_survival`.
        """
        from .predict import predict_survival

        return predict_survival(self, history, horizon, landmark=landmark,
                                n_samples=n_samples, conf_level=conf_level, rng=rng)

    def trajectories(self, *, n_points: int = 50) -> pd.DataFrame:
        """Fitted log-concentration curves (``id, time, population, subject``) over each
        patient's follow-up (0 to the last draw or event time, whichever is later)."""
        f = self._fit_state()
        n_points = check_int(n_points, name="n_points", func="trajectories", minimum=2)
        beta = f.theta[f.count.beta]
        rows = []
        for i, pid in enumerate(f.ids):
            ti = f.draw_time[f.draw_sub == i]
            hi = ti.max() if ti.size else 1.0
            lo = min(0.0, ti.min()) if ti.size else 0.0
            grid = np.linspace(lo, hi, n_points)
            x, z = f.design.matrices(grid, np.repeat(f.w_long[i:i + 1], n_points, axis=0))
            pop = x @ beta
            rows.append(pd.DataFrame({"id": pid, "time": grid, "population": pop,
                                      "subject": pop + z @ f.modes[i]}))
        return pd.concat(rows, ignore_index=True)

    def plot(self, ax: Axes | None = None, *, ids: Sequence | None = None, n_subjects: int = 8,
             rng: RandomState = 0, **kwargs: Any) -> Axes:
        """Individual count trajectories with the joint model's fitted curves."""
        from .._validation import check_rng
        from ..plotting import longitudinal as pl

        f = self._fit_state()
        obs = pd.DataFrame({"id": f.ids[f.draw_sub], "time": f.draw_time, "count": f.y,
                            "volume": f.volume, "concentration": f.y / f.volume})
        if ids is None:
            counts = obs.groupby("id", observed=True).size()
            pool = counts.index[counts >= 2].to_numpy()
            pool = pool if pool.size else counts.index.to_numpy()
            g = check_rng(rng)
            n_subjects = check_int(n_subjects, name="n_subjects", func="plot", minimum=1)
            ids = list(pool[np.sort(g.choice(pool.size, min(n_subjects, pool.size),
                                             replace=False))])
        traj = self.trajectories()
        return pl.plot_trajectories(obs.loc[obs["id"].isin(list(ids))],
                                    traj.loc[traj["id"].isin(list(ids))], ax=ax, **kwargs)


# --------------------------------------------------------------------------- preparation
def _levels(frame, cols):
    out = {}
    for c in cols:
        s = frame[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            from .._validation import group_levels

            out[c] = list(group_levels(s))
    return out


def prepare_joint(func, data, draws, *, time_col, event_col, id_col, count_col, volume_col,
             draw_time_col, covariates, long_covariates, missing):
    covariates = list(covariates or ())
    long_covariates = list(long_covariates or ())
    pp = prepare_frame(data, func=func, missing=missing, roles={
        "id_col": id_col, "time_col": time_col, "event_col": event_col,
        "covariates": covariates, "long_covariates": long_covariates})
    pf = pp.frame
    time = check_time_column(pf, time_col)
    event = check_event_column(pf, event_col)
    bad = time <= 0
    if bad.any():
        raise DataValidationError(
            f"time_col {time_col!r} has {int(bad.sum())} times ≤ 0 (first row labels: "
            f"{format_labels(pf.index[bad])}); a joint model needs follow-up > 0 for every "
            "patient."
        )
    check_one_row_per_id(pf, id_col, serial="counts")
    ids = pf[id_col]
    w_surv, cov_terms = design_matrix(pf, covariates, func=func) if covariates \
        else (np.empty((pf.shape[0], 0)), [])
    w_long, long_terms = design_matrix(pf, long_covariates, func=func,
                                       role="long_covariates") if long_covariates \
        else (np.empty((pf.shape[0], 0)), [])
    order = np.argsort(ids.to_numpy(), kind="stable")
    pid = ids.to_numpy()[order]
    prep = prepare_draws(draws, func=func, count_col=count_col, id_col=id_col,
                         time_col=draw_time_col, volume_col=volume_col, covariates=(),
                         zero_covariates=None, missing=missing)
    draw_ids = prep.ids[prep.sub]
    pos = np.searchsorted(pid, draw_ids)
    pos = np.clip(pos, 0, pid.size - 1)
    unknown = pid[pos] != draw_ids
    if unknown.any():
        raise DataValidationError(
            f"id_col {id_col!r} of draws has {int(unknown.sum())} rows whose patient is not "
            f"in data (first row labels: {format_labels(prep.labels[unknown])}); every draw "
            "must belong to a patient of data (check the join, or missing='drop' dropped "
            "the patient)."
        )
    t_pat = time[order]
    late = prep.time > t_pat[pos] + 1e-12
    if late.any():
        raise DataValidationError(
            f"draws has {int(late.sum())} rows after the patient's event or censoring time "
            f"(first row labels: {format_labels(prep.labels[late])}); a count measured after "
            f"{time_col!r} cannot inform the hazard before it — remove those draws."
        )
    return dict(
        ids=pid, time=t_pat, event=event[order], w_surv=w_surv[order], w_long=w_long[order],
        cov_terms=cov_terms, long_terms=long_terms, prep=prep, sub=pos,
        n_obs=pp.n_obs, n_dropped=pp.n_dropped + prep.n_dropped,
        levels=_levels(pf, covariates + long_covariates),
        covariates=covariates, long_covariates=long_covariates)


# --------------------------------------------------------------------------- start values
def _survival_start(d, design, parts, baseline, layout, theta, modes, n_gauss):
    """Poisson-GLM Newton for (lambda, gamma, alpha) with the trajectory fixed at b_hat."""
    m = d["time"].size
    ev = np.flatnonzero(d["event"] == 1)
    sub, s, logw = quadrature_nodes(baseline, np.zeros(m), d["time"], n_gauss)
    beta = theta[layout.beta]

    def rows(idx, times):
        cols = [baseline.basis(times), d["w_surv"][idx]]
        for what in parts:
            x, z = design.matrices(times, d["w_long"][idx], what)
            cols.append((x @ beta + np.einsum("rq,rq->r", z, modes[idx]))[:, None])
        return np.hstack(cols)

    xe = rows(ev, d["time"][ev])
    xn = rows(sub, s)
    k = xn.shape[1]
    par = np.zeros(k)
    rate = max(ev.size, 1) / d["time"].sum()
    par[: baseline.n_params] = np.log(rate)
    for _ in range(50):
        mu = np.exp(np.clip(logw + xn @ par, -700, 700))
        grad = xe.sum(axis=0) - xn.T @ mu
        hess = (xn.T * mu) @ xn + 1e-8 * np.eye(k)
        step = np.linalg.solve(hess, grad)
        step = np.clip(step, -2.0, 2.0)
        par = par + step
        if np.max(np.abs(step)) < 1e-9:
            break
    nb = baseline.n_params
    nw = d["w_surv"].shape[1]
    theta[layout.lam] = par[:nb]
    theta[layout.gamma] = par[nb:nb + nw]
    theta[layout.alpha] = par[nb + nw:]
    return theta


# --------------------------------------------------------------------------- public
def fit_joint_model(
    data: pd.DataFrame,
    *,
    draws: pd.DataFrame,
    time_col: str,
    event_col: str,
    id_col: str,
    count_col: str,
    draw_time_col: str,
    volume_col: str | None = None,
    covariates: Sequence[str] = (),
    long_covariates: Sequence[str] = (),
    random: Literal["intercept", "slope", "spline"] = "slope",
    kind: Literal["poisson", "negbin"] = "poisson",
    association: Literal["value", "slope", "value+slope", "cumulative"] = "value",
    baseline: Literal["piecewise", "bspline"] = "piecewise",
    n_knots: int | None = None,
    spline_knots: int = 1,
    n_quad: int | None = None,
    n_gauss: int | None = None,
    conf_level: float = 0.95,
    max_iter: int = 500,
    tol: float = 1e-8,
    missing: Literal["raise", "drop"] = "raise",
) -> JointModelResult:
    """Joint model of serial counts (Poisson / NB mixed model) and survival (PH model).

    Parameters
    ----------
    data : DataFrame
        One row per patient: ``id_col``, ``time_col``, ``event_col`` and the baseline
        covariates.
    draws : DataFrame
        One row per draw: ``id_col``, ``draw_time_col``, ``count_col`` (and ``volume_col``).
        Draws after a patient's event or censoring time are an error.
    time_col, event_col, id_col, count_col, draw_time_col, volume_col : str
        Column roles (``volume_col``: blood volume or cells examined, the exposure).
    covariates : list of str
        Baseline covariates of the survival submodel (columns of ``data``).
    long_covariates : list of str
        Baseline covariates of the count submodel (columns of ``data``).
    random : {"intercept", "slope", "spline"}
        Random-effects structure of the trajectory (``spline``: natural spline with
        ``spline_knots`` interior knots).
    kind : {"poisson", "negbin"}
    association : {"value", "slope", "value+slope", "cumulative"}
        What of the latent log-concentration enters the hazard: its current value, its
        current slope, both, or its integral from 0 (``cumulative``: linear trajectories).
    baseline : {"piecewise", "bspline"}
        Log baseline hazard piecewise constant (``n_knots`` interior cut points at quantiles
        of the event times; default 5) or a cubic B-spline (``n_knots`` interior knots;
        default 3).
    n_quad : int, optional
        Gauss–Hermite points per random-effect dimension (default 11 for one, 7 for two, 5
        for more; 1 = Laplace).
    n_gauss : int, optional
        Gauss–Legendre nodes per piece of the cumulative hazard (default 7 piecewise, 15
        B-spline).
    conf_level, max_iter, tol, missing
        As everywhere (``missing`` applies to both tables).

    Returns
    -------
    JointModelResult
        ``table`` with both submodels (``component, term, coef, std_error, irr, hr,
        ci_lower, ci_upper, z, p_value``), ``variance``, ``baseline_hazard``,
        ``random_effects``, ``loglik`` and friends; ``predict_survival(history, horizon)``.

    Notes
    -----
    The Gaussian-submodel analogue is R's ``JM::jointModel(lme, coxph, method =
    "piecewise-PH-aGH")``; for counts the Bayesian ``JMbayes2::jm`` on a
    ``GLMMadaptive::mixed_model`` is the reference (``tests/reference/longitudinal/``).

    Examples
    --------
    >>> import ctcstats as cs
    >>> sim = cs.simulate_joint(n=80, rng=3)
    >>> fit = cs.fit_joint_model(sim.patients, draws=sim.draws, time_col="os_months",
    ...                          event_col="os_event", id_col="patient_id",
    ...                          count_col="ctc_count", draw_time_col="draw_months",
    ...                          volume_col="blood_volume_ml", random="intercept",
    ...                          baseline="piecewise", n_knots=2, n_quad=5)
    >>> fit.table["component"].unique().tolist()
    ['count', 'association']
    """
    func = "fit_joint_model"
    cl = check_conf_level(conf_level, func=func)
    check_choice(kind, name="kind", choices=("poisson", "negbin"), func=func)
    check_choice(association, name="association", choices=tuple(ASSOCIATIONS), func=func)
    check_choice(baseline, name="baseline", choices=("piecewise", "bspline"), func=func)
    max_iter = check_int(max_iter, name="max_iter", func=func, minimum=1)
    tol = check_real(tol, name="tol", func=func, low=0.0, low_inclusive=False)
    n_knots = (5 if baseline == "piecewise" else 3) if n_knots is None else \
        check_int(n_knots, name="n_knots", func=func, minimum=0)
    n_gauss = (7 if baseline == "piecewise" else 15) if n_gauss is None else \
        check_int(n_gauss, name="n_gauss", func=func, minimum=1)
    d = prepare_joint(func, data, draws, time_col=time_col, event_col=event_col, id_col=id_col,
                 count_col=count_col, volume_col=volume_col, draw_time_col=draw_time_col,
                 covariates=covariates, long_covariates=long_covariates, missing=missing)
    if int(d["event"].sum()) == 0:
        raise DataValidationError(f"event_col {event_col!r} has no events; {func} needs some.")
    prep = d["prep"]
    prep.w = d["w_long"][d["sub"]]
    prep.cov_terms = list(d["long_terms"])
    design = trajectory_design(prep, func=func, random=random, time_col=draw_time_col,
                               n_knots=spline_knots, interactions=())
    if association == "cumulative" and random == "spline":
        raise ParameterError(
            f"The 'association' parameter of {func} can be 'cumulative' only with a linear "
            "trajectory (random='intercept' or 'slope'); got random='spline'."
        )
    parts = association_parts(association)
    m = d["ids"].size
    q = design.q
    nq = default_n_quad("agq", n_quad, q, func)
    x, z = design.matrices(prep.time, prep.w)
    cl_layout = count_layout(kind, x.shape[1], q, 0)
    base = Baseline.from_times(baseline, d["time"], d["event"], n_knots)
    pos = cl_layout.end
    nw = d["w_surv"].shape[1]
    sl = SurvLayout(beta=cl_layout.beta, gamma=slice(pos, pos + nw),
                    alpha=slice(pos + nw, pos + nw + len(parts)),
                    lam=slice(pos + nw + len(parts), pos + nw + len(parts) + base.n_params),
                    end=pos + nw + len(parts) + base.n_params)
    p = sl.end
    offset = np.log(prep.volume)
    cblock = count_block(cl_layout, y=prep.y, x=x, z=z, offset=offset,
                         w_zero=np.ones((prep.y.size, 1)), sub=d["sub"], n_subjects=m,
                         n_params=p)
    d_index = np.arange(cl_layout.d.start, cl_layout.d.stop)
    # start: the count mixed model alone (Laplace), then the survival part given b_hat
    theta = np.zeros(p)
    th_c = start_values(cl_layout, prep.y, x, offset, d["sub"], q, m)
    lone = MarginalModel([count_block(cl_layout, y=prep.y, x=x, z=z, offset=offset,
                                      w_zero=np.ones((prep.y.size, 1)), sub=d["sub"],
                                      n_subjects=m, n_params=cl_layout.end)],
                         n_subjects=m, q=q, n_params=cl_layout.end, d_index=d_index, n_quad=1)
    from scipy import optimize

    res = optimize.minimize(lambda t: tuple(-v for v in lone.loglik_grad(t)), th_c, jac=True,
                            method="BFGS", options={"maxiter": max_iter, "gtol": 1e-3})
    theta[: cl_layout.end] = res.x
    modes = lone.modes(res.x).b
    theta = _survival_start(d, design, parts, base, sl, theta, modes, n_gauss)
    sblocks = survival_blocks(sl, time=d["time"], event=d["event"], w_surv=d["w_surv"],
                              w_long=d["w_long"], design=design, parts=parts, baseline=base,
                              n_gauss=n_gauss, n_params=p)
    model = MarginalModel([cblock, *sblocks], n_subjects=m, q=q, n_params=p, d_index=d_index,
                          n_quad=nq)
    model._b = modes.copy()
    opt = maximise(model, theta, max_iter=max_iter, tol=tol, what="joint model")
    ms = model.modes(opt.theta)
    return _assemble(opt, ms, d, design, base, parts, cl_layout, sl, kind=kind, random=random,
                     association=association, baseline=baseline, nq=nq, n_gauss=n_gauss,
                     cl=cl, id_col=id_col, draw_time_col=draw_time_col, count_col=count_col,
                     volume_col=volume_col)


def _assemble(opt, ms, d, design, base, parts, cl_layout, sl, *, kind, random, association,
              baseline, nq, n_gauss, cl, id_col, draw_time_col, count_col, volume_col):
    th = opt.theta
    se = np.sqrt(np.maximum(np.diag(opt.vcov), 0.0))
    frames = [wald_frame("count", design.fixed_terms, th[cl_layout.beta],
                         se[cl_layout.beta], conf_level=cl, ratio="irr")]
    if d["cov_terms"]:
        frames.append(wald_frame("survival", d["cov_terms"], th[sl.gamma], se[sl.gamma],
                                 conf_level=cl, ratio="hr"))
    frames.append(wald_frame("association", [ASSOC_TERMS[p_] for p_ in parts], th[sl.alpha],
                             se[sl.alpha], conf_level=cl, ratio="hr"))
    table = pd.concat(frames, ignore_index=True)
    for col in ("irr", "hr"):
        if col not in table:
            table[col] = np.nan
    table = table[["component", "term", "coef", "std_error", "irr", "hr", "ci_lower",
                   "ci_upper", "z", "p_value"]]
    variance = covariance_summary(th[cl_layout.d], opt.vcov[cl_layout.d, cl_layout.d],
                                  design.random_terms, conf_level=cl)
    bh = pd.DataFrame({"term": base.terms, "coef": th[sl.lam], "std_error": se[sl.lam]})
    if base.kind == "piecewise":
        edges = np.r_[0.0, base.cuts, np.inf]
        bh.insert(1, "start", edges[:-1])
        bh.insert(2, "end", edges[1:])
        bh["hazard"] = np.exp(bh["coef"])
    theta_nb, theta_se = float("nan"), float("nan")
    if cl_layout.log_theta is not None:
        theta_nb = float(np.exp(th[cl_layout.log_theta]))
        theta_se = theta_nb * se[cl_layout.log_theta]
    sd_post = np.sqrt(np.diagonal(ms.S, axis1=1, axis2=2))
    re = pd.DataFrame({"id": np.repeat(d["ids"], design.q),
                       "term": np.tile(design.random_terms, d["ids"].size),
                       "estimate": ms.b.ravel(), "std_error": sd_post.ravel()})
    msgs = list(opt.messages)
    for msg in msgs:
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    prep = d["prep"]
    fitted = JointFit(
        kind=kind, design=design, baseline=base, parts=parts, count=cl_layout, surv=sl,
        theta=th, vcov=opt.vcov, n_gauss=n_gauss, cov_cols=tuple(d["covariates"]),
        long_cols=tuple(d["long_covariates"]), cov_terms=tuple(d["cov_terms"]),
        long_terms=tuple(d["long_terms"]), cov_levels=d["levels"], id_col=id_col,
        draw_time_col=draw_time_col, count_col=count_col, volume_col=volume_col,
        ids=d["ids"], modes=ms.b, draw_sub=d["sub"], draw_time=prep.time, y=prep.y,
        volume=prep.volume, w_long=d["w_long"])
    m = d["ids"].size
    npar = th.size
    return JointModelResult(
        table=table, variance=variance, baseline_hazard=bh, random_effects=re, loglik=opt.loglik, df=npar, aic=-2 * opt.loglik + 2 * npar,
        bic=-2 * opt.loglik + np.log(m) * npar, theta=theta_nb, theta_std_error=theta_se,
        association=association, kind=kind, random=random, baseline=baseline, n_quad=nq,
        n_gauss=n_gauss, conf_level=cl, converged=opt.converged, n_obs=m,
        n_draws=int(prep.y.size), n_events=int(d["event"].sum()), n_dropped=d["n_dropped"],
        warnings=tuple(msgs), _fitted=fitted)
