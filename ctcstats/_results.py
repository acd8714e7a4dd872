"""Shared behaviour of every result object.

Results are frozen, keyword-only dataclasses (use the :func:`result` decorator) that inherit
:class:`Result`. They carry tidy DataFrames with fixed snake_case columns, float scalars,
``warnings`` (a tuple of str), ``n_obs`` and ``n_dropped``. This module gives them:

* ``to_frame()`` — a copy of the main table;
* ``to_dict()`` — a JSON-safe dict (NaN → None, numpy scalars → Python, frames → records);
* ``__str__`` — a plain-text summary; ``_repr_html_`` — the same for Jupyter (escaped HTML);
* read-only tables and arrays (see :class:`Result`).
"""

from __future__ import annotations

import dataclasses
import html
import math
import numbers
from typing import Any, ClassVar, TypeVar, cast, dataclass_transform

import numpy as np
import pandas as pd

__all__ = ["Result", "TestResult", "result", "jsonable"]


_C = TypeVar("_C", bound=type)


@dataclass_transform(frozen_default=True, kw_only_default=True, eq_default=False)
def result(cls: _C) -> _C:
    """Decorator: a frozen, keyword-only dataclass without generated repr/eq.

    ``eq`` is off because DataFrame fields have no truth value; ``repr`` comes from
    :class:`Result` (a short one-line description rather than every table).
    ``typing.dataclass_transform`` tells type checkers what the decorator generates.
    """
    return cast(_C, dataclasses.dataclass(frozen=True, kw_only=True, repr=False, eq=False)(cls))


