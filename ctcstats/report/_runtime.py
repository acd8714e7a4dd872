"""Process settings for the length of one report: one BLAS thread, no huge pages for numpy,
the collector skipping what existed before.

A report runs its independent computations in forked children (``_prefetch.py``), so on a
two-core machine up to five processes share the cores. Two process-wide defaults of the
numeric stack then cost CPU time without changing any number:

- **OpenBLAS threads.** OpenBLAS starts a pool of threads, one per core, that spin while they
  wait for work. The report's matrices are small (n x p with p at most a few dozen), so the
  threads gain nothing and their spinning takes cores from the other processes: perf on the
  paddy design (n = 10,307) attributed 9% of all samples to ``blas_thread_server`` and
  ``exec_blas`` (2026-12-03). One thread also makes the report's numbers independent of the
  machine's core count: OpenBLAS splits dot products between threads, and a different split
  sums in a different order. The limit goes through threadpoolctl (a dependency of
  scikit-learn), which changes the running library; ``OPENBLAS_NUM_THREADS`` would have to be
  set before numpy is imported.
- **Transparent huge pages.** numpy asks the kernel for 2 MB pages on every array of 4 MB or
  more (``madvise(MADV_HUGEPAGE)``). The bootstraps of section 8 allocate and free many such
  temporaries (n x B arrays), and every new huge page is zeroed in full on its first touch:
  perf attributed 8% of all samples to ``clear_page_erms`` under ``do_huge_pmd_anonymous_page``,
  and 0.6% with the hint off (paddy, 2026-12-03). numpy's ``NUMPY_MADVISE_HUGEPAGE=0`` only
  acts when numpy is imported, so the hint is switched off through the function numpy itself
  uses for it; where a numpy version lacks that function nothing changes.

A third setting concerns Python's cyclic garbage collector. Each full collection walks every
object the process holds; in a report's process these are mostly the imported libraries
(numpy, pandas, scipy, matplotlib, numba: ~10^6 objects), which never become garbage, and a
full collection took ~0.08 s each time it ran (paddy: 0.7 CPU s of collections in the main
process). The objects that exist when the report starts are moved to the collector's
permanent generation (``gc.freeze``), so the report's collections walk only what the report
creates. Cyclic garbage among the older objects is collected after the report.

All settings are restored when the report ends, so a Jupyter session or other analysis code
that builds a report keeps its own settings for everything else.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator

__all__ = ["report_runtime"]


def _hugepage_setter() -> Callable[[bool], bool] | None:
    """numpy's ``_set_madvise_hugepage`` (numpy 2: ``numpy._core``; 1.26: ``numpy.core``)."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = __import__(name, fromlist=["_set_madvise_hugepage"])
        except ImportError:  # pragma: no cover - the other numpy major version
            continue
        setter = getattr(module, "_set_madvise_hugepage", None)
        if callable(setter):
            return setter
    return None  # pragma: no cover - a numpy without the switch: nothing to change


@contextlib.contextmanager
def report_runtime() -> Iterator[None]:
    """One BLAS thread, numpy's huge-page hint off and the objects of the moment frozen for
    the collector inside the block; all restored after."""
    # scipy's own OpenBLAS (scipy.linalg) must be loaded before the limit is set:
    # threadpoolctl limits the libraries loaded at that moment
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    setter = _hugepage_setter()
    before = setter(False) if setter is not None else None
    frozen = gc.get_freeze_count() > 0  # (the caller's own freeze is left as it is)
    gc.freeze()
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        if not frozen:
            gc.unfreeze()
        if setter is not None and before is not None:
            setter(before)
