"""The REMARK checklist (McShane et al. 2005) mapped to the report's sections, and the
provenance section."""

from __future__ import annotations

import hashlib
import platform
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from ..format import dl, para, pre, table

__all__ = ["REMARK_ITEMS", "section_checklist", "section_provenance", "data_sha256",
           "dependency_versions"]

#: The 20 REMARK items in full (McShane LM, Altman DG, Sauerbrei W, et al. REporting
#: recommendations for tumour MARKer prognostic studies (REMARK). Br J Cancer 2005;93:387–391).
REMARK_ITEMS: dict[int, str] = {
    1: "State the marker examined, the study objectives, and any prespecified hypotheses.",
    2: "Describe the characteristics (e.g., disease stage or comorbidities) of the study "
       "patients, including their source and inclusion and exclusion criteria.",
    3: "Describe treatments received and how chosen (e.g., randomized or rule-based).",
    4: "Describe type of biological material used (including control samples) and methods "
       "of preservation and storage.",
    5: "Specify the assay method used and provide (or reference) a detailed protocol, "
       "including specific reagents or kits used, quality control procedures, "
       "reproducibility assessments, quantitation methods, and scoring and reporting "
       "protocols. Specify whether and how assays were performed blinded to the study "
       "endpoint.",
    6: "State the method of case selection, including whether prospective or retrospective "
       "and whether stratification or matching (e.g., by stage of disease or age) was used. "
       "Specify the time period from which cases were taken, the end of the follow-up "
       "period, and the median follow-up time.",
    7: "Precisely define all clinical endpoints examined.",
    8: "List all candidate variables initially examined or considered for inclusion in "
       "models.",
    9: "Give rationale for sample size; if the study was designed to detect a specified "
       "effect size, give the target power and effect size.",
    10: "Specify all statistical methods, including details of any variable selection "
        "procedures and other model-building issues, how model assumptions were verified, "
        "and how missing data were handled.",
    11: "Clarify how marker values were handled in the analyses; if relevant, describe "
        "methods used for cutpoint determination.",
    12: "Describe the flow of patients through the study, including the number of patients "
        "included in each stage of the analysis (a diagram may be helpful) and reasons for "
        "dropout. Specifically, both overall and for each subgroup extensively examined "
        "report the numbers of patients and the number of events.",
    13: "Report distributions of basic demographic characteristics (at least age and sex), "
        "standard (disease-specific) prognostic variables, and tumor marker, including "
        "numbers of missing values.",
    14: "Show the relation of the marker to standard prognostic variables.",
    15: "Present univariate analyses showing the relation between the marker and outcome, "
        "with the estimated effect (e.g., hazard ratio and survival probability). Preferably "
        "provide similar analyses for all other variables being analyzed. For the effect of "
        "a tumor marker on a time-to-event outcome, a Kaplan–Meier plot is recommended.",
    16: "For key multivariable analyses, report estimated effects (e.g., hazard ratio) with "
        "confidence intervals for the marker and, at least for the final model, all other "
        "variables in the model.",
    17: "Among reported results, provide estimated effects with confidence intervals from an "
        "analysis in which the marker and standard prognostic variables are included, "
        "regardless of their statistical significance.",
    18: "If done, report results of further investigations, such as checking assumptions, "
        "sensitivity analyses, and internal validation.",
    19: "Interpret the results in the context of the prespecified hypotheses and other "
        "relevant studies; include a discussion of limitations of the study.",
    20: "Discuss implications for future research and clinical value.",
}

_AUTHORS = "not derivable from the data — to be supplied by the authors"


def section_checklist(mapping: dict[int, list[tuple[str, str]]]) -> list[dict]:
    """``mapping``: item → list of (section number, section title)."""
    rows = []
    for item, text in REMARK_ITEMS.items():
        where = mapping.get(item, [])
        rows.append([str(item), text,
                     "; ".join(f"§{num} {title}" for num, title in where) if where
                     else _AUTHORS])
    return [
        para("Each REMARK item and the section of this report that addresses it. Items that "
             "need information beyond the data table (treatment, specimens, assay protocol, "
             "sample-size rationale, discussion) must be added by the authors."),
        table("REMARK checklist", ["item", "recommendation", "where in this report"], rows,
              cls="checklist"),
    ]


_DEPS = ("numpy", "scipy", "pandas", "lifelines", "statsmodels", "scikit-learn", "matplotlib",
         "jinja2")


def dependency_versions() -> list[tuple[str, str]]:
    out = []
    for name in ("ctcstats", *_DEPS):
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:  # pragma: no cover
            out.append((name, "not installed"))
    out.insert(1, ("python", platform.python_version()))
    return out


def data_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of *frame* written as CSV without index and with ``\\n`` line ends — the bytes
    ``ctcstats simulate`` writes, so a design's cohort can be checked with ``sha256sum``."""
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def section_provenance(*, source: str, sha: str, n_rows: int, n_cols: int, spec_toml: str,
                       seed: int, command: str | None) -> list[dict]:
    blocks = [dl([
        ("data", source),
        ("SHA-256 of the data", sha),
        ("rows × columns read", f"{n_rows} × {n_cols}"),
        ("seed", str(seed)),
    ] + ([("command", command)] if command else []), caption="Input")]
    blocks.append({"kind": "versions", "items": dependency_versions(),
                   "caption": "Software"})
    blocks.append(pre(spec_toml, caption="Analysis spec (TOML; reproduce with "
                                         "ctcstats report … --spec FILE.toml)"))
    blocks.append(para("The same data, spec and seed give a byte-identical report with the "
                       "same software versions: the file contains no timestamps, and figure "
                       "identifiers are deterministic."))
    return blocks
