"""Shared fixtures: a seeded generator, the Agg backend, figures closed after each test."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests are derandomised: the same examples on every run and machine, so the suite
# is as reproducible as the rest of it (seeded randomness only).
settings.register_profile("ctcstats", derandomize=True, print_blob=True)
settings.load_profile("ctcstats")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for each test (never the global RNG)."""
    return np.random.default_rng(20261121)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _compile_each_kernel_once(config.rootpath)


def _compile_each_kernel_once(root: Path) -> None:
    """On an xdist worker: compile each numba kernel in one worker only.

    The kernels are cached on disk (``ctcstats._jit.njit``, ``cache=True``), but the cache of a
    fresh clone is empty (numba keys it on the source files' modification times), and the
    workers need the same kernels at about the same time: each compiled them all (~40 CPU s
    each). Here a worker compiling a kernel holds a file lock named after the function; a
    worker needing the same function waits for the lock, and numba's own compile then finds
    the other worker's result in the disk cache and loads it instead of compiling again.
    The lock is taken inside numba's in-process compiler lock, so two threads of one worker
    cannot hold a file lock each and wait for each other; across workers a compile only ever
    waits for the functions it calls (never its callers), so no two workers wait for each
    other either. Nothing changes when the cache is warm (numba compiles nothing then) or in
    a one-process run.
    """
    import fcntl
    import hashlib
    import tempfile

    from numba.core.caching import NullCache
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.dispatcher import Dispatcher

    locks = Path(tempfile.gettempdir()) / (
        "ctcstats-numba-" + hashlib.sha1(str(root).encode()).hexdigest()[:12])
    locks.mkdir(exist_ok=True)
    compile_ = Dispatcher.compile

    def compile_once(self, sig):
        if isinstance(self._cache, NullCache):
            return compile_(self, sig)
        name = f"{self.py_func.__module__}.{self.py_func.__qualname__}"
        with global_compiler_lock, open(locks / name, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return compile_(self, sig)

    Dispatcher.compile = compile_once


# The reference generators and oracles are scripts (run by tests/reference/regenerate.sh),
# not test modules; several share a file name, so doctest collection must not import them.
collect_ignore_glob = ["reference/*/make_inputs.py", "reference/*/oracle_*.py"]




# How the suite is spread over cores (.ci/run: `pytest -n auto --dist loadgroup`, pytest-xdist).
# Work goes to whichever worker is free, one unit at a time, in the order below, so the long
# checks start first and the short tests fill the rest of the time (rather than one worker
# ending on a long test while the other is idle): the most expensive checks lead (CPU seconds
# measured on the 2-core machine), then the other slow ones, then the modules that compute
# something once for several tests, then everything else in collection order (a stable sort).
# A unit is one test, or a whole test module when the module shares a computation between its
# tests (a module-, class-, package- or session-scoped fixture, or tests marked xdist_group):
# that module runs on one worker, so the computation is done once, as in a one-process run.
# The grouping is done here, by module, because xdist's own loadgroup (which renames node ids)
# no longer takes effect with pytest >= 9.2.
_FIRST = (
    "tests/designs/test_replicate.py::test_published_quantities_covered_over_seeds",
    "tests/longitudinal/test_joint_recovery.py::test_bias_and_coverage_slow",
)
_SHARES = re.compile(r"""scope\s*=\s*["'](?:module|class|package|session)["']|xdist_group""")


@functools.cache
def _shares_computation(root: Path, module: str) -> bool:
    path = root / module
    return (path.name.startswith("test_") and path.suffix == ".py"
            and bool(_SHARES.search(path.read_text(encoding="utf-8"))))


def _start_rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    if item.get_closest_marker("slow"):
        return len(_FIRST)
    shared = _shares_computation(item.config.rootpath, item.nodeid.split("::")[0])
    return len(_FIRST) + (1 if shared else 2)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_start_rank)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    root = config.rootpath
    config.option.loadscopereorder = False  # keep the order above

    class ModuleGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return module if _shares_computation(root, module) else nodeid

    return ModuleGroups(config, log)
