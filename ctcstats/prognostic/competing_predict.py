"""Predicted cumulative incidence of one cause from a Fine–Gray or cause-specific Cox model.

* ``method="fine_gray"``: F_1(t | x) = 1 − exp(−Λ_1(t) exp(x·β)), Λ_1 the baseline
  cumulative subdistribution hazard of :func:`ctcstats.survival.finegray.fit_fine_gray` —
  R ``cmprsk::predict.crr``;
* ``method="cause_specific"``: a Cox model per cause (:class:`ctcstats.prognostic.models.
  CoxModel`, Efron ties, Breslow–Efron baselines as ``survfit.coxph``) and
  F_1(t | x) = Σ_{u ≤ t} S(u− | x) ΔH_1(u | x), S the product-limit of all causes' hazards —
  R ``riskRegression::predictRisk(CSC(Hist(time, event) ~ x), times, cause = 1)``.

The predictions are for the patients of ``data`` themselves (apparent performance): they
feed :mod:`ctcstats.prognostic.competing` and the report's competing-risks section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._validation import (
    check_choice,
    check_event_codes,
    check_time_column,
    design_matrix,
    prepare_frame,
)
from ..errors import ParameterError
from ..survival.competing import check_event_of_interest
from ..survival.finegray import fit_fine_gray
from ._metrics_common import check_horizon

__all__ = ["CumulativeIncidencePrediction", "predict_cumulative_incidence"]

_BLOCK = 512  # patients per block of the cause-specific product-limit


@result
class CumulativeIncidencePrediction(Result):
    """Predicted cumulative incidence of one cause per patient and horizon.

    ``table`` has columns ``row`` (position in the analysed data), ``horizon`` and ``cif``;
    ``coefficients`` has columns ``term, coef`` (the log subdistribution hazard ratios, or the
    cause-specific log hazard ratios of the cause of interest).
    """

    _title: ClassVar[str] = "Predicted cumulative incidence"

    method: str
    event_of_interest: int
    horizons: tuple
    table: pd.DataFrame
    coefficients: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def at(self, horizon: float) -> np.ndarray:
        """The predicted cumulative incidences at one of ``horizons``, in row order."""
        h = [x for x in self.horizons if np.isclose(x, horizon)]
        if not h:
            raise ParameterError(
                f"horizon {horizon!r} was not predicted (horizons: "
                f"{', '.join(f'{x:g}' for x in self.horizons)}).")
        sub = self.table[self.table["horizon"] == h[0]]
        return sub["cif"].to_numpy()


def _step(times: np.ndarray, values: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Right-continuous step function (0 before the first time) at ``t``."""
    i = np.searchsorted(times, t, side="right") - 1
    return np.where(i >= 0, values[np.maximum(i, 0)], 0.0)


def _cause_specific(x, terms, time, codes, cause, horizons):
    from .models import CoxModel

    causes = [int(c) for c in np.unique(codes) if c > 0]
    fits = {}
    for k in causes:
        y = np.column_stack([time, (codes == k).astype(float)])
        fits[k] = CoxModel().fit(pd.DataFrame(x, columns=list(terms)), y)
    grid = np.unique(np.concatenate([f.baseline_times_ for f in fits.values()]))
    grid = grid[grid <= horizons.max()]  # nothing after the last horizon is needed
    # each cause's baseline cumulative hazard on the common grid, and its increments
    d0 = {k: np.diff(_step(f.baseline_times_, f.baseline_cumulative_hazard_, grid),
                     prepend=0.0) for k, f in fits.items()}
    idx = np.searchsorted(grid, horizons, side="right") - 1
    out = np.zeros((x.shape[0], horizons.size))
    # patients in blocks: memory ~ block × grid, whatever n
    for s in range(0, x.shape[0], _BLOCK):
        xb = x[s:s + _BLOCK]
        dH = {k: np.exp((xb - f.means_) @ f.coef_)[:, None] * d0[k][None, :]
              for k, f in fits.items()}
        total = sum(dH.values())
        surv = np.cumprod(1.0 - total, axis=1)  # product-limit S(u | x), as predictRisk
        s_minus = np.concatenate([np.ones((xb.shape[0], 1)), surv[:, :-1]], axis=1)
        F = np.cumsum(s_minus * dH[cause], axis=1)
        out[s:s + _BLOCK] = np.where(idx[None, :] >= 0, F[:, np.maximum(idx, 0)], 0.0)
    return out, fits[cause].coef_


