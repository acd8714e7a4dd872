"""Competing-risks prognostic metrics against R (tests/reference/competing_metrics/).

R: riskRegression 2022.11.28, pec 2022.5.4, cmprsk 2.2.11, prodlim 2019.11.13 (versions stored
beside the outputs). Data: ``synth`` (n = 300, whole-month times: tied failures of both causes
and failures tied with censorings; tied scores and predictions) and ``small`` (n = 40, times
rounded to 5 months).

Tolerances: Score's AUC / Brier and their influence-function SEs, and cuminc's estimates and
variances, are closed-form sums (rtol 1e-9: summation order only, ~1e-15 in practice); pec's
``ccr`` accumulates ~25,000 weighted pairs in one running double (rtol 1e-11; observed 1e-13);
predictions from crr carry crr's convergence tolerance on the coefficients (atol 1e-7; observed
7e-9); CSC's Cox fits converge to 1e-12 (atol 1e-10; observed 1e-15).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.competing import (
    competing_brier_score,
    competing_calibration,
    competing_concordance_index,
    competing_time_dependent_auc,
)
from ctcstats.prognostic.competing_predict import predict_cumulative_incidence
from tests.reference._load import load_input, load_output

TOPIC = "competing_metrics"
NAMES = ["synth", "small"]
TIMES = [12, 24, 36]
KW = {"time_col": "time", "event_col": "event"}


@pytest.mark.parametrize("name", NAMES)
def test_auc_matches_score_cause1(name):
    """R: Score(list(P), Hist(time, event) ~ 1, cause = 1, times, metrics = "auc",
    cens.model = "km", conservative = FALSE): AUC and se, for predicted risks and a score."""
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"score_{name}")
    for k, h in enumerate(TIMES):
        r = competing_time_dependent_auc(d, **KW, risk_col=f"p{h}", horizon=h)
        assert_allclose([r.estimate, r.std_error], [ref["auc"][k], ref["auc_se"][k]],
                        rtol=1e-9)
        r2 = competing_time_dependent_auc(d, **KW, risk_col="score", horizon=h)
        assert_allclose([r2.estimate, r2.std_error],
                        [ref["score_auc"][k], ref["score_auc_se"][k]], rtol=1e-9)
        ev = d["event"].to_numpy()
        by = d["time"].to_numpy() <= h
        assert r.n_cases == int(np.sum(by & (ev == 1)))
        assert r.n_competing == int(np.sum(by & (ev == 2)))
        assert r.n_controls == r.n_competing + int(np.sum(~by))


@pytest.mark.parametrize("name", NAMES)
def test_brier_matches_score_cause1(name):
    """R: Score(..., cause = 1, metrics = "brier", summary = "ipa"): Brier, se, Null model
    (Aalen–Johansen) Brier and se, IPA."""
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"score_{name}")
    for k, h in enumerate(TIMES):
        r = competing_brier_score(d, **KW, risk_col=f"p{h}", horizon=h)
        assert_allclose(
            [r.estimate, r.std_error, r.null_estimate, r.null_std_error, r.ipa],
            [ref["brier"][k], ref["brier_se"][k], ref["brier_null"][k],
             ref["brier_null_se"][k], ref["ipa"][k]], rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_cindex_matches_pec_cause1(name):
    """R: pec::cindex(list(matrix(p)), Hist(time, event) ~ 1, cause = 1, eval.times = tau,
    cens.model = "marginal"): AppCindex, Pairs A/B and Concordant A/B."""
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"cindex_{name}")
    for r in ref["cindex"]:
        tau = r["tau"]
        res = competing_concordance_index(d, **KW, risk_col=f"p{tau}", tau=tau)
        assert_allclose(res.estimate, r["cindex"], rtol=1e-11)
        assert res.table["pairs"].tolist() == [r["pairs_a"], r["pairs_b"]]
        assert res.table["concordant"].tolist() == [r["concordant_a"], r["concordant_b"]]
        res2 = competing_concordance_index(d, **KW, risk_col="score", tau=tau)
        assert_allclose(res2.estimate, r["score_cindex"], rtol=1e-11)


def test_cindex_sweep_equals_the_pair_by_pair_sums():
    """The O(n log n) sweep (Fenwick trees over score ranks) gives the pair-by-pair sums of
    the reference (blocks of cases against everyone; one block or many), on tied times and
    scores, for both data sets and several horizons."""
    from ctcstats.prognostic._metrics_common import Censoring
    from ctcstats.prognostic.competing import _wolbers, _wolbers_pairs

    for name in NAMES:
        d = load_input(TOPIC, name)
        t, c = d["time"].to_numpy(float), d["event"].to_numpy()
        cens = Censoring.fit(t, (c > 0).astype(float))
        for col, tau in (("p24", 24.0), ("score", 36.0), ("p12", 1000.0)):
            s = d[col].to_numpy()
            ref = _wolbers_pairs(t, c, 1, s, tau, cens, block=7)
            one = _wolbers_pairs(t, c, 1, s, tau, cens, block=10_000)
            got = _wolbers(t, c, 1, s, tau, cens)
            assert_allclose(ref[0] / ref[1], one[0] / one[1], rtol=1e-13)
            assert_allclose(got[:2], ref[:2], rtol=1e-12)
            assert_allclose(got[2], ref[2])
            got2 = _wolbers(t, c, 2, s, tau, cens)  # the other cause as the one of interest
            ref2 = _wolbers_pairs(t, c, 2, s, tau, cens)
            assert_allclose(got2[:2], ref2[:2], rtol=1e-12)
            assert_allclose(got2[2], ref2[2])


@pytest.mark.parametrize("name", NAMES)
def test_calibration_matches_cuminc_per_quartile(name):
    """R: cut(p24, quantile(p24, 0:4/4), include.lowest = TRUE); per group
    timepoints(cuminc(time, event), 24): est and sqrt(var); mean(p24)."""
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"calibration_{name}")
    res = competing_calibration(d, **KW, risk_col="p24", horizon=24)
    g = pd.DataFrame(ref["groups"])
    assert res.table["n"].tolist() == g["n"].tolist()
    assert_allclose(res.table["mean_predicted"], g["mean_predicted"], rtol=1e-12)
    assert_allclose(res.table["observed"], g["observed"], rtol=1e-9, atol=1e-15)
    assert_allclose(res.table["std_error"], np.sqrt(g["observed_var"]), rtol=1e-9, atol=1e-15)
    tab = res.table
    inner = tab["observed"].between(1e-12, 1 - 1e-12)
    assert (tab["ci_lower"][inner] < tab["observed"][inner]).all()
    assert (tab["observed"][inner] < tab["ci_upper"][inner]).all()
    assert_allclose(res.mean_predicted, d["p24"].mean(), rtol=1e-12)
    assert res.oe_ci_lower < res.oe_ratio < res.oe_ci_upper


@pytest.mark.parametrize("name", NAMES)
def test_predictions_match_crr_and_csc(name):
    """R: predict(crr(time, event, cov1 = cbind(x1, x2)), cov1) at 12/24/36 and
    predictRisk(CSC(Hist(time, event) ~ x1 + x2), times, cause = 1), first 10 rows."""
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"predict_{name}")
    fg = predict_cumulative_incidence(d, **KW, covariates=["x1", "x2"], horizon=TIMES)
    got = np.column_stack([fg.at(h)[:10] for h in TIMES])
    assert_allclose(got, np.array(ref["fine_gray"]), atol=1e-7)
    assert_allclose(fg.coefficients["coef"], ref["fine_gray_coef"], atol=1e-7)
    cs = predict_cumulative_incidence(d, **KW, covariates=["x1", "x2"], horizon=TIMES,
                                      method="cause_specific")
    got = np.column_stack([cs.at(h)[:10] for h in TIMES])
    assert_allclose(got, np.array(ref["csc"]), atol=1e-10)
    assert_allclose(cs.coefficients["coef"], ref["csc_coef"]["Cause 1"], atol=1e-9)


def test_no_competing_events_reduces_to_survival_metrics():
    """Without competing failures every metric equals its survival counterpart."""
    from ctcstats.prognostic.metrics import brier_score, time_dependent_auc

    d = load_input(TOPIC, "synth")
    d = d.assign(event=np.where(d["event"] == 2, 0, d["event"]))
    a = competing_time_dependent_auc(d, **KW, risk_col="p24", horizon=24)
    a0 = time_dependent_auc(d, **KW, risk_col="p24", horizon=24)
    assert_allclose([a.estimate, a.std_error], [a0.estimate, a0.std_error], rtol=1e-12)
    b = competing_brier_score(d, **KW, risk_col="p24", horizon=24)
    b0 = brier_score(d, **KW, risk_col="p24", horizon=24)
    assert_allclose([b.estimate, b.std_error, b.null_estimate, b.ipa],
                    [b0.estimate, b0.std_error, b0.null_estimate, b0.ipa], rtol=1e-10)


def test_row_order_and_labels_do_not_matter():
    d = load_input(TOPIC, "small")
    s = d.sample(frac=1.0, random_state=3).set_axis(np.arange(len(d))[::-1] * 7)
    for f, kw in [(competing_time_dependent_auc, {"horizon": 24}),
                  (competing_brier_score, {"horizon": 24}),
                  (competing_concordance_index, {"tau": 24})]:
        assert_allclose(f(d, **KW, risk_col="p24", **kw).estimate,
                        f(s, **KW, risk_col="p24", **kw).estimate, rtol=1e-12)


def test_errors_name_the_problem():
    d = load_input(TOPIC, "small")
    with pytest.raises(DataValidationError, match="event_of_interest 3 does not occur"):
        competing_brier_score(d, **KW, risk_col="p24", horizon=24, event_of_interest=3)
    with pytest.raises(DataValidationError, match="risk_col 'score' must hold predicted"):
        competing_brier_score(d, **KW, risk_col="score", horizon=24)
    with pytest.raises(DataValidationError, match="beyond the last follow-up"):
        competing_time_dependent_auc(d, **KW, risk_col="p24", horizon=500)
    with pytest.raises(ParameterError, match="'tau' parameter"):
        competing_concordance_index(d, **KW, risk_col="p24", tau=-1)
    with pytest.raises(ParameterError, match="'method' parameter"):
        predict_cumulative_incidence(d, **KW, covariates=["x1"], horizon=12, method="x")
    with pytest.raises(DataValidationError, match="whole-number event codes"):
        competing_calibration(d.assign(event=d["event"] - 0.5), **KW, risk_col="p24",
                              horizon=24)


def test_constant_score_gives_nan_c_with_warning():
    from ctcstats.errors import DataWarning

    d = load_input(TOPIC, "small").assign(flat=0.3)
    with pytest.warns(DataWarning, match="is constant"):
        r = competing_concordance_index(d, **KW, risk_col="flat", tau=24)
    assert np.isnan(r.estimate) and r.warnings


def test_calibration_plot_draws_groups():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = load_input(TOPIC, "synth")
    res = competing_calibration(d, **KW, risk_col="p24", horizon=24)
    ax = res.plot()
    gids = [ln.get_gid() for ln in ax.get_lines()]
    assert gids.count("cal-ideal") == 1 and gids.count("cal-groups") == 1
    pts = [ln for ln in ax.get_lines() if ln.get_gid() == "cal-groups"][0]
    assert_allclose(np.asarray(pts.get_xdata(), float), res.table["mean_predicted"])
    assert_allclose(np.asarray(pts.get_ydata(), float), res.table["observed"])
    plt.close(ax.figure)
    ax = competing_time_dependent_auc(d, **KW, risk_col="p24", horizon=24).plot()
    assert [ln.get_gid() for ln in ax.get_lines()] == ["roc-chance", "roc-curve"]
    plt.close(ax.figure)


def test_cause_specific_blocks_do_not_change_the_predictions(monkeypatch):
    """Patients are processed in blocks (bounded memory); any block size gives the same CIF."""
    import ctcstats.prognostic.competing_predict as cp

    d = load_input(TOPIC, "synth")
    kw = dict(**KW, covariates=["x1", "x2"], horizon=TIMES, method="cause_specific")
    whole = predict_cumulative_incidence(d, **kw).table["cif"].to_numpy()
    monkeypatch.setattr(cp, "_BLOCK", 7)
    blocks = predict_cumulative_incidence(d, **kw).table["cif"].to_numpy()
    assert_allclose(blocks, whole, rtol=0, atol=0)
