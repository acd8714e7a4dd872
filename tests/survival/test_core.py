"""The survival core (ctcstats.survival._core): tie rule, curves, Newton–Raphson pieces.

The public functions' R reference tests exercise the core end to end; here are the pieces on
their own, with R transcripts quoted where R computes the same thing.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ctcstats.survival._core.curves import (
    censoring_curve,
    event_table,
    kaplan_meier_curve,
    quantile,
)
from ctcstats.survival._core.newton import chinv2, cholesky2, chsolve2, scale_factor
from ctcstats.survival._core.ties import (
    TIE_TOLERANCE,
    merge_message,
    merge_sorted_rows,
    merge_times,
)


# --------------------------------------------------------------------------- ties
def test_merge_is_relative_to_the_time_scale():
    """R aeqSurv's relative rule: a gap ≤ 1.5e-8 × mean |t| is a tie, at any unit."""
    base = np.array([1.0, 1.0 + 1e-10, 2.0, 3.0, 3.0 + 1e-5])
    for scale in (1e-9, 1.0, 1e9):
        merged = merge_times(base * scale)
        assert merged.n_merged == 1
        assert_allclose(merged.time, np.array([1.0, 1.0, 2.0, 3.0, 3.0 + 1e-5]) * scale,
                        rtol=1e-15)


def test_absolute_half_of_rs_rule_is_not_applied():
    """R also merges gaps ≤ 1.5e-8 in absolute terms — with times in units of 1e-9 that would
    merge everything; the core keeps distinct times distinct."""
    t = np.array([1e-9, 2e-9, 3e-9])
    merged = merge_times(t)
    assert merged.n_merged == 0 and merged.time is t


def test_a_chain_of_near_ties_collapses_onto_its_first_value():
    gap = 0.9 * TIE_TOLERANCE * 2.0  # mean |t| is about 2
    t = np.array([2.0, 2.0 + gap, 2.0 + 2 * gap, 3.0, 1.0])
    merged = merge_times(t)
    assert merged.n_merged == 2
    assert merged.time.tolist() == [2.0, 2.0, 2.0, 3.0, 1.0]


def test_start_and_stop_share_the_cuts():
    """(start, stop] data: as aeqSurv, the distinct values of both define the cuts."""
    start = np.array([0.0, 1.0 + 1e-12, 2.0])
    stop = np.array([1.0, 3.0, 4.0])
    merged = merge_times(stop, start)
    assert merged.n_merged == 1
    assert merged.start.tolist() == [0.0, 1.0, 2.0] and merged.time.tolist() == [1.0, 3.0, 4.0]


def test_rows_version_equals_one_data_set_at_a_time():
    g = np.random.default_rng(5)
    ts = np.sort(np.round(g.exponential(10, (6, 40)), 1), axis=1)
    ts[2, 5:8] = ts[2, 5] + np.array([0.0, 1e-12, 2e-12])  # near-ties in row 2
    valid = g.random((6, 40)) < 0.9
    out, counts = merge_sorted_rows(ts, valid)
    for r in range(6):
        one = merge_times(ts[r, valid[r]])
        assert_allclose(out[r, valid[r]], one.time, rtol=0, atol=0)
        assert counts[r] == one.n_merged
    assert counts[2] >= 1


def test_merge_message():
    assert merge_message(0, "os") is None
    assert merge_message(1, "os").startswith("time_col 'os': 1 distinct value differs")
    assert "2 distinct values differ" in merge_message(2)


@settings(max_examples=40)
@given(st.lists(st.floats(0.01, 1000, allow_nan=False), min_size=2, max_size=30),
       st.sampled_from([1e-9, 1e-3, 1e3, 1e9]))
def test_merging_commutes_with_rescaling(values, scale):
    t = np.array(values)
    a = merge_times(t)
    b = merge_times(t * scale)
    assert a.n_merged == b.n_merged
    assert_allclose(a.time * scale, b.time, rtol=1e-12)


# --------------------------------------------------------------------------- curves
def test_entry_times_match_survfit():
    """R: d <- data.frame(start = c(0,0,2,1,3,0,5), stop = c(4,6,5,3,8,2,9),
    ev = c(1,0,1,1,0,1,1)); f <- survfit(Surv(start, stop, ev) ~ 1, data = d):
    time 2 3 4 5 6 8 9; n.risk 4 4 4 3 3 2 1; surv .75 .5625 .421875 .28125 .28125 .28125 0;
    std.err .288675 .408248 .5 .645497 .645497 .645497 Inf."""
    start = np.array([0, 0, 2, 1, 3, 0, 5.0])
    stop = np.array([4, 6, 5, 3, 8, 2, 9.0])
    ev = np.array([1, 0, 1, 1, 0, 1, 1])
    c = kaplan_meier_curve(stop, ev, start=start)
    assert c.time.tolist() == [2, 3, 4, 5, 6, 8, 9]
    assert c.n_risk.tolist() == [4, 4, 4, 3, 3, 2, 1]
    assert_allclose(c.surv, [0.75, 0.5625, 0.421875, 0.28125, 0.28125, 0.28125, 0], rtol=1e-15)
    assert_allclose(np.sqrt(c.var_log[:-1]), [0.28867513459481287, 0.40824829046386302, 0.5,
                                              0.6454972243679028, 0.6454972243679028,
                                              0.6454972243679028], rtol=1e-14)
    assert np.isinf(c.var_log[-1])


