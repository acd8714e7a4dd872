"""Median times and their limits as a reader expects them: whole days in a days report
(``983``, not ``983.0``), and an upper limit the curve never reaches written out (``104.7 to
not reached``, not ``104.7–—``)."""

from __future__ import annotations

import numpy as np

from ctcstats.report.format import fmt_time_ci, time_digits


def test_time_digits_by_unit():
    assert time_digits("days", 1) == 0 and time_digits("days", 2) == 0
    assert time_digits("months", 1) == 1 and time_digits("years", 2) == 2
    assert time_digits("weeks", 1) == 1


def test_time_ci():
    assert fmt_time_ci(104.7, np.nan, 1) == "104.7 to not reached"
    assert fmt_time_ci(842.0, 1246.0, 0) == "842–1246"
    assert fmt_time_ci(5.25, 9.9, 1) == "5.2–9.9"
    assert fmt_time_ci(np.nan, np.nan, 1) == "—"
