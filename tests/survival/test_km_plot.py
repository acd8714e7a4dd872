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


def _band_at(t, lo, hi, x):
    """What fill_between(t, lo, hi, step="post") covers at x (between row times): the limits
    of the last row at or before x, where that row and the next are finite (matplotlib
    draws one polygon per run of finite rows); NaN where it covers nothing."""
    k = np.searchsorted(t, x, side="right") - 1
    finite = np.isfinite(t) & np.isfinite(lo) & np.isfinite(hi)
    nxt = np.minimum(k + 1, len(t) - 1)
    covered = finite[k] & finite[nxt] & (k + 1 < len(t))
    return np.where(covered, lo[k], np.nan), np.where(covered, hi[k], np.nan)


def test_band_keeps_its_region_with_fewer_vertices(rng):
    from ctcstats.plotting.survival import _band_steps

    n = 400
    t = np.cumsum(rng.uniform(0.1, 1.0, n))
    moves = rng.random(n) < 0.2  # most rows censoring-only: the band does not move
    lo = np.minimum.accumulate(np.where(moves, rng.uniform(0, 1, n), 1.0))
    hi = np.minimum.accumulate(np.where(moves | (rng.random(n) < 0.05), rng.uniform(0, 1, n),
                                        1.0))
    # a band stops at undefined limits (S = 0 after the last event): the flat row 49 before
    # them still ends the first polygon; an infinite limit splits it too
    lo[49], hi[49] = lo[48], hi[48]
    lo[[50, 51]] = np.nan
    lo[199:202], hi[199:202] = lo[198], hi[198]
    hi[200] = np.inf
    tb, lob, hib = _band_steps(t, lo, hi)
    assert len(tb) < n / 2 and tb[0] == t[0] and tb[-1] == t[-1]
    assert {49, 199, 200, 201} <= set(np.flatnonzero(np.isin(t, tb)))
    x = (t[1:] + t[:-1]) / 2
    np.testing.assert_array_equal(_band_at(tb, lob, hib, x), _band_at(t, lo, hi, x))
    short = (t[:2], lo[:2], hi[:2])
    assert all(a is b for a, b in zip(_band_steps(*short), short, strict=True))


def test_thinned_band_draws_the_same_svg_paths(monkeypatch, rng):
    """The report's SVG of a Kaplan–Meier figure: the same path text, only matplotlib's
    hashed marker ids (of the unthinned vertices) differ."""
    import re

    import ctcstats.plotting.survival as ps
    from ctcstats.report.svg import figure_to_svg

    n = 3000
    data = pd.DataFrame({"t": np.round(rng.exponential(30, n), 1),
                         "e": (rng.random(n) < 0.15).astype(int),
                         "arm": rng.choice(["a", "b"], n)})
    # arm b ends with a censored time then an event: S = 0, no limits after the flat row
    data = pd.concat([data, pd.DataFrame({"t": [400.0, 410.0], "e": [0, 1],
                                          "arm": ["b", "b"]})], ignore_index=True)
    res = kaplan_meier(data, time_col="t", event_col="e", group_col="arm")

    def svg():
        fig, ax = plt.subplots(figsize=(7, 5))
        res.plot(ax=ax, times=[0, 100, 200, 300, 400], censor_ticks=False)
        return figure_to_svg(fig, id_prefix="f", title="km")

    thinned = svg()
    monkeypatch.setattr(ps, "_band_steps", lambda t, lo, hi: (t, lo, hi))
    full = svg()
    assert thinned != full
    ids = re.compile(r"m[0-9a-f]{10}")
    assert ids.sub("m", thinned) == ids.sub("m", full)
    # the two bands' ids differ; the tick marks' ids do not
    assert len(set(ids.findall(thinned)) - set(ids.findall(full))) == 2
    assert len(set(ids.findall(thinned)) & set(ids.findall(full))) >= 2
