"""Figures of dynamic prediction: risk over landmarks per patient and landmark-dependent
hazard ratios of a landmark supermodel. The numbers come from the results; nothing is
estimated here."""

from __future__ import annotations

__all__ = ["plot_dynamic_risk", "plot_landmark_effects"]


def plot_dynamic_risk(result, ax=None, *, band: bool = True):
    """Predicted risk in ``(s, s + horizon]`` against the landmark ``s``, one line per patient.

    Parameters
    ----------
    result : LandmarkPredictionResult
        From ``LandmarkSupermodelResult.predict``.
    ax : matplotlib Axes, optional
    band : bool, default True
        Shade the confidence interval (where finite).

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per patient with gid ``"dynamic-risk"`` and label the patient id.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import ctcstats as cs
    >>> sc = cs.simulate_study("hayes2006", n=300, rng=4)
    >>> sm = cs.landmark_supermodel(sc.data, draws=sc.draws, landmarks=[0, 1, 2], horizon=6,
    ...                             time_col="os_months", event_col="os_event",
    ...                             marker_col="ctc_count", transform="log1p")
    >>> ax = sm.predict(sc.draws[sc.draws.patient_id <= 2], landmark=[0, 1, 2]).plot()
    >>> len([ln for ln in ax.get_lines() if ln.get_gid() == "dynamic-risk"])
    2
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    tab = result.table
    for i, (pid, g) in enumerate(tab.groupby("id", sort=False, observed=True)):
        g = g.sort_values("landmark")
        color = f"C{i % 10}"
        ax.plot(g["landmark"], g["risk"], marker="o", color=color, label=str(pid),
                gid="dynamic-risk")
        if band and g["ci_lower"].notna().all():
            ax.fill_between(g["landmark"], g["ci_lower"], g["ci_upper"], color=color,
                            alpha=0.15, linewidth=0)
    ax.set_xlabel("landmark s (time from baseline)")
    ax.set_ylabel(f"risk of event in (s, s + {result.horizon:g}]")
    ax.set_ylim(0, 1)
    if len(tab["id"].unique()) <= 10:
        ax.legend(title="patient", fontsize="small")
    return ax


def plot_landmark_effects(result, ax=None, *, n_points: int = 50):
    """Hazard ratio of each marker-summary term as a function of the landmark, with CIs.

    Parameters
    ----------
    result : LandmarkSupermodelResult
    ax : matplotlib Axes, optional
    n_points : int
        Grid points between the first and last landmark.

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per term with gid ``"landmark-effect"``; log y axis.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    eff = result.landmark_effects(n_points=n_points)
    for i, (term, g) in enumerate(eff.groupby("term", sort=False, observed=True)):
        color = f"C{i % 10}"
        ax.plot(g["landmark"], g["hr"], color=color, label=term, gid="landmark-effect")
        ax.fill_between(g["landmark"], g["ci_lower"], g["ci_upper"], color=color, alpha=0.15,
                        linewidth=0)
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("landmark s")
    ax.set_ylabel("hazard ratio β(s)")
    ax.legend(fontsize="small")
    return ax


def plot_dynamic_performance(result, ax=None, *, metric: str = "auc"):
    """One performance metric per landmark, one line per model.

    Parameters
    ----------
    result : DynamicPerformanceResult
    ax : matplotlib Axes, optional
    metric : str
        A column of ``result.table`` (``auc``, ``c_index``, ``brier``, ``ipa``,
        ``oe_ratio``).

    Returns
    -------
    matplotlib.axes.Axes
        One ``Line2D`` per model with gid ``"dynamic-performance"``.
    """
    import matplotlib.pyplot as plt

    from ..errors import ParameterError

    allowed = ("auc", "c_index", "brier", "ipa", "oe_ratio", "null_brier", "calibration_slope")
    if metric not in allowed:
        raise ParameterError(f"The 'metric' parameter of plot must be one of {list(allowed)}; "
                             f"got {metric!r}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 3.5))
    for i, (name, g) in enumerate(result.table.groupby("model", sort=False, observed=True)):
        ax.plot(g["landmark"], g[metric], marker="o", color=f"C{i % 10}", label=str(name),
                gid="dynamic-performance")
    ax.set_xlabel("landmark s")
    ax.set_ylabel(f"{metric} (window {result.horizon:g})")
    ax.legend(fontsize="small")
    return ax
