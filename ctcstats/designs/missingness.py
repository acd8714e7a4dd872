"""Missing values for synthetic cohorts: :func:`add_missingness`.

Published designs report how much is missing at best, never the mechanism, so every rate and
mechanism given here is an *assumption* — it is recorded as such on the returned frame
(``frame.attrs["missingness"]``) so that reports and notebooks state it.

Mechanisms (Rubin 1976), for each variable v with target rate r_v:

* ``"mcar"`` — P(v missing) = r_v for every patient;
* ``"mar"`` — logit P(v missing) = a_v + strength · s_i, where s_i is the sum of the
  standardised values of ``depends_on`` (observed columns such as the event indicator, age);
* ``"mnar"`` — as MAR, with v's own standardised value added to s_i.

Pooled cohorts: ``systematic`` deletes a variable for every patient of the named studies
(*systematically missing* — a study that did not record it), after the rate-based deletion.

a_v is solved so that the expected proportion missing is exactly r_v in the given cohort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special

from .._typing import RandomState
from .._validation import (
    canonical_order,
    check_choice,
    check_dataframe,
    check_numeric_column,
    check_real,
    check_rng,
    is_categorical,
)
from ..errors import DataValidationError, ParameterError

__all__ = ["add_missingness"]


def _standardised(frame: pd.DataFrame, col: str, role: str) -> np.ndarray:
    s = frame[col]
    if is_categorical(s):
        raise DataValidationError(
            f"{role} {col!r} holds text or categories; missingness can depend on numeric or "
            "0/1 columns only — code it as numbers first.")
    if s.isna().any():
        raise DataValidationError(
            f"{role} {col!r} has missing values; the columns missingness depends on must be "
            "complete (add missingness to it last, or leave it out of depends_on).")
    x = check_numeric_column(frame, col, role=role)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _intercept(score: np.ndarray, rate: float) -> float:
    """a with mean(expit(a + score)) = rate."""
    def gap(a):
        return special.expit(a + score).mean() - rate
    return float(optimize.brentq(gap, -50.0, 50.0, xtol=1e-12))


def add_missingness(
    data: pd.DataFrame,
    *,
    rates: Mapping[str, float] | None = None,
    mechanism: Literal["mcar", "mar", "mnar"] = "mar",
    depends_on: Sequence[str] | None = None,
    strength: float = 1.0,
    systematic: Mapping[str, Sequence] | None = None,
    study_col: str | None = None,
    rng: RandomState = None,
) -> pd.DataFrame:
    """A copy of ``data`` with values deleted at the given rates (a labelled assumption).

    Parameters
    ----------
    data : DataFrame
        A complete cohort, e.g. from :func:`ctcstats.simulate_cohort` (or a
        ``SyntheticCohort``, whose ``data`` is used).
    rates : dict
        Column → expected proportion missing, in (0, 1).
    mechanism : {"mcar", "mar", "mnar"}
        See the module docstring: MAR makes missingness depend on ``depends_on`` (e.g. the
        event indicator: sicker patients miss more), MNAR also on the deleted value itself.
    depends_on : list of str, optional
        Complete numeric columns that drive MAR/MNAR missingness (required for ``"mar"``).
    strength : float
        Log-odds change of being missing per standard deviation of the driving score.
    systematic : dict, optional
        Column → studies (labels of ``study_col``) in which it is deleted for every patient,
        e.g. ``{"tumor_size_cm": ["S02", "S05"]}``; recorded with mechanism
        ``"systematic"``.
    study_col : str, optional
        The study column (required with ``systematic``).
    rng : int, Generator or None

    Returns
    -------
    DataFrame
        The copy with NaN where deleted (index and columns unchanged).
        ``attrs["missingness"]`` is a list of records ``variable, rate, mechanism,
        depends_on, strength, n_missing, source`` (source ``"assumption"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ctcstats.designs import add_missingness
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"age": rng.normal(60, 10, 1000), "event": rng.integers(0, 2, 1000)})
    >>> out = add_missingness(d, rates={"age": 0.3}, depends_on=["event"], rng=1)
    >>> float(round(out["age"].isna().mean(), 2))
    0.3
    >>> out.attrs["missingness"][0]["source"]
    'assumption'
    """
    func = "add_missingness"
    data = getattr(data, "data", data) if not isinstance(data, pd.DataFrame) else data
    check_dataframe(data, func=func)
    check_choice(mechanism, name="mechanism", choices=("mcar", "mar", "mnar"), func=func)
    strength = check_real(strength, name="strength", func=func)
    systematic = _check_systematic(data, systematic, study_col, func)
    if rates is None and systematic:
        rates = {}
    if not isinstance(rates, Mapping) or not (rates or systematic):
        raise ParameterError(f"The 'rates' parameter of {func} must be a dict column → "
                             f"proportion missing, e.g. {{'grade': 0.2}}; got {rates!r}.")
    depends_on = [] if depends_on is None else depends_on
    if isinstance(depends_on, str):
        raise ParameterError(f"The 'depends_on' parameter of {func} must be a list of column "
                             f"names; got the string {depends_on!r} (write [{depends_on!r}]).")
    depends_on = list(depends_on)
    if mechanism == "mar" and not depends_on and rates:
        raise ParameterError(
            f"{func}(mechanism='mar') needs depends_on: the observed columns missingness "
            "depends on (e.g. ['os_event', 'age']); use mechanism='mcar' otherwise.")
    for col in list(rates) + depends_on:
        if col not in data.columns:
            raise DataValidationError(f"column {col!r} is not a column of data (check the "
                                      "spelling).")
    overlap = sorted(set(rates) & set(depends_on))
    if overlap:
        raise ParameterError(f"{func}: {overlap} are both deleted and drive missingness; "
                             "use mechanism='mnar' for self-dependence.")
    gen = check_rng(rng)
    base = np.zeros(len(data))
    for col in depends_on:
        base = base + _standardised(data, col, "depends_on")
    out = data.copy()
    records = []
    # uniforms drawn on the canonical row order: the same rows are deleted whatever the order
    # and labels of data's rows (DESIGN.md §4)
    order = canonical_order(data)
    for col, rate in rates.items():
        r = check_real(rate, name=f"rates[{col!r}]", func=func, low=0.0, high=1.0,
                       low_inclusive=False, high_inclusive=False)
        score = np.zeros(len(data)) if mechanism == "mcar" else strength * base
        if mechanism == "mnar":
            score = score + strength * _standardised(data, col, "rates")
        p = special.expit(_intercept(score, r) + score)
        u = np.empty(len(data))
        u[order] = gen.random(len(data))
        miss = u < p
        if pd.api.types.is_integer_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(float)  # integer columns cannot hold NaN
        out.loc[miss, col] = np.nan
        records.append({"variable": col, "rate": r, "mechanism": mechanism,
                        "depends_on": list(depends_on) + ([col] if mechanism == "mnar" else []),
                        "strength": strength if mechanism != "mcar" else 0.0,
                        "n_missing": int(miss.sum()), "source": "assumption"})
    for col, studies in systematic.items():
        miss = data[study_col].isin(studies).to_numpy()
        if pd.api.types.is_integer_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].astype(float)
        out.loc[miss, col] = np.nan
        records.append({"variable": col, "rate": float(miss.mean()),
                        "mechanism": "systematic", "depends_on": [study_col],
                        "strength": 0.0, "n_missing": int(miss.sum()),
                        "studies": [str(x) for x in studies], "source": "assumption"})
    out.attrs["missingness"] = records
    return out


def _check_systematic(data: pd.DataFrame, systematic, study_col: str | None,
                      func: str) -> dict[str, list]:
    if systematic is None:
        return {}
    if not isinstance(systematic, Mapping) or not systematic:
        raise ParameterError(f"The 'systematic' parameter of {func} must be a dict column → "
                             "list of studies, e.g. {'tumor_size_cm': ['S02']}; got "
                             f"{systematic!r}.")
    if study_col is None or study_col not in data.columns:
        raise ParameterError(f"{func}(systematic=...) needs study_col, the study column of "
                             f"data; got {study_col!r}.")
    levels = set(data[study_col].dropna().unique())
    out: dict[str, list] = {}
    for col, studies in systematic.items():
        if col not in data.columns:
            raise DataValidationError(f"column {col!r} is not a column of data (check the "
                                      "spelling).")
        if isinstance(studies, str) or not isinstance(studies, Sequence):
            raise ParameterError(f"systematic[{col!r}] of {func} must be a list of studies; "
                                 f"got {studies!r}" + (f" (write [{studies!r}])."
                                                       if isinstance(studies, str) else "."))
        unknown = [x for x in studies if x not in levels]
        if unknown:
            raise DataValidationError(
                f"systematic[{col!r}] names studies {unknown} that are not in study_col "
                f"{study_col!r} (studies: {sorted(map(str, levels))[:10]}).")
        out[col] = list(studies)
    return out
