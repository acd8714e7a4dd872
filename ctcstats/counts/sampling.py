"""Poisson sampling of rare cells: exact concentration intervals, detection, misclassification,
detection rates, normalised counts and count categories.

A blood draw of V mL from a patient whose blood holds c tumour cells per mL yields a count that
is Poisson with mean ``recovery · c · V`` (cells are scattered at random; ``recovery`` is the
assay's capture efficiency). Every function here is vectorised: scalars in give floats out,
arrays (broadcast together) give arrays out.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import special

from .._results import Result, result
from .._typing import ArrayLike
from .._validation import (
    check_conf_level,
    check_count_column,
    check_group_column,
    check_positive_column,
    check_real,
    prepare_frame,
)
from ..errors import ParameterError

__all__ = [
    "DetectionRateResult",
    "concentration_ci",
    "count_categories",
    "detection_probability",
    "detection_rates",
    "misclassification_probability",
    "normalise_counts",
]


# --------------------------------------------------------------------------- argument checks
def _array(value, *, name: str, func: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"The {name!r} parameter of {func} must be a number or an array of numbers; got "
            f"{value!r}."
        ) from None
    bad = ~np.isfinite(arr)
    if bad.any():
        where = int(np.flatnonzero(bad.ravel())[0])
        raise ParameterError(
            f"The {name!r} parameter of {func} must be finite (no NaN or inf); found "
            f"{float(arr.ravel()[where])} at position {where}."
        )
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray, rule: str, *, name: str, func: str) -> None:
    """Raise naming the first element of *arr* where *bad* holds (``rule``: what is required)."""
    if bad.any():
        where = int(np.flatnonzero(bad.ravel())[0])
        raise ParameterError(
            f"The {name!r} parameter of {func} must {rule}; found {arr.ravel()[where]:g} at "
            f"position {where}."
        )


def _whole(value, *, name: str, func: str, minimum: int = 0) -> np.ndarray:
    arr = _array(value, name=name, func=func)
    _first_bad(arr, (arr < minimum) | (np.mod(arr, 1.0) != 0),
               f"hold whole numbers ≥ {minimum}", name=name, func=func)
    return arr


def _positive(value, *, name: str, func: str) -> np.ndarray:
    arr = _array(value, name=name, func=func)
    _first_bad(arr, arr <= 0, "be > 0", name=name, func=func)
    return arr


def _nonnegative(value, *, name: str, func: str) -> np.ndarray:
    arr = _array(value, name=name, func=func)
    _first_bad(arr, arr < 0, "be ≥ 0", name=name, func=func)
    return arr


def _out(arr: np.ndarray, *inputs):
    if all(np.ndim(v) == 0 for v in inputs):
        return float(arr)
    return arr


def _broadcast(func: str, **arrays: np.ndarray) -> list[np.ndarray]:
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ParameterError(
            f"The array arguments of {func} must have shapes that broadcast together; got "
            f"{shapes}."
        ) from None


# --------------------------------------------------------------------------- intervals
def concentration_ci(count: ArrayLike, volume_ml: ArrayLike, *,
                     conf_level: float = 0.95) -> pd.DataFrame:
    """Exact (Garwood) confidence interval of a cell concentration, in cells per mL.

    For a count x in V mL the interval is ``[qgamma(α/2, x), qgamma(1 − α/2, x + 1)] / V``
    (lower limit 0 when x = 0), the exact Poisson interval of R's
    ``poisson.test(x, T = V, conf.level = ...)$conf.int``.

    Parameters
    ----------
    count : int or array_like
        Cells counted (whole numbers ≥ 0).
    volume_ml : float or array_like
        Volume examined (mL, > 0); broadcast against ``count``.
    conf_level : float

    Returns
    -------
    (lower, upper)
        Floats for scalar inputs, arrays otherwise.

    Examples
    --------
    >>> from ctcstats.counts import concentration_ci
    >>> lo, hi = concentration_ci(0, 7.5)        # no CTC in one CellSearch tube
    >>> lo, round(hi, 4)                          # up to ~0.49 cells/mL are compatible
    (0.0, 0.4919)
    >>> lo, hi = concentration_ci([5, 5], [7.5, 30.0])
    >>> bool(hi[1] < hi[0])                       # more blood, tighter interval
    True
    """
    func = "concentration_ci"
    conf_level = check_conf_level(conf_level, func=func)
    x = _whole(count, name="count", func=func)
    v = _positive(volume_ml, name="volume_ml", func=func)
    x, v = _broadcast(func, count=x, volume_ml=v)
    alpha = 1.0 - conf_level
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, special.gammaincinv(np.maximum(x, 1.0), alpha / 2), 0.0) / v
    upper = special.gammaincinv(x + 1.0, 1.0 - alpha / 2) / v
    return _out(lower, count, volume_ml), _out(upper, count, volume_ml)


def detection_probability(
    concentration_per_ml: ArrayLike, *, volume_ml: ArrayLike = 7.5, threshold: ArrayLike = 1,
    recovery: float = 1.0,
) -> float | np.ndarray:
    """Probability that a draw finds at least *threshold* cells.

    ``P(Poisson(recovery · c · volume_ml) ≥ threshold)`` — the regularised incomplete gamma
    ``P(threshold, λ)`` (1 for threshold 0). Matches R's
    ``ppois(threshold - 1, recovery * c * volume, lower.tail = FALSE)``.

    Parameters
    ----------
    concentration_per_ml : float or array_like
        True cells per mL (≥ 0).
    volume_ml : float or array_like
        Volume drawn (> 0); 7.5 mL is one CellSearch tube.
    threshold : int or array_like
        Cells needed to call the sample positive (whole number ≥ 0).
    recovery : float
        Capture efficiency in (0, 1].

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from ctcstats.counts import detection_probability
    >>> round(detection_probability(0.2, volume_ml=7.5, threshold=1), 4)   # 1 - exp(-1.5)
    0.7769
    >>> p = detection_probability([0.2, 0.2], volume_ml=[7.5, 30.0], threshold=5)
    >>> bool(p[1] > p[0])
    True
    """
    func = "detection_probability"
    c = _nonnegative(concentration_per_ml, name="concentration_per_ml", func=func)
    v = _positive(volume_ml, name="volume_ml", func=func)
    t = _whole(threshold, name="threshold", func=func)
    r = check_real(recovery, name="recovery", func=func, low=0.0, high=1.0,
                   low_inclusive=False)
    c, v, t = _broadcast(func, concentration_per_ml=c, volume_ml=v, threshold=t)
    lam = r * c * v
    p = np.where(t > 0, special.gammainc(np.maximum(t, 1.0), lam), 1.0)
    return _out(p, concentration_per_ml, volume_ml, threshold)


def misclassification_probability(
    concentration_per_ml: ArrayLike,
    *,
    threshold: ArrayLike = 5,
    volume_ml: ArrayLike = 7.5,
    recovery: float = 1.0,
    true_threshold: float | None = None,
) -> float | np.ndarray:
    """Probability that Poisson sampling puts a patient on the wrong side of the threshold.

    A patient with true concentration c (cells/mL) is **truly positive** when the expected
    number of cells in the drawn volume reaches the threshold, ``c · volume_ml ≥ threshold``
    (e.g. c ≥ 5/7.5 = 0.667 cells/mL for ≥5 CTC per 7.5 mL), or — when ``true_threshold`` (in
    cells per mL) is given — when ``c ≥ true_threshold``. The patient is **observed positive**
    when the count, Poisson with mean ``recovery · c · volume_ml``, is ≥ ``threshold``. The
    result is P(observed negative) for truly positive patients and P(observed positive) for
    truly negative ones. With recovery < 1 the true status still refers to the cells present
    (not those recovered), so losses add to the misclassification of positives.

    Parameters
    ----------
    concentration_per_ml : float or array_like
    threshold : int or array_like
        Observed-count threshold (whole number ≥ 1).
    volume_ml : float or array_like
    recovery : float
        Capture efficiency in (0, 1].
    true_threshold : float, optional
        Concentration (cells/mL) defining true positivity; default ``threshold / volume_ml``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from ctcstats.counts import misclassification_probability
    >>> # a patient right at 5 CTC/7.5 mL is called negative about 44% of the time
    >>> round(misclassification_probability(5 / 7.5, threshold=5), 3)
    0.44
    >>> round(misclassification_probability(0.1, threshold=5), 6)   # far below: rarely wrong
    0.001065
    """
    func = "misclassification_probability"
    c = _nonnegative(concentration_per_ml, name="concentration_per_ml", func=func)
    v = _positive(volume_ml, name="volume_ml", func=func)
    t = _whole(threshold, name="threshold", func=func, minimum=1)
    r = check_real(recovery, name="recovery", func=func, low=0.0, high=1.0,
                   low_inclusive=False)
    c, v, t = _broadcast(func, concentration_per_ml=c, volume_ml=v, threshold=t)
    if true_threshold is None:
        # relative slack so that e.g. c = 5/7.5 at 7.5 mL counts as exactly 5 expected cells
        truly_positive = c * v >= t * (1 - 1e-12)
    else:
        tt = check_real(true_threshold, name="true_threshold", func=func, low=0.0)
        truly_positive = c >= tt
    lam = r * c * v
    p_pos = special.gammainc(t, lam)
    p_neg = special.gammaincc(t, lam)
    p = np.where(truly_positive, p_neg, p_pos)
    return _out(p, concentration_per_ml, volume_ml, threshold)


# --------------------------------------------------------------------------- detection rates
@result
class DetectionRateResult(Result):
    """Proportion of patients with at least *threshold* cells, with exact and Wilson CIs.

    ``table`` columns: ``group, threshold, n, n_positive, proportion, ci_lower_exact,
    ci_upper_exact, ci_lower_wilson, ci_upper_wilson``.
    """

    _title: ClassVar[str] = "Detection rates"

    table: pd.DataFrame
    conf_level: float
    n_obs: int
    n_dropped: int = 0
    warnings: tuple[str, ...] = ()


def _check_thresholds(thresholds, func: str) -> list[int]:
    if isinstance(thresholds, numbers.Number) and not isinstance(thresholds, bool):
        thresholds = (thresholds,)
    values: list[Any]
    try:
        values = list(thresholds)
    except TypeError:
        values = []
    ok = bool(values) and all(
        isinstance(t, numbers.Real) and not isinstance(t, bool) and float(t).is_integer()
        and float(t) >= 1 for t in values
    )
    if not ok:
        raise ParameterError(
            f"The 'thresholds' parameter of {func} must be whole numbers ≥ 1 (e.g. (1, 5)); "
            f"got {thresholds!r}."
        )
    return sorted({int(t) for t in values})


def detection_rates(
    data: pd.DataFrame,
    *,
    count_col: str,
    thresholds: Sequence[int] = (1,),
    group_col: str | None = None,
    conf_level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
) -> DetectionRateResult:
    """Detection (positivity) rates at one or more count thresholds, by group.

    A patient is positive at threshold t when the count is ≥ t. Intervals: Clopper–Pearson
    (R ``binom.test(x, n)$conf.int``) and Wilson without continuity correction (R
    ``prop.test(x, n, correct = FALSE)$conf.int``), both via statsmodels
    ``proportion_confint`` (methods ``"beta"`` and ``"wilson"``).

    Parameters
    ----------
    data : DataFrame
    count_col : str
        Whole-number counts ≥ 0.
    thresholds : sequence of int
        Positivity thresholds ≥ 1 (e.g. ``(1, 5)`` for ≥1 and ≥5 CTC per 7.5 mL).
    group_col : str, optional
        Rates per group (the user's labels, sorted; a Categorical keeps its order); without it
        the group is ``"all"``.
    conf_level : float
    missing : {"raise", "drop"}

    Returns
    -------
    DetectionRateResult
        ``table`` has one row per group and threshold with columns ``group, threshold, n,
        n_positive, proportion, ci_lower_exact, ci_upper_exact, ci_lower_wilson,
        ci_upper_wilson``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.counts import detection_rates
    >>> d = pd.DataFrame({"ctc_count": [0, 0, 1, 3, 7, 0, 12, 5, 0, 2],
    ...                   "arm": ["A"] * 5 + ["B"] * 5})
    >>> res = detection_rates(d, count_col="ctc_count", thresholds=(1, 5), group_col="arm")
    >>> res.table[["group", "threshold", "n", "n_positive"]].values.tolist()
    [['A', 1, 5, 3], ['A', 5, 5, 1], ['B', 1, 5, 3], ['B', 5, 5, 2]]
    """
    from statsmodels.stats.proportion import proportion_confint

    func = "detection_rates"
    conf_level = check_conf_level(conf_level, func=func)
    thr = _check_thresholds(thresholds, func)
    prepared = prepare_frame(data, func=func,
                             roles={"count_col": count_col, "group_col": group_col},
                             missing=missing)
    frame = prepared.frame
    y = check_count_column(frame, count_col)
    if group_col is None:
        groups, levels = np.full(y.size, "all", dtype=object), ["all"]
    else:
        groups, levels = check_group_column(frame, group_col, func=func, min_levels=1)
    rows = []
    alpha = 1.0 - conf_level
    for lev in levels:
        yg = y[groups == lev]
        for t in thr:
            n, x = int(yg.size), int(np.sum(yg >= t))
            lo_e, hi_e = proportion_confint(x, n, alpha=alpha, method="beta")
            lo_w, hi_w = proportion_confint(x, n, alpha=alpha, method="wilson")
            rows.append({"group": lev, "threshold": t, "n": n, "n_positive": x,
                         "proportion": x / n, "ci_lower_exact": float(lo_e),
                         "ci_upper_exact": float(hi_e), "ci_lower_wilson": float(lo_w),
                         "ci_upper_wilson": float(hi_w)})
    return DetectionRateResult(table=pd.DataFrame(rows), conf_level=conf_level,
                               n_obs=prepared.n_obs, n_dropped=prepared.n_dropped)


# --------------------------------------------------------------------------- transformations
def normalise_counts(
    data: pd.DataFrame,
    *,
    count_col: str,
    volume_col: str,
    per: float = 1.0,
    missing: Literal["raise", "drop"] = "raise",
) -> pd.Series:
    """Counts per unit of sampled material: ``count / volume · per``, as a new Series.

    With ``volume_col`` in mL and ``per=1`` this is cells per mL (``per=7.5``: per CellSearch
    tube); with ``volume_col`` the number of mononuclear cells examined and ``per=1e6`` it is
    DTCs per 10^6 cells. ``data`` is not modified.

    Returns
    -------
    Series
        Named ``"<count_col>_normalised"``, indexed like the analysed rows of ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.counts import normalise_counts
    >>> d = pd.DataFrame({"dtc_count": [0, 3], "cells_examined": [2e6, 1.5e6]})
    >>> normalise_counts(d, count_col="dtc_count", volume_col="cells_examined",
    ...                  per=1e6).tolist()
    [0.0, 2.0]
    """
    func = "normalise_counts"
    per = check_real(per, name="per", func=func, low=0.0, low_inclusive=False)
    prepared = prepare_frame(data, func=func,
                             roles={"count_col": count_col, "volume_col": volume_col},
                             missing=missing)
    frame = prepared.frame
    y = check_count_column(frame, count_col)
    v = check_positive_column(frame, volume_col, role="volume_col")
    return pd.Series(y / v * per, index=frame.index, name=f"{count_col}_normalised")


def _labels_for(breaks: list[int]) -> list[str]:
    labels = []
    for lo, hi in zip(breaks[:-1], breaks[1:], strict=True):
        labels.append(str(lo) if hi - lo == 1 else f"{lo}–{hi - 1}")
    labels.append(f"≥{breaks[-1]}")
    return labels


def count_categories(
    data: pd.DataFrame,
    *,
    count_col: str,
    breaks: Sequence[int] = (0, 1, 2, 3, 5),
    labels: Sequence[str] | None = None,
    missing: Literal["raise", "drop"] = "raise",
) -> pd.Series:
    """Ordered count categories, e.g. 0 / 1 / 2 / 3–4 / ≥5 CTC (neoadjuvant pooled analysis).

    Category i holds counts in ``[breaks[i], breaks[i+1])``, the last one counts ≥
    ``breaks[-1]``. Default labels are ``"0", "1", "2", "3–4", "≥5"`` (an en dash and "≥").

    The result is an *ordered* pandas Categorical, so it can be fed to the other analyses as
    it is: as a covariate of ``fit_cox`` it becomes indicator terms ``col[level]`` against the
    first category (``"0"``); as ``group_col`` of ``logrank_test(..., trend=True)`` the
    categories enter in this order (scores 1, 2, …). Add it as a column first, e.g.
    ``d.assign(ctc_group=count_categories(d, count_col="ctc_count"))``.

    Parameters
    ----------
    data : DataFrame
    count_col : str
    breaks : sequence of int
        Strictly increasing whole numbers starting at 0.
    labels : sequence of str, optional
        One label per category (``len(breaks)``), replacing the defaults.
    missing : {"raise", "drop"}

    Returns
    -------
    Series
        Ordered Categorical named ``"<count_col>_category"``, indexed like the analysed rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from ctcstats.counts import count_categories
    >>> d = pd.DataFrame({"ctc_count": [0, 1, 2, 3, 4, 5, 40]})
    >>> count_categories(d, count_col="ctc_count").tolist()
    ['0', '1', '2', '3–4', '3–4', '≥5', '≥5']
    >>> count_categories(d, count_col="ctc_count", breaks=(0, 5),
    ...                  labels=("<5", "≥5")).cat.categories.tolist()
    ['<5', '≥5']
    """
    func = "count_categories"
    try:
        b = [int(x) for x in breaks] if not isinstance(breaks, str) else None
        ok = b is not None and all(float(x) == int(x) for x in breaks)
    except (TypeError, ValueError):
        b, ok = None, False
    if not ok or not b or b[0] != 0 or any(hi <= lo for lo, hi in zip(b[:-1], b[1:],
                                                                     strict=True)):
        raise ParameterError(
            f"The 'breaks' parameter of {func} must be strictly increasing whole numbers "
            f"starting at 0 (e.g. (0, 1, 2, 3, 5)); got {breaks!r}."
        )
    if labels is None:
        labs = _labels_for(b)
    else:
        labs = [str(x) for x in labels] if not isinstance(labels, str) else []
        if len(labs) != len(b) or len(set(labs)) != len(labs):
            raise ParameterError(
                f"The 'labels' parameter of {func} must give {len(b)} distinct labels (one per "
                f"category of breaks {tuple(b)}); got {labels!r}."
            )
    prepared = prepare_frame(data, func=func, roles={"count_col": count_col}, missing=missing)
    y = check_count_column(prepared.frame, count_col)
    codes = np.searchsorted(np.asarray(b), y, side="right") - 1
    cat = pd.Categorical.from_codes(codes, categories=labs, ordered=True)
    return pd.Series(cat, index=prepared.frame.index, name=f"{count_col}_category")

