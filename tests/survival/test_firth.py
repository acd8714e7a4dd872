"""Firth-penalised Cox regression (``ctcstats.survival._firth.fit_firth_arrays``).

Oracles
-------
1. Published coxphf output (R package coxphf, Heinze & Ploner) for the monotone-likelihood
   data of firthmodels' test suite, as quoted in jzluo/firthmodels
   ``tests/test_cox.py::test_matches_coxphf_with_monotone_likelihood``; and the two-patient
   example of Heinze & Schemper (2001, section 2), whose Firth estimate is exp(β̂) = 3.
2. ``firthmodels.FirthCoxPH`` (PyPI; Breslow ties, no strata): stored in
   ``tests/reference/firth/outputs/firthmodels_*.json`` and also run live once.
3. An independent R oracle (``tests/reference/firth/firth.R``): l*(β) = coxph.fit log partial
   likelihood + ½ log det(information), both from R's survival package, maximised
   numerically; profile limits by uniroot. Covers Breslow and Efron ties and strata.
4. Ordinary Breslow MLE from R ``coxph(ties="breslow")`` (stored) for the Firth → MLE check
   and the divergent monotone-likelihood fit.
"""

from __future__ import annotations

import time as _time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from ctcstats.errors import ConvergenceWarning, DataValidationError, ParameterError
from ctcstats.survival._firth import _penalised_loglik, fit_firth_arrays
from tests.reference._load import load_input, load_output

TOPIC = "firth"
R_CASES = ["coxphf_sep", "ties_strata", "monotone", "rossi", "lung"]
FM_CASES = {"coxphf_sep": "coxphf_sep", "monotone": "monotone", "rossi": "rossi",
            "ties_nostrata": "ties_strata"}


def _arrays(name: str, *, strata: bool = True):
    d = load_input(TOPIC, name)
    xcols = [c for c in d.columns if c.startswith("x")]
    s = d["stratum"].to_numpy() if strata and "stratum" in d.columns else None
    return d[xcols].to_numpy(float), d["time"].to_numpy(float), d["event"].to_numpy(), s


def _fit(name: str, *, strata: bool = True, **kw) -> dict:
    X, t, e, s = _arrays(name, strata=strata)
    return fit_firth_arrays(X, t, e, strata=s, **kw)


# --------------------------------------------------------------------------- published values
def test_heinze_schemper_two_patient_example():
    """Heinze & Schemper (2001), section 2: one event (x=1) before one censoring (x=0).

    The modified score equation has the closed-form root exp(β̂) = 3.
    """
    res = fit_firth_arrays(np.array([[1.0], [0.0]]), np.array([1.0, 2.0]), np.array([1, 0]))
    assert res["converged"]
    # closed form; the fit stops at coxphf's step tolerance 1e-6
    assert_allclose(res["coef"][0], np.log(3.0), atol=1e-6)


def test_matches_published_coxphf_output():
    """coxphf::coxphf(Surv(time, event) ~ x1 + x2 + x3 + x4, data = coxphf_sep).

    Published values (coxphf 1.13, pl = TRUE, maxstep = 0.5, epsilon = 1e-6) quoted in
    jzluo/firthmodels tests/test_cox.py (test_matches_coxphf_with_monotone_likelihood) for
    the data of its tests/conftest.py::make_cox_separation_data(seed=42), regenerated in
    tests/reference/firth/make_inputs.py. x1 has no events when 0 (monotone likelihood).
    """
    res = _fit("coxphf_sep")
    coef = [3.8815800583, 0.6042066427, -0.4202139201, 1.0415063080]
    se = [1.4430190269, 0.1599607483, 0.2541800107, 0.3128784410]
    p = [7.318984974e-09, 1.686334002e-04, 9.295083722e-02, 8.463066114e-04]
    ci = np.array([[1.9343469272, 8.7215676015], [0.2921186188, 0.9164270978],
                   [-0.9217200647, 0.0699415336], [0.4348431279, 1.6550461482]])
    assert res["converged"]
    # coxphf stops at a standardised step of 1e-6; both fits agree to ~1e-7 relative
    assert_allclose(res["coef"], coef, rtol=1e-6)
    assert_allclose(res["std_error"], se, rtol=1e-6)
    # profile limits and LR tests are solved to ~1e-10 here; coxphf's own tolerance is 1e-6
    assert_allclose(res["p_value"], p, rtol=1e-6)
    assert_allclose(res["ci_lower"], ci[:, 0], rtol=1e-6)
    assert_allclose(res["ci_upper"], ci[:, 1], rtol=1e-6)
    # the model LR statistic printed by coxphf: 57.6071 (4 decimals)
    assert_allclose(2 * (res["loglik"] - res["loglik_null"]), 57.6071, atol=5e-5)
    assert res["ci_method"] == res["p_method"] == "profile"


