"""multistate_data against mstate::msprep + expand.covs (tests/reference/multistate/).

R (multistate.R)::

    ms <- msprep(data = sites, trans = transMat(list(c(2, 3, 4), c(4), c(4), c())),
                 time = c(NA, "relapse_months", "relapse_months", "os_months"),
                 status = c(NA, "bone_event", "other_event", "os_event"), id = "id",
                 keep = c("dtc_positive", "age", "grade"))
    ms <- expand.covs(ms, c("dtc_positive", "age", "grade"), longnames = FALSE)

The long tables must be identical row for row (same order: id, start, transition), times
exactly (they are copied, not computed), and every expanded covariate column equal to mstate's
(mstate names a factor's terms ``grade1.1``, ``grade2.1``; ctcstats ``grade[G2].1``,
``grade[G3].1``). The same for mstate's own data sets ebmt3 (illness-death) and ebmt4 (six
states, twelve transitions). clock="reset" must give mstate's ``time`` column as ``stop``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from ctcstats.multistate import (
    illness_death_transitions,
    multistate_data,
    relapse_site_transitions,
    transition_matrix,
)
from tests.reference._load import REFERENCE_DIR, load_input

TOPIC = "multistate"


def _r_long(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / TOPIC / "outputs" / f"msprep_{name}.csv")


def _sites():
    data = load_input(TOPIC, "sites")
    tm = relapse_site_transitions(("bone", "other_distant"))
    kw = dict(
        transitions=tm,
        state_time_cols={"bone": "relapse_months", "other_distant": "relapse_months",
                         "death": "os_months"},
        state_event_cols={"bone": "bone_event", "other_distant": "other_event",
                          "death": "os_event"},
        id_col="id", covariates=["dtc_positive", "age", "grade"],
    )
    return data, tm, kw


def _compare_core(ms, r: pd.DataFrame, tm, id_col: str = "id") -> None:
    py = ms.table
    assert len(py) == len(r)
    assert_array_equal(py[id_col].to_numpy(), r["id"].to_numpy())
    states = np.asarray(tm.states, dtype=object)
    assert_array_equal(py["from"].to_numpy(), states[r["from"].to_numpy() - 1])
    assert_array_equal(py["to"].to_numpy(), states[r["to"].to_numpy() - 1])
    assert_array_equal(py["trans"].to_numpy(), r["trans"].to_numpy())
    assert_array_equal(py["status"].to_numpy(), r["status"].to_numpy())
    # times are copied from the input, never computed: exact equality
    assert_array_equal(py["start"].to_numpy(), r["Tstart"].to_numpy())
    assert_array_equal(py["stop"].to_numpy(), r["Tstop"].to_numpy())


def test_sites_matches_msprep_and_expand_covs():
    data, tm, kw = _sites()
    ms = multistate_data(data, **kw)
    r = _r_long("sites")
    _compare_core(ms, r, tm)
    for k in range(1, 6):
        assert_array_equal(ms.table[f"dtc_positive.{k}"], r[f"dtc_positive.{k}"])
        assert_array_equal(ms.table[f"age.{k}"], r[f"age.{k}"])
        assert_array_equal(ms.table[f"grade[G2].{k}"], r[f"grade1.{k}"])
        assert_array_equal(ms.table[f"grade[G3].{k}"], r[f"grade2.{k}"])
    # mstate's events(): transitions counted per from-state
    ev = ms.events.set_index("trans")
    r_ev = r.groupby("trans")["status"].agg(["size", "sum"])
    assert_array_equal(ev["n_at_risk"], r_ev["size"])
    assert_array_equal(ev["n_events"], r_ev["sum"])
    assert ms.n_obs == 400 and ms.warnings == ()


def test_sites_clock_reset_is_msprep_time():
    data, tm, kw = _sites()
    ms = multistate_data(data, **kw, clock="reset")
    r = _r_long("sites")
    assert_array_equal(ms.table["start"].to_numpy(), np.zeros(len(r)))
    # stop - start of the forward clock: R computes Tstop - Tstart too (same rounding)
    np.testing.assert_allclose(ms.table["stop"].to_numpy(), r["time"].to_numpy(), rtol=0,
                               atol=1e-12)


def test_ebmt3_matches_msprep():
    data = load_input(TOPIC, "ebmt3")
    tm = illness_death_transitions(("Tx", "PR", "RelDeath"))
    ms = multistate_data(
        data, transitions=tm, state_time_cols=[None, "prtime", "rfstime"],
        state_event_cols=[None, "prstat", "rfsstat"], id_col="id",
        covariates=["dissub", "age", "drmatch", "tcd"],
    )
    r = _r_long("ebmt3")
    _compare_core(ms, r, tm)
    # R factors with sorted (C-locale) levels: dissub ALL < AML < CML; age 20-40 < <=20 < >40
    for k in (1, 2, 3):
        assert_array_equal(ms.table[f"dissub[AML].{k}"], r[f"dissub1.{k}"])
        assert_array_equal(ms.table[f"dissub[CML].{k}"], r[f"dissub2.{k}"])
        assert_array_equal(ms.table[f"age[<=20].{k}"], r[f"age1.{k}"])
        assert_array_equal(ms.table[f"age[>40].{k}"], r[f"age2.{k}"])
        assert_array_equal(ms.table[f"drmatch[No gender mismatch].{k}"], r[f"drmatch.{k}"])
        assert_array_equal(ms.table[f"tcd[TCD].{k}"], r[f"tcd.{k}"])


def test_ebmt4_six_states_matches_msprep():
    data = load_input(TOPIC, "ebmt4")
    # transMat(list(c(2, 3, 5, 6), c(4, 5, 6), c(4, 5, 6), c(5, 6), c(), c())): keys first,
    # so Rec+AE is the fourth state, as in mstate
    tm = transition_matrix({
        "Tx": ["Rec", "AE", "Rel", "Death"], "Rec": ["Rec+AE", "Rel", "Death"],
        "AE": ["Rec+AE", "Rel", "Death"], "Rec+AE": ["Rel", "Death"],
    })
    assert tm.states == ("Tx", "Rec", "AE", "Rec+AE", "Rel", "Death")
    assert tm.n_transitions == 12
    ms = multistate_data(
        data, transitions=tm,
        state_time_cols=[None, "rec", "ae", "recae", "rel", "srv"],
        state_event_cols=[None, "rec.s", "ae.s", "recae.s", "rel.s", "srv.s"],
        id_col="id", covariates=["agecl"],
    )
    r = _r_long("ebmt4")
    _compare_core(ms, r, tm)
    for k in range(1, 13):
        assert_array_equal(ms.table[f"agecl[>40].{k}"], r[f"agecl2.{k}"])
        assert_array_equal(ms.table[f"agecl[<=20].{k}"], r[f"agecl1.{k}"])


@pytest.mark.parametrize("seed", [1, 2])
def test_row_order_and_index_labels_do_not_matter(seed):
    data, _, kw = _sites()
    ref = multistate_data(data, **kw).table
    rng = np.random.default_rng(seed)
    shuffled = data.iloc[rng.permutation(len(data))]
    shuffled.index = rng.permutation(len(data)) * 7 + 3
    out = multistate_data(shuffled, **kw).table
    pd.testing.assert_frame_equal(out, ref)
