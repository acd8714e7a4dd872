"""validate_cohort: all problems at once, patient flow with missing='drop'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ctcstats.data import validate_cohort
from ctcstats.errors import DataValidationError


def _cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3", "p4", "p5"],
            "os_months": [3.0, 10.5, np.nan, 7.2, 1.0],
            "os_event": [1, 0, 1, 1, 0],
            "ctc_count": [0, 7, 2, 1, np.nan],
            "blood_volume_ml": [7.5, 7.5, 7.5, 30.0, 7.5],
            "grade": ["G1", "G2", "G3", "G2", "G1"],
        }
    )


def test_flow_with_drop():
    df = _cohort()
    before = df.copy()
    res = validate_cohort(
        df, time_col="os_months", event_col="os_event", count_col="ctc_count",
        volume_col="blood_volume_ml", id_col="patient_id", covariates=["grade"], missing="drop",
    )
    pd.testing.assert_frame_equal(df, before)
    assert (res.n_obs, res.n_dropped) == (3, 2)
    assert res.flow["step"].tolist() == [
        "rows read", "excluded: missing os_months", "excluded: missing ctc_count", "analysed"
    ]
    assert res.flow["n_patients"].tolist() == [5, 4, 3, 3]
    assert res.flow["n_removed"].tolist() == [0, 1, 1, 2]
    assert res.columns.set_index("column").loc["ctc_count", "n_missing"] == 1
    assert "p1" not in str(res) and "p1" not in res._repr_html_()  # no patient rows shown


def test_all_problems_reported_together():
    df = _cohort().assign(os_event=[1, 2, 1, 1, 0], blood_volume_ml=[7.5, 0, 7.5, 7.5, 7.5])
    df.loc[1, "patient_id"] = "p1"
    with pytest.raises(DataValidationError) as info:
        validate_cohort(
            df, time_col="os_months", event_col="os_event", count_col="ctc_count",
            volume_col="blood_volume_ml", id_col="patient_id", covariates=["stage"],
        )
    msg = str(info.value)
    assert msg.startswith("validate_cohort found 6 problem(s):")
    for part in [
        "covariate 'stage' is not a column of data",
        "time_col 'os_months' has 1 missing value(s)",
        "count_col 'ctc_count' has 1 missing value(s)",
        "event_col 'os_event' must contain only 0/1 or True/False; found {2}",
        "volume_col 'blood_volume_ml' has 1 non-positive value",
        "id_col 'patient_id' has 2 rows with duplicated identifiers",
    ]:
        assert part in msg


def test_no_roles_is_an_error():
    with pytest.raises(DataValidationError, match="validate_cohort was given no column roles"):
        validate_cohort(_cohort())
