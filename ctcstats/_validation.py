"""Input checks used at the public boundary.

Each ``check_*`` helper validates one thing, returns a clean value (never mutating its input)
and raises :class:`~ctcstats.errors.DataValidationError` with a message that says what is
wrong, where, and how to fix it. Public functions call :func:`prepare_frame` once, then the
column checks on the prepared copy; nothing below the public boundary re-validates.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataValidationError, ParameterError

__all__ = [
    "PreparedFrame",
    "bootstrap_positions",
    "canonical_order",
    "check_choice",
    "check_conf_level",
    "check_count_column",
    "check_dataframe",
    "check_event_codes",
    "check_event_column",
    "check_group_column",
    "check_int",
    "check_intervals",
    "check_numeric_column",
    "check_positive_column",
    "check_real",
    "check_rng",
    "check_strata",
    "check_time_column",
    "design_matrix",
    "format_labels",
    "is_categorical",
    "prepare_frame",
]

_MAX_LABELS = 3
MAX_GROUP_LEVELS = 12  # a plain (non-Categorical) group column, number or text, with more
#                        levels is an error (check_group_column)


# --------------------------------------------------------------------------- helpers
def format_labels(index: Iterable, k: int = _MAX_LABELS) -> str:
    """``'17, 42, 108'`` — the first *k* row labels, for error messages."""
    labels = list(index)
    shown = ", ".join(_lab(x) for x in labels[:k])
    if len(labels) > k:
        shown += ", …"
    return shown


def _lab(x) -> str:
    """One row label as users see it (``17`` or ``'pt-017'``), never ``np.int64(17)``."""
    if isinstance(x, str):
        return repr(x)
    if isinstance(x, np.generic):
        x = x.item()
    return str(x)


def _rows_phrase(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _values_phrase(n: int, what: str) -> str:
    return f"{n} {what} value" if n == 1 else f"{n} {what} values"


# --------------------------------------------------------------------------- parameters
def check_choice(value, *, name: str, choices: Sequence, func: str):
    """Return *value* if it is one of *choices*, else raise a uniform ParameterError."""
    if isinstance(value, str) or value is None or isinstance(value, (bool, numbers.Number)):
        if value in choices:
            return value
    allowed = ", ".join(repr(c) for c in choices)
    raise ParameterError(
        f"The {name!r} parameter of {func} must be one of {allowed}; got {value!r}."
    )


def check_conf_level(conf_level, *, func: str) -> float:
    """Confidence level strictly inside (0, 1)."""
    ok = isinstance(conf_level, numbers.Real) and not isinstance(conf_level, bool)
    if ok and 0.0 < float(conf_level) < 1.0:
        return float(conf_level)
    hint = " (give a proportion, e.g. 0.95, not a percentage)" if ok and conf_level > 1 else ""
    raise ParameterError(
        f"The 'conf_level' parameter of {func} must be in (0, 1); got {conf_level!r}{hint}."
    )


def check_real(
    value,
    *,
    name: str,
    func: str,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """A finite real number inside the stated bounds."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not np.isfinite(float(value))
    ):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a finite number; got {value!r}."
        )
    v = float(value)
    bad_low = low is not None and (v < low if low_inclusive else v <= low)
    bad_high = high is not None and (v > high if high_inclusive else v >= high)
    if bad_low or bad_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        lb = "[" if (low is not None and low_inclusive) else "("
        hb = "]" if (high is not None and high_inclusive) else ")"
        raise ParameterError(
            f"The {name!r} parameter of {func} must be in {lb}{lo}, {hi}{hb}; got {value!r}."
        )
    return v


def check_int(value, *, name: str, func: str, minimum: int | None = None) -> int:
    """A whole number (Python or numpy int), optionally bounded below."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a whole number; got {value!r}."
        )
    if minimum is not None and value < minimum:
        raise ParameterError(
            f"The {name!r} parameter of {func} must be ≥ {minimum}; got {value!r}."
        )
    return int(value)


def check_rng(rng, *, func: str | None = None) -> np.random.Generator:
    """``rng=`` convention: None, an int seed ≥ 0 or a Generator → a Generator (never global)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)
                       and int(rng) >= 0):
        return np.random.default_rng(None if rng is None else int(rng))
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    where = f" of {func}" if func else ""
    raise ParameterError(
        f"The 'rng' parameter{where} must be None, a non-negative int seed or a numpy "
        f"Generator; got {rng!r}."
    )


