"""Closed-form event numbers and power for a two-group survival comparison.

Schoenfeld (1983) and Freedman (1982) formulas for the events needed, and the expected
number of events from accrual, follow-up and (piecewise-)exponential hazards — the comparisons
for :func:`~ctcstats.designs.power.simulate_power`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from .._validation import check_int, check_real
from ..errors import ParameterError

__all__ = [
    "event_probability",
    "expected_events",
    "freedman_events",
    "schoenfeld_events",
    "schoenfeld_power",
]


# =========================================================================== closed forms
def _z(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def _check_closed(func, hr, prevalence, alpha, power=None):
    hr = check_real(hr, name="hr", func=func, low=0.0, low_inclusive=False)
    if hr == 1.0:
        raise ParameterError(f"The 'hr' parameter of {func} must differ from 1 (no effect "
                             "needs infinitely many events); got 1.0.")
    prevalence = check_real(prevalence, name="prevalence", func=func, low=0.0, high=1.0,
                            low_inclusive=False, high_inclusive=False)
    alpha = check_real(alpha, name="alpha", func=func, low=0.0, high=1.0,
                       low_inclusive=False, high_inclusive=False)
    if power is not None:
        power = check_real(power, name="power", func=func, low=0.0, high=1.0,
                           low_inclusive=False, high_inclusive=False)
    return hr, prevalence, alpha, power


def schoenfeld_events(hr: float, *, prevalence: float, alpha: float = 0.05,
                      power: float = 0.8) -> float:
    """Events needed by the two-sided log-rank / Cox test (Schoenfeld 1983).

    ``d = (z_{1-α/2} + z_{power})² / (p (1 − p) log²(HR))`` with ``p`` the proportion of
    patients in the marker-positive group (the allocation or prevalence).

    Examples
    --------
    >>> from ctcstats.designs import power as pw
    >>> round(pw.schoenfeld_events(0.5, prevalence=0.5), 1)
    65.3
    """
    hr, p, alpha, power = _check_closed("schoenfeld_events", hr, prevalence, alpha, power)
    return float(_z(alpha, power) ** 2 / (p * (1 - p) * np.log(hr) ** 2))


def schoenfeld_power(hr: float, *, events: float, prevalence: float,
                     alpha: float = 0.05) -> float:
    """Power of the two-sided test with ``events`` events (Schoenfeld's approximation):
    ``Φ(√(d p (1 − p)) |log HR| − z_{1−α/2})``.

    Examples
    --------
    >>> from ctcstats.designs.power import schoenfeld_power
    >>> round(schoenfeld_power(0.5, events=65.3, prevalence=0.5), 3)
    0.8
    """
    hr, p, alpha, _ = _check_closed("schoenfeld_power", hr, prevalence, alpha)
    events = check_real(events, name="events", func="schoenfeld_power", low=0.0)
    zq = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.cdf(np.sqrt(events * p * (1 - p)) * abs(np.log(hr)) - zq))


def freedman_events(hr: float, *, prevalence: float, alpha: float = 0.05,
                    power: float = 0.8) -> float:
    """Events needed by the two-sided log-rank test (Freedman 1982).

    ``d = (z_{1-α/2} + z_{power})² (p·HR + 1 − p)² / (p (1 − p) (HR − 1)²)``, with ``p`` the
    proportion in the group whose hazard is ``HR`` times the reference's (equal allocation:
    ``(1 + HR)² / (1 − HR)²`` times the squared z sum).

    Examples
    --------
    >>> from ctcstats.designs.power import freedman_events
    >>> round(freedman_events(0.5, prevalence=0.5), 1)
    70.6
    """
    hr, p, alpha, power = _check_closed("freedman_events", hr, prevalence, alpha, power)
    return float(_z(alpha, power) ** 2 * (p * hr + 1 - p) ** 2 / (p * (1 - p) * (hr - 1) ** 2))


def _cum_hazard_int(hazard, breaks, lo, hi) -> float:
    """∫_lo^hi S(t) dt for the piecewise-constant hazard ``hazard`` on ``[0, b1), [b1, b2), …``."""
    edges = np.concatenate([[0.0], np.asarray(breaks, float), [np.inf]])
    rates = np.asarray(hazard, float)
    H = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(edges[:-1]))])  # H at each edge
    total = 0.0
    for j, lam in enumerate(rates):
        a, b = max(lo, edges[j]), min(hi, edges[j + 1])
        if b <= a:
            continue
        s_a = np.exp(-(H[j] + lam * (a - edges[j])))
        total += s_a * (b - a) if lam == 0 else s_a * (1 - np.exp(-lam * (b - a))) / lam
    return float(total)


def event_probability(hazard: float | Sequence[float] | np.ndarray, *, accrual: float, follow_up: float,
                      breaks: Sequence[float] = ()) -> float:
    """Probability that a patient's event is observed, with uniform accrual and follow-up.

    Entry is uniform over ``[0, A]`` (``accrual``) and the analysis at ``A + F``
    (``follow_up`` after the last entry), so follow-up is uniform on ``[F, F + A]`` and
    ``P(event) = 1 − (1/A) ∫_F^{F+A} S(t) dt``; for a constant hazard λ this is
    ``1 − e^{−λF} (1 − e^{−λA}) / (λA)``. ``hazard`` may be piecewise constant: one rate per
    interval of ``breaks`` (e.g. ``hazard=[0.02, 0.01], breaks=[60]``). ``accrual = 0`` gives
    fixed follow-up ``1 − S(F)``.

    Examples
    --------
    >>> from ctcstats.designs.power import event_probability
    >>> round(event_probability(0.05, accrual=24, follow_up=36), 4)
    0.9037
    """
    func = "event_probability"
    rates = np.atleast_1d(np.asarray(hazard, dtype=float))
    brk = np.asarray(breaks, dtype=float)
    if rates.size != brk.size + 1 or np.any(~np.isfinite(rates)) or np.any(rates < 0):
        raise ParameterError(f"The 'hazard' parameter of {func} must be one rate ≥ 0 per "
                             f"interval ({brk.size + 1} for {brk.size} breaks); got {hazard!r}.")
    if brk.size and (np.any(np.diff(brk) <= 0) or brk[0] <= 0):
        raise ParameterError(f"The 'breaks' parameter of {func} must be increasing and > 0; "
                             f"got {list(breaks)!r}.")
    A = check_real(accrual, name="accrual", func=func, low=0.0)
    F = check_real(follow_up, name="follow_up", func=func, low=0.0)
    if A == 0:
        return 1.0 - _surv(rates, brk, F)
    return 1.0 - _cum_hazard_int(rates, brk, F, F + A) / A


def _surv(rates, brk, t) -> float:
    edges = np.concatenate([[0.0], brk, [np.inf]])
    seg = np.clip(np.minimum(t, edges[1:]) - edges[:-1], 0.0, None)
    return float(np.exp(-np.sum(rates * seg)))


def expected_events(n: int, *, hazard: float | Sequence[float], hr: float | Sequence[float],
                    prevalence: float, accrual: float, follow_up: float,
                    breaks: Sequence[float] = ()) -> float:
    """Expected number of events in a cohort of ``n`` with uniform accrual and follow-up.

    ``n · [(1 − p) P_0 + p P_1]`` with ``P_g`` from :func:`event_probability`: the reference
    (marker-negative) group has ``hazard``; the positive group (proportion ``p``) has
    ``hazard · hr`` — ``hr`` may be one ratio per interval (a non-proportional, piecewise
    effect such as Braun 2005's 0–5 / >5 years).

    Examples
    --------
    >>> from ctcstats.designs import power as pw
    >>> round(pw.expected_events(4703, hazard=0.004, hr=2.0, prevalence=0.306,
    ...                          accrual=60, follow_up=32), 1)
    1265.1
    """
    n = check_int(n, name="n", func="expected_events", minimum=1)
    check_real(prevalence, name="prevalence", func="expected_events", low=0.0, high=1.0)
    rates = np.atleast_1d(np.asarray(hazard, dtype=float))
    ratio = np.broadcast_to(np.atleast_1d(np.asarray(hr, dtype=float)), rates.shape)
    if np.any(~np.isfinite(ratio)) or np.any(ratio <= 0):
        raise ParameterError(f"The 'hr' parameter of expected_events must be > 0 (one per "
                             f"interval); got {hr!r}.")
    p0 = event_probability(rates, accrual=accrual, follow_up=follow_up, breaks=breaks)
    p1 = event_probability(rates * ratio, accrual=accrual, follow_up=follow_up, breaks=breaks)
    return float(n * ((1 - prevalence) * p0 + prevalence * p1))


# =========================================================================== the analysis
