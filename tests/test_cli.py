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


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["report"], 2)])
def test_console_exits_with_mains_status(args, code):
    """The installed ``ctcstats`` command (cli.console) ends the process with main's exit
    status; it freezes the collector only on the way out, so it runs in its own process."""
    import subprocess
    import sys

    prog = ("import sys; from ctcstats.cli import console; "
            f"sys.argv = ['ctcstats', *{args!r}]; console()")
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == code, out.stderr
    assert ("ctcstats" in out.stdout) if code == 0 else ("error" in out.stderr)
