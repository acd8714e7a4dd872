"""Row order and index labels never change a result (DESIGN.md §4, issue 13).

Bootstrap, permutation and cross-validation draws are taken on the canonical row order
(:func:`ctcstats._validation.canonical_order`), so shuffling the rows gives the same result
for the same ``rng``; rows are addressed by position, so duplicated, non-default and
MultiIndex labels work. Each test here fails on the code before the fix (the resampling
functions drew positions in the caller's order; ``log_hr_from_ci``, ``leave_one_out``,
``marker_table(missing="report")``, ``validate_draws`` and the report looked rows up by label).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import ctcstats as cs
from ctcstats._validation import bootstrap_positions, canonical_order
from ctcstats.data import validate_draws

RTOL = 1e-10  # leave_one_out, log_hr_from_ci: sums in another order; the resampling functions
#               are bitwise invariant (tests/property: test_resampling_is_bitwise_...)


def _cohort(n: int = 150, seed: int = 3) -> pd.DataFrame:
    g = np.random.default_rng(seed)
    ctc = (g.random(n) < 0.4).astype(int)
    size = np.round(g.gamma(2.0, 1.2, n), 1)
    t = g.exponential(40 / np.exp(0.7 * ctc + 0.3 * size))
    c = g.uniform(10, 80, n)
    d = pd.DataFrame({"time": np.round(np.minimum(t, c), 1) + 0.1,
                      "event": (t <= c).astype(int), "ctc": ctc, "size": size})
    d["r_base"] = 1 / (1 + np.exp(2 - 0.5 * d["size"]))
    d["r_new"] = 1 / (1 + np.exp(2 - 0.5 * d["size"] - 0.8 * d["ctc"]))
    return d


def _variants(d: pd.DataFrame) -> dict[str, pd.DataFrame]:
    g = np.random.default_rng(11)
    dup = d.copy()
    dup.index = ["p"] * len(d)
    odd = d.copy()
    odd.index = np.arange(len(d))[::-1] * 7 + 1000
    multi = d.copy()
    multi.index = pd.MultiIndex.from_arrays([np.arange(len(d)) % 3, np.arange(len(d)) % 5])
    shuffled = d.iloc[g.permutation(len(d))]
    both = shuffled.copy()
    both.index = ["q"] * len(d)
    return {"shuffled": shuffled, "duplicated": dup, "non-default": odd, "multi": multi,
            "shuffled+duplicated": both}


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    num = a.select_dtypes("number").columns
    assert_allclose(b[num].to_numpy(float), a[num].to_numpy(float), rtol=RTOL, atol=1e-13)


def test_canonical_order_is_independent_of_row_order():
    d = pd.DataFrame({"a": [2, 1, 2, 1, 3], "b": ["y", "x", "x", "x", "z"],
                      "c": pd.array([1.5, None, 0.5, 2.0, 1.0], dtype="Float64")})
    ref = d.iloc[canonical_order(d)].reset_index(drop=True)
    for perm in ([4, 3, 2, 1, 0], [1, 3, 0, 2, 4], [2, 0, 4, 1, 3]):
        s = d.iloc[perm]
        got = s.iloc[canonical_order(s)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, ref)
    assert ref["a"].tolist() == [1, 1, 2, 2, 3]
    assert ref["b"].tolist()[:2] == ["x", "x"]


def test_bootstrap_positions_pick_the_same_rows_after_shuffling():
    d = _cohort(40)
    perm = np.random.default_rng(2).permutation(len(d))
    a = bootstrap_positions(np.random.default_rng(5), d, 6)
    b = bootstrap_positions(np.random.default_rng(5), d.iloc[perm], 6)
    assert a.shape == b.shape == (6, 40)
    for ra, rb in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(
            d.iloc[ra].sort_values(list(d.columns)).reset_index(drop=True),
            d.iloc[perm].iloc[rb].sort_values(list(d.columns)).reset_index(drop=True))


def test_added_value_bootstrap_is_invariant_to_rows():
    d = _cohort()

    def run(x):
        return cs.added_value(x, time_col="time", event_col="event", base_covariates=["size"],
                              new_covariates=["ctc"], horizon=20, n_boot=25, rng=4).table

    ref = run(d)
    assert np.isfinite(ref["ci_lower"]).sum() >= 4
    for v in _variants(d).values():
        _same(ref, run(v))


def test_reclassification_bootstrap_is_invariant_to_rows():
    d = _cohort()

    def run(x):
        return cs.reclassification(x, time_col="time", event_col="event",
                                   base_risk_col="r_base", risk_col="r_new", horizon=20,
                                   n_boot=30, rng=7).table

    ref = run(d)
    assert np.isfinite(ref["ci_lower"]).all()
    for v in _variants(d).values():
        _same(ref, run(v))


@pytest.mark.parametrize("method", ["bootstrap", "cv"])
def test_validate_model_draws_are_invariant_to_rows(method):
    d = _cohort(120)

    def run(x):
        return cs.validate_model(cs.CoxModel(), x, time_col="time", event_col="event",
                                 covariates=["size", "ctc"], horizon=20, n_boot=4,
                                 method=method, n_folds=3, n_repeats=1, rng=9).table

    ref = run(d)
    for name in ("shuffled", "shuffled+duplicated"):
        _same(ref, run(_variants(d)[name]))


def _published() -> pd.DataFrame:
    return pd.DataFrame({"study": list("ABCDE"), "hr": [1.5, 2.0, 1.2, 3.0, 0.9],
                         "lo": [1.0, 1.1, 0.7, 1.5, 0.5], "hi": [2.25, 3.6, 2.06, 6.0, 1.62]})


def test_log_hr_from_ci_with_any_labels():
    m = _published()
    ref = cs.log_hr_from_ci(m, hr_col="hr", lower_col="lo", upper_col="hi")
    for name, v in _variants(m).items():
        got = cs.log_hr_from_ci(v, hr_col="hr", lower_col="lo", upper_col="hi")
        assert got.index.equals(v.index), name  # the caller's rows, labels kept
        got = got.set_index("study").loc[ref["study"]].reset_index()
        _same(ref, got)


def test_log_hr_from_ci_error_names_the_row_label():
    m = _published()
    m.loc[2, "lo"] = 1.3  # CI does not contain the HR
    m.index = ["s1", "s2", "s3", "s3", "s5"]
    with pytest.raises(cs.DataValidationError, match=r"row 's3': the CI \(1\.3, 2\.06\)"):
        cs.log_hr_from_ci(m, hr_col="hr", lower_col="lo", upper_col="hi")


def test_leave_one_out_with_any_labels():
    m = _published()
    m = pd.concat([m, cs.log_hr_from_ci(m, hr_col="hr", lower_col="lo",
                                        upper_col="hi")[["log_hr", "std_error"]]], axis=1)
    ref = cs.leave_one_out(m, estimate_col="log_hr", std_error_col="std_error",
                           study_col="study", method="dl")
    for v in _variants(m).values():
        got = cs.leave_one_out(v, estimate_col="log_hr", std_error_col="std_error",
                               study_col="study", method="dl")
        _same(ref, got.set_index("study").loc[ref["study"]].reset_index())


def test_marker_table_report_missing_with_duplicated_labels():
    d = _cohort(60)
    d = d.assign(grade=np.where(d["size"] > 2, "G3", "G1"))
    d.loc[[3, 7], "ctc"] = np.nan
    with pytest.warns(cs.DataWarning, match="first row labels: 3, 7"):
        ref = cs.marker_table(d, marker_col="ctc", covariates=["size", "grade"],
                              missing="report").table
    dup = d.copy()
    dup.index = ["x"] * len(d)
    with pytest.warns(cs.DataWarning, match="2 missing values"):
        got = cs.marker_table(dup, marker_col="ctc", covariates=["size", "grade"],
                              missing="report").table
    pd.testing.assert_frame_equal(got, ref)


def test_validate_draws_with_duplicated_labels():
    sc = cs.simulate_study("hayes2006", rng=1)
    draws = sc.draws.iloc[:60]
    ref = validate_draws(draws)
    dup = draws.copy()
    dup.index = [0] * len(draws)
    got = validate_draws(dup)
    assert len(got) == len(ref)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ref.reset_index(drop=True))


def test_build_report_with_shuffled_rows_and_duplicated_labels():
    from ctcstats.report import Analyses, AnalysisSpec, EndpointSpec, build_report

    from .report._cohort import small_cohort

    df = small_cohort(n=120)
    df["ctc_positive"] = (df["ctc_count"] >= 5).astype(int)
    df.loc[[3, 7], "age"] = float("nan")  # the analysed rows are picked by position
    spec = AnalysisSpec(marker_col="ctc_positive", marker_label="CTC",
                        endpoints=(EndpointSpec("os", "os_months", "os_event"),),
                        covariates=("age",), missing="drop", analyses=Analyses(prognostic=False))
    v = df.iloc[np.random.default_rng(1).permutation(len(df))]
    v.index = ["pt"] * len(df)

    def text(x):  # the data's checksum identifies the input as given; the rest must agree
        return "\n".join(line for line in build_report(x, spec).splitlines()
                         if "SHA-256 of the data" not in line)

    ref = text(df)
    assert "118 of 120 patients analysed" in ref
    assert text(v) == ref
