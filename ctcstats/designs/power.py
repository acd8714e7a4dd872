"""Power and sample size: by simulation from a design, and the closed forms.

* :func:`simulate_power` — simulate ``n_sim`` cohorts of a design (registered key, a
  :class:`~ctcstats.designs.registry.StudyDesign` such as a user's TOML file, or a simulator
  function), run the design's published analysis on each (log-rank, Cox adjusted or not,
  stratified by study for pooled designs, restricted to a window for piecewise effects, or a
  landmark analysis from a serial draw) with the batch engine (:mod:`ctcstats.batch`), and
  report the rejection rate with its exact binomial confidence interval.
* :func:`sample_size` — the smallest n whose simulated power reaches a target;
  :func:`power_curve` — power over a grid of n (``.plot()``).
* Closed forms: :func:`schoenfeld_events`, :func:`schoenfeld_power`, :func:`freedman_events`,
  :func:`event_probability`, :func:`expected_events`.

Reproducibility: one :class:`numpy.random.SeedSequence` is drawn from ``rng`` and spawned into
one child per replicate; each chunk makes its replicates' children (``_seeds``), so the
same seed gives the same cohorts whatever ``n_jobs``, the dask cluster or the chunk size, and
— for the same chunks — the same replicates to the last bit (a different chunk size can at
most move the fits in their last digits, where the batch engine iterates a chunk's replicates
together). The default chunks do not depend on the workers.

Speed: for baseline analyses of designs without serial draws, a chunk's cohorts are simulated
together (:mod:`ctcstats.designs.simulate_chunk`, :mod:`ctcstats.designs.power_chunk`); each
cohort and its analysis arrays equal the one-cohort path (``simulate_cohort``) bit for bit.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._results import Result, result
from .._typing import DaskClient
from .._validation import check_choice, check_int, check_real, check_rng
from ..errors import ConvergenceWarning, DataValidationError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .registry import StudyDesign

__all__ = [
    "PowerAnalysis",
    "PowerResult",
    "PowerCurveResult",
    "SampleSizeResult",
    "power_analysis",
    "simulate_power",
    "sample_size",
    "power_curve",
    "schoenfeld_events",
    "schoenfeld_power",
    "freedman_events",
    "event_probability",
    "expected_events",
]

_REPLICATE_COLUMNS = ["replicate", "log_hr", "std_error", "p_value", "n_events", "n_patients",
                      "prevalence", "converged", "monotone"]


from .formulas import (  # noqa: E402  (closed forms, re-exported here)
    event_probability,
    expected_events,
    freedman_events,
    schoenfeld_events,
    schoenfeld_power,
)


@dataclass(frozen=True, kw_only=True, repr=False)
class PowerAnalysis(Result):
    """The analysis run on every simulated cohort (build with :func:`power_analysis`).

    ``test`` is ``"cox"`` (Wald test of the marker term; adjusted for ``covariates`` and
    stratified by ``strata`` when given) or ``"logrank"`` (stratified when ``strata``).
    For designs: ``endpoint`` (e.g. ``"os"``), ``grouping``/``group``/``reference``/``draw``
    as in :class:`~ctcstats.designs.registry.PublishedResult` (``group`` is compared with
    ``reference``, or with every other patient when ``reference`` is None),
    ``time_origin="draw"`` for a landmark analysis from a serial draw, ``window`` (months)
    for a period-specific (piecewise) effect. For simulator functions: ``time_col``,
    ``event_col``, ``group_col`` (0/1, or labels compared as ``group`` vs ``reference``).

    It shares the result base (``to_dict()``, ``str``, ``_repr_html_``, ``warnings``), but it
    describes an analysis, not data: it has no table and no ``n_obs``. Unlike results it
    compares by value (two equal specifications are ``==``).
    """

    _title: ClassVar[str] = "Power analysis"

    test: str = "cox"
    endpoint: str | None = None
    grouping: str = "marker"
    group: str = "positive"
    reference: str | None = "negative"
    draw: int = 0
    time_origin: str = "baseline"
    window: tuple[float, float] | None = None
    covariates: tuple[str, ...] = ()
    strata: str | None = None
    time_col: str | None = None
    event_col: str | None = None
    group_col: str | None = None
    result_id: str | None = None
    warnings: tuple[str, ...] = ()

    def _summary_items(self) -> list[tuple[str, Any]]:
        return [("analysis", self.describe()), *super()._summary_items()]

    def describe(self) -> str:
        what = "log-rank test" if self.test == "logrank" else "Cox Wald test"
        bits = [what]
        if self.endpoint:
            bits.append(f"of {self.endpoint}")
        ref = self.reference if self.reference is not None else "the rest"
        bits.append(f"({self.grouping} {self.group} vs {ref})")
        if self.covariates:
            bits.append("adjusted for " + ", ".join(self.covariates))
        if self.strata:
            bits.append(f"stratified by {self.strata}")
        if self.window is not None:
            bits.append(f"in months {self.window[0]:g}–{self.window[1]:g}")
        if self.time_origin == "draw":
            bits.append(f"landmark at draw {self.draw}")
        if self.result_id:
            bits.append(f"[design result {self.result_id}]")
        return " ".join(bits)


_HR_KINDS = ("hr_univariable", "hr_multivariable", "rate_ratio_univariable")
_SURV_KINDS = ("median", "median_lower_bound", "survival_at")


def _default_reference(grouping: str, group: str) -> str | None:
    if grouping in ("marker", "draw"):
        return {"positive": "negative", "negative": "positive"}.get(group)
    if grouping == "conversion" and "->" in group:
        a, b = group.split("->")
        return f"{a}->{'negative' if b == 'positive' else 'positive'}"
    return None


def power_analysis(design: str | StudyDesign, result: str | None = None, *, test: str | None = None,
                   **overrides: Any) -> PowerAnalysis:
    """The analysis a design's power is simulated for.

    ``result`` names one of the design's published results (see ``design.results``); by
    default the first hazard-ratio result, else the first median/survival comparison. Its
    endpoint, grouping, window, time origin (landmark), adjustment covariates and strata are
    used; the test is Cox for hazard ratios and log-rank for medians/survival comparisons
    unless ``test`` says otherwise. ``overrides`` replace any :class:`PowerAnalysis` field.

    Examples
    --------
    >>> from ctcstats.designs.power import power_analysis
    >>> power_analysis("janni2016").describe()[:30]
    'Cox Wald test of dfs (marker p'
    """
    from .registry import resolve_design

    func = "power_analysis"
    d = resolve_design(design)
    cands = [r for r in d.results if r.simulated and r.endpoint is not None]
    if result is None:
        chosen = next((r for r in cands if r.kind in _HR_KINDS and r.kind != "rate_ratio_"
                       "univariable"), None) or next(
            (r for r in cands if r.kind in _SURV_KINDS and r.grouping != "all"), None)
        if chosen is None:
            raise DataValidationError(f"design {d.key!r} has no survival comparison to power; "
                                      "pass result= or a PowerAnalysis.")
    else:
        ids = [r.id for r in cands]
        if result not in ids:
            raise ParameterError(f"The 'result' parameter of {func} must be one of the "
                                 f"design's survival results {ids}; got {result!r}.")
        chosen = d.result(result)
    group = chosen.group or "positive"
    ref = chosen.reference if chosen.reference is not None else \
        _default_reference(chosen.grouping, group)
    if chosen.grouping in ("marker", "draw") and group == "negative":
        group, ref = "positive", "negative"  # the marker-positive group is compared
    default_test = "cox" if chosen.kind in _HR_KINDS else "logrank"
    a = PowerAnalysis(
        test=test or default_test, endpoint=chosen.endpoint, grouping=chosen.grouping,
        group=group, reference=ref, draw=chosen.draw, time_origin=chosen.time_origin,
        window=chosen.window, covariates=tuple(chosen.covariates), strata=chosen.strata,
        result_id=chosen.id,
    )
    a = dataclasses.replace(a, **overrides) if overrides else a
    check_choice(a.test, name="test", choices=("cox", "logrank"), func=func)
    return a


def _resolve(design, analysis, test, func):
    """(design object or callable, PowerAnalysis, key for display)."""
    if callable(design) and not hasattr(design, "results"):
        if not isinstance(analysis, PowerAnalysis) or not (analysis.time_col and
                                                           analysis.event_col and
                                                           analysis.group_col):
            raise ParameterError(
                f"The 'analysis' parameter of {func} must be a PowerAnalysis with time_col, "
                "event_col and group_col when the design is a simulator function.")
        if test is not None:
            analysis = dataclasses.replace(analysis, test=test)
        name = getattr(design, "__name__", "simulator")
        return design, analysis, name
    from .registry import StudyDesign, resolve_design

    if not isinstance(design, (str, StudyDesign)):
        raise ParameterError(f"The 'design' parameter of {func} must be a registry key, a "
                             f"StudyDesign or a simulator function; got {design!r}.")
    d = resolve_design(design)
    if analysis is None or isinstance(analysis, str):
        analysis = power_analysis(d, analysis, test=test)
    elif isinstance(analysis, PowerAnalysis):
        if test is not None:
            analysis = dataclasses.replace(analysis, test=test)
    else:
        raise ParameterError(f"The 'analysis' parameter of {func} must be None, a result id or "
                             f"a PowerAnalysis; got {analysis!r}.")
    check_choice(analysis.test, name="test", choices=("cox", "logrank"), func=func)
    return d, analysis, d.key


# =========================================================================== one chunk
def _published_like(d, a: PowerAnalysis):
    from .registry import PublishedResult

    return PublishedResult(
        id=a.result_id or "power", kind="hr_univariable", value=1.0, status="assumption",
        endpoint=a.endpoint, grouping=a.grouping, group=a.group, reference=a.reference,
        draw=a.draw, time_origin=a.time_origin, window=a.window, covariates=a.covariates,
        strata=a.strata,
    )


def _arrays(frame: pd.DataFrame, grp: np.ndarray, a: PowerAnalysis, time, event, strata,
            levels: Sequence[str] = ()):
    """(time, event, X with the marker first, strata codes, prevalence) of one replicate.

    ``levels`` (count categories) makes one indicator per non-reference level, the analysed
    ``group`` first, as the published category models do; otherwise the rows of ``group``
    and ``reference`` (all rows when ``reference`` is None) and one indicator.
    """
    groups = a.group.split("+")
    is_g = np.isin(grp, groups)
    if levels:
        keep = np.ones(grp.shape, dtype=bool)
    elif a.reference is not None:
        keep = np.isin(grp, a.reference.split("+")) | is_g
    else:
        keep = np.ones(grp.shape, dtype=bool)
    cols = [is_g[keep].astype(float)]
    cols += [(grp[keep] == lev).astype(float) for lev in levels
             if lev not in groups and lev != a.reference]
    for c in a.covariates:
        cols.append(np.asarray(frame[c], dtype=float)[keep])
    s = None if strata is None else pd.factorize(strata[keep], sort=True)[0]
    prev = float(is_g[keep].mean()) if keep.any() else np.nan
    return time[keep], event[keep], np.column_stack(cols), s, prev


def _fast_frame(design, a: PowerAnalysis, patients):
    """The columns :func:`~ctcstats.designs.calibrate.analysis_frame` builds, for baseline
    analyses (no draws), without assembling a DataFrame (it dominates small simulations).

    ``patients`` is the patient table or the mapping of its columns (numpy arrays) that the
    simulator builds it from; the covariates come back as such a mapping.
    """
    from .power_chunk import analysis_window
    from .simulate import category_labels

    pre = design.marker_prefix
    if a.grouping == "marker":
        grp = np.where(np.asarray(patients[f"{pre}_positive"]) == 1, "positive", "negative")
    elif a.grouping == "category":
        cats = np.asarray(design.marker.categories)
        idx = np.searchsorted(cats, np.asarray(patients[f"{pre}_count"]), side="right") - 1
        grp = np.asarray(category_labels(cats), dtype=object)[idx]
    else:  # arm
        grp = np.asarray(patients["arm"], dtype=object)
    t, ev, keep = analysis_window(np.asarray(patients[f"{a.endpoint}_months"], dtype=float),
                                  np.asarray(patients[f"{a.endpoint}_event"]), a.window)
    sub = {c: np.asarray(patients[c])[keep] for c in a.covariates}
    strata = np.asarray(patients[a.strata])[keep] if a.strata else None
    return sub, grp[keep], t[keep], ev[keep].astype(bool), strata


def _one_replicate(design, a: PowerAnalysis, n: int, seed) -> tuple:
    g = np.random.default_rng(seed)
    if callable(design) and not hasattr(design, "results"):
        df = design(n, g)
        col = df[a.group_col]
        if pd.api.types.is_bool_dtype(col) or (pd.api.types.is_numeric_dtype(col)
                                               and set(np.unique(col)) <= {0, 1}):
            grp = np.where(col.to_numpy().astype(bool), "positive", "negative")
        else:
            grp = col.to_numpy().astype(str)
        strata = None if a.strata is None else df[a.strata].to_numpy()
        return _arrays(df, grp, a, df[a.time_col].to_numpy(float),
                       df[a.event_col].to_numpy().astype(bool), strata)
    from .calibrate import analysis_frame
    from .simulate import category_labels, simulate_columns, simulate_study

    levels = category_labels(design.marker.categories) if a.grouping == "category" else ()
    if a.time_origin == "baseline" and a.grouping in ("marker", "category", "arm"):
        # the columns simulate_cohort(design, n=n, rng=g) would put in its frame (tested)
        patients, _ = simulate_columns(design, n, g)
        sub, grp, t, ev, strata = _fast_frame(design, a, patients)
        return _arrays(sub, grp, a, t, ev, strata, levels)
    sc = simulate_study(design, n=n, rng=g)
    frame = analysis_frame(design, _published_like(design, a), sc.data, sc.draws)
    strata = frame["strata"].to_numpy() if a.strata else None
    return _arrays(frame, frame["group"].to_numpy(), a, frame["time"].to_numpy(float),
                   frame["event"].to_numpy().astype(bool), strata, levels)


def _power_chunk(task: tuple, shared: tuple) -> dict[str, np.ndarray]:
    """Simulate and analyse one chunk of replicates (runs on a worker): ``task`` is (first
    replicate, number of replicates), ``shared`` (design, analysis, n, ties, the seed range
    of the run) — sent once per worker. The chunk makes its replicates' seeds itself."""
    from ..batch import batch_cox_arrays, batch_logrank_arrays
    from ._seeds import children
    from .power_chunk import chunk_fit_inputs, chunk_supported

    design, a, n, ties, seed_range = shared
    first, count = task
    seeds = children(seed_range, first, first + count)
    if chunk_supported(design, a):  # the whole chunk simulated together; same arrays
        # (R, n) arrays when every row is analysed (no per-replicate copies), else lists
        times, events, Xs, strata, prev = chunk_fit_inputs(design, a, n, seeds)
    else:
        reps = [_one_replicate(design, a, n, s) for s in seeds]
        times, events, Xs = [r[0] for r in reps], [r[1] for r in reps], [r[2] for r in reps]
        strata = None if a.strata is None else [r[3] for r in reps]
        prev = np.array([r[4] for r in reps])
    npat = np.array([len(t) for t in times])
    if a.test == "logrank":
        codes = [x[:, 0].astype(np.int64) for x in Xs]
        from ..batch._layout import pad_ragged

        R, t2, e2, _, s2, w2 = pad_ragged(times, events, None, strata, None, "simulate_power")
        g2 = np.zeros(t2.shape, dtype=np.int64)
        for i, c in enumerate(codes):
            g2[i, : c.size] = c
        lr = batch_logrank_arrays(t2, e2, g2, n_groups=2, strata=s2, weights=w2)
        log_hr, se, p = lr.log_hr, lr.std_error, lr.p_value
        conv = np.ones(len(times), dtype=bool)
        mono = (lr.observed == 0).any(axis=1)
        nev = lr.n_events
    else:
        cx = batch_cox_arrays(times, events, Xs, strata=strata, ties=ties)
        log_hr, se, p = cx.coef[:, 0], cx.std_error[:, 0], cx.p_value[:, 0]
        conv, mono, nev = cx.converged, cx.monotone, cx.n_events
    # plain arrays, not a DataFrame: cheap to send back from a worker and to join
    return {
        "replicate": np.arange(first, first + len(times)), "log_hr": log_hr, "std_error": se,
        "p_value": p, "n_events": nev.astype(np.int64), "n_patients": npat.astype(np.int64),
        "prevalence": prev, "converged": conv, "monotone": mono,
    }


