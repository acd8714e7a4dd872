"""The SVG path compaction (rounded coordinates parsed once per distinct token) gives exactly
the text of the straightforward version it replaced, kept here as the reference."""

from __future__ import annotations

import numpy as np
import pytest

from ctcstats.report.svg import _TOKENS, _compact_d, _r1


def _compact_d_reference(d: str) -> str:
    toks = _TOKENS.findall(d)
    if not toks or any(t not in ("M", "L", "z") and t[0].isalpha() for t in toks):
        return d
    if len(_TOKENS.sub("", d).strip().replace("\n", "").replace(" ", "")) != 0:
        return d
    out: list[list] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "z":
            out.append(["z"])
            i += 1
            continue
        x, y = _r1(toks[i + 1]), _r1(toks[i + 2])
        i += 3
        if t == "L" and out and out[-1][0] in "ML" and out[-1][1:] == [x, y]:
            continue
        if t == "L" and len(out) >= 2 and out[-1][0] == "L" and out[-2][0] in "ML":
            (_, x0, y0), (_, x1, y1) = out[-2], out[-1]
            fx0, fy0, fx1, fy1, fx, fy = map(float, (x0, y0, x1, y1, x, y))
            same_x = x0 == x1 == x and (fy1 - fy0) * (fy - fy1) >= 0
            same_y = y0 == y1 == y and (fx1 - fx0) * (fx - fx1) >= 0
            if same_x or same_y:
                out[-1] = ["L", x, y]
                continue
        out.append([t, x, y])
    return " ".join("z" if c[0] == "z" else f"{c[0]} {c[1]} {c[2]}" for c in out)


def _path(g: np.random.Generator) -> str:
    n = int(g.integers(1, 300))
    # step curves on a coarse grid (repeats, collinear runs), negative and zero coordinates
    xs = np.cumsum(g.choice([0.0, 0.04, 0.05, 0.06, 1.0], n)) - 3
    ys = np.round(g.choice([-0.04, 0.0, 0.05, 2.25, 2.35, 100.15], n) + g.normal(0, 0.02, n), 3)
    parts = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        parts.append(f"{'M' if i == 0 else 'L'} {x:.6g} {y:.6g}")
        if g.random() < 0.02:
            parts.append("z")
    sep = "\n" if g.random() < 0.5 else " "
    return sep.join(parts)


@pytest.mark.parametrize("seed", range(60))
def test_compact_d_equals_reference(seed):
    g = np.random.default_rng(seed)
    d = _path(g)
    assert _compact_d(d) == _compact_d_reference(d)


@pytest.mark.parametrize("d", ["", "M 1 2 C 3 4 5 6 7 8", "M 0.04 -0.04 L 0.05 0.05 z",
                               "M 1e-05 2 L 3 4"])
def test_compact_d_edge_cases(d):
    assert _compact_d(d) == _compact_d_reference(d)


# ---- the vectorised _compact_d against the loop above, on paths of every kind -----------
def _number(g: np.random.Generator, v: float) -> str:
    style = g.integers(0, 4)
    if style == 0:
        return f"{v:.6f}".rstrip("0").rstrip(".") or "0"  # as matplotlib writes them
    if style == 1:
        return f"{v:.6g}"
    if style == 2:
        return f"{v:.3e}"  # exponents, e.g. 1.250e-02
    return f"{round(v, 2):.2f}"  # on a tie of the 0.1 rounding half of the time: 0.15, 2.25


def _mixed_path(g: np.random.Generator) -> str:
    n = int(g.integers(0, 2000))
    # a coarse grid: repeated vertices, straight runs both ways, negative values, and
    # values like 0.15 that round differently in binary (0.1499…) and in decimal
    grid = np.round(np.arange(-2.0, 2.0, 0.05), 2)
    x = y = 0.0
    parts = []
    for i in range(n):
        r = g.random()
        if r < 0.03:
            parts.append("z")
            continue
        cmd = "M" if (i == 0 and g.random() < 0.9) or r < 0.06 else "L"
        move = g.integers(0, 4)
        if move == 0:
            x = float(g.choice(grid)) + float(g.integers(-3, 4)) * 10
        elif move == 1:
            y = float(g.choice(grid)) * float(g.choice([1.0, 100.0]))
        elif move == 2:
            x, y = float(g.normal(0, 50)), float(g.normal(0, 50))
        glue = "" if g.random() < 0.05 else " "  # "L1.5 2" is a path too
        parts.append(f"{cmd}{glue}{_number(g, x)} {_number(g, y)}")
    sep = str(g.choice(["\n", " ", " \n"]))
    return sep.join(parts) + ("\n" if g.random() < 0.5 else "")


