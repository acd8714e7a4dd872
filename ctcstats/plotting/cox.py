"""Cox-model figures: forest plot of hazard ratios.

The numbers come from the result's ``table`` (``hr``, ``ci_lower``, ``ci_upper``); nothing
is estimated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._format import interval_digits

if TYPE_CHECKING:  # pragma: no cover
    from ..multistate.cox import MultistateCoxResult
    from ..survival.cox import CoxResult

__all__ = ["plot_cox_forest"]


def plot_cox_forest(result: CoxResult | MultistateCoxResult, ax=None, *, color: str = "C0",
                    annotate: bool = True):
    """Forest plot: one row per term, HR (square) with its confidence interval, log x axis.

    Parameters
    ----------
    result : CoxResult
        From :func:`ctcstats.survival.cox.fit_cox` or ``fit_piecewise_cox``.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when None).
    color : str
        Colour of the markers and interval lines.
    annotate : bool, default True
        Write ``HR (lower–upper)`` to the right of each row.

    Returns
    -------
    matplotlib.axes.Axes
        The intervals are a ``LineCollection`` with gid ``"cox-ci"``, the estimates a
        ``Line2D`` with gid ``"cox-hr"``, the reference line at HR = 1 gid ``"cox-ref"``, the
        annotations texts with gid ``"cox-label"``; the y tick labels are the terms (first
        term at the top).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.survival.cox import fit_cox
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=80), "t": rng.exponential(10, 80).round(1),
    ...                    "e": rng.integers(0, 2, 80)})
    >>> ax = fit_cox(df, time_col="t", event_col="e", covariates=["x"]).plot()
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['x']
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * len(result.table) + 1.2))
    tab = result.table
    k = len(tab)
    y = np.arange(k)[::-1].astype(float)
    hr = tab["hr"].to_numpy(float)
    lo = tab["ci_lower"].to_numpy(float)
    hi = tab["ci_upper"].to_numpy(float)
    segs = [[(a, yy), (b, yy)] for a, b, yy in zip(lo, hi, y, strict=True)]
    ax.add_collection(LineCollection(segs, colors=color, linewidths=1.5, gid="cox-ci"))
    ax.plot(hr, y, "s", color=color, gid="cox-hr")
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1, gid="cox-ref")
    ax.set_xscale("log")
    finite = np.concatenate([lo, hi, hr, [1.0]])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    ax.set_xlim(finite.min() / 1.25, finite.max() * (2.5 if annotate else 1.25))
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_yticks(y)
    ax.set_yticklabels([str(t) for t in tab.index])
    pct = f"{100 * result.conf_level:g}%"
    ax.set_xlabel(f"hazard ratio ({pct} CI)")
    if annotate:
        for yy, h, a, b in zip(y, hr, lo, hi, strict=True):
            d = interval_digits(a, b)  # never "1.00 (1.00–1.00)" (as the report's tables)
            ax.annotate(f"{h:.{d}f} ({a:.{d}f}–{b:.{d}f})", xy=(1.0, yy), xycoords=("axes fraction",
                        "data"), xytext=(-4, 0), textcoords="offset points", ha="right",
                        va="center", fontsize=8, gid="cox-label")
    return ax
