"""The whole pipeline on a published design: does CTC add to the clinical factors?

Janni 2016 (3,173 early breast cancer patients, ≥1 CTC in 20%) reported a multivariable DFS
hazard ratio of 1.82 (1.47–2.26) for CTC-positive patients. On its synthetic cohort one call of
``added_value`` must say yes (likelihood-ratio test), and say no when the marker's effect is
made null by permuting it across patients (which keeps its prevalence, removes any association
with outcome — and with the clinical factors, so it cannot add through them either).
"""

from __future__ import annotations

import numpy as np
import pytest

import ctcstats as cs

BASE = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
KW = dict(time_col="dfs_months", event_col="dfs_event", base_covariates=BASE,
          new_covariates=["ctc_positive"], horizon=60)


@pytest.fixture(scope="module")
def janni():
    return cs.simulate_cohort("janni2016", rng=1)


def test_ctc_adds_on_the_janni2016_design(janni):
    res = cs.added_value(janni, n_boot=20, rng=1, **KW)
    assert res.lr_df == 1 and res.lr_p_value < 1e-3
    assert res.delta_c > 0 and res.delta_auc > 0
    # with 3,173 patients the optimism is small: the corrected ΔC stays positive
    assert 0 < res.delta_c_corrected < res.delta_c
    hr = res.full_fit.table.loc["ctc_positive"]
    assert hr["ci_lower"] < 1.82 < hr["ci_upper"]  # the published multivariable HR is covered
    table = res.table.set_index("measure")
    assert {"c_index", "auc", "brier", "nri", "idi"} <= set(table.index)
    assert "<table" in res._repr_html_()


def test_no_added_value_when_the_marker_is_null(janni):
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(4):
        null = janni.assign(ctc_positive=rng.permutation(janni["ctc_positive"].to_numpy()))
        res = cs.added_value(null, n_boot=20, rng=1, **KW)
        assert res.lr_p_value > 0.01
        covered += res.delta_c_corrected_ci_lower <= 0 <= res.delta_c_corrected_ci_upper
    assert covered >= 3


def test_fit_on_janni2016_validate_on_rack2014(janni):
    """External validation across designs: a Cox model with CTC fitted on the Janni 2016
    cohort, validated on the SUCCESS (Rack 2014) cohort at 24 months."""
    features = BASE + ["ctc_positive"]
    model = cs.CoxModel().fit(janni[features], janni[["dfs_months", "dfs_event"]])
    rack = cs.simulate_cohort("rack2014", rng=2)
    res = cs.external_validation(model, rack, time_col="dfs_months", event_col="dfs_event",
                                 covariates=features, horizon=24)
    tab = res.table.set_index("measure")
    c = tab.loc["c_index"]
    assert c["ci_lower"] < c["estimate"] < c["ci_upper"] and c["estimate"] > 0.55
    assert {"brier", "calibration_slope", "ici"} <= set(tab.index)
    assert res.n_obs == len(rack)
