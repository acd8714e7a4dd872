"""Start a report's longest independent computations early, in forked processes.

The prognostic section's two bootstraps (``added_value`` and ``validate_model``, B = 200) need
only the analysed frame and the spec, yet they run last. On a machine with two or more cores
the report forks one child process per such call right after the frame is prepared; each
child computes its call (warnings captured, as :meth:`ReportContext.run` captures them) and
sends the pickled value back through a pipe, while the parent builds the other sections. When
the section needs the value it reads it from the pipe (waiting if the child is still busy).

The result is the same object the parent would have computed: the call, its arguments and
its seed are the same (every resampling is seeded by the spec), and the value crosses the
pipe by pickle, which is exact. If a child fails in any way — an exception, a value that does
not pickle, the process killed — the parent computes the call itself, so errors and warnings
surface exactly as in a sequential run. This saves wall time, not CPU time.

Forking is used only where it is safe and useful: on Linux, with at least two usable cores,
when the process runs no other Python thread, and not inside a pytest-xdist worker (the test
suite already runs one worker per core). ``CTCSTATS_REPORT_JOBS=1`` in the environment turns
it off; ``CTCSTATS_REPORT_JOBS=2`` (or more) turns it on wherever ``os.fork`` exists
regardless of the core count and xdist.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from .._warnings import Captured, call_capturing

__all__ = ["Prefetch", "prefetch_enabled"]

ENV = "CTCSTATS_REPORT_JOBS"


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _threads_running() -> bool:
    """Whether another Python thread runs (a forked child could inherit a lock it holds)."""
    return threading.active_count() > 1


def prefetch_enabled() -> bool:
    """Whether :class:`Prefetch` forks (see the module docstring for the rule)."""
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return False
    setting = os.environ.get(ENV, "").strip()
    if setting:
        try:
            return int(setting) > 1
        except ValueError:
            return False
    return (sys.platform.startswith("linux") and _usable_cores() >= 2
            and "PYTEST_XDIST_WORKER" not in os.environ)


Call = tuple[Callable[..., Any], tuple, dict]


def _share_modules() -> None:
    """Import numba and load its CPU target before forking, so that the children inherit
    them.

    Every child a report starts runs compiled kernels, and each imported numba and llvmlite
    (~280 modules, ~0.4 CPU s) on its own, then loaded the target at its first kernel call
    (~200 more modules, 0.25-0.4 CPU s); the parent does both later in any case (its own
    sections use kernels in every built-in design's report), so doing them here costs the
    parent nothing overall and saves each child both (paddy, four children: ~1 CPU s for
    the import, ~1 CPU s for the target, measured 2026-12-03).
    """
    from .._jit import load_target

    load_target()


#: how much lower a child's scheduling priority is than the parent's (``nice`` increment)
CHILD_NICENESS = 10


def _lower_priority() -> None:
    """Give this (child) process a lower priority than the parent.

    The parent builds every section in order and waits for a child's value only when its
    section comes (the competing risks section, the prognostic section last), so the
    parent is the report's critical path and each child has slack. At equal priority the
    kernel shares the cores equally between the parent and its four children, and the
    parent, with a fifth of two cores, finished last while one core stood idle (paddy,
    2026-12-03). At a lower priority the children take what the parent leaves, and both
    cores when it waits for them. The increment only affects this child, which ends with
    the call; where it is not allowed, nothing changes.
    """
    try:
        os.nice(CHILD_NICENESS)
    except OSError:  # pragma: no cover - not allowed: equal priority
        pass


class Prefetch:
    """Calls started in forked children, collected by key (see the module docstring)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = prefetch_enabled() if enabled is None else enabled
        self._jobs: dict[str, tuple[int, int]] = {}  # group -> (child pid, pipe read end)
        self._group: dict[str, str] = {}  # key -> group
        self._done: dict[str, dict[str, bytes]] = {}  # group -> key -> pickled result

    def start(self, key: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Fork a child that computes ``fn(*args, **kwargs)``; False when not forked."""
        return self.start_group(key, {key: (fn, args, kwargs)})

    def start_group(self, group: str, calls: dict[str, Call]) -> bool:
        """Fork one child that computes the *calls* ``{key: (fn, args, kwargs)}`` one after
        the other (each call's value and warnings kept apart); False when not forked."""
        if not self.enabled or group in self._jobs or group in self._done \
                or any(k in self._group for k in calls):
            return False
        _share_modules()
        if _threads_running():
            return False
        sys.stdout.flush()
        sys.stderr.flush()
        r, w = os.pipe()
        # the child's garbage collections skip every object it inherits (Python's gc.freeze
        # recipe for fork): they cost each child ~0.2 CPU s otherwise (paddy, 2026-12-03);
        # the parent returns to its own state (frozen inside a report: _runtime.py)
        frozen = gc.get_freeze_count() > 0
        gc.freeze()
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0 and not frozen:  # the parent, or a fork that failed
                gc.unfreeze()
        if pid == 0:  # the child: compute, send, and leave without any cleanup of the parent's
            code = 1
            try:
                os.close(r)
                _lower_priority()
                out: dict[str, bytes] = {}
                for key, (fn, args, kwargs) in calls.items():
                    try:  # a call that fails or does not pickle is left to the parent
                        out[key] = pickle.dumps(call_capturing(fn, *args, **kwargs),
                                                protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception:
                        pass
                with os.fdopen(w, "wb") as fh:
                    fh.write(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
                code = 0
            except BaseException:  # the parent recomputes the calls and raises there
                pass
            finally:
                os._exit(code)
        os.close(w)
        self._jobs[group] = (pid, r)
        for key in calls:
            self._group[key] = group
        return True

    def _collect(self, group: str) -> dict[str, bytes]:
        pid, r = self._jobs.pop(group)
        with os.fdopen(r, "rb") as fh:
            payload = fh.read()
        _, status = os.waitpid(pid, 0)
        done: dict[str, bytes] = {}
        if os.waitstatus_to_exitcode(status) == 0 and payload:
            try:
                done = pickle.loads(payload)
            except Exception:  # pragma: no cover - a pickle that does not load back
                done = {}
        self._done[group] = done
        return done

    def result(self, key: str, fn: Callable[..., Any], *args: Any,
               **kwargs: Any) -> tuple[Any, Captured]:
        """``(value, captured warnings)`` of the call: the child's if one was started for
        *key* and succeeded, else computed here (the same call as the one started)."""
        group = self._group.pop(key, None)
        if group is not None:
            done = self._done.get(group)
            if done is None:
                done = self._collect(group)
            got = done.pop(key, None)
            if got is not None:
                try:
                    value, caught = pickle.loads(got)
                except Exception:  # pragma: no cover - a pickle that does not load back
                    pass
                else:
                    return value, caught
        return call_capturing(fn, *args, **kwargs)

    def close(self) -> None:
        """Stop and reap the children whose results were not collected (a section failed)."""
        for pid, r in self._jobs.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - already gone
                pass
            os.waitpid(pid, 0)
            os.close(r)
        self._jobs.clear()
        self._group.clear()
        self._done.clear()
