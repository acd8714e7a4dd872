"""The report's early start of section 8's bootstraps in forked children
(ctcstats/report/_prefetch.py): the same values, warnings and errors as computing the calls in
the parent, and the same report bytes."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import ctcstats.report._prefetch as prefetch_mod
from ctcstats.report import build_design_report
from ctcstats.report._prefetch import Prefetch, prefetch_enabled


@pytest.fixture(autouse=True)
def _no_other_threads(monkeypatch):
    """Earlier tests in the same worker may leave threads (tqdm's monitor, a browser): the
    children here do nothing that could need their locks, so fork anyway."""
    monkeypatch.setattr(prefetch_mod, "_threads_running", lambda: False)


def _work(n: int, *, seed: int) -> np.ndarray:
    warnings.warn(f"drew {n} values", UserWarning, stacklevel=2)
    return np.random.default_rng(seed).standard_normal(n)


def _fails(n: int) -> None:
    raise ValueError(f"bad n = {n}")


def test_child_value_and_warnings_equal_the_parents():
    pf = Prefetch(enabled=True)
    assert pf.start("a", _work, 1000, seed=3)
    value, caught = pf.result("a", _work, 1000, seed=3)
    np.testing.assert_array_equal(value, np.random.default_rng(3).standard_normal(1000))
    assert [(r.message, r.category) for r in caught] == [("drew 1000 values", UserWarning)]
    assert pf._jobs == {}


def test_failing_child_raises_in_the_parent():
    """The child's exception is not sent: the parent recomputes the call and raises it where
    a sequential run would."""
    pf = Prefetch(enabled=True)
    assert pf.start("f", _fails, 5)
    with pytest.raises(ValueError, match="bad n = 5"):
        pf.result("f", _fails, 5)


def test_value_that_does_not_pickle_is_computed_in_the_parent():
    pf = Prefetch(enabled=True)
    assert pf.start("g", lambda: (lambda: 7))
    value, caught = pf.result("g", lambda: (lambda: 8))
    assert value() == 8 and list(caught) == []


def test_not_started_or_disabled_computes_in_the_parent():
    pf = Prefetch(enabled=False)
    assert not pf.start("a", _work, 10, seed=1)
    value, _ = pf.result("a", _work, 10, seed=1)
    np.testing.assert_array_equal(value, np.random.default_rng(1).standard_normal(10))


def test_close_reaps_uncollected_children():
    pf = Prefetch(enabled=True)
    assert pf.start("a", _work, 10, seed=1)
    pid = pf._jobs["a"][0]
    pf.close()
    assert pf._jobs == {}
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_no_fork_while_another_thread_runs(monkeypatch):
    monkeypatch.setattr(prefetch_mod, "_threads_running", lambda: True)
    assert not Prefetch(enabled=True).start("a", _work, 10, seed=1)


def test_setting_and_xdist_rule(monkeypatch):
    monkeypatch.setenv("CTCSTATS_REPORT_JOBS", "1")
    assert not prefetch_enabled()
    monkeypatch.setenv("CTCSTATS_REPORT_JOBS", "2")
    assert prefetch_enabled()
    monkeypatch.delenv("CTCSTATS_REPORT_JOBS")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert not prefetch_enabled()
    monkeypatch.setattr(prefetch_mod, "_usable_cores", lambda: 1)
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert not prefetch_enabled()


def test_report_bytes_the_same_with_and_without_children(monkeypatch, tmp_path):
    """lucci2012 (section 8 with clinical covariates): the report built with section 8's
    bootstraps in forked children is byte for byte the sequential one, and the children were
    used (both calls started and collected from them)."""
    used: list[str] = []
    orig = Prefetch.start

    def start(self, key, fn, *args, **kwargs):
        ok = orig(self, key, fn, *args, **kwargs)
        if ok:
            used.append(key)
        return ok

    monkeypatch.setattr(Prefetch, "start", start)
    monkeypatch.setenv("CTCSTATS_REPORT_JOBS", "1")
    seq = build_design_report("lucci2012", rng=1)
    assert used == []
    monkeypatch.setenv("CTCSTATS_REPORT_JOBS", "2")
    par = build_design_report("lucci2012", rng=1, out=tmp_path / "r.html")
    assert used == ["added_value", "validate_model"]
    assert par == seq
    assert "Internal validation of the clinical + marker model" in par
