"""batch_cox / batch_logrank on a long DataFrame: each replicate equals fit_cox / logrank_test
on that replicate's rows.

The DataFrame layer only validates, codes and splits; the arithmetic is the batch engine's
(tested against fit_cox / logrank_test and R in test_batch_cox.py / test_batch_logrank.py), so
the per-replicate results agree to the engine's tolerances: Cox coefficients and SEs 1e-7
relative (both iterate Newton–Raphson to |1 − ll_old/ll_new| ≤ 1e-9 from the same start, in
another summation order), log-likelihoods 1e-9, log-rank statistics 1e-9 (closed form).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError


def _long(rng, R=4, n=150) -> pd.DataFrame:
    rows = []
    for r in range(R):
        x = rng.integers(0, 2, n)
        age = rng.normal(60, 8, n)
        t = rng.exponential(1 / np.exp(0.6 * x + 0.02 * (age - 60)))
        c = rng.uniform(0.2, 3, n)
        rows.append(pd.DataFrame({
            "rep": f"r{r}", "ctc_positive": x, "age": age,
            "grade": rng.choice(["G1", "G2", "G3"], n), "site": rng.integers(0, 2, n),
            "os_months": np.round(np.minimum(t, c), 1), "os_event": (t <= c).astype(int),
            "arm": np.where(x == 1, "CTC+", "CTC-")}))
    return pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=3)


def _fit(sub, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numerical notes of single fits are not under test
        return cs.fit_cox(sub, time_col="os_months", event_col="os_event", **kw)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("strata_col", [None, "site"])
def test_batch_cox_equals_fit_cox_per_replicate(rng, ties, strata_col):
    data = _long(rng)
    covs = ["ctc_positive", "age", "grade"]
    res = cs.batch_cox(data, time_col="os_months", event_col="os_event", covariates=covs,
                       replicate_col="rep", strata_col=strata_col, ties=ties)
    assert list(res.replicates) == ["r0", "r1", "r2", "r3"]
    assert res.terms == ("ctc_positive", "age", "grade[G2]", "grade[G3]")
    for i, r in enumerate(res.replicates):
        ref = _fit(data[data["rep"] == r], covariates=covs, strata_col=strata_col, ties=ties)
        assert list(ref.table.index) == list(res.terms)
        assert_allclose(res.coef[i], ref.table["coef"], rtol=1e-7)
        assert_allclose(res.std_error[i], ref.table["std_error"], rtol=1e-7)
        assert_allclose(res.loglik[i], ref.loglik, rtol=1e-9)
        assert res.n_events[i] == ref.n_events
    frame = res.to_frame("age")
    assert list(frame["replicate"]) == ["r0", "r1", "r2", "r3"]
    assert_allclose(frame["coef"], res.coef[:, 1])


def test_batch_cox_weights_are_case_counts(rng):
    """weights_col = 2 is the row twice: equal to fit_cox on the rows repeated."""
    data = _long(rng, R=2, n=80)
    data["w"] = rng.integers(0, 3, len(data))
    res = cs.batch_cox(data, time_col="os_months", event_col="os_event",
                       covariates=["ctc_positive"], replicate_col="rep", weights_col="w")
    for i, r in enumerate(res.replicates):
        sub = data[data["rep"] == r]
        expanded = sub.loc[sub.index.repeat(sub["w"])]
        ref = _fit(expanded, covariates=["ctc_positive"])
        assert_allclose(res.coef[i, 0], ref.table.loc["ctc_positive", "coef"], rtol=1e-7)
        assert_allclose(res.std_error[i, 0], ref.table.loc["ctc_positive", "std_error"],
                        rtol=1e-7)


@pytest.mark.parametrize("rho,gamma", [(0.0, 0.0), (1.0, 0.5)])
@pytest.mark.parametrize("strata_col", [None, "site"])
def test_batch_logrank_equals_logrank_test_per_replicate(rng, rho, gamma, strata_col):
    data = _long(rng)
    res = cs.batch_logrank(data, time_col="os_months", event_col="os_event", group_col="arm",
                           replicate_col="rep", strata_col=strata_col, rho=rho, gamma=gamma)
    assert res.groups == ("CTC+", "CTC-")
    for i, r in enumerate(res.replicates):
        ref = cs.logrank_test(data[data["rep"] == r], time_col="os_months",
                              event_col="os_event", group_col="arm", strata_col=strata_col,
                              rho=rho, gamma=gamma)
        assert_allclose(res.statistic[i], ref.statistic, rtol=1e-9)
        assert_allclose(res.p_value[i], ref.p_value, rtol=1e-9)
        assert res.df[i] == ref.df
        assert_allclose(res.observed[i], ref.table["observed"], rtol=1e-9)
        assert_allclose(res.expected[i], ref.table["expected"], rtol=1e-9)
    assert list(res.to_frame()["replicate"]) == ["r0", "r1", "r2", "r3"]


def test_row_order_and_input_unchanged(rng):
    data = _long(rng, R=3, n=60)
    before = data.copy()
    kw = dict(time_col="os_months", event_col="os_event", replicate_col="rep")
    a = cs.batch_cox(data, covariates=["ctc_positive", "age"], **kw)
    b = cs.batch_cox(data.sample(frac=1.0, random_state=9).reset_index(drop=True),
                     covariates=["ctc_positive", "age"], **kw)
    pd.testing.assert_frame_equal(data, before)
    assert_allclose(a.coef, b.coef, rtol=1e-10)
    la = cs.batch_logrank(data, group_col="arm", **kw)
    lb = cs.batch_logrank(data.iloc[::-1], group_col="arm", **kw)
    assert_allclose(la.statistic, lb.statistic, rtol=1e-12)


def test_missing_values(rng):
    data = _long(rng, R=2, n=50)
    data.loc[data.index[:3], "age"] = np.nan
    kw = dict(time_col="os_months", event_col="os_event", covariates=["age"],
              replicate_col="rep")
    with pytest.raises(DataValidationError, match="covariates 'age' has 3 missing values"):
        cs.batch_cox(data, **kw)
    res = cs.batch_cox(data, missing="drop", **kw)
    assert int(res.n_events.sum()) == int(data.dropna()["os_event"].sum())


def test_errors(rng):
    data = _long(rng, R=2, n=40)
    kw = dict(time_col="os_months", event_col="os_event")
    with pytest.raises(DataValidationError, match="replicate_col 'replicate' is not a column"):
        cs.batch_cox(data, covariates=["age"], **kw)
    with pytest.raises(DataValidationError, match="weights_col 'w' must hold finite case counts"):
        cs.batch_cox(data.assign(w=-1.0), covariates=["age"], replicate_col="rep",
                     weights_col="w", **kw)
    with pytest.raises(ParameterError, match="The 'ties' parameter of batch_cox"):
        cs.batch_cox(data, covariates=["age"], replicate_col="rep", ties="exact", **kw)
    with pytest.raises(ParameterError, match="The 'tol' parameter of batch_cox"):
        cs.batch_cox(data, covariates=["age"], replicate_col="rep", tol=0, **kw)
    with pytest.raises(ParameterError, match="The 'max_iter' parameter of batch_cox"):
        cs.batch_cox(data, covariates=["age"], replicate_col="rep", max_iter=-1, **kw)
    with pytest.raises(DataValidationError, match="group_col 'one' has a single level"):
        cs.batch_logrank(data.assign(one="a"), group_col="one", replicate_col="rep", **kw)
    with pytest.raises(ParameterError, match="The 'rho' parameter of batch_logrank"):
        cs.batch_logrank(data, group_col="arm", replicate_col="rep", rho=-1.0, **kw)
