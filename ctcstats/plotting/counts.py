"""Figures for count models: hanging rootogram and observed-vs-expected frequencies.

Each function takes the precomputed table of a count model (``count, observed, expected`` from
:meth:`ctcstats.counts.CountModelResult.rootogram_table`), draws it on ``ax`` (a new Axes when
None) and returns the Axes. Nothing is computed here beyond the square-root scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_rootogram", "plot_count_frequencies"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_rootogram(
    table: pd.DataFrame, *, ax=None, label: str = "model", style: str = "hanging"
):
    """Rootogram of a count model (Kleiber & Zeileis 2016, The American Statistician 70:296).

    ``style="hanging"``: bars of height sqrt(observed) hang from the curve sqrt(expected), so
    misfit shows as bars ending above or below the zero line; ``"standing"``: bars stand on
    zero with the sqrt(expected) curve drawn over them.

    Parameters
    ----------
    table : DataFrame
        Columns ``count, observed, expected``.
    ax : matplotlib Axes, optional
    label : str
        Model name for the legend.
    style : {"hanging", "standing"}

    Returns
    -------
    matplotlib Axes
    """
    if style not in ("hanging", "standing"):
        from ..errors import ParameterError

        raise ParameterError(
            f"The 'style' parameter of plot_rootogram must be one of 'hanging', 'standing'; "
            f"got {style!r}."
        )
    ax = _axes(ax)
    k = table["count"].to_numpy()
    obs = np.sqrt(table["observed"].to_numpy(dtype=float))
    exp = np.sqrt(table["expected"].to_numpy(dtype=float))
    bottom = exp - obs if style == "hanging" else np.zeros_like(obs)
    ax.bar(k, obs, bottom=bottom, width=0.9, color="0.75", edgecolor="0.35",
           label="observed")
    ax.plot(k, exp, color="tab:red", marker="o", markersize=3, lw=1.5,
            label=f"expected ({label})")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlabel("count")
    ax.set_ylabel("sqrt(frequency)")
    ax.set_title(f"{'Hanging' if style == 'hanging' else 'Standing'} rootogram: {label}")
    ax.legend(frameon=False)
    return ax


def plot_count_frequencies(table: pd.DataFrame, *, ax=None, label: str = "model"):
    """Observed frequency of each count (bars) against the model's expected frequency (line).

    Parameters
    ----------
    table : DataFrame
        Columns ``count, observed, expected``.
    ax : matplotlib Axes, optional
    label : str

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    k = table["count"].to_numpy()
    ax.bar(k, table["observed"].to_numpy(dtype=float), width=0.9, color="0.75",
           edgecolor="0.35", label="observed")
    ax.plot(k, table["expected"].to_numpy(dtype=float), color="tab:red", marker="o",
            markersize=3, lw=1.5, label=f"expected ({label})")
    ax.set_xlabel("count")
    ax.set_ylabel("number of patients")
    ax.set_title(f"Observed and expected counts: {label}")
    ax.legend(frameon=False)
    return ax