def seed_from_rng(rng, *, func: str) -> int:
    """``rng=`` where an integer seed must be recorded (report provenance, spec files).

    An int (≥ 0) is returned as is; a Generator or None (fresh entropy) gives a seed drawn
    from it, so the caller records a seed that reproduces the run.
    """
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ParameterError(
                f"The 'rng' parameter of {func} must be a non-negative int seed, a numpy "
                f"Generator or None; got {rng!r}.")
        return int(rng)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ParameterError(
            f"The 'rng' parameter of {func} must be a non-negative int seed, a numpy "
            f"Generator or None; got {rng!r}.")
    return int(check_rng(rng).integers(2**31 - 1))


# --------------------------------------------------------------------------- frames
def check_dataframe(data, *, func: str) -> None:
    """*data* must be a non-empty pandas DataFrame with unique column names."""
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame; got {type(data).__name__}. "
            f"Build one with pd.DataFrame(...) or pd.read_csv(...) before calling {func}."
        )
    if data.shape[0] == 0:
        raise DataValidationError(
            f"data has no rows; {func} needs at least one patient (check the filter that "
            "produced it)."
        )
    dup = data.columns[data.columns.duplicated()].unique().tolist()
    if dup:
        raise DataValidationError(
            f"data has duplicated column names {dup}; rename them so each column is unique."
        )


@dataclass(frozen=True)
class PreparedFrame:
    """A validated private copy of the columns an analysis uses.

    ``frame`` keeps the caller's row labels (for messages only: labels may be duplicated or
    of any type, so rows are addressed by position); ``positions`` are the positions in the
    caller's ``data`` of ``frame``'s rows, in ``frame``'s order (``data.iloc[positions]``
    are the analysed rows). ``n_obs`` rows are analysed and ``n_dropped`` were removed for
    missing values (only with ``missing="drop"``); ``dropped_index`` lists their labels and
    ``dropped_by_column`` how many rows each column's missing values removed. ``notes`` are
    messages (already issued as warnings) to record on the result.
    """

    frame: pd.DataFrame
    n_obs: int
    n_dropped: int
    dropped_index: tuple = ()
    dropped_by_column: dict = field(default_factory=dict)
    notes: tuple = ()
    positions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))


