"""Shared machinery of the prognostic metrics: validation of a horizon, Kaplan–Meier pieces.

Private to :mod:`ctcstats.prognostic` (metrics, calibration, decision, reclassification).

Inverse-probability-of-censoring weights follow ``riskRegression::Score(cens.model="km")``:
the censoring distribution G is the reverse Kaplan–Meier estimate of ``prodlim(...,
reverse=TRUE)`` — the survival core's censoring curve with ``ties="events_first"`` —, in
which events tied with censorings leave the risk set first:
G(u) = prod_{v ≤ u} (1 - c_v / (Y_v - d_v)), Y_v the number with time ≥ v (survival's
``fastkm1`` for Uno's C uses the same convention). Cases
(event by the horizon t) are weighted by 1 / G(T_i-), controls (time > t) by 1 / G(t).

The influence function of these weights is that of the Nelson–Aalen estimate of the
censoring cumulative hazard exactly as riskRegression's ``IC_Nelson_Aalen_cens_time``
computes it (there the risk set Y_u keeps the tied events): for subject i
and a time s,

    MC(s, i) = (1 - delta_i) n / Y(T_i) - sum_{u <= T_i} n c_u / Y_u^2      if T_i <= s
             = - sum_{u <= s} n c_u / Y_u^2                                   otherwise,

and the influence of a weight 1 / G(s) on observation i is MC(s, i) / G(s).
:meth:`Censoring.influence` returns sum_j r_j MC(s_j, i) for all i at once with cumulative
sums (no n × n matrix).
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import (
    PreparedFrame,
    check_event_column,
    check_numeric_column,
    check_time_column,
    format_labels,
    prepare_frame,
)
from ..errors import DataValidationError, DataWarning, ParameterError
from ..survival._core.curves import censoring_curve, kaplan_meier_curve
from ..survival._core.ties import merge_message, merge_times

__all__ = [
    "Censoring",
    "check_horizon",
    "check_probabilities",
    "final_step",
    "km_at",
    "km_greenwood",
    "prepare_survival_scores",
]


def prepare_survival_scores(
    data,
    *,
    func: str,
    time_col: str,
    event_col: str,
    score_cols: dict[str, str | Sequence[str]],
    missing: str,
    canonical: bool = False,
) -> tuple[PreparedFrame, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Validate data, times, events and numeric score columns (role → column).

    Times that are ties within rounding error are merged by the survival core's one rule
    (:func:`~ctcstats.survival._core.ties.merge_times`); the merge is announced with a
    :class:`~ctcstats.errors.DataWarning` and listed in the returned frame's ``notes``, which
    the callers record on their results.
    """
    roles: dict = {"time_col": time_col, "event_col": event_col}
    roles.update(score_cols)
    pf = prepare_frame(data, func=func, roles=roles, missing=missing, canonical=canonical)
    frame = pf.frame
    merged = merge_times(check_time_column(frame, time_col))
    time = merged.time
    msg = merge_message(merged.n_merged, time_col)
    if msg:
        warnings.warn(msg, DataWarning, stacklevel=3)
        pf = dataclasses.replace(pf, notes=(*pf.notes, msg))
    event = check_event_column(frame, event_col)
    scores: dict[str, np.ndarray] = {}
    for role, cols in score_cols.items():
        for col in [cols] if isinstance(cols, str) else list(cols):
            scores[col] = check_numeric_column(frame, col, role=role)
    return pf, time, event, scores


RISK_CLIP = 1e-12  # predicted risks of exactly 0 or 1 are moved this far inside (0, 1)


def clip_risks(p: np.ndarray, col: str, *, role: str, index) -> tuple[np.ndarray, str]:
    """Predicted risks moved into ``[RISK_CLIP, 1 − RISK_CLIP]``, with a note if any moved.

    The one rule for risks of exactly 0 or 1 (a saturated model, rounding): the calibration
    slope and curve work on cloglog(p), infinite there, so such risks are moved
    ``RISK_CLIP`` inside — which changes no grouped mean or Brier score visibly — and the
    note is recorded on the result. :func:`~ctcstats.prognostic.calibration.calibration` and
    :func:`~ctcstats.prognostic.validation.external_validation` (which calls it) share it.
    """
    edge = (p <= 0) | (p >= 1)
    if not edge.any():
        return p, ""
    msg = (f"{role} {col!r} has {int(edge.sum())} predicted risk(s) of exactly 0 or 1 (first "
           f"row labels: {format_labels(index[edge])}); they were moved to {RISK_CLIP:g} and "
           f"1 − {RISK_CLIP:g} for the cloglog scale of the calibration slope and curve.")
    return np.clip(p, RISK_CLIP, 1 - RISK_CLIP), msg


