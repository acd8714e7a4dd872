"""The worked notebooks of ``notebooks/``: committed without outputs, in sync with their
generator, and executed end to end (nbclient, kernel ``python3``) within two minutes each.

Each notebook ends with a ``CHECK`` cell printing one JSON line of key results; the tests
read it and check the numbers that the notebook's narrative relies on. Ranges are wide where
a number comes from a synthetic cohort (the designs may be recalibrated) and tight where it
is a closed form.
"""

from __future__ import annotations

import importlib.util
import json
import math
import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
TIMEOUT_S = 120  # per notebook (the budget), also nbclient's per-cell timeout


def _generator():
    spec = importlib.util.spec_from_file_location(
        "_build_notebooks", NOTEBOOK_DIR / "_build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
NAMES = sorted(GEN.NOTEBOOKS)


# --------------------------------------------------------------------------- committed files
def test_every_notebook_is_generated():
    on_disk = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
    assert on_disk == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs_and_in_sync(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells, "a notebook without code"
    for cell in code_cells:
        assert cell.execution_count is None
        assert cell.outputs == []
    # the committed file is exactly what the generator writes (review the generator, not JSON)
    assert nb == GEN.build(name), (
        f"{name} differs from notebooks/_build_notebooks.py; regenerate with "
        "`python notebooks/_build_notebooks.py`.")


# --------------------------------------------------------------------------- execution
_EXECUTED: dict[str, tuple[nbformat.NotebookNode, float]] = {}


def _execute(name: str) -> tuple[nbformat.NotebookNode, float]:
    if name not in _EXECUTED:
        from nbclient import NotebookClient

        nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
        client = NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
        start = time.perf_counter()
        client.execute()  # raises CellExecutionError on the first failing cell
        _EXECUTED[name] = (nb, time.perf_counter() - start)
    return _EXECUTED[name]


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.outputs


def _check_line(nb) -> dict:
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    text = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    lines = [ln for ln in text.splitlines() if ln.startswith("CHECK ")]
    assert len(lines) == 1, f"the CHECK cell printed {text!r}"
    return json.loads(lines[0][len("CHECK "):])


def _run(name: str) -> dict:
    nb, elapsed = _execute(name)
    assert elapsed < TIMEOUT_S, f"{name} took {elapsed:.0f} s (budget {TIMEOUT_S} s)"
    outputs = list(_outputs(nb))
    assert not [o for o in outputs if o.output_type == "error"]
    # results are shown through their _repr_html_, figures inline
    html = [o["data"]["text/html"] for o in outputs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o["data"]]
    assert any("ctcstats-result" in h for h in html), "no result object was displayed"
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    return _check_line(nb)


def _between(x, lo, hi):
    return x is not None and math.isfinite(x) and lo <= x <= hi


@pytest.mark.slow
def test_quickstart():
    check = _run("00_quickstart.ipynb")
    # Janni 2016 published DFS HR 1.82 (1.47-2.26); one synthetic cohort of 3,173 patients
    assert _between(check["hr"], 1.3, 3.0)
    assert check["ci_lower"] < check["hr"] < check["ci_upper"]
    assert check["n_obs"] == 3173


@pytest.mark.slow
def test_braun2005():
    check = _run("01_pooled_dtc_braun2005.ipynb")
    assert _between(check["prevalence"], 0.25, 0.37)  # published 30.6%
    assert _between(check["cox_hr"], 1.15, 3.0)
    assert check["hr_0_5"] > 1 and check["hr_5_plus"] > 1
    assert check["k"] == 9  # nine studies pooled
    assert _between(check["meta_hr"], 1.15, 3.0)


@pytest.mark.slow
def test_cristofanilli_hayes():
    check = _run("02_metastatic_ctc_cristofanilli2004_hayes2006.ipynb")
    assert _between(check["prevalence"], 0.3, 0.7)  # published 49%
    assert check["os_median_pos"] < 20
    # the corrected p-value of the maximally selected statistic exceeds the naive one, and
    # the >=5 split clears the corrected critical value
    assert check["p_corrected"] > check["p_naive"]
    assert check["stat_at_5"] > check["critical_value"]
    assert check["best_count_model"] != "poisson"
    assert check["n_landmarks"] == 5


@pytest.mark.slow
def test_early_ctc():
    check = _run("03_early_ctc_janni2016_rack2014_lucci2012.ipynb")
    assert _between(check["janni_hr"], 1.3, 3.0)
    assert check["lr_p_value"] < 1e-3
    assert _between(check["delta_c"], 0.0, 0.15)
    assert _between(check["calibration_slope"], 0.4, 2.0)
    assert check["lucci_hr"] > 1.5
    assert check["lucci_ci_ratio"] > 2.5  # a small study: a wide CI


@pytest.mark.slow
def test_colorectal_prostate():
    check = _run("04_colorectal_prostate_cohen2008_debono2008.ipynb")
    # closed forms: P(Poisson(5) >= 5) and the exact Poisson CI of 3 cells in 7.5 mL
    assert math.isclose(check["p_positive_at_threshold_5"], 0.5595, abs_tol=1e-4)
    assert math.isclose(check["ci_3_cells"][0], 0.0825, abs_tol=1e-4)
    assert math.isclose(check["ci_3_cells"][1], 1.169, abs_tol=1e-3)
    assert check["prevalence_3"] > check["prevalence_5"]
    assert check["n_conversion_groups"] >= 3
    # published 21.3 vs 6.8 months from the draw: converters to favourable live longer
    assert check["median_unf_fav"] > 2 * check["median_unf_unf"]


@pytest.mark.slow
def test_swog_s0500():
    check = _run("05_ctc_guided_therapy_swog_s0500.ipynb")
    assert check["median_A"] > check["median_C1"]
    assert check["median_A"] > check["median_C2"]
    assert _between(check["switch_hr"], 0.5, 2.0)
    assert check["null_share_significant"] < 0.15
    assert check["n_analysed"] <= 595


@pytest.mark.slow
def test_power():
    check = _run("06_study_design_and_power.ipynb")
    # Schoenfeld: (z_.975 + z_.8)^2 / (0.2 * 0.8 * log(2)^2) = 102.10
    assert math.isclose(check["schoenfeld_events_hr2_p20"], 102.103, abs_tol=2e-3)
    assert _between(check["lucci_power"], 0.0, 1.0)
    lo, hi = check["lucci_ci"]
    assert lo <= check["lucci_power"] <= hi
    assert _between(check["janni_power"], 0.5, 1.0)
    assert check["curve_n"] == [100, 200, 300, 450, 600]
    assert check["curve_power"][-1] > check["curve_power"][0]


@pytest.mark.slow
def test_meta():
    check = _run("07_pooling_and_meta_analysis.ipynb")
    assert check["k"] >= 5
    assert _between(check["pooled_hr"], 1.2, 2.5)
    assert check["ci"][0] < check["pooled_hr"] < check["ci"][1]
    assert check["subgroups"] == ["CTC", "DTC"]
    assert check["loo_rows"] == check["k"]
    # reconstructing IPD from the KM curve and risk table recovers the hazard ratio
    assert math.isclose(check["hr_reconstructed"], check["hr_original"], rel_tol=0.1)


@pytest.mark.slow
def test_relapse_sites_multistate():
    check = _run("08_relapse_sites_multistate.ipynb")
    # the assumed bone share among DTC-positive first distant relapses is 60%
    assert _between(check["bone_share_pos"], 0.52, 0.68)
    assert check["gray_p_bone"] < 1e-3
    # DTCs act most on bone relapse (the assumed tropism), and on other distant sites too
    assert check["cs_hr_bone"] > check["cs_hr_other"] > 1.0
    assert check["prob_sum_max_dev"] < 1e-12
    neg, pos = check["disease_free_time"]
    assert pos < neg < 96
    # real data: survfit's value for women at 240 months (tests/reference/multistate)
    from tests.reference._load import load_output

    ref = load_output("multistate", "survfit_mgus2")
    women = next(g for g in ref["by_group"] if g["group"] == "F")
    i = ref["times"].index(240)
    j = ref["states"].index("death")
    assert math.isclose(check["mgus_death_240_F"], women["pstate_at"][i][j], abs_tol=1e-10)
    assert math.isclose(check["mgus_death_240_F_se"], women["pstate_se_at"][i][j],
                        rel_tol=1e-10)
    # transition-specific Cox: DTC raises the hazard of a first bone relapse (transition 2);
    # DTC-positive patients are less often disease-free at 8 years
    assert check["ms_hr_bone"] > 1.5
    neg96, pos96 = check["pred_df_96"]
    assert pos96 < neg96
    # mgus2: coxph(Surv(tstart, tstop, event) ~ age + sex, id = id), age on MGUS -> PCM
    cox = load_output("multistate", "coxph_mgus2")
    k = cox["terms"].index("age_1:2")
    assert math.isclose(check["mgus_age_12"], cox["coef"][k], rel_tol=1e-6)
    assert math.isclose(check["mgus_age_12_se"], cox["var"][k][k] ** 0.5, rel_tol=1e-6)
