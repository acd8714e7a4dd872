"""Capture the warnings of a computation onto its result, and issue recorded ones again.

DESIGN.md §4: numerical trouble is reported, not hidden. A result stores in ``warnings`` (a
tuple of str) every warning its analysis issued, and the caller also sees each one as a
Python warning of its proper class. Analyses built from other public functions (a landmark
analysis fits Cox models, a subgroup meta-analysis pools each subgroup, a report runs every
section) therefore catch the warnings of the inner calls, label them, store them and issue
them once more from the outer function. This module is the one place that does so:

* :func:`capture` — a context manager that records every warning issued in its block
  (nothing reaches the caller) into a :class:`Captured` list;
* :func:`call_capturing` — the same around one function call;
* :func:`emit` — issue recorded warnings again (each with its own class) and return their
  messages as the tuple a result stores.

Examples
--------
>>> import warnings
>>> from ctcstats.errors import DataWarning
>>> with capture() as caught:
...     warnings.warn("no events in group B", DataWarning)
>>> caught.messages("landmark 6")
('landmark 6: no events in group B',)
>>> with warnings.catch_warnings(record=True) as seen:
...     warnings.simplefilter("always")
...     stored = emit(caught.records("landmark 6"))
>>> stored == caught.messages("landmark 6"), seen[0].category.__name__
(True, 'DataWarning')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple, ParamSpec, TypeVar

__all__ = ["Recorded", "Captured", "capture", "call_capturing", "emit", "label"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class Recorded(NamedTuple):
    """One recorded warning: its text and its class."""

    message: str
    category: type[Warning]


def label(prefix: str, message: str) -> str:
    """``"<prefix>: <message>"``, or *message* alone when *prefix* is empty."""
    return f"{prefix}: {message}" if prefix else message


class Captured:
    """The warnings caught by :func:`capture`, in the order they were issued.

    Filled when the ``with`` block ends (also when it ends with an exception). Iterating
    yields :class:`Recorded` items.
    """

    def __init__(self) -> None:
        self._items: list[Recorded] = []

    def __iter__(self) -> Iterator[Recorded]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"Captured({self._items!r})"

    def records(self, prefix: str = "") -> list[Recorded]:
        """The recorded warnings, each message labelled ``"<prefix>: ..."`` when given."""
        return [Recorded(label(prefix, r.message), r.category) for r in self._items]

    def messages(self, prefix: str = "") -> tuple[str, ...]:
        """The messages alone (labelled as in :meth:`records`): what a result stores."""
        return tuple(r.message for r in self.records(prefix))


@contextmanager
def capture() -> Iterator[Captured]:
    """Record every warning issued inside the block (all of them, repeats included).

    The warnings do not reach the caller; store them on the result and/or issue them again
    with :func:`emit`. Warning filters are restored when the block ends.
    """
    out = Captured()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield out
        finally:
            out._items.extend(Recorded(str(w.message), w.category) for w in caught)


def call_capturing(
    fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
) -> tuple[_T, Captured]:
    """Call ``fn(*args, **kwargs)`` inside :func:`capture`; return ``(its value, captured)``."""
    with capture() as caught:
        value = fn(*args, **kwargs)
    return value, caught


def emit(records: Iterable[Recorded], *, stacklevel: int = 2) -> tuple[str, ...]:
    """Issue each recorded warning again with its own class; return the messages.

    ``stacklevel`` counts from the function calling :func:`emit`, as for
    :func:`warnings.warn` called there (2: the line that called that function).
    """
    out = []
    for message, category in records:
        warnings.warn(message, category, stacklevel=stacklevel + 1)
        out.append(message)
    return tuple(out)
