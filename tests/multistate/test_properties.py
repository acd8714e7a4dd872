"""Properties of the multi-state estimators: row order, index labels, time units, inputs
unchanged, probabilities in [0, 1] summing to 1, intervals containing their estimates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctcstats.multistate import (
    competing_incidence,
    illness_death_transitions,
    multistate_data,
    state_probabilities,
)

TM = illness_death_transitions(("disease_free", "relapse", "death"))


def _patients(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rel = np.round(rng.exponential(20, n), 1) + 0.5
    rel_e = rng.integers(0, 2, n)
    extra = np.round(rng.exponential(15, n), 1) + 0.5
    os_t = np.where(rel_e == 1, rel + extra, rel)
    os_e = rng.integers(0, 2, n)
    return pd.DataFrame({"pid": rng.permutation(n) + 100, "rel_m": rel, "rel": rel_e,
                         "os_m": os_t, "dead": os_e, "grp": rng.choice(["a", "b"], n)})


def _ms(df, scale=1.0):
    d = df.assign(rel_m=df.rel_m * scale, os_m=df.os_m * scale)
    return multistate_data(d, transitions=TM,
                           state_time_cols={"relapse": "rel_m", "death": "os_m"},
                           state_event_cols={"relapse": "rel", "death": "dead"},
                           id_col="pid", covariates=["grp"])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60))
def test_probabilities_are_probabilities(seed, n):
    df = _patients(seed, n)
    before = df.copy()
    tau = 0.9 * float(df.groupby("grp")["os_m"].max().min())  # within every group's follow-up
    res = state_probabilities(_ms(df), group_col="grp", tau=tau)
    pd.testing.assert_frame_equal(df, before)
    t = res.table
    assert ((t["probability"] >= -1e-12) & (t["probability"] <= 1 + 1e-12)).all()
    sums = t.groupby(["group", "time"])["probability"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    assert (t["ci_lower"] <= t["probability"] + 1e-12).all()
    assert (t["probability"] <= t["ci_upper"] + 1e-12).all()
    tis = res.time_in_state
    np.testing.assert_allclose(tis.groupby("group")["expected_time"].sum(), tau)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_row_order_index_labels_and_time_units(seed):
    df = _patients(seed, 80)
    tau = 0.9 * float(df.groupby("grp")["os_m"].max().min())
    ref = state_probabilities(_ms(df), group_col="grp", tau=tau)
    rng = np.random.default_rng(seed)
    shuffled = df.iloc[rng.permutation(len(df))].set_axis(rng.permutation(len(df)) * 3)
    res = state_probabilities(_ms(shuffled), group_col="grp", tau=tau)
    pd.testing.assert_frame_equal(res.table, ref.table)
    # months -> days: the probabilities at corresponding times are equal, times scale
    days = state_probabilities(_ms(df, 30.4375), group_col="grp", tau=tau * 30.4375)
    np.testing.assert_allclose(days.table["probability"], ref.table["probability"],
                               atol=1e-12)
    np.testing.assert_allclose(days.table["std_error"], ref.table["std_error"], atol=1e-12)
    np.testing.assert_allclose(days.time_in_state["expected_time"],
                               ref.time_in_state["expected_time"] * 30.4375, rtol=1e-10)
    tp_a = ref.transition_probabilities(10.0).table
    tp_b = res.transition_probabilities(10.0).table
    pd.testing.assert_frame_equal(tp_a, tp_b)


def test_competing_incidence_row_order():
    df = _patients(4, 120).assign(first=lambda d: np.where(d.rel == 1, 1, 2 * d.dead))
    a = competing_incidence(df, time_col="rel_m", event_col="first", group_col="grp")
    b = competing_incidence(df.iloc[::-1].reset_index(drop=True), time_col="rel_m",
                            event_col="first", group_col="grp")
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.gray_tests, b.gray_tests)
