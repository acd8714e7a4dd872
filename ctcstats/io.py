"""Reading clinical data files, and CDISC ADaM time-to-event tables.

* :func:`read_table` — one cohort table from CSV/TSV, Excel, Parquet, SAS (``.sas7bdat``,
  ``.xpt``), Stata (``.dta``) or SPSS (``.sav``), chosen by the file's suffix.
* :func:`adam_to_survival` — an ADaM ADTTE table (one row per subject and parameter:
  ``USUBJID, PARAMCD, AVAL, CNSR[, AVALU]``) → one row per subject with ``<endpoint>_<unit>``
  and ``<endpoint>_event`` columns, refusing any coding it would have to guess.

The Excel, Parquet, SAS-transport and SPSS readers need optional packages
(``pip install "ctcstats[io]"``: openpyxl, pyarrow, pyreadstat); a missing one is reported as a
:class:`~ctcstats.errors.DataValidationError` that says what to install.
"""

from __future__ import annotations

import csv
import importlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ._validation import format_labels
from .errors import DataValidationError, ParameterError

__all__ = ["READERS", "read_table", "adam_to_survival"]

#: Suffix → (format name, optional module it needs or None).
READERS: dict[str, tuple[str, str | None]] = {
    ".csv": ("CSV", None),
    ".tsv": ("tab-separated text", None),
    ".txt": ("tab-separated text", None),
    ".xlsx": ("Excel", "openpyxl"),
    ".xlsm": ("Excel", "openpyxl"),
    ".parquet": ("Parquet", "pyarrow"),
    ".pq": ("Parquet", "pyarrow"),
    ".sas7bdat": ("SAS data set", "pyreadstat"),
    ".xpt": ("SAS transport (XPORT)", "pyreadstat"),
    ".dta": ("Stata", None),
    ".sav": ("SPSS", "pyreadstat"),
    ".zsav": ("SPSS (compressed)", "pyreadstat"),
}


def _require(module: str, fmt: str, path: Path):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DataValidationError(
            f"reading {fmt} file {path.name!r} needs the optional package {module!r}, which is "
            "not installed; install it with: pip install \"ctcstats[io]\"."
        ) from exc


