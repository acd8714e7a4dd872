"""``import ctcstats`` is lazy (issue 15): heavy dependencies load only when a name is used.

The checks run in a fresh interpreter (``subprocess``) because this test process has long
since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import ctcstats

HEAVY = ("statsmodels", "sklearn", "lifelines", "matplotlib", "jinja2", "seaborn")


# One fresh interpreter for the three checks below (they were three subprocesses, ~1.8 s of
# imports repeated): it records the loaded heavy modules right after ``import ctcstats``, then
# after the first use of ``cs.kaplan_meier``, then resolves every public name — each record is
# the state a fresh interpreter running only those steps would be in.
_FRESH = (
    "import json, sys\n"
    "import ctcstats as cs\n"
    f"after_import = {{m: m in sys.modules for m in {HEAVY!r}}}\n"
    "cs.kaplan_meier\n"
    f"after_km = {{m: m in sys.modules for m in {HEAVY!r}}}\n"
    "bad = [n for n in cs.__all__ if getattr(cs, n, None) is None]\n"
    "print(json.dumps({'after_import': after_import, 'after_km': after_km,\n"
    "                  'bad': bad, 'n': len(cs.__all__)}))\n"
)


@pytest.fixture(scope="module")
def fresh() -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _FRESH], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_dependency(fresh) -> None:
    loaded = fresh["after_import"]
    assert not any(loaded.values()), f"import ctcstats loaded {loaded}"


def test_first_use_loads_only_what_it_needs(fresh) -> None:
    # the Kaplan-Meier estimator needs neither statsmodels, scikit-learn nor matplotlib
    loaded = fresh["after_km"]
    assert not (loaded["sklearn"] or loaded["matplotlib"] or loaded["jinja2"]), loaded


def test_every_public_name_resolves_in_a_fresh_interpreter(fresh) -> None:
    assert fresh["bad"] == []
    assert fresh["n"] > 100


def test_all_is_complete_and_unique() -> None:
    assert len(ctcstats.__all__) == len(set(ctcstats.__all__))
    lazy = set(ctcstats._LAZY)  # noqa: SLF001 - the package's own table
    assert lazy <= set(ctcstats.__all__), sorted(lazy - set(ctcstats.__all__))
    assert {"fit_cox", "validate_model", "plotting", "TestResult"} <= lazy


def test_dir_lists_every_public_name() -> None:
    assert set(ctcstats.__all__) <= set(dir(ctcstats))


def test_lazy_names_are_the_defining_objects() -> None:
    from ctcstats.survival.cox import fit_cox

    assert ctcstats.fit_cox is fit_cox
    from ctcstats import validate_model  # from-import goes through __getattr__ too
    from ctcstats.prognostic.validation import validate_model as vm

    assert validate_model is vm


def test_unknown_name_raises_attribute_error() -> None:
    try:
        ctcstats.no_such_function  # noqa: B018
    except AttributeError as exc:
        assert "no_such_function" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")
