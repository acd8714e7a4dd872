"""Type aliases shared by the public API's annotations (documented internal module).

* :data:`RandomState` — what every ``rng=`` parameter accepts (see
  :func:`ctcstats._validation.check_rng`): a seed, a NumPy ``Generator`` or ``SeedSequence``,
  or ``None`` (fresh entropy).
* :data:`DaskClient` — a ``dask.distributed.Client`` (an optional dependency, read as ``Any``).
* :data:`ArrayLike` — NumPy's ``ArrayLike`` (sequences, arrays, scalars).
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["RandomState", "DaskClient", "ArrayLike"]

RandomState: TypeAlias = int | np.random.Generator | np.random.SeedSequence | None
DaskClient: TypeAlias = Any
