"""Multi-state figures: stacked cumulative incidence of competing causes, stacked state
occupation and transition probabilities, and cause-specific vs subdistribution hazard ratios.

Every function takes a result, draws on ``ax`` and returns it; the numbers come from the
result's tables, nothing is estimated here. Where a result holds several groups and no group
is chosen, one panel per group is drawn: ``ax`` may then be a sequence of Axes (one per
group), and a new figure with one panel per group is made when ``ax`` is None; the return
value is then a numpy array of Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from ..multistate.competing import CauseSpecificResult, CompetingIncidenceResult
    from ..multistate.probabilities import StateProbabilityResult, TransitionProbabilityResult

__all__ = [
    "plot_cause_specific",
    "plot_stacked_incidence",
    "plot_state_probabilities",
    "plot_transition_probabilities",
]


def _panels(ax, groups: list, func: str):
    """Axes for each group: a new row of panels, the given sequence, or the single Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, grid = plt.subplots(1, len(groups), figsize=(4.2 * len(groups) + 1.5, 4.2),
                               sharey=True, squeeze=False)
        return list(grid[0]), len(groups) > 1
    if isinstance(ax, (list, tuple, np.ndarray)):
        axes = list(np.ravel(ax))
        if len(axes) != len(groups):
            raise ParameterError(
                f"The 'ax' parameter of {func} must hold one Axes per group ({len(groups)}); "
                f"got {len(axes)}."
            )
        return axes, True
    if len(groups) > 1:
        raise ParameterError(
            f"{func} draws one panel per group ({len(groups)} groups): pass group=... to draw "
            "one of them on this Axes, or a list of Axes (one per group)."
        )
    return [ax], False


def _pick_groups(all_groups, group, func: str) -> list:
    if group is None:
        return list(all_groups)
    if group not in list(all_groups):
        raise ParameterError(
            f"The 'group' parameter of {func} must be one of {list(all_groups)}; got {group!r}."
        )
    return [group]


def _stack(ax, t, curves: np.ndarray, labels: list[str], colors, *, stacked: bool, gid: str,
           rest_label: str | None = None):
    """Step areas (stacked) or step lines; curves is (n_curves, len(t))."""
    if stacked:
        lower = np.zeros_like(t, dtype=float)
        for i, lab in enumerate(labels):
            upper = lower + curves[i]
            poly = ax.fill_between(t, lower, upper, step="post", color=colors[i], alpha=0.8,
                                   linewidth=0, label=lab)
            poly.set_gid(gid)
            lower = upper
        if rest_label is not None:
            poly = ax.fill_between(t, lower, np.ones_like(t), step="post", color="0.92",
                                   linewidth=0, label=rest_label)
            poly.set_gid(f"{gid}-rest")
    else:
        for i, lab in enumerate(labels):
            (line,) = ax.step(t, curves[i], where="post", color=colors[i], label=lab)
            line.set_gid(gid)
    ax.set_ylim(0.0, 1.0)


def _colors(n: int):
    import matplotlib.pyplot as plt

    cyc = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    return [cyc[i % len(cyc)] for i in range(n)]


def _finish(axes, many: bool, titles: list[str], xlabel: str, ylabel: str):
    for a, title in zip(axes, titles, strict=True):
        a.set_xlabel(xlabel)
        if title:
            a.set_title(title)
    axes[0].set_ylabel(ylabel)
    axes[-1].legend(loc="upper left", frameon=False, fontsize="small")
    return np.asarray(axes, dtype=object) if many else axes[0]


