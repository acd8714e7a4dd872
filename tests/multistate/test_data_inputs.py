"""Transition matrices and multistate_data: layouts, bad input, messages naming rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ctcstats.errors import DataValidationError, DataWarning, ParameterError
from ctcstats.multistate import (
    competing_risks_transitions,
    illness_death_transitions,
    multistate_data,
    relapse_site_transitions,
    transition_matrix,
)

TM = illness_death_transitions(("disease_free", "relapse", "death"))
KW = dict(transitions=TM, state_time_cols={"relapse": "rel_m", "death": "os_m"},
          state_event_cols={"relapse": "rel", "death": "dead"}, id_col="pid")


def frame(**over) -> pd.DataFrame:
    base = {"pid": ["a", "b", "c", "d"], "rel_m": [10.0, 30.0, 12.0, 7.0],
            "rel": [1, 0, 1, 0], "os_m": [25.0, 30.0, 40.0, 9.0], "dead": [1, 1, 0, 0],
            "dtc": [1, 0, 1, 0], "grade": ["G1", "G3", "G2", "G3"]}
    base.update(over)
    return pd.DataFrame(base)


# --------------------------------------------------------------------------- matrices
def test_layouts_match_mstate_numbering():
    # trans.illdeath: 1: 1->2, 2: 1->3, 3: 2->3
    assert TM.table[["from", "to"]].values.tolist() == [
        ["disease_free", "relapse"], ["disease_free", "death"], ["relapse", "death"]]
    m = TM.matrix
    assert m.loc["disease_free", "death"] == 2 and np.isnan(m.loc["death", "disease_free"])
    assert TM.absorbing_states == ("death",)
    assert TM.trans_number("relapse", "death") == 3
    assert competing_risks_transitions(["a", "b"]).n_transitions == 2
    rs = relapse_site_transitions(("local", "bone", "visceral"))
    assert rs.transitions_from("disease_free") == [1, 2, 3, 4]
    assert rs.transitions_from("visceral") == [7]
    # transMat numbers in the order given: list(c(3, 2), c(3), c()) -> 1->3 is 1, 1->2 is 2
    tm = transition_matrix({"a": ["c", "b"], "b": ["c"]})
    assert tm.trans_number("a", "c") == 1 and tm.trans_number("a", "b") == 2


def test_matrix_display_and_dict():
    assert "relapse" in str(TM) and "ctcstats-result" in TM._repr_html_()
    d = TM.to_dict()
    json.dumps(d)
    assert d["transitions"][2] == {"trans": 3, "from": "relapse", "to": "death"}
    assert "3 transitions" in repr(TM)


@pytest.mark.parametrize("spec, match", [
    ({}, "non-empty mapping"),
    ({"a": "b"}, r"write \['b'\]"),
    ({"a": ["b", "b"]}, "lists a target twice"),
    ({"a": ["a"]}, "lists itself"),
    ({"a": ["b"], "b": ["a"]}, "cycle"),
    ({"a": ["b"], "b": ["c"], "c": ["b"]}, "cycle"),
    ({"a": [""]}, "non-empty strings"),
    ({"a": []}, "at least one transition"),
])
def test_bad_transition_matrices(spec, match):
    with pytest.raises(ParameterError, match=match):
        transition_matrix(spec)


def test_bad_layout_arguments():
    with pytest.raises(ParameterError, match="exactly 3 state names"):
        illness_death_transitions(("a", "b"))
    with pytest.raises(ParameterError, match="twice"):
        relapse_site_transitions(("bone", "bone"))
    with pytest.raises(ParameterError, match="list of strings"):
        competing_risks_transitions("bone")
    with pytest.raises(ParameterError, match="not a state"):
        TM.trans_number("x", "death")
    with pytest.raises(ParameterError, match="no transition"):
        TM.trans_number("death", "relapse")


# --------------------------------------------------------------------------- the builder
def test_paths_and_events_table():
    ms = multistate_data(frame(), **KW, covariates=["dtc", "grade"])
    t = ms.table
    # patient a: relapse at 10, death at 25; b: death at 30; c: relapse at 12, censored at 40;
    # d: censored at 7 (relapse follow-up) and 9 -> censored at the earlier, 7
    assert t[t.pid == "a"][["from", "to", "start", "stop", "status"]].values.tolist() == [
        ["disease_free", "relapse", 0.0, 10.0, 1], ["disease_free", "death", 0.0, 10.0, 0],
        ["relapse", "death", 10.0, 25.0, 1]]
    assert t[t.pid == "d"]["stop"].tolist() == [7.0, 7.0]
    assert ms.events["n_events"].tolist() == [2, 1, 1]
    assert ms.events["n_at_risk"].tolist() == [4, 4, 2]
    assert ms.expanded_columns("grade") == [f"grade[{g}].{k}" for g in ("G2", "G3")
                                            for k in (1, 2, 3)]
    row_b2 = t[(t.pid == "b") & (t.trans == 2)]
    assert row_b2["grade[G3].2"].item() == 1.0 and row_b2["grade[G3].1"].item() == 0.0
    json.dumps(ms.to_dict())
    with pytest.raises(ParameterError, match="not one of the covariates"):
        ms.expanded_columns("age")


def test_input_not_mutated_and_no_id_uses_labels():
    df = frame()
    before = df.copy()
    ms = multistate_data(df, **{**KW, "id_col": None})
    pd.testing.assert_frame_equal(df, before)
    assert ms.id_col == "id" and set(ms.table["id"]) == {0, 1, 2, 3}


def test_list_form_of_columns_equals_mapping():
    a = multistate_data(frame(), **KW).table
    b = multistate_data(frame(), transitions=TM, state_time_cols=[None, "rel_m", "os_m"],
                        state_event_cols=[None, "rel", "dead"], id_col="pid").table
    pd.testing.assert_frame_equal(a, b)


def test_death_before_relapse_names_rows():
    df = frame(os_m=[5.0, 30.0, 40.0, 9.0])  # a: death at 5 (event), relapse at 10 (event)
    with pytest.raises(DataValidationError, match=r"1 patient \(ids 'a'\): an event in state "
                       r"'relapse' at time 10 is recorded after the patient entered the "
                       r"absorbing state 'death' at 5"):
        multistate_data(df, **KW)


def test_event_before_entering_the_state_it_leads_from():
    # a chain df -> rel -> death: death at 5 cannot follow a relapse at 10
    tm = transition_matrix({"df": ["rel"], "rel": ["death"]})
    df = pd.DataFrame({"pid": [1, 2], "r": [10.0, 5.0], "re": [1, 1], "d": [5.0, 8.0],
                       "de": [1, 0]})
    with pytest.raises(DataValidationError, match=r"1 patient \(ids 1\): the event time of "
                       r"state 'death' \(5\) is earlier than the time the patient entered "
                       r"'rel' \(10\)"):
        multistate_data(df, transitions=tm, state_time_cols={"rel": "r", "death": "d"},
                        state_event_cols={"rel": "re", "death": "de"}, id_col="pid")


def test_simultaneous_events_name_rows():
    df = frame(os_m=[10.0, 30.0, 40.0, 9.0], rel_m=[10.0, 30.0, 12.0, 7.0])
    # a: relapse and death both at 10 from disease_free: simultaneous
    df.loc[0, "dead"] = 1
    with pytest.raises(DataValidationError, match=r"ids 'a'.*simultaneous events from "
                       r"'disease_free' to 'relapse' and 'death' at time 10"):
        multistate_data(df, **KW)


def test_zero_length_stay_is_an_error():
    # relapse at 10 then death at 10 can only be expressed with the relapse row moved
    tm = transition_matrix({"df": ["rel"], "rel": ["death"]})
    df = pd.DataFrame({"pid": [1, 2], "r": [10.0, 5.0], "re": [1, 1], "d": [10.0, 8.0],
                       "de": [1, 0]})
    with pytest.raises(DataValidationError, match=r"ids 1\).*'rel' → 'death' happens at the "
                       r"very time 'rel' was entered \(10\).*ptime - 0.1"):
        multistate_data(df, transitions=tm, state_time_cols={"rel": "r", "death": "d"},
                        state_event_cols={"rel": "re", "death": "de"}, id_col="pid")


def test_follow_up_ending_before_entry_is_an_error():
    df = frame(os_m=[25.0, 30.0, 8.0, 9.0], dead=[1, 1, 0, 0])  # c: relapse 12, last seen 8
    with pytest.raises(DataValidationError, match=r"ids 'c'.*every time of the states "
                       r"reachable from 'relapse' \('death'\) is earlier"):
        multistate_data(df, **KW)


def test_early_end_of_follow_up_warns_and_records():
    df = frame(rel_m=[10.0, 12.0, 12.0, 7.0])  # b: relapse follow-up ends 12, death at 30
    with pytest.warns(DataWarning, match=r"ids 'b'.*assumed not entered"):
        ms = multistate_data(df, **KW)
    assert len(ms.warnings) == 1
    assert ms.table[ms.table.pid == "b"]["stop"].tolist() == [30.0, 30.0]


def test_censored_on_entry_is_left_out_and_recorded():
    df = frame(os_m=[25.0, 30.0, 12.0, 9.0])  # c: relapse at 12 and censored at 12
    with pytest.warns(DataWarning, match=r"1 patient\(s\) were censored at the moment .*'c'"):
        ms = multistate_data(df, **KW)
    assert ms.table[ms.table.pid == "c"]["from"].tolist() == ["disease_free"] * 2


def test_duplicated_ids():
    with pytest.raises(DataValidationError, match=r"id_col 'pid' has duplicated ids \('a'\)"):
        multistate_data(frame(pid=["a", "a", "c", "d"]), **KW)


def test_bad_columns_and_parameters():
    with pytest.raises(DataValidationError, match="state_event_cols 'rel' must contain only"):
        multistate_data(frame(rel=[1, 2, 0, 0]), **KW)
    with pytest.raises(DataValidationError, match="state_time_cols 'rel_m' has 1 negative"):
        multistate_data(frame(rel_m=[-1.0, 30.0, 12.0, 7.0]), **KW)
    with pytest.raises(DataValidationError, match="state_time_cols 'os_m' has 1 missing"):
        multistate_data(frame(os_m=[25.0, np.nan, 40.0, 9.0]), **KW)
    with pytest.raises(ParameterError, match="must be a TransitionMatrix"):
        multistate_data(frame(), **{**KW, "transitions": {"a": ["b"]}})
    with pytest.raises(ParameterError, match="no column for state 'death'"):
        multistate_data(frame(), **{**KW, "state_time_cols": {"relapse": "rel_m"}})
    with pytest.raises(ParameterError, match="names \\['relapsed'\\], which are not states"):
        multistate_data(frame(), **{**KW, "state_time_cols": {"relapsed": "rel_m",
                                                              "death": "os_m"}})
    with pytest.raises(ParameterError, match="gives a column for the starting state"):
        multistate_data(frame(), **{**KW, "state_time_cols": ["rel_m", "rel_m", "os_m"]})
    with pytest.raises(ParameterError, match="one entry per state"):
        multistate_data(frame(), **{**KW, "state_time_cols": [None, "rel_m"]})
    with pytest.raises(ParameterError, match="'clock' parameter of multistate_data"):
        multistate_data(frame(), **KW, clock="backward")
    with pytest.raises(ParameterError, match=r"write \['dtc'\]"):
        multistate_data(frame(), **KW, covariates="dtc")
    with pytest.raises(ParameterError, match="clash with the columns of the long format"):
        multistate_data(frame(status=[0, 1, 0, 1]), **KW, covariates=["status"])


def test_missing_drop_counts_patients():
    ms = multistate_data(frame(os_m=[25.0, np.nan, 40.0, 9.0]), **KW, missing="drop")
    assert ms.n_obs == 3 and ms.n_dropped == 1
    assert "b" not in set(ms.table.pid)
