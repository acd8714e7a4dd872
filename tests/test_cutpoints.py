"""Tests of ctcstats.cutpoints against R maxstat 0.7-25 (tests/reference/cutpoints/)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ctcstats.cutpoints as cp
from ctcstats.errors import DataValidationError, ParameterError, SmallSampleWarning
from tests.reference._load import as_array, load_input, load_output

TOPIC = "cutpoints"
CASES = {
    # R output name: (input file, marker, time, event)
    "ctc_small": ("ctc_small", "ctc_count", "os_months", "os_event"),
    "ctc_large": ("ctc_large", "ctc_count", "os_months", "os_event"),
    "continuous": ("continuous", "marker", "time", "event"),
    "null_marker": ("null_marker", "marker", "time", "event"),
    "gbsg2_pnodes": ("gbsg2", "pnodes", "time", "cens"),  # real data (lifelines load_gbsg2)
    "gbsg2_progrec": ("gbsg2", "progrec", "time", "cens"),
}
PROPS = {"p10_90": (0.1, 0.9), "p20_80": (0.2, 0.8)}


def _case(name):
    f, x, t, e = CASES[name]
    return load_input(TOPIC, f), dict(marker_col=x, time_col=t, event_col=e)


# ----------------------------------------------------------------------------- R reference
@pytest.mark.parametrize("name", list(CASES))
def test_scores_match_exactranktests_cscores(name):
    """R: ``exactRankTests::cscores(Surv(time, event), type = "LogRank")``."""
    data, cols = _case(name)
    ref = load_output(TOPIC, name)
    got = cp.logrank_scores(data[cols["time_col"]].to_numpy(float),
                            data[cols["event_col"]].to_numpy(float))
    # closed form (cumulative sums of 1/(N - r + 1)); R accumulates in long double
    assert_allclose(got, as_array(ref["scores"]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("props", list(PROPS))
@pytest.mark.parametrize("name", list(CASES))
def test_matches_maxstat_lau94_and_lau92(name, props):
    """R: ``maxstat.test(Surv(t, e) ~ x, data, smethod = "LogRank", pmethod = "Lau94" /
    "Lau92", minprop, maxprop, alpha = 0.05)`` — statistic, estimate, stats, cuts, p.value."""
    data, cols = _case(name)
    ref = load_output(TOPIC, name)[props]
    lo, hi = PROPS[props]
    r94 = cp.optimal_cutpoint(data, **cols, min_prop=lo, max_prop=hi, p_method="lau94")
    r92 = cp.optimal_cutpoint(data, **cols, min_prop=lo, max_prop=hi, p_method="lau92")
    # closed forms: 1e-8 relative
    assert r94.cutpoint == ref["estimate"]
    assert_allclose(r94.statistic, ref["statistic"], rtol=1e-8)
    assert_allclose(r94.scan["cutpoint"], as_array(ref["cuts"]), rtol=0, atol=0)
    assert_allclose(r94.scan["statistic"], as_array(ref["stats"]), rtol=1e-8)
    assert_allclose(r92.p_value, ref["p_lau92"], rtol=1e-8)
    # R computes 1 - (pnorm(b) - pnorm(-b)), which loses everything below ~1e-16 to
    # cancellation; we use 2 * norm.sf(b). Hence the absolute floor of a few ulps of 1.0.
    assert_allclose(r94.p_value, ref["p_lau94"], rtol=1e-8, atol=5e-16)
    # R's quant comes from optimize() with tol = .Machine$double.eps^0.25 ≈ 1.2e-4;
    # ours from brentq to 1e-12, so agreement is only to R's tolerance.
    assert_allclose(r92.critical_value, ref["quant_lau92"], atol=1.2e-4)
    assert_allclose(r94.critical_value, ref["quant_lau94"], atol=1.2e-4)
    assert r94.n_low == int(np.sum(data[cols["marker_col"]] <= r94.cutpoint))
    assert r94.n_low + r94.n_high == r94.n_obs == len(data)


@pytest.mark.parametrize("props", list(PROPS))
@pytest.mark.parametrize("name", list(CASES))
def test_permutation_pvalue_matches_condmc(name, props):
    """R: ``set.seed(20261121); maxstat.test(..., pmethod = "condMC", B = 10000)``.

    Both p-values are Monte-Carlo estimates from independent streams, each with binomial
    standard error sqrt(p(1 - p)/B); their difference has SE sqrt(2 p(1 - p)/B). We allow
    4 SE (plus 1/B for p = 0), which a correct implementation fails with probability < 1e-4.
    """
    data, cols = _case(name)
    ref = load_output(TOPIC, name)[props]
    lo, hi = PROPS[props]
    res = cp.optimal_cutpoint(data, **cols, min_prop=lo, max_prop=hi,
                              p_method="permutation", n_perm=10000, rng=7)
    p = ref["p_condmc"]
    se = np.sqrt(2 * max(p, 1e-4) * (1 - p) / ref["B"])
    assert abs(res.p_value - p) <= 4 * se + 1 / ref["B"]
    assert res.n_perm == 10000


@pytest.mark.parametrize("name", ["ctc_small", "continuous", "gbsg2_pnodes"])
def test_internal_logrank_matches_survdiff(name):
    """R: ``survdiff(Surv(t, e) ~ I(x > estimate))`` — obs, exp, var, chisq."""
    data, cols = _case(name)
    ref = load_output(TOPIC, name)["p10_90"]
    t = data[cols["time_col"]].to_numpy(float)
    e = data[cols["event_col"]].to_numpy(float)
    high = data[cols["marker_col"]].to_numpy() > ref["estimate"]
    for f in (cp._logrank_2group,):
        obs, exp, var = f(t, e, high)
        # closed form sums: 1e-8 relative
        assert_allclose(obs, as_array(ref["survdiff_obs"]), rtol=1e-8)
        assert_allclose(exp, as_array(ref["survdiff_exp"]), rtol=1e-8)
        assert_allclose(var, ref["survdiff_var"], rtol=1e-8)
        assert_allclose((obs[1] - exp[1]) ** 2 / var, ref["survdiff_chisq"], rtol=1e-8)


# ----------------------------------------------------------------------------- behaviour
def test_result_fields_and_note():
    data, cols = _case("ctc_small")
    res = cp.optimal_cutpoint(data, **cols)
    assert list(res.scan.columns) == ["cutpoint", "statistic", "n_low", "n_high"]
    assert "NOT valid inference" in res.inference_note
    assert "NOT valid inference" in str(res)
    assert "optimal cut-point" in res._repr_html_().lower()
    assert res.p_value_unadjusted < res.p_value
    d = res.to_dict()
    assert d["cutpoint"] == 0.0 and len(d["scan"]) == len(res.scan)
    assert res.statistic == res.scan["statistic"].max()
    assert res.warnings == ()


def test_permutation_is_seeded():
    data, cols = _case("null_marker")
    a = cp.optimal_cutpoint(data, **cols, p_method="permutation", n_perm=500, rng=3)
    b = cp.optimal_cutpoint(data, **cols, p_method="permutation", n_perm=500, rng=3)
    assert a.p_value == b.p_value and a.critical_value == b.critical_value
    assert 0.0 <= a.p_value <= 1.0


def test_missing_drop_and_raise():
    data, cols = _case("ctc_small")
    bad = data.copy()
    bad.loc[[3, 7], "ctc_count"] = np.nan
    with pytest.raises(DataValidationError, match="marker_col 'ctc_count' has 2 missing"):
        cp.optimal_cutpoint(bad, **cols)
    res = cp.optimal_cutpoint(bad, **cols, missing="drop")
    ref = cp.optimal_cutpoint(data.drop(index=[3, 7]), **cols)
    assert res.n_dropped == 2 and res.n_obs == len(data) - 2
    assert res.statistic == ref.statistic


def test_error_constant_marker():
    data, cols = _case("ctc_small")
    d = data.assign(ctc_count=2)
    with pytest.raises(DataValidationError, match="marker_col 'ctc_count' is constant"):
        cp.optimal_cutpoint(d, **cols)


def test_error_no_events():
    data, cols = _case("ctc_small")
    with pytest.raises(DataValidationError, match="event_col has no events"):
        cp.optimal_cutpoint(data.assign(os_event=0), **cols)


def test_error_too_few_distinct_values_suggests_smaller_min_prop():
    data = pd.DataFrame({"ctc": [0] * 95 + [1, 2, 3, 4, 5],
                         "t": np.arange(1.0, 101.0), "e": [1, 0] * 50})
    with pytest.raises(DataValidationError,
                       match=r"marker_col 'ctc' has no cut-point.*smaller min_prop"):
        cp.optimal_cutpoint(data, marker_col="ctc", time_col="t", event_col="e")


def test_parameter_errors():
    data, cols = _case("ctc_small")
    with pytest.raises(ParameterError, match="'min_prop' parameter of optimal_cutpoint must "
                                             "be smaller than 'max_prop'"):
        cp.optimal_cutpoint(data, **cols, min_prop=0.6, max_prop=0.4)
    with pytest.raises(ParameterError, match=r"'max_prop' parameter .* must be in \(0, 1\)"):
        cp.optimal_cutpoint(data, **cols, max_prop=1.0)
    with pytest.raises(ParameterError, match="'p_method' parameter"):
        cp.optimal_cutpoint(data, **cols, p_method="Lau94")
    with pytest.raises(ParameterError, match="'n_perm' parameter"):
        cp.optimal_cutpoint(data, **cols, p_method="permutation", n_perm=0)
    with pytest.raises(DataValidationError, match="marker_col 'nope' is not a column"):
        cp.optimal_cutpoint(data, marker_col="nope", time_col="os_months",
                            event_col="os_event")
    with pytest.raises(DataValidationError, match="marker_col 'm' must be numeric"):
        cp.optimal_cutpoint(data.assign(m="a"), marker_col="m", time_col="os_months",
                            event_col="os_event")
    with pytest.raises(DataValidationError, match="event_col 'os_event' must contain only"):
        cp.optimal_cutpoint(data.assign(os_event=2), **cols)
    with pytest.raises(DataValidationError, match="only 2 rows"):
        cp.optimal_cutpoint(data.iloc[:2], **cols)


def test_few_events_warns_and_records():
    data, cols = _case("ctc_small")
    d = data.copy()
    d["os_event"] = 0
    d.loc[d.index[:6], "os_event"] = 1
    with pytest.warns(SmallSampleWarning, match="only 6 events"):
        res = cp.optimal_cutpoint(d, **cols)
    assert any("only 6 events" in w for w in res.warnings)


# ----------------------------------------------------------------------------- properties
@st.composite
def cohorts(draw):
    n = draw(st.integers(20, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    g = np.random.default_rng(seed)
    x = g.poisson(g.gamma(0.7, 3.0, n)).astype(float)
    x[:3] = [0.0, 1.0, 5.0]
    t = np.round(g.exponential(10, n))
    e = (g.random(n) < 0.7).astype(int)
    e[:10] = 1
    return pd.DataFrame({"x": x, "t": t, "e": e})


@settings(max_examples=40, deadline=None)
@given(cohorts(), st.integers(0, 2**32 - 1))
def test_row_order_invariance_and_inputs_unchanged(df, seed):
    cols = dict(marker_col="x", time_col="t", event_col="e")
    before = df.copy()
    try:
        a = cp.optimal_cutpoint(df, **cols, min_prop=0.05, max_prop=0.95)
    except DataValidationError:
        return  # too few distinct values for this draw: covered by the error test
    shuffled = df.sample(frac=1.0, random_state=seed % 1000)
    b = cp.optimal_cutpoint(shuffled, **cols, min_prop=0.05, max_prop=0.95)
    pd.testing.assert_frame_equal(df, before)
    assert a.cutpoint == b.cutpoint
    assert_allclose(a.statistic, b.statistic, rtol=1e-12)
    assert_allclose(a.scan["statistic"], b.scan["statistic"], rtol=1e-10)
    assert 0.0 <= a.p_value <= 1.0 and 0.0 <= a.p_value_unadjusted <= 1.0
    assert a.statistic >= a.scan["statistic"].max() - 1e-12
    assert (a.scan["n_low"] >= 1).all() and (a.scan["n_high"] >= 1).all()
    s1 = cp.cutpoint_stability(df, **cols, n_boot=20, rng=1, min_prop=0.05, max_prop=0.95)
    s2 = cp.cutpoint_stability(shuffled, **cols, n_boot=20, rng=1, min_prop=0.05,
                               max_prop=0.95)
    pd.testing.assert_frame_equal(s1.replicates, s2.replicates)


# ----------------------------------------------------------------------------- stability
def test_stability_vectorised_equals_per_replicate_scan():
    """Each bootstrap replicate equals a direct maxstat scan of the resampled rows."""
    data, cols = _case("ctc_large")
    res = cp.cutpoint_stability(data, **cols, n_boot=60, rng=11)
    x = data["ctc_count"].to_numpy(float)
    t = data["os_months"].to_numpy(float)
    e = data["os_event"].to_numpy(float)
    o = cp._canonical_order(x, t, e)
    x, t, e = x[o], t[o], e[o]
    idx = np.random.default_rng(11).integers(0, len(x), size=(60, len(x)))
    for b in range(60):
        i = idx[b]
        sc = cp._scan(x[i], t[i], e[i], 0.1, 0.9)
        assert res.replicates["cutpoint"].iloc[b] == sc.cuts[sc.best]
        assert_allclose(res.replicates["statistic"].iloc[b], sc.stat[sc.best], rtol=1e-10)
    assert_allclose(res.table["proportion"].sum(), 1.0)
    assert res.table["n_selected"].sum() == 60 - res.n_failed
    assert res.original_cutpoint == 4.0
    assert set(cp.optimal_cutpoint(data, **cols).scan["cutpoint"]) <= set(res.table["cutpoint"])
    assert list(res.table.columns) == ["cutpoint", "n_selected", "proportion"]


def test_stability_failed_replicates_warn():
    # 40% zeros: with min_prop=0.38 some resamples have > 62% … no admissible split
    data = pd.DataFrame({"x": [0] * 8 + list(range(1, 13)), "t": np.arange(1.0, 21.0),
                         "e": [1] * 20})
    with pytest.warns(SmallSampleWarning, match="bootstrap resamples had no admissible"):
        res = cp.cutpoint_stability(data, marker_col="x", time_col="t", event_col="e",
                                    n_boot=200, rng=2, min_prop=0.38, max_prop=0.6)
    assert res.n_failed > 0
    assert res.replicates["cutpoint"].isna().sum() == res.n_failed
    assert res.warnings


# ----------------------------------------------------------------------------- validation
def test_validate_split_uses_training_cut():
    data, cols = _case("ctc_large")
    v = cp.validate_cutpoint(data, **cols, rng=5)
    assert v.method == "split" and v.df == 1.0
    assert v.folds["n_train"].iloc[0] == 200 and v.folds["n_test"].iloc[0] == 200
    assert v.table["n"].sum() == 200
    assert_allclose(v.table["observed"].sum(), v.table["expected"].sum())
    assert 0 <= v.p_value <= 1
    # the training half, re-created from the same seed, gives the same cut-point
    x = data["ctc_count"].to_numpy(float)
    t = data["os_months"].to_numpy(float)
    e = data["os_event"].to_numpy(float)
    o = cp._canonical_order(x, t, e)
    perm = np.random.default_rng(5).permutation(len(x))
    train = pd.DataFrame({"x": x[o][perm[:200]], "t": t[o][perm[:200]],
                          "e": e[o][perm[:200]]})
    ref = cp.optimal_cutpoint(train, marker_col="x", time_col="t", event_col="e")
    assert v.cutpoint == ref.cutpoint
    # test half: log-rank of the survdiff kind on the held-out rows
    test = pd.DataFrame({"x": x[o][perm[200:]], "t": t[o][perm[200:]], "e": e[o][perm[200:]]})
    obs, exp, var = cp._logrank_2group(test["t"].to_numpy(), test["e"].to_numpy(),
                                       test["x"].to_numpy() > ref.cutpoint)
    assert_allclose(v.statistic, (obs[1] - exp[1]) ** 2 / var, rtol=1e-10)


def test_validate_cv_row_order_invariant():
    data, cols = _case("gbsg2_pnodes")
    a = cp.validate_cutpoint(data, **cols, method="cv", n_folds=5, rng=9)
    b = cp.validate_cutpoint(data.iloc[::-1], **cols, method="cv", n_folds=5, rng=9)
    pd.testing.assert_frame_equal(a.folds, b.folds)
    assert a.statistic == b.statistic
    assert a.table["n"].sum() == len(data)
    assert len(a.folds) == 5 and a.folds["n_test"].sum() == len(data)
    assert a.p_value < 1e-6  # pnodes is strongly prognostic in GBSG2


def test_validate_errors():
    data, cols = _case("ctc_small")
    with pytest.raises(ParameterError, match="'method' parameter of validate_cutpoint"):
        cp.validate_cutpoint(data, **cols, method="bootstrap")
    with pytest.raises(ParameterError, match="'n_folds' parameter"):
        cp.validate_cutpoint(data, **cols, method="cv", n_folds=40)
    with pytest.raises(DataValidationError, match="train_frac=0.02 of 60 rows"):
        cp.validate_cutpoint(data, **cols, train_frac=0.02)
    zero_heavy = data.assign(ctc_count=[0] * 57 + [1, 2, 3])  # >= 27 zeros in any half
    with pytest.raises(DataValidationError, match="training data of fold 1 has no usable"):
        cp.validate_cutpoint(zero_heavy, **cols, max_prop=0.8, rng=1)


def test_validate_one_sided_split_warns():
    # binary marker: the only cut is 0; with seed 2 both marker-high patients are drawn
    # into the training half, so every test patient is "low"
    data = pd.DataFrame({"x": [0] * 10 + [1] * 2, "t": np.arange(1.0, 13.0), "e": [1] * 12})
    with pytest.warns(SmallSampleWarning, match="all fall on one side"):
        v = cp.validate_cutpoint(data, marker_col="x", time_col="t", event_col="e", rng=2)
    assert np.isnan(v.p_value) and v.warnings
    assert v.table["n"].tolist() == [6, 0]


# ----------------------------------------------------------------------------- figures
def test_plot_scan_draws_statistic_cut_thresholds_and_critical_value():
    data, cols = _case("ctc_large")
    res = cp.optimal_cutpoint(data, **cols)
    ax = res.plot(clinical_thresholds=(1, 3, 5))
    gids = [ln.get_gid() for ln in ax.lines]
    assert gids.count("scan") == 1 and gids.count("chosen") == 1
    assert gids.count("threshold") == 3 and gids.count("critical") == 1
    scan_line = ax.lines[gids.index("scan")]
    assert_allclose(scan_line.get_ydata(), res.scan["statistic"])
    assert ax.lines[gids.index("chosen")].get_xdata()[0] == res.cutpoint
    assert_allclose(ax.lines[gids.index("critical")].get_ydata()[0], res.critical_value)
    assert "ctc_count" in ax.get_xlabel()


def test_plot_stability_bars():
    import matplotlib.pyplot as plt

    data, cols = _case("ctc_large")
    res = cp.cutpoint_stability(data, **cols, n_boot=50, rng=1)
    fig, ax = plt.subplots()
    out = res.plot(ax=ax)
    assert out is ax
    assert len(ax.patches) == len(res.table)
    heights = [p.get_height() for p in ax.patches]
    assert_allclose(heights, res.table["proportion"])


def test_docstring_examples_run():
    for f in (cp.optimal_cutpoint, cp.cutpoint_stability, cp.validate_cutpoint):
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner()
        for test in finder.find(f, globs={}):
            runner.run(test)
        assert runner.failures == 0, f.__name__
