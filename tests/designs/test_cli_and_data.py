"""Command line (`ctcstats designs`, `ctcstats simulate`) and the committed synthetic_data/."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest

from ctcstats import __version__
from ctcstats.cli import main
from ctcstats.designs import get_design, list_designs, simulate_study
from ctcstats.designs.export import sha256_file

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "synthetic_data"


def test_cli_designs_lists_registry(capsys):
    assert main(["designs"]) == 0
    out = capsys.readouterr().out
    for key in ("braun2005", "cristofanilli2004", "hayes2006", "janni2016", "rack2014",
                "lucci2012", "cohen2008", "debono2008", "smerage2014"):
        assert key in out
    assert main(["designs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("key,citation,")
    assert main(["designs", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["key"] == list_designs()["key"][0]


def test_cli_simulate_writes_cohort_draws_manifest(tmp_path, capsys):
    out = tmp_path / "h.csv"
    argv = ["simulate", "--design", "hayes2006", "--seed", "5", "--n", "300", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "wrote h.csv" in printed and "wrote h.draws.csv" in printed
    patients = pd.read_csv(out)
    expected = simulate_study("hayes2006", n=300, rng=5)
    pd.testing.assert_frame_equal(patients, expected.data, check_dtype=False)
    draws = pd.read_csv(tmp_path / "h.draws.csv")
    assert len(draws) == len(expected.draws)
    m = json.loads((tmp_path / "h.manifest.json").read_text())
    assert m["design"] == "hayes2006" and m["seed"] == 5 and m["n"] == 300
    assert m["ctcstats_version"] == __version__
    assert m["command"] == "ctcstats " + " ".join(argv)
    assert m["citation"] == str(get_design("hayes2006").citation)
    assert m["files"]["h.csv"] == sha256_file(out)
    assert m["files"]["h.draws.csv"] == sha256_file(tmp_path / "h.draws.csv")


def test_cli_simulate_user_design_file(tmp_path):
    out = tmp_path / "u.csv"
    path = get_design("lucci2012").path
    assert main(["simulate", "--design", path, "--seed", "1", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 302
    assert not (tmp_path / "u.draws.csv").exists()


def test_cli_simulate_errors(tmp_path, capsys):
    rc = main(["simulate", "--design", "nope", "--seed", "1", "--out", str(tmp_path / "x.csv")])
    assert rc == 2
    assert "unknown design 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "--design", "lucci2012", "--out", str(tmp_path / "x.csv")])


# --------------------------------------------------------------------------- committed data
MANIFESTS = sorted(DATA.glob("*.manifest.json"))


def test_every_design_has_committed_data():
    keys = {p.name.split(".")[0] for p in MANIFESTS}
    assert set(list_designs()["key"]) <= keys
    for key in keys:
        n = len(pd.read_csv(DATA / f"{key}.csv"))
        assert n == get_design(key).n.value


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name.split(".")[0])
def test_manifest_hashes_match_files(manifest):
    m = json.loads(manifest.read_text())
    assert m["design"] == manifest.name.split(".")[0]
    assert m["citation"] == str(get_design(m["design"]).citation)
    for name, digest in m["files"].items():
        assert sha256_file(DATA / name) == digest, name


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.name.split(".")[0])
def test_regenerate_committed_file_bytes(manifest, tmp_path, monkeypatch):
    """Rerun the manifest's exact command in a scratch directory and compare bytes."""
    m = json.loads(manifest.read_text())
    argv = shlex.split(m["command"])
    assert argv[0] == "ctcstats"
    monkeypatch.chdir(tmp_path)
    assert main(argv[1:]) == 0
    for name in m["files"]:
        fresh = tmp_path / "synthetic_data" / name
        assert fresh.read_bytes() == (DATA / name).read_bytes(), name
