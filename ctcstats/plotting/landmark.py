"""Landmark-analysis figure: hazard ratio per landmark with its confidence interval.

The numbers come from :class:`ctcstats.survival.landmark.LandmarkResult` (``table`` columns
``landmark, hr, ci_lower, ci_upper``); nothing is estimated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..survival.landmark import LandmarkResult

__all__ = ["plot_landmark_hr"]


def plot_landmark_hr(result: LandmarkResult, ax=None, *, color: str = "C0",
                     xlabel: str = "landmark (time from baseline)"):
    """Hazard ratio (marker-positive vs negative) at each landmark, log y axis.

    Parameters
    ----------
    result : LandmarkResult
        From :func:`ctcstats.survival.landmark.landmark_analysis`.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when None).
    color : str
        Colour of the estimates and intervals.
    xlabel : str
        Label of the x axis.

    Returns
    -------
    matplotlib.axes.Axes
        The estimates are a ``Line2D`` with gid ``"landmark-hr"`` (one point per landmark with
        a finite HR), the intervals a ``LineCollection`` with gid ``"landmark-ci"``, the
        reference line HR = 1 gid ``"landmark-ref"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import ctcstats as cs
    >>> from ctcstats.survival.landmark import landmark_analysis
    >>> sc = cs.simulate_study("hayes2006", n=500, rng=1)
    >>> res = landmark_analysis(sc.data, draws=sc.draws, landmarks=[0.0, 1.15],
    ...                         time_col="pfs_months", event_col="pfs_event",
    ...                         marker_col="ctc_positive")
    >>> ax = res.plot()
    >>> len([ln for ln in ax.get_lines() if ln.get_gid() == "landmark-hr"][0].get_xdata())
    2
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    tab = result.table
    ok = np.isfinite(tab["hr"].to_numpy(dtype=float))
    x = tab["landmark"].to_numpy(dtype=float)[ok]
    hr = tab["hr"].to_numpy(dtype=float)[ok]
    lo = tab["ci_lower"].to_numpy(dtype=float)[ok]
    hi = tab["ci_upper"].to_numpy(dtype=float)[ok]
    segs = [[(xi, a), (xi, b)] for xi, a, b in zip(x, lo, hi, strict=True)]
    ax.add_collection(LineCollection(segs, colors=color, linewidths=1.5, gid="landmark-ci"))
    ax.plot(x, hr, "o", color=color, gid="landmark-hr")
    ax.axhline(1.0, color="0.5", linestyle="--", linewidth=1, gid="landmark-ref")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"HR, marker-positive vs negative ({result.conf_level:.0%} CI)")
    if x.size:
        pad = 0.05 * max(np.ptp(x), 1.0)
        ax.set_xlim(x.min() - pad, x.max() + pad)
    return ax
