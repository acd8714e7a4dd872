"""Simulate serial CTC counts from a latent trajectory joined to survival (known truth).

Each patient has a latent log-concentration of CTCs in blood (cells per mL)

    m_i(t) = beta_0 + beta_t t + beta_x x_i + b_0i + b_1i t,    (b_0i, b_1i) ~ N(0, D),

drawn at scheduled times (with optional jitter) while alive and under follow-up; a draw of
``volume_ml`` of blood detects ``y ~ Poisson(recovery * volume * exp(m_i(t)))`` cells (or
negative binomial with size ``theta``). The hazard of death is Weibull in time with the
current latent value as a time-varying covariate:

    h_i(t) = rate * shape * t^(shape - 1) * exp(gamma_x x_i + alpha m_i(t)).

Event times are drawn by inverting the cumulative hazard (computed on a fine grid for all
patients at once, then refined by Newton steps). Censoring is administrative at
``censor_months`` plus exponential drop-out. The truth of every parameter is returned in the
scale the models estimate: the count intercept includes ``log(recovery)`` (the models see
detected cells), which leaves ``alpha`` unchanged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._validation import check_choice, check_int, check_real, check_rng

__all__ = ["JointSimulation", "simulate_joint"]


@dataclasses.dataclass(frozen=True)
class JointSimulation:
    """A simulated cohort with serial draws and the parameters that generated it.

    ``patients``: ``patient_id, visceral_mets, os_months, os_event``. ``draws``:
    ``patient_id, draw, draw_months, ctc_count, blood_volume_ml, visceral_mets,
    true_log_concentration``. ``random_effects``: ``patient_id, intercept, slope``.
    ``truth``: dict with ``count`` (coefficients of the count submodel on the detected
    scale: ``intercept, draw_months, visceral_mets``), ``sd_intercept, sd_slope,
    correlation, theta, association, survival`` (``{"visceral_mets": gamma}``),
    ``weibull_rate, weibull_shape, recovery``.
    """

    patients: pd.DataFrame
    draws: pd.DataFrame
    random_effects: pd.DataFrame
    truth: dict


def _cum_hazard_grid(grid, a0, a1, rate, shape):
    """H_i(t) on a grid for log-hazard log(rate*shape) + (shape-1) log t + a0_i + a1_i t."""
    t = grid[None, :]
    with np.errstate(divide="ignore"):
        logh = np.log(rate * shape) + (shape - 1.0) * np.log(t) + a0[:, None] + a1[:, None] * t
    h = np.exp(logh)
    h[:, 0] = 0.0 if shape >= 1 else h[:, 1]
    dt = np.diff(grid)
    inc = 0.5 * (h[:, 1:] + h[:, :-1]) * dt[None, :]
    if shape < 1:  # exact first piece for the integrable singularity at 0
        inc[:, 0] = rate * grid[1] ** shape * np.exp(a0)
    return np.concatenate([np.zeros((a0.size, 1)), np.cumsum(inc, axis=1)], axis=1)


def _event_times(target, a0, a1, rate, shape, horizon):
    grid = np.linspace(0.0, horizon, 4001)
    H = _cum_hazard_grid(grid, a0, a1, rate, shape)
    t = np.full(a0.size, np.inf)
    reach = H[:, -1] >= target
    for i in np.flatnonzero(reach):  # interpolation per patient (not a likelihood loop)
        t[i] = np.interp(target[i], H[i], grid)
    return t


def simulate_joint(
    *,
    n: int = 300,
    kind: str = "poisson",
    intercept: float = -0.5,
    slope: float = -0.05,
    covariate_effect: float = 0.5,
    sd_intercept: float = 1.2,
    sd_slope: float = 0.15,
    correlation: float = -0.3,
    theta: float = 2.0,
    recovery: float = 1.0,
    volume_ml: float = 7.5,
    draw_months: Sequence[float] = (0.0, 1.0, 2.0, 3.0, 4.5, 6.0, 9.0, 12.0),
    draw_jitter: float = 0.0,
    association: float = 0.5,
    hazard_covariate_effect: float = 0.3,
    weibull_rate: float = 0.04,
    weibull_shape: float = 1.2,
    prevalence_covariate: float = 0.5,
    censor_months: float = 24.0,
    dropout_rate: float = 0.01,
    rng: int | np.random.Generator | None = None,
) -> JointSimulation:
    """Simulate serial CTC counts and survival from a shared latent trajectory.

    Parameters
    ----------
    n : int
        Number of patients.
    kind : {"poisson", "negbin"}
        Sampling distribution of the detected count given the latent concentration.
    intercept, slope, covariate_effect : float
        Mean log-concentration (cells per mL) at time 0, its change per month and the effect
        of the binary baseline covariate ``visceral_mets``.
    sd_intercept, sd_slope, correlation : float
        Random intercept and slope distribution.
    theta : float
        Negative-binomial size (``kind="negbin"``).
    recovery, volume_ml : float
        Fraction of cells detected and the blood volume per draw (7.5 mL for CellSearch).
    draw_months : sequence of float
        Scheduled draw times; ``draw_jitter`` adds uniform(-jitter, +jitter) to each
        scheduled time after the first (clipped at 0).
    association : float
        Log hazard ratio per unit of current log-concentration (``alpha``).
    hazard_covariate_effect : float
        Log hazard ratio of ``visceral_mets`` given the trajectory.
    weibull_rate, weibull_shape : float
        Baseline hazard ``rate * shape * t^(shape - 1)`` (months).
    prevalence_covariate : float
        P(visceral_mets = 1).
    censor_months, dropout_rate : float
        Administrative censoring time and exponential drop-out rate per month.
    rng : int, Generator or None

    Returns
    -------
    JointSimulation
        ``patients``, ``draws``, ``random_effects`` and ``truth`` (see the class).

    Examples
    --------
    >>> from ctcstats.longitudinal import simulate_joint
    >>> sim = simulate_joint(n=50, rng=1)
    >>> sim.patients.columns.tolist()
    ['patient_id', 'visceral_mets', 'os_months', 'os_event']
    >>> round(sim.truth["association"], 2)
    0.5
    """
    func = "simulate_joint"
    n = check_int(n, name="n", func=func, minimum=1)
    check_choice(kind, name="kind", choices=("poisson", "negbin"), func=func)
    for name, v in (("sd_intercept", sd_intercept), ("sd_slope", sd_slope)):
        check_real(v, name=name, func=func, low=0.0)
    check_real(correlation, name="correlation", func=func, low=-1.0, high=1.0)
    for name, v in (("theta", theta), ("volume_ml", volume_ml), ("weibull_rate", weibull_rate),
                    ("weibull_shape", weibull_shape), ("censor_months", censor_months)):
        check_real(v, name=name, func=func, low=0.0, low_inclusive=False)
    check_real(recovery, name="recovery", func=func, low=0.0, high=1.0, low_inclusive=False)
    check_real(prevalence_covariate, name="prevalence_covariate", func=func, low=0.0, high=1.0)
    check_real(dropout_rate, name="dropout_rate", func=func, low=0.0)
    check_real(draw_jitter, name="draw_jitter", func=func, low=0.0)
    sched = np.sort(np.asarray(list(draw_months), dtype=float))
    if sched.size == 0 or np.any(~np.isfinite(sched)) or np.any(sched < 0):
        from ..errors import ParameterError

        raise ParameterError(f"The 'draw_months' parameter of {func} must be finite times "
                             f"≥ 0; got {list(draw_months)!r}.")
    g = check_rng(rng)
    x = (g.random(n) < prevalence_covariate).astype(float)
    # the Cholesky factor of D written out, so that sd_slope = 0 (random intercept only) works
    root = np.array([[sd_intercept, 0.0],
                     [correlation * sd_slope, sd_slope * np.sqrt(1.0 - correlation**2)]])
    b = g.standard_normal((n, 2)) @ root.T
    m0 = intercept + covariate_effect * x + b[:, 0]
    m1 = slope + b[:, 1]
    a0 = hazard_covariate_effect * x + association * m0
    a1 = association * m1
    target = -np.log(g.random(n))
    t_event = _event_times(target, a0, a1, weibull_rate, weibull_shape, censor_months)
    t_drop = g.exponential(1.0 / dropout_rate, n) if dropout_rate > 0 else np.full(n, np.inf)
    t_cens = np.minimum(censor_months, t_drop)
    time = np.minimum(t_event, t_cens)
    event = (t_event <= t_cens).astype(int)
    ids = np.arange(1, n + 1)
    # draws: scheduled (jittered) times strictly before the end of follow-up
    tt = np.tile(sched, (n, 1))
    if draw_jitter > 0:
        jit = g.uniform(-draw_jitter, draw_jitter, size=tt.shape)
        jit[:, 0] = 0.0
        tt = np.maximum(tt + jit, 0.0)
    keep = (tt < time[:, None]) | (np.arange(sched.size)[None, :] == 0)
    pid = np.repeat(ids, sched.size).reshape(n, -1)[keep]
    k = np.tile(np.arange(sched.size), (n, 1))[keep]
    td = tt[keep]
    sub = pid - 1
    logc = m0[sub] + m1[sub] * td
    mean = recovery * volume_ml * np.exp(logc)
    if kind == "poisson":
        y = g.poisson(mean)
    else:
        y = g.negative_binomial(theta, theta / (theta + mean))
    patients = pd.DataFrame({"patient_id": ids, "visceral_mets": x.astype(int),
                             "os_months": np.round(time, 4), "os_event": event})
    draws = pd.DataFrame({"patient_id": pid, "draw": k, "draw_months": np.round(td, 4),
                          "ctc_count": y.astype(np.int64), "blood_volume_ml": volume_ml,
                          "visceral_mets": x[sub].astype(int), "true_log_concentration": logc})
    re = pd.DataFrame({"patient_id": ids, "intercept": b[:, 0], "slope": b[:, 1]})
    truth = {
        "count": {"intercept": intercept + np.log(recovery), "draw_months": slope,
                  "visceral_mets": covariate_effect},
        "sd_intercept": sd_intercept, "sd_slope": sd_slope, "correlation": correlation,
        "theta": theta if kind == "negbin" else float("inf"), "association": association,
        "survival": {"visceral_mets": hazard_covariate_effect},
        "weibull_rate": weibull_rate * np.exp(-association * np.log(recovery)),
        "weibull_shape": weibull_shape, "recovery": recovery, "kind": kind,
    }
    return JointSimulation(patients=patients, draws=draws, random_effects=re, truth=truth)
