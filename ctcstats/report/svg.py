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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

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
    axis-aligned vertices (the same shape; step curves of large cohorts shrink ~10×).

    The rules, applied in path order to the rounded vertices: an ``L`` equal to the vertex
    before it is dropped; a vertex between two ``L`` segments that run along the same axis
    in the same direction is dropped (it lies on a straight run). ``z`` and ``M`` are kept
    and start a new run. Paths with other commands (curves) are returned unchanged.

    Vectorised with numpy over the vertices: paddy's 17 figures held 3.9 MB of path data
    (150,000 vertices, mostly the confidence bands of its Kaplan–Meier figures, since
    thinned by plotting.survival._band_steps), which the loop of Python operations per
    vertex this replaces compacted in 0.50–0.55 CPU s and this in 0.16–0.18 s (same
    process, interleaved; figure_to_svg took 1.6–2.0 s in all); with the thinned bands,
    0.35–0.54 → 0.05–0.06 s. Parsing the numbers is most of what is left. The text is the
    same, tested against that loop (tests/report/test_svg_compact.py); a malformed path is
    left unchanged. Paths of a few vertices (ticks, spines) cost ~0.05 ms more each than in
    the loop, ~10 ms for a report's ~250.
    """
    parsed = _parse_polyline(d)
    if parsed is None:
        return d
    cmd, kx, ky = parsed
    keep = _keep_vertices(cmd, kx, ky)
    cmd, kx, ky = cmd[keep], kx[keep], ky[keep]
    xs, ys = kx.tolist(), ky.tolist()
    text = {k: _tenths(k) for k in {*xs, *ys}}
    z = ord("z")
    return " ".join("z" if c == z else f"{chr(c)} {text[x]} {text[y]}"
                    for c, x, y in zip(cmd.tolist(), xs, ys, strict=True))


_PLAIN = re.compile(r"[MLz0-9.e\-\s]*")  # the characters of an M/L/z path
_Z, _L = ord("z"), ord("L")
_BIG = 1e8  # |coordinate| from which a path is left as it is (no figure has one)


def _parse_polyline(d: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(commands, x, y)`` of an M/L/z path: the command letters as bytes, the coordinates
    rounded to 0.1 as integer tenths (a ``z`` has 0, 0); None for any other path."""
    got = _parse_spaced(d) if _PLAIN.fullmatch(d) else None
    if got is None:  # tokens not separated by spaces ("L1 2z"), or other commands
        toks = _TOKENS.findall(d)
        if not toks or _TOKENS.sub("", d).strip():
            return None
        got = _parse_spaced(" ".join(toks))
    return got


