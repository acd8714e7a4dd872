"""matplotlib figures → inline SVG with deterministic content.

The same figure always gives the same text: the SVG hash salt is fixed (matplotlib derives
clip-path and marker ids from it), the ``Date`` and ``Creator`` metadata are left out, text
stays text (``svg.fonttype = "none"``, so no font glyphs are embedded and labels are
searchable) and every ``id`` is prefixed with the figure's own prefix, so several figures in
one HTML page never share an id. The XML declaration, DOCTYPE and comments are dropped.
"""

from __future__ import annotations

import io
import re
from typing import Any

__all__ = ["SVG_RC", "figure_to_svg", "mpl_text"]

#: rcParams used while drawing and saving report figures.
SVG_RC: dict[Any, Any] = {  # matplotlib types rcParams keys as literals
    "svg.hashsalt": "ctcstats-report",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.size": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 96.0,
    "savefig.dpi": 96.0,
    "path.simplify": True,
}

_ID = re.compile(r'\bid="([^"]+)"')
_HEAD = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DIM = re.compile(r'(<svg\b[^>]*?)\s(width|height)="([0-9.]+)pt"')


_PATH_D = re.compile(r'(<path\b[^>]*?\sd=")([^"]*)(")', re.DOTALL)
_TOKENS = re.compile(r"[MLz]|-?[0-9.]+(?:e-?[0-9]+)?")
_USE = re.compile(r'<use xlink:href="(#[^"]+)" x="([-0-9.e]+)" y="([-0-9.e]+)"([^>]*)/>')


def _r1(v: str) -> str:
    x = round(float(v), 1)
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != 0 else "0"


def _compact_d(d: str) -> str:
    """Round an M/L/z polyline to 0.1 user units and drop repeated and collinear
    axis-aligned vertices (the same shape; step curves of large cohorts shrink ~10×)."""
    toks = _TOKENS.findall(d)
    if not toks:  # (a token is M, L, z or a number: _TOKENS matches nothing else)
        return d
    if len(_TOKENS.sub("", d).strip().replace("\n", "").replace(" ", "")) != 0:
        return d  # other commands (curves): leave untouched
    out: list[list] = []  # [cmd, x, y] or ["z"]
    # coordinates repeat (step curves, bands): round and parse each distinct token once
    r1: dict[str, str] = {}
    num: dict[str, float] = {}

    def rounded(v: str) -> str:
        got = r1.get(v)
        if got is None:
            got = r1[v] = _r1(v)
            num[got] = float(got)
        return got

    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "z":
            out.append(["z"])
            i += 1
            continue
        x = r1.get(toks[i + 1]) or rounded(toks[i + 1])
        y = r1.get(toks[i + 2]) or rounded(toks[i + 2])
        i += 3
        if t == "L" and out and out[-1][0] in "ML" and out[-1][1:] == [x, y]:
            continue
        if t == "L" and len(out) >= 2 and out[-1][0] == "L" and out[-2][0] in "ML":
            (_, x0, y0), (_, x1, y1) = out[-2], out[-1]
            fx0, fy0, fx1, fy1, fx, fy = (num[x0], num[y0], num[x1], num[y1], num[x], num[y])
            same_x = x0 == x1 == x and (fy1 - fy0) * (fy - fy1) >= 0
            same_y = y0 == y1 == y and (fx1 - fx0) * (fx - fx1) >= 0
            if same_x or same_y:  # the middle vertex lies on a straight run: drop it
                out[-1] = ["L", x, y]
                continue
        out.append([t, x, y])
    return " ".join("z" if c[0] == "z" else f"{c[0]} {c[1]} {c[2]}" for c in out)


def _compact(text: str) -> str:
    text = _PATH_D.sub(lambda m: m.group(1) + _compact_d(m.group(2)) + m.group(3), text)
    seen: set = set()

    def _use(m: re.Match) -> str:
        key = (m.group(1), _r1(m.group(2)), _r1(m.group(3)), m.group(4))
        if key in seen:
            return ""
        seen.add(key)
        return f'<use xlink:href="{key[0]}" x="{key[1]}" y="{key[2]}"{key[3]}/>'

    text = _USE.sub(_use, text)
    return re.sub(r"\n\s*\n", "\n", text)