def _role_pairs(roles: Mapping[str, str | Sequence[str | None] | None]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for role, col in roles.items():
        if col is None:
            continue
        if isinstance(col, str) or not isinstance(col, Sequence):
            pairs.append((role, col))
        else:
            pairs.extend((role, c) for c in col if c is not None)
    return pairs


def prepare_frame(
    data,
    *,
    func: str,
    roles: Mapping[str, str | Sequence[str | None] | None],
    missing: str = "raise",
    canonical: bool = False,
) -> PreparedFrame:
    """Check *data*, the named columns and missing values; return a private copy.

    Parameters
    ----------
    data : DataFrame
    func : str
        Name of the public function (used in messages).
    roles : dict
        Role name → column name (or a list of names, e.g. ``{"covariates": [...]}``);
        ``None`` entries are ignored.
    missing : {"raise", "drop"}
        ``"raise"``: any missing value (NaN, None, pd.NA) in a used column is an error naming
        the column. ``"drop"``: rows with a missing value in a used column are removed and
        counted.
    canonical : bool, default False
        Return the rows in :func:`canonical_order` of the used columns (``positions``
        follow). For analyses whose results are not per row and that resample (bootstrap,
        permutation, cross-validation): every step then sees the same arrays in the same
        order whatever the order of *data*'s rows, so the result is bitwise identical under
        row shuffles (sums are taken in the same order), not merely equal to rounding.
    """
    check_dataframe(data, func=func)
    check_choice(missing, name="missing", choices=("raise", "drop"), func=func)
    pairs = _role_pairs(roles)
    for role, col in pairs:
        if not isinstance(col, (str, numbers.Integral)) or isinstance(col, bool):
            raise ParameterError(
                f"The {role!r} parameter of {func} must be a column name (str); got {col!r}."
            )
        if col not in data.columns:
            avail = ", ".join(repr(c) for c in list(data.columns)[:12])
            more = ", …" if data.shape[1] > 12 else ""
            raise DataValidationError(
                f"{role} {col!r} is not a column of data; available columns: {avail}{more} "
                "(check the spelling or rename the column)."
            )
    used: list = []
    for _, col in pairs:
        if col not in used:
            used.append(col)
    # positional selection: row labels may be duplicated, non-unique or of any type
    frame = data.iloc[:, [data.columns.get_loc(c) for c in used]].copy()
    positions = np.arange(frame.shape[0], dtype=np.intp)
    isna = frame.isna()
    dropped_by_column: dict = {}
    dropped: tuple = ()
    if isna.to_numpy().any():
        if missing == "raise":
            for role, col in pairs:
                m = isna[col].to_numpy()
                if m.any():
                    raise DataValidationError(
                        f"{role} {col!r} has {_values_phrase(int(m.sum()), 'missing')} "
                        f"(first row labels: {format_labels(frame.index[m])}); pass "
                        "missing='drop' to analyse complete cases only (the rows removed are "
                        "counted in n_dropped), or impute the values first."
                    )
        for col in used:
            n = int(isna[col].sum())
            if n:
                dropped_by_column[col] = n
        keep = ~isna.any(axis=1).to_numpy()
        dropped = tuple(frame.index[~keep])
        frame = frame.iloc[np.flatnonzero(keep)]
        positions = positions[keep]
        if frame.shape[0] == 0:
            raise DataValidationError(
                f"every row has a missing value in the columns {func} uses "
                f"({', '.join(repr(c) for c in used)}); nothing is left to analyse."
            )
    if canonical:
        order = canonical_order(frame)
        frame, positions = frame.iloc[order], positions[order]
    return PreparedFrame(frame, int(frame.shape[0]), len(dropped), dropped, dropped_by_column,
                         positions=positions)


def _sortable(s: pd.Series) -> np.ndarray:
    """One column as a float sort key: numbers (nullable, bool) by value, anything else by
    the rank of its text (so a Categorical and the same strings as objects agree)."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan)
    text = np.array(["" if v is None else str(v) for v in s.to_numpy(dtype=object)],
                    dtype=object)
    return np.unique(text, return_inverse=True)[1].astype(float).ravel()


def canonical_order(frame: pd.DataFrame) -> np.ndarray:
    """Positions that put *frame*'s rows in a canonical order.

    Rows are sorted by their values, first column first (missing values last); rows equal in
    every column are interchangeable, so the reordered values do not depend on the order the
    rows came in. Resampling (bootstrap, permutation) on this order makes a result depend on
    the data and the ``rng`` only — never on row order or index labels.
    """
    if frame.shape[1] == 0 or frame.shape[0] < 2:
        return np.arange(frame.shape[0], dtype=np.intp)
    keys = [_sortable(frame.iloc[:, j]) for j in range(frame.shape[1])]
    return np.lexsort(keys[::-1]).astype(np.intp)


def bootstrap_positions(rng: np.random.Generator, frame: pd.DataFrame,
                        n_boot: int) -> np.ndarray:
    """Row positions ``(n_boot, n)`` of bootstrap resamples, drawn on the canonical order.

    Draw ``k`` picks the ``k``-th row of :func:`canonical_order`, so for a given ``rng`` each
    resample holds the same patients whatever the order and labels of *frame*'s rows (the
    positions returned address *frame* as given). *frame* holds every column the analysis
    uses (e.g. ``PreparedFrame.frame``).
    """
    order = canonical_order(frame)
    return order[rng.integers(0, order.size, size=(n_boot, order.size))]


def bootstrap_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """``(B, n)`` float case counts of resample positions ``idx`` (B, m): how often each of
    the *n* rows is drawn in each resample (one bincount over all resamples)."""
    B = idx.shape[0]
    return np.bincount((np.arange(B)[:, None] * n + idx).ravel(),
                       minlength=B * n).reshape(B, n).astype(float)


# --------------------------------------------------------------------------- columns
def _first_bad(series: pd.Series, mask: np.ndarray) -> str:
    return format_labels(series.index[mask])


def _not_numbers(s: pd.Series) -> np.ndarray:
    """Mask of the non-missing values of a text column that do not read as numbers."""
    vals = s.to_numpy(dtype=object)
    present = s.notna().to_numpy()
    with np.errstate(all="ignore"):
        conv = pd.to_numeric(pd.Series(vals, dtype=object).astype(str).str.strip(),
                             errors="coerce").to_numpy()
    return present & np.isnan(conv.astype(float))


def _not_number_like(s: pd.Series) -> np.ndarray:
    """Non-missing values that read as numbers neither as they are nor with a decimal comma."""
    if len(s) > _DISTINCT_MIN and pd.api.types.infer_dtype(s, skipna=True) == "string":
        # text: each distinct string read once. Every model fit checks its text covariates
        # here (design_matrix); a category column of a large cohort holds few distinct
        # strings, and reading each of its 10^4 values as a number cost ~40 ms per column
        # and fit (paddy's text column "study", n = 10,307: ~0.15 CPU s of each
        # competing-risks child, 2026-12-03). The answer for a string depends on the string
        # alone, so it is the same value by value.
        codes, uniq = pd.factorize(s)  # missing values: code -1
        if uniq.size * 4 <= len(s):
            bad = _not_number_like_each(pd.Series(np.asarray(uniq, dtype=object),
                                                  dtype=object))
            return np.where(codes >= 0, bad[np.maximum(codes, 0)], False)
    return _not_number_like_each(s)


#: Columns up to this length are read value by value (the distinct values would not pay).
_DISTINCT_MIN = 64


def _not_number_like_each(s: pd.Series) -> np.ndarray:
    """:func:`_not_number_like`, value by value."""
    commas = s.astype(str).str.replace(",", ".", regex=False).where(s.notna())
    return _not_numbers(s) & _not_numbers(commas)


def _text_number_error(s: pd.Series, col, role: str) -> DataValidationError:
    """The error for a column of numbers stored as text: what they look like, which values
    are not numbers (if any) and how to convert."""
    bad = _not_numbers(s)
    first = s[s.notna()].iloc[0] if s.notna().any() else None
    if bad.any() and not _not_number_like(s).any():
        return DataValidationError(
            f"{role} {col!r} must be numeric; found dtype {s.dtype} holding numbers written "
            f"with a decimal comma (e.g. {s[bad].iloc[0]!r}); read the file with "
            "pd.read_csv(..., decimal=',') or cs.read_table, or convert the column with "
            ".str.replace(',', '.') and pd.to_numeric(...).")
    if bad.any():
        shown = ", ".join(repr(v) for v in pd.unique(s[bad])[:3])
        what = (f"{_values_phrase(int(bad.sum()), 'non-numeric')} ({shown}; first row "
                f"labels: {format_labels(s.index[bad])}) among numbers")
        fix = ("recode or remove the non-numeric entries (e.g. pd.to_numeric(col, "
               "errors='coerce') turns them into missing values), then pass the numbers")
    else:
        what = f"numbers stored as text (e.g. {first!r})"
        fix = "convert it with pd.to_numeric(...) first"
    text = s[s.notna()].astype(str)
    comma = bool(text.str.contains(",", regex=False).any())
    hint = (" Values with a comma suggest a decimal comma or a thousands separator in the "
            "source file: read it with pd.read_csv(..., decimal=',') or cs.read_table."
            if comma else "")
    return DataValidationError(
        f"{role} {col!r} must be numeric; found dtype {s.dtype} holding {what}; {fix}.{hint}"
    )


def check_numeric_column(frame: pd.DataFrame, col: str, *, role: str) -> np.ndarray:
    """Finite real values as a float array (bools count as 0/1)."""
    s = frame[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        if isinstance(s.dtype, pd.CategoricalDtype) or _not_number_like(s).all():
            example = s.iloc[0]
            raise DataValidationError(
                f"{role} {col!r} must be numeric; found dtype {s.dtype} (e.g. {example!r} in "
                f"row {_lab(s.index[0])}). Give a numeric column (or convert it with "
                "pd.to_numeric(...))."
            )
        raise _text_number_error(s, col, role)
    x = s.to_numpy(dtype=float)
    inf = np.isinf(x)
    if inf.any():
        raise DataValidationError(
            f"{role} {col!r} has {_values_phrase(int(inf.sum()), 'infinite')} "
            f"(first row labels: {_first_bad(s, inf)}); values must be finite."
        )
    return x


def check_one_row_per_id(frame: pd.DataFrame, id_col: str, *,
                         serial: str = "measurements") -> None:
    """Raise when *id_col* does not identify one row per patient of the patient table
    (serial values belong in the long table of draws)."""
    dup = frame[id_col].duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"id_col {id_col!r} must identify one row per patient in data; {int(dup.sum())} "
            f"rows share an id (first row labels: {format_labels(frame.index[dup])}). Put the "
            f"serial {serial} in draws instead."
        )


def check_time_column(frame: pd.DataFrame, col: str, *, role: str = "time_col") -> np.ndarray:
    """Non-negative finite follow-up times."""
    s = frame[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna().to_numpy() & s.notna().to_numpy()
        if pd.api.types.is_bool_dtype(s) or not bad.any():
            bad = np.ones(len(s), dtype=bool)
        raise DataValidationError(
            f"{role} {col!r} must hold numeric follow-up times; found dtype {s.dtype} "
            f"(e.g. {s[bad].iloc[0]!r} in row {_lab(s.index[bad][0])}). Convert dates to "
            "elapsed time (e.g. months) with pd.to_numeric or date arithmetic first."
        )
    t = s.to_numpy(dtype=float)
    inf = np.isinf(t)
    if inf.any():
        raise DataValidationError(
            f"{role} {col!r} has {_values_phrase(int(inf.sum()), 'infinite')} "
            f"(first row labels: {_first_bad(s, inf)}); times must be finite — record patients "
            "without an event as censored at their last follow-up."
        )
    neg = t < 0
    if neg.any():
        raise DataValidationError(
            f"{role} {col!r} has {_values_phrase(int(neg.sum()), 'negative')} "
            f"(first row labels: {_first_bad(s, neg)}); times must be ≥ 0 (check the date "
            "arithmetic)."
        )
    return t


def check_intervals(frame: pd.DataFrame, *, start_col: str, time_col: str, stop: np.ndarray,
                    id_col: str | None = None) -> np.ndarray:
    """Entry times of counting-process rows ``(start, stop]``.

    ``start`` must be a finite time ≥ 0 smaller than the row's ``stop`` (a row is the interval
    in which the subject is at risk); with ``id_col`` the intervals of one subject must not
    overlap. Returns the entry times as a float array.
    """
    start = check_time_column(frame, start_col, role="start_col")
    bad = start >= stop
    if bad.any():
        raise DataValidationError(
            f"start_col {start_col!r} must be smaller than time_col {time_col!r} in every row "
            f"(each row is the interval (start, stop] in which the subject is at risk); "
            f"{_rows_phrase(int(bad.sum()))} have start ≥ stop (first row labels: "
            f"{format_labels(frame.index[bad])}). Drop rows of zero length, or check which "
            "column holds the entry time."
        )
    if id_col is not None:
        codes, uniq = pd.factorize(frame[id_col], sort=False)
        order = np.lexsort((start, codes))
        same = codes[order][1:] == codes[order][:-1]
        over = same & (start[order][1:] < stop[order][:-1])
        if over.any():
            rows = order[1:][over]
            first = rows[0]
            prev = order[:-1][over][0]
            n_subj = np.unique(codes[rows]).size
            raise DataValidationError(
                f"id_col {id_col!r}: the (start, stop] intervals of "
                f"{n_subj} subject{'s' if n_subj > 1 else ''} overlap (first: "
                f"{_lab(uniq[codes[first]])}, rows {_lab(frame.index[prev])} and "
                f"{_lab(frame.index[first])}); a subject's intervals must not overlap — look "
                "for duplicated rows or a wrong start time."
            )
    return start


def check_event_column(frame: pd.DataFrame, col: str, *, role: str = "event_col") -> np.ndarray:
    """Event indicator: only 0/1 or True/False; returned as int 0/1."""
    s = frame[col]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=int)
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float)
        bad = ~np.isin(x, (0.0, 1.0))
        if not bad.any():
            return x.astype(int)
        found: list[Any] = sorted({(int(v) if float(v).is_integer() else float(v))
                                   for v in x[bad]})
    else:
        vals = s.to_numpy(dtype=object)
        ok = np.array([v in (0, 1) and not isinstance(v, str) for v in vals], dtype=bool)
        bad = ~ok
        if not bad.any():
            return np.array([int(v) for v in vals], dtype=int)
        found = sorted({repr(v) if isinstance(v, str) else str(v) for v in vals[bad]}, key=str)
    shown = "{" + ", ".join(str(v) for v in found[:5]) + (", …" if len(found) > 5 else "") + "}"
    # R's Surv() also takes 1 = censored, 2 = event (survival's lung, ...): say so
    r_coding = (pd.api.types.is_numeric_dtype(s)
                and set(np.unique(s.dropna().to_numpy(float)).tolist()) == {1.0, 2.0})
    raise DataValidationError(
        f"{role} {col!r} must contain only 0/1 or True/False; found {shown} in "
        f"{_rows_phrase(int(bad.sum()))} (first row labels: {_first_bad(s, bad)}). Recode it "
        "as 1 = event, 0 = censored"
        + (f" (its values 1/2 look like R's Surv() coding, 1 = censored and 2 = event: use "
           f"{col} - 1)" if r_coding else "")
        + " (for competing risks use cumulative_incidence, whose event codes are 0 = "
        "censored and 1..k = causes)."
    )


def check_event_codes(frame: pd.DataFrame, col: str, *, role: str = "event_col") -> np.ndarray:
    """Competing-risks status: whole numbers ≥ 0 (0 = censored, 1..k = causes)."""
    s = frame[col]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=int)
    if not pd.api.types.is_numeric_dtype(s):
        raise DataValidationError(
            f"{role} {col!r} must hold integer event codes (0 = censored, 1..k = causes); "
            f"found dtype {s.dtype} (e.g. {s.iloc[0]!r} in row {_lab(s.index[0])})."
        )
    x = s.to_numpy(dtype=float)
    bad = (x < 0) | (np.mod(x, 1.0) != 0) | ~np.isfinite(x)
    if bad.any():
        found = sorted({float(v) for v in x[bad]})[:5]
        raise DataValidationError(
            f"{role} {col!r} must contain whole-number event codes ≥ 0 (0 = censored, 1..k = "
            f"causes); found {set(found)} in {_rows_phrase(int(bad.sum()))} (first row "
            f"labels: {_first_bad(s, bad)})."
        )
    return x.astype(int)


def check_count_column(frame: pd.DataFrame, col: str, *, role: str = "count_col") -> np.ndarray:
    """Cell counts: whole numbers ≥ 0, returned as int64."""
    s = frame[col]
    x = check_numeric_column(frame, col, role=role)
    neg = x < 0
    if neg.any():
        raise DataValidationError(
            f"{role} {col!r} has {_values_phrase(int(neg.sum()), 'negative')} (first row "
            f"labels: {_first_bad(s, neg)}); cell counts must be ≥ 0."
        )
    frac = np.mod(x, 1.0) != 0
    if frac.any():
        i = int(np.flatnonzero(frac)[0])
        raise DataValidationError(
            f"{role} {col!r} has {_values_phrase(int(frac.sum()), 'non-integer')} (e.g. "
            f"{x[i]:g} in row {_lab(s.index[i])}); counts must be whole numbers — did you pass a "
            "concentration? Use volume_col for the sampled volume instead."
        )
    return x.astype(np.int64)


def check_positive_column(frame: pd.DataFrame, col: str, *, role: str) -> np.ndarray:
    """Strictly positive finite values (volumes, cells examined)."""
    s = frame[col]
    x = check_numeric_column(frame, col, role=role)
    bad = x <= 0
    if bad.any():
        raise DataValidationError(
            f"{role} {col!r} has {_values_phrase(int(bad.sum()), 'non-positive')} (first row "
            f"labels: {_first_bad(s, bad)}); sampled volumes and cell numbers must be > 0."
        )
    return x


def _sort_key(v):
    return (0, float(v)) if isinstance(v, numbers.Real) and not isinstance(v, bool) else (1, str(v))


def group_levels(s: pd.Series) -> list:
    """Levels of a grouping column in a stable order.

    A pandas Categorical keeps its category order (like an R factor, unused levels dropped);
    anything else is sorted (numbers numerically, then strings).
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    return sorted(pd.unique(s.dropna()), key=_sort_key)