# --------------------------------------------------------------------------- incidence
def plot_stacked_incidence(result: CompetingIncidenceResult, ax=None, *, group=None,
                           stacked: bool = True):
    """Cumulative incidence of the competing causes, stacked, one panel per group.

    At each time the bands are the causes' cumulative incidences on top of each other; the
    grey band above them is the probability of being free of every event (for causes that
    are all first events, they add up to 1).

    Parameters
    ----------
    result : CompetingIncidenceResult
        From :func:`ctcstats.multistate.competing_incidence`.
    ax : Axes, sequence of Axes, optional
    group : optional
        Draw this group only.
    stacked : bool, default True
        Stacked bands; ``False`` draws one step line per cause.

    Returns
    -------
    Axes or numpy array of Axes
        Bands have gid ``"cif-stack"`` (``"cif-stack-rest"`` for the event-free part), lines
        ``"cif-line"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.multistate import competing_incidence
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 5, 6, 7, 8], "e": [1, 2, 0, 1, 1, 0, 2, 1],
    ...                    "g": ["a", "b", "a", "b", "a", "b", "a", "b"]})
    >>> axes = competing_incidence(df, time_col="t", event_col="e", group_col="g").plot()
    >>> len(axes)
    2
    """
    func = "plot_stacked_incidence"
    groups = _pick_groups(result.groups, group, func)
    axes, many = _panels(ax, groups, func)
    colors = _colors(len(result.causes))
    tab = result.table
    for a, g in zip(axes, groups, strict=True):
        sub = tab[tab["group"] == g]
        end = max(float(result.cause_result(c)._max_time[g]) for c in result.causes)
        grid = np.unique(np.concatenate([[0.0], sub["time"].to_numpy(float), [end]]))
        curves = np.zeros((len(result.causes), grid.size))
        for i, c in enumerate(result.causes):
            rows = sub[sub["cause"] == c]
            idx = np.searchsorted(rows["time"].to_numpy(float), grid, side="right")
            curves[i] = np.concatenate([[0.0], rows["cif"].to_numpy(float)])[idx]
        _stack(a, grid, curves, list(result.causes), colors, stacked=stacked,
               gid="cif-stack" if stacked else "cif-line",
               rest_label="event-free" if stacked else None)
        a.set_xlim(0.0, end)
    titles = [f"{result.group_col} = {g}" if result.group_col else "" for g in groups]
    return _finish(axes, many, titles, result.time_col, "Cumulative incidence")


# --------------------------------------------------------------------------- probabilities
def plot_state_probabilities(result: StateProbabilityResult, ax=None, *, group=None,
                             stacked: bool = True):
    """State occupation probabilities over time, stacked (they add up to 1), per group.

    Parameters
    ----------
    result : StateProbabilityResult
        From :func:`ctcstats.multistate.state_probabilities`.
    ax : Axes, sequence of Axes, optional
    group : optional
        Draw this group only.
    stacked : bool, default True
        Stacked bands in the order of the states; ``False`` draws one step line per state.

    Returns
    -------
    Axes or numpy array of Axes
        Bands have gid ``"state-stack"``, lines ``"state-line"``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from ctcstats.multistate import (illness_death_transitions, multistate_data,
    ...                                   state_probabilities)
    >>> df = pd.DataFrame({"pid": range(1, 7), "rel_m": [5., 8., 20., 4., 30., 12.],
    ...                    "rel": [1, 1, 0, 1, 0, 1], "os_m": [9., 25., 20., 6., 30., 40.],
    ...                    "dead": [1, 0, 1, 1, 0, 1]})
    >>> ms = multistate_data(df, transitions=illness_death_transitions(),
    ...     state_time_cols={"illness": "rel_m", "death": "os_m"},
    ...     state_event_cols={"illness": "rel", "death": "dead"}, id_col="pid")
    >>> ax = state_probabilities(ms).plot()
    >>> len([p for p in ax.collections if p.get_gid() == "state-stack"])
    3
    """
    func = "plot_state_probabilities"
    groups = _pick_groups(result.groups, group, func)
    axes, many = _panels(ax, groups, func)
    states = list(result.states)
    colors = _colors(len(states))
    for a, g in zip(axes, groups, strict=True):
        c = result._curves[g]
        grid = np.concatenate([[min(0.0, float(c.time[0]))], c.time])
        probs = np.vstack([c.p0[None, :], c.prob]).T  # (S, T + 1)
        _stack(a, grid, probs, states, colors, stacked=stacked,
               gid="state-stack" if stacked else "state-line")
        a.set_xlim(grid[0], grid[-1])
    titles = [f"{result.group_col} = {g}" if result.group_col else "" for g in groups]
    return _finish(axes, many, titles, "time", "Probability of being in state")


