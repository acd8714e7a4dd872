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
# # ctcstats quickstart
#
# `ctcstats` answers the questions of a circulating / disseminated tumour cell (CTC/DTC)
# prognostic-marker study: how the counts are distributed, whether marker-positive
# patients do worse (Kaplan–Meier, log-rank, Cox), whether the marker adds to the
# clinical factors, how studies pool and how large a study must be.
#
# Conventions used everywhere:
#
# * every function takes a **DataFrame first** and **keyword-only column roles**
#   (`time_col`, `event_col`, `group_col`, `count_col`, `marker_col`, `study_col`, ...);
# * every function returns a **frozen result object** with tidy tables (fixed
#   snake_case columns such as `hr, ci_lower, ci_upper, p_value`), `n_obs`/`n_dropped`
#   and `warnings`; ending a cell with the result shows it as an HTML table;
# * randomness is always `rng=` (a seed), so every number in this notebook is
#   reproducible;
# * library code never prints: you look at results, you do not parse printed text.
#
# This notebook takes 1 minute: a registered published design, a synthetic cohort that
# mirrors it, the standard survival analysis, and a report.

# %%
# %matplotlib inline
import json
import tempfile
from pathlib import Path

import pandas as pd

import ctcstats as cs

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## 1. The registry of published designs
#
# Each row is a published CTC/DTC study. Its numbers (size, prevalence, thresholds,
# medians, hazard ratios) are stored with their source; everything the papers did not
# report is stored as an explicit, labelled *assumption*.

# %%
cs.list_designs()[["key", "year", "stage", "n", "n_studies", "marker", "threshold",
                "prevalence", "endpoints", "calibrated"]]

# %%
design = cs.get_design("janni2016")
print(design.citation)
design

# %%
numbers = design.numbers()
numbers["status"].value_counts()

# %%
# the published results the synthetic cohort is calibrated to
numbers[numbers["field"].str.startswith("results.")]

# %% [markdown]
# ## 2. A synthetic cohort
#
# `simulate_cohort` draws one row per patient: covariates, the CTC count in the sampled
# blood volume, CTC status at the design's threshold and each endpoint as
# `<endpoint>_months` / `<endpoint>_event`. The same design, `n` and seed give the same
# frame.

# %%
df = cs.simulate_cohort("janni2016", rng=2016)
df.head()

# %%
cs.detection_rates(df, count_col="ctc_count", thresholds=[1, 2, 5])

# %% [markdown]
# ## 3. Kaplan–Meier, log-rank, Cox
#
# Disease-free survival by CTC status (≥1 CTC). The result shows the table, the medians
# and the Greenwood standard errors; `.plot()` draws the curves with the number at risk.

# %%
km = cs.kaplan_meier(df, time_col="dfs_months", event_col="dfs_event",
                     group_col="ctc_positive")
km.plot();

# %%
km.survival_at([36, 60])

# %%
cs.logrank_test(df, time_col="dfs_months", event_col="dfs_event",
                group_col="ctc_positive")

# %% [markdown]
# The published analysis (Janni et al. 2016) was a multivariable Cox model stratified by
# study. Categorical covariates would become indicator terms; here all are numeric.

# %%
clinical = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
cox = cs.fit_cox(df, time_col="dfs_months", event_col="dfs_event",
                 covariates=["ctc_positive", *clinical], strata_col="study")
cox

# %%
cox.plot();

# %% [markdown]
# Results are plain data: `to_frame()` gives the table and `to_dict()` a JSON-safe
# dictionary (NaN becomes `null`), ready for a database or a report.

# %%
json.dumps(cox.to_dict(), allow_nan=False)[:300] + " ..."

# %% [markdown]
# ## 4. Errors that tell you what to fix
#
# Bad input raises `DataValidationError` naming the column, the problem and the fix —
# never a silently wrong answer.

# %%
bad = df.assign(dfs_event=df["dfs_event"].replace({1: 2}))
try:
    cs.kaplan_meier(bad, time_col="dfs_months", event_col="dfs_event")
except cs.DataValidationError as exc:
    print(exc)

# %% [markdown]
# ## 5. A reproducible report
#
# `cs.build_report` writes one self-contained HTML file (REMARK-structured:
# patient flow, Table 1, KM curves, Cox, PH checks, prognostic value, provenance). The
# same data, spec and seed give a byte-identical file. The command line does the same:
# `ctcstats report --design janni2016 --seed 2016 --out report.html`.

# %%
small = cs.simulate_cohort("lucci2012", rng=1)
with tempfile.TemporaryDirectory() as tmp:
    out = Path(tmp) / "lucci2012.html"
    html = cs.build_report(small, cs.spec_from_design("lucci2012", rng=1), out=out)
    print(f"{out.name}: {out.stat().st_size / 1024:.0f} kB, "
          f"{html.count('<svg')} figures, {html.count('<table')} tables")

# %% [markdown]
# ## Where next
#
# One notebook per design family: pooled DTC (Braun 2005), metastatic CTC with serial
# draws (Cristofanilli 2004 / Hayes 2006), early-stage CTC (Janni 2016 / Rack 2014 /
# Lucci 2012), colorectal and prostate (Cohen 2008 / de Bono 2008), CTC-guided therapy
# (SWOG S0500); then study design and power, and pooling and meta-analysis.