def predict_cumulative_incidence(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    horizon: float | Sequence[float],
    event_of_interest: int = 1,
    method: Literal["fine_gray", "cause_specific"] = "fine_gray",
    missing: Literal["raise", "drop"] = "raise",
) -> CumulativeIncidencePrediction:
    """Fit a Fine–Gray or cause-specific Cox model and predict each patient's cumulative incidence.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col, event_col : str
        Time to the first event and its code (0 = censored, 1..k = cause).
    covariates : list of str
        Model terms (categorical columns become ``col[level]`` indicators, as ``fit_cox``).
    horizon : float or sequence of float
        Prediction horizons, each before the last follow-up with a failure from the cause of
        interest by it.
    event_of_interest : int, default 1
    method : {"fine_gray", "cause_specific"}
        ``"fine_gray"``: R ``predict.crr``; ``"cause_specific"``: R ``predictRisk(CSC(...),
        cause = event_of_interest)`` (a Cox model for every cause, product-limit survival).
    missing : {"raise", "drop"}

    Returns
    -------
    CumulativeIncidencePrediction
        ``table`` (``row, horizon, cif``), ``coefficients`` (``term, coef``), ``.at(h)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.competing_predict import predict_cumulative_incidence
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.normal(size=200)})
    >>> t1 = rng.exponential(30 * np.exp(-0.7 * df.x)); t2 = rng.exponential(40, 200)
    >>> df["t"] = np.round(np.minimum(np.minimum(t1, t2), 36), 1) + 0.1
    >>> df["e"] = np.where(np.minimum(t1, t2) > 36, 0, np.where(t1 < t2, 1, 2))
    >>> pred = predict_cumulative_incidence(df, time_col="t", event_col="e",
    ...                                     covariates=["x"], horizon=[12, 24])
    >>> bool(np.all(pred.at(24) >= pred.at(12)))
    True
    """
    func = "predict_cumulative_incidence"
    check_choice(method, name="method", choices=("fine_gray", "cause_specific"), func=func)
    if isinstance(covariates, str) or not isinstance(covariates, Sequence) or not covariates:
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a non-empty list of column names; "
            f"got {covariates!r}.")
    pf = prepare_frame(data, func=func, roles={"time_col": time_col, "event_col": event_col,
                                               "covariates": list(covariates)},
                       missing=missing)
    frame = pf.frame
    time = check_time_column(frame, time_col)
    codes = check_event_codes(frame, event_col)
    cause = check_event_of_interest(event_of_interest, codes, event_col=event_col, func=func)
    hs = [horizon] if np.ndim(horizon) == 0 else list(horizon)  # type: ignore[arg-type]
    hz = np.array([check_horizon(h, time, (codes == cause).astype(float), func=func)
                   for h in hs])
    x, terms = design_matrix(frame, list(covariates), func=func)
    notes: tuple[str, ...] = pf.notes
    if method == "fine_gray":
        fg = fit_fine_gray(frame, time_col=time_col, event_col=event_col,
                           covariates=list(covariates), event_of_interest=cause)
        beta = fg.table["coef"].to_numpy()
        assert fg.baseline is not None
        base = fg.baseline
        H0 = _step(base["time"].to_numpy(), base["cumhaz"].to_numpy(), hz)
        cif = -np.expm1(-np.exp(x @ beta)[:, None] * H0[None, :])
        notes = notes + fg.warnings
    else:
        cif, beta = _cause_specific(x, terms, time, codes, cause, hz)
    n = x.shape[0]
    table = pd.DataFrame({"row": np.repeat(np.arange(n), hz.size),
                          "horizon": np.tile(hz, n), "cif": cif.ravel()})
    return CumulativeIncidencePrediction(
        method=method, event_of_interest=cause, horizons=tuple(float(h) for h in hz),
        table=table.sort_values(["horizon", "row"], kind="stable").reset_index(drop=True),
        coefficients=pd.DataFrame({"term": list(terms), "coef": beta}), n_obs=pf.n_obs,
        n_dropped=pf.n_dropped, warnings=notes)
