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
# # Serial draws: counting-process data, landmark supermodels and dynamic prediction
#
# **Question.** CTC studies draw blood again and again — de Bono et al. (2008) from week 2
# to week 20 of therapy, SWOG S0500 at day 21, Hayes et al. (2006) at five follow-up visits,
# Cohen et al. (2008) at four — and the clinician asks: *given the counts so far, what is
# this patient's risk over the next months?* This notebook answers on synthetic cohorts that
# mirror those designs (each with its long table of draws):
#
# 1. the draws as **counting-process data** — (start, stop] rows with the current count as a
#    time-dependent covariate (`counting_process_data`, R's `tmerge`), fitted with
#    `fit_cox(start_col=, id_col=)`;
# 2. the **guarantee-time pitfall** of comparing patients by a response seen during
#    follow-up;
# 3. a **landmark supermodel** (`landmark_supermodel`, van Houwelingen 2007): stacked
#    landmark sets, the marker history summarised at each landmark, landmark-dependent
#    effects, robust standard errors by patient — and `.predict(history, landmark=)`, the
#    risk over the next window for a new patient given their draws so far;
# 4. **dynamic performance** per landmark (`dynamic_performance`: C, time-dependent AUC,
#    Brier score / IPA, calibration in the large) comparing the baseline count with the
#    updated count, on all four designs.
#
# Every model here is checked against R in the test suite (`survival::tmerge`, `coxph` on the
# stacked data with `strata(LM)` and `cluster(id)`, `survfit`, `riskRegression::Score`) on
# the real `pbc`/`pbcseq` data with serial bilirubin.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 20)

# %% [markdown]
# ## 1. De Bono 2008: the draws as counting-process data
#
# Castration-resistant prostate cancer, CTC counts at baseline and at 2–5, 6–8, 9–12 and
# 13–20 weeks. `simulate_study` gives the patient table and the long table of draws:

# %%
sc = cs.simulate_study("debono2008", n=500, rng=2008)
sc.draws.head()

# %% [markdown]
# `counting_process_data` cuts each patient's follow-up at their draws; the count of an
# interval is the last one drawn at or before its start (last observation carried forward,
# as R's `tdc()`); several value columns of any type can be carried at once:

# %%
cp = cs.counting_process_data(sc.data, draws=sc.draws, time_col="os_months",
                              event_col="os_event", value_cols=["ctc_count", "ctc_positive"],
                              covariates=["age"])
cp["log_ctc"] = np.log1p(cp["ctc_count"])
cp.head(6)

# %% [markdown]
# The Cox model with the *current* count as a time-dependent covariate (R
# `coxph(Surv(start, stop, os_event) ~ log_ctc + age, id = patient_id)`), and its
# proportional-hazards test on the (start, stop] rows (R `cox.zph`):

# %%
tv = cs.fit_cox(cp, start_col="start", time_col="stop", event_col="os_event",
                id_col="patient_id", covariates=["log_ctc", "age"])
tv

# %%
tv.ph_test().table

# %% [markdown]
# ## 2. The guarantee-time pitfall (Hayes 2006)
#
# Sorting patients by their status at a follow-up draw and measuring survival from baseline
# credits the time before the draw to the "responders": they had to survive to be seen
# negative. The landmark analysis and the time-varying Cox model remove that guarantee:

# %%
hayes = cs.simulate_study("hayes2006", n=600, rng=2006)
gtb = cs.guarantee_time_bias(hayes.data, draws=hayes.draws, landmark=1.84, window=0.7,
                             time_col="pfs_months", event_col="pfs_event",
                             marker_col="ctc_positive")
gtb.table[["analysis", "hr", "ci_lower", "ci_upper", "n", "description"]]

# %% [markdown]
# The naive analysis (every patient, time from baseline, "positive" = not seen negative at
# the follow-up draw) gives a hazard ratio far above the Mantel–Byar time-varying estimate,
# which counts the time before the draw in the state the patient was really in. The landmark
# hazard ratio answers a narrower question — patients still progression-free at 1.84 months,
# time from then on — and is not comparable with the two others. A landmark supermodel avoids
# the pitfall by construction: at each landmark only what is known by then is used.
#
# ## 3. A landmark supermodel for de Bono 2008
#
# Landmarks at 0, 1, 2 and 3 months; the window is the next 12 months (events later are
# censored at s + 12). The marker history is summarised at each landmark by the current count
# (log(1 + count)); its effect may change with the landmark (linear in s); one baseline
# hazard per landmark; robust standard errors by patient.

