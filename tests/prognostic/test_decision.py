"""decision_curve(): R hand computation, a hand example, bad input, figure.

No decision-curve package is installed in R; the reference (prognostic_metrics.R) computes the
survival net benefit by hand with survfit on each subset risk >= threshold
(``summary(survfit(...), times = t)$surv``; NA past the subset's last follow-up, as dcurves),
the formula of Vickers et al. 2008.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from ctcstats.errors import DataValidationError, ParameterError
from ctcstats.prognostic.decision import decision_curve
from tests.reference._load import as_array, load_input, load_output

TOPIC = "prognostic_metrics"
SPECS = {"synth": (["p24", "q24"], 24), "small": (["p24", "q24"], 24),
         "gbsg2": (["p1500", "q1500"], 1500)}


@pytest.mark.parametrize("name", list(SPECS))
def test_matches_r_hand_computation(name):
    """R: for th in (1:98)/100: pos <- r >= th; sp <- summary(survfit(Surv(time, status) ~ 1,
    d[pos, ]), times = t0)$surv (NA when t0 is past their last time, as dcurves);
    NB = (1 - sp) P(pos) - sp P(pos) th / (1 - th).
    Closed form (Kaplan–Meier products): 1e-10 relative (atol for NB = 0)."""
    models, t = SPECS[name]
    d = load_input(TOPIC, name)
    ref = load_output(TOPIC, f"dca_{name}")
    res = decision_curve(d, time_col="time", event_col="status", risk_cols=models, horizon=t)
    tab = res.table
    assert_allclose(tab["threshold"].unique(), ref["thresholds"], rtol=1e-15)
    for m in models:
        sub = tab[tab["model"] == m]
        # NaN where the horizon is past the test-positives' last follow-up (as dcurves)
        assert_allclose(sub["net_benefit"], as_array(ref["models"][m]["net_benefit"]),
                        rtol=1e-10, atol=1e-14)
        assert sub["n_positive"].tolist() == ref["models"][m]["n_positive"]
    assert_allclose(tab.loc[tab["model"] == "treat all", "net_benefit"], ref["treat_all"],
                    rtol=1e-10)
    assert np.all(tab.loc[tab["model"] == "treat none", "net_benefit"] == 0)


def test_hand_example_without_censoring():
    """No censoring: NB = TP/n - FP/n * p/(1-p) (Vickers & Elkin 2006).

    10 patients, 4 events by t = 5; at threshold 0.3 the model flags 5 patients of whom 3 had
    the event: NB = 3/10 - 2/10 * 0.3/0.7 = 0.214285...; treat all: 4/10 - 6/10 * 3/7."""
    d = pd.DataFrame({"t": [1, 2, 3, 4, 6, 7, 8, 9, 10, 11],
                      "e": [1, 1, 1, 1, 1, 0, 1, 0, 1, 0],
                      "p": [.9, .8, .1, .5, .6, .2, .35, .1, .2, .05]})
    res = decision_curve(d, time_col="t", event_col="e", risk_cols=["p"], horizon=5,
                         thresholds=[0.3])
    nb = dict(zip(res.table["model"], res.table["net_benefit"], strict=True))
    assert_allclose(nb["p"], 3 / 10 - 2 / 10 * 0.3 / 0.7, rtol=1e-12)
    assert_allclose(nb["treat all"], 4 / 10 - 6 / 10 * 3 / 7, rtol=1e-12)
    assert nb["treat none"] == 0
    assert res.table.loc[res.table["model"] == "p", "n_positive"].item() == 5


def test_censored_hand_example():
    """With censoring the event rate among the flagged is 1 - KM: flagged patients times
    (2, 3+, 4, 8+) with events at 2 and 4: S(5) = (3/4)(1/2) = 3/8; P(pos) = 4/8 at p = 0.5:
    NB = (5/8)(1/2) - (3/8)(1/2)(1) = 1/8."""
    d = pd.DataFrame({"t": [2, 3, 4, 8, 1, 6, 7, 9], "e": [1, 0, 1, 0, 1, 0, 1, 0],
                      "p": [.6, .7, .5, .9, .1, .2, .3, .4]})
    res = decision_curve(d, time_col="t", event_col="e", risk_cols=["p"], horizon=5,
                         thresholds=[0.5])
    assert_allclose(res.table["net_benefit"].iloc[0], 1 / 8, rtol=1e-12)


def test_bad_input():
    d = load_input(TOPIC, "synth")
    kw = dict(time_col="time", event_col="status", horizon=24)
    with pytest.raises(DataValidationError, match="risk_cols 'score' must hold predicted "
                                                  "probabilities"):
        decision_curve(d, risk_cols=["p24", "score"], **kw)
    with pytest.raises(ParameterError, match="must be a list of column names; got the string"):
        decision_curve(d, risk_cols="p24", **kw)
    with pytest.raises(ParameterError, match="'thresholds' parameter of decision_curve"):
        decision_curve(d, risk_cols=["p24"], thresholds=[0, 0.5], **kw)
    with pytest.raises(DataValidationError, match="risk_cols 'p99' is not a column of data"):
        decision_curve(d, risk_cols=["p99"], **kw)
    with pytest.raises(DataValidationError, match="horizon 120 is beyond the last follow-up"):
        decision_curve(d, risk_cols=["p24"], time_col="time", event_col="status", horizon=120)


def test_decision_curve_plot():
    import matplotlib.pyplot as plt

    d = load_input(TOPIC, "synth")
    res = decision_curve(d, time_col="time", event_col="status", risk_cols=["p24", "q24"],
                         horizon=24)
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    lines = {ln.get_gid(): ln for ln in ax.get_lines()}
    assert set(lines) == {"dca-p24", "dca-q24", "dca-treat all", "dca-treat none"}
    sub = res.table[res.table["model"] == "p24"]
    assert_allclose(lines["dca-p24"].get_ydata(), sub["net_benefit"])
    lo, hi = ax.get_ylim()
    assert lo < 0 < hi and hi >= res.table["net_benefit"].max()
