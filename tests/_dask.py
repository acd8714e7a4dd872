"""A dask ``LocalCluster`` of the test's own: its own HTTP port and its own scratch space.

Clusters started on one machine at the same time — the other pytest-xdist worker's, another
session's — otherwise share two things: the scheduler's HTTP port 8787
(``dashboard_address=None`` does not turn the HTTP server off, it serves on the default 8787)
and the scratch space ``<tmp>/dask-scratch-space``, whose global lock another cluster holds
while it creates or purges work directories. distributed then warns — "Port 8787 is already in
use", "Creating scratch directories is taking a surprisingly long time" (over 1 s) — and
``filterwarnings = error`` turns the warning into "Cluster failed to start": the test failed or
passed depending on what else was running (tests/designs/test_power.py::
test_same_results_whatever_the_backend failed so once under load). Here the scheduler listens
on a free port (``:0``, no warning) and the scratch directories are made in the test's own
directory, which no other process locks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def local_client(scratch: Path, **kwargs: Any) -> Iterator[Any]:
    """``distributed.Client`` of a new ``LocalCluster(**kwargs)`` isolated as above."""
    import dask
    import distributed  # the "dask" extra (installed for the tests)

    with dask.config.set({"temporary-directory": str(scratch)}), \
            distributed.LocalCluster(dashboard_address=":0", **kwargs) as lc, \
            distributed.Client(lc) as client:
        yield client
