"""How to call each public data function on small, valid data (the property suite's registry).

``CALLS`` maps a public name to a :class:`Call`: which data set it takes (``cohort``,
``meta`` or ``cohort+draws``) and a function ``run(data, draws, s)`` that calls it, with every
time-valued parameter (horizon, tau, landmark, ...) multiplied by ``s`` (the time unit of the
data). ``time_invariant`` extracts the numbers that must not change when the times are
rescaled (None: the property is not claimed for this function — see ``EXEMPT_TIME``).
``EXEMPT`` lists the public data functions that are not in ``CALLS``, each with the reason.
"""

from __future__ import annotations

import functools
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


def holes(data: pd.DataFrame) -> pd.DataFrame:
    """The cohort with covariates missing in some rows (for multiple imputation)."""
    k = np.arange(len(data))
    return data.assign(age=data["age"].where(k % 7 != 3),
                       grade=data["grade"].where(k % 9 != 4))


def illness(data: pd.DataFrame, seed: int = 9) -> pd.DataFrame:
    """The cohort with a relapse before the event (illness–death: relapse, then death)."""
    g = np.random.default_rng(seed)
    t = data["time"].to_numpy()
    rel = (g.random(len(data)) < 0.4) & (t > 2.0)
    rel_t = np.where(rel, np.round(t * g.uniform(0.2, 0.8, len(data)), 1), t)
    rel_t = np.where(rel & (rel_t >= t), t - 0.1, rel_t)
    return data.assign(rel_time=rel_t, rel_event=rel.astype(int))


def studies(seed: int = 3, k: int = 6, per: int = 40) -> pd.DataFrame:
    """Pooled patients of k studies whose marker effect varies between studies."""
    g = np.random.default_rng(seed)
    rows = []
    for s in range(k):
        b, a = 0.7 + 0.5 * g.normal(), 0.3 * g.normal()
        m = (g.random(per) < 0.45).astype(int)
        t, c = g.exponential(20 / np.exp(a + b * m)), g.uniform(10, 40, per)
        rows.append(pd.DataFrame({"study": f"S{s}", "time": np.round(np.minimum(t, c), 1) + 0.1,
                                  "event": (t <= c).astype(int), "ctc_pos": m,
                                  "age": np.round(g.normal(60, 9, per), 1)}))
    return pd.concat(rows, ignore_index=True)


