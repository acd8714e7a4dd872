"""Predictive mean matching for continuous covariates in chained equations (R ``mice``'s
``pmm``, type-1 matching), used by :func:`ctcstats.missing.impute` with
``method="fcs", continuous_model="pmm"``.

As ``mice.impute.pmm`` (van Buuren 2018, §3.4): the normal linear model of the variable on
its predictors is fitted to the observed rows and its parameters drawn as in
``mice.impute.norm`` (sigma* = sqrt(RSS / chi2(n - p)), beta* ~ N(beta_hat, sigma*^2
(X'X)^-1)); predicted means of the observed rows use the estimate beta_hat, those of the
missing rows the draw beta* (type-1 matching); each missing value then takes the observed
value of one donor drawn at random among the ``donors`` observed rows whose predicted means
are closest to its own (ties broken at random). Imputed values are always observed values,
so skewed, bounded or heaped covariates keep their shape.

Own code: statsmodels' ``MICEData`` has PMM but not with the outcome predictors of
:func:`impute` nor mice's type-1 matching and donor draw.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pmm_draw"]


def pmm_draw(y_obs: np.ndarray, X_obs: np.ndarray, X_mis: np.ndarray,
             rng: np.random.Generator, *, donors: int = 5) -> np.ndarray:
    """Imputed values for the rows of ``X_mis`` (``X_*`` without a constant column)."""
    A = np.column_stack([np.ones(y_obs.size), X_obs])
    B = np.column_stack([np.ones(X_mis.shape[0]), X_mis])
    beta, *_ = np.linalg.lstsq(A, y_obs, rcond=None)
    resid = y_obs - A @ beta
    df = max(y_obs.size - A.shape[1], 1)
    sigma = np.sqrt(resid @ resid / rng.chisquare(df))
    xtx = A.T @ A
    xtx += 1e-5 * np.diag(np.diag(xtx))  # mice's ridge = 1e-5
    w, v = np.linalg.eigh(np.linalg.inv(xtx))
    root = v * np.sqrt(np.clip(w, 0.0, None))
    beta_star = beta + sigma * (root @ rng.standard_normal(beta.size))
    return match_donors(A @ beta, B @ beta_star, y_obs, rng, donors=donors)


def match_donors(yhat_obs: np.ndarray, yhat_mis: np.ndarray, y_obs: np.ndarray,
                 rng: np.random.Generator, *, donors: int = 5) -> np.ndarray:
    """For each missing row, the observed value of a donor drawn at random among the
    ``donors`` observed rows with the closest predicted means (ties broken at random)."""
    k = int(min(donors, yhat_obs.size))
    shuffle = rng.permutation(yhat_obs.size)  # random order breaks ties at random
    order = shuffle[np.argsort(yhat_obs[shuffle], kind="stable")]
    s = yhat_obs[order]
    pos = np.searchsorted(s, yhat_mis)
    # the k nearest lie within k places either side of the insertion point
    lo = np.clip(pos - k, 0, max(s.size - 2 * k, 0))
    win = lo[:, None] + np.arange(min(2 * k, s.size))[None, :]
    dist = np.abs(s[win] - yhat_mis[:, None])
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    pick = nearest[np.arange(yhat_mis.size), rng.integers(0, k, yhat_mis.size)]
    return y_obs[order[win[np.arange(yhat_mis.size), pick]]]