def mpl_text(s: object) -> str:
    """A user string made safe for matplotlib text (``$`` would start mathtext)."""
    return str(s).replace("$", r"\$")


_PAD = 0.08  # inches around the tight box
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _save_tight(fig, buf: io.StringIO, *, measure_once: bool) -> None:
    """``fig.savefig(buf, format="svg", bbox_inches="tight")``, drawing the figure once.

    With ``bbox_inches="tight"`` savefig draws the figure twice: once (not rendered) to
    measure the tight box, once to write it. The box is measured here without that first
    draw — with the SVG renderer at the SVG canvas' 72 dpi, as savefig measures it — and the
    figure is saved at 72 dpi, the resolution savefig's box arithmetic uses after its first
    draw (at 96 the box's corners differ in the last bits and move every clip-path id). The
    SVG is the same byte for byte. Only raster images would be rasterised at 72 instead of 96
    dpi; figures with images or rasterised artists (``measure_once=False``) take savefig's
    own path.
    """
    if not measure_once:
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=_PAD,
                    metadata=_METADATA)
        return
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    dpi, canvas = fig.dpi, fig.canvas
    FigureCanvasSVG(fig)  # the renderer get_tightbbox asks for is the SVG one
    try:
        box = fig.get_tightbbox().padded(_PAD)
    finally:
        fig.set_canvas(canvas)
        fig.dpi = dpi
    fig.savefig(buf, format="svg", bbox_inches=box, dpi=72.0, metadata=_METADATA)


def figure_to_svg(fig, *, id_prefix: str, title: str | None = None) -> str:
    """Serialise *fig* to an inline ``<svg>`` element and close it.

    Parameters
    ----------
    fig : matplotlib Figure
    id_prefix : str
        Prefix for every element id (unique per figure within a page, e.g. ``"fig3"``).
    title : str, optional
        Accessible name (``aria-label``); escaped here.

    Returns
    -------
    str
        ``<svg ...>…</svg>`` with width/height in px, deterministic ids, no timestamp,
        no file paths.
    """
    import html

    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.image import AxesImage, BboxImage, FigureImage
    from matplotlib.text import Text

    artists = fig.findobj()
    # user strings (labels, column names) are never mathtext: a "$" is literal
    for t in artists:
        if isinstance(t, Text):
            txt = t.get_text()
            if "$" in txt and "\\mathdefault" not in txt:
                t.set_parse_math(False)
    raster = any(isinstance(a, (AxesImage, BboxImage, FigureImage)) or a.get_rasterized()
                 for a in artists)
    buf = io.StringIO()
    try:
        with matplotlib.rc_context(SVG_RC):
            _save_tight(fig, buf, measure_once=not raster)
    finally:
        plt.close(fig)
    text = buf.getvalue()
    text = _HEAD.sub("", text, count=1)
    text = _COMMENT.sub("", text)
    text = _compact(text)
    ids = _ID.findall(text)
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    seen: dict[str, int] = {}

    def _new_id(m: re.Match) -> str:
        old = m.group(1)
        if counts[old] == 1:
            return f'id="{id_prefix}-{old}"'
        # a gid set on several artists (e.g. every "km-curve"): number the occurrences
        seen[old] = seen.get(old, 0) + 1
        return f'id="{id_prefix}-{old}-{seen[old]}"'

    text = _ID.sub(_new_id, text)
    for old in sorted((i for i in counts if counts[i] == 1), key=len, reverse=True):
        new = f"{id_prefix}-{old}"
        text = text.replace(f"url(#{old})", f"url(#{new})")
        text = text.replace(f'href="#{old}"', f'href="#{new}"')

    def _px(match: re.Match) -> str:
        px = float(match.group(3)) * 96.0 / 72.0
        return f'{match.group(1)} {match.group(2)}="{px:.0f}"'

    text = _DIM.sub(_px, text, count=1)
    text = _DIM.sub(_px, text, count=1)
    label = f' role="img" aria-label="{html.escape(title, quote=True)}"' if title else ""
    text = text.replace("<svg ", f'<svg class="figure-svg"{label} ', 1)
    return text.strip() + "\n"
