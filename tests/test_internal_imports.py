"""No module of ctcstats uses another module's private names (DESIGN.md §1, §4).

What modules share lives in documented internal modules under public-within-package names
(e.g. ``ctcstats.survival._core``); importing such a private *module* is fine, importing or
reaching into a private *name* (``from .logrank import _chisq``, ``_schema._parse``) of
another module is not.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import ctcstats

ROOT = Path(ctcstats.__file__).resolve().parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, here: str, is_pkg: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = here.split(".") if is_pkg else here.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _violations(path: Path, source: str | None = None) -> list[str]:
    here = _module_name(path)
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    out: list[str] = []
    modules: dict[str, str] = {}  # local name -> ctcstats module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            src = _resolve(node, here, is_pkg)
            if not src.startswith("ctcstats"):
                continue
            for alias in node.names:
                full = f"{src}.{alias.name}"
                if _is_module(full):
                    modules[alias.asname or alias.name] = full
                elif _private(alias.name):
                    out.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: imports "
                               f"private name {alias.name!r} from {src}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ctcstats") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in modules and _private(node.attr)
                and not _is_module(f"{modules[node.value.id]}.{node.attr}")):
            out.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: uses private name "
                       f"{node.attr!r} of {modules[node.value.id]}")
    return out


def test_no_module_uses_another_modules_private_names():
    found = [v for path in sorted(ROOT.rglob("*.py")) for v in _violations(path)]
    assert found == [], "\n".join(found)


def test_the_check_finds_private_names_and_allows_internal_modules():
    """The check can fail: private names imported or reached through a module are reported;
    a private module (``_core``) and its public names are allowed."""
    src = ("from .logrank import _secret, logrank_test\n"
           "from . import km as k\n"
           "from ._core.ties import merge_times\n"
           "from . import _core\n"
           "k._helper()\n"
           "_core.ties\n")
    found = _violations(ROOT / "survival" / "cox.py", src)
    assert len(found) == 2
    assert "imports private name '_secret' from ctcstats.survival.logrank" in found[0]
    assert "uses private name '_helper' of ctcstats.survival.km" in found[1]
