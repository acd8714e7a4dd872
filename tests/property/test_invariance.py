"""Property suite: every public data function, on any ordinary input (issue 13, DESIGN.md §4).

Coverage (the registry is tests/property/_registry.py; ``CALLS`` lists how each function is
called — multiple imputation, multi-state, joint and landmark super-models, STEPP, IECV,
random slopes, Guyot reconstruction, ADaM conversion and design replication included, with
settings cheap enough for the suite — and ``EXEMPT`` only ``build_report``, with its reason
and where it is tested):

=========================  ==================================================================
property                   functions
=========================  ==================================================================
row order                  every name in ``CALLS``; bitwise (exactly equal) for the
                           resampling functions in ``RESAMPLING`` (added_value: 1e-12,
                           the reason in its test)
index labels               every name in ``CALLS`` (duplicated, non-default ints, strings,
                           MultiIndex)
inputs unchanged           every name in ``CALLS``
nullable / categorical     every name in ``CALLS`` (Int64, Float64, boolean, category;
                           categories with an unused level)
no raw exception           every name in ``CALLS`` (missing values, text in a numeric column,
                           one row, no events): only ctcstats errors, no RuntimeWarning
time units (1e-9 … 1e9)    every name in ``CALLS`` with a time column
                           (``test_time_units_every_function``: each number unchanged or
                           changed only by the unit; ``EXEMPT_TIME`` lists the exceptions,
                           known failures included) and, exactly unchanged, the numbers
                           ``time_invariant`` names
covariate units / shifts   tests/test_units.py (Cox, Firth, Fine–Gray, batch, count models,
                           IPCW logistic) and ``test_covariate_shift_and_scale`` below
group relabelling          ``test_group_relabelling`` below (log-rank, pairwise, KM, batch)
parameters named           every name in ``CALLS``, each parameter with bad values in
                           tests/property/test_parameters.py ``BAD``
=========================  ==================================================================

``test_every_public_data_function_is_covered`` fails when a public function that takes data
is neither in ``CALLS`` nor in ``EXEMPT``. Examples are derandomised (tests/conftest.py) and
few per function, so the suite takes about a minute.
"""

from __future__ import annotations

import dataclasses
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats.errors import CTCStatsError

from ._registry import CALLS, EXEMPT, cohort, inputs

NAMES = sorted(CALLS)
FEW = settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
RTOL = 1e-7

_COHORT = cohort()


_DATA: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]] = {}