def jsonable(obj: Any) -> Any:
    """Convert *obj* to something ``json.dumps`` accepts, with NaN/inf as ``None``."""
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, pd.DataFrame):
        frame = obj.reset_index(drop=not _has_named_index(obj))
        return [
            {str(k): jsonable(v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Result):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    return str(obj)


def _has_named_index(frame: pd.DataFrame) -> bool:
    return any(n is not None for n in frame.index.names)


def _fmt_scalar(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if f != 0 and (abs(f) < 1e-3 or abs(f) >= 1e6):
            return f"{f:.4g}"
        return f"{f:.4f}".rstrip("0").rstrip(".") if abs(f) < 1e6 else f"{f:g}"
    return str(v)


def _frozen_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """A private copy of *frame* whose numpy columns are read-only; and whether every column
    is numpy-backed (so that a shallow copy of it cannot write into it).

    The copy is built from one read-only numpy array per column (public pandas API only):
    ``.loc``/``.iloc``/``.at`` assignment into it raises ``ValueError: assignment
    destination is read-only``, as does writing into ``.to_numpy()`` of a column.
    Extension-array columns (Categorical, nullable, Arrow) cannot be locked this way; a frame
    with such a column is deep-copied on every access instead (see :class:`Result`).
    """
    arrays: dict[int, Any] = {}
    numpy_only = True
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if isinstance(col.dtype, np.dtype):
            arr = col.to_numpy(copy=True)
            arr.flags.writeable = False
            arrays[i] = arr
        else:
            numpy_only = False
            arrays[i] = col.array.copy()
    out = pd.DataFrame(arrays, index=frame.index.copy(), copy=False)
    out.columns = frame.columns.copy()
    out.attrs = dict(frame.attrs)
    return out, numpy_only


def _frozen_array(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


class Result:
    """Mixin for result dataclasses: display, export, a uniform repr and read-only contents.

    Subclasses set ``_title`` (a human heading) and may override :meth:`_summary_items`
    (scalars shown in the header) and :meth:`_summary_frames` (tables shown in the body).

    Results are immutable, their tables included. When a result is built, every public
    DataFrame field (and each frame of a tuple of frames) is replaced by a private copy whose
    numpy columns are read-only, and every public numpy array field by a read-only copy. Reading a DataFrame field (``res.table``)
    returns a fresh shallow view of that copy (cheap: no data is copied): writing into it
    (``res.table.loc[0, "survival"] = 5``) raises ``ValueError: assignment destination is
    read-only``, and structural changes (a new or replaced column, ``inplace=True``
    operations) change only that view, never what ``plot()``, ``to_dict()`` or the display
    use. ``to_frame()`` gives an ordinary writeable copy. Frames with extension-array columns
    (which cannot be locked) are deep-copied on each access instead.
    """

    _title: ClassVar[str] = "Result"
    _main_table: ClassVar[str] = "table"

    # ---- immutability ------------------------------------------------------------------
    def __post_init__(self) -> None:
        self._freeze()

    def _freeze(self) -> None:
        deep: set[str] = set()
        for f in self._fields():
            v = object.__getattribute__(self, f.name)
            if isinstance(v, pd.DataFrame):
                v, numpy_only = _frozen_frame(v)
                if not numpy_only:
                    deep.add(f.name)
            elif (isinstance(v, tuple) and v
                  and all(isinstance(x, pd.DataFrame) for x in v)):  # e.g. imputed data sets
                pairs = [_frozen_frame(x) for x in v]
                v = tuple(x for x, _ in pairs)
                if not all(ok for _, ok in pairs):
                    deep.add(f.name)
            elif isinstance(v, np.ndarray) and v.flags.writeable:
                v = _frozen_array(v)
            else:
                continue
            object.__setattr__(self, f.name, v)
        object.__setattr__(self, "_deep_copied", frozenset(deep))

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name.startswith("_"):
            return value
        if type(value) is pd.DataFrame:
            deep = name in object.__getattribute__(self, "__dict__").get("_deep_copied", ())
            return value.copy(deep=deep)
        if type(value) is tuple and value and type(value[0]) is pd.DataFrame:
            deep = name in object.__getattribute__(self, "__dict__").get("_deep_copied", ())
            return tuple(x.copy(deep=deep) for x in value)
        return value

    def __setstate__(self, state: dict[str, Any]) -> None:
        # unpickled numpy arrays are writeable again: lock them (pickle, copy, joblib)
        self.__dict__.update(state)
        self._freeze()

    # ---- introspection -----------------------------------------------------------------
    def _fields(self) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cast(Any, self)) if not f.name.startswith("_")]

    def _summary_items(self) -> list[tuple[str, Any]]:
        items = []
        for f in self._fields():
            v = getattr(self, f.name)
            if f.name == "warnings":
                continue
            if isinstance(v, (numbers.Number, str, bool, np.bool_)) or v is None:
                items.append((f.name, v))
        return items

    def _summary_frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            (f.name, getattr(self, f.name))
            for f in self._fields()
            if isinstance(getattr(self, f.name), pd.DataFrame)
        ]

    # ---- export ------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """A copy of the main table (``.table``)."""
        frame = getattr(self, self._main_table, None)
        if not isinstance(frame, pd.DataFrame):
            raise AttributeError(f"{type(self).__name__} has no table to return.")
        return frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every public field (frames as lists of row records)."""
        out: dict[str, Any] = {"result": type(self).__name__}
        for f in self._fields():
            out[f.name] = jsonable(getattr(self, f.name))
        return out

    # ---- display -----------------------------------------------------------------------
    def __repr__(self) -> str:
        bits = ", ".join(
            f"{k}={_fmt_scalar(v)}" for k, v in self._summary_items()[:6] if v is not None
        )
        return f"<{type(self).__name__} {bits}>"

    def __str__(self) -> str:
        lines = [self._title, "=" * len(self._title)]
        for k, v in self._summary_items():
            lines.append(f"{k:<16} {_fmt_scalar(v)}")
        for name, frame in self._summary_frames():
            lines.append("")
            lines.append(f"{name}:")
            with pd.option_context("display.max_rows", 30, "display.width", 120):
                lines.append(frame.to_string(max_rows=30, float_format=_float_fmt))
        warns = getattr(self, "warnings", ())
        if warns:
            lines.append("")
            lines.append("warnings:")
            lines.extend(f"  - {w}" for w in warns)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<div class='ctcstats-result'><h4>{esc(self._title)}</h4>"]
        items = self._summary_items()
        if items:
            parts.append("<table><tbody>")
            for k, v in items:
                parts.append(
                    f"<tr><th style='text-align:left'>{esc(k)}</th>"
                    f"<td>{esc(_fmt_scalar(v))}</td></tr>"
                )
            parts.append("</tbody></table>")
        for name, frame in self._summary_frames():
            parts.append(f"<p><b>{esc(name)}</b></p>")
            parts.append(
                frame.to_html(max_rows=30, float_format=_float_fmt, escape=True, border=0)
            )
        warns = getattr(self, "warnings", ())
        if warns:
            parts.append("<p><b>warnings</b></p><ul>")
            parts.extend(f"<li>{esc(w)}</li>" for w in warns)
            parts.append("</ul>")
        parts.append("</div>")
        return "".join(parts)


def _float_fmt(x: float) -> str:
    return _fmt_scalar(x)


@result
class TestResult(Result):
    """A hypothesis test: ``statistic``, ``df``, ``p_value``, and a per-group ``table``.

    ``method`` names the test (e.g. ``"log-rank"``); ``table`` holds the test's tidy
    per-group detail (for the log-rank test ``group, n, observed, expected, ...``).
    """

    __test__ = False  # not a pytest test class, despite the name

    _title: ClassVar[str] = "Hypothesis test"

    method: str
    statistic: float
    df: float
    p_value: float
    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()
