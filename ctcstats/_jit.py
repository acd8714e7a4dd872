"""The one place that compiles numerical kernels (numba).

Why numba (issue 15): the hot loops of resampling — Harrell's C as an O(n log n) Fenwick-tree
count, Efron's risk-set sums of many Cox replicates, baseline hazards per resample — are
sequential scans that numpy can only express with several passes and temporaries over
(replicates x patients) arrays. A compiled single pass is 5-30x faster. numba keeps the
install one ``pip install`` (wheels for every platform CPython has), the kernels stay Python
source that reviewers can read, and the results are checked against the numpy reference
paths and R in the tests. Cython or C extensions would need a compiler at install time.

Rules for kernels:

* define them with :func:`njit` from this module (``cache=True`` so the compile happens once
  per machine, ``nogil=True`` so joblib threads can run them in parallel);
* import this module lazily (inside the function that needs a kernel, or in a private kernel
  module that only such functions import): ``import ctcstats`` must not import numba
  (``tests/test_lazy_import.py``);
* every kernel has a numpy (or pure-Python) reference it is tested against;
* keep the cold compile small (issues 14 and 15). numba keys its disk cache on each source
  file's modification time, so every fresh clone, and every edit of a kernel module,
  compiles the kernels again (``python benchmarks/bench_jit_compile.py`` measures it, per
  kernel, in fresh processes and an empty cache). What we learned (numba 0.68):

  - each distinct argument-type signature of a jitted function is a separate compile, and
    so is each literal constant: ``helper(x, True)`` and ``helper(x, False)`` called from
    kernels compile ``helper`` twice (``Literal[bool](True)``, ``Literal[bool](False)``) —
    pass a runtime flag (``np.bool_(True)`` is typed ``bool``, not literal) or move the
    branch to the caller. From Python, read-only arrays are a type of their own too (a
    fit's coefficients are read-only): copy short vectors before the call; keep dtypes
    and C-contiguity the same at every call site;
  - no ``np.argsort(..., kind=...)`` in a kernel: numba compiles its mergesort and the
    string handling of ``kind`` (~4 s); sort in numpy before the call, or use a written-out
    stable sort (``cox_kernel._stable_argsort``);
  - no array assignment between arrays (``a[:] = b[idx]``, ``m[:, :] = other``) in a
    kernel: numba compiles the string formatting of numpy's shape-mismatch error for it
    (~3 s, str/repr/join of ints); write the loop. (A scalar fill, ``a[:] = 0``, is
    fine.);
  - a kernel called from another is compiled, optimised and emitted to machine code on its
    own and again inside every caller (numba links the callee's code into the caller's
    module and optimises the whole), so two entry points sharing big helpers cost twice:
    ``cox_kernel._cox_batch`` serves both the fit and the log likelihood;
  - measured and not worth it: ``error_model="numpy"`` (no change in compile time, and a
    zero divisor would then give inf/NaN instead of raising), no Python wrapper for helpers
    (``no_cpython_wrapper``; no change), numba-IR inlining of single-call helpers
    (``inline="always"``; slower).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def njit(fn: F) -> F:
    """Compile ``fn`` in nopython mode, cached on disk, releasing the GIL."""
    return numba.njit(cache=True, nogil=True)(fn)  # type: ignore[return-value]


@functools.cache
def load_target() -> None:
    """Load numba's CPU target now instead of at the first kernel call of the process.

    The first call of any kernel, even one read from the disk cache, first loads the target:
    ~200 typing and code-generation modules of numba (~0.25-0.4 CPU s). A process that forks
    children which run kernels calls this before forking, so that the children inherit the
    loaded target instead of each loading it again (``report/_prefetch.py``).
    """
    try:  # numba's internals: a numba without them loads the target at the first call
        from numba.core.registry import cpu_target

        cpu_target.target_context.refresh()
    except Exception:  # pragma: no cover - depends on the numba version
        pass
