"""Declarative field tables: one description of a file format drives parsing, errors and docs.

A section of a TOML file (a design file's ``[marker]``, a report spec's ``[analyses]``) is a
frozen dataclass whose fields carry their schema as metadata, written with :func:`spec_field`:
the kind of value, its bounds or allowed values, whether it is required, its default and its
meaning. From that one table

* :func:`parse_section` reads a mapping (parsed TOML, or keyword arguments) into the dataclass,
  with no silent coercion: a string where a list is expected, a float where a whole number is
  expected, an unknown key (with a did-you-mean) or a missing required key raises the caller's
  error naming the field and the fix;
* a section's optional ``_check(self, bad)`` method adds the checks that involve several
  of its fields (``bad(field, message)`` builds the error; it may return a completed copy);
* :func:`markdown_table` writes the section's documentation (field, type, allowed values,
  required/default, meaning), which the projects' README files embed between
  ``<!-- BEGIN GENERATED … -->`` markers (:func:`replace_generated`), tested to be in sync.

Adding a field to a format is one line in its dataclass. Users: :mod:`ctcstats.designs._schema`
(design files) and :mod:`ctcstats.report.spec` (analysis specs). No library does this: TOML
readers return plain dicts, and validation libraries (pydantic, attrs validators) coerce
silently by default and add a dependency for a few hundred lines.

A *provenanced number* (kinds ``number``, ``numbers``, ``number_list``, ``pairs_value``,
``text_value``) is a TOML table ``{value = …, status = "published", source = "…"}`` or
``{value = …, status = "assumption", reason = "…"}`` and becomes a :class:`Value`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "MISSING",
    "Value",
    "FieldSpec",
    "Reader",
    "spec_field",
    "schema_of",
    "parse_section",
    "check_instance",
    "describe",
    "markdown_table",
    "replace_generated",
]

class _Missing:
    """No default: the field is required."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
STATUSES = ("published", "assumption", "calibrated")


@dataclass(frozen=True)
class Value:
    """One number of a design and its provenance.

    ``status`` is ``"published"`` (then ``source`` says where it was read), ``"assumption"``
    (then ``reason`` says why this value was chosen) or ``"calibrated"`` (solved by
    ``scripts/calibrate_designs.py``; ``source`` names the calibrated file and ``reason`` the
    run). ``value`` is a float, an int, a string or a tuple of numbers.
    """

    value: Any
    status: str
    source: str = ""
    reason: str = ""

    @property
    def published(self) -> bool:
        return self.status == "published"


@dataclass(frozen=True)
class FieldSpec:
    """The schema of one field (see :func:`spec_field` for the meaning of each attribute)."""

    kind: str
    doc: str
    required: bool = True
    default: Any = MISSING
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    finite: bool = True
    nonempty: bool = False
    increasing: bool = False
    unique: bool = False
    section: type | None = None
    when: tuple[str, tuple] | None = None
    by: str | None = None
    variants: Mapping[str, FieldSpec] | None = None
    convert: Callable[[Any], Any] | None = None
    type_doc: str = ""
    scale: str = ""
    calibration_lower: float | None = None
    key_choices: tuple = ()
    fallback: float | None = None
    label_key: str = ""
    example: str = ""


KINDS = {
    "text": "string",
    "choice": "string",
    "bool": "true / false",
    "int": "integer",
    "float": "number",
    "texts": "list of strings",
    "ints": "list of integers",
    "floats": "list of numbers",
    "pair": "[lower, upper]",
    "number": "{value, status, …}",
    "numbers": "{value = [..], status, …}",
    "number_list": "[{value, status, …}, …]",
    "pairs_value": "{value = [[a, b], …], status, …}",
    "text_value": "{value = \"…\", status, …}",
    "number_map": "{name = {value, status, …}, …}",
    "float_map": "{name = number, …}",
    "table": "table",
    "tables": "array of tables",
}


