"""R reference tests of concordance_index, time_dependent_auc, brier_score, integrated_brier_score.

Inputs and R outputs: tests/reference/prognostic_metrics/ (make_inputs.py, prognostic_metrics.R).
Data sets: ``synth`` (n = 300, whole-month times: tied event times and events tied with
censorings; risk score rounded to 1 decimal and probabilities to 3: tied scores), ``small``
(n = 40, heavy ties) and ``gbsg2`` (lifelines' GBSG2 with a Cox linear predictor and predicted
probabilities).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ctcstats.prognostic.metrics import (
    brier_score,
    concordance_index,
    integrated_brier_score,
    time_dependent_auc,
)
from tests.reference._load import load_input, load_output

TOPIC = "prognostic_metrics"
SPECS = {
    "synth": ("score", ["p12", "p24", "p36"], [12, 24, 36]),
    "small": ("score", ["p12", "p24", "p36"], [12, 24, 36]),
    "gbsg2": ("lp", ["p1000", "p1500", "p2000"], [1000, 1500, 2000]),
}
# Closed-form quantities (pair counts, IPCW sums, influence functions; no iteration): the only
# differences are floating-point summation order, ~1e-15 relative in practice.
RTOL = 1e-9
COUNT_KEYS = ["concordant", "discordant", "tied.x", "tied.y", "tied.xy"]


@pytest.mark.parametrize("name", list(SPECS))
def test_harrell_matches_survival_concordance(name):
    """R: concordance(Surv(time, status) ~ risk, data, reverse = TRUE): estimate, sqrt(var),
    count; and with ymax = tau."""
    score = SPECS[name][0]
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"concordance_{name}")
    res = concordance_index(d, time_col="time", event_col="status", risk_col=score)
    assert_allclose(res.estimate, ref["harrell"]["estimate"], rtol=RTOL)
    assert_allclose(res.std_error, ref["harrell"]["std_error"], rtol=RTOL)
    assert_allclose(res.table["count"], [ref["harrell"]["count"][k] for k in COUNT_KEYS],
                    rtol=RTOL)
    assert res.n_events == int(d["status"].sum())
    ht = ref["harrell_tau"]
    res = concordance_index(d, time_col="time", event_col="status", risk_col=score,
                            tau=ht["tau"])
    assert_allclose([res.estimate, res.std_error], [ht["estimate"], ht["std_error"]], rtol=RTOL)
    assert_allclose(res.table["count"], [ht["count"][k] for k in COUNT_KEYS], rtol=RTOL)


@pytest.mark.parametrize("name", list(SPECS))
def test_uno_matches_survival_concordance_n_g2(name):
    """R: concordance(Surv(time, status) ~ risk, data, reverse = TRUE, timewt = "n/G2",
    ymax = tau): estimate, sqrt(var) and the time-weighted counts."""
    score = SPECS[name][0]
    d = load_input(TOPIC, name)
    for ref in load_output(TOPIC, f"concordance_{name}")["uno"]:
        res = concordance_index(d, time_col="time", event_col="status", risk_col=score,
                                method="uno", tau=ref["tau"])
        assert_allclose(res.estimate, ref["estimate"], rtol=RTOL)
        assert_allclose(res.std_error, ref["std_error"], rtol=RTOL)
        assert_allclose(res.table["count"], [ref["count"][k] for k in COUNT_KEYS], rtol=RTOL)
        assert res.method == "uno" and res.tau == ref["tau"]


@pytest.mark.parametrize("name", list(SPECS))
def test_auc_and_brier_match_score(name):
    """R: Score(list(model = cbind(p_t1, p_t2, p_t3)), formula = Hist(time, status) ~ 1,
    data, times = c(t1, t2, t3), metrics = c("auc", "brier"), summary = c("ibs", "ipa"),
    cens.model = "km", se.fit = TRUE, conservative = FALSE): AUC, se; Brier, se; Null model
    Brier, se; IPA."""
    _, probs, times = SPECS[name]
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"score_{name}")
    for i, (p, t) in enumerate(zip(probs, times, strict=True)):
        auc = time_dependent_auc(d, time_col="time", event_col="status", risk_col=p, horizon=t)
        assert_allclose([auc.estimate, auc.std_error], [ref["auc"][i], ref["auc_se"][i]],
                        rtol=RTOL)
        b = brier_score(d, time_col="time", event_col="status", risk_col=p, horizon=t)
        assert_allclose([b.estimate, b.std_error], [ref["brier"][i], ref["brier_se"][i]],
                        rtol=RTOL)
        assert_allclose([b.null_estimate, b.null_std_error],
                        [ref["brier_null"][i], ref["brier_null_se"][i]], rtol=RTOL)
        assert_allclose(b.ipa, ref["ipa"][i], rtol=RTOL)


def test_auc_of_linear_predictor_equals_auc_of_probability():
    """The AUC is rank-based: Score's AUC of gbsg2's probabilities = our AUC of the Cox lp."""
    d = load_input(TOPIC, "gbsg2")
    ref = load_output(TOPIC, "score_gbsg2")
    auc = time_dependent_auc(d, time_col="time", event_col="status", risk_col="lp", horizon=1500)
    assert_allclose(auc.estimate, ref["auc"][1], rtol=RTOL)
    assert_allclose(auc.std_error, ref["auc_se"][1], rtol=RTOL)


@pytest.mark.parametrize("name", list(SPECS))
def test_integrated_brier_step_matches_score_ibs(name):
    """R: Score(..., summary = "ibs")$Brier$score$IBS at the last time (model and Null model)."""
    _, probs, times = SPECS[name]
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"score_{name}")
    res = integrated_brier_score(d, time_col="time", event_col="status",
                                 risk_cols=dict(zip(times, probs, strict=True)), method="step")
    assert_allclose(res.estimate, ref["ibs"][-1], rtol=RTOL)
    assert_allclose(res.null_estimate, ref["ibs_null"][-1], rtol=RTOL)
    assert_allclose(res.table["brier"], ref["brier"], rtol=RTOL)
    assert_allclose(res.table["null_brier"], ref["brier_null"], rtol=RTOL)
    # the trapezoid rule over [t1, tK] from the same Brier curve
    trap = integrated_brier_score(d, time_col="time", event_col="status",
                                  risk_cols=dict(zip(times, probs, strict=True)))
    b, x = np.asarray(ref["brier"]), np.asarray(times, float)
    expected = np.sum(np.diff(x) * (b[1:] + b[:-1]) / 2) / (x[-1] - x[0])
    assert_allclose(trap.estimate, expected, rtol=1e-12)


def test_censoring_weights_match_prodlim():
    """R: predictSurvIndividual(prodlim(Hist(time, status) ~ 1, reverse = TRUE), lag = 1) (in
    prodlim's time order) and predict(fit, times) — the weights every IPCW metric uses."""
    from ctcstats.prognostic._metrics_common import Censoring

    for name, (_, _, times) in SPECS.items():
        d = load_input(TOPIC, name)
        ref = load_output(TOPIC, f"score_{name}")
        t, e = d["time"].to_numpy(float), d["status"].to_numpy()
        cens = Censoring.fit(t, e)
        order = np.lexsort((-e, t))
        assert_allclose(cens.subject_minus()[order], ref["G_subject_minus"], rtol=1e-12)
        assert_allclose([cens.at(x) for x in times], ref["G_times"], rtol=1e-12)
