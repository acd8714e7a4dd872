"""Prognostic metrics for one cause when patients can fail from competing causes.

With competing events (death without relapse, say) the predicted quantity is the cumulative
incidence F_1(t | x) = P(T ≤ t, cause = 1 | x), not 1 − S(t | x), and the metrics must say
what happens to patients who failed from the other cause. Every estimate matches R
(``tests/reference/competing_metrics/``):

* :func:`competing_time_dependent_auc` — ``riskRegression::Score(..., cause = 1,
  metrics = "auc", cens.model = "km")``: cases fail from cause 1 by the horizon, controls are
  everyone else observed at the horizon — still event-free *or* failed from a competing cause
  (Blanche et al. 2013, definition 2) —, Kaplan–Meier IPCW weights, influence-function SE;
* :func:`competing_brier_score` — ``Score(..., cause = 1, metrics = "brier",
  summary = "ipa")``: IPCW Brier score of the predicted cumulative incidence, its SE, the
  null model's (marginal Aalen–Johansen) Brier score and the IPA;
* :func:`competing_concordance_index` — Wolbers et al. (2009) truncated at ``tau``, as
  ``pec::cindex(..., cause = 1, eval.times = tau, cens.model = "marginal")``: a patient who
  failed from cause 1 at T_i ≤ tau is compared with everyone still event-free after T_i and
  with everyone who failed from a competing cause before T_i;
* :func:`competing_calibration` — the Aalen–Johansen cumulative incidence at the horizon
  per quantile group of predicted risk (``cmprsk::cuminc`` / ``timepoints`` per group)
  against the group's mean prediction, and the overall observed/expected ratio.

Why own code: no Python library computes these with competing events. The IPCW machinery
(reverse Kaplan–Meier G and its influence function) is the one of
:mod:`ctcstats.prognostic._metrics_common`; the AUC and Brier influence functions are those
of :mod:`ctcstats.prognostic.metrics` with the competing events weighted at their own time;
the Aalen–Johansen estimates are :func:`ctcstats.survival.competing.cumulative_incidence`.
Wolbers' C is summed in O(n log n) by two sweeps over time with Fenwick trees over the score
ranks (pec's ``ccr`` loops over all pairs); the pair-by-pair sum is kept as the reference the
sweep is tested against.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._results import Result, result
from .._validation import (
    PreparedFrame,
    check_conf_level,
    check_event_codes,
    check_int,
    check_numeric_column,
    check_time_column,
    prepare_frame,
)
from ..errors import DataValidationError, DataWarning
from ..survival._core.ties import merge_message, merge_times
from ..survival.competing import check_event_of_interest, cumulative_incidence, incidence_at
from ._metrics_common import Censoring, check_horizon, check_probabilities
from .metrics import auc_with_if, brier_with_if, roc_table, untied_auc, wald_limits

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CompetingAUCResult",
    "CompetingBrierResult",
    "CompetingCalibrationResult",
    "CompetingConcordanceResult",
    "competing_brier_score",
    "competing_calibration",
    "competing_concordance_index",
    "competing_time_dependent_auc",
]


# --------------------------------------------------------------------------- shared
@dataclasses.dataclass(frozen=True)
class _CRData:
    pf: PreparedFrame
    time: np.ndarray
    codes: np.ndarray
    cause: int
    score: np.ndarray

    @property
    def failed(self) -> np.ndarray:
        return (self.codes > 0).astype(float)

    def sets(self, t: float):
        """(cases, controls, own): cause-of-interest failures by t; controls = event-free
        after t or failed from a competing cause by t; ``own`` = weighted at T_i-."""
        by_t = self.time <= t
        cases = by_t & (self.codes == self.cause)
        competing = by_t & (self.codes > 0) & (self.codes != self.cause)
        return cases, (self.time > t) | competing, cases | competing


def _prepare(data, *, func: str, time_col: str, event_col: str, risk_col: str,
             event_of_interest, missing: str) -> _CRData:
    pf = prepare_frame(data, func=func,
                       roles={"time_col": time_col, "event_col": event_col,
                              "risk_col": risk_col}, missing=missing)
    frame = pf.frame
    merged = merge_times(check_time_column(frame, time_col))
    msg = merge_message(merged.n_merged, time_col)
    if msg:
        warnings.warn(msg, DataWarning, stacklevel=3)
        pf = dataclasses.replace(pf, notes=(*pf.notes, msg))
    codes = check_event_codes(frame, event_col)
    cause = check_event_of_interest(event_of_interest, codes, event_col=event_col, func=func)
    score = check_numeric_column(frame, risk_col, role="risk_col")
    return _CRData(pf=pf, time=merged.time, codes=codes, cause=cause, score=score)


def _horizon(d: _CRData, horizon, func: str, name: str = "horizon") -> float:
    return check_horizon(horizon, d.time, (d.codes == d.cause).astype(float), func=func,
                         name=name)


def _aj_at(time: np.ndarray, codes: np.ndarray, cause: int, t: float) -> tuple[float, float]:
    """Aalen–Johansen F_cause(t) and cmprsk's standard error (0, 0 without such failures)."""
    if not np.any(codes == cause):
        return 0.0, 0.0
    got = incidence_at(time, codes, cause, t)  # bitwise the lines below, without a frame
    if got is not None:
        return got
    ci = cumulative_incidence(pd.DataFrame({"t": time, "e": codes}), time_col="t",
                              event_col="e", event_of_interest=cause)
    row = ci.at([t]).iloc[0]
    return float(row["cif"]), float(row["std_error"])


