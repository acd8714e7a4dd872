"""How many patients does a time-to-event prediction model need? Riley et al.'s criteria.

:func:`model_sample_size` — the minimum sample size for developing a Cox / survival
prediction model (Riley RD et al., Stat Med 2019;38:1276–1296, "part II: binary and
time-to-event outcomes"; BMJ 2020;368:m441), the calculation of R ``pmsampsize(type = "s")``:

1. expected uniform shrinkage of the coefficients ≥ ``shrinkage`` (default 0.9):
   ``n₁ = p / ((S − 1) ln(1 − R²cs / S))``;
2. optimism in the apparent Nagelkerke R² ≤ ``max_optimism`` (default 0.05):
   criterion 1 with ``S = R²cs / (R²cs + δ · max R²cs)``, where ``max R²cs = 1 −
   exp(2 ln L_null / n)`` and ``ln L_null / n = e ln e − e`` for ``e = rate × mean
   follow-up`` events per patient (exponential null model);
3. a precise estimate of the overall risk at ``horizon``, ``1 − exp(−rate · horizon)``:
   the smallest n whose 95% interval for the risk (from the rate's Poisson interval
   ``rate ± 1.96 sqrt(rate / (n · mean follow-up))``) lies within ``± margin_of_error``.

pmsampsize reports criterion 3 only at ``max(n₁, n₂)`` (its "Criteria 3 *" row); here n₃
is solved for, and the final size is ``max(n₁, n₂, n₃)`` — the same as pmsampsize whenever
criteria 1–2 already give a precise enough risk (the usual case). pmsampsize also evaluates
ln L_null with 10,000 hypothetical patients and a whole number of events; the exact rate is
used here (the maximal R² then differs by about 1e-4).

:func:`validation_sample_size` — the size of an external validation study by simulation:
the width of the confidence intervals of Harrell's C, the calibration slope and the
observed/expected ratio at ``horizon`` over simulated validation cohorts.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._typing import RandomState
from .._validation import check_int, check_real, check_rng
from ..errors import ParameterError

__all__ = [
    "ModelSampleSizeResult",
    "ValidationSampleSizeResult",
    "model_sample_size",
    "validation_sample_size",
]

_Z975 = float(stats.norm.ppf(0.975))


@result
class ModelSampleSizeResult(Result):
    """Riley et al.'s minimum sample size for a survival prediction model.

    ``table``: one row per criterion (``criterion`` = ``shrinkage``, ``optimism``,
    ``overall_risk``, ``final``) with ``n`` (patients), ``n_events`` (expected events,
    n · rate · mean follow-up), ``events_per_parameter`` and ``shrinkage`` (the expected
    shrinkage at that n). Scalars: ``n`` (final), ``n_events``, ``events_per_parameter``,
    ``shrinkage``, ``r2_cs``, ``max_r2_cs``, ``r2_nagelkerke``, ``risk`` (overall risk at
    ``horizon``) with ``risk_ci_lower, risk_ci_upper`` at the final n.
    """

    _title: ClassVar[str] = "Sample size for a time-to-event prediction model (Riley et al.)"

    table: pd.DataFrame
    n: int
    n_events: float
    events_per_parameter: float
    shrinkage: float
    n_parameters: int
    r2_cs: float
    max_r2_cs: float
    r2_nagelkerke: float
    rate: float
    horizon: float
    mean_follow_up: float
    risk: float
    risk_ci_lower: float
    risk_ci_upper: float
    warnings: tuple[str, ...] = ()


def _n_for_shrinkage(p: int, r2: float, s: float) -> int:
    return int(math.ceil(p / ((s - 1.0) * math.log(1.0 - r2 / s))))


def _risk_interval(rate: float, horizon: float, person_time: float) -> tuple[float, float]:
    half = _Z975 * math.sqrt(rate / person_time)
    lo = 1.0 - math.exp(-max(rate - half, 0.0) * horizon)
    hi = 1.0 - math.exp(-(rate + half) * horizon)
    return lo, hi


def max_r2_cs(rate: float, mean_follow_up: float) -> float:
    """Largest Cox–Snell R² a survival model can reach: 1 − exp(2 ln L_null / n).

    ``ln L_null / n = e ln e − e`` with ``e = rate × mean_follow_up`` the expected events
    per patient (Riley et al. 2019, eq. 23; an exponential null model).
    """
    e = rate * mean_follow_up
    return 1.0 - math.exp(2.0 * (e * math.log(e) - e))


def model_sample_size(
    *,
    n_parameters: int,
    rate: float,
    horizon: float,
    mean_follow_up: float,
    r2_cs: float | None = None,
    r2_nagelkerke: float | None = None,
    shrinkage: float = 0.9,
    max_optimism: float = 0.05,
    margin_of_error: float = 0.05,
) -> ModelSampleSizeResult:
    """Minimum sample size to develop a time-to-event prediction model (Riley et al. 2019).

    The three criteria of the module notes; matches R ``pmsampsize(type = "s", csrsquared=,
    parameters=, rate=, timepoint=, meanfup=, shrinkage=)`` (criteria 1–2 exactly; see the
    module notes for criterion 3 and the null log-likelihood).

    Parameters
    ----------
    n_parameters : int
        Candidate predictor parameters (degrees of freedom, counting each indicator and
        spline term), ≥ 1.
    rate : float
        Overall event rate per unit time in the target population (> 0), in the unit of
        ``horizon`` and ``mean_follow_up`` (e.g. per month).
    horizon : float
        Prediction time of interest (> 0).
    mean_follow_up : float
        Anticipated mean follow-up in the development data (> 0).
    r2_cs, r2_nagelkerke : float
        Anticipated Cox–Snell R² of the model (e.g. ``1 − exp(−LR / n)`` of a published
        model), or its Nagelkerke R² (= R²cs / max R²cs); give exactly one.
    shrinkage : float, default 0.9
        Target expected uniform shrinkage (criterion 1), in (R²cs, 1).
    max_optimism : float, default 0.05
        Largest acceptable optimism in the apparent Nagelkerke R² (criterion 2).
    margin_of_error : float, default 0.05
        Largest acceptable half-width of the 95% interval for the overall risk at
        ``horizon`` (criterion 3).

    Returns
    -------
    ModelSampleSizeResult
        ``n`` (the final sample size), ``n_events``, ``events_per_parameter``,
        ``shrinkage`` (expected at n), ``table`` per criterion (``criterion, n, n_events,
        events_per_parameter, shrinkage``), ``r2_cs``, ``max_r2_cs``, ``r2_nagelkerke``,
        ``risk`` with ``risk_ci_lower, risk_ci_upper`` at n.

    Examples
    --------
    pmsampsize's own example (30 parameters, rate 0.065 per year, 2-year risk, mean
    follow-up 2.07 years, R²cs 0.051) needs 5143 patients:

    >>> from ctcstats.trials import model_sample_size
    >>> res = model_sample_size(n_parameters=30, rate=0.065, horizon=2, mean_follow_up=2.07,
    ...                         r2_cs=0.051)
    >>> res.n, round(res.events_per_parameter, 2)
    (5143, 23.07)
    """
    func = "model_sample_size"
    p = check_int(n_parameters, name="n_parameters", func=func, minimum=1)
    lam = check_real(rate, name="rate", func=func, low=0.0, low_inclusive=False)
    t = check_real(horizon, name="horizon", func=func, low=0.0, low_inclusive=False)
    fu = check_real(mean_follow_up, name="mean_follow_up", func=func, low=0.0,
                    low_inclusive=False)
    delta = check_real(max_optimism, name="max_optimism", func=func, low=0.0, high=1.0,
                       low_inclusive=False, high_inclusive=False)
    moe = check_real(margin_of_error, name="margin_of_error", func=func, low=0.0, high=1.0,
                     low_inclusive=False, high_inclusive=False)
    e = lam * fu
    if e >= 1.0:
        raise ParameterError(
            f"{func}: rate × mean_follow_up = {e:g} expected events per patient; the "
            "exponential null model behind the maximal R² needs fewer than 1 — check that "
            "rate is per unit of the time in mean_follow_up (e.g. per month vs per year)."
        )
    mx = max_r2_cs(lam, fu)
    if (r2_cs is None) == (r2_nagelkerke is None):
        raise ParameterError(
            f"{func} needs exactly one of 'r2_cs' (Cox–Snell R²) or 'r2_nagelkerke'; got "
            f"r2_cs={r2_cs!r}, r2_nagelkerke={r2_nagelkerke!r}."
        )
    if r2_cs is not None:
        r2 = check_real(r2_cs, name="r2_cs", func=func, low=0.0, low_inclusive=False)
    else:
        nag = check_real(r2_nagelkerke, name="r2_nagelkerke", func=func, low=0.0, high=1.0,
                         low_inclusive=False, high_inclusive=False)
        r2 = nag * mx
    if r2 >= mx:
        raise ParameterError(
            f"{func}: r2_cs = {r2:g} is not below the largest Cox–Snell R² possible for this "
            f"rate and follow-up ({mx:.4g}, Riley et al. eq. 23); give a smaller R²."
        )
    s1 = check_real(shrinkage, name="shrinkage", func=func, low=r2, high=1.0,
                    low_inclusive=False, high_inclusive=False)
    n1 = _n_for_shrinkage(p, r2, s1)
    s2 = r2 / (r2 + delta * mx)
    n2 = _n_for_shrinkage(p, r2, s2)
    # criterion 3: the smallest n whose 95% interval for the risk at t is within ± moe
    risk = 1.0 - math.exp(-lam * t)

    def within(n: int) -> bool:
        lo, hi = _risk_interval(lam, t, n * fu)
        return max(hi - risk, risk - lo) <= moe

    lo_n, hi_n = 0, 1  # within(hi_n) holds, within(lo_n) does not (n = 0: no data)
    while not within(hi_n):
        lo_n, hi_n = hi_n, 2 * hi_n
    while hi_n - lo_n > 1:
        mid = (lo_n + hi_n) // 2
        lo_n, hi_n = (lo_n, mid) if within(mid) else (mid, hi_n)
    n3 = hi_n
    n = max(n1, n2, n3)
    s_final = max(s1, s2)

    def row(crit, nn, s):
        ev = nn * lam * fu
        return {"criterion": crit, "n": int(nn), "n_events": ev,
                "events_per_parameter": ev / p, "shrinkage": s}

    table = pd.DataFrame([row("shrinkage", n1, s1), row("optimism", n2, s2),
                          row("overall_risk", n3, float("nan")), row("final", n, s_final)])
    lo, hi = _risk_interval(lam, t, n * fu)
    return ModelSampleSizeResult(
        table=table, n=int(n), n_events=n * lam * fu, events_per_parameter=n * lam * fu / p,
        shrinkage=float(s_final), n_parameters=p, r2_cs=float(r2), max_r2_cs=float(mx),
        r2_nagelkerke=float(r2 / mx), rate=lam, horizon=t, mean_follow_up=fu,
        risk=float(risk), risk_ci_lower=float(lo), risk_ci_upper=float(hi),
    )


# =========================================================================== validation
@result
class ValidationSampleSizeResult(Result):
    """Simulated precision of an external validation study (see :func:`validation_sample_size`).

    ``table``: one row per candidate ``n`` with ``n_events`` (mean over the simulated
    cohorts), the mean estimate and mean confidence-interval width of Harrell's C
    (``c_index``, ``c_width``), of the calibration slope (``slope``, ``slope_width``) and
    of the observed/expected ratio at ``horizon`` (``oe_ratio``, ``oe_width``), and
    ``meets_targets``. ``n`` is the smallest candidate meeting every target (NaN-free: -1
    when none does); ``replicates`` holds every simulated cohort's estimates
    (``n, replicate, n_events, c_index, c_std_error, slope, slope_std_error, oe_ratio,
    log_oe_std_error``).
    """

    _title: ClassVar[str] = "Sample size for external validation (simulation)"

    table: pd.DataFrame
    replicates: pd.DataFrame
    n: int
    c_width: float
    slope_width: float
    oe_width: float
    n_sim: int
    conf_level: float = 0.95
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("table", self.table)]


def _simulate_validation(g, n, n_sim, lp_sd, rate, horizon, follow_up):
    """Cohorts whose true hazard is the model's: h(t | lp) = rate · exp(lp), lp ~ N(0, sd)."""
    lp = g.normal(0.0, lp_sd, (n_sim, n))
    t = g.exponential(1.0, (n_sim, n)) / (rate * np.exp(lp))
    c = g.uniform(follow_up[0], follow_up[1], (n_sim, n))
    return lp, np.minimum(t, c), (t <= c).astype(float)


