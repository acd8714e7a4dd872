"""The report opens in a real browser: headless Chromium renders it without console errors,
every figure is laid out with a real size, and a screenshot is saved.

Chromium comes from Debian (``apt-get install chromium``; .ci/run installs it); one browser
serves the module's pages (``_browser.py``, the DevTools protocol over a pipe). The test is
never skipped: without Chromium it fails and says how to install it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ._browser import Browser

# The committed report of lucci2012 (seed 1): tests/report/test_reports_dir.py regenerates it and
# proves it byte-identical to build_design_report("lucci2012", rng=1), so the browser renders
# exactly what the library writes without building it a second time.
COMMITTED = Path(__file__).resolve().parents[2] / "reports" / "lucci2012.html"

# Test-only probe, evaluated in the loaded page (the report itself has no JavaScript): the
# laid-out size of every figure and how many drawn elements it has.
SIZES = """JSON.stringify(Array.from(document.querySelectorAll('svg.figure-svg')).map(s => {
  const r = s.getBoundingClientRect();
  return [Math.round(r.width), Math.round(r.height), s.querySelectorAll('path,use,text').length];
}))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium") / "profile")
    yield b
    b.close()


@pytest.fixture(scope="module")
def rendered(browser, tmp_path_factory):
    """The report loaded in a 1280 x 4000 window: its screenshot, the browser's console
    messages, uncaught script errors and failed resource loads, and the figures' sizes."""
    tmp = tmp_path_factory.mktemp("browser")
    report = tmp / "lucci2012.html"
    shutil.copyfile(COMMITTED, report)
    shot = tmp / "lucci2012.png"
    page = browser.open(report.as_uri(), 1280, 4000)
    page.screenshot(shot)
    sizes = json.loads(page.evaluate(SIZES))
    log = page.messages()
    page.close()
    return {"report": report, "shot": shot, "log": log, "sizes": sizes}


def test_screenshot_saved_and_not_blank(rendered):
    from PIL import Image

    shot = rendered["shot"]
    assert shot.is_file() and shot.stat().st_size > 10_000
    img = Image.open(shot).convert("L")
    assert img.size == (1280, 4000)
    # a drawn page: a good share of pixels is not background white
    hist = img.histogram()
    non_white = sum(hist[:235]) / (img.size[0] * img.size[1])
    assert non_white > 0.01, f"page looks blank ({non_white:.3%} non-white pixels)"
    print(f"screenshot: {shot}")


def test_no_console_errors(rendered):
    assert rendered["log"] == [], "\n".join(rendered["log"])


def test_figures_are_in_the_dom_and_sized(rendered):
    n_fig = rendered["report"].read_text(encoding="utf-8").count("<svg ")
    assert len(rendered["sizes"]) == n_fig >= 6
    for w, h, n_elems in rendered["sizes"]:
        assert 400 <= w <= 1000 and h >= 150 and n_elems > 20, (w, h, n_elems)


# ---- no table wider than its container or the page ------------------------------------
TABLE_PROBE = """JSON.stringify(Array.from(document.querySelectorAll('table')).map(t => {
  const cap = t.querySelector('caption');
  return [cap ? cap.textContent : '', t.scrollWidth, t.parentElement.clientWidth,
          document.body.clientWidth];
}))"""


def _table_widths(browser, report, tmp, width, *, print_styles=False):
    text = report.read_text(encoding="utf-8")
    if print_styles:  # lay the page out with the print rules at the printable A4 width
        assert "@media print" in text
        text = text.replace("@media print", "@media all")
    copy = tmp / f"tables-{report.stem}-{width}-{print_styles}.html"
    copy.write_text(text, encoding="utf-8")
    page = browser.open(copy.as_uri(), width, 3000)
    rows = json.loads(page.evaluate(TABLE_PROBE))
    page.close()
    return rows


@pytest.fixture(scope="module")
def wide_report(tmp_path_factory):
    """A report with wide tables: days, three horizons, a categorical covariate (gbsg)."""
    from pathlib import Path

    from ctcstats.cli import main

    tmp = tmp_path_factory.mktemp("wide")
    data = Path(__file__).resolve().parents[1] / "reference" / "report_files" / "inputs"
    out = tmp / "gbsg.html"
    assert main(["report", str(data / "gbsg.csv"), "--time-col", "rfs_days", "--event-col",
                 "rfs_event", "--marker-col", "nodes", "--threshold", "4", "--covariates",
                 "age,size,grade,er", "--categorical", "grade", "--cutpoint", "--quiet",
                 "--out", str(out)]) == 0
    return out, tmp


@pytest.mark.parametrize(("width", "print_styles"), [(1280, False), (718, True)])
def test_no_table_overflows(browser, rendered, wide_report, width, print_styles):
    out, tmp = wide_report
    for report in (rendered["report"], out):
        rows = _table_widths(browser, report, tmp, width, print_styles=print_styles)
        assert len(rows) >= 8
        over = [(cap[:50], w, box) for cap, w, box, page in rows if w > box or w > page]
        assert not over, f"{report.name} at {width}px: {over}"