def check_probabilities(x: np.ndarray, col: str, *, role: str, func: str, index) -> None:
    """Predicted probabilities must lie in [0, 1]."""
    bad = (x < 0) | (x > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataValidationError(
            f"{role} {col!r} must hold predicted probabilities in [0, 1] for {func}; found "
            f"{int(bad.sum())} value(s) outside (e.g. {x[i]:g} in row "
            f"{format_labels(index[bad][:1])}). Pass the predicted probability of an event by "
            "the horizon (e.g. 1 - S(t | x) from a Cox model), not a linear predictor."
        )


def check_horizon(
    t, time: np.ndarray, event: np.ndarray, *, func: str, name: str = "horizon"
) -> float:
    """The horizon must be a positive number before the last follow-up, with events before it."""
    if (
        not isinstance(t, numbers.Real)
        or isinstance(t, bool)
        or not np.isfinite(float(t))
        or float(t) <= 0
    ):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a positive finite number (a horizon on "
            f"the scale of time_col); got {t!r}."
        )
    t = float(t)
    tmax = float(time.max())
    if t >= tmax:
        what = "beyond" if t > tmax else "at"
        raise DataValidationError(
            f"{name} {t:g} is {what} the last follow-up ({tmax:g}); nobody is observed beyond "
            f"it, so {func} cannot be estimated there. Choose a horizon before {tmax:g}."
        )
    if not np.any(event.astype(bool) & (time <= t)):
        raise DataValidationError(
            f"{name} {t:g} has no events at or before it (first event at "
            f"{time[event.astype(bool)].min() if event.any() else float('nan'):g}); {func} "
            "needs at least one event by the horizon — choose a later horizon."
        )
    return t


def km_at(time: np.ndarray, event: np.ndarray, t: float) -> tuple[float, float]:
    """Kaplan–Meier S(t) and its Greenwood standard error (R ``summary(survfit, times=t)``).

    The estimate is carried forward past the last observed time (``extend=TRUE``); an empty
    set gives NaN.
    """
    if time.size == 0:
        return float("nan"), float("nan")
    s, g = km_greenwood(time, event, t)
    se = float(s * np.sqrt(g)) if s > 0 else float("nan")
    return s, se


def km_greenwood(time: np.ndarray, event: np.ndarray, t: float) -> tuple[float, float]:
    """Kaplan–Meier S(t) and the Greenwood sum Σ d/(n(n − d)) over event times ≤ t (the
    variance of log S(t)), from the one Kaplan–Meier of the survival core; an empty set gives
    (1, 0)."""
    curve = kaplan_meier_curve(time, event)
    return float(curve.at(t)), float(curve.var_log_at(t))


@dataclass(frozen=True, eq=False)
class Censoring:
    """Reverse Kaplan–Meier of the censoring times (prodlim's convention) and its influence.

    ``k`` is each subject's index into the distinct times ``u``; ``G[k]`` = G(u_k) (after the
    censorings at u_k); ``A[k]`` = sum_{l ≤ k} n c_l / Y_l^2.
    """

    u: np.ndarray
    k: np.ndarray
    Y: np.ndarray
    G: np.ndarray
    A: np.ndarray
    f: np.ndarray  # MC(T_i, i) for each subject
    n: int

    @classmethod
    def fit(cls, time: np.ndarray, event: np.ndarray) -> Censoring:
        curve = censoring_curve(time, event, ties="events_first")
        n = time.size
        Y = curve.n_risk + curve.n_censor  # everyone with time >= u (the events included)
        c = curve.n_event  # censorings at u
        A = np.cumsum(n * c / Y**2)
        f = (1.0 - event) * n / Y[curve.index] - A[curve.index]
        return cls(u=curve.time, k=curve.index, Y=Y, G=curve.surv, A=A, f=f, n=n)

    def index_at(self, s: float) -> int:
        """Index of the last distinct time ≤ s (-1 if none)."""
        return int(np.searchsorted(self.u, s, side="right")) - 1

    def at(self, s: float) -> float:
        """G(s)."""
        q = self.index_at(s)
        return 1.0 if q < 0 else float(self.G[q])

    def subject_minus(self) -> np.ndarray:
        """G(T_i-) for every subject (prodlim ``predictSurvIndividual(fit, lag=1)``)."""
        Gm = np.concatenate([[1.0], self.G])
        return Gm[self.k]

    def influence(self, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        """sum_j r_j MC(s_j, i) for every subject i, where q_j = index_at(s_j).

        MC(s, i) = f_i if k_i ≤ q(s) else -A[q(s)]  (A[-1] = 0).
        """
        m = self.u.size
        qq = np.asarray(q, dtype=np.int64) + 1  # 0 .. m
        r = np.asarray(r, dtype=float)
        tot = np.bincount(qq, weights=r, minlength=m + 1)
        A0 = np.concatenate([[0.0], self.A])
        totA = np.bincount(qq, weights=r * A0[qq], minlength=m + 1)
        # S_ge[k] = sum_{q_j >= k} r_j  (q_j >= k  <=>  qq_j >= k + 1)
        s_ge = np.concatenate([tot[::-1].cumsum()[::-1], [0.0]])
        # RA_lt[k] = sum_{q_j < k} r_j A[q_j]  (qq_j <= k)
        ra_lt = np.cumsum(totA)
        return self.f * s_ge[self.k + 1] - ra_lt[self.k]


def final_step(model):
    """The last step of a scikit-learn ``Pipeline`` (the model itself otherwise)."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return model.steps[-1][1]
    return model
