"""Load stored R reference inputs and outputs (CI never needs R itself).

Layout: ``tests/reference/<topic>/`` holds ``make_inputs.py`` (seeded generator),
``<topic>.R`` (the R script), ``inputs/*.csv`` and ``outputs/*.json`` (R's results,
written with ``jsonlite::write_json(..., digits = NA, auto_unbox = TRUE)``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

REFERENCE_DIR = Path(__file__).resolve().parent


def load_input(topic: str, name: str) -> pd.DataFrame:
    """``tests/reference/<topic>/inputs/<name>.csv`` as a DataFrame."""
    return pd.read_csv(REFERENCE_DIR / topic / "inputs" / f"{name}.csv")


def load_output(topic: str, name: str) -> dict:
    """``tests/reference/<topic>/outputs/<name>.json`` with JSON nulls as NaN in lists."""
    with open(REFERENCE_DIR / topic / "outputs" / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def as_array(values) -> np.ndarray:
    """A JSON list (with ``null`` / ``"NA"`` / ``"Inf"`` for R's NA and Inf) as a float array."""
    if not isinstance(values, list):
        values = [values]
    out = []
    for v in values:
        if v is None or v == "NA" or v == "NaN":
            out.append(np.nan)
        elif v == "Inf":
            out.append(np.inf)
        elif v == "-Inf":
            out.append(-np.inf)
        else:
            out.append(float(v))
    return np.asarray(out, dtype=float)
