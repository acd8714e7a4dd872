"""The chunked simulator (many cohorts at once) equals the single-cohort simulator exactly.

``simulate_power`` simulates its replicates in chunks (ctcstats/designs/simulate_chunk.py,
power_chunk.py); each cohort must be bit for bit the cohort ``simulate_columns`` /
``simulate_cohort`` gives for the same generator, and each replicate's analysis arrays those
of the one-replicate path, so that no power result changes. Exact equality (not a tolerance)
is the claim: the chunk draws each cohort's random numbers from its own generator in the same
order and applies the same floating-point operations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from ctcstats.designs import get_design, list_designs
from ctcstats.designs import power as pw
from ctcstats.designs.power import _one_replicate, _seed_root, power_analysis, simulate_power
from ctcstats.designs.power_chunk import chunk_replicates, chunk_supported
from ctcstats.designs.simulate import simulate_columns, solve_nb_mean
from ctcstats.designs.simulate_chunk import (
    _brent_vectorised,
    simulate_chunk_columns,
    solve_nb_means,
    supports_chunk,
)

CHUNK_KEYS = [k for k in list_designs()["key"] if supports_chunk(get_design(k))]


def test_chunk_covers_the_designs_without_serial_draws():
    assert {"braun2005", "janni2016", "rack2014", "neoadjuvant_ipd"} <= set(CHUNK_KEYS)
    assert not supports_chunk(get_design("hayes2006"))


@pytest.mark.parametrize("key", CHUNK_KEYS)
def test_chunk_cohorts_equal_simulate_columns(key):
    """Every column of every cohort, in blocks of 3 cohorts (so block boundaries are
    crossed), equals simulate_columns for the cohort's generator — values and dtypes."""
    d = get_design(key)
    seeds = _seed_root(11).spawn(7)
    chunk = simulate_chunk_columns(d, 500, seeds, block=3)
    for seed, cols in zip(seeds, chunk, strict=True):
        ref, _ = simulate_columns(d, 500, np.random.default_rng(seed))
        pd.testing.assert_frame_equal(pd.DataFrame(cols), pd.DataFrame(ref), check_exact=True)


def test_chunk_equals_simulate_cohort_at_the_published_size():
    """braun2005 at n = 4,703 (9 studies, a break at 60 months): the public frame."""
    from ctcstats.designs import simulate_cohort

    seeds = _seed_root(2).spawn(3)
    for seed, cols in zip(seeds, simulate_chunk_columns(get_design("braun2005"), 4703, seeds),
                          strict=True):
        ref = simulate_cohort("braun2005", rng=np.random.default_rng(seed))
        pd.testing.assert_frame_equal(pd.DataFrame(cols), ref, check_exact=True)


def test_solve_nb_means_equals_the_scalar_solver_bit_for_bit():
    g = np.random.default_rng(0)
    for thr, shape in [(1, 0.5), (5, 0.3), (2, 1.7), (10, 0.9)]:
        q = g.uniform(1e-4, 0.999, 400)
        got = solve_nb_means(q, thr, shape)
        ref = np.array([solve_nb_mean(float(v), thr, shape) for v in q])
        np.testing.assert_array_equal(got, ref)


def test_vectorised_brent_takes_brentq_steps():
    """On equations of another shape (cubics with roots across the bracket, one root at an
    end point, flat and steep ones) the roots are brentq's, bit for bit."""
    g = np.random.default_rng(1)
    roots = np.concatenate([g.uniform(-3, 3, 200), [-4.0, 0.0, 1e-9]])
    scale = np.concatenate([g.uniform(0.01, 50, 200), [1.0, 1.0, 1.0]])

    def f(x, idx):
        return scale[idx] * (x - roots[idx]) ** 3 + (x - roots[idx])

    got = _brent_vectorised(f, -4.0, 5.0, xtol=1e-13, rtol=1e-13, size=roots.size)
    ref = [optimize.brentq(lambda x, i=i: f(np.array([x]), np.array([i]))[0], -4.0, 5.0,
                           xtol=1e-13, rtol=1e-13) for i in range(roots.size)]
    np.testing.assert_array_equal(got, ref)
    with pytest.raises(ValueError, match="different signs"):
        _brent_vectorised(f, 4.0, 5.0, xtol=1e-13, rtol=1e-13, size=roots.size)