# --------------------------------------------------------------------------- firthmodels
@pytest.mark.parametrize("case", sorted(FM_CASES))
def test_matches_firthmodels_stored(case):
    """firthmodels.FirthCoxPH (Breslow, no strata), stored by oracle_firthmodels.py."""
    ref = load_output(TOPIC, f"firthmodels_{case}")
    res = _fit(FM_CASES[case], strata=False)
    assert res["converged"] and ref["converged"]
    # both fits are iterative; ours stops at coxphf's tolerances (step 1e-6 on the
    # standardised scale), firthmodels' stored fit at 1e-10: agreement ~1e-7 relative
    assert_allclose(res["coef"], ref["coef"], rtol=1e-6)
    assert_allclose(res["var"], ref["var"], rtol=1e-5)
    assert_allclose(res["std_error"], ref["std_error"], rtol=1e-6)
    # same definition l + ½ log|I| on the original covariate scale
    assert_allclose(res["loglik"], ref["loglik"], rtol=1e-9)
    # profile limits: both solved to ≤1e-10
    assert_allclose(res["ci_lower"], ref["ci_lower"], rtol=1e-7)
    assert_allclose(res["ci_upper"], ref["ci_upper"], rtol=1e-7)
    # firthmodels' constrained fits stop at its default gtol = 1e-4
    assert_allclose(res["p_value"], ref["lrt_p_value"], rtol=1e-6)


def test_matches_firthmodels_live():
    """The test-only dependency itself, on the lifelines Rossi data (heavy ties)."""
    from firthmodels import FirthCoxPH

    X, t, e, _ = _arrays("rossi")
    y = np.empty(len(t), dtype=[("event", bool), ("time", np.float64)])
    y["event"], y["time"] = e.astype(bool), t
    model = FirthCoxPH(backend="numpy").fit(X, y).lrt()
    res = fit_firth_arrays(X, t, e)
    # both stop at a step tolerance of 1e-6 (firthmodels: xtol = 1e-6, gtol = 1e-4)
    assert_allclose(res["coef"], model.coef_, rtol=1e-5)
    assert_allclose(res["loglik"], model.loglik_, rtol=1e-9)
    assert_allclose(res["std_error"], model.bse_, rtol=1e-5)
    assert_allclose(res["p_value"], model.lrt_pvalues_, rtol=1e-5)
    ci = model.conf_int(method="pl", tol=1e-8)
    assert_allclose(res["ci_lower"], ci[:, 0], rtol=1e-6)
    assert_allclose(res["ci_upper"], ci[:, 1], rtol=1e-6)


