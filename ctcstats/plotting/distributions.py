"""Figures of the raw marker counts, drawn with seaborn: their distribution by group, against a
clinical factor, and over time per patient.

These show data, not a fitted result, so they take the data frame (first) and keyword-only
column roles like the statistical functions; ``ax=None`` creates an Axes and the Axes is
returned. Counts are drawn as ``log10(count + 1)`` (zeros are common and the tail is long)
with the axis labelled in counts; a ``threshold`` is drawn between ``threshold - 1`` and
``threshold`` (the line separating negative from positive patients). The artists carry gids
tests assert on: ``"count-hist"``, ``"count-box"``, ``"serial-line"`` and
``"count-threshold"``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import (
    check_count_column,
    check_group_column,
    check_int,
    check_real,
    check_time_column,
    group_levels,
    prepare_frame,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_count_distribution", "plot_count_by_factor", "plot_serial_counts"]

_TICKS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _log_count(x: np.ndarray) -> np.ndarray:
    return np.log10(x + 1.0)


def _count_ticks(axis, max_count: float) -> None:
    ticks = [t for t in _TICKS if t <= max(max_count, 1)]
    axis.set_ticks(_log_count(np.asarray(ticks, float)))
    axis.set_ticklabels([str(t) for t in ticks])


def _threshold(threshold, *, func: str) -> float | None:
    if threshold is None:
        return None
    return check_real(threshold, name="threshold", func=func, low=0, low_inclusive=False)


def _threshold_at(threshold: float) -> float:
    # between the last negative and the first positive count: c >= threshold is positive
    return float(_log_count(np.asarray(threshold - 0.5)))


def _new_artists(ax, before: set, gid: str) -> None:
    from matplotlib.lines import Line2D

    legend = ax.get_legend()
    for a in ax.get_children():
        if id(a) in before or a is legend:
            continue
        if isinstance(a, Line2D) and np.size(a.get_xdata()) == 0:
            continue  # a legend proxy or an empty set of outliers: nothing drawn
        a.set_gid(gid)


def plot_count_distribution(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    count_col: str,
    group_col: str | None = None,
    threshold: float | None = None,
    bins: int = 30,
    missing: str = "raise",
) -> Axes:
    """Distribution of the marker counts, by group: a histogram of ``log10(count + 1)``.

    Each group is one step outline normalised to its own size (the share of the group's
    patients in each bin), so groups of different sizes compare (seaborn ``histplot`` with
    ``stat="proportion", common_norm=False``).

    Parameters
    ----------
    data : DataFrame
        One row per patient (or per sample).
    ax : matplotlib Axes, optional
    count_col : str
        Cell counts (whole numbers ≥ 0).
    group_col : str, optional
        Groups to compare (any labels; a Categorical keeps its order).
    threshold : float, optional
        Positivity threshold (count ≥ threshold), drawn as a dashed line.
    bins : int, default 30
    missing : {"raise", "drop"}

    Returns
    -------
    matplotlib Axes
        The histogram outlines have gid ``"count-hist"``, the threshold line
        ``"count-threshold"``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> df = cs.simulate_cohort("cristofanilli2004", rng=1)
    >>> ax = cs.plotting.plot_count_distribution(df, count_col="ctc_count",
    ...                                          group_col="line_of_therapy", threshold=5)
    >>> ax.get_xlabel()
    'CTC count (log scale: log10(count + 1))'
    """
    import seaborn as sns

    func = "plot_count_distribution"
    prep = prepare_frame(data, func=func, roles={"count_col": count_col, "group_col": group_col},
                         missing=missing)
    counts = check_count_column(prep.frame, count_col)
    thr = _threshold(threshold, func=func)
    bins = check_int(bins, name="bins", func=func, minimum=1)
    frame = pd.DataFrame({"log_count": _log_count(counts.astype(float))})
    hue = None
    if group_col is not None:
        _, levels = check_group_column(prep.frame, group_col, func=func, min_levels=1)
        frame[group_col] = pd.Categorical(prep.frame[group_col].to_numpy(), categories=levels)
        hue = group_col
    ax = _axes(ax)
    before = {id(a) for a in ax.get_children()}
    sns.histplot(data=frame, x="log_count", hue=hue, bins=bins, stat="proportion",
                 common_norm=False, element="step", fill=False, ax=ax)
    _new_artists(ax, before, "count-hist")
    if thr is not None:
        ax.axvline(_threshold_at(thr), color="0.2", ls="--", lw=1, gid="count-threshold",
                   label=f"≥{thr:g}")
    _count_ticks(ax.xaxis, float(counts.max()))
    ax.set_xlabel(f"{_marker_name(count_col)} count (log scale: log10(count + 1))")
    ax.set_ylabel("share of patients")
    return ax


def _marker_name(count_col: str) -> str:
    name = count_col.removesuffix("_count").removesuffix("_counts")
    return name.upper() if len(name) <= 4 else name


def plot_count_by_factor(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    count_col: str,
    factor_col: str,
    threshold: float | None = None,
    missing: str = "raise",
) -> Axes:
    """Marker counts against a clinical factor: one box of ``log10(count + 1)`` per level.

    A box per level of the factor (quartiles, whiskers at 1.5 IQR, outlying patients as
    points; seaborn ``boxplot``), with the number of patients under each level. Boxes rather
    than jittered points: the figure is the same on every run.

    Parameters
    ----------
    data : DataFrame
    ax : matplotlib Axes, optional
    count_col : str
        Cell counts (whole numbers ≥ 0).
    factor_col : str
        A clinical factor (stage, grade, node status, ...); its levels are sorted (a
        Categorical keeps its order).
    threshold : float, optional
        Positivity threshold, drawn as a dashed line.
    missing : {"raise", "drop"}

    Returns
    -------
    matplotlib Axes
        The boxes have gid ``"count-box"``, the threshold line ``"count-threshold"``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ctcstats as cs
    >>> df = pd.DataFrame({"ctc_count": [0, 0, 3, 1, 12, 0, 7],
    ...                    "grade": [1, 1, 2, 2, 3, 3, 3]})
    >>> ax = cs.plotting.plot_count_by_factor(df, count_col="ctc_count", factor_col="grade",
    ...                                       threshold=5)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1\\n(n=2)', '2\\n(n=2)', '3\\n(n=3)']
    """
    import seaborn as sns

    func = "plot_count_by_factor"
    prep = prepare_frame(data, func=func, roles={"count_col": count_col,
                                                 "factor_col": factor_col}, missing=missing)
    counts = check_count_column(prep.frame, count_col)
    thr = _threshold(threshold, func=func)
    _, levels = check_group_column(prep.frame, factor_col, role="factor_col", func=func,
                                   min_levels=1)
    factor = pd.Categorical(prep.frame[factor_col].to_numpy(), categories=levels)
    frame = pd.DataFrame({factor_col: factor, "log_count": _log_count(counts.astype(float))})
    ax = _axes(ax)
    before = {id(a) for a in ax.get_children()}
    with warnings.catch_warnings():
        # seaborn 0.13 calls Axes.bxp(vert=...), deprecated in matplotlib 3.11: the
        # deprecation is about seaborn's call, not about anything the caller can change
        warnings.filterwarnings("ignore", message="vert: bool was deprecated",
                                category=DeprecationWarning)
        sns.boxplot(data=frame, x=factor_col, y="log_count", order=levels, color="0.85",
                    linecolor="0.25", fliersize=2, ax=ax)
    _new_artists(ax, before, "count-box")
    if thr is not None:
        ax.axhline(_threshold_at(thr), color="C3", ls="--", lw=1, gid="count-threshold",
                   label=f"≥{thr:g}")
    n = pd.Series(factor).value_counts()
    ax.set_xticks(range(len(levels)))
    ax.set_xticklabels([f"{lev}\n(n={n[lev]})" for lev in levels])
    _count_ticks(ax.yaxis, float(counts.max()))
    ax.set_xlabel(factor_col)
    ax.set_ylabel(f"{_marker_name(count_col)} count (log scale)")
    return ax


def plot_serial_counts(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    count_col: str,
    time_col: str,
    id_col: str,
    group_col: str | None = None,
    threshold: float | None = None,
    missing: str = "raise",
) -> Axes:
    """Serial counts per patient: one line per patient of ``log10(count + 1)`` over time.

    The long table of draws (one row per patient and draw) as spaghetti lines (seaborn
    ``lineplot`` with ``units=id_col, estimator=None``: each patient's own values, nothing
    averaged), coloured by ``group_col``.

    Parameters
    ----------
    data : DataFrame
        One row per draw.
    ax : matplotlib Axes, optional
    count_col : str
        Cell counts at each draw (whole numbers ≥ 0).
    time_col : str
        Time of the draw (≥ 0).
    id_col : str
        Patient identifier.
    group_col : str, optional
        Colours the lines (e.g. the baseline marker status or the arm).
    threshold : float, optional
        Positivity threshold, drawn as a dashed line.
    missing : {"raise", "drop"}

    Returns
    -------
    matplotlib Axes
        The patients' lines have gid ``"serial-line"``, the threshold line
        ``"count-threshold"``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> draws = cs.simulate_draws("hayes2006", rng=1)
    >>> ax = cs.plotting.plot_serial_counts(draws, count_col="ctc_count",
    ...                                     time_col="draw_months", id_col="patient_id")
    >>> len([ln for ln in ax.get_lines() if ln.get_gid() == "serial-line"]) > 0
    True
    """
    import seaborn as sns

    func = "plot_serial_counts"
    prep = prepare_frame(data, func=func, roles={"count_col": count_col, "time_col": time_col,
                                                 "id_col": id_col, "group_col": group_col},
                         missing=missing)
    counts = check_count_column(prep.frame, count_col)
    times = check_time_column(prep.frame, time_col, role="time_col")
    thr = _threshold(threshold, func=func)
    frame = pd.DataFrame({"patient": prep.frame[id_col].to_numpy(), "time": times,
                          "log_count": _log_count(counts.astype(float))})
    hue = None
    if group_col is not None:
        levels = group_levels(prep.frame[group_col])
        frame[group_col] = pd.Categorical(prep.frame[group_col].to_numpy(), categories=levels)
        hue = group_col
    frame = frame.sort_values(["patient", "time"], kind="mergesort")
    ax = _axes(ax)
    before = {id(a) for a in ax.get_children()}
    sns.lineplot(data=frame, x="time", y="log_count", units="patient", estimator=None,
                 hue=hue, color=None if hue else "C0", sort=False, lw=0.7, alpha=0.35,
                 marker="o", markersize=2.5, markeredgewidth=0, ax=ax)
    _new_artists(ax, before, "serial-line")
    if thr is not None:
        ax.axhline(_threshold_at(thr), color="0.2", ls="--", lw=1, gid="count-threshold",
                   label=f"≥{thr:g}")
    _count_ticks(ax.yaxis, float(counts.max()))
    ax.set_xlabel(time_col)
    ax.set_ylabel(f"{_marker_name(count_col)} count (log scale)")
    return ax
