"""run_chunks over joblib workers and a process-based dask cluster.

The claims: results come back in task order and equal the one-process run exactly, for the
same seeds, whatever the backend; the part every task shares is sent to a dask cluster once
(scattered), not inside every task, and under joblib pickled once and unpickled once per
worker; simulate_power on a process cluster equals the one-process run.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pandas as pd
import pytest

from ctcstats.batch.parallel import run_chunks
from ctcstats.designs.power import simulate_power
from ctcstats.errors import ParameterError

# distributed (the "dask" extra, installed for the tests) is imported by local_client when a
# test uses the cluster, not here: collecting this module on every xdist worker cost ~0.4 s.
from ._dask import local_client

PICKLED = {"n": 0}
UNPICKLED = {"n": 0}  # per process: how often a Shared payload was rebuilt there


def _revive(scale: float) -> Shared:
    UNPICKLED["n"] += 1
    return Shared(scale)


class Shared:
    """A shared payload that counts how often the client process pickles it."""

    def __init__(self, scale: float):
        self.scale = scale

    def __reduce__(self):
        PICKLED["n"] += 1
        return (_revive, (self.scale,))


def _task(task, shared):
    i, seed = task
    return i, float(np.random.default_rng(seed).normal() * shared.scale)


def _plain(task):
    return task * 2


def _unpickles(task, shared):
    return os.getpid(), UNPICKLED["n"], task * shared.scale


@pytest.fixture(scope="module")
def process_client(tmp_path_factory):
    # a cluster of the module's own (port, scratch space): see tests/_dask.py
    with local_client(tmp_path_factory.mktemp("dask"), n_workers=2, threads_per_worker=1,
                      processes=True, memory_limit="1GiB") as client:
        yield client


def test_serial_and_joblib_in_task_order_with_shared():
    tasks = [(i, 100 + i) for i in range(9)]
    ref = [_task(t, Shared(2.0)) for t in tasks]
    assert run_chunks(_task, tasks, shared=Shared(2.0)) == ref
    assert run_chunks(_task, tasks, n_jobs=2, shared=Shared(2.0)) == ref
    assert run_chunks(_plain, [1, 2, 3], n_jobs=2) == [2, 4, 6]


def test_joblib_pickles_the_shared_part_once_and_each_worker_unpickles_it_once():
    PICKLED["n"] = 0
    got = run_chunks(_unpickles, list(range(16)), n_jobs=2, shared=Shared(0.5))
    assert [r[2] for r in got] == [0.5 * i for i in range(16)]
    assert PICKLED["n"] == 1  # once for the call, not once per task (16)
    counts: dict[int, set] = {}
    for pid, n, _ in got:
        counts.setdefault(pid, set()).add(n)
    # every task a worker ran saw the same count: the payload was rebuilt once there
    assert all(len(c) == 1 for c in counts.values())


def test_dask_process_cluster_ships_the_shared_part_once(process_client):
    tasks = [(i, 100 + i) for i in range(12)]
    ref = [_task(t, Shared(3.0)) for t in tasks]
    PICKLED["n"] = 0
    got = run_chunks(_task, tasks, client=process_client, shared=Shared(3.0))
    assert got == ref
    # scattered once (not once per task: 12)
    assert 1 <= PICKLED["n"] <= 2
    assert run_chunks(_plain, [4, 5], client=process_client) == [8, 10]


def test_simulate_power_on_a_process_cluster_equals_one_process(process_client):
    """Same seed and chunks: identical replicates on 2 worker processes (default chunks —
    3 of them here — and chunks of 3)."""
    kw = dict(n=600, n_sim=20, rng=11)
    base = simulate_power("janni2016", **kw).replicates
    viadask = simulate_power("janni2016", client=process_client, **kw).replicates
    pd.testing.assert_frame_equal(base, viadask, check_exact=True)
    base3 = simulate_power("janni2016", chunk_size=3, **kw).replicates
    small = simulate_power("janni2016", client=process_client, chunk_size=3, **kw).replicates
    pd.testing.assert_frame_equal(base3, small, check_exact=True)
    pd.testing.assert_frame_equal(base3, simulate_power("janni2016", n_jobs=2, chunk_size=3,
                                                        **kw).replicates, check_exact=True)


def test_parameter_errors():
    with pytest.raises(ParameterError, match="'n_jobs' parameter of run_chunks"):
        run_chunks(_plain, [1], n_jobs=0)
    with pytest.raises(ParameterError, match="'client' parameter of run_chunks must be"):
        run_chunks(_plain, [1], client=object())
    assert pickle.loads(pickle.dumps(Shared(1.5))).scale == 1.5
