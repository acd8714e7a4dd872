# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Colorectal and prostate cancer: thresholds 3 vs 5
# ## Cohen et al. 2008 / de Bono et al. 2008
#
# **Question.** The CellSearch threshold is ≥3 CTC per 7.5 mL in metastatic colorectal
# cancer and ≥5 in metastatic breast and prostate cancer. What does a threshold mean
# when the count is a Poisson sample of a few millilitres of blood — how often is a
# patient near the threshold misclassified, and how precise is a single count?
#
# * Cohen SJ, et al. *Relationship of circulating tumor cells to tumor response,
#   progression-free survival, and overall survival in patients with metastatic
#   colorectal cancer.* J Clin Oncol 2008;26:3213–3221 — 430 patients, ≥3 CTC.
# * de Bono JS, et al. *Circulating tumor cells predict survival benefit from treatment
#   in metastatic castration-resistant prostate cancer.* Clin Cancer Res
#   2008;14:6302–6309 — 231 patients, ≥5 CTC; conversion between favourable and
#   unfavourable counts after treatment.

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)

# %%
cohen = cs.get_design("cohen2008")
debono = cs.get_design("debono2008")
for d in (cohen, debono):
    print(d.citation)
cs.list_designs().set_index("key").loc[["cohen2008", "debono2008"],
                                    ["n", "marker", "threshold", "prevalence",
                                     "endpoints", "calibrated"]]

# %% [markdown]
# ## Sampling error at the threshold
#
# A patient with a true concentration *c* cells/mL yields a Poisson count with mean
# *c* × 7.5 mL (× recovery). `detection_probability` is the probability that the count
# reaches the threshold; `misclassification_probability` the probability of landing on
# the wrong side of it. A patient whose true mean is exactly at the threshold is called
# negative almost half the time — the threshold is a blurred line, not a sharp one.

# %%
conc = np.geomspace(0.02, 3, 200)   # cells per mL
fig, ax = plt.subplots(figsize=(6.5, 4))
for thr, colour in ((3, "C0"), (5, "C3")):
    ax.plot(conc, cs.detection_probability(conc, volume_ml=7.5, threshold=thr),
            color=colour, label=f"P(count ≥ {thr})")
    ax.plot(conc, cs.misclassification_probability(conc, threshold=thr, volume_ml=7.5),
            color=colour, ls="--", label=f"P(misclassified), ≥{thr}")
    ax.axvline(thr / 7.5, color=colour, lw=0.8, alpha=0.6)
ax.set_xscale("log")
ax.set_xlabel("true CTC concentration (cells per mL)")
ax.set_ylabel("probability")
ax.legend(fontsize=8);

# %%
at = pd.DataFrame({"threshold": [3, 5]})
at["concentration_at_threshold_per_ml"] = at["threshold"] / 7.5
at["p_called_positive"] = cs.detection_probability(
    at["concentration_at_threshold_per_ml"].to_numpy(), volume_ml=7.5,
    threshold=at["threshold"].to_numpy())
at["p_misclassified_at_1.5x"] = cs.misclassification_probability(
    1.5 * at["concentration_at_threshold_per_ml"].to_numpy(),
    threshold=at["threshold"].to_numpy(), volume_ml=7.5)
at

# %% [markdown]
# ## How precise is one count? Exact Poisson CIs for the concentration
#
# `concentration_ci` gives the exact (Garwood) interval in cells per mL. Three cells in
# 7.5 mL are compatible with anything from about 0.08 to 1.2 cells/mL — from well below
# to well above the ≥5 threshold.

# %%
counts = np.array([0, 1, 2, 3, 4, 5, 8, 20])
lower, upper = cs.concentration_ci(counts, 7.5)
pd.DataFrame({"count_per_7.5_ml": counts, "concentration_per_ml": counts / 7.5,
              "ci_lower_per_ml": lower, "ci_upper_per_ml": upper,
              "ci_upper_x_7.5": upper * 7.5})

# %% [markdown]
# ## Colorectal cancer (Cohen 2008): ≥3 CTC

# %%
sim_c = cs.simulate_study(cohen, rng=2008)
crc, crc_draws = sim_c.data, sim_c.draws
cs.replicate_cohort(crc, design=cohen, draws=crc_draws)

# %%
cs.kaplan_meier(crc, time_col="os_months", event_col="os_event",
                group_col="ctc_positive").plot();

# %% [markdown]
# Same cohort, threshold 3 vs 5: how many patients change group, and how the hazard
# ratio changes. A higher threshold makes a smaller, worse-prognosis positive group.

# %%
rows = []
for thr in (1, 3, 5, 10):
    g = crc.assign(pos=(crc["ctc_count"] >= thr).astype(int))
    fit = cs.fit_cox(g, time_col="os_months", event_col="os_event", covariates=["pos"])
    r = fit.table.loc["pos"]
    rows.append({"threshold": thr, "n_positive": int(g["pos"].sum()),
                 "prevalence": g["pos"].mean(), "hr": r["hr"],
                 "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                 "concordance": fit.concordance})
thresholds = pd.DataFrame(rows)
thresholds

# %% [markdown]
# ## Prostate cancer (de Bono 2008): ≥5 CTC and conversion after treatment
#
# de Bono et al. grouped men by the change from baseline to a post-treatment draw:
# unfavourable (≥5) → favourable (<5) conversion was associated with longer survival.
# The abstract does not say which draw; the design reads it as the last post-treatment
# window (13–20 weeks), the reading under which all published medians and the baseline
# HR are reachable together (the design file explains why the first window is not).
# Survival is measured from that draw (a landmark): only men alive and sampled at
# 13–20 weeks are in a conversion group.

# %%
sim_p = cs.simulate_study(debono, rng=2009)
crpc, crpc_draws = sim_p.data, sim_p.draws
cs.replicate_cohort(crpc, design=debono, draws=crpc_draws)

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
cs.plotting.plot_serial_counts(
    crpc_draws.merge(crpc[["patient_id", "ctc_positive"]].rename(
        columns={"ctc_positive": "baseline_unfavourable"}), on="patient_id"),
    ax=ax, count_col="ctc_count", time_col="draw_months", id_col="patient_id",
    group_col="baseline_unfavourable", threshold=5);

# %%
last = crpc_draws.loc[crpc_draws["draw"] == 4,
                      ["patient_id", "draw_months", "ctc_positive"]].rename(
    columns={"ctc_positive": "positive_after"})
conv = crpc.merge(last, on="patient_id")
label = {0: "favourable", 1: "unfavourable"}
conv["conversion"] = (conv["ctc_positive"].map(label) + " → "
                      + conv["positive_after"].map(label))
# rounded to the times' precision: a difference of two float times is not exact, and
# the survival functions would (rightly) warn about near-ties
conv["os_from_draw"] = (conv["os_months"] - conv["draw_months"]).round(4)
conv = conv[conv["os_from_draw"] > 0]
km_conv = cs.kaplan_meier(conv, time_col="os_from_draw", event_col="os_event",
                          group_col="conversion")
km_conv.median

# %%
km_conv.plot(risk_table=False);

# %%
cs.pairwise_logrank_test(conv, time_col="os_from_draw", event_col="os_event",
                         group_col="conversion", p_adjust="holm")
