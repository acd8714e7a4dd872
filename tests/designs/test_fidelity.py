"""Synthetic cohorts reproduce the published results (medians, HRs, rate ratios, fractions).

The published analysis of each result is run on a large synthetic cohort (a seed different
from the calibration seed) and compared with the published value within Monte-Carlo error
plus the calibration's own residual (stored in the design file). Independent checks use
lifelines (KaplanMeierFitter, CoxPHFitter) on the same analysis frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter

from ctcstats import fit_cox, kaplan_meier
from ctcstats.designs import (
    Target,
    calibrate,
    get_design,
    list_designs,
    simulate_cohort,
    simulate_study,
)
from ctcstats.designs.calibrate import analysis_frame, estimate_result
from ctcstats.designs.simulate import category_labels, simulate_tables

KEYS = list(list_designs()["key"])


# --------------------------------------------------------------------------- estimators
def test_median_follows_r_on_a_flat_segment():
    """R: quantile(survfit(Surv(c(2, 4, 5, 6), c(1, 1, 0, 1)) ~ 1), 0.5) is 5 — S is exactly
    0.5 on [4, 6) with a censoring at 5; calibration's median is R's and kaplan_meier's
    (the previous own estimator of calibrate.py gave 4.5)."""
    d = get_design("cohen2008")
    r = next(x for x in d.results if x.kind == "median" and x.simulated)
    frame = pd.DataFrame({"time": [2.0, 4.0, 5.0, 6.0], "event": [1, 1, 0, 1],
                          "group": [r.group] * 4})
    est = calibrate.estimate_on_frame(d, r, frame)[0]
    km = kaplan_meier(frame, time_col="time", event_col="event")
    assert est == 5.0 == km.median["median"].iloc[0]


@pytest.mark.parametrize("key", ["braun2005", "debono2008", "paddy", "vandalum2015",
                                 "hayes2006"])
def test_calibration_estimates_equal_the_public_functions(key):
    """Every survival estimate that calibration uses (Kaplan–Meier median and survival, Cox
    hazard ratio with strata) equals the public function's on the same analysis frame: the
    same survival-core code, called at the array level."""
    d = get_design(key)
    sc = simulate_study(d, n=3000, rng=7)
    checked = 0
    for r in d.results:
        if not r.simulated or r.kind in ("prevalence", "fraction", "rate_ratio_univariable"):
            continue
        est, se = estimate_result(d, r, sc.data, sc.draws)
        f = analysis_frame(d, r, sc.data, sc.draws)
        sel = f["group"].isin(r.group.split("+")) if r.group else np.ones(len(f), bool)
        sub = f.loc[sel, ["time", "event"]]
        if r.kind.startswith("median") and len(sub):
            km = kaplan_meier(sub, time_col="time", event_col="event")
            ref = km.median["median"].iloc[0]
            assert (np.isnan(est) and np.isnan(ref)) or est == pytest.approx(ref, rel=1e-12)
        elif r.kind == "survival_at" and len(sub):
            km = kaplan_meier(sub, time_col="time", event_col="event")
            ref = km.survival_at([r.time_point])["survival"].iloc[0]
            assert est == pytest.approx(ref, rel=1e-12)
        elif r.kind.startswith("hr"):
            hr, log_se = _public_hr(d, r, f)
            assert est == pytest.approx(hr, rel=1e-10)
            assert se == pytest.approx(log_se, rel=1e-10)
        else:
            continue
        checked += 1
    assert checked >= 2


def _public_hr(d, r, f):
    grp = f["group"].to_numpy()
    ref = r.reference or "negative"
    if r.grouping == "category":
        levels = [lv for lv in category_labels(d.marker["categories"]) if lv != ref]
        levels = [lv for lv in levels if np.any(grp == lv)]
        data = f
    else:
        levels = [r.group]
        data = f.loc[np.isin(grp, [r.group, ref])]
    cols = {f"m{i}": (data["group"] == lv).astype(float) for i, lv in enumerate(levels)}
    data = data.assign(**cols)
    res = fit_cox(data, time_col="time", event_col="event",
                  covariates=list(cols) + list(r.covariates),
                  strata_col="strata" if r.strata else None)
    row = res.table.loc[f"m{levels.index(r.group)}"]
    return float(row["hr"]), float(row["std_error"])


def test_target_specs_weights_and_ranges():
    """'<id>@w' weights a calibration target; a published range is aimed at its middle."""
    from ctcstats.designs.calibrate import _target_value

    d = get_design("debono2008")
    r, is_ci, goal = _target_value(d, "os_median_baseline_pos@2")
    assert (r.id, is_ci, goal, Target.parse("os_median_baseline_pos@2").weight) == (
        "os_median_baseline_pos", False, 11.5, 2.0)
    assert Target.parse("os_hr_baseline").weight == 1.0
    assert Target.parse("dfs_hr:ci@3") == Target("dfs_hr", ci=True, weight=3.0)
    assert str(Target.parse("dfs_hr:ci@3")) == "dfs_hr:ci@3"
    r, _, goal = _target_value(d, "os_median_post_unf_range@0.5")
    assert goal == pytest.approx(np.sqrt(6.7 * 9.5))
    j = get_design("janni2016")
    r, is_ci, goal = _target_value(j, "dfs_hr:ci@3")
    assert is_ci and goal == pytest.approx((np.log(2.26) - np.log(1.47)) / (2 * 1.959963984540054))


def test_time_origin_draw_for_arms():
    """SWOG C1/C2 medians are timed from randomisation (the day-21 draw), A/B/C from
    registration."""
    sc = simulate_study("smerage2014", rng=4)
    p, dr = sc.data, sc.draws
    f = analysis_frame("smerage2014", "os_median_C1", p, dr)
    c1 = p.loc[f.index]
    assert (c1["arm"] == "C1").sum() == (f["group"] == "C1").sum() > 0
    day21 = dr[dr["draw"] == 1].set_index("patient_id")["draw_months"]
    np.testing.assert_allclose(
        f["time"].to_numpy(), c1["os_months"].to_numpy() - day21.loc[c1["patient_id"]].to_numpy())
    g = analysis_frame("smerage2014", "os_median_C", p, dr)
    np.testing.assert_array_equal(g["time"].to_numpy(), p.loc[g.index, "os_months"].to_numpy())


# --------------------------------------------------------------------------- fidelity
def _range_miss(r, value: float) -> float:
    """How far (log scale) *value* lies outside a published range (0 inside)."""
    lo, hi = np.log(r.value)
    v = np.log(value)
    return float(max(lo - v, v - hi, 0.0))


def _tolerance(r, d, fit) -> float:
    miss = 0.0
    for target, published, achieved in fit:
        if target.result_id == r.id:
            if r.kind in ("median_range", "hr_range"):
                miss = _range_miss(r, achieved)
            elif r.kind in ("prevalence", "fraction", "survival_at"):
                miss = abs(achieved - published)
            else:
                miss = abs(np.log(achieved / published))
    return miss


def _cohort(d, n, seed):
    return simulate_tables(d, n, np.random.default_rng(seed))


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_published_targets_recovered(key):
    d = get_design(key)
    assert d.calibrated is not None, f"{key} is not calibrated"
    n = max(40_000, 10 * int(d.n.value))
    patients, draws = _cohort(d, n, 777)
    fit = [(f.target, f.published, f.achieved) for f in d.calibrated.fit]
    for r in d.results:
        if not (r.target and r.simulated):
            continue
        est, se = estimate_result(d, r, patients, draws)
        miss = _tolerance(r, d, fit)
        if r.kind in ("hr_univariable", "hr_multivariable", "rate_ratio_univariable"):
            assert abs(np.log(est / r.value)) <= 4 * se + miss + 0.02, (r.id, est, r.value)
        elif r.kind in ("median",):
            assert abs(np.log(est / r.value)) <= 0.08 + miss, (r.id, est, r.value)
        elif r.kind in ("median_range", "hr_range"):
            assert _range_miss(r, est) <= 0.08 + miss, (r.id, est, r.value)
        elif r.kind == "median_lower_bound":  # "> x months": not reached, or above x
            assert np.isnan(est) or np.log(est / r.value) >= -(0.08 + miss), (r.id, est)
        else:
            assert abs(est - r.value) <= 0.015 + miss, (r.id, est, r.value)


# Hayes 2006: the PFS medians of draw-negative patients (6.1, 5.6, 7.0, 6.0 months at draws 1–4)
# go up and down by chance; a model with one hazard for negative states meets them within ~12%.
# Rack 2014: post-relapse marker effects bounded ≥ 0 cannot give OS HR (≥5 CTC) 3.6 below DFS
# HR 4.51; the compromise misses DFS ≥5 by ~17% (inside the published CI; see the design file).
# Janni 2016: non-cancer mortality fixed at 0.4%/year dilutes the OS HR (1.76 vs 1.97, ~11%).
# SWOG S0500: arm C's medians 13.0 (C1 + C2), 10.7 (C1) and 12.5 (C2, P = .98) are fit by one
# survival for both randomised arms, so C1 is missed by ~8% (see the design file).
# A published range (de Bono's medians over four post-treatment windows) is a target aimed at
# its middle; it counts as met inside the range (within the tolerance).
KNOWN_MISFIT = {"hayes2006": 0.12, "rack2014": 0.2, "janni2016": 0.12, "smerage2014": 0.09}


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_calibration_residuals_small(key):
    """The stored calibration reproduces every target within 5% (log scale / 0.02 absolute)."""
    d = get_design(key)
    tol = KNOWN_MISFIT.get(key, 0.05)
    for f in d.calibrated.fit:
        r = d.result(f.target.result_id)
        if r.kind in ("median_range", "hr_range"):
            assert _range_miss(r, f.achieved) < tol, f
        elif r.kind in ("prevalence", "fraction", "survival_at") and not f.target.ci:
            assert abs(f.achieved - f.published) < 0.02, f
        else:
            assert abs(np.log(f.achieved / f.published)) < tol, f


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_lower_bounds_respected(key):
    """Medians published as '> x months' stay above x in the synthetic cohort."""
    d = get_design(key)
    patients, draws = _cohort(d, 40_000, 778)
    for r in d.results:
        if r.kind == "median_lower_bound":
            est, _ = estimate_result(d, r, patients, draws)
            assert np.isnan(est) or est > 0.9 * r.value, (r.id, est)


@pytest.mark.slow
def test_braun_piecewise_cox_with_lifelines():
    """Braun 2005: time-stratified Cox (0–5 y, > 5 y) by lifelines on a synthetic cohort.

    lifelines CoxPHFitter(strata=['strata']) with the assumed adjustment covariates; the
    published HRs 1.81 (0–5 y) and 1.58 (> 5 y) are recovered within 3 standard errors.
    """
    d = get_design("braun2005")
    df = simulate_cohort(d, n=60_000, rng=4242)
    for rid in ("os_hr_0_5", "os_hr_5_10", "ddfs_hr_0_5", "dfs_hr_0_5"):
        r = d.result(rid)
        f = analysis_frame(d, r, df)
        f = f.assign(dtc=(f["group"] == "positive").astype(float)).drop(columns="group")
        cph = CoxPHFitter().fit(f, "time", "event", strata=["strata"])
        hr = float(np.exp(cph.params_["dtc"]))
        se = float(cph.standard_errors_["dtc"])
        assert abs(np.log(hr / r.value)) < 3 * se + 0.03, (rid, hr)
    # univariable mortality ratio (non-proportional effect: larger than the adjusted HRs)
    est, se = estimate_result(d, d.result("ddfs_rr"), df)
    assert abs(np.log(est / 2.33)) < 3 * se + 0.03


@pytest.mark.slow
def test_hayes_landmark_medians_with_lifelines():
    """Hayes 2006: KM medians from each draw (lifelines KaplanMeierFitter)."""
    d = get_design("hayes2006")
    sc = simulate_study(d, n=40_000, rng=99)
    for j, pub in enumerate([2.7, 1.3, 1.4, 3.0, 3.6]):
        r = d.result(f"pfs_median_d{j}_pos")
        f = analysis_frame(d, r, sc.data, sc.draws)
        g = f[f.group == "positive"]
        med = KaplanMeierFitter().fit(g["time"], g["event"]).median_survival_time_
        assert abs(np.log(med / pub)) < 0.1, (j, med)
