"""The substantive (Cox) model of the smcfcs chain: its design matrix from the imputed
variables, with derived terms (non-linear functions and interactions) and strata.

R ``smcfcs`` handles squares, splines, transformations and interactions of incomplete
covariates through *passive variables*: columns recomputed from the imputed ones whenever
these change, so that the outcome model used to impute is the analysis model. Here a derived
term is a callable of the (completed) columns — ``terms={"age_sq": lambda d: d["age"] ** 2}``
— evaluated on the current values and, inside rejection and direct sampling, on the
candidate values of the variable being imputed. The columns a term reads are recorded by
calling it once on a recording mapping (:func:`derived_terms`).

:class:`CoxModelSpec` is what the chain needs: :meth:`CoxModelSpec.matrix` (the Cox design
at the current values, or on chosen rows with one variable replaced by candidates) and the
strata of a stratified model (:func:`stratified_baseline`: Breslow's cumulative baseline
hazard per stratum, evaluated at each patient's time in the patient's own stratum).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataValidationError, ParameterError
from ..survival._core.cox import CoxData, group_sum, risk_state
from ..survival._core.curves import step_at

__all__ = ["Term", "CoxModelSpec", "derived_terms", "evaluate_term", "rcs_term",
           "stratified_baseline", "term_columns"]


class _Recorder(Mapping):
    """A read-only column mapping that records which columns a term reads."""

    def __init__(self, columns: Mapping[str, np.ndarray]):
        self._columns = columns
        self.used: list[str] = []

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._columns:
            raise KeyError(key)
        if key not in self.used:
            self.used.append(key)
        return self._columns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def _values(s: pd.Series) -> np.ndarray:
    """The column as a term sees it: floats for numbers, the labels (objects) otherwise."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=float, na_value=np.nan)
    if isinstance(s.dtype, pd.CategoricalDtype) and pd.api.types.is_numeric_dtype(
            s.cat.categories.dtype):
        return s.astype(float).to_numpy()
    return s.to_numpy(dtype=object)


