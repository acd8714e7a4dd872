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

from .test_reports_dir import _VERSIONS, REPORTS


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


def test_group_keeps_each_calls_value_and_warnings():
    """One child computes several calls; each call's warnings stay its own, and a call that
    fails is recomputed (and raises) in the parent while the others come from the child."""
    pf = Prefetch(enabled=True)
    calls = {"x": (_work, (5,), {"seed": 1}), "bad": (_fails, (2,), {}),
             "y": (_work, (7,), {"seed": 2})}
    assert pf.start_group("g", calls)
    assert not pf.start("x", _work, 5, seed=1)  # a key already started
    y, caught_y = pf.result("y", _work, 7, seed=2)
    x, caught_x = pf.result("x", _work, 5, seed=1)
    np.testing.assert_array_equal(y, np.random.default_rng(2).standard_normal(7))
    np.testing.assert_array_equal(x, np.random.default_rng(1).standard_normal(5))
    assert [r.message for r in caught_x] == ["drew 5 values"]
    assert [r.message for r in caught_y] == ["drew 7 values"]
    with pytest.raises(ValueError, match="bad n = 2"):
        pf.result("bad", _fails, 2)


@pytest.mark.parametrize("key", ["lucci2012", "braun2005"])
def test_report_bytes_the_same_with_and_without_children(monkeypatch, tmp_path, key):
    """lucci2012 (section 8 with clinical covariates) and braun2005 (also competing risks for
    two endpoints): the report built with the slow calls in forked children is byte for
    byte the sequential one, and the children were used.

    The sequential report is the committed one (reports/KEY.html, which
    test_reports_dir.py rebuilds sequentially — pytest-xdist workers never fork — and
    compares byte for byte); only when the committed file was made with other dependency
    versions is the sequential report built here, so the comparison stays exact."""
    used: list[str] = []
    orig = Prefetch.start_group

    def start_group(self, group, calls):
        ok = orig(self, group, calls)
        if ok:
            used.append(group)
        return ok

    monkeypatch.setattr(Prefetch, "start_group", start_group)
    monkeypatch.setenv("CTCSTATS_REPORT_JOBS", "2")
    par = build_design_report(key, rng=1, out=tmp_path / "r.html")
    # lucci2012 reports Firth fits (section 6): they and the ordinary fits start early
    first = ["multivariable"] if key == "lucci2012" else []
    assert used[:len(first) + 2] == [*first, "added_value", "validate_model"]
    if key == "braun2005":
        assert used[2:] == ["competing:bcss", "competing:ddfs"]
    seq = (REPORTS / f"{key}.html").read_text(encoding="utf-8")
    if _VERSIONS.search(seq).group(0) != _VERSIONS.search(par).group(0):
        used.clear()
        monkeypatch.setenv("CTCSTATS_REPORT_JOBS", "1")
        seq = build_design_report(key, rng=1)
        assert used == []
    assert par == seq
    assert "Internal validation of the clinical + marker model" in par


def test_firth_fit_started_early_only_when_section_6_reports_it():
    """The child computes the Firth fit exactly as section 6 calls it when the ordinary
    fit has fewer than 10 events per coefficient, and nothing (so the key is left to the
    parent, which does not ask for it) otherwise; the ordinary fit's warnings are not
    captured with it."""
    import pandas as pd

    from ctcstats._warnings import call_capturing
    from ctcstats.report.sections.survival import _firth_possible, _firth_when_needed, _NotNeeded
    from ctcstats.survival.cox import fit_cox

    rng = np.random.default_rng(7)
    n = 60
    frame = pd.DataFrame({"t": rng.exponential(1.0, n), "x1": rng.normal(size=n),
                          "x2": rng.normal(size=n), "x3": rng.normal(size=n)})
    frame["e"] = (rng.random(n) < 0.4).astype(int)  # ~24 events, 3 coefficients: EPV < 10
    kw = dict(time_col="t", event_col="e", covariates=["x1", "x2", "x3"], firth=True)
    got, caught = call_capturing(_firth_when_needed, frame, **kw)
    want, want_caught = call_capturing(fit_cox, frame, **kw)
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=True)
    assert [str(w.message) for w in caught] == [str(w.message) for w in want_caught]
    many = frame.assign(e=1)  # 60 events, 3 coefficients: EPV = 20
    assert _firth_possible(frame, kw) and not _firth_possible(many, kw)
    with pytest.raises(_NotNeeded):
        _firth_when_needed(many, **kw)


def test_children_inherit_numba_from_the_parent():
    """The parent imports numba and loads its target before it forks (_share_modules), so a
    child does neither again; checked in a fresh interpreter, where nothing has imported
    numba before."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ctcstats.report._prefetch import Prefetch\n"
        "def mods():\n"
        "    return 'numba' in sys.modules, 'numba.np.arrayobj' in sys.modules\n"
        "assert 'numba' not in sys.modules\n"
        "pf = Prefetch(enabled=True)\n"
        "assert pf.start('m', mods)\n"
        "print(*mods(), *pf.result('m', mods)[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    # numba and its CPU target (numba.np.arrayobj is one of the target's modules), loaded
    # in the parent before the fork, are there in the child before it runs a kernel
    assert out.stdout.split() == ["True"] * 4



def _freeze_count() -> int:
    import gc

    return gc.get_freeze_count()


def test_child_collections_skip_the_inherited_heap_and_the_parents_do_not():
    """The parent freezes its heap for the fork (the child's garbage collections then skip
    every inherited object) and unfreezes it at once: its own collections are unchanged."""
    import gc

    assert gc.get_freeze_count() == 0
    pf = Prefetch(enabled=True)
    assert pf.start("frozen", _freeze_count)
    assert gc.get_freeze_count() == 0
    in_child, _ = pf.result("frozen", _freeze_count)
    assert in_child > 1000  # the test process' objects, frozen in the child


def _niceness() -> int:
    return os.nice(0)


def test_children_run_at_a_lower_priority_than_the_parent():
    """The parent is the report's critical path; a child takes what it leaves."""
    pf = Prefetch(enabled=True)
    assert pf.start("nice", _niceness)
    parent = os.nice(0)
    child, _ = pf.result("nice", _niceness)
    assert child == min(parent + prefetch_mod.CHILD_NICENESS, 19)
