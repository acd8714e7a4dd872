"""impute: reproducibility, what is filled and what is kept, every covariate type, errors.
Agreement with R smcfcs / mice (in distribution) is in test_impute_reference.py; recovery of
a known HR under MAR in test_impute_simulation.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.missing import ImputationResult, impute, missing_pattern, missing_table

ROLES = {"time_col": "months", "event_col": "event"}
FAST = {"n_imputations": 3, "n_iter": 3}


def _cohort(seed=0, n=300):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.4, n)
    grade = pd.Categorical(rng.choice(["G1", "G2", "G3"], n), categories=["G1", "G2", "G3"],
                           ordered=True)
    site = rng.choice(["north", "south", "west"], n)
    vol = rng.uniform(5.0, 10.0, n)
    ctc = rng.poisson(vol * np.exp(-1.5 + 0.4 * x))
    t = rng.exponential(20 / np.exp(0.6 * x + 0.4 * z + 0.05 * ctc))
    c = rng.uniform(5, 40, n)
    d = pd.DataFrame({"x": x, "z": z, "grade": grade, "site": site, "ctc": ctc,
                      "blood_ml": vol, "months": np.minimum(t, c),
                      "event": (t <= c).astype(int)}, index=np.arange(n) * 3 + 7)
    for col, p in (("x", 0.25), ("z", 0.15), ("grade", 0.15), ("site", 0.15), ("ctc", 0.15)):
        d.loc[rng.random(n) < p, col] = np.nan
    return d


@pytest.fixture(scope="module")
def cohort():
    return _cohort()


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_fills_only_missing_cells_and_keeps_the_rest(cohort, method):
    before = cohort.copy()
    res = impute(cohort, covariates=["x", "z"], method=method, rng=1, **ROLES, **FAST)
    pd.testing.assert_frame_equal(cohort, before)  # input not mutated
    assert isinstance(res, ImputationResult) and len(res.datasets) == 3
    miss = cohort["x"].isna().to_numpy()
    for d in res.datasets:
        assert d.index.equals(cohort.index) and list(d.columns) == list(cohort.columns)
        assert not d[["x", "z"]].isna().any().any()
        assert_array_equal(d["x"].to_numpy()[~miss], cohort["x"].to_numpy()[~miss])
        assert set(d["z"].unique()) <= {0.0, 1.0}
        # columns that are not imputed are untouched (grade keeps its missing values)
        pd.testing.assert_series_equal(d["grade"], cohort["grade"])
    # the imputations differ from each other (draws, not a single fill)
    assert not np.allclose(res.datasets[0]["x"].to_numpy()[miss],
                           res.datasets[1]["x"].to_numpy()[miss])
    assert res.method == method and res.n_obs == len(cohort)


def test_same_seed_same_data_sets_and_new_seed_new_ones(cohort):
    a = impute(cohort, covariates=["x", "z"], rng=11, **ROLES, **FAST)
    b = impute(cohort, covariates=["x", "z"], rng=11, **ROLES, **FAST)
    c = impute(cohort, covariates=["x", "z"], rng=12, **ROLES, **FAST)
    for da, db in zip(a.datasets, b.datasets, strict=True):
        pd.testing.assert_frame_equal(da, db)
    assert not a.datasets[0]["x"].equals(c.datasets[0]["x"])
    pd.testing.assert_frame_equal(a.traces, b.traces)


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_row_order_and_index_labels_do_not_matter(cohort, method):
    a = impute(cohort, covariates=["x", "z"], method=method, rng=4, **ROLES, **FAST)
    shuffled = cohort.sample(frac=1.0, random_state=3)
    b = impute(shuffled, covariates=["x", "z"], method=method, rng=4, **ROLES, **FAST)
    relabelled = cohort.set_axis([f"p{i}" for i in range(len(cohort))])
    c = impute(relabelled, covariates=["x", "z"], method=method, rng=4, **ROLES, **FAST)
    for da, db, dc in zip(a.datasets, b.datasets, c.datasets, strict=True):
        pd.testing.assert_frame_equal(db.loc[da.index], da)
        assert_array_equal(dc["x"].to_numpy(), da["x"].to_numpy())


@pytest.mark.parametrize("method", ["fcs", "smcfcs"])
def test_every_covariate_type_keeps_its_dtype_and_levels(cohort, method):
    res = impute(cohort, covariates=["x", "z", "grade", "site", "ctc"],
                 types={"ctc": "count"}, volume_col="blood_ml", method=method, rng=2,
                 **ROLES, **FAST)
    kinds = dict(zip(res.methods["variable"], res.methods["type"], strict=True))
    assert kinds == {"x": "continuous", "z": "binary", "grade": "ordinal",
                     "site": "categorical", "ctc": "count"}
    for d in res.datasets:
        assert not d[["x", "z", "grade", "site", "ctc"]].isna().any().any()
        assert d["grade"].dtype == cohort["grade"].dtype  # ordered categorical kept
        assert set(d["site"]) == {"north", "south", "west"}
        ctc = d["ctc"].to_numpy()
        assert np.all(ctc >= 0) and np.all(ctc == np.round(ctc))
    # the completed data sets go straight into the analysis and the pooling
    pooled = cs.pool(res, cs.fit_cox, covariates=["x", "z", "grade", "site", "ctc"], **ROLES)
    assert pooled.table["term"].tolist() == ["x", "z", "grade[G2]", "grade[G3]",
                                             "site[south]", "site[west]", "ctc"]
    assert pooled.m == 3


def test_negative_binomial_counts_and_auxiliary_variables(cohort):
    res = impute(cohort, covariates=["x", "ctc"], auxiliary=["site"], types={"ctc": "count"},
                 count_model="negbin", volume_col="blood_ml", rng=3, **ROLES, **FAST)
    roles = dict(zip(res.methods["variable"], res.methods["role"], strict=True))
    assert roles == {"x": "covariate", "ctc": "covariate", "site": "auxiliary"}
    assert "negative binomial" in res.methods.set_index("variable").loc["ctc", "model"]
    assert not res.datasets[0][["x", "ctc", "site"]].isna().any().any()


def test_tables_and_traces(cohort):
    res = impute(cohort, covariates=["x", "z"], rng=5, **ROLES, **FAST)
    n = len(cohort)
    exp = pd.DataFrame({"variable": ["x", "z"],
                        "n_missing": [int(cohort.x.isna().sum()), int(cohort.z.isna().sum())]})
    assert_array_equal(res.missing["n_missing"], exp["n_missing"])
    assert np.allclose(res.missing["percent"], 100 * exp["n_missing"] / n)
    assert res.pattern["n_patients"].sum() == n
    assert res.pattern.iloc[0][["x", "z"]].tolist() == [1, 1]  # complete rows first
    tr = res.traces
    assert list(tr.columns) == ["variable", "imputation", "iteration", "statistic", "value"]
    assert len(tr) == 2 * 3 * 3 * 2  # variables x chains x cycles x (mean, sd)
    # the last-cycle mean of chain k is the mean of the imputed values in data set k
    last = tr[(tr.variable == "x") & (tr.iteration == 3) & (tr.statistic == "mean")]
    miss = cohort["x"].isna().to_numpy()
    for k, d in enumerate(res.datasets, start=1):
        assert np.isclose(last.loc[last.imputation == k, "value"].item(),
                          d["x"].to_numpy()[miss].mean())
    ovi = res.observed_vs_imputed("x", max_imputations=2)
    assert (ovi["source"] == "observed").sum() == (~miss).sum()
    assert (ovi["imputation"] == 2).sum() == miss.sum()
    out = res.to_dict()
    assert "not exported" in out["datasets"] and out["n_imputations"] == 3


def test_missing_table_and_pattern_functions():
    d = pd.DataFrame({"a": [1.0, None, 3.0, None, 5.0], "b": ["x", None, "y", "z", "x"]})
    tab = missing_table(d)
    assert tab.to_dict("list") == {"variable": ["a", "b"], "n_missing": [2, 1],
                                   "percent": [40.0, 20.0]}
    pat = missing_pattern(d)
    assert pat.to_dict("list") == {"a": [1, 0, 0], "b": [1, 1, 0], "n_patients": [3, 1, 1],
                                   "n_missing": [0, 1, 2]}


def test_nothing_missing_gives_copies_and_a_warning(cohort):
    full = cohort.dropna(subset=["x", "z"])
    with pytest.warns(cs.CTCStatsWarning, match="no covariate has missing values"):
        res = impute(full, covariates=["x", "z"], rng=1, **ROLES, **FAST)
    pd.testing.assert_frame_equal(res.datasets[0], full)


def test_errors(cohort):
    d = cohort.copy()
    d.loc[d.index[:2], "months"] = np.nan
    with pytest.raises(DataValidationError, match="time_col 'months' has 2 missing values"):
        impute(d, covariates=["x"], **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="covariates 'nope' is not a column"):
        impute(cohort, covariates=["nope"], **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="'x' is missing in every row"):
        impute(cohort.assign(x=np.nan), covariates=["x"], **ROLES, **FAST)
    with pytest.raises(DataValidationError, match=r"single level \(.north. in every row\)"):
        impute(cohort.assign(site=cohort.site.where(cohort.site.isna(), "north")),
               covariates=["site"], **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="count covariate 'x' has"):
        impute(cohort, covariates=["x"], types={"x": "count"}, **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="declared binary but has 3"):
        impute(cohort, covariates=["grade"], types={"grade": "binary"}, **ROLES, **FAST)
    with pytest.raises(ParameterError, match="'types' parameter of impute names"):
        impute(cohort, covariates=["x"], types={"z": "binary"}, **ROLES, **FAST)
    with pytest.raises(ParameterError, match="'method' parameter"):
        impute(cohort, covariates=["x"], method="pmm", **ROLES, **FAST)
    with pytest.raises(ParameterError, match="write \\['x'\\]"):
        impute(cohort, covariates="x", **ROLES, **FAST)
    with pytest.raises(ParameterError, match="named twice"):
        impute(cohort, covariates=["x"], auxiliary=["x"], **ROLES, **FAST)
    with pytest.raises(ParameterError, match="declare the count column"):
        impute(cohort, covariates=["x"], volume_col="blood_ml", **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="event_col 'event' must contain only 0/1"):
        impute(cohort.assign(event=cohort.event * 2), covariates=["x"], **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="numbers stored as text"):
        impute(cohort.assign(z=cohort.z.map(lambda v: v if pd.isna(v) else str(int(v)))),
               covariates=["z"], **ROLES, **FAST)
    res = impute(cohort, covariates=["x"], rng=1, **ROLES, **FAST)
    with pytest.raises(ParameterError, match="'variable' parameter of observed_vs_imputed"):
        res.observed_vs_imputed("z")


def test_parallel_chains_give_the_same_data_sets(cohort):
    small = cohort.iloc[:120]
    one = impute(small, covariates=["x", "z"], rng=6, n_imputations=2, n_iter=2, **ROLES)
    two = impute(small, covariates=["x", "z"], rng=6, n_imputations=2, n_iter=2, n_jobs=2,
                 **ROLES)
    for a, b in zip(one.datasets, two.datasets, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_competing_risks_uses_every_cause(cohort):
    rng = np.random.default_rng(3)
    d = cohort.assign(event=np.where(cohort.event == 1, rng.integers(1, 3, len(cohort)), 0))
    for method in ("smcfcs", "fcs"):
        res = impute(d, covariates=["x", "z"], competing_risks=True, method=method, rng=1,
                     **ROLES, **FAST)
        assert not res.datasets[0][["x", "z"]].isna().any().any()
        model = res.methods.set_index("variable").loc["x", "model"]
        assert ("cause-specific Cox" if method == "smcfcs" else "per cause") in model
    # with one cause the competing-risks chain is the Cox chain, draw for draw
    a = impute(cohort, covariates=["x", "z"], competing_risks=True, rng=2, **ROLES, **FAST)
    b = impute(cohort, covariates=["x", "z"], rng=2, **ROLES, **FAST)
    pd.testing.assert_frame_equal(a.datasets[2], b.datasets[2])
    with pytest.raises(DataValidationError, match="event_col 'event' must contain only 0/1"):
        impute(d, covariates=["x"], **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="whole-number event codes"):
        impute(d.assign(event=d.event - 0.5), covariates=["x"], competing_risks=True,
               **ROLES, **FAST)
    with pytest.raises(ParameterError, match="'competing_risks' parameter"):
        impute(d, covariates=["x"], competing_risks="yes", **ROLES, **FAST)


def test_numeric_codes_are_imputed_as_codes(cohort):
    d = cohort.assign(grade_code=cohort["grade"].cat.codes.astype(float).replace(-1, np.nan) + 1)
    res = impute(d, covariates=["x", "grade_code"], rng=3, **ROLES, **FAST)
    assert res.methods.set_index("variable").loc["grade_code", "type"] == "ordinal"
    assert set(res.datasets[0]["grade_code"].unique()) == {1.0, 2.0, 3.0}
    # the Cox model takes the column as numeric: one linear term
    fit = cs.pool(res, cs.fit_cox, covariates=["x", "grade_code"], **ROLES)
    assert fit.table["term"].tolist() == ["x", "grade_code"]


def test_study_col_fixed_effect_and_systematic_missingness(cohort):
    d = cohort.assign(centre=np.where(np.arange(len(cohort)) % 3 == 0, "A",
                                      np.where(np.arange(len(cohort)) % 3 == 1, "B", "C")))
    res = impute(d, covariates=["x", "z"], study_col="centre", rng=2, **ROLES, **FAST)
    assert res.methods.set_index("variable").loc["centre", "role"] == "study"
    assert res.missing["variable"].tolist() == ["x", "z"]
    pooled = cs.pool(res, cs.fit_cox, covariates=["x", "z", "centre"], **ROLES)
    assert pooled.table["term"].tolist() == ["x", "z", "centre[B]", "centre[C]"]
    holed = d.copy()
    holed.loc[holed.centre == "B", "x"] = np.nan
    with pytest.raises(DataValidationError, match="'x' is missing for every patient of "
                                                  "study 'B'.*study_model='random'"):
        impute(holed, covariates=["x", "z"], study_col="centre", **ROLES, **FAST)
    with pytest.raises(DataValidationError, match="study_col 'centre' has a single study"):
        impute(d.assign(centre="A"), covariates=["x"], study_col="centre", **ROLES, **FAST)
    with pytest.raises(ParameterError, match="study_col 'centre' is also among"):
        impute(d, covariates=["x", "centre"], study_col="centre", **ROLES, **FAST)