_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_DEC_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DEC_POINT = re.compile(r"^[+-]?\d*\.\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _check_encoding(p: Path, encoding: str) -> None:
    """Refuse text that is not in *encoding* (UTF-8 by default) with the byte, the place and
    the fix, instead of a codec error (Excel's "CSV (Windows)" writes cp1252)."""
    data = p.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataValidationError(
            f"data file {p.name!r} is not "
            f"{'UTF-8' if encoding == 'utf-8-sig' else encoding} text (byte 0x{data[exc.start]:02x} on "
            f"line {line}, e.g. an accented letter saved by Excel as 'CSV (Windows)'); save it "
            "as 'CSV UTF-8', or give its encoding with encoding='cp1252' in read_table (CLI: "
            "--encoding cp1252)."
        ) from None
    except LookupError:
        raise ParameterError(f"The 'encoding' parameter of read_table names an unknown "
                             f"encoding {encoding!r} (e.g. 'utf-8', 'cp1252').") from None


def _sniff_lines(p: Path, n: int = 200, encoding: str = "utf-8-sig") -> list[str]:
    lines: list[str] = []
    with open(p, encoding=encoding, errors="replace", newline="") as fh:
        for line in fh:
            if line.strip():
                lines.append(line.rstrip("\r\n"))
            if len(lines) >= n:
                break
    return lines


def _fields(lines: list[str], sep: str) -> list[list[str]]:
    return list(csv.reader(lines, delimiter=sep))


def _detect_csv(p: Path, sep: str | None, decimal: str | None,
                encoding: str = "utf-8-sig") -> tuple[str, str]:
    """The field separator and decimal mark of a delimited text file (own code: pandas'
    ``sep=None`` uses csv.Sniffer, which guesses silently and cannot see decimal commas)."""
    lines = _sniff_lines(p, encoding=encoding)
    if not lines:
        return sep or ",", decimal or "."
    if sep is None:
        consistent = []
        for cand in _SEPARATORS:
            widths = {len(r) for r in _fields(lines, cand)}
            if len(widths) == 1 and widths.pop() > 1:
                consistent.append(cand)
        if len(consistent) == 1:
            sep = consistent[0]
        elif not consistent:
            sep = ","  # one column, or ragged rows: let the parser report it
        else:
            names = " or ".join(f"{_SEPARATORS[c]} ({c!r})" for c in consistent)
            raise DataValidationError(
                f"data file {p.name!r}: cannot tell whether the fields are separated by "
                f"{names} (every line splits evenly on each); say which with "
                f"sep={consistent[1]!r} in read_table (CLI: --sep {consistent[1]!r})."
            )
    if decimal is None:
        cells = [c.strip() for r in _fields(lines[1:], sep) for c in r]
        n_comma = sum(bool(_DEC_COMMA.match(c)) for c in cells)
        n_point = sum(bool(_DEC_POINT.match(c)) for c in cells)
        if n_comma and sep == ",":
            decimal = "."  # quoted "1,5" with comma separators: reported as text numbers
        elif n_comma and n_point:
            raise DataValidationError(
                f"data file {p.name!r} has numbers with decimal commas (e.g. "
                f"{next(c for c in cells if _DEC_COMMA.match(c))!r}) and with decimal points "
                f"(e.g. {next(c for c in cells if _DEC_POINT.match(c))!r}); say which is the "
                "decimal mark with decimal=',' or decimal='.' in read_table (CLI: --decimal)."
            )
        else:
            decimal = "," if n_comma else "."
    if sep == decimal:
        raise DataValidationError(
            f"data file {p.name!r}: the separator and the decimal mark cannot both be "
            f"{sep!r}; pass a different sep or decimal."
        )
    return sep, decimal


def _text_numbers(frame: pd.DataFrame) -> tuple[dict[str, int], dict[str, tuple[int, list]]]:
    """Text columns that hold numbers: ``whole`` (every value a number → converted) and
    ``partial`` (mostly numbers, some text → left as text, with the offending values)."""
    whole: dict[str, int] = {}
    partial: dict[str, tuple[int, list]] = {}
    for col in frame.columns:
        s = frame[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        vals = s.dropna()
        if vals.empty or not all(isinstance(v, str | int | float) for v in vals):
            continue
        text = vals.astype(str).str.strip()
        text = text[text != ""]
        if text.empty:
            continue
        if text.str.match(r"^[+-]?0\d").any():
            continue  # codes with leading zeros ("007") are identifiers, not numbers
        num = text.str.match(_NUMBER.pattern)
        if num.all():
            whole[str(col)] = int(len(text))
        elif num.mean() >= 0.5:
            bad = text[~num.to_numpy()]
            partial[str(col)] = (int(len(bad)), list(dict.fromkeys(bad.tolist()))[:3])
    return whole, partial


def read_table(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    columns: Sequence[str] | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    r"""Read a cohort table (one row per patient) from a file; the format follows the suffix.

    Delimited text is checked before it is parsed: the separator (comma, semicolon, tab or
    vertical bar) is the one that splits every line into the same number of fields, and a
    decimal comma (``1,5``) is recognised when no number uses a decimal point, so the usual
    European export (semicolons, decimal commas) reads as numbers. Anything ambiguous is
    refused with the option that settles it. Columns that hold numbers stored as text (an
    Excel column formatted as text, numbers with spaces) are converted when *every* value is
    a number, and listed in ``frame.attrs["text_numbers"]``; columns that are mostly numbers
    with some text (``"<1"``, ``"n.d."``) are left as text and listed, with those values, in
    ``frame.attrs["text_in_numbers"]`` so that an analysis using them can say what to fix.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (any of the separators above); ``.tsv``/``.txt`` (tab-separated);
        ``.xlsx``/``.xlsm`` (Excel, needs openpyxl); ``.parquet``/``.pq`` (needs pyarrow);
        ``.sas7bdat`` and ``.xpt`` (SAS data set / transport file, needs pyreadstat);
        ``.dta`` (Stata, pandas); ``.sav``/``.zsav`` (SPSS, needs pyreadstat).
    sheet : str or int, optional
        Excel sheet name or position (default: the first sheet).
    sep : str, optional
        Field separator of a text file (default: detected).
    decimal : {".", ","}, optional
        Decimal mark of a text file (default: detected).
    encoding : str, optional
        Encoding of a text file (default UTF-8, with or without a byte-order mark); text in
        another encoding is refused with the fix (e.g. ``encoding="cp1252"`` for Excel's
        "CSV (Windows)").
    columns : sequence of str, optional
        Columns the caller needs. With an Excel file and no ``sheet``, a first sheet that
        lacks them is refused with the list of sheets (and which of them have the columns)
        instead of a "missing column" error later.

    Returns
    -------
    DataFrame
        Columns as stored. SAS/Stata/SPSS value labels are *not* applied (the stored codes
        are returned), so that numeric codes such as event indicators stay numeric; SAS/SPSS
        whole-number doubles are returned as floats. ``attrs`` holds ``"text_numbers"``
        (list of converted columns), ``"text_in_numbers"`` (column → (number of text
        values, up to 3 examples)), ``"sep"``/``"decimal"`` (text files) and ``"sheets"``
        (Excel: every sheet name, ``"sheet"`` the one read).

    Raises
    ------
    DataValidationError
        The file does not exist, its suffix is not supported, an optional reader package is
        missing (the message says ``pip install "ctcstats[io]"``), the separator or decimal
        mark is ambiguous, the sheet does not exist or lacks ``columns`` (the message lists
        the sheets), it cannot be parsed, or it has no rows.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> from ctcstats.io import read_table
    >>> d = tempfile.mkdtemp()
    >>> pd.DataFrame({"os_months": [3.5, 12.0], "os_event": [1, 0]}).to_csv(
    ...     os.path.join(d, "c.csv"), index=False)
    >>> read_table(os.path.join(d, "c.csv")).shape
    (2, 2)
    >>> with open(os.path.join(d, "eu.csv"), "w") as fh:
    ...     _ = fh.write("os_months;os_event\n3,5;1\n12,25;0\n")
    >>> read_table(os.path.join(d, "eu.csv"))["os_months"].tolist()
    [3.5, 12.25]
    """
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(f"data file {str(p)!r} does not exist (check the path).")
    suffix = p.suffix.lower()
    if suffix not in READERS:
        raise DataValidationError(
            f"data file {p.name!r} has an unsupported suffix {suffix!r}; supported: "
            f"{', '.join(READERS)}."
        )
    if decimal not in (None, ".", ","):
        raise ParameterError(f"The 'decimal' parameter of read_table must be '.' or ','; got "
                             f"{decimal!r}.")
    text_file = suffix in (".csv", ".tsv", ".txt")
    if (sep is not None or decimal is not None or encoding is not None) and not text_file:
        raise ParameterError(f"sep, decimal and encoding apply to text files only; {p.name!r} is "
                             f"{READERS[suffix][0]}.")
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise ParameterError(f"sheet applies to Excel files only; {p.name!r} is "
                             f"{READERS[suffix][0]}.")
    fmt, module = READERS[suffix]
    if module is not None:
        mod = _require(module, fmt, p)
    attrs: dict = {}
    try:
        if text_file:
            enc = "utf-8-sig" if encoding is None else encoding
            _check_encoding(p, enc)
            the_sep, the_dec = _detect_csv(p, "\t" if suffix != ".csv" and sep is None
                                           else sep, decimal, enc)
            frame = pd.read_csv(p, sep=the_sep, decimal=the_dec, encoding=enc)
            attrs.update(sep=the_sep, decimal=the_dec)
        elif suffix in (".xlsx", ".xlsm"):
            frame, attrs = _read_excel(p, sheet, columns)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(p, engine="pyarrow")
        elif suffix == ".sas7bdat":
            frame, _ = mod.read_sas7bdat(str(p))
        elif suffix == ".xpt":
            frame, _ = mod.read_xport(str(p))
        elif suffix == ".dta":
            frame = pd.read_stata(p, convert_categoricals=False)
        else:
            frame, _ = mod.read_sav(str(p), apply_value_formats=False)
    except DataValidationError:
        raise
    except Exception as exc:  # parser errors of five libraries → one clear message
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataValidationError(
            f"data file {p.name!r} could not be read as {fmt}: {first}"
        ) from exc
    if frame.shape[0] == 0:
        where = f" (sheet {attrs['sheet']!r})" if "sheet" in attrs else ""
        raise DataValidationError(f"data file {p.name!r}{where} has no rows.")
    whole, partial = _text_numbers(frame)
    for col in whole:
        frame[col] = pd.to_numeric(frame[col].astype("string").str.strip()
                                   .replace("", pd.NA), errors="raise").astype(float)
    attrs.update(text_numbers=list(whole), text_in_numbers=partial)
    frame.attrs.update(attrs)
    return frame


def _read_excel(p: Path, sheet: str | int | None, columns: Sequence[str] | None):
    import openpyxl

    wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    try:
        names = list(wb.sheetnames)
    finally:
        wb.close()
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        chosen = names[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise DataValidationError(
                f"data file {p.name!r} has {len(names)} sheet(s) ({listing}); sheet position "
                f"{sheet} does not exist (positions start at 0)."
            )
        chosen = names[sheet]
    else:
        matches = [n for n in names if n == sheet] or [
            n for n in names if n.strip().casefold() == str(sheet).strip().casefold()]
        if len(matches) != 1:
            raise DataValidationError(
                f"data file {p.name!r} has no sheet {sheet!r}; its sheets: {listing}."
            )
        chosen = matches[0]
    # dtype=object, then inference: pandas' own conversion of text cells turns codes such as
    # "007" into 7; numbers stored as text are converted by _text_numbers instead
    frame = pd.read_excel(p, sheet_name=chosen, engine="openpyxl", dtype=object)
    frame = frame.infer_objects()
    frame.columns = [c.strip() if isinstance(c, str) else c for c in frame.columns]
    if sheet is None and len(names) > 1:
        need = [c for c in (columns or ()) if c not in set(map(str, frame.columns))]
        empty = frame.dropna(how="all").empty
        if empty or need:
            having = []
            for n in names[1:]:
                head = pd.read_excel(p, sheet_name=n, engine="openpyxl", nrows=0)
                cols = {str(c).strip() for c in head.columns}
                if need and all(c in cols for c in need):
                    having.append(n)
            why = ("is empty" if empty else
                   f"lacks the column(s) {', '.join(map(repr, need[:3]))}")
            hint = (f"; the columns are on {', '.join(map(repr, having))}" if having else "")
            suggest = having[0] if having else names[1]
            raise DataValidationError(
                f"data file {p.name!r}: the first sheet {chosen!r} {why}; the workbook's "
                f"sheets: {listing}{hint}. Choose the sheet with sheet={suggest!r} in "
                f"read_table (CLI: --sheet {suggest!r})."
            )
    return frame, {"sheets": names, "sheet": chosen}


# --------------------------------------------------------------------------- ADaM
_UNIT_NAMES = {
    "DAY": "days", "DAYS": "days", "D": "days",
    "WEEK": "weeks", "WEEKS": "weeks", "W": "weeks",
    "MONTH": "months", "MONTHS": "months", "MO": "months",
    "YEAR": "years", "YEARS": "years", "Y": "years", "YR": "years",
}
# Length of each unit in days (Julian year of 365.25 days; month = year / 12).
_UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12.0, "years": 365.25}


def adam_to_survival(
    data: pd.DataFrame,
    *,
    paramcd: str | Sequence[str] | Mapping[str, str],
    id_col: str = "USUBJID",
    paramcd_col: str = "PARAMCD",
    aval_col: str = "AVAL",
    cnsr_col: str = "CNSR",
    unit_col: str | None = "AVALU",
    time_unit: str | None = None,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Convert a CDISC ADaM ADTTE table to one row per subject with time/event columns.

    ADTTE stores one row per subject and parameter: the analysis value ``AVAL`` (time from
    the origin to the event or censoring) and the censoring flag ``CNSR``, where **0 means the
    event happened and 1 means censored** (ADaM BDS-TTE convention; the event indicator here is
    ``1 - CNSR``). Nothing ambiguous is guessed: the conversion refuses CNSR codes other than
    0/1 (ADaM allows sponsor-specific censoring reasons 2, 3, … — recode them to 1 first),
    several rows for a subject and parameter, missing or negative AVAL, and several units in
    ``AVALU`` within a parameter.

    Parameters
    ----------
    data : DataFrame
        The ADTTE data set (e.g. from :func:`read_table` on ``adtte.xpt``).
    paramcd : str, sequence of str, or mapping
        Parameter codes to convert. A mapping ``{"OS": "os", "PFS": "pfs"}`` names the
        endpoint of each code; otherwise the endpoint name is the lower-cased code.
    id_col, paramcd_col, aval_col, cnsr_col : str
        Column names (ADaM defaults ``USUBJID, PARAMCD, AVAL, CNSR``).
    unit_col : str or None, default "AVALU"
        Unit of AVAL; used when present (set None to ignore it). One unit per parameter.
    time_unit : {"days", "weeks", "months", "years"}, optional
        Convert AVAL to this unit (needs ``unit_col``; months are 365.25/12 days, years
        365.25 days). Default: keep AVAL as stored.
    keep : sequence of str
        Subject-level columns to carry over (e.g. ``["AGE", "SEX", "TRT01P"]``); each must be
        constant within a subject.

    Returns
    -------
    DataFrame
        One row per subject (sorted by ``id_col``): ``id_col``, the ``keep`` columns, and for
        each endpoint ``<name>_<unit>`` (float; unit from ``time_unit`` or AVALU, ``time``
        when unknown) and ``<name>_event`` (int 0/1). A subject without a row for a parameter
        gets missing values in its two columns.

    Raises
    ------
    DataValidationError
        Naming the column: missing columns, a PARAMCD not in the table, CNSR values other
        than 0/1, duplicated subject × parameter rows, missing or negative AVAL, mixed or
        unknown AVALU units, a ``keep`` column that varies within a subject.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.io import adam_to_survival
    >>> adtte = pd.DataFrame({"USUBJID": ["01", "01", "02", "02"],
    ...                       "PARAMCD": ["OS", "PFS", "OS", "PFS"],
    ...                       "AVAL": [20.1, 8.3, 14.0, 14.0], "CNSR": [1, 0, 0, 1],
    ...                       "AVALU": "MONTHS"})
    >>> adam_to_survival(adtte, paramcd=["OS", "PFS"]).columns.tolist()
    ['USUBJID', 'os_months', 'os_event', 'pfs_months', 'pfs_event']
    """
    func = "adam_to_survival"
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame (the ADTTE data set); got "
            f"{type(data).__name__} (read the file with ctcstats.io.read_table first)."
        )
    if isinstance(paramcd, str):
        names = {paramcd: paramcd.lower()}
    elif isinstance(paramcd, Mapping):
        names = {str(k): str(v) for k, v in paramcd.items()}
    elif isinstance(paramcd, Sequence):
        names = {str(k): str(k).lower() for k in paramcd}
    else:
        raise ParameterError(
            f"The 'paramcd' parameter of {func} must be a code, a list of codes or a mapping "
            f"code → endpoint name; got {paramcd!r}."
        )
    if not names:
        raise ParameterError(f"The 'paramcd' parameter of {func} must name at least one code.")
    if time_unit is not None and time_unit not in _UNIT_DAYS:
        raise ParameterError(
            f"The 'time_unit' parameter of {func} must be one of {', '.join(_UNIT_DAYS)}; "
            f"got {time_unit!r}."
        )
    roles = {"id_col": id_col, "paramcd_col": paramcd_col, "aval_col": aval_col,
             "cnsr_col": cnsr_col}
    for role, col in roles.items():
        if col not in data.columns:
            raise DataValidationError(
                f"{role} {col!r} is not a column of the ADTTE table (columns: "
                f"{', '.join(map(str, data.columns[:12]))}{'…' if data.shape[1] > 12 else ''})."
            )
    use_unit = unit_col is not None and unit_col in data.columns
    if time_unit is not None and not use_unit:
        raise DataValidationError(
            f"time_unit={time_unit!r} needs the unit column {unit_col!r} (AVALU), which the "
            "ADTTE table does not have; convert AVAL yourself or pass time_unit=None."
        )
    for col in keep:
        if col not in data.columns:
            raise DataValidationError(f"keep column {col!r} is not a column of the ADTTE table.")

    codes = data[paramcd_col].astype("string").str.strip()
    present = set(codes.dropna().unique())
    absent = [c for c in names if c not in present]
    if absent:
        raise DataValidationError(
            f"paramcd_col {paramcd_col!r} has no rows for {', '.join(map(repr, absent))}; "
            f"codes present: {', '.join(sorted(map(str, present)))}."
        )
    if data[id_col].isna().any():
        m = data[id_col].isna().to_numpy()
        raise DataValidationError(
            f"id_col {id_col!r} has {int(m.sum())} missing subject identifier(s) (first row "
            f"labels: {format_labels(data.index[m])})."
        )

    out: pd.DataFrame | None = None
    for code, name in names.items():
        rows = data.loc[(codes == code).to_numpy()]
        where = f"(PARAMCD {code!r})"
        dup = rows[id_col].duplicated(keep=False).to_numpy()
        if dup.any():
            raise DataValidationError(
                f"id_col {id_col!r} has {int(dup.sum())} rows for the same subject {where} "
                f"(first row labels: {format_labels(rows.index[dup])}); ADTTE must have one row "
                "per subject and parameter — filter the analysis records (e.g. on an analysis "
                "flag) first."
            )
        aval = pd.to_numeric(rows[aval_col], errors="coerce")
        bad = aval.isna().to_numpy()
        if bad.any():
            raise DataValidationError(
                f"aval_col {aval_col!r} has {int(bad.sum())} missing or non-numeric value(s) "
                f"{where} (first row labels: {format_labels(rows.index[bad])}); every subject "
                "needs an analysis time."
            )
        neg = (aval < 0).to_numpy()
        if neg.any():
            raise DataValidationError(
                f"aval_col {aval_col!r} has {int(neg.sum())} negative value(s) {where} (first "
                f"row labels: {format_labels(rows.index[neg])}); times must be ≥ 0 (check the "
                "start and end dates)."
            )
        cnsr = pd.to_numeric(rows[cnsr_col], errors="coerce")
        okc = cnsr.isin([0, 1]).to_numpy()
        if not okc.all():
            vals = sorted({str(v) for v in rows[cnsr_col][~okc].tolist()})
            raise DataValidationError(
                f"cnsr_col {cnsr_col!r} must be 0 (event) or 1 (censored) {where}; found "
                f"{{{', '.join(vals)}}} in {int((~okc).sum())} rows (first row labels: "
                f"{format_labels(rows.index[~okc])}). Sponsor-specific censoring codes are "
                "ambiguous here: recode every censoring reason to 1 first."
            )
        unit = None
        if use_unit:
            u = rows[unit_col].astype("string").str.strip().str.upper()
            levels = sorted(set(u.dropna().unique()))
            if u.isna().any() or len(levels) != 1:
                raise DataValidationError(
                    f"unit_col {unit_col!r} must hold one unit per parameter {where}; found "
                    f"{levels + (['<missing>'] if u.isna().any() else [])}. Convert AVAL to "
                    "one unit first."
                )
            if levels[0] not in _UNIT_NAMES:
                raise DataValidationError(
                    f"unit_col {unit_col!r} has the unknown unit {levels[0]!r} {where}; known: "
                    "DAYS, WEEKS, MONTHS, YEARS."
                )
            unit = _UNIT_NAMES[levels[0]]
        time = aval.to_numpy(float)
        if time_unit is not None and unit is not None and unit != time_unit:
            time = time * _UNIT_DAYS[unit] / _UNIT_DAYS[time_unit]
            unit = time_unit
        tcol = f"{name}_{unit or 'time'}"
        part = pd.DataFrame(
            {id_col: rows[id_col].to_numpy(), tcol: time,
             f"{name}_event": (1 - cnsr.to_numpy()).astype(int)}
        )
        out = part if out is None else out.merge(part, on=id_col, how="outer")
    assert out is not None
    for c in out.columns:
        if c.endswith("_event") and out[c].dtype == "float64":
            out[c] = out[c].astype("Int64")
    if keep:
        sub = data.loc[codes.isin(list(names)).to_numpy(), [id_col, *keep]]
        by_id = sub.groupby(id_col, dropna=False, observed=True)
        varies = [c for c in keep if (by_id[c].nunique(dropna=False) > 1).any()]
        if varies:
            raise DataValidationError(
                f"keep column {varies[0]!r} varies within a subject across parameters; only "
                "subject-level (ADSL) variables can be carried over."
            )
        first = sub.drop_duplicates(subset=[id_col])
        out = first.merge(out, on=id_col, how="right")
    out = out.sort_values(id_col, kind="mergesort").reset_index(drop=True)
    return out
