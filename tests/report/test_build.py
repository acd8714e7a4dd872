"""build_report: content, determinism, escaping, no patient rows, clear errors."""

from __future__ import annotations

import re

import pytest

from ctcstats.errors import DataValidationError
from ctcstats.report import Analyses, AnalysisSpec, EndpointSpec, build_report
from ctcstats.report.sections.remark import REMARK_ITEMS

from ._cohort import EVIL, small_cohort


def _spec(**kw) -> AnalysisSpec:
    base = dict(
        title=f"CTC report {EVIL}", marker_col="ctc_count", marker_label="CTC",
        endpoints=(EndpointSpec("pfs", "pfs_months", "pfs_event",
                                label="progression-free survival"),
                   EndpointSpec("os", "os_months", "os_event", label="overall survival")),
        thresholds=(5, 1), volume_col="blood_volume_ml", covariates=("age", EVIL),
        strata_col="centre", landmarks=(6,),
        analyses=Analyses(cutpoint=True, categories=(0, 1, 5), piecewise="always",
                          split_at=(12,), prognostic=True),
        seed=3,
    )
    base.update(kw)
    return AnalysisSpec(**base)


@pytest.fixture(scope="module")
def html() -> str:
    return build_report(small_cohort(), _spec())


def test_structure_follows_remark(html):
    for title in ("1. Marker and aims", "2. Patients, flow and endpoints",
                  "3. Distribution of CTC", "4. CTC and clinical factors (Table 1)",
                  "5. Univariable analyses", "6. Multivariable Cox models",
                  "7. Further analyses", "8. Prognostic value of the marker",
                  "9. REMARK checklist", "10. Provenance"):
        assert f">{title} " in html, title
    for sub in ("5.1 progression-free survival", "5.2 overall survival", "7.1 Cut-point search",
                "7.2 Count categories and trend", "7.3 CTC as a continuous count",
                "7.4 Landmark analyses", "2.1 Statistical methods", "2.2 Sample size"):
        assert sub in html
    # every REMARK item has a row in the checklist
    checklist = html[html.index('id="remark"'):html.index('id="provenance"')]
    for i in REMARK_ITEMS:
        assert f"<tr><td class=\"n\">{i}</td>" in checklist
    assert "§5.1 progression-free survival" in checklist


def test_numbers_are_formatted_for_journals(html):
    assert re.search(r"\d\.\d\d \(\d\.\d\d–\d\.\d\d\)", html)  # HR (lower–upper)
    assert "&lt; 0.001" in html or re.search(r"<td>0\.\d\d\d?</td>", html)
    assert "median, months (95% CI)" in html
    assert "survival at 12 months" in html or "survival at 24 months" in html
    assert "Period-specific (piecewise) hazard ratios" in html
    assert "Log-rank, stratified by" in html or "log-rank, stratified by" in html


def test_figures_are_inline_svg_with_unique_ids(html):
    svgs = re.findall(r"<svg\b", html)
    assert len(svgs) >= 8  # histogram, 2 KM, 2 forest, cut-point, categories KM, DCA, calib.
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicated element ids"
    refs = set(re.findall(r'url\(#([^)]+)\)', html)) | set(re.findall(r'href="#([^"]+)"', html))
    assert refs <= set(ids)
    # the KM curves and the number-at-risk table were drawn
    assert html.count('-km-curve') >= 4 and "Number at risk" in html


def test_self_contained_no_external_references(html):
    assert "<script" not in html  # no JavaScript at all (the evil string is escaped)
    assert not re.search(r'(src|href)="(https?:|//|file:)', html)
    assert "<link" not in html and "@import" not in html
    assert "/tmp/" not in html and "/work/" not in html and "/home/" not in html


def test_user_strings_are_escaped(html):
    assert EVIL not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_same_inputs_byte_identical(html):
    again = build_report(small_cohort(), _spec())
    assert again == html
    # no timestamps anywhere
    assert not re.search(r"20\d\d-\d\d-\d\d[T ]\d\d:\d\d", html)


def test_writes_atomically_and_no_patient_rows_or_identifiers(tmp_path):
    """One report for two checks (they were two tests building the same report): the file
    written is the text returned, with no temporary file left, and neither holds a patient
    identifier or the identifier column's name."""
    out = tmp_path / "r.html"
    text = build_report(small_cohort(), _spec(analyses=Analyses(prognostic=False)), out=out)
    assert out.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    assert "PT-SECRET" not in text
    assert "patient_id" not in text


def test_binary_marker_and_minimal_spec():
    df = small_cohort()
    df["ctc_positive"] = (df["ctc_count"] >= 5).astype(int)
    spec = AnalysisSpec(marker_col="ctc_positive", marker_label="CTC",
                        endpoints=(EndpointSpec("os", "os_months", "os_event"),),
                        analyses=Analyses(prognostic=False))
    text = build_report(df, spec)
    assert "CTC positive" in text and "CTC negative" in text
    assert "No clinical covariates were given" in text


def test_missing_values_are_dropped_and_shown_in_flow():
    df = small_cohort()
    df.loc[[3, 7, 9], "age"] = float("nan")
    text = build_report(df, _spec(analyses=Analyses(prognostic=False)))
    assert "excluded: missing age" in text
    assert "237 of 240 patients analysed" in text


@pytest.mark.parametrize(
    ("change", "kw", "match"),
    [
        (lambda d: d.drop(columns="os_event"), {},
         r"^event_col of endpoint 'os' 'os_event' is not a column of the data"),
        (lambda d: d.assign(pfs_event=d["pfs_event"].replace({1: 2})), {},
         r"event_col 'pfs_event' must contain only 0/1"),
        (lambda d: d.assign(os_months=-d["os_months"]), {},
         r"time_col 'os_months' has \d+ negative value"),
        (lambda d: d.assign(ctc_count=d["ctc_count"] + 0.5), {},
         r"count_col 'ctc_count' has \d+ non-integer"),
        (lambda d: d, {"thresholds": (10_000,)},
         r"marker_col 'ctc_count': every analysed patient is marker-negative"),
        (lambda d: d.assign(age=float("nan")), {"missing": "raise"},
         r"covariate 'age' has 240 missing value"),
    ],
)
def test_bad_input_one_line_error_naming_the_column(change, kw, match):
    with pytest.raises(DataValidationError, match=match) as info:
        build_report(change(small_cohort()), _spec(**kw))
    assert "\n" not in str(info.value)