def spec_field(kind: str, doc: str, *, default: Any = MISSING, required: bool | None = None,
               **kw: Any) -> Any:
    """A dataclass field carrying its schema.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS` (``text``, ``choice``, ``bool``, ``int``, ``float``, ``texts``,
        ``ints``, ``floats``, ``pair``, provenanced ``number``/``numbers``/``number_list``/
        ``pairs_value``/``text_value``/``number_map``, ``float_map``, nested ``table``/
        ``tables``).
    doc : str
        Meaning, one sentence or two (rendered in the docs).
    default : optional
        Value when the key is absent; without a default the field is required.
    required : bool, optional
        Override (a field may have a dataclass default of None yet be required ``when`` a
        sibling says so).
    **kw
        Further :class:`FieldSpec` attributes: ``choices``; ``low``/``high`` (bounds, with
        ``low_open``/``high_open``); ``integer`` (provenanced whole numbers); ``finite``;
        ``nonempty``/``increasing``/``unique`` (lists); ``fallback`` (the number a model uses
        when an optional provenanced number is absent); ``label_key`` (the key that names an
        item of a ``tables`` field in errors, e.g. ``results.os_hr`` instead of
        ``results[3]``); ``section`` (the dataclass of a
        ``table``/``tables``); ``when=(sibling, values)`` (the field applies only when the
        sibling field has one of *values*; elsewhere it is an error); ``by`` + ``variants``
        (the field's schema depends on a sibling's value); ``convert`` (a callable applied
        to the parsed value, raising ``ValueError`` with the reason); ``type_doc`` (type
        shown in the docs instead of the kind's); ``scale`` and ``calibration_lower`` (how a
        model parameter is calibrated); ``key_choices`` (allowed keys of a ``number_map``).
    """
    req = default is MISSING if required is None else required
    spec = FieldSpec(kind=kind, doc=doc, required=req, default=default, **kw)
    meta = {"schema": spec}
    if default is MISSING:
        return dataclasses.field(metadata=meta)
    try:
        hash(default)
    except TypeError:  # e.g. an empty read-only mapping
        return dataclasses.field(default_factory=lambda: default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def schema_of(cls: type) -> list[tuple[str, FieldSpec]]:
    """``(name, FieldSpec)`` of every schema field of dataclass *cls*, in declaration order."""
    return [(f.name, f.metadata["schema"]) for f in dataclasses.fields(cls)
            if "schema" in f.metadata]


# --------------------------------------------------------------------------- descriptions
def _num(x: float) -> str:
    return "inf" if x == math.inf else f"{x:g}"


def interval(spec: FieldSpec) -> str:
    """``'(0, 1)'``, ``'[1, inf)'`` or ``''`` (no bounds)."""
    if spec.low is None and spec.high is None:
        return ""
    lo = "-inf" if spec.low is None else _num(spec.low)
    hi = "inf" if spec.high is None else _num(spec.high)
    lb = "(" if (spec.low is None or spec.low_open) else "["
    hb = ")" if (spec.high is None or spec.high_open) else "]"
    return f"{lb}{lo}, {hi}{hb}"


def describe(spec: FieldSpec) -> str:
    """What a value of this field must be, for error messages (``'a whole number ≥ 1'``)."""
    k = spec.kind
    rng = interval(spec)
    inside = f" in {rng}" if rng else ""
    if k == "text":
        return "a non-empty string" if spec.nonempty or spec.required else "a string"
    if k == "choice":
        return "one of " + ", ".join(repr(c) for c in spec.choices)
    if k == "bool":
        return "true or false"
    if k == "int":
        return f"a whole number{inside}"
    if k == "float":
        return f"a {'finite ' if spec.finite else ''}number{inside}"
    if k == "texts":
        return "a list of non-empty strings" + (", without repeats" if spec.unique else "")
    if k in ("ints", "floats"):
        what = "whole numbers" if k == "ints" else "numbers"
        order = ", strictly increasing" if spec.increasing else ""
        return f"a list of {what}{inside}{order}"
    if k == "pair":
        return "a list [lower, upper] of two numbers"
    if k == "number":
        return f"a {'whole ' if spec.integer else ''}number{inside}"
    if k in ("numbers", "number_list"):
        return f"a list of {'whole ' if spec.integer else ''}numbers{inside}"
    return KINDS.get(k, k)


# --------------------------------------------------------------------------- the reader
class Reader:
    """Parses sections of one document; ``fail(field, message)`` builds the error to raise.

    ``ref`` names where the schema is documented (appended to "missing" and "unknown"
    messages).
    """

    def __init__(self, fail: Callable[[str, str], Exception], ref: str = ""):
        self.fail = fail
        self.ref = ref

    # ---- scalars -----------------------------------------------------------------------
    def _real(self, x: Any, name: str, spec: FieldSpec, what: str) -> float | int:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise self.fail(name, f"must be {what}; got {x!r}.")
        if spec.finite and not math.isfinite(x):
            raise self.fail(name, f"must be {what}; got {x!r}.")
        return x

    def _bounds(self, x: float, name: str, spec: FieldSpec) -> None:
        bad_lo = spec.low is not None and (x <= spec.low if spec.low_open else x < spec.low)
        bad_hi = spec.high is not None and (x >= spec.high if spec.high_open else x > spec.high)
        if bad_lo or bad_hi:
            raise self.fail(name, f"must be in {interval(spec)}; got {x!r}.")

    def _whole(self, x: Any, name: str, spec: FieldSpec) -> int:
        if isinstance(x, bool) or not isinstance(x, int):
            raise self.fail(name, f"must be {describe(spec)}; got {x!r}.")
        self._bounds(x, name, spec)
        return x

    def _list(self, x: Any, name: str, spec: FieldSpec) -> list:
        if not isinstance(x, (list, tuple)):
            eg = f", e.g. {spec.example}" if spec.example else ""
            raise self.fail(name, f"must be {describe(spec)} (a TOML array [...]{eg}); got "
                            f"{x!r}.")
        if spec.nonempty and not x:
            raise self.fail(name, f"must not be empty; give {describe(spec)}.")
        return list(x)

    def _check_order(self, out: Sequence, raw: Any, name: str, spec: FieldSpec) -> None:
        if spec.increasing and any(b <= a for a, b in zip(out, out[1:], strict=False)):
            raise self.fail(name, f"must be strictly increasing; got {list(raw)!r}.")
        if spec.unique and len(set(out)) != len(out):
            raise self.fail(name, f"must not repeat a value; got {list(raw)!r}.")

    # ---- provenance --------------------------------------------------------------------
    def provenance(self, raw: Any, name: str) -> tuple[Any, str, str, str]:
        """``(value, status, source, reason)`` of a ``{value, status, …}`` table."""
        if not isinstance(raw, Mapping):
            raise self.fail(
                name,
                "must be a table {value = ..., status = \"published\", source = \"...\"} or "
                "{value = ..., status = \"assumption\", reason = \"...\"}; got "
                f"{raw!r}.",
            )
        extra = sorted(set(raw) - {"value", "status", "source", "reason"})
        if extra:
            raise self.fail(name, f"has unknown keys {extra}; a number's table holds value, "
                            "status and source (published) or reason (assumption).")
        if "value" not in raw:
            raise self.fail(name, "has no 'value'.")
        status = raw.get("status")
        if status not in ("published", "assumption"):
            raise self.fail(name, "must have status 'published' or 'assumption'; got "
                            f"{status!r}.")
        source, reason = raw.get("source", ""), raw.get("reason", "")
        for key, text in (("source", source), ("reason", reason)):
            if not isinstance(text, str):
                raise self.fail(name, f"has a non-text {key!r} ({text!r}); write it as a "
                                "string.")
        if status == "published" and not source.strip():
            raise self.fail(name, "is published but has no 'source'; say where it was read.")
        if status == "assumption" and not reason.strip():
            raise self.fail(name, "is an assumption but has no 'reason'; give a one-line "
                            "justification.")
        return raw["value"], status, source, reason

    def _number(self, x: Any, name: str, spec: FieldSpec) -> float | int:
        what = describe(spec)
        self._real(x, name, spec, what)
        if spec.integer and float(x) != int(x):
            raise self.fail(name, f"must be {what}; got {x!r}.")
        self._bounds(x, name, spec)
        return int(x) if spec.integer else float(x)

    # ---- one field ---------------------------------------------------------------------
    def value(self, raw: Any, name: str, spec: FieldSpec) -> Any:
        """Parse *raw* as a value of *spec* (the field is called *name* in errors)."""
        handler = _HANDLERS.get(spec.kind)
        if handler is None:  # pragma: no cover - a programming error in a table
            raise TypeError(f"unknown field kind {spec.kind!r}")
        out = handler(self, raw, name, spec)
        if spec.convert is not None:
            try:
                out = spec.convert(out)
            except ValueError as exc:
                raise self.fail(name, str(exc)) from None
        return out

    # ---- one handler per kind of value -------------------------------------------------
    def _text(self, raw: Any, name: str, spec: FieldSpec) -> str:
        empty = isinstance(raw, str) and not raw.strip()
        if not isinstance(raw, str) or ((spec.required or spec.nonempty) and empty) \
                or (spec.kind == "choice" and raw not in spec.choices):
            raise self.fail(name, f"must be {describe(spec)}; got {raw!r}.")
        return raw

    def _bool(self, raw: Any, name: str, spec: FieldSpec) -> bool:
        if not isinstance(raw, bool):
            raise self.fail(name, f"must be true or false; got {raw!r}.")
        return raw

    def _float(self, raw: Any, name: str, spec: FieldSpec) -> float:
        out = float(self._real(raw, name, spec, describe(spec)))
        self._bounds(out, name, spec)
        return out

    def _texts(self, raw: Any, name: str, spec: FieldSpec) -> tuple[str, ...]:
        items = self._list(raw, name, spec)
        if not all(isinstance(v, str) and v.strip() for v in items):
            raise self.fail(name, f"must be {describe(spec)}; got {raw!r}.")
        self._check_order(items, raw, name, spec)
        return tuple(items)

    def _numeric_list(self, raw: Any, name: str, spec: FieldSpec) -> tuple:
        items = self._list(raw, name, spec)
        whole = spec.kind == "ints"
        for v in items:
            if isinstance(v, bool) or not isinstance(v, int if whole else (int, float)) \
                    or (not whole and spec.finite and not math.isfinite(v)):
                raise self.fail(name, f"must be {describe(spec)}; got {raw!r}.")
            bad = spec.low is not None and (v <= spec.low if spec.low_open else v < spec.low)
            bad = bad or (spec.high is not None and (v >= spec.high if spec.high_open
                                                     else v > spec.high))
            if bad:
                raise self.fail(name, f"must be {describe(spec)}; got {raw!r}.")
        out = tuple(int(v) if whole else float(v) for v in items)
        self._check_order(out, raw, name, spec)
        return out

    def _pair(self, raw: Any, name: str, spec: FieldSpec) -> tuple[float, float]:
        items = self._list(raw, name, spec)
        if len(items) != 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
            raise self.fail(name, f"must be [lower, upper] (two numbers); got {raw!r}.")
        return float(items[0]), float(items[1])

    def _prov_number(self, raw: Any, name: str, spec: FieldSpec) -> Value:
        v, st, src, why = self.provenance(raw, name)
        return Value(self._number(v, name, spec), st, src, why)

    def _prov_numbers(self, raw: Any, name: str, spec: FieldSpec) -> Value:
        v, st, src, why = self.provenance(raw, name)
        if not isinstance(v, list) or not v:
            raise self.fail(name, f"must hold a non-empty list of numbers; got {v!r}.")
        return Value(tuple(self._number(x, name, spec) for x in v), st, src, why)

    def _number_list(self, raw: Any, name: str, spec: FieldSpec) -> tuple[Value, ...]:
        items = self._list(raw, name, spec)
        one = dataclasses.replace(spec, kind="number", convert=None)
        return tuple(self.value(x, f"{name}[{i}]", one) for i, x in enumerate(items))

    def _pairs_value(self, raw: Any, name: str, spec: FieldSpec) -> Value:
        v, st, src, why = self.provenance(raw, name)
        ok = isinstance(v, list) and v and all(
            isinstance(w, list) and len(w) == 2
            and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in w)
            for w in v)
        if not ok:
            raise self.fail(name, f"must hold a list of [start, end] pairs; got {v!r}.")
        return Value(tuple(tuple(w) for w in v), st, src, why)

    def _text_value(self, raw: Any, name: str, spec: FieldSpec) -> Value:
        v, st, src, why = self.provenance(raw, name)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(name, f"must hold a non-empty string; got {v!r}.")
        return Value(v, st, src, why)

    def _map(self, raw: Any, name: str, spec: FieldSpec) -> Mapping:
        if not isinstance(raw, Mapping):
            raise self.fail(name, f"must be a table {KINDS[spec.kind]}; got {raw!r}.")
        one = dataclasses.replace(spec, kind="number", convert=None)
        res = {}
        for key, item in raw.items():
            if spec.key_choices and key not in spec.key_choices:
                raise self.fail(f"{name}.{key}", self._unknown_text(key, spec.key_choices,
                                                                     name))
            sub = f"{name}.{key}"
            if spec.kind == "number_map":
                res[key] = self.value(item, sub, one)
            else:
                res[key] = float(self._real(item, sub, spec, "a number"))
        return MappingProxyType(res)

    def _table(self, raw: Any, name: str, spec: FieldSpec) -> Any:
        cls = spec.section
        assert cls is not None
        return raw if isinstance(raw, cls) else self.section(cls, raw, name)

    def _tables(self, raw: Any, name: str, spec: FieldSpec) -> tuple:
        cls = spec.section
        assert cls is not None
        if not isinstance(raw, (list, tuple)) or not all(
                isinstance(t, (Mapping, cls)) for t in raw):
            raise self.fail(name, f"must be an array of tables [[{name}]]; got {raw!r}.")
        if spec.nonempty and not raw:
            raise self.fail(name, f"must be a non-empty array of tables [[{name}]].")
        return tuple(t if isinstance(t, cls)
                     else self.section(cls, t, self._item_name(name, i, t, spec))
                     for i, t in enumerate(raw))

    @staticmethod
    def _item_name(name: str, i: int, item: Mapping, spec: FieldSpec) -> str:
        """``results.os_hr`` (by the item's ``label_key``) or ``results[3]``."""
        label = item.get(spec.label_key) if spec.label_key else None
        if isinstance(label, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label):
            return f"{name}.{label}"
        return f"{name}[{i}]"

    def _unknown_text(self, key: str, known: Sequence[str], where: str) -> str:
        close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        ref = f" (see {self.ref})" if self.ref else ""
        place = f" of {where}" if where else ""
        return (f"is not a known field{place}; {hint}known fields: {', '.join(known)}{ref}.")

    # ---- one section -------------------------------------------------------------------
    def section(self, cls: type, raw: Any, where: str) -> Any:
        """Parse mapping *raw* into dataclass *cls*; *where* prefixes field names in errors."""
        if not isinstance(raw, Mapping):
            raise self.fail(where, f"must be a table; got {raw!r}.")
        table = schema_of(cls)
        known = [n for n, _ in table]
        for key in raw:
            if key not in known:
                raise self.fail(_join(where, str(key)), self._unknown_text(key, known, where))
        out: dict[str, Any] = {}
        for name, spec in table:
            full = _join(where, name)
            if spec.by is not None and spec.variants is not None:
                spec = _variant(spec, out.get(spec.by))
            applies = True
            if spec.when is not None:
                sib, allowed = spec.when
                applies = out.get(sib) in allowed
                if not applies and name in raw:
                    shown = ", ".join(repr(a) for a in allowed)
                    raise self.fail(full, f"applies only when {_join(where, sib)} is {shown} "
                                    f"(here {out.get(sib)!r}); remove it.")
            if name not in raw:
                if spec.required and applies:
                    ref = f" (see {self.ref})" if self.ref else ""
                    raise self.fail(full, f"is missing; add it: {spec.doc}{ref}")
                if spec.default is not MISSING:
                    out[name] = spec.default
                continue
            out[name] = self.value(raw[name], full, spec)
        obj = cls(**out)
        check = getattr(cls, "_check", None)
        if check is not None:
            again = check(obj, lambda f, m: self.fail(_join(where, f) if f else where, m))
            if again is not None:
                obj = again
        return obj


