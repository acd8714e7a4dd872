"""Diagnoses that say what is wrong (DESIGN.md §4, issue 13).

* a covariate that perfectly orders the events (monotone likelihood) gets R's diagnosis —
  the coefficient may be infinite, refit with ``firth=True`` — not "collinear", and no numpy
  RuntimeWarning escapes: the linear predictor is clipped as R's ``coxsafe`` does and
  risk-set sums are suffix sums, exact within each stratum;
* strata with one patient each are an error naming the column (every estimate would be
  NaN); a few uninformative strata among others are a recorded warning;
* predicted risks of exactly 0 or 1: one rule for ``calibration`` and
  ``external_validation`` (moved 1e-12 inside (0, 1), recorded as a warning).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.survival._core.cox import prepare_cox_data, risk_sums


def _data(n: int = 60, seed: int = 2) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    t = np.round(g.exponential(10, n), 2) + 0.01
    e = (g.random(n) < 0.7).astype(int)
    return pd.DataFrame({"t": t, "e": e, "age": np.round(g.normal(60, 8, n), 1),
                         "grp": g.integers(0, 2, n)})


def test_covariate_ordering_the_events_is_monotone_likelihood_not_collinear():
    """R (survival 3.4): ``coxph(Surv(t, e) ~ x)`` with x = -t does not converge either (its
    coefficient heads for +inf); the honest answer is the diagnosis, not the number."""
    d = _data().assign(x=lambda f: -f["t"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = cs.fit_cox(d, time_col="t", event_col="e", covariates=["x"])
    kinds = [w.category for w in caught]
    assert RuntimeWarning not in kinds
    assert cs.MonotoneLikelihoodWarning in kinds
    assert not any("collinear" in str(w.message) for w in caught)
    assert any("firth=True" in w for w in res.warnings)
    assert res.table.loc["x", "coef"] > 0 and np.isfinite(res.table.loc["x", "coef"])
    firth = cs.fit_cox(d, time_col="t", event_col="e", covariates=["x"], firth=True)
    assert np.isfinite(firth.table.loc["x", "coef"])


def test_risk_sums_keep_their_digits_when_strata_differ_hugely():
    g = np.random.default_rng(1)
    n = 60
    time = g.exponential(1, n)
    event = np.ones(n, dtype=bool)
    strata = np.repeat([0, 1, 2], n // 3)
    v = np.where(strata == 1, np.exp(200.0), 1.0)  # the middle stratum dwarfs the others
    d = prepare_cox_data(np.zeros((n, 1)), time, event, strata=strata)
    got = risk_sums(d, v[:, None])[:, 0]
    want = np.array([v[(strata == s) & (time >= t)].sum()
                     for s, t in zip(d.group_stratum, d.group_time, strict=True)])
    assert_allclose(got, want, rtol=1e-12)
    assert np.all(got[d.group_stratum != 1] >= 1)  # the small strata's sums survive


def test_strata_with_one_patient_each_are_an_error():
    d = _data().assign(pid=lambda f: np.arange(len(f)))
    msg = (r"strata_col 'pid' leaves nothing to compare: none of its 60 strata holds an event "
           r"with another patient of the stratum still at risk \(60 strata hold a single "
           r"patient\).*is it a patient identifier")
    with pytest.raises(cs.DataValidationError, match=msg):
        cs.fit_cox(d, time_col="t", event_col="e", covariates=["age"], strata_col="pid")
    with pytest.raises(cs.DataValidationError, match=msg):
        cs.logrank_test(d, time_col="t", event_col="e", group_col="grp", strata_col="pid")


def test_a_few_uninformative_strata_are_a_recorded_warning():
    d = _data()
    d["site"] = "A"
    d.loc[57:, "site"] = ["B", "C", "D"]  # three single-patient strata
    n_ev = int(d["e"].iloc[57:].sum())
    assert n_ev >= 1
    k = n_ev  # each single patient with an event is a wasted stratum
    with pytest.warns(cs.DataWarning, match=rf"{k} of 4 strata of strata_col 'site' have "
                                            rf"events with no other patient of the stratum at "
                                            rf"risk .*their {n_ev} event\(s\) contribute "
                                            "nothing to fit_cox"):
        res = cs.fit_cox(d, time_col="t", event_col="e", covariates=["age"],
                         strata_col="site")
    assert any("contribute nothing to fit_cox" in w for w in res.warnings)
    assert np.isfinite(res.table.loc["age", "coef"])


def test_risks_of_exactly_zero_or_one_follow_one_rule():
    d = _data(200)
    d["risk"] = np.clip(1 - np.exp(-np.exp((d["age"] - 60) / 8) * 0.5), 0, 1)
    d.loc[[3, 8], "risk"] = [0.0, 1.0]
    with pytest.warns(cs.DataWarning, match=r"risk_col 'risk' has 2 predicted risk\(s\) of "
                                            r"exactly 0 or 1 \(first row labels: 3, 8\)"):
        res = cs.calibration(d, time_col="t", event_col="e", risk_col="risk", horizon=8)
    assert np.isfinite(res.slope) and np.isfinite(res.ici)
    inside = d.assign(risk=d["risk"].clip(1e-12, 1 - 1e-12))
    ref = cs.calibration(inside, time_col="t", event_col="e", risk_col="risk", horizon=8)
    assert_allclose(res.slope, ref.slope, rtol=1e-12)
    assert_allclose(res.table.to_numpy(float), ref.table.to_numpy(float), rtol=1e-12)


def test_batch_replicate_with_monotone_likelihood_equals_its_single_fit():
    """The batch engine clips the linear predictor as the single fit (R's coxsafe) does, so a
    replicate that orders its events perfectly still equals fit_cox on it."""
    d = _data().assign(x=lambda f: -f["t"])
    two = pd.concat([d.assign(replicate=0), _data(seed=5).assign(x=lambda f: f["age"],
                                                                 replicate=1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.CTCStatsWarning)
        single = cs.fit_cox(d, time_col="t", event_col="e", covariates=["x"])
        batch = cs.batch_cox(two, time_col="t", event_col="e", covariates=["x"])
    assert_allclose(batch.coef[0, 0], single.table.loc["x", "coef"], rtol=1e-8)
    assert_allclose(batch.std_error[0, 0], single.table.loc["x", "std_error"], rtol=1e-7)
    assert_allclose(batch.loglik[0], single.loglik, rtol=1e-10)
    assert batch.maybe_infinite[0, 0]
