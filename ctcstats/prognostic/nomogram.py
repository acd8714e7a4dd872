"""Nomogram of a Cox model: points per covariate → total points → survival probability.

:func:`nomogram` reproduces ``rms::nomogram(cph_fit, fun=list(function(x) surv(t, x)), ...)``
with ``surv <- Survival(cph_fit)``: each covariate's effect ``β·x`` is put on a points scale on
which the covariate with the widest range of effect spans ``max_points`` (100) points; a
patient's total points map linearly to the linear predictor and, through the baseline survival,
to the survival probability at each requested time.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from .._results import Result, result
from .._typing import ArrayLike
from .._validation import check_int, check_real, group_levels
from ..errors import DataValidationError, ParameterError
from ..survival._core.cox import baseline_hazard, linear_predictor
from ..survival.cox import CoxResult
from .models import CoxModel, cumhaz_at

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["NomogramResult", "nomogram", "r_pretty"]

_DEFAULT_FUN_AT = (0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.01)
_N_UNIQUE = 10  # rms::datadist n.unique: up to 10 distinct values → discrete axis


# =========================================================================== R's pretty()
def r_pretty(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """Tick values of R ``pretty(c(lo, hi), n)`` (base R 4.x ``R_pretty``, default biases)."""
    h, h5, f_min = 1.5, 0.5 + 1.5 * 1.5, 2.0**-20
    min_n = n // 3
    eps = 1e-10
    dbl_eps = np.finfo(float).eps
    lo, hi = float(lo), float(hi)
    dx = hi - lo
    if dx == 0 and hi == 0:
        cell, i_small = 1.0, True
    else:
        cell = max(abs(lo), abs(hi))
        U = 1 + (1 / (1 + h) if h5 >= 1.5 * h + 0.5 else 1.5 / (1 + h5))
        U *= max(1, n) * dbl_eps
        i_small = bool(dx < cell * U * 3)
    if i_small:
        if cell > 10:
            cell = 9 + cell / 10
        cell *= 0.75
        if min_n > 1:
            cell /= min_n
    else:
        cell = dx
        if n > 1:
            cell /= n
    cell = max(cell, f_min * np.finfo(float).tiny)
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if 2 * base - cell < h * (cell - unit):
        unit = 2 * base
        if 5 * base - cell < h5 * (cell - unit):
            unit = 5 * base
            if 10 * base - cell < h * (cell - unit):
                unit = 10 * base
    ns = math.floor(lo / unit + eps)
    nu = math.ceil(hi / unit - eps)
    while ns * unit > lo + eps * unit:
        ns -= 1
    while nu * unit < hi - eps * unit:
        nu += 1
    k = int(0.5 + nu - ns)
    if k < min_n:
        k = min_n - k
        if ns >= 0:
            nu += k // 2
            ns -= k // 2 + k % 2
        else:
            ns -= k // 2
            nu += k // 2 + k % 2
        ndiv = min_n
    else:
        ndiv = k
    if ns * unit < lo:
        lo = ns * unit
    if nu * unit > hi:
        hi = nu * unit
    s = np.linspace(lo, hi, ndiv + 1) if ndiv else np.array([lo])
    if ndiv:
        delta = (hi - lo) / ndiv
        s[np.abs(s) < 1e-14 * delta] = 0.0
    return s


def _approx_inverse(fu: np.ndarray, x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """R ``approx(fu, x, at, ties=mean)$y``: linear interpolation, NaN outside the range."""
    u, inv = np.unique(fu, return_inverse=True)
    xm = np.bincount(inv.ravel(), weights=x) / np.bincount(inv.ravel())
    out = np.interp(at, u, xm)
    out[(at < u[0]) | (at > u[-1])] = np.nan
    return out


# =========================================================================== result
@result
class NomogramResult(Result):
    """A Cox-model nomogram (see :func:`nomogram`).

    ``points``: ``covariate, value, points`` (one row per tick of each covariate axis);
    ``scales``: ``axis, value, points`` for the ``total_points`` axis, the
    ``linear_predictor`` axis and one ``survival_<t>`` axis per horizon (``value`` the tick
    label — points, linear predictor or survival probability — and ``points`` its position
    on the total-points scale).
    """

    _title: ClassVar[str] = "Nomogram (Cox model)"
    _main_table: ClassVar[str] = "points"

    points: pd.DataFrame
    scales: pd.DataFrame
    horizon: tuple[float, ...]
    max_points: float
    points_per_unit: float
    intercept: float
    center: float
    coefficients: pd.DataFrame
    baseline: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def linear_predictor(self, total_points: ArrayLike) -> np.ndarray:
        """Linear predictor (centred as rms: ``(x − means)·β``) for given total points."""
        return self.intercept + np.asarray(total_points, dtype=float) / self.points_per_unit

    def survival(self, total_points: ArrayLike, horizon: float) -> np.ndarray:
        """Survival probability at ``horizon`` for given total points (rms ``surv(t, lp)``)."""
        b = self.baseline
        tt = b["time"].to_numpy()
        if horizon > tt.max() + 1e-6:
            raise ParameterError(
                f"The 'horizon' parameter of NomogramResult.survival must not exceed the last "
                f"event time ({tt.max():g}); got {horizon!r}.")
        H0 = cumhaz_at(tt, b["cumulative_hazard"].to_numpy(), horizon + 1e-6)[0]
        return np.exp(-H0 * np.exp(self.linear_predictor(total_points)))

    def score(self, data: pd.DataFrame) -> pd.DataFrame:
        """Points of each covariate, total points and survival at ``horizon`` per patient.

        Returns a DataFrame (rows as ``data``) with one ``points_<covariate>`` column per
        covariate, ``total_points``, ``linear_predictor`` and ``survival_<t>`` per horizon.
        """
        out = {}
        total = np.zeros(len(data))
        for cov, g in self.coefficients.groupby("covariate", sort=False, observed=True):
            if cov not in data.columns:
                raise DataValidationError(
                    f"covariate {cov!r} of the nomogram is not a column of data.")
            x = data[cov]
            if x.isna().any():
                raise DataValidationError(
                    f"covariate {cov!r} has missing values; every covariate is needed to "
                    "score a patient.")
            if g["level"].isna().all():
                xb = g["coef"].iloc[0] * x.to_numpy(dtype=float)
            else:
                lev = dict(zip(g["level"], g["coef"], strict=True))
                unknown = set(x) - set(lev)
                if unknown:
                    raise DataValidationError(
                        f"covariate {cov!r} has levels {sorted(map(str, unknown))} the model "
                        f"was not fitted with (known: {sorted(map(str, lev))}).")
                xb = x.map(lev).to_numpy(dtype=float)
            pts = (xb - g["min_effect"].iloc[0]) * self.points_per_unit
            out[f"points_{cov}"] = pts
            total = total + pts
        out["total_points"] = total
        out["linear_predictor"] = self.linear_predictor(total)
        for t in self.horizon:
            out[f"survival_{t:g}"] = self.survival(total, t)
        return pd.DataFrame(out, index=data.index)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the nomogram as rms does (see :func:`ctcstats.plotting.nomogram.plot_nomogram`)."""
        from ..plotting.nomogram import plot_nomogram

        return plot_nomogram(self, ax=ax, **kwargs)