_HANDLERS: dict[str, Callable[[Reader, Any, str, FieldSpec], Any]] = {
    "text": Reader._text,
    "choice": Reader._text,
    "bool": Reader._bool,
    "int": Reader._whole,
    "float": Reader._float,
    "texts": Reader._texts,
    "ints": Reader._numeric_list,
    "floats": Reader._numeric_list,
    "pair": Reader._pair,
    "number": Reader._prov_number,
    "numbers": Reader._prov_numbers,
    "number_list": Reader._number_list,
    "pairs_value": Reader._pairs_value,
    "text_value": Reader._text_value,
    "number_map": Reader._map,
    "float_map": Reader._map,
    "table": Reader._table,
    "tables": Reader._tables,
}


def _variant(spec: FieldSpec, key: Any) -> FieldSpec:
    assert spec.variants is not None
    return spec.variants.get(key, spec)


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def parse_section(cls: type, raw: Any, *, where: str, fail: Callable[[str, str], Exception],
                  ref: str = "") -> Any:
    """Parse mapping *raw* into dataclass *cls* (see :class:`Reader`)."""
    return Reader(fail, ref).section(cls, raw, where)


def check_instance(obj: Any, fail: Callable[[str, str], Exception], ref: str = "") -> None:
    """Validate the fields of dataclass *obj* built in Python (not read from a file) against
    its table, in place (frozen dataclasses included): a value equal to the field's default
    is kept; any other is parsed as if read from TOML (lists become tuples; a scalar where a
    list is expected, a float where a whole number is expected … raise). Call it from
    ``__post_init__``."""
    reader = Reader(fail, ref)
    for name, spec in schema_of(type(obj)):
        v = getattr(obj, name)
        if spec.default is not MISSING and _same(v, spec.default):
            continue
        object.__setattr__(obj, name, reader.value(v, name, spec))


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b) and not (isinstance(a, tuple) and isinstance(b, tuple)):
        return False
    try:
        return bool(a == b)
    except Exception:  # pragma: no cover - exotic objects
        return False


