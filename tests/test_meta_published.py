"""The built-in table of published CTC/DTC hazard ratios."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import DataValidationError


def test_table_is_complete_and_consistent():
    full = cs.published_hazard_ratios(with_ci_only=False)
    assert (full["source"].str.len() > 10).all()  # every row names its source
    assert set(full["level"]) == {"study", "pooled IPD", "meta-analysis"}
    ci = full.dropna(subset=["ci_lower"])
    assert ((ci["ci_lower"] < ci["hr"]) & (ci["hr"] < ci["ci_upper"])).all()
    # every CI is a Wald interval on the log scale up to rounding: the converter accepts them
    conv = cs.log_hr_from_ci(ci, hr_col="hr", lower_col="ci_lower", upper_col="ci_upper")
    assert_allclose(conv["std_error"], ci["std_error"], rtol=1e-12)
    # spot checks against published_designs.md
    janni = full[(full["study"] == "Janni 2016") & (full["endpoint"] == "OS")].iloc[0]
    assert (janni["hr"], janni["ci_lower"], janni["ci_upper"], janni["n"]) == (1.97, 1.51, 2.59, 3173)
    braun = full[(full["study"] == "Braun 2005") & (full["time_window"] == ">5 years")].iloc[0]
    assert (braun["hr"], braun["ci_lower"], braun["ci_upper"]) == (1.58, 1.12, 2.22)
    # numbers published without a CI are kept but are not poolable
    debono = full[full["study"] == "de Bono 2008"].iloc[0]
    assert debono["hr"] == 3.3 and np.isnan(debono["ci_lower"]) and np.isnan(debono["log_hr"] + debono["std_error"])
    assert "de Bono 2008" not in set(cs.published_hazard_ratios()["study"])


def test_filters_and_pooling_primary_contrasts():
    t = cs.published_hazard_ratios(setting="early", endpoint="os", cancer="Breast", primary_only=True)
    assert t["study"].is_unique  # one row per study: nothing counted twice
    assert t["primary"].all()
    studies = t[t["level"] != "meta-analysis"]
    res = cs.meta_analysis(studies, estimate_col="log_hr", std_error_col="std_error",
                           study_col="study", method="reml", test="knha")
    assert res.k == 7
    assert 1.2 < np.exp(res.estimate) < 2.5 and res.ci_lower < res.estimate < res.ci_upper


def test_unknown_filter_value_lists_options():
    with pytest.raises(DataValidationError, match=r"no published hazard ratio has marker='RNA'; available values: 'CTC', 'DTC'"):
        cs.published_hazard_ratios(marker="RNA")
