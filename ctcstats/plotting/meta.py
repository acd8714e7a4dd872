"""Forest plot of a meta-analysis (study rows, pooled diamond, prediction interval)."""

from __future__ import annotations

import math

import numpy as np


def plot_forest(result, ax=None, *, exponentiate: bool = True, xlabel: str | None = None):
    """Draw a forest plot of a :class:`~ctcstats.meta.MetaResult`; return the Axes.

    One row per study (square sized by weight, horizontal CI line), the pooled estimate as a
    diamond, the prediction interval as a line under it (random-effects models), a vertical
    line at the null (HR = 1), and the estimate with CI and weight printed at the right.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.45 * (result.k + 4)))
    tr = np.exp if exponentiate else (lambda x: x)
    tab = result.table
    k = len(tab)
    ys = np.arange(k, 0, -1) + 1.0  # studies top-down, pooled row at y = 1
    wmax = float(tab["weight"].max())
    for y, (_, row) in zip(ys, tab.iterrows(), strict=True):
        ax.plot([tr(row["ci_lower"]), tr(row["ci_upper"])], [y, y], color="black", lw=1)
        size = 4 + 10 * math.sqrt(row["weight"] / wmax)
        ax.plot([tr(row["estimate"])], [y], marker="s", color="tab:blue", ms=size, ls="none")
    d = Polygon(
        [[tr(result.ci_lower), 1], [tr(result.estimate), 1.3], [tr(result.ci_upper), 1],
         [tr(result.estimate), 0.7]],
        closed=True, color="tab:red", label="pooled",
    )
    ax.add_patch(d)
    if result.method != "fixed":
        ax.plot([tr(result.pi_lower), tr(result.pi_upper)], [0.45, 0.45], color="tab:red",
                lw=2, alpha=0.6, label="prediction interval")
    ax.axvline(1.0 if exponentiate else 0.0, color="grey", ls="--", lw=0.8)
    if exponentiate:
        ax.set_xscale("log")
    labels = list(tab["study"]) + [f"Pooled ({result.method.upper()})"]
    ax.set_yticks(list(ys) + [1.0])
    ax.set_yticklabels(labels)
    ax.set_ylim(0.1, k + 1.8)
    fmt = "{:.2f} ({:.2f}–{:.2f})"
    for y, (_, row) in zip(ys, tab.iterrows(), strict=True):
        ax.annotate(
            fmt.format(tr(row["estimate"]), tr(row["ci_lower"]), tr(row["ci_upper"]))
            + f"  {row['weight']:.1f}%",
            xy=(1.01, y), xycoords=("axes fraction", "data"), va="center", fontsize=8,
        )
    ax.annotate(
        fmt.format(tr(result.estimate), tr(result.ci_lower), tr(result.ci_upper)),
        xy=(1.01, 1.0), xycoords=("axes fraction", "data"), va="center", fontsize=8,
        fontweight="bold",
    )
    het = f"I² = {result.i2:.1f}%, Q = {result.q:.2f} (p = {result.q_p_value:.3g})"
    if result.method != "fixed":
        het += f", τ² = {result.tau2:.3g}"
    ax.set_title(het, fontsize=9, loc="left")
    ax.set_xlabel(xlabel or ("Hazard ratio" if exponentiate else "Effect"))
    return ax


def plot_funnel(result, ax=None, *, exponentiate: bool = False):
    """Funnel plot: each study's estimate against its standard error (inverted axis), with
    the pooled estimate and the pseudo 95% confidence region μ̂ ± 1.96·SE."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    tab = result.table
    se = tab["std_error"].to_numpy()
    tr = np.exp if exponentiate else (lambda x: x)
    ax.scatter(tr(tab["estimate"].to_numpy()), se, color="tab:blue", zorder=3)
    smax = float(se.max()) * 1.1
    grid = np.linspace(0.0, smax, 50)
    for sign in (-1, 1):
        ax.plot(tr(result.estimate + sign * 1.959964 * grid), grid, color="grey", ls="--", lw=0.8)
    ax.axvline(tr(result.estimate), color="tab:red", lw=1)
    ax.set_ylim(smax, 0)
    if exponentiate:
        ax.set_xscale("log")
    ax.set_xlabel("Hazard ratio" if exponentiate else "Estimate")
    ax.set_ylabel("Standard error")
    return ax
