"""Run independent chunks of work serially, over cores (joblib) or on a cluster (dask).

Every chunk carries its own seeds (spawned from one :class:`numpy.random.SeedSequence` by the
caller), so the results do not depend on the backend, the number of workers or the order in
which chunks finish: :func:`run_chunks` returns them in task order.

Keeping workers busy: joblib dispatches one task at a time (``batch_size=1``; the chunks are
already coarse) to loky's reusable process pool, which stays warm between calls in a session
(started once, ~1.5 s); :func:`worker_count` lets callers cut enough chunks for every worker.
What every task needs (a study design, the analysis) is passed once as ``shared``: on dask it
is scattered to the workers once (``Client.scatter(broadcast=True)``) and the tasks refer to
it; under joblib it is pickled once per call (the tasks carry the bytes, a copy) and each
worker unpickles it once per call (:func:`_with_shared`), instead of pickling and unpickling
it with every task — serial work in the calling process that a second worker cannot share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._validation import check_int
from ..errors import ParameterError

__all__ = ["run_chunks"]

_NOTHING: Any = object()
# worker side: the shared part of the current run_chunks call, unpickled once (token → object)
_SHARED: dict[str, Any] = {}


def _with_shared(func: Callable[..., Any], task: Any, token: str, blob: bytes) -> Any:
    """``func(task, shared)`` on a joblib worker, ``shared`` unpickled from ``blob`` once per
    worker and call (only the latest call's part is kept)."""
    shared = _SHARED.get(token, _NOTHING)
    if shared is _NOTHING:
        import pickle

        _SHARED.clear()
        shared = _SHARED[token] = pickle.loads(blob)
    return func(task, shared)


def _bar(total: int, progress: bool | None, desc: str):
    # tqdm.std, not tqdm.auto: the notebook widget needs ipywidgets and warns without it
    from tqdm.std import tqdm

    # progress=None: shown only on an interactive terminal (tqdm's disable=None)
    disable = None if progress is None else not progress
    return tqdm(total=total, desc=desc, disable=disable, leave=False)


def run_chunks(
    func: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    n_jobs: int = 1,
    client=None,
    progress: bool | None = None,
    desc: str = "",
    caller: str = "run_chunks",
    shared: Any = _NOTHING,
) -> list:
    """``[func(t) for t in tasks]``, spread over workers; results in task order.

    With ``shared``, ``[func(t, shared) for t in tasks]``: ``shared`` is what every task
    needs (sent once to each dask worker; under joblib pickled once, its bytes sent with each
    task and unpickled once per worker).

    Parameters
    ----------
    func : callable
        A module-level function (it is sent to the workers).
    tasks : sequence
        One argument per chunk; each must carry everything the chunk needs, including its
        seeds.
    n_jobs : int
        Local worker processes (joblib's loky backend); 1 runs in this process, -1 uses every
        core. Ignored when ``client`` is given.
    client : dask.distributed.Client or str, optional
        Run on a dask cluster: a ``Client`` or a scheduler address (``"tcp://host:8786"``; a
        client is opened for the call and closed afterwards). Requires the ``dask`` extra
        (``pip install "ctcstats[dask]"``).
    progress : bool or None
        Progress bar (tqdm) over chunks: True shows it, False hides it, None shows it only on
        an interactive terminal.
    """
    n_jobs = check_int(n_jobs, name="n_jobs", func=caller)
    if n_jobs == 0 or n_jobs < -1:
        raise ParameterError(
            f"The 'n_jobs' parameter of {caller} must be ≥ 1 or -1 (every core); got {n_jobs}."
        )
    tasks = list(tasks)
    out: list = [None] * len(tasks)
    args: tuple = () if shared is _NOTHING else (shared,)
    if client is not None:
        return _run_dask(func, tasks, args, client, progress, desc, caller)
    with _bar(len(tasks), progress, desc) as bar:
        if n_jobs == 1 or len(tasks) <= 1:
            for i, t in enumerate(tasks):
                out[i] = func(t, *args)
                bar.update(1)
            return out
        from joblib import Parallel, delayed

        # one task per dispatch (chunks are coarse already; joblib's automatic batching
        # would leave a worker idle at the end), on loky's pool reused across calls
        par = Parallel(n_jobs=n_jobs, return_as="generator", batch_size=1,
                       pre_dispatch="2*n_jobs")
        if args:  # the shared part pickled once here, unpickled once per worker
            import uuid

            from joblib.externals.loky.backend.reduction import dumps

            blob, token = bytes(dumps(args[0])), uuid.uuid4().hex  # loky's own pickler
            calls = (delayed(_with_shared)(func, t, token, blob) for t in tasks)
        else:
            calls = (delayed(func)(t) for t in tasks)
        for i, res in enumerate(par(calls)):
            out[i] = res
            bar.update(1)
    return out


def _run_dask(func, tasks, args, client, progress, desc, caller):
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ParameterError(
            f"The 'client' parameter of {caller} needs dask.distributed; install it with "
            "pip install \"ctcstats[dask]\"."
        ) from exc
    own = False
    if isinstance(client, str):
        client = Client(client)
        own = True
    elif not isinstance(client, Client):
        raise ParameterError(
            f"The 'client' parameter of {caller} must be a dask.distributed Client or a "
            f"scheduler address; got {client!r}."
        )
    try:
        extra: list = []
        if args:
            # the shared part once to every worker; each task refers to its future
            shared_fut = client.scatter(args[0], broadcast=True, hash=False)
            extra = [[shared_fut] * len(tasks)]
        futures = client.map(func, tasks, *extra, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(tasks)
        with _bar(len(tasks), progress, desc) as bar:
            for fut in as_completed(futures):
                out[index[fut.key]] = fut.result()
                bar.update(1)
        return out
    finally:
        if own:
            client.close()
