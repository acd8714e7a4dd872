"""The one helper that captures warnings onto results (ctcstats._warnings)."""

from __future__ import annotations

import pathlib
import pickle
import re
import warnings

import pytest

from ctcstats._warnings import Captured, Recorded, call_capturing, capture, emit, label
from ctcstats.errors import ConvergenceWarning, DataWarning


def _noisy(x: int) -> int:
    warnings.warn("first", DataWarning, stacklevel=2)
    warnings.warn("second", ConvergenceWarning, stacklevel=2)
    return 2 * x


def test_capture_records_messages_and_classes_in_order():
    with capture() as caught:
        assert isinstance(caught, Captured)
        value = _noisy(3)
    assert value == 6
    assert list(caught) == [Recorded("first", DataWarning), Recorded("second", ConvergenceWarning)]
    assert len(caught) == 2 and caught
    assert caught.messages() == ("first", "second")
    assert caught.messages("cause 'relapse'") == ("cause 'relapse': first",
                                                  "cause 'relapse': second")
    assert caught.records("os")[1] == Recorded("os: second", ConvergenceWarning)


def test_capture_keeps_repeats_despite_default_filters_and_restores_filters():
    before = list(warnings.filters)
    with capture() as caught:
        for _ in range(3):
            warnings.warn("same line, same text", DataWarning, stacklevel=1)
    assert caught.messages() == ("same line, same text",) * 3
    assert warnings.filters == before


def test_capture_lets_nothing_through_to_the_caller():
    # filterwarnings = error: an uncaught warning would fail this test
    with capture() as caught:
        warnings.warn("quiet", UserWarning, stacklevel=1)
    assert caught.messages() == ("quiet",)


def test_capture_is_filled_when_the_block_raises():
    with pytest.raises(RuntimeError, match="boom"), capture() as caught:
        warnings.warn("before the error", DataWarning, stacklevel=1)
        raise RuntimeError("boom")
    assert caught.messages() == ("before the error",)


def test_empty_capture_is_falsy():
    with capture() as caught:
        pass
    assert not caught and len(caught) == 0 and caught.messages() == ()


def test_call_capturing_returns_value_and_warnings():
    value, caught = call_capturing(_noisy, 5)
    assert value == 10
    assert caught.messages() == ("first", "second")


def test_records_pickle_for_worker_processes():
    _, caught = call_capturing(_noisy, 1)
    assert pickle.loads(pickle.dumps(caught.records())) == caught.records()


def test_emit_reissues_each_class_and_returns_messages():
    recs = [Recorded("a", DataWarning), Recorded("b", ConvergenceWarning)]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = emit(recs)
    assert out == ("a", "b")
    assert [(str(w.message), w.category) for w in seen] == [("a", DataWarning),
                                                           ("b", ConvergenceWarning)]


def _public_function():
    return emit([Recorded("from inside", DataWarning)])


def test_emit_points_at_the_caller_of_the_function_that_emits():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _public_function()  # this line is what the warning must point at
    assert seen[0].filename == __file__
    src = pathlib.Path(__file__).read_text().splitlines()
    assert "_public_function()  # this line" in src[seen[0].lineno - 1]


def test_emit_of_nothing_is_silent():
    assert emit([]) == ()


def test_label():
    assert label("", "x") == "x"
    assert label("cause 1", "x") == "cause 1: x"


def test_no_module_writes_the_capture_idiom_out():
    """Capturing goes through ctcstats._warnings; nowhere else records warnings by hand."""
    root = pathlib.Path(__file__).resolve().parents[1] / "ctcstats"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "_warnings.py":
            continue
        text = path.read_text()
        if re.search(r"catch_warnings\(\s*record\s*=\s*True", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []
