"""Dynamic survival predictions from a joint model of serial counts (Rizopoulos 2011).

For a patient event-free at the landmark ``t`` with counts ``y(t)`` drawn so far, the
probability of remaining event-free to ``u > t`` is

    pi(u | t) = E[ S(u | b, theta) / S(t | b, theta) | y(t), T > t ],

the expectation over the posterior of the random effects given the counts *and* survival to
``t``, and over the sampling distribution of the estimates. As in Rizopoulos (2011), for
``l = 1..n_samples``: draw ``theta_l`` from the asymptotic normal ``N(theta_hat, V)``; draw
``b_l`` from ``p(b | y(t), T > t; theta_l)`` — here by sampling-importance-resampling from a
multivariate t (4 df) centred at the posterior mode at ``theta_hat`` and scaled by its inverse
curvature (``n_proposals`` proposals per ``l``; Rizopoulos uses one Metropolis–Hastings step
with the same proposal); compute ``S(u | b_l, theta_l) / S(t | b_l, theta_l)``. The table
reports the mean (``survival``), the median and the percentile interval at ``conf_level``
over ``l``, and the first-order estimate at ``(theta_hat, b_hat)``.

Compared with JMbayes2's ``predict(fit, newdata, process = "event")`` (which averages over its
MCMC sample) in ``tests/longitudinal/test_joint_reference.py``.

Reference: Rizopoulos D. Dynamic predictions and prospective accuracy in joint models for
longitudinal and time-to-event data. Biometrics 2011;67:819–829.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._results import Result, result
from .._validation import (
    check_conf_level,
    check_count_column,
    check_int,
    check_numeric_column,
    check_positive_column,
    check_real,
    check_rng,
    format_labels,
    prepare_frame,
)
from ..errors import DataValidationError, ParameterError
from ._agq import chol_from_params
from ._survival import quadrature_nodes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DynamicPredictionResult", "predict_survival"]


@result
class DynamicPredictionResult(Result):
    """Dynamic survival predictions (see :meth:`JointModelResult.predict_survival`).

    Attributes
    ----------
    table : DataFrame
        One row per patient and horizon: ``id, landmark, horizon, survival`` (Monte-Carlo
        mean of P(event-free at horizon | event-free at landmark, counts so far)),
        ``median, ci_lower, ci_upper`` (percentile interval at ``conf_level``),
        ``first_order`` (plug-in estimate at the estimates and the posterior mode).
    history : DataFrame
        The counts used: ``id, time, count, volume, concentration``.
    n_samples : int
    conf_level : float
    n_obs : int
        Patients predicted.
    """

    _title: ClassVar[str] = "Dynamic survival prediction"

    table: pd.DataFrame
    history: pd.DataFrame
    n_samples: int
    conf_level: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, *, id: Any = None,  # noqa: A002 - a patient's id
             **kwargs: Any) -> Axes:
        """Counts so far and the predicted conditional survival of one patient."""
        from ..plotting import longitudinal as pl

        ids = self.table["id"].unique().tolist()
        pid = ids[0] if id is None else id
        if pid not in ids:
            raise ParameterError(f"The 'id' parameter of plot must be one of {ids[:5]}; "
                                 f"got {pid!r}.")
        return pl.plot_dynamic_survival(self.history.loc[self.history["id"] == pid],
                                        self.table.loc[self.table["id"] == pid], ax=ax,
                                        **kwargs)


# --------------------------------------------------------------------------- helpers
def _cov_row(row: pd.Series, cols, levels) -> list[float]:
    out: list[float] = []
    for c in cols:
        if c in levels:
            out.extend(float(row[c] == lev) for lev in levels[c][1:])
        else:
            out.append(float(row[c]))
    return out


def _unpack(f, th: np.ndarray):
    """Parameter pieces of samples th (L, p)."""
    cl, sl = f.count, f.surv
    q = f.design.q
    Ls = np.stack([chol_from_params(t[cl.d], q) for t in th])
    D = Ls @ np.swapaxes(Ls, 1, 2)
    return dict(beta=th[:, cl.beta], D=D, log_theta=None if cl.log_theta is None else
                th[:, cl.log_theta], gamma=th[:, sl.gamma], alpha=th[:, sl.alpha],
                lam=th[:, sl.lam])


class _Patient:
    """One patient's design pieces: counts, trajectory rows, survival nodes."""

    def __init__(self, f, t, y, vol, w_long, w_surv, landmark, horizons):
        self.f = f
        self.y = y
        self.off = np.log(vol)
        nd = t.size
        self.x, self.z = f.design.matrices(t, np.repeat(w_long[None, :], nd, axis=0))
        self.w_surv = w_surv
        self.w_long = w_long
        sub, s, logw = quadrature_nodes(f.baseline, np.zeros(1), np.array([landmark]),
                                        f.n_gauss)
        self.s_land = self._nodes(s, logw)
        hz = np.maximum(horizons, landmark)
        sub, s, logw = quadrature_nodes(f.baseline, np.full(hz.size, landmark), hz,
                                        f.n_gauss)
        self.hsub = sub
        self.n_h = hz.size
        self.s_hor = self._nodes(s, logw)

    def _nodes(self, s, logw):
        f = self.f
        xs, zs = [], []
        for what in f.parts:
            x, z = f.design.matrices(s, np.repeat(self.w_long[None, :], s.size, axis=0), what)
            xs.append(x)
            zs.append(z)
        return dict(logw=logw, basis=f.baseline.basis(s), xs=xs, zs=zs)

    def _log_hazard_nodes(self, nodes, P, b):
        """logw + log h at nodes for samples: P arrays (L, .), b (L, M, q) -> (L, M, R)."""
        eta = (nodes["logw"][None, :] + P["lam"] @ nodes["basis"].T
               + (P["gamma"] @ self.w_surv)[:, None])[:, None, :]
        for k, (x, z) in enumerate(zip(nodes["xs"], nodes["zs"], strict=True)):
            a = P["alpha"][:, k][:, None, None]
            eta = eta + a * ((P["beta"] @ x.T)[:, None, :] + np.einsum("lmq,rq->lmr", b, z))
        return eta

    def log_post(self, P, b):
        """Unnormalised log p(b | y, T > landmark; theta_l): (L, M)."""
        eta = (self.off + P["beta"] @ self.x.T)[:, None, :] + np.einsum("lmq,jq->lmj", b,
                                                                        self.z)
        mu = np.exp(eta)
        if P["log_theta"] is None:
            lp = stats.poisson.logpmf(self.y, mu).sum(axis=-1)
        else:
            th = np.exp(P["log_theta"])[:, None, None]
            lp = stats.nbinom.logpmf(self.y, th, th / (th + mu)).sum(axis=-1)
        lp = lp - np.exp(self._log_hazard_nodes(self.s_land, P, b)).sum(axis=-1)
        Dinv = np.linalg.inv(P["D"])
        lp = lp - 0.5 * np.einsum("lmq,lqr,lmr->lm", b, Dinv, b) \
            - 0.5 * np.linalg.slogdet(P["D"])[1][:, None]
        return lp

    def conditional_survival(self, P, b):
        """S(u | b) / S(landmark | b) at each horizon: (L, M, H)."""
        h = np.exp(self._log_hazard_nodes(self.s_hor, P, b))
        cum = np.zeros((*h.shape[:2], self.n_h))
        np.add.at(cum, (slice(None), slice(None), self.hsub), h)
        return np.exp(-cum)


def _mode(pt: _Patient, P1, q):
    def neg(bv):
        return -float(pt.log_post(P1, bv.reshape(1, 1, q))[0, 0])

    res = optimize.minimize(neg, np.zeros(q), method="BFGS", options={"gtol": 1e-8})
    b = res.x
    H = np.zeros((q, q))
    h = 1e-4
    for i in range(q):
        for j in range(i, q):
            e_i = np.eye(q)[i] * h
            e_j = np.eye(q)[j] * h
            v = (neg(b + e_i + e_j) - neg(b + e_i - e_j) - neg(b - e_i + e_j)
                 + neg(b - e_i - e_j)) / (4 * h * h)
            H[i, j] = H[j, i] = v
    w, V = np.linalg.eigh(H)
    w = np.maximum(w, 1e-8)
    return b, (V / w) @ V.T


def _sample_theta(f, n, g):
    w, V = np.linalg.eigh(0.5 * (f.vcov + f.vcov.T))
    root = V * np.sqrt(np.maximum(w, 0.0))
    return f.theta[None, :] + g.standard_normal((n, f.theta.size)) @ root.T


# --------------------------------------------------------------------------- public
def predict_survival(fit, history: pd.DataFrame, horizon, *, landmark=None,
                     n_samples: int = 200, n_proposals: int = 100,
                     conf_level: float | None = None, rng=None) -> DynamicPredictionResult:
    """Dynamic survival of patients given their counts so far (conditional on survival).

    Parameters
    ----------
    fit : JointModelResult
    history : DataFrame
        The patients' draws so far, one row per draw, with the fit's ``id_col``,
        ``draw_time_col``, ``count_col`` (and ``volume_col``) and the baseline covariates of
        both submodels (constant within a patient).
    horizon : float or sequence of float
        Times at which to predict (the time scale of the fit). Horizons at or before the
        landmark give 1.
    landmark : float, optional
        Time up to which each patient is known to be event-free; default their last draw
        time. A draw after the landmark is an error.
    n_samples, n_proposals : int
        Monte-Carlo draws of the parameters, and importance proposals per draw.
    conf_level : float, optional
        Default the fit's.
    rng : int, Generator or None

    Returns
    -------
    DynamicPredictionResult
    """
    func = "predict_survival"
    f = fit._fitted
    cl = fit.conf_level if conf_level is None else check_conf_level(conf_level, func=func)
    n_samples = check_int(n_samples, name="n_samples", func=func, minimum=10)
    n_proposals = check_int(n_proposals, name="n_proposals", func=func, minimum=1)
    hz = np.atleast_1d(np.asarray(horizon, dtype=float))
    if hz.ndim != 1 or hz.size == 0 or not np.all(np.isfinite(hz)):
        raise ParameterError(f"The 'horizon' parameter of {func} must be finite times; got "
                             f"{horizon!r}.")
    g = check_rng(rng)
    cols = list(dict.fromkeys([*f.cov_cols, *f.long_cols]))
    pf = prepare_frame(history, func=func, missing="raise", roles={
        "id_col": f.id_col, "draw_time_col": f.draw_time_col, "count_col": f.count_col,
        "volume_col": f.volume_col, "covariates": cols}).frame
    y_all = check_count_column(pf, f.count_col)
    t_all = check_numeric_column(pf, f.draw_time_col, role="draw_time_col")
    v_all = (check_positive_column(pf, f.volume_col, role="volume_col")
             if f.volume_col is not None else np.ones(pf.shape[0]))
    for c in cols:
        varies = pf.groupby(f.id_col, observed=True)[c].nunique(dropna=False) > 1
        if varies.any():
            raise DataValidationError(
                f"covariate {c!r} changes within patient {varies.index[varies][0]!r} in "
                "history; the joint model's covariates are baseline values (one per patient).")
    ids = pd.unique(pf[f.id_col].to_numpy())
    ids = np.sort(ids)
    P_hat = _unpack(f, f.theta[None, :])
    theta_s = _sample_theta(f, n_samples, g)
    Ps = _unpack(f, theta_s)
    q = f.design.q
    lo_q, hi_q = (1 - cl) / 2, 1 - (1 - cl) / 2
    rows, hist = [], []
    for pid in ids:  # patients one by one; each vectorised over the Monte-Carlo samples
        sel = (pf[f.id_col] == pid).to_numpy()
        t, y, vol = t_all[sel], y_all[sel], v_all[sel]
        o = np.argsort(t, kind="stable")
        t, y, vol = t[o], y[o], vol[o]
        first = pf.loc[sel].iloc[0]
        land = float(t.max()) if landmark is None else check_real(
            landmark, name="landmark", func=func)
        if t.max() > land:
            raise DataValidationError(
                f"history has draws of patient {pid!r} after the landmark {land:g} (first "
                f"row labels: {format_labels(pf.index[sel][t[np.argsort(o)] > land])}); pass "
                "only the counts known by the landmark.")
        w_long = np.array(_cov_row(first, f.long_cols, f.cov_levels), dtype=float)
        w_surv = np.array(_cov_row(first, f.cov_cols, f.cov_levels), dtype=float)
        pt = _Patient(f, t, y, vol, w_long, w_surv, land, hz)
        b_hat, S = _mode(pt, P_hat, q)
        first_order = pt.conditional_survival(P_hat, b_hat.reshape(1, 1, q))[0, 0]
        dist = stats.multivariate_t(loc=b_hat, shape=S, df=4)
        prop = dist.rvs(size=(n_samples * n_proposals), random_state=g).reshape(
            n_samples, n_proposals, q)
        logw = pt.log_post(Ps, prop) - dist.logpdf(prop.reshape(-1, q)).reshape(
            n_samples, n_proposals)
        logw = logw - logw.max(axis=1, keepdims=True)
        w = np.exp(logw)
        cw = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
        pick = np.minimum((cw < g.random((n_samples, 1))).sum(axis=1), n_proposals - 1)
        b_l = prop[np.arange(n_samples), pick][:, None, :]
        surv = pt.conditional_survival(Ps, b_l)[:, 0, :]  # (L, H)
        rows.append(pd.DataFrame({
            "id": pid, "landmark": land, "horizon": hz, "survival": surv.mean(axis=0),
            "median": np.median(surv, axis=0), "ci_lower": np.quantile(surv, lo_q, axis=0),
            "ci_upper": np.quantile(surv, hi_q, axis=0), "first_order": first_order}))
        hist.append(pd.DataFrame({"id": pid, "time": t, "count": y, "volume": vol,
                                  "concentration": y / vol}))
    return DynamicPredictionResult(
        table=pd.concat(rows, ignore_index=True), history=pd.concat(hist, ignore_index=True),
        n_samples=n_samples, conf_level=cl, n_obs=int(ids.size))

