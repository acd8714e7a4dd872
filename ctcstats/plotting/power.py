"""Power figures: simulated power against sample size.

The numbers come from the result's ``table`` (``n, power, ci_lower, ci_upper,
schoenfeld_power``); nothing is simulated or estimated here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_power_curve"]


def plot_power_curve(result, ax=None, *, color: str = "C0", show_schoenfeld: bool = True,
                     target: float | None = None):
    """Simulated power (with its exact binomial band) against n.

    Parameters
    ----------
    result : PowerCurveResult or SampleSizeResult
        From :func:`ctcstats.designs.power.power_curve` or ``sample_size``.
    ax : matplotlib Axes, optional
        Axes to draw on (a new figure when None).
    color : str
        Colour of the simulated curve and its band.
    show_schoenfeld : bool, default True
        Also draw Schoenfeld's closed-form power at the simulated mean events and log HR.
    target : float, optional
        A target power to mark (default: the result's ``target_power`` if it has one).

    Returns
    -------
    matplotlib.axes.Axes
        The simulated curve is a ``Line2D`` with gid ``"power-sim"``, its band a
        ``PolyCollection`` with gid ``"power-band"``, the closed form gid ``"power-schoenfeld"``,
        the target a horizontal line gid ``"power-target"`` and, for a sample-size result, the
        chosen n a vertical line gid ``"power-n"``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    tab = result.table.sort_values("n")
    n = tab["n"].to_numpy()
    ax.plot(n, tab["power"], marker="o", color=color, label="simulated", gid="power-sim")
    band = ax.fill_between(n, tab["ci_lower"], tab["ci_upper"], color=color, alpha=0.2,
                           linewidth=0, label="95% CI (exact)")
    band.set_gid("power-band")
    if show_schoenfeld and "schoenfeld_power" in tab and np.isfinite(tab["schoenfeld_power"]).any():
        ax.plot(n, tab["schoenfeld_power"], linestyle="--", color="0.35",
                label="Schoenfeld formula", gid="power-schoenfeld")
    tgt = target if target is not None else getattr(result, "target_power", None)
    if tgt is not None:
        ax.axhline(tgt, color="0.5", linestyle=":", linewidth=1, gid="power-target")
    if hasattr(result, "target_power") and hasattr(result, "n") and result.n in set(n):
        ax.axvline(result.n, color="C3", linestyle=":", linewidth=1, gid="power-n")
    ax.set_xlabel("patients (n)")
    ax.set_ylabel("power")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{result.design}: power at alpha = {result.alpha:g}")
    ax.legend(loc="lower right", frameon=False)
    return ax
