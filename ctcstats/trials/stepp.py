"""Subpopulation treatment effect pattern plot (STEPP) over a continuous marker.

:func:`stepp` (Bonetti & Gelber, Stat Med 2000; Biostatistics 2004) slides a window along
the marker (e.g. the CTC count), estimates the treatment effect in each overlapping
subpopulation and tests whether the effect is the same everywhere. It answers "does the
benefit of the treatment change with the count?" without choosing a cut-point.

Windows follow the ``stepp`` package's sliding windows (``stepp.win(type = "sliding", r1,
r2)``) on the sorted distinct marker values (tied values stay together): the first window
holds the smallest values reaching ``subpopulation_size`` (r2) patients; each next window
drops values from the bottom until at most ``overlap`` (r1) patients remain in common with
the previous one and adds values at the top until it again has at least r2 patients; the
last window ends at the largest value.

Effects per window (treated vs control): ``method="km"`` — the difference of the arms'
Kaplan–Meier survival at ``horizon`` with Greenwood SEs; ``method="cox"`` — the log hazard
ratio of ``coxph(Surv ~ treatment + covariates)``. Homogeneity is tested by permutation
(``n_perm`` reallocations of the marker within each arm, as ``stepp``): the supremum of the
standardised deviations |D_i − D_overall| / SD_perm,i and the quadratic form D'Σ⁻¹D with Σ
the permutation covariance; p-values are (1 + #{perm ≥ observed}) / (1 + n_perm). The
permutations are fitted all at once: Kaplan–Meier through cumulative sums over the sorted
times, Cox through the batch engine with 0/1 membership weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._typing import RandomState
from .._validation import (
    canonical_order,
    check_choice,
    check_conf_level,
    check_event_column,
    check_int,
    check_numeric_column,
    check_real,
    check_rng,
    check_time_column,
    group_levels,
    prepare_frame,
)
from ..errors import DataValidationError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SteppResult", "stepp", "sliding_windows"]


@result
class SteppResult(Result):
    """STEPP analysis (see :func:`stepp`).

    ``table``: one row per subpopulation — ``subpopulation, n_obs, n_events, marker_min,
    marker_max, marker_median``, then for ``method="km"`` ``survival_treated,
    survival_control`` and for both ``effect`` (survival difference treated − control, or
    the log hazard ratio), ``std_error, ci_lower, ci_upper``. ``overall_effect`` and
    ``overall_std_error`` for everyone; ``sup_statistic, sup_p_value`` and
    ``chi2_statistic, chi2_p_value`` the permutation tests of homogeneity.
    """

    _title: ClassVar[str] = "STEPP: treatment effect over the marker"

    table: pd.DataFrame
    method: str
    horizon: float
    overall_effect: float
    overall_std_error: float
    sup_statistic: float
    sup_p_value: float
    chi2_statistic: float
    chi2_p_value: float
    n_perm: int
    subpopulation_size: int
    overlap: int
    marker_col: str
    control: Any
    treated: Any
    conf_level: float = 0.95
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Effect per subpopulation (at its median marker value) with CIs and the overall."""
        from ..plotting.trials import plot_stepp

        return plot_stepp(self, ax=ax, **kwargs)


# =========================================================================== windows
def sliding_windows(marker: np.ndarray, subpopulation_size: int, overlap: int
                    ) -> list[tuple[int, int]]:
    """Sliding windows (first, last index into the sorted distinct values), as stepp's r1/r2."""
    z, counts = np.unique(np.asarray(marker, float), return_counts=True)
    if subpopulation_size >= marker.size:
        raise ParameterError(
            f"subpopulation_size ({subpopulation_size}) must be smaller than the number of "
            f"patients ({marker.size})."
        )
    cum = np.concatenate([[0], np.cumsum(counts)])  # cum[k] = patients in values 0..k-1

    def npat(lo: int, hi: int) -> int:
        return int(cum[hi + 1] - cum[lo])

    first_hi = int(np.sum(cum[1:] < subpopulation_size))
    wins = [(0, first_hi)]
    last = z.size - 1
    while wins[-1][1] < last:
        lo_prev, hi_prev = wins[-1]
        lo = lo_prev + 1
        while npat(lo, hi_prev) > overlap:
            lo += 1
        hi = hi_prev
        while npat(lo, hi) < subpopulation_size and hi < last:
            hi += 1
        wins.append((lo, hi))
    return wins