def curve(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Kaplan–Meier curve read off at its step corners, and its numbers-at-risk table."""
    km = cs.kaplan_meier(data, time_col="time", event_col="event")
    tab = km.table
    ev = tab[tab["n_events"] > 0]
    before = np.r_[1.0, ev["survival"].to_numpy()[:-1]]
    t = np.r_[ev["time"].to_numpy(), ev["time"].to_numpy(), tab["time"].max()]
    s = np.r_[before, ev["survival"].to_numpy(), tab["survival"].iloc[-1]]
    o = np.lexsort((-s, t))
    points = pd.DataFrame({"time": t[o], "survival": np.round(s[o], 4)})
    risk = km.survival_at(np.arange(0.0, tab["time"].max(), 12.0))[["time", "n_at_risk"]]
    return points, risk.reset_index(drop=True)


def adtte() -> pd.DataFrame:
    """A CDISC ADaM time-to-event table: OS and PFS per subject, in days."""
    g = np.random.default_rng(5)
    n = 30
    subj = [f"S-{i:02d}" for i in range(n)]
    os_t = np.round(g.exponential(600, n), 0) + 1
    pfs_t = np.minimum(os_t, np.round(g.exponential(300, n), 0) + 1)
    return pd.DataFrame({
        "USUBJID": subj * 2, "PARAMCD": ["OS"] * n + ["PFS"] * n,
        "AVAL": np.r_[os_t, pfs_t], "CNSR": g.integers(0, 2, 2 * n),
        "AVALU": "DAYS", "AGE": np.tile(g.integers(35, 80, n), 2)})


DESIGN = "lucci2012"  # a design without serial draws whose cohort is cheap to simulate


def _datasets() -> dict[str, Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]]]:
    return {
        "cohort": lambda: (cohort(), None),
        "meta": lambda: (meta(), None),
        "cohort+draws": lambda: (cohort(), draws_for(cohort())),
        "holes": lambda: (holes(cohort()), None),
        "illness": lambda: (illness(cohort()), None),
        "studies": lambda: (studies(), None),
        "curve": lambda: curve(cohort()),
        "adam": lambda: (adtte(), None),
        "design": lambda: (cs.simulate_cohort(DESIGN, n=150, rng=1), None),
    }


DATASETS = _datasets()


def inputs(name: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Fresh copies of the data (and second frame: draws or a risk table) *name* takes."""
    d, w = DATASETS[CALLS[name].dataset]()
    return d.copy(), (None if w is None else w.copy())


@dataclass(frozen=True)
class Call:
    run: Callable  # run(data, second, s) -> result; second: draws or a risk table
    dataset: str = "cohort"  # a key of DATASETS
    time_invariant: Callable | None = None  # numbers unchanged when times are rescaled
    time_cols: tuple = ("time",)  # time columns of the data (rescaled by the unit test)
    second_time_cols: tuple = ("draw_t",)  # time columns of the second frame


TC = dict(time_col="time", event_col="event")
CR = dict(time_col="time", event_col="status")  # competing risks: 0 censored, 1, 2 causes


def _tab(name: str, cols: tuple | None = None) -> Callable:
    def get(res):
        t = getattr(res, name)
        t = t.select_dtypes("number") if cols is None else t[list(cols)]
        return t.to_numpy(float)
    return get


def _attrs(*names: str) -> Callable:
    return lambda res: np.array([float(getattr(res, n)) for n in names])


_COUNT_FIT_DATA = cohort()  # a fixed fit: the property is about the data predicted on


@functools.cache
def _cox_model(s: float = 1.0):
    """A fixed development fit (times in the unit of the data scored, s): the property is
    about the data scored."""
    fit = _COUNT_FIT_DATA.assign(time=_COUNT_FIT_DATA["time"] * s)
    return cs.CoxModel().fit(fit[["age", "size", "ctc_pos"]],
                             cs.survival_target(fit, **TC))


_ILLNESS_TIMES = ("time", "rel_time")


def _ms(d: pd.DataFrame):
    return cs.multistate_data(
        d, transitions=cs.illness_death_transitions(("disease_free", "relapse", "death")),
        state_time_cols={"relapse": "rel_time", "death": "time"},
        state_event_cols={"relapse": "rel_event", "death": "event"}, id_col="pid",
        covariates=["age", "ctc_pos"])


def _lm_kw(w: pd.DataFrame, s: float) -> dict:
    return dict(draws=w, landmarks=[0.0, 3.0 * s], horizon=12.0 * s, **TC, marker_col="count",
                id_col="pid", draw_time_col="draw_t")


@functools.cache
def _lm_models(s: float) -> dict:
    """Landmark models fitted once on the (rescaled) development data: the property is about
    the data they are evaluated on."""
    fit = _COUNT_FIT_DATA.assign(time=_COUNT_FIT_DATA["time"] * s)
    draws = draws_for(_COUNT_FIT_DATA)
    draws = draws.assign(draw_t=draws["draw_t"] * s)
    kw = _lm_kw(draws, s)
    return {"baseline": cs.landmark_supermodel(fit, **kw, summary="baseline"),
            "current": cs.landmark_supermodel(fit, **kw)}

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
    "competing_concordance_index": Call(lambda d, w, s: cs.competing_concordance_index(
        d, **CR, risk_col="risk", tau=24.0 * s), time_invariant=_attrs("estimate")),
    "competing_time_dependent_auc": Call(lambda d, w, s: cs.competing_time_dependent_auc(
        d, **CR, risk_col="risk", horizon=12.0 * s), time_invariant=_attrs("estimate")),
    "competing_brier_score": Call(lambda d, w, s: cs.competing_brier_score(
        d, **CR, risk_col="risk", horizon=12.0 * s), time_invariant=_attrs("estimate")),
    "competing_calibration": Call(lambda d, w, s: cs.competing_calibration(
        d, **CR, risk_col="risk", horizon=12.0 * s, n_groups=4)),
    "predict_cumulative_incidence": Call(lambda d, w, s: cs.predict_cumulative_incidence(
        d, **CR, covariates=["age", "ctc_pos"], horizon=[6.0 * s, 12.0 * s]
    ).table.drop(columns="row")),  # "row": the position of the row predicted
    "added_value": Call(lambda d, w, s: cs.added_value(
        d, **TC, base_covariates=["size"], new_covariates=["ctc_pos"], horizon=12.0 * s,
        n_boot=6, rng=3)),
    "survival_target": Call(lambda d, w, s: cs.survival_target(d, **TC)),
    "validate_model": Call(lambda d, w, s: cs.validate_model(
        cs.CoxModel(), d, **TC, covariates=["age", "size"], horizon=12.0 * s, n_boot=3,
        rng=4)),
    "external_validation": Call(lambda d, w, s: cs.external_validation(
        _cox_model(s), d, **TC, covariates=["age", "size", "ctc_pos"], horizon=12.0 * s,
        n_groups=4)),
    "predict_risk": Call(lambda d, w, s: cs.predict_risk(
        _cox_model(), d[["age", "size", "ctc_pos"]], horizon=12.0)),
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
    "impute": Call(lambda d, w, s: cs.impute(
        d, **TC, covariates=["age", "grade", "ctc_pos"], n_imputations=2, n_iter=2, rng=1),
        dataset="holes"),
    "add_missingness": Call(lambda d, w, s: cs.add_missingness(
        d, rates={"age": 0.2, "grade": 0.1}, depends_on=["event", "size"], rng=2)),
    # ---- multi-state
    "multistate_data": Call(lambda d, w, s: _ms(d).table, dataset="illness",
                            time_cols=_ILLNESS_TIMES),
    "state_probabilities": Call(lambda d, w, s: cs.state_probabilities(
        _ms(d), group_col="ctc_pos", tau=24.0 * s), dataset="illness",
        time_cols=_ILLNESS_TIMES),
    "fit_multistate_cox": Call(lambda d, w, s: cs.fit_multistate_cox(
        _ms(d), covariates=["age", "ctc_pos"]), dataset="illness",
        time_invariant=_tab("table"), time_cols=_ILLNESS_TIMES),
    "transition_probabilities": Call(lambda d, w, s: cs.transition_probabilities(
        cs.fit_multistate_cox(_ms(d), covariates=["ctc_pos"]), {"ctc_pos": 1},
        start_time=0.0), dataset="illness", time_cols=_ILLNESS_TIMES),
    # ---- serial draws: dynamic prediction and joint models
    "landmark_supermodel": Call(lambda d, w, s: cs.landmark_supermodel(
        d, **_lm_kw(w, s), covariates=["age"]), dataset="cohort+draws",
        time_invariant=_tab("table", ("coef", "std_error", "p_value"))),
    "dynamic_performance": Call(lambda d, w, s: cs.dynamic_performance(
        d, draws=w, models=_lm_models(s)), dataset="cohort+draws"),
    "fit_count_mixed_model": Call(lambda d, w, s: cs.fit_count_mixed_model(
        w, count_col="count", id_col="pid", time_col="draw_t", random="intercept",
        kind="poisson", method="laplace"), dataset="cohort+draws"),
    "fit_two_stage_cox": Call(lambda d, w, s: cs.fit_two_stage_cox(
        d, draws=w, **TC, id_col="pid", count_col="count", draw_time_col="draw_t",
        random="intercept"), dataset="cohort+draws"),
    "fit_joint_model": Call(lambda d, w, s: cs.fit_joint_model(
        d, draws=w, **TC, id_col="pid", count_col="count", draw_time_col="draw_t",
        random="intercept", n_knots=2), dataset="cohort+draws"),
    # ---- trials and pooled studies
    "internal_external_validation": Call(lambda d, w, s: cs.internal_external_validation(
        d, study_col="study", **TC, covariates=["age", "ctc_pos"], horizon=12.0 * s)),
    "random_marker_slope": Call(lambda d, w, s: cs.random_marker_slope(
        d, study_col="study", **TC, marker_col="ctc_pos", n_intervals=2), dataset="studies",
        time_invariant=_attrs("log_hr", "std_error", "tau", "sd_intercept")),
    "stepp": Call(lambda d, w, s: cs.stepp(
        d, **TC, marker_col="ctc", treatment_col="trt", horizon=12.0 * s, n_perm=20,
        rng=1)),
    # ---- other layouts
    "reconstruct_ipd": Call(lambda d, w, s: cs.reconstruct_ipd(
        d, risk_table=w, total_events=int(_COUNT_FIT_DATA["event"].sum())),
        dataset="curve", second_time_cols=("time",)),
    "adam_to_survival": Call(lambda d, w, s: cs.adam_to_survival(
        d, paramcd={"OS": "os", "PFS": "pfs"}, keep=["AGE"]), dataset="adam",
        time_cols=("AVAL",)),
    "replicate_cohort": Call(lambda d, w, s: cs.replicate_cohort(d, design=DESIGN),
                             dataset="design", time_cols=("pfs_months", "os_months")),
}

# Public functions that take data but are not (yet) in CALLS, with the reason.
EXEMPT: dict[str, str] = {
    "build_report": "minutes per call; row order and labels are covered by "
                    "tests/test_row_order.py::test_build_report_with_shuffled_rows_and_"
                    "duplicated_labels",
}
