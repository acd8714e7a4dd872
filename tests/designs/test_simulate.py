"""simulate_cohort: determinism, columns, counts, covariates, endpoints and serial draws."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy import stats

import ctcstats
from ctcstats.data import validate_draws
from ctcstats.designs import (
    get_design,
    list_designs,
    simulate_cohort,
    simulate_draws,
    simulate_study,
)
from ctcstats.designs.simulate import concentration_scale
from ctcstats.errors import DataValidationError, ParameterError

KEYS = list(list_designs()["key"])


@pytest.mark.parametrize("key", KEYS)
def test_same_seed_same_frame_and_bytes(key):
    a = simulate_study(key, rng=11)
    b = simulate_study(get_design(key), rng=np.random.default_rng(11))
    assert_frame_equal(a.data, b.data)
    assert a.data.to_csv(index=False).encode() == b.data.to_csv(index=False).encode()
    if a.draws is not None:
        assert_frame_equal(a.draws, b.draws)
        # simulate_draws gives the draws of the same cohort (matching patient ids)
        assert_frame_equal(simulate_draws(key, rng=11), a.draws)
        assert a.draws["patient_id"].isin(a.data["patient_id"]).all()
    else:
        with pytest.raises(DataValidationError, match="has no serial draws"):
            simulate_draws(key, rng=11)
    # simulate_cohort returns one type, the same patient table
    plain = simulate_cohort(key, rng=11)
    assert isinstance(plain, pd.DataFrame)
    assert_frame_equal(plain, a.data)
    assert a.n_obs == plain.shape[0] and a.design == get_design(key).key
    c = simulate_cohort(key, rng=12)
    assert not c.equals(a.data)


def test_braun_columns_and_size():
    df = simulate_cohort("braun2005", rng=1)
    assert df.shape[0] == 4703
    expected = ["patient_id", "study", "age", "tumor_size_cm", "node_positive", "grade",
                "hr_positive", "her2_positive", "dtc_count", "cells_examined", "dtc_positive",
                "os_months", "os_event", "bcss_months", "bcss_event", "dfs_months",
                "dfs_event", "ddfs_months", "ddfs_event"]
    assert list(df.columns) == expected
    assert df["patient_id"].is_unique
    assert df["study"].nunique() == 9
    assert set(df["dtc_positive"].unique()) <= {0, 1}
    assert (df["dtc_positive"] == (df["dtc_count"] >= 1)).all()
    assert df["dtc_count"].dtype == np.int64 and (df["cells_examined"] == 2_000_000).all()
    for ep in ("os", "bcss", "dfs", "ddfs"):
        assert (df[f"{ep}_months"] > 0).all() and df[f"{ep}_months"].max() <= 120
        assert set(df[f"{ep}_event"].unique()) <= {0, 1}


def test_ctc_design_columns():
    df = simulate_cohort("rack2014", rng=2)
    for col in ("ctc_count", "blood_volume_ml", "ctc_positive", "ctc_category"):
        assert col in df.columns
    assert (df["blood_volume_ml"] == 30.0).all()
    assert set(df["ctc_category"]) <= {"0", "1-4", ">=5"}
    assert "study" not in df.columns


def test_n_and_rng_parameters():
    assert simulate_cohort("lucci2012", n=10, rng=1).shape[0] == 10
    with pytest.raises(ParameterError, match="The 'n' parameter of simulate_cohort must be"):
        simulate_cohort("lucci2012", n=0)
    with pytest.raises(ParameterError, match="The 'rng' parameter"):
        simulate_cohort("lucci2012", rng="seed")
    with pytest.raises(DataValidationError, match="unknown design"):
        simulate_cohort("nope")


def test_braun_speed(capsys):
    simulate_cohort("braun2005", rng=0)
    t0 = time.perf_counter()
    for s in range(5):
        simulate_cohort("braun2005", rng=s)
    per = (time.perf_counter() - t0) / 5
    with capsys.disabled():
        print(f"\n[benchmark] simulate_cohort('braun2005', n=4703): {per * 1000:.1f} ms")


def test_concentration_scale_closed_form(rng):
    scale = concentration_scale(0.3, threshold=5, zero_fraction=0.2, shape=0.4, exposure=6.0)
    n = 400_000
    c = np.where(rng.random(n) >= 0.2, rng.gamma(0.4, scale, n), 0.0)
    p = np.mean(rng.poisson(6.0 * c) >= 5)
    assert abs(p - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)


@pytest.mark.parametrize("key", KEYS)
def test_prevalence_within_binomial_error(key):
    d = get_design(key)
    n = 20_000
    col = f"{d.marker_prefix}_positive"
    est = np.array([simulate_cohort(d, n=n, rng=s)[col].mean() for s in range(4)])
    se = np.sqrt(d.prevalence * (1 - d.prevalence) / (n * est.size))
    assert abs(est.mean() - d.prevalence) < 4 * se


def _or(df, x, m):
    t = pd.crosstab(df[m], df[x] > df[x].median() if df[x].nunique() > 3 else df[x])
    t = t.to_numpy() + 0.5
    return (t[1, 1] * t[0, 0]) / (t[1, 0] * t[0, 1])


def test_covariates_in_published_direction():
    df = simulate_cohort("braun2005", n=30_000, rng=5)
    pos = df["dtc_positive"] == 1
    assert df.loc[pos, "tumor_size_cm"].median() > df.loc[~pos, "tumor_size_cm"].median()
    assert df.loc[pos, "node_positive"].mean() > df.loc[~pos, "node_positive"].mean() + 0.05
    assert df.loc[pos, "grade"].mean() > df.loc[~pos, "grade"].mean()
    assert df.loc[pos, "hr_positive"].mean() < df.loc[~pos, "hr_positive"].mean() - 0.03
    # Rack 2014: CTC more frequent in node-positive (22.4% vs 19.6%); no size association
    r = simulate_cohort("rack2014", n=60_000, rng=5)
    by_node = r.groupby("node_positive")["ctc_positive"].mean()
    assert by_node[1] > by_node[0]
    assert by_node[1] - by_node[0] == pytest.approx(0.224 - 0.196, abs=0.012)
    lo = r.loc[r.ctc_positive == 1, "tumor_size_cm"].median()
    assert lo == pytest.approx(r.loc[r.ctc_positive == 0, "tumor_size_cm"].median(), abs=0.1)


@pytest.mark.parametrize("key", ["braun2005", "janni2016", "rack2014", "paddy"])
def test_endpoints_are_consistent(key):
    df = simulate_cohort(key, n=5000, rng=3)
    assert (df["dfs_months"] <= df["os_months"]).all()
    assert (df["dfs_months"] <= df["ddfs_months"]).all()
    assert (df["bcss_months"] == df["os_months"]).all()
    assert (df["bcss_event"] <= df["os_event"]).all()
    # a death from breast cancer follows a distant recurrence
    assert (df.loc[df.bcss_event == 1, "ddfs_event"] == 1).all()
    # competing non-cancer deaths exist
    assert ((df.os_event == 1) & (df.bcss_event == 0)).sum() > 0


def test_reverse_km_median_follow_up_matches():
    from lifelines import KaplanMeierFitter

    for key in ("janni2016", "lucci2012"):
        d = get_design(key)
        df = simulate_cohort(d, n=40_000, rng=9)
        km = KaplanMeierFitter().fit(df["os_months"], 1 - df["os_event"])
        assert km.median_survival_time_ == pytest.approx(d.follow_up.median_months.value,
                                                         rel=0.03)


# --------------------------------------------------------------------------- serial draws
SERIAL = ["cristofanilli2004", "hayes2006", "cohen2008", "debono2008", "smerage2014"]


@pytest.mark.parametrize("key", SERIAL)
def test_draws_consistent_with_patients(key):
    d = get_design(key)
    sc = simulate_study(d, n=3000, rng=4)
    p, dr = sc.data, sc.draws
    fu = [f"{e}_months" for e in d.endpoint_names]
    validate_draws(dr, patients=p, followup_cols=fu, volume_col="blood_volume_ml")
    assert list(dr.columns) == ["patient_id", "draw", "draw_label", "draw_months", "ctc_count",
                                "blood_volume_ml", "ctc_positive"]
    base = dr[dr.draw == 0].set_index("patient_id")
    assert len(base) == len(p)
    assert (base.loc[p.patient_id, "ctc_count"].to_numpy() == p["ctc_count"].to_numpy()).all()
    last_fu = p.set_index("patient_id").loc[dr.patient_id, fu].max(axis=1).to_numpy()
    assert (dr.loc[dr.draw > 0, "draw_months"].to_numpy() < last_fu[dr.draw.to_numpy() > 0]).all()
    weeks = dr["draw_months"] * 52.1775 / 12
    win = np.array(d.serial.windows)
    assert ((weeks >= win[dr["draw"], 0] - 0.05) & (weeks <= win[dr["draw"], 1] + 0.05)).all()
    if d.serial.stop_at_progression and "pfs" in d.endpoint_names:
        last = p.set_index("patient_id").loc[dr.patient_id, "pfs_months"].to_numpy()
        later = dr["draw"].to_numpy() > 0
        assert (dr["draw_months"].to_numpy()[later] < last[later]).all()
    assert_frame_equal(simulate_draws(d, n=3000, rng=4), dr)


def test_simulate_draws_needs_serial_design():
    with pytest.raises(DataValidationError, match="has no serial draws"):
        simulate_draws("braun2005")


def test_validate_draws_errors():
    sc = simulate_study("hayes2006", n=200, rng=1)
    p, dr = sc.data, sc.draws
    bad = dr.copy()
    bad.loc[bad.index[3], "draw_months"] = 1000.0
    with pytest.raises(DataValidationError, match="rows after the patient's last follow-up"):
        validate_draws(bad, patients=p, followup_cols=["pfs_months", "os_months"])
    bad = dr.copy()
    bad["ctc_count"] = bad["ctc_count"].astype(float)
    bad.loc[bad.index[0], "ctc_count"] = 2.5
    with pytest.raises(DataValidationError, match="non-integer"):
        validate_draws(bad)
    bad = pd.concat([dr, dr.iloc[[0]]])
    with pytest.raises(DataValidationError, match="repeat a"):
        validate_draws(bad)
    with pytest.raises(DataValidationError, match="not in patients"):
        validate_draws(dr, patients=p.iloc[1:])
    before = dr.copy()
    out = validate_draws(dr.sample(frac=1, random_state=1), patients=p)
    assert_frame_equal(dr, before)
    assert out["patient_id"].is_monotonic_increasing


def test_smerage_arms_and_conversion():
    d = get_design("smerage2014")
    sc = simulate_study(d, n=40_000, rng=8)
    arm = sc.data["arm"]
    assert set(arm) == {"A", "B", "C1", "C2", "not retested"}
    assert (arm == "A").mean() == pytest.approx(276 / 595, abs=0.01)
    retested = arm.isin(["B", "C1", "C2"])
    assert (arm == "B").sum() / retested.sum() == pytest.approx(165 / 288, abs=0.02)
    assert (arm == "not retested").sum() / (arm != "A").sum() == pytest.approx(31 / 319,
                                                                                abs=0.01)
    # arm A patients have only the baseline draw; B converted, C persisted
    dr = sc.draws.merge(sc.data[["patient_id", "arm"]], on="patient_id")
    assert (dr.loc[dr.arm == "A", "draw"] == 0).all()
    d21 = dr[dr.draw == 1]
    assert (d21.loc[d21.arm == "B", "ctc_positive"] == 0).all()
    assert (d21.loc[d21.arm.isin(["C1", "C2"]), "ctc_positive"] == 1).all()
    # arms B/C are defined among patients retested at day 21 (SWOG S0500): every B/C patient
    # has a day-21 draw, and a baseline-positive patient without one (progressed, died or
    # censored before day 21, or missed) is "not retested" — never assigned by an unmeasured
    # day-21 status
    has21 = sc.data["patient_id"].isin(d21["patient_id"])
    assert has21[retested].all()
    assert not has21[arm == "not retested"].any()
    early = (sc.data["pfs_months"] <= 21 / 30.4375) & (arm != "A")
    assert early.sum() > 0 and (arm[early] == "not retested").all()


def test_cristofanilli_conversion_to_favourable():
    sc = simulate_study("cristofanilli2004", n=40_000, rng=2)
    fu = sc.draws[sc.draws.draw == 1]
    # published: 49% unfavourable at baseline, 30% at first follow-up
    assert fu["ctc_positive"].mean() == pytest.approx(0.30, abs=0.02)


def test_exported_names():
    for name in ("list_designs", "get_design", "simulate_cohort"):
        assert hasattr(ctcstats.designs, name)
    assert stats is not None


def test_extreme_study_prevalence_draws_do_not_crash():
    """Seeds whose study-level prevalence draw hits the cap (1 − π0) used to make the NB tail
    equation unsolvable (found by the power and notebook work)."""
    from ctcstats.designs import simulate_cohort

    for seed in (219, 277, 325, 384, 525, 540):
        cohort = simulate_cohort("braun2005", rng=seed)
        assert len(cohort) == 4703
    assert len(simulate_cohort("neoadjuvant_ipd", rng=62, n=2000)) == 2000
