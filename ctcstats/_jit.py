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
* every kernel has a numpy (or pure-Python) reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def njit(fn: F) -> F:
    """Compile ``fn`` in nopython mode, cached on disk, releasing the GIL."""
    return numba.njit(cache=True, nogil=True)(fn)  # type: ignore[return-value]
