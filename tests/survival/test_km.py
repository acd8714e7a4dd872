"""Kaplan–Meier against R's survival package (tests/reference/km/, survival 3.5).

The R script ``tests/reference/km/km.R`` fits, for every input CSV and every setting
(conf.type "log-log", "log", "plain" at conf.int 0.95 and "log-log" at 0.90)::

    fit <- survfit(Surv(time, event) ~ group, data = d, conf.type = ..., conf.int = ...)
    summary(fit, censored = TRUE)                 # -> table
    summary(fit, times = times[, extend = TRUE])  # -> at / at_extend
    quantile(fit, probs = 0.5)                    # -> quantile
    summary(fit)$table[, c("median", "0.95LCL", "0.95UCL")]    # -> printed
    summary(fit, rmean = tau)$table[, c("rmean", "se(rmean)")]  # -> rmean
    quantile(survfit(Surv(time, 1 - event) ~ group, ...), 0.5)  # -> reverse (+ ~ 1)

Tolerance: RTOL = 1e-10 relative. Every quantity is a closed form (products, cumulative
sums, exp/log, a square root) evaluated in double precision by both R and numpy, in
slightly different order (R's C loop vs. numpy's cumprod/cumsum), and R's JSON keeps 15
significant digits: the expected discrepancy is ~1e-15 times the number of terms (< 1e3).
1e-10 leaves five orders of magnitude of headroom yet catches any formula difference
(those show at 1e-4 or above). Times and counts are compared exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ctcstats.errors import DataWarning
from ctcstats.survival.km import KaplanMeierResult, kaplan_meier
from tests.reference._load import as_array, load_input, load_output

RTOL = 1e-10
TOPIC = "km"
INPUTS = [
    "ties_1grp",
    "ties_3grp",
    "large_3grp",
    "to_zero",
    "flat_half",
    "flat_half_end",
    "never_half",
    "no_events",
    "zero_time",
    "lung",
    "gbsg2",
]
SETTINGS = {
    "log-log": ("log-log", 0.95),
    "log": ("log", 0.95),
    "plain": ("plain", 0.95),
    "log-log-0.9": ("log-log", 0.90),
}


def _fit(name: str, conf_type: str = "log-log", conf_level: float = 0.95) -> KaplanMeierResult:
    data = load_input(TOPIC, name)
    group_col = "group" if "group" in data.columns else None
    if name == "no_events":
        with pytest.warns(DataWarning, match="Group 'Y' of 'group' .* no events"):
            return kaplan_meier(data, time_col="time", event_col="event",
                                group_col=group_col, conf_type=conf_type,
                                conf_level=conf_level)
    return kaplan_meier(data, time_col="time", event_col="event", group_col=group_col,
                        conf_type=conf_type, conf_level=conf_level)


def _labels(values) -> list[str]:
    return [str(v) for v in (values if isinstance(values, list) else [values])]


def _compare_rows(ours: pd.DataFrame, ref: dict, *, survival_one_ci: bool = True) -> None:
    assert [str(g) for g in ours["group"]] == _labels(ref["strata"])
    assert_array_equal(ours["time"].to_numpy(float), as_array(ref["time"]))
    assert_array_equal(ours["n_at_risk"].to_numpy(float), as_array(ref["n_risk"]))
    assert_array_equal(ours["n_events"].to_numpy(float), as_array(ref["n_event"]))
    assert_array_equal(ours["n_censored"].to_numpy(float), as_array(ref["n_censor"]))
    surv = as_array(ref["surv"])
    assert_allclose(ours["survival"], surv, rtol=RTOL)
    assert_allclose(ours["std_error"], as_array(ref["std_err"]), rtol=RTOL)
    for col, key in (("ci_lower", "lower"), ("ci_upper", "upper")):
        expected = as_array(ref[key])
        if survival_one_ci:
            # R leaves log-log limits NA where S(t) = 1; ctcstats reports [1, 1] there.
            expected = np.where(np.isnan(expected) & (surv == 1.0), 1.0, expected)
        assert_allclose(ours[col], expected, rtol=RTOL)


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("name", INPUTS)
def test_table_matches_summary_survfit_censored(name: str, setting: str) -> None:
    """R: summary(survfit(Surv(time, event) ~ group, conf.type=, conf.int=), censored=TRUE)."""
    res = _fit(name, *SETTINGS[setting])
    ref = load_output(TOPIC, name)["fits"][setting]
    _compare_rows(res.table, ref["table"])
    assert list(res.table.columns) == [
        "group", "time", "n_at_risk", "n_events", "n_censored", "survival", "std_error",
        "ci_lower", "ci_upper",
    ]


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("name", INPUTS)
def test_survival_at_matches_summary_times(name: str, setting: str) -> None:
    """R: summary(fit, times = times, extend = TRUE) and summary(fit, times = times).

    n.risk is the number at risk at t; n.event / n.censor are summed over (previous
    requested time, t]. With extend = FALSE R drops times past a curve's last time; ctcstats
    keeps those rows with NaN estimates (n_at_risk 0).
    """
    res = _fit(name, *SETTINGS[setting])
    out = load_output(TOPIC, name)
    ref = out["fits"][setting]
    times = as_array(out["times"])
    _compare_rows(res.survival_at(times, extend=True), ref["at_extend"])
    at = res.survival_at(times)
    beyond = np.zeros(len(at), dtype=bool)
    for g in res.groups:
        rows = (at["group"] == g).to_numpy()
        last = res.table.loc[res.table["group"] == g, "time"].max()
        beyond |= rows & (at["time"].to_numpy() > last)
    _compare_rows(at[~beyond], ref["at"])
    assert at.loc[beyond, ["survival", "std_error", "ci_lower", "ci_upper"]].isna().all().all()
    assert (at.loc[beyond, "n_at_risk"] == 0).all()


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("name", INPUTS)
def test_median_matches_quantile_survfit(name: str, setting: str) -> None:
    """R: quantile(fit, probs = 0.5) -> $quantile, $lower, $upper (survival:::findq)."""
    res = _fit(name, *SETTINGS[setting])
    ref = load_output(TOPIC, name)["fits"][setting]["quantile"]
    assert [str(g) for g in res.median["group"]] == _labels(ref["strata"])
    assert_allclose(res.median["median"], as_array(ref["median"]), rtol=RTOL)
    assert_allclose(res.median["ci_lower"], as_array(ref["lower"]), rtol=RTOL)
    assert_allclose(res.median["ci_upper"], as_array(ref["upper"]), rtol=RTOL)


@pytest.mark.parametrize("name", [n for n in INPUTS if n != "flat_half_end"])
def test_median_agrees_with_print_survfit(name: str) -> None:
    """R: summary(fit)$table[, c("median", "0.95LCL", "0.95UCL")] (print.survfit's numbers)."""
    res = _fit(name)
    ref = load_output(TOPIC, name)["fits"]["log-log"]["printed"]
    assert_allclose(res.median["median"], as_array(ref["median"]), rtol=RTOL)
    assert_allclose(res.median["ci_lower"], as_array(ref["lower"]), rtol=RTOL)
    assert_allclose(res.median["ci_upper"], as_array(ref["upper"]), rtol=RTOL)


def test_median_flat_at_half_is_midpoint() -> None:
    """S(t) = 0.5 exactly on [3, 5): R quantile(fit, 0.5) and print(fit) both give 4."""
    res = _fit("flat_half")
    assert res.median["median"].iloc[0] == 4.0
    assert np.isnan(res.median["ci_upper"].iloc[0])


def test_median_flat_at_half_to_the_end_follows_quantile() -> None:
    """S(t) = 0.5 from t = 2 to the last time 4.

    R quantile(fit, 0.5) gives (2 + 4) / 2 = 3; print(fit) (survmean) gives 2. ctcstats
    follows quantile.survfit, and the stored R outputs show both numbers.
    """
    res = _fit("flat_half_end")
    ref = load_output(TOPIC, "flat_half_end")["fits"]["log-log"]
    assert ref["quantile"]["median"] == 3 and ref["printed"]["median"] == 2
    assert res.median["median"].iloc[0] == 3.0


def test_median_never_reaching_half_is_nan() -> None:
    """R: quantile(fit, 0.5)$quantile is NA when S(t) stays above 0.5."""
    res = _fit("never_half")
    assert np.isnan(res.median["median"].iloc[0])
    assert res.table["survival"].min() > 0.5


def _rmst_expected_warning(res: KaplanMeierResult, tau: float) -> bool:
    for g in res.groups:
        rows = res.table[res.table["group"] == g]
        if tau > rows["time"].iloc[-1] and rows["survival"].iloc[-1] > 0:
            return True
    return False


@pytest.mark.parametrize("setting", ["log-log", "log-log-0.9"])
@pytest.mark.parametrize("name", INPUTS)
def test_rmst_matches_survmean(name: str, setting: str) -> None:
    """R: summary(fit, rmean = tau)$table[, c("rmean", "se(rmean)")] for three taus."""
    res = _fit(name, *SETTINGS[setting])
    ref = load_output(TOPIC, name)["fits"][setting]
    z = {0.95: 1.959963984540054, 0.90: 1.6448536269514722}[res.conf_level]
    for block in ref["rmean"]:
        tau = float(block["tau"])
        if _rmst_expected_warning(res, tau):
            with pytest.warns(DataWarning, match="beyond the last follow-up time of group"):
                out = res.rmst(tau)
        else:
            out = res.rmst(tau)
        assert [str(g) for g in out["group"]] == _labels(block["strata"])
        assert_allclose(out["rmst"], as_array(block["rmean"]), rtol=RTOL)
        # se can be exactly 0 (no events before tau); atol covers those only.
        assert_allclose(out["std_error"], as_array(block["se"]), rtol=RTOL, atol=1e-14)
        assert_allclose(out["ci_lower"], out["rmst"] - z * out["std_error"], rtol=1e-14)
        assert_allclose(out["ci_upper"], out["rmst"] + z * out["std_error"], rtol=1e-14)


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("name", INPUTS)
def test_median_followup_matches_reverse_km(name: str, setting: str) -> None:
    """R: quantile(survfit(Surv(time, 1 - event) ~ group, conf.type=, conf.int=), 0.5),
    plus survfit(Surv(time, 1 - event) ~ 1) for the overall "all" row of grouped fits."""
    res = _fit(name, *SETTINGS[setting])
    ref = load_output(TOPIC, name)["fits"][setting]
    mf = res.median_followup
    exp_groups = _labels(ref["reverse"]["strata"])
    cols = {k: as_array(ref["reverse"][k]) for k in ("median", "lower", "upper")}
    if res.group_col is not None:
        exp_groups.append("all")
        for k in cols:
            cols[k] = np.concatenate((cols[k], as_array(ref["reverse_all"][k])))
    assert [str(g) for g in mf["group"]] == exp_groups
    assert_allclose(mf["median_followup"], cols["median"], rtol=RTOL)
    assert_allclose(mf["ci_lower"], cols["lower"], rtol=RTOL)
    assert_allclose(mf["ci_upper"], cols["upper"], rtol=RTOL)


def test_survival_matches_lifelines() -> None:
    """Cross-check of the product-limit estimate with lifelines' KaplanMeierFitter."""
    from lifelines import KaplanMeierFitter

    data = load_input(TOPIC, "gbsg2")
    res = _fit("gbsg2")
    for g in res.groups:
        sub = data[data["group"] == g]
        kmf = KaplanMeierFitter().fit(sub["time"], sub["event"])
        rows = res.table[res.table["group"] == g]
        expected = kmf.survival_function_at_times(rows["time"].to_numpy()).to_numpy()
        assert_allclose(rows["survival"], expected, rtol=1e-12)


def test_lung_real_data_summary() -> None:
    """lifelines.datasets.load_lung by sex; R print(survfit(Surv(time, status) ~ sex, lung)):
    n = 138 / 90, events 112 / 53, medians 270 / 426."""
    res = _fit("lung")
    assert res.n_obs == 228 and res.n_dropped == 0
    totals = res.table.groupby("group")["n_events"].sum()
    assert totals.tolist() == [112, 53]
    assert res.median["median"].tolist() == [270.0, 426.0]
    assert res.warnings == ()


def test_result_fields_and_dict() -> None:
    res = _fit("ties_3grp")
    assert res.conf_level == 0.95 and res.conf_type == "log-log"
    assert res.groups == ("A", "B", "C")
    d = res.to_dict()
    assert d["result"] == "KaplanMeierResult" and "_curves" not in d
    assert len(d["table"]) == len(res.table)
    assert "Kaplan–Meier" in str(res) and "<table" in res._repr_html_()
    assert repr(res).startswith("<KaplanMeierResult conf_level=0.95")
