"""Time units of a report: the unit of the file's times, the unit shown, plausibility.

A report never assumes a unit silently: the unit comes from the spec (``time_unit``,
CLI ``--time-unit``), else from the time columns' names (``os_days`` → days), else months
are *assumed* and the report says so. Whatever the source, follow-up that is implausible for
the unit (a median follow-up of 700 "months" is 58 years) is refused with the units that
would make it plausible; very short follow-up is flagged in the report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import DataValidationError

__all__ = ["UNITS", "UNIT_DAYS", "TimeUnits", "resolve_time_units", "default_horizons",
           "time_ticks", "unit_from_name", "unit_word", "duration", "durations", "MIN_AT_RISK",
           "share_at_risk"]

#: Length of each unit in days (Julian year of 365.25 days; month = year / 12).
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12.0, "years": 365.25}
UNITS = tuple(UNIT_DAYS)

_NAME_UNIT = re.compile(
    r"(?:^|[_.\s])(?P<u>days?|d|weeks?|wks?|w|months?|mos?|mths?|m|years?|yrs?|y)$", re.I)
_CANON = {"d": "days", "day": "days", "days": "days", "w": "weeks", "wk": "weeks",
          "wks": "weeks", "week": "weeks", "weeks": "weeks", "m": "months", "mo": "months",
          "mos": "months", "mth": "months", "mths": "months", "month": "months",
          "months": "months", "y": "years", "yr": "years", "yrs": "years", "year": "years",
          "years": "years"}

#: Candidate horizons in each unit (clinically usual landmarks: 3/6 months, 1/2/3/5/10 years).
_HORIZONS = {
    "days": (90.0, 180.0, 365.0, 730.0, 1095.0, 1826.0, 3652.0),
    "weeks": (13.0, 26.0, 52.0, 104.0, 156.0, 260.0, 520.0),
    "months": (3.0, 6.0, 12.0, 24.0, 36.0, 60.0, 120.0),
    "years": (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
}
#: Axis tick steps in each unit (round numbers; the first giving ≤ 10 intervals is used).
_STEPS = {
    "days": (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000),
    "weeks": (1, 2, 4, 8, 13, 26, 52, 104, 260, 520),
    "months": (1, 2, 3, 6, 12, 24, 36, 60, 120, 240),
    "years": (0.25, 0.5, 1, 2, 5, 10, 20, 50),
}
# plausibility, in years: a median follow-up beyond 30 years or a longest time beyond 60
# years is not a clinical cohort; a median follow-up under 2 weeks is flagged
_MAX_MEDIAN_YEARS, _MAX_TIME_YEARS, _MIN_MEDIAN_YEARS = 30.0, 60.0, 14.0 / 365.25


_SINGULAR = {"days": "day", "weeks": "week", "months": "month", "years": "year"}


def unit_word(unit: str, amount: float | str) -> str:
    """The name of *unit* (one of :data:`UNITS`) after *amount*: singular for exactly one
    (``"1"``, ``1``, ``1.0`` → ``"year"``), plural otherwise (``0.5``, ``2``, ``"1.00"``).

    A string *amount* is the number as printed: the word agrees with what the reader sees.
    """
    if unit not in _SINGULAR:
        raise ValueError(f"unknown time unit {unit!r}; expected one of {', '.join(UNITS)}.")
    text = amount.strip() if isinstance(amount, str) else f"{float(amount):g}"
    return _SINGULAR[unit] if text in ("1", "-1", "+1") else unit


def _whole_years(y: float) -> str:
    text = f"{y:.0f}"
    return f"{text} {unit_word('years', text)}"


def duration(value: float, unit: str) -> str:
    """A time with its unit, as the report writes it: ``duration(1, "years")`` → ``"1 year"``,
    ``duration(0.5, "years")`` → ``"0.5 years"``, ``duration(12, "months")`` →
    ``"12 months"`` (the number as ``f"{value:g}"``)."""
    text = f"{float(value):g}"
    return f"{text} {unit_word(unit, text)}"


def durations(values: Sequence[float], unit: str) -> str:
    """Several times of one unit, the unit once after the list: ``"12, 24, 60 months"``;
    singular only for a single value of exactly one (``"1 year"``; ``"1, 2 years"``)."""
    texts = [f"{float(v):g}" for v in values]
    return f"{', '.join(texts)} {unit_word(unit, texts[0] if len(texts) == 1 else 2)}"


def unit_from_name(col: str) -> str | None:
    """The unit a column name ends with (``os_days`` → ``"days"``), or None."""
    m = _NAME_UNIT.search(str(col))
    return _CANON[m.group("u").lower()] if m else None


@dataclass(frozen=True)
class TimeUnits:
    """``data``: unit of the file's times; ``display``: unit shown in the report;
    ``source``: how ``data`` was settled (``"spec"``, ``"column names"`` or ``"assumed"``);
    ``notes``: sentences for the report."""

    data: str
    display: str
    source: str
    notes: tuple[str, ...] = ()

    @property
    def factor(self) -> float:
        """Multiply a time in ``data`` units by this to get ``display`` units."""
        return UNIT_DAYS[self.data] / UNIT_DAYS[self.display]

    def statement(self) -> str:
        how = {"spec": "as stated (time_unit)",
               "column names": "taken from the time columns' names",
               "assumed": "ASSUMED — no unit was stated (give --time-unit or the spec field "
                          "time_unit)"}[self.source]
        text = f"Times in the data are in {self.data}, {how}."
        if self.display != self.data:
            # each unit other than days in days ("1 day = 1 days" is not said)
            sizes = "; ".join(f"1 {unit[:-1]} = {UNIT_DAYS[unit]:g} days"
                              for unit in (self.display, self.data) if unit != "days")
            text += f" They are shown in {self.display} ({sizes})."
        return text


def reverse_km_median(t: np.ndarray, e: np.ndarray) -> float:
    """Median follow-up by the reverse Kaplan–Meier method (censoring as the event), with
    the largest time when the curve does not reach 0.5 (own loop: a single number, no
    result object needed)."""
    # at tied times censorings (the "events" here) first, so that tied deaths are at risk
    order = np.lexsort((e > 0, t))
    ts, cs = t[order], ~(e[order] > 0)
    s, n = 1.0, len(ts)
    for i in range(n):
        if cs[i]:
            s *= 1.0 - 1.0 / (n - i)
            if s <= 0.5:
                return float(ts[i])
    return float(np.max(t)) if n else 0.0


def resolve_time_units(time_unit: str | None, display_unit: str | None,
                       time_cols: Sequence[str], times: np.ndarray,
                       events: np.ndarray) -> TimeUnits:
    """Settle the units (see the module docstring) and check plausibility of the first
    endpoint's follow-up (*times*, *events*, in the data unit)."""
    if time_unit is not None:
        data, source = time_unit, "spec"
    else:
        found = {c: unit_from_name(c) for c in time_cols}
        named = {u for u in found.values() if u is not None}
        if len(named) > 1:
            raise DataValidationError(
                "the time columns' names give different units ("
                + ", ".join(f"{c!r}: {u}" for c, u in found.items() if u) + "); convert them "
                "to one unit, or state the unit with --time-unit (spec field time_unit)."
            )
        if named:
            data, source = named.pop(), "column names"
        else:
            data, source = "months", "assumed"
    display = display_unit or data
    t = np.asarray(times, float)
    med = reverse_km_median(t, np.asarray(events, float))
    yrs = UNIT_DAYS[data] / 365.25
    med_y, max_y = med * yrs, float(np.max(t)) * yrs if t.size else 0.0
    if med_y > _MAX_MEDIAN_YEARS or max_y > _MAX_TIME_YEARS:
        ok = [u for u in UNITS if u != data and
              med * UNIT_DAYS[u] / 365.25 <= _MAX_MEDIAN_YEARS
              and float(np.max(t)) * UNIT_DAYS[u] / 365.25 <= _MAX_TIME_YEARS]
        alt = "; ".join(f"in {u} it would be {med * UNIT_DAYS[u] / 365.25:.1f} years"
                        for u in ok[:2])
        raise DataValidationError(
            f"time_col {time_cols[0]!r}: the median follow-up is {duration(med, data)} "
            f"({_whole_years(med_y)}) and the longest time {duration(float(np.max(t)), data)} "
            f"({_whole_years(max_y)}) if the times are in {data} "
            f"({'assumed' if source == 'assumed' else 'from the ' + source}), which is "
            f"implausible{'; ' + alt if alt else ''}. State the unit with --time-unit "
            "(spec field time_unit)."
        )
    notes: list[str] = []
    if med_y < _MIN_MEDIAN_YEARS:
        notes.append(
            f"The median follow-up is {duration(med, data)} ({med_y * 365.25:.1f} days), "
            f"very short for a prognostic cohort: check that the times are in {data}."
        )
    return TimeUnits(data=data, display=display, source=source, notes=tuple(notes))


