"""Predicted transition probabilities for covariate profiles: :func:`transition_probabilities`.

From a :func:`~ctcstats.multistate.fit_multistate_cox` model and a covariate profile (e.g.
DTC-positive, age 55, grade 3), the cumulative hazard of every transition with its
(co)variance, as R ``mstate::msfit(fit, newdata, trans)``, then ``P(s, t)`` from every state
with standard errors, as ``mstate::probtrans`` (Aalen or Greenwood recursion), and the
expected length of stay, as ``mstate::ELOS``.

The cumulative hazard of transition ``k`` for profile ``z`` is Breslow's estimator (with
Efron's correction for tied events when the model used Efron ties) over the stratum of ``k``
with relative risks ``exp((x_i - z_k)'β)``; its covariance (de Wreede, Fiocco & Putter 2010,
eq. 12) is ``Σ dN / S0(t)^2`` (the same stratum only) plus ``d_k(t)' V d_l(t)`` with
``d_k(t) = ∫ (S1/S0 - z_k) dΛ_k`` and ``V`` the model's variance matrix of β. Own code:
nothing in Python computes msfit's variance; the risk-set sums are cumulative sums over the
time-sorted (start, stop] rows, as in the package's Cox engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_choice, check_conf_level, check_real
from ..errors import DataValidationError, ParameterError
from ._probtrans import product_integral
from .cox import MultistateCoxResult, Term
from .probabilities import TransitionProbabilityResult, probability_ci, transition_table

__all__ = ["transition_probabilities", "cumulative_hazards"]

_FUNC = "transition_probabilities"


# --------------------------------------------------------------------------- profiles
def _profiles(profile, model: MultistateCoxResult) -> list[tuple[object, dict]]:
    """[(label, {covariate: value})] from a dict or a DataFrame (one row per profile)."""
    if isinstance(profile, Mapping):
        items: list[tuple[object, dict]] = [("profile", dict(profile))]
    elif isinstance(profile, pd.DataFrame):
        if profile.empty:
            raise ParameterError(f"The 'profile' parameter of {_FUNC} has no rows.")
        if profile.index.has_duplicates:
            raise ParameterError(
                f"The 'profile' parameter of {_FUNC} has duplicated row labels; the labels name "
                "the profiles in the output."
            )
        items = [(lab, row.to_dict()) for lab, row in profile.iterrows()]
    else:
        raise ParameterError(
            f"The 'profile' parameter of {_FUNC} must be a dict of covariate values or a "
            f"DataFrame with one row per profile; got {type(profile).__name__}."
        )
    levels = model._design["levels"]
    for lab, vals in items:
        missing = [c for c in levels if c not in vals]
        if missing:
            raise ParameterError(
                f"profile {lab!r} has no value for {missing}; give a value for every "
                f"covariate of the model ({list(levels)})."
            )
        for c, lev in levels.items():
            v = vals[c]
            if lev is None:
                ok = isinstance(v, (int, float, np.integer, np.floating, bool, np.bool_)) \
                    and np.isfinite(float(v))
                if not ok:
                    raise DataValidationError(
                        f"profile {lab!r}: covariate {c!r} is numeric in the model; got {v!r}."
                    )
            elif v not in lev:
                raise DataValidationError(
                    f"profile {lab!r}: {v!r} is not a level of covariate {c!r} "
                    f"(levels: {lev})."
                )
    return items


def _term_value(t: Term, vals: dict, k: int) -> float:
    """Value of design term *t* on transition *k*'s row for a profile."""
    if t.kind == "baseline":
        return 1.0 if t.trans == k else 0.0
    if t.kind == "specific" and t.trans != k:
        return 0.0
    v = vals[t.covariate]
    return float(v == t.level) if t.level is not None else float(v)


def profile_matrix(model: MultistateCoxResult, vals: dict) -> np.ndarray:
    """(K, p): the design row of every transition for one profile (msfit's ``newdata``)."""
    K = model.transitions.n_transitions
    return np.array([[_term_value(t, vals, k) for t in model._terms] for k in range(1, K + 1)])


