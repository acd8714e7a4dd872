"""replicate_design: the published analysis on synthetic cohorts, and its coverage over seeds.

The fidelity check of the issue: every design over many seeds, each published quantity covered
by the replicate's confidence interval in at least 85% of them — the synthetic cohorts mirror
the published designs at their published size. The full check (200 seeds, ~250 CPU s) is
marked ``slow`` and ``full``: ``bash .ci/run`` leaves it out unless asked for (``bash .ci/run
-m full``; issue 15 allows the smaller default). The default suite runs the same check on the
first 20 seeds with the bar lowered to what 20 seeds can tell apart (see
``test_published_quantities_covered_over_20_seeds``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.designs import get_design, list_designs, simulate_cohort, simulate_study
from ctcstats.designs.calibrate import analysis_frame
from ctcstats.designs.replicate import (
    ReplicationResult,
    _covered,
    replicate_cohort,
    replicate_design,
)

KEYS = list(list_designs()["key"])
COLUMNS = ["quantity", "published", "estimate", "ci_lower", "ci_upper", "covered"]


def test_table_columns_and_determinism():
    a = replicate_design("janni2016", rng=3)
    b = replicate_design(get_design("janni2016"), rng=3)
    assert isinstance(a, ReplicationResult)
    assert a.table.columns[:6].tolist() == COLUMNS
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["quantity"].tolist() == ["prevalence", "dfs_hr", "ddfs_hr", "bcss_hr",
                                            "os_hr"]
    assert a.n_obs == 3173 and a.design == "janni2016"
    assert a.coverage == pytest.approx(a.table["covered"].mean())
    assert (a.table["ci_lower"] <= a.table["estimate"]).all()
    assert (a.table["estimate"] <= a.table["ci_upper"]).all()
    assert a.to_dict()["table"][0]["quantity"] == "prevalence"


def test_uses_public_functions_on_the_same_cohort():
    """The HR is fit_cox on the analysis frame (strata = study) and the prevalence CI is
    the exact Clopper–Pearson interval (R binom.test)."""
    from scipy import stats

    d = get_design("janni2016")
    df = simulate_cohort(d, rng=5)
    rep = replicate_cohort(df, design=d).table.set_index("quantity")
    r = d.result("os_hr")
    f = analysis_frame(d, r, df)
    f = f.assign(pos=(f["group"] == "positive").astype(float))
    fit = cs.fit_cox(f, time_col="time", event_col="event",
                     covariates=["pos", *r.covariates], strata_col="strata")
    np.testing.assert_allclose(
        rep.loc["os_hr", ["estimate", "ci_lower", "ci_upper"]].to_numpy(float),
        fit.table.loc["pos", ["hr", "ci_lower", "ci_upper"]].to_numpy(float), rtol=1e-12)
    k = int(df[f"{d.marker_prefix}_positive"].sum())
    ci = stats.binomtest(k, len(df)).proportion_ci(0.95, method="exact")
    np.testing.assert_allclose(rep.loc["prevalence", ["ci_lower", "ci_upper"]].to_numpy(float),
                               [ci.low, ci.high], rtol=1e-12)


def test_medians_and_windows():
    """Medians are kaplan_meier medians with their CIs; Braun's > 5-year HR is the second
    period of fit_piecewise_cox split at 60 months on follow-up truncated at 120."""
    d = get_design("braun2005")
    rep = replicate_design(d, rng=2).table.set_index("quantity")
    assert rep.loc["os_hr_5_10", "analysis"].startswith("fit_piecewise_cox(split_at=[60])")
    assert rep.loc["os_hr_0_5", "analysis"].startswith("fit_cox")
    h = replicate_design("hayes2006", rng=2).table.set_index("quantity")
    sc = simulate_study("hayes2006", rng=2)
    r = get_design("hayes2006").result("pfs_median_d1_pos")
    f = analysis_frame("hayes2006", r, sc.data, sc.draws)
    km = cs.kaplan_meier(f[f["group"] == "positive"], time_col="time", event_col="event")
    np.testing.assert_allclose(
        h.loc["pfs_median_d1_pos", ["estimate", "ci_lower", "ci_upper"]].to_numpy(float),
        km.median[["median", "ci_lower", "ci_upper"]].iloc[0].to_numpy(float))


def test_not_simulated_results_left_out():
    rep = replicate_design("rack2014", rng=1)
    assert "dfs_hr_persisting" not in set(rep.table["quantity"])


def test_coverage_rules():
    nan, inf = math.nan, math.inf
    # point value
    assert _covered("hr_univariable", 2.0, 2.0, 2.0, 1.8, 1.2, 2.5)
    assert not _covered("hr_univariable", 3.0, 3.0, 3.0, 1.8, 1.2, 2.5)
    # a median whose upper limit is not reached: upper = +inf
    assert _covered("median", 30.0, 30.0, 30.0, 22.0, 16.0, nan)
    assert not _covered("median", 10.0, 10.0, 10.0, 22.0, 16.0, nan)
    # "> x": compatible when not reached, above x, or the upper limit above x / not reached
    assert _covered("median_lower_bound", 18.0, 18.0, inf, nan, 15.0, nan)
    assert _covered("median_lower_bound", 18.0, 18.0, inf, 16.0, 12.0, 19.0)
    assert not _covered("median_lower_bound", 18.0, 18.0, inf, 12.0, 10.0, 15.0)
    # ranges: the interval overlaps the published range
    assert _covered("hr_range", nan, 3.6, 6.5, 3.0, 2.1, 3.7)
    assert not _covered("hr_range", nan, 3.6, 6.5, 2.0, 1.5, 3.0)


def test_warnings_recorded():
    with pytest.warns(cs.MonotoneLikelihoodWarning) as rec:
        rep = replicate_design("lucci2012", n=20, rng=0)
    assert len(rep.warnings) == len(rec) and len(rep.warnings) > 0
    assert all(":" in w for w in rep.warnings)


def test_bad_parameters():
    with pytest.raises(cs.ParameterError, match="'n' parameter of replicate_design"):
        replicate_design("lucci2012", n=5, rng=1)
    with pytest.raises(cs.ParameterError, match="conf_level"):
        replicate_design("lucci2012", rng=1, conf_level=95)


# --------------------------------------------------------------------------- fidelity
# 200 seeds (the issue asks for ≥ 50): the coverage of each quantity is then estimated to about
# ±2 percentage points, so a quantity that passes is not one that got lucky seeds.
N_SEEDS = 200
MIN_COVERAGE = 0.85


def _run(key: str, seed: int) -> pd.DataFrame:
    with warnings.catch_warnings(record=True) as caught:  # recorded on the result as well
        warnings.simplefilter("always")
        rep = replicate_design(key, rng=10_000 + seed)
    assert len(caught) == len(rep.warnings)
    return rep.table.assign(design=key, seed=seed)


# (design, seed) -> replicate table. The 20-seed test's seeds are the first 20 of the 200-seed
# test's: when both run in one process (`bash .ci/run -m "full or not full"` keeps them on one
# worker) each is computed once.
_TABLES: dict[tuple[str, int], pd.DataFrame] = {}


def _coverage(n_seeds: int, n_jobs: int) -> pd.DataFrame:
    from joblib import Parallel, delayed

    todo = [(k, s) for k in KEYS for s in range(n_seeds) if (k, s) not in _TABLES]
    _TABLES.update(zip(todo, Parallel(n_jobs=n_jobs)(delayed(_run)(k, s) for k, s in todo),
                       strict=True))
    tables = [_TABLES[k, s] for k in KEYS for s in range(n_seeds)]
    allt = pd.concat(tables, ignore_index=True)
    cov = allt.groupby(["design", "quantity"], sort=False).agg(
        coverage=("covered", "mean"), published=("published", "first"),
        median_estimate=("estimate", "median"), status=("status", "first"))
    assert set(cov.index.get_level_values("design")) == set(KEYS)
    # every published quantity of every design, none excluded
    assert cov["coverage"].notna().all()
    return cov


@pytest.mark.slow
@pytest.mark.full
@pytest.mark.xdist_group("replicate_seeds")
def test_published_quantities_covered_over_seeds():
    cov = _coverage(N_SEEDS, n_jobs=2)
    failing = cov[cov["coverage"] < MIN_COVERAGE]
    assert failing.empty, failing.to_string()


N_SEEDS_FAST = 20


@pytest.mark.xdist_group("replicate_seeds")
def test_published_quantities_covered_over_20_seeds():
    """The fidelity check on the first 20 of the slow test's seeds (about 20 CPU s; reused,
    not recomputed, when the slow test ran before it in the same process).

    With 20 seeds a coverage is known only to about ±8 points, so the bar is the 1% binomial
    quantile of a quantity exactly at the slow test's 85%: ``binom.ppf(0.01, 20, 0.85) / 20``
    = 13/20 = 0.65. A quantity whose true coverage is 85% falls below it with probability
    0.6%; one at 50% passes it with probability 13% (at 60%: 42%). So this catches a design
    that has gone clearly wrong; the 85% bar itself is checked only by the slow 200-seed test.
    """
    from scipy.stats import binom

    bar = binom.ppf(0.01, N_SEEDS_FAST, MIN_COVERAGE) / N_SEEDS_FAST
    assert bar == pytest.approx(0.65)
    cov = _coverage(N_SEEDS_FAST, n_jobs=1)
    failing = cov[cov["coverage"] < bar]
    assert failing.empty, failing.to_string()