def check_group_column(
    frame: pd.DataFrame, col: str, *, role: str = "group_col", func: str, min_levels: int = 2
) -> tuple[np.ndarray, list]:
    """Group labels (user's labels kept) and their ordered levels; at least *min_levels*.

    A plain column (numbers or text, not a pandas Categorical) with more than
    ``MAX_GROUP_LEVELS`` distinct values is an error, whatever its type: a number column is
    a continuous measurement, a text column whose values all read as numbers is one stored
    as text, a text column with a different value in every row is an identifier, and any
    other text column with that many levels is most likely a free-text or identifier-like
    field — comparing that many groups (a log-rank test on hundreds of df) is never what was
    meant unless said so. A pandas Categorical states that the levels are groups and is
    accepted with any number of levels; the message says how to pass one.
    """
    s = frame[col]
    levels = group_levels(s)
    if not isinstance(s.dtype, pd.CategoricalDtype) and len(levels) > MAX_GROUP_LEVELS:
        if not is_categorical(s):
            kind, fix = "a continuous measurement", (
                "dichotomise it first (e.g. data[col] >= threshold, or cs.optimal_cutpoint "
                "for a data-driven cut-point)")
        elif len(levels) == s.notna().sum():
            kind, fix = "an identifier (a different value in every row)", "name the grouping column"
        elif not _not_number_like(s.dropna()).any():
            kind, fix = "a continuous measurement stored as text", (
                "convert it to numbers (pd.to_numeric) and dichotomise it (e.g. "
                "data[col] >= threshold, or cs.optimal_cutpoint for a data-driven cut-point)")
        else:
            kind, fix = "text with too many distinct values to be groups", (
                "merge the levels into a few groups, or name the grouping column")
        raise DataValidationError(
            f"{role} {col!r} has {len(levels)} distinct values — it looks like {kind}, not "
            f"groups ({func} compares groups; more than {MAX_GROUP_LEVELS} are not accepted "
            f"from a plain column). Instead {fix}, or, if these really are groups, pass "
            f"data[{col!r}].astype('category')."
        )
    if len(levels) < min_levels:
        only = ", ".join(repr(v) for v in levels)
        raise DataValidationError(
            f"{role} {col!r} has a single level ({only}); {func} needs at least "
            f"{min_levels} groups." if len(levels) == 1 else
            f"{role} {col!r} has {len(levels)} levels; {func} needs at least {min_levels}."
        )
    return s.to_numpy(dtype=object), levels


