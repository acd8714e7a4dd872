"""What notebooks/09_missing_covariates.py shows, on the same public calls and seeds.
(pool/impute against R are in tests/missing/test_pool_reference.py and
test_impute_reference.py.)"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ctcstats as cs

ROLES = {"time_col": "os_months", "event_col": "os_event",
         "covariates": ["ctc_ge5", "age", "hr_positive", "her2_positive"]}
COLON = Path(__file__).resolve().parents[1] / "reference" / "missing" / "inputs" / "colon_mar.csv"


@pytest.fixture(scope="module")
def synthetic():
    full = cs.simulate_cohort("cristofanilli2004", n=600, rng=2004)
    full["ctc_ge5"] = (full["ctc_count"] >= 5).astype(int)
    cohort = cs.add_missingness(full, rates={"age": 0.30, "hr_positive": 0.25},
                                depends_on=["os_event"], strength=1.5, rng=9)
    fit_full = cs.fit_cox(full, **ROLES).table["coef"]
    fit_cc = cs.fit_cox(cohort, missing="drop", **ROLES)
    imp = cs.impute(cohort, n_imputations=10, rng=1, **ROLES)
    mi = cs.pool(imp, cs.fit_cox, **ROLES).table.set_index("term")
    return cohort, fit_full, fit_cc, imp, mi


def test_complete_cases_lose_40_percent(synthetic):
    cohort, _, fit_cc, _, _ = synthetic
    assert 0.35 <= fit_cc.n_dropped / len(cohort) <= 0.45


def test_mi_is_closer_to_the_full_data_fit(synthetic):
    _, full, fit_cc, _, mi = synthetic
    cc = fit_cc.table["coef"]
    for term in ("ctc_ge5", "hr_positive", "her2_positive"):
        assert abs(mi.loc[term, "estimate"] - full[term]) < abs(cc[term] - full[term])
    assert (mi["std_error"] < fit_cc.table["std_error"]).all()


def test_missing_age_goes_with_death(synthetic):
    cohort, *_ = synthetic
    died = cohort["os_event"] == 1
    assert cohort.loc[died, "age"].isna().mean() > cohort.loc[~died, "age"].isna().mean()


def test_colon_fmi_and_tables():
    colon = pd.read_csv(COLON)
    colon["differ"] = pd.Categorical(colon["differ"].map({1: "well", 2: "moderate",
                                                          3: "poor"}),
                                     categories=["well", "moderate", "poor"])
    roles = {"time_col": "time", "event_col": "status",
             "covariates": ["rx", "age", "obstruct", "nodes", "differ"]}
    tab = cs.missing_table(colon, roles["covariates"]).set_index("variable")
    assert tab.loc["nodes", "n_missing"] == 229 and tab.loc["differ", "n_missing"] == 167
    with pytest.warns(cs.CTCStatsWarning, match="rejection sampling"):
        imp = cs.impute(colon, n_imputations=10, rng=7, **roles)
    mi = cs.pool(imp, cs.fit_cox, **roles).table.set_index("term")
    # the imputed variables carry missing information, the complete ones almost none
    assert mi.loc["nodes", "fmi"] > 0.1 and mi.loc["differ[poor]", "fmi"] > 0.05
    assert mi.loc["age", "fmi"] < 0.1
    assert 1.05 < mi.loc["nodes", "hr"] < 1.12


def test_competing_risks_x_effects():
    compet = pd.read_csv(COLON.parent / "compet_mar.csv")
    with pytest.warns(cs.CTCStatsWarning, match="rejection sampling"):
        imp = cs.impute(compet, time_col="t", event_col="d", covariates=["x", "z"],
                        competing_risks=True, n_imputations=10, rng=3)

    def fit(cause):
        def f(data):
            return cs.fit_cox(data.assign(cause=(data["d"] == cause).astype(int)),
                              time_col="t", event_col="cause", covariates=["x", "z"])
        return f

    cc1 = fit(1)(compet.dropna()).table.loc["x", "coef"]
    mi1 = cs.pool(imp, fit(1)).table.set_index("term").loc["x", "estimate"]
    mi2 = cs.pool(imp, fit(2)).table.set_index("term").loc["x", "estimate"]
    assert cc1 > 0.8 and abs(mi1 - 0.7) < abs(cc1 - 0.7)  # simulated log HRs 0.7, -0.4
    assert abs(mi2 + 0.4) < 0.1


def test_pooled_studies_with_whole_study_gaps():
    """Section 6: covariates not recorded in whole studies (braun2005, 1,500 patients)."""
    import warnings

    import numpy as np

    cov = ["dtc_positive", "tumor_size_cm", "node_positive"]
    roles = {"time_col": "os_months", "event_col": "os_event"}
    full = cs.simulate_cohort("braun2005", n=1500, rng=2005)
    pooled = cs.add_missingness(
        full, rates={"tumor_size_cm": 0.2, "node_positive": 0.1}, depends_on=["os_event"],
        strength=0.5, systematic={"tumor_size_cm": ["S02", "S05"], "node_positive": ["S03"]},
        study_col="study", rng=1)
    with pytest.raises(cs.DataValidationError, match="study_model='random'"):
        cs.impute(pooled, covariates=cov, study_col="study", **roles)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.CTCStatsWarning)  # rejection sampling, S09
        imp = cs.impute(pooled, covariates=cov, study_col="study", study_model="random",
                        n_imputations=5, rng=6, **roles)
        cc = cs.fit_cox(pooled, covariates=[*cov, "study"], missing="drop", **roles)
    ref = cs.fit_cox(full, covariates=[*cov, "study"], **roles).table.loc["dtc_positive"]
    mi = cs.pool(imp, cs.fit_cox, covariates=[*cov, "study"], **roles).table
    mi = mi.set_index("term").loc["dtc_positive"]
    assert abs(mi["estimate"] - ref["coef"]) < 0.1  # 0.64 vs 0.67
    assert cc.table.loc["dtc_positive", "coef"] - ref["coef"] > 0.3  # 1.08: far off
    assert np.isclose(imp.methods.set_index("variable").loc["tumor_size_cm", "n_missing"],
                      pooled["tumor_size_cm"].isna().sum())


def test_section7_derived_terms_and_pmm(synthetic):
    """Section 7: the spline/quadratic/interaction terms give the model's columns; PMM with
    FCS imputes observed ages only."""
    import numpy as np

    ref = Path(__file__).resolve().parents[1] / "reference" / "impute_terms" / "inputs"
    marker = pd.read_csv(ref / "terms_mar.csv")
    terms = {"a_sq": lambda d: d["a"] ** 2, "lc": cs.rcs_term("ctc", 4, data=marker),
             "lc_trt": lambda d: np.log1p(d["ctc"]) * d["trt"]}
    imp = cs.impute(marker, time_col="months", event_col="event",
                    covariates=["a", "a_sq", "lc", "trt", "lc_trt"], terms=terms,
                    types={"ctc": "count"}, n_imputations=2, n_iter=2, rng=4)
    assert imp.model_covariates == ("a", "a_sq", "lc_1", "lc_2", "lc_3", "trt", "lc_trt")
    cohort = synthetic[0]
    pmm = cs.impute(cohort, method="fcs", continuous_model="pmm", n_imputations=5, rng=1,
                    **ROLES)
    vals = pmm.observed_vs_imputed("age").query("source == 'imputed'")["value"]
    assert set(vals) <= set(cohort["age"].dropna())
