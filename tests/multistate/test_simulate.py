"""add_relapse_sites: first events read correctly from the design's endpoints, sites drawn
with the labelled probabilities (simulation recovery), reproducible, input untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.multistate import DTC_BONE_SHARE, SiteAssumption, add_relapse_sites


@pytest.fixture(scope="module")
def braun():
    return cs.simulate_cohort("braun2005", rng=7)


def test_first_events_follow_the_endpoints(braun):
    before = braun.copy()
    df = add_relapse_sites(braun, rng=1)
    pd.testing.assert_frame_equal(braun, before)
    distant = df["relapse_site"].isin(["bone", "other_distant"])
    # a first distant relapse ends DDFS with an event at the DFS time
    assert (df.loc[distant, "ddfs_event"] == 1).all()
    assert (df.loc[distant, "ddfs_months"] == df.loc[distant, "dfs_months"]).all()
    # death without relapse: code 4, DFS ends at death
    death = df["first_event"] == 4
    assert (df.loc[death, "os_months"] == df.loc[death, "dfs_months"]).all()
    assert (df.loc[death, "relapse_site"] == "none").all()
    # every DFS event is exactly one of local / distant / death; censored rows code 0
    assert ((df["first_event"] > 0) == (df["dfs_event"] == 1)).all()
    assert df.attrs["first_event_labels"] == {1: "local", 2: "bone", 3: "other_distant",
                                              4: "death"}
    for s in ("local", "bone", "other_distant"):
        assert (df[f"{s}_event"] == (df["relapse_site"] == s)).all()
    # relapse never on or after death
    rel = df["relapse_site"] != "none"
    dead = rel & (df["os_event"] == 1)
    assert (df.loc[dead, "relapse_months"] < df.loc[dead, "os_months"]).all()
    a = df.attrs["assumptions"]
    assert a["site_probabilities"]["status"] == "assumption"
    assert "not found" in a["site_probabilities"]["reason"]
    assert a["post_relapse_survival"]["status"] == "assumption"


def test_site_shares_recover_the_assumed_probabilities(braun):
    """Simulation recovery: over the 4,703-patient cohort the bone share among first distant
    relapses is within 4 binomial standard errors of the assumed 45% / 60%."""
    df = add_relapse_sites(braun, rng=3)
    distant = df[df["relapse_site"].isin(["bone", "other_distant"])]
    for m, p in ((0, 0.45), (1, 0.60)):
        sub = distant[distant["dtc_positive"] == m]
        share = (sub["relapse_site"] == "bone").mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(sub)), (m, share, len(sub))


def test_reproducible_and_usable_by_multistate_data(braun):
    a = add_relapse_sites(braun, rng=5)
    b = add_relapse_sites(braun, rng=5)
    pd.testing.assert_frame_equal(a, b)
    tm = cs.relapse_site_transitions(("local", "bone", "other_distant"))
    ms = cs.multistate_data(
        a, transitions=tm,
        state_time_cols={"local": "relapse_months", "bone": "relapse_months",
                         "other_distant": "relapse_months", "death": "os_months"},
        state_event_cols={"local": "local_event", "bone": "bone_event",
                          "other_distant": "other_distant_event", "death": "os_event"},
        id_col="patient_id")
    ev = ms.events.set_index("trans")["n_events"]
    assert ev[1] == (a["relapse_site"] == "local").sum()
    assert ev[4] == (a["first_event"] == 4).sum()


def test_site_assumption_checks():
    with pytest.raises(ParameterError, match="needs a reason"):
        SiteAssumption({0: {"bone": 1.0}})
    with pytest.raises(ParameterError, match="adding to 1"):
        SiteAssumption({0: {"bone": 0.5, "other": 0.4}}, reason="r")
    with pytest.raises(ParameterError, match="same sites in the same order"):
        SiteAssumption({0: {"bone": 0.5, "other": 0.5}, 1: {"other": 0.5, "bone": 0.5}},
                       reason="r")
    with pytest.raises(ParameterError, match="'assumption' or 'published'"):
        SiteAssumption({0: {"bone": 1.0}}, reason="r", status="guess")
    assert DTC_BONE_SHARE.sites == ("bone", "other_distant")


def test_bad_inputs(braun):
    with pytest.raises(ParameterError, match="must be a SiteAssumption"):
        add_relapse_sites(braun, site_probabilities={0: {"bone": 1.0}})
    with pytest.raises(DataValidationError, match=r"values \[2\] without site probabilities"):
        add_relapse_sites(braun.assign(dtc_positive=2))
    with pytest.raises(DataValidationError, match="marker_col 'ctc_positive' is not a column"):
        add_relapse_sites(braun, marker_col="ctc_positive")
    short = braun.copy()
    short.loc[short.index[0], "os_months"] = short.loc[short.index[0], "dfs_months"] - 1
    with pytest.raises(DataValidationError, match="shorter than disease-free survival"):
        add_relapse_sites(short)
