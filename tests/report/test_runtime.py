"""The report's process settings (one BLAS thread, numpy's huge-page hint off) hold inside
the block and are restored after it, also when the block fails."""

from __future__ import annotations

import gc

import pytest
from threadpoolctl import threadpool_info

from ctcstats.report._runtime import _hugepage_setter, report_runtime


def _blas_threads() -> list[int]:
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


def _hugepage() -> bool:
    setter = _hugepage_setter()
    assert setter is not None  # numpy 1.26 and 2.x have the switch
    state = setter(True)
    setter(state)
    return state


@pytest.mark.parametrize("fail", [False, True])
def test_one_blas_thread_and_no_huge_pages_inside_restored_after(fail):
    import scipy.linalg  # noqa: F401 - scipy's own OpenBLAS, limited too

    threads, huge = _blas_threads(), _hugepage()
    assert threads  # numpy's and scipy's OpenBLAS
    assert gc.get_freeze_count() == 0
    try:
        with report_runtime():
            assert _blas_threads() == [1] * len(threads)
            assert _hugepage() is False
            assert gc.get_freeze_count() > 1000  # what existed is skipped by collections
            if fail:
                raise RuntimeError("a section failed")
    except RuntimeError:
        assert fail
    assert _blas_threads() == threads
    assert _hugepage() is huge
    assert gc.get_freeze_count() == 0


def test_a_callers_own_freeze_is_left_as_it_is():
    gc.freeze()
    try:
        n = gc.get_freeze_count()
        with report_runtime():
            pass
        assert gc.get_freeze_count() >= n
    finally:
        gc.unfreeze()


def test_a_fork_inside_the_report_keeps_the_parent_frozen_until_the_end(monkeypatch):
    """Prefetch freezes for each fork; inside the report the parent stays frozen (the report
    unfreezes once, at its end), outside it the parent unfreezes at once."""
    import ctcstats.report._prefetch as prefetch_mod
    from ctcstats.report._prefetch import Prefetch

    # threads other tests of this worker left (tqdm's monitor) would stop the fork
    monkeypatch.setattr(prefetch_mod, "_threads_running", lambda: False)

    with report_runtime():
        pf = Prefetch(enabled=True)
        assert pf.start("x", int, "7")
        assert gc.get_freeze_count() > 0
        assert pf.result("x", int, "7")[0] == 7
    assert gc.get_freeze_count() == 0


def test_the_report_is_built_inside_the_settings(monkeypatch):
    """build_report computes its sections (and forks its children) inside report_runtime."""
    import ctcstats.report.build as build
    from ctcstats.report import AnalysisSpec, EndpointSpec

    from ._cohort import small_cohort

    seen = []

    def _sections(*args, **kwargs):
        seen.append((_blas_threads(), _hugepage()))
        raise RuntimeError("stop after the check")

    monkeypatch.setattr(build, "_build", _sections)
    spec = AnalysisSpec(title="t", marker_col="ctc_count",
                        endpoints=(EndpointSpec("os", "os_months", "os_event"),))
    with pytest.raises(RuntimeError, match="stop after the check"):
        build.build_report(small_cohort(), spec)
    assert seen and set(seen[0][0]) == {1} and seen[0][1] is False