# =========================================================================== inputs
def _from_cox_model(model: CoxModel, data, func):
    if not hasattr(model, "coef_"):
        raise ParameterError(f"The 'model' parameter of {func} must be a fitted CoxModel.")
    names = (list(model.feature_names_in_) if hasattr(model, "feature_names_in_")
             else [f"x{j}" for j in range(model.n_features_in_)])
    if data is None:
        raise ParameterError(
            f"The 'data' parameter of {func} is needed with a CoxModel: pass the training "
            "data (its feature columns set the axis ranges, as rms::datadist).")
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise DataValidationError(
            f"data lacks the model's feature columns {missing}; pass the training data.")
    X = data.loc[:, names]
    if X.isna().to_numpy().any():
        raise DataValidationError(
            f"data has missing values in {[c for c in names if X[c].isna().any()]}; pass "
            "complete training data.")
    Xa = X.to_numpy(dtype=float)
    covs = [(nm, None, [j]) for j, nm in enumerate(names)]
    lp = (Xa - model.means_) @ model.coef_
    times, cumhaz = model.baseline_times_, model.baseline_cumulative_hazard_
    return covs, Xa, model.coef_, model.means_, lp, times, cumhaz, len(data)


def _from_cox_result(fit: CoxResult, data, func):
    d = fit._data
    if fit.split_at or d.start is not None:
        raise ParameterError(f"The 'model' parameter of {func} cannot be a piecewise Cox fit.")
    if np.unique(d.strata).size > 1:
        raise ParameterError(
            f"The 'model' parameter of {func} cannot be a stratified Cox fit (one baseline "
            "survival is needed).")
    Xa = d.X + d.means
    covs: list[tuple[str, list[str] | None, list[int]]] = []
    term_names = list(fit.table.index)
    for cov, cols in zip(fit._term_names, fit._term_columns, strict=True):
        cols = list(cols)
        if len(cols) == 1 and term_names[cols[0]] == cov:
            covs.append((cov, None, cols))
        else:
            levels = [term_names[j][len(cov) + 1:-1] for j in cols]
            ref = "(reference)"
            if data is not None and cov in data.columns:
                lv = group_levels(data[cov])
                if lv:
                    ref = lv[0]
            covs.append((cov, [ref, *levels], cols))
    beta = np.asarray(fit._beta, dtype=float)
    lp = linear_predictor(d.X, beta)
    times, cumhaz = baseline_hazard(d, beta, fit.ties)
    return covs, Xa, beta, d.means, lp, times, cumhaz, fit.n_obs