# =========================================================================== estimation
def _km_at(time_sorted, event_sorted, M, horizon):
    """KM survival at horizon and its Greenwood variance for every column of membership M.

    ``M`` (..., n, S) 0/1 weights over rows sorted by time; returns arrays (..., S).
    """
    t = time_sorted
    uniq, start = np.unique(t, return_index=True)
    keep = uniq <= horizon
    at_risk = np.flip(np.cumsum(np.flip(M, axis=-2), axis=-2), axis=-2)  # rows with T >= t_i
    n_g = np.take(at_risk, start, axis=-2)
    d_rows = M * event_sorted[:, None]
    d_g = np.add.reduceat(d_rows, start, axis=-2)
    n_g, d_g = n_g[..., keep, :], d_g[..., keep, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(n_g > 0, d_g / np.where(n_g > 0, n_g, 1.0), 0.0)
        log_s = np.sum(np.log1p(-np.minimum(frac, 1.0)), axis=-2)
        gw = np.where((n_g > d_g) & (d_g > 0), d_g / (n_g * (n_g - d_g)), 0.0).sum(axis=-2)
    s = np.exp(log_s)
    return s, s * s * gw


def _km_effects(time, event, trt, M, horizon):
    """Survival difference treated − control at horizon and its variance, per column of M."""
    out_s, out_v = [], []
    for a in (1.0, 0.0):
        rows = np.flatnonzero(trt == a)
        o = rows[np.argsort(time[rows], kind="stable")]
        s, v = _km_at(time[o], event[o], M[..., o, :], horizon)
        out_s.append(s)
        out_v.append(v)
    return out_s[0], out_s[1], out_s[0] - out_s[1], out_v[0] + out_v[1]


def _cox_effects(time, event, X, W):
    """Log HR of the first column of X per membership column: the batch engine, weights 0/1."""
    from ..batch.cox import batch_cox_arrays

    shape = W.shape[:-2] + (W.shape[-1],)
    Wr = np.moveaxis(W, -1, -2).reshape(-1, W.shape[-2])
    fit = batch_cox_arrays(time, event, X, weights=Wr)
    b = np.asarray(fit.coef)[:, 0].reshape(shape)
    se = np.asarray(fit.std_error)[:, 0].reshape(shape)
    return b, se * se


def stepp(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    marker_col: str,
    treatment_col: str,
    horizon: float | None = None,
    method: Literal["km", "cox"] = "km",
    subpopulation_size: int | None = None,
    overlap: int | None = None,
    covariates: Sequence[str] | None = None,
    n_perm: int = 500,
    conf_level: float = 0.95,
    rng: RandomState = None,
    missing: Literal["raise", "drop"] = "raise",
) -> SteppResult:
    """Subpopulation treatment effect pattern plot over a continuous marker (STEPP).

    Windows, effects and the permutation tests as in the module notes; the deterministic
    part (windows, per-window estimates) equals R ``stepp`` (``stepp.win(type="sliding",
    r1=overlap, r2=subpopulation_size)``, ``stepp.KM(timePoint = horizon)`` or Cox), the
    permutation p-values agree within Monte-Carlo error.

    Parameters
    ----------
    data : DataFrame
        One row per randomised patient.
    time_col, event_col : str
    marker_col : str
        Continuous (or count) marker, e.g. ``ctc_count``.
    treatment_col : str
        Two arms; the first level (0, False, a Categorical's first category) is control.
    horizon : float
        Time of the Kaplan–Meier survival difference (required for ``method="km"``).
    method : {"km", "cox"}
    subpopulation_size, overlap : int, optional
        Patients per window (r2) and the largest number shared by consecutive windows (r1);
        defaults: n/4 and n/8 (rounded down).
    covariates : list of str, optional
        Adjustment covariates of the Cox effects (``method="cox"`` only).
    n_perm : int, default 500
    conf_level : float, default 0.95
    rng : int, Generator or None
    missing : {"raise", "drop"}

    Returns
    -------
    SteppResult
        ``table`` (columns in :class:`SteppResult`), ``overall_effect``,
        ``overall_std_error``, ``sup_statistic, sup_p_value, chi2_statistic,
        chi2_p_value``; ``.plot()`` draws the pattern.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.trials import stepp
    >>> g = np.random.default_rng(2)
    >>> n = 400
    >>> df = pd.DataFrame({"arm": g.integers(0, 2, n), "ctc_count": g.negative_binomial(1, 0.2, n)})
    >>> t = g.exponential(20 / np.exp(0.05 * df.ctc_count - 0.04 * df.arm * df.ctc_count))
    >>> df["months"], df["event"] = np.minimum(t, 30), (t < 30).astype(int)
    >>> res = stepp(df, time_col="months", event_col="event", marker_col="ctc_count",
    ...             treatment_col="arm", horizon=12, subpopulation_size=120, overlap=60,
    ...             n_perm=50, rng=1)
    >>> list(res.table.columns[:4])
    ['subpopulation', 'n_obs', 'n_events', 'marker_min']
    """
    func = "stepp"
    check_choice(method, name="method", choices=("km", "cox"), func=func)
    covs = [] if covariates is None else list(covariates)
    if covs and method != "cox":
        raise ParameterError(
            f"The 'covariates' parameter of {func} adjusts Cox effects; pass method='cox' "
            "or drop covariates.")
    cl = check_conf_level(conf_level, func=func)
    nperm = check_int(n_perm, name="n_perm", func=func, minimum=10)
    prep = prepare_frame(data, func=func, missing=missing, roles={
        "time_col": time_col, "event_col": event_col, "marker_col": marker_col,
        "treatment_col": treatment_col, "covariates": covs})
    frame = prep.frame
    time = check_time_column(frame, time_col)
    event = check_event_column(frame, event_col).astype(float)
    marker = check_numeric_column(frame, marker_col, role="marker_col")
    levels = [v.item() if isinstance(v, np.generic) else v for v in group_levels(
        frame[treatment_col])]
    if len(levels) != 2:
        raise DataValidationError(
            f"treatment_col {treatment_col!r} has {len(levels)} level(s); {func} compares two "
            "arms — recode it to two levels (control first).")
    control, treated = levels
    trt = (frame[treatment_col].to_numpy(dtype=object) == treated).astype(float)
    n = time.size
    if method == "km":
        if horizon is None:
            raise ParameterError(f"{func}(method='km') needs 'horizon' (the time at which "
                                 "survival is compared), e.g. horizon=24.")
        hz = check_real(horizon, name="horizon", func=func, low=0.0, low_inclusive=False)
    else:
        hz = float("nan") if horizon is None else check_real(
            horizon, name="horizon", func=func, low=0.0, low_inclusive=False)
    r2 = n // 4 if subpopulation_size is None else check_int(
        subpopulation_size, name="subpopulation_size", func=func, minimum=10)
    r1 = n // 8 if overlap is None else check_int(overlap, name="overlap", func=func,
                                                  minimum=0)
    if r1 >= r2:
        raise ParameterError(f"The 'overlap' parameter of {func} ({r1}) must be smaller than "
                             f"subpopulation_size ({r2}).")
    wins = sliding_windows(marker, r2, r1)
    z = np.unique(marker)
    M0 = np.column_stack([(marker >= z[lo]) & (marker <= z[hi]) for lo, hi in wins]
                         ).astype(float)
    M_all = np.column_stack([M0, np.ones(n)])  # last column: everyone
    g = check_rng(rng)
    perm_idx = np.empty((nperm, n), dtype=np.int64)
    # permutations drawn on the canonical row order: the same reallocation of marker values
    # whatever the order and labels of the rows (DESIGN.md §4)
    order = canonical_order(frame)
    for arm in (0.0, 1.0):
        in_arm = order[trt[order] == arm]
        for k in range(nperm):
            perm_idx[k, in_arm] = in_arm[g.permutation(in_arm.size)]
    Mp = M0[perm_idx]  # (nperm, n, S): marker values reallocated within arms
    Mp = np.concatenate([Mp, np.ones((nperm, n, 1))], axis=-1)
    if method == "km":
        s1, s0, eff, var = _km_effects(time, event, trt, M_all, hz)
        _, _, peff, _ = _km_effects(time, event, trt, Mp, hz)
    else:
        X = np.column_stack([trt] + [check_numeric_column(frame, c, role="covariate")
                                     for c in covs])
        eff, var = _cox_effects(time, event, X, M_all[None])
        eff, var = eff[0], var[0]
        peff, _ = _cox_effects(time, event, X, Mp)
    D = eff[:-1] - eff[-1]
    PD = peff[:, :-1] - peff[:, -1:]
    sd = PD.std(axis=0, ddof=1)
    sup_obs = float(np.max(np.abs(D) / sd))
    sup_perm = np.max(np.abs(PD) / sd, axis=1)
    sigma = np.cov(PD, rowvar=False)
    sinv = np.linalg.pinv(sigma)
    chi_obs = float(D @ sinv @ D)
    chi_perm = np.einsum("ki,ij,kj->k", PD, sinv, PD)
    zq = stats.norm.ppf(0.5 + cl / 2)
    se = np.sqrt(var)
    rows: list[dict[str, Any]] = []
    for i, (lo, hi) in enumerate(wins):
        m = M0[:, i].astype(bool)
        row = {"subpopulation": i + 1, "n_obs": int(m.sum()),
               "n_events": int(event[m].sum()), "marker_min": float(z[lo]),
               "marker_max": float(z[hi]), "marker_median": float(np.median(marker[m]))}
        if method == "km":
            row["survival_treated"] = float(s1[i])
            row["survival_control"] = float(s0[i])
        row.update(effect=float(eff[i]), std_error=float(se[i]),
                   ci_lower=float(eff[i] - zq * se[i]), ci_upper=float(eff[i] + zq * se[i]))
        rows.append(row)
    return SteppResult(
        table=pd.DataFrame(rows), method=method, horizon=hz, overall_effect=float(eff[-1]),
        overall_std_error=float(se[-1]), sup_statistic=sup_obs,
        sup_p_value=float((1 + np.sum(sup_perm >= sup_obs)) / (1 + nperm)),
        chi2_statistic=chi_obs,
        chi2_p_value=float((1 + np.sum(chi_perm >= chi_obs)) / (1 + nperm)), n_perm=nperm,
        subpopulation_size=r2, overlap=r1, marker_col=marker_col, control=control,
        treated=treated, conf_level=cl, n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        warnings=tuple(prep.notes),
    )
