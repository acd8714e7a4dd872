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
# # Pooled studies and CTC-guided trials
#
# **Questions.** Pooled CTC/DTC analyses (Braun 2005: 9 studies; Bidard 2014; Janni 2016)
# combine centres whose assays differ: how much does the baseline risk vary between studies,
# and does a prognostic model built on some studies hold in the others? Interventional CTC
# trials (SWOG S0500, STIC CTC, DETECT III, Treat CTC, CirCe01) ask whether the count
# *predicts benefit* from a treatment, and lose most screened patients before randomisation:
# how many must be screened? And how many patients does a CTC prognostic model need?
#
# Data: a synthetic 8-study pooled cohort with a real study frailty and a synthetic
# randomised trial (both seeded, in `tests/reference/`, where the R comparisons live), and
# R's `lung` data split by institution (real data). Every number the text relies on is checked
# in `tests/notebooks/test_10_pooled_and_trials.py`.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)

pooled = pd.read_csv("../tests/reference/frailty/inputs/pooled.csv")
pooled.groupby("study").agg(n=("event", "size"), events=("event", "sum"),
                            ctc_positive=("ctc_positive", "mean"))

# %% [markdown]
# ## 1. Random effects across studies: a shared frailty
#
# `fit_cox(..., frailty_col="study")` multiplies every study's hazard by a random factor —
# gamma (R `coxph(... + frailty(study))`) or log-normal (`distribution = "gaussian"`). The
# variance `theta` says how much baseline risk varies between studies; the CTC hazard ratio is
# then estimated within studies, like a stratified model but with the studies' effects
# shrunk towards each other. The fits equal R's `coxph` at 1e-5
# (`tests/survival/test_frailty.py`).

# %%
gamma = cs.fit_cox(pooled, time_col="months", event_col="event",
                   covariates=["ctc_positive", "age"], frailty_col="study")
gamma

# %%
gauss = cs.fit_cox(pooled, time_col="months", event_col="event",
                   covariates=["ctc_positive", "age"], frailty_col="study", frailty="gaussian")
stratified = cs.fit_cox(pooled, time_col="months", event_col="event",
                        covariates=["ctc_positive", "age"], strata_col="study")
pd.DataFrame({
    "gamma frailty": gamma.table["hr"], "gaussian frailty": gauss.table["hr"],
    "stratified by study": stratified.table["hr"],
})

# %% [markdown]
# The three estimates of the CTC hazard ratio agree closely (about 1.9). The frailty variance
# is clearly above 0 (likelihood-ratio test), though estimated from only 8 studies (the
# simulated study frailty had variance 0.3); the per-study frailties show which studies carry
# more risk:

# %%
print(f"gamma theta = {gamma.theta:.3f} (LR test of theta = 0: p = "
      f"{gamma.frailty_lr_p_value:.2g}); gaussian theta = {gauss.theta:.3f}")
gamma.frailties

# %% [markdown]
# With a log-normal frailty the variance can also be estimated by maximum likelihood (the
# Laplace-approximated integrated likelihood of R's `coxme`, equal at 1e-5):

# %%
ml = cs.fit_cox(pooled, time_col="months", event_col="event", covariates=["ctc_positive", "age"],
                frailty_col="study", frailty="gaussian", frailty_method="ml")
print(f"coxme-type ML: theta = {ml.theta:.3f}, CTC HR = {ml.table.loc['ctc_positive', 'hr']:.2f}")

# %% [markdown]
# ### Does the CTC effect itself vary between studies?
#
# A frailty lets the *baseline* vary. Assays differ between centres, so the marker's effect may
# vary too. `random_marker_slope` fits the piecewise-exponential Poisson model with a random
# intercept and a random CTC slope by study (R `glmer` on `survSplit` data, equal at 1e-4) and
# reports the between-study SD τ of the log hazard ratio with a prediction interval for a new
# study. Data: 10 studies whose true CTC log HR varies with SD 0.35
# (`tests/reference/random_slope`):

