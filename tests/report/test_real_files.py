"""Reports on real cohorts in days (R's survival::lung and survival::gbsg, exported once by
tests/reference/report_files/report_files.R): the numbers printed agree with R's survfit and
coxph, and a days file is never labelled in months (text, tables and figure axes).

Tolerances: medians are printed with one decimal (R's are whole days), so |printed − R| ≤ 0.05;
hazard ratios and their limits with two decimals, so |printed − R| ≤ 0.005 (+1e-9 for the
binary representation): rounding is the only difference allowed, the fits agree with coxph to
~1e-6 (tests/reference/cox).
"""

from __future__ import annotations

import html as _html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from ctcstats.cli import main

REF = Path(__file__).resolve().parents[1] / "reference" / "report_files"
R = json.loads((REF / "outputs" / "report_files.json").read_text())
_NUM = r"(−?\d+(?:\.\d+)?)"


def tables(text: str) -> dict[str, list[list[str]]]:
    """caption → rows of cell texts (header row first)."""
    out = {}
    for m in re.finditer(r"<table[^>]*>\s*<caption>(.*?)</caption>(.*?)</table>", text, re.S):
        rows = []
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(2), re.S):
            rows.append([_html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                         for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)])
        out[_html.unescape(m.group(1))] = rows
    return out


def _nums(cell: str) -> list[float]:
    return [float(x.replace("−", "-")) for x in re.findall(_NUM, cell)]


def _visible_text(text: str) -> str:
    """Text a reader sees, figures' text elements (axis labels, ticks) included."""
    t = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    return _html.unescape(re.sub(r"<[^>]+>", " ", t))


def _check_km(tab, ref):
    body = tab[1:]
    assert len(body) == 2
    for row, med, lo, hi, n, ev in zip(body, ref["median"], ref["lower"], ref["upper"],
                                       ref["n"], ref["events"], strict=True):
        assert _nums(row[1]) == [n] and _nums(row[2]) == [ev]
        if med == "NA":
            assert row[3] == "not reached"
            continue
        got = _nums(row[3])
        want = [med, lo, hi if hi != "NA" else float("nan")]
        for g, w in zip(got, want, strict=False):
            assert abs(g - w) <= 0.05 + 1e-9, (row, want)


def _as_list(v):
    return v if isinstance(v, list) else [v]


def _term(label):
    """The term of a Cox table row; continuous terms carry their unit, "(per 1 unit)", and
    two-valued ones the values compared, "(1 vs 0)"."""
    return re.sub(r" \((?:per 1 unit|\S+ vs \S+)\)$", "", label)


def _check_cox(tab, ref, names):
    rows = {_term(r[0]): r for r in tab[1:]}
    as_list = _as_list
    terms = as_list(ref["term"])
    for term, hr, lo, hi in zip(terms, as_list(ref["hr"]), as_list(ref["lower"]),
                                as_list(ref["upper"]), strict=True):
        got = _nums(rows[names[term]][1])
        for g, w in zip(got, (hr, lo, hi), strict=True):
            assert abs(g - w) <= 0.005 + 1e-9, (term, got, (hr, lo, hi))