# --------------------------------------------------------------------------- R oracle
@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("case", R_CASES)
def test_matches_r_oracle(case, ties):
    """R: maximise coxph.fit(..., init = b, iter.max = 0)$loglik + ½ log det(solve(var)).

    See tests/reference/firth/firth.R (strata for ties_strata and lung).
    """
    ref = load_output(TOPIC, f"r_{case}_{ties}")
    res = _fit(case, ties=ties)
    assert res["converged"]
    # R's maximiser stops at |numerical gradient| < 1e-8, ours at coxphf's 1e-6 step
    # tolerance: iterative-fit tolerance 1e-5 (observed agreement ~1e-7)
    assert_allclose(res["coef"], ref["coef"], rtol=1e-5)
    assert_allclose(res["var"], np.asarray(ref["var"]), rtol=1e-5)
    # at the optimum the objective is flat: its value agrees to rounding
    assert_allclose(res["loglik"], ref["loglik"], rtol=1e-10)
    assert_allclose(res["loglik_null"], ref["loglik_null"], rtol=1e-12)
    # profile limits and LR statistics: uniroot tol 1e-10 in R, ~1e-10 here
    assert_allclose(res["ci_lower"], ref["ci_lower"], rtol=1e-7)
    assert_allclose(res["ci_upper"], ref["ci_upper"], rtol=1e-7)
    assert_allclose(res["statistic"], ref["lr_chisq"], rtol=1e-7)
    assert_allclose(res["p_value"], ref["p_value"], rtol=1e-6)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("case", R_CASES)
def test_components_match_r_at_fixed_beta(case, ties):
    """l*, l and I at fixed β equal R's coxph.fit(iter.max = 0) values (closed form)."""
    ref = load_output(TOPIC, f"r_{case}_{ties}")
    X, t, e, s = _arrays(case)
    for point in ref["points"]:
        got = _penalised_loglik(X, t, e, point["beta"], strata=s, ties=ties)
        # closed-form sums; only rounding differs
        assert_allclose(got["loglik"], point["loglik"], rtol=1e-10)
        assert_allclose(got["lstar"], point["lstar"], rtol=1e-10)
        assert_allclose(got["info"], np.asarray(point["info"]), rtol=1e-8)


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("case", ["ties_strata", "lung", "monotone"])
def test_modified_score_is_gradient_of_penalised_loglik(case, ties):
    """U* (third-moment algebra) equals the central-difference gradient of l*."""
    X, t, e, s = _arrays(case)
    beta = np.linspace(-0.4, 0.6, X.shape[1]) / X.std(axis=0)
    got = _penalised_loglik(X, t, e, beta, strata=s, ties=ties)
    num = np.empty_like(beta)
    for j in range(beta.size):
        h = 1e-5 / X[:, j].std()
        up, dn = beta.copy(), beta.copy()
        up[j] += h
        dn[j] -= h
        num[j] = (_penalised_loglik(X, t, e, up, strata=s, ties=ties)["lstar"]
                  - _penalised_loglik(X, t, e, dn, strata=s, ties=ties)["lstar"]) / (2 * h)
    # central differences: truncation O(h²) plus rounding ~1e-16·|l*|/h
    assert_allclose(got["score"], num, rtol=1e-6, atol=1e-6)


def test_conf_level_matches_r():
    """firth.R with level = 0.9 (ties_strata, Breslow, strata)."""
    ref = load_output(TOPIC, "r_ties_strata_breslow_level90")
    res = _fit("ties_strata", conf_level=0.9)
    assert_allclose(res["ci_lower"], ref["ci_lower"], rtol=1e-7)
    assert_allclose(res["ci_upper"], ref["ci_upper"], rtol=1e-7)
    wide = _fit("ties_strata", conf_level=0.95)
    assert np.all(wide["ci_lower"] < res["ci_lower"])
    assert np.all(wide["ci_upper"] > res["ci_upper"])