def check_strata(strata: np.ndarray, time: np.ndarray, event: np.ndarray, *, col: str,
                 func: str) -> str:
    """Strata that compare nobody: an error if none does, else a note (or ``""``).

    A stratum has its own baseline hazard, so it informs a stratified analysis only through
    an event with someone else of the stratum still at risk (time ≥ the event time). Strata
    with one patient each (a patient identifier passed as ``strata_col``) leave nothing to
    compare, and every estimate would be NaN; that is an error naming the column. Some such
    strata among informative ones are only noted (their patients do not count).
    """
    codes, uniq = pd.factorize(pd.Series(strata), sort=False)
    order = np.lexsort((-time, codes))
    c, t = codes[order], time[order]
    first = np.r_[True, c[1:] != c[:-1]]
    start = np.flatnonzero(first)
    size = np.diff(np.r_[start, c.size])
    second = np.full(uniq.size, -np.inf)  # second-largest time of each stratum
    has2 = size >= 2
    second[c[start[has2]]] = t[start[has2] + 1]
    ev_time = np.full(uniq.size, np.inf)
    np.minimum.at(ev_time, codes[event.astype(bool)], time[event.astype(bool)])
    useful = ev_time <= second
    if useful.any():
        # strata whose events had nobody else at risk (a stratum without events is ordinary)
        wasted = ~useful & np.isfinite(ev_time)
        k = int(wasted.sum())
        if not k:
            return ""
        n_ev = int(np.isin(codes[event.astype(bool)], np.flatnonzero(wasted)).sum())
        return (f"{k} of {uniq.size} strata of strata_col {col!r} have events with no other "
                f"patient of the stratum at risk (e.g. a single patient); their {n_ev} "
                f"event(s) contribute nothing to {func}.")
    singles = int((size == 1).sum())
    raise DataValidationError(
        f"strata_col {col!r} leaves nothing to compare: none of its {uniq.size} strata holds "
        f"an event with another patient of the stratum still at risk ({singles} strata hold "
        "a single patient) — every estimate would be NaN. Each stratum has its own baseline "
        "hazard; use a coarser stratification (is it a patient identifier?), or adjust for "
        "the variable as a covariate instead."
    )


