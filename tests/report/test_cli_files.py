"""`ctcstats report` on real-world files and failures: every failure is one line with exit
status 2 and no traceback, the output path is checked before any work, and the report gets
the user's umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from ctcstats.cli import main

from ._cohort import small_cohort

COLS = ["--time-col", "os_months", "--event-col", "os_event", "--marker-col", "ctc_count"]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ctcstats.cli", *map(str, args)],
                          capture_output=True, text=True, env=env)


def _cohort():
    df = small_cohort(n=120)
    return df.drop(columns=[c for c in df.columns if c.startswith("<")])


def _one_line_fail(r, needle):
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ctcstats: error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in r.stderr


def _main_fails(capsys, args, needle) -> str:
    """``main(args)`` in this process exits 2 with one line on stderr naming *needle*, and
    nothing on stdout; returns stderr. In-process (with filterwarnings=error a warning fails
    the test, so the error line is the only output): these cases ran one report subprocess
    each, ~1–2 s apiece of interpreter start-up and imports; the fresh-interpreter path is
    checked by test_argparse_errors_are_one_line here and test_cli_report.py's subprocess
    tests."""
    capsys.readouterr()
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert rc == 2, captured.err
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("ctcstats: error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in captured.err
    return captured.err


def test_semicolon_decimal_comma_csv_reports_like_the_comma_csv(tmp_path):
    df = _cohort()
    a, b = tmp_path / "comma.csv", tmp_path / "semi.csv"
    df.to_csv(a, index=False)
    df.to_csv(b, index=False, sep=";", decimal=",")
    assert ";" in b.read_text() and "," in b.read_text().splitlines()[1]
    ra, rb = tmp_path / "a.html", tmp_path / "b.html"
    assert main(["report", str(a), *COLS, "--quiet", "--out", str(ra)]) == 0
    assert main(["report", str(b), *COLS, "--quiet", "--out", str(rb)]) == 0
    strip = [ln for ln in ra.read_text().splitlines()
             if "comma.csv" not in ln and "sha256" not in ln.lower()]
    strip_b = [ln for ln in rb.read_text().splitlines()
               if "semi.csv" not in ln and "sha256" not in ln.lower()]
    assert len(strip) == len(strip_b)
    diff = [(x, y) for x, y in zip(strip, strip_b, strict=True) if x != y]
    assert len(diff) <= 3, diff[:5]  # only provenance lines (file name, digest) may differ


def test_excel_sheet_flag(tmp_path, capsys):
    import pandas as pd

    p = tmp_path / "study.xlsx"
    with pd.ExcelWriter(p) as w:
        pd.DataFrame({"About": ["export"]}).to_excel(w, sheet_name="Readme", index=False)
        _cohort().to_excel(w, sheet_name="Patients", index=False)
    out = tmp_path / "r.html"
    err = _main_fails(capsys, ["report", p, *COLS, "--out", out],
                      "the columns are on 'Patients'")
    assert "--sheet 'Patients'" in err and not out.exists()
    assert main(["report", str(p), *COLS, "--sheet", "Patients", "--quiet", "--out",
                 str(out)]) == 0
    assert "study.xlsx (sheet &#39;Patients&#39;)" in out.read_text()
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask


def test_numbers_as_text_named(tmp_path, capsys):
    df = _cohort().astype({"ctc_count": object})
    df.loc[df.index[:2], "ctc_count"] = ["<1", "n.d."]
    p = tmp_path / "c.csv"
    df.to_csv(p, index=False)
    _main_fails(capsys, ["report", p, *COLS, "--out", tmp_path / "r.html"],
                "column 'ctc_count' of 'c.csv' holds numbers stored as text: 2 value(s) "
                "are not numbers (e.g. '<1', 'n.d.')")


def test_ambiguous_separator_via_cli_names_the_flag(tmp_path, capsys):
    p = tmp_path / "c.csv"
    p.write_text("a;b,c\n1;2,3\n4;5,6\n")
    _main_fails(capsys, ["report", p, "--time-col", "a", "--event-col", "b", "--marker-col",
                         "c", "--out", tmp_path / "r.html"], "--sep")


@pytest.mark.parametrize("case", ["no_dir", "is_dir", "read_only_dir", "suffix"])
def test_output_path_checked_before_any_work(tmp_path, case, capsys):
    # the data file does not exist: a path error must come first (nothing was read)
    data = tmp_path / "absent.csv"
    ro = tmp_path / "ro"
    ro.mkdir()
    out = {"no_dir": tmp_path / "nope" / "r.html", "is_dir": ro,
           "read_only_dir": ro / "r.html", "suffix": tmp_path / "r.pdf"}[case]
    needle = {"no_dir": "does not exist; create it", "is_dir": "is a directory",
              "read_only_dir": "is not writable", "suffix": "must name an .html file"}[case]
    os.chmod(ro, 0o555)
    try:
        if case == "read_only_dir" and os.access(ro, os.W_OK):
            # root ignores permission bits; check_output_path relies on os.access
            os.chmod(ro, 0o755)
            return _check_read_only_with_access(tmp_path, ro, data)
        _main_fails(capsys, ["report", data, *COLS, "--out", out], needle)
    finally:
        os.chmod(ro, 0o755)


def _check_read_only_with_access(tmp_path, ro, data):
    from unittest import mock

    from ctcstats.errors import DataValidationError
    from ctcstats.report.command import check_output_path

    real = os.access
    with mock.patch("ctcstats.report.command.os.access",
                    side_effect=lambda p, m: False if str(p) == str(ro) else real(p, m)):
        with pytest.raises(DataValidationError, match="is not writable"):
            check_output_path(ro / "r.html")


def test_unexpected_exception_is_one_line(tmp_path, monkeypatch, capsys):
    import ctcstats.report.command as command

    def boom(**kw):
        raise ValueError("something deep\nwith a second line")

    monkeypatch.setattr(command, "report_command", boom)
    assert main(["report", "--design", "lucci2012", "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected ValueError: something deep with a second line" \
        in err and "--debug" in err
    with pytest.raises(ValueError):
        main(["--debug", "report", "--design", "lucci2012", "--out", str(tmp_path / "r.html")])


def test_argparse_errors_are_one_line(tmp_path):
    r = _cli("report", "--design", "lucci2012")  # --out missing
    _one_line_fail(r, "the following arguments are required: --out")
    r = _cli("report", "--design", "lucci2012", "--out", tmp_path / "r.html", "--bogus")
    _one_line_fail(r, "unrecognized arguments: --bogus")


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_report_written_with_the_users_umask(tmp_path, umask):
    from ctcstats.report.build import write_atomic

    out = tmp_path / "r.html"
    old = os.umask(umask)
    try:
        write_atomic(out, "<p>x</p>")
        assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
        os.chmod(out, 0o640)  # an existing file keeps its mode
        write_atomic(out, b"<p>y</p>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and out.read_text() == "<p>y</p>"
    assert [q.name for q in tmp_path.iterdir()] == ["r.html"]  # no temporary file left


def test_readme_lists_every_report_option():
    from pathlib import Path

    from ctcstats.cli import render_readme

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert render_readme(text) == text, "README.md is out of date: python scripts/generate_docs.py"
    for flag in ("--time-unit", "--horizons", "--categorical", "--cutpoint", "--marker-label",
                 "--sheet", "--sep", "--decimal"):
        assert f"`{flag}" in text


def test_progress_bar_keeps_moving_during_a_long_section():
    import time

    from ctcstats.report.build import _heartbeat

    class Bar:
        n = 0

        def refresh(self):
            self.n += 1

    bar = Bar()
    stop = _heartbeat(bar, every=0.01)
    time.sleep(0.2)
    stop.set()
    seen = bar.n
    time.sleep(0.05)
    assert seen >= 3 and bar.n <= seen + 1  # redrawn while running, stopped when asked
