"""Printing a report to PDF keeps every table whole (issue 14).

Each committed report (``reports/*.html``; ``test_reports_dir.py`` proves they are current) is
printed with headless Chromium (``Page.printToPDF`` in one browser shared by the module,
``_browser.py``: what ``--print-to-pdf`` prints, US letter, the report's ``@media print`` CSS;
the words and their positions are the same) and the PDF's words and their positions are read with ``pdftotext -bbox`` (poppler-utils;
.ci/run installs both). For every table, the header of its last column must be found in the
PDF — its words in order, stacked within one column (a header may wrap over several lines) —
and lie inside the page: a table wider than the paper loses its right-hand columns, which is
what this test catches. No word of the PDF may extend past the right edge of the page either.

The browser and poppler are never optional here: without them the test fails and says how to
install them. ``rack2014`` (the widest tables: competing risks, prognostic performance) runs
in the fast subset; the other designs are marked slow.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ctcstats.designs import list_designs

from ._browser import Browser

REPORTS = Path(__file__).resolve().parents[2] / "reports"
FAST = {"rack2014"}
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                   r"(.*?)</word>")
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)


def _exe(names: list[str], how: str) -> str:
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    pytest.fail(f"{names[0]} is not installed; the PDF print test needs it: {how} "
                "(as .ci/run does).")


def last_headers(page_html: str) -> list[str]:
    """The last header cell of every header row of every table (text as displayed)."""
    out = []
    for tab in re.findall(r"<table\b[^>]*>(.*?)</table>", page_html, re.S):
        for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", tab, re.S):
            ths = re.findall(r"<th\b[^>]*>(.*?)</th>", row, re.S)
            if ths:
                text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", ths[-1])).split())
                if text:
                    out.append(text)
    return out


def pdf_pages(pdf: Path, tmp: Path) -> list[tuple[float, list[tuple]]]:
    """(page width, [(x0, y0, x1, y1, word), ...]) per page, from ``pdftotext -bbox``."""
    out = tmp / "words.html"
    exe = _exe(["pdftotext"], "apt-get install -y poppler-utils")
    subprocess.run([exe, "-bbox", str(pdf), str(out)], check=True, timeout=120)
    pages = []
    for w, _, body in _PAGE.findall(out.read_text(encoding="utf-8")):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t))
                 for a, b, c, d, t in _WORD.findall(body)]
        pages.append((float(w), words))
    return pages


def find_header(tokens: list[str], pages) -> bool:
    """True when *tokens* occur in order, each on the line of the previous one or below it,
    within one column (x within 160 pt of the first word, at most 60 pt lower), and every
    matched word lies inside the page."""
    for width, words in pages:
        for i, (x0, y0, _x1, _y1, w) in enumerate(words):
            if w != tokens[0]:
                continue
            matched = [words[i]]
            for word in words[i + 1:]:
                if len(matched) == len(tokens) or word[1] > y0 + 60:
                    break
                xa, ya, xb, _yb, ww = word
                if (ww == tokens[len(matched)] and x0 - 160 <= xa and xb <= x0 + 160
                        and ya >= matched[-1][1] - 1):
                    matched.append(word)
            if len(matched) == len(tokens) and all(m[2] <= width for m in matched):
                return True
    return False


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    yield b
    b.close()


@pytest.mark.parametrize("key", [
    pytest.param(k, marks=() if k in FAST else pytest.mark.slow)
    for k in list_designs()["key"]])
def test_pdf_keeps_every_last_column(key, browser, tmp_path):
    report = REPORTS / f"{key}.html"
    pdf = tmp_path / f"{key}.pdf"
    page = browser.open(report.as_uri(), 1280, 4000)
    page.print_to_pdf(pdf)
    page.close()
    assert pdf.is_file()
    pages = pdf_pages(pdf, tmp_path)
    assert pages, "the PDF has no pages"
    beyond = [(w, round(x1, 1), round(width, 1)) for width, words in pages
              for (_, _, x1, _, w) in words if x1 > width + 0.5]
    assert not beyond, f"{key}: words printed past the page edge: {beyond[:5]}"
    headers = last_headers(report.read_text(encoding="utf-8"))
    assert headers, f"{key}: no table headers found"
    missing = [h for h in headers if not find_header(h.split(), pages)]
    assert not missing, f"{key}: last column header(s) missing from the PDF: {missing}"


def test_find_header_needs_the_words_in_one_column():
    """The matcher itself: wrapped headers are found; words scattered over the page or lying
    beyond the page edge are not."""
    words = [(100, 10, 130, 20, "median"), (135, 10, 180, 20, "follow-up,"),
             (300, 10, 320, 20, "x"), (100, 22, 130, 32, "months"),
             (100, 34, 125, 44, "(95%"), (128, 34, 140, 44, "CI)")]
    pages = [(612.0, words)]
    assert find_header("median follow-up, months (95% CI)".split(), pages)
    assert not find_header("median months x y".split(), pages)
    far = [(100, 10, 130, 20, "median"), (100, 300, 130, 310, "months")]
    assert not find_header(["median", "months"], [(612.0, far)])
    off = [(600, 10, 640, 20, "p")]
    assert not find_header(["p"], [(612.0, off)])
    html_ = ('<table><thead><tr><th>a</th><th colspan="2">group</th></tr>'
             '<tr><th>b</th><th>n &amp; %</th></tr></thead><tr><td>1</td></tr></table>')
    assert last_headers(html_) == ["group", "n & %"]
