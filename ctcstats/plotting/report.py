"""Figures of the HTML report that no result object draws itself.

Nothing is computed here: the count histogram takes a table of bins built by the report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_count_histogram"]


def plot_count_histogram(table: pd.DataFrame, ax=None, *, xlabel: str = "count",
                         positive_label: str = "positive", negative_label: str = "negative"):
    """Bar chart of a cell-count distribution over bins.

    Parameters
    ----------
    table : DataFrame
        One row per bin, in display order, with columns ``bin`` (label, e.g. ``"0"``,
        ``"5–9"``), ``n`` (patients), ``percent`` and ``positive`` (bool: the bin lies at or
        above the positivity threshold).
    ax : matplotlib Axes, optional
        Axes to draw on (a new 7 × 3.2 inch figure when None).
    xlabel, positive_label, negative_label : str
        Axis label and legend entries.

    Returns
    -------
    matplotlib.axes.Axes
        Bars are patches with gid ``"hist-bar"``; the percentages above them texts with gid
        ``"hist-label"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.plotting.report import plot_count_histogram
    >>> t = pd.DataFrame({"bin": ["0", "1", "≥2"], "n": [50, 30, 20],
    ...                   "percent": [50.0, 30.0, 20.0], "positive": [False, True, True]})
    >>> ax = plot_count_histogram(t)
    >>> len([p for p in ax.patches if p.get_gid() == "hist-bar"])
    3
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.2))
    x = np.arange(len(table), dtype=float)
    pos = table["positive"].to_numpy(bool)
    colors = np.where(pos, "C3", "C0")
    bars = ax.bar(x, table["n"].to_numpy(float), color=colors, width=0.8)
    for b in bars:
        b.set_gid("hist-bar")
    for xi, n, pct in zip(x, table["n"], table["percent"], strict=True):
        t = ax.annotate(f"{pct:.1f}%", xy=(xi, float(n)), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8)
        t.set_gid("hist-label")
    ax.set_xticks(x)
    ax.set_xticklabels([str(b) for b in table["bin"]])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("patients")
    ax.set_ylim(0, float(table["n"].max()) * 1.15 if len(table) else 1.0)
    from matplotlib.patches import Patch

    handles = []
    if (~pos).any():
        handles.append(Patch(color="C0", label=negative_label))
    if pos.any():
        handles.append(Patch(color="C3", label=positive_label))
    ax.legend(handles=handles, frameon=False, loc="upper right")
    return ax