# =========================================================================== results
@result
class PowerResult(Result):
    """Power by simulation (see :func:`simulate_power`).

    ``power`` is the fraction of replicates with ``p_value < alpha`` (two-sided), with the
    exact (Clopper–Pearson) ``conf_level`` interval ``ci_lower``–``ci_upper``. ``replicates``
    has one row per simulated cohort: ``replicate, log_hr, std_error, p_value, n_events,
    n_patients, prevalence, converged, monotone``.
    """

    _title: ClassVar[str] = "Power by simulation"
    _main_table: ClassVar[str] = "replicates"

    power: float
    ci_lower: float
    ci_upper: float
    replicates: pd.DataFrame
    design: str
    analysis: str
    test: str
    n: int
    n_sim: int
    alpha: float
    conf_level: float = 0.95
    mean_events: float
    mean_log_hr: float
    n_unusable: int = 0
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return []


@result
class PowerCurveResult(Result):
    """Simulated power over a grid of sample sizes (see :func:`power_curve`).

    ``table``: ``n, power, ci_lower, ci_upper, mean_events, mean_log_hr,
    schoenfeld_power`` (the closed form at the simulated mean events, log HR and prevalence).
    """

    _title: ClassVar[str] = "Power curve"

    table: pd.DataFrame
    design: str
    analysis: str
    n_sim: int
    alpha: float
    target_power: float | None = None
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Power against n with its confidence band (and the Schoenfeld curve)."""
        from ..plotting.power import plot_power_curve

        return plot_power_curve(self, ax=ax, **kwargs)


@result
class SampleSizeResult(Result):
    """Smallest n reaching a target power (see :func:`sample_size`); ``table`` lists every n
    evaluated (columns as :class:`PowerCurveResult`'s)."""

    _title: ClassVar[str] = "Sample size by simulation"

    n: int
    power: float
    ci_lower: float
    ci_upper: float
    target_power: float
    table: pd.DataFrame
    design: str
    analysis: str
    n_sim: int
    alpha: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The evaluated power curve with the target and the chosen n."""
        from ..plotting.power import plot_power_curve

        return plot_power_curve(self, ax=ax, **kwargs)


# =========================================================================== simulate_power
def _common(func, n_sim, alpha, n_jobs):
    n_sim = check_int(n_sim, name="n_sim", func=func, minimum=1)
    alpha = check_real(alpha, name="alpha", func=func, low=0.0, high=1.0,
                       low_inclusive=False, high_inclusive=False)
    check_int(n_jobs, name="n_jobs", func=func)
    return n_sim, alpha


def _seed_root(rng) -> np.random.SeedSequence:
    g = check_rng(rng)
    return np.random.SeedSequence(g.integers(0, 2**63 - 1, size=4).tolist())


def _seed_stream(rng):
    from ._seeds import SeedStream

    return SeedStream(_seed_root(rng))


def _run(d, a, n, n_sim, root, *, ties, n_jobs, client, progress, chunk_size, func):
    """The replicates table of ``n_sim`` replicates whose seeds are the next ``n_sim``
    children of ``root`` (a :class:`~._seeds.SeedStream`; made inside the chunks)."""
    from ..batch.parallel import run_chunks

    seed_range = root.take(n_sim)
    if chunk_size is None:
        # ≤ 200,000 patients (memory) and ≥ 32 chunks when there are enough replicates (so
        # that workers finish together), never below 8 cohorts (the simulator's blocks).
        # Not a function of the workers: the batch fits of a chunk iterate together, so the
        # same chunks give the same replicates to the last bit on any backend.
        chunk_size = int(np.clip(200_000 // max(n, 1), 1, 100))
        chunk_size = min(chunk_size, max(8, -(-n_sim // 32)))
    chunk_size = check_int(chunk_size, name="chunk_size", func=func, minimum=1)
    tasks = [(i, min(chunk_size, n_sim - i)) for i in range(0, n_sim, chunk_size)]
    parts = run_chunks(_power_chunk, tasks, n_jobs=n_jobs, client=client, progress=progress,
                       desc=f"power n={n}", caller=func, shared=(d, a, n, ties, seed_range))
    return pd.DataFrame({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})


def _summarise(reps: pd.DataFrame, alpha: float, conf_level: float = 0.95):
    p = reps["p_value"].to_numpy()
    k = int(np.sum(p < alpha))
    m = len(reps)
    ci = stats.binomtest(k, m).proportion_ci(conf_level, method="exact")
    usable = reps["converged"].to_numpy() & ~reps["monotone"].to_numpy() & np.isfinite(p)
    return k / m, float(ci.low), float(ci.high), int(m - usable.sum())


def _unusable_note(n_bad: int, m: int, func: str) -> list[str]:
    if n_bad == 0:
        return []
    return [f"{n_bad} of {m} replicates did not give a usable estimate (non-convergence, "
            "monotone likelihood — e.g. no events in a group — or an undefined test); they "
            "count as not rejecting. Too few events per cohort: increase n or follow-up "
            f"({func})."]


def simulate_power(
    design: str | Any | Callable,
    *,
    n: int | None = None,
    n_sim: int = 1000,
    alpha: float = 0.05,
    rng: int | np.random.Generator | None = None,
    n_jobs: int = 1,
    analysis: str | PowerAnalysis | None = None,
    test: Literal["cox", "logrank"] | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    client: DaskClient = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> PowerResult:
    """Power of a study by simulation: the rejection rate of its analysis over many cohorts.

    Each replicate simulates a cohort of ``n`` patients from the design
    (:func:`~ctcstats.designs.simulate.simulate_cohort`, with the design's prevalence,
    covariates, piecewise marker effects, accrual, follow-up and, for pooled designs, studies),
    runs the analysis and records the marker's log hazard ratio, standard error and p-value.
    The fits run in the batch engine (:func:`ctcstats.batch.batch_cox_arrays`,
    :func:`~ctcstats.batch.batch_logrank_arrays`): each equals ``fit_cox`` / ``logrank_test`` on that
    cohort.

    Parameters
    ----------
    design : str, StudyDesign or callable
        A registry key (``"braun2005"``), a design object (e.g. a user's file read with
        :func:`~ctcstats.designs.load_design_file`), or a function ``f(n, rng) -> DataFrame``
        simulating one cohort (then ``analysis`` must be a :class:`PowerAnalysis` naming its
        ``time_col``, ``event_col`` and ``group_col``).
    n : int, optional
        Patients per cohort; default the design's published size.
    n_sim : int, default 1000
        Number of simulated cohorts.
    alpha : float, default 0.05
        Two-sided significance level.
    rng : int, Generator or None
        Seed. The same seed gives the same replicates whatever ``n_jobs`` or ``client``
        (and the same cohorts whatever ``chunk_size``).
    n_jobs : int, default 1
        Worker processes (joblib); -1 uses every core.
    analysis : str or PowerAnalysis, optional
        A result id of the design (its published analysis: endpoint, covariates, strata,
        window, landmark) or a :class:`PowerAnalysis`; default :func:`power_analysis`'s choice.
    test : {"cox", "logrank"}, optional
        Override the analysis' test (Cox Wald test of the marker term, or log-rank).
    ties : {"efron", "breslow"}
        Tie handling of the Cox fits.
    client : dask.distributed.Client or str, optional
        Run the chunks on a dask cluster (a client or a scheduler address).
    progress : bool or None
        Progress bar; None shows it only on an interactive terminal.
    chunk_size : int, optional
        Replicates per task (default: at most 200,000 patients and 100 cohorts per chunk,
        and about n_sim / 32 but at least 8 cohorts, so that several workers stay busy);
        bounds the memory of each worker. The same chunks give bit-identical replicates
        on every backend; another chunk size can at most move the fits in their last
        digits (where the batch engine iterates the replicates of a chunk together).

    Returns
    -------
    PowerResult
        ``power``, ``ci_lower``, ``ci_upper`` (exact binomial 95% CI), ``replicates``
        (``replicate, log_hr, std_error, p_value, n_events, n_patients, prevalence,
        converged, monotone``), ``mean_events``, ``mean_log_hr``, ``n_unusable``, ``analysis``
        (in words), ``test``, ``n``, ``n_sim``, ``alpha``, ``warnings``.

    Warns
    -----
    ConvergenceWarning
        Some replicates gave no usable estimate (non-convergence or monotone likelihood);
        they count as not rejecting and are flagged in ``replicates``.

    See Also
    --------
    sample_size, power_curve, schoenfeld_events

    Examples
    --------
    >>> from ctcstats.designs import power as pw
    >>> res = pw.simulate_power("lucci2012", n_sim=50, rng=1)
    >>> 0.0 <= res.power <= 1.0, len(res.replicates)
    (True, 50)
    """
    func = "simulate_power"
    n_sim, alpha = _common(func, n_sim, alpha, n_jobs)
    check_choice(ties, name="ties", choices=("efron", "breslow"), func=func)
    d, a, key = _resolve(design, analysis, test, func)
    if n is None:
        if callable(d) and not hasattr(d, "results"):
            raise ParameterError(f"The 'n' parameter of {func} is required for a simulator "
                                 "function.")
        n = int(d.n.value)
    n = check_int(n, name="n", func=func, minimum=2)
    reps = _run(d, a, n, n_sim, _seed_stream(rng), ties=ties, n_jobs=n_jobs, client=client,
                progress=progress, chunk_size=chunk_size, func=func)
    power, lo, hi, bad = _summarise(reps, alpha)
    notes = _unusable_note(bad, n_sim, func)
    for m in notes:
        warnings.warn(m, ConvergenceWarning, stacklevel=2)
    ok = np.isfinite(reps["log_hr"].to_numpy())
    return PowerResult(
        power=power, ci_lower=lo, ci_upper=hi, replicates=reps[_REPLICATE_COLUMNS],
        design=key, analysis=a.describe(), test=a.test, n=n, n_sim=n_sim, alpha=alpha,
        mean_events=float(reps["n_events"].mean()),
        mean_log_hr=float(reps["log_hr"].to_numpy()[ok].mean()) if ok.any() else np.nan,
        n_unusable=bad, n_obs=n, warnings=tuple(notes),
    )


# =========================================================================== curves
def _curve_row(n, reps, alpha):
    power, lo, hi, bad = _summarise(reps, alpha)
    lhr = reps["log_hr"].to_numpy()
    ok = np.isfinite(lhr)
    mlhr = float(lhr[ok].mean()) if ok.any() else np.nan
    ev = float(reps["n_events"].mean())
    prev = float(np.nanmean(reps["prevalence"]))
    sp = np.nan
    if np.isfinite(mlhr) and mlhr != 0 and 0 < prev < 1:
        sp = schoenfeld_power(float(np.exp(mlhr)), events=ev, prevalence=prev, alpha=alpha)
    return dict(n=int(n), power=power, ci_lower=lo, ci_upper=hi, mean_events=ev,
                mean_log_hr=mlhr, schoenfeld_power=sp), bad


def power_curve(
    design: str | Any | Callable,
    *,
    n_grid: Sequence[int],
    n_sim: int = 1000,
    alpha: float = 0.05,
    rng: int | np.random.Generator | None = None,
    n_jobs: int = 1,
    analysis: str | PowerAnalysis | None = None,
    test: Literal["cox", "logrank"] | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    client: DaskClient = None,
    progress: bool | None = None,
) -> PowerCurveResult:
    """Simulated power at each n of ``n_grid`` (independent replicates at every n).

    Parameters are those of :func:`simulate_power`. Returns a :class:`PowerCurveResult`
    whose ``table`` has ``n, power, ci_lower, ci_upper, mean_events, mean_log_hr,
    schoenfeld_power`` and whose ``plot(ax=)`` draws the curve.

    Examples
    --------
    >>> from ctcstats.designs import power as pw
    >>> curve = pw.power_curve("lucci2012", n_grid=[250, 500], n_sim=40, rng=2)
    >>> curve.table["n"].tolist()
    [250, 500]
    """
    func = "power_curve"
    n_sim, alpha = _common(func, n_sim, alpha, n_jobs)
    d, a, key = _resolve(design, analysis, test, func)
    grid = [check_int(v, name="n_grid", func=func, minimum=2) for v in np.atleast_1d(n_grid)]
    if not grid:
        raise ParameterError(f"The 'n_grid' parameter of {func} must list at least one n.")
    root = _seed_stream(rng)
    rows, bad = [], 0
    for nn in grid:
        reps = _run(d, a, nn, n_sim, root, ties=ties, n_jobs=n_jobs, client=client,
                    progress=progress, chunk_size=None, func=func)
        row, b = _curve_row(nn, reps, alpha)
        rows.append(row)
        bad += b
    notes = _unusable_note(bad, n_sim * len(grid), func)
    for m in notes:
        warnings.warn(m, ConvergenceWarning, stacklevel=2)
    return PowerCurveResult(table=pd.DataFrame(rows), design=key, analysis=a.describe(),
                            n_sim=n_sim, alpha=alpha, n_obs=int(max(grid)),
                            warnings=tuple(notes))


def sample_size(
    design: str | Any | Callable,
    *,
    target_power: float = 0.8,
    n_sim: int = 1000,
    alpha: float = 0.05,
    rng: int | np.random.Generator | None = None,
    n_jobs: int = 1,
    analysis: str | PowerAnalysis | None = None,
    test: Literal["cox", "logrank"] | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    n_start: int | None = None,
    n_max: int = 200_000,
    rel_tol: float = 0.02,
    client: DaskClient = None,
    progress: bool | None = None,
) -> SampleSizeResult:
    """Smallest n whose simulated power reaches ``target_power``.

    Power is simulated (independent replicates at every n, drawn from one seed stream, so
    the search is reproducible for a given ``rng``; the power at neighbouring n is not
    forced to be monotone) starting at ``n_start`` (default the design's n), doubling or halving until the
    target is bracketed, then bisecting until the bracket is narrower than ``rel_tol`` × n.
    The answer is the upper end of the final bracket. Monte-Carlo error remains: the
    ``table`` of every evaluated n shows it (``ci_lower``, ``ci_upper``).

    Returns
    -------
    SampleSizeResult
        ``n``, ``power`` (at n), ``ci_lower``, ``ci_upper``, ``target_power``, ``table``
        (``n, power, ci_lower, ci_upper, mean_events, mean_log_hr, schoenfeld_power``, sorted
        by n).

    Examples
    --------
    >>> from ctcstats.designs import power as pw
    >>> res = pw.sample_size("lucci2012", target_power=0.8, n_sim=40, rng=3)
    >>> res.power >= 0.8
    True
    """
    func = "sample_size"
    n_sim, alpha = _common(func, n_sim, alpha, n_jobs)
    target = check_real(target_power, name="target_power", func=func, low=0.0, high=1.0,
                        low_inclusive=False, high_inclusive=False)
    rel_tol = check_real(rel_tol, name="rel_tol", func=func, low=0.0, high=1.0,
                         low_inclusive=False)
    n_max = check_int(n_max, name="n_max", func=func, minimum=4)
    d, a, key = _resolve(design, analysis, test, func)
    if n_start is None:
        if callable(d) and not hasattr(d, "results"):
            raise ParameterError(f"The 'n_start' parameter of {func} is required for a "
                                 "simulator function.")
        n_start = int(d.n.value)
    n_cur = check_int(n_start, name="n_start", func=func, minimum=4)
    root = _seed_stream(rng)
    seen: dict[int, dict] = {}
    bad = 0

    def power_at(nn: int) -> float:
        nonlocal bad
        if nn not in seen:
            reps = _run(d, a, nn, n_sim, root, ties=ties, n_jobs=n_jobs, client=client,
                        progress=progress, chunk_size=None, func=func)
            seen[nn], b = _curve_row(nn, reps, alpha)
            bad += b
        return seen[nn]["power"]

    lo, hi = None, None
    if power_at(n_cur) >= target:
        hi = n_cur
        while lo is None:
            nn = max(4, hi // 2)
            if nn == hi:
                lo = hi  # power reached at the smallest n tried
            elif power_at(nn) >= target:
                hi = nn
            else:
                lo = nn
    else:
        lo = n_cur
        while hi is None:
            nn = min(n_max, lo * 2)
            if power_at(nn) >= target:
                hi = nn
            elif nn == n_max:
                raise DataValidationError(
                    f"{func}: the simulated power at n_max = {n_max} is "
                    f"{seen[nn]['power']:.3f}, below the target {target}; raise n_max or "
                    "check the design's effect size.")
            else:
                lo = nn
    while hi - lo > max(1, int(np.ceil(rel_tol * hi))):
        mid = (lo + hi) // 2
        if power_at(mid) >= target:
            hi = mid
        else:
            lo = mid
    table = pd.DataFrame([seen[k] for k in sorted(seen)])
    row = seen[hi]
    notes = _unusable_note(bad, n_sim * len(seen), func)
    for m in notes:
        warnings.warn(m, ConvergenceWarning, stacklevel=2)
    return SampleSizeResult(
        n=int(hi), power=row["power"], ci_lower=row["ci_lower"], ci_upper=row["ci_upper"],
        target_power=target, table=table, design=key, analysis=a.describe(), n_sim=n_sim,
        alpha=alpha, n_obs=int(hi), warnings=tuple(notes),
    )
