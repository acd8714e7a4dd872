"""Exceptions and warnings raised by ctcstats.

Every error a user can cause with bad input is a :class:`DataValidationError` (a
``ValueError``) whose message says *what* is wrong, *where* (the column or parameter) and
*how* to fix it. Numerical trouble is a :class:`ConvergenceError` or one of the warning
classes below; warnings are also recorded on the result's ``warnings`` field so that they
survive into reports.
"""

from __future__ import annotations

__all__ = [
    "CTCStatsError",
    "DataValidationError",
    "ParameterError",
    "ConvergenceError",
    "CTCStatsWarning",
    "ConvergenceWarning",
    "MonotoneLikelihoodWarning",
    "ProportionalHazardsWarning",
    "SmallSampleWarning",
    "DataWarning",
]


class CTCStatsError(Exception):
    """Base class of every exception raised by ctcstats."""


class DataValidationError(CTCStatsError, ValueError):
    """The input data (or an argument describing it) cannot be analysed as given.

    The message names the column or parameter, says what is wrong and how to fix it.
    """


class ParameterError(DataValidationError):
    """A parameter value is outside its allowed set or range.

    Subclass of :class:`DataValidationError` so that ``except DataValidationError`` catches
    every problem with what the caller passed.
    """


class ConvergenceError(CTCStatsError, RuntimeError):
    """An iterative fit did not converge and no usable estimate exists."""


class CTCStatsWarning(UserWarning):
    """Base class of every warning issued by ctcstats."""


class ConvergenceWarning(CTCStatsWarning):
    """An iterative fit stopped early or is numerically fragile; the estimate may be unusable."""


class MonotoneLikelihoodWarning(CTCStatsWarning):
    """The partial likelihood is monotone (e.g. no events in one group); estimates diverge.

    The fix is usually ``firth=True`` (Heinze–Schemper penalised likelihood).
    """


class ProportionalHazardsWarning(CTCStatsWarning):
    """The proportional-hazards assumption is rejected for at least one term."""


class SmallSampleWarning(CTCStatsWarning):
    """Too few observations or events for the asymptotic approximation to be trusted."""


class DataWarning(CTCStatsWarning):
    """Something in the data deserves attention but does not stop the analysis."""
