"""read_table round-trips every supported format; adam_to_survival refuses ambiguity."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.io import adam_to_survival, read_table

DATA = Path(__file__).parent / "data"


@pytest.fixture
def cohort() -> pd.DataFrame:
    return pd.DataFrame({
        "os_months": [3.5, 12.0, 7.25, 20.0],
        "os_event": [1, 0, 1, 0],
        "ctc_count": [0, 7, 2, 12],
        "arm": ["A", "B", "A", "B"],
    })


def _as_float(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in ("os_months", "os_event", "ctc_count"):
        out[c] = out[c].astype(float)
    return out


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".parquet", ".dta"])
def test_pandas_formats_round_trip(tmp_path, cohort, suffix):
    p = tmp_path / f"cohort{suffix}"
    if suffix == ".csv":
        cohort.to_csv(p, index=False)
    elif suffix == ".tsv":
        cohort.to_csv(p, index=False, sep="\t")
    elif suffix == ".xlsx":
        cohort.to_excel(p, index=False)
    elif suffix == ".parquet":
        cohort.to_parquet(p, index=False)
    else:
        cohort.to_stata(p, write_index=False)
    got = read_table(p)
    assert list(got.columns) == list(cohort.columns)
    assert_frame_equal(_as_float(got), _as_float(cohort), check_dtype=False)


@pytest.mark.parametrize("suffix", [".sav", ".xpt"])
def test_pyreadstat_formats_round_trip(tmp_path, cohort, suffix):
    import pyreadstat

    p = tmp_path / f"cohort{suffix}"
    if suffix == ".sav":
        pyreadstat.write_sav(cohort, str(p))
    else:
        pyreadstat.write_xport(cohort, str(p))
    got = read_table(p)
    assert list(got.columns) == list(cohort.columns)
    assert_frame_equal(_as_float(got), _as_float(cohort), check_dtype=False)


def test_sas7bdat_reads_the_committed_file():
    got = read_table(DATA / "small.sas7bdat")
    expected = pd.DataFrame({"os_months": [3.5, 12.0, 7.25, 20.0], "os_event": [1.0, 0, 1, 0],
                             "ctc_count": [0.0, 7, 2, 12]})
    assert_frame_equal(got, expected, check_dtype=False)


def test_read_table_errors(tmp_path, cohort):
    with pytest.raises(DataValidationError, match=r"data file .*nope.csv' does not exist"):
        read_table(tmp_path / "nope.csv")
    p = tmp_path / "cohort.json"
    p.write_text("{}")
    with pytest.raises(DataValidationError, match=r"unsupported suffix '\.json'; supported"):
        read_table(p)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(DataValidationError, match=r"'bad.parquet' could not be read as Parquet"):
        read_table(bad)
    empty = tmp_path / "empty.csv"
    cohort.iloc[:0].to_csv(empty, index=False)
    with pytest.raises(DataValidationError, match=r"'empty.csv' has no rows"):
        read_table(empty)


def test_missing_optional_reader_says_what_to_install(tmp_path, cohort, monkeypatch):
    p = tmp_path / "cohort.parquet"
    cohort.to_parquet(p, index=False)
    real = importlib.import_module

    def fake(name, *a, **k):
        if name == "pyarrow":
            raise ImportError("No module named 'pyarrow'")
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(DataValidationError,
                       match=r"needs the optional package 'pyarrow'.*pip install \"ctcstats\[io\]\""):
        read_table(p)


# --------------------------------------------------------------------------- ADaM
@pytest.fixture
def adtte() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S-02", "S-01", "S-01", "S-02", "S-03"],
        "PARAMCD": ["OS", "OS", "PFS", "PFS", "OS"],
        "AVAL": [400.0, 610.0, 200.0, 150.0, 30.0],
        "CNSR": [0, 1, 0, 0, 1],
        "AVALU": ["DAYS"] * 5,
        "AGE": [61, 55, 55, 61, 70],
    })


def test_adam_to_survival_converts(adtte):
    out = adam_to_survival(adtte, paramcd={"OS": "os", "PFS": "pfs"}, keep=["AGE"])
    assert out.columns.tolist() == ["USUBJID", "AGE", "os_days", "os_event", "pfs_days",
                                    "pfs_event"]
    assert out["USUBJID"].tolist() == ["S-01", "S-02", "S-03"]
    assert out["os_event"].tolist() == [0, 1, 0]  # CNSR 1 = censored → event 0
    np.testing.assert_array_equal(out["os_days"], [610.0, 400.0, 30.0])
    assert out["pfs_event"].iloc[:2].tolist() == [1, 1] and pd.isna(out["pfs_event"].iloc[2])
    assert adtte["CNSR"].tolist() == [0, 1, 0, 0, 1]  # input untouched


def test_adam_to_survival_unit_conversion(adtte):
    out = adam_to_survival(adtte, paramcd="OS", time_unit="months")
    assert out.columns.tolist() == ["USUBJID", "os_months", "os_event"]
    # months of 365.25/12 days (documented)
    np.testing.assert_allclose(out["os_months"], np.array([610.0, 400.0, 30.0]) * 12 / 365.25,
                               rtol=1e-12)
    no_unit = adtte.drop(columns="AVALU")
    assert adam_to_survival(no_unit, paramcd="OS").columns.tolist()[1] == "os_time"


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.assign(CNSR=[0, 2, 0, 0, 1]),
         r"cnsr_col 'CNSR' must be 0 \(event\) or 1 \(censored\) \(PARAMCD 'OS'\); found \{2\}"),
        (lambda d: pd.concat([d, d.iloc[[0]]], ignore_index=True),
         r"id_col 'USUBJID' has 2 rows for the same subject \(PARAMCD 'OS'\)"),
        (lambda d: d.assign(AVAL=[400.0, np.nan, 200.0, 150.0, 30.0]),
         r"aval_col 'AVAL' has 1 missing or non-numeric value\(s\) \(PARAMCD 'OS'\)"),
        (lambda d: d.assign(AVAL=[400.0, -5.0, 200.0, 150.0, 30.0]),
         r"aval_col 'AVAL' has 1 negative value\(s\) \(PARAMCD 'OS'\)"),
        (lambda d: d.assign(AVALU=["DAYS", "MONTHS", "DAYS", "DAYS", "DAYS"]),
         r"unit_col 'AVALU' must hold one unit per parameter \(PARAMCD 'OS'\); found "
         r"\['DAYS', 'MONTHS'\]"),
        (lambda d: d.assign(AVALU="FORTNIGHTS"), r"unit_col 'AVALU' has the unknown unit"),
        (lambda d: d.drop(columns="CNSR"), r"cnsr_col 'CNSR' is not a column of the ADTTE"),
        (lambda d: d.assign(USUBJID=["S-02", None, "S-01", "S-02", "S-03"]),
         r"id_col 'USUBJID' has 1 missing subject identifier"),
    ],
)
def test_adam_refuses_ambiguous_coding(adtte, change, match):
    with pytest.raises(DataValidationError, match=match):
        adam_to_survival(change(adtte), paramcd=["OS", "PFS"])


def test_adam_other_errors(adtte):
    with pytest.raises(DataValidationError, match=r"paramcd_col 'PARAMCD' has no rows for 'DFS'"):
        adam_to_survival(adtte, paramcd="DFS")
    with pytest.raises(DataValidationError, match=r"keep column 'AGE' varies within a subject"):
        adam_to_survival(adtte.assign(AGE=[61, 55, 56, 61, 70]), paramcd=["OS", "PFS"],
                         keep=["AGE"])
    with pytest.raises(DataValidationError, match=r"needs the unit column 'AVALU'"):
        adam_to_survival(adtte.drop(columns="AVALU"), paramcd="OS", time_unit="days")
    with pytest.raises(ParameterError, match=r"The 'time_unit' parameter of adam_to_survival"):
        adam_to_survival(adtte, paramcd="OS", time_unit="hours")
    with pytest.raises(ParameterError, match=r"The 'paramcd' parameter of adam_to_survival"):
        adam_to_survival(adtte, paramcd=5)
    with pytest.raises(DataValidationError, match=r"data must be a pandas DataFrame \(the ADTTE data set\)"):
        adam_to_survival([1, 2], paramcd="OS")
