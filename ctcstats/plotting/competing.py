"""Competing-risks figures: cumulative incidence step curves.

The numbers come from the result (``table`` and the largest follow-up time per group);
nothing is estimated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..survival.competing import CumulativeIncidenceResult

__all__ = ["plot_cumulative_incidence"]


def plot_cumulative_incidence(
    result: CumulativeIncidenceResult,
    ax=None,
    *,
    ci: bool = True,
):
    """Draw the cumulative incidence of the cause of interest as step curves, one per group.

    Each curve starts at 0 at time 0, jumps at the times in ``result.table`` and stays flat
    up to the group's largest follow-up time (as ``plot.cuminc`` draws it).

    Parameters
    ----------
    result : CumulativeIncidenceResult
        From :func:`ctcstats.survival.competing.cumulative_incidence`.
    ax : matplotlib Axes, optional
        Axes to draw on; a new figure when None.
    ci : bool, default True
        Shade the pointwise log(-log) confidence band (``ci_lower``/``ci_upper``).

    Returns
    -------
    matplotlib.axes.Axes
        The curves are ``Line2D`` objects with gid ``"cif-curve"`` and the bands have gid
        ``"cif-ci"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.survival.competing import cumulative_incidence
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 5, 6, 7, 8], "e": [1, 2, 0, 1, 1, 0, 2, 1],
    ...                    "arm": ["a", "b", "a", "b", "a", "b", "a", "b"]})
    >>> ax = cumulative_incidence(df, time_col="t", event_col="e", group_col="arm").plot()
    >>> len([ln for ln in ax.get_lines() if ln.get_gid() == "cif-curve"])
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.5))
    table = result.table
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    grouped = result.group_col is not None
    tmax = 0.0
    for i, g in enumerate(result.groups):
        color = colors[i % len(colors)]
        rows = table[table["group"] == g]
        end = float(result._max_time[g])
        tmax = max(tmax, end)
        last = rows["cif"].to_numpy(float)[-1:] if len(rows) else np.zeros(1)
        t = np.concatenate(([0.0], rows["time"].to_numpy(float), [end]))
        f = np.concatenate(([0.0], rows["cif"].to_numpy(float), last))
        label = f"{result.group_col} = {g}" if grouped else None
        (line,) = ax.step(t, f, where="post", color=color, label=label)
        line.set_gid("cif-curve")
        if ci and len(rows):
            lo = np.concatenate(([0.0], rows["ci_lower"].to_numpy(float)))
            hi = np.concatenate(([0.0], rows["ci_upper"].to_numpy(float)))
            lo = np.concatenate((lo, lo[-1:]))
            hi = np.concatenate((hi, hi[-1:]))
            band = ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.2, linewidth=0)
            band.set_gid("cif-ci")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0.0, tmax * 1.02 if tmax > 0 else 1.0)
    ax.set_xlabel(result.time_col)
    ax.set_ylabel(f"Cumulative incidence (cause {result.event_of_interest})")
    if grouped:
        ax.legend(loc="best", frameon=False)
    return ax
