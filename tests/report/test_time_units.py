"""Time units in the report: stated, taken from the column names or assumed (and said so);
implausible follow-up refused with the units that would fit; display conversion; default
horizons in the unit; horizons beyond follow-up refused naming the unit and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from ctcstats.errors import DataValidationError
from ctcstats.report.context import prepare_context
from ctcstats.report.format import fmt_time
from ctcstats.report.spec import spec_from_dict
from ctcstats.report.units import (
    UNITS,
    TimeUnits,
    default_horizons,
    duration,
    durations,
    resolve_time_units,
    time_ticks,
    unit_from_name,
    unit_word,
)

from ._cohort import small_cohort


def _frame(scale=1.0, name="os_months"):
    df = small_cohort(n=160)
    df = df.drop(columns=[c for c in df.columns if c.startswith("<")])
    df[name] = df.pop("os_months") * scale
    return df


def _spec(time_col="os_months", **kw):
    return spec_from_dict({"marker_col": "ctc_count", "thresholds": [5], "endpoints": [
        {"name": "os", "time_col": time_col, "event_col": "os_event"}], **kw})


@pytest.mark.parametrize(("col", "unit"), [("os_days", "days"), ("OS_DAY", "days"),
                                           ("pfs_wks", "weeks"), ("os.months", "months"),
                                           ("os_mo", "months"), ("rfs_years", "years"),
                                           ("os_yrs", "years"), ("os_time", None),
                                           ("monday", None)])
def test_unit_from_name(col, unit):
    assert unit_from_name(col) == unit


def test_unit_sources():
    days = 30.4375
    ctx = prepare_context(_frame(days, "os_days"), _spec("os_days"))
    assert (ctx.units.data, ctx.units.source, ctx.unit) == ("days", "column names", "days")
    ctx = prepare_context(_frame(1.0, "os_time"), _spec("os_time"))
    assert (ctx.units.data, ctx.units.source) == ("months", "assumed")
    assert "ASSUMED" in ctx.units.statement()
    ctx = prepare_context(_frame(days, "os_time"), _spec("os_time", time_unit="days"))
    assert (ctx.units.data, ctx.units.source) == ("days", "spec")


def test_implausible_followup_refused_naming_units():
    # the months cohort stored in days but called months: median follow-up ≈ 700 "months"
    df = _frame(30.4375, "os_time")
    with pytest.raises(DataValidationError, match=r"median follow-up is .* months \(\d+ years\)"
                       r".*\(assumed\), which is implausible; in days it would be .* years.*"
                       r"--time-unit"):
        prepare_context(df, _spec("os_time"))
    with pytest.raises(DataValidationError, match=r"from the spec\), which is implausible"):
        prepare_context(df, _spec("os_time", time_unit="years"))


def test_conflicting_column_units_refused():
    df = _frame(30.4375, "os_days")
    df["pfs_months"] = df["pfs_months"]
    spec = spec_from_dict({"marker_col": "ctc_count", "endpoints": [
        {"name": "os", "time_col": "os_days", "event_col": "os_event"},
        {"name": "pfs", "time_col": "pfs_months", "event_col": "pfs_event"}]})
    with pytest.raises(DataValidationError, match=r"different units \('os_days': days, "
                       r"'pfs_months': months\)"):
        prepare_context(df, spec)


def test_short_followup_flagged():
    t = np.array([1.0, 2, 3, 4, 5, 6])
    u = resolve_time_units("days", None, ["t"], t, np.array([1, 0, 1, 0, 1, 0]))
    assert u.notes and "very short" in u.notes[0]


def test_display_conversion_scales_times_only():
    df = _frame(30.4375, "os_days")
    ctx = prepare_context(df, _spec("os_days", display_unit="months", horizons=[12, 24]))
    assert ctx.unit == "months" and ctx.horizons == (12.0, 24.0)
    np.testing.assert_allclose(ctx.frame["os_days"].to_numpy(),
                               df.loc[ctx.frame.index, "os_days"].to_numpy() / 30.4375,
                               rtol=1e-12)
    assert df["os_days"].max() > 200  # input not mutated
    assert "shown in months" in ctx.units.statement()


def test_default_horizons_in_the_unit():
    assert default_horizons(900.0, "days") == (180.0, 365.0, 730.0)
    assert default_horizons(30.0, "months") == (6.0, 12.0, 24.0)
    assert default_horizons(2.5, "years") == (0.5, 1.0, 2.0)
    assert default_horizons(60.0, "weeks") == (13.0, 26.0, 52.0)
    ctx = prepare_context(_frame(30.4375, "os_days"), _spec("os_days"))
    assert all(h in (90.0, 180.0, 365.0, 730.0, 1095.0) for h in ctx.horizons)


def test_horizons_beyond_followup_name_unit_and_fix():
    with pytest.raises(DataValidationError, match=r"horizons 5000, 6000 days are all at or "
                       r"beyond the longest follow-up .*--horizons, in days.*--time-unit"):
        prepare_context(_frame(30.4375, "os_days"), _spec("os_days", horizons=[5000, 6000]))
    ctx = prepare_context(_frame(30.4375, "os_days"), _spec("os_days", horizons=[365, 9000]))
    assert ctx.horizons == (365.0,) and "9000 days are beyond" in ctx.time_notes[0]


def test_time_ticks_round_in_each_unit():
    assert time_ticks(1064, "days").tolist() == [0, 200, 400, 600, 800, 1000]
    assert time_ticks(40, "months").tolist() == [0, 6, 12, 18, 24, 30, 36]
    assert time_ticks(7.5, "years").tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert time_ticks(150, "weeks").tolist() == [0, 26, 52, 78, 104, 130]


@pytest.mark.parametrize(("unit", "one"), [("days", "day"), ("weeks", "week"),
                                           ("months", "month"), ("years", "year")])
def test_duration_singular_only_for_exactly_one(unit, one):
    """Issue 14: "1 year", never "1 years"; every other amount takes the plural."""
    assert duration(1, unit) == f"1 {one}"
    assert duration(1.0, unit) == f"1 {one}"
    assert duration(np.float64(1.0), unit) == f"1 {one}"
    assert duration(0.5, unit) == f"0.5 {unit}"
    assert duration(2, unit) == f"2 {unit}"
    assert duration(12, unit) == f"12 {unit}"
    assert duration(0, unit) == f"0 {unit}"
    assert duration(1.5, unit) == f"1.5 {unit}"
    # lists: the unit once after the list, singular only for a lone 1
    assert durations([1], unit) == f"1 {one}"
    assert durations([1.0, 2.0, 5.0], unit) == f"1, 2, 5 {unit}"
    assert durations([0.5, 1], unit) == f"0.5, 1 {unit}"
    assert durations((12, 24, 60), unit) == f"12, 24, 60 {unit}"
    # the word agrees with the number as printed
    assert unit_word(unit, "1") == one and unit_word(unit, "1.00") == unit
    assert fmt_time(1, unit) == f"1 {one}" and fmt_time(1.004, unit) == f"1.00 {unit}"
    assert fmt_time(0.25, unit) == f"0.25 {unit}"


def test_duration_keeps_the_report_wording_of_months():
    """The built-in designs' reports (months, horizons 12/24/60) read exactly as before."""
    assert [duration(h, "months") for h in (12.0, 24.0, 60.0)] == [
        "12 months", "24 months", "60 months"]
    assert durations([36.0, 60.0, 96.0], "months") == "36, 60, 96 months"
    assert set(UNITS) == {"days", "weeks", "months", "years"}
    with pytest.raises(ValueError, match=r"unknown time unit 'hours'"):
        duration(1, "hours")