#: the least share of patients still at risk (event-free and followed) at a horizon where
#: the report estimates prognostic performance: below it the horizon's event-free patients
#: are too few for the AUC, Brier score and NRI (metastatic PFS at 24 months: ~2–6%)
MIN_AT_RISK = 0.10


def share_at_risk(time: np.ndarray, horizon: float) -> float:
    """The share of patients followed to at least *horizon* (still at risk there)."""
    return float(np.mean(np.asarray(time) >= horizon))


def default_horizons(median_followup: float, unit: str,
                     time: np.ndarray | None = None) -> tuple[float, ...]:
    """Up to three usual horizons of *unit* within 1.1 × the median follow-up — and, given
    the analysed follow-up times *time*, with at least :data:`MIN_AT_RISK` of the patients
    still at risk
    (a horizon by which nearly every patient has had the event, e.g. 2 years of PFS in
    metastatic disease, leaves too few event-free patients to estimate anything there)."""
    cands = [h for h in _HORIZONS[unit] if h <= 1.1 * median_followup]
    if time is not None:
        cands = [h for h in cands if share_at_risk(time, h) >= MIN_AT_RISK] or cands[:1]
    if cands:
        return tuple(cands[-3:])
    half = float(f"{median_followup / 2.0:.2g}")
    return (half if half > 0 else 1.0,)


def time_ticks(tmax: float, unit: str = "months") -> np.ndarray:
    """Round tick times of a time axis in *unit* (≤ 11 ticks: 0, 200, 400 … days;
    0, 12, 24 … months)."""
    for step in _STEPS.get(unit, _STEPS["months"]):
        if tmax / step <= 10:
            return np.arange(0.0, tmax + 1e-9, float(step))
    return np.linspace(0.0, tmax, 6)