# --------------------------------------------------------------------------- msfit
def cumulative_hazards(model: MultistateCoxResult, Z: np.ndarray):
    """Cumulative hazards of every transition for design rows ``Z`` (K, p) and their
    covariance, on the grid of distinct event times (as ``mstate::msfit``).

    Returns ``(time (T,), haz (T, K), var (T, K, K))``.
    """
    d = model._design
    X, start, stop, status, stratum = d["X"], d["start"], d["stop"], d["status"], d["stratum"]
    beta = model.cox.table["coef"].to_numpy(dtype=float)
    V = model.covariance.to_numpy(dtype=float)
    grid = np.unique(stop[status == 1])
    K, p = Z.shape
    haz = np.zeros((grid.size, K))
    tmp = np.zeros((grid.size, K))
    dvec = np.zeros((grid.size, K, p))
    q_of = [d["stratum_of"][k] for k in range(1, K + 1)]
    efron = model.ties == "efron"
    for k in range(K):
        rows = stratum == q_of[k]
        t_ev, dh, dt, dd = _hazard_increments(X[rows], start[rows], stop[rows], status[rows],
                                              beta, Z[k], efron)
        pos = np.searchsorted(grid, t_ev)
        inc = np.zeros(grid.size)
        inc[pos] = dh
        haz[:, k] = np.cumsum(inc)
        inc = np.zeros(grid.size)
        inc[pos] = dt
        tmp[:, k] = np.cumsum(inc)
        incd = np.zeros((grid.size, p))
        incd[pos] = dd
        dvec[:, k] = np.cumsum(incd, axis=0)
    same = np.equal.outer(q_of, q_of)
    # [same stratum] tmp_k1 + d_k1' V d_k2 (msfit uses k1's tmp for both, as here)
    var = np.where(same[None], tmp[:, :, None], 0.0) + np.einsum("tkp,pq,tlq->tkl", dvec, V,
                                                                   dvec)
    # msfit stores the upper triangle (k1 <= k2) computed with k1's term; mirror it
    iu = np.triu_indices(K)
    sym = np.zeros_like(var)
    sym[:, iu[0], iu[1]] = var[:, iu[0], iu[1]]
    sym[:, iu[1], iu[0]] = var[:, iu[0], iu[1]]
    return grid, haz, sym


def _hazard_increments(X, start, stop, status, beta, z, efron):
    """Breslow/Efron hazard increments of one stratum at its distinct event times for the
    profile ``z``, with msfit's two variance pieces (Σ 1/S0², Σ (S1 - z S0)/S0²)."""
    r = np.exp((X - z) @ beta)
    xr = X * r[:, None]
    ev = status == 1
    t_ev, first, n_d = np.unique(stop[ev], return_index=True, return_counts=True)
    if t_ev.size == 0:
        p = X.shape[1]
        return t_ev, np.empty(0), np.empty(0), np.empty((0, p))
    # risk sets start < t <= stop: sums over stop >= t minus sums over start >= t
    o_stop = np.argsort(stop, kind="stable")
    o_start = np.argsort(start, kind="stable")

    def upper_sums(vals, order, keys, t):
        cs = np.concatenate([np.cumsum(vals[order][::-1], axis=0)[::-1],
                             np.zeros((1,) + vals.shape[1:])])
        return cs[np.searchsorted(keys[order], t, side="left")]

    s0 = upper_sums(r, o_stop, stop, t_ev) - upper_sums(r, o_start, start, t_ev)
    s1 = upper_sums(xr, o_stop, stop, t_ev) - upper_sums(xr, o_start, start, t_ev)
    a = s1 - s0[:, None] * z  # Σ r (x - z)
    # deaths at each event time: Σ r and Σ r (x - z)
    idx = np.searchsorted(t_ev, stop[ev])
    e0 = np.bincount(idx, weights=r[ev], minlength=t_ev.size)
    e1 = np.zeros((t_ev.size, X.shape[1]))
    np.add.at(e1, idx, xr[ev])
    a2 = e1 - e0[:, None] * z
    if not efron:
        return t_ev, n_d / s0, n_d / s0**2, (n_d / s0**2)[:, None] * a
    # Efron: the l-th of d tied deaths sees S0 - (l/d) e0 (l = 0..d-1)
    step = np.repeat(np.arange(t_ev.size), n_d)
    frac = (np.arange(n_d.sum()) - np.repeat(np.cumsum(n_d) - n_d, n_d)) / np.repeat(n_d, n_d)
    den = s0[step] - frac * e0[step]
    dh = np.bincount(step, weights=1.0 / den, minlength=t_ev.size)
    dt = np.bincount(step, weights=1.0 / den**2, minlength=t_ev.size)
    num = a[step] - frac[:, None] * a2[step]
    dd = np.zeros_like(a)
    np.add.at(dd, step, num / den[:, None] ** 2)
    return t_ev, dh, dt, dd


