"""The public API is fully annotated (mypy, a step of .ci/run, checks the annotations).

Every function in ``ctcstats.__all__`` and every public method and property of every public
class has an annotation on each parameter and on its return value.
"""

from __future__ import annotations

import inspect

import ctcstats as cs


def _unannotated(fn, name: str) -> list[str]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature
        return []
    out = [f"{name}({p.name})" for p in sig.parameters.values()
           if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        out.append(f"{name} -> ?")
    return out


def _public_callables():
    for name in cs.__all__:
        obj = getattr(cs, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj) and obj.__module__.startswith("ctcstats"):
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if inspect.isfunction(member):
                    yield f"{name}.{attr}", member
                elif isinstance(member, property) and member.fget is not None:
                    yield f"{name}.{attr}", member.fget


def test_public_api_is_fully_annotated():
    found = list(_public_callables())
    assert len(found) > 100  # the walk reaches the API (functions, methods, properties)
    missing = [m for name, fn in found for m in _unannotated(fn, name)]
    assert missing == [], f"annotate: {missing}"


def test_the_check_sees_a_missing_annotation():
    def f(x, y: int):  # deliberately incomplete
        return y

    assert _unannotated(f, "f") == ["f(x)", "f -> ?"]
