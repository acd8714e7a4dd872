"""Figures for cut-point analyses: the maximally selected statistic scan and its stability.

Axes in (``ax=None`` creates one), Axes out; everything drawn was computed by
:mod:`ctcstats.cutpoints`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["plot_cutpoint_scan", "plot_cutpoint_stability"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.5, 4.0))
    return ax


def plot_cutpoint_scan(
    result, ax=None, *, clinical_thresholds: Sequence[float] | None = (1, 3, 5)
):
    """Standardised log-rank statistic over the candidate cut-points.

    Draws the statistic of every candidate cut-point (points joined by a line), a solid
    vertical line at the chosen cut-point, dotted vertical lines at pre-specified clinical
    thresholds (e.g. the CellSearch ≥ 1, ≥ 3, ≥ 5 CTC conventions; a threshold "≥ k" is
    the cut-point ``k − 1`` for counts, but the lines are drawn where given), and a dashed
    horizontal line at the corrected critical value (``result.critical_value``) when finite.

    Parameters
    ----------
    result : CutpointResult
    ax : matplotlib Axes, optional
    clinical_thresholds : sequence of float or None
        Pre-specified thresholds to mark; ``None`` or ``()`` for none.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    scan = result.scan
    ax.plot(scan["cutpoint"], scan["statistic"], marker="o", ms=3, lw=1.2, color="C0",
            label="standardised log-rank statistic", gid="scan")
    ax.axvline(result.cutpoint, color="C3", lw=1.5,
               label=f"chosen cut-point ({result.cutpoint:g})", gid="chosen")
    for i, thr in enumerate(clinical_thresholds or ()):
        ax.axvline(float(thr), color="0.4", ls=":", lw=1.0,
                   label="pre-specified thresholds" if i == 0 else None, gid="threshold")
    if np.isfinite(result.critical_value):
        lvl = 1 - result.conf_level
        ax.axhline(result.critical_value, color="C2", ls="--", lw=1.0,
                   label=f"critical value ({result.p_method}, α = {lvl:g})", gid="critical")
    ax.set_xlabel(f"cut-point of {result.marker_col} (low group: ≤ cut-point)")
    ax.set_ylabel("standardised log-rank statistic")
    ax.set_title(
        f"Maximally selected log-rank statistic: M = {result.statistic:.3g}, "
        f"corrected p = {result.p_value:.3g}"
    )
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_cutpoint_stability(result, ax=None):
    """Share of bootstrap resamples selecting each cut-point (bars); original cut highlighted.

    Parameters
    ----------
    result : CutpointStabilityResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    tab = result.table
    labels = [f"{c:g}" for c in tab["cutpoint"]]
    colors = ["C3" if c == result.original_cutpoint else "C0" for c in tab["cutpoint"]]
    ax.bar(np.arange(len(tab)), tab["proportion"], color=colors)
    ax.set_xticks(np.arange(len(tab)), labels, rotation=90 if len(tab) > 15 else 0)
    ax.set_xlabel(f"selected cut-point of {result.marker_col}")
    ax.set_ylabel("proportion of bootstrap resamples")
    ax.set_title(
        f"Cut-point stability: original {result.original_cutpoint:g} chosen in "
        f"{100 * result.proportion_original:.0f}% of {result.n_boot - result.n_failed} resamples"
    )
    return ax
