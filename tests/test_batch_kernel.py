"""The compiled Cox kernel (ctcstats/survival/_core/cox_kernel.py) against the numpy reference path
of the batch engine (``engine="numpy"``), replicate by replicate.

Both compute R's coxph.fit iterations with the same rules; they add the same terms in another
order (the kernel scans each replicate once, stratum by stratum; the reference takes
differences of cumulative sums over all replicates), so the estimates agree to rounding:
1e-10 relative here (measured ~1e-13), counts and flags exactly. Each replicate also equals
its single fit (``fit_cox_arrays``) to 1e-8, as tests/test_batch_cox.py and
tests/test_batch_layout.py check for the default (kernel) engine.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ctcstats.batch import batch_cox_arrays, batch_cox_loglik
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.survival._core.cox import fit_cox_arrays

RTOL = 1e-10
FLOAT = ("coef", "std_error", "loglik", "loglik_null", "score_test", "n_events")
EXACT = ("n_iter", "converged", "monotone", "n_merged", "singular", "maybe_infinite")


def _both(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (batch_cox_arrays(*args, engine="kernel", **kw),
                batch_cox_arrays(*args, engine="numpy", **kw))


def _same(k, r):
    """Estimates equal where the reference converged to a finite maximum; counts and flags
    everywhere. (A monotone likelihood that runs out of iterations walks towards infinity
    with an information that vanishes; where it stops after 20 steps is rounding noise —
    the kernel, the reference and fit_cox_arrays then give different large coefficients, and
    all three flag the replicate as not converged and monotone.)"""
    ok = r.converged & ~r.monotone
    for name in FLOAT:
        assert_allclose(getattr(k, name)[ok], getattr(r, name)[ok], rtol=RTOL, atol=1e-12,
                        equal_nan=True, err_msg=name)
    assert_allclose(k.var[ok], r.var[ok], rtol=1e-9, atol=1e-12, equal_nan=True,
                    err_msg="var")
    for name in EXACT:
        np.testing.assert_array_equal(getattr(k, name)[ok], getattr(r, name)[ok],
                                      err_msg=name)
    for name in ("converged", "monotone", "n_events", "n_merged"):
        np.testing.assert_array_equal(getattr(k, name), getattr(r, name), err_msg=name)


def _cohorts(g, R, n, p, *, decimals=1, n_strata=1):
    """Continuous, binary and three-level covariates; many tied times."""
    x = np.empty((R, n, p))
    for j in range(p):
        x[:, :, j] = (g.normal(size=(R, n)) if j % 3 == 0 else
                      (g.random((R, n)) < 0.3) if j % 3 == 1 else g.integers(0, 3, (R, n)))
    lp = 0.4 * x.sum(axis=2)
    t = np.round(g.exponential(10 / np.exp(lp)), decimals) + 0.1
    c = np.round(g.uniform(2, 25, (R, n)), decimals)
    return np.minimum(t, c), t <= c, x, g.integers(0, n_strata, (R, n))


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("p", [1, 5])
def test_kernel_equals_reference_any_covariates(rng, ties, p):
    t, e, x, s = _cohorts(rng, 12, 150, p, n_strata=3)
    _same(*_both(t, e, x, ties=ties))
    _same(*_both(t, e, x, strata=s, ties=ties))


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_kernel_equals_reference_with_weights(rng, ties):
    t, e, x, s = _cohorts(rng, 1, 120, 3, n_strata=2)
    t, e, x, s = t[0], e[0], x[0], s[0]
    counts = rng.multinomial(120, np.full(120, 1 / 120), size=8).astype(float)
    _same(*_both(t, e, x, strata=s, weights=counts, ties=ties))  # bootstrap counts
    w = rng.uniform(0.2, 3.0, (8, 120))
    _same(*_both(t, e, x, strata=s, weights=w, ties=ties, frequency=False))  # R's weights


def test_kernel_equals_reference_on_ragged_and_degenerate_replicates(rng):
    """Replicates without events, one row, all censored, tied last times, different sizes."""
    reps = []
    for n, events in ((40, True), (25, False), (1, True), (1, False), (90, True), (6, True)):
        t = np.round(rng.exponential(10, n), 1) + 0.1
        e = (rng.random(n) < 0.7) if events else np.zeros(n, bool)
        if n == 1:
            e[:] = events
        if n == 90:
            t[-3:], e[-3:] = t.max() + 1.0, True
        x = np.column_stack([rng.random(n) < 0.4, rng.normal(size=n)]).astype(float)
        reps.append((t, e, x, rng.integers(0, 3, n)))
    args = ([r[0] for r in reps], [r[1] for r in reps], [r[2] for r in reps])
    for ties in ("efron", "breslow"):
        _same(*_both(*args, ties=ties))
        _same(*_both(*args, strata=[r[3] for r in reps], ties=ties))


def test_kernel_flags_monotone_singular_and_nonconverged_as_reference(rng):
    n = 80
    x = np.column_stack([rng.random(n) < 0.5, rng.normal(size=n), np.zeros(n)])
    t = np.round(rng.exponential(5, n), 1) + 0.1
    e = rng.random(n) < 0.6
    X = np.stack([x, x, x, x])
    X[1, :, 0] = 0.0
    X[1, e, 0] = 1.0  # events only in one level: monotone likelihood
    X[2, :, 2] = X[2, :, 1] * 2.0  # collinear: singular
    X[3, :, 2] = rng.normal(size=n)
    k, r = _both(np.stack([t] * 4), np.stack([e] * 4), X)
    _same(k, r)
    assert k.monotone[1] and k.singular[0, 2] and k.singular[2, 2]
    k, r = _both(np.stack([t] * 4), np.stack([e] * 4), X, max_iter=2)
    _same(k, r)
    assert not k.converged[3]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_kernel_counting_process_equals_reference_and_single_fit(rng, ties):
    n = 150
    start = np.round(rng.uniform(0, 5, n), 1)
    stop = np.round(start + rng.exponential(6, n) + 0.1, 1)
    e = rng.random(n) < 0.6
    x = np.column_stack([rng.random(n) < 0.4, rng.normal(size=n)]).astype(float)
    s = rng.integers(0, 2, n)
    counts = rng.multinomial(n, np.full(n, 1 / n), size=5).astype(float)
    k, r = _both(stop, e, x, start=start, strata=s, weights=counts, ties=ties)
    _same(k, r)
    for i in range(5):
        idx = np.repeat(np.arange(n), counts[i].astype(int))
        f = fit_cox_arrays(x[idx], stop[idx], e[idx], start=start[idx], strata=s[idx],
                           ties=ties)
        assert_allclose(k.coef[i], f.coef, rtol=1e-8)
        assert_allclose(k.loglik[i], f.loglik, rtol=1e-8)


def test_kernel_timefix_merges_as_reference(rng):
    t, e, x, _ = _cohorts(rng, 4, 60, 2)
    t[:, 5] = t[:, 6] * (1 + 1e-12)  # a near-tie in every replicate
    k, r = _both(t, e, x)
    _same(k, r)
    assert np.all(k.n_merged >= 1)
    _same(*_both(t, e, x, timefix=False))


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_kernel_loglik_equals_reference(rng, ties):
    t, e, x, s = _cohorts(rng, 6, 100, 3, n_strata=2)
    beta = rng.normal(scale=0.3, size=(6, 3))
    a = batch_cox_loglik(t, e, x, beta, strata=s, ties=ties)
    b = batch_cox_loglik(t, e, x, beta, strata=s, ties=ties, engine="numpy")
    assert_allclose(a, b, rtol=RTOL)


def test_kernel_rejects_what_the_reference_rejects(rng):
    t, e, x, _ = _cohorts(rng, 2, 30, 1)
    w = np.full((2, 30), 0.5)
    for engine in ("kernel", "numpy"):
        with pytest.raises(DataValidationError, match="whole numbers"):
            batch_cox_arrays(t, e, x, weights=w, engine=engine)
        with pytest.raises(DataValidationError, match="strata"):
            batch_cox_arrays(t, e, x, strata=np.full((2, 30), -1), engine=engine)
    with pytest.raises(ParameterError, match="engine"):
        batch_cox_arrays(t, e, x, engine="fortran")


def _ragged(rng):
    """Four ragged replicates: times, events, covariates (n_r, 2), strata, frequency
    weights and entry times."""
    ts, es, xs, ss, ws, sts = [], [], [], [], [], []
    for n in (30, 55, 12, 41):
        st = np.round(rng.uniform(0, 4, n), 1)
        ts.append(np.round(st + rng.exponential(6, n) + 0.1, 1))
        sts.append(st)
        es.append(rng.random(n) < 0.6)
        xs.append(np.column_stack([rng.random(n) < 0.4, rng.normal(size=n)]))
        ss.append(rng.integers(0, 2, n))
        ws.append(rng.integers(0, 3, n).astype(float))
    return ts, es, xs, ss, ws, sts


def test_ragged_replicates_with_weights_strata_and_start_equal_reference(rng):
    """Ragged replicates are concatenated for the kernel (padded for the reference)."""
    ts, es, xs, ss, ws, sts = _ragged(rng)
    for ties in ("efron", "breslow"):
        _same(*_both(ts, es, xs, strata=ss, weights=ws, ties=ties))
        _same(*_both(ts, es, xs, strata=ss, start=sts, ties=ties))
        k, r = _both(ts, es, xs, start=sts, weights=ws, ties=ties)
        _same(k, r)
        assert k.n_obs == r.n_obs == sum(int(np.count_nonzero(w)) for w in ws)


def test_ragged_loglik_equals_reference(rng):
    """batch_cox_loglik takes ragged replicates as batch_cox_arrays does (the kernel path
    concatenates them; it used to fail on the list with an AttributeError)."""
    ts, es, xs, ss, ws, sts = _ragged(rng)
    beta = rng.normal(scale=0.3, size=(4, 2))
    for ties in ("efron", "breslow"):
        for kw in ({}, {"strata": ss, "weights": ws}, {"start": sts, "weights": ws}):
            a = batch_cox_loglik(ts, es, xs, beta, ties=ties, **kw)
            b = batch_cox_loglik(ts, es, xs, beta, ties=ties, engine="numpy", **kw)
            assert a.shape == (4,) and np.all(np.isfinite(a))
            assert_allclose(a, b, rtol=RTOL)
            one = [batch_cox_loglik(ts[r], es[r], xs[r], beta[r], ties=ties,
                                    **{k: v[r] for k, v in kw.items()})[0] for r in range(4)]
            assert_allclose(a, one, rtol=RTOL)


def test_ragged_bad_inputs_raise(rng):
    t = [np.array([1.0, 2.0, 3.0]), np.array([1.0, np.nan])]
    e = [np.ones(3, bool), np.ones(2, bool)]
    x = [np.zeros((3, 1)), np.zeros((2, 1))]
    with pytest.raises(DataValidationError, match="finite"):
        batch_cox_arrays(t, e, x)
    t[1] = np.array([1.0, 2.0])
    with pytest.raises(DataValidationError, match="rows"):
        batch_cox_arrays(t, [np.ones(3, bool), np.ones(3, bool)], x)
    with pytest.raises(DataValidationError, match="shape"):
        batch_cox_arrays(t, e, [np.zeros((3, 1)), np.zeros((3, 1))])
    with pytest.raises(DataValidationError, match="start"):
        batch_cox_arrays(t, e, x, start=[np.array([0.0, 0.0, 5.0]), np.zeros(2)])


def _drawn_rows_alone(t, e, x, s, counts, **kw):
    """Each resample's fit on its drawn rows only (case counts > 0), one replicate a call."""
    fits = []
    for w in counts:
        keep = w > 0
        fits.append(batch_cox_arrays(t[keep], e[keep], x[keep], strata=s[keep],
                                     weights=w[keep][None], **kw))
    return fits


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("frequency", [True, False])
def test_kernel_skips_zero_weight_rows_bitwise(rng, ties, frequency):
    """The kernel leaves out rows of weight 0 (patients not drawn into a bootstrap resample,
    ~37% of the rows): every sum of the fit skipped them already, so the fit of the whole
    data with case counts is *bitwise* the fit of the drawn rows alone. Distinct times here,
    so that both calls order the rows the same way (numpy's argsort does not order tied rows
    stably; with ties see the next test)."""
    n = 250
    x = np.column_stack([rng.normal(size=n), rng.random(n) < 0.4, rng.integers(0, 3, n)])
    tt = rng.exponential(10 / np.exp(0.3 * x.sum(axis=1)))
    c = rng.uniform(2, 25, n)
    t, e, s = np.minimum(tt, c), tt <= c, rng.integers(0, 2, n)
    counts = rng.multinomial(n, np.full(n, 1 / n), size=5).astype(float)
    assert np.mean(counts == 0) > 0.3
    for strata in (None, s):
        st = np.zeros(n, np.int64) if strata is None else strata
        kw = dict(ties=ties, frequency=frequency)
        whole = batch_cox_arrays(t, e, x, strata=strata, weights=counts, **kw)
        alone = _drawn_rows_alone(t, e, x, st, counts, **kw)
        for r, a in enumerate(alone):
            for name in ("coef", "var", "loglik", "loglik_null", "score_test", "n_events",
                         *EXACT):
                np.testing.assert_array_equal(getattr(whole, name)[r], getattr(a, name)[0],
                                              err_msg=name)
        ll = batch_cox_loglik(t, e, x, whole.coef, strata=strata, weights=counts, **kw)
        for r, w in enumerate(counts):
            keep = w > 0
            np.testing.assert_array_equal(ll[r], batch_cox_loglik(
                t[keep], e[keep], x[keep], whole.coef[r:r + 1], strata=st[keep],
                weights=w[keep][None], **kw)[0])


