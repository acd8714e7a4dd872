"""The seaborn figures of raw counts (ctcstats.plotting.distributions): what was drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import PathPatch

import ctcstats as cs
from ctcstats.plotting import plot_count_by_factor, plot_count_distribution, plot_serial_counts


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


@pytest.fixture
def cohort(rng):
    n = 300
    group = rng.integers(0, 2, n)
    counts = rng.negative_binomial(0.5, 1 / (1 + np.where(group == 1, 8.0, 2.0)))
    return pd.DataFrame({"ctc_count": counts, "ctc_group": np.where(group == 1, "high", "low"),
                         "grade": rng.choice([1, 2, 3], n)},
                        index=pd.Index(rng.permutation(n) + 1000, name="patient"))


def test_count_distribution_one_normalised_outline_per_group(cohort):
    before = cohort.copy()
    ax = plot_count_distribution(cohort, count_col="ctc_count", group_col="ctc_group",
                                 threshold=5, bins=12)
    pd.testing.assert_frame_equal(cohort, before)  # input not mutated
    outlines = _by_gid(ax, "count-hist")
    assert len(outlines) == 2
    # each outline is its own group's share of patients: the steps of a group sum to 1
    for line in outlines:
        assert line.get_drawstyle() == "steps-post"
        y = line.get_ydata()  # one height per bin, the last repeated to close the step
        assert np.all(y >= 0)
        assert y[:-1].sum() == pytest.approx(1.0)
    (thr,) = _by_gid(ax, "count-threshold")
    assert thr.get_xdata()[0] == pytest.approx(np.log10(4.5 + 1))
    # the count axis is labelled in counts at log10(count + 1)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[:3] == ["0", "1", "2"]
    np.testing.assert_allclose(ax.get_xticks()[:3], np.log10([1, 2, 3]))
    assert ax.get_legend() is not None
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["high", "low"]


def test_count_distribution_proportions_match_a_histogram():
    df = pd.DataFrame({"ctc_count": [0, 0, 0, 1, 9]})
    ax = plot_count_distribution(df, count_col="ctc_count", bins=2)
    (outline,) = _by_gid(ax, "count-hist")
    # two bins on [0, log10(9 + 1)]: 4 of 5 patients in the lower, 1 in the upper
    np.testing.assert_allclose(outline.get_xdata(), [0.0, 0.5, 1.0])
    np.testing.assert_allclose(outline.get_ydata(), [0.8, 0.2, 0.2])


def test_count_by_factor_one_box_per_level_with_medians(cohort):
    ax = plot_count_by_factor(cohort, count_col="ctc_count", factor_col="grade", threshold=5)
    boxes = [a for a in _by_gid(ax, "count-box") if isinstance(a, PathPatch)]
    assert len(boxes) == 3
    drawn = np.concatenate([ln.get_ydata() for ln in _by_gid(ax, "count-box")
                            if hasattr(ln, "get_ydata")])
    for level in (1, 2, 3):
        med = np.log10(cohort.loc[cohort["grade"] == level, "ctc_count"].median() + 1)
        assert np.isclose(drawn, med).any()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    n = cohort["grade"].value_counts()
    assert labels == [f"{lev}\n(n={n[lev]})" for lev in (1, 2, 3)]
    assert len(_by_gid(ax, "count-threshold")) == 1


def test_serial_counts_one_line_per_patient_in_time_order():
    draws = pd.DataFrame({"patient_id": [2, 1, 1, 2, 3, 1],
                          "draw_months": [1.0, 1.0, 0.0, 0.0, 0.0, 3.0],
                          "ctc_count": [1, 5, 0, 3, 2, 40],
                          "arm": ["b", "a", "a", "b", "b", "a"]})
    ax = plot_serial_counts(draws, count_col="ctc_count", time_col="draw_months",
                            id_col="patient_id", group_col="arm", threshold=5)
    lines = _by_gid(ax, "serial-line")
    assert len(lines) == 3
    got = sorted((tuple(ln.get_xdata()), tuple(np.round(ln.get_ydata(), 12))) for ln in lines)
    want = sorted([((0.0, 1.0, 3.0), tuple(np.round(np.log10([1, 6, 41]), 12))),
                   ((0.0, 1.0), tuple(np.round(np.log10([4, 2]), 12))),
                   ((0.0,), (round(np.log10(3), 12),))])
    assert got == want
    # coloured by arm: patients 2 and 3 (arm b) share a colour that patient 1 (arm a) lacks
    colours = {tuple(ln.get_xdata()): ln.get_color() for ln in lines}
    assert colours[(0.0, 1.0)] == colours[(0.0,)] != colours[(0.0, 1.0, 3.0)]


def test_serial_counts_of_a_simulated_design():
    draws = cs.simulate_draws("hayes2006", rng=1)
    ax = plot_serial_counts(draws, count_col="ctc_count", time_col="draw_months",
                            id_col="patient_id")
    assert len(_by_gid(ax, "serial-line")) == draws["patient_id"].nunique()


def test_axes_in_axes_out(cohort):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plot_count_distribution(cohort, ax=ax, count_col="ctc_count") is ax
    _, ax = plt.subplots()
    assert plot_count_by_factor(cohort, ax=ax, count_col="ctc_count", factor_col="grade") is ax


def test_bad_input_names_the_column_and_the_parameter(cohort):
    with pytest.raises(cs.DataValidationError, match="count_col 'ctc'"):
        plot_count_distribution(cohort, count_col="ctc")
    bad = cohort.assign(ctc_count=cohort["ctc_count"] - 100)
    with pytest.raises(cs.DataValidationError, match="negative"):
        plot_count_by_factor(bad, count_col="ctc_count", factor_col="grade")
    with pytest.raises(cs.DataValidationError, match="threshold"):
        plot_count_distribution(cohort, count_col="ctc_count", threshold=0)
    missing = cohort.astype({"ctc_count": float})
    missing.iloc[3, 0] = np.nan
    with pytest.raises(cs.DataValidationError, match="missing"):
        plot_count_distribution(missing, count_col="ctc_count")
    ax = plot_count_distribution(missing, count_col="ctc_count", missing="drop")
    assert len(_by_gid(ax, "count-hist")) == 1
