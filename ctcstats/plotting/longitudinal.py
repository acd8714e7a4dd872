"""Figures for serial counts and joint models: individual trajectories, dynamic survival.

Each function takes precomputed tables (from the result objects of
:mod:`ctcstats.longitudinal`), draws them on ``ax`` (a new Axes when None) and returns the
Axes. Nothing is estimated here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_trajectories", "plot_dynamic_survival"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_trajectories(observed: pd.DataFrame, fitted: pd.DataFrame, *, ax=None,
                      population: bool = True, log_scale: bool = True):
    """Observed concentrations (points) with fitted subject and population curves.

    Parameters
    ----------
    observed : DataFrame
        ``id, time, concentration`` (count / volume) of the patients to show.
    fitted : DataFrame
        ``id, time, population, subject`` — fitted log-concentrations on a time grid.
    ax : matplotlib Axes, optional
    population : bool
        Also draw each patient's population curve (random effects 0), dashed.
    log_scale : bool
        Symmetric-log y axis (zeros stay visible; linear below one cell per unit volume).

    Returns
    -------
    matplotlib Axes
        Points carry the gid ``observed``; subject curves ``subject:<id>``; population curves
        ``population:<id>``.
    """
    import seaborn as sns

    ax = _axes(ax)
    ids = list(pd.unique(observed["id"]))
    palette = dict(zip(ids, sns.color_palette("husl", len(ids)), strict=True))
    obs = observed.assign(patient=observed["id"].astype(str))
    sns.scatterplot(data=obs, x="time", y="concentration", hue="patient",
                    palette={str(k): v for k, v in palette.items()}, ax=ax, legend=False,
                    s=28, edgecolor="black", linewidth=0.4, zorder=3)
    ax.collections[-1].set_gid("observed")
    for pid in ids:
        f = fitted.loc[fitted["id"] == pid]
        (line,) = ax.plot(f["time"], np.exp(f["subject"]), color=palette[pid], lw=1.6)
        line.set_gid(f"subject:{pid}")
        if population:
            (pl,) = ax.plot(f["time"], np.exp(f["population"]), color=palette[pid], lw=1.0,
                            ls="--", alpha=0.7)
            pl.set_gid(f"population:{pid}")
    if log_scale:
        ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("time since first draw")
    ax.set_ylabel("cells per unit volume")
    ax.set_title("Serial counts: fitted subject (solid) and population (dashed) curves")
    return ax


def plot_dynamic_survival(history: pd.DataFrame, prediction: pd.DataFrame, *, ax=None):
    """A patient's counts so far and the predicted conditional survival beyond the last draw.

    Parameters
    ----------
    history : DataFrame
        ``time, concentration`` of the patient's draws.
    prediction : DataFrame
        ``horizon, survival, ci_lower, ci_upper`` (survival conditional on being event-free
        at the landmark).

    Returns
    -------
    matplotlib Axes
        The survival curve has gid ``survival``, its band ``survival_band``, the counts
        (on a twin axis) ``history``.
    """
    ax = _axes(ax)
    pr = prediction.sort_values("horizon")
    (line,) = ax.plot(pr["horizon"], pr["survival"], color="tab:blue", lw=2,
                      drawstyle="default")
    line.set_gid("survival")
    band = ax.fill_between(pr["horizon"], pr["ci_lower"], pr["ci_upper"], color="tab:blue",
                           alpha=0.2)
    band.set_gid("survival_band")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("time")
    ax.set_ylabel("P(event-free | history)")
    twin = ax.twinx()
    pts = twin.scatter(history["time"], history["concentration"], color="tab:red", zorder=3)
    pts.set_gid("history")
    twin.set_ylabel("cells per unit volume", color="tab:red")
    if len(history):
        ax.axvline(float(np.max(history["time"])), color="0.5", ls=":", lw=1)
    ax.set_title("Dynamic prediction given the counts so far")
    return ax
