"""count_categories feeds fit_cox (indicators against "0") and logrank_test(trend=True).

fit_cox's factor handling and the trend test are each checked against R elsewhere
(tests/survival); here we check that the ordered categories arrive as intended: the Cox fit
equals one on hand-made indicator columns, and the trend test equals one on integer scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

import ctcstats as cs


def _cohort(seed=5, n=800) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    conc = np.where(rng.random(n) < 0.6, 0.0, rng.gamma(0.5, 1.2, n))
    count = rng.poisson(conc * 7.5)
    lp = 0.35 * np.log1p(count)
    t = rng.exponential(30 * np.exp(-lp))
    c = rng.uniform(12, 48, n)
    return pd.DataFrame({"ctc_count": count, "os_months": np.minimum(t, c).round(1),
                         "os_event": (t <= c).astype(int)})


def test_categories_as_cox_covariate_and_trend_group():
    d = _cohort()
    d = d.assign(ctc_cat=cs.count_categories(d, count_col="ctc_count"))
    assert list(d["ctc_cat"].cat.categories) == ["0", "1", "2", "3–4", "≥5"]
    fit = cs.fit_cox(d, time_col="os_months", event_col="os_event", covariates=["ctc_cat"])
    assert fit.table.index.tolist() == ["ctc_cat[1]", "ctc_cat[2]", "ctc_cat[3–4]", "ctc_cat[≥5]"]
    manual = d.assign(**{f"c{i}": (d["ctc_cat"] == lev).astype(int)
                         for i, lev in enumerate(["1", "2", "3–4", "≥5"])})
    ref = cs.fit_cox(manual, time_col="os_months", event_col="os_event",
                     covariates=["c0", "c1", "c2", "c3"])
    assert_allclose(fit.table["coef"].to_numpy(), ref.table["coef"].to_numpy(), rtol=1e-10)
    assert_allclose(fit.table["std_error"].to_numpy(), ref.table["std_error"].to_numpy(), rtol=1e-10)
    # dose-response: the ≥5 category carries the largest hazard ratio
    assert fit.table["hr"].idxmax() == "ctc_cat[≥5]"

    trend = cs.logrank_test(d, time_col="os_months", event_col="os_event", group_col="ctc_cat",
                            trend=True)
    scores = d.assign(score=d["ctc_cat"].cat.codes + 1)
    trend_num = cs.logrank_test(scores, time_col="os_months", event_col="os_event",
                                group_col="score", trend=True)
    assert trend.df == 1
    assert_allclose(trend.statistic, trend_num.statistic, rtol=1e-12)
    assert trend.p_value < 1e-3
