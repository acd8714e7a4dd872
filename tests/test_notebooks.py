"""The worked notebooks of ``notebooks/``.

Each notebook is one source, the jupytext percent-format file ``notebooks/NN_name.py`` (the
file people edit; ruff lints it like the package), paired with ``NN_name.ipynb`` committed
without outputs. After editing the source, ``jupytext --sync notebooks/NN_name.py`` rewrites
the pair. Every ``notebooks/NN_*.py`` is picked up here automatically.

Fast tests: every source has its pair and the pair has the same cells, the notebooks use the
public API only (``import ctcstats as cs``, no private names) and pass ruff. Slow tests
execute each source (jupytext → nbclient, kernel ``python3``; one kernel per process, reset to
a fresh kernel's state before each notebook — see the comment above ``_FRESH_STATE`` for what
that keeps and why) within its time budget and check that it shows a result object and draws
a figure. The numbers a notebook's narrative
relies on are checked on the same public calls, fast and seeded, by ``tests/notebooks/``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
IDS = [p.stem for p in SOURCES]
TIMEOUT_S = 120  # per notebook, also nbclient's per-cell timeout


# --------------------------------------------------------------------------- fast: sources
def test_every_notebook_has_one_source():
    assert len(SOURCES) >= 9, SOURCES
    sources = {p.stem for p in SOURCES}
    pairs = {p.stem for p in NOTEBOOK_DIR.glob("*.ipynb")}
    assert pairs == sources, (
        f".ipynb without a .py source: {sorted(pairs - sources)}; "
        f".py source without its .ipynb (run `jupytext --sync`): {sorted(sources - pairs)}")
    assert not (NOTEBOOK_DIR / "_build_notebooks.py").exists()


@pytest.mark.parametrize("src", SOURCES, ids=IDS)
def test_every_notebook_has_its_checks_in_tests(src):
    # what the notebook's narrative relies on is asserted on the same public calls there
    number = src.name[:2]
    checks = sorted((ROOT / "tests" / "notebooks").glob(f"test_{number}_*.py"))
    assert checks, (f"{src.name} has no tests/notebooks/test_{number}_<name>.py checking the "
                    "numbers its text relies on")


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


@pytest.mark.parametrize("src", SOURCES, ids=IDS)
def test_ipynb_paired_and_in_sync(src):
    ipynb = src.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells, "a notebook without code"
    for cell in code_cells:
        assert cell.execution_count is None, f"{ipynb.name} is committed with outputs"
        assert cell.outputs == [], f"{ipynb.name} is committed with outputs"
    # re-pairing the source gives the committed cells
    assert _cells(jupytext.read(src)) == _cells(nb), (
        f"{ipynb.name} is out of sync with {src.name}; run `jupytext --sync {src.name}` "
        "in notebooks/ (and clear the outputs)")
    # and the source is what jupytext writes for those cells (no hand-made cell markers)
    assert _cells(jupytext.reads(jupytext.writes(nb, fmt="py:percent"), fmt="py:percent")) \
        == _cells(nb)


def _private_names(tree: ast.AST) -> list[str]:
    """Imports other than ``import ctcstats as cs`` and ``x._name`` attribute accesses."""
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ctcstats" and (
                        alias.name != "ctcstats" or alias.asname != "cs"):
                    bad.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] == "ctcstats" or node.level:
                bad.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_") and not node.attr.endswith("__"):
                bad.append(f"line {node.lineno}: .{node.attr}")
    return bad


@pytest.mark.parametrize("src", SOURCES, ids=IDS)
def test_public_api_only(src):
    text = src.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(src))  # magics are comments in the percent format
    assert _private_names(tree) == [], (
        f"{src.name} must use the public API only (`import ctcstats as cs`, `cs.<name>`)")
    assert "import ctcstats as cs" in text
    # what a notebook shows is checked by tests/notebooks/, not by parsing printed text
    assert 'print("CHECK' not in text


def test_private_name_check_can_fail():
    tree = ast.parse("from ctcstats.designs.calibrate import estimate_result\n"
                     "import ctcstats.survival\nimport ctcstats as cs\ncs._validation\n"
                     "x.__class__\n")
    assert len(_private_names(tree)) == 3


def test_sources_pass_ruff():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "notebooks"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------- slow: execution
# One kernel for the notebooks run by a process (module-scoped: under `--dist loadgroup` the
# module runs on one worker, ~85 s), reset before each notebook to the state of a fresh kernel
# where it matters: the user namespace emptied (`%reset -f`, so a notebook that forgets an
# import fails even after another one imported it), every ctcstats module dropped from
# sys.modules (each notebook imports the package afresh: module-level state and a name
# missing from a lazy import are not hidden by an earlier notebook), figures closed,
# matplotlib's rcParams, pandas' options, the warning filters and the working directory
# restored. What stays loaded is the third-party modules (numpy, pandas, matplotlib,
# seaborn, scipy, lifelines, statsmodels): a fresh kernel per notebook paid ~4 s per
# notebook (start, shutdown, their imports) to check only that they import, which every
# other test does too. The reset is tested by test_reused_kernel_is_reset below.
_FRESH_STATE = """
import sys, types, warnings
import matplotlib
state = types.ModuleType("_ctcstats_fresh_kernel")
state.rc = {k: v for k, v in matplotlib.rcParams.items() if k != "backend"}
state.filters = list(warnings.filters)
sys.modules[state.__name__] = state
del sys, types, warnings, matplotlib, state
"""
_RESET = """%reset -f
def _reset(cwd):
    import os, sys, warnings
    import matplotlib, pandas
    import matplotlib.pyplot as plt
    state = sys.modules["_ctcstats_fresh_kernel"]
    plt.close("all")
    matplotlib.rcParams.update(state.rc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pandas.reset_option("all")
    warnings.filters[:] = state.filters
    for name in [m for m in sys.modules if m == "ctcstats" or m.startswith("ctcstats.")]:
        del sys.modules[name]
    os.chdir(cwd)
_reset(CWD)
del _reset
"""


def _reset_code() -> str:
    return _RESET.replace("CWD", repr(str(NOTEBOOK_DIR)))


def _client(nb, km=None):
    from nbclient import NotebookClient

    return NotebookClient(nb, km=km, timeout=TIMEOUT_S, kernel_name="python3",
                          shutdown_kernel="immediate",  # the owner's, at the end (saves ~2 s)
                          resources={"metadata": {"path": str(NOTEBOOK_DIR)}})


def _code_notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources],
                                    metadata={"kernelspec": {"name": "python3",
                                                             "display_name": "Python 3"}})


def _run(nb: nbformat.NotebookNode, km) -> nbformat.NotebookNode:
    client = _client(nb, km)
    try:
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
    return nb


@pytest.fixture(scope="module")
def kernel():
    """A started kernel (its manager), in the state a fresh kernel has before a notebook."""
    owner = _client(_code_notebook())
    with owner.setup_kernel(cwd=str(NOTEBOOK_DIR)):  # shuts the kernel down on exit
        _run(_code_notebook(_FRESH_STATE), owner.km)
        yield owner.km


def _execute(src: Path, km) -> tuple[nbformat.NotebookNode, float]:
    _run(_code_notebook(_reset_code()), km)
    nb = jupytext.read(src)
    start = time.perf_counter()
    _run(nb, km)
    return nb, time.perf_counter() - start


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.outputs


@pytest.mark.slow
@pytest.mark.parametrize("src", SOURCES, ids=IDS)
def test_notebook_executes(src, kernel):
    nb, elapsed = _execute(src, kernel)
    assert elapsed < TIMEOUT_S, f"{src.name} took {elapsed:.0f} s (budget {TIMEOUT_S} s)"
    outputs = list(_outputs(nb))
    assert not [o for o in outputs if o.output_type == "error"]
    # results are shown through their _repr_html_, figures inline
    html = [o["data"]["text/html"] for o in outputs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o["data"]]
    assert any("ctcstats-result" in h for h in html), "no result object was displayed"
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"


@pytest.mark.slow
def test_reused_kernel_is_reset(kernel, tmp_path):
    """What one notebook leaves behind is gone before the next: names (a forgotten import
    fails), the ctcstats modules, figures, rcParams, pandas options, warning filters, cwd."""
    from nbclient.exceptions import CellExecutionError

    first = _code_notebook(
        "%matplotlib inline\nimport warnings\nimport matplotlib.pyplot as plt\n"
        "import pandas as pd\nimport ctcstats as cs\nimport os\n"
        "plt.figure(); plt.rcParams['lines.linewidth'] = 9.0\n"
        "pd.set_option('display.precision', 1)\nwarnings.simplefilter('ignore')\n"
        f"os.chdir({str(tmp_path)!r})\ncs.FIRST_NOTEBOOK_WAS_HERE = leftover = True")
    _run(_code_notebook(_reset_code()), kernel)
    _run(first, kernel)
    _run(_code_notebook(_reset_code()), kernel)
    forgot_import = _code_notebook("cs.list_designs()")
    with pytest.raises(CellExecutionError, match="NameError"):
        _run(forgot_import, kernel)
    _run(_code_notebook(_reset_code()), kernel)
    check = _code_notebook(
        "import os, sys, warnings\nimport matplotlib, matplotlib.pyplot as plt\n"
        "import pandas as pd\nimport ctcstats as cs\n"
        "assert not hasattr(cs, 'FIRST_NOTEBOOK_WAS_HERE')\n"
        "assert '_reset' not in dir() and 'leftover' not in dir()\n"
        "assert plt.get_fignums() == []\n"
        "assert matplotlib.rcParams['lines.linewidth'] == 1.5\n"
        "assert pd.get_option('display.precision') == 6\n"
        "assert ('ignore', None, Warning, None, 0) not in warnings.filters\n"
        f"assert os.getcwd() == {str(NOTEBOOK_DIR)!r}, os.getcwd()")
    _run(check, kernel)
