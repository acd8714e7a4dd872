"""KaplanMeierResult.plot: assertions on what was drawn (Agg backend, see conftest)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from ctcstats.plotting.survival import plot_kaplan_meier
from ctcstats.survival.km import kaplan_meier
from tests.reference._load import load_input


@pytest.fixture
def lung_fit():
    data = load_input("km", "lung")
    return kaplan_meier(data, time_col="time", event_col="event", group_col="group")


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_curves_bands_ticks_and_risk_table(lung_fit):
    times = [0, 200, 400, 600, 800, 1000]
    ax = lung_fit.plot(times=times)
    curves = _by_gid(ax, "km-curve")
    assert len(curves) == 2
    assert len(_by_gid(ax, "km-ci")) == 2
    censor = _by_gid(ax, "km-censor")
    assert len(censor) == 2 and all(c.get_marker() == "+" for c in censor)
    # censoring marks sit at the censored times on the curve
    tab = lung_fit.table
    for g, marks in zip(lung_fit.groups, censor, strict=True):
        rows = tab[(tab["group"] == g) & (tab["n_censored"] > 0)]
        np.testing.assert_array_equal(marks.get_xdata(), rows["time"].to_numpy(float))
        np.testing.assert_array_equal(marks.get_ydata(), rows["survival"].to_numpy(float))
    # step curve = (0, 1) followed by the table rows
    x, y = curves[0].get_data()
    first = tab[tab["group"] == lung_fit.groups[0]]
    np.testing.assert_array_equal(x, np.r_[0.0, first["time"].to_numpy(float)])
    np.testing.assert_array_equal(y, np.r_[1.0, first["survival"].to_numpy(float)])
    assert curves[0].get_drawstyle() == "steps-post"
    # risk table: one text per group and tick, equal to survival_at(...).n_at_risk
    risk = _by_gid(ax, "km-risk")
    assert len(risk) == 2 * len(times)
    at = lung_fit.survival_at(times, extend=True)
    assert [t.get_text() for t in risk] == [str(n) for n in at["n_at_risk"]]
    assert [t.get_position()[0] for t in risk] == [float(t) for t in at["time"]]
    # coloured like the curve, one row per group
    for g_index, curve in enumerate(curves):
        row = risk[g_index * len(times):(g_index + 1) * len(times)]
        assert all(to_rgba(t.get_color()) == to_rgba(curve.get_color()) for t in row)
        assert len({t.get_position()[1] for t in row}) == 1
    labels = [t.get_text() for t in _by_gid(ax, "km-risk-label")]
    assert labels == ["1", "2"]
    assert _by_gid(ax, "km-risk-header")[0].get_text() == "Number at risk"
    np.testing.assert_array_equal(ax.get_xticks(), np.asarray(times, float))
    assert ax.get_xlabel() == "time" and ax.get_ylabel() == "Survival probability"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["group = 1", "group = 2"]


def test_options_off_and_existing_axes():
    data = pd.DataFrame({"t": [1, 2, 2, 3, 5, 8], "e": [1, 1, 0, 1, 0, 1]})
    res = kaplan_meier(data, time_col="t", event_col="e")
    fig, ax = plt.subplots()
    out = plot_kaplan_meier(res, ax=ax, risk_table=False, ci=False, censor_ticks=False)
    assert out is ax
    assert len(_by_gid(ax, "km-curve")) == 1
    assert _by_gid(ax, "km-ci") == [] and _by_gid(ax, "km-censor") == []
    assert _by_gid(ax, "km-risk") == [] and ax.get_legend() is None


def test_default_ticks_risk_table_matches_survival_at():
    data = pd.DataFrame({"t": [1, 2, 2, 3, 5, 8, 9, 12], "e": [1, 1, 0, 1, 0, 1, 0, 1],
                         "arm": ["a", "b"] * 4})
    res = kaplan_meier(data, time_col="t", event_col="e", group_col="arm")
    ax = res.plot()
    ticks = ax.get_xticks()
    lo, hi = ax.get_xlim()
    assert ticks.min() >= lo - 1e-12 and ticks.max() <= hi + 1e-12
    risk = _by_gid(ax, "km-risk")
    at = res.survival_at(ticks, extend=True)
    assert [t.get_text() for t in risk] == [str(n) for n in at["n_at_risk"]]
