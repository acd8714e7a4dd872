"""add_missingness: rates are met, the mechanism is what it says, the assumption is recorded,
errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError


@pytest.fixture(scope="module")
def cohort():
    return cs.simulate_cohort("cristofanilli2004", n=2000, rng=1)


def test_rates_and_recorded_assumption(cohort):
    before = cohort.copy()
    out = cs.add_missingness(cohort, rates={"age": 0.3, "ctc_count": 0.1},
                             depends_on=["os_event"], strength=1.5, rng=2)
    pd.testing.assert_frame_equal(cohort, before)  # input unchanged
    assert out.index.equals(cohort.index) and list(out.columns) == list(cohort.columns)
    # binomial SD of a proportion at n = 2000 is ~0.01; 4 SD
    assert abs(out["age"].isna().mean() - 0.3) < 0.04
    assert abs(out["ctc_count"].isna().mean() - 0.1) < 0.03
    rec = {r["variable"]: r for r in out.attrs["missingness"]}
    assert rec["age"]["source"] == "assumption" and rec["age"]["mechanism"] == "mar"
    assert rec["age"]["n_missing"] == int(out["age"].isna().sum())
    assert rec["age"]["depends_on"] == ["os_event"]
    kept = out["age"].notna()
    assert np.array_equal(out.loc[kept, "age"], cohort.loc[kept, "age"])
    # MAR on the event: patients with an event miss more often
    ev = cohort["os_event"] == 1
    assert out.loc[ev, "age"].isna().mean() > out.loc[~ev, "age"].isna().mean() + 0.15


def test_mcar_is_unrelated_and_mnar_depends_on_the_value(cohort):
    mcar = cs.add_missingness(cohort, rates={"age": 0.3}, mechanism="mcar", rng=3)
    ev = cohort["os_event"] == 1
    assert abs(mcar.loc[ev, "age"].isna().mean() - mcar.loc[~ev, "age"].isna().mean()) < 0.07
    mnar = cs.add_missingness(cohort, rates={"age": 0.3}, mechanism="mnar", strength=2.0,
                              rng=3)
    gone = mnar["age"].isna()
    assert cohort.loc[gone, "age"].mean() > cohort.loc[~gone, "age"].mean() + 5
    assert mnar.attrs["missingness"][0]["depends_on"] == ["age"]


def test_same_seed_same_holes(cohort):
    a = cs.add_missingness(cohort, rates={"age": 0.2}, depends_on=["os_event"], rng=9)
    b = cs.add_missingness(cohort, rates={"age": 0.2}, depends_on=["os_event"], rng=9)
    assert a["age"].isna().equals(b["age"].isna())


def test_errors(cohort):
    with pytest.raises(ParameterError, match="needs depends_on"):
        cs.add_missingness(cohort, rates={"age": 0.2})
    with pytest.raises(ParameterError, match=r"rates\['age'\]\" parameter .* must be in \(0, 1\)"):
        cs.add_missingness(cohort, rates={"age": 1.0}, mechanism="mcar")
    with pytest.raises(DataValidationError, match="column 'agee' is not a column"):
        cs.add_missingness(cohort, rates={"agee": 0.2}, mechanism="mcar")
    with pytest.raises(ParameterError, match="write \\['os_event'\\]"):
        cs.add_missingness(cohort, rates={"age": 0.2}, depends_on="os_event")
    with pytest.raises(ParameterError, match="both deleted and drive"):
        cs.add_missingness(cohort, rates={"age": 0.2}, depends_on=["age"])
    holed = cohort.assign(grade=np.where(cohort.index % 2 == 0, "G1", "G2"))
    with pytest.raises(DataValidationError, match="depends_on 'grade' holds text"):
        cs.add_missingness(holed, rates={"age": 0.2}, depends_on=["grade"])
    with pytest.raises(ParameterError, match="'rates' parameter of add_missingness"):
        cs.add_missingness(cohort, rates={}, mechanism="mcar")


def test_systematic_deletes_whole_studies_and_records_it():
    d = cs.simulate_cohort("braun2005", n=900, rng=1)
    out = cs.add_missingness(d, rates={"age": 0.1}, mechanism="mcar",
                             systematic={"tumor_size_cm": ["S02", "S05"]}, study_col="study",
                             rng=2)
    gap = out["study"].isin(["S02", "S05"])
    assert out.loc[gap, "tumor_size_cm"].isna().all()
    assert out.loc[~gap, "tumor_size_cm"].notna().all()
    rec = out.attrs["missingness"][-1]
    assert rec["mechanism"] == "systematic" and rec["studies"] == ["S02", "S05"]
    assert rec["n_missing"] == int(gap.sum()) and rec["source"] == "assumption"
    only = cs.add_missingness(d, systematic={"node_positive": ["S01"]}, study_col="study")
    assert only["node_positive"].isna().sum() == int((d["study"] == "S01").sum())
    with pytest.raises(ParameterError, match="needs study_col"):
        cs.add_missingness(d, systematic={"age": ["S01"]})
    with pytest.raises(DataValidationError, match=r"names studies \['S99'\]"):
        cs.add_missingness(d, systematic={"age": ["S99"]}, study_col="study")
    with pytest.raises(ParameterError, match="must be a list of studies"):
        cs.add_missingness(d, systematic={"age": "S01"}, study_col="study")