# --------------------------------------------------------------------------- behaviour
def test_firth_approaches_ordinary_mle_as_n_grows():
    """Firth's bias correction is O(1/n): |β̂_Firth - β̂_MLE| shrinks with n.

    The MLE is R coxph(Surv(time, event) ~ x1 + x2, ties = "breslow") (stored).
    """
    diffs = []
    for n in (200, 1000, 5000):
        mle = load_output(TOPIC, f"coxph_mle_n{n}")
        res = _fit(f"mle_n{n}")
        rfirth = load_output(TOPIC, f"r_mle_n{n}_breslow")
        assert_allclose(res["coef"], rfirth["coef"], rtol=1e-5)  # iterative fits
        diffs.append(np.max(np.abs(res["coef"] - np.asarray(mle["coef"]))))
        # the shift is well inside one standard error
        assert np.all(np.abs(res["coef"] - mle["coef"]) < 0.2 * np.asarray(mle["std_error"]))
        # and the unpenalised part of the fit has the MLE's log-likelihood nearly
        assert res["loglik_unpenalised"] <= mle["loglik"] + 1e-9
    assert diffs[0] > diffs[1] > diffs[2]
    assert diffs[2] < 2e-3


def test_monotone_likelihood_gives_finite_estimate():
    """No events when x1 = 1: coxph's MLE diverges, Firth's estimate and CI stay finite."""
    mle = load_output(TOPIC, "coxph_monotone")
    assert abs(mle["coef"][0]) > 15 and mle["std_error"][0] > 1e3  # divergent MLE in R
    res = _fit("monotone")
    assert res["converged"]
    assert np.all(np.isfinite(res["coef"])) and np.all(np.isfinite(res["var"]))
    assert np.all(np.isfinite(res["ci_lower"])) and np.all(np.isfinite(res["ci_upper"]))
    assert -10 < res["coef"][0] < 0
    assert res["ci_upper"][0] < 0  # the protective effect is significant …
    assert res["p_value"][0] < 0.05  # … by the penalised LR test too
    assert res["warnings"] == ()


def test_wald_option_matches_coxphf_pl_false():
    """coxphf(pl = FALSE): Wald limits coef ± z·se and Wald χ² p-values."""
    res = _fit("ties_strata", profile_ci=False)
    prof = _fit("ties_strata")
    assert_allclose(res["coef"], prof["coef"], rtol=1e-12)
    z = stats.norm.ppf(0.975)
    se = np.sqrt(np.diag(res["var"]))
    assert_allclose(res["ci_lower"], res["coef"] - z * se, rtol=1e-12)
    assert_allclose(res["ci_upper"], res["coef"] + z * se, rtol=1e-12)
    assert_allclose(res["p_value"], stats.chi2.sf((res["coef"] / se) ** 2, 1), rtol=1e-12)
    assert res["ci_method"] == res["p_method"] == "wald"


def test_result_fields_and_types():
    res = _fit("ties_strata")
    p = 2
    for key in ("coef", "std_error", "ci_lower", "ci_upper", "p_value", "statistic"):
        assert isinstance(res[key], np.ndarray) and res[key].shape == (p,)
    assert res["var"].shape == (p, p)
    assert_allclose(res["var"], res["var"].T)
    for key in ("loglik", "loglik_null", "loglik_unpenalised"):
        assert isinstance(res[key], float)
    assert isinstance(res["n_iter"], int) and isinstance(res["converged"], bool)
    assert res["loglik"] > res["loglik_null"]


def test_single_stratum_equals_no_strata_and_eventless_stratum_ignored():
    X, t, e, _ = _arrays("ties_strata")
    plain = fit_firth_arrays(X, t, e, profile_ci=False)
    one = fit_firth_arrays(X, t, e, strata=np.full(len(t), 7), profile_ci=False)
    assert_allclose(one["coef"], plain["coef"], rtol=1e-12)
    # an extra stratum without events contributes nothing to the partial likelihood
    X2 = np.vstack([X, X[:5]])
    t2, e2 = np.r_[t, t[:5]], np.r_[e, np.zeros(5, dtype=int)]
    s2 = np.r_[np.zeros(len(t), dtype=int), np.ones(5, dtype=int)]
    extra = fit_firth_arrays(X2, t2, e2, strata=s2, profile_ci=False)
    assert_allclose(extra["coef"], plain["coef"], rtol=1e-10)
    assert_allclose(extra["loglik"] - extra["loglik_null"],
                    plain["loglik"] - plain["loglik_null"], rtol=1e-10)