# --------------------------------------------------------------------------- documentation
def _type_cell(spec: FieldSpec) -> str:
    if spec.type_doc:
        return spec.type_doc
    t = KINDS[spec.kind]
    if spec.kind in ("table", "tables") and spec.section is not None:
        t = f"{t} ({spec.section.__name__})"
    return t


def _allowed_cell(spec: FieldSpec) -> str:
    bits = []
    if spec.choices:
        bits.append(", ".join(f"`{c}`" for c in spec.choices))
    if spec.key_choices:
        bits.append("keys: " + ", ".join(f"`{c}`" for c in spec.key_choices))
    rng = interval(spec)
    if rng:
        bits.append(rng)
    if spec.integer and spec.kind in ("number", "numbers"):
        bits.append("whole")
    if spec.increasing:
        bits.append("increasing")
    if spec.unique:
        bits.append("no repeats")
    if spec.example:
        bits.append(f"e.g. `{spec.example}`")
    if spec.scale:
        bits.append(f"calibrated on the {spec.scale} scale")
    if spec.calibration_lower is not None:
        bits.append(f"calibrated ≥ {spec.calibration_lower:g}")
    return "; ".join(bits)


def _required_cell(spec: FieldSpec) -> str:
    if spec.when is not None:
        sib, vals = spec.when
        cond = f"when `{sib}` is " + " / ".join(f"`{v}`" for v in vals)
        return ("required " if spec.required else "optional ") + cond
    if spec.required:
        return "required"
    if spec.fallback is not None:
        return f"optional (default `{spec.fallback:g}`)"
    d = spec.default
    if d is MISSING or d is None or (not isinstance(d, (bool, int, float)) and not d):
        return "optional"
    if dataclasses.is_dataclass(d):
        return "optional (defaults as listed for its fields)"
    return f"optional (default `{_toml_text(d)}`)"