def _parse_spaced(d: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    toks = d.replace("z", "z 0 0").split()  # now every command has two numbers after it
    letters = "".join(toks[0::3]).encode("ascii", "replace")
    if not toks or len(letters) * 3 != len(toks) or letters.translate(None, b"MLz"):
        return None
    n = len(letters)
    try:
        xy = np.fromiter(map(float, toks[1::3] + toks[2::3]), dtype=float, count=2 * n)
    except ValueError:
        return None
    if not (np.abs(xy) < _BIG).all():
        return None
    k = _tenths_of(xy)
    return np.frombuffer(letters, dtype=np.uint8), k[:n], k[n:]


def _tenths_of(v: np.ndarray) -> np.ndarray:
    """``round(v, 1) * 10`` as integers, with Python's (correctly rounded) ``round``.

    ``rint(v * 10)`` is that except where ``v * 10`` is within rounding error of a half
    (0.15 is stored as 0.1499999…: ``round`` gives 0.1, ``rint(1.5)`` 0.2); those few
    values are rounded by ``round`` itself.
    """
    t = v * 10.0
    k = np.rint(t)
    for i in np.flatnonzero(np.abs(t - np.floor(t) - 0.5) < 1e-6):
        k[i] = round(round(float(v[i]), 1) * 10)
    return k.astype(np.int64)


def _tenths(k: int) -> str:
    """The text ``_r1`` gives for the value ``k / 10``."""
    q, r = divmod(abs(k), 10)
    s = f"{q}.{r}" if r else str(q)
    return f"-{s}" if k < 0 else s


def _keep_vertices(cmd: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    """Which commands of a rounded M/L/z path stay (see ``_compact_d``).

    The rules were a loop over a list of kept vertices; they are the same as this
    vectorised form because after each vertex the last kept one is at that vertex' place.
    So an L repeats the kept vertex before it exactly when it equals the vertex before
    it in the path; and, repeats removed, a vertex is dropped by the collinear rule exactly
    when the segments into and out of it run along one axis in one direction — the kept
    vertex before it lies on the same run as its neighbour does.
    """
    n = len(cmd)
    keep = np.ones(n, dtype=bool)
    vertex, line = cmd != _Z, cmd == _L
    keep[1:] = ~(line[1:] & vertex[:-1] & (kx[1:] == kx[:-1]) & (ky[1:] == ky[:-1]))
    idx = np.flatnonzero(keep)
    if len(idx) < 3:
        return keep
    c = cmd[idx]
    sx, sy = np.sign(np.diff(kx[idx])), np.sign(np.diff(ky[idx]))
    straight = ((sx[:-1] == 0) & (sx[1:] == 0) & (sy[:-1] == sy[1:])) | (
        (sy[:-1] == 0) & (sy[1:] == 0) & (sx[:-1] == sx[1:]))
    middle = (c[:-2] != _Z) & (c[1:-1] == _L) & (c[2:] == _L) & straight
    keep[idx[1:-1][middle]] = False
    return keep


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
    own path. Measuring and drawing share their text metrics (``_shared_svg_text_metrics``).
    """
    with _shared_svg_text_metrics():
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


_METRICS_LOCK = threading.RLock()
_HOOK = "_get_text_metrics_with_cache"  # in matplotlib.text (private: not in its stubs)


@contextmanager
def _shared_svg_text_metrics() -> Iterator[None]:
    """While saving one figure, every SVG renderer shares one cache of text extents.

    matplotlib caches a text's width, height and descent per renderer object, and the tight
    box is measured with one SVG renderer and the figure drawn with a new one, so every text
    was laid out twice (with FreeType, at ~0.2 ms a string here: paddy's 17 figures lay out
    ~800 strings, 0.18 CPU s). The SVG renderer's extents depend only on the string, font
    properties and math flag (``TextToPath`` at its fixed 100 pt / 72 dpi), not on the
    renderer object, so one cache gives the same numbers; measured 0.18 → 0.09 CPU s for
    paddy's figures, the SVG unchanged byte for byte. The hook is matplotlib's own
    (``matplotlib.text._get_text_metrics_with_cache``, which matplotlib's test fixtures
    replace the same way); it is restored afterwards, serialised by a lock, and any other
    renderer (Agg, a rasterising phase) goes to matplotlib's cache as before.
    """
    import matplotlib.text as mtext
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import RendererSVG

    own = getattr(mtext, _HOOK, None)
    if own is None:  # another matplotlib: its own cache only
        yield
        return
    cache: dict[tuple, tuple[float, float, float]] = {}

    def metrics(renderer, text, fontprop, ismath, dpi):
        base = renderer._renderer if isinstance(renderer, MixedModeRenderer) else renderer
        if type(base) is not RendererSVG:
            return own(renderer, text, fontprop, ismath, dpi)
        key = (text, fontprop.copy(), ismath, dpi)  # a copy: FontProperties are mutable
        got = cache.get(key)
        if got is None:
            got = cache[key] = base.get_text_width_height_descent(text, fontprop, ismath)
        return got

    with _METRICS_LOCK:
        setattr(mtext, _HOOK, metrics)
        try:
            yield
        finally:
            setattr(mtext, _HOOK, own)


_REF_ID = r"[\w.:-]+"  # matplotlib's ids (clip paths, markers, hatches) and ordinary gids
_REF = re.compile(rf'url\(#({_REF_ID})\)|href="#({_REF_ID})"')


def _rename_refs(text: str, new: dict[str, str]) -> str:
    """Every ``url(#id)`` and ``href="#id"`` of an id in *new* pointed at its new name.

    One regex pass over the text where it was one ``str.replace`` pair per id (paddy's 17
    figures: 1,200 ids, so 2,400 passes over 50-100 kB each; 0.02 CPU s → 0.005 s). The
    same text: the references ``_REF`` matches cannot overlap (an id has no ``(``, ``#`` or
    quote), so it finds each one the replacements found, and the loop went from the longest
    id to the shortest, so no renamed reference was renamed again. Ids of other characters
    (a gid such as ``"a (b)"``) take that loop.
    """
    if not all(re.fullmatch(_REF_ID, i) for i in new):
        for old in sorted(new, key=len, reverse=True):
            text = text.replace(f"url(#{old})", f"url(#{new[old]})")
            text = text.replace(f'href="#{old}"', f'href="#{new[old]}"')
        return text

    def _one(m: re.Match) -> str:
        url, href = m.group(1), m.group(2)
        if url is not None:
            return f"url(#{new[url]})" if url in new else m.group(0)
        return f'href="#{new[href]}"' if href in new else m.group(0)

    return _REF.sub(_one, text)


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
    text = _rename_refs(text, {i: f"{id_prefix}-{i}" for i in counts if counts[i] == 1})

    def _px(match: re.Match) -> str:
        px = float(match.group(3)) * 96.0 / 72.0
        return f'{match.group(1)} {match.group(2)}="{px:.0f}"'

    text = _DIM.sub(_px, text, count=1)
    text = _DIM.sub(_px, text, count=1)
    label = f' role="img" aria-label="{html.escape(title, quote=True)}"' if title else ""
    text = text.replace("<svg ", f'<svg class="figure-svg"{label} ', 1)
    return text.strip() + "\n"
