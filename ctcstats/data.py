"""Cohort tables: column roles, whole-cohort validation and patient-flow accounting.

:func:`validate_cohort` checks every column a study uses at once and reports *all* problems in
one :class:`~ctcstats.errors.DataValidationError` (one line per problem), so a user fixes a file
in one pass rather than one error at a time. With ``missing="drop"`` it returns the complete
cases together with the patient flow (rows read, removed per column, analysed) that REMARK
item 12 asks a report to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from ._results import Result, result
from ._validation import (
    check_choice,
    check_count_column,
    check_dataframe,
    check_event_column,
    check_group_column,
    check_numeric_column,
    check_positive_column,
    check_time_column,
    format_labels,
)
from .errors import DataValidationError

__all__ = ["COLUMN_ROLES", "ValidatedCohort", "validate_cohort"]

#: The keyword-only column roles every ctcstats function uses, and what each must hold.
COLUMN_ROLES: dict[str, str] = {
    "time_col": "follow-up time (numeric, finite, ≥ 0)",
    "event_col": "event indicator (0/1 or True/False)",
    "group_col": "grouping labels (at least two levels)",
    "strata_col": "stratum labels",
    "cluster_col": "cluster labels (e.g. patient or centre)",
    "count_col": "cell count (whole numbers ≥ 0)",
    "volume_col": "sampled blood volume in mL or cells examined (> 0)",
    "marker_col": "marker value (numeric)",
    "risk_col": "predicted risk score (numeric)",
    "study_col": "study labels",
    "id_col": "patient identifier (unique)",
}

_CHECKS = {
    "time_col": lambda f, c, r: check_time_column(f, c, role=r),
    "event_col": lambda f, c, r: check_event_column(f, c, role=r),
    "count_col": lambda f, c, r: check_count_column(f, c, role=r),
    "volume_col": lambda f, c, r: check_positive_column(f, c, role=r),
    "marker_col": lambda f, c, r: check_numeric_column(f, c, role=r),
    "risk_col": lambda f, c, r: check_numeric_column(f, c, role=r),
    "group_col": lambda f, c, r: check_group_column(f, c, role=r, func="validate_cohort"),
}


@result
class ValidatedCohort(Result):
    """A cohort that passed :func:`validate_cohort`.

    Attributes
    ----------
    data : DataFrame
        A private copy of the used columns (complete cases with ``missing="drop"``), with the
        caller's row labels.
    flow : DataFrame
        Patient flow, columns ``step, n_patients, n_removed, reason``: rows read, rows removed
        for missing values in each column (in column order; a row missing several columns is
        counted once, at its first missing column), and rows analysed.
    columns : DataFrame
        One row per used column: ``role, column, dtype, n_missing``.
    """

    _title: ClassVar[str] = "Validated cohort"
    _main_table: ClassVar[str] = "flow"

    data: pd.DataFrame
    flow: pd.DataFrame
    columns: pd.DataFrame
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        # never show patient-level rows in a summary
        return [("flow", self.flow), ("columns", self.columns)]


def validate_cohort(
    data: pd.DataFrame,
    *,
    time_col: str | None = None,
    event_col: str | None = None,
    group_col: str | None = None,
    strata_col: str | None = None,
    cluster_col: str | None = None,
    count_col: str | None = None,
    volume_col: str | None = None,
    marker_col: str | None = None,
    risk_col: str | None = None,
    study_col: str | None = None,
    id_col: str | None = None,
    covariates: Sequence[str] = (),
    missing: Literal["raise", "drop"] = "raise",
) -> ValidatedCohort:
    """Check every column of a cohort at once and account for the patients.

    Each role given is checked for what it must hold (see :data:`COLUMN_ROLES`); covariates
    must be numeric, boolean or categorical (strings / pandas Categorical). All problems are
    collected and raised together.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    time_col, event_col, group_col, strata_col, cluster_col, count_col, volume_col, \
