"""state_probabilities against survival::survfit multi-state (tests/reference/multistate/).

R (multistate.R), on one row per stay built from the msprep long format::

    fit <- survfit(Surv(Tstart, Tstop, event) ~ group, data = ep, id = id, istate = istate)
    fit$pstate; fit$std.err; fit$n.risk; fit$n.event           # every distinct time
    summary(fit, rmean = tau)$table[, "rmean"]                  # restricted mean time in state
    sqrt(colSums(residuals(fit1, times = tau, type = "sojourn")^2))   # its IJ standard error
    summary(fit1, times = times)$pstate                         # values at chosen times

Tolerances: the Aalen–Johansen estimate and its influence are closed forms computed with the
same operations in a different order (survfit accumulates in C over subjects), so agreement
is to rounding error: 1e-10 absolute on probabilities (observed ~1e-15) and 1e-10 relative on
standard errors and restricted means. The counts must be equal.

Data: a synthetic DTC cohort (relapse in bone / other distant site, then death; 400 patients,
tied times), survival's mgus2 (progression to plasma-cell malignancy, death), and mstate's
ebmt4 (six states, twelve transitions, 2,279 patients).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ctcstats.multistate import (
    illness_death_transitions,
    multistate_data,
    relapse_site_transitions,
    state_probabilities,
    transition_matrix,
)
from tests.reference._load import REFERENCE_DIR, load_input

TOPIC = "multistate"


def _out(name: str) -> dict:
    with open(REFERENCE_DIR / TOPIC / "outputs" / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def sites_data(**kw):
    data = load_input(TOPIC, "sites")
    return multistate_data(
        data, transitions=relapse_site_transitions(("bone", "other_distant")),
        state_time_cols={"bone": "relapse_months", "other_distant": "relapse_months",
                         "death": "os_months"},
        state_event_cols={"bone": "bone_event", "other_distant": "other_event",
                          "death": "os_event"},
        id_col="id", covariates=["dtc_positive", "age", "grade"], **kw,
    )


def mgus_data():
    data = load_input(TOPIC, "mgus2")
    return multistate_data(
        data, transitions=illness_death_transitions(("mgus", "pcm", "death")),
        state_time_cols={"pcm": "ptime", "death": "futime"},
        state_event_cols={"pcm": "pstat", "death": "death"}, id_col="id",
        covariates=["age", "sex"],
    )


def ebmt4_data():
    data = load_input(TOPIC, "ebmt4")
    tm = transition_matrix({
        "Tx": ["Rec", "AE", "Rel", "Death"], "Rec": ["Rec+AE", "Rel", "Death"],
        "AE": ["Rec+AE", "Rel", "Death"], "Rec+AE": ["Rel", "Death"],
    })
    return multistate_data(
        data, transitions=tm, state_time_cols=[None, "rec", "ae", "recae", "rel", "srv"],
        state_event_cols=[None, "rec.s", "ae.s", "recae.s", "rel.s", "srv.s"], id_col="id",
        covariates=["agecl"],
    )


def _strata_label(group_col, g) -> str:
    return "all" if group_col is None else f"{group_col}={g}"


CASES = [
    ("survfit_sites_all", sites_data, None, 60.0),
    ("survfit_sites", sites_data, "dtc_positive", 60.0),
    ("survfit_mgus2", mgus_data, "sex", 240.0),
    ("survfit_ebmt4", ebmt4_data, None, 1000.0),
]


@pytest.mark.parametrize("name, make, group_col, tau", CASES, ids=[c[0] for c in CASES])
def test_matches_survfit(name, make, group_col, tau):
    r = _out(name)
    ms = make()
    res = state_probabilities(ms, group_col=group_col, tau=tau)
    states = list(ms.transitions.states)
    assert r["states"] == states
    strata = np.asarray(r["strata"], dtype=object)
    p_r, se_r = np.asarray(r["pstate"]), np.asarray(r["std_err"])
    n_risk_r, n_event_r = np.asarray(r["n_risk"]), np.asarray(r["n_event"])
    time_r = np.asarray(r["time"])
    for gi, g in enumerate(res.groups):
        sel = strata == _strata_label(group_col, g)
        sub = res.table[res.table["group"] == g]
        wide = {c: sub.pivot(index="time", columns="state", values=c)[states]
                for c in ("probability", "std_error", "n_at_risk", "n_events")}
        assert_array_equal(wide["probability"].index.to_numpy(), time_r[sel])
        assert_allclose(wide["probability"].to_numpy(), p_r[sel], rtol=0, atol=1e-10)
        assert_allclose(wide["std_error"].to_numpy(), se_r[sel], rtol=1e-10, atol=1e-14)
        assert_array_equal(wide["n_at_risk"].to_numpy(), n_risk_r[sel])
        assert_array_equal(wide["n_events"].to_numpy(), n_event_r[sel])
        # restricted mean time in state and its IJ standard error (residuals type="sojourn")
        k = len(states)
        tis = res.time_in_state[res.time_in_state["group"] == g]
        n_g = len(res.groups)  # R's table is ordered state-major: (s0) of every group first
        assert_allclose(tis["expected_time"], np.asarray(r["rmean"])[gi::n_g][:k], rtol=1e-10)
        by = r["by_group"][gi]
        assert str(by["group"]) == str(g)
        assert_allclose(tis["std_error"], by["sojourn_se"], rtol=1e-10)
        # summary(fit, times = ...) and the IJ standard error there
        at = res.at(r["times"])
        at = at[at["group"] == g]
        p_at = at.pivot(index="time", columns="state", values="probability")[states]
        se_at = at.pivot(index="time", columns="state", values="std_error")[states]
        assert_allclose(p_at.to_numpy(), by["pstate_at"], rtol=0, atol=1e-10)
        assert_allclose(se_at.to_numpy(), by["pstate_se_at"], rtol=1e-10)


def test_log_confidence_limits_as_survfit():
    """survfit's default conf.type = "log": p exp(±z se / p), upper limit capped at 1."""
    res = state_probabilities(sites_data())
    t = res.table
    z = 1.959963984540054
    pos = t["probability"] > 0
    assert_allclose(t.loc[pos, "ci_lower"], t.loc[pos, "probability"]
                    * np.exp(-z * t.loc[pos, "std_error"] / t.loc[pos, "probability"]),
                    rtol=1e-12)
    assert (t["ci_upper"] <= 1).all()
    assert (t["ci_lower"] <= t["probability"]).all() and (t["probability"] <= t["ci_upper"]).all()


