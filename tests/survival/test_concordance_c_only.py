"""The C-only path of the concordance engine (``std_error=False``, issue 15) gives the same C
and pair counts as the full path, for every option, with the standard error left out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ctcstats.survival._core.concordance import concordance, concordance_estimate


def _data(seed: int, n: int = 300):
    g = np.random.default_rng(seed)
    score = np.round(g.normal(size=n), 1)  # ties in the score
    time = np.round(g.exponential(10, n))  # ties in time, events and censorings at one time
    event = g.random(n) < 0.5
    start = np.where(g.random(n) < 0.3, np.floor(time * g.random(n)), 0.0)
    start = np.minimum(start, time - 0.5)
    return score, time, event, start, g


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("option", ["none", "weights", "strata", "start", "time_weight"])
def test_c_only_equals_full(seed: int, option: str) -> None:
    score, time, event, start, g = _data(seed)
    kw: dict[str, np.ndarray] = {}
    if option == "weights":
        kw["weights"] = g.integers(0, 4, score.size).astype(float)  # bootstrap-like counts
    elif option == "strata":
        kw["strata"] = g.integers(0, 3, score.size)
    elif option == "start":
        kw["start"] = start
    elif option == "time_weight":
        kw["time_weight"] = g.uniform(0.5, 2.0, score.size)
    c, se, counts = concordance(score, time, event, **kw)
    c0, se0, counts0 = concordance(score, time, event, std_error=False, **kw)
    assert c0 == pytest.approx(c, abs=1e-14)
    np.testing.assert_allclose(counts0, counts, rtol=0, atol=1e-9)
    assert math.isnan(se0) and se > 0


def test_unit_weights_equal_no_weights() -> None:
    # unit weights take the sort-only branch of the pair counting; weights 1.0 + 0 do not
    score, time, event, _, _ = _data(4)
    ones = np.ones(score.size)
    a = concordance(score, time, event)
    b = concordance(score, time, event, weights=ones)
    c = concordance(np.r_[score, 0.0], np.r_[time, 1.0], np.r_[event, True],
                    weights=np.r_[ones, 0.0])  # a zero-weight extra row changes nothing
    assert a[0] == b[0] == pytest.approx(c[0], abs=1e-14)
    assert a[1] == pytest.approx(c[1], rel=1e-12)


def test_concordance_estimate_is_the_c_only_path() -> None:
    score, time, event, _, g = _data(5)
    w = g.integers(0, 3, score.size).astype(float)
    assert concordance_estimate(score, time, event, weights=w) == pytest.approx(
        concordance(score, time, event, weights=w)[0], abs=1e-14)
    # a hand count on a small case: 3 comparable pairs, 2 concordant, 1 tied in the score
    c = concordance_estimate(np.array([3.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0]),
                             np.array([True, True, False]))
    assert c == pytest.approx((2 + 0.5) / 3)


@pytest.mark.parametrize("radix_min_n", [0, None])
def test_radix_row_orders_sort_and_give_the_same_c(radix_min_n, monkeypatch):
    """The bootstrap C sorts each replicate's scores by a compiled radix sort (rows of
    ``_RADIX_MIN_N`` values or more; 0: every row here) or numpy's argsort (shorter rows;
    None: the default, numpy at these 2,000 values): a valid ascending order (ties and ±0 in
    row order), numpy's argsort when a value is not finite, and bitwise the C counts of
    numpy's order (the dense ranks ignore the order of ties)."""
    from ctcstats.survival._core import _concordance_jit
    from ctcstats.survival._core._concordance_jit import c_counts_replicates, row_orders

    if radix_min_n is not None:
        monkeypatch.setattr(_concordance_jit, "_RADIX_MIN_N", radix_min_n)

    g = np.random.default_rng(40)
    S = np.round(g.normal(size=(6, 2000)), 2) * g.choice([1e-300, 1.0, 1e300], size=(6, 1))
    S[0, :50] = -0.0
    S[0, 50:100] = 0.0
    o = row_orders(S)
    assert np.array_equal(np.take_along_axis(S, o, axis=1), np.sort(S, axis=1))
    if radix_min_n is None:  # numpy's order itself
        assert np.array_equal(o, np.argsort(S, axis=1))
    a0 = c_counts_replicates(S, 2 * np.arange(2000), np.ones(2000, bool), orders=o)
    b0 = c_counts_replicates(S, 2 * np.arange(2000), np.ones(2000, bool),
                             orders=np.argsort(S, axis=1, kind="stable"))
    assert np.array_equal(a0[1], b0[1])
    assert all(np.array_equal(np.sort(r), np.arange(S.shape[1])) for r in o)
    T = S.copy()
    T[2, 7] = np.nan
    assert np.array_equal(row_orders(T), np.argsort(T, axis=1))
    t = np.round(g.exponential(10, 2000), 1)
    e = g.random(2000) < 0.6
    pt = 2 * np.searchsorted(np.unique(t), t) + (~e)
    W = g.integers(0, 3, (6, 2000)).astype(float)
    a = c_counts_replicates(S, pt, e, W)
    b = c_counts_replicates(S, pt, e, W, orders=np.argsort(S, axis=1))
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