def is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def design_matrix(
    frame: pd.DataFrame, covariates: Sequence[str], *, func: str, role: str = "covariates"
) -> tuple[np.ndarray, list[str]]:
    """Numeric design matrix and term names.

    Numeric and boolean columns enter as they are (term = column name). Any other column
    (strings, pandas Categorical) becomes indicator terms ``col[level]`` against its first
    level (sorted; a Categorical's own category order), as R's treatment contrasts.
    """
    if isinstance(covariates, str):
        raise ParameterError(
            f"The 'covariates' parameter of {func} must be a list of column names; got the "
            f"string {covariates!r} (write [{covariates!r}])."
        )
    covariates = list(covariates)
    if len(set(covariates)) != len(covariates):
        raise ParameterError(
            f"The 'covariates' parameter of {func} names a column twice: {covariates}."
        )
    cols: list[np.ndarray] = []
    names: list[str] = []
    for col in covariates:
        s = frame[col]
        if is_categorical(s) and not isinstance(s.dtype, pd.CategoricalDtype):
            # text that reads as numbers is a numeric column misread, not categories: one
            # indicator per value would be a silent wrong model (an explicit Categorical is
            # the way to ask for categories)
            bad = _not_number_like(s)
            if s.notna().any() and bad.sum() <= 0.2 * s.notna().sum():
                err = _text_number_error(s, col, "covariate")
                raise DataValidationError(
                    f"{err} If the values are category codes, pass "
                    f"data[{col!r}].astype('category') to model them as categories.")
        if is_categorical(s):
            levels = group_levels(s)
            if len(levels) < 2:
                raise DataValidationError(
                    f"covariate {col!r} has a single level ({levels[0]!r} in every row); its "
                    "effect cannot be estimated — remove it from covariates."
                )
            vals = s.to_numpy(dtype=object)
            for lev in levels[1:]:
                cols.append((vals == lev).astype(float))
                names.append(f"{col}[{lev}]")
        else:
            x = check_numeric_column(frame, col, role="covariate")
            if np.all(x == x[0]):
                raise DataValidationError(
                    f"covariate {col!r} is constant (every value is {x[0]:g}); its effect "
                    "cannot be estimated — remove it from covariates."
                )
            cols.append(x)
            names.append(str(col))
    if not cols:
        return np.empty((frame.shape[0], 0)), []
    return np.column_stack(cols), names
