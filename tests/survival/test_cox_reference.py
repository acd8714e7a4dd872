"""fit_cox / fit_piecewise_cox / ph_test against R ``survival`` (tests/reference/cox/).

Tolerances. Our Newton–Raphson replicates R's ``coxph.fit`` iteration for iteration (same
start, step-halving and stopping rule ``|1 - l_old/l_new| <= 1e-9``), so the estimates agree to
rounding (~1e-13 observed). We assert 1e-6 relative on coefficients and standard errors — the
level that would still hold if the iterations stopped one step apart, since at eps = 1e-9 on the
log-likelihood the remaining Newton step is O(1e-5) and its effect after convergence is
quadratic — and 1e-8 relative on log-likelihoods, concordances and the cox.zph statistics,
which are smooth closed-form functions of the (matching) coefficients.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import MonotoneLikelihoodWarning, ProportionalHazardsWarning
from ctcstats.survival._core.cox import (
    fit_cox_arrays,
    schoenfeld_residuals,
    score_residuals,
    zph_score_test,
)
from ctcstats.survival.cox import fit_cox, fit_piecewise_cox, split_episodes
from tests.reference._load import as_array, load_input, load_output

TOPIC = "cox"
RTOL_COEF = 1e-6  # iterative fit, see module docstring
RTOL_CLOSED = 1e-8  # closed forms at matching coefficients

SYNTH = ["x1", "x2", "grp"]
SYNTH_TERMS = ["x1", "x2", "grp[b]", "grp[c]"]
GBSG = ["horTh", "age", "tsize", "pnodes", "tgrade"]
GBSG_TERMS = ["horTh[yes]", "age", "tsize", "pnodes", "tgrade[II]", "tgrade[III]"]
ROSSI = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def _fit_synth(name, **kw):
    return fit_cox(load_input(TOPIC, name), time_col="time", event_col="status", **kw)


# model name → (callable giving our result, our term names in R's order)
CASES = {
    # coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, ties = "efron")
    "synth_efron": (lambda: _fit_synth("synth", covariates=SYNTH), SYNTH_TERMS),
    # ... ties = "breslow"
    "synth_breslow": (lambda: _fit_synth("synth", covariates=SYNTH, ties="breslow"),
                      SYNTH_TERMS),
    # coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), data = synth)
    "synth_strata": (lambda: _fit_synth("synth", covariates=SYNTH, strata_col="s"),
                     SYNTH_TERMS),
    "synth_strata_breslow": (
        lambda: _fit_synth("synth", covariates=SYNTH, strata_col="s", ties="breslow"),
        SYNTH_TERMS),
    # coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, robust = TRUE)
    "synth_robust": (lambda: _fit_synth("synth", covariates=SYNTH, robust=True), SYNTH_TERMS),
    # coxph(Surv(time, status) ~ x1 + x2 + grp, data = synth, cluster = id)
    "synth_cluster": (lambda: _fit_synth("synth", covariates=SYNTH, cluster_col="id"),
                      SYNTH_TERMS),
    # coxph(Surv(time, status) ~ x1 + x2 + strata(s), cluster = id, ties = "breslow")
    "synth_cluster_strata_breslow": (
        lambda: _fit_synth("synth", covariates=["x1", "x2"], cluster_col="id", strata_col="s",
                           ties="breslow"), ["x1", "x2"]),
    # coxph(Surv(time, status) ~ ridge(x1, x2, theta = 2), data = synth)  (scale = TRUE)
    "synth_ridge": (lambda: _fit_synth("synth", covariates=["x1", "x2"], penalizer=2.0),
                    ["x1", "x2"]),
    # coxph(Surv(time, status) ~ ridge(x1, x2, theta = 25) + strata(s),
    #       ties = "breslow")
    "synth_ridge_strata_breslow": (
        lambda: _fit_synth("synth", covariates=["x1", "x2"], penalizer=25.0, strata_col="s",
                           ties="breslow"), ["x1", "x2"]),
    # n = 60, times rounded to 5: heavy ties
    "small_efron": (lambda: _fit_synth("synth_small", covariates=SYNTH), SYNTH_TERMS),
    "small_breslow": (lambda: _fit_synth("synth_small", covariates=SYNTH, ties="breslow"),
                      SYNTH_TERMS),
    # survSplit(cut = 24, episode = "period"); coxph(Surv(tstart, time, status) ~
    #   x1:strata(period) + x2:strata(period))
    "piecewise_synth": (
        lambda: fit_piecewise_cox(load_input(TOPIC, "synth"), time_col="time",
                                  event_col="status", covariates=["x1", "x2"], split_at=[24]),
        ["x1@(0,24]", "x1@(24,inf)", "x2@(0,24]", "x2@(24,inf)"]),
    # survSplit(cut = c(12, 36)); ~ x2:strata(period) + x1 + strata(s)
    "piecewise_synth_two_cuts": (
        lambda: fit_piecewise_cox(load_input(TOPIC, "synth"), time_col="time",
                                  event_col="status", covariates=["x2", "x1"],
                                  piecewise=["x2"], split_at=[12, 36], strata_col="s"),
        ["x2@(0,12]", "x2@(12,36]", "x2@(36,inf)", "x1"]),
    # gbsg2: coxph(Surv(time, cens) ~ horTh + age + tsize + pnodes + tgrade
    #              + strata(menostat))
    "gbsg2_strata": (
        lambda: fit_cox(load_input(TOPIC, "gbsg2"), time_col="time", event_col="cens",
                        covariates=GBSG, strata_col="menostat"), GBSG_TERMS),
    "gbsg2_robust": (
        lambda: fit_cox(load_input(TOPIC, "gbsg2"), time_col="time", event_col="cens",
                        covariates=GBSG, robust=True), GBSG_TERMS),
    # survSplit(cut = 1825): hormone therapy effect for 0-5 and > 5 years
    "piecewise_gbsg2": (
        lambda: fit_piecewise_cox(load_input(TOPIC, "gbsg2"), time_col="time",
                                  event_col="cens", covariates=GBSG, piecewise=["horTh"],
                                  split_at=[1825]),
        ["horTh[yes]@(0,1825]", "horTh[yes]@(1825,inf)"] + GBSG_TERMS[1:]),
    # rossi: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio)
    "rossi_efron": (
        lambda: fit_cox(load_input(TOPIC, "rossi"), time_col="week", event_col="arrest",
                        covariates=ROSSI), ROSSI),
    "rossi_breslow": (
        lambda: fit_cox(load_input(TOPIC, "rossi"), time_col="week", event_col="arrest",
                        covariates=ROSSI, ties="breslow"), ROSSI),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_coxph(name):
    """Coefficients, SEs (robust where R's are), logliks, iterations and concordance."""
    make, terms = CASES[name]
    ref = load_output(TOPIC, name)
    res = make()
    assert list(res.table.index) == terms
    assert len(terms) == len(ref["terms"])
    assert_allclose(res.table["coef"], as_array(ref["coef"]), rtol=RTOL_COEF)
    assert_allclose(res.table["std_error"], as_array(ref["se"]), rtol=RTOL_COEF)
    if "se_naive" in ref:
        assert_allclose(res.table["std_error_naive"], as_array(ref["se_naive"]),
                        rtol=RTOL_COEF)
    assert_allclose(res.covariance.to_numpy(), np.asarray(ref["var"], float).reshape(
        len(terms), len(terms)), rtol=RTOL_COEF, atol=1e-14)
    assert_allclose([res.loglik_null, res.loglik], as_array(ref["loglik"]), rtol=RTOL_CLOSED)
    assert_allclose(res.concordance, ref["concordance"], rtol=RTOL_CLOSED)
    assert_allclose(res.concordance_std_error, ref["concordance_std"], rtol=RTOL_CLOSED)
    assert res.n_events == ref["nevent"]
    assert res.n_iter == as_array(ref["iter"])[-1]
    assert res.converged
    if "penalty" in ref:  # ridge (scale = TRUE): penalty on coef × sd, and effective df
        v = load_input(TOPIC, "synth")[["x1", "x2"]].var().to_numpy()
        assert_allclose(0.5 * res.penalizer * np.sum(v * res.table["coef"] ** 2),
                        as_array(ref["penalty"])[-1], rtol=RTOL_COEF)
        assert_allclose(res.lr_df, ref["df"], rtol=RTOL_COEF)
    # hazard-ratio table is consistent with coef/se
    tab = res.table
    assert_allclose(tab["hr"], np.exp(tab["coef"]), rtol=1e-12)
    assert_allclose(tab["z"], tab["coef"] / tab["std_error"], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(n for n in CASES if "zph_chisq" in load_output(TOPIC, n)))
def test_ph_test_matches_cox_zph(name):
    """R: cox.zph(fit, transform = "km", terms = TRUE)$table (survival >= 3 score test)."""
    make, _ = CASES[name]
    ref = load_output(TOPIC, name)
    res = make()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ph = res.ph_test()
    assert list(ph.table["term"]) == ref["zph_terms"]
    assert_allclose(ph.table["statistic"], as_array(ref["zph_chisq"]), rtol=RTOL_CLOSED)
    assert_allclose(ph.table["df"], as_array(ref["zph_df"]))
    assert_allclose(ph.table["p_value"], as_array(ref["zph_p"]), rtol=1e-6, atol=1e-14)
    assert ph.p_value == ph.table["p_value"].iloc[-1]
    flagged = bool(np.any(as_array(ref["zph_p"])[:-1] < 0.05))
    assert bool(ph.warnings) == flagged
    assert all(issubclass(w.category, ProportionalHazardsWarning) for w in caught)
    assert len(caught) == int(flagged)


def test_ph_test_warns_on_violation():
    """gbsg2 (strata(menostat)): cox.zph rejects PH for tsize/pnodes-type terms in R too."""
    ref = load_output(TOPIC, "gbsg2_strata")
    assert np.any(as_array(ref["zph_p"])[:-1] < 0.05)
    res = CASES["gbsg2_strata"][0]()
    with pytest.warns(ProportionalHazardsWarning, match="proportional hazards rejected"):
        ph = res.ph_test()
    assert "proportional hazards rejected" in ph.warnings[0]
    # the message gives each flagged term's own p (not only the global one) and the count
    tab = ph.table.set_index("term")
    bad = [t for t in tab.index[:-1] if tab.loc[t, "p_value"] < 0.05]
    for t in bad:
        assert f"{t} (p = {tab.loc[t, 'p_value']:.3g})" in ph.warnings[0]
    assert f"{len(bad)} of {len(tab) - 1} term-wise tests" in ph.warnings[0]
    assert f"global test p = {ph.p_value:.3g}" in ph.warnings[0]


def _synth_arrays(name="synth"):
    d = load_input(TOPIC, name)
    X = np.column_stack([d.x1, d.x2, d.grp == "b", d.grp == "c"]).astype(float)
    return d, X


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_engine_residuals_match_r(ties):
    """R: residuals(fit, "dfbeta") and residuals(fit, "schoenfeld") (coxscore2, coxscho)."""
    d, X = _synth_arrays()
    ref = load_output(TOPIC, f"synth_{ties}")
    fit = fit_cox_arrays(X, d.time.to_numpy(), d.status.to_numpy(), ties=ties)
    dfbeta = score_residuals(fit.data, fit.coef, ties) @ fit.var
    assert_allclose(dfbeta, np.asarray(ref["dfbeta"], float), rtol=1e-7, atol=1e-12)
    sch = schoenfeld_residuals(fit.data, fit.coef, ties)
    # R orders the events by time (ties: by its sort); compare per event time
    r_sch = np.asarray(ref["schoenfeld"], float)
    times = d.time.to_numpy()[fit.data.death_idx]
    o = np.lexsort((sch[:, 0], times))
    r_times = np.sort(times)
    ro = np.lexsort((r_sch[:, 0], r_times))
    assert_allclose(sch[o], r_sch[ro], rtol=1e-7, atol=1e-12)
    if ties == "efron":
        assert_allclose(score_residuals(fit.data, fit.coef, ties),
                        np.asarray(ref["score_resid"], float), rtol=1e-7, atol=1e-12)


def test_engine_case_weights_match_r():
    """R: coxph(Surv(time, status) ~ x1 + x2 + grp + strata(s), weights = w).

    With non-integer weights R reports the robust SE by default (``se``) and keeps the
    model-based one in ``naive.var``; dfbeta are R's weighted ``residuals(fit, "dfbeta")``.
    """
    d, X = _synth_arrays()
    ref = load_output(TOPIC, "synth_weights")
    w = d.w.to_numpy()
    fit = fit_cox_arrays(X, d.time.to_numpy(), d.status.to_numpy(), strata=d.s.to_numpy(),
                         weights=w)
    assert_allclose(fit.coef, as_array(ref["coef"]), rtol=RTOL_COEF)
    assert_allclose(np.sqrt(np.diag(fit.var)), as_array(ref["se_naive"]), rtol=RTOL_COEF)
    dfbeta = (score_residuals(fit.data, fit.coef) @ fit.var) * w[:, None]
    assert_allclose(dfbeta, np.asarray(ref["dfbeta"], float), rtol=1e-7, atol=1e-12)
    assert_allclose(np.sqrt(np.diag(dfbeta.T @ dfbeta)), as_array(ref["se"]), rtol=RTOL_COEF)
    assert_allclose([fit.loglik_null, fit.loglik], as_array(ref["loglik"]), rtol=RTOL_CLOSED)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_engine_counting_process_cluster_and_zph(ties):
    """(start, stop] data: R agreg.fit + agscore2 + zph2.

    R: sp <- survSplit(Surv(time, status) ~ ., synth, cut = 24, episode = "period");
    coxph(Surv(tstart, time, status) ~ x1_p1 + x1_p2 + x2 [+ strata(s)], cluster = id,
    ties = ...); cox.zph(fit, transform = "km", terms = TRUE).
    """
    d = load_input(TOPIC, "synth")
    name = "piecewise_cluster_efron" if ties == "efron" else "piecewise_cluster_breslow"
    ref = load_output(TOPIC, name)
    row, period, start, stop, ev = split_episodes(d.time.to_numpy(float),
                                                  d.status.to_numpy(), [24.0])
    x1 = d.x1.to_numpy()[row]
    X = np.column_stack([x1 * (period == 0), x1 * (period == 1), d.x2.to_numpy()[row]])
    strata = d.s.to_numpy()[row] if ties == "breslow" else None
    fit = fit_cox_arrays(X, stop, ev, start=start, strata=strata, ties=ties)
    assert_allclose(fit.coef, as_array(ref["coef"]), rtol=RTOL_COEF)
    assert_allclose(np.sqrt(np.diag(fit.var)), as_array(ref["se_naive"]), rtol=RTOL_COEF)
    D = score_residuals(fit.data, fit.coef, ties) @ fit.var
    Dc = pd.DataFrame(D).groupby(d.id.to_numpy()[row]).sum().to_numpy()
    assert_allclose(np.sqrt(np.diag(Dc.T @ Dc)), as_array(ref["se"]), rtol=RTOL_COEF)
    stat, df = zph_score_test(fit.data, fit.coef, ties, [[0], [1], [2]])
    assert_allclose(stat, as_array(ref["zph_chisq"]), rtol=RTOL_CLOSED)
    assert_allclose(df, as_array(ref["zph_df"]))


def test_piecewise_matches_tt_formulation():
    """The x:strata(period) formulation in R gives the same estimates as ours."""
    ref = load_output(TOPIC, "piecewise_synth")
    assert_allclose(np.sort(CASES["piecewise_synth"][0]().table["coef"]),
                    np.sort(as_array(ref["coef_tt_form"])), rtol=RTOL_COEF)


def test_monotone_likelihood_matches_coxph():
    """R: coxph(Surv(time, status) ~ x + g, data = monotone) — no events where g = 1.

    R warns "Loglik converged before variable 2; coefficient may be infinite" and returns
    g ≈ -20.7 after 19 iterations; our iteration is R's, so we land on the same numbers. The
    SE of the diverging coefficient (~1e4) comes from a nearly singular information matrix,
    so it is compared at 1e-5.
    """
    ref = load_output(TOPIC, "monotone")
    with pytest.warns(MonotoneLikelihoodWarning, match="firth=True"):
        res = fit_cox(load_input(TOPIC, "monotone"), time_col="time", event_col="status",
                      covariates=["x", "g"])
    assert_allclose(res.table["coef"], as_array(ref["coef"]), rtol=RTOL_COEF)
    assert_allclose(res.table["std_error"], as_array(ref["se"]), rtol=1e-5)
    assert res.n_iter == ref["iter"]
    assert any("g = 1" in w and "may be infinite" in w for w in res.warnings)
