"""Number formatting shared by the figures and the report (no imports from either)."""

from __future__ import annotations

import math

__all__ = ["interval_digits"]


def interval_digits(lo: float, hi: float, digits: int = 2, max_extra: int = 4) -> int:
    """Decimals at which the limits *lo* and *hi* of an interval print differently.

    ``digits`` unless the two limits differ but print the same at ``digits`` decimals — an
    HR per unit of a widely spread covariate, 0.99936 (0.99844–1.00028), would read
    ``1.00 (1.00–1.00)`` — then up to ``max_extra`` more, until they differ. Equal or
    non-finite limits keep ``digits``.

    >>> interval_digits(1.47, 2.26), interval_digits(0.99844, 1.00028)
    (2, 3)
    """
    try:
        a, b = float(lo), float(hi)
    except (TypeError, ValueError):
        return digits
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return digits
    d = digits
    while d < digits + max_extra and round(a, d) == round(b, d):
        d += 1
    return d
