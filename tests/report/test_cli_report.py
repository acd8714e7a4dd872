"""`ctcstats report`: data files and designs, determinism via the CLI, one-line errors and
no partial file on bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ctcstats.cli import main

from ._cohort import small_cohort

COLS = ["--time-col", "os_months", "--event-col", "os_event", "--marker-col", "ctc_count"]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ctcstats.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def csv(tmp_path):
    p = tmp_path / "cohort.csv"
    small_cohort().drop(columns=[c for c in small_cohort().columns if c.startswith("<")]) \
        .to_csv(p, index=False)
    return p


def test_cli_csv_report_twice_byte_identical(tmp_path, csv):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for out in (a, b):
        r = _cli("report", csv, *COLS, "--threshold", "5", "--covariates", "age",
                 "--strata-col", "centre", "--title", "My <b>study</b>", "--quiet",
                 "--out", out)
        assert r.returncode == 0, r.stderr
        assert r.stderr.strip() == f"wrote {out}"
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    assert "My &lt;b&gt;study&lt;/b&gt;" in text
    assert "file cohort.csv" in text and str(tmp_path) not in text
    import hashlib

    assert hashlib.sha256(csv.read_bytes()).hexdigest() in text


def test_cli_with_spec_file(tmp_path, csv):
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'marker_col = "ctc_count"\nthresholds = [5]\ncovariates = ["age"]\nlandmarks = [6]\n'
        '[[endpoints]]\nname = "pfs"\ntime_col = "pfs_months"\nevent_col = "pfs_event"\n'
        '[[endpoints]]\nname = "os"\ntime_col = "os_months"\nevent_col = "os_event"\n'
        '[analyses]\nprognostic = false\ncategories = [0, 1, 5]\n', encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["report", str(csv), "--spec", str(spec), "--quiet", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Landmark analyses" in text and "Count categories and trend" in text


def test_cli_design_report_in_process_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    for out in (a, b):
        assert main(["report", "--design", "lucci2012", "--seed", "2", "--quiet",
                     "--out", str(out)]) == 0
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    assert "ctcstats report --design lucci2012 --seed 2" in text
    assert "simulate_cohort(&#39;lucci2012&#39;, rng=2)" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--time-col", "os_months", "--event-col", "os_evnt", "--marker-col", "ctc_count"],
         "'os_evnt' is not a column of the data"),
        (["--time-col", "os_months", "--event-col", "os_event", "--marker-col", "centre"],
         "count_col 'centre'"),
        ([*COLS, "--threshold", "five"], "--threshold must be whole numbers"),
        ([*COLS, "--covariates", "age,bmi"], "covariate 'bmi' is not a column of the data"),
        (["--time-col", "os_months"], "--event-col go together"),
    ],
)
def test_cli_bad_input_exits_2_one_line_no_file(tmp_path, csv, args, needle):
    out = tmp_path / "r.html"
    r = _cli("report", csv, *args, "--out", out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("ctcstats: error: ") and needle in lines[0]
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == [csv]  # no partial or temporary file


def test_cli_bad_event_coding_names_the_column(tmp_path):
    df = small_cohort().iloc[:, :-1]
    df["os_event"] = df["os_event"].replace({1: 2})
    p = tmp_path / "c.csv"
    df.drop(columns=[c for c in df.columns if c.startswith("<")]).to_csv(p, index=False)
    r = _cli("report", p, *COLS, "--out", tmp_path / "r.html")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "event_col 'os_event' must contain only 0/1" in r.stderr
    assert not (tmp_path / "r.html").exists()


def test_cli_debug_shows_traceback(tmp_path, csv):
    r = _cli("--debug", "report", csv, "--time-col", "nope", "--event-col", "os_event",
             "--marker-col", "ctc_count", "--out", tmp_path / "r.html")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_cli_argument_errors(tmp_path, csv, capsys):
    # in-process (main returns the exit code; the subprocess path is tested above and below)
    def run(*args):
        rc = main(["report", *map(str, args)])
        return rc, capsys.readouterr().err

    rc, err = run("--out", tmp_path / "r.html")
    assert rc == 2 and "either a data file" in err
    rc, err = run(csv, "--design", "lucci2012", "--out", tmp_path / "r.html")
    assert rc == 2 and "not both" in err
    rc, err = run("--design", "lucci2012", "--threshold", "3", "--out", tmp_path / "r.html")
    assert rc == 2 and "--threshold cannot be combined with --design" in err
    rc, err = run("--design", "nosuch", "--out", tmp_path / "r.html")
    assert rc == 2 and "unknown design 'nosuch'" in err
    rc, err = run(csv, *COLS, "--out", tmp_path / "missing" / "r.html")
    assert rc == 2 and "does not exist" in err
    rc, err = run(csv, *COLS, "--out", tmp_path / "r.txt")
    assert rc == 2 and "must name an .html file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv"]


def test_cli_progress_on_stderr(tmp_path, csv):
    r = _cli("report", csv, *COLS, "--out", tmp_path / "r.html")
    assert r.returncode == 0
    assert "ctcstats report" in r.stderr and "section" in r.stderr
    assert r.stdout == ""
