"""Audit of every committed report (issue 14): one C per model, legends that match the text.

The reports in ``reports/`` are read as a reader would read them (``test_reports_dir.py``
proves they are what the code produces).

One C per model
    Every value of Harrell's C is collected with the model it belongs to: the multivariable
    Cox model of each endpoint (§6; when stratified, its C is computed within strata and must
    say so), the clinical and clinical + marker models of §8 (apparent, in the discrimination
    table and the internal validation; optimism-corrected, in the added-value table and the
    internal validation). A model must have one apparent and one corrected C wherever it is
    cited — and so one time-dependent AUC and one Brier score at the horizon — and the
    unstratified multivariable model *is* the clinical + marker model, so its C is the same.
    The apparent ΔC must be the difference of the two apparent Cs (to rounding).

Legends match the text
    For every figure, the words drawn in it (title, legend, axis labels) and its caption must
    name the same endpoint(s), the same groups (a figure "by <marker> status" shows both
    marker groups, labelled as in the tables), the report's time unit (never a bare
    "t = 36"), and the models as the text names them (no internal names such as "base" and
    "full").
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[2] / "reports"
PATHS = sorted(REPORTS.glob("*.html"))
_TAG = re.compile(r"<[^>]+>")


def _clean(x: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", x)).split())


def blocks(page: str) -> list[tuple[str, object]]:
    """The report in document order: ("p"/"caption"/"h", text) and ("row", [cells])."""
    page = re.sub(r"<svg\b.*?</svg>", "", page, flags=re.S)
    out: list[tuple[str, object]] = []
    for m in re.finditer(r"<(p|caption|tr|h[1-4])\b[^>]*>(.*?)</\1>", page, re.S):
        kind, inner = m.group(1), m.group(2)
        if kind == "tr":
            out.append(("row", [_clean(c) for c in
                                re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", inner, re.S)]))
        else:
            out.append(("h" if kind.startswith("h") else kind, _clean(inner)))
    return out


def figures(page: str) -> list[dict]:
    """Each figure: its caption, the texts drawn in its SVG and the heading it sits under."""
    out = []
    heading = ""
    for m in re.finditer(r"<(h[1-4])\b[^>]*>(.*?)</\1>|<figure\b.*?</figure>", page, re.S):
        if m.group(1):
            heading = _clean(m.group(2))
            continue
        fig = m.group(0)
        cap = re.search(r"<figcaption>(.*?)</figcaption>", fig, re.S)
        texts = [html.unescape(_TAG.sub("", t)).strip()
                 for t in re.findall(r"<text\b[^>]*>(.*?)</text>", fig, re.S)]
        out.append({"caption": _clean(cap.group(1)) if cap else "", "heading": heading,
                    "texts": [t for t in texts if t]})
    return out


# --------------------------------------------------------------------------- C per model
def c_citations(page: str) -> dict[tuple, set[str]]:
    """(endpoint, model, quantity) → the set of values cited for it.

    quantity: ``c_apparent``, ``c_corrected``, ``c_strata`` (the stratified multivariable
    model), ``auc_corrected``, ``brier_corrected``; model: ``clinical``, ``clinical +
    marker`` (the unstratified multivariable model is the clinical + marker model).
    """
    cites: dict[tuple, set[str]] = {}

    def add(key, value):
        cites.setdefault(key, set()).add(value)

    caption, mv_endpoint, av_endpoint, val_endpoint = "", None, None, None
    for kind, x in blocks(page):
        if kind == "caption":
            caption = str(x)
            m = re.match(r"Multivariable Cox model for (.*)$", caption)
            mv_endpoint = m.group(1) if m else None
            m = re.match(r"Clinical model vs clinical model \+ marker, (.*?), horizon", caption)
            av_endpoint = m.group(1) if m else None
            m = re.match(r"Internal validation of the clinical \+ marker model for (.*?) "
                         r"\(REMARK", caption)
            val_endpoint = m.group(1) if m else None
        elif kind == "p" and mv_endpoint:
            m = re.search(r"Harrell's C( \(within strata\))? = ([\d.]+\d)", str(x))
            if m:
                strat = "stratified by" in str(x)
                assert strat == bool(m.group(1)), (
                    f"the C of the multivariable model for {mv_endpoint} must say "
                    "'(within strata)' exactly when the model is stratified: " + str(x))
                add((mv_endpoint, "clinical + marker", "c_strata" if strat else "c_apparent"),
                    m.group(2))
            mv_endpoint = None
        elif kind == "row":
            cells = list(x)  # type: ignore[arg-type]
            if caption.startswith("Discrimination and overall accuracy") and len(cells) > 2 \
                    and cells[1] in ("clinical", "clinical + marker"):
                add((cells[0], cells[1], "c_apparent"), cells[2].split()[0])
            if av_endpoint and cells and len(cells) >= 5:
                name = {"Harrell's C": "c", "time-dependent AUC": "auc",
                        "Brier score": "brier"}.get(cells[0])
                if name:
                    add((av_endpoint, "clinical", f"{name}_corrected"), cells[1])
                    add((av_endpoint, "clinical + marker", f"{name}_corrected"), cells[2])
                    if name == "c":
                        add((av_endpoint, "delta", "c_apparent"), cells[3])
            if val_endpoint and cells and len(cells) == 4:
                name = {"Harrell's C": "c", "time-dependent AUC": "auc",
                        "Brier score": "brier"}.get(cells[0])
                if name:
                    # the validation table prints the Brier score with 4 decimals, the
                    # others with 3: compare on 3
                    add((val_endpoint, "clinical + marker", f"{name}_apparent"),
                        _round(cells[1], 3) if name != "c" else cells[1])
                    add((val_endpoint, "clinical + marker", f"{name}_corrected"),
                        _round(cells[3], 3))
    return cites


def _round(value: str, digits: int) -> str:
    try:
        return f"{float(value.replace('−', '-')):.{digits}f}".replace("-", "−")
    except ValueError:
        return value


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_one_c_per_model(path):
    page = path.read_text(encoding="utf-8")
    cites = c_citations(page)
    assert any(k[2] == "c_apparent" for k in cites), f"{path.name}: no C found to audit"
    several = {k: sorted(v) for k, v in cites.items() if len(v) > 1}
    assert not several, f"{path.name}: a model is cited with several values: {several}"
    for (ep, model, _q), vals in cites.items():
        if model == "delta":
            full = cites.get((ep, "clinical + marker", "c_apparent"))
            base = cites.get((ep, "clinical", "c_apparent"))
            assert full and base, f"{path.name}: ΔC of {ep} without both apparent Cs"
            diff = float(next(iter(full))) - float(next(iter(base)))
            got = float(next(iter(vals)).replace("−", "-"))
            assert abs(diff - got) <= 0.0011, (path.name, ep, diff, got)


# --------------------------------------------------------------------------- legends
def _endpoints(page: str) -> dict[str, str]:
    """Abbreviation → full name of every endpoint named in the report."""
    text = _clean(re.sub(r"<svg\b.*?</svg>", "", page, flags=re.S))
    return {m.group(2): m.group(1) for m in
            re.finditer(r"\b([a-z][a-z-]*(?: [a-z-]+)*? survival) \(([A-Z]{2,5})\)", text)}


def _named(text: str, eps: dict[str, str]) -> set[str]:
    found = set()
    for abbr, full in eps.items():
        if (re.search(rf"(?<![\w-]){re.escape(full)}\b", text, re.I)
                or re.search(rf"(?<![\w-]){abbr}\b", text)):
            found.add(abbr)
    return found


def _groups(page: str) -> list[str]:
    """The marker group labels, from the endpoint table's "events in <group>" headers."""
    m = re.search(r"Prespecified hypothesis: (.+?) patients have a higher hazard of the "
                  r"event than (.+?) patients", _clean(page))
    return [m.group(2), m.group(1)] if m else []