# %%
ipd = pd.read_csv("../tests/reference/random_slope/inputs/ipd.csv")
slope = cs.random_marker_slope(ipd, study_col="study", time_col="months", event_col="event",
                               marker_col="ctc_positive", covariates=["age"])
print(f"pooled HR {slope.hr:.2f} ({slope.ci_lower:.2f}–{slope.ci_upper:.2f}); "
      f"tau = {slope.tau:.2f}; 95% prediction interval {slope.pi_lower:.2f}–{slope.pi_upper:.2f}")
slope.studies

# %% [markdown]
# The prediction interval is wider than the confidence interval: the CTC effect in a new
# centre is less certain than the average effect.
#
# ## 2. Internal–external cross-validation
#
# Develop the Cox model on all studies but one, validate it on the one left out, repeat, and
# pool the discrimination (Harrell's C), the calibration slope and the observed/expected
# ratio at 24 months by random-effects meta-analysis. The prediction interval says what to
# expect in a *new* study (metamisc's `valmeta` approach: Hartung–Knapp intervals, t on k − 2
# degrees of freedom for the prediction interval; R check with metafor in
# `tests/test_meta_iecv.py`).

# %%
iecv = cs.internal_external_validation(
    pooled, study_col="study", time_col="months", event_col="event",
    covariates=["ctc_positive", "age"], horizon=24)
iecv.pooled

# %%
iecv.table

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
iecv.plot(measure="slope", ax=axes[0])
iecv.plot(measure="oe_ratio", ax=axes[1])
axes[0].set_title("calibration slope per held-out study")
axes[1].set_title("log O/E at 24 months per held-out study")
fig.tight_layout()

# %% [markdown]
# Discrimination is homogeneous (τ² ≈ 0), but calibration-in-the-large is not: the
# observed/expected ratio varies a lot between studies (I² well above 50%) — exactly what the
# frailty variance predicted. Baseline risk, not the CTC effect, is what differs between
# studies.
#
# Real data: R's `lung` (NCCTG advanced lung cancer) by institution — the 8 institutions with
# ≥ 13 complete cases:

# %%
lung = pd.read_csv("../tests/reference/iecv/inputs/lung.csv")
lung_iecv = cs.internal_external_validation(
    lung, study_col="inst", time_col="time", event_col="status",
    covariates=["age", "sex", "ph.ecog"], horizon=365)
lung_iecv.pooled

# %% [markdown]
# ## 3. How many patients does a CTC prognostic model need?
#
# Riley et al.'s criteria (R `pmsampsize`, `tests/trials/test_sample_size.py`): expected
# shrinkage ≥ 0.9, optimism in Nagelkerke's R² ≤ 0.05 and a precise overall risk at the
# horizon. Here: 8 candidate parameters (CTC count categories and clinical factors), an event
# rate of 0.02 per month, 36-month risk, mean follow-up 30 months and an anticipated
# Cox–Snell R² of 0.08 (assumptions for illustration):

# %%
size = cs.model_sample_size(n_parameters=8, rate=0.02, horizon=36, mean_follow_up=30,
                            r2_cs=0.08)
size

# %% [markdown]
# And an external validation study: how precise are C, the calibration slope and O/E with
# 300 or 1200 patients (simulated from a calibrated model with linear-predictor SD 0.8)?

# %%
val = cs.validation_sample_size(lp_sd=0.8, rate=0.02, horizon=36, follow_up=(36, 60),
                                n_grid=(300, 1200), n_sim=40, rng=1)
val.table

# %% [markdown]
# ## 4. Does the count predict benefit? Treatment × marker interaction
#
# A synthetic randomised trial (500 patients; the experimental arm helps only patients with ≥ 5
# CTC). `marker_treatment_interaction` fits `coxph(Surv ~ arm * ctc_group + age +
# strata(site))`, tests the interaction by likelihood ratio and gives the treatment effect per
# CTC group as a hazard ratio and as a difference in restricted mean survival time (R check:
# `tests/trials/test_interaction.py`).

