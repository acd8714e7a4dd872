"""Generate the worked-analysis notebooks of ``notebooks/`` (run: ``python notebooks/_build_notebooks.py``).

The notebooks are written here as code so that they can be reviewed as code; the ``.ipynb``
files are committed WITHOUT outputs (``execution_count`` None, ``outputs`` []). The test suite
(``tests/test_notebooks.py``) executes every notebook with nbclient and checks its results.

Each notebook follows one pattern: the question, the design's published numbers (and which
numbers are assumptions), a synthetic cohort simulated with a fixed seed, then the analysis
as the paper did it. Every notebook ends with a ``CHECK`` cell that prints one JSON line of
key results; the tests read that line.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str):
    return new_code_cell(textwrap.dedent(text).strip("\n"))


SETUP = """
%matplotlib inline
import json

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

import ctcstats as cs
from ctcstats.designs import get_design, list_designs, simulate_cohort, simulate_study
from ctcstats.designs.calibrate import estimate_result

pd.set_option("display.precision", 3)
pd.set_option("display.max_columns", 30)
"""

# Shown in every design notebook: the design's published results next to the same analysis
# run on the synthetic cohort (ctcstats.designs.calibrate.estimate_result).
COMPARE = '''
def published_vs_simulated(design, patients, draws=None):
    """Each published result of *design* next to the same analysis on the synthetic cohort."""
    rows = []
    for r in design.results:
        if not r.simulated:
            continue
        est, _ = estimate_result(design, r, patients, draws)
        rows.append({
            "result": r.id, "kind": r.kind, "endpoint": r.endpoint,
            "group": r.group, "status": r.status,
            "published": str(r.value) if isinstance(r.value, tuple) else r.value,
            "published_ci": "" if r.ci is None else f"{r.ci[0]:g}-{r.ci[1]:g}",
            "this_cohort": round(est, 3),
        })
    return pd.DataFrame(rows)
'''


# =========================================================================== 00 quickstart
def quickstart():
    return [
        md("""
        # ctcstats quickstart

        `ctcstats` answers the questions of a circulating / disseminated tumour cell (CTC/DTC)
        prognostic-marker study: how the counts are distributed, whether marker-positive
        patients do worse (Kaplan–Meier, log-rank, Cox), whether the marker adds to the
        clinical factors, how studies pool and how large a study must be.

        Conventions used everywhere:

        * every function takes a **DataFrame first** and **keyword-only column roles**
          (`time_col`, `event_col`, `group_col`, `count_col`, `marker_col`, `study_col`, ...);
        * every function returns a **frozen result object** with tidy tables (fixed
          snake_case columns such as `hr, ci_lower, ci_upper, p_value`), `n_obs`/`n_dropped`
          and `warnings`; ending a cell with the result shows it as an HTML table;
        * randomness is always `rng=` (a seed), so every number in this notebook is
          reproducible;
        * library code never prints: you look at results, you do not parse printed text.

        This notebook takes 1 minute: a registered published design, a synthetic cohort that
        mirrors it, the standard survival analysis, and a report.
        """),
        code(SETUP),
        md("""
        ## 1. The registry of published designs

        Each row is a published CTC/DTC study. Its numbers (size, prevalence, thresholds,
        medians, hazard ratios) are stored with their source; everything the papers did not
        report is stored as an explicit, labelled *assumption*.
        """),
        code("""
        list_designs()[["key", "year", "stage", "n", "n_studies", "marker", "threshold",
                        "prevalence", "endpoints", "calibrated"]]
        """),
        code("""
        design = get_design("janni2016")
        print(design.citation)
        design
        """),
        code("""
        numbers = design.numbers()
        numbers["status"].value_counts()
        """),
        code("""
        # the published results the synthetic cohort is calibrated to
        numbers[numbers["field"].str.startswith("results.")]
        """),
        md("""
        ## 2. A synthetic cohort

        `simulate_cohort` draws one row per patient: covariates, the CTC count in the sampled
        blood volume, CTC status at the design's threshold and each endpoint as
        `<endpoint>_months` / `<endpoint>_event`. The same design, `n` and seed give the same
        frame.
        """),
        code("""
        df = simulate_cohort("janni2016", rng=2016)
        df.head()
        """),
        code("""
        cs.detection_rates(df, count_col="ctc_count", thresholds=[1, 2, 5])
        """),
        md("""
        ## 3. Kaplan–Meier, log-rank, Cox

        Disease-free survival by CTC status (≥1 CTC). The result shows the table, the medians
        and the Greenwood standard errors; `.plot()` draws the curves with the number at risk.
        """),
        code("""
        km = cs.kaplan_meier(df, time_col="dfs_months", event_col="dfs_event",
                             group_col="ctc_positive")
        km.plot();
        """),
        code("""
        km.survival_at([36, 60])
        """),
        code("""
        cs.logrank_test(df, time_col="dfs_months", event_col="dfs_event",
                        group_col="ctc_positive")
        """),
        md("""
        The published analysis (Janni et al. 2016) was a multivariable Cox model stratified by
        study. Categorical covariates would become indicator terms; here all are numeric.
        """),
        code("""
        clinical = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
        cox = cs.fit_cox(df, time_col="dfs_months", event_col="dfs_event",
                         covariates=["ctc_positive", *clinical], strata_col="study")
        cox
        """),
        code("""
        cox.plot();
        """),
        md("""
        Results are plain data: `to_frame()` gives the table and `to_dict()` a JSON-safe
        dictionary (NaN becomes `null`), ready for a database or a report.
        """),
        code("""
        json.dumps(cox.to_dict(), allow_nan=False)[:300] + " ..."
        """),
        md("""
        ## 4. Errors that tell you what to fix

        Bad input raises `DataValidationError` naming the column, the problem and the fix —
        never a silently wrong answer.
        """),
        code("""
        bad = df.assign(dfs_event=df["dfs_event"].replace({1: 2}))
        try:
            cs.kaplan_meier(bad, time_col="dfs_months", event_col="dfs_event")
        except cs.DataValidationError as exc:
            print(exc)
        """),
        md("""
        ## 5. A reproducible report

        `ctcstats.report.build_report` writes one self-contained HTML file (REMARK-structured:
        patient flow, Table 1, KM curves, Cox, PH checks, prognostic value, provenance). The
        same data, spec and seed give a byte-identical file. The command line does the same:
        `ctcstats report --design janni2016 --seed 2016 --out report.html`.
        """),
        code("""
        import tempfile
        from pathlib import Path

        from ctcstats.report import build_report, spec_from_design

        small = simulate_cohort("lucci2012", rng=1)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "lucci2012.html"
            html = build_report(small, spec_from_design("lucci2012", rng=1), out=out)
            print(f"{out.name}: {out.stat().st_size / 1024:.0f} kB, "
                  f"{html.count('<svg')} figures, {html.count('<table')} tables")
        """),
        md("""
        ## Where next

        One notebook per design family: pooled DTC (Braun 2005), metastatic CTC with serial
        draws (Cristofanilli 2004 / Hayes 2006), early-stage CTC (Janni 2016 / Rack 2014 /
        Lucci 2012), colorectal and prostate (Cohen 2008 / de Bono 2008), CTC-guided therapy
        (SWOG S0500); then study design and power, and pooling and meta-analysis.
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        row = cox.table.loc["ctc_positive"]
        print("CHECK " + json.dumps({"hr": round(float(row["hr"]), 4),
                                     "ci_lower": round(float(row["ci_lower"]), 4),
                                     "ci_upper": round(float(row["ci_upper"]), 4),
                                     "n_obs": int(cox.n_obs)}))
        """),
    ]


# =========================================================================== 01 Braun
def braun():
    return [
        md("""
        # Pooled DTC analysis — Braun et al. 2005

        **Question.** Do disseminated tumour cells (DTCs) in the bone marrow at diagnosis of
        early breast cancer predict death and recurrence, independently of the clinical
        factors — and does the effect last?

        **Design.** Braun S, et al. *A pooled analysis of bone marrow micrometastasis in
        breast cancer.* N Engl J Med 2005;353:793–802. Individual patient data of 4,703
        patients from 9 studies; DTC-positive = at least one cytokeratin-positive cell in the
        bone-marrow aspirate. Ten-year outcomes: overall survival (OS), breast-cancer-specific
        survival (BCSS), disease-free (DFS) and distant-disease-free survival (DDFS).

        The paper's analysis, reproduced below: Kaplan–Meier and log-rank by DTC status; a
        multivariable Cox model stratified by study; the proportional-hazards assumption
        checked and, because the DTC effect weakened with time, **period-specific hazard
        ratios for years 0–5 and 5–10**; and the study-level (two-stage) view of the pooled
        data.
        """),
        code(SETUP),
        code(COMPARE),
        md("""
        ## The design: what was published, what is assumed

        `get_design` returns a frozen `StudyDesign`. Every number carries its provenance:
        `status == "published"` with the source, or `status == "assumption"` with the reason
        it was chosen (for example the study sizes of the nine studies, which the abstract does
        not list, and all hazard-model parameters).
        """),
        code("""
        design = get_design("braun2005")
        print(design.citation)
        numbers = design.numbers()
        numbers["status"].value_counts()
        """),
        code("""
        numbers.loc[numbers["status"] == "published", ["field", "value", "source"]]
        """),
        code("""
        numbers.loc[numbers["status"] == "assumption", ["field", "value", "reason"]].head(12)
        """),
        md("""
        ## A synthetic cohort of 4,703 patients

        One row per patient, nine studies. The DTC count is drawn as in the clinic
        (a patient-level concentration, Poisson sampling of the cells examined), so DTC
        positivity *emerges* from the counts with the published prevalence in expectation.
        """),
        code("""
        SEED = 2005
        df = simulate_cohort(design, rng=SEED)
        print(df.shape)
        df.head()
        """),
        code("""
        clinical = ["tumor_size_cm", "node_positive", "grade", "hr_positive"]
        cs.validate_cohort(df, time_col="os_months", event_col="os_event",
                           marker_col="dtc_positive", count_col="dtc_count",
                           study_col="study", id_col="patient_id", covariates=clinical)
        """),
        md("""
        DTC prevalence by study (published overall: 30.6%). Between-study variation in
        prevalence is an assumption of the simulation (`pooling.prevalence_logit_sd`).
        """),
        code("""
        cs.detection_rates(df, count_col="dtc_count", thresholds=[1], group_col="study")
        """),
        md("""
        ## Published numbers next to this cohort

        The same analyses the paper reported, run on the synthetic cohort
        (`estimate_result`). One seed is one cohort: expect Monte-Carlo scatter around the
        published values (and check `list_designs()["calibrated"]` — an uncalibrated design
        still uses its starting assumptions).
        """),
        code("""
        print("calibrated:", design.is_calibrated)
        published_vs_simulated(design, df)
        """),
        md("""
        ## Kaplan–Meier and log-rank by DTC status
        """),
        code("""
        km = cs.kaplan_meier(df, time_col="os_months", event_col="os_event",
                             group_col="dtc_positive")
        km.plot();
        """),
        code("""
        km.survival_at([60, 100])
        """),
        code("""
        cs.logrank_test(df, time_col="os_months", event_col="os_event", group_col="dtc_positive")
        """),
        md("""
        ## Multivariable Cox model, stratified by study

        Stratifying by study lets each study keep its own baseline hazard while the DTC
        effect is common — the one-stage analysis of pooled individual patient data.
        """),
        code("""
        cox = cs.fit_cox(df, time_col="os_months", event_col="os_event",
                         covariates=["dtc_positive", *clinical], strata_col="study")
        cox
        """),
        code("""
        cox.plot();
        """),
        md("""
        ## Does the effect last? The proportional-hazards check

        `ph_test()` is the score test of each term × g(t) (as R `cox.zph`, KM transform);
        when a term fails it, the fit warns (`ProportionalHazardsWarning`) and suggests
        period-specific hazard ratios. In the paper the DTC effect on recurrence weakened
        after five years. We check OS, DFS and DDFS — look at the `dtc_positive` row.
        """),
        code("""
        ph_rows = []
        fits = {}
        for ep in ("os", "dfs", "ddfs"):
            fits[ep] = cs.fit_cox(df, time_col=f"{ep}_months", event_col=f"{ep}_event",
                                  covariates=["dtc_positive", *clinical], strata_col="study")
            ph_table = fits[ep].ph_test().table.set_index("term")
            ph_rows.append({"endpoint": ep,
                            "hr_dtc (one HR for 10 years)": fits[ep].table.loc["dtc_positive", "hr"],
                            "ph_p_dtc": ph_table.loc["dtc_positive", "p_value"],
                            "ph_p_global": ph_table.loc["GLOBAL", "p_value"]})
        pd.DataFrame(ph_rows)
        """),
        code("""
        fits["ddfs"].ph_test()
        """),
        md("""
        Whatever one cohort's test says, the period-specific model answers the clinical
        question directly: **what is the hazard ratio in years 0–5, and what after 5 years?**
        `fit_piecewise_cox` splits follow-up at 60 months and gives the DTC term one
        coefficient per period (the clinical covariates keep one), stratified by study as
        published.
        """),
        code("""
        piecewise = cs.fit_piecewise_cox(
            df, time_col="os_months", event_col="os_event",
            covariates=["dtc_positive", *clinical], split_at=[60],
            piecewise=["dtc_positive"], strata_col="study")
        piecewise
        """),
        code("""
        published = {r.id: r for r in design.results if r.kind == "hr_multivariable"}
        rows = []
        for ep in ("os", "dfs", "ddfs"):
            fit = piecewise if ep == "os" else cs.fit_piecewise_cox(
                df, time_col=f"{ep}_months", event_col=f"{ep}_event",
                covariates=["dtc_positive", *clinical], split_at=[60],
                piecewise=["dtc_positive"], strata_col="study")
            dtc = fit.table[fit.table.index.str.startswith("dtc_positive")]
            for (term, r), period, rid in zip(dtc.iterrows(), ("0-5 y", ">5 y"),
                                              (f"{ep}_hr_0_5", f"{ep}_hr_5_10"), strict=True):
                pub = published.get(rid)
                rows.append({"endpoint": ep, "period": period, "term": term,
                             "hr": r["hr"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                             "published_hr": None if pub is None else pub.value,
                             "published_ci": None if pub is None else pub.ci})
        period_hrs = pd.DataFrame(rows)
        period_hrs
        """),
        md("""
        Rows without a published value were not reported by the paper: what the synthetic
        cohort shows there follows from the model's **assumptions**, not from data. The
        parameters behind the late effect, with their provenance:
        """),
        code("""
        nums = design.numbers()
        nums[nums["field"].str.contains("marker_log_hr|late_rate_ratio|other_death")][
            ["field", "value", "status", "reason"]]
        """),
        md("""
        ## Competing first events

        Distant recurrence is one of several first events (local recurrence and death are
        the others). The cumulative incidence of distant recurrence as first event
        (Aalen–Johansen, other first events competing) with Gray's test, and the Fine–Gray
        subdistribution hazard ratio of DTC status.
        """),
        code("""
        distant_first = (df["ddfs_event"] == 1) & (df["ddfs_months"] == df["dfs_months"])
        first_event = np.where(distant_first, 1, np.where(df["dfs_event"] == 1, 2, 0))
        cr = df.assign(first_event=first_event)
        cr["first_event"].value_counts().rename({0: "none", 1: "distant", 2: "other"})
        """),
        code("""
        cif = cs.cumulative_incidence(cr, time_col="dfs_months", event_col="first_event",
                                      event_of_interest=1, group_col="dtc_positive")
        cif.plot();
        """),
        code("""
        cif.at([60, 100])
        """),
        code("""
        cs.fit_fine_gray(cr, time_col="dfs_months", event_col="first_event",
                         covariates=["dtc_positive", *clinical])
        """),
        md("""
        ## Study by study: two-stage pooling

        The two-stage view fits the adjusted Cox model in each study, then pools the nine
        DTC log hazard ratios (REML random effects, Knapp–Hartung). `ipd_meta_analysis`
        puts the one-stage (stratified) and two-stage estimates side by side and tests the
        study × DTC interaction.
        """),
        code("""
        ipd = cs.ipd_meta_analysis(df, study_col="study", time_col="os_months",
                                   event_col="os_event", marker_col="dtc_positive",
                                   covariates=clinical, method="reml", test="knha")
        ipd
        """),
        code("""
        effects = cs.study_effects(df, study_col="study", time_col="os_months",
                                   event_col="os_event",
                                   covariates=["dtc_positive", *clinical])
        dtc_effects = effects[effects["term"] == "dtc_positive"]
        meta = cs.meta_analysis(dtc_effects, estimate_col="coef", std_error_col="std_error",
                                study_col="study", method="reml", test="knha")
        meta.plot();
        """),
        md("""
        **Reading.** Compare the tables above with the paper: DTC-positive patients relapse
        and die earlier, independently of tumour size, nodes, grade and hormone receptors;
        the study-level estimates show whether the effect is consistent across studies (τ²,
        I²); and the period-specific hazard ratios show how much of the effect remains after
        five years. One synthetic cohort carries Monte-Carlo error — rerun with other seeds
        to see it.
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        pw = piecewise.table
        print("CHECK " + json.dumps({
            "prevalence": round(float(df["dtc_positive"].mean()), 4),
            "cox_hr": round(float(cox.table.loc["dtc_positive", "hr"]), 4),
            "hr_0_5": round(float(pw.loc[pw.index.str.startswith("dtc_positive")].iloc[0]["hr"]), 4),
            "hr_5_plus": round(float(pw.loc[pw.index.str.startswith("dtc_positive")].iloc[1]["hr"]), 4),
            "n_period_hrs": int(len(period_hrs)),
            "meta_hr": round(float(np.exp(meta.estimate)), 4),
            "k": int(meta.k)}))
        """),
    ]


# =========================================================================== 02 Cristofanilli / Hayes
def metastatic():
    return [
        md("""
        # Metastatic breast cancer: CTCs at baseline and at follow-up draws
        ## Cristofanilli et al. 2004 / Hayes et al. 2006

        **Question.** In metastatic breast cancer, does the number of CTCs in 7.5 mL of blood
        before a new line of therapy predict progression-free (PFS) and overall survival
        (OS)? And does a *follow-up* count, weeks into therapy, tell us more?

        * Cristofanilli M, et al. *Circulating tumor cells, disease progression, and survival
          in metastatic breast cancer.* N Engl J Med 2004;351:781–791 — 177 patients,
          CellSearch, threshold ≥5 CTC per 7.5 mL chosen in a training set.
        * Hayes DF, et al. *Circulating tumor cells at each follow-up time point during
          therapy of metastatic breast cancer patients predict progression-free and overall
          survival.* Clin Cancer Res 2006;12:4218–4224 — the same trial, serial draws at
          3–5, 6–8, 9–14 and 15–20 weeks.

        The analysis: KM and medians by ≥5 CTC compared with the published medians; the
        count distribution and count models; the cut-point search (why 5 is reasonable, and
        why the "optimal" cut-point's naive p-value is wrong); and landmark analyses at the
        follow-up draws — with the **guarantee-time bias** they avoid.
        """),
        code(SETUP),
        code(COMPARE),
        code("""
        design = get_design("cristofanilli2004")
        print(design.citation)
        numbers = design.numbers()
        numbers.loc[numbers["field"].str.startswith(("results.", "marker.", "design.")),
                    ["field", "value", "status"]]
        """),
        md("""
        Note the row `results.os_median_baseline_neg`: the paper reported the median OS of
        CTC-negative patients only as "> 18 months"; the registry stores the bound as
        published and the value used by the simulation (24 months) as an **assumption**.
        """),
        code("""
        SEED = 2004
        sim = simulate_study(design, rng=SEED)
        df, draws = sim.data, sim.draws
        print(df.shape, draws.shape)
        df.head()
        """),
        md("""
        ## ≥5 CTC at baseline: Kaplan–Meier and medians
        """),
        code("""
        km_pfs = cs.kaplan_meier(df, time_col="pfs_months", event_col="pfs_event",
                                 group_col="ctc_positive")
        km_pfs.plot();
        """),
        code("""
        km_os = cs.kaplan_meier(df, time_col="os_months", event_col="os_event",
                                group_col="ctc_positive")
        km_os.plot();
        """),
        code("""
        published_vs_simulated(design, df, draws)
        """),
        code("""
        cs.logrank_test(df, time_col="os_months", event_col="os_event", group_col="ctc_positive")
        """),
        md("""
        ## The count distribution

        CTC counts are overdispersed with many zeros: a few patients have hundreds of cells.
        Detection rates at several thresholds (exact and Wilson CIs), then count regression.
        A Poisson model is badly wrong here; the negative binomial and its zero-inflated and
        hurdle variants are compared by AIC/BIC and Vuong tests.
        """),
        code("""
        cs.detection_rates(df, count_col="ctc_count", thresholds=[1, 2, 5, 10, 50])
        """),
        code("""
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(np.log10(df["ctc_count"] + 1), bins=30, color="0.5")
        ax.axvline(np.log10(5 + 1), color="C3", ls="--", label="5 CTC / 7.5 mL")
        ax.set_xlabel("log10(CTC count + 1) per 7.5 mL")
        ax.set_ylabel("patients")
        ax.legend();
        """),
        code("""
        covariates = ["hr_positive", "her2_positive", "line_of_therapy"]
        comparison = cs.compare_count_models(df, count_col="ctc_count", covariates=covariates,
                                             volume_col="blood_volume_ml")
        comparison
        """),
        code("""
        nb = cs.fit_count_model(df, count_col="ctc_count", covariates=covariates,
                                kind="negbin", volume_col="blood_volume_ml")
        nb
        """),
        code("""
        nb.plot(kind="rootogram");
        """),
        md("""
        ## Why 5? The cut-point search

        `optimal_cutpoint` scans every cut-point (groups ≤ c vs > c, as R `maxstat`) and
        reports the maximally selected log-rank statistic. Its **naive p-value** (the
        ordinary log-rank p at the chosen cut) is far too small because the cut was chosen
        to maximise the statistic; the **corrected** p-value (Lausen–Schumacher 1994) accounts
        for the search. The scan shows how flat the statistic is: the cut-point ≤4 vs >4 —
        that is ≥5 CTC — is well above the critical value, so 5 is a reasonable, pre-specified
        choice even when the data-driven optimum lies elsewhere.
        """),
        code("""
        cut = cs.optimal_cutpoint(df, marker_col="ctc_count", time_col="os_months",
                                  event_col="os_event")
        cut
        """),
        code("""
        cut.plot(clinical_thresholds=(1, 5));
        """),
        code("""
        # "≥5 CTC" is the split "≤ c vs > c" at the largest observed count below 5
        scan = cut.scan.set_index("cutpoint")
        at_5 = scan.loc[scan.index[scan.index < 5].max()]
        pd.DataFrame({
            "cut-point": ["data-driven optimum", "≥5 CTC"],
            "split": [f"≤{cut.cutpoint:g} vs >{cut.cutpoint:g}", f"≤{at_5.name:g} vs >{at_5.name:g}"],
            "statistic": [cut.statistic, at_5["statistic"]],
            "critical_value_95": [cut.critical_value, cut.critical_value],
            "naive_p": [cut.p_value_unadjusted, np.nan],
            "corrected_p": [cut.p_value, np.nan],
        })
        """),
        md("""
        ## Follow-up draws: landmark analysis (Hayes 2006)

        Hayes et al. grouped patients by their CTC status **at each follow-up draw** and
        measured survival **from that draw**. This is a landmark analysis: only patients
        alive and still under observation at the draw enter, and their clock starts there.
        (In these trials draws stopped at progression, so each landmark population is also
        progression-free at the draw.)
        `ctcstats.survival` has no landmark helper yet, so we build the landmark frame by
        hand from the long table of draws.
        """),
        code("""
        hayes = get_design("hayes2006")
        sim_h = simulate_study(hayes, rng=2006)
        pts, dr = sim_h.data, sim_h.draws
        dr.groupby(["draw", "draw_label"]).agg(
            n=("patient_id", "size"), ctc_positive=("ctc_positive", "mean"),
            median_draw_month=("draw_months", "median"))
        """),
        code("""
        def landmark_frame(patients, draws, draw):
            \"\"\"Patients with an observed draw `draw`; times measured from that draw.\"\"\"
            at = draws.loc[draws["draw"] == draw,
                           ["patient_id", "draw_months", "ctc_positive"]].rename(
                columns={"ctc_positive": "ctc_positive_at_draw"})
            lm = patients.drop(columns="ctc_positive").merge(at, on="patient_id")
            for ep in ("pfs", "os"):
                lm[f"{ep}_from_draw"] = lm[f"{ep}_months"] - lm["draw_months"]
            # the draw happens before progression/death, so every time is > 0
            return lm[(lm["os_from_draw"] > 0) & (lm["pfs_from_draw"] > 0)]

        rows = []
        for draw in range(5):
            lm = landmark_frame(pts, dr, draw)
            km = cs.kaplan_meier(lm, time_col="os_from_draw", event_col="os_event",
                                 group_col="ctc_positive_at_draw")
            med = km.median.set_index("group")["median"]
            lr = cs.logrank_test(lm, time_col="os_from_draw", event_col="os_event",
                                 group_col="ctc_positive_at_draw")
            rows.append({"draw": draw, "n": len(lm),
                         "median_os_ctc_neg": med.get(0), "median_os_ctc_pos": med.get(1),
                         "published_os_ctc_pos": hayes.result(f"os_median_d{draw}_pos").value,
                         "logrank_p": lr.p_value})
        landmarks = pd.DataFrame(rows)
        landmarks
        """),
        code("""
        lm1 = landmark_frame(pts, dr, 1)
        cs.kaplan_meier(lm1, time_col="os_from_draw", event_col="os_event",
                        group_col="ctc_positive_at_draw").plot();
        """),
        md("""
        ### Guarantee-time bias: the analysis not to do

        A tempting shortcut groups patients by their status at a *later* draw but measures
        survival from **baseline**. Every patient with a 15–20-week draw was guaranteed to
        survive until that draw, so this "immortal" time is credited to the groups and the
        medians are inflated — and patients who died before the draw silently disappear.
        Status measured during follow-up must be analysed from the landmark (as above) or
        as a time-dependent covariate.
        """),
        code("""
        lm4 = landmark_frame(pts, dr, 4)
        naive = cs.kaplan_meier(lm4, time_col="os_months", event_col="os_event",
                                group_col="ctc_positive_at_draw").median
        proper = cs.kaplan_meier(lm4, time_col="os_from_draw", event_col="os_event",
                                 group_col="ctc_positive_at_draw").median
        print(f"{len(pts) - len(lm4)} of {len(pts)} patients had no 15-20-week draw "
              "(died, progressed, censored or missed it) and drop out of both analyses.")
        pd.DataFrame({"ctc_positive_at_draw_4": naive["group"],
                      "median_os_from_baseline (biased)": naive["median"],
                      "median_os_from_draw (landmark)": proper["median"]})
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        med = km_os.median.set_index("group")["median"]
        print("CHECK " + json.dumps({
            "prevalence": round(float(df["ctc_positive"].mean()), 4),
            "os_median_pos": float(med.loc[1]),
            "cutpoint": float(cut.cutpoint),
            "p_corrected": float(cut.p_value),
            "p_naive": float(cut.p_value_unadjusted),
            "stat_at_5": float(at_5["statistic"]),
            "critical_value": float(cut.critical_value),
            "best_count_model": str(comparison.table.sort_values("aic")["kind"].iloc[0]),
            "n_landmarks": int(len(landmarks))}))
        """),
    ]


# =========================================================================== 03 early CTC
def early():
    return [
        md("""
        # Early breast cancer: does CTC status add to the clinical factors?
        ## Janni et al. 2016 / Rack et al. 2014 / Lucci et al. 2012

        **Question.** In non-metastatic breast cancer, one or more CTCs before therapy is
        associated with earlier relapse and death. Is that association *independent* of
        tumour size, nodal status, grade and receptor status — and does adding CTC status to
        a clinical model improve prediction enough to matter for decisions?

        * Janni WJ, et al. *Pooled analysis of the prognostic relevance of circulating tumor
          cells in primary breast cancer.* Clin Cancer Res 2016;22:2583–2593 — 3,173 patients,
          5 centres, ≥1 CTC in 20.2%; multivariable Cox stratified by centre.
        * Rack B, et al. *Circulating tumor cells predict survival in early average-to-high
          risk breast cancer patients.* J Natl Cancer Inst 2014;106:dju066 — SUCCESS trial,
          2,026 patients, 30 mL of blood; ≥5 CTC carries a higher risk.
        * Lucci A, et al. *Circulating tumour cells in non-metastatic breast cancer: a
          prospective study.* Lancet Oncol 2012;13:688–695 — 302 patients; a small study with
          wide confidence intervals.

        The analysis: Table 1 by CTC status, adjusted Cox models, then the prognostic-model
        questions: likelihood-ratio test, ΔC, Δ time-dependent AUC, NRI/IDI, calibration
        and decision curves.
        """),
        code(SETUP),
        code(COMPARE),
        code("""
        design = get_design("janni2016")
        print(design.citation)
        numbers = design.numbers()
        numbers.loc[numbers["status"] == "published", ["field", "value", "source"]]
        """),
        code("""
        SEED = 2016
        df = simulate_cohort(design, rng=SEED)
        clinical = ["tumor_size_cm", "node_positive", "grade", "hr_positive", "her2_positive"]
        df.head()
        """),
        md("""
        ## Table 1: clinical factors by CTC status

        Means (SD) for continuous variables, counts (%) for categorical ones, with the test
        used and standardised mean differences.
        """),
        code("""
        table1 = cs.marker_table(df, marker_col="ctc_positive", covariates=["age", *clinical],
                                 categorical=["node_positive", "grade", "hr_positive",
                                              "her2_positive"], smd=True)
        table1
        """),
        code("""
        cs.marker_association(df, marker_col="ctc_positive", covariates=clinical)
        """),
        md("""
        ## Adjusted Cox models, as published
        """),
        code("""
        published_vs_simulated(design, df)
        """),
        code("""
        cox = cs.fit_cox(df, time_col="dfs_months", event_col="dfs_event",
                         covariates=["ctc_positive", *clinical], strata_col="study")
        cox
        """),
        code("""
        cox.ph_test()
        """),
        md("""
        ## Does CTC status add to the clinical model?

        `added_value` fits the clinical (base) and clinical + CTC (full) Cox models on the
        same patients and reports the likelihood-ratio test, the change in Harrell's C and in
        the time-dependent AUC at 5 years, Brier score / IPA, NRI and IDI — each difference
        with a bootstrap CI (`n_boot=200` here for speed; use ≥ 1000 in a paper).
        A highly significant LR test with a small ΔC is the typical pattern of a binary
        marker present in 20% of patients.
        """),
        code("""
        av = cs.added_value(df, time_col="dfs_months", event_col="dfs_event",
                            base_covariates=clinical, new_covariates=["ctc_positive"],
                            horizon=60,
                            n_boot=200, rng=SEED)
        av
        """),
        code("""
        av.plot();
        """),
        md("""
        ## Calibration and decision curves on held-out patients

        Fit both models on a random two-thirds of the cohort and judge the predicted 5-year
        risks on the remaining third: calibration (observed vs predicted, calibration slope)
        and the net benefit of using each model to decide on, say, extended therapy across
        risk thresholds.
        """),
        code("""
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
        """),
        code("""
        cal.plot();
        """),
        code("""
        dca = cs.decision_curve(test, time_col="dfs_months", event_col="dfs_event",
                                risk_cols=["risk_clinical", "risk_clinical_ctc"], horizon=60,
                                thresholds=np.linspace(0.02, 0.4, 20))
        dca.plot();
        """),
        code("""
        cs.concordance_index(test, time_col="dfs_months", event_col="dfs_event",
                             risk_col="risk_clinical_ctc")
        """),
        md("""
        The clinical + CTC model as a nomogram: points per factor, total points, predicted
        5-year disease-free survival (as R `rms::nomogram`).
        """),
        code("""
        nom = cs.nomogram(full_model, train[["ctc_positive", *clinical]], horizon=[60])
        nom.plot();
        """),
        md("""
        ## Rack 2014: more cells, more risk

        SUCCESS drew 30 mL of blood. Patients with ≥5 CTC had a clearly higher hazard than
        the rest; the design stores that contrast too. We compare count categories in one
        Cox model (0 CTC as reference).
        """),
        code("""
        rack = get_design("rack2014")
        df_rack = simulate_cohort(rack, rng=2014)
        df_rack["ctc_category"].value_counts().sort_index()
        """),
        code("""
        rack_cats = df_rack.assign(ctc_1_4=(df_rack["ctc_count"].between(1, 4)).astype(int),
                                   ctc_5_plus=(df_rack["ctc_count"] >= 5).astype(int))
        cs.fit_cox(rack_cats, time_col="dfs_months", event_col="dfs_event",
                   covariates=["ctc_1_4", "ctc_5_plus", *clinical])
        """),
        code("""
        published_vs_simulated(rack, df_rack)
        """),
        md("""
        ## Lucci 2012: a small study

        302 patients and few events: the hazard ratio is large but its confidence interval is
        wide, and an internally validated (bootstrap optimism-corrected) model is much less
        impressive than the apparent one. This is what a single small study can and cannot
        show — and why pooling (next notebooks) matters.
        """),
        code("""
        lucci = get_design("lucci2012")
        df_lucci = simulate_cohort(lucci, rng=2012)
        lucci_cox = cs.fit_cox(df_lucci, time_col="pfs_months", event_col="pfs_event",
                               covariates=["ctc_positive"])
        lucci_cox
        """),
        code("""
        published_vs_simulated(lucci, df_lucci)
        """),
        code("""
        validation = cs.validate_model(cs.CoxModel(), df_lucci, time_col="pfs_months",
                                       event_col="pfs_event",
                                       covariates=["ctc_positive", "node_positive",
                                                   "tumor_size_cm"],
                                       horizon=36, n_boot=100, rng=2012)
        validation
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        row = cox.table.loc["ctc_positive"]
        print("CHECK " + json.dumps({
            "janni_hr": round(float(row["hr"]), 4),
            "lr_p_value": float(av.lr_p_value),
            "delta_c": round(float(av.delta_c), 4),
            "calibration_slope": round(float(cal.slope), 4),
            "lucci_hr": round(float(lucci_cox.table.loc["ctc_positive", "hr"]), 4),
            "lucci_ci_ratio": round(float(lucci_cox.table.loc["ctc_positive", "ci_upper"]
                                          / lucci_cox.table.loc["ctc_positive", "ci_lower"]), 4)}))
        """),
    ]


# =========================================================================== 04 Cohen / de Bono
def colorectal_prostate():
    return [
        md("""
        # Colorectal and prostate cancer: thresholds 3 vs 5
        ## Cohen et al. 2008 / de Bono et al. 2008

        **Question.** The CellSearch threshold is ≥3 CTC per 7.5 mL in metastatic colorectal
        cancer and ≥5 in metastatic breast and prostate cancer. What does a threshold mean
        when the count is a Poisson sample of a few millilitres of blood — how often is a
        patient near the threshold misclassified, and how precise is a single count?

        * Cohen SJ, et al. *Relationship of circulating tumor cells to tumor response,
          progression-free survival, and overall survival in patients with metastatic
          colorectal cancer.* J Clin Oncol 2008;26:3213–3221 — 430 patients, ≥3 CTC.
        * de Bono JS, et al. *Circulating tumor cells predict survival benefit from treatment
          in metastatic castration-resistant prostate cancer.* Clin Cancer Res
          2008;14:6302–6309 — 231 patients, ≥5 CTC; conversion between favourable and
          unfavourable counts after treatment.
        """),
        code(SETUP),
        code(COMPARE),
        code("""
        cohen = get_design("cohen2008")
        debono = get_design("debono2008")
        for d in (cohen, debono):
            print(d.citation)
        list_designs().set_index("key").loc[["cohen2008", "debono2008"],
                                            ["n", "marker", "threshold", "prevalence",
                                             "endpoints", "calibrated"]]
        """),
        md("""
        ## Sampling error at the threshold

        A patient with a true concentration *c* cells/mL yields a Poisson count with mean
        *c* × 7.5 mL (× recovery). `detection_probability` is the probability that the count
        reaches the threshold; `misclassification_probability` the probability of landing on
        the wrong side of it. A patient whose true mean is exactly at the threshold is called
        negative almost half the time — the threshold is a blurred line, not a sharp one.
        """),
        code("""
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
        """),
        code("""
        at = pd.DataFrame({"threshold": [3, 5]})
        at["concentration_at_threshold_per_ml"] = at["threshold"] / 7.5
        at["p_called_positive"] = cs.detection_probability(
            at["concentration_at_threshold_per_ml"].to_numpy(), volume_ml=7.5,
            threshold=at["threshold"].to_numpy())
        at["p_misclassified_at_1.5x"] = cs.misclassification_probability(
            1.5 * at["concentration_at_threshold_per_ml"].to_numpy(),
            threshold=at["threshold"].to_numpy(), volume_ml=7.5)
        at
        """),
        md("""
        ## How precise is one count? Exact Poisson CIs for the concentration

        `concentration_ci` gives the exact (Garwood) interval in cells per mL. Three cells in
        7.5 mL are compatible with anything from about 0.08 to 1.2 cells/mL — from well below
        to well above the ≥5 threshold.
        """),
        code("""
        counts = np.array([0, 1, 2, 3, 4, 5, 8, 20])
        lower, upper = cs.concentration_ci(counts, 7.5)
        pd.DataFrame({"count_per_7.5_ml": counts, "concentration_per_ml": counts / 7.5,
                      "ci_lower_per_ml": lower, "ci_upper_per_ml": upper,
                      "ci_upper_x_7.5": upper * 7.5})
        """),
        md("""
        ## Colorectal cancer (Cohen 2008): ≥3 CTC
        """),
        code("""
        sim_c = simulate_study(cohen, rng=2008)
        crc, crc_draws = sim_c.data, sim_c.draws
        published_vs_simulated(cohen, crc, crc_draws)
        """),
        code("""
        cs.kaplan_meier(crc, time_col="os_months", event_col="os_event",
                        group_col="ctc_positive").plot();
        """),
        md("""
        Same cohort, threshold 3 vs 5: how many patients change group, and how the hazard
        ratio changes. A higher threshold makes a smaller, worse-prognosis positive group.
        """),
        code("""
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
        """),
        md("""
        ## Prostate cancer (de Bono 2008): ≥5 CTC and conversion after treatment

        de Bono et al. grouped men by the change from baseline to a post-treatment draw:
        unfavourable (≥5) → favourable (<5) conversion was associated with longer survival.
        The abstract does not say which draw; the design reads it as the last post-treatment
        window (13–20 weeks), the reading under which all published medians and the baseline
        HR are reachable together (the design file explains why the first window is not).
        Survival is measured from that draw (a landmark): only men alive and sampled at
        13–20 weeks are in a conversion group.
        """),
        code("""
        sim_p = simulate_study(debono, rng=2009)
        crpc, crpc_draws = sim_p.data, sim_p.draws
        published_vs_simulated(debono, crpc, crpc_draws)
        """),
        code("""
        last = crpc_draws.loc[crpc_draws["draw"] == 4,
                              ["patient_id", "draw_months", "ctc_positive"]].rename(
            columns={"ctc_positive": "positive_after"})
        conv = crpc.merge(last, on="patient_id")
        label = {0: "favourable", 1: "unfavourable"}
        conv["conversion"] = (conv["ctc_positive"].map(label) + " → "
                              + conv["positive_after"].map(label))
        conv["os_from_draw"] = conv["os_months"] - conv["draw_months"]
        conv = conv[conv["os_from_draw"] > 0]
        km_conv = cs.kaplan_meier(conv, time_col="os_from_draw", event_col="os_event",
                                  group_col="conversion")
        km_conv.median
        """),
        code("""
        km_conv.plot(risk_table=False);
        """),
        code("""
        cs.pairwise_logrank_test(conv, time_col="os_from_draw", event_col="os_event",
                                 group_col="conversion", p_adjust="holm")
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        print("CHECK " + json.dumps({
            "p_positive_at_threshold_5": round(float(cs.detection_probability(
                5 / 7.5, volume_ml=7.5, threshold=5)), 4),
            "ci_3_cells": [round(float(v), 4) for v in cs.concentration_ci(3, 7.5)],
            "prevalence_3": round(float(thresholds.set_index("threshold").loc[3, "prevalence"]), 4),
            "prevalence_5": round(float(thresholds.set_index("threshold").loc[5, "prevalence"]), 4),
            "n_conversion_groups": int(km_conv.median.shape[0]),
            "median_unf_fav": float(km_conv.median.set_index("group").loc[
                "unfavourable → favourable", "median"]),
            "median_unf_unf": float(km_conv.median.set_index("group").loc[
                "unfavourable → unfavourable", "median"])}))
        """),
    ]


# =========================================================================== 05 SWOG S0500
def swog():
    return [
        md("""
        # CTC-guided therapy — SWOG S0500 (Smerage et al. 2014)

        **Question.** If CTCs stay high three weeks into first-line chemotherapy for metastatic
        breast cancer, does switching early to a different chemotherapy improve survival?

        Smerage JB, et al. *Circulating tumor cells and response to chemotherapy in metastatic
        breast cancer: SWOG S0500.* J Clin Oncol 2014;32:3483–3489. 595 patients; CTC count
        at baseline and, if ≥5, again at day 21:

        * **arm A** — <5 CTC at baseline (continue, observed);
        * **arm B** — ≥5 at baseline, <5 at day 21 (continue, observed);
        * **arm C** — ≥5 at baseline and at day 21, randomised to **C1** continue the same
          therapy or **C2** switch to another.

        Published: median OS 35 (A), 23 (B) and 13 months (C); no benefit from switching
        (C1 10.7 vs C2 12.5 months). The CTC count was prognostic; acting on it with the
        therapies available did not help.
        """),
        code(SETUP),
        code(COMPARE),
        code("""
        design = get_design("smerage2014")
        print(design.citation)
        numbers = design.numbers()
        numbers.loc[numbers["field"].str.startswith("results."), ["field", "value", "status"]]
        """),
        md("""
        `fraction_A` and `fraction_B` are **assumptions**: the abstract gives the medians per
        arm but not (in the sources consulted) the exact arm sizes. The hazard parameters
        were calibrated to the published medians; the calibration records how close it got
        (a target it could not reach is visible here, not hidden):
        """),
        code("""
        design.calibration_fit()
        """),
        code("""
        sim = simulate_study(design, rng=2014)
        df, draws = sim.data, sim.draws
        draws.groupby(["draw", "draw_label"]).size()
        """),
        md("""
        ## The arms from baseline and day-21 status

        We rebuild the allocation from the long table of draws: baseline status, then the
        day-21 draw for baseline-positive patients. Patients whose day-21 draw is missing
        (progressed, died or not sampled before day 21) cannot be allocated to B or C. The
        simulated `arm` column is shown next to our derivation; C1/C2 is the randomisation
        within arm C.
        """),
        code("""
        status = draws.pivot(index="patient_id", columns="draw", values="ctc_positive")
        status.columns = ["baseline_positive", "day21_positive"]
        alloc = df.set_index("patient_id").join(status)
        alloc["derived_arm"] = np.select(
            [alloc["baseline_positive"] == 0,
             alloc["day21_positive"] == 0,
             alloc["day21_positive"] == 1],
            ["A", "B", "C"], default="no day-21 draw")
        pd.crosstab(alloc["derived_arm"], alloc["arm"], margins=True)
        """),
        md("""
        Patients counted in B/C1/C2 by the simulator but without an observed day-21 draw
        progressed before day 21 (draws stop at progression); in the trial they could not have
        been retested. We analyse arms as derived from observed draws, with C split by the
        randomisation.
        """),
        code("""
        alloc["analysis_arm"] = np.where(alloc["derived_arm"] == "C", alloc["arm"],
                                         alloc["derived_arm"])
        analysed = alloc[alloc["analysis_arm"].isin(["A", "B", "C1", "C2"])].reset_index()
        analysed["analysis_arm"].value_counts().sort_index()
        """),
        code("""
        km = cs.kaplan_meier(analysed, time_col="os_months", event_col="os_event",
                             group_col="analysis_arm")
        km.plot();
        """),
        code("""
        published = {r.group: r.value for r in design.results if r.kind == "median"}
        medians = km.median.assign(published=lambda m: m["group"].map(published))
        medians
        """),
        code("""
        published_vs_simulated(design, df, draws)
        """),
        md("""
        ## Prognostic: A vs B vs C
        """),
        code("""
        prognostic = analysed.assign(abc=analysed["analysis_arm"].str[0])
        cs.logrank_test(prognostic, time_col="os_months", event_col="os_event", group_col="abc",
                        trend=False)
        """),
        code("""
        cs.pairwise_logrank_test(prognostic, time_col="os_months", event_col="os_event",
                                 group_col="abc")
        """),
        md("""
        ## Predictive? The randomised comparison C1 vs C2

        Only this comparison is randomised. A hazard ratio near 1 with a CI including 1 — as
        published — means switching on the basis of the day-21 count did not improve survival.
        """),
        code("""
        arm_c = analysed[analysed["analysis_arm"].isin(["C1", "C2"])].assign(
            switched=lambda d: (d["analysis_arm"] == "C2").astype(int))
        c_cox = cs.fit_cox(arm_c, time_col="os_months", event_col="os_event",
                           covariates=["switched"])
        c_cox
        """),
        md("""
        In the simulation the switch has **no** effect (`post_progression.arm_log_hr = 0`, an
        assumption matching the published null result). One trial is one draw: across 100
        simulated trials the C2-vs-C1 hazard ratio scatters around 1, and about 5% of trials
        reach p < 0.05 by chance alone.
        """),
        code("""
        print("post_progression.arm_log_hr =", design.param("post_progression.arm_log_hr"))
        null_rows = []
        for seed in range(100):
            trial = simulate_cohort(design, rng=seed)
            c = trial[trial["arm"].isin(["C1", "C2"])].assign(
                switched=lambda d: (d["arm"] == "C2").astype(int))
            fit = cs.fit_cox(c, time_col="os_months", event_col="os_event",
                             covariates=["switched"])
            null_rows.append(fit.table.loc["switched", ["hr", "p_value"]])
        null_trials = pd.DataFrame(null_rows).reset_index(drop=True)
        pd.Series({"median_hr": null_trials["hr"].median(),
                   "hr_2.5%": null_trials["hr"].quantile(0.025),
                   "hr_97.5%": null_trials["hr"].quantile(0.975),
                   "share_p_below_0.05": (null_trials["p_value"] < 0.05).mean()})
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        med = km.median.set_index("group")["median"]
        print("CHECK " + json.dumps({
            "median_A": float(med.loc["A"]), "median_B": float(med.loc["B"]),
            "median_C1": float(med.loc["C1"]), "median_C2": float(med.loc["C2"]),
            "switch_hr": round(float(c_cox.table.loc["switched", "hr"]), 4),
            "n_analysed": int(len(analysed)),
            "null_share_significant": float((null_trials["p_value"] < 0.05).mean())}))
        """),
    ]


# =========================================================================== 06 power
def power():
    return [
        md("""
        # Study design and power

        **Question.** How many patients (and events) does a CTC prognostic study need?

        Two routes, and why both:

        * **Closed forms** (Schoenfeld 1983): the number of *events* needed to detect a hazard
          ratio with a two-sided test, given the proportion of marker-positive patients.
          Fast, but they assume proportional hazards, a single binary covariate and
          large samples.
        * **Simulation** from a published design: simulate many cohorts with the design's
          prevalence, covariates, accrual, follow-up (and studies, piecewise effects,
          landmarks), run the *published analysis* on each, and count how often it rejects.
          Slower, but it powers the analysis you will actually run.

        `n_sim` is kept small (200) so the notebook runs in seconds; the exact binomial CI of
        the simulated power shows the Monte-Carlo error — use `n_sim=1000` or more (and
        `n_jobs=-1`) for a protocol.
        """),
        code(SETUP),
        code("""
        from ctcstats.designs.power import (expected_events, power_analysis, power_curve,
                                            schoenfeld_events, schoenfeld_power,
                                            simulate_power)
        """),
        md("""
        ## Closed forms: events needed

        A new early-breast-cancer CTC study expects ≥1 CTC in about 20% of patients (Janni
        2016). Events needed for 80% power at α = 0.05 (two-sided), by hazard ratio:
        """),
        code("""
        hrs = [1.5, 1.8, 2.0, 2.5, 3.0]
        pd.DataFrame({
            "hr": hrs,
            "events_prevalence_20%": [schoenfeld_events(h, prevalence=0.20) for h in hrs],
            "events_prevalence_50%": [schoenfeld_events(h, prevalence=0.50) for h in hrs],
        }).round(1)
        """),
        md("""
        A rare marker costs events: with 20% positive you need (0.5·0.5)/(0.2·0.8) = 1.56
        times the events of a 50/50 split. Events become patients through the event
        probability under the accrual and follow-up:
        """),
        code("""
        lucci = get_design("lucci2012")
        events_needed = schoenfeld_events(2.0, prevalence=lucci.prevalence)
        # a 3-year event rate of about 10% in CTC-negative patients: hazard = -log(0.9)/36
        per_patient = expected_events(1, hazard=-np.log(0.9) / 36, hr=2.0,
                                      prevalence=lucci.prevalence, accrual=36, follow_up=24)
        pd.Series({"events_needed": events_needed,
                   "expected_events_per_patient": per_patient,
                   "patients_needed": np.ceil(events_needed / per_patient)})
        """),
        md("""
        ## Simulation: the published analysis of a design

        `simulate_power` uses the design's published analysis by default (here Lucci 2012:
        univariable Cox of PFS by CTC status). Each replicate's log HR, SE, p-value and event
        count are kept in `replicates`.
        """),
        code("""
        power_analysis("lucci2012").describe()
        """),
        code("""
        lucci_power = simulate_power("lucci2012", n_sim=200, rng=1, progress=False)
        lucci_power
        """),
        code("""
        # the closed form at the simulated events and effect, for comparison
        schoenfeld_power(float(np.exp(lucci_power.mean_log_hr)),
                         events=lucci_power.mean_events, prevalence=lucci.prevalence)
        """),
        code("""
        fig, ax = plt.subplots(figsize=(6, 3.5))
        reps = lucci_power.replicates
        ax.hist(np.exp(reps.loc[np.isfinite(reps["log_hr"]), "log_hr"]), bins=40, color="0.5")
        ax.axvline(lucci.result("pfs_hr").value, color="C3", ls="--", label="published HR")
        ax.set_xscale("log")
        ax.set_xlabel("estimated HR per simulated cohort (n = 302)")
        ax.legend();
        """),
        md("""
        The histogram is the point of the exercise: with ~18 events, the estimated HR of a
        study like Lucci 2012 ranges over almost an order of magnitude. A large published HR
        from a small study is partly luck (the winner's curse).

        ## The published analysis of a pooled design

        Janni 2016: multivariable Cox, stratified by study — the simulation runs exactly that
        on every replicate (in the vectorised batch engine). Here at half the published
        size.
        """),
        code("""
        janni_power = simulate_power("janni2016", n=1500, n_sim=100, rng=2, progress=False)
        pd.Series({"analysis": janni_power.analysis, "power": janni_power.power,
                   "ci_lower": janni_power.ci_lower, "ci_upper": janni_power.ci_upper,
                   "mean_events": janni_power.mean_events})
        """),
        md("""
        ## A power curve

        Power over a grid of sample sizes for the Lucci design, with the Schoenfeld power at
        each n's simulated events for comparison. The same seed is used at every n (common
        random numbers), so the curve is smooth. At n = 100 some simulated cohorts have no
        PFS event in one group (monotone likelihood); `power_curve` warns and counts them as
        not rejecting — exactly what would happen to such a study.
        """),
        code("""
        curve = power_curve("lucci2012", n_grid=[100, 200, 300, 450, 600], n_sim=200, rng=3,
                            progress=False)
        curve
        """),
        code("""
        curve.plot();
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        print("CHECK " + json.dumps({
            "schoenfeld_events_hr2_p20": round(schoenfeld_events(2.0, prevalence=0.2), 3),
            "lucci_power": lucci_power.power,
            "lucci_ci": [lucci_power.ci_lower, lucci_power.ci_upper],
            "janni_power": janni_power.power,
            "curve_power": curve.table["power"].round(4).tolist(),
            "curve_n": curve.table["n"].tolist()}))
        """),
    ]


# =========================================================================== 07 meta
def meta():
    return [
        md("""
        # Pooling and meta-analysis of published hazard ratios

        **Question.** Across published studies of early breast cancer, how much worse is
        overall survival for marker-positive patients — and does it matter whether the marker
        is CTC in blood or DTC in bone marrow?

        `published_hazard_ratios()` is a curated table of published hazard ratios with their
        confidence intervals, the log HR and its standard error recovered from the CI, and the
        source of every row. We pool with a random-effects model (REML τ², Knapp–Hartung
        confidence intervals — the recommended default for few studies), look at subgroups,
        small-study effects (Egger) and influence (leave-one-out), and finally reconstruct
        individual patient data from a Kaplan–Meier curve.
        """),
        code(SETUP),
        code("""
        hrs = cs.published_hazard_ratios()
        hrs[["study", "year", "level", "setting", "marker", "endpoint", "analysis", "n",
             "hr", "ci_lower", "ci_upper", "primary"]]
        """),
        md("""
        ## Choosing the studies

        Early breast cancer, overall survival, each study's primary contrast, and no
        aggregate meta-analyses (they would count the same patients twice). Caveat printed in
        the table's `note`: the SUCCESS trial (Rack 2014) also contributes patients to Janni
        2016 — a sensitivity analysis without one of them is needed (leave-one-out below).
        """),
        code("""
        early_os = cs.published_hazard_ratios(setting="early", endpoint="OS", primary_only=True)
        early_os = early_os[early_os["level"] != "meta-analysis"].reset_index(drop=True)
        early_os[["study", "marker", "level", "n", "hr", "ci_lower", "ci_upper", "log_hr",
                  "std_error", "note"]]
        """),
        code("""
        meta = cs.meta_analysis(early_os, estimate_col="log_hr", std_error_col="std_error",
                                study_col="study", method="reml", test="knha")
        meta
        """),
        code("""
        meta.plot();
        """),
        code("""
        pd.Series({"pooled_hr": np.exp(meta.estimate), "ci_lower": np.exp(meta.ci_lower),
                   "ci_upper": np.exp(meta.ci_upper),
                   "prediction_lower": np.exp(meta.pi_lower),
                   "prediction_upper": np.exp(meta.pi_upper),
                   "tau2": meta.tau2, "i2_percent": meta.i2})
        """),
        md("""
        The 95% *prediction* interval is the range of true HRs expected in a new study — much
        wider than the CI of the mean when heterogeneity (I²) is substantial. Knapp–Hartung vs
        the classical z-test:
        """),
        code("""
        rows = []
        for method, test in (("fixed", "z"), ("dl", "z"), ("reml", "z"), ("reml", "knha")):
            m = cs.meta_analysis(early_os, estimate_col="log_hr", std_error_col="std_error",
                                 study_col="study", method=method, test=test)
            rows.append({"method": method, "test": test, "hr": np.exp(m.estimate),
                         "ci_lower": np.exp(m.ci_lower), "ci_upper": np.exp(m.ci_upper),
                         "tau2": m.tau2})
        pd.DataFrame(rows)
        """),
        md("""
        ## Subgroups: CTC vs DTC
        """),
        code("""
        sub = cs.subgroup_meta_analysis(early_os, estimate_col="log_hr",
                                        std_error_col="std_error", subgroup_col="marker",
                                        study_col="study", method="reml", test="knha")
        sub
        """),
        code("""
        sub.plot();
        """),
        md("""
        ## Small-study effects and influence

        Egger's regression test for funnel-plot asymmetry (with fewer than 10 studies it has
        little power — the result records that warning), and the pooled estimate leaving out
        each study in turn.
        """),
        code("""
        egger = cs.egger_test(early_os, estimate_col="log_hr", std_error_col="std_error")
        egger
        """),
        code("""
        meta.plot(kind="funnel");
        """),
        code("""
        loo = cs.leave_one_out(early_os, estimate_col="log_hr", std_error_col="std_error",
                               study_col="study", method="reml", test="knha")
        loo.assign(hr=np.exp(loo["estimate"]), hr_ci_lower=np.exp(loo["ci_lower"]),
                   hr_ci_upper=np.exp(loo["ci_upper"]))[
            ["study", "hr", "hr_ci_lower", "hr_ci_upper", "tau2", "i2"]]
        """),
        md("""
        ## Reconstructing individual patient data from a published KM curve

        When only the KM figure is published, digitising the curve and the numbers at risk
        below it allows individual patient data to be reconstructed (Guyot et al. 2012) and
        reanalysed. To show the round trip we take a *synthetic* cohort whose true data we
        know: its KM curves and risk table play the role of the published figure.
        """),
        code("""
        truth = simulate_cohort("cristofanilli2004", rng=7)
        km_true = cs.kaplan_meier(truth, time_col="os_months", event_col="os_event",
                                  group_col="ctc_positive")
        risk_times = np.arange(0, 31, 3)   # the times of the published risk table
        reconstructed = []
        for group in (0, 1):
            curve = km_true.table[km_true.table["group"] == group][["time", "survival"]]
            risk = km_true.survival_at(risk_times)
            risk = risk[(risk["group"] == group) & (risk["time"] <= curve["time"].max())]
            risk = risk[["time", "n_at_risk"]]
            ipd = cs.reconstruct_ipd(curve, risk_table=risk,
                                     total_events=int(truth.loc[truth["ctc_positive"] == group,
                                                                "os_event"].sum()))
            reconstructed.append(ipd.assign(ctc_positive=group))
        reconstructed = pd.concat(reconstructed, ignore_index=True)
        reconstructed.head()
        """),
        code("""
        fit_true = cs.fit_cox(truth, time_col="os_months", event_col="os_event",
                              covariates=["ctc_positive"])
        fit_rec = cs.fit_cox(reconstructed, time_col="time", event_col="event",
                             covariates=["ctc_positive"])
        pd.DataFrame({"original": fit_true.table.loc["ctc_positive",
                                                     ["hr", "ci_lower", "ci_upper"]],
                      "reconstructed": fit_rec.table.loc["ctc_positive",
                                                         ["hr", "ci_lower", "ci_upper"]]})
        """),
        code("""
        km_rec = cs.kaplan_meier(reconstructed, time_col="time", event_col="event",
                                 group_col="ctc_positive")
        ax = km_true.plot(risk_table=False, ci=False)
        for group, curve in km_rec.table.groupby("group"):
            ax.step(curve["time"], curve["survival"], where="post", ls=":", color="k", lw=1)
        ax.set_title("original (colour) vs reconstructed (dotted)");
        """),
        code("""
        # CHECK (read by tests/test_notebooks.py)
        print("CHECK " + json.dumps({
            "k": int(meta.k),
            "pooled_hr": round(float(np.exp(meta.estimate)), 4),
            "ci": [round(float(np.exp(meta.ci_lower)), 4), round(float(np.exp(meta.ci_upper)), 4)],
            "i2": round(float(meta.i2), 3),
            "subgroups": sorted(sub.table["subgroup"].astype(str).tolist()),
            "egger_p": round(float(egger.p_value), 4),
            "loo_rows": int(len(loo)),
            "hr_original": round(float(fit_true.table.loc["ctc_positive", "hr"]), 4),
            "hr_reconstructed": round(float(fit_rec.table.loc["ctc_positive", "hr"]), 4)}))
        """),
    ]


# =========================================================================== percent sources
def from_percent(stem: str):
    """Cells of a jupytext percent-format source ``notebooks/<stem>.py`` (the file people
    edit; ``jupytext --sync`` keeps it paired with the ``.ipynb``)."""
    import jupytext

    nb = jupytext.read(HERE / f"{stem}.py", fmt="py:percent")
    return [new_markdown_cell(c.source) if c.cell_type == "markdown" else new_code_cell(c.source)
            for c in nb.cells]


PERCENT = {"08_relapse_sites_multistate.ipynb"}


NOTEBOOKS = {
    "00_quickstart.ipynb": quickstart,
    "01_pooled_dtc_braun2005.ipynb": braun,
    "02_metastatic_ctc_cristofanilli2004_hayes2006.ipynb": metastatic,
    "03_early_ctc_janni2016_rack2014_lucci2012.ipynb": early,
    "04_colorectal_prostate_cohen2008_debono2008.ipynb": colorectal_prostate,
    "05_ctc_guided_therapy_swog_s0500.ipynb": swog,
    "06_study_design_and_power.ipynb": power,
    "07_pooling_and_meta_analysis.ipynb": meta,
    "08_relapse_sites_multistate.ipynb": lambda: from_percent("08_relapse_sites_multistate"),
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name]())
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if name in PERCENT:
        nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{i:03d}"  # stable ids: reproducible files
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    names = argv or list(NOTEBOOKS)
    for name in names:
        nbformat.write(build(name), HERE / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
