"""Aalen–Johansen state occupation probabilities with infinitesimal-jackknife standard errors.

Internal engine of :func:`ctcstats.multistate.state_probabilities`; the arithmetic of R
``survival::survfit`` for multi-state data (its C routine ``survfitci``, survival 3.5):

* at every distinct time at which somebody moves, the transition matrix
  ``H = I + dA`` with ``dA[h, j] = (moves h → j) / (number in h)`` and ``p(t) = p(t-) H``;
* the influence of patient ``i`` on ``p(t)``: ``U_i(t) = U_i(t-) H + p(t-) dH_i`` where
  ``dH_i[h, ·] = (dN_i[h, ·] - Y_i,h dA[h, ·]) / Y_h`` for the state ``h`` occupied by ``i``
  (a patient's rows share one influence: survfit clusters on ``id``);
* ``std_error(t) = sqrt(sum_i U_i(t)^2)``, at every distinct (event or censoring) time;
* the restricted mean time in state up to ``tau``, ``∫_0^tau p(t) dt``, and its influence
  ``∫_0^tau U_i(t) dt`` (R ``residuals(fit, times = tau, type = "sojourn")``).

Nothing here validates input: the public function passes clean arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AJCurve", "aalen_johansen"]


@dataclass(frozen=True)
class AJCurve:
    """One group's curve: values at every distinct exit time (``time``)."""

    time: np.ndarray  # (T,)
    p0: np.ndarray  # (S,) distribution just before the first time
    prob: np.ndarray  # (T, S)
    std_error: np.ndarray  # (T, S)
    n_at_risk: np.ndarray  # (T, S) number in each state just before time
    n_events: np.ndarray  # (T, S) moves into each state at time
    n_censored: np.ndarray  # (T,)
    max_time: float
    # counts for transition probabilities: distinct times with a move, moves per transition,
    # number at risk in each state just before
    event_time: np.ndarray  # (E,)
    event_counts: np.ndarray  # (E, S, S) moves h -> j
    event_at_risk: np.ndarray  # (E, S)
    rmean: np.ndarray | None = None  # (S,) at tau
    rmean_std_error: np.ndarray | None = None  # (S,)


def aalen_johansen(
    entry: np.ndarray,
    exit: np.ndarray,
    state: np.ndarray,
    next_state: np.ndarray,
    cluster: np.ndarray,
    n_states: int,
    *,
    tau: float | None = None,
) -> AJCurve:
    """Aalen–Johansen estimate for one group.

    Parameters
    ----------
    entry, exit : (n,) float
        Each stay covers ``(entry, exit]``.
    state : (n,) int
        State occupied during the stay.
    next_state : (n,) int
        State entered at ``exit``, or -1 if censored there.
    cluster : (n,) int
        Patient code 0..m-1 (stays of one patient share an influence row).
    n_states : int
    tau : float, optional
        Horizon of the restricted mean time in state.
    """
    n_id = int(cluster.max()) + 1 if cluster.size else 0
    S = n_states
    moves = next_state >= 0
    times = np.unique(exit)
    T = times.size
    t0 = exit[moves].min() if moves.any() else exit.max()
    at0 = (entry < t0) & (exit >= t0)
    p = np.bincount(state[at0], minlength=S).astype(float)
    p = p / p.sum()
    p0 = p.copy()

    order_entry = np.argsort(entry, kind="stable")
    order_exit = np.argsort(exit, kind="stable")
    # exits grouped by time
    exit_sorted = exit[order_exit]
    bounds = np.searchsorted(exit_sorted, times, side="left")
    bounds = np.append(bounds, exit.size)

    U = np.zeros((n_id, S))
    cur = np.full(n_id, -1, dtype=np.int64)  # state of each patient while at risk
    at_risk = np.zeros(n_id, dtype=bool)
    ns = np.zeros(S)
    prob = np.empty((T, S))
    se = np.empty((T, S))
    nrisk = np.empty((T, S))
    nev = np.zeros((T, S))
    ncens = np.zeros(T)
    ev_t, ev_counts, ev_risk = [], [], []
    want_rmean = tau is not None
    tau_v = float(tau) if tau is not None else 0.0
    rmean = np.zeros(S)
    D = np.zeros((n_id, S) if want_rmean else (0, S))
    last_t = min(0.0, float(entry.min())) if entry.size else 0.0  # integrate from 0
    eptr = 0
    for it in range(T):
        ct = times[it]
        if want_rmean and last_t < tau_v:
            dt = min(ct, tau_v) - last_t
            rmean += p * dt
            D += U * dt
        # stays entered before ct join the risk set
        while eptr < entry.size and entry[order_entry[eptr]] < ct:
            k = order_entry[eptr]
            i = cluster[k]
            cur[i] = state[k]
            at_risk[i] = True
            ns[state[k]] += 1
            eptr += 1
        rows = order_exit[bounds[it]:bounds[it + 1]]
        mv = rows[moves[rows] & (next_state[rows] != state[rows])]
        ncens[it] = np.count_nonzero(~moves[rows])
        nrisk[it] = ns
        if mv.size:
            counts = np.zeros((S, S))
            np.add.at(counts, (state[mv], next_state[mv]), 1.0)
            nev[it] = counts.sum(axis=0)
            safe = np.where(ns > 0, ns, 1.0)
            H = counts / safe[:, None]
            H[np.diag_indices(S)] = np.where(ns > 0, 1.0 - counts.sum(axis=1) / safe, 1.0)
            # influence: U H, then p(t-) dH_i for everyone at risk
            U = U @ H
            ids = np.flatnonzero(at_risk)
            h = cur[ids]
            w = p[h] / safe[h]
            U[ids] -= H[h] * w[:, None]
            dest = h.copy()
            dest_rows = cluster[mv]
            # the state each mover enters (others "move" to where they are)
            pos = np.searchsorted(ids, dest_rows)
            dest[pos] = next_state[mv]
            U[ids, dest] += w
            p = p @ H
            ev_t.append(ct)
            ev_counts.append(counts)
            ev_risk.append(ns.copy())
        prob[it] = p
        se[it] = np.sqrt(np.sum(U * U, axis=0))
        # everyone whose stay ends at ct leaves the risk set (movers re-enter with their
        # next stay, which starts at ct and so joins at the next time)
        if rows.size:
            ids_out = cluster[rows]
            np.subtract.at(ns, state[rows], 1.0)
            at_risk[ids_out] = False
        last_t = ct
    rm_se = None
    if want_rmean:
        if last_t < tau_v:
            dt = tau_v - last_t
            rmean += p * dt
            D += U * dt
        rm_se = np.sqrt(np.sum(D * D, axis=0))
    return AJCurve(
        time=times.astype(float),
        p0=p0,
        prob=prob,
        std_error=se,
        n_at_risk=nrisk,
        n_events=nev,
        n_censored=ncens,
        max_time=float(exit.max()),
        event_time=np.asarray(ev_t, dtype=float),
        event_counts=np.asarray(ev_counts, dtype=float).reshape(-1, S, S),
        event_at_risk=np.asarray(ev_risk, dtype=float).reshape(-1, S),
        rmean=rmean if want_rmean else None,
        rmean_std_error=rm_se,
    )