# %%
trial = pd.read_csv("../tests/reference/trials/inputs/trial.csv")
inter = cs.marker_treatment_interaction(
    trial, time_col="months", event_col="event", marker_col="ctc_group",
    treatment_col="arm", covariates=["age"], strata_col="site", tau=24)
inter

# %%
inter.plot();

# %% [markdown]
# The usual trial forest plot puts several subgrouping variables side by side, each with its
# own interaction test (`treatment_subgroups`):

# %%
forest = cs.treatment_subgroups(
    trial.assign(age_60_plus=(trial["age"] >= 60).astype(int)), time_col="months",
    event_col="event", treatment_col="arm", subgroup_cols=["ctc_group", "site", "age_60_plus"],
    tau=24)
forest.plot();

# %% [markdown]
# STIC CTC asked a non-inferiority question: is the CTC-guided choice no worse than the
# clinician's? With the margin 1.25 on the upper limit of the 90% CI:

# %%
cs.noninferiority_test(trial, time_col="months", event_col="event", treatment_col="arm",
                       covariates=["age"], strata_col="site", margin=1.25, conf_level=0.90)

# %% [markdown]
# ## 5. STEPP: the treatment effect along the count
#
# Instead of CTC groups, slide a window of 120 patients (60 shared with the next) along the
# count and estimate the difference in 12-month survival in each (the `stepp` package's
# sliding windows; `tests/trials/test_stepp.py`). The permutation test asks whether the
# effect is the same everywhere:

# %%
pattern = cs.stepp(trial, time_col="months", event_col="event", marker_col="ctc_count",
                   treatment_col="arm", horizon=12, subpopulation_size=120, overlap=60,
                   n_perm=500, rng=1)
pattern.plot();
pattern.table

# %% [markdown]
# ## 6. CTC-guided trial designs: how many must we screen?
#
# The registry holds the randomised CTC trials with the provenance of every number. Only
# numbers found in the project's compiled sources are *published*; for STIC CTC, DETECT III
# and Treat CTC none was, and every number is a labelled assumption:

# %%
cs.list_trial_designs()

# %%
cs.get_trial_design("circe01").numbers()

# %% [markdown]
# Power is simulated through the whole chain — screened → CTC-positive (prevalence) →
# retested (compliance) → still positive (persistence) → randomised — and the randomised
# trial itself (Cox on the batch engine; for STIC CTC the non-inferiority rule):

# %%
screen = {key: cs.screening_size(key, n_sim=100, rng=7)
          for key in ("stic_ctc", "detect3", "swog_s0500")}
pd.DataFrame({key: {"screening yield": r.screening_yield, "screen": r.n_screened,
                    "randomise (expected)": r.expected_randomised}
              for key, r in screen.items()}).T

# %%
screen["detect3"].table

# %% [markdown]
# A whole simulated trial, patient by patient (`simulate_trial`): here STIC CTC with 1,000
# screened patients, everyone randomised, and — as a hypothetical — a CTC-guided choice that
# *harms* the CTC-negative patients (HR 1.6) while the design's HR 1.0 holds for the
# CTC-positive ones. The interaction analysis finds it:

# %%
stic = cs.simulate_trial("stic_ctc", n_screened=1000, hr_negative=1.6, rng=3)
stic_rand = stic[stic["randomised"]]
cs.marker_treatment_interaction(stic_rand, time_col="pfs_months", event_col="pfs_event",
                                marker_col="ctc_positive", treatment_col="arm").subgroups

# %% [markdown]
# With 15% CTC-HER2-positive screening prevalence and 80% randomised, DETECT III must screen
# about eight patients for every one it randomises; SWOG S0500's question (switching
# chemotherapy for persistent CTCs) needs thousands screened for a hazard ratio of 0.86 —
# one reason the trial could not show a benefit.
