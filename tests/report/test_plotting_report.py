"""plot_count_histogram draws what it is given; figure_to_svg is deterministic and clean."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pandas as pd

from ctcstats.plotting.report import plot_count_histogram
from ctcstats.report.svg import _compact_d, figure_to_svg


def _table():
    return pd.DataFrame({"bin": ["0", "1", "2–4", "≥5"], "n": [60, 20, 12, 8],
                         "percent": [60.0, 20.0, 12.0, 8.0],
                         "positive": [False, False, False, True]})


def test_histogram_draws_bars_labels_and_legend():
    ax = plot_count_histogram(_table(), xlabel="CTC count", positive_label="CTC ≥ 5",
                              negative_label="CTC < 5")
    bars = [p for p in ax.patches if p.get_gid() == "hist-bar"]
    assert [b.get_height() for b in bars] == [60, 20, 12, 8]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "hist-label"] == \
        ["60.0%", "20.0%", "12.0%", "8.0%"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2–4", "≥5"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["CTC < 5", "CTC ≥ 5"]
    assert ax.get_xlabel() == "CTC count"
    plt.close(ax.figure)


def _svg(label: str) -> str:
    fig, ax = plt.subplots(figsize=(7, 3))
    plot_count_histogram(_table(), ax=ax, xlabel=label)
    return figure_to_svg(fig, id_prefix="f9", title="hist")


def test_svg_deterministic_prefixed_and_free_of_dates():
    a, b = _svg("count $x$ <b>"), _svg("count $x$ <b>")
    assert a == b
    assert a.startswith('<svg class="figure-svg" role="img" aria-label="hist"')
    assert "<?xml" not in a and "<!DOCTYPE" not in a and "<dc:date" not in a
    ids = re.findall(r'\bid="([^"]+)"', a)
    assert ids and all(i.startswith("f9-") for i in ids) and len(ids) == len(set(ids))
    assert "count $x$ &lt;b&gt;" in a  # literal dollars (no mathtext), escaped markup
    assert re.search(r'width="\d+" height="\d+"', a)
    assert not plt.get_fignums()  # the figure was closed


def test_compact_path_keeps_the_shape():
    d = "M 0 0 \nL 1.04 0 \nL 2.01 0 \nL 2.01 5.55555 \nL 2.01 6 \nL 3 6 \nL 1 6\nz\n"
    assert _compact_d(d) == "M 0 0 L 2 0 L 2 6 L 3 6 L 1 6 z"
    assert _compact_d("M 0 0 C 1 1 2 2 3 3") == "M 0 0 C 1 1 2 2 3 3"


def _forest_figure():
    """A forest plot as the report draws it: log axis, fixed ticks, annotations in offset
    points, a left-aligned title, a 'best' legend."""
    import numpy as np

    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    fig.subplots_adjust(left=0.3, right=0.97, bottom=0.21)
    y = np.arange(5.0)
    ax.plot([1.2, 0.8, 2.0, 1.5, 0.6], y, "s", label="hazard ratio")
    ax.set_xscale("log")
    ax.set_xlim(0.3, 8.0)
    ax.set_yticks(y)
    ax.set_yticklabels(["CTC ≥ 1", "age ≥ 50 years", "grade 3", "nodal status N2", "T2+"])
    for yy in y:
        ax.annotate("1.23 (0.45–6.78)", xy=(1.0, yy), xycoords=("axes fraction", "data"),
                    xytext=(-4, 0), textcoords="offset points", ha="right", va="center",
                    fontsize=8)
    ax.set_xlabel("hazard ratio (95% CI)")
    ax.set_title("DFS: adjusted hazard ratios", loc="left", fontsize=11)
    ax.legend(loc="best")
    return fig


def _histogram_figure():
    fig, ax = plt.subplots(figsize=(7, 3))
    plot_count_histogram(_table(), ax=ax, xlabel="CTC count")
    return fig


def test_tight_svg_drawn_once_is_savefigs_tight_svg_byte_for_byte():
    import io

    import matplotlib

    from ctcstats.report.svg import SVG_RC, _save_tight

    for make in (_forest_figure, _histogram_figure):
        out = []
        for once in (True, False):
            fig = make()
            dpi = fig.dpi
            buf = io.StringIO()
            with matplotlib.rc_context(SVG_RC):
                _save_tight(fig, buf, measure_once=once)
            out.append(buf.getvalue())
            assert fig.dpi == dpi  # restored after the measurement
            plt.close(fig)
        assert "<svg" in out[0]
        assert out[0] == out[1], make.__name__
