"""Number formatting and the content blocks of a report section.

A section is a list of blocks (plain dicts) that the template renders, each escaped there:
``p`` (a paragraph), ``table`` (caption, columns, rows of strings), ``figure`` (an inline
SVG and its caption), ``notes`` (warnings met while computing), ``pre`` (verbatim text),
``dl`` (term/definition pairs).
"""

from __future__ import annotations

import math

import numpy as np

from .._format import interval_digits
from .units import unit_word

__all__ = [
    "fmt_num", "fmt_int", "fmt_p", "fmt_p_eq", "fmt_ci", "fmt_hr", "fmt_pct", "fmt_n_pct",
    "para", "table", "figure", "notes", "pre", "dl",
]

DASH = "–"  # en dash between CI limits
NA = "—"  # em dash for a value that does not exist (e.g. median not reached)


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x, digits: int = 2) -> str:
    """``1.8234`` → ``"1.82"``; NaN/None → ``"—"``."""
    if not _finite(x):
        return NA
    v = round(float(x), digits)
    if v == 0:
        v = 0.0  # no "-0.00"
    return f"{v:.{digits}f}".replace("-", "\u2212")  # typographic minus


def fmt_int(x) -> str:
    if not _finite(x):
        return NA
    return f"{int(round(float(x))):,}".replace(",", "\u2009")  # thin space as thousands sep.


def fmt_p(p) -> str:
    """p-values as journals print them: ``< 0.001``, ``0.004``, ``0.032``, ``0.46``."""
    if not _finite(p):
        return NA
    p = float(p)
    if p < 0.001:
        return "< 0.001"
    if p < 0.1:
        return f"{p:.3f}"
    return f"{p:.2f}" if p < 0.995 else "> 0.99"


def fmt_ci(lo, hi, digits: int = 2) -> str:
    """``1.47–2.26``; ``−0.017 to −0.004`` when a limit is negative (a dash between two
    minus signs reads as a subtraction)."""
    if not (_finite(lo) or _finite(hi)):
        return NA
    a, b = fmt_num(lo, digits), fmt_num(hi, digits)
    sep = " to " if a.startswith("\u2212") or b.startswith("\u2212") else DASH
    return f"{a}{sep}{b}"


def time_digits(unit: str, digits: int) -> int:
    """Decimals of a time shown in *unit*: none in days (``"983"``, not ``"983.0"``), else
    *digits*."""
    return 0 if unit == "days" else digits


def fmt_time_ci(lo, hi, digits: int) -> str:
    """The confidence limits of a median time (Kaplan–Meier or reverse Kaplan–Meier): as
    :func:`fmt_ci`, but an upper limit that the curve never reaches reads ``"not reached"``
    (``"104.7 to not reached"``, not ``"104.7–—"``)."""
    if _finite(lo) and not _finite(hi):
        return f"{fmt_num(lo, digits)} to not reached"
    return fmt_ci(lo, hi, digits)


def fmt_hr(hr, lo, hi, digits: int = 2) -> str:
    """``HR (lower–upper)``, e.g. ``1.82 (1.47–2.26)``.

    Where the limits differ but print the same at ``digits`` decimals (an HR per unit of a
    widely spread covariate: per fmol/mg of oestrogen receptor, 0.99936 (0.99844–1.00028)),
    up to four more decimals are shown until they differ — ``0.999 (0.998–1.000)``, never
    ``1.00 (1.00–1.00)`` beside p = 0.04.
    """
    if not _finite(hr):
        return NA
    d = interval_digits(lo, hi, digits)
    return f"{fmt_num(hr, d)} ({fmt_ci(lo, hi, d)})"


def fmt_p_eq(p) -> str:
    """``"= 0.03"`` or ``"< 0.001"``: a p-value after "p" in a sentence."""
    txt = fmt_p(p)
    return txt if txt.startswith(("<", ">")) else f"= {txt}"


def fmt_pct(x, digits: int = 1) -> str:
    """A proportion (0–1) as a percentage: ``0.306`` → ``"30.6%"``."""
    if not _finite(x):
        return NA
    return f"{100.0 * float(x):.{digits}f}%"


def fmt_n_pct(n, total, digits: int = 1) -> str:
    """``"1448 (30.8%)"``."""
    if not _finite(n) or not _finite(total) or float(total) == 0:
        return NA
    return f"{fmt_int(n)} ({fmt_pct(float(n) / float(total), digits)})"


def fmt_time(x, unit: str) -> str:
    """A time with its unit, two decimals at most: ``"1 year"``, ``"1.25 years"``,
    ``"0.33 months"`` (the unit word agrees with the number shown)."""
    v = float(x)
    s = f"{v:g}" if v == round(v, 2) else f"{v:.2f}"
    return f"{s} {unit_word(unit, s)}"


# --------------------------------------------------------------------------- blocks
def para(text: str, *, cls: str = "") -> dict:
    return {"kind": "p", "text": str(text), "cls": cls}


def table(caption: str, columns, rows, *, note: str = "", cls: str = "",
          sub_rows=None) -> dict:
    """A table block; every cell is converted to ``str`` (escaped when rendered).

    ``sub_rows`` (optional set of row positions) marks rows drawn indented (levels of a
    categorical variable).
    """
    out_rows = []
    for i, r in enumerate(rows):
        cells = ["" if (isinstance(c, float) and np.isnan(c)) else str(c) for c in r]
        out_rows.append({"cells": cells, "sub": bool(sub_rows and i in sub_rows)})
    return {"kind": "table", "caption": str(caption), "columns": [str(c) for c in columns],
            "rows": out_rows, "note": str(note), "cls": cls}


def figure(svg: str, caption: str) -> dict:
    return {"kind": "figure", "svg": svg, "caption": str(caption)}


def notes(messages) -> dict | None:
    msgs = []
    for m in messages:
        if m and m not in msgs:
            msgs.append(str(m))
    return {"kind": "notes", "items": msgs} if msgs else None


def pre(text: str, *, caption: str = "") -> dict:
    return {"kind": "pre", "text": str(text), "caption": str(caption)}


def dl(pairs, *, caption: str = "") -> dict:
    return {"kind": "dl", "items": [(str(a), str(b)) for a, b in pairs], "caption": caption}
