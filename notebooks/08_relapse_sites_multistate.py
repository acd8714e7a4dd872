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
# # Where and when the disease comes back: relapse sites and multi-state models
#
# **Question.** Disseminated tumour cells (DTCs) in the bone marrow predict overt
# metastasis. Do DTC-positive patients relapse more often *in bone*, or everywhere? And what
# happens after the first relapse? The published studies answer with separate Cox models for
# DFS, DDFS, BCSS and OS, which hide the path a patient takes: disease-free → first relapse
# (local, bone, other distant organ) → death.
#
# This notebook follows that path on
#
# 1. a synthetic cohort mirroring the Braun et al. (2005) pooled DTC analysis (4,703
#    patients, stage I–III breast cancer), with the site of the first distant relapse added as a
#    **labelled assumption** (no source gave the site split by DTC status);
# 2. real data: R's `mgus2` (monoclonal gammopathy → plasma-cell malignancy → death, Mayo
#    Clinic, in R's survival package).
#
# Tools: competing risks of the first relapse site (`competing_incidence`,
# `fit_cause_specific_cox` next to Fine–Gray), multi-state data (`multistate_data`, as
# mstate's `msprep`), Aalen–Johansen state probabilities with standard errors
# (`state_probabilities`, as `survival::survfit`), transition probabilities P(s, t) (as
# `mstate::probtrans`) and the expected time spent in each state.

# %%
# %matplotlib inline
import json

import matplotlib.pyplot as plt
import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## 1. A DTC cohort with relapse sites
#
# `simulate_cohort("braun2005")` draws local recurrence, distant recurrence and death (with
# survival after relapse) from the design's calibrated model; DFS, DDFS, BCSS and OS are read
# off those times. `add_relapse_sites` reads the first event back from the endpoints and gives
# every first *distant* relapse an organ: bone or another distant site. The probabilities
# are an assumption and say so:

# %%
cohort = cs.simulate_cohort("braun2005", rng=2005)
df = cs.add_relapse_sites(cohort, rng=1)
print(json.dumps(df.attrs["assumptions"], indent=1))
labels = df.attrs["first_event_labels"]
pd.crosstab(df["relapse_site"], df["dtc_positive"], margins=True)

# %% [markdown]
# ## 2. The first relapse site as competing risks
#
# The first event is local relapse, bone relapse, other distant relapse or death without
# relapse — competing risks. The cumulative incidence of each (Aalen–Johansen, as
# `cmprsk::cuminc`) and Gray's test of DTC− vs DTC+ per site:

# %%
cif = cs.competing_incidence(df, time_col="dfs_months", event_col="first_event",
                             cause_labels=labels, group_col="dtc_positive")
cif.gray_tests

# %%
cif.at([36, 60, 96]).pivot_table(index=["cause", "group"], columns="time", values="cif")

# %%
axes = cif.plot()
for a in axes:
    a.set_xlabel("months since diagnosis")
plt.show()

# %% [markdown]
# Cause-specific Cox models (the rate of each first event among patients still free of any
# event; the other causes censored) next to Fine–Gray models (the effect on each site's
# cumulative incidence), adjusted for the clinical factors:

# %%
clinical = ["tumor_size_cm", "node_positive", "grade", "hr_positive"]
sites_fit = cs.fit_cause_specific_cox(df, time_col="dfs_months", event_col="first_event",
                                      covariates=["dtc_positive", *clinical],
                                      cause_labels=labels)
sites_fit.side_by_side[sites_fit.side_by_side["term"] == "dtc_positive"]

# %%
ax = sites_fit.plot(term="dtc_positive")
plt.show()

# %% [markdown]
# The DTC effect is largest on bone relapse — by construction here, since the assumed bone
# share is higher among DTC-positive patients; with real data this is the comparison that
# would show organ tropism. The subdistribution hazard ratios are closer to 1: part of the
# DTC-positive patients' excess of one site is "used up" by their excess of the others.

# %% [markdown]
# ## 3. Relapse sites, then death
#
# The multi-state model: disease-free → local / bone / other distant relapse → death, and
# disease-free → death. `multistate_data` turns the patient table (one relapse time, one
# event indicator per site, death) into the long format — one row per patient, state
# occupied and possible next state, as `mstate::msprep` — and checks the times (a relapse
# recorded after death, or two transitions at the same time, are errors naming the patients).

# %%
tm = cs.relapse_site_transitions(("local", "bone", "other_distant"))
tm

# %%
ms = cs.multistate_data(
    df, transitions=tm,
    state_time_cols={"local": "relapse_months", "bone": "relapse_months",
                     "other_distant": "relapse_months", "death": "os_months"},
    state_event_cols={"local": "local_event", "bone": "bone_event",
                      "other_distant": "other_distant_event", "death": "os_event"},
    id_col="patient_id", covariates=["dtc_positive"])
ms.events

# %%
sp = cs.state_probabilities(ms, group_col="dtc_positive", tau=96)
sp.time_in_state

# %%
axes = sp.plot()
for a in axes:
    a.set_xlabel("months since diagnosis")
plt.show()