def _unit(page: str) -> str:
    m = re.search(r"Time \((\w+)\)", page)
    assert m, "no time axis found"
    return m.group(1)


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_legends_match_the_text(path):
    page = path.read_text(encoding="utf-8")
    eps, unit, groups = _endpoints(page), _unit(page), _groups(page)
    assert eps and groups, f"{path.name}: endpoints or marker groups not found"
    problems = []
    for k, fig in enumerate(figures(page), start=1):
        cap, drawn = fig["caption"], " | ".join(fig["texts"])
        where = f"Figure {k} ({cap[:60]}…)"
        in_fig, in_cap = _named(drawn, eps), _named(cap, eps)
        if in_fig and in_fig != in_cap:
            problems.append(f"{where}: the figure names {sorted(in_fig)}, the caption "
                            f"{sorted(in_cap) or 'no endpoint'}")
        for t in fig["texts"]:
            for u in re.findall(r"Time \((\w+)\)", t):
                if u != unit:
                    problems.append(f"{where}: axis in {u}, the report in {unit}")
            if re.search(r"\bt = [\d.]+$", t):
                problems.append(f"{where}: '{t}' gives a time without its unit ({unit})")
            if t in ("base", "full") or "__" in t:
                problems.append(f"{where}: internal name {t!r} in the legend")
        for u in re.findall(r"\b\d+(?:\.\d+)? (days|weeks|months|years)\b", cap):
            if u != unit:
                problems.append(f"{where}: caption in {u}, the report in {unit}")
        if re.search(r"by \S+ (?:status|group)\b", cap):
            missing = [g for g in groups if not any(g in t for t in fig["texts"])]
            if missing:
                problems.append(f"{where}: caption says by group but {missing} not drawn")
        if "clinical model + marker" in cap or "clinical + marker" in cap:
            legend = set(fig["texts"])
            if "clinical model and" in cap and not {"clinical", "clinical + marker"} <= legend:
                problems.append(f"{where}: the caption names the clinical and clinical + "
                                "marker models, the legend does not")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_auditors_catch_what_they_should():
    """The parsers on small hand-made pages: two Cs for one model, a bare t, base/full."""
    page = ("<caption>Discrimination and overall accuracy (apparent)</caption>"
            "<tr><td>overall survival (OS)</td><td>clinical + marker</td>"
            "<td>0.700 (0.6–0.8)</td></tr>"
            "<caption>Internal validation of the clinical + marker model for overall "
            "survival (OS) (REMARK item 18)</caption>"
            "<tr><td>Harrell's C</td><td>0.701</td><td>0.01</td><td>0.69</td></tr>")
    cites = c_citations(page)
    assert cites[("overall survival (OS)", "clinical + marker", "c_apparent")] == {
        "0.700", "0.701"}
    figs = figures("<h3>x</h3><figure><svg><text>full</text><text>t = 36</text></svg>"
                   "<figcaption>Figure 1. y</figcaption></figure>")
    assert figs == [{"caption": "Figure 1. y", "heading": "x", "texts": ["full", "t = 36"]}]
    eps = {"OS": "overall survival", "DFS": "disease-free survival"}
    assert _named("Kaplan–Meier of overall survival", eps) == {"OS"}
    assert _named("disease-free survival (DFS) by CTC", eps) == {"DFS"}
