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
# # Study design and power
#
# **Question.** How many patients (and events) does a CTC prognostic study need?
#
# Two routes, and why both:
#
# * **Closed forms** (Schoenfeld 1983): the number of *events* needed to detect a hazard
#   ratio with a two-sided test, given the proportion of marker-positive patients.
#   Fast, but they assume proportional hazards, a single binary covariate and
#   large samples.
# * **Simulation** from a published design: simulate many cohorts with the design's
#   prevalence, covariates, accrual, follow-up (and studies, piecewise effects,
#   landmarks), run the *published analysis* on each, and count how often it rejects.
#   Slower, but it powers the analysis you will actually run.
#
# `n_sim` is kept small (200) so the notebook runs in seconds; the exact binomial CI of
# the simulated power shows the Monte-Carlo error — use `n_sim=1000` or more (and
# `n_jobs=-1`) for a protocol.

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## Closed forms: events needed
#
# A new early-breast-cancer CTC study expects ≥1 CTC in about 20% of patients (Janni
# 2016). Events needed for 80% power at α = 0.05 (two-sided), by hazard ratio:

# %%
hrs = [1.5, 1.8, 2.0, 2.5, 3.0]
pd.DataFrame({
    "hr": hrs,
    "events_prevalence_20%": [cs.schoenfeld_events(h, prevalence=0.20) for h in hrs],
    "events_prevalence_50%": [cs.schoenfeld_events(h, prevalence=0.50) for h in hrs],
}).round(1)

# %% [markdown]
# A rare marker costs events: with 20% positive you need (0.5·0.5)/(0.2·0.8) = 1.56
# times the events of a 50/50 split. Events become patients through the event
# probability under the accrual and follow-up:

# %%
lucci = cs.get_design("lucci2012")
events_needed = cs.schoenfeld_events(2.0, prevalence=lucci.prevalence)
# a 3-year event rate of about 10% in CTC-negative patients: hazard = -log(0.9)/36
per_patient = cs.expected_events(1, hazard=-np.log(0.9) / 36, hr=2.0,
                              prevalence=lucci.prevalence, accrual=36, follow_up=24)
pd.Series({"events_needed": events_needed,
           "expected_events_per_patient": per_patient,
           "patients_needed": np.ceil(events_needed / per_patient)})

# %% [markdown]
# ## Simulation: the published analysis of a design
#
# `simulate_power` uses the design's published analysis by default (here Lucci 2012:
# univariable Cox of PFS by CTC status). Each replicate's log HR, SE, p-value and event
# count are kept in `replicates`.

# %%
cs.power_analysis("lucci2012").describe()

# %%
lucci_power = cs.simulate_power("lucci2012", n_sim=200, rng=1, progress=False)
lucci_power

# %%
# the closed form at the simulated events and effect, for comparison
cs.schoenfeld_power(float(np.exp(lucci_power.mean_log_hr)),
                 events=lucci_power.mean_events, prevalence=lucci.prevalence)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
reps = lucci_power.replicates
ax.hist(np.exp(reps.loc[np.isfinite(reps["log_hr"]), "log_hr"]), bins=40, color="0.5")
ax.axvline(lucci.result("pfs_hr").value, color="C3", ls="--", label="published HR")
ax.set_xscale("log")
ax.set_xlabel("estimated HR per simulated cohort (n = 302)")
ax.legend();

# %% [markdown]
# The histogram is the point of the exercise: with ~18 events, the estimated HR of a
# study like Lucci 2012 ranges over almost an order of magnitude. A large published HR
# from a small study is partly luck (the winner's curse).
#
# ## The published analysis of a pooled design
#
# Janni 2016: multivariable Cox, stratified by study — the simulation runs exactly that
# on every replicate (in the vectorised batch engine). Here at half the published
# size.

# %%
janni_power = cs.simulate_power("janni2016", n=1500, n_sim=100, rng=2, progress=False)
pd.Series({"analysis": janni_power.analysis, "power": janni_power.power,
           "ci_lower": janni_power.ci_lower, "ci_upper": janni_power.ci_upper,
           "mean_events": janni_power.mean_events})

# %% [markdown]
# ## A power curve
#
# Power over a grid of sample sizes for the Lucci design, with the Schoenfeld power at
# each n's simulated events for comparison. The same seed is used at every n (common
# random numbers), so the curve is smooth. At n = 100 some simulated cohorts have no
# PFS event in one group (monotone likelihood); `power_curve` warns and counts them as
# not rejecting — exactly what would happen to such a study.

# %%
curve = cs.power_curve("lucci2012", n_grid=[100, 200, 300, 450, 600], n_sim=200, rng=3,
                    progress=False)
curve

# %%
curve.plot();
