"""logrank_test(start_col=): the log-rank test with delayed entry / (start, stop] rows.

R's survdiff refuses counting-process data; the reference is the score test at beta = 0 of
coxph(Surv(start, stop, event) ~ group, ties = "exact") (tests/reference/counting_logrank/,
boot::channing — ages at entry into a retirement home — and survival::cgd). Closed forms of
the risk-set counts: 1e-8 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.survival.logrank import logrank_test
from tests.reference._load import load_input, load_output


def test_channing_delayed_entry_matches_exact_cox_score_test():
    ch = load_input("counting", "channing")
    res = logrank_test(ch, start_col="entry", time_col="exit", event_col="cens",
                       group_col="sex")
    assert_allclose(res.statistic, load_output("counting_logrank", "channing_sex")["score"],
                    rtol=1e-8)
    # ignoring the entry ages gives another (wrong) answer
    naive = logrank_test(ch, time_col="exit", event_col="cens", group_col="sex")
    assert abs(naive.statistic - res.statistic) > 0.1


def test_cgd_k_groups_and_strata():
    cgd = load_input("counting", "cgd")
    kw = dict(start_col="tstart", time_col="tstop", event_col="status")
    res = logrank_test(cgd, group_col="hos_cat", **kw)
    ref = load_output("counting_logrank", "cgd_hos_cat")
    assert res.table["group"].tolist() == ref["levels"]
    assert res.df == 3
    assert_allclose(res.statistic, ref["score"], rtol=1e-8)
    st = logrank_test(cgd, group_col="treat", strata_col="sex", **kw)
    assert_allclose(st.statistic, load_output("counting_logrank", "cgd_treat_strata_sex")["score"],
                    rtol=1e-8)


def test_entry_at_zero_equals_plain_test():
    g = np.random.default_rng(2)
    df = pd.DataFrame({"t": np.round(g.exponential(10, 120), 1) + 0.1,
                       "e": g.integers(0, 2, 120), "g": g.integers(0, 3, 120), "s": 0.0})
    a = logrank_test(df, time_col="t", event_col="e", group_col="g")
    b = logrank_test(df, start_col="s", time_col="t", event_col="e", group_col="g")
    assert_allclose(b.statistic, a.statistic, rtol=1e-12)
    assert_allclose(b.table["expected"], a.table["expected"], rtol=1e-12)


def test_start_col_errors():
    df = pd.DataFrame({"s": [0.0, 2.0, 1.0], "t": [1.0, 2.0, 3.0], "e": [1, 1, 0],
                       "g": [0, 1, 1]})
    with pytest.raises(DataValidationError, match="start_col 's'"):
        logrank_test(df, start_col="s", time_col="t", event_col="e", group_col="g")
    with pytest.raises(ParameterError, match="unweighted"):
        logrank_test(df.iloc[[0, 2]], start_col="s", time_col="t", event_col="e",
                     group_col="g", rho=1.0)