def evaluate_term(name: str, fn: Callable, columns: Mapping[str, np.ndarray], n: int
                  ) -> np.ndarray:
    """Evaluate a derived term: a float array of shape (n, k)."""
    with np.errstate(all="ignore"):
        out = fn(columns)
    arr = np.asarray(out, dtype=float) if not isinstance(out, pd.DataFrame | pd.Series) \
        else np.asarray(out.to_numpy(), dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ParameterError(
            f"term {name!r} must return one value per row (an array of length {n}, or an "
            f"(n, k) array for k columns such as a spline basis); got shape {arr.shape}.")
    return arr


@dataclass(frozen=True)
class Term:
    """A derived term: its name, the columns it reads, its callable and its width."""

    name: str
    uses: tuple[str, ...]
    fn: Callable
    width: int

    @property
    def columns(self) -> list[str]:
        """Names of its columns in the completed data sets (``name`` or ``name_1..k``)."""
        if self.width == 1:
            return [self.name]
        return [f"{self.name}_{j}" for j in range(1, self.width + 1)]


def derived_terms(data: pd.DataFrame, covariates: list[str], terms: Mapping | None, *,
                  outcome: set[str], auxiliary: list[str], complete: set[str], func: str
                  ) -> tuple[list[Term], list[str]]:
    """Validate ``terms`` (``covariates``: the substantive model's names, derived ones
    included): the derived terms and the columns they read that are not covariates or
    complete roles (``complete``: study/strata) themselves — imputed as covariates."""
    if terms is None:
        return [], []
    if not isinstance(terms, Mapping):
        raise ParameterError(
            f"The 'terms' parameter of {func} must be a dict of name -> callable (e.g. "
            "{'age_sq': lambda d: d['age'] ** 2}); got " f"{type(terms).__name__}.")
    out: list[Term] = []
    extra: list[str] = []
    columns = {c: _values(data[c]) for c in data.columns if isinstance(c, str)}
    for name, fn in terms.items():
        if not isinstance(name, str) or not callable(fn):
            raise ParameterError(
                f"The 'terms' parameter of {func} maps a name (str) to a callable of the "
                f"columns; got {name!r}: {fn!r}.")
        if name in data.columns:
            raise ParameterError(
                f"term name {name!r} of {func} is already a column of data; choose another "
                "name (the term is added to every completed data set).")
        if name not in covariates:
            raise ParameterError(
                f"term {name!r} is not among the covariates of {func}; list it in "
                "covariates where it enters the Cox model, or remove it from terms.")
        rec = _Recorder(columns)
        try:
            arr = evaluate_term(name, fn, rec, len(data))
        except KeyError as exc:
            raise DataValidationError(
                f"term {name!r} reads {exc.args[0]!r}, which is not a column of data; read "
                "columns as d['name'].") from None
        except (TypeError, AttributeError, ValueError) as exc:
            raise ParameterError(
                f"term {name!r} of {func} could not be evaluated ({exc}); a term receives a "
                "mapping of column name -> numpy array (numbers as floats, labels as "
                "objects) and returns an array, e.g. lambda d: d['age'] ** 2.") from None
        if not rec.used:
            raise ParameterError(f"term {name!r} of {func} reads no column of data.")
        observed = np.ones(len(data), dtype=bool)
        for c in rec.used:
            observed &= data[c].notna().to_numpy()
        bad = observed & ~np.isfinite(arr).all(axis=1)
        if bad.any():
            first = data.index[bad][:3].tolist()
            raise DataValidationError(
                f"term {name!r} is not finite in {int(bad.sum())} rows where its columns "
                f"({', '.join(rec.used)}) are observed (first row labels: {first}); e.g. "
                "log(0) — use np.log1p for counts.")
        for c in rec.used:
            if c in outcome or c in auxiliary:
                role = "the outcome" if c in outcome else "an auxiliary variable"
                raise ParameterError(
                    f"term {name!r} reads {c!r}, which is {role}; a term of the Cox model "
                    "may read covariates only (list it in covariates instead).")
            if c not in covariates and c not in complete and c not in extra:
                extra.append(c)
        out.append(Term(name=name, uses=tuple(rec.used), fn=fn, width=arr.shape[1]))
    return out, extra


def rcs_term(column: str, knots: int | Sequence[float], *, data: pd.DataFrame | None = None,
             transform: Callable | None = np.log1p) -> Callable:
    """A derived term for ``impute(terms=...)``: the restricted cubic spline of
    ``transform(column)`` with fixed knots — the columns of ``Hmisc::rcspline.eval(x, knots,
    inclx = TRUE)`` (x and its ``len(knots) - 2`` non-linear columns), the basis of
    ``rms::rcs`` and of the report's count spline.

    ``knots`` is either the knot positions (on the transformed scale) or their number; with
    a number, ``data`` is required and the knots are placed as Hmisc's default
    (``rcspline.eval(nk = knots, knots.only = TRUE)``) on the transformed *observed* values —
    fixed once, so every imputed data set and the analysis share the basis. The returned
    callable carries them as ``.knots``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import ctcstats as cs
    >>> f = cs.rcs_term("ctc_count", [0.0, 1.1, 1.6, 2.6])
    >>> f({"ctc_count": np.array([0.0, 3.0, 20.0])}).shape
    (3, 3)
    >>> d = pd.DataFrame({"ctc_count": [0, 1, 2, 3, 5, 8, 13, 21, None] * 10})
    >>> cs.rcs_term("ctc_count", 4, data=d).knots.round(3).tolist()
    [0.0, 1.099, 2.197, 3.091]
    """
    from ..prognostic.calibration import rcs_basis, rcs_knots

    if isinstance(knots, int | np.integer) and not isinstance(knots, bool):
        if data is None or column not in getattr(data, "columns", ()):
            raise ParameterError(
                "rcs_term: with a number of knots, pass data (a DataFrame with column "
                f"{column!r}) to place them on its observed values.")
        obs = pd.to_numeric(data[column], errors="coerce").dropna().to_numpy(float)
        k = rcs_knots(obs if transform is None else transform(obs), int(knots))
    else:
        k = np.asarray(knots, dtype=float)
    if k.ndim != 1 or k.size < 3 or np.any(np.diff(k) <= 0):
        raise ParameterError(f"The 'knots' parameter of rcs_term must be at least 3 "
                             f"increasing numbers (or their number, with data); got "
                             f"{knots!r}.")

    def spline(d):
        x = np.asarray(d[column], dtype=float)
        return rcs_basis(x if transform is None else transform(x), k)

    spline.__qualname__ = f"rcs_term({column!r})"
    spline.knots = k  # type: ignore[attr-defined]
    return spline


@dataclass(frozen=True)
class CoxModelSpec:
    """The Cox design of the chain: ``plain`` variable indices entering as coded by
    ``fit_cox`` (with their block function) and derived ``terms`` (their ``uses`` are
    variable indices); ``strata`` codes of a stratified model (or None)."""

    plain: tuple[int, ...]
    terms: tuple[tuple[Term, tuple[int, ...]], ...]
    strata: np.ndarray | None = None

    @property
    def has_terms(self) -> bool:
        return bool(self.terms)

    def depends_on(self, i: int) -> bool:
        return i in self.plain or any(i in uses for _, uses in self.terms)

    def matrix(self, variables, xs, block, rows: np.ndarray | None = None,
               replace: tuple[int, np.ndarray] | None = None) -> np.ndarray:
        """Design of the Cox model at the current values ``xs`` (rows ``rows``; variable
        ``replace[0]`` taking the values ``replace[1]`` on those rows)."""
        def val(j: int) -> np.ndarray:
            if replace is not None and replace[0] == j:
                return replace[1]
            return xs[j] if rows is None else xs[j][rows]

        n = variables[0].x.size if rows is None else rows.size
        cols = [block(variables[j], val(j)) for j in self.plain]
        for term, uses in self.terms:
            cols_map = {variables[j].name: _labels(variables[j], val(j)) for j in uses}
            cols.append(evaluate_term(term.name, term.fn, cols_map, n))
        return np.column_stack(cols) if cols else np.empty((n, 0))


def _labels(v, x: np.ndarray) -> np.ndarray:
    """Values of a coded variable as a term reads them (as :func:`_values` of the column)."""
    if v.levels is None:
        return x
    lev = v.level_values[x.astype(int)]
    return lev.astype(float) if v.numeric else lev


def stratified_baseline(d: CoxData, beta: np.ndarray, ties: str, time: np.ndarray
                        ) -> np.ndarray:
    """Breslow's (Efron-corrected) cumulative baseline hazard at x = 0 of a stratified fit,
    evaluated at each row's ``time`` in the row's own stratum (as R
    ``basehaz(fit, centered = FALSE)`` per stratum)."""
    st = risk_state(d, beta, ties)
    inc = group_sum(d, st.step_wt / st.step_den) * np.exp(-float(d.means @ beta))
    out = np.zeros(time.size)
    for s in np.unique(d.strata):
        g = d.group_stratum == s
        rows = d.strata == s
        if g.any():
            out[rows] = step_at(d.group_time[g], np.cumsum(inc[g]), time[rows], before=0.0)
    return out


def term_columns(frame: pd.DataFrame, terms: list[Term]) -> dict[str, np.ndarray]:
    """The derived columns of a completed data set (``Term.columns`` -> values)."""
    out: dict[str, np.ndarray] = {}
    for t in terms:
        arr = evaluate_term(t.name, t.fn, {c: _values(frame[c]) for c in t.uses}, len(frame))
        out.update({c: arr[:, j] for j, c in enumerate(t.columns)})
    return out
