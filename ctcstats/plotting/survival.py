"""Survival figures. Kaplan–Meier curves with a number-at-risk table.

Every function takes a result, draws on ``ax`` (a new figure when None) and returns the Axes;
the numbers come from the result (``table``, ``survival_at``), nothing is estimated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..survival.km import KaplanMeierResult

__all__ = ["plot_kaplan_meier"]

# Vertical layout of the number-at-risk table, in axes fractions below the x axis.
_RISK_HEADER_Y = -0.2
_RISK_ROW_STEP = 0.07


def _band_steps(t, lo, hi):
    """The rows of a post-step band where it moves: ``(t, lo, hi)`` without the rows whose
    ``lo`` and ``hi`` equal the previous row's, between two finite rows (a band stops at a
    non-finite limit, e.g. after the last event when S = 0, so a row before one is kept).

    Such a row only adds vertices on a straight edge of the band's polygon: the band covers
    the same region. Censoring-only times are most rows of a large cohort's table (paddy,
    n = 10,307: of 5,600 rows of the larger group 230-880 have an event), and a band is a
    polygon that matplotlib draws, and the report's SVG writer parses, vertex by vertex (it
    is not simplified like a line): paddy's four Kaplan–Meier figures carried 3.2 MB of band
    path text. Measured on them (same process, interleaved): 0.63-0.74 -> 0.50-0.51 CPU s
    to draw and write the four figures. The curve itself keeps every row.
    """
    if len(t) < 3:
        return t, lo, hi
    finite = np.isfinite(t) & np.isfinite(lo) & np.isfinite(hi)
    flat = (lo[1:-1] == lo[:-2]) & (hi[1:-1] == hi[:-2])
    keep = np.ones(len(t), dtype=bool)
    keep[1:-1] = ~(flat & finite[:-2] & finite[1:-1] & finite[2:])
    return t[keep], lo[keep], hi[keep]


def plot_kaplan_meier(
    result: KaplanMeierResult,
    ax=None,
    *,
    risk_table: bool = True,
    ci: bool = True,
    censor_ticks: bool = True,
    times=None,
):
    """Draw Kaplan–Meier step curves, CI bands, censoring ticks and a number-at-risk table.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`ctcstats.survival.km.kaplan_meier`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure (with room below for the risk table) when None.
    risk_table : bool, default True
        Write the number at risk (``result.survival_at(times, extend=True).n_at_risk``)
        under the x axis at each tick time, one row per group, coloured like its curve.
    ci : bool, default True
        Shade the pointwise confidence band (``ci_lower``/``ci_upper`` of ``result.table``).
    censor_ticks : bool, default True
        Mark censoring times with ``+`` on the curve.
    times : array-like of float, optional
        Tick times of the x axis and the risk table (default: matplotlib's ticks within
        the plotted range).

    Returns
    -------
    matplotlib.axes.Axes
        The curves are ``Line2D`` objects with gid ``"km-curve"``, the censoring marks
        ``"km-censor"``, the bands ``"km-ci"`` and the risk-table texts ``"km-risk"``
        (header ``"km-risk-header"``, row labels ``"km-risk-label"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.survival.km import kaplan_meier
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 5, 6], "e": [1, 1, 0, 1, 0, 1],
    ...                    "arm": ["a", "b", "a", "b", "a", "b"]})
    >>> ax = kaplan_meier(df, time_col="t", event_col="e", group_col="arm").plot()
    >>> len([ln for ln in ax.get_lines() if ln.get_gid() == "km-curve"])
    2
    """
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    groups = list(result.groups)
    if ax is None:
        axes_h, top_in = 3.6, 0.4  # inches
        below_in = 0.6
        if risk_table:
            below_in = (-_RISK_HEADER_Y + _RISK_ROW_STEP * len(groups)) * axes_h + 0.35
        fig_h = axes_h + below_in + top_in
        fig, ax = plt.subplots(figsize=(7.0, fig_h))
        fig.subplots_adjust(bottom=below_in / fig_h, top=1.0 - top_in / fig_h, left=0.17)
    table = result.table
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    grouped = result.group_col is not None
    tmax = float(table["time"].max())
    for i, g in enumerate(groups):
        color = colors[i % len(colors)]
        rows = table[table["group"] == g]
        t = np.concatenate(([0.0], rows["time"].to_numpy(float)))
        s = np.concatenate(([1.0], rows["survival"].to_numpy(float)))
        label = f"{result.group_col} = {g}" if grouped else None
        (line,) = ax.step(t, s, where="post", color=color, label=label)
        line.set_gid("km-curve")
        if ci:
            lo = np.concatenate(([1.0], rows["ci_lower"].to_numpy(float)))
            hi = np.concatenate(([1.0], rows["ci_upper"].to_numpy(float)))
            tb, lo, hi = _band_steps(t, lo, hi)
            band = ax.fill_between(tb, lo, hi, step="post", color=color, alpha=0.2,
                                   linewidth=0)
            band.set_gid("km-ci")
        if censor_ticks:
            cens = rows[rows["n_censored"] > 0]
            if len(cens):
                (marks,) = ax.plot(cens["time"].to_numpy(float),
                                   cens["survival"].to_numpy(float), linestyle="none",
                                   marker="+", markersize=8, color=color)
                marks.set_gid("km-censor")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0.0, tmax * 1.02 if tmax > 0 else 1.0)
    ax.set_xlabel(result.time_col)
    ax.set_ylabel("Survival probability")
    if grouped:
        ax.legend(loc="best", frameon=False)
    if times is not None:
        ticks = np.sort(np.asarray(times, dtype=float))
        ax.set_xticks(ticks)
    else:
        lo, hi = ax.get_xlim()
        ticks = np.asarray([x for x in ax.get_xticks() if lo - 1e-12 <= x <= hi + 1e-12])
        ax.set_xticks(ticks)
    if risk_table and ticks.size:
        at = result.survival_at(ticks, extend=True)
        trans = blended_transform_factory(ax.transData, ax.transAxes)
        label_trans = ax.transAxes
        header = ax.text(0.0, _RISK_HEADER_Y, "Number at risk", transform=label_trans,
                         ha="left", va="center", fontsize="small", fontweight="bold",
                         clip_on=False)
        header.set_gid("km-risk-header")
        for i, g in enumerate(groups):
            color = colors[i % len(colors)]
            y = _RISK_HEADER_Y - _RISK_ROW_STEP * (i + 1)
            name = str(g) if grouped else "all"
            lab = ax.text(-0.06, y, name, transform=label_trans, ha="right", va="center",
                          fontsize="small", color=color, clip_on=False)
            lab.set_gid("km-risk-label")
            sub = at[at["group"] == g]
            for tt, n in zip(sub["time"], sub["n_at_risk"], strict=True):
                txt = ax.text(float(tt), y, str(int(n)), transform=trans, ha="center",
                              va="center", fontsize="small", color=color, clip_on=False)
                txt.set_gid("km-risk")
    return ax
