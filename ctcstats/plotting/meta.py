"""Forest plot of a meta-analysis (study rows, pooled diamond, prediction interval)."""

from __future__ import annotations

import math
from typing import Any

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
    has_n = "n" in tab.columns
    has_e = "n_events" in tab.columns
    head = ("n  " if has_n else "") + ("events  " if has_e else "") + "HR (95% CI)  weight"
    ax.annotate(head if exponentiate else head.replace("HR", "Est."), xy=(1.01, k + 1.5),
                xycoords=("axes fraction", "data"), va="center", fontsize=8, fontweight="bold")
    for y, (_, row) in zip(ys, tab.iterrows(), strict=True):
        prefix = (f"{int(row['n'])}  " if has_n else "") + (
            f"{int(row['n_events'])}  " if has_e else "")
        ax.annotate(
            prefix + fmt.format(tr(row["estimate"]), tr(row["ci_lower"]), tr(row["ci_upper"]))
            + f"  {row['weight']:.1f}%",
            xy=(1.01, y), xycoords=("axes fraction", "data"), va="center", fontsize=8,
        )
    ax.annotate(
        fmt.format(tr(result.estimate), tr(result.ci_lower), tr(result.ci_upper)),
        xy=(1.01, 1.0), xycoords=("axes fraction", "data"), va="center", fontsize=8,
        fontweight="bold",
    )
    if result.method != "fixed":
        ax.annotate(
            "prediction interval " + f"{tr(result.pi_lower):.2f}–{tr(result.pi_upper):.2f}",
            xy=(1.01, 0.45), xycoords=("axes fraction", "data"), va="center", fontsize=7,
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


def plot_forest_subgroups(result, ax=None, *, exponentiate: bool = True):
    """Forest plot of a :class:`~ctcstats.meta.SubgroupMetaResult`: a header per subgroup,
    its studies, its pooled diamond, then the overall diamond and the between-subgroup test."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    tr = np.exp if exponentiate else (lambda x: x)
    rows: list[tuple[str, str, Any]] = []  # (kind, label, payload)
    for _, g in result.table.iterrows():
        rows.append(("header", str(g["subgroup"]), None))
        fit = result.subgroups.get(g["subgroup"])
        if fit is not None:
            for _, st in fit.table.iterrows():
                rows.append(("study", f"  {st['study']}", st))
        rows.append(("pooled", f"  Subtotal (k = {int(g['k'])})", g))
    rows.append(("overall", "Overall", result.overall))
    n = len(rows)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.38 * (n + 2)))
    labels, ys = [], []
    for i, (kind, label, payload) in enumerate(rows):
        y = n - i
        ys.append(y)
        labels.append(label)
        if kind == "study":
            ax.plot([tr(payload["ci_lower"]), tr(payload["ci_upper"])], [y, y], color="black", lw=1)
            ax.plot([tr(payload["estimate"])], [y], marker="s", color="tab:blue", ms=6, ls="none")
        elif kind in ("pooled", "overall"):
            est = payload["estimate"] if kind == "pooled" else payload.estimate
            lo = payload["ci_lower"] if kind == "pooled" else payload.ci_lower
            hi = payload["ci_upper"] if kind == "pooled" else payload.ci_upper
            color = "tab:orange" if kind == "pooled" else "tab:red"
            ax.add_patch(Polygon([[tr(lo), y], [tr(est), y + 0.3], [tr(hi), y],
                                  [tr(est), y - 0.3]], closed=True, color=color))
    ax.axvline(1.0 if exponentiate else 0.0, color="grey", ls="--", lw=0.8)
    if exponentiate:
        ax.set_xscale("log")
    ax.set_yticks(ys)
    ax.set_yticklabels(labels)
    for tick, (kind, _, _) in zip(ax.get_yticklabels(), rows, strict=True):
        if kind in ("header", "overall"):
            tick.set_fontweight("bold")
    ax.set_ylim(0.3, n + 0.7)
    ax.set_title(
        f"Test for subgroup differences: Q = {result.q_between:.2f}, "
        f"df = {int(result.q_between_df)}, p = {result.q_between_p_value:.3g}",
        fontsize=9, loc="left",
    )
    ax.set_xlabel("Hazard ratio" if exponentiate else "Effect")
    return ax
