"""fit_multistate_cox and transition_probabilities against survival::coxph and mstate.

R (tests/reference/multistate/multistate.R):

* ``coxph(Surv(Tstart, Tstop, event) ~ age + sex, data = ep, id = id, istate = istate)`` on
  mgus2 (illness-death: MGUS → PCM → death; multi-state coxph, robust variance by id, Efron
  ties) — ``coxph_mgus2.json``;
* mstate on ebmt3 (illness-death after transplant; covariates dissub, age, drmatch, tcd, all
  transition-specific through ``expand.covs``)::

      fit <- coxph(Surv(Tstart, Tstop, status) ~ dissub1.1 + ... + tcd.3 + strata(trans),
                   data = msbmt, method = "breslow" | "efron")
      msf <- msfit(fit, newdata = <profile: one row per transition>, trans = tmat)
      probtrans(msf, predt = s, method = "aalen" | "greenwood");  ELOS(pt, tau)

  and the proportional-baselines model (``+ pr + strata(to)``, transitions 2 and 3 sharing
  a baseline) — ``mstate_cox_ebmt3.json``;
* the synthetic DTC cohort (relapse in bone / other distant site, then death):
  ``dtc_positive`` transition-specific, grade on the two relapse transitions only, age
  shared; DTC-negative and DTC-positive profiles — ``mstate_cox_sites.json``.

Tolerances: coefficients come from Newton–Raphson iterations that stop at a relative
log-likelihood change of 1e-9 in both implementations (the same rule), and agree to ~1e-9
relative: compared at 1e-6 relative (the issue's target). Cumulative hazards, their
variances, transition probabilities and their standard errors are closed forms of the
coefficients, so they inherit that agreement: compared at 1e-6 absolute (observed < 1e-12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.multistate import (
    fit_multistate_cox,
    illness_death_transitions,
    multistate_data,
    transition_probabilities,
)
from ctcstats.multistate.predict import cumulative_hazards, profile_matrix
from tests.multistate.test_probabilities_reference import _out, mgus_data, sites_data
from tests.reference._load import load_input

TOL = dict(rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def ebmt3():
    data = load_input("multistate", "ebmt3")
    return multistate_data(
        data, transitions=illness_death_transitions(("Tx", "PR", "RelDeath")),
        state_time_cols=[None, "prtime", "rfstime"], state_event_cols=[None, "prstat",
                                                                       "rfsstat"],
        id_col="id", covariates=["dissub", "age", "drmatch", "tcd"])


EBMT3_PROFILE = {"dissub": "AML", "age": "20-40", "drmatch": "Gender mismatch",
                 "tcd": "No TCD"}
# mstate's expanded names (longnames = FALSE) for ctcstats' terms
EBMT3_NAMES = {"dissub[AML]": "dissub1", "dissub[CML]": "dissub2", "age[<=20]": "age1",
               "age[>40]": "age2", "drmatch[No gender mismatch]": "drmatch",
               "tcd[TCD]": "tcd"}


def _r_name(term: str) -> str:
    if term.startswith("trans["):
        return "pr"
    base, _, k = term.rpartition(".")
    if base in EBMT3_NAMES:
        return f"{EBMT3_NAMES[base]}.{k}"
    base = {"grade[G2]": "grade1", "grade[G3]": "grade2"}.get(base, base)
    return f"{base}.{k}" if base else term


def test_multistate_coxph_mgus2_robust():
    r = _out("coxph_mgus2")
    fit = fit_multistate_cox(mgus_data(), covariates=["age", "sex"], robust=True)
    # coxph names age_1:2, sexM_1:3, ...; ctcstats age.1, sex[M].2, ...
    k_of = {"1:2": 1, "1:3": 2, "2:3": 3}
    names = [f"{t.split('_')[0].replace('sexM', 'sex[M]')}.{k_of[t.split('_')[1]]}"
             for t in r["terms"]]
    tab = fit.table.loc[names]
    assert_allclose(tab["coef"], r["coef"], rtol=1e-6)
    assert_allclose(tab["std_error"], np.sqrt(np.diag(r["var"])), rtol=1e-6)
    assert_allclose(tab["std_error_naive"], np.sqrt(np.diag(r["naive_var"])), rtol=1e-6)
    assert_allclose(fit.loglik, r["loglik"][1], rtol=1e-10)
    assert fit.n_events == r["n_event"]
    assert tab["from"].tolist()[:2] == ["mgus", "mgus"] and fit.robust


def _check_msfit(fit, profile, r, states, absorbing_from):
    tab = fit.table
    r_coef = dict(zip(r["terms"], r["coef"], strict=True))
    r_se = dict(zip(r["terms"], r["se"], strict=True))
    assert_allclose(tab["coef"], [r_coef[_r_name(t)] for t in tab.index], rtol=1e-6)
    assert_allclose(tab["std_error"], [r_se[_r_name(t)] for t in tab.index], rtol=1e-6)
    grid, haz, var = cumulative_hazards(fit, profile_matrix(fit, profile))
    idx = np.searchsorted(grid, r["haz_time"], side="right") - 1
    assert_allclose(haz[idx], r["haz"], **TOL)
    for v in r["var_haz"]:
        assert_allclose(var[idx, v["trans1"] - 1, v["trans2"] - 1], v["var"], **TOL)
    for case in r["probtrans"]:
        pt = transition_probabilities(fit, profile, start_time=case["predt"],
                                      method=case["method"])
        for blk in case["p"]:
            sub = pt.table[pt.table["from"] == states[blk["from"] - 1]]
            prob = sub.pivot(index="time", columns="state", values="probability")[states]
            se = sub.pivot(index="time", columns="state", values="std_error")[states]
            i = np.searchsorted(prob.index.to_numpy(), blk["time"], side="right") - 1
            assert_allclose(prob.to_numpy()[i], blk["pstate"], **TOL)
            assert_allclose(se.to_numpy()[i], blk["se"], **TOL)
        elos = pt.expected_length_of_stay(case["tau"])
        wide = elos.pivot(index="from", columns="state", values="expected_time")
        starts = [s for s in states if s not in absorbing_from]
        assert_allclose(wide.loc[starts, states].to_numpy(),
                        np.asarray(case["elos"])[[states.index(s) for s in starts]],
                        rtol=1e-6)


@pytest.mark.parametrize("case, kw", [
    ("breslow", dict(ties="breslow")),
    ("efron", dict(ties="efron")),
    ("shared", dict(ties="breslow", shared_baselines="to")),
])
def test_mstate_ebmt3(ebmt3, case, kw):
    r = _out("mstate_cox_ebmt3")[case]
    fit = fit_multistate_cox(ebmt3, covariates=["dissub", "age", "drmatch", "tcd"], **kw)
    _check_msfit(fit, EBMT3_PROFILE, r, ["Tx", "PR", "RelDeath"], {"RelDeath"})
    if case == "shared":
        assert fit.baselines["stratum"].tolist() == [1, 2, 2]
        assert "trans[3]" in fit.table.index


@pytest.mark.parametrize("which, dtc", [("negative", 0), ("positive", 1)])
def test_mstate_sites_profiles(which, dtc):
    r = _out("mstate_cox_sites")[which]
    fit = fit_multistate_cox(sites_data(), covariates={"dtc_positive": "all",
                                                       "grade": [1, 2]},
                             shared_covariates=["age"], ties="breslow")
    profile = {"dtc_positive": dtc, "grade": "G3", "age": 55}
    _check_msfit(fit, profile, r, ["disease_free", "bone", "other_distant", "death"],
                 {"death"})


def test_profiles_as_dataframe_equal_single_profiles():
    fit = fit_multistate_cox(sites_data(), covariates=["dtc_positive"],
                             shared_covariates=["age"])
    prof = pd.DataFrame({"dtc_positive": [0, 1], "age": [55, 55]}, index=["DTC-", "DTC+"])
    both = transition_probabilities(fit, prof).table
    one = transition_probabilities(fit, {"dtc_positive": 1, "age": 55}).table
    pos = both[both["profile"] == "DTC+"].drop(columns="profile").reset_index(drop=True)
    pd.testing.assert_frame_equal(pos, one.drop(columns="profile").reset_index(drop=True))
    at = transition_probabilities(fit, prof).at(36)
    at = at[at["from"] == "disease_free"].set_index(["profile", "state"])["probability"]
    # the DTC-positive profile relapses in bone more often (the simulated effect)
    assert at[("DTC+", "bone")] > at[("DTC-", "bone")]


def test_bad_inputs():
    ms = sites_data()
    fit = fit_multistate_cox(ms, covariates=["dtc_positive", "grade"])
    with pytest.raises(ParameterError, match=r"profile 'profile' has no value for \['grade'\]"):
        transition_probabilities(fit, {"dtc_positive": 1})
    with pytest.raises(DataValidationError, match="'G4' is not a level of covariate 'grade'"):
        transition_probabilities(fit, {"dtc_positive": 1, "grade": "G4"})
    with pytest.raises(DataValidationError, match="'dtc_positive' is numeric in the model"):
        transition_probabilities(fit, {"dtc_positive": "yes", "grade": "G2"})
    with pytest.raises(ParameterError, match="must be a dict of covariate values"):
        transition_probabilities(fit, [1, "G2"])
    with pytest.raises(ParameterError, match="'method' parameter"):
        transition_probabilities(fit, {"dtc_positive": 1, "grade": "G2"}, method="delta")
    with pytest.raises(ParameterError, match="must be a fit_multistate_cox result"):
        transition_probabilities(ms, {"dtc_positive": 1})
    reset = fit_multistate_cox(sites_data(clock="reset"), covariates=["dtc_positive"])
    with pytest.raises(ParameterError, match="needs a clock-forward"):
        transition_probabilities(reset, {"dtc_positive": 1})
    with pytest.raises(ParameterError, match="at least one covariate"):
        fit_multistate_cox(ms)
    with pytest.raises(ParameterError, match="a column is named twice"):
        fit_multistate_cox(ms, covariates=["age"], shared_covariates=["age"])
    with pytest.raises(ParameterError, match=r"transition numbers must be distinct whole "
                       r"numbers in 1..5"):
        fit_multistate_cox(ms, covariates={"age": [0, 1]})
    with pytest.raises(ParameterError, match=r"write \['age'\]"):
        fit_multistate_cox(ms, covariates="age")
    with pytest.raises(ParameterError, match="puts a transition in two groups"):
        fit_multistate_cox(ms, covariates=["age"], shared_baselines=[[3, 4], [4, 5]])
    with pytest.raises(ParameterError, match="'shared_baselines' parameter"):
        fit_multistate_cox(ms, covariates=["age"], shared_baselines="from")