marker_col, risk_col, study_col, id_col : str, optional
        Column roles; ``None`` skips the role.
    covariates : sequence of str
        Clinical covariates.
    missing : {"raise", "drop"}
        ``"raise"`` reports missing values as problems; ``"drop"`` removes incomplete rows and
        records them in ``flow``.

    Returns
    -------
    ValidatedCohort
        ``data`` (clean private copy), ``flow`` (``step, n_patients, n_removed, reason``),
        ``columns`` (``role, column, dtype, n_missing``), ``n_obs``, ``n_dropped``.

    Raises
    ------
    DataValidationError
        Listing every problem found, one per line, each naming its column.

    Examples
    --------
    >>> import pandas as pd
    >>> import ctcstats as cs
    >>> df = pd.DataFrame({"os_months": [3.0, 10.5, None, 7.2],
    ...                    "os_event": [1, 0, 1, 1], "ctc_count": [0, 7, 2, 1]})
    >>> cohort = cs.validate_cohort(df, time_col="os_months", event_col="os_event",
    ...                             count_col="ctc_count", missing="drop")
    >>> cohort.n_obs, cohort.n_dropped
    (3, 1)
    >>> cohort.flow["n_patients"].tolist()
    [4, 3, 3]
    """
    check_dataframe(data, func="validate_cohort")
    check_choice(missing, name="missing", choices=("raise", "drop"), func="validate_cohort")
    roles = {
        "time_col": time_col, "event_col": event_col, "group_col": group_col,
        "strata_col": strata_col, "cluster_col": cluster_col, "count_col": count_col,
        "volume_col": volume_col, "marker_col": marker_col, "risk_col": risk_col,
        "study_col": study_col, "id_col": id_col,
    }
    if isinstance(covariates, str):
        covariates = [covariates]
    pairs = [(r, c) for r, c in roles.items() if c is not None]
    pairs += [("covariate", c) for c in covariates]
    if not pairs:
        raise DataValidationError(
            "validate_cohort was given no column roles; name at least one, e.g. "
            "time_col='os_months', event_col='os_event'."
        )
    problems: list[str] = []
    absent = [(r, c) for r, c in pairs if c not in data.columns]
    for r, c in absent:
        problems.append(f"{r} {c!r} is not a column of data (check the spelling).")
    present = [(r, c) for r, c in pairs if c in data.columns]
    used: list = []
    for _, c in present:
        if c not in used:
            used.append(c)
    frame = data.loc[:, used].copy()
    isna = frame.isna()

    col_rows = []
    for r, c in present:
        col_rows.append(
            {"role": r, "column": str(c), "dtype": str(frame[c].dtype),
             "n_missing": int(isna[c].sum())}
        )
    columns = pd.DataFrame(col_rows, columns=["role", "column", "dtype", "n_missing"])

    n_read = int(frame.shape[0])
    flow_rows = [{"step": "rows read", "n_patients": n_read, "n_removed": 0, "reason": ""}]
    n_dropped = 0
    if missing == "raise":
        for r, c in present:
            m = isna[c].to_numpy()
            if m.any():
                problems.append(
                    f"{r} {c!r} has {int(m.sum())} missing value(s) (first row labels: "
                    f"{format_labels(frame.index[m])}); pass missing='drop' to analyse "
                    "complete cases, or impute them."
                )
    else:
        remaining = np.ones(n_read, dtype=bool)
        for _, c in present:
            m = isna[c].to_numpy() & remaining
            if m.any():
                flow_rows.append(
                    {"step": f"excluded: missing {c}", "n_patients": int((remaining & ~m).sum()),
                     "n_removed": int(m.sum()), "reason": f"missing value in {c!r}"}
                )
                remaining &= ~m
        n_dropped = int((~remaining).sum())
        frame = frame.loc[remaining]
        if frame.shape[0] == 0:
            problems.append("every row has a missing value in a used column; nothing is left.")
    if frame.shape[0] > 0:
        complete = frame.loc[~frame.isna().any(axis=1)]
        for r, c in present:
            role = r if r != "covariate" else "covariates"
            try:
                if role in _CHECKS and complete.shape[0] > 0:
                    _CHECKS[role](complete, c, r)
                elif role == "covariates":
                    s = complete[c]
                    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                        check_numeric_column(complete, c, role=r)
            except DataValidationError as exc:
                problems.append(str(exc))
        if id_col is not None and id_col in frame.columns:
            dup = frame[id_col].duplicated(keep=False).to_numpy()
            if dup.any():
                problems.append(
                    f"id_col {id_col!r} has {int(dup.sum())} rows with duplicated identifiers "
                    f"(first row labels: {format_labels(frame.index[dup])}); one row per "
                    "patient is expected — keep serial draws in a separate long table."
                )
    if problems:
        head = f"validate_cohort found {len(problems)} problem(s):"
        raise DataValidationError("\n".join([head] + [f"  - {p}" for p in problems]))
    flow_rows.append(
        {"step": "analysed", "n_patients": int(frame.shape[0]), "n_removed": n_dropped,
         "reason": "complete cases" if n_dropped else ""}
    )
    flow = pd.DataFrame(flow_rows, columns=["step", "n_patients", "n_removed", "reason"])
    return ValidatedCohort(
        data=frame, flow=flow, columns=columns, n_obs=int(frame.shape[0]), n_dropped=n_dropped
    )


# =========================================================================== serial draws
# Long table of repeated marker draws: one row per (patient, draw). Owned by the designs
# work (ctcstats/designs); self-contained below this line.
__all__ += ["validate_draws"]


def validate_draws(
    draws: pd.DataFrame,
    *,
    id_col: str = "patient_id",
    time_col: str = "draw_months",
    count_col: str = "ctc_count",
    volume_col: str | None = None,
    patients: pd.DataFrame | None = None,
    followup_cols: Sequence[str] | None = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """Check a long table of serial draws and return a clean, sorted copy.

    Parameters
    ----------
    draws : DataFrame
        One row per draw: the patient identifier, the draw time (time since the patient's
        time zero, e.g. months from the baseline draw), the cell count and optionally the
        sampled volume (or cells examined).
    id_col, time_col, count_col, volume_col : str
        Column roles in *draws*.
    patients : DataFrame, optional
        The patient table (one row per patient, identifier in ``id_col``). When given, every
        draw must belong to a patient of the table.
    followup_cols : list of str, optional
        Time columns of *patients* (e.g. ``["pfs_months", "os_months"]``); the patient's last
        follow-up is their maximum, and no draw may come after it.
    missing : {"raise", "drop"}
        Missing values in the used columns of *draws* raise (default) or drop the row.

    Returns
    -------
    DataFrame
        A copy of *draws* (all columns; rows with missing values removed when
        ``missing="drop"``) sorted by ``id_col`` then ``time_col``, row labels kept, counts as
        int64. The input is not modified.

    Raises
    ------
    DataValidationError
        Missing columns, negative or non-finite times, negative or non-integer counts,
        volumes ≤ 0, two draws of one patient at the same time, draws of unknown patients,
        or draws after the patient's last follow-up (the message names the rows).

    Examples
    --------
    >>> import ctcstats as cs
    >>> from ctcstats.data import validate_draws
    >>> sc = cs.simulate_study("hayes2006", rng=1)
    >>> clean = validate_draws(sc.draws, patients=sc.data,
    ...                        followup_cols=["pfs_months", "os_months"])
    >>> clean.shape == sc.draws.shape
    True
    """
    from ._validation import prepare_frame

    func = "validate_draws"
    prepared = prepare_frame(
        draws, func=func,
        roles={"id_col": id_col, "time_col": time_col, "count_col": count_col,
               "volume_col": volume_col},
        missing=missing,
    )
    frame = prepared.frame
    check_time_column(frame, time_col, role="time_col")
    frame[count_col] = check_count_column(frame, count_col, role="count_col")
    if volume_col is not None:
        check_positive_column(frame, volume_col, role="volume_col")
    dup = frame.duplicated(subset=[id_col, time_col], keep=False).to_numpy()
    if dup.any():
        raise DataValidationError(
            f"draws has {int(dup.sum())} rows that repeat a ({id_col!r}, {time_col!r}) pair "
            f"(first row labels: {format_labels(frame.index[dup])}); each patient can have "
            "one draw at a given time — remove duplicates or average the replicate counts."
        )
    if patients is not None:
        check_dataframe(patients, func=func)
        if id_col not in patients.columns:
            raise DataValidationError(
                f"id_col {id_col!r} is not a column of patients; the patient table must "
                "carry the same identifier as the draws."
            )
        pid = patients[id_col]
        if pid.duplicated().any():
            raise DataValidationError(
                f"id_col {id_col!r} of patients has duplicated identifiers (first row labels: "
                f"{format_labels(pid.index[pid.duplicated().to_numpy()])}); the patient table "
                "needs one row per patient."
            )
        known = frame[id_col].isin(pid).to_numpy()
        if not known.all():
            raise DataValidationError(
                f"draws has {int((~known).sum())} rows whose {id_col!r} is not in patients "
                f"(first row labels: {format_labels(frame.index[~known])})."
            )
        if followup_cols:
            cols = list(followup_cols)
            for c in cols:
                if c not in patients.columns:
                    raise DataValidationError(
                        f"followup_cols {c!r} is not a column of patients."
                    )
                check_time_column(patients, c, role="followup_cols")
            last = patients[cols].max(axis=1)
            last.index = pid.to_numpy()
            limit = frame[id_col].map(last).to_numpy(dtype=float)
            late = frame[time_col].to_numpy(dtype=float) > limit + 1e-9
            if late.any():
                raise DataValidationError(
                    f"draws has {int(late.sum())} rows after the patient's last follow-up "
                    f"(max of {cols}) (first row labels: {format_labels(frame.index[late])}); "
                    "a draw cannot come after death or censoring — check the time origin of "
                    "time_col."
                )
    order = np.lexsort((frame[time_col].to_numpy(), frame[id_col].to_numpy()))
    out = draws.iloc[prepared.positions].copy()  # by position: row labels may repeat
    out[count_col] = frame[count_col].to_numpy()
    return out.iloc[order]