def test_kernel_zero_weight_rows_with_ties_and_start(rng):
    """With tied times the drawn rows alone may be sorted differently within a tie (numpy's
    argsort), which reorders a few additions: equal to 1e-13 (measured ≤ 1e-15). (start,
    stop] rows keep their zero-weight rows in the scan; the same equality holds."""
    t, e, x, s = _cohorts(rng, 1, 200, 3, n_strata=2)
    t, e, x, s = t[0], e[0], x[0], s[0]
    counts = rng.multinomial(200, np.full(200, 1 / 200), size=4).astype(float)
    whole = batch_cox_arrays(t, e, x, strata=s, weights=counts, ties="efron")
    for r, a in enumerate(_drawn_rows_alone(t, e, x, s, counts, ties="efron")):
        assert_allclose(whole.coef[r], a.coef[0], rtol=1e-13, atol=1e-15)
        assert_allclose(whole.loglik[r], a.loglik[0], rtol=1e-13)
    start = np.round(t * rng.uniform(0, 0.5, t.size), 1)
    ok = start < t
    t, e, x, s, start, counts = t[ok], e[ok], x[ok], s[ok], start[ok], counts[:, ok]
    whole = batch_cox_arrays(t, e, x, strata=s, weights=counts, start=start, ties="efron")
    for r, w in enumerate(counts):
        keep = w > 0
        a = batch_cox_arrays(t[keep], e[keep], x[keep], strata=s[keep], weights=w[keep][None],
                             start=start[keep], ties="efron")
        assert_allclose(whole.coef[r], a.coef[0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_shared_times_put_in_time_order_once_change_nothing(rng, ties):
    """With one time column for every replicate the kernel's inputs are put in time order
    once (each replicate then reads its rows sequentially): bitwise the fits of the same
    replicates given separately (ragged, each replicate's rows gathered through its own
    order), tied times, strata, shared and per-replicate covariates included."""
    t, e, x, s = _cohorts(rng, 1, 300, 3, n_strata=2)
    t, e, x, s = t[0], e[0], x[0], s[0]
    R = 5
    counts = rng.multinomial(300, np.full(300, 1 / 300), size=R).astype(float)
    kw = dict(ties=ties)
    shared = batch_cox_arrays(t, e, x, strata=s, weights=counts, **kw)
    apart = batch_cox_arrays([t] * R, [e] * R, [x] * R, strata=[s] * R, weights=list(counts),
                             **kw)
    xr = x[None] + rng.normal(scale=0.1, size=(R, 300, 3))  # covariates per replicate
    shared_x = batch_cox_arrays(t, e, xr, **kw)
    apart_x = batch_cox_arrays([t] * R, [e] * R, list(xr), **kw)
    for a, b in ((shared, apart), (shared_x, apart_x)):
        for name in ("coef", "var", "loglik", "loglik_null", "score_test", *EXACT):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 100, 1_001])
def test_kernel_stable_sorts_equal_numpy(rng, n):
    """The kernel's written-out stable sorts (numba's ``np.argsort(kind=...)`` is not used:
    compile time) give numpy's stable order: ties in row order, float (entry times) and
    integer keys (strata codes; codes far above n take the merge sort, not the counting
    sort)."""
    from ctcstats.survival._core.cox_kernel import _stable_argsort, _stable_order

    small = rng.integers(0, 5, n)
    large = rng.integers(0, 10**12, n) // 1000 * 1000  # some ties
    real = np.round(rng.normal(size=n), 1)
    for keys in (small, large, real):
        np.testing.assert_array_equal(_stable_argsort(keys), np.argsort(keys, kind="stable"))
    for codes in (small, large):
        np.testing.assert_array_equal(_stable_order(codes), np.argsort(codes, kind="stable"))
