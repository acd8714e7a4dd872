"""Cut-points of a continuous or count marker: maximally selected log-rank statistics.

A data-driven cut-point ("CTC ≥ 5") is chosen by scanning every candidate split of the
marker and taking the one with the largest standardised log-rank statistic (Lausen &
Schumacher 1992). The scan and its multiplicity-corrected p-values follow R's
``maxstat::maxstat.test(Surv(time, event) ~ marker, smethod = "LogRank", pmethod = ...)``
line by line (maxstat 0.7-25; sources printed with ``Rscript -e 'print(maxstat:::cmaxstat)'``):

* scores: ``exactRankTests::cscores.Surv(type = "LogRank")`` — ``event_i − Σ_{j: t_j ≤ t_i}
  event_j / (N − r_j + 1)`` where ``r_j`` is the number of observations with time ≤ ``t_j``
  (so tied times all get the *largest* rank; this is maxstat's own tie handling, not the
  Nelson–Aalen increment ``d/n`` of ``survdiff``);
* candidates: the marker sorted, ``m`` = the number of observations strictly below each
  distinct value, kept when ``max(1, ⌊N·min_prop⌋) ≤ m ≤ ⌊N·max_prop⌋``; the cut-point is
  the largest marker value of the lower group (groups are ``marker ≤ cutpoint`` vs
  ``marker > cutpoint``);
* statistic at ``m``: ``|S_m − m/N·ΣS| / sqrt(m(N−m)/(N²(N−1))·(NΣS² − (ΣS)²))``;
* p-values: Lausen & Schumacher (1992) ``pLausen92``, Lausen, Sauerbrei & Schumacher
  (1994) ``pLausen94`` and the conditional Monte-Carlo (permutation) p-value ``condMC``.

No library implements this in Python (lifelines and scikit-survival have no maximally
selected statistics), hence the numpy code; the bootstrap stability analysis is vectorised
over replicates by expressing each resample as multinomial weights on the original rows.

References
----------
Lausen B, Schumacher M (1992). Maximally selected rank statistics. Biometrics 48:73–85.
Lausen B, Sauerbrei W, Schumacher M (1994). Classification and regression trees (CART) used
for the exploration of prognostic factors measured on different scales. In: Dirschedl P,
Ostermann R (eds), Computational Statistics, 483–496. Physica, Heidelberg.
Hothorn T, Lausen B (2003). On the exact distribution of maximally selected rank
statistics. Computational Statistics & Data Analysis 43:121–137.
Phipson B, Smyth GK (2010). Permutation p-values should never be zero. Stat Appl Genet Mol
Biol 9:39.
Faraggi D, Simon R (1996). A simulation study of cross-validation for selecting an optimal
cutpoint in univariate survival analysis. Statistics in Medicine 15:2203–2213.
"""

from __future__ import annotations

import dataclasses
import warnings as _warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ._results import Result, result
from ._typing import RandomState
from ._validation import (
    canonical_order,
    check_choice,
    check_conf_level,
    check_event_column,
    check_int,
    check_numeric_column,
    check_real,
    check_rng,
    check_time_column,
    prepare_frame,
)
from .errors import DataValidationError, DataWarning, ParameterError, SmallSampleWarning
from .survival._core.logrank import logrank_arrays
from .survival._core.ties import merge_message, merge_times

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CutpointResult",
    "CutpointStabilityResult",
    "CutpointValidationResult",
    "cutpoint_stability",
    "optimal_cutpoint",
    "validate_cutpoint",
]

INFERENCE_NOTE = (
    "p_value_unadjusted is the ordinary log-rank p-value of the chosen cut-point; because the "
    "cut-point was selected to maximise the statistic it is NOT valid inference (it is far "
    "too small). Report p_value (corrected for the search) and confirm the cut-point in "
    "independent data (validate_cutpoint)."
)