def test_equivariant_under_covariate_scaling():
    """Rescaling a covariate by c rescales its coefficient and limits by 1/c; tests unchanged."""
    X, t, e, s = _arrays("ties_strata")
    res = fit_firth_arrays(X, t, e, strata=s)
    scaled = fit_firth_arrays(X * np.array([1.0, 10.0]), t, e, strata=s)
    assert_allclose(scaled["coef"], res["coef"] / [1.0, 10.0], rtol=1e-7)
    assert_allclose(scaled["ci_upper"], res["ci_upper"] / [1.0, 10.0], rtol=1e-7)
    assert_allclose(scaled["p_value"], res["p_value"], rtol=1e-7)
    # the information of a column multiplied by 10 grows 100-fold: ½ log|I| + log 10
    assert_allclose(scaled["loglik"], res["loglik"] + np.log(10.0), rtol=1e-10)


def test_nonconvergence_is_warned_and_recorded():
    X, t, e, s = _arrays("coxphf_sep")
    with pytest.warns(ConvergenceWarning, match="did not converge in 1 iterations"):
        res = fit_firth_arrays(X, t, e, profile_ci=False, max_iter=1)
    assert res["converged"] is False
    assert len(res["warnings"]) == 1 and "max_iter=1" in res["warnings"][0]


def test_speed_n5000():
    """Vectorised risk-set sums: n = 5,000 with tied times fits in well under a second."""
    rng = np.random.default_rng(5)
    n = 5000
    X = rng.normal(size=(n, 3))
    t = np.round(rng.exponential(size=n) * np.exp(-0.3 * X[:, 0]), 2)
    e = (rng.random(n) < 0.7).astype(int)
    start = _time.perf_counter()
    res = fit_firth_arrays(X, t, e, ties="efron", profile_ci=False)
    elapsed = _time.perf_counter() - start
    assert res["converged"]
    assert elapsed < 1.0  # ~0.02 s on the 2-core reference machine


# --------------------------------------------------------------------------- properties
@st.composite
def _survival_data(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(15, 60))
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.binomial(1, 0.5, n), rng.normal(size=n)]).astype(float)
    if X[:, 0].std() == 0:
        X[0, 0] = 1.0 - X[0, 0]
    t = np.round(rng.exponential(size=n) * 5, 0) + 1.0  # many ties
    e = rng.binomial(1, 0.7, n)
    e[0] = 1
    return X, t, e, rng.permutation(n)


@settings(max_examples=15, deadline=None)
@given(_survival_data())
def test_properties_row_order_inputs_unchanged_ci_contains_estimate(data):
    X, t, e, perm = data
    copies = (X.copy(), t.copy(), e.copy())
    res = fit_firth_arrays(X, t, e, ties="efron")
    for orig, copy in zip((X, t, e), copies, strict=True):
        np.testing.assert_array_equal(orig, copy)
    shuffled = fit_firth_arrays(X[perm], t[perm], e[perm], ties="efron")
    assert res["converged"]
    # only the summation order differs
    assert_allclose(shuffled["coef"], res["coef"], rtol=1e-8, atol=1e-10)
    assert_allclose(shuffled["ci_upper"], res["ci_upper"], rtol=1e-7, atol=1e-9)
    assert np.all(res["ci_lower"] < res["coef"]) and np.all(res["coef"] < res["ci_upper"])
    assert np.all((res["p_value"] >= 0) & (res["p_value"] <= 1))


# --------------------------------------------------------------------------- errors
def _small():
    X = np.array([[0.0, 1.2], [1.0, 0.3], [0.0, -0.4], [1.0, 2.0], [0.0, 0.1]])
    return X, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([1, 0, 1, 1, 0])