def validation_sample_size(
    *,
    lp_sd: float,
    rate: float,
    horizon: float,
    follow_up: tuple[float, float],
    n_grid: tuple[int, ...] = (200, 400, 800, 1600),
    c_width: float = 0.1,
    slope_width: float = 0.3,
    oe_width: float = 0.2,
    n_sim: int = 200,
    conf_level: float = 0.95,
    rng: RandomState = None,
) -> ValidationSampleSizeResult:
    """How many patients must an external validation study have? Precision by simulation.

    For each candidate size, ``n_sim`` validation cohorts are simulated from the model
    itself (a calibrated model: hazard ``rate · exp(lp)`` with the linear predictor
    ``lp ~ N(0, lp_sd²)``, uniform censoring on ``follow_up``), and in each the precision
    the validation would report is computed: Harrell's C with its infinitesimal-jackknife
    SE (R ``concordance``), the calibration slope — the Cox coefficient of ``lp`` (R
    ``coxph(Surv ~ lp)``), all cohorts fitted at once by the batch engine — and the
    observed/expected ratio at ``horizon`` (observed 1 − KM(horizon), expected the mean
    predicted risk 1 − exp(−rate · horizon · exp(lp)); the SE of log O from Greenwood's
    variance). The required size is the smallest candidate whose mean interval widths are
    all within the targets — the approach of Riley et al. (Stat Med 2021;40:4230–4251;
    2022 for time-to-event outcomes), by simulation rather than closed forms.

    Parameters
    ----------
    lp_sd : float
        SD of the model's linear predictor in the validation population (> 0); sets the
        discrimination (e.g. 0.8 gives Harrell's C near 0.7 without censoring).
    rate : float
        Baseline event rate per unit time (at lp = 0).
    horizon : float
        Time at which the O/E ratio is assessed.
    follow_up : (float, float)
        Censoring times are uniform on this interval (administrative censoring from
        staggered entry); ``follow_up[1] >= horizon`` is required.
    n_grid : tuple of int
        Candidate sample sizes (increasing).
    c_width, slope_width, oe_width : float
        Target widths of the ``conf_level`` intervals of C, the slope and O/E.
    n_sim : int, default 200
    conf_level : float, default 0.95
    rng : int, Generator or None

    Returns
    -------
    ValidationSampleSizeResult
        ``table`` (per n: ``n, n_events, c_index, c_width, slope, slope_width, oe_ratio,
        oe_width, meets_targets``), ``n`` (smallest n meeting every target, -1 if none),
        ``replicates``.

    Examples
    --------
    >>> from ctcstats.trials import validation_sample_size
    >>> res = validation_sample_size(lp_sd=0.8, rate=0.02, horizon=36, follow_up=(36, 60),
    ...                              n_grid=(300, 1200), n_sim=20, rng=1)
    >>> list(res.table["n"])
    [300, 1200]
    >>> bool(res.table["slope_width"].iloc[1] < res.table["slope_width"].iloc[0])
    True
    """
    from ..batch.cox import batch_cox_arrays
    from ..survival._core.concordance import concordance
    from ..survival._core.curves import kaplan_meier_curve

    func = "validation_sample_size"
    sd = check_real(lp_sd, name="lp_sd", func=func, low=0.0, low_inclusive=False)
    lam = check_real(rate, name="rate", func=func, low=0.0, low_inclusive=False)
    t = check_real(horizon, name="horizon", func=func, low=0.0, low_inclusive=False)
    try:
        fu = (float(follow_up[0]), float(follow_up[1]))
    except (TypeError, ValueError, IndexError):
        fu = (float("nan"), float("nan"))
    if not (np.isfinite(fu).all() and 0 <= fu[0] <= fu[1] and fu[1] >= t and fu[1] > 0):
        raise ParameterError(
            f"The 'follow_up' parameter of {func} must be (min, max) censoring times with "
            f"0 <= min <= max and max >= horizon ({t:g}); got {follow_up!r}."
        )
    grid = [check_int(v, name="n_grid", func=func, minimum=20) for v in n_grid]
    if not grid or any(b <= a for a, b in zip(grid, grid[1:], strict=False)):
        raise ParameterError(
            f"The 'n_grid' parameter of {func} must be increasing sample sizes; got {n_grid!r}."
        )
    ns = check_int(n_sim, name="n_sim", func=func, minimum=2)
    targets: dict[str, Any] = {name: check_real(v, name=name, func=func, low=0.0, low_inclusive=False)
               for name, v in (("c_width", c_width), ("slope_width", slope_width),
                               ("oe_width", oe_width))}
    cl = check_real(conf_level, name="conf_level", func=func, low=0.0, high=1.0,
                    low_inclusive=False, high_inclusive=False)
    z = float(stats.norm.ppf(0.5 + cl / 2))
    g = check_rng(rng)
    reps, rows = [], []
    for n in grid:
        lp, time, event = _simulate_validation(g, n, ns, sd, lam, t, fu)
        fit = batch_cox_arrays(time, event, lp[:, :, None])
        slope = np.asarray(fit.coef)[:, 0]
        slope_se = np.asarray(fit.std_error)[:, 0]
        expected = np.mean(1.0 - np.exp(-lam * t * np.exp(lp)), axis=1)
        c = np.empty(ns)
        c_se = np.empty(ns)
        obs = np.empty(ns)
        obs_se = np.empty(ns)
        for r in range(ns):
            c[r], c_se[r], _ = concordance(lp[r], time[r], event[r])
            curve = kaplan_meier_curve(time[r], event[r])
            s = float(curve.at(t))
            obs[r] = 1.0 - s
            # Greenwood: var(S) = S² var(-log S); log O = log(1 - S)
            obs_se[r] = s * math.sqrt(float(curve.var_log_at(t))) / obs[r]
        oe = obs / expected
        reps.append(pd.DataFrame({
            "n": n, "replicate": np.arange(ns), "n_events": event.sum(axis=1),
            "c_index": c, "c_std_error": c_se, "slope": slope, "slope_std_error": slope_se,
            "oe_ratio": oe, "log_oe_std_error": obs_se}))
        row = {
            "n": n, "n_events": float(event.sum(axis=1).mean()),
            "c_index": float(c.mean()), "c_width": float(np.mean(2 * z * c_se)),
            "slope": float(slope.mean()), "slope_width": float(np.mean(2 * z * slope_se)),
            "oe_ratio": float(oe.mean()),
            "oe_width": float(np.mean(oe * (np.exp(z * obs_se) - np.exp(-z * obs_se)))),
        }
        row["meets_targets"] = all(row[k] <= v for k, v in targets.items())
        rows.append(row)
    table = pd.DataFrame(rows)
    ok = table.loc[table["meets_targets"], "n"]
    return ValidationSampleSizeResult(
        table=table, replicates=pd.concat(reps, ignore_index=True),
        n=int(ok.iloc[0]) if len(ok) else -1, n_sim=ns, conf_level=cl, **targets)
