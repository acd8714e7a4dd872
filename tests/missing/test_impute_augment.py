"""Perfect prediction in the binary and categorical imputation models (a level never seen
with some predictor value): detected, and the model refitted on mice's augmented data (White,
Daniel & Royston 2010) instead of drawing parameters from estimates that drift to infinity.

* against R (tests/reference/missing_augment/missing_augment.R, mice 3.15.0, nnet 7.3-18):
  the pseudo-observations equal ``mice:::augment``'s exactly; the weighted multinomial fit equals
  ``nnet::multinom(weights=)`` and the weighted logistic fit ``glm(weights=)``;
* end to end: a category never 0 in group 1 is imputed as 0 in group 1 rarely (its augmented
  probability), where the unaugmented draws put many such patients on the unseen level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

import ctcstats as cs
import ctcstats.missing._conditional as cond
from ctcstats.missing._conditional import augment, fit_mlogit, perfect_prediction, with_intercept
from tests.reference._load import load_input, load_output

TOPIC = "missing_augment"


@pytest.fixture(scope="module")
def ref():
    return load_input(TOPIC, "separated"), load_output(TOPIC, "augment")


def test_pseudo_observations_equal_mice_augment(ref):
    d, r = ref
    X = d[["x", "g"]].to_numpy(float)
    n = len(d)
    for col, k, key in (("z", 3, "z"), ("b", 2, "b")):
        ya, Xa, wa = augment(d[col].to_numpy(float), X, k)
        assert_allclose(Xa[n:], np.array(r[f"aug_{key}_x"]), rtol=1e-13)
        assert_allclose(ya[n:], r[f"aug_{key}_y"], rtol=0)
        assert_allclose(wa[n:], r[f"aug_{key}_w"], rtol=1e-15)
        assert_allclose(wa.sum() - n, X.shape[1] + 1, rtol=1e-14)  # p + 1 observations
        assert (wa[:n] == 1).all() and (Xa[:n] == X).all()


def test_weighted_multinomial_fit_equals_nnet_multinom(ref):
    d, r = ref
    ya, Xa, wa = augment(d["z"].to_numpy(float), d[["x", "g"]].to_numpy(float), 3)
    theta, cov = fit_mlogit(ya, with_intercept(Xa), 3, weights=wa, max_iter=100)
    coef = np.array(r["multinom_coef"])  # (levels 1, 2) × (intercept, x, g)
    assert_allclose(theta, coef.ravel(), rtol=1e-6, atol=1e-8)
    # nnet's Hessian is by finite differences of its gradient: 1e-4 relative
    assert_allclose(cov, np.array(r["multinom_vcov"]), rtol=1e-4, atol=1e-9)


def test_weighted_logistic_fit_equals_glm(ref):
    d, r = ref
    ya, Xa, wa = augment(d["b"].to_numpy(float), d[["x", "g"]].to_numpy(float), 2)
    res = sm.GLM(ya, with_intercept(Xa), family=sm.families.Binomial(), freq_weights=wa).fit(
        tol=1e-14)
    assert_allclose(res.params, r["glm_coef"], rtol=1e-8)
    assert_allclose(res.cov_params(), np.array(r["glm_vcov"]), rtol=1e-7)


def test_separation_detected_only_where_it_is(ref):
    d, _ = ref
    Z = with_intercept(d[["x", "g"]].to_numpy(float))
    sep = sm.GLM(d["b"].to_numpy(float), Z, family=sm.families.Binomial()).fit()
    p = np.asarray(sep.fittedvalues)
    assert perfect_prediction(np.column_stack([p, 1 - p]), bool(sep.converged))
    assert sep.bse[2] > 100  # the separated coefficient's SE: the draws would be arbitrary
    ok = sm.GLM(d["b"].to_numpy(float), Z[:, :2], family=sm.families.Binomial()).fit()
    q = np.asarray(ok.fittedvalues)
    assert not perfect_prediction(np.column_stack([q, 1 - q]), bool(ok.converged))
    assert perfect_prediction(np.full((3, 2), 0.5), False)  # no convergence


def _cohort(seed=7, n=400):
    rng = np.random.default_rng(seed)
    g = (rng.random(n) < 0.3).astype(int)
    x = rng.normal(0.0, 1.0, n)
    p = np.column_stack([np.ones(n), np.full(n, 1.5), np.full(n, 1.0)])
    p[g == 1, 0] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    z = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    t = rng.exponential(1.0 / np.exp(0.3 * x + 0.4 * g + 0.3 * (z == 2)))
    c = rng.exponential(2.0, n)
    df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x": x,
                       "g": g, "z": pd.Categorical(z)})
    miss = rng.random(n) < 0.3
    df.loc[miss, "z"] = np.nan
    return df, miss


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_unseen_level_is_rarely_imputed(method, monkeypatch):
    df, miss = _cohort()
    rows = miss & (df["g"] == 1).to_numpy()
    roles = dict(time_col="time", event_col="event", covariates=["x", "g", "z"],
                 n_imputations=10, n_iter=5, method=method, rng=3)

    def share_zero(res):
        return np.mean([(ds.loc[rows, "z"].astype(int) == 0).mean() for ds in res.datasets])

    with pytest.warns(cs.CTCStatsWarning, match="perfect prediction"):
        res = cs.impute(df, **roles)
    assert any("augmented data" in w for w in res.warnings)
    augmented = share_zero(res)
    assert augmented < 0.03, augmented
    # without the remedy, draws from the drifting estimates put many on the unseen level
    monkeypatch.setattr(cond, "perfect_prediction", lambda probs, converged: False)
    with pytest.warns(cs.CTCStatsWarning):
        plain = share_zero(cs.impute(df, **roles))
    assert plain > 0.1, plain
