"""Design matrices for count models that can be rebuilt on new data (private).

:func:`~ctcstats._validation.design_matrix` validates and expands covariates at fit time; the
:class:`DesignSpec` recorded here remembers which covariates were categorical and their levels so
that predictions on new rows use exactly the same indicator columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import (
    check_numeric_column,
    design_matrix,
    format_labels,
    group_levels,
    is_categorical,
)
from ..errors import DataValidationError

__all__ = ["DesignSpec", "build_design"]


@dataclass(frozen=True)
class DesignSpec:
    """Covariates of one model component: names, categorical levels and term names."""

    covariates: tuple[str, ...]
    levels: tuple[tuple | None, ...]  # None for a numeric covariate
    terms: tuple[str, ...]  # including "intercept" first

    def matrix(self, frame: pd.DataFrame, *, role: str) -> np.ndarray:
        """The design matrix (intercept first) of *frame*, with the fitted levels."""
        cols = [np.ones(frame.shape[0])]
        for col, levels in zip(self.covariates, self.levels, strict=True):
            if levels is None:
                cols.append(check_numeric_column(frame, col, role=role))
                continue
            vals = frame[col].to_numpy(dtype=object)
            known = np.isin(vals, np.asarray(levels, dtype=object))
            if not known.all():
                unknown = sorted({str(v) for v in vals[~known]})
                raise DataValidationError(
                    f"{role} {col!r} has levels {unknown} that the model was not fitted on "
                    f"(rows {format_labels(frame.index[~known])}); the fitted levels are "
                    f"{list(levels)}."
                )
            for lev in levels[1:]:
                cols.append((vals == lev).astype(float))
        return np.column_stack(cols)


def build_design(
    frame: pd.DataFrame, covariates: Sequence[str], *, func: str, role: str
) -> tuple[np.ndarray, DesignSpec]:
    """Validate and expand *covariates* (intercept first) and record how to rebuild them."""
    x, names = design_matrix(frame, covariates, func=func, role=role)
    levels: list[tuple | None] = []
    for col in covariates:
        s = frame[col]
        levels.append(tuple(group_levels(s)) if is_categorical(s) else None)
    mat = np.column_stack([np.ones(frame.shape[0]), x]) if x.size else np.ones((frame.shape[0], 1))
    spec = DesignSpec(tuple(covariates), tuple(levels), ("intercept", *names))
    return mat, spec
