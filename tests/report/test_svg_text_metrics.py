"""figure_to_svg measures and draws a figure with one cache of SVG text extents
(svg._shared_svg_text_metrics): the same SVG as with matplotlib's per-renderer caches,
matplotlib's hook restored afterwards, other renderers untouched."""

from __future__ import annotations

import contextlib

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.text as mtext
import pytest

from ctcstats.report import svg
from ctcstats.report.svg import SVG_RC, _shared_svg_text_metrics, figure_to_svg


def _figure():
    with matplotlib.rc_context(SVG_RC):
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(7.0, 3.0))
        ax.plot([0, 1, 2], [3, 1, 2], label="arm A")
        ax.plot([0, 1, 2], [1, 2, 3], label=r"$\beta$ arm")  # mathtext
        ax.legend(loc="upper left", frameon=False)
        ax.set_title("Overall survival", loc="left", fontsize=11)
        ax.set_xlabel("Time (months)")
        ax.set_ylabel("Survival probability")
        for i, n in enumerate([120, 97, 64, 30]):
            ax.text(i * 0.6, -0.3, str(n), transform=ax.get_xaxis_transform(),
                    fontsize="small", ha="center", clip_on=False)
        bx.barh(["DTC+", "DTC−", "cost $5"], [3, 2, 1])  # a literal "$" (parse_math off)
        bx.set_xlabel("Hazard ratio", fontweight="bold")
    return fig


def test_same_svg_as_separate_caches(monkeypatch):
    shared = figure_to_svg(_figure(), id_prefix="f1", title="t")
    monkeypatch.setattr(svg, "_shared_svg_text_metrics", contextlib.nullcontext)
    separate = figure_to_svg(_figure(), id_prefix="f1", title="t")
    assert shared == separate
    assert shared.count("<text") >= 10


def test_hook_installed_only_inside_and_restored_after_an_error():
    own = mtext._get_text_metrics_with_cache
    with pytest.raises(RuntimeError, match="boom"):
        with _shared_svg_text_metrics():
            assert mtext._get_text_metrics_with_cache is not own
            raise RuntimeError("boom")
    assert mtext._get_text_metrics_with_cache is own


def test_svg_renderers_share_one_measurement_and_agg_keeps_its_own(monkeypatch):
    import io

    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.textpath import TextToPath

    calls = []
    measure = TextToPath.get_text_width_height_descent

    def counting(self, s, prop, ismath):
        calls.append(s)
        return measure(self, s, prop, ismath)

    monkeypatch.setattr(TextToPath, "get_text_width_height_descent", counting)
    fig = _figure()
    prop = fig.axes[0].title.get_fontproperties()
    first, second = RendererSVG(7, 3, io.StringIO()), RendererSVG(7, 3, io.StringIO())
    fig.canvas.draw()
    agg = fig.canvas.get_renderer()
    agg_before = mtext._get_text_metrics_with_cache(agg, "Overall", prop, False, 96.0)
    calls.clear()
    with _shared_svg_text_metrics():
        a = mtext._get_text_metrics_with_cache(first, "Overall", prop, False, 72.0)
        b = mtext._get_text_metrics_with_cache(second, "Overall", prop, False, 72.0)
        agg_inside = mtext._get_text_metrics_with_cache(agg, "Overall", prop, False, 96.0)
    assert a == b and calls == ["Overall"]  # measured once for both SVG renderers
    assert a == measure(TextToPath(), "Overall", prop, False)
    assert agg_inside == agg_before and agg_inside != a  # Agg's own (96 dpi) extents
    # outside the context each SVG renderer measures again, as matplotlib does
    mtext._get_text_metrics_with_cache(first, "Overall", prop, False, 72.0)
    assert calls == ["Overall", "Overall"]