def test_efron_and_breslow_accepted_other_ties_rejected():
    X, t, e = _small()
    with pytest.raises(ParameterError, match="The 'ties' parameter of fit_firth_arrays must "
                                             "be one of 'breslow', 'efron'; got 'exact'"):
        fit_firth_arrays(X, t, e, ties="exact")


@pytest.mark.parametrize("level", [95, 0.0, 1.0, True])
def test_conf_level_rejected(level):
    X, t, e = _small()
    with pytest.raises(ParameterError, match="The 'conf_level' parameter of fit_firth_arrays "
                                             "must be in \\(0, 1\\)"):
        fit_firth_arrays(X, t, e, conf_level=level)


def test_data_errors():
    X, t, e = _small()
    with pytest.raises(DataValidationError, match="Column 1 of X is constant"):
        fit_firth_arrays(np.column_stack([X[:, 0], np.ones(5)]), t, e)
    with pytest.raises(DataValidationError, match="needs at least one event"):
        fit_firth_arrays(X, t, np.zeros(5, dtype=int))
    with pytest.raises(DataValidationError, match="must contain only 0/1; found \\[2\\]"):
        fit_firth_arrays(X, t, np.array([1, 2, 0, 1, 0]))
    with pytest.raises(DataValidationError, match="must be finite and ≥ 0; found 1 bad"):
        fit_firth_arrays(X, np.array([1.0, -2.0, 3.0, 4.0, 5.0]), e)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(DataValidationError, match="X passed to fit_firth_arrays has 1 "
                                                  "missing or infinite"):
        fit_firth_arrays(bad, t, e)
    with pytest.raises(DataValidationError, match="covariates are collinear"):
        fit_firth_arrays(np.column_stack([X[:, 1], 2 * X[:, 1]]), t, e)
    with pytest.raises(ParameterError, match="must have one value per row of X \\(5\\)"):
        fit_firth_arrays(X, t[:4], e)
    with pytest.raises(ParameterError, match="'strata' parameter of fit_firth_arrays must "
                                             "have one code per row"):
        fit_firth_arrays(X, t, e, strata=[0, 1])
    with pytest.raises(ParameterError, match="must be a 2-D array"):
        fit_firth_arrays(np.zeros((5, 0)), t, e)


def test_pandas_inputs_accepted():
    d = load_input(TOPIC, "ties_strata")
    res = fit_firth_arrays(d[["x1", "x2"]], d["time"], d["event"], strata=d["stratum"],
                           profile_ci=False)
    ref = _fit("ties_strata", profile_ci=False)
    assert_allclose(res["coef"], ref["coef"], rtol=1e-12)
    assert isinstance(d, pd.DataFrame)


def test_fit_cox_firth_table_z_and_p_from_one_test():
    """fit_cox(firth=True): z² is the penalised LR χ² of the R oracle (coxphf's Chisq), the
    p-value is that test's, and the result says so (p_value_test / ci_method); an ordinary
    fit says Wald."""
    from ctcstats.survival.cox import fit_cox

    d = load_input(TOPIC, "rossi")
    xcols = [c for c in d.columns if c.startswith("x")]
    ref = load_output(TOPIC, "r_rossi_breslow")
    res = fit_cox(d, time_col="time", event_col="event", covariates=xcols, firth=True,
                  ties="breslow")
    assert res.p_value_test == "penalised_lr"
    assert res.ci_method == "profile_penalised_likelihood"
    tab = res.table
    assert_allclose(tab["z"] ** 2, ref["lr_chisq"], rtol=1e-6)
    assert_allclose(np.sign(tab["z"]), np.sign(tab["coef"]))
    assert_allclose(tab["p_value"], 2 * stats.norm.sf(np.abs(tab["z"])), rtol=1e-10)
    assert_allclose(tab["p_value"], ref["p_value"], rtol=1e-6)
    plain = fit_cox(d, time_col="time", event_col="event", covariates=xcols)
    assert plain.p_value_test == "wald" and plain.ci_method == "wald"
    assert list(plain.table.columns) == list(tab.columns)