def _analyses():
    out = []
    for key in CHUNK_KEYS:
        d = get_design(key)
        for r in d.results:
            if r.simulated and r.endpoint is not None and r.kind in (
                    "hr_univariable", "hr_multivariable", "median", "survival_at"):
                a = power_analysis(d, r.id)
                if chunk_supported(d, a):
                    out.append((key, r.id))
    return out


ANALYSES = _analyses()


def test_the_published_analyses_of_the_benchmark_designs_use_the_chunk():
    ids = {(k, i) for k, i in ANALYSES}
    assert ("braun2005", "os_hr_0_5") in ids and ("janni2016", "dfs_hr") in ids
    assert ("rack2014", "dfs_hr") in ids and ("neoadjuvant_ipd", "os_hr_1") in ids
    assert not chunk_supported(get_design("hayes2006"), power_analysis("hayes2006"))


@pytest.mark.parametrize(("key", "result_id"), ANALYSES)
def test_chunk_replicates_equal_one_replicate(key, result_id):
    """Windows (braun2005 60–120 months), strata by study, category indicators
    (neoadjuvant_ipd, rack2014 ≥ 5 cells), adjusted analyses: identical arrays."""
    d = get_design(key)
    a = power_analysis(d, result_id)
    n = min(int(d.n.value), 700)
    seeds = _seed_root(4).spawn(5)
    for seed, got in zip(seeds, chunk_replicates(d, a, n, seeds), strict=True):
        ref = _one_replicate(d, a, n, seed)
        for x, y in zip(ref[:4], got[:4], strict=True):
            if x is None:
                assert y is None
            else:
                assert np.asarray(x).dtype == np.asarray(y).dtype
                np.testing.assert_array_equal(x, y)
        np.testing.assert_equal(ref[4], got[4])


def test_strata_on_a_covariate_and_category_indicators():
    """A stratum column other than study; one indicator per non-reference category."""
    d = get_design("rack2014")
    a = pw.PowerAnalysis(test="cox", endpoint="dfs", grouping="category", group=">=5",
                         reference="0", covariates=("tumor_size_cm",), strata="grade")
    assert chunk_supported(d, a)
    seeds = _seed_root(6).spawn(4)
    for seed, got in zip(seeds, chunk_replicates(d, a, 900, seeds), strict=True):
        ref = _one_replicate(d, a, 900, seed)
        assert got[2].shape[1] == 1 + (len(d.marker.categories) - 2) + 1 and got[3] is not None
        for x, y in zip(ref[:4], got[:4], strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("key", ["braun2005", "janni2016"])
def test_simulate_power_replicates_unchanged_by_the_chunk(monkeypatch, key):
    """The replicates table with and without the chunked path (forced off) is identical
    (braun2005: a window drops rows; janni2016: every row analysed)."""
    kw = dict(n=900, n_sim=12, rng=5, chunk_size=5)
    fast = simulate_power(key, **kw).replicates
    import ctcstats.designs.power_chunk as pc

    monkeypatch.setattr(pc, "chunk_supported", lambda design, a: False)
    slow = simulate_power(key, **kw).replicates
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_fit_inputs_are_block_arrays_when_every_row_is_analysed():
    """janni2016 (every row analysed, strata by study): (R, n) arrays equal to the
    one-replicate path's arrays; braun2005's late window drops rows: per-replicate lists."""
    from ctcstats.designs.power_chunk import chunk_fit_inputs

    d = get_design("janni2016")
    a = power_analysis(d)
    seeds = _seed_root(9).spawn(11)  # more cohorts than one simulator block at n = 4,000
    t, e, X, s, prev = chunk_fit_inputs(d, a, 4000, seeds)
    assert t.shape == (11, 4000) and X.shape[:2] == (11, 4000) and s.shape == (11, 4000)
    for r in (0, 10):
        ref = _one_replicate(d, a, 4000, seeds[r])
        for x, y in zip(ref[:4], (t[r], e[r], X[r], s[r]), strict=True):
            assert np.asarray(x).dtype == y.dtype
            np.testing.assert_array_equal(x, y)
        assert ref[4] == prev[r]
    late = power_analysis("braun2005", "os_hr_5_10")
    got = chunk_fit_inputs(get_design("braun2005"), late, 900, seeds[:3])
    assert isinstance(got[0], list) and len(got[0]) == 3
