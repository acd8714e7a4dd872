"""fit_fine_gray against R cmprsk::crr (stored outputs, no R needed).

R side: tests/reference/competing/competing.R, ``crr(d$time, d$event, cov1 =
model.matrix(~ covariates, d)[, -1], failcode = cause)`` with crr's defaults (gtol = 1e-6,
maxiter = 10). ``var`` is crr's sandwich variance (with the censoring-weight term).

Tolerance: 1e-5 relative for the fitted quantities (iterative fit: a different rounding path
could in principle stop one Newton step earlier or later, and crr stops when the scaled score
is below 1e-6). ctcstats reproduces crr's iteration path step by step, and the observed
agreement is about 1e-13; the one-step fit (``maxiter = 1``), which involves no stopping
decision, is compared at 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import ConvergenceWarning, DataValidationError, ParameterError
from ctcstats.survival.finegray import FineGrayResult, fit_fine_gray
from tests.reference._load import as_array, load_input, load_output

TOPIC = "competing"
RTOL = 1e-5  # iterative fit; see module docstring
COVARIATES = {
    "small": ["x", "fac", "group"],
    "medium": ["x", "fac", "group"],
    "large": ["x", "fac", "group"],
    "edge": ["x", "group"],
    "sparse": ["x", "fac", "group"],
    "melanoma": ["sex", "age", "thickness", "ulcer"],
    "mgus2": ["age", "sex"],
}
CASES = [
    (name, cause)
    for name in COVARIATES
    for cause in (1, 2)
    if not (name == "sparse" and cause == 2)  # not converged: tested separately
]


def _compare(res: FineGrayResult, ref: dict, rtol: float) -> None:
    assert list(res.table.columns) == ["coef", "std_error", "hr", "ci_lower", "ci_upper", "z",
                                       "p_value"]
    assert res.table.index.name == "term"
    assert res.converged is bool(ref["converged"])
    assert res.n_obs == ref["n"]
    coef = as_array(ref["coef"])
    var = np.asarray(ref["var"], dtype=float).reshape(len(coef), len(coef))
    assert_allclose(res.table["coef"].to_numpy(), coef, rtol=rtol)
    assert_allclose(res.vcov.to_numpy(), var, rtol=rtol, atol=rtol * np.abs(var).max())
    assert_allclose(res.table["std_error"].to_numpy(), np.sqrt(np.diag(var)), rtol=rtol)
    assert_allclose(res.loglik, ref["loglik"], rtol=rtol)
    assert_allclose(res.loglik_null, ref["loglik_null"], rtol=rtol)


@pytest.mark.parametrize(("name", "cause"), CASES)
def test_matches_crr(name, cause):
    """R: ``f <- crr(d$time, d$event, cov1 = model.matrix(~ ..., d)[, -1], failcode = cause)``;
    ``f$coef``, ``f$var`` (sandwich), ``f$loglik``, ``f$loglik.null``, ``f$converged``,
    ``f$n``. Covers tied times, 2 and 3 causes, a three-level factor and two real data sets
    (MASS::Melanoma, survival::mgus2)."""
    data = load_input(TOPIC, name)
    ref = load_output(TOPIC, name)[f"crr_{cause}"]
    res = fit_fine_gray(data, time_col="time", event_col="event",
                        covariates=COVARIATES[name], event_of_interest=cause)
    _compare(res, ref, RTOL)
    assert res.warnings == ()
    # R's term names are the model.matrix names; ctcstats writes factor terms as col[level]
    expected = [t.replace("fac", "fac[", 1) + "]" if t.startswith("fac") else t
                for t in ref["terms"]]
    expected = [t.replace("group", "group[", 1) + "]" if t.startswith("group") else t
                for t in expected]
    expected = [t.replace("sexM", "sex[M]") for t in expected]
    assert list(res.table.index) == expected


def test_one_newton_step_matches_crr_maxiter_1():
    """R: ``crr(..., failcode = 1, maxiter = 1)`` on ``medium``: one Newton step, converged
    FALSE. No stopping decision is involved, so the comparison is at 1e-9."""
    data = load_input(TOPIC, "medium")
    ref = load_output(TOPIC, "medium")["crr_maxiter1"]
    with pytest.warns(ConvergenceWarning, match="within max_iter = 1 Newton–Raphson iterations"):
        res = fit_fine_gray(data, time_col="time", event_col="event",
                            covariates=COVARIATES["medium"], max_iter=1)
    assert res.n_iter == 1
    _compare(res, ref, 1e-9)
    assert any("convergence criterion" in w for w in res.warnings)


def test_diverging_fit_warns_and_matches_crr_iterate():
    """``sparse``: group c has no failure from cause 2, so its subdistribution HR diverges;
    R: ``crr(..., failcode = 2)`` returns converged FALSE after 10 steps with coef ≈ -10.7.
    ctcstats warns and returns the same last iterate."""
    data = load_input(TOPIC, "sparse")
    ref = load_output(TOPIC, "sparse")["crr_2"]
    with pytest.warns(ConvergenceWarning, match="covariate level without failures"):
        res = fit_fine_gray(data, time_col="time", event_col="event",
                            covariates=COVARIATES["sparse"], event_of_interest=2)
    assert not res.converged
    assert res.table.loc["group[c]", "coef"] < -10
    _compare(res, ref, RTOL)


def test_result_fields():
    data = load_input(TOPIC, "melanoma")
    res = fit_fine_gray(data, time_col="time", event_col="event",
                        covariates=["sex", "age", "thickness", "ulcer"])
    assert res.n_events == 57 and res.n_competing == 14 and res.n_censored == 134
    assert res.n_obs == 205 and res.n_dropped == 0
    assert res.event_of_interest == 1 and res.conf_level == 0.95
    t = res.table
    assert_allclose(t["hr"], np.exp(t["coef"]), rtol=1e-15)
    assert_allclose(t["z"], t["coef"] / t["std_error"], rtol=1e-15)
    assert_allclose(t["ci_lower"], np.exp(t["coef"] - 1.959963984540054 * t["std_error"]),
                    rtol=1e-12)
    assert_allclose(t["ci_upper"], np.exp(t["coef"] + 1.959963984540054 * t["std_error"]),
                    rtol=1e-12)
    # summary.crr: 2 * (1 - pnorm(|z|)); the log-likelihood-ratio statistic ("logtest")
    from scipy import stats

    assert_allclose(t["p_value"], 2 * stats.norm.sf(np.abs(t["z"])), rtol=1e-12)
    assert_allclose(res.lr_statistic, -2 * (res.loglik_null - res.loglik), rtol=1e-14)
    assert res.lr_df == 4.0
    d = res.to_dict()
    assert d["result"] == "FineGrayResult" and len(d["table"]) == 4
    assert "term" in d["table"][0]
    assert "subdistribution" in str(res)


def test_conf_level_changes_only_the_interval():
    data = load_input(TOPIC, "small")
    a = fit_fine_gray(data, time_col="time", event_col="event", covariates=["x"])
    b = fit_fine_gray(data, time_col="time", event_col="event", covariates=["x"],
                      conf_level=0.9)
    assert_allclose(a.table["coef"], b.table["coef"], rtol=0)
    assert (b.table["ci_lower"] > a.table["ci_lower"]).all()
    assert (b.table["ci_upper"] < a.table["ci_upper"]).all()


def test_row_order_and_input_unchanged():
    data = load_input(TOPIC, "medium")
    before = data.copy(deep=True)
    res = fit_fine_gray(data, time_col="time", event_col="event",
                        covariates=COVARIATES["medium"])
    pd.testing.assert_frame_equal(data, before)
    shuffled = data.sample(frac=1.0, random_state=3)
    res2 = fit_fine_gray(shuffled, time_col="time", event_col="event",
                         covariates=COVARIATES["medium"])
    pd.testing.assert_frame_equal(res.table, res2.table, rtol=1e-13)
    assert res.loglik == pytest.approx(res2.loglik, rel=1e-14)


def test_categorical_order_and_shift_invariance():
    """A Categorical's category order picks the reference level; shifting a numeric
    covariate changes neither the coefficients, the variance nor the log-likelihood."""
    data = load_input(TOPIC, "small")
    cat = data.assign(fac=pd.Categorical(data["fac"], categories=["lo", "mid", "hi"]))
    res = fit_fine_gray(cat, time_col="time", event_col="event", covariates=["x", "fac"])
    assert list(res.table.index) == ["x", "fac[mid]", "fac[hi]"]
    base = fit_fine_gray(data, time_col="time", event_col="event", covariates=["x", "fac"])
    shifted = fit_fine_gray(data.assign(x=data["x"] + 1000.0), time_col="time",
                            event_col="event", covariates=["x", "fac"])
    assert_allclose(shifted.table["coef"], base.table["coef"], rtol=1e-9)
    assert_allclose(shifted.table["std_error"], base.table["std_error"], rtol=1e-9)
    assert shifted.loglik == pytest.approx(base.loglik, rel=1e-12)


def test_missing_drop():
    data = load_input(TOPIC, "small")
    holes = data.copy()
    holes.loc[[3, 10], "x"] = np.nan
    with pytest.raises(DataValidationError, match=r"covariates 'x' has 2 missing values"):
        fit_fine_gray(holes, time_col="time", event_col="event", covariates=["x"])
    res = fit_fine_gray(holes, time_col="time", event_col="event", covariates=["x"],
                        missing="drop")
    ref = fit_fine_gray(data.drop(index=[3, 10]), time_col="time", event_col="event",
                        covariates=["x"])
    assert res.n_obs == 58 and res.n_dropped == 2
    assert_allclose(res.table["coef"], ref.table["coef"], rtol=1e-14)


def test_fast_for_ten_thousand(rng):
    """n = 10,000 with 5 terms: the port is O(n p²) per iteration (crr's Fortran is O(n²))."""
    import time

    n = 10_000
    data = pd.DataFrame({
        "t": np.round(rng.exponential(10.0, n), 1),
        "e": rng.choice([0, 1, 2], n, p=[0.3, 0.5, 0.2]),
        "x": rng.normal(size=n),
        "f": rng.choice(["u", "v", "w"], n),
        "z": rng.normal(size=n),
        "g": rng.integers(0, 2, n),
    })
    start = time.perf_counter()
    res = fit_fine_gray(data, time_col="t", event_col="e", covariates=["x", "f", "z", "g"])
    assert time.perf_counter() - start < 5.0
    assert res.converged and np.all(np.abs(res.table["coef"]) < 0.2)


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def small():
    return load_input(TOPIC, "small")


def test_event_of_interest_absent(small):
    with pytest.raises(DataValidationError,
                       match=r"event_of_interest 3 does not occur in event_col 'event' \(codes "
                             r"present: 0, 1, 2\); choose one of the causes 1, 2"):
        fit_fine_gray(small, time_col="time", event_col="event", covariates=["x"],
                      event_of_interest=3)


def test_bad_event_codes(small):
    bad = small.copy()
    bad.loc[4, "event"] = -1
    with pytest.raises(DataValidationError, match=r"event_col 'event' must contain whole-number"):
        fit_fine_gray(bad, time_col="time", event_col="event", covariates=["x"])


@pytest.mark.parametrize(
    ("covariates", "match"),
    [
        ("x", r"must be a list of column names; got the string 'x'"),
        ([], r"must name at least one column"),
        (["x", "x"], r"names a column twice"),
    ],
)
def test_bad_covariates_parameter(small, covariates, match):
    with pytest.raises(ParameterError, match=match):
        fit_fine_gray(small, time_col="time", event_col="event", covariates=covariates)


def test_missing_covariate_column(small):
    with pytest.raises(DataValidationError, match=r"covariates 'age' is not a column of data"):
        fit_fine_gray(small, time_col="time", event_col="event", covariates=["age"])


def test_constant_covariate(small):
    with pytest.raises(DataValidationError, match=r"covariate 'one' is constant"):
        fit_fine_gray(small.assign(one=1.0), time_col="time", event_col="event",
                      covariates=["one"])


def test_bad_max_iter_and_conf_level(small):
    with pytest.raises(ParameterError, match=r"'max_iter' parameter of fit_fine_gray must be ≥ 0"):
        fit_fine_gray(small, time_col="time", event_col="event", covariates=["x"], max_iter=-1)
    with pytest.raises(ParameterError, match=r"'conf_level' parameter of fit_fine_gray"):
        fit_fine_gray(small, time_col="time", event_col="event", covariates=["x"],
                      conf_level=95)