# =========================================================================== AUC
@result
class CompetingAUCResult(Result):
    """Cumulative/dynamic AUC of one cause at a horizon, with competing events.

    Cases failed from ``event_of_interest`` by ``horizon``; controls are still event-free
    after it or failed from a competing cause by it (``n_competing`` of them). ``roc`` has
    columns ``threshold, fpr, tpr``.
    """

    _title: ClassVar[str] = "Time-dependent AUC with competing risks (cumulative/dynamic, IPCW)"
    _main_table: ClassVar[str] = "roc"

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    horizon: float
    event_of_interest: int
    conf_level: float
    roc: pd.DataFrame
    n_obs: int
    n_cases: int
    n_controls: int
    n_competing: int
    n_censored_before: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """ROC curve at the horizon; see :func:`ctcstats.plotting.prognostic.plot_roc`."""
        from ..plotting.prognostic import plot_roc

        return plot_roc(self, ax=ax)  # type: ignore[arg-type]


def competing_time_dependent_auc(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    horizon: float,
    event_of_interest: int = 1,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CompetingAUCResult:
    """Time-dependent AUC for one cause with competing risks (Kaplan–Meier IPCW), with its SE.

    Cases: failure from ``event_of_interest`` at or before ``horizon`` (weight 1 / G(T_i-)).
    Controls: everyone else whose status at ``horizon`` is known — event-free after it
    (weight 1 / G(horizon)) or failed from a competing cause by it (weight 1 / G(T_i-)), the
    "definition 2" controls of Blanche et al. (2013). Patients censored before ``horizon``
    enter only through the weights G (reverse Kaplan–Meier of censoring, every failure counting
    as an event). Ties in the score count one half.

    Matches ``riskRegression::Score(list(risk), formula = Hist(time, event) ~ 1, data,
    times = horizon, cause = event_of_interest, metrics = "auc", cens.model = "km",
    conservative = FALSE)``: the AUC and its influence-function standard error (including the
    estimation of the censoring weights).

    Parameters
    ----------
    data : DataFrame
    time_col : str
        Time to the first event (any cause) or censoring.
    event_col : str
        Event code: 0 = censored, 1..k = cause.
    risk_col : str
        The risk score (higher = higher risk of the cause of interest), e.g. a predicted
        cumulative incidence by ``horizon``; any scale.
    horizon : float
        Before the last follow-up, with at least one failure from the cause of interest by it.
    event_of_interest : int, default 1
        The cause of interest (as in :func:`~ctcstats.survival.competing.cumulative_incidence`).
    conf_level : float, default 0.95
        Wald interval clipped to [0, 1], as Score.
    missing : {"raise", "drop"}

    Returns
    -------
    CompetingAUCResult
        ``estimate, std_error, ci_lower, ci_upper, horizon, event_of_interest, n_cases,
        n_controls, n_competing`` (controls that failed from a competing cause),
        ``n_censored_before`` and ``roc`` (``threshold, fpr, tpr``); ``plot(ax=)``.

    References
    ----------
    Blanche P, Dartigues JF, Jacqmin-Gadda H (2013). Estimating and comparing time-dependent
    areas under receiver operating characteristic curves for censored event times with
    competing risks. Stat Med 32:5381–5397.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.competing import competing_time_dependent_auc
    >>> df = pd.DataFrame({"t": [2, 3, 4, 5, 7, 9, 12, 14, 15],
    ...                    "e": [1, 2, 1, 0, 1, 0, 2, 0, 0],
    ...                    "p": [0.8, 0.3, 0.6, 0.2, 0.5, 0.2, 0.4, 0.1, 0.3]})
    >>> res = competing_time_dependent_auc(df, time_col="t", event_col="e", risk_col="p",
    ...                                    horizon=8)
    >>> res.n_cases, res.n_competing
    (3, 1)
    """
    func = "competing_time_dependent_auc"
    conf_level = check_conf_level(conf_level, func=func)
    d = _prepare(data, func=func, time_col=time_col, event_col=event_col, risk_col=risk_col,
                 event_of_interest=event_of_interest, missing=missing)
    t = _horizon(d, horizon, func)
    cens = Censoring.fit(d.time, d.failed)
    cases, controls, own = d.sets(t)
    if not controls.any():
        raise DataValidationError(
            f"horizon {t:g} leaves no controls (nobody event-free after it and no competing "
            f"failure by it); {func} needs both cases and controls — choose an earlier horizon.")
    auc, ic, W, _, _ = auc_with_if(d.score, d.time, d.failed, t, cens,
                                    sets=(cases, controls, own))
    se = float(np.std(ic, ddof=1) / np.sqrt(d.time.size))
    auc, se, lo, hi, notes = untied_auc(auc, se, conf_level, d.score, cases, controls,
                                         risk_col=risk_col, notes=d.pf.notes)
    competing = controls & own
    return CompetingAUCResult(
        estimate=auc, std_error=se, ci_lower=lo, ci_upper=hi, horizon=t,
        event_of_interest=d.cause, conf_level=conf_level,
        roc=roc_table(d.score, W, cases, controls), n_obs=d.pf.n_obs,
        n_cases=int(cases.sum()), n_controls=int(controls.sum()),
        n_competing=int(competing.sum()), n_censored_before=int((~cases & ~controls).sum()),
        n_dropped=d.pf.n_dropped, warnings=notes)


# =========================================================================== Brier
@result
class CompetingBrierResult(Result):
    """IPCW Brier score of a predicted cumulative incidence, with the Aalen–Johansen null
    model and the IPA."""

    _title: ClassVar[str] = "Brier score with competing risks (IPCW)"

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    null_estimate: float
    null_std_error: float
    ipa: float
    horizon: float
    event_of_interest: int
    conf_level: float
    n_obs: int
    n_cases: int
    n_controls: int
    n_competing: int
    n_censored_before: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def competing_brier_score(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    horizon: float,
    event_of_interest: int = 1,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CompetingBrierResult:
    """IPCW Brier score of predicted cumulative incidences of one cause, with null model and IPA.

    Brier = (1/n) [Σ_cases (1 − p_i)² / G(T_i-) + Σ_competing p_i² / G(T_i-) +
    Σ_event-free p_i² / G(t)], cases = failure from ``event_of_interest`` by ``horizon``,
    competing = failure from another cause by ``horizon``, event-free = time > ``horizon``;
    patients censored before ``horizon`` contribute through G only. The null model predicts
    the marginal Aalen–Johansen cumulative incidence for everyone; IPA = 1 − Brier / Brier_null.

    Matches ``riskRegression::Score(list(p), formula = Hist(time, event) ~ 1, data,
    times = horizon, cause = event_of_interest, metrics = "brier", summary = "ipa",
    cens.model = "km", conservative = FALSE)``: ``Brier``, ``se``, the Null model's Brier and
    se, and ``IPA`` (Score gives no SE for the IPA; neither does this function).

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
        Time to the first event and its code (0 = censored, 1..k = cause).
    risk_col : str
        The predicted cumulative incidence of the cause of interest by ``horizon``, in [0, 1].
    horizon : float
    event_of_interest : int, default 1
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    CompetingBrierResult
        ``estimate, std_error, ci_lower, ci_upper, null_estimate, null_std_error, ipa,
        horizon, event_of_interest, n_cases, n_controls, n_competing, n_censored_before``.

    References
    ----------
    Schoop R, Beyersmann J, Schumacher M, Binder H (2011). Quantifying the predictive accuracy
    of time-to-event models in the presence of competing risks. Biom J 53:88–112.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.competing import competing_brier_score
    >>> df = pd.DataFrame({"t": [2, 3, 4, 5, 7, 9, 12, 14, 15],
    ...                    "e": [1, 2, 1, 0, 1, 0, 2, 0, 0],
    ...                    "p": [0.8, 0.3, 0.6, 0.2, 0.5, 0.2, 0.4, 0.1, 0.3]})
    >>> res = competing_brier_score(df, time_col="t", event_col="e", risk_col="p", horizon=8)
    >>> bool(res.estimate < res.null_estimate)
    True
    """
    func = "competing_brier_score"
    conf_level = check_conf_level(conf_level, func=func)
    d = _prepare(data, func=func, time_col=time_col, event_col=event_col, risk_col=risk_col,
                 event_of_interest=event_of_interest, missing=missing)
    check_probabilities(d.score, risk_col, role="risk_col", func=func,
                        index=d.pf.frame.index)
    t = _horizon(d, horizon, func)
    cens = Censoring.fit(d.time, d.failed)
    sets = d.sets(t)
    b, se, cases, controls = brier_with_if(d.score, d.time, d.failed, t, cens, sets=sets)
    f0, _ = _aj_at(d.time, d.codes, d.cause, t)
    b0, se0, _, _ = brier_with_if(np.full(d.time.size, f0), d.time, d.failed, t, cens,
                                   sets=sets)
    lo, hi = wald_limits(b, se, conf_level)
    return CompetingBrierResult(
        estimate=b, std_error=se, ci_lower=lo, ci_upper=hi, null_estimate=b0,
        null_std_error=se0, ipa=float(1.0 - b / b0) if b0 > 0 else float("nan"), horizon=t,
        event_of_interest=d.cause, conf_level=conf_level,
        n_obs=d.pf.n_obs, n_cases=int(cases.sum()),
        n_controls=int(controls.sum()), n_competing=int((controls & sets[2]).sum()),
        n_censored_before=int((~cases & ~controls).sum()),
        n_dropped=d.pf.n_dropped, warnings=d.pf.notes)


# =========================================================================== C-index
@result
class CompetingConcordanceResult(Result):
    """Wolbers' concordance index for one cause, truncated at ``tau``.

    ``table`` has columns ``pair_type, pairs, concordant``: ``"event_free"`` pairs (the
    other patient still event-free, or censored, after the case's failure time) and
    ``"competing"`` pairs (the other patient failed from a competing cause first), unweighted
    counts (ties in the score count one half among the concordant), as pec's ``Pairs`` and
    ``Concordant`` A and B.
    """

    _title: ClassVar[str] = "Concordance index with competing risks (Wolbers, IPCW)"

    estimate: float
    tau: float
    event_of_interest: int
    table: pd.DataFrame
    n_obs: int
    n_events: int
    n_competing: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def _wolbers_pairs(time, codes, cause, score, tau, cens: Censoring, block: int = 512):
    """Weighted concordant and comparable sums and the unweighted pair counts (pec ``ccr``),
    pair by pair in blocks of cases: the reference :func:`_wolbers` is tested against."""
    Gm = cens.subject_minus()
    G_at = cens.G[cens.k]  # G(T_i)
    failed = codes > 0
    comp = failed & (codes != cause)
    wi = 1.0 / Gm  # pec divides by G(T_i-) G(T_i) (A) or G(T_i-) G(T_j-) (B)
    idx = np.flatnonzero((codes == cause) & (time <= tau))
    num = den = 0.0
    counts = np.zeros(4)  # pairs A, concordant A, pairs B, concordant B
    for s in range(0, idx.size, block):
        i = idx[s:s + block]
        ti, ri = time[i][:, None], score[i][:, None]
        a = (time[None, :] > ti) | ((time[None, :] == ti) & ~failed[None, :])
        b = ~a & comp[None, :]
        a[np.arange(i.size), i] = False
        b[np.arange(i.size), i] = False
        conc = (score[None, :] < ri) + 0.5 * (score[None, :] == ri)
        wa = (wi[i] / G_at[i])[:, None] * a
        wb = wi[i][:, None] * wi[None, :] * b
        num += float(np.sum((wa + wb) * conc))
        den += float(np.sum(wa + wb))
        counts += [a.sum(), np.sum(a * conc), b.sum(), np.sum(b * conc)]
    return num, den, counts


#: Wolbers' C by the compiled sweeps (``competing_jit``; the same additions in the same order
#: as ``_wolbers_python``, which ``False`` selects) from ``_JIT_MIN_ROWS`` patients on.
_COMPILED = True
_JIT_MIN_ROWS = 2000


class _Fenwick:
    """Sums over score ranks 0..m-1 with O(log m) update and prefix query."""

    def __init__(self, m: int):
        self.t = [0.0] * (m + 1)

    def add(self, r: int, v: float) -> None:
        r += 1
        while r < len(self.t):
            self.t[r] += v
            r += r & -r

    def below(self, r: int) -> float:
        """Sum over ranks < r."""
        out = 0.0
        while r > 0:
            out += self.t[r]
            r -= r & -r
        return out


def _wolbers(time, codes, cause, score, tau, cens: Censoring):
    """The sums of :func:`_wolbers_pairs` in O(n log n): two sweeps over time with Fenwick
    trees over the score ranks. A pairs (j still under observation after T_i, or censored at
    T_i): times descending, censorings at a time added before its cases are queried, failures
    after. B pairs (j failed from a competing cause at or before T_i): times ascending,
    competing failures at a time added before its cases are queried."""
    Gm = cens.subject_minus()
    G_at = cens.G[cens.k]
    failed = codes > 0
    comp = failed & (codes != cause)
    case = (codes == cause) & (time <= tau)
    _, rank = np.unique(score, return_inverse=True)
    rank = rank.ravel()
    m = int(rank.max()) + 1
    order = np.lexsort((~failed, -time))  # time descending; censored first within a time
    order_b = np.argsort(time, kind="stable")
    if _COMPILED and time.size >= _JIT_MIN_ROWS:
        from .competing_jit import wolbers_sweeps

        num, den, counts = wolbers_sweeps(
            time.astype(float), failed, case, comp, rank.astype(np.int64), m, Gm, G_at,
            order.astype(np.int64), order_b.astype(np.int64))
        return float(num), float(den), counts
    return _wolbers_python(time, failed, case, comp, rank, m, Gm, G_at, order, order_b)


def _wolbers_python(time, failed, case, comp, rank, m, Gm, G_at, order, order_b):
    """The two sweeps of :func:`_wolbers` in Python (the reference of the compiled kernel)."""
    num = den = 0.0
    counts = np.zeros(4)
    cnt = _Fenwick(m)
    total = 0.0
    # ---- A: descending time
    tl, rl, fl, cl = time.tolist(), rank.tolist(), failed.tolist(), case.tolist()
    i, n = 0, time.size
    oi = order.tolist()
    while i < n:
        j = i
        while j < n and tl[oi[j]] == tl[oi[i]]:
            j += 1
        grp = oi[i:j]
        for k in grp:
            if not fl[k]:
                cnt.add(rl[k], 1.0)
                total += 1.0
        for k in grp:
            if cl[k]:
                r = rl[k]
                lo = cnt.below(r)
                tie = cnt.below(r + 1) - lo
                w = 1.0 / (Gm[k] * G_at[k])
                c = lo + 0.5 * tie
                num += w * c
                den += w * total
                counts[0] += total
                counts[1] += c
        for k in grp:
            if fl[k]:
                cnt.add(rl[k], 1.0)
                total += 1.0
        i = j
    # ---- B: ascending time
    cntB, wB = _Fenwick(m), _Fenwick(m)
    nB = wtot = 0.0
    order = order_b.tolist()
    cpl, wj = comp.tolist(), (1.0 / Gm).tolist()
    i = 0
    while i < n:
        j = i
        while j < n and tl[order[j]] == tl[order[i]]:
            j += 1
        grp = order[i:j]
        for k in grp:
            if cpl[k]:
                cntB.add(rl[k], 1.0)
                wB.add(rl[k], wj[k])
                nB += 1.0
                wtot += wj[k]
        for k in grp:
            if cl[k]:
                r = rl[k]
                lo, lo_w = cntB.below(r), wB.below(r)
                tie, tie_w = cntB.below(r + 1) - lo, wB.below(r + 1) - lo_w
                num += wj[k] * (lo_w + 0.5 * tie_w)
                den += wj[k] * wtot
                counts[2] += nB
                counts[3] += lo + 0.5 * tie
        i = j
    return num, den, counts


def competing_concordance_index(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    tau: float,
    event_of_interest: int = 1,
    missing: Literal["raise", "drop"] = "raise",
) -> CompetingConcordanceResult:
    """Concordance index for one cause with competing risks (Wolbers et al. 2009), up to ``tau``.

    A patient i who failed from ``event_of_interest`` at T_i ≤ ``tau`` is compared with
    (A) every patient j still under observation after T_i (or censored at T_i), weight
    1 / (G(T_i-) G(T_i)), and (B) every patient j who failed from a competing cause at or
    before T_i, weight 1 / (G(T_i-) G(T_j-)) — such a patient can no longer fail from the
    cause of interest, so should have the lower risk. The pair is concordant when i has the
    higher score (ties count one half); C = weighted concordant / weighted comparable pairs.
    G is the reverse Kaplan–Meier estimate of censoring (every failure an event).

    Matches ``pec::cindex(list(matrix(risk)), formula = Hist(time, event) ~ 1, data,
    eval.times = tau, cause = event_of_interest, cens.model = "marginal")`` (``AppCindex``,
    and its ``Pairs`` / ``Concordant`` counts). pec gives no standard error; neither does this
    function (bootstrap the patients for an interval).

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
        Time to the first event and its code (0 = censored, 1..k = cause).
    risk_col : str
        Higher = higher risk of the cause of interest; typically the predicted cumulative
        incidence by ``tau`` (a score whose ranking depends on time should be evaluated there).
    tau : float
        Truncation: only failures at or before ``tau`` make pairs (pec's ``eval.times``).
    event_of_interest : int, default 1
    missing : {"raise", "drop"}

    Returns
    -------
    CompetingConcordanceResult
        ``estimate, tau, event_of_interest, n_events`` (failures from the cause of interest),
        ``n_competing`` and ``table`` (``pair_type, pairs, concordant``).

    References
    ----------
    Wolbers M, Koller MT, Witteman JCM, Steyerberg EW (2009). Prognostic models with competing
    risks: methods and application to coronary risk prediction. Epidemiology 20:555–561.
    Wolbers M, Blanche P, Koller MT, Witteman JCM, Gerds TA (2014). Concordance for prognostic
    models with competing risks. Biostatistics 15:526–539.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.competing import competing_concordance_index
    >>> df = pd.DataFrame({"t": [2, 3, 4, 5, 7, 9, 12, 14, 15],
    ...                    "e": [1, 2, 1, 0, 1, 0, 2, 0, 0],
    ...                    "p": [0.8, 0.3, 0.6, 0.2, 0.5, 0.2, 0.4, 0.1, 0.3]})
    >>> res = competing_concordance_index(df, time_col="t", event_col="e", risk_col="p",
    ...                                   tau=10)
    >>> round(res.estimate, 3)
    1.0
    """
    func = "competing_concordance_index"
    d = _prepare(data, func=func, time_col=time_col, event_col=event_col, risk_col=risk_col,
                 event_of_interest=event_of_interest, missing=missing)
    # tau at or beyond the last follow-up is allowed (no truncation), as pec's eval.times
    tmax = float(d.time.max())
    t = _horizon(d, min(tau, np.nextafter(tmax, 0)) if isinstance(tau, (int, float)) and not
                 isinstance(tau, bool) and np.isfinite(tau) and tau > 0 else tau, func,
                 name="tau")
    t = float(tau) if t < float(tau) else t
    cens = Censoring.fit(d.time, d.failed)
    num, den, counts = _wolbers(d.time, d.codes, d.cause, d.score, t, cens)
    if den <= 0:
        raise DataValidationError(
            f"no comparable pairs: no failure from cause {d.cause} at or before tau={t:g} is "
            f"followed by a longer follow-up or preceded by a competing failure; {func} needs "
            "at least one such pair.")
    notes = d.pf.notes
    est = num / den
    if counts[1] + counts[3] == 0.5 * (counts[0] + counts[2]) and np.ptp(d.score) == 0:
        msg = (f"risk_col {risk_col!r} is constant, so it ranks no pair of patients; C is "
               "undefined and reported as NaN — check that the column holds the model's "
               "predicted risks.")
        warnings.warn(msg, DataWarning, stacklevel=2)
        notes, est = (*notes, msg), float("nan")
    table = pd.DataFrame({"pair_type": ["event_free", "competing"],
                          "pairs": [counts[0], counts[2]],
                          "concordant": [counts[1], counts[3]]})
    return CompetingConcordanceResult(
        estimate=float(est), tau=t, event_of_interest=d.cause, table=table,
        n_obs=d.pf.n_obs, n_events=int(np.sum(d.codes == d.cause)),
        n_competing=int(np.sum((d.codes > 0) & (d.codes != d.cause))),
        n_dropped=d.pf.n_dropped, warnings=notes)


# =========================================================================== calibration
@result
class CompetingCalibrationResult(Result):
    """Observed (Aalen–Johansen) against mean predicted cumulative incidence per risk group.

    ``table`` has columns ``group, n, n_events, mean_predicted, observed, std_error,
    ci_lower, ci_upper`` (``n_events``: failures from the cause of interest by the horizon).
    """

    _title: ClassVar[str] = "Calibration of predicted cumulative incidence"

    horizon: float
    event_of_interest: int
    observed_risk: float
    mean_predicted: float
    oe_ratio: float
    oe_ci_lower: float
    oe_ci_upper: float
    conf_level: float
    table: pd.DataFrame
    n_obs: int
    n_events: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """Observed against predicted per group, with the ideal diagonal; see
        :func:`ctcstats.plotting.prognostic.plot_competing_calibration`."""
        from ..plotting.prognostic import plot_competing_calibration

        return plot_competing_calibration(self, ax=ax)


def _loglog_ci(f: float, se: float, z: float) -> tuple[float, float]:
    """cmprsk-style interval: symmetric on log(−log F) (as cumulative_incidence)."""
    if not (0 < f < 1) or not np.isfinite(se) or se == 0:
        return f, f
    e = z * se / (f * np.log(f))
    return float(f ** np.exp(-e)), float(f ** np.exp(e))


def competing_calibration(
    data: pd.DataFrame,
    *,
    time_col: str,
    event_col: str,
    risk_col: str,
    horizon: float,
    event_of_interest: int = 1,
    n_groups: int = 4,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> CompetingCalibrationResult:
    """Calibration of predicted cumulative incidences at a horizon, by risk group.

    Patients are split into ``n_groups`` quantile groups of the predicted risk (R ``cut(p,
    quantile(p, 0:n_groups / n_groups), include.lowest = TRUE)``; ties stay together). In each
    group the observed risk is the Aalen–Johansen cumulative incidence of the cause of
    interest at ``horizon`` (competing failures are not censored), with cmprsk's standard
    error and a log(−log) interval, next to the group's mean prediction. Overall, the
    observed/expected ratio is the marginal Aalen–Johansen estimate over the mean prediction
    (log-scale interval from the Aalen–Johansen standard error).

    Matches ``cmprsk::timepoints(cuminc(time, event), horizon)`` per group (``est`` and
    ``sqrt(var)``).

    Parameters
    ----------
    data : DataFrame
    time_col, event_col : str
        Time to the first event and its code (0 = censored, 1..k = cause).
    risk_col : str
        Predicted cumulative incidence of the cause of interest by ``horizon``, in [0, 1].
    horizon : float
    event_of_interest : int, default 1
    n_groups : int, default 4
    conf_level : float, default 0.95
    missing : {"raise", "drop"}

    Returns
    -------
    CompetingCalibrationResult
        ``table`` (``group, n, n_events, mean_predicted, observed, std_error, ci_lower,
        ci_upper``), ``observed_risk`` (marginal Aalen–Johansen), ``mean_predicted``,
        ``oe_ratio, oe_ci_lower, oe_ci_upper``; ``plot(ax=)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.prognostic.competing import competing_calibration
    >>> df = pd.DataFrame({"t": [2, 3, 4, 5, 7, 9, 12, 14, 15, 16],
    ...                    "e": [1, 2, 1, 0, 1, 0, 2, 0, 0, 1],
    ...                    "p": [0.8, 0.3, 0.6, 0.2, 0.5, 0.2, 0.4, 0.1, 0.3, 0.2]})
    >>> res = competing_calibration(df, time_col="t", event_col="e", risk_col="p",
    ...                             horizon=10, n_groups=2)
    >>> res.table["n"].tolist()
    [6, 4]
    """
    func = "competing_calibration"
    conf_level = check_conf_level(conf_level, func=func)
    n_groups = check_int(n_groups, name="n_groups", func=func, minimum=1)
    d = _prepare(data, func=func, time_col=time_col, event_col=event_col, risk_col=risk_col,
                 event_of_interest=event_of_interest, missing=missing)
    p = d.score
    check_probabilities(p, risk_col, role="risk_col", func=func,
                        index=d.pf.frame.index)
    t = _horizon(d, horizon, func)
    z = float(norm.ppf(0.5 + conf_level / 2))
    edges = np.quantile(p, np.linspace(0, 1, n_groups + 1))
    _, g = np.unique(np.searchsorted(edges[1:-1], p, side="left"), return_inverse=True)
    g = g.ravel()
    rows, msgs = [], []
    for j in range(int(g.max()) + 1):
        m = g == j
        f, se = _aj_at(d.time[m], d.codes[m], d.cause, t)
        if d.time[m].max() < t:
            msgs.append(f"group {j + 1} of predicted risk has no follow-up reaching time {t:g}; "
                        "its observed risk is the Aalen–Johansen estimate at its last "
                        "follow-up time (fewer groups may help).")
        lo, hi = _loglog_ci(f, se, z)
        rows.append({"group": j + 1, "n": int(m.sum()),
                     "n_events": int(np.sum((d.codes[m] == d.cause) & (d.time[m] <= t))),
                     "mean_predicted": float(p[m].mean()), "observed": f, "std_error": se,
                     "ci_lower": lo, "ci_upper": hi})
    f_all, se_all = _aj_at(d.time, d.codes, d.cause, t)
    mean_p = float(p.mean())
    oe = f_all / mean_p if mean_p > 0 else float("nan")
    se_log = se_all / f_all if f_all > 0 else float("nan")
    for msg in msgs:
        warnings.warn(msg, DataWarning, stacklevel=2)
    return CompetingCalibrationResult(
        horizon=t, event_of_interest=d.cause, observed_risk=f_all, mean_predicted=mean_p,
        oe_ratio=float(oe), oe_ci_lower=float(oe * np.exp(-z * se_log)),
        oe_ci_upper=float(oe * np.exp(z * se_log)), conf_level=conf_level,
        table=pd.DataFrame(rows), n_obs=d.pf.n_obs,
        n_events=int(np.sum((d.codes == d.cause) & (d.time <= t))),
        n_dropped=d.pf.n_dropped, warnings=d.pf.notes + tuple(msgs))
