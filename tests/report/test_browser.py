"""The report opens in a real browser: headless Chromium renders it without console errors,
every figure is laid out with a real size, and a screenshot is saved.

Chromium comes from Debian (``apt-get install chromium``; .ci/run installs it). The test is
never skipped: without Chromium it fails and says how to install it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

# The committed report of lucci2012 (seed 1): tests/report/test_reports_dir.py regenerates it and
# proves it byte-identical to build_design_report("lucci2012", rng=1), so the browser renders
# exactly what the library writes without building it a second time.
COMMITTED = Path(__file__).resolve().parents[2] / "reports" / "lucci2012.html"

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--hide-scrollbars",
]

# Test-only probe appended to a *copy* of the report (the report itself has no JavaScript):
# it records the laid-out size of every figure and every script error in the DOM.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
window.addEventListener('load', () => {
  const sizes = Array.from(document.querySelectorAll('svg.figure-svg')).map(s => {
    const r = s.getBoundingClientRect();
    return [Math.round(r.width), Math.round(r.height), s.querySelectorAll('path,use,text').length];
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({sizes: sizes, errors: window.__errors});
  document.body.appendChild(pre);
});
</script>"""


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Chromium is not installed; the browser test needs it: "
                    "apt-get install -y chromium (as .ci/run does).")
    return exe


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    report = tmp / "lucci2012.html"
    shutil.copyfile(COMMITTED, report)
    exe = _chromium()
    shot = tmp / "lucci2012.png"
    common = [exe, *FLAGS, f"--user-data-dir={tmp / 'profile'}"]
    r1 = subprocess.run([*common, "--enable-logging=stderr", "--v=0", f"--screenshot={shot}",
                         "--window-size=1280,4000", report.as_uri()],
                        capture_output=True, text=True, timeout=180)
    probe = tmp / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                     encoding="utf-8")
    r2 = subprocess.run([*common, "--window-size=1280,4000", "--virtual-time-budget=5000",
                         "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                        timeout=180)
    return {"report": report, "shot": shot, "log": r1.stderr, "rc": r1.returncode,
            "dom": r2.stdout, "rc2": r2.returncode, "err2": r2.stderr}


def test_screenshot_saved_and_not_blank(rendered):
    from PIL import Image

    assert rendered["rc"] == 0, rendered["log"][-2000:]
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
    log = rendered["log"]
    bad = [ln for ln in log.splitlines()
           if "CONSOLE" in ln or "Uncaught" in ln or "Failed to load resource" in ln]
    assert not bad, "\n".join(bad)


def test_figures_are_in_the_dom_and_sized(rendered):
    assert rendered["rc2"] == 0, rendered["err2"][-2000:]
    m = re.search(r'<pre id="probe">(.*?)</pre>', rendered["dom"], re.S)
    assert m, "probe did not run"
    info = json.loads(m.group(1).replace("&quot;", '"'))
    assert info["errors"] == []
    n_fig = rendered["report"].read_text(encoding="utf-8").count("<svg ")
    assert len(info["sizes"]) == n_fig >= 6
    for w, h, n_elems in info["sizes"]:
        assert 400 <= w <= 1000 and h >= 150 and n_elems > 20, (w, h, n_elems)


# ---- no table wider than its container or the page ------------------------------------
TABLE_PROBE = """<script>
window.addEventListener('load', () => {
  const rows = Array.from(document.querySelectorAll('table')).map(t => {
    const cap = t.querySelector('caption');
    return [cap ? cap.textContent : '', t.scrollWidth, t.parentElement.clientWidth,
            document.body.clientWidth];
  });
  const pre = document.createElement('pre');
  pre.id = 'tables';
  pre.textContent = JSON.stringify(rows);
  document.body.appendChild(pre);
});
</script>"""


def _table_widths(report, tmp, width, *, print_styles=False):
    text = report.read_text(encoding="utf-8")
    if print_styles:  # lay the page out with the print rules at the printable A4 width
        assert "@media print" in text
        text = text.replace("@media print", "@media all")
    probe = tmp / f"tables-{width}-{print_styles}.html"
    probe.write_text(text.replace("</body>", TABLE_PROBE + "</body>"), encoding="utf-8")
    r = subprocess.run([_chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile2'}",
                        f"--window-size={width},3000", "--virtual-time-budget=5000",
                        "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    m = re.search(r'<pre id="tables">(.*?)</pre>', r.stdout, re.S)
    assert m, "table probe did not run"
    return json.loads(m.group(1).replace("&quot;", '"'))


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
def test_no_table_overflows(rendered, wide_report, width, print_styles):
    out, tmp = wide_report
    for report in (rendered["report"], out):
        rows = _table_widths(report, tmp, width, print_styles=print_styles)
        assert len(rows) >= 8
        over = [(cap[:50], w, box) for cap, w, box, page in rows if w > box or w > page]
        assert not over, f"{report.name} at {width}px: {over}"
