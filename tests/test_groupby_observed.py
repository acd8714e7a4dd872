"""Every ``groupby`` in ctcstats says how categorical keys are grouped (``observed=``).

With a pandas Categorical key, pandas' default ``observed=False`` makes one group per
*category*, used or not: an unused level (left by subsetting a categorical frame, or declared
by the user) becomes an empty group — a NaN row, a zero count, an ``all()`` that is vacuously
True, an ``iloc[0]`` that raises — and pandas 2.1+ warns that the default will change. So
each call passes ``observed=`` explicitly: ``True`` (groups that exist in the data) unless a
table must list every level, in which case ``observed=False`` with a comment saying why.
What an unused level does to the public functions is tested in
``tests/property/test_invariance.py::test_categorical_with_unused_levels``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pandas as pd
import pytest

import ctcstats

ROOT = Path(ctcstats.__file__).resolve().parent


def _groupby_calls_without_observed() -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "groupby"
                    and not any(k.arg == "observed" for k in node.keywords)):
                bad.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return bad


def test_every_groupby_states_observed():
    assert _groupby_calls_without_observed() == []


def test_the_check_finds_a_groupby_without_observed(tmp_path, monkeypatch):
    """The scan is not vacuous: it reports a call written the way the audited ones were."""
    pkg = tmp_path / "ctcstats"
    pkg.mkdir()
    (pkg / "m.py").write_text("def f(d):\n    return d.groupby('g', sort=False).size()\n",
                              encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", pkg)
    assert _groupby_calls_without_observed() == ["ctcstats/m.py:2"]


def test_pandas_default_still_makes_empty_groups():
    """Why the rule exists: with the default, an unused level is a group (and warns)."""
    d = pd.DataFrame({"g": pd.Categorical(["a", "b"], categories=["a", "b", "c"]), "x": [1, 2]})
    with pytest.warns(FutureWarning, match="observed"):
        n = d.groupby("g")["x"].size()
    assert n.to_dict() == {"a": 1, "b": 1, "c": 0}
    assert d.groupby("g", observed=True)["x"].size().to_dict() == {"a": 1, "b": 1}