def test_probabilities_sum_to_one():
    res = state_probabilities(ebmt4_data())
    sums = res.table.groupby(["group", "time"])["probability"].sum()
    assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)


# --------------------------------------------------------------------------- P(s, t): mstate
NP_CASES = [
    ("mstate_np_sites", sites_data, None),
    ("mstate_np_sites_dtc1", sites_data, "dtc_positive"),
    ("mstate_np_ebmt4", ebmt4_data, None),
]


@pytest.mark.parametrize("name, make, group_col", NP_CASES, ids=[c[0] for c in NP_CASES])
def test_transition_probabilities_match_probtrans(name, make, group_col):
    """R::

        c0 <- coxph(Surv(Tstart, Tstop, status) ~ strata(trans), data = ms, method = "breslow")
        pt <- probtrans(msfit(c0, vartype = m, trans = tmat), predt = s, method = m)
        ELOS(pt, tau = tau)

    mstate's rows are at every time a cumulative hazard jumps after ``s`` plus the last
    follow-up time (where nothing changes); our values are looked up there as a step
    function. Closed forms again: 1e-10 absolute (observed ~1e-15).
    """
    ms = make()
    res = state_probabilities(ms, group_col=group_col)
    states = list(ms.transitions.states)
    group = 1 if group_col else "all"  # the dtc1 reference is the DTC-positive subset
    for case in _out(name):
        tp = res.transition_probabilities(case["predt"], method=case["method"])
        assert tp.start_time == case["predt"] and tp.method == case["method"]
        tab = tp.table[tp.table["group"] == group]
        for blk in case["probtrans"]:
            sub = tab[tab["from"] == states[blk["from"] - 1]]
            prob = sub.pivot(index="time", columns="state", values="probability")[states]
            se = sub.pivot(index="time", columns="state", values="std_error")[states]
            r_time = np.asarray(blk["time"])
            idx = np.searchsorted(prob.index.to_numpy(), r_time, side="right") - 1
            assert_array_equal(np.unique(prob.index.to_numpy()[idx]), prob.index.to_numpy())
            assert_allclose(prob.to_numpy()[idx], blk["pstate"], rtol=0, atol=1e-10)
            assert_allclose(se.to_numpy()[idx], blk["se"], rtol=0, atol=1e-10)
        elos = tp.expected_length_of_stay(case["tau"])
        elos = elos[elos["group"] == group]
        wide = elos.pivot(index="from", columns="state", values="expected_time")
        starts = [s for s in states if s in wide.index]
        r_elos = np.asarray(case["elos"])[[states.index(s) for s in starts]]
        assert_allclose(wide.loc[starts, states].to_numpy(), r_elos, rtol=1e-10)


def test_transition_probabilities_from_start_equal_occupation():
    """From the starting state at s = 0, P(0, t) is the occupation probability itself."""
    res = state_probabilities(sites_data(), group_col="dtc_positive")
    tp = res.transition_probabilities(0.0)
    for g in res.groups:
        occ = res.at([6, 24, 48])
        occ = occ[occ["group"] == g].reset_index(drop=True)
        tr = tp.at([6, 24, 48])
        tr = tr[(tr["group"] == g) & (tr["from"] == "disease_free")].reset_index(drop=True)
        assert_allclose(tr["probability"], occ["probability"], atol=1e-12)
