"""Nomogram figure (computes nothing: everything comes from a NomogramResult)."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_nomogram"]


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:g}"


def plot_nomogram(result, ax=None, *, label_width: float = 0.3, tick_height: float = 0.12,
                  fontsize: float = 8.0):
    """Draw a Cox-model nomogram as ``plot(rms::nomogram(...))`` lays it out.

    From top to bottom: the ``Points`` axis (0 to ``max_points``), one axis per covariate
    (its values at their points), ``Total Points``, ``Linear Predictor`` and one
    ``Survival(t)`` axis per time. The total-points axis is rescaled to the width of the
    points axis, and the linear-predictor and survival axes are placed on it.

    Parameters
    ----------
    result : NomogramResult
    ax : matplotlib Axes, optional
    label_width : float, default 0.3
        Room for the row labels, as a fraction of the points-axis width.
    tick_height : float, default 0.12
        Tick length in row units.
    fontsize : float, default 8

    Returns
    -------
    matplotlib Axes
        Each row's label is a text at x < 0; the tick labels are texts above the ticks.
    """
    import matplotlib.pyplot as plt

    from ..prognostic.nomogram import r_pretty

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.55 * (len(result.points["covariate"].unique())
                                                 + 3 + len(result.horizon))))
    width = result.max_points
    sc = result.scales
    total = sc[sc["axis"] == "total_points"]["value"].to_numpy(dtype=float)
    total_max = float(total.max())
    rows: list[tuple[str, list[float], list[str]]] = []
    pts = r_pretty(0.0, width, 10)
    rows.append(("Points", [float(p) for p in pts], [_fmt(p) for p in pts]))
    for cov, g in result.points.groupby("covariate", sort=False, observed=True):
        rows.append((str(cov), g["points"].astype(float).tolist(),
                     [_fmt(v) for v in g["value"]]))
    scale = width / total_max
    rows.append(("Total Points", [float(v) * scale for v in total], [_fmt(v) for v in total]))
    lp = sc[sc["axis"] == "linear_predictor"]
    rows.append(("Linear Predictor", (lp["points"] * scale).tolist(),
                 [_fmt(v) for v in lp["value"]]))
    for t in result.horizon:
        s = sc[sc["axis"] == f"survival_{t:g}"]
        rows.append((f"Survival({t:g})", (s["points"] * scale).tolist(),
                     [_fmt(v) for v in s["value"]]))
    n = len(rows)
    char_w = 0.0125 * width * fontsize / 8.0  # approximate label width per character
    for i, (label, xs, labels) in enumerate(rows):
        y = n - 1 - i
        ax.text(-label_width * width * 0.05, y, label, ha="right", va="center",
                fontsize=fontsize)
        if not xs:
            continue
        ax.plot([min(xs), max(xs)], [y, y], color="black", lw=0.8)
        last_x, last_w = None, 0.0
        for x, lab in zip(xs, labels, strict=True):
            ax.plot([x, x], [y, y + tick_height], color="black", lw=0.8)
            w = char_w * len(lab)
            # as R's axis(): a label that would overlap the previous one is left out
            if last_x is not None and abs(x - last_x) < (w + last_w) / 2:
                continue
            ax.text(x, y + 1.6 * tick_height, lab, ha="center", va="bottom",
                    fontsize=fontsize * 0.9)
            last_x, last_w = x, w
    ax.set_xlim(-label_width * width, width * 1.05)
    ax.set_ylim(-0.6, n - 0.2)
    ax.set_axis_off()
    return ax