# --------------------------------------------------------------------------- public API
def transition_probabilities(
    model: MultistateCoxResult,
    profile: Mapping[str, object] | pd.DataFrame,
    *,
    start_time: float = 0.0,
    method: Literal["aalen", "greenwood"] = "aalen",
    conf_level: float = 0.95,
    conf_type: Literal["log", "log-log", "plain"] = "log",
) -> TransitionProbabilityResult:
    """Predicted ``P(s, t)`` for covariate profiles, with standard errors (mstate).

    Matches R ``probtrans(msfit(fit, newdata, trans = tmat), predt = start_time,
    method = method)`` for the same Cox model (``fit`` = ``coxph(Surv(Tstart, Tstop, status)
    ~ <expanded covariates> + strata(trans), method = ties)``; ``newdata`` = one row per
    transition holding the profile's expanded covariates and the transition's stratum), and
    ``ELOS(pt, tau)`` through ``.expected_length_of_stay(tau)``.

    Parameters
    ----------
    model : MultistateCoxResult
        From :func:`fit_multistate_cox` on clock-forward data (a Markov model; for
        clock-reset models ``P(s, t)`` is not a product integral — mstate simulates it).
    profile : dict or DataFrame
        Covariate values of one patient (``{"dtc_positive": 1, "age": 55, "grade": "G3"}``),
        or a DataFrame with one row per profile, labelled by its index (e.g. ``"DTC+"``,
        ``"DTC-"``). Every covariate of the model needs a value; categorical ones a level
        seen in the data.
    start_time : float, default 0
        ``s``: predictions for patients in each state at ``s`` (mstate's ``predt``).
    method : {"aalen", "greenwood"}, default "aalen"
        mstate's variance recursion (``probtrans(..., method=)``).
    conf_level : float, default 0.95
    conf_type : {"log", "log-log", "plain"}, default "log"

    Returns
    -------
    TransitionProbabilityResult
        ``table`` with ``profile, from, time, state, probability, std_error, ci_lower,
        ci_upper``; ``.at(horizon)``, ``.expected_length_of_stay(tau)``, ``.plot()``.

    Examples
    --------
    >>> import pandas as pd
    >>> import ctcstats as cs
    >>> df = cs.simulate_cohort("braun2005", n=600, rng=1)
    >>> df["relapse"] = ((df.dfs_event == 1) & (df.dfs_months < df.os_months)).astype(int)
    >>> ms = cs.multistate_data(df, transitions=cs.illness_death_transitions(
    ...         ("disease_free", "relapse", "death")),
    ...     state_time_cols={"relapse": "dfs_months", "death": "os_months"},
    ...     state_event_cols={"relapse": "relapse", "death": "os_event"}, id_col="patient_id",
    ...     covariates=["dtc_positive"])
    >>> fit = cs.fit_multistate_cox(ms, covariates=["dtc_positive"])
    >>> prof = pd.DataFrame({"dtc_positive": [0, 1]}, index=["DTC-", "DTC+"])
    >>> pt = cs.transition_probabilities(fit, prof)
    >>> at = pt.at(60)
    >>> at = at[at["from"] == "disease_free"].set_index(["profile", "state"])
    >>> bool(at.loc[("DTC+", "death"), "probability"] > at.loc[("DTC-", "death"), "probability"])
    True
    """
    if not isinstance(model, MultistateCoxResult):
        raise ParameterError(
            f"The 'model' parameter of {_FUNC} must be a fit_multistate_cox result; got "
            f"{type(model).__name__}."
        )
    if model.clock != "forward":
        raise ParameterError(
            f"{_FUNC} needs a clock-forward (Markov) model; this one was fitted on clock-reset "
            "data, for which P(s, t) is not a product integral of the hazards. Refit on "
            "multistate_data(..., clock='forward')."
        )
    s = check_real(start_time, name="start_time", func=_FUNC)
    check_choice(method, name="method", choices=("aalen", "greenwood"), func=_FUNC)
    check_choice(conf_type, name="conf_type", choices=("log", "log-log", "plain"), func=_FUNC)
    conf_level = check_conf_level(conf_level, func=_FUNC)
    tm = model.transitions
    frames = []
    for label, vals in _profiles(profile, model):
        Z = profile_matrix(model, vals)
        grid, haz, var = cumulative_hazards(model, Z)
        dA = np.diff(np.vstack([np.zeros((1, haz.shape[1])), haz]), axis=0)
        dV = np.diff(np.concatenate([np.zeros((1,) + var.shape[1:]), var]), axis=0)
        keep = grid > s
        pi = product_integral(s, grid[keep], dA[keep], dV[keep], tm.pairs, tm.n_states,
                              method=method)
        frames.append(transition_table(pi, tm, label, "profile"))
    table = pd.concat(frames, ignore_index=True)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    lo, hi = probability_ci(table["probability"], table["std_error"], z, conf_type)
    table["ci_lower"], table["ci_upper"] = lo, hi
    return TransitionProbabilityResult(
        table=table, start_time=s, method=method, by="profile", states=tm.states,
        conf_level=conf_level, conf_type=conf_type, n_obs=model.n_obs,
        n_dropped=model.n_dropped,
    )
