"""Transition matrices of multi-state models: which state can be left for which.

A :class:`TransitionMatrix` is the Python counterpart of mstate's ``tmat`` (a states × states
matrix holding the transition number or ``NA``). Transitions are numbered 1, 2, … in the
order they are given, as ``mstate::transMat`` numbers them; the builders below give the
layouts of ``mstate::trans.illdeath`` and ``mstate::trans.comprisk`` and the one this package
needs most, first relapse by site followed by death.

Own code: there is no Python package for multi-state models to take this from; the
matrix is a small immutable object checked once (states unique, no self-transitions, no
cycles — the data builder walks every patient's path forward in time and needs an acyclic
graph, as ``mstate::msprep`` does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = [
    "TransitionMatrix",
    "competing_risks_transitions",
    "illness_death_transitions",
    "relapse_site_transitions",
    "transition_matrix",
]


@dataclass(frozen=True, repr=False, eq=True)
class TransitionMatrix:
    """The possible transitions of a multi-state model (mstate's ``tmat``).

    Build it with :func:`transition_matrix` or one of the layouts
    (:func:`illness_death_transitions`, :func:`relapse_site_transitions`,
    :func:`competing_risks_transitions`).

    Attributes
    ----------
    states : tuple of str
        State names in matrix order; the first is the state every patient starts in.
    pairs : tuple of (int, int)
        ``(from, to)`` state indices (0-based) of transition 1, 2, …
    """

    states: tuple[str, ...]
    pairs: tuple[tuple[int, int], ...]

    # ---- derived views -----------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_transitions(self) -> int:
        return len(self.pairs)

    @property
    def table(self) -> pd.DataFrame:
        """One row per transition: ``trans`` (1-based number), ``from``, ``to`` (state names)."""
        return pd.DataFrame(
            {
                "trans": np.arange(1, self.n_transitions + 1, dtype=np.int64),
                "from": pd.Series([self.states[a] for a, _ in self.pairs], dtype=object),
                "to": pd.Series([self.states[b] for _, b in self.pairs], dtype=object),
            }
        )

    @property
    def matrix(self) -> pd.DataFrame:
        """mstate's ``tmat``: rows ``from``, columns ``to``, the transition number or NaN."""
        m = np.full((self.n_states, self.n_states), np.nan)
        for k, (a, b) in enumerate(self.pairs):
            m[a, b] = k + 1
        return pd.DataFrame(
            m,
            index=pd.Index(self.states, name="from"),
            columns=pd.Index(self.states, name="to"),
        )

    @property
    def absorbing_states(self) -> tuple[str, ...]:
        """States that cannot be left (e.g. death)."""
        out = {a for a, _ in self.pairs}
        return tuple(s for i, s in enumerate(self.states) if i not in out)

    @property
    def initial_state(self) -> str:
        """The state every patient starts in (the first state)."""
        return self.states[0]

    def transitions_from(self, state: str) -> list[int]:
        """Transition numbers (1-based) out of *state*, in numbering order."""
        i = self.state_index(state)
        return [k + 1 for k, (a, _) in enumerate(self.pairs) if a == i]

    def state_index(self, state: str) -> int:
        try:
            return self.states.index(state)
        except ValueError:
            raise ParameterError(
                f"state {state!r} is not a state of the transition matrix; states: "
                f"{', '.join(repr(s) for s in self.states)}."
            ) from None

    def trans_number(self, from_state: str, to_state: str) -> int:
        """The number of the transition ``from_state → to_state``."""
        pair = (self.state_index(from_state), self.state_index(to_state))
        if pair not in self.pairs:
            raise ParameterError(
                f"there is no transition {from_state!r} → {to_state!r} in the transition "
                "matrix."
            )
        return self.pairs.index(pair) + 1

    # ---- display -----------------------------------------------------------------------
    def __repr__(self) -> str:
        arrows = ", ".join(
            f"{k + 1}: {self.states[a]}→{self.states[b]}" for k, (a, b) in enumerate(self.pairs)
        )
        return f"<TransitionMatrix {self.n_states} states, {self.n_transitions} transitions: {arrows}>"

    def __str__(self) -> str:
        m = self.matrix.astype("Int64").astype(object).where(self.matrix.notna(), "")
        return "Transition matrix (transition numbers)\n" + m.to_string()

    def _repr_html_(self) -> str:
        m = self.matrix.astype("Int64").astype(object).where(self.matrix.notna(), "")
        return (
            "<div class='ctcstats-result'><h4>Transition matrix</h4>"
            + m.to_html(escape=True, border=0)
            + "</div>"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description: the states and the numbered transitions."""
        return {
            "result": "TransitionMatrix",
            "states": list(self.states),
            "transitions": [
                {"trans": k + 1, "from": self.states[a], "to": self.states[b]}
                for k, (a, b) in enumerate(self.pairs)
            ],
        }


def _check_state_name(name, *, func: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(
            f"state names given to {func} must be non-empty strings; got {name!r}."
        )
    return name


def transition_matrix(transitions: Mapping[str, Sequence[str]]) -> TransitionMatrix:
    """A transition matrix from a mapping ``state → states it can move to``.

    The counterpart of ``mstate::transMat(x = list(...), names = ...)``: transitions are
    numbered in the order given (the first state's targets first). States appear in the order
    of the keys, followed by any target not listed as a key (absorbing states).

    Parameters
    ----------
    transitions : mapping of str to sequence of str
        E.g. ``{"disease_free": ["relapse", "death"], "relapse": ["death"]}``. The first key
        is the state every patient starts in; it must have no incoming transition.

    Returns
    -------
    TransitionMatrix
        ``.table`` (``trans, from, to``), ``.matrix`` (mstate's ``tmat``), ``.states``.

    Raises
    ------
    ParameterError
        A state listed twice as a target of the same state, a transition into itself, a
        cycle (a state reachable from itself), or an initial state that can be entered.

    Examples
    --------
    >>> from ctcstats.multistate import transition_matrix
    >>> tm = transition_matrix({"disease_free": ["relapse", "death"], "relapse": ["death"]})
    >>> tm.table.to_string(index=False)
    ' trans         from      to\\n     1 disease_free relapse\\n     2 disease_free   death\\n     3      relapse   death'
    """
    func = "transition_matrix"
    if not isinstance(transitions, Mapping) or not transitions:
        raise ParameterError(
            f"The 'transitions' parameter of {func} must be a non-empty mapping of state "
            f"names to the states they can move to; got {transitions!r}."
        )
    states: list[str] = []
    for key in transitions:
        _check_state_name(key, func=func)
        states.append(key)
    pairs: list[tuple[int, int]] = []
    for key, targets in transitions.items():
        if isinstance(targets, str) or not isinstance(targets, Sequence):
            raise ParameterError(
                f"The targets of state {key!r} given to {func} must be a list of state names; "
                f"got {targets!r}" + (f" (write [{targets!r}])." if isinstance(targets, str)
                                      else ".")
            )
        if len(set(targets)) != len(targets):
            raise ParameterError(f"state {key!r} lists a target twice: {list(targets)}.")
        for t in targets:
            _check_state_name(t, func=func)
            if t == key:
                raise ParameterError(
                    f"state {key!r} lists itself as a target; a transition must change state."
                )
            if t not in states:
                states.append(t)
            pairs.append((states.index(key), states.index(t)))
    if not pairs:
        raise ParameterError(f"{func} needs at least one transition; got {dict(transitions)!r}.")
    tm = TransitionMatrix(states=tuple(states), pairs=tuple(pairs))
    _check_acyclic(tm, func=func)
    if any(b == 0 for _, b in pairs):
        raise ParameterError(
            f"the first state {states[0]!r} (where every patient starts) can be entered from "
            "another state; list the starting state first and make it a state that is only "
            "left."
        )
    return tm


def _check_acyclic(tm: TransitionMatrix, *, func: str) -> None:
    n = tm.n_states
    adj = [[b for a, b in tm.pairs if a == i] for i in range(n)]
    colour = [0] * n  # 0 new, 1 on stack, 2 done

    def visit(i: int, path: list[int]) -> None:
        colour[i] = 1
        for j in adj[i]:
            if colour[j] == 1:
                cyc = path[path.index(j):] + [i, j] if j in path else [i, j]
                names = " → ".join(tm.states[k] for k in cyc)
                raise ParameterError(
                    f"the transitions given to {func} contain a cycle ({names}); multi-state "
                    "data are built by following each patient forward through states that "
                    "cannot be re-entered — give a re-entered state its own name (e.g. "
                    "'relapse_2')."
                )
            if colour[j] == 0:
                visit(j, path + [i])
        colour[i] = 2

    for i in range(n):
        if colour[i] == 0:
            visit(i, [])


def illness_death_transitions(
    states: Sequence[str] = ("healthy", "illness", "death"),
) -> TransitionMatrix:
    """The illness–death model: 1 → 2, 1 → 3, 2 → 3 (``mstate::trans.illdeath``).

    Parameters
    ----------
    states : sequence of three str
        Names of the initial, intermediate and absorbing states, e.g.
        ``("disease_free", "relapse", "death")``.

    Examples
    --------
    >>> from ctcstats.multistate import illness_death_transitions
    >>> illness_death_transitions(("disease_free", "relapse", "death")).n_transitions
    3
    """
    states = _states_arg(states, 3, "illness_death_transitions")
    a, b, c = states
    return transition_matrix({a: [b, c], b: [c]})


def competing_risks_transitions(
    causes: Sequence[str], *, initial: str = "event_free"
) -> TransitionMatrix:
    """Competing risks: the initial state to each cause (``mstate::trans.comprisk``).

    Examples
    --------
    >>> from ctcstats.multistate import competing_risks_transitions
    >>> competing_risks_transitions(["bone", "other", "death"]).table["to"].tolist()
    ['bone', 'other', 'death']
    """
    causes = _states_arg(causes, None, "competing_risks_transitions")
    return transition_matrix({initial: list(causes)})


def relapse_site_transitions(
    sites: Sequence[str] = ("bone", "other_distant"),
    *,
    initial: str = "disease_free",
    death: str = "death",
) -> TransitionMatrix:
    """First relapse by site, then death: ``initial → site_k``, ``initial → death``,
    ``site_k → death``.

    Transitions are numbered: first ``initial → site_1 … site_K``, then ``initial → death``,
    then ``site_1 → death … site_K → death``. With one site this is the illness–death model.

    Parameters
    ----------
    sites : sequence of str, default ("bone", "other_distant")
        Names of the first-relapse states (e.g. ``("local", "bone", "visceral")``).
    initial, death : str
        Names of the starting and the absorbing state.

    Examples
    --------
    >>> from ctcstats.multistate import relapse_site_transitions
    >>> tm = relapse_site_transitions(("bone", "other_distant"))
    >>> [f"{r['from']}->{r['to']}" for _, r in tm.table.iterrows()]
    ['disease_free->bone', 'disease_free->other_distant', 'disease_free->death', 'bone->death', 'other_distant->death']
    """
    sites = _states_arg(sites, None, "relapse_site_transitions")
    spec: dict[str, list[str]] = {initial: [*sites, death]}
    for s in sites:
        spec[s] = [death]
    return transition_matrix(spec)


def _states_arg(states, n: int | None, func: str) -> list[str]:
    if isinstance(states, str) or not isinstance(states, Sequence):
        raise ParameterError(
            f"The state names given to {func} must be a list of strings; got {states!r}."
        )
    states = list(states)
    if (n is not None and len(states) != n) or not states:
        want = f"exactly {n}" if n is not None else "at least one"
        raise ParameterError(
            f"{func} needs {want} state names; got {states!r}."
        )
    for s in states:
        _check_state_name(s, func=func)
    if len(set(states)) != len(states):
        raise ParameterError(f"{func} was given a state name twice: {states!r}.")
    return states