def _inputs(name: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    ds = CALLS[name].dataset
    if ds not in _DATA:
        _DATA[ds] = inputs(name)
    d, w = _DATA[ds]
    return d.copy(), (None if w is None else w.copy())


def _run(name: str, data, draws=None, s: float = 1.0):
    """Call with library warnings allowed; any other warning (RuntimeWarning, pandas
    FutureWarning) stays an error (pytest's filterwarnings = error)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.CTCStatsWarning)
        return CALLS[name].run(data, draws, s)


def _frame_numbers(t: pd.DataFrame) -> np.ndarray:
    num = t.select_dtypes(include=["number", "bool"]).astype(float).to_numpy()
    if num.size == 0:
        return num
    # rows in a canonical order (per-row outputs follow the input's order), sorted on values
    # rounded relative to each column's size, so that rounding noise (1e-17 vs -1e-18) does
    # not reorder them
    size = np.nanmax(np.abs(np.where(np.isfinite(num), num, np.nan)), axis=0, initial=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.round(num / np.where(size > 0, size, 1.0), 6)
    keys = [np.nan_to_num(rel[:, j], nan=np.inf) for j in range(num.shape[1])][::-1]
    return num[np.lexsort(keys)]


def _numbers(res) -> list[np.ndarray]:
    """Every number a result holds (scalars, tables with rows in a canonical order)."""
    if isinstance(res, pd.DataFrame):
        return [_frame_numbers(res)]
    if isinstance(res, pd.Series):
        return [_frame_numbers(res.to_frame())]
    out: list[np.ndarray] = []
    if dataclasses.is_dataclass(res):
        for f in dataclasses.fields(res):
            v = getattr(res, f.name)
            if isinstance(v, (bool, np.bool_)):
                continue
            if isinstance(v, (int, float, np.number)):
                out.append(np.array([float(v)]))
            elif isinstance(v, (pd.DataFrame, pd.Series)):
                out.extend(_numbers(v))
    return out


def _same(a, b, rtol: float = RTOL) -> None:
    na, nb = _numbers(a), _numbers(b)
    assert len(na) == len(nb)
    for x, y in zip(na, nb, strict=True):
        assert x.shape == y.shape
        assert_allclose(y, x, rtol=rtol, atol=1e-10, equal_nan=True)


_BASE: dict[str, object] = {}


def _base(name: str):
    if name not in _BASE:
        d, w = _inputs(name)
        _BASE[name] = _run(name, d, w)
    return _BASE[name]


# --------------------------------------------------------------------------- row order
@pytest.mark.parametrize("name", NAMES)
@FEW
@given(seed=st.integers(0, 2**16))
def test_row_order(name, seed):
    d, w = _inputs(name)
    g = np.random.default_rng(seed)
    d = d.iloc[g.permutation(len(d))]
    if w is not None:
        w = w.iloc[g.permutation(len(w))]
    _same(_base(name), _run(name, d, w))


# functions that resample (bootstrap, permutation, cross-validation) or scan: they analyse
# prepare_frame(canonical=True), so every sum is taken in the same order whatever the order
# of the rows — the results are bitwise identical, not merely equal to rounding
RESAMPLING = ["reclassification", "validate_model", "optimal_cutpoint", "cutpoint_stability",
              "validate_cutpoint", "stepp"]


@pytest.mark.parametrize("name", RESAMPLING)
@FEW
@given(seed=st.integers(0, 2**16))
def test_resampling_is_bitwise_invariant_to_row_order(name, seed):
    d, w = _inputs(name)
    g = np.random.default_rng(seed)
    d = d.iloc[g.permutation(len(d))]
    d.index = [f"r{i % 5}" for i in range(len(d))]
    for a, b in zip(_numbers(_base(name)), _numbers(_run(name, d, w)), strict=True):
        np.testing.assert_array_equal(b, a)


@FEW
@given(seed=st.integers(0, 2**16))
def test_added_value_row_order_to_the_last_bits(seed):
    """added_value returns its apparent Cox fits (base_fit, full_fit) with the caller's rows
    in the caller's order, so it does not analyse the canonical order; its resamples are the
    same rows (drawn on the canonical order) but the apparent fits, and each replicate's
    evaluation on the original rows, sum over the rows in the caller's order. Floating-point
    addition is not associative, so results agree to ~1e-13 relative, not bitwise (measured
    max 1.5e-13): tested at 1e-12."""
    d, w = _inputs("added_value")
    g = np.random.default_rng(seed)
    d = d.iloc[g.permutation(len(d))]
    ref, got = _base("added_value"), _run("added_value", d, w)
    for a, b in zip(_numbers(ref), _numbers(got), strict=True):
        assert_allclose(b, a, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- index labels
def _relabel(frame: pd.DataFrame, scheme: str) -> pd.DataFrame:
    out = frame.copy()
    n = len(out)
    if scheme == "duplicated":
        out.index = [7] * n
    elif scheme == "mixed duplicates":
        out.index = [f"id{i % 4}" for i in range(n)]
    elif scheme == "non-default ints":
        out.index = np.arange(n)[::-1] * 3 + 500
    elif scheme == "strings":
        out.index = [f"row-{i}" for i in range(n)]
    else:  # MultiIndex
        out.index = pd.MultiIndex.from_arrays([np.arange(n) % 2, np.arange(n) % 3])
    return out


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(scheme=st.sampled_from(["duplicated", "mixed duplicates", "non-default ints",
                               "strings", "MultiIndex"]))
def test_index_labels(name, scheme):
    d, w = _inputs(name)
    d = _relabel(d, scheme)
    if w is not None:
        w = _relabel(w, scheme)
    _same(_base(name), _run(name, d, w))


# --------------------------------------------------------------------------- inputs
@pytest.mark.parametrize("name", NAMES)
def test_inputs_unchanged(name):
    d, w = _inputs(name)
    d = _relabel(d, "mixed duplicates")
    d0 = d.copy(deep=True)
    w0 = None if w is None else w.copy(deep=True)
    _run(name, d, w)
    pd.testing.assert_frame_equal(d, d0)
    if w is not None:
        pd.testing.assert_frame_equal(w, w0)


# --------------------------------------------------------------------------- dtypes
def _nullable(frame: pd.DataFrame, categorical: bool) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = s.astype("boolean")
        elif pd.api.types.is_integer_dtype(s):
            out[c] = s.astype("Int64")
        elif pd.api.types.is_float_dtype(s):
            out[c] = s.astype("Float64")
        elif categorical:
            out[c] = s.astype("category")
        else:
            out[c] = s.astype("string")
    return out


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("categorical", [True, False], ids=["category", "string"])
def test_nullable_and_categorical_dtypes(name, categorical):
    d, w = _inputs(name)
    d = _nullable(d, categorical)
    if w is not None:
        w = _nullable(w, categorical)
    _same(_base(name), _run(name, d, w))


def _unused_level(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as categoricals with an extra level no row has, sorted first (so that it
    would become the reference level of a Cox term, a group, a study or a patient if unused
    levels were not dropped)."""
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            levels = sorted(s.dropna().astype(str).unique())
            out[c] = pd.Categorical(s, categories=["(unused)", *levels])
    return out


@pytest.mark.parametrize("name", NAMES)
def test_categorical_with_unused_levels(name):
    """A categorical group, study, id or covariate column whose categories include a level no
    row has (as after subsetting a categorical frame) gives the same numbers as its text: no
    empty group, no zero-count row, no pandas FutureWarning about ``observed``."""
    d, w = _inputs(name)
    d = _unused_level(d)
    if w is not None:
        w = _unused_level(w)
    _same(_base(name), _run(name, d, w))


# --------------------------------------------------------------------------- raw exceptions
def _corrupt(frame: pd.DataFrame, kind: str, col: str) -> pd.DataFrame:
    out = frame.copy()
    if kind == "missing value":
        out[col] = out[col].astype(object)
        out.iloc[3, out.columns.get_loc(col)] = None
    elif kind == "text in column":
        out[col] = out[col].astype(object)
        out.iloc[5, out.columns.get_loc(col)] = "n/a"
    elif kind == "one row":
        out = out.iloc[:1]
    elif kind == "no rows":
        out = out.iloc[:0]
    elif kind == "infinite":
        if pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(float)
            out.iloc[2, out.columns.get_loc(col)] = np.inf
    elif kind == "constant":
        out[col] = out[col].iloc[0]
    return out


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_raw_exception_escapes(name, data):
    d, w = _inputs(name)
    kind = data.draw(st.sampled_from(["missing value", "text in column", "one row",
                                      "no rows", "infinite", "constant"]))
    col = data.draw(st.sampled_from(list(d.columns)))
    bad = _corrupt(d, kind, col)
    try:
        _run(name, bad, w)
    except CTCStatsError:
        pass  # a clear error of ours is the intended outcome


# --------------------------------------------------------------------------- time units
TIMED = [n for n in NAMES if CALLS[n].time_invariant is not None]


@pytest.mark.parametrize("name", TIMED)
@FEW
@given(factor=st.sampled_from([1e-9, 1e-4, 1 / 30.4375, 12.0, 1e4, 1e9]))
def test_time_units(name, factor):
    d, w = _inputs(name)
    get = CALLS[name].time_invariant
    ref = get(_base(name))
    d = d.assign(**{c: d[c] * factor for c in CALLS[name].time_cols})
    if w is not None:
        w = w.assign(**{c: w[c] * factor for c in CALLS[name].second_time_cols})
    got = get(_run(name, d, w, s=factor))
    assert_allclose(got, ref, rtol=1e-6, atol=1e-12, equal_nan=True)


def _takes_time(name: str) -> bool:
    params = inspect.signature(getattr(cs, name)).parameters
    return (any(p in params for p in ("time_col", "draw_time_col", "start_col"))
            or CALLS[name].dataset in ("illness", "curve", "adam", "design"))


# functions with a time column for which rescaling time is not claimed to be neutral
EXEMPT_TIME: dict[str, str] = {
    "predict_risk": "scores covariates with a model fitted on fixed data; no time column "
                    "of the data is used",
    "random_marker_slope": "the Poisson intercept is a log rate per unit time: it shifts by "
                           "log s with the same SE, so its z and p-value change (legitimately); "
                           "the marker's log HR, SE and tau are checked by test_time_units",
}
EVERY_TIMED = [n for n in NAMES if _takes_time(n) and n not in EXEMPT_TIME]


def _raw_numbers(res) -> list[np.ndarray]:
    """Every number a result holds, tables in the order the function gives their rows (the
    same input order in both runs)."""
    if isinstance(res, pd.Series):
        res = res.to_frame()
    if isinstance(res, pd.DataFrame):
        return [res[[c]].astype(float).to_numpy().ravel()
                for c in res.select_dtypes(include=["number", "bool"]).columns]
    out: list[np.ndarray] = []
    if dataclasses.is_dataclass(res):
        for f in dataclasses.fields(res):
            v = getattr(res, f.name)
            if isinstance(v, (bool, np.bool_)):
                continue
            if isinstance(v, (int, float, np.number)):
                out.append(np.array([float(v)]))
            elif isinstance(v, (pd.DataFrame, pd.Series)):
                out.extend(_raw_numbers(v))
            elif isinstance(v, tuple) and v and all(isinstance(x, pd.DataFrame) for x in v):
                for x in v:  # e.g. the imputed data sets
                    out.extend(_raw_numbers(x))
    return out


def _unit_laws(ref: np.ndarray, s: float) -> list[np.ndarray]:
    """What a number may become when time is measured in a unit 1/s as large: unchanged (a
    probability, a hazard ratio, a statistic), times s^k (a time, a time², a rate per unit
    time, an SD of a slope per unit time), shifted by ±log s (a log baseline hazard) or
    raised to the power s^±1 (a rate ratio per unit time, exp of a slope)."""
    out = [ref]
    out += [ref * s ** k for k in (1.0, -1.0, 2.0, -2.0, 0.5, -0.5)]
    out += [ref + c * np.log(s) for c in (1.0, -1.0)]
    with np.errstate(all="ignore"):
        out += [np.where(ref > 0, ref, np.nan) ** (s ** k) for k in (1.0, -1.0)]
    return out


@pytest.mark.parametrize("name", EVERY_TIMED)
@FEW
@given(factor=st.sampled_from([1e-9, 1e9, 1 / 30.4375, 365.25]))
def test_time_units_every_function(name, factor):
    """Rescaling every time (data, draws, horizons, landmarks, tau) changes every number of
    the result only by the unit: each is unchanged or a power of the factor times the
    original (times, rates) or shifted by its log (log baseline hazards). Merging ties by
    an absolute tolerance, a time grid in fixed units or a unit-dependent optimiser start
    all break it."""
    d, w = _inputs(name)
    ref = _raw_numbers(_base(name))
    d = d.assign(**{c: d[c] * factor for c in CALLS[name].time_cols})
    if w is not None:
        w = w.assign(**{c: w[c] * factor for c in CALLS[name].second_time_cols})
    got = _raw_numbers(_run(name, d, w, s=factor))
    assert len(got) == len(ref)
    for j, (a, b) in enumerate(zip(ref, got, strict=True)):
        assert a.shape == b.shape, j
        ok = np.isnan(a) & np.isnan(b)
        for law in _unit_laws(a, factor):
            scale = np.nanmax(np.abs(law), initial=0.0)
            with np.errstate(invalid="ignore"):
                ok |= np.abs(b - law) <= 1e-6 * np.abs(law) + 1e-9 * scale
                ok |= b == law  # e.g. an IRR per tiny unit, exp(coef * 1e9) = inf by the law
        with np.errstate(all="ignore"):  # a log-likelihood of event times: + k log s, k whole
            k = (b - a) / np.log(factor)
            ok |= (np.abs(k - np.round(k)) < 1e-6 * np.maximum(1.0, np.abs(k))) & (
                np.abs(np.round(k)) <= 10 * len(d))
        ok |= (a == b)  # infinities
        bad = np.flatnonzero(~ok)
        assert bad.size == 0, (
            f"number set {j}: at positions {bad[:5]} the result was {a[bad[:5]]} and is "
            f"{b[bad[:5]]} with times x {factor:g}")


# --------------------------------------------------------------------------- relabelling
@pytest.mark.parametrize("name", ["logrank_test", "pairwise_logrank_test", "kaplan_meier",
                                  "batch_logrank", "detection_rates"])
def test_group_relabelling(name):
    """Renaming the groups (text ↔ numbers, another order of names) changes no number."""
    d, w = _inputs(name)
    ref = _base(name)
    # order-preserving renames keep the groups' order (and so every table row)
    for mapping in ({"G1": "a", "G2": "b", "G3": "c"}, {"G1": "grade 1", "G2": "grade 2",
                                                       "G3": "grade 3"}):
        e = d.assign(grade=d["grade"].map(mapping))
        e = e.assign(ctc_pos=e["ctc_pos"].map({0: "neg", 1: "pos"}))
        _same(ref, _run(name, e, w))


@pytest.mark.parametrize("shift,scale", [(-60.0, 1.0), (1e3, 1e-3), (0.0, -2.0)])
def test_covariate_shift_and_scale(shift, scale):
    """Shifting a covariate changes nothing in a Cox, Fine–Gray or count model but the
    intercept; scaling it divides its coefficient (and SE) by the factor."""
    d = _COHORT
    e = d.assign(age=(d["age"] + shift) * scale)
    for run in (lambda x: cs.fit_cox(x, **dict(time_col="time", event_col="event"),
                                     covariates=["age", "size"]).table,
                lambda x: cs.fit_fine_gray(x, time_col="time", event_col="status",
                                           covariates=["age", "size"]).table):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.CTCStatsWarning)
            a, b = run(d), run(e)
        assert_allclose(b.loc["age", "coef"] * scale, a.loc["age", "coef"], rtol=1e-7)
        assert_allclose(b.loc["age", "std_error"] * abs(scale), a.loc["age", "std_error"],
                        rtol=1e-7)
        assert_allclose(b.loc["size"].to_numpy(float), a.loc["size"].to_numpy(float),
                        rtol=1e-7)
        assert_allclose(b.loc["age", "p_value"], a.loc["age", "p_value"], rtol=1e-6)


# --------------------------------------------------------------------------- coverage
def _data_functions() -> list[str]:
    out = []
    for n in cs.__all__:
        f = getattr(cs, n)
        if inspect.isfunction(f):
            params = list(inspect.signature(f).parameters)
            if params and (params[0] in ("data", "draws")
                           or (len(params) > 1 and params[1] == "data")):
                out.append(n)
    return out


def test_every_public_data_function_is_covered():
    missing = [n for n in _data_functions() if n not in CALLS and n not in EXEMPT]
    assert not missing, (
        f"public data functions without a property-suite entry: {missing} — add them to "
        "tests/property/_registry.py CALLS (or, with the reason, to EXEMPT)")
    stale = [n for n in list(CALLS) + list(EXEMPT) if n not in cs.__all__]
    assert not stale, f"registry names that are not public: {stale}"
