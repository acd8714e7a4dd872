"""Missing-data diagnostics that need no imputation: :func:`missing_table` and
:func:`missing_pattern` (R ``mice::md.pattern``). The figures are in
:mod:`ctcstats.plotting.missing`; the imputation diagnostics (observed vs imputed values,
convergence traces) are methods of :class:`~ctcstats.missing.ImputationResult`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._validation import check_dataframe
from ..errors import DataValidationError, ParameterError

__all__ = ["missing_table", "missing_pattern"]


def _cols(data: pd.DataFrame, columns, func: str) -> list[str]:
    check_dataframe(data, func=func)
    if columns is None:
        return list(data.columns)
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise ParameterError(f"The 'columns' parameter of {func} must be a list of column "
                             f"names; got {columns!r}.")
    for c in columns:
        if c not in data.columns:
            raise DataValidationError(f"column {c!r} is not a column of data (check the "
                                      "spelling).")
    return list(columns)


def missing_table(data: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Number and percentage of missing values per column.

    Returns
    -------
    DataFrame
        ``variable, n_missing, percent`` (percent of rows), in the order of ``columns``
        (default: every column of ``data``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.missing import missing_table
    >>> missing_table(pd.DataFrame({"a": [1, None, 3, 4], "b": ["x", "y", None, None]}))
      variable  n_missing  percent
    0        a          1     25.0
    1        b          2     50.0
    """
    cols = _cols(data, columns, "missing_table")
    n = data.isna()[cols].sum(axis=0).astype(int).to_numpy()
    return pd.DataFrame({"variable": cols, "n_missing": n,
                         "percent": 100.0 * n / max(len(data), 1)})


def missing_pattern(data: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Missingness patterns, as R ``mice::md.pattern``.

    Returns
    -------
    DataFrame
        One row per distinct pattern: a 0/1 column per variable (1 = observed, 0 =
        missing), ``n_patients`` (rows with the pattern) and ``n_missing`` (variables missing
        in it); complete rows first, then by number missing and frequency.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.missing import missing_pattern
    >>> missing_pattern(pd.DataFrame({"a": [1, None, 3, None], "b": [1, 2, None, 4]}))
       a  b  n_patients  n_missing
    0  1  1           1          0
    1  0  1           2          1
    2  1  0           1          1
    """
    cols = _cols(data, columns, "missing_pattern")
    obs = data[cols].notna().astype(int)
    pat = obs.value_counts(sort=False).rename("n_patients").reset_index()
    pat["n_missing"] = len(cols) - pat[cols].sum(axis=1)
    pat = pat.sort_values(["n_missing", "n_patients"] + cols, ascending=[True, False]
                          + [False] * len(cols), kind="stable").reset_index(drop=True)
    return pat[cols + ["n_patients", "n_missing"]]
