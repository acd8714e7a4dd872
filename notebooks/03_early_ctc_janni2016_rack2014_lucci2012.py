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
# # Early breast cancer: does CTC status add to the clinical factors?
# ## Janni et al. 2016 / Rack et al. 2014 / Lucci et al. 2012
#
# **Question.** In non-metastatic breast cancer, one or more CTCs before therapy is
# associated with earlier relapse and death. Is that association *independent* of
# tumour size, nodal status, grade and receptor status — and does adding CTC status to
# a clinical model improve prediction enough to matter for decisions?
#
# * Janni WJ, et al. *Pooled analysis of the prognostic relevance of circulating tumor
#   cells in primary breast cancer.* Clin Cancer Res 2016;22:2583–2593 — 3,173 patients,
#   5 centres, ≥1 CTC in 20.2%; multivariable Cox stratified by centre.
# * Rack B, et al. *Circulating tumor cells predict survival in early average-to-high
#   risk breast cancer patients.* J Natl Cancer Inst 2014;106:dju066 — SUCCESS trial,
#   2,026 patients, 30 mL of blood; ≥5 CTC carries a higher risk.
# * Lucci A, et al. *Circulating tumour cells in non-metastatic breast cancer: a
#   prospective study.* Lancet Oncol 2012;13:688–695 — 302 patients; a small study with
#   wide confidence intervals.
#
# The analysis: Table 1 by CTC status, adjusted Cox models, then the prognostic-model
# questions: likelihood-ratio test, ΔC, Δ time-dependent AUC, NRI/IDI, calibration
# and decision curves.

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)

# %%
design = cs.get_design("janni2016")
print(design.citation)
numbers = design.numbers()
numbers.loc[numbers["status"] == "published", ["field", "value", "source"]]

# %%
SEED = 2016
df = cs.simulate_cohort(design, rng=SEED)
clinical = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
df.head()

# %% [markdown]
# ## Table 1: clinical factors by CTC status
#
# Means (SD) for continuous variables, counts (%) for categorical ones, with the test
# used and standardised mean differences.

# %%
table1 = cs.marker_table(df, marker_col="ctc_positive", covariates=["age", *clinical],
                         categorical=["node_positive", "grade", "hr_positive",
                                      "her2_positive"], smd=True)
table1

# %%
cs.marker_association(df, marker_col="ctc_positive", covariates=clinical)

# %% [markdown]
# The counts themselves against nodal status and grade: most patients have no CTC at all
# whatever the factor, so the boxes sit at 0 and the CTC-positive patients show as the
# points above them.

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
cs.plotting.plot_count_by_factor(df, ax=axes[0], count_col="ctc_count",
                                 factor_col="node_positive", threshold=1)
cs.plotting.plot_count_by_factor(df, ax=axes[1], count_col="ctc_count", factor_col="grade",
                                 threshold=1);

# %% [markdown]
# ## Adjusted Cox models, as published

# %%
cs.replicate_cohort(df, design=design)

# %%
cox = cs.fit_cox(df, time_col="dfs_months", event_col="dfs_event",
                 covariates=["ctc_positive", *clinical], strata_col="study")
cox

# %%
cox.ph_test()

# %% [markdown]
# ## Does CTC status add to the clinical model?
#
# `added_value` fits the clinical (base) and clinical + CTC (full) Cox models on the
# same patients and reports the likelihood-ratio test, the change in Harrell's C and in
# the time-dependent AUC at 5 years, Brier score / IPA, NRI and IDI — each difference
# with a bootstrap CI (`n_boot=200` here for speed; use ≥ 1000 in a paper).
# A highly significant LR test with a small ΔC is the typical pattern of a binary
# marker present in 20% of patients.

# %%
av = cs.added_value(df, time_col="dfs_months", event_col="dfs_event",
                    base_covariates=clinical, new_covariates=["ctc_positive"],
                    horizon=60,
                    n_boot=200, rng=SEED)
av

# %%
av.plot();

# %% [markdown]
# ## Calibration and decision curves on held-out patients
#
# Fit both models on a random two-thirds of the cohort and judge the predicted 5-year
# risks on the remaining third: calibration (observed vs predicted, calibration slope)
# and the net benefit of using each model to decide on, say, extended therapy across
# risk thresholds.

# %%
rng = np.random.default_rng(SEED)
train_mask = rng.random(len(df)) < 2 / 3
train, test = df[train_mask], df[~train_mask].copy()
y_train = cs.survival_target(train, time_col="dfs_months", event_col="dfs_event")

base_model = cs.CoxModel().fit(train[clinical], y_train)
full_model = cs.CoxModel().fit(train[["ctc_positive", *clinical]], y_train)
test["risk_clinical"] = base_model.predict_risk(test[clinical], 60)
test["risk_clinical_ctc"] = full_model.predict_risk(test[["ctc_positive", *clinical]], 60)

cal = cs.calibration(test, time_col="dfs_months", event_col="dfs_event",
                     risk_col="risk_clinical_ctc", horizon=60, n_groups=5)
cal

# %%
cal.plot();

# %%
dca = cs.decision_curve(test, time_col="dfs_months", event_col="dfs_event",
                        risk_cols=["risk_clinical", "risk_clinical_ctc"], horizon=60,
                        thresholds=np.linspace(0.02, 0.4, 20))
dca.plot();

# %%
cs.concordance_index(test, time_col="dfs_months", event_col="dfs_event",
                     risk_col="risk_clinical_ctc")

# %% [markdown]
# The clinical + CTC model as a nomogram: points per factor, total points, predicted
# 5-year disease-free survival (as R `rms::nomogram`).

# %%
nom = cs.nomogram(full_model, train[["ctc_positive", *clinical]], horizon=[60])
nom.plot();

# %% [markdown]
# ## Rack 2014: more cells, more risk
#
# SUCCESS drew 30 mL of blood. Patients with ≥5 CTC had a clearly higher hazard than
# the rest; the design stores that contrast too. We compare count categories in one
# Cox model (0 CTC as reference).

# %%
rack = cs.get_design("rack2014")
df_rack = cs.simulate_cohort(rack, rng=2014)
df_rack["ctc_category"].value_counts().sort_index()

# %%
rack_cats = df_rack.assign(ctc_1_4=(df_rack["ctc_count"].between(1, 4)).astype(int),
                           ctc_5_plus=(df_rack["ctc_count"] >= 5).astype(int))
cs.fit_cox(rack_cats, time_col="dfs_months", event_col="dfs_event",
           covariates=["ctc_1_4", "ctc_5_plus", *clinical])

# %%
cs.replicate_cohort(df_rack, design=rack)

# %% [markdown]
# ## Lucci 2012: a small study
#
# 302 patients and few events: the hazard ratio is large but its confidence interval is
# wide, and an internally validated (bootstrap optimism-corrected) model is much less
# impressive than the apparent one. This is what a single small study can and cannot
# show — and why pooling (next notebooks) matters.

# %%
lucci = cs.get_design("lucci2012")
df_lucci = cs.simulate_cohort(lucci, rng=2012)
lucci_cox = cs.fit_cox(df_lucci, time_col="pfs_months", event_col="pfs_event",
                       covariates=["ctc_positive"])
lucci_cox

# %%
cs.replicate_cohort(df_lucci, design=lucci)

# %%
validation = cs.validate_model(cs.CoxModel(), df_lucci, time_col="pfs_months",
                               event_col="pfs_event",
                               covariates=["ctc_positive", "node_positive",
                                           "tumor_size_cm"],
                               horizon=36, n_boot=100, rng=2012)
validation
