"""Registry of published designs: contents, provenance and design-file errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

from ctcstats.designs import StudyDesign, get_design, list_designs, load_design_file
from ctcstats.errors import DataValidationError

REQUIRED = ["braun2005", "cristofanilli2004", "hayes2006", "janni2016", "rack2014", "lucci2012",
            "cohen2008", "debono2008", "smerage2014"]
EXTRA = ["neoadjuvant_ipd", "paddy", "vandalum2015"]
ALL = REQUIRED + EXTRA


def test_required_and_extra_keys_registered():
    keys = set(list_designs()["key"])
    assert set(ALL) <= keys


def test_list_designs_columns():
    table = list_designs()
    for col in ("key", "citation", "setting", "n", "marker", "threshold", "endpoints",
                "prevalence", "median_follow_up_months", "serial"):
        assert col in table.columns
    assert table["key"].is_unique
    row = table.set_index("key").loc["braun2005"]
    assert row["n"] == 4703 and row["marker"] == "DTC" and row["threshold"] == 1
    assert row["endpoints"] == "os,bcss,dfs,ddfs"
    assert row["n_studies"] == 9


def test_get_design_unknown_key_lists_available():
    with pytest.raises(DataValidationError, match=r"unknown design 'braun2006'; available "
                       r"designs: .*braun2005.*smerage2014"):
        get_design("braun2006")


def test_design_is_frozen():
    d = get_design("janni2016")
    assert isinstance(d, StudyDesign)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.key = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.model.progression.rate = 1.0
    with pytest.raises(TypeError):
        d.covariates[0].log_hr["progression"] = 1.0


@pytest.mark.parametrize("key", ALL)
def test_every_number_has_provenance(key):
    table = get_design(key).numbers()
    assert set(table["status"]) <= {"published", "assumption", "calibrated"}
    pub = table["status"] == "published"
    assert (table.loc[pub, "source"].str.strip() != "").all()
    assert (table.loc[~pub, "reason"].str.strip() != "").all()
    cal = table["status"] == "calibrated"
    assert (table.loc[cal, "source"] == f"{key}.calibrated.toml").all()


@pytest.mark.parametrize("key", ALL)
def test_not_found_items_are_assumptions(key):
    d = get_design(key)
    table = d.numbers().set_index("field")
    for field in d.not_found:
        assert table.loc[field, "status"] == "assumption", field


def test_facts_marked_not_found_are_assumptions():
    # items the facts file marks "not found" (spot checks across designs)
    checks = {
        ("cohen2008", "marker.prevalence"),
        ("cohen2008", "follow_up.median_months"),
        ("cristofanilli2004", "follow_up.median_months"),
        ("debono2008", "follow_up.median_months"),
        ("braun2005", "marker.cells_examined"),
        ("janni2016", "marker.volume_ml"),
        ("lucci2012", "marker.volume_ml"),
        ("neoadjuvant_ipd", "follow_up.median_months"),
    }
    for key, field in checks:
        assert get_design(key).numbers().set_index("field").loc[field, "status"] == \
            "assumption", (key, field)
    # a median reported only as "> 18 months" is never stored as a published median
    d = get_design("cristofanilli2004")
    assert d.result("os_median_baseline_neg").status == "assumption"
    assert d.result("os_median_baseline_neg_bound").kind == "median_lower_bound"


def test_published_numbers_match_facts():
    b = get_design("braun2005")
    assert b.prevalence == 0.306 and b.follow_up.median_months.value == pytest.approx(62.4)
    r = b.result("os_hr_0_5")
    assert (r.value, r.ci, r.window, r.kind) == (1.81, (1.51, 2.16), (0.0, 60.0),
                                                  "hr_multivariable")
    assert b.result("os_hr_5_10").value == 1.58
    assert b.result("os_rr").value == 2.15 and b.result("bcss_rr").value == 2.44
    j = get_design("janni2016")
    assert [j.result(f"{e}_hr").value for e in ("dfs", "ddfs", "bcss", "os")] == \
        [1.82, 1.89, 2.04, 1.97]
    assert j.result("dfs_hr").covariates == ("tumor_size_cm", "node_positive", "grade",
                                             "hr_positive", "her2_positive")
    h = get_design("hayes2006")
    assert [h.result(f"pfs_median_d{j}_pos").value for j in range(5)] == [2.7, 1.3, 1.4,
                                                                          3.0, 3.6]
    assert h.serial.windows == ((0, 0), (3, 5), (6, 8), (9, 14), (15, 20))
    s = get_design("smerage2014")
    assert [s.result(f"os_median_{a}").value for a in "AB"] == [35.0, 23.0]
    n = get_design("neoadjuvant_ipd")
    assert n.marker.categories == (0, 1, 2, 3, 5)
    assert n.result("os_hr_ge5").value == 6.25


def test_citation_fields():
    c = get_design("braun2005").citation
    assert (c.journal, c.year, c.doi, c.pmid) == ("N Engl J Med", 2005, "10.1056/NEJMoa050434",
                                                  "16120859")
    assert "Braun S" in str(c)


def test_load_design_file_round_trip():
    d = get_design("lucci2012")
    u = load_design_file(d.path)
    assert u.key == d.key and u.parameters() == d.parameters() and u.results == d.results
    assert u == dataclasses.replace(d, path=u.path)


# --------------------------------------------------------------------------- user files
def _lucci_text() -> str:
    return Path(get_design("lucci2012").path).read_text(encoding="utf-8")


def _write(tmp_path, text: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('prevalence = {value = 0.2417, status = "published", source = "PubMed abstract: 73/302 (24%)"}',
         'prevalence = {value = 1.3, status = "published", source = "x"}',
         r"field 'marker.prevalence' must be in \(0, 1\); got 1.3"),
        ('threshold = {value = 1, status = "published", source = "PubMed abstract: ≥1 CTC"}',
         'threshold = {value = -1, status = "published", source = "x"}',
         r"field 'marker.threshold' must be in \[1, inf\); got -1"),
        ('median_months = {value = 35.0, status = "published", source = "PubMed abstract: median follow-up 35 months"}',
         'median_months = {value = -3.0, status = "published", source = "x"}',
         r"field 'follow_up.median_months' must be in \(0, inf\); got -3.0"),
        ("ci = [1.28, 12.8]", "ci = [5.0, 12.8]",
         r"field 'results.os_hr.ci' \[5.0, 12.8\] does not contain the estimate 4.04"),
        ('endpoint = "os"', 'endpoint = "bcss"',
         r"field 'results.os_hr.endpoint' 'bcss' is not an endpoint of this design"),
        ('zero_fraction = {value = 0.5,', 'zero_fraction = {value = 0.8,',
         r"field 'marker.prevalence' \(0.2417\) must be below 1 − marker.zero_fraction"),
        ('threshold = {value = 1, status = "published", source = "PubMed abstract: ≥1 CTC"}',
         'threshold = {value = 1, status = "published"}',
         r"field 'marker.threshold' is published but has no 'source'"),
        ('gamma_shape = {value = 0.5, status = "assumption", reason = "strong over-dispersion of CTC concentration among carriers (right-skewed counts); not published"}',
         'gamma_shape = {value = 0.5, status = "assumption"}',
         r"field 'marker.gamma_shape' is an assumption but has no 'reason'"),
        ('kind = "CTC"', 'kind = "ctDNA"', r"field 'marker.kind' must be one of 'CTC', 'DTC'"),
        ('name = "pfs"', 'name = "os"', r"field 'endpoints' names must be unique"),
        ('not_found = ["follow_up.accrual_months", "marker.volume_ml"]',
         'not_found = ["marker.prevalence"]',
         r"field 'marker.prevalence' is listed in not_found but marked published"),
        ('targets = ["pfs_hr", "pfs_hr:ci", "os_hr"]', 'targets = ["pfs_hr", "pfs_hr:ci", "os_hr@-2"]',
         r"field 'calibration.targets' 'os_hr@-2': a weight after '@' must be a positive"),
        ('targets = ["pfs_hr", "pfs_hr:ci", "os_hr"]', 'targets = ["pfs_hr", "pfs_hr:ci", "os_hr@x"]',
         r"field 'calibration.targets' 'os_hr@x': a weight after '@' must be a positive"),
        ('id = "os_hr"\n', 'id = "os_hr"\ntime_origin = "draw"\n',
         r"field 'results.os_hr.time_origin' 'draw' needs a \[serial\] design"),
    ],
)
def test_user_design_errors_name_the_field(tmp_path, old, new, message):
    text = _lucci_text()
    assert old in text, old
    with pytest.raises(DataValidationError, match=message):
        load_design_file(_write(tmp_path, text.replace(old, new, 1)))


def test_user_design_missing_field(tmp_path):
    text = re.sub(r"\nmedian_months = .*\n", "\n", _lucci_text(), count=1)
    with pytest.raises(DataValidationError, match=r"field 'follow_up.median_months' is "
                       r"missing; add it"):
        load_design_file(_write(tmp_path, text))


def test_user_design_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="is not valid TOML"):
        load_design_file(_write(tmp_path, "key = \n"))
    with pytest.raises(DataValidationError, match="does not exist"):
        load_design_file(tmp_path / "nope.toml")


def test_user_design_simulates(tmp_path):
    from ctcstats.designs import simulate_cohort

    text = _lucci_text().replace('key = "lucci2012"', 'key = "my_study"')
    d = load_design_file(_write(tmp_path, text))
    df = simulate_cohort(d, n=50, rng=1)
    assert isinstance(df, pd.DataFrame) and df.shape[0] == 50
