"""read_table on the files clinicians send: semicolon-separated text with decimal commas,
ambiguous separators or decimal marks (refused with the option that settles it), Excel
workbooks whose data is not on the first sheet, and numbers stored as text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.io import read_table


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_semicolon_with_decimal_commas_reads_numbers(tmp_path):
    p = _write(tmp_path / "eu.csv", "os_months;os_event;ctc_count;age\n"
               "3,5;1;0;61,2\n12,25;0;7;55\n7;1;2;70,9\n")
    got = read_table(p)
    assert got["os_months"].tolist() == [3.5, 12.25, 7.0]
    assert got["age"].tolist() == [61.2, 55.0, 70.9]
    assert got.attrs["sep"] == ";" and got.attrs["decimal"] == ","


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "bar")])
def test_separator_detected(tmp_path, sep, name):
    df = pd.DataFrame({"t": [1.5, 2.25, 3.0], "e": [1, 0, 1], "arm": ["a", "b", "a"]})
    p = tmp_path / f"{name}.csv"
    df.to_csv(p, sep=sep, index=False)
    got = read_table(p)
    assert got.attrs["sep"] == sep
    pd.testing.assert_frame_equal(got, df)


def test_semicolon_with_decimal_points_stays_points(tmp_path):
    p = _write(tmp_path / "c.csv", "t;e\n1.5;1\n2;0\n")
    assert read_table(p)["t"].tolist() == [1.5, 2.0]


def test_ambiguous_separator_names_the_fix(tmp_path):
    p = _write(tmp_path / "amb.csv", "a;b,c\n1;2,3\n4;5,6\n")
    with pytest.raises(DataValidationError, match=r"comma \(','\) or semicolon.*--sep"):
        read_table(p)
    got = read_table(p, sep=";")  # the fix works: two columns, decimal comma in the second
    assert got.columns.tolist() == ["a", "b,c"] and got["b,c"].tolist() == [2.3, 5.6]


def test_mixed_decimal_marks_refused_and_fix_works(tmp_path):
    p = _write(tmp_path / "mix.csv", "a;b\n1,5;2.3\n4;5\n")
    with pytest.raises(DataValidationError, match=r"decimal commas \(e.g. '1,5'\) and with "
                       r"decimal points \(e.g. '2.3'\).*--decimal"):
        read_table(p)
    got = read_table(p, decimal=",")
    assert got["a"].tolist() == [1.5, 4.0]


def test_sep_equal_to_decimal_refused(tmp_path):
    p = _write(tmp_path / "c.csv", "a,b\n1,2\n")
    with pytest.raises(DataValidationError, match="cannot both be ','"):
        read_table(p, decimal=",")
    with pytest.raises(ParameterError, match="'decimal' parameter"):
        read_table(p, decimal=";")


def test_text_numbers_converted_and_partial_ones_listed(tmp_path):
    p = tmp_path / "x.xlsx"
    df = pd.DataFrame({"ctc": ["3", " 5", "0"], "vol": ["7.5", "<1", "7.4"],
                       "id": ["007", "012", "013"], "arm": ["a", "b", "c"]})
    df.to_excel(p, index=False)
    got = read_table(p)
    assert got["ctc"].dtype == float and got["ctc"].tolist() == [3.0, 5.0, 0.0]
    assert got.attrs["text_numbers"] == ["ctc"]
    assert got.attrs["text_in_numbers"] == {"vol": (1, ["<1"])}
    assert got["id"].tolist() == ["007", "012", "013"]  # codes with leading zeros kept
    assert got["arm"].tolist() == ["a", "b", "c"]


@pytest.fixture
def workbook(tmp_path):
    p = tmp_path / "study.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"About": ["CTC study export", "version 2"]}).to_excel(
            w, sheet_name="Readme", index=False)
        pd.DataFrame({"os_days": [120.0, 400.0, 35.0], "os_event": [1, 0, 1]}).to_excel(
            w, sheet_name="Data", index=False)
    return p


def test_excel_data_not_on_first_sheet_lists_sheets(workbook):
    with pytest.raises(DataValidationError, match=r"first sheet 'Readme' lacks the "
                       r"column\(s\) 'os_days', 'os_event'; the workbook's sheets: 'Readme', "
                       r"'Data'; the columns are on 'Data'.*--sheet 'Data'"):
        read_table(workbook, columns=["os_days", "os_event"])
    got = read_table(workbook, sheet="Data", columns=["os_days"])
    assert got["os_days"].tolist() == [120.0, 400.0, 35.0]
    assert got.attrs["sheet"] == "Data" and got.attrs["sheets"] == ["Readme", "Data"]
    assert read_table(workbook, sheet=1).shape == (3, 2)
    with pytest.raises(DataValidationError, match=r"no sheet 'Patients'; its sheets: "
                       r"'Readme', 'Data'"):
        read_table(workbook, sheet="Patients")
    with pytest.raises(DataValidationError, match=r"sheet position 5 does not exist"):
        read_table(workbook, sheet=5)


def test_excel_empty_first_sheet_refused(tmp_path):
    p = tmp_path / "e.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame().to_excel(w, sheet_name="Cover", index=False)
        pd.DataFrame({"t": [1.0]}).to_excel(w, sheet_name="Data", index=False)
    with pytest.raises(DataValidationError, match=r"first sheet 'Cover' is empty"):
        read_table(p)


def test_sheet_and_sep_only_where_they_apply(tmp_path):
    p = _write(tmp_path / "c.csv", "a,b\n1,2\n")
    with pytest.raises(ParameterError, match="sheet applies to Excel files only"):
        read_table(p, sheet="x")
    q = tmp_path / "c.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(q)
    with pytest.raises(ParameterError, match="sep, decimal and encoding apply to text files only"):
        read_table(q, sep=";")


def test_reading_does_not_depend_on_row_order(tmp_path):
    g = np.random.default_rng(3)
    rows = [f"{g.integers(1, 900)},{g.integers(0, 99)};{g.integers(0, 2)}" for _ in range(30)]
    a = _write(tmp_path / "a.csv", "t;e\n" + "\n".join(rows) + "\n")
    b = _write(tmp_path / "b.csv", "t;e\n" + "\n".join(rows[::-1]) + "\n")
    fa, fb = read_table(a), read_table(b)
    assert fa.attrs["decimal"] == fb.attrs["decimal"] == ","
    assert fa["t"].tolist() == fb["t"].tolist()[::-1]


def test_non_utf8_text_refused_with_the_fix(tmp_path):
    p = tmp_path / "win.csv"
    p.write_bytes("centre;os_months;os_event\nKöln;3,5;1\nMünchen;12;0\n".encode("cp1252"))
    with pytest.raises(DataValidationError, match=r"not UTF-8 text \(byte 0xf6 on line 2.*"
                       r"'CSV UTF-8'.*--encoding cp1252"):
        read_table(p)
    got = read_table(p, encoding="cp1252")
    assert got["centre"].tolist() == ["Köln", "München"] and got["os_months"].tolist() == [3.5,
                                                                                          12.0]
    with pytest.raises(ParameterError, match="unknown encoding 'klingon'"):
        read_table(p, encoding="klingon")
    q = tmp_path / "bom.csv"  # UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')
    q.write_bytes("\ufeffcentre,t\nKöln,1\n".encode())
    assert read_table(q).columns.tolist() == ["centre", "t"]