def _toml_text(d: Any) -> str:
    """A default as written in TOML: ``true``, ``"months"``, ``[1]``."""
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, (tuple, list)):
        return "[" + ", ".join(_toml_text(x) for x in d) + "]"
    return repr(d).replace("'", '"')


def markdown_table(cls: type) -> str:
    """The Markdown table documenting dataclass *cls*'s fields (one row per field)."""
    rows = ["| field | type | allowed | required | meaning |", "|---|---|---|---|---|"]
    for name, spec in schema_of(cls):
        doc = spec.doc
        allowed = _allowed_cell(spec)
        if spec.variants:
            groups: dict[str, list[str]] = {}
            for key, v in spec.variants.items():
                text = describe(v) + (f" — {v.doc}" if v.doc else "")
                groups.setdefault(text, []).append(f"`{key}`")
            parts = [f"`{spec.by}` = {' / '.join(keys)}: {text}" for text, keys in groups.items()]
            doc = doc + " " + "; ".join(parts) + "."
        doc = doc.replace("|", "\\|")
        rows.append(f"| `{name}` | {_type_cell(spec)} | {allowed} | {_required_cell(spec)} "
                    f"| {doc} |")
    return "\n".join(rows)


_MARK = re.compile(r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+)[^>]*-->\n)(.*?)(<!-- END GENERATED: "
                   r"(?P=name) -->)", re.S)


def replace_generated(text: str, name: str, body: str) -> str:
    """*text* with the block between the ``BEGIN/END GENERATED: name`` markers set to *body*.

    Raises ``KeyError`` when the markers are absent.
    """
    found = False

    def sub(m: re.Match) -> str:
        nonlocal found
        if m.group("name") != name:
            return m.group(0)
        found = True
        return m.group(1) + body.rstrip("\n") + "\n" + m.group(4)

    out = _MARK.sub(sub, text)
    if not found:
        raise KeyError(f"no '<!-- BEGIN GENERATED: {name} -->' block")
    return out
