"""Power by simulation, sample size, power curves and the closed forms.

Closed forms are checked against independent computations (numerical integration, the
textbook equal-allocation forms) at 1e-10; simulated power against Schoenfeld's formula within
Monte-Carlo error where the formula holds (proportional hazards, exponential times); every
replicate against fit_cox / logrank_test on the same cohort; determinism across backends.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from ctcstats.designs import get_design, simulate_cohort, simulate_study
from ctcstats.designs.calibrate import analysis_frame
from ctcstats.designs.power import (
    PowerAnalysis,
    _published_like,
    _seed_root,
    event_probability,
    expected_events,
    freedman_events,
    power_analysis,
    power_curve,
    sample_size,
    schoenfeld_events,
    schoenfeld_power,
    simulate_power,
)
from ctcstats.designs.power_cli import add_power_command
from ctcstats.errors import ConvergenceWarning, DataValidationError, ParameterError
from ctcstats.survival.cox import fit_cox
from ctcstats.survival.logrank import logrank_test

from .._dask import local_client

Z975 = stats.norm.ppf(0.975)
Z80 = stats.norm.ppf(0.8)


# --------------------------------------------------------------------------- closed forms
def test_schoenfeld_events_formula_and_inverse():
    # equal allocation, HR 0.5: the textbook 65.3 events (z sum squared 7.849)
    assert_allclose(schoenfeld_events(0.5, prevalence=0.5),
                    (Z975 + Z80) ** 2 / (0.25 * np.log(0.5) ** 2), rtol=1e-12)
    assert round(schoenfeld_events(0.5, prevalence=0.5), 1) == 65.3
    d = schoenfeld_events(1.8, prevalence=0.306, alpha=0.01, power=0.9)
    assert_allclose(schoenfeld_power(1.8, events=d, prevalence=0.306, alpha=0.01), 0.9,
                    rtol=1e-10)
    # HR and 1/HR need the same events
    assert_allclose(schoenfeld_events(2.0, prevalence=0.3), schoenfeld_events(0.5,
                    prevalence=0.3), rtol=1e-12)


def test_freedman_events_equal_allocation_and_general():
    """Freedman (1982): (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2 with equal allocation."""
    assert_allclose(freedman_events(0.5, prevalence=0.5),
                    (Z975 + Z80) ** 2 * 1.5**2 / 0.5**2, rtol=1e-12)
    p, hr = 0.2, 2.5
    assert_allclose(freedman_events(hr, prevalence=p),
                    (Z975 + Z80) ** 2 * (p * hr + 1 - p) ** 2 / (p * (1 - p) * (hr - 1) ** 2),
                    rtol=1e-12)
    # Freedman needs more events than Schoenfeld away from HR = 1
    assert freedman_events(0.5, prevalence=0.5) > schoenfeld_events(0.5, prevalence=0.5)


def test_event_probability_matches_integration():
    lam, A, F = 0.05, 24.0, 36.0
    closed = 1 - np.exp(-lam * F) * (1 - np.exp(-lam * A)) / (lam * A)
    assert_allclose(event_probability(lam, accrual=A, follow_up=F), closed, rtol=1e-12)
    rates, breaks = np.array([0.03, 0.01, 0.02]), [12.0, 60.0]

    def surv(t):
        seg = np.clip(np.minimum(t, [12.0, 60.0, np.inf]) - [0.0, 12.0, 60.0], 0, None)
        return np.exp(-np.sum(rates * seg))

    num = 1 - integrate.quad(surv, F, F + A, points=[60.0], epsabs=1e-13, epsrel=1e-13)[0] / A
    assert_allclose(event_probability(rates, accrual=A, follow_up=F, breaks=breaks), num,
                    rtol=1e-10)
    assert_allclose(event_probability(rates, accrual=0, follow_up=70.0, breaks=breaks),
                    1 - surv(70.0), rtol=1e-12)


def test_expected_events_piecewise_effect():
    """A non-proportional effect: HR 2 for 5 years, 1.2 afterwards."""
    kw = dict(accrual=60.0, follow_up=30.0, breaks=[60.0])
    p0 = event_probability([0.004, 0.003], **kw)
    p1 = event_probability([0.008, 0.0036], **kw)
    got = expected_events(4703, hazard=[0.004, 0.003], hr=[2.0, 1.2], prevalence=0.306, **kw)
    assert_allclose(got, 4703 * (0.694 * p0 + 0.306 * p1), rtol=1e-12)


def test_closed_form_parameter_errors():
    with pytest.raises(ParameterError, match="The 'hr' parameter of schoenfeld_events must "
                                             "differ from 1"):
        schoenfeld_events(1.0, prevalence=0.3)
    with pytest.raises(ParameterError, match="The 'prevalence' parameter of freedman_events"):
        freedman_events(2.0, prevalence=1.0)
    with pytest.raises(ParameterError, match="The 'hazard' parameter of event_probability"):
        event_probability([0.1, 0.2], accrual=1, follow_up=1)
    with pytest.raises(ParameterError, match="The 'breaks' parameter of event_probability"):
        event_probability([0.1, 0.2], accrual=1, follow_up=1, breaks=[-1.0])
    with pytest.raises(ParameterError, match="The 'hr' parameter of expected_events"):
        expected_events(10, hazard=0.1, hr=-1.0, prevalence=0.5, accrual=1, follow_up=1)


# --------------------------------------------------------------------------- simulation
def _exponential_trial(n, g, *, hr=1.5, prevalence=0.4, base=0.02, accrual=24.0, follow=24.0):
    """Proportional hazards, exponential times, uniform accrual: Schoenfeld's setting."""
    x = (g.random(n) < prevalence).astype(int)
    t = g.exponential(1 / (base * np.where(x == 1, hr, 1.0)))
    c = follow + accrual * g.random(n)
    return pd.DataFrame({"months": np.minimum(t, c), "event": (t <= c).astype(int),
                         "positive": x})


EXP_ANALYSIS = PowerAnalysis(time_col="months", event_col="event", group_col="positive")


@pytest.mark.parametrize("test", ["cox", "logrank"])
def test_power_agrees_with_schoenfeld_within_monte_carlo_error(test):
    n, n_sim = 250, 2000
    res = simulate_power(_exponential_trial, n=n, n_sim=n_sim, rng=11, analysis=EXP_ANALYSIS,
                         test=test)
    d = expected_events(n, hazard=0.02, hr=1.5, prevalence=0.4, accrual=24.0, follow_up=24.0)
    formula = schoenfeld_power(1.5, events=d, prevalence=0.4)
    assert 0.5 < formula < 0.8  # where power is most sensitive
    # 3.5 Monte-Carlo standard errors (about 0.035 here)
    mc_se = np.sqrt(formula * (1 - formula) / n_sim)
    assert abs(res.power - formula) < 3.5 * mc_se
    assert res.ci_lower <= res.power <= res.ci_upper
    # the simulated events and effect match the design
    assert abs(res.mean_events - d) < 0.02 * d
    # Cox MLE: Monte-Carlo SE of the mean about 0.005; the log-rank (Peto) estimate
    # (O - E)/V is biased towards larger |log HR| away from HR = 1 (about +0.02 here)
    assert abs(res.mean_log_hr - np.log(1.5)) < (0.02 if test == "cox" else 0.05)


def test_power_under_the_null_is_alpha():
    res = simulate_power(lambda n, g: _exponential_trial(n, g, hr=1.0), n=300, n_sim=1500,
                         rng=5, analysis=EXP_ANALYSIS)
    assert res.ci_lower <= 0.05 <= res.ci_upper


def _cohort_frames(key, n, n_sim, rng, analysis):
    d = get_design(key)
    seeds = _seed_root(rng).spawn(n_sim)
    out = []
    for s in seeds:
        sc = simulate_study(d, n=n, rng=np.random.default_rng(s))
        out.append(analysis_frame(d, _published_like(d, analysis), sc.data, sc.draws))
    return out


def test_replicates_equal_fit_cox_on_the_same_cohorts():
    """janni2016: multivariable Cox stratified by study (the published DFS analysis)."""
    a = power_analysis("janni2016")
    assert a.test == "cox" and a.strata == "study" and len(a.covariates) == 5
    res = simulate_power("janni2016", n=800, n_sim=4, rng=3)
    for r, f in enumerate(_cohort_frames("janni2016", 800, 4, 3, a)):
        f = f.assign(marker=(f["group"] == "positive").astype(float))
        ref = fit_cox(f, time_col="time", event_col="event",
                      covariates=["marker", *a.covariates], strata_col="strata")
        row = res.replicates.iloc[r]
        assert_allclose(row["log_hr"], ref.table["coef"].iloc[0], rtol=1e-8)
        assert_allclose(row["std_error"], ref.table["std_error"].iloc[0], rtol=1e-8)
        assert_allclose(row["p_value"], ref.table["p_value"].iloc[0], rtol=1e-7)
        assert row["n_events"] == ref.n_events


def test_landmark_logrank_replicates_equal_logrank_test():
    """hayes2006: log-rank test of PFS by status at a serial draw, landmark at the draw."""
    a = power_analysis("hayes2006", "pfs_median_d1_pos")
    assert a.test == "logrank" and a.time_origin == "draw" and a.draw == 1
    res = simulate_power("hayes2006", n_sim=3, rng=4, analysis="pfs_median_d1_pos")
    for r, f in enumerate(_cohort_frames("hayes2006", 177, 3, 4, a)):
        ref = logrank_test(f, time_col="time", event_col="event", group_col="group")
        assert_allclose(res.replicates["p_value"].iloc[r], ref.p_value, rtol=1e-9)
        assert res.replicates["n_patients"].iloc[r] == len(f)


def test_piecewise_window_analysis():
    """braun2005: the late (> 5 years) hazard ratio: patients at risk at 60 months only."""
    a = power_analysis("braun2005", "os_hr_5_10")
    assert a.window == (60.0, 120.0) and a.strata == "study"
    res = simulate_power("braun2005", n=1500, n_sim=3, rng=2, analysis=a)
    assert (res.replicates["n_patients"] < 1500).all()
    assert "in months 60–120" in res.analysis


def test_same_results_whatever_the_backend(tmp_path):
    """The same seed: n_jobs 1 or 2, any chunk size, or a dask LocalCluster (one of the
    test's own, tests/_dask.py: a shared port or scratch space made this test flaky)."""
    kw = dict(n=250, n_sim=24, rng=7)
    base = simulate_power("lucci2012", **kw).replicates
    pd.testing.assert_frame_equal(base, simulate_power("lucci2012", n_jobs=2,
                                                       chunk_size=5, **kw).replicates)
    pd.testing.assert_frame_equal(base, simulate_power("lucci2012", chunk_size=1,
                                                       **kw).replicates)
    with local_client(tmp_path, n_workers=2, processes=False) as client:
        viadask = simulate_power("lucci2012", client=client, chunk_size=6, **kw).replicates
    pd.testing.assert_frame_equal(base, viadask)


def test_result_fields_and_unusable_replicates_warn():
    res = simulate_power("lucci2012", n_sim=30, rng=1)
    assert list(res.replicates.columns[:5]) == ["replicate", "log_hr", "std_error", "p_value",
                                                "n_events"]
    assert res.n == 302 and res.n_sim == 30 and res.design == "lucci2012"
    assert res.power == np.mean(res.replicates["p_value"] < 0.05)
    ci = stats.binomtest(int(round(res.power * 30)), 30).proportion_ci(method="exact")
    assert_allclose([res.ci_lower, res.ci_upper], [ci.low, ci.high], rtol=1e-12)
    json.dumps(res.to_dict())
    with pytest.warns(ConvergenceWarning, match="did not give a usable estimate"):
        tiny = simulate_power("lucci2012", n=12, n_sim=20, rng=1)
    assert tiny.n_unusable > 0 and tiny.warnings


def test_sample_size_and_curve(rng):
    res = sample_size(_exponential_trial, target_power=0.8, n_sim=300, rng=2,
                      analysis=EXP_ANALYSIS, n_start=200)
    tab = res.table
    assert res.power >= 0.8
    below = tab.loc[tab["n"] < res.n, "power"]
    assert len(below) and below.max() < 0.8 or (tab["n"] < res.n).sum() == 0
    # Schoenfeld's n for comparison (within 15%: Monte-Carlo error and bracketing tolerance)
    d = schoenfeld_events(1.5, prevalence=0.4)
    per_patient = expected_events(1, hazard=0.02, hr=1.5, prevalence=0.4, accrual=24,
                                  follow_up=24)
    assert abs(res.n - d / per_patient) < 0.15 * res.n
    ax = res.plot()
    assert [ln.get_gid() for ln in ax.lines].count("power-n") == 1
    curve = power_curve(_exponential_trial, n_grid=[150, 400, 800], n_sim=200, rng=3,
                        analysis=EXP_ANALYSIS)
    assert curve.table["power"].is_monotonic_increasing
    ax = curve.plot()
    gids = [ln.get_gid() for ln in ax.lines]
    assert "power-sim" in gids and "power-schoenfeld" in gids
    assert any(c.get_gid() == "power-band" for c in ax.collections)
    sim = next(ln for ln in ax.lines if ln.get_gid() == "power-sim")
    assert_allclose(sim.get_ydata(), curve.table["power"])


def test_parameter_errors():
    with pytest.raises(ParameterError, match="The 'n_sim' parameter of simulate_power"):
        simulate_power("lucci2012", n_sim=0)
    with pytest.raises(ParameterError, match="The 'alpha' parameter of simulate_power"):
        simulate_power("lucci2012", alpha=1.5)
    with pytest.raises(ParameterError, match="The 'result' parameter of power_analysis"):
        simulate_power("lucci2012", analysis="nope")
    with pytest.raises(ParameterError, match="must be a PowerAnalysis with time_col"):
        simulate_power(_exponential_trial, n=10)
    with pytest.raises(ParameterError, match="The 'n' parameter of simulate_power is required"):
        simulate_power(_exponential_trial, analysis=EXP_ANALYSIS)
    with pytest.raises(ParameterError, match="The 'n_jobs' parameter of simulate_power"):
        simulate_power("lucci2012", n_sim=2, n_jobs=0)
    with pytest.raises(ParameterError, match="The 'test' parameter of"):
        simulate_power("lucci2012", test="wald")
    with pytest.raises(ParameterError, match="The 'n_grid' parameter of power_curve"):
        power_curve("lucci2012", n_grid=[1])
    with pytest.raises(DataValidationError, match="below the target"):
        sample_size(lambda n, g: _exponential_trial(n, g, hr=1.0), n_sim=20, rng=1,
                    analysis=EXP_ANALYSIS, n_start=50, n_max=100)


def test_cli_power(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_power_command(parser.add_subparsers(dest="command"))
    out = tmp_path / "power.json"
    args = parser.parse_args(["power", "--design", "lucci2012", "--n-sim", "20", "--seed",
                              "1", "--quiet", "--out", str(out)])
    assert args.handler(args) == 0
    data = json.loads(out.read_text())
    assert data["result"] == "PowerResult" and len(data["replicates"]) == 20
    assert "power" in capsys.readouterr().out
    out_csv = tmp_path / "n.csv"
    args = parser.parse_args(["power", "--design", "lucci2012", "--target-power", "0.95",
                              "--n-sim", "30", "--seed", "1", "--quiet", "--out",
                              str(out_csv)])
    assert args.handler(args) == 0
    assert list(pd.read_csv(out_csv).columns[:2]) == ["n", "power"]


@pytest.mark.parametrize("key", ["janni2016", "braun2005", "lucci2012", "smerage2014"])
def test_power_simulates_the_columns_of_simulate_cohort(key):
    """Power simulation takes the simulator's column arrays without building a DataFrame per
    cohort; they are exactly simulate_cohort's frame for the same generator (pooled, serial
    and single-study designs)."""
    from ctcstats.designs.simulate import simulate_columns

    d = get_design(key)
    for seed in (1, 2):
        cols, _ = simulate_columns(d, 600, np.random.default_rng(seed))
        ref = simulate_cohort(d, n=600, rng=np.random.default_rng(seed))
        pd.testing.assert_frame_equal(pd.DataFrame(cols), ref, check_exact=True)


def test_fast_negative_binomial_tail_equals_scipy_stats():
    """The simulator's NB tail (the incomplete beta I_{1−p}(k+1, n)) equals
    scipy.stats.nbinom.sf to rounding; the committed cohorts, regenerated and compared byte
    for byte in tests/designs, show the solved concentration scales are unaffected."""
    from ctcstats.designs.simulate import _nbinom_sf

    g = np.random.default_rng(0)
    for _ in range(500):
        k, n, p = int(g.integers(0, 12)), g.uniform(0.05, 5), g.uniform(1e-12, 1)
        assert_allclose(_nbinom_sf(k, n, p), stats.nbinom.sf(k, n, p), rtol=1e-12, atol=1e-300)