# %% [markdown]
# `time_in_state` is the expected number of months spent in each state during the first
# eight years (restricted mean, with infinitesimal-jackknife standard errors as
# `residuals(survfit, type = "sojourn")`): DTC-positive patients lose disease-free time to
# every relapse state and to death.
#
# Transition probabilities from a later time: for a patient who is in a given state at 24
# months, where will they be later? (`mstate::probtrans` with the Greenwood variance.)

# %%
tp = sp.transition_probabilities(24.0, method="greenwood")
at = tp.at(60)
at[at["from"].isin(["bone", "other_distant"])].pivot_table(
    index=["group", "from"], columns="state", values="probability")

# %%
ax = tp.plot(group=1, from_state="bone")
plt.show()

# %% [markdown]
# ## 4. Transition-specific Cox models and predictions for DTC+ vs DTC−
#
# One Cox model on the stacked long data with a baseline hazard per transition
# (`strata(trans)`), the DTC effect specific to each transition (mstate's expanded
# covariates `dtc_positive.1`, …) and the clinical factors acting on the three relapse
# transitions only. The clock runs forward from diagnosis, so the rows after a relapse are
# left-truncated at the relapse (a Markov model).

# %%
ms_cov = cs.multistate_data(
    df, transitions=tm,
    state_time_cols={"local": "relapse_months", "bone": "relapse_months",
                     "other_distant": "relapse_months", "death": "os_months"},
    state_event_cols={"local": "local_event", "bone": "bone_event",
                      "other_distant": "other_distant_event", "death": "os_event"},
    id_col="patient_id", covariates=["dtc_positive", "node_positive", "tumor_size_cm"])
msfit = cs.fit_multistate_cox(
    ms_cov, covariates={"dtc_positive": "all", "node_positive": [1, 2, 3],
                        "tumor_size_cm": [1, 2, 3]}, ties="breslow")
msfit.table[["from", "to", "hr", "ci_lower", "ci_upper", "p_value"]]

# %% [markdown]
# Predicted transition probabilities for two patients who differ only in their DTC status
# (node-positive, 2 cm tumour), with mstate's standard errors (`msfit` + `probtrans`,
# Aalen variance), and the expected time in each state during the first eight years:

# %%
profiles = pd.DataFrame({"dtc_positive": [0, 1], "node_positive": [1, 1],
                         "tumor_size_cm": [2.0, 2.0]}, index=["DTC-", "DTC+"])
pred = cs.transition_probabilities(msfit, profiles)
at96 = pred.at(96)
at96[at96["from"] == "disease_free"].pivot_table(index="state", columns="profile",
                                                 values=["probability", "std_error"])

# %%
pred.expected_length_of_stay(96).query("`from` == 'disease_free'").pivot_table(
    index="state", columns="profile", values="expected_time")

# %%
axes = pred.plot(from_state="disease_free")
plt.show()

# %% [markdown]
# Survival after relapse here is the design's post-progression model, the same for every
# site (an assumption recorded in `df.attrs`); in real data this is where bone-only
# recurrences would show their longer survival.
#
# ## 5. Real data: MGUS → plasma-cell malignancy → death (R's `mgus2`)
#
# 1,384 patients with monoclonal gammopathy of undetermined significance followed at the Mayo
# Clinic. The CSV is written by the package's R reference script
# (`tests/reference/multistate/multistate.R`) from `survival::mgus2`; a progression recorded
# on the day of death is moved 0.1 month earlier, as the survival vignette does, so that every
# stay has positive length.

# %%
mgus = pd.read_csv("../tests/reference/multistate/inputs/mgus2.csv")
mg = cs.multistate_data(
    mgus, transitions=cs.illness_death_transitions(("mgus", "pcm", "death")),
    state_time_cols={"pcm": "ptime", "death": "futime"},
    state_event_cols={"pcm": "pstat", "death": "death"}, id_col="id",
    covariates=["sex", "age"])
mg.events

# %%
mg_sp = cs.state_probabilities(mg, group_col="sex", tau=240)
mg_sp

# %%
axes = mg_sp.plot()
for a in axes:
    a.set_xlabel("months since MGUS diagnosis")
plt.show()

# %% [markdown]
# These numbers are R's: `survfit(Surv(Tstart, Tstop, event) ~ sex, id = id,
# istate = istate)` on the same data gives the same probabilities and standard errors to
# rounding error (checked in `tests/multistate/test_probabilities_reference.py`).

# %% [markdown]
# The multi-state Cox model of survival's vignette — age and sex with effects specific to
# each transition, robust standard errors by patient — is `coxph(Surv(tstart, tstop, event) ~
# age + sex, id = id)` in R; here (the same coefficients and standard errors, checked in
# `tests/multistate/test_cox_reference.py`):

# %%
mg_fit = cs.fit_multistate_cox(mg, covariates=["age", "sex"], robust=True)
mg_fit.table[["from", "to", "hr", "ci_lower", "ci_upper", "p_value"]]

# %%
mg_pred = cs.transition_probabilities(
    mg_fit, pd.DataFrame({"age": [70, 70], "sex": ["F", "M"]}, index=["woman, 70", "man, 70"]))
p120 = mg_pred.at(120)
p120[p120["from"] == "mgus"].pivot_table(index="state", columns="profile",
                                         values=["probability", "std_error"])
