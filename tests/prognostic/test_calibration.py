"""calibration(): R reference (Austin, Harrell & van Klaveren 2020 recipe), bad input, figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, DataWarning, ParameterError
from ctcstats.prognostic.calibration import calibration, rcs_basis, rcs_knots
from tests.reference._load import load_input, load_output

TOPIC = "prognostic_metrics"
SPECS = {"synth": ("p24", 24), "small": ("p24", 24), "gbsg2": ("p1500", 1500)}
# Quantities from Cox fits (Newton–Raphson; both sides stop at a relative log-likelihood
# change of 1e-9): 1e-6 relative. Closed forms (knots, KM, O/E, the root of the
# calibration-in-the-large equation solved to 1e-13 in R): 1e-9.
RTOL_FIT = 1e-6
RTOL = 1e-9


@pytest.mark.parametrize("name", list(SPECS))
def test_matches_r_recipe(name):
    """R (prognostic_metrics.R):
    kn <- Hmisc::rcspline.eval(cll, nk = 3, knots.only = TRUE);
    B <- Hmisc::rcspline.eval(cll, knots = kn, inclx = TRUE);
    fit <- coxph(Surv(time, status) ~ b1 + b2);
    obs <- 1 - summary(survfit(fit, newdata), times = t0)$surv;
    ICI = mean(|obs - p|), E50 = median, E90 = quantile(.9), Emax = max;
    slope = coef(coxph(Surv(time, status) ~ cll)); O/E = (1 - KM(t0)) / mean(p);
    intercept = uniroot(mean(1 - exp(-exp(a + cll))) - (1 - KM(t0)))."""
    col, t = SPECS[name]
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"calibration_{name}")
    res = calibration(d, time_col="time", event_col="status", risk_col=col, horizon=t,
                      n_groups=4 if name == "small" else 10)
    assert_allclose(res.knots, ref["knots"], rtol=RTOL)
    for field in ("ici", "e50", "e90", "emax"):
        assert_allclose(getattr(res, field), ref[field], rtol=RTOL_FIT)
    assert_allclose(res.curve["predicted"], ref["grid"], rtol=RTOL)
    assert_allclose(res.curve["observed"], ref["observed_grid"], rtol=RTOL_FIT)
    assert_allclose([res.slope, res.slope_std_error], [ref["slope"], ref["slope_se"]],
                    rtol=RTOL_FIT)
    assert_allclose(res.observed_risk, ref["km_observed"], rtol=RTOL)
    assert_allclose(res.oe_ratio, ref["oe_ratio"], rtol=RTOL)
    assert_allclose(res.mean_predicted, ref["mean_predicted"], rtol=RTOL)
    assert_allclose(res.intercept, ref["intercept"], rtol=1e-8)
    assert res.oe_ci_lower < res.oe_ratio < res.oe_ci_upper
    assert res.slope_ci_lower < res.slope < res.slope_ci_upper


def test_spline_basis_matches_rcspline_eval():
    """The spline coefficients of R's coxph on the Hmisc basis are reproduced (same basis)."""
    from ctcstats.survival._core.cox import fit_cox_arrays

    d = load_input(TOPIC, "synth")
    ref = load_output(TOPIC, "calibration_synth")
    cll = np.log(-np.log1p(-d["p24"].to_numpy()))
    kn = rcs_knots(cll, 3)
    fit = fit_cox_arrays(rcs_basis(cll, kn), d["time"].to_numpy(float), d["status"].to_numpy())
    assert_allclose(fit.coef, ref["coef"], rtol=RTOL_FIT)


def test_group_table(rng):
    d = load_input(TOPIC, "synth")
    res = calibration(d, time_col="time", event_col="status", risk_col="p24", horizon=24)
    tab = res.table
    assert list(tab.columns) == ["group", "n", "n_events", "mean_predicted", "observed",
                                 "ci_lower", "ci_upper"]
    assert tab["n"].sum() == len(d) and len(tab) == 10
    assert np.all(np.diff(tab["mean_predicted"]) > 0)
    assert np.all((tab["ci_lower"] <= tab["observed"]) & (tab["observed"] <= tab["ci_upper"]))
    # group 1 is the KM of its members
    from ctcstats.survival.km import kaplan_meier

    edges = np.quantile(d["p24"], np.linspace(0, 1, 11))
    g1 = d[d["p24"] <= edges[1]]
    km = kaplan_meier(g1, time_col="time", event_col="status").survival_at([24])
    assert_allclose(tab["observed"].iloc[0], 1 - km["survival"].iloc[0], rtol=1e-10)
    assert_allclose(tab["ci_lower"].iloc[0], 1 - km["ci_upper"].iloc[0], rtol=1e-10)