@pytest.mark.parametrize("seed", range(40))
def test_vectorised_compact_d_equals_reference(seed):
    g = np.random.default_rng(1000 + seed)
    d = _mixed_path(g)
    assert _compact_d(d) == _compact_d_reference(d)


@pytest.mark.parametrize("d", [
    "z", "z z", "L 1 2 L 1 2 L 1 3", "M 1 2\nz\nL 1 2 L 1 3 L 1 4", "M 0 0 L 0 1 L 0 0 L 0 1",
    "M 0 0 L 0 1 L 1 1 L 1 0 z M 0 0 L 0 1", "M -0.04 0.04 L 0.04 -0.04", "M 0.15 0.25 L 0.35 0.45",
    "M 1.5e-01 -2.5E2 L 3 4", "M1 2L3 4L3 5z", "M 1 2 L 3 4\tL 5 6 ", "M .5 5. L -.5 -5.",
])
def test_vectorised_compact_d_edge_cases(d):
    assert _compact_d(d) == _compact_d_reference(d)


@pytest.mark.parametrize("d", ["M 1 2 L 3", "M 1 2 3 4 5 6", "L 1 z 2", "M 1 2 L 3 4 L 1.2.3 4",
                               "M 1 2 L 3 1e999"])
def test_compact_d_leaves_malformed_paths_unchanged(d):
    # no matplotlib path looks like these; they are kept as they are
    assert _compact_d(d) == d


def test_tenths_round_like_python():
    from ctcstats.report.svg import _tenths, _tenths_of

    g = np.random.default_rng(7)
    # 1 to 6 decimals as matplotlib writes them; ties of the 0.1 rounding (k/20)
    rough = [round(x, int(n)) for x, n in zip(g.uniform(-1000, 1000, 20000),
                                               g.integers(1, 7, 20000), strict=True)]
    v = np.concatenate([rough, np.arange(-300, 300) / 20, [0.0, -0.0, 0.05, -0.05, 2.675]])
    k = _tenths_of(v)
    assert [_tenths(int(i)) for i in k] == [_r1(repr(float(x))) for x in v]


def _rename_refs_reference(text: str, new: dict[str, str]) -> str:
    # the loop _rename_refs replaced: longest id first, one str.replace pair per id
    for old in sorted(new, key=len, reverse=True):
        text = text.replace(f"url(#{old})", f"url(#{new[old]})")
        text = text.replace(f'href="#{old}"', f'href="#{new[old]}"')
    return text


@pytest.mark.parametrize("seed", range(20))
def test_rename_refs_equals_the_replace_loop(seed):
    from ctcstats.report.svg import _rename_refs

    g = np.random.default_rng(seed)
    # ids that are prefixes of each other and of their new names ("a", "f-a", "f-f-a")
    pool = ["a", "f-a", "f-f-a", "p1", "p10", "m0a1", "km-curve", "clip", "x.1", "a:b"]
    if seed % 2:  # ids of other characters: the loop itself
        pool += ["x y", "b#c", "u(v)"]
    new = {i: f"f-{i}" for i in g.choice(pool, int(g.integers(0, len(pool))), replace=False)}
    parts = []
    for _ in range(200):
        i = str(g.choice(pool))
        parts.append(str(g.choice([f'clip-path="url(#{i})"', f'<use xlink:href="#{i}"/>',
                                   f'href="#{i}x"', f"url(#{i}", f'id="{i}"', "url(#)",
                                   'href="#"', " text "])))
    text = "".join(parts)
    assert _rename_refs(text, new) == _rename_refs_reference(text, new)
