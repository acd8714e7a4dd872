"""reports/ holds the report of every built-in design; regenerating one gives the committed
file (byte-identical with the same software versions; otherwise identical apart from the
versions table and the figures' drawing instructions, which depend on the versions)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ctcstats.designs import list_designs
from ctcstats.report import build_design_report

REPORTS = Path(__file__).resolve().parents[2] / "reports"
KEYS = list(list_designs()["key"])

_VERSIONS = re.compile(r'<table class="versions">.*?</table>', re.S)
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)


def _normalise(html: str) -> str:
    html = _VERSIONS.sub("<versions/>", html)
    return _SVG.sub(lambda m: f"<svg {len(re.findall(r'<text', m.group(0)))} texts/>", html)


def test_every_design_has_a_report_and_nothing_else():
    assert sorted(p.stem for p in REPORTS.glob("*.html")) == sorted(KEYS)
    readme = (REPORTS / "README.md").read_text(encoding="utf-8")
    assert "python scripts/make_reports.py" in readme


@pytest.mark.parametrize("key", KEYS)
def test_regenerated_report_matches_committed(key, tmp_path):
    committed = (REPORTS / f"{key}.html").read_text(encoding="utf-8")
    fresh = build_design_report(key, rng=1, out=tmp_path / f"{key}.html")
    if _VERSIONS.search(committed).group(0) == _VERSIONS.search(fresh).group(0):
        assert fresh == committed, f"reports/{key}.html is stale: python scripts/make_reports.py"
    else:  # other dependency versions: the statistics and text must still agree exactly
        assert _normalise(fresh) == _normalise(committed), (
            f"reports/{key}.html differs beyond versions/figures: regenerate it with "
            "python scripts/make_reports.py")


def test_committed_reports_name_no_api_calls():
    """Issue 14: the report is read by clinicians — no ``cs.`` calls or keyword arguments in
    its text (the reproducibility section's spec and command line are exempt: they are code)."""
    import re

    pattern = re.compile(r"\bcs\.[a-z_]+|fit_piecewise_cox|firth=True")
    for path in sorted(REPORTS.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not pattern.findall(text), (path.name, pattern.findall(text)[:3])