def test_well_calibrated_simulation_is_close(rng):
    n = 3000
    lp = rng.normal(size=n)
    t_ev = rng.exponential(30 * np.exp(-lp))
    t_c = rng.uniform(5, 60, n)
    d = pd.DataFrame({"t": np.minimum(t_ev, t_c), "e": (t_ev <= t_c).astype(int),
                      "p": 1 - np.exp(-(12 / 30) * np.exp(lp))})
    res = calibration(d, time_col="t", event_col="e", risk_col="p", horizon=12)
    assert res.ici < 0.02 and abs(res.slope - 1) < 0.1 and abs(res.oe_ratio - 1) < 0.08
    assert abs(res.intercept) < 0.1


def test_bad_input():
    d = load_input(TOPIC, "synth")
    with pytest.raises(DataValidationError, match=r"risk_col 'score' must hold predicted "
                                                  r"probabilities in \[0, 1\] for calibration"):
        calibration(d, time_col="time", event_col="status", risk_col="score", horizon=24)
    d2 = d.copy()
    d2.loc[3, "p24"] = 1.0  # one rule with external_validation: moved 1e-12 inside, recorded
    with pytest.warns(DataWarning, match=r"exactly 0 or 1 \(first row labels: 3\); they were "
                                         r"moved to 1e-12 and 1 − 1e-12"):
        res = calibration(d2, time_col="time", event_col="status", risk_col="p24", horizon=24)
    assert any("exactly 0 or 1" in w for w in res.warnings) and np.isfinite(res.slope)
    with pytest.raises(DataValidationError, match=r"horizon 120 is beyond the last follow-up"):
        calibration(d, time_col="time", event_col="status", risk_col="p24", horizon=120)
    with pytest.raises(ParameterError, match="'n_knots' parameter of calibration"):
        calibration(d, time_col="time", event_col="status", risk_col="p24", horizon=24,
                    n_knots=9)
    d3 = d.copy()
    d3.loc[0, "p24"] = np.nan
    with pytest.raises(DataValidationError, match="risk_col 'p24' has 1 missing value"):
        calibration(d3, time_col="time", event_col="status", risk_col="p24", horizon=24)


def test_group_without_follow_up_warns():
    from ctcstats.errors import DataWarning

    rng = np.random.default_rng(3)
    n = 200
    p = np.round(rng.uniform(0.05, 0.9, n), 3)
    t = rng.uniform(1, 40, n)
    t[p > np.quantile(p, 0.9)] = rng.uniform(1, 10, (p > np.quantile(p, 0.9)).sum())
    d = pd.DataFrame({"t": t, "e": rng.integers(0, 2, n), "p": p})
    with pytest.warns(DataWarning, match="group 10 of predicted risk has no follow-up"):
        res = calibration(d, time_col="t", event_col="e", risk_col="p", horizon=20)
    assert any("group 10" in w for w in res.warnings)


def test_calibration_plot():
    import matplotlib.pyplot as plt

    d = load_input(TOPIC, "synth")
    res = calibration(d, time_col="time", event_col="status", risk_col="p24", horizon=24)
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    assert {"cal-ideal", "cal-curve", "cal-groups"} <= set(lines)
    assert_allclose(lines["cal-curve"].get_ydata(), res.curve["observed"])
    assert_allclose(np.asarray(lines["cal-groups"].get_xdata(), float),
                    res.table["mean_predicted"])
    assert [c for c in ax.collections if c.get_gid() == "cal-group-ci"]
    assert any(t.get_gid() == "cal-stats" and f"{res.ici:.3f}" in t.get_text()
               for t in ax.texts)
