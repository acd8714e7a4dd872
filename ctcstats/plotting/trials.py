"""Trial figures: subgroup forest plot (treatment effect per marker level).

The numbers come from the result's ``subgroups`` table; nothing is estimated here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..trials.interaction import InteractionResult

__all__ = ["plot_stepp", "plot_subgroup_forest", "plot_subgroups"]


def _forest(tab, labels, ax, color, gid, right_pad, *, row_height, first_marker=None):
    """Rows of hazard ratios with CIs on a log axis (``tab``: ``hr, ci_lower, ci_upper``).

    ``first_marker`` draws the first row (an overall estimate) with its own marker and gid
    ``<gid>-overall``; the others get gid ``<gid>-hr``, the intervals ``<gid>-ci``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    k = len(tab)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, row_height * k + 1.4))
    y = np.arange(k)[::-1].astype(float)
    hr = tab["hr"].to_numpy(float)
    lo = tab["ci_lower"].to_numpy(float)
    hi = tab["ci_upper"].to_numpy(float)
    segs = [[(a, yy), (b, yy)] for a, b, yy in zip(lo, hi, y, strict=True)]
    ax.add_collection(LineCollection(segs, colors=color, linewidths=1.5, gid=f"{gid}-ci"))
    start = 0 if first_marker is None else 1
    ax.plot(hr[start:], y[start:], "s", color=color, gid=f"{gid}-hr")
    if first_marker is not None:
        ax.plot(hr[:1], y[:1], first_marker, color="black", gid=f"{gid}-overall")
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1, gid=f"{gid}-ref")
    ax.set_xscale("log")
    vals = np.concatenate([lo, hi, hr, [1.0]])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    ax.set_xlim(vals.min() / 1.25, vals.max() * right_pad)
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    return ax, y, hr, lo, hi


def plot_subgroup_forest(result: InteractionResult, ax=None, *, color: str = "C0",
                         annotate: bool = True):
    """Forest plot of the treatment hazard ratio within each marker level (log x axis).

    Parameters
    ----------
    result : InteractionResult
        From :func:`ctcstats.trials.marker_treatment_interaction`.
    ax : matplotlib Axes, optional
    color : str
    annotate : bool, default True
        Write ``HR (lower–upper)`` and the RMST difference to the right of each row.

    Returns
    -------
    matplotlib.axes.Axes
        Intervals: ``LineCollection`` gid ``"subgroup-ci"``; estimates: ``Line2D`` gid
        ``"subgroup-hr"``; reference line gid ``"subgroup-ref"``; the title carries the
        likelihood-ratio interaction p-value; y tick labels ``<marker_col> = <level> (n)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.trials import marker_treatment_interaction
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"arm": rng.integers(0, 2, 300), "m": rng.integers(0, 2, 300)})
    >>> t = rng.exponential(20, 300)
    >>> df["t"], df["e"] = np.minimum(t, 30), (t < 30).astype(int)
    >>> res = marker_treatment_interaction(df, time_col="t", event_col="e", marker_col="m",
    ...                                    treatment_col="arm")
    >>> [x.get_text() for x in res.plot().get_yticklabels()][0].startswith("m = 0")
    True
    """
    sg = result.subgroups
    labels = [f"{result.marker_col} = {lev} (n={n})"
              for lev, n in zip(sg["marker_level"], sg["n_obs"], strict=True)]
    ax, y, hr, lo, hi = _forest(sg, labels, ax, color, "subgroup", 3.0 if annotate else 1.25,
                                row_height=0.5)
    pct = f"{100 * result.conf_level:g}%"
    ax.set_xlabel(f"hazard ratio, {result.treated} vs {result.control} ({pct} CI)")
    ax.set_title(f"treatment × {result.marker_col}: interaction p = "
                 f"{result.interaction_p_value:.3g} (LR)", fontsize=10)
    if annotate:
        for yy, h, a, b, d in zip(y, hr, lo, hi, sg["rmst_difference"], strict=True):
            ax.annotate(f"{h:.2f} ({a:.2f}–{b:.2f}); ΔRMST {d:+.2f}", xy=(1.0, yy),
                        xycoords=("axes fraction", "data"), xytext=(-4, 0),
                        textcoords="offset points", ha="right", va="center", fontsize=8,
                        gid="subgroup-label")
    return ax


def plot_stepp(result, ax=None, *, color: str = "C0"):
    """STEPP pattern: the effect in each subpopulation against its median marker value.

    Parameters
    ----------
    result : SteppResult
        From :func:`ctcstats.trials.stepp`.
    ax : matplotlib Axes, optional
    color : str

    Returns
    -------
    matplotlib.axes.Axes
        Estimates: ``Line2D`` gid ``"stepp-effect"``; the pointwise CI band gid
        ``"stepp-ci"``; the overall effect gid ``"stepp-overall"``; the title gives the
        supremum-test p-value.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.0))
    tab = result.table
    x = tab["marker_median"].to_numpy(float)
    ax.fill_between(x, tab["ci_lower"], tab["ci_upper"], color=color, alpha=0.2,
                    gid="stepp-ci")
    ax.plot(x, tab["effect"], "o-", color=color, gid="stepp-effect")
    ax.axhline(result.overall_effect, color="0.3", linestyle="--", linewidth=1,
               gid="stepp-overall")
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.set_xlabel(f"median {result.marker_col} of the subpopulation")
    if result.method == "km":
        ax.set_ylabel(f"survival difference at {result.horizon:g} ({result.treated} − "
                      f"{result.control})")
    else:
        ax.set_ylabel(f"log hazard ratio ({result.treated} vs {result.control})")
    ax.set_title(f"STEPP ({result.method}): homogeneity p = {result.sup_p_value:.3g} "
                 f"(supremum, {result.n_perm} permutations)", fontsize=10)
    return ax


def plot_subgroups(result, ax=None, *, color: str = "C0"):
    """Trial forest plot: overall and per-subgroup hazard ratios (log axis).

    Parameters
    ----------
    result : SubgroupForestResult
        From :func:`ctcstats.trials.treatment_subgroups`.
    ax : matplotlib Axes, optional
    color : str

    Returns
    -------
    matplotlib.axes.Axes
        Intervals ``LineCollection`` gid ``"subgroups-ci"``, estimates ``Line2D`` gid
        ``"subgroups-hr"`` (the overall one gid ``"subgroups-overall"``); y tick labels
        ``<variable> = <level> (n)``, with the variable's interaction p-value on its first
        level's label.
    """
    tab = result.table
    labels, seen = [], set()
    for _, r in tab.iterrows():
        lab = f"{r['variable']} = {r['level']} (n={r['n_obs']})"
        if r["variable"] != "overall" and r["variable"] not in seen:
            lab += f"  [interaction p = {r['interaction_p_value']:.2g}]"
            seen.add(r["variable"])
        labels.append(lab)
    ax, y, hr, _, _ = _forest(tab, labels, ax, color, "subgroups", 1.25, row_height=0.42,
                              first_marker="D")
    ax.axvline(hr[0], color="0.7", linestyle=":", linewidth=1)
    for t in ax.get_yticklabels():
        t.set_fontsize(8)
    pct = f"{100 * result.conf_level:g}%"
    ax.set_xlabel(f"hazard ratio, {result.treated} vs {result.control} ({pct} CI)")
    return ax
