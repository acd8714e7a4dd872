"""The built-in table of published CTC/DTC hazard ratios (with sources).

Every number was read from the source named in its row (see ``shared/published_designs.md``
in the project for the provenance of each). Rows whose CI was not published keep the HR with
empty CI columns; they cannot be pooled and are left out unless ``with_ci_only=False``.
``level`` separates single studies, pooled individual-patient-data analyses and aggregate
meta-analyses — pooling a meta-analysis with the studies it contains counts patients twice.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = ["published_hazard_ratios"]

_FILTERS = ("marker", "setting", "cancer", "endpoint", "level", "analysis")


def _load() -> pd.DataFrame:
    with resources.files("ctcstats.meta").joinpath("data/published_hazard_ratios.csv").open(
        "r", encoding="utf-8"
    ) as fh:
        table = pd.read_csv(fh, dtype={"year": "Int64", "n": "Int64"},
                            keep_default_na=False, na_values=[""])
    table["primary"] = table["primary"].astype(str).str.lower().map({"true": True, "false": False})
    return table


def published_hazard_ratios(
    *,
    marker: str | None = None,
    setting: str | None = None,
    cancer: str | None = None,
    endpoint: str | None = None,
    level: str | None = None,
    analysis: str | None = None,
    primary_only: bool = False,
    with_ci_only: bool = True,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Published hazard ratios of CTC/DTC positivity, ready for :func:`meta_analysis`.

    Parameters
    ----------
    marker, setting, cancer, endpoint, level, analysis : str, optional
        Keep rows whose column equals the value (case-insensitive), e.g. ``marker="CTC"``,
        ``setting="early"``, ``endpoint="OS"``, ``level="study"`` (or ``"pooled IPD"``,
        ``"meta-analysis"``).
    primary_only : bool
        Keep only each study's primary contrast (marker-positive vs negative at the study's
        threshold, at baseline, first time window) — one row per study and endpoint, so that
        pooling does not count a cohort twice. Secondary contrasts (count categories, higher
        thresholds, later windows, persistence after therapy) have ``primary = False``.
    with_ci_only : bool
        Drop rows without a published CI (they cannot be pooled).
    conf_level : float
        Level of the published CIs (all 95%).

    Returns
    -------
    DataFrame
        Columns ``study, year, level, setting, cancer, marker, assay, threshold, contrast,
        primary, endpoint, analysis, time_window, n, hr, ci_lower, ci_upper, source, note, log_hr,
        std_error`` — ``std_error = (log(ci_upper) − log(ci_lower)) / (2·1.96)``.

    Examples
    --------
    >>> import ctcstats as cs
    >>> early_os = cs.published_hazard_ratios(setting="early", endpoint="OS", cancer="breast",
    ...                                       primary_only=True)
    >>> early_os = early_os[early_os["level"] != "meta-analysis"]
    >>> res = cs.meta_analysis(early_os, estimate_col="log_hr", std_error_col="std_error",
    ...                        study_col="study", method="reml", test="knha")
    >>> res.k
    7
    """
    from scipy import stats

    table = _load()
    args = dict(marker=marker, setting=setting, cancer=cancer, endpoint=endpoint, level=level,
                analysis=analysis)
    for col, val in args.items():
        if val is None:
            continue
        keep = table[col].fillna("").str.lower() == str(val).lower()
        if not keep.any():
            options = ", ".join(repr(v) for v in sorted(table[col].dropna().unique()))
            raise DataValidationError(
                f"no published hazard ratio has {col}={val!r}; available values: {options}."
            )
        table = table.loc[keep]
    if primary_only:
        table = table.loc[table["primary"]]
    if with_ci_only:
        table = table.loc[table["ci_lower"].notna() & table["ci_upper"].notna()]
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    table = table.assign(
        log_hr=np.log(table["hr"]),
        std_error=(np.log(table["ci_upper"]) - np.log(table["ci_lower"])) / (2 * z),
    )
    return table.reset_index(drop=True)
