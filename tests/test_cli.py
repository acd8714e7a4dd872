"""The ctcstats command: --version and the error path."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ctcstats
from ctcstats.cli import main


def test_version_in_process(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"ctcstats {ctcstats.__version__}"


def test_console_script_installed():
    out = subprocess.run(
        [sys.executable, "-m", "ctcstats.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("ctcstats ")


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: ctcstats" in capsys.readouterr().out
