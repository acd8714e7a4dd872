"""Transition probabilities P(s, t) as a product integral, with their variance.

Internal module shared by the nonparametric (:meth:`StateProbabilityResult.
transition_probabilities`) and the Cox-model predictions (:func:`transition_probabilities`).
It computes what R ``mstate::probtrans(..., direction = "forward")`` computes:

* ``P(s, t) = prod_{s < u <= t} (I + dA(u))`` over the grid of times at which some cumulative
  hazard jumps;
* the variance of ``vec P(s, t)`` (column-major vec, ``S^2 x S^2``) by the recursion of
  de Wreede, Fiocco & Putter (2010, 2011)::

      Var(t) = (H' ⊗ I) Var(t-) (H ⊗ I) + (I ⊗ P*) Var(vec dA(t)) (I ⊗ P*')

  with ``H = I + dA(t)`` and ``P* = P(s, t)`` ("aalen") or ``P(s, t-)`` ("greenwood");
  ``Var(vec dA)`` is built from the covariance of the transition hazard increments, the
  diagonal elements being minus the row sums;
* the expected length of stay ``∫_s^tau P(s, u) du`` (``mstate::ELOS``).

Inputs are clean arrays; nothing is validated here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ProductIntegral", "product_integral", "expected_length_of_stay", "vec_map"]


@dataclass(frozen=True)
class ProductIntegral:
    """P(s, t) at ``time`` (first row: ``s`` itself, the identity)."""

    time: np.ndarray  # (T + 1,)
    prob: np.ndarray  # (T + 1, S, S): prob[t, h, j] = P_hj(s, t)
    std_error: np.ndarray | None  # (T + 1, S, S)


def vec_map(pairs: list[tuple[int, int]] | tuple, n_states: int) -> np.ndarray:
    """Matrix M with ``vec(dA) = M @ a`` for transition increments ``a`` (K,).

    ``vec`` is column-major (index ``from + S * to``); each transition adds +1 at (from, to)
    and -1 at (from, from), so that the rows of ``dA`` sum to zero.
    """
    S = n_states
    M = np.zeros((S * S, len(pairs)))
    for k, (a, b) in enumerate(pairs):
        M[a + S * b, k] += 1.0
        M[a + S * a, k] -= 1.0
    return M


def product_integral(
    start_time: float,
    times: np.ndarray,
    dA: np.ndarray,
    var_dA: np.ndarray | None,
    pairs,
    n_states: int,
    *,
    method: str = "aalen",
) -> ProductIntegral:
    """Forward product integral from ``start_time`` over the grid ``times`` (> start_time).

    Parameters
    ----------
    times : (T,)
        Increasing grid times after ``start_time``.
    dA : (T, K)
        Hazard increments of each transition at each grid time.
    var_dA : (T, K, K) or None
        Covariance of the increments (None: no variance).
    method : {"aalen", "greenwood"}
        Which P enters the variance recursion (see the module docstring).
    """
    S = n_states
    T = times.size
    M = vec_map(pairs, S)
    eye = np.eye(S)
    P = eye.copy()
    probs = np.empty((T + 1, S, S))
    probs[0] = eye
    ses = None
    if var_dA is not None:
        V = np.zeros((S * S, S * S))
        ses = np.empty((T + 1, S, S))
        ses[0] = 0.0
    for i in range(T):
        vecdA = M @ dA[i]
        H = eye + vecdA.reshape(S, S, order="F")
        if var_dA is not None:
            vd = M @ var_dA[i] @ M.T
            Pstar = P @ H if method == "aalen" else P
            A = np.kron(H.T, eye)
            B = np.kron(eye, Pstar)
            V = A @ V @ A.T + B @ vd @ B.T
        P = P @ H
        probs[i + 1] = P
        if ses is not None:
            ses[i + 1] = np.sqrt(np.maximum(np.diag(V), 0.0)).reshape(S, S, order="F")
    return ProductIntegral(
        time=np.concatenate([[start_time], times]).astype(float), prob=probs, std_error=ses
    )


def expected_length_of_stay(time: np.ndarray, prob: np.ndarray, tau: float) -> np.ndarray:
    """``∫_{time[0]}^tau P(u) du`` for a right-continuous step function (mstate ``ELOS``).

    ``prob`` is (T + 1, ...) with ``prob[i]`` holding on ``[time[i], time[i + 1])``.
    """
    keep = time <= tau
    t = np.append(time[keep], tau)
    widths = np.diff(t)
    return np.tensordot(widths, prob[keep], axes=(0, 0))