def plot_transition_probabilities(result: TransitionProbabilityResult, ax=None, *,
                                  from_state: str | None = None, group=None,
                                  stacked: bool = True):
    """``P(s, t)`` from one starting state, stacked over the states, per group or profile.

    Parameters
    ----------
    result : TransitionProbabilityResult
    ax : Axes, sequence of Axes, optional
    from_state : str, optional
        The starting state (default: the first one in the table).
    group : optional
        Draw this group / profile only.
    stacked : bool, default True

    Returns
    -------
    Axes or numpy array of Axes
        Bands have gid ``"state-stack"``, lines ``"state-line"``.
    """
    func = "plot_transition_probabilities"
    tab = result.table
    froms = list(dict.fromkeys(tab["from"]))
    if from_state is None:
        from_state = froms[0]
    elif from_state not in froms:
        raise ParameterError(
            f"The 'from_state' parameter of {func} must be one of {froms}; got {from_state!r}."
        )
    labels = list(dict.fromkeys(tab[result.by]))
    groups = _pick_groups(labels, group, func)
    axes, many = _panels(ax, groups, func)
    states = list(result.states)
    colors = _colors(len(states))
    for a, g in zip(axes, groups, strict=True):
        sub = tab[(tab[result.by] == g) & (tab["from"] == from_state)]
        wide = sub.pivot(index="time", columns="state", values="probability")[states]
        grid = wide.index.to_numpy(float)
        _stack(a, grid, wide.to_numpy(float).T, states, colors, stacked=stacked,
               gid="state-stack" if stacked else "state-line")
        a.set_xlim(grid[0], grid[-1])
    titles = [f"{result.by} {g}: from {from_state}" for g in groups]
    return _finish(axes, many, titles, "time", f"P(state at t | {from_state} at "
                   f"{result.start_time:g})")


# --------------------------------------------------------------------------- hazard ratios
def plot_cause_specific(result: CauseSpecificResult, ax=None, *, term: str | None = None):
    """Cause-specific and subdistribution hazard ratios of one term, per cause (log axis).

    Returns
    -------
    Axes
        Points with gid ``"hr-cause_specific"`` and ``"hr-fine_gray"``, one per cause.
    """
    import matplotlib.pyplot as plt

    tab = result.table
    terms = list(dict.fromkeys(tab["term"]))
    if term is None:
        term = terms[0]
    elif term not in terms:
        raise ParameterError(
            f"The 'term' parameter of plot_cause_specific must be one of {terms}; got {term!r}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.6 * len(result.causes) + 1.5))
    causes = list(result.causes)
    y = np.arange(len(causes))[::-1].astype(float)
    styles = {"cause_specific": ("o", "C0", -0.12, "cause-specific HR"),
              "fine_gray": ("s", "C3", 0.12, "subdistribution HR")}
    for model, (marker, color, dy, label) in styles.items():
        sub = tab[(tab["model"] == model) & (tab["term"] == term)].set_index("cause")
        if sub.empty:
            continue
        sub = sub.reindex(causes)
        hr = sub["hr"].to_numpy(float)
        err = np.vstack([hr - sub["ci_lower"].to_numpy(float),
                         sub["ci_upper"].to_numpy(float) - hr])
        cont = ax.errorbar(hr, y + dy, xerr=err, fmt=marker, color=color, label=label,
                           capsize=3)
        cont.lines[0].set_gid(f"hr-{model}")
    ax.axvline(1.0, color="0.5", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(causes)
    ax.set_xlabel(f"hazard ratio of {term}")
    ax.legend(loc="best", frameon=False, fontsize="small")
    return ax
