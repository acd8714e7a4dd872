"""Multi-state figures, drawn on Agg: assertions on what was drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ctcstats.errors import ParameterError  # noqa: E402
from ctcstats.multistate import (  # noqa: E402
    competing_incidence,
    fit_cause_specific_cox,
    state_probabilities,
)
from tests.multistate.test_probabilities_reference import sites_data  # noqa: E402
from tests.reference._load import load_input  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cif():
    return competing_incidence(load_input("multistate", "sites"), time_col="first_months",
                               event_col="first_event", group_col="dtc_positive",
                               cause_labels={1: "bone", 2: "other", 3: "death"})


def test_stacked_incidence_one_panel_per_group(cif):
    axes = cif.plot()
    assert len(axes) == 2
    for a, g in zip(axes, (0, 1), strict=True):
        bands = [p for p in a.collections if p.get_gid() == "cif-stack"]
        assert len(bands) == 3
        assert len([p for p in a.collections if p.get_gid() == "cif-stack-rest"]) == 1
        assert a.get_title() == f"dtc_positive = {g}"
    # the top of the stacked bands is the sum of the three incidences at the last time
    top = axes[1].collections[2].get_paths()[0].vertices[:, 1].max()
    g1 = cif.table[cif.table["group"] == 1]
    assert top == pytest.approx(g1.groupby("cause")["cif"].max().sum(), abs=1e-12)
    legend = [t.get_text() for t in axes[-1].get_legend().get_texts()]
    assert legend == ["bone", "other", "death", "event-free"]


def test_stacked_incidence_single_group_and_lines(cif):
    fig, ax = plt.subplots()
    out = cif.plot(ax, group=1, stacked=False)
    assert out is ax
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "cif-line"]) == 3
    with pytest.raises(ParameterError, match="one panel per group"):
        cif.plot(ax)
    with pytest.raises(ParameterError, match="one Axes per group"):
        cif.plot([ax])
    with pytest.raises(ParameterError, match="must be one of"):
        cif.plot(ax, group=7)


def test_state_probability_stack_sums_to_one():
    res = state_probabilities(sites_data(), group_col="dtc_positive")
    axes = res.plot()
    assert len(axes) == 2
    bands = [p for p in axes[0].collections if p.get_gid() == "state-stack"]
    assert len(bands) == 4
    top = bands[-1].get_paths()[0].vertices[:, 1]
    assert np.allclose(top.max(), 1.0)
    _, ax = plt.subplots()
    ax = res.plot(ax, group=0, stacked=False)
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "state-line"]) == 4


def test_transition_probability_plot():
    res = state_probabilities(sites_data())
    tp = res.transition_probabilities(12.0)
    _, ax = plt.subplots()
    out = tp.plot(ax, from_state="bone")
    assert out is ax
    assert "from bone" in ax.get_title()
    assert len([p for p in ax.collections if p.get_gid() == "state-stack"]) == 4
    with pytest.raises(ParameterError, match="'from_state' parameter"):
        tp.plot(ax, from_state="death")


def test_cause_specific_forest():
    sites = load_input("multistate", "sites")
    res = fit_cause_specific_cox(sites, time_col="first_months", event_col="first_event",
                                 covariates=["dtc_positive", "age"],
                                 cause_labels={1: "bone", 2: "other", 3: "death"})
    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["bone", "other", "death"]
    pts = [ln for ln in ax.get_lines() if ln.get_gid() == "hr-cause_specific"]
    assert len(pts) == 1
    assert np.allclose(pts[0].get_xdata(),
                       res.side_by_side[res.side_by_side.term == "dtc_positive"]["cs_hr"])
    assert ax.get_xscale() == "log"
    with pytest.raises(ParameterError, match="'term' parameter"):
        res.plot(term="grade")