# %%
kw = dict(draws=sc.draws, landmarks=[0, 1, 2, 3], horizon=12, time_col="os_months",
          event_col="os_event", marker_col="ctc_count", transform="log1p",
          landmark_degree=1)
updated = cs.landmark_supermodel(sc.data, summary="current", **kw)
updated

# %%
ax = updated.plot()
ax.set_title("effect of the current count by landmark (per unit log(1 + count))")
plt.show()

# %% [markdown]
# **Dynamic prediction** for two patients with the same baseline count (20 CTC) whose counts
# then go different ways — one falls to 1, one rises to 60 — at each landmark, with the
# draws available by then:

# %%
history = pd.DataFrame({
    "patient_id": ["falls", "falls", "falls", "rises", "rises", "rises"],
    "draw_months": [0.0, 0.8, 1.6, 0.0, 0.8, 1.6],
    "ctc_count": [20, 4, 1, 20, 35, 60]})
pred = updated.predict(history, landmark=[0, 1, 2, 3])
pred.table

# %%
ax = pred.plot()
ax.set_title("12-month risk of death from each landmark")
plt.show()

# %% [markdown]
# ## 4. Does the updated count improve dynamic prediction?
#
# The same supermodel with the *baseline* count only, then both, evaluated on each landmark
# set: Harrell's C of the 12-month risk, the cumulative/dynamic AUC and the Brier score with
# the IPA at 12 months after the landmark (Kaplan–Meier censoring weights, as
# `riskRegression::Score` on that landmark set), and observed/expected risk:

# %%
baseline_only = cs.landmark_supermodel(sc.data, summary="baseline", **kw)
both = cs.landmark_supermodel(sc.data, summary=["baseline", "current"], **kw)
perf = cs.dynamic_performance(sc.data, draws=sc.draws,
                              models={"baseline count": baseline_only,
                                      "updated count": updated, "both": both})
perf.table[["model", "landmark", "n_at_risk", "n_events", "c_index", "auc", "brier", "ipa",
            "oe_ratio"]]

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
perf.plot(ax=axes[0], metric="auc")
perf.plot(ax=axes[1], metric="ipa")
plt.show()

# %% [markdown]
# At baseline the models coincide (the current count *is* the baseline count); from the
# first follow-up landmark on, the updated count discriminates better and explains more of
# the Brier score. The estimates are apparent (same data for fitting and evaluation); use a
# validation cohort with the same columns as `data`/`draws` for an external check.
#
# ### The four serial designs
#
# The same comparison on each design's synthetic cohort (its own endpoint, landmarks within
# the draw schedule and window): the gain of the updated count over the baseline count at
# the last landmark.

# %%
designs = [("hayes2006", "pfs", [0, 1, 2, 3], 6), ("debono2008", "os", [0, 1, 2, 3], 12),
           ("smerage2014", "os", [0, 0.75], 12), ("cohen2008", "pfs", [0, 1, 2, 3], 6)]
rows = []
for key, endpoint, landmarks, horizon in designs:
    coh = cs.simulate_study(key, n=500, rng=11)
    args = dict(draws=coh.draws, landmarks=landmarks, horizon=horizon,
                time_col=f"{endpoint}_months", event_col=f"{endpoint}_event",
                marker_col="ctc_count", transform="log1p", landmark_degree=1)
    res = cs.dynamic_performance(
        coh.data, draws=coh.draws,
        models={"baseline": cs.landmark_supermodel(coh.data, summary="baseline", **args),
                "updated": cs.landmark_supermodel(coh.data, summary="current", **args)})
    last = res.comparison.iloc[-1]
    base_row = res.table[(res.table["model"] == "baseline")
                         & (res.table["landmark"] == last["landmark"])].iloc[0]
    rows.append({"design": key, "endpoint": endpoint, "landmark": last["landmark"],
                 "window": horizon, "auc_baseline": base_row["auc"],
                 "delta_auc": last["delta_auc"], "ipa_baseline": base_row["ipa"],
                 "delta_ipa": last["delta_ipa"]})
pd.DataFrame(rows)

# %% [markdown]
# In this run the updated count raises the AUC at the last landmark in de Bono 2008 and,
# most clearly (AUC and IPA), in SWOG S0500, where the day-21 count was the published
# prognostic factor; in Hayes 2006 the gain is small and in Cohen 2008 there is none — with
# 500 synthetic patients per design these differences are a few hundredths, within the noise
# of apparent performance, so the comparison is a check, not a guarantee. Either way the
# prediction at landmark *s* uses only draws taken by *s*, so none of these comparisons has
# the guarantee-time bias of section 2.
