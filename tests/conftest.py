"""Shared fixtures: a seeded generator, the Agg backend, figures closed after each test."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# Property tests are derandomised: the same examples on every run and machine, so the suite
# is as reproducible as the rest of it (seeded randomness only).
settings.register_profile("ctcstats", derandomize=True, print_blob=True)
settings.load_profile("ctcstats")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for each test (never the global RNG)."""
    return np.random.default_rng(20261121)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# The reference generators and oracles are scripts (run by tests/reference/regenerate.sh),
# not test modules; several share a file name, so doctest collection must not import them.
collect_ignore_glob = ["reference/*/make_inputs.py", "reference/*/oracle_*.py"]
