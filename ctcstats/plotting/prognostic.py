"""Prognostic-validation figures: time-dependent ROC curve, calibration plot, decision curves.

Each function takes a result, draws on ``ax`` (a new figure when None) and returns the Axes;
nothing is estimated here. Artists carry gids so tests (and users) can find them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..prognostic.calibration import CalibrationResult
    from ..prognostic.competing import CompetingCalibrationResult
    from ..prognostic.decision import DecisionCurveResult
    from ..prognostic.metrics import TimeDependentAUCResult

__all__ = ["plot_calibration", "plot_competing_calibration", "plot_decision_curve", "plot_roc"]


def _axes(ax, size=(5.0, 5.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_roc(result: TimeDependentAUCResult, ax=None):
    """ROC curve of a cumulative/dynamic time-dependent AUC.

    Draws ``result.roc`` (``fpr`` against ``tpr``; gid ``"roc-curve"``) and the chance
    diagonal (gid ``"roc-chance"``); the legend gives the AUC and its confidence interval.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.prognostic.metrics import time_dependent_auc
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12, 14, 15], "e": [1, 1, 0, 1, 0, 1, 0, 0],
    ...                    "risk": [2.1, 1.5, 0.3, 0.9, 0.2, 0.4, 0.1, 0.6]})
    >>> ax = time_dependent_auc(df, time_col="t", event_col="e", risk_col="risk",
    ...                         horizon=8).plot()
    >>> [ln.get_gid() for ln in ax.get_lines()]
    ['roc-chance', 'roc-curve']
    """
    ax = _axes(ax)
    ax.plot([0, 1], [0, 1], ls="--", color="0.6", lw=1, gid="roc-chance")
    pct = round(100 * result.conf_level)
    ax.plot(result.roc["fpr"], result.roc["tpr"], drawstyle="default", lw=2, gid="roc-curve",
            label=f"AUC({result.horizon:g}) = {result.estimate:.3f} "
                  f"({pct}% CI {result.ci_lower:.3f}–{result.ci_upper:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("1 − specificity (false-positive rate)")
    ax.set_ylabel("Sensitivity (true-positive rate)")
    ax.set_title(f"Time-dependent ROC at t = {result.horizon:g}")
    ax.legend(loc="lower right")
    return ax


def plot_calibration(result: CalibrationResult, ax=None):
    """Calibration plot: grouped observed risks with CIs, the smooth curve and the diagonal.

    Draws the ideal line (gid ``"cal-ideal"``), the smooth calibration curve from
    ``result.curve`` (gid ``"cal-curve"``), the grouped points of ``result.table`` (gid
    ``"cal-groups"``) with their confidence intervals (error bars, gid ``"cal-group-ci"``),
    and the ICI / E50 / E90 in a text box (gid ``"cal-stats"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.prognostic.calibration import calibration
    >>> rng = np.random.default_rng(1)
    >>> lp = rng.normal(size=300)
    >>> t_ev = rng.exponential(30 * np.exp(-lp)); t_c = rng.uniform(5, 60, 300)
    >>> df = pd.DataFrame({"t": np.minimum(t_ev, t_c), "e": (t_ev <= t_c).astype(int),
    ...                    "p": 1 - np.exp(-(12 / 30) * np.exp(lp))})
    >>> ax = calibration(df, time_col="t", event_col="e", risk_col="p", horizon=12).plot()
    >>> sorted(ln.get_gid() for ln in ax.get_lines() if ln.get_gid())
    ['cal-curve', 'cal-groups', 'cal-ideal']
    """
    ax = _axes(ax)
    tab = result.table
    hi_lim = float(max(tab["ci_upper"].max(), result.curve["observed"].max(),
                       tab["mean_predicted"].max(), 0.05))
    lim = min(1.0, 1.05 * hi_lim)
    ax.plot([0, lim], [0, lim], ls="--", color="0.6", lw=1, gid="cal-ideal",
            label="Ideal")
    ax.plot(result.curve["predicted"], result.curve["observed"], lw=2, gid="cal-curve",
            label="Smooth (Cox, rcs of cloglog risk)")
    err = ax.errorbar(
        tab["mean_predicted"], tab["observed"],
        yerr=[tab["observed"] - tab["ci_lower"], tab["ci_upper"] - tab["observed"]],
        fmt="o", ms=5, capsize=2, color="black", label="Groups (1 − KM, CI)")
    err.lines[0].set_gid("cal-groups")
    for coll in err.lines[2]:
        coll.set_gid("cal-group-ci")
    ax.text(0.03, 0.97, f"ICI = {result.ici:.3f}\nE50 = {result.e50:.3f}\n"
            f"E90 = {result.e90:.3f}\nslope = {result.slope:.2f}",
            transform=ax.transAxes, va="top", ha="left", fontsize=9, gid="cal-stats")
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel(f"Predicted risk by t = {result.horizon:g}")
    ax.set_ylabel(f"Observed risk by t = {result.horizon:g}")
    ax.set_title("Calibration")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_competing_calibration(result: CompetingCalibrationResult, ax=None, *,
                               label: str | None = None):
    """Calibration of predicted cumulative incidence: Aalen–Johansen per group vs mean predicted.

    Draws the ideal line (gid ``"cal-ideal"``) and the groups of ``result.table`` (gid
    ``"cal-groups"``) with their confidence intervals (gid ``"cal-group-ci"``); ``label``
    names the model in the legend.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.prognostic.competing import competing_calibration
    >>> df = pd.DataFrame({"t": [2, 3, 4, 5, 7, 9, 12, 14, 15, 16],
    ...                    "e": [1, 2, 1, 0, 1, 0, 2, 0, 0, 1],
    ...                    "p": [0.8, 0.3, 0.6, 0.2, 0.5, 0.2, 0.4, 0.1, 0.3, 0.2]})
    >>> ax = competing_calibration(df, time_col="t", event_col="e", risk_col="p",
    ...                            horizon=10, n_groups=2).plot()
    >>> sorted(ln.get_gid() for ln in ax.get_lines() if ln.get_gid())
    ['cal-groups', 'cal-ideal']
    """
    ax = _axes(ax)
    tab = result.table
    lim = min(1.0, 1.05 * float(max(tab["ci_upper"].max(), tab["mean_predicted"].max(), 0.05)))
    if not any(ln.get_gid() == "cal-ideal" for ln in ax.get_lines()):
        ax.plot([0, lim], [0, lim], ls="--", color="0.6", lw=1, gid="cal-ideal",
                label="Ideal")
    err = ax.errorbar(
        tab["mean_predicted"], tab["observed"],
        yerr=[tab["observed"] - tab["ci_lower"], tab["ci_upper"] - tab["observed"]],
        fmt="o-", ms=5, capsize=2,
        label=label or "Groups (Aalen–Johansen, CI)")
    err.lines[0].set_gid("cal-groups")
    for coll in err.lines[2]:
        coll.set_gid("cal-group-ci")
    lim = max(lim, ax.get_xlim()[1]) if ax.has_data() and len(ax.get_lines()) > 2 else lim
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_xlabel(f"Predicted cumulative incidence by t = {result.horizon:g}")
    ax.set_ylabel(f"Observed cumulative incidence by t = {result.horizon:g}")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_decision_curve(result: DecisionCurveResult, ax=None):
    """Net benefit against threshold probability for each model, "treat all" and "none".

    One line per model (gid ``"dca-<model>"``, e.g. ``"dca-treat all"``). The y axis runs
    from a little below 0 to a little above the largest net benefit.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.prognostic.decision import decision_curve
    >>> df = pd.DataFrame({"t": [2, 4, 5, 7, 9, 12, 14, 15], "e": [1, 1, 0, 1, 0, 1, 0, 0],
    ...                    "p": [0.8, 0.7, 0.2, 0.5, 0.2, 0.3, 0.1, 0.3]})
    >>> ax = decision_curve(df, time_col="t", event_col="e", risk_cols=["p"], horizon=8).plot()
    >>> [ln.get_gid() for ln in ax.get_lines()]
    ['dca-p', 'dca-treat all', 'dca-treat none']
    """
    ax = _axes(ax, (6.0, 4.5))
    tab = result.table
    styles = {"treat all": dict(color="0.4", ls="--", lw=1),
              "treat none": dict(color="black", ls=":", lw=1)}
    for model in list(result.models) + ["treat all", "treat none"]:
        sub = tab[tab["model"] == model]
        ax.plot(sub["threshold"], sub["net_benefit"], label=model, gid=f"dca-{model}",
                **styles.get(model, dict(lw=2)))
    top = float(tab["net_benefit"].max())
    span = max(top, 0.01)
    ax.set_ylim(-0.1 * span, top + 0.1 * span)
    ax.set_xlim(float(tab["threshold"].min()), float(tab["threshold"].max()))
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.set_title(f"Decision curves at t = {result.horizon:g}")
    ax.legend(loc="upper right", fontsize=8)
    return ax
