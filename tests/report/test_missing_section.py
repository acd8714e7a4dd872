"""Report section "Missing covariates": shown only when covariates are missing, with the
missingness table and both Cox analyses; spec field / CLI flag choose the primary one."""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.cli import main
from ctcstats.report import build_report, spec_from_design
from ctcstats.report.spec import SpecError


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def holed():
    df = cs.simulate_cohort("cristofanilli2004", n=250, rng=1)
    return cs.add_missingness(df, rates={"age": 0.2, "hr_positive": 0.15},
                              depends_on=["os_event"], rng=2)


@pytest.fixture(scope="module")
def spec():
    return dataclasses.replace(spec_from_design("cristofanilli2004", rng=1), n_imputations=3)


def test_section_with_both_analyses_mi_primary(holed, spec):
    html = build_report(holed, dataclasses.replace(spec, primary_analysis="multiple_imputation"))
    text = _text(html)
    assert "6.3 Missing covariates: complete cases and multiple imputation" in text
    n_age = int(holed["age"].isna().sum())
    assert re.search(rf"covariate missing % age {n_age} ", text)
    assert "(primary: multiple imputation; sensitivity: complete cases)" in text
    assert "kept by multiple imputation in the primary multivariable analysis" in text
    # the table has both columns for every term
    assert "complete cases: HR (95% CI) p imputed: HR (95% CI) p FMI CTC ≥ 5" in text
    assert "Multiple imputation: 250 patients, 3 data sets" in text


def test_complete_case_primary_is_the_default(holed, spec):
    text = _text(build_report(holed, spec))
    assert "(primary: complete cases; sensitivity: multiple imputation)" in text
    assert "The complete-case multivariable model is primary" in text


def test_no_section_without_missing_covariates(spec):
    df = cs.simulate_cohort("cristofanilli2004", n=150, rng=3)
    text = _text(build_report(df, spec))
    assert "Missing covariates" not in text and "multiple imputation" not in text


def test_cli_flag_and_spec_field(holed, tmp_path):
    path = tmp_path / "cohort.csv"
    holed.to_csv(path, index=False)
    out = tmp_path / "r.html"
    assert main(["report", str(path), "--time-col", "os_months", "--event-col", "os_event",
                 "--marker-col", "ctc_count", "--threshold", "5", "--covariates",
                 "age,hr_positive", "--primary-analysis", "multiple_imputation", "--quiet",
                 "--out", str(out)]) == 0
    text = _text(out.read_text(encoding="utf-8"))
    assert "(primary: multiple imputation; sensitivity: complete cases)" in text
    # the spec recorded in the provenance carries the choice
    assert re.search(r"primary_analysis = (&#34;|&quot;|\")multiple_imputation",
                     out.read_text(encoding="utf-8"))


def test_spec_field_is_validated():
    with pytest.raises(SpecError, match="primary_analysis"):
        dataclasses.replace(spec_from_design("cristofanilli2004", rng=1),
                            primary_analysis="imputed")


def test_strata_enter_the_imputation_and_systematic_missingness_is_explained(holed, spec):
    d = holed.assign(centre=["A", "B", "C"] * (len(holed) // 3) + ["A"] * (len(holed) % 3))
    strat = dataclasses.replace(spec, strata_col="centre")
    text = _text(build_report(d, strat))
    assert "The strata (centre) enter the imputation models as fixed effects." in text
    d.loc[d["centre"] == "B", "age"] = np.nan
    text = _text(build_report(d, strat))
    # a covariate missing for a whole centre: study-level random-effects imputation models
    assert "Multiple imputation was not done" not in text
    assert "age is not recorded for every patient of some centre (systematically missing)" \
           in text
    assert "two-stage random-effects models" in text
    assert "enter the imputation models as fixed effects" not in text
    assert "imputed: HR (95% CI)" in text
    # a 3-level text covariate missing for a whole centre, with too few centres able to fit
    # its study-level model: not imputed, and the report says why in words
    d["site"] = np.random.default_rng(4).choice(["bone", "liver", "lung"], len(d))
    d.loc[(d["centre"] == "C") | (np.arange(len(d)) % 7 == 0), "site"] = None
    text = _text(build_report(d, dataclasses.replace(strat, covariates=(*strat.covariates,
                                                                         "site"))))
    assert "Multiple imputation was not done: covariate 'site': only 1 study could fit the " \
           "study-level imputation model" in text


def test_categorical_strata_with_an_unused_level_is_not_a_systematic_gap(holed, spec):
    """A categorical strata column whose categories include a centre with no patient (as
    after subsetting a categorical frame): that empty centre is not a centre where every
    covariate is missing (pandas' default groupby would make it an empty group whose
    ``all()`` is vacuously True, and switch the imputation to random study effects)."""
    centre = (["A", "B", "C"] * len(holed))[: len(holed)]
    d = holed.assign(centre=pd.Categorical(centre, categories=["A", "B", "C", "D"]))
    text = _text(build_report(d, dataclasses.replace(spec, strata_col="centre")))
    assert "The strata (centre) enter the imputation models as fixed effects." in text
    assert "systematically missing" not in text
    assert "two-stage random-effects models" not in text


def test_numeric_categorical_with_missing_values_keeps_its_level_names(holed, spec):
    """A categorical covariate coded 1/2/3 that has missing values is stored as floats: the
    missing-covariates table names its terms as the other sections do (``grade: 2 vs 1``,
    from the complete cases), not ``grade[2.0]`` or ``2.0 vs 1.0``."""
    g = np.random.default_rng(5).choice([1.0, 2.0, 3.0], len(holed))
    d = holed.assign(grade=np.where(np.arange(len(holed)) % 11 == 0, np.nan, g))
    sp = dataclasses.replace(spec, covariates=(*spec.covariates, "grade"),
                             categorical=("grade",))
    text = _text(build_report(d, sp))
    assert "6.3 Missing covariates" in text
    mi = text[text.index("6.3 Missing covariates"):]
    assert re.search(r"grade: 2 vs 1 \d\.\d\d \(", mi)
    assert re.search(r"grade: 3 vs 1 \d\.\d\d \(", mi)
    assert "grade[2.0]" not in text and "2.0 vs" not in text and "vs 1.0" not in text