def test_errors_and_notes_use_the_singular_for_one():
    u = resolve_time_units("days", None, ["t"], np.array([1.0, 1, 1, 1]),
                           np.array([0, 0, 0, 0]))
    assert "median follow-up is 1 day (" in u.notes[0]
    ctx_spec = _spec("os_years", horizons=[1])
    df = _frame(1 / 120.0, "os_years")  # longest follow-up well under a year
    with pytest.raises(DataValidationError, match=r"horizons 1 year are all at or beyond "
                       r"the longest follow-up of 'os_years' \(0\.\d+ years\)"):
        prepare_context(df, ctx_spec)


@pytest.mark.parametrize(("data", "display", "sizes"), [
    ("days", "years", "(1 year = 365.25 days)."),
    ("years", "days", "(1 year = 365.25 days)."),
    ("months", "years", "(1 year = 365.25 days; 1 month = 30.4375 days)."),
    ("weeks", "months", "(1 month = 30.4375 days; 1 week = 7 days)."),
])
def test_unit_statement_gives_each_unit_in_days_once(data, display, sizes):
    # a days file shown in years once read "(1 year = 365.25 days; 1 day = 1 days)"
    text = TimeUnits(data=data, display=display, source="spec").statement()
    assert text.endswith(f"They are shown in {display} {sizes}"), text
    assert "= 1 days" not in text
