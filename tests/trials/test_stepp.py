"""stepp vs the R stepp package (3.2.7, built from its CRAN source mirror) and survival::coxph.

Deterministic parts (windows, per-window KM survival at the horizon and Greenwood SEs,
per-window Cox log HRs) agree at 1e-9 / 1e-6; the permutation p-values are Monte Carlo
estimates on different random streams, compared within 4 standard errors of the difference
of two 2500-permutation estimates.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.trials import sliding_windows, stepp
from tests.reference._load import load_input, load_output

matplotlib.use("Agg")

KW = dict(time_col="months", event_col="event", marker_col="ctc_count", treatment_col="arm",
          subpopulation_size=120, overlap=60)


@pytest.fixture(scope="module")
def trial():
    return load_input("trials", "trial")


@pytest.fixture(scope="module")
def ref():
    return load_output("trials", "stepp_trial")


def test_km_windows_and_estimates_match_stepp(trial, ref):
    res = stepp(trial, horizon=12, n_perm=2500, rng=5, **KW)
    tab = res.table
    assert len(tab) == ref["nsubpop"]
    assert list(tab["n_obs"]) == ref["npatsub"]
    assert_allclose(tab["marker_min"], ref["minc"])
    assert_allclose(tab["marker_max"], ref["maxc"])
    assert_allclose(tab["marker_median"], ref["medianz"])
    assert_allclose(tab["survival_treated"], ref["s_treated"], rtol=1e-9)
    assert_allclose(tab["survival_control"], ref["s_control"], rtol=1e-9)
    se = np.hypot(ref["se_treated"], ref["se_control"])
    assert_allclose(tab["std_error"], se, rtol=1e-9)
    assert_allclose(res.overall_effect, ref["o_treated"] - ref["o_control"], rtol=1e-9)
    o_se = np.hypot(np.ravel(ref["o_se_treated"])[0], np.ravel(ref["o_se_control"])[0])
    assert_allclose(res.overall_std_error, o_se, rtol=1e-9)
    for ours, theirs in ((res.sup_p_value, ref["sup_pvalue"]),
                         (res.chi2_p_value, ref["chi2_pvalue"])):
        mc = np.sqrt(theirs * (1 - theirs) * 2 / 2500)
        assert abs(ours - theirs) < 4 * mc, (ours, theirs)


def test_cox_effects_match_coxph(trial, ref):
    res = stepp(trial, method="cox", n_perm=50, rng=1, **KW)
    assert_allclose(res.table["effect"], ref["cox_coef"], rtol=1e-6)
    assert_allclose(res.table["std_error"], ref["cox_se"], rtol=1e-6)
    assert_allclose(res.overall_effect, ref["cox_overall"], rtol=1e-6)
    assert_allclose(res.overall_std_error, ref["cox_overall_se"], rtol=1e-6)


def test_null_p_values_are_not_small():
    """No interaction: over 20 seeded trials the supremum test rejects rarely (size check)."""
    rej = 0
    for k in range(20):
        g = np.random.default_rng(100 + k)
        n = 300
        df = pd.DataFrame({"arm": g.integers(0, 2, n), "ctc_count": g.poisson(4, n)})
        t = g.exponential(20 / np.exp(0.3 * df["arm"]))
        df["months"], df["event"] = np.minimum(t, 30), (t < 30).astype(int)
        res = stepp(df, horizon=12, n_perm=100, rng=k, **KW | {"subpopulation_size": 80,
                                                               "overlap": 40})
        rej += res.sup_p_value < 0.05
    assert rej <= 4


def test_windows_rule_and_invariance(trial):
    wins = sliding_windows(trial["ctc_count"].to_numpy(float), 120, 60)
    z, counts = np.unique(trial["ctc_count"], return_counts=True)
    sizes = [counts[lo:hi + 1].sum() for lo, hi in wins]
    assert all(s >= 120 for s in sizes[:-1]) and wins[-1][1] == z.size - 1
    for (_lo0, hi0), (lo1, _) in zip(wins, wins[1:], strict=False):
        assert counts[lo1:hi0 + 1].sum() <= 60  # overlap at most r1
    res = stepp(trial, horizon=12, n_perm=50, rng=3, **KW)
    shuffled = trial.sample(frac=1, random_state=2).set_index(np.arange(len(trial)) + 1000)
    res2 = stepp(shuffled, horizon=12, n_perm=50, rng=3, **KW)
    assert_allclose(res2.table["effect"], res.table["effect"], rtol=1e-12)
    ax = res.plot()
    line = [ln for ln in ax.get_lines() if ln.get_gid() == "stepp-effect"][0]
    assert_allclose(line.get_ydata(), res.table["effect"])
    assert "subpopulation" in res.to_dict()["table"][0]


def test_stepp_errors(trial):
    with pytest.raises(ParameterError, match="needs 'horizon'"):
        stepp(trial, **KW)
    with pytest.raises(ParameterError, match="must be smaller than subpopulation_size"):
        stepp(trial, horizon=12, **KW | {"overlap": 200})
    with pytest.raises(ParameterError, match="method='cox'"):
        stepp(trial, horizon=12, covariates=["age"], **KW)
    with pytest.raises(DataValidationError, match="treatment_col 'ctc_group' has 3"):
        stepp(trial, horizon=12, **KW | {"treatment_col": "ctc_group"})
