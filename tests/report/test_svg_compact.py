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
