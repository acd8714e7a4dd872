"""Cumulative incidence figure: what is drawn comes from the result."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from numpy.testing import assert_allclose

from ctcstats.survival.competing import cumulative_incidence
from tests.reference._load import load_input


def _curves(ax):
    return [ln for ln in ax.get_lines() if ln.get_gid() == "cif-curve"]


def test_one_step_curve_per_group_with_bands():
    data = load_input("competing", "medium")
    res = cumulative_incidence(data, time_col="time", event_col="event", group_col="group")
    fig, ax = plt.subplots()
    out = res.plot(ax=ax)
    assert out is ax
    lines = _curves(ax)
    assert len(lines) == 3
    assert [ln.get_label() for ln in lines] == ["group = a", "group = b", "group = c"]
    bands = [c for c in ax.collections if c.get_gid() == "cif-ci"]
    assert len(bands) == 3
    # first curve: starts at (0, 0), passes through every jump, ends flat at the last
    # follow-up time of group a
    rows = res.table[res.table["group"] == "a"]
    x, y = lines[0].get_data()
    assert x[0] == 0.0 and y[0] == 0.0
    assert x[-1] == data.loc[data["group"] == "a", "time"].max()
    assert_allclose(np.unique(y[1:]), np.unique(rows["cif"]), rtol=0)
    assert ax.get_ylabel() == "Cumulative incidence (cause 1)"
    assert ax.get_xlabel() == "time"
    assert ax.get_legend() is not None


def test_without_groups_or_ci_creates_axes():
    data = load_input("competing", "small")
    res = cumulative_incidence(data, time_col="time", event_col="event", event_of_interest=2)
    ax = res.plot(ci=False)
    assert len(_curves(ax)) == 1
    assert not [c for c in ax.collections if c.get_gid() == "cif-ci"]
    assert ax.get_legend() is None
    assert ax.get_ylabel() == "Cumulative incidence (cause 2)"
