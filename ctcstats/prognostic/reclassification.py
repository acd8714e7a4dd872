"""Net reclassification improvement (NRI) and integrated discrimination improvement (IDI).

Survival outcome at a horizon t, comparing a base model's predicted risks with a new model's.

NRI (Pencina, D'Agostino & Steyerberg 2011; Steyerberg & Pencina 2010, Kaplan–Meier version
for incomplete follow-up). "Up" movers have a higher predicted risk (continuous NRI) or a
higher risk category (categorical NRI, ``cutoffs``) under the new model, "down" movers a lower
one. With S(t) the Kaplan–Meier survival of everyone, S_up(t) / S_down(t) among up / down
movers and P(up), P(down) their proportions (Bayes' rule on the KM event probabilities)::

    nri_events    = [(1 - S_up) P(up) - (1 - S_down) P(down)] / (1 - S)
    nri_nonevents = [S_down P(down) - S_up P(up)] / S
    nri           = nri_events + nri_nonevents

The NRI is the *sum* of the event and non-event parts (range −2 to 2; Pencina et al. 2011,
R ``nricens``/``survIDINRI``), not their mean (range −1 to 1) that some authors report;
the two parts are given separately so either can be formed.

IDI (Pencina et al. 2008; survival version with inverse-probability-of-censoring weights as
in Uno et al. 2013 / survIDINRI): the mean predicted risk among events (cases: event by t,
weight 1 / G(T_i-)) minus that among non-events (event-free at t, weight 1 / G(t)), new minus
base; G is the reverse Kaplan–Meier estimate (prodlim's convention)::

    idi_events    = IS_new - IS_base        (IS: weighted mean risk among cases)
    idi_nonevents = IP_base - IP_new        (IP: mean risk among non-events)
    idi           = idi_events + idi_nonevents

Confidence intervals are bootstrap percentile intervals (rows resampled with replacement; the
Kaplan–Meier and censoring estimates recomputed in every replicate, vectorised over
replicates). No R package for these is available here (survIDINRI and nricens are not on
Debian); the tests check hand-computed examples (no censoring: the textbook definitions;
censored: the formulas above computed by hand).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from .._results import Result, result
from .._typing import RandomState
from .._validation import canonical_order, check_conf_level, check_int, check_rng
from ..errors import DataWarning, ParameterError
from ..survival._core.curves import censoring_curve, kaplan_meier_curve
from ._metrics_common import check_horizon, check_probabilities, prepare_survival_scores

__all__ = ["ReclassificationResult", "reclassification"]

_FUNC = "reclassification"
MEASURES = ["nri", "nri_events", "nri_nonevents", "idi", "idi_events", "idi_nonevents"]


@result
class ReclassificationResult(Result):
    """NRI and IDI of a new model over a base model at a horizon.

    ``table`` columns: ``measure, estimate, ci_lower, ci_upper`` for ``nri, nri_events,
    nri_nonevents, idi, idi_events, idi_nonevents``. ``movers`` columns: ``direction, n,
    proportion, event_risk`` (``up``, ``down``, ``unchanged``; event_risk = 1 - KM(horizon)).
    """

    _title: ClassVar[str] = "Reclassification (NRI, IDI)"

    horizon: float
    kind: str
    cutoffs: tuple[float, ...]
    nri: float
    idi: float
    conf_level: float
    n_boot: int
    table: pd.DataFrame
    movers: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


class HorizonLayout:
    """The survival core's Kaplan–Meier and censoring curves under many weight vectors (one
    bootstrap resample per row of ``W``), evaluated at the horizon ``t``."""

    def __init__(self, time: np.ndarray, event: np.ndarray, t: float):
        self.time, self.event, self.t = time, event, t
        self.case = event.astype(bool) & (time <= t)
        self.control = time > t

    # The curves of all weight rows by one compiled sweep each (added_value_jit.horizon_curves:
    # the same sums and products as the survival core's curves, bitwise equal for the integer
    # case counts used here; tested). False: the survival core's curves (the reference).
    compiled = True

    def km(self, W: np.ndarray) -> np.ndarray:
        """Kaplan–Meier S(t) for each row of weights (NaN where a row has no weight)."""
        if self.compiled:
            from .added_value_jit import horizon_curves

            s = horizon_curves(self.time, self.event, W, self.t, minus=False)[0]
        else:
            s = kaplan_meier_curve(self.time, self.event, weights=W).at(self.t)
        return np.where(W.sum(axis=1) > 0, s, np.nan)

    def ipcw(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Case / control weights 1/G(T_i-), 1/G(t) times W (reverse KM recomputed per row,
        prodlim's convention: events leave the risk set before tied censorings)."""
        if self.compiled:
            from .added_value_jit import horizon_ipcw

            return horizon_ipcw(self.time, self.event, W, self.t, self.case, self.control)[1:]
        G = censoring_curve(self.time, self.event, ties="events_first", weights=W)
        return self._divide(W, G.subject_minus(), G.at([self.t]))

    def curves(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(km(W), *ipcw(W))`` — from one compiled sweep (the same values as the two
        calls). ``W`` (B, n), or (1, n) for weights shared by every replicate (e.g. each
        patient once: then computed once, not per replicate)."""
        if self.compiled:
            from .added_value_jit import horizon_ipcw

            s, wc, wk = horizon_ipcw(self.time, self.event, W, self.t, self.case,
                                     self.control)
            return np.where(W.sum(axis=1) > 0, s, np.nan), wc, wk
        return (self.km(W), *self.ipcw(W))

    def _divide(self, W, Gm, Gt) -> tuple[np.ndarray, np.ndarray]:
        # W / G on cases (controls), 0 elsewhere: divided only where needed, into one
        # output array (the same values as np.where over the full quotient, without its
        # (B, n) temporaries); the compiled path divides in its sweep (horizon_ipcw)
        wc = np.zeros(np.broadcast_shapes(W.shape, np.shape(Gm)))
        wk = np.zeros(np.broadcast_shapes(W.shape, np.shape(Gt)))
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(W, Gm, out=wc, where=np.broadcast_to(self.case, wc.shape))
            np.divide(W, Gt, out=wk, where=np.broadcast_to(self.control, wk.shape))
        return wc, wk


def reclassification_measures(lay: HorizonLayout, W, up, down, p_base, p_new,
                              curves=None) -> np.ndarray:
    """All measures (columns in :data:`MEASURES` order) for each row of bootstrap weights W.

    ``up``, ``down``, ``p_base`` and ``p_new`` are per patient (n,) or, one row per weight
    row, (B, n) — e.g. the predictions of models refitted in each bootstrap sample. ``W``
    may be one row (1, n) shared by all. ``curves``: ``lay.curves(W)`` when already computed.
    """
    n_w = W.sum(axis=1)
    s_all, wc, wk = lay.curves(W) if curves is None else curves
    s_up, s_down = lay.km(W * up), lay.km(W * down)
    p_up, p_down = (W * up).sum(axis=1) / n_w, (W * down).sum(axis=1) / n_w
    with np.errstate(divide="ignore", invalid="ignore"):
        ev_up = np.where(p_up > 0, (1 - s_up) * p_up, 0.0)
        ev_down = np.where(p_down > 0, (1 - s_down) * p_down, 0.0)
        ne_up = np.where(p_up > 0, s_up * p_up, 0.0)
        ne_down = np.where(p_down > 0, s_down * p_down, 0.0)
        nri_e = (ev_up - ev_down) / (1 - s_all)
        nri_ne = (ne_down - ne_up) / s_all
        is_new = (wc * p_new).sum(axis=1) / wc.sum(axis=1)
        is_base = (wc * p_base).sum(axis=1) / wc.sum(axis=1)
        ip_new = (wk * p_new).sum(axis=1) / wk.sum(axis=1)
        ip_base = (wk * p_base).sum(axis=1) / wk.sum(axis=1)
    idi_e, idi_ne = is_new - is_base, ip_base - ip_new
    return np.column_stack([nri_e + nri_ne, nri_e, nri_ne, idi_e + idi_ne, idi_e, idi_ne])


def reclassification(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    base_risk_col: str,
    risk_col: str,
    horizon: float,
    cutoffs: Sequence[float] | None = None,
    n_boot: int = 200,
    conf_level: float = 0.95,
    rng: RandomState = None,
    missing: Literal["raise", "drop"] = "raise",
) -> ReclassificationResult:
    """NRI (continuous or categorical) and IDI of a new model over a base model at a horizon.

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
    base_risk_col, risk_col : str
        Predicted probabilities of an event by ``horizon`` (in [0, 1]) from the base model
        (e.g. clinical factors) and the new model (e.g. clinical factors + CTC count).
    horizon : float
        Prediction horizon before the last follow-up, with events before it.
    cutoffs : list of float, optional
        Risk-category boundaries in (0, 1), increasing (a risk equal to a cutoff belongs to
        the higher category). None (default): continuous NRI ("NRI > 0"), any increase counts
        as up, any decrease as down.
    n_boot : int, default 200
        Bootstrap replicates for the percentile intervals (0: no intervals, NaN limits).
    conf_level : float, default 0.95
    rng : int, Generator or None
        Seed of the bootstrap.
    missing : {"raise", "drop"}

    Returns
    -------
    ReclassificationResult
        ``nri``, ``idi``, ``table`` (``measure, estimate, ci_lower, ci_upper`` for ``nri,
        nri_events, nri_nonevents, idi, idi_events, idi_nonevents``), ``movers`` (``direction,
        n, proportion, event_risk``), ``kind`` (``"continuous"`` or ``"categorical"``),
        ``cutoffs``.

    References
    ----------
    Pencina MJ, D'Agostino RB Sr, Steyerberg EW (2011). Extensions of net reclassification
    improvement calculations to measure usefulness of new biomarkers. Stat Med 30:11–21.
    Steyerberg EW, Pencina MJ (2010). Reclassification calculations for persons with
    incomplete follow-up. Ann Intern Med 152:195–196.
    Uno H, Tian L, Cai T, Kohane IS, Wei LJ (2013). A unified inference procedure for a class
    of measures to assess improvement in risk prediction systems with survival data. Stat Med
    32:2430–2442.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.reclassification import reclassification
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 10, 10, 10, 10], "e": [1, 1, 1, 1, 0, 0, 0, 0],
    ...                    "old": [.5, .5, .5, .5, .5, .5, .5, .5],
    ...                    "new": [.7, .7, .7, .4, .3, .3, .6, .3]})
    >>> res = reclassification(df, time_col="t", event_col="e", base_risk_col="old",
    ...                        risk_col="new", horizon=5, n_boot=0)
    >>> round(res.nri, 4), round(res.idi, 4)
    (1.0, 0.25)
    """
    conf_level = check_conf_level(conf_level, func=_FUNC)
    n_boot = check_int(n_boot, name="n_boot", func=_FUNC, minimum=0)
    gen = check_rng(rng, func=_FUNC)
    if base_risk_col == risk_col:
        raise ParameterError(
            f"The 'risk_col' parameter of {_FUNC} must differ from 'base_risk_col'; both "
            f"are {base_risk_col!r}.")
    cut: tuple[float, ...] = ()
    if cutoffs is not None:
        c = np.asarray(cutoffs, dtype=float).ravel()
        if c.size == 0 or not np.all((c > 0) & (c < 1)) or np.any(np.diff(c) <= 0):
            raise ParameterError(
                f"The 'cutoffs' parameter of {_FUNC} must be None or increasing probabilities "
                f"strictly between 0 and 1; got {cutoffs!r}.")
        cut = tuple(float(x) for x in c)
    pf, t_arr, event, sc = prepare_survival_scores(
        data, func=_FUNC, time_col=time_col, event_col=event_col,
        score_cols={"base_risk_col": base_risk_col, "risk_col": risk_col},
        missing=missing, canonical=True)  # bitwise independent of row order
    pb, pn = sc[base_risk_col], sc[risk_col]
    check_probabilities(pb, base_risk_col, role="base_risk_col", func=_FUNC,
                        index=pf.frame.index)
    check_probabilities(pn, risk_col, role="risk_col", func=_FUNC, index=pf.frame.index)
    t = check_horizon(horizon, t_arr, event, func=_FUNC)
    if cut:
        cb, cn = np.searchsorted(cut, pb, side="right"), np.searchsorted(cut, pn, side="right")
        up, down = cn > cb, cn < cb
    else:
        up, down = pn > pb, pn < pb
    up_f, down_f = up.astype(float), down.astype(float)
    lay = HorizonLayout(t_arr, event, t)
    n = t_arr.size
    est = reclassification_measures(lay, np.ones((1, n)), up_f, down_f, pb, pn)[0]
    msgs: list[str] = []
    lo = np.full(len(MEASURES), np.nan)
    hi = np.full(len(MEASURES), np.nan)
    if n_boot > 0:
        # case counts drawn on the canonical row order: each resample holds the same patients
        # whatever the order and labels of the caller's rows
        W = np.empty((n_boot, n))
        W[:, canonical_order(pf.frame)] = gen.multinomial(n, np.full(n, 1.0 / n), size=n_boot)
        boot = reclassification_measures(lay, W, up_f, down_f, pb, pn)
        bad = ~np.isfinite(boot).all(axis=1)
        if bad.any():
            msgs.append(
                f"{int(bad.sum())} of {n_boot} bootstrap replicates had no events (or no "
                "event-free patients) by the horizon and were left out of the intervals.")
        alpha = 1 - conf_level
        lo, hi = np.nanquantile(boot[~bad], [alpha / 2, 1 - alpha / 2], axis=0) if (
            (~bad).any()) else (lo, hi)
    for m in msgs:
        warnings.warn(m, DataWarning, stacklevel=2)
    table = pd.DataFrame({"measure": MEASURES, "estimate": est, "ci_lower": lo,
                          "ci_upper": hi})
    unchanged = ~up & ~down
    movers = []
    for name, mask in (("up", up), ("down", down), ("unchanged", unchanged)):
        s = lay.km(mask.astype(float)[None, :])[0] if mask.any() else np.nan
        movers.append({"direction": name, "n": int(mask.sum()), "proportion": float(mask.mean()),
                       "event_risk": float(1 - s)})
    return ReclassificationResult(
        horizon=t, kind="categorical" if cut else "continuous", cutoffs=cut,
        nri=float(est[0]), idi=float(est[3]), conf_level=conf_level, n_boot=n_boot,
        table=table, movers=pd.DataFrame(movers), n_obs=pf.n_obs, n_events=int(event.sum()),
        n_dropped=pf.n_dropped, warnings=pf.notes + tuple(msgs))