def test_censoring_curve_conventions_match_survfit_and_prodlim():
    """R: t <- c(1,2,2,3,3,3,4,5); e <- c(1,0,1,1,0,0,1,0);
    survfit(Surv(t, 1 - e) ~ 1)$surv: 1 0.857143 0.514286 0.514286 0 ("together");
    prodlim(Hist(t, e) ~ 1, reverse = TRUE)$surv: 1 0.833333 0.416667 0.416667 0
    ("events_first")."""
    t = np.array([1, 2, 2, 3, 3, 3, 4, 5.0])
    e = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    tog = censoring_curve(t, e, ties="together")
    first = censoring_curve(t, e, ties="events_first")
    assert_allclose(tog.surv, [1, 0.8571428571428571, 0.51428571428571423,
                               0.51428571428571423, 0], rtol=1e-15)
    assert_allclose(first.surv, [1, 0.83333333333333337, 0.41666666666666669,
                                 0.41666666666666669, 0], rtol=1e-15)
    # left limits at each subject's own time, G(T_i-)
    assert_allclose(first.subject_minus(), [1, 1, 1, 0.8333333333333334, 0.8333333333333334,
                                            0.8333333333333334, 0.41666666666666669,
                                            0.41666666666666669], rtol=1e-15)
    assert_allclose(tog.at([0.5, 2, 2.5], left=False), [1, 0.8571428571428571,
                                                        0.8571428571428571])
    assert_allclose(tog.at([2, 3], left=True), [1, 0.8571428571428571])
    with pytest.raises(ValueError, match="unknown censoring-curve convention"):
        censoring_curve(t, e, ties="later")


def test_weights_by_row_equal_one_row_at_a_time():
    g = np.random.default_rng(2)
    t = np.round(g.exponential(5, 60), 1)
    e = g.random(60) < 0.6
    W = g.integers(0, 3, (4, 60)).astype(float)
    tab = event_table(t, e, weights=W)
    for b in range(4):
        one = event_table(t, e, weights=W[b])
        assert_allclose(tab.n_risk[b], one.n_risk)
        assert_allclose(tab.n_event[b], one.n_event)


def test_quantile_follows_quantile_survfit():
    """R: quantile(survfit(Surv(c(2, 4, 5, 6), c(1, 1, 0, 1)) ~ 1), 0.5) is 5 (the midpoint
    of the flat segment at exactly 0.5 after the duplicate survival values are dropped)."""
    c = kaplan_meier_curve(np.array([2, 4, 5, 6.0]), np.array([1, 1, 0, 1]))
    assert quantile(c.time, c.surv, 0.5) == 5.0
    assert np.isnan(quantile(c.time[:2], np.array([0.9, 0.8]), 0.5))


# --------------------------------------------------------------------------- Newton–Raphson
def test_cholesky2_rank_is_relative_to_the_scale_and_batched_equals_single():
    a = np.array([[4.0, 2.0, 2.0], [2.0, 5.0, 3.0], [2.0, 3.0, 6.0]])
    sing = a.copy()
    sing[2] = sing[0] + sing[1]
    sing[:, 2] = sing[:, 0] + sing[:, 1]
    chol, rank = cholesky2(sing)
    assert rank == 2
    assert_allclose(chinv2(chol)[2], 0.0)
    chol_a, rank_a = cholesky2(a)
    assert rank_a == 3
    assert_allclose(chinv2(chol_a), np.linalg.inv(a), rtol=1e-12)
    assert_allclose(chsolve2(chol_a, np.ones(3)), np.linalg.solve(a, np.ones(3)), rtol=1e-12)
    stack, ranks = cholesky2(np.stack([a, sing]))
    assert ranks.tolist() == [3, 2]
    assert_allclose(stack[0], chol_a)


def test_scale_factor_is_coxfit6s():
    """coxfit6: sum(w) / sum(w |x - mean|); a constant column gets 1."""
    x = np.array([1.0, 2.0, 4.0, 9.0])
    xc = x - x.mean()
    assert scale_factor(xc) == pytest.approx(4 / np.abs(xc).sum())
    w = np.array([1.0, 2.0, 1.0, 0.0])
    xw = x - (w @ x) / w.sum()
    assert scale_factor(xw, w) == pytest.approx(w.sum() / (w @ np.abs(xw)))
    assert scale_factor(np.zeros(3)) == 1.0
    assert scale_factor(np.stack([xc, 2 * xc])).tolist() == pytest.approx(
        [4 / np.abs(xc).sum(), 2 / np.abs(xc).sum()])