@pytest.fixture(scope="module")
def lung(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lung")
    spec = tmp / "spec.toml"
    spec.write_text("[analyses]\nprognostic = false\n")  # keeps the test fast
    out = tmp / "lung.html"
    assert main(["report", str(REF / "inputs" / "lung.csv"), "--spec", str(spec),
                 "--time-col", "os_days", "--event-col", "os_event", "--marker-col",
                 "ph_ecog", "--threshold", "1", "--marker-label", "ECOG PS", "--covariates",
                 "age,sex", "--categorical", "sex", "--quiet", "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def gbsg(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gbsg")
    spec = tmp / "spec.toml"
    spec.write_text("[analyses]\nprognostic = false\n")
    out = tmp / "gbsg.html"
    assert main(["report", str(REF / "inputs" / "gbsg.csv"), "--spec", str(spec),
                 "--time-col", "rfs_days", "--event-col", "rfs_event", "--marker-col",
                 "nodes", "--threshold", "4,10", "--marker-label", "positive nodes",
                 "--covariates", "age,size,grade,er", "--categorical", "grade",
                 "--time-unit", "days", "--cutpoint", "--quiet", "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_lung_numbers_match_r(lung):
    ref = R["lung"]
    t = tables(lung)
    assert f"{ref['n']} of 228 patients analysed" in lung  # ph.ecog missing once
    _check_km(t["Kaplan–Meier estimates"], ref["km"])
    names = {"pos": "ECOG PS ≥ 1", "age": "age", "sex2": "sex: 2 vs 1"}
    _check_cox(t["Univariable Cox models (one model per row)"], ref["uni"], names)
    _check_cox(t["Multivariable Cox model for OS"], ref["multi"], names)


def test_gbsg_numbers_match_r(gbsg):
    ref = R["gbsg"]
    t = tables(gbsg)
    _check_km(t["Kaplan–Meier estimates"], ref["km"])
    names = {"pos": "positive nodes ≥ 4", "age": "age", "size": "size", "er": "er",
             "grade2": "grade: 2 vs 1", "grade3": "grade: 3 vs 1"}
    _check_cox(t["Univariable Cox models (one model per row)"], ref["uni"], names)
    _check_cox(t["Multivariable Cox model for RFS"], ref["multi"], names)


@pytest.mark.parametrize("which", ["lung", "gbsg"])
def test_days_file_never_labelled_in_months(which, request):
    text = request.getfixturevalue(which)
    seen = _visible_text(text)
    assert not re.search(r"month", seen, re.I), re.search(r".{60}month.{60}", seen, re.I | re.S)
    assert "Time (days)" in text  # the Kaplan–Meier axis
    assert "Times in the data are in days" in seen
    km = tables(text)["Kaplan–Meier estimates"][0]
    assert km[3] == "median, days (95% CI)" and all("days" in c for c in km[4:])
    fu = next(v for k, v in tables(text).items() if k.startswith("Endpoints and events"))
    assert fu[0][-1] == "median follow-up, days (95% CI)"
    # day ticks are round numbers (0, 500, 1000 …), not 0/532/1064
    svg = re.findall(r"<svg\b.*?</svg>", text, re.S)
    km_svg = next(s for s in svg if "Time (days)" in s)
    ticks = [float(x) for x in re.findall(r"<text[^>]*>(\d+)</text>", km_svg)[:12]]
    assert ticks[0] == 0 and all(x % 100 == 0 for x in ticks[:4]), ticks


def test_categorical_covariate_agrees_in_table1_and_cox(gbsg):
    t = tables(gbsg)
    t1 = next(v for k, v in t.items() if k.startswith("Table 1"))
    labels = [c for r in t1 for c in r[:2]]
    assert {"1", "2", "3"} <= set(labels) and "1.0" not in labels  # levels, not floats
    multi = [r[0] for r in t["Multivariable Cox model for RFS"][1:]]
    assert "grade: 2 vs 1" in multi and "grade: 3 vs 1" in multi and "grade" not in multi


def test_cutpoint_scan_marks_only_the_given_thresholds(gbsg):
    svg = next(s for s in re.findall(r"<svg\b.*?</svg>", gbsg, re.S)
               if "cut-point of nodes" in s)
    # one dotted line per threshold the user gave (4 and 10 → cuts 3 and 9), no 1/3/5 default
    assert len(re.findall(r'id="fig\d+-threshold(?:-\d+)?"', svg)) == 2
    assert "pre-specified thresholds" in svg


def test_negative_intervals_read_as_ranges():
    from ctcstats.report.format import fmt_ci

    assert fmt_ci(-0.0172, -0.0041, 3) == "\u22120.017 to \u22120.004"
    assert fmt_ci(1.47, 2.26) == "1.47\u20132.26"


def test_hr_of_a_widely_spread_covariate_shows_its_interval(gbsg):
    """er (fmol/mg, 0 to 3,000): R's HR per unit is 0.99936 (0.99844–1.00028), p = 0.17 —
    at two decimals "1.00 (1.00–1.00)", an interval that looks empty beside its p-value. The
    report adds decimals until the limits differ, and the printed numbers still agree with
    R's to the rounding of the digits shown."""
    from ctcstats.report.format import fmt_hr

    ref = R["gbsg"]["multi"]
    k = ref["term"].index("er")
    row = next(r for r in tables(gbsg)["Multivariable Cox model for RFS"][1:]
               if _term(r[0]) == "er")
    assert row[1] == "0.999 (0.998–1.000)"
    forest = next(s for s in re.findall(r"<svg\b.*?</svg>", gbsg, re.S)
                  if "adjusted hazard ratios" in s)
    assert ">0.999 (0.998–1.000)<" in forest and "(1.00–1.00)" not in forest  # as the table
    for g, w in zip(_nums(row[1]), (ref["hr"][k], ref["lower"][k], ref["upper"][k]),
                    strict=True):
        assert abs(g - w) <= 0.0005 + 1e-9
    assert fmt_hr(1.82, 1.47, 2.26) == "1.82 (1.47–2.26)"  # the usual case unchanged
    assert fmt_hr(1.0, 1.0, 1.0) == "1.00 (1.00–1.00)"  # equal limits: nothing to show
    assert fmt_hr(1.000012, 1.000004, 1.00002) == "1.00001 (1.00000–1.00002)"


def test_table1_and_cox_agree_when_not_declared(tmp_path):
    """grade (1/2/3) not declared categorical: the models fit it linearly, so Table 1 shows
    it as a number (and says how to model it by level); declared, both show levels."""
    import pandas as pd

    df = pd.read_csv(REF / "inputs" / "gbsg.csv").iloc[:300]
    spec = tmp_path / "s.toml"
    spec.write_text("[analyses]\nprognostic = false\n")
    out = tmp_path / "g.html"
    df.to_csv(tmp_path / "g.csv", index=False)
    assert main(["report", str(tmp_path / "g.csv"), "--spec", str(spec), "--time-col",
                 "rfs_days", "--event-col", "rfs_event", "--marker-col", "nodes",
                 "--threshold", "4", "--covariates", "age,grade,hormon", "--quiet", "--out",
                 str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    t = tables(text)
    t1 = next(v for k, v in t.items() if k.startswith("Table 1"))
    grade = next(r for r in t1 if r[0] == "grade")
    assert grade[1] == "mean (SD)"
    assert "grade has only a few whole-number levels but enters the Cox models linearly" \
        in text and "--categorical" in text
    assert "grade" in [_term(r[0]) for r in t["Multivariable Cox model for RFS"][1:]]
    # a 0/1 covariate is shown by level: one indicator either way
    assert any(r[0] == "hormon" and r[1] == "" for r in t1)


@pytest.mark.parametrize(("unit", "days", "fmt"), [("years", 365.25, "semicolon"),
                                                   ("months", 365.25 / 12, "excel")])
def test_gbsg_in_other_units_and_formats(tmp_path, unit, days, fmt):
    """The same cohort in years (semicolon CSV, decimal commas) and months (Excel, data on the
    second sheet, with a missing value): medians are R's divided by the unit's length, and
    the report speaks only of that unit."""
    import pandas as pd

    df = pd.read_csv(REF / "inputs" / "gbsg.csv")
    df[f"rfs_{unit}"] = df.pop("rfs_days") / days
    assert df.loc[df.index[0], "nodes"] < 4
    df.loc[df.index[0], "size"] = float("nan")  # one missing covariate → 685 analysed
    spec = tmp_path / "s.toml"
    spec.write_text("[analyses]\nprognostic = false\n")
    extra = []
    if fmt == "semicolon":
        data = tmp_path / "gbsg.csv"
        df.to_csv(data, sep=";", decimal=",", index=False)
    else:
        data = tmp_path / "gbsg.xlsx"
        with pd.ExcelWriter(data) as w:
            pd.DataFrame({"About": ["GBSG export"]}).to_excel(w, sheet_name="About",
                                                               index=False)
            df.to_excel(w, sheet_name="Patients", index=False)
        extra = ["--sheet", "Patients"]
    out = tmp_path / "r.html"
    assert main(["report", str(data), *extra, "--spec", str(spec), "--time-col",
                 f"rfs_{unit}", "--event-col", "rfs_event", "--marker-col", "nodes",
                 "--threshold", "4", "--covariates", "age,size,grade,er", "--categorical",
                 "grade", "--quiet", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "685 of 686 patients analysed" in text
    seen = _visible_text(text)
    others = {"days", "months", "years"} - {unit}
    for other in others:
        assert not re.search(rf"\b{other[:-1]}s?\b", seen), other
    assert f"Time ({unit})" in text
    km = tables(text)["Kaplan–Meier estimates"]
    assert km[0][3] == f"median, {unit} (95% CI)"
    # R's median of the marker-positive group: the patient made incomplete (row 0, 2 nodes)
    # is marker-negative, so the positive group is R's exactly
    got = _nums(km[2][3])[0]
    assert abs(got - 983 / days) <= 0.05 + 1e-9, (got, 983 / days)


def test_two_rows_per_patient_refused(tmp_path, capsys):
    """R's survival::colon as stored (two rows per patient: recurrence and death, ``etype``)
    was analysed as twice as many patients, with no word about it. The report refuses it,
    naming the identifier column, an example and the fix."""
    out = tmp_path / "colon.html"
    assert main(["report", str(REF / "inputs" / "colon_long.csv"), "--time-col", "time",
                 "--time-unit", "days", "--event-col", "status", "--marker-col", "nodes",
                 "--threshold", "4", "--covariates", "age,sex,rx", "--quiet",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert ("column 'id' looks like a patient identifier and 40 of its values occur in more "
            "than one row (80 rows; e.g. 1 in rows 0, 1)") in err
    assert "one row per patient" in err and "os_days/os_event" in err
    assert not out.exists()


def test_patient_identifier_checked_within_strata():
    """Pooled studies may number their patients from 1 in each study: the same id in two
    strata is two patients; twice within one stratum is refused."""
    from ctcstats.errors import DataValidationError
    from ctcstats.report.context import check_one_row_per_patient

    d = pd.DataFrame({"study": ["A", "A", "B", "B"], "patient_id": [1, 2, 1, 2],
                      "case": [1, 1, 0, 0]})  # 'case' (case/control) is not an identifier
    check_one_row_per_patient(d, "study")
    check_one_row_per_patient(d.assign(patient_id=[1, 2, 3, None]), None)
    with pytest.raises(DataValidationError, match=r"'patient_id' .* 2 of its values occur in "
                       r"more than one row \(4 rows; e\.g\. 1 in rows 0, 2\)"):
        check_one_row_per_patient(d, None)
    with pytest.raises(DataValidationError, match=r"1 of its values occur in more than one "
                       r"row within 'study' \(2 rows; e\.g\. 2 in rows 'r1', 'r3'\)"):
        check_one_row_per_patient(pd.DataFrame({"study": "A", "patient_id": [1, 2, 3, 2]},
                                               index=["r0", "r1", "r2", "r3"]), "study")