# =========================================================================== core numerics
def logrank_scores(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Log-rank scores as ``exactRankTests::cscores.Surv(type="LogRank")``.

    ``score_i = event_i − Σ_{j: t_j ≤ t_i} event_j / (N − r_j + 1)`` with ``r_j`` the number
    of observations with time ≤ ``t_j`` (``irank``: ties share the largest rank).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    n = time.size
    order = np.argsort(time, kind="stable")
    rt = np.searchsorted(time[order], time, side="right")  # irank: #obs with time <= t_i
    fact = event / (n - rt + 1.0)
    return event - np.cumsum(fact[order])[rt - 1]


def _candidates(x_sorted: np.ndarray, min_prop: float, max_prop: float) -> np.ndarray | None:
    """maxstat's split sizes ``m`` (number of observations in the lower group), or None."""
    n = x_sorted.size
    first = np.r_[True, x_sorted[1:] != x_sorted[:-1]]
    m = np.flatnonzero(first)  # which(!duplicated(x)) - 1
    lo, hi = int(np.floor(n * min_prop)), int(np.floor(n * max_prop))
    m = m[(m >= max(1, lo)) & (m <= hi)]
    return m if m.size else None


def _standardise(csum_m, m, n, ss, sq):
    """E, sqrt(V) and the absolute standardised statistic at split sizes ``m``."""
    e = m / n * ss
    v = m * (n - m) / (n**2 * (n - 1.0)) * (n * sq - ss**2)
    sd = np.sqrt(v)
    return e, sd, np.abs((csum_m - e) / sd)


def p_lausen92(b: float, min_prop: float, max_prop: float) -> float:
    """``maxstat:::pLausen92`` (Miller–Siegmund approximation; 1 for b < 1)."""
    if b < 1:
        return 1.0
    db = stats.norm.pdf(b)
    p = 4 * db / b + db * (b - 1 / b) * np.log(max_prop * (1 - min_prop) / ((1 - max_prop) * min_prop))
    return float(min(max(p, 0.0), 1.0))


def p_lausen94(b: float, n: int, m: np.ndarray) -> float:
    """``maxstat:::pLausen94`` (improved Bonferroni over the candidate splits ``m``).

    ``2·(1 − Φ(b))`` is computed with the normal survival function; R's
    ``1 − (pnorm(b) − pnorm(−b))`` loses every digit below ~1e-16 to cancellation.
    The result is capped at 1 (R's formula can exceed 1 for small b). It is *not* floored
    here: for a large statistic the correction term turns negative and the raw bound can fall
    below the unadjusted p-value (even below 0); :func:`optimal_cutpoint` then reports the
    floor ``2·(1 − Φ(b))`` with a warning (see :func:`_lau94_floored`).
    """
    m = np.asarray(m, dtype=float)
    if m.size <= 1:
        d = 0.0
    else:
        m1, m2 = m[:-1], m[1:]
        t = np.sqrt(1 - m1 * (n - m2) / ((n - m1) * m2))
        d = float(np.sum(1 / np.pi * np.exp(-(b**2) / 2) * (t - (b**2 / 4 - 1) * t**3 / 6)))
    return float(min(2 * stats.norm.sf(b) + d, 1.0))


def _lau94_floored(b: float, n: int, m: np.ndarray) -> tuple[float, str]:
    """Lau94 p-value clipped to [unadjusted p, 1], and a note when the floor was used.

    The adjusted p-value of a search over cut-points is at least the unadjusted p-value of
    any single cut-point, ``2·(1 − Φ(b))``; a bound below it (R's maxstat reports such
    values, even negative ones, for large statistics) carries no information, so the floor is
    reported instead and the note says so.
    """
    raw = p_lausen94(b, n, m)
    floor = float(2 * stats.norm.sf(b))
    if raw >= floor:
        return raw, ""
    return floor, (
        f"the Lau94 bound ({raw:.3g}) fell below the unadjusted p-value for a statistic of "
        f"{b:.2f}, where the bound carries no information; the unadjusted p-value {floor:.3g} "
        "is reported as a floor (the adjusted p-value is at least this large) — use "
        "p_method='permutation' for an estimate.")


def _quantile(pfun, alpha: float) -> float:
    """Critical value b with pfun(b) = alpha (R's qLausen9x, by root finding on [0.5, 10])."""
    f = lambda b: pfun(b) - alpha  # noqa: E731
    lo = 1.0
    if f(lo) <= 0:  # pragma: no cover - alpha larger than the p-value at b = 1
        return float("nan")
    return float(optimize.brentq(f, lo, 10.0, xtol=1e-12))


def _perm_max(scores, m, e, sd, n_perm, rng, chunk_cells=2_000_000):
    """Permutation distribution of the maximal statistic (maxstat ``condMC``), vectorised."""
    n = scores.size
    chunk = max(1, min(n_perm, chunk_cells // max(n, 1)))
    out = np.empty(n_perm)
    done = 0
    while done < n_perm:
        b = min(chunk, n_perm - done)
        arr = np.tile(scores, (b, 1))
        rng.permuted(arr, axis=1, out=arr)
        cs = np.cumsum(arr, axis=1)[:, m - 1]
        out[done : done + b] = np.max(np.abs((cs - e) / sd), axis=1)
        done += b
    return out


@dataclasses.dataclass(frozen=True)
class _Scan:
    cuts: np.ndarray
    m: np.ndarray
    stat: np.ndarray
    e: np.ndarray
    sd: np.ndarray
    scores: np.ndarray
    best: int
    n: int


def _scan(x, time, event, min_prop, max_prop, *, marker_col="marker") -> _Scan:
    """Scores, candidate splits and statistics; raise DataValidationError if impossible."""
    n = x.size
    if n < 3:
        raise DataValidationError(
            f"only {n} rows; a cut-point search on marker_col {marker_col!r} needs at least 3."
        )
    scores = logrank_scores(time, event)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], scores[order]
    if xs[0] == xs[-1]:
        raise DataValidationError(
            f"marker_col {marker_col!r} is constant (every value is {xs[0]:g}); there is no "
            "cut-point to search — check the column."
        )
    m = _candidates(xs, min_prop, max_prop)
    if m is None:
        n_distinct = int(np.unique(xs).size)
        raise DataValidationError(
            f"marker_col {marker_col!r} has no cut-point leaving between "
            f"{min_prop:g} and {max_prop:g} of the {n} patients in the lower group "
            f"({n_distinct} distinct values; the most frequent value holds "
            f"{np.max(np.unique(xs, return_counts=True)[1])} rows). Use a smaller min_prop "
            "(or a larger max_prop), or analyse the marker with a pre-specified threshold."
        )
    ss, sq = float(ys.sum()), float(np.sum(ys**2))
    if not np.any(event):
        raise DataValidationError(
            "event_col has no events; the log-rank statistic of every cut-point is undefined "
            "(check the event coding: 1 = event, 0 = censored)."
        )
    csum = np.cumsum(ys)
    e, sd, st = _standardise(csum[m - 1], m.astype(float), float(n), ss, sq)
    best = int(np.flatnonzero(st == np.max(st))[0])
    return _Scan(xs[m - 1], m, st, e, sd, ys, best, n)


# =========================================================================== results
@result
class CutpointResult(Result):
    """Maximally selected log-rank statistic and its cut-point (see :func:`optimal_cutpoint`)."""

    _title: ClassVar[str] = "Optimal cut-point (maximally selected log-rank statistic)"
    _main_table: ClassVar[str] = "scan"

    cutpoint: float
    statistic: float
    p_value: float
    p_value_unadjusted: float
    p_method: str
    critical_value: float
    conf_level: float
    min_prop: float
    max_prop: float
    n_low: int
    n_high: int
    n_events: int
    n_perm: int
    marker_col: str
    scan: pd.DataFrame
    inference_note: str = INFERENCE_NOTE
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, *,
             clinical_thresholds: Sequence[float] = (1, 3, 5)) -> Axes:
        """Statistic over candidate cut-points, the chosen cut and pre-specified thresholds.

        See :func:`ctcstats.plotting.cutpoints.plot_cutpoint_scan`.
        """
        from .plotting.cutpoints import plot_cutpoint_scan

        return plot_cutpoint_scan(self, ax=ax, clinical_thresholds=clinical_thresholds)


@result
class CutpointStabilityResult(Result):
    """Bootstrap distribution of the chosen cut-point (see :func:`cutpoint_stability`)."""

    _title: ClassVar[str] = "Cut-point stability (bootstrap)"

    table: pd.DataFrame
    replicates: pd.DataFrame
    original_cutpoint: float
    proportion_original: float
    n_boot: int
    n_failed: int
    marker_col: str
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bar chart of how often each cut-point was selected
        (:func:`ctcstats.plotting.cutpoints.plot_cutpoint_stability`)."""
        from .plotting.cutpoints import plot_cutpoint_stability

        return plot_cutpoint_stability(self, ax=ax)


@result
class CutpointValidationResult(Result):
    """Split-sample or cross-validated confirmation of a cut-point (:func:`validate_cutpoint`)."""

    _title: ClassVar[str] = "Cut-point validation"

    method: str
    cutpoint: float
    statistic: float
    df: float
    p_value: float
    table: pd.DataFrame
    folds: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


# =========================================================================== validation
def _check_props(min_prop, max_prop, func):
    lo = check_real(min_prop, name="min_prop", func=func, low=0, high=1,
                    low_inclusive=False, high_inclusive=False)
    hi = check_real(max_prop, name="max_prop", func=func, low=0, high=1,
                    low_inclusive=False, high_inclusive=False)
    if lo >= hi:
        raise ParameterError(
            f"The 'min_prop' parameter of {func} must be smaller than 'max_prop'; got "
            f"min_prop={min_prop!r}, max_prop={max_prop!r}."
        )
    return lo, hi


def _prepare(data, func, marker_col, time_col, event_col, missing):
    prep = prepare_frame(
        data, func=func, missing=missing,
        roles={"marker_col": marker_col, "time_col": time_col, "event_col": event_col},
        canonical=True,  # results are not per row: bitwise independent of row order
    )
    f = prep.frame
    x = check_numeric_column(f, marker_col, role="marker_col")
    merged = merge_times(check_time_column(f, time_col))
    ev = check_event_column(f, event_col).astype(float)
    return prep, x, merged.time, ev, merge_message(merged.n_merged, time_col)


def _warn(msg: str, caught: list[str], cls=SmallSampleWarning, stacklevel: int = 3) -> None:
    _warnings.warn(msg, cls, stacklevel=stacklevel)
    caught.append(msg)


# =========================================================================== optimal_cutpoint
def optimal_cutpoint(
    data: pd.DataFrame,
    *,
    marker_col: str,
    time_col: str,
    event_col: str,
    min_prop: float = 0.1,
    max_prop: float = 0.9,
    p_method: Literal["lau94", "lau92", "permutation"] = "lau94",
    n_perm: int = 10000,
    conf_level: float = 0.95,
    rng: RandomState = None,
    missing: Literal["raise", "drop"] = "raise",
) -> CutpointResult:
    """Cut-point of a marker that maximises the standardised log-rank statistic.

    Matches R ``maxstat::maxstat.test(Surv(time, event) ~ marker, data, smethod = "LogRank",
    pmethod = "Lau94" | "Lau92" | "condMC", minprop, maxprop)``: the same log-rank scores
    (``exactRankTests::cscores``, including its handling of tied times), the same candidate
    cut-points and statistic, and the same p-value formulas.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    marker_col : str
        Numeric marker (e.g. a CTC count); ties are expected and handled as maxstat does.
    time_col, event_col : str
        Follow-up time (≥ 0) and event indicator (1 = event, 0 = censored).
    min_prop, max_prop : float
        Smallest and largest proportion of patients allowed in the lower group
        (``0 < min_prop < max_prop < 1``; R's ``minprop``, ``maxprop``).
    p_method : {"lau94", "lau92", "permutation"}
        Correction of the p-value for the search over cut-points: Lausen, Sauerbrei &
        Schumacher (1994) improved Bonferroni bound (R ``"Lau94"``), Lausen & Schumacher
        (1992) asymptotic approximation (R ``"Lau92"``), or the conditional Monte-Carlo
        permutation distribution of the maximal statistic (R ``"condMC"``, ``B = n_perm``).
        The permutation p-value is ``(b + 1) / (n_perm + 1)``, ``b`` the number of
        permutations whose maximal statistic strictly exceeds the observed one, so it is
        never 0 (Phipson & Smyth 2010); maxstat's ``condMC`` reports ``b / B``, which can be
        exactly 0 — the two differ by less than ``1 / n_perm``. The ``"lau94"`` bound is
        clipped to ``[2·(1 − Φ(statistic)), 1]``: where R's bound falls below the unadjusted
        p-value (large statistics; R can report a negative p-value) the floor is reported
        with a warning.
    n_perm : int
        Number of permutations for ``p_method="permutation"``.
    conf_level : float
        ``critical_value`` is the statistic's critical value at level ``1 − conf_level``
        under ``p_method`` (R's ``quant`` with ``alpha = 1 − conf_level``).
    rng : None, int or numpy Generator
        Seed for the permutations.
    missing : {"raise", "drop"}
        Missing values in the three columns raise (default) or drop the row.

    Returns
    -------
    CutpointResult
        ``cutpoint`` (patients with marker ≤ cutpoint form the low group), ``statistic``
        (maximal standardised log-rank statistic), ``p_value`` (corrected for the search),
        ``p_value_unadjusted`` (2·(1 − Φ(statistic)); **not valid inference**, see
        ``inference_note``), ``critical_value``, ``n_low``, ``n_high``, ``n_events``;
        ``scan`` has one row per candidate cut-point with columns ``cutpoint, statistic,
        n_low, n_high``.

    Raises
    ------
    DataValidationError
        Constant marker, no events, or no cut-point leaving ``min_prop``–``max_prop`` of the
        patients in the lower group (e.g. a zero-heavy count: use a smaller ``min_prop``).

    Notes
    -----
    A cut-point found this way overstates the marker's effect; its ordinary log-rank p-value
    is far too small (Altman et al. 1994). Use ``p_value``, check the cut-point's stability
    with :func:`cutpoint_stability` and confirm it with :func:`validate_cutpoint`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats.cutpoints as cp
    >>> rng = np.random.default_rng(1)
    >>> ctc = rng.poisson(rng.gamma(0.5, 4, 200))
    >>> t = rng.exponential(1 / (0.02 * np.exp(0.8 * (ctc >= 5))))
    >>> df = pd.DataFrame({"ctc": ctc, "months": np.minimum(t, 60), "death": (t < 60) * 1})
    >>> res = cp.optimal_cutpoint(df, marker_col="ctc", time_col="months", event_col="death")
    >>> bool(res.p_value >= res.p_value_unadjusted)
    True
    """
    func = "optimal_cutpoint"
    min_prop, max_prop = _check_props(min_prop, max_prop, func)
    check_choice(p_method, name="p_method", choices=("lau94", "lau92", "permutation"), func=func)
    n_perm = check_int(n_perm, name="n_perm", func=func, minimum=1)
    conf_level = check_conf_level(conf_level, func=func)
    gen = check_rng(rng, func=func)
    prep, x, t, ev, tie_note = _prepare(data, func, marker_col, time_col, event_col, missing)
    sc = _scan(x, t, ev, min_prop, max_prop, marker_col=marker_col)
    caught: list[str] = []
    if tie_note:
        _warn(tie_note, caught, DataWarning)
    n_events = int(ev.sum())
    if n_events < 10:
        _warn(f"only {n_events} events; the log-rank statistics and the asymptotic p-value "
              "corrections are unreliable (consider p_method='permutation').", caught)
    b = float(sc.stat[sc.best])
    alpha = 1.0 - conf_level
    n = sc.n
    if p_method == "lau92":
        p = p_lausen92(b, min_prop, max_prop)
        crit = _quantile(lambda z: p_lausen92(z, min_prop, max_prop), alpha)
    elif p_method == "lau94":
        p, floor_note = _lau94_floored(b, n, sc.m)
        if floor_note:
            _warn(floor_note, caught, DataWarning)
        crit = _quantile(lambda z: p_lausen94(z, n, sc.m), alpha)
    else:
        dist = _perm_max(sc.scores, sc.m, sc.e, sc.sd, n_perm, gen)
        # maxstat condMC counts permuted maxima strictly greater than the observed statistic;
        # the relative guard treats values equal up to summation-order noise as equal. The
        # observed data count as one permutation: (b + 1) / (B + 1), never 0 (Phipson &
        # Smyth 2010); maxstat's b / B differs by less than 1 / B.
        p = float((np.sum(dist > b * (1 + 1e-10)) + 1) / (n_perm + 1))
        crit = float(np.quantile(dist, conf_level, method="higher"))
    scan = pd.DataFrame({
        "cutpoint": sc.cuts.astype(float), "statistic": sc.stat,
        "n_low": sc.m.astype(np.int64), "n_high": (n - sc.m).astype(np.int64),
    })
    return CutpointResult(
        cutpoint=float(sc.cuts[sc.best]), statistic=b, p_value=float(p),
        p_value_unadjusted=float(2 * stats.norm.sf(b)), p_method=p_method,
        critical_value=crit, conf_level=conf_level, min_prop=min_prop, max_prop=max_prop,
        n_low=int(sc.m[sc.best]), n_high=int(n - sc.m[sc.best]), n_events=n_events,
        n_perm=n_perm if p_method == "permutation" else 0, marker_col=str(marker_col),
        scan=scan, n_obs=prep.n_obs, n_dropped=prep.n_dropped, warnings=tuple(caught),
    )


# =========================================================================== stability
def _canonical_order(x, t, ev):
    """Row order that depends only on the values, so seeded results ignore row order (the
    package's one rule, :func:`ctcstats._validation.canonical_order`: marker, time, event)."""
    return canonical_order(pd.DataFrame({"x": x, "t": t, "ev": ev}))


def _bootstrap_cuts(x, t, ev, weights, min_prop, max_prop):
    """Chosen cut-point and statistic for each row of multinomial ``weights`` (B × N).

    Equivalent to running the maxstat scan on each resampled data set (tested), but
    vectorised: scores come from weighted event counts per distinct time and the
    cumulative sums from weighted sums per distinct marker value.
    """
    n = float(x.size)
    w = weights.astype(float)
    # --- log-rank scores of each resample (ties share the largest rank, as irank)
    ot = np.argsort(t, kind="stable")
    ts = t[ot]
    tstart = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]])
    tgroup = np.empty(x.size, dtype=np.intp)
    tgroup[ot] = np.cumsum(np.r_[True, ts[1:] != ts[:-1]]) - 1
    wt = np.add.reduceat(w[:, ot], tstart, axis=1)
    dt = np.add.reduceat((w * ev)[:, ot], tstart, axis=1)
    r = np.cumsum(wt, axis=1)
    h = np.cumsum(dt / (n - r + 1.0), axis=1)
    score = ev[None, :] - h[:, tgroup]  # B × N
    # --- cumulative sums over distinct marker values
    ox = np.argsort(x, kind="stable")
    xs = x[ox]
    xstart = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ux = xs[xstart]
    wx = np.add.reduceat(w[:, ox], xstart, axis=1)
    sx = np.add.reduceat((w * score)[:, ox], xstart, axis=1)
    qx = np.add.reduceat((w * score**2)[:, ox], xstart, axis=1)
    mm = np.cumsum(wx, axis=1)
    cs = np.cumsum(sx, axis=1)
    ss, sq = cs[:, -1:], qx.sum(axis=1, keepdims=True)
    lo, hi = max(1, int(np.floor(n * min_prop))), int(np.floor(n * max_prop))
    valid = (wx > 0) & (mm < n) & (mm >= lo) & (mm <= hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        _, _, st = _standardise(cs, mm, n, ss, sq)
    st = np.where(valid & np.isfinite(st), st, -np.inf)
    best = np.argmax(st, axis=1)
    stat = st[np.arange(st.shape[0]), best]
    ok = np.isfinite(stat)
    return np.where(ok, ux[best], np.nan), np.where(ok, stat, np.nan)


def cutpoint_stability(
    data: pd.DataFrame,
    *,
    marker_col: str,
    time_col: str,
    event_col: str,
    n_boot: int = 200,
    min_prop: float = 0.1,
    max_prop: float = 0.9,
    rng: RandomState = None,
    missing: Literal["raise", "drop"] = "raise",
) -> CutpointStabilityResult:
    """Bootstrap distribution of the maximally selected log-rank cut-point.

    Each of ``n_boot`` resamples (patients drawn with replacement) is scanned exactly as
    :func:`optimal_cutpoint` scans the data (maxstat's scores and candidates); the selected
    cut-points are tabulated. An unstable cut-point (selected in few resamples) is a warning
    sign that the "optimal" threshold is noise (Hollander et al. 2004).

    Parameters
    ----------
    data : DataFrame
    marker_col, time_col, event_col : str
        As in :func:`optimal_cutpoint`.
    n_boot : int
        Number of bootstrap resamples.
    min_prop, max_prop : float
        Allowed proportion of patients in the lower group, per resample.
    rng : None, int or numpy Generator
        Seed of the resampling; results do not depend on the row order of ``data``.
    missing : {"raise", "drop"}

    Returns
    -------
    CutpointStabilityResult
        ``table`` (columns ``cutpoint, n_selected, proportion``: every candidate cut-point of
        the original data plus any other value selected in a resample; ``proportion`` is
        ``n_selected / (n_boot − n_failed)``), ``replicates`` (``replicate, cutpoint,
        statistic``; NaN where a resample had no admissible cut-point or no event),
        ``original_cutpoint``, ``proportion_original`` (share of resamples choosing it),
        ``n_boot``, ``n_failed``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats.cutpoints as cp
    >>> rng = np.random.default_rng(2)
    >>> ctc = rng.poisson(rng.gamma(0.5, 4, 150))
    >>> t = rng.exponential(1 / (0.02 * np.exp(0.8 * (ctc >= 5))))
    >>> df = pd.DataFrame({"ctc": ctc, "months": np.minimum(t, 60), "death": (t < 60) * 1})
    >>> st = cp.cutpoint_stability(df, marker_col="ctc", time_col="months",
    ...                            event_col="death", n_boot=100, rng=3)
    >>> round(float(st.table["proportion"].sum()), 6)
    1.0
    """
    func = "cutpoint_stability"
    min_prop, max_prop = _check_props(min_prop, max_prop, func)
    n_boot = check_int(n_boot, name="n_boot", func=func, minimum=1)
    gen = check_rng(rng, func=func)
    prep, x, t, ev, tie_note = _prepare(data, func, marker_col, time_col, event_col, missing)
    orig = _scan(x, t, ev, min_prop, max_prop, marker_col=marker_col)
    o = _canonical_order(x, t, ev)
    x, t, ev = x[o], t[o], ev[o]
    n = x.size
    cuts = np.empty(n_boot)
    stat = np.empty(n_boot)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = gen.integers(0, n, size=(b, n))
        w = np.zeros((b, n))
        np.add.at(w, (np.repeat(np.arange(b), n), idx.ravel()), 1.0)
        cuts[start : start + b], stat[start : start + b] = _bootstrap_cuts(
            x, t, ev, w, min_prop, max_prop
        )
    caught: list[str] = []
    if tie_note:
        _warn(tie_note, caught, DataWarning)
    failed = ~np.isfinite(cuts)
    n_failed = int(failed.sum())
    if n_failed:
        _warn(f"{n_failed} of {n_boot} bootstrap resamples had no admissible cut-point (or no "
              "event) and are excluded from the proportions.", caught)
    if n_failed == n_boot:
        raise DataValidationError(
            f"no bootstrap resample of marker_col {marker_col!r} had an admissible cut-point; "
            "use a smaller min_prop."
        )
    values, counts = np.unique(cuts[~failed], return_counts=True)
    cand = np.union1d(orig.cuts.astype(float), values)
    n_sel = np.zeros(cand.size, dtype=np.int64)
    n_sel[np.searchsorted(cand, values)] = counts
    table = pd.DataFrame({"cutpoint": cand, "n_selected": n_sel,
                          "proportion": n_sel / (n_boot - n_failed)})
    original = float(orig.cuts[orig.best])
    reps = pd.DataFrame({"replicate": np.arange(1, n_boot + 1), "cutpoint": cuts,
                         "statistic": stat})
    prop_orig = float(table.loc[table["cutpoint"] == original, "proportion"].iloc[0])
    return CutpointStabilityResult(
        table=table, replicates=reps, original_cutpoint=original,
        proportion_original=prop_orig, n_boot=n_boot, n_failed=n_failed,
        marker_col=str(marker_col), n_obs=prep.n_obs, n_dropped=prep.n_dropped,
        warnings=tuple(caught),
    )


# =========================================================================== validation
def _logrank_2group(time, event, high):
    """Two-group log-rank test as ``survival::survdiff`` (hypergeometric variance): the
    observed and expected events per group (low, high) and the variance of O_high − E_high,
    from the package's log-rank engine."""
    obs, exp, var = logrank_arrays(time, event, high.astype(np.int64), 2)
    return np.asarray(obs, float), np.asarray(exp, float), float(np.asarray(var)[1, 1])


def validate_cutpoint(
    data: pd.DataFrame,
    *,
    marker_col: str,
    time_col: str,
    event_col: str,
    method: Literal["split", "cv"] = "split",
    train_frac: float = 0.5,
    n_folds: int = 5,
    min_prop: float = 0.1,
    max_prop: float = 0.9,
    rng: RandomState = None,
    missing: Literal["raise", "drop"] = "raise",
) -> CutpointValidationResult:
    """Confirm a data-driven cut-point on data not used to choose it.

    ``method="split"``: the cut-point is chosen (maximally selected log-rank statistic, as
    :func:`optimal_cutpoint`) on a random ``train_frac`` of the patients and tested with an
    ordinary two-group log-rank test (``survival::survdiff``) on the others.
    ``method="cv"``: ``n_folds``-fold cross-validation in the style of Faraggi & Simon (1996):
    each fold's patients are classified by the cut-point chosen on the other folds, and one
    log-rank test is done on the pooled classification of all patients.

    Parameters
    ----------
    data : DataFrame
    marker_col, time_col, event_col : str
    method : {"split", "cv"}
    train_frac : float
        Share of patients in the training half (``method="split"``), in (0, 1).
    n_folds : int
        Number of folds (``method="cv"``), ≥ 2.
    min_prop, max_prop : float
        As in :func:`optimal_cutpoint`, applied to each training set.
    rng : None, int or numpy Generator
        Seed of the random split; results do not depend on the row order of ``data``.
    missing : {"raise", "drop"}

    Returns
    -------
    CutpointValidationResult
        ``statistic`` (log-rank chi-square on the test patients, 1 df), ``df``, ``p_value``;
        ``cutpoint`` (the training cut-point for ``"split"``; the median of the fold
        cut-points for ``"cv"``); ``table`` with columns ``group, n, observed, expected``
        (groups ``"low"`` = marker ≤ cut-point, ``"high"``); ``folds`` with columns ``fold,
        cutpoint, n_train, n_test, n_test_high``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats.cutpoints as cp
    >>> rng = np.random.default_rng(4)
    >>> ctc = rng.poisson(rng.gamma(0.5, 4, 300))
    >>> t = rng.exponential(1 / (0.02 * np.exp(0.8 * (ctc >= 5))))
    >>> df = pd.DataFrame({"ctc": ctc, "months": np.minimum(t, 60), "death": (t < 60) * 1})
    >>> v = cp.validate_cutpoint(df, marker_col="ctc", time_col="months",
    ...                          event_col="death", method="cv", rng=5)
    >>> list(v.table["group"])
    ['low', 'high']
    """
    func = "validate_cutpoint"
    check_choice(method, name="method", choices=("split", "cv"), func=func)
    min_prop, max_prop = _check_props(min_prop, max_prop, func)
    train_frac = check_real(train_frac, name="train_frac", func=func, low=0, high=1,
                            low_inclusive=False, high_inclusive=False)
    n_folds = check_int(n_folds, name="n_folds", func=func, minimum=2)
    gen = check_rng(rng, func=func)
    prep, x, t, ev, tie_note = _prepare(data, func, marker_col, time_col, event_col, missing)
    o = _canonical_order(x, t, ev)
    x, t, ev = x[o], t[o], ev[o]
    n = x.size
    perm = gen.permutation(n)
    if method == "split":
        n_train = int(np.floor(n * train_frac))
        if n_train < 3 or n - n_train < 2:
            raise DataValidationError(
                f"train_frac={train_frac:g} of {n} rows leaves {n_train} training and "
                f"{n - n_train} test patients; use more data or a different train_frac."
            )
        fold_of = np.ones(n, dtype=np.int64)
        fold_of[perm[:n_train]] = 0  # 0 = training only; 1 = test fold
        folds = [1]
    else:
        if n_folds > n // 2:
            raise ParameterError(
                f"The 'n_folds' parameter of {func} must be at most {n // 2} for {n} rows; "
                f"got {n_folds}."
            )
        fold_of = np.empty(n, dtype=np.int64)
        fold_of[perm] = np.arange(n) % n_folds + 1
        folds = list(range(1, n_folds + 1))
    high = np.zeros(n, dtype=bool)
    tested = np.zeros(n, dtype=bool)
    rows = []
    for k in folds:
        test = fold_of == k
        train = ~test if method == "cv" else fold_of == 0
        try:
            sc = _scan(x[train], t[train], ev[train], min_prop, max_prop,
                       marker_col=marker_col)
        except DataValidationError as exc:
            raise DataValidationError(
                f"the training data of fold {k} has no usable cut-point: {exc}"
            ) from exc
        cut = float(sc.cuts[sc.best])
        high[test] = x[test] > cut
        tested |= test
        rows.append((k, cut, int(train.sum()), int(test.sum()), int(high[test].sum())))
    fold_tab = pd.DataFrame(rows, columns=["fold", "cutpoint", "n_train", "n_test",
                                           "n_test_high"])
    caught: list[str] = []
    if tie_note:
        _warn(tie_note, caught, DataWarning)
    tt, te, th = t[tested], ev[tested], high[tested]
    obs, exp, var = _logrank_2group(tt, te, th)
    if th.all() or not th.any() or var <= 0:
        _warn("the test patients all fall on one side of the cut-point (or have no events); "
              "the log-rank test is undefined.", caught)
        chisq, p = float("nan"), float("nan")
    else:
        chisq = float((obs[1] - exp[1]) ** 2 / var)
        p = float(stats.chi2.sf(chisq, 1))
    table = pd.DataFrame({"group": ["low", "high"],
                          "n": [int((~th).sum()), int(th.sum())],
                          "observed": obs, "expected": exp})
    cut = float(fold_tab["cutpoint"].iloc[0]) if method == "split" else float(
        np.median(fold_tab["cutpoint"]))
    return CutpointValidationResult(
        method=method, cutpoint=cut, statistic=chisq, df=1.0, p_value=p, table=table,
        folds=fold_tab, n_obs=prep.n_obs, n_dropped=prep.n_dropped, warnings=tuple(caught),
    )
