"""The endpoint's name in a report from a data file: derived from the time column without its
unit or a 'time' suffix (gbsg's ``rfstime`` is RFS, not RFSTIME), or given by
``--endpoint-label``."""

from __future__ import annotations

import pytest

import ctcstats.report.command as command
from ctcstats.cli import main
from ctcstats.report.command import _endpoint_name

from ._cohort import small_cohort


@pytest.mark.parametrize(("col", "name"), [
    ("os_months", "os"), ("pfs_days", "pfs"), ("rfs_time_days", "rfs"), ("OS.days", "OS"),
    ("dfs_mo", "dfs"), ("rfstime", "rfs"), ("RFSTIME_days", "RFS"), ("pfs", "pfs"),
    # nothing but a time word, or not an endpoint abbreviation: kept as given
    ("time", "time"), ("futime", "futime"), ("lifetime", "lifetime"), ("os_d", "os_d"),
])
def test_endpoint_name_from_the_time_column(col, name):
    assert _endpoint_name(col) == name


@pytest.fixture
def captured(monkeypatch, tmp_path):
    specs = []
    monkeypatch.setattr(command, "build_report", lambda frame, spec, **kw: specs.append(spec))
    p = tmp_path / "cohort.csv"
    df = small_cohort()
    df.drop(columns=[c for c in df.columns if c.startswith("<")]) \
        .rename(columns={"os_months": "rfstime"}).to_csv(p, index=False)
    return specs, p, tmp_path


def test_label_derived_or_given(captured, capsys):
    specs, csv, tmp = captured
    cols = ["--time-col", "rfstime", "--event-col", "os_event", "--marker-col", "ctc_count",
            "--time-unit", "months", "--quiet"]
    assert main(["report", str(csv), *cols, "--out", str(tmp / "a.html")]) == 0
    assert main(["report", str(csv), *cols, "--endpoint-label", "relapse-free survival",
                 "--out", str(tmp / "b.html")]) == 0
    derived, given = (s.endpoints[0] for s in specs)
    assert (derived.name, derived.label) == ("rfs", "RFS")
    assert (given.name, given.label) == ("rfs", "relapse-free survival")
    assert given.title == "relapse-free survival (RFS)"


def test_endpoint_label_with_a_spec_file_or_a_design_is_an_error(captured, capsys):
    _, csv, tmp = captured
    spec = tmp / "s.toml"
    spec.write_text('marker_col = "ctc_count"\n[[endpoints]]\nname = "os"\n'
                    'time_col = "rfstime"\nevent_col = "os_event"\n', encoding="utf-8")
    assert main(["report", str(csv), "--spec", str(spec), "--endpoint-label", "x",
                 "--out", str(tmp / "r.html")]) == 2
    assert "label = " in capsys.readouterr().err
    assert main(["report", "--design", "lucci2012", "--endpoint-label", "x",
                 "--out", str(tmp / "r.html")]) == 2
    assert "--endpoint-label cannot be combined with --design" in capsys.readouterr().err


def test_title_leaves_out_a_name_that_is_only_the_time_column(captured):
    specs, csv, tmp = captured
    df = small_cohort().drop(columns=[c for c in small_cohort().columns if c.startswith("<")])
    df.rename(columns={"os_months": "time"}).to_csv(csv, index=False)
    cols = ["--time-col", "time", "--event-col", "os_event", "--marker-col", "ctc_count",
            "--time-unit", "months", "--quiet"]
    assert main(["report", str(csv), *cols, "--out", str(tmp / "a.html")]) == 0
    assert main(["report", str(csv), *cols, "--endpoint-label", "overall survival",
                 "--out", str(tmp / "b.html")]) == 0
    assert [s.endpoints[0].title for s in specs] == ["TIME", "overall survival"]
