"""How to call each public data function on small, valid data (the property suite's registry).

``CALLS`` maps a public name to a :class:`Call`: which data set it takes (``cohort``,
``meta`` or ``cohort+draws``) and a function ``run(data, draws, s)`` that calls it, with every
time-valued parameter (horizon, tau, landmark, ...) multiplied by ``s`` (the time unit of the
data). ``time_invariant`` extracts the numbers that must not change when the times are
rescaled (None: the property is not claimed for this function — see ``EXEMPT_TIME``).
``EXEMPT`` lists the public data functions that are not in ``CALLS``, each with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import ctcstats as cs


def cohort(n: int = 90, seed: int = 7) -> pd.DataFrame:
    """Patients: survival, competing status, counts, covariates, risks, study, treatment."""
    g = np.random.default_rng(seed)
    ctc = np.where(g.random(n) < 0.45, 0, g.negative_binomial(0.8, 0.15, n)).astype(int)
    age = np.round(g.normal(60, 9, n), 1)
    size = np.round(g.gamma(2.0, 1.1, n), 1)
    pos = (ctc >= 1).astype(int)
    trt = g.integers(0, 2, n)
    lp = 0.7 * pos + 0.03 * (age - 60) + 0.25 * size - 0.3 * trt
    t = g.exponential(30 / np.exp(lp))
    c = g.uniform(12, 60, n)
    time = np.round(np.minimum(t, c), 1) + 0.1
    event = (t <= c).astype(int)
    cause = np.where(event == 1, np.where(g.random(n) < 0.7, 1, 2), 0)
    risk = 1 - np.exp(-np.exp(lp - 1.5) * 12 / 30)
    return pd.DataFrame({
        "pid": [f"P{i:03d}" for i in range(n)],
        "time": time, "event": event, "status": cause,
        "ctc": ctc, "vol": np.round(g.uniform(7.0, 8.0, n), 1), "ctc_pos": pos,
        "age": age, "size": size, "grade": g.choice(["G1", "G2", "G3"], n),
        "study": np.array([f"S{k}" for k in range(1, 6)])[np.arange(n) % 5],
        "trt": trt, "risk": np.round(risk, 6),
        "risk_base": np.round(1 - np.exp(-np.exp(0.25 * size - 1.2) * 12 / 30), 6),
        "replicate": np.arange(n) % 3,
    })


def draws_for(data: pd.DataFrame, seed: int = 8) -> pd.DataFrame:
    """Serial counts: a baseline draw for everyone and one at 3 months while followed."""
    g = np.random.default_rng(seed)
    base = pd.DataFrame({"pid": data["pid"].to_numpy(), "draw_t": 0.0,
                         "count": data["ctc"].to_numpy(), "vol": 7.5})
    alive = data["time"].to_numpy() > 3.5
    later = pd.DataFrame({"pid": data["pid"].to_numpy()[alive], "draw_t": 3.0,
                          "count": g.poisson(2.0, int(alive.sum())), "vol": 7.5})
    return pd.concat([base, later], ignore_index=True)


def meta() -> pd.DataFrame:
    """Published hazard ratios of 8 studies (HR with CI, log-HR with SE, a subgroup)."""
    g = np.random.default_rng(3)
    se = np.round(g.uniform(0.12, 0.4, 8), 3)
    log_hr = np.round(g.normal(0.6, 0.25, 8), 3)
    z = 1.959963984540054
    return pd.DataFrame({"study": [f"Study {k}" for k in "ABCDEFGH"], "log_hr": log_hr,
                         "se": se, "hr": np.exp(log_hr), "lo": np.exp(log_hr - z * se),
                         "hi": np.exp(log_hr + z * se), "setting": ["early", "late"] * 4,
                         "n": g.integers(80, 400, 8)})


@dataclass(frozen=True)
class Call:
    run: Callable  # run(data, draws, s) -> result
    dataset: str = "cohort"  # "cohort", "meta" or "cohort+draws"
    time_invariant: Callable | None = None  # numbers unchanged when times are rescaled
    time_cols: tuple = ("time",)


TC = dict(time_col="time", event_col="event")


def _tab(name: str, cols: tuple | None = None) -> Callable:
    def get(res):
        t = getattr(res, name)
        t = t.select_dtypes("number") if cols is None else t[list(cols)]
        return t.to_numpy(float)
    return get


def _attrs(*names: str) -> Callable:
    return lambda res: np.array([float(getattr(res, n)) for n in names])


_COUNT_FIT_DATA = cohort()  # a fixed fit: the property is about the data predicted on


def _cox_model(d, s=1.0):
    fit = _COUNT_FIT_DATA  # a fixed development fit: the property is about the data scored
    return cs.CoxModel().fit(fit[["age", "size", "ctc_pos"]],
                             cs.survival_target(fit, **TC))


CALLS: dict[str, Call] = {
    # ---- survival
    "validate_cohort": Call(lambda d, w, s: cs.validate_cohort(
        d, **TC, group_col="ctc_pos", covariates=["age", "grade"]).flow),
    "kaplan_meier": Call(lambda d, w, s: cs.kaplan_meier(d, **TC, group_col="grade")),
    "logrank_test": Call(lambda d, w, s: cs.logrank_test(d, **TC, group_col="grade"),
                         time_invariant=_attrs("statistic", "p_value")),
    "pairwise_logrank_test": Call(lambda d, w, s: cs.pairwise_logrank_test(
        d, **TC, group_col="grade"), time_invariant=_tab("table")),
    "fit_cox": Call(lambda d, w, s: cs.fit_cox(d, **TC, covariates=["age", "size", "grade"]),
                    time_invariant=_tab("table")),
    "fit_piecewise_cox": Call(lambda d, w, s: cs.fit_piecewise_cox(
        d, **TC, covariates=["ctc_pos", "age"], split_at=(12.0 * s,)),
        time_invariant=_tab("table")),
    "cumulative_incidence": Call(lambda d, w, s: cs.cumulative_incidence(
        d, time_col="time", event_col="status", group_col="ctc_pos")),
    "fit_fine_gray": Call(lambda d, w, s: cs.fit_fine_gray(
        d, time_col="time", event_col="status", covariates=["age", "ctc_pos"]),
        time_invariant=_tab("table")),
    "competing_incidence": Call(lambda d, w, s: cs.competing_incidence(
        d, time_col="time", event_col="status", group_col="ctc_pos")),
    "fit_cause_specific_cox": Call(lambda d, w, s: cs.fit_cause_specific_cox(
        d, time_col="time", event_col="status", covariates=["age", "ctc_pos"]),
        time_invariant=_tab("table")),
    "marker_treatment_interaction": Call(lambda d, w, s: cs.marker_treatment_interaction(
        d, **TC, marker_col="ctc_pos", treatment_col="trt")),
    "noninferiority_test": Call(lambda d, w, s: cs.noninferiority_test(
        d, **TC, treatment_col="trt")),
    "treatment_subgroups": Call(lambda d, w, s: cs.treatment_subgroups(
        d, **TC, treatment_col="trt", subgroup_cols=["ctc_pos", "grade"])),
    # ---- serial draws
    "fit_time_varying_cox": Call(lambda d, w, s: cs.fit_time_varying_cox(
        d, draws=w, **TC, id_col="pid", draw_time_col="draw_t", count_col="count",
        threshold=1), dataset="cohort+draws"),
    "landmark_data": Call(lambda d, w, s: cs.landmark_data(
        d, draws=w, landmark=3.0 * s, **TC, id_col="pid", draw_time_col="draw_t",
        count_col="count", threshold=1), dataset="cohort+draws"),
    "landmark_analysis": Call(lambda d, w, s: cs.landmark_analysis(
        d, draws=w, landmarks=3.0 * s, **TC, id_col="pid", draw_time_col="draw_t",
        count_col="count", threshold=1), dataset="cohort+draws"),
    "guarantee_time_bias": Call(lambda d, w, s: cs.guarantee_time_bias(
        d, draws=w, landmark=3.0 * s, **TC, id_col="pid", draw_time_col="draw_t",
        count_col="count", threshold=1), dataset="cohort+draws"),
    "counting_process_data": Call(lambda d, w, s: cs.counting_process_data(
        d, draws=w, **TC, value_cols=["count"], id_col="pid", draw_time_col="draw_t",
        covariates=["age"]), dataset="cohort+draws"),
    "fit_locf_cox": Call(lambda d, w, s: cs.fit_locf_cox(
        d, draws=w, **TC, id_col="pid", count_col="count", draw_time_col="draw_t",
        volume_col="vol", covariates=["age"]), dataset="cohort+draws",
        time_invariant=_tab("table")),
    "landmark_stack": Call(lambda d, w, s: cs.landmark_stack(
        d, draws=w, landmarks=[0.0, 3.0 * s], horizon=12.0 * s, **TC, marker_col="count",
        id_col="pid", draw_time_col="draw_t", covariates=["age"]), dataset="cohort+draws"),
    # ---- counts
    "count_categories": Call(lambda d, w, s: cs.count_categories(d, count_col="ctc")),
    "detection_rates": Call(lambda d, w, s: cs.detection_rates(
        d, count_col="ctc", thresholds=(1, 5), group_col="grade")),
    "normalise_counts": Call(lambda d, w, s: cs.normalise_counts(
        d, count_col="ctc", volume_col="vol", per=7.5)),
    "fit_count_model": Call(lambda d, w, s: cs.fit_count_model(
        d, count_col="ctc", covariates=["age", "grade"], kind="negbin")),
    "predict_count_distribution": Call(lambda d, w, s: cs.predict_count_distribution(
        cs.fit_count_model(_COUNT_FIT_DATA, count_col="ctc", covariates=["age"],
                           kind="poisson"), d).drop(columns="row")),  # "row": the labels
    "compare_count_models": Call(lambda d, w, s: cs.compare_count_models(
        d, count_col="ctc", covariates=["age"], kinds=("poisson", "negbin"))),
    # ---- cut-points and association
    "optimal_cutpoint": Call(lambda d, w, s: cs.optimal_cutpoint(
        d, marker_col="ctc", **TC), time_invariant=_attrs("statistic", "p_value", "cutpoint")),
    "cutpoint_stability": Call(lambda d, w, s: cs.cutpoint_stability(
        d, marker_col="ctc", **TC, n_boot=8, rng=1)),
    "validate_cutpoint": Call(lambda d, w, s: cs.validate_cutpoint(
        d, marker_col="ctc", **TC, rng=1)),
    "marker_association": Call(lambda d, w, s: cs.marker_association(
        d, marker_col="ctc_pos", covariates=["age", "grade"])),
    "marker_table": Call(lambda d, w, s: cs.marker_table(
        d, marker_col="ctc_pos", covariates=["age", "grade", "size"])),
    # ---- prognostic
    "concordance_index": Call(lambda d, w, s: cs.concordance_index(d, **TC, risk_col="risk"),
                              time_invariant=_attrs("estimate", "std_error")),
    "time_dependent_auc": Call(lambda d, w, s: cs.time_dependent_auc(
        d, **TC, risk_col="risk", horizon=12.0 * s), time_invariant=_attrs("estimate")),
    "brier_score": Call(lambda d, w, s: cs.brier_score(
        d, **TC, risk_col="risk", horizon=12.0 * s), time_invariant=_attrs("estimate")),
    "calibration": Call(lambda d, w, s: cs.calibration(
        d, **TC, risk_col="risk", horizon=12.0 * s, n_groups=4),
        time_invariant=_attrs("slope", "oe_ratio", "ici")),
    "decision_curve": Call(lambda d, w, s: cs.decision_curve(
        d, **TC, risk_cols=["risk", "risk_base"], horizon=12.0 * s)),
    "integrated_brier_score": Call(lambda d, w, s: cs.integrated_brier_score(
        d, **TC, risk_cols={6.0 * s: "risk_base", 12.0 * s: "risk"})),
    "reclassification": Call(lambda d, w, s: cs.reclassification(
        d, **TC, base_risk_col="risk_base", risk_col="risk", horizon=12.0 * s, n_boot=10,
        rng=2), time_invariant=_tab("table")),
    "added_value": Call(lambda d, w, s: cs.added_value(
        d, **TC, base_covariates=["size"], new_covariates=["ctc_pos"], horizon=12.0 * s,
        n_boot=6, rng=3)),
    "survival_target": Call(lambda d, w, s: cs.survival_target(d, **TC)),
    "validate_model": Call(lambda d, w, s: cs.validate_model(
        cs.CoxModel(), d, **TC, covariates=["age", "size"], horizon=12.0 * s, n_boot=3,
        rng=4)),
    "external_validation": Call(lambda d, w, s: cs.external_validation(
        _cox_model(d), d, **TC, covariates=["age", "size", "ctc_pos"], horizon=12.0 * s,
        n_groups=4)),
    "predict_risk": Call(lambda d, w, s: cs.predict_risk(
        _cox_model(d), d[["age", "size", "ctc_pos"]], horizon=12.0)),
    "nomogram": Call(lambda d, w, s: cs.nomogram(
        cs.fit_cox(d, **TC, covariates=["age", "ctc_pos"]), d, horizon=12.0 * s)),
    # ---- pooling
    "meta_analysis": Call(lambda d, w, s: cs.meta_analysis(
        d, estimate_col="log_hr", std_error_col="se", study_col="study"), dataset="meta"),
    "leave_one_out": Call(lambda d, w, s: cs.leave_one_out(
        d, estimate_col="log_hr", std_error_col="se", study_col="study"), dataset="meta"),
    "subgroup_meta_analysis": Call(lambda d, w, s: cs.subgroup_meta_analysis(
        d, estimate_col="log_hr", std_error_col="se", subgroup_col="setting",
        study_col="study"), dataset="meta"),
    "egger_test": Call(lambda d, w, s: cs.egger_test(
        d, estimate_col="log_hr", std_error_col="se"), dataset="meta"),
    "log_hr_from_ci": Call(lambda d, w, s: cs.log_hr_from_ci(
        d, hr_col="hr", lower_col="lo", upper_col="hi"), dataset="meta"),
    "ipd_meta_analysis": Call(lambda d, w, s: cs.ipd_meta_analysis(
        d, study_col="study", **TC, marker_col="ctc_pos"), time_invariant=_tab("table")),
    "study_effects": Call(lambda d, w, s: cs.study_effects(
        d, study_col="study", **TC, covariates=["ctc_pos"]), time_invariant=None),
    # ---- batch
    "batch_cox": Call(lambda d, w, s: cs.batch_cox(
        d, **TC, covariates=["age", "ctc_pos"], replicate_col="replicate")),
    "batch_logrank": Call(lambda d, w, s: cs.batch_logrank(
        d, **TC, group_col="ctc_pos", replicate_col="replicate")),
    # ---- missing data
    "missing_table": Call(lambda d, w, s: cs.missing_table(d, ["age", "grade"])),
    "missing_pattern": Call(lambda d, w, s: cs.missing_pattern(d, ["age", "grade"])),
}

# Public functions that take data but are not (yet) in CALLS, with the reason.
EXEMPT: dict[str, str] = {
    "build_report": "minutes per call; row order and labels are covered by "
                    "tests/test_row_order.py::test_build_report_with_shuffled_rows_and_"
                    "duplicated_labels",
    "reconstruct_ipd": "takes digitised curve coordinates, not patient rows",
    "adam_to_survival": "takes a CDISC ADaM table (PARAMCD/AVAL/CNSR), not the cohort layout",
    "replicate_cohort": "needs a design's cohort columns; tested in tests/designs",
    "dynamic_performance": "takes fitted landmark models; see tests/dynamic",
    "landmark_supermodel": "seconds per fit; see tests/dynamic",
    "fit_count_mixed_model": "seconds per fit (Laplace/GHQ); see tests/longitudinal",
    "fit_joint_model": "seconds per fit; see tests/longitudinal",
    "fit_two_stage_cox": "seconds per fit; see tests/longitudinal",
    "add_missingness": "a simulation helper (draws missingness with rng)",
    "impute": "seconds per call (smcfcs); see tests/missing",
    "fit_multistate_cox": "takes MultistateData; see tests/multistate",
    "multistate_data": "takes a transition matrix and state columns; see tests/multistate",
    "state_probabilities": "takes MultistateData; see tests/multistate",
    "transition_probabilities": "takes a fitted model; see tests/multistate",
    "internal_external_validation": "seconds per call; see tests/trials",
    "random_marker_slope": "seconds per call; see tests/trials",
    "stepp": "permutation test, seconds per call; see tests/trials",
}