# =========================================================================== nomogram
def nomogram(
    model: CoxModel | CoxResult,
    data: pd.DataFrame | None = None,
    *,
    horizon: float | Sequence[float],
    fun_at: Sequence[float] = _DEFAULT_FUN_AT,
    max_points: float = 100.0,
    n_ticks: int = 10,
    values: Mapping[str, Sequence] | None = None,
) -> NomogramResult:
    """Nomogram of a Cox model with survival-probability axes at given horizons.

    The arithmetic of ``rms::nomogram(cph_fit, fun=list(function(x) surv(t1, x), ...),
    fun.at=fun_at, lp=TRUE, maxscale=max_points, nint=n_ticks)`` with ``surv <-
    Survival(cph_fit)``: each covariate gets an axis over its values (a covariate with at most
    10 distinct values: each value; otherwise R ``pretty(range, n_ticks)`` over its full
    range, as ``rms::datadist``); its points are ``(β·x − min β·x)·s`` where ``s`` gives the
    covariate with the widest effect range ``max_points`` points; total points ``P`` map to the
    linear predictor ``lp = intercept + P/s`` (centred at the covariate means, as ``cph``) and
    to survival ``S(t | lp) = S0(t)^exp(lp)`` with the Breslow/Efron baseline survival at the
    means (R ``survfit.coxph``). The survival ticks are placed as rms does: by linear
    interpolation of the survival function on 1000 linear-predictor values spanning the
    linear-predictor axis.

    Parameters
    ----------
    model : CoxModel or CoxResult
        A fitted :class:`~ctcstats.prognostic.models.CoxModel` (then ``data`` must be given)
        or the result of :func:`ctcstats.fit_cox` (unstratified; categorical covariates get
        one axis with their levels).
    data : DataFrame, optional
        The training data (sets the axis ranges for a CoxModel; gives the reference level's
        name of a categorical covariate of a CoxResult).
    horizon : float or list of float
        Prediction horizons of the survival axes (e.g. ``[36, 60]`` months).
    fun_at : list of float
        Survival probabilities to mark (those outside the axis range are dropped, as rms).
    max_points : float, default 100
    n_ticks : int, default 10
        ``nint`` of rms: the number of intervals asked of ``pretty``.
    values : dict, optional
        Covariate → the values to mark on its axis (overrides the default ticks).

    Returns
    -------
    NomogramResult
        ``points`` (``covariate, value, points``), ``scales`` (``axis, value, points`` for
        ``total_points``, ``linear_predictor`` and ``survival_<t>``), ``points_per_unit``
        (rms ``sc``), ``intercept`` (rms ``Intercept``), ``center``, ``coefficients``
        (``covariate, level, coef, min_effect``), ``baseline`` (``time,
        cumulative_hazard``); ``.score(data)`` gives each patient's points and survival;
        ``.plot(ax=)`` draws the nomogram.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.models import CoxModel
    >>> from ctcstats.prognostic.nomogram import nomogram
    >>> rng = np.random.default_rng(5)
    >>> df = pd.DataFrame({"ctc_positive": rng.integers(0, 2, 200), "age": rng.normal(60, 8, 200)})
    >>> t = rng.exponential(40 / np.exp(0.7 * df.ctc_positive + 0.03 * (df.age - 60)))
    >>> y = pd.DataFrame({"time": np.minimum(t, 60), "event": (t < 60).astype(int)})
    >>> model = CoxModel().fit(df, y)
    >>> nom = nomogram(model, df, horizon=[24])
    >>> float(nom.points["points"].max())
    100.0
    """
    func = "nomogram"
    max_points = check_real(max_points, name="max_points", func=func, low=0.0,
                            low_inclusive=False)
    n_ticks = check_int(n_ticks, name="n_ticks", func=func, minimum=1)
    hs: Any = [horizon] if isinstance(horizon, numbers.Real) else horizon
    try:
        if isinstance(hs, str) or any(isinstance(h, str) for h in hs):
            raise TypeError("text")  # "12" would otherwise become the horizons 1 and 2
        tarr: np.ndarray = np.asarray(list(hs), dtype=np.float64)
    except (TypeError, ValueError):
        tarr = np.array([np.nan])
    if tarr.size == 0 or not np.all(np.isfinite(tarr)) or np.any(tarr <= 0):
        raise ParameterError(
            f"The 'horizon' parameter of {func} must be a positive time or a list of them; "
            f"got {horizon!r}.")
    fat = np.asarray(list(fun_at), dtype=float)
    if fat.size == 0 or not np.all((fat > 0) & (fat < 1)):
        raise ParameterError(
            f"The 'fun_at' parameter of {func} must be survival probabilities in (0, 1); got "
            f"{fun_at!r}.")
    if isinstance(model, CoxModel):
        covs, Xa, beta, means, lp, bt, bh, n_obs = _from_cox_model(model, data, func)
    elif isinstance(model, CoxResult):
        covs, Xa, beta, means, lp, bt, bh, n_obs = _from_cox_result(model, data, func)
    else:
        raise ParameterError(
            f"The 'model' parameter of {func} must be a fitted CoxModel or a CoxResult (from "
            f"fit_cox); got {type(model).__name__}.")
    if np.any(tarr > bt.max() + 1e-6):
        raise ParameterError(
            f"The 'horizon' parameter of {func} must not exceed the last event time "
            f"({bt.max():g}); got {horizon!r}.")
    values = dict(values or {})
    unknown = set(values) - {c for c, _, _ in covs}
    if unknown:
        raise ParameterError(
            f"The 'values' parameter of {func} names covariates not in the model: "
            f"{sorted(unknown)}.")

    # ---- per-covariate settings and effects (rms: Xbeta, R[1, ], R[2, ])
    settings, effects, coef_rows = [], [], []
    for cov, levels, cols in covs:
        if levels is None:
            j = cols[0]
            if cov in values:
                v = np.asarray(values[cov], dtype=float)
            else:
                u = np.unique(Xa[:, j])
                v = u if u.size <= _N_UNIQUE else r_pretty(u[0], u[-1], n_ticks)
            xb = beta[j] * v
            settings.append((cov, list(v)))
        else:
            xb_lev = np.concatenate([[0.0], beta[cols]])
            if cov in values:
                want = [str(x) for x in values[cov]]
                idx = [[str(lv) for lv in levels].index(w) for w in want]
                levels_v, xb = [levels[i] for i in idx], xb_lev[idx]
            else:
                levels_v, xb = levels, xb_lev
            settings.append((cov, list(levels_v)))
        effects.append(np.asarray(xb, dtype=float))
    r1 = np.array([e.min() for e in effects])
    r2 = np.array([e.max() for e in effects])
    widest = float(np.max(r2 - r1))
    if widest <= 0:
        raise DataValidationError(f"{func}: every covariate effect is zero; nothing to draw.")
    sc = max_points / widest
    center = float(beta @ means)
    intercept = -center + float(r1.sum())
    prow = []
    for (cov, vals), xb, lo in zip(settings, effects, r1, strict=True):
        for v, e in zip(vals, xb, strict=True):
            prow.append({"covariate": cov, "value": v, "points": float((e - lo) * sc)})
    for (cov, levels, cols), lo in zip(covs, r1, strict=True):
        if levels is None:
            coef_rows.append({"covariate": cov, "level": None, "coef": float(beta[cols[0]]),
                              "min_effect": float(lo)})
        else:
            for lv, b in zip(levels, np.concatenate([[0.0], beta[cols]]), strict=True):
                coef_rows.append({"covariate": cov, "level": lv, "coef": float(b),
                                  "min_effect": float(lo)})

    # ---- axes: total points, linear predictor, survival at each time
    lp_at = r_pretty(lp.min(), lp.max(), n_ticks)
    entities = len(covs)
    sum_max = max_points if entities == 1 else max(max_points,
                                                   sc * float(np.max(lp_at - intercept)))
    total_ticks = r_pretty(0.0, sum_max, n_ticks)
    rows = [{"axis": "total_points", "value": float(x), "points": float(x)}
            for x in total_ticks]
    rows += [{"axis": "linear_predictor", "value": float(v), "points": float((v - intercept) * sc)}
             for v in lp_at]
    xseq = np.linspace(lp_at.min(), lp_at.max(), 1000)
    for t in tarr:
        H0 = cumhaz_at(bt, bh, t + 1e-6)[0]  # rms Survival: last time <= t + 1e-6
        fu = np.exp(-H0 * np.exp(xseq))
        w = _approx_inverse(fu, xseq, fat)
        ok = np.isfinite(w)
        rows += [{"axis": f"survival_{t:g}", "value": float(f), "points": float((x - intercept) * sc)}
                 for f, x in zip(fat[ok], w[ok], strict=True)]
    return NomogramResult(
        points=pd.DataFrame(prow, columns=["covariate", "value", "points"]),
        scales=pd.DataFrame(rows, columns=["axis", "value", "points"]),
        horizon=tuple(float(t) for t in tarr), max_points=float(max_points),
        points_per_unit=float(sc), intercept=float(intercept), center=center,
        coefficients=pd.DataFrame(coef_rows, columns=["covariate", "level", "coef",
                                                      "min_effect"]),
        baseline=pd.DataFrame({"time": bt, "cumulative_hazard": bh}), n_obs=int(n_obs))
