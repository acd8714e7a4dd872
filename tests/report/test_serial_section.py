"""The report's "Serial draws" section: present only when draws are given (build_report
draws=, CLI --draws, design reports of designs with serial draws), numbers equal to the
public functions, clear errors."""

from __future__ import annotations

import html as html_mod
import re

import numpy as np
import pandas as pd
import pytest

import ctcstats as cs
from ctcstats.cli import main
from ctcstats.errors import DataValidationError
from ctcstats.report import build_report, spec_from_dict


@pytest.fixture(scope="module")
def study():
    return cs.simulate_study("smerage2014", n=300, rng=5)


def _spec():
    return spec_from_dict({"marker_col": "ctc_count", "marker_label": "CTC", "thresholds": [5],
                           "endpoints": [{"name": "os", "time_col": "os_months",
                                          "event_col": "os_event"}],
                           "horizons": [12], "analyses": {"prognostic": False}})


def _section(html: str) -> str:
    i = html.index('id="serial-draws"')
    seg = html[i:html.index("</section>", i)]
    seg = re.sub(r"<svg.*?</svg>", "[SVG]", seg, flags=re.S)
    return re.sub(r"\s+", " ", html_mod.unescape(re.sub(r"<[^>]+>", " ", seg)))


def test_section_only_with_draws_and_numbers_match(study):
    assert 'id="serial-draws"' not in build_report(study.data, _spec())
    html = build_report(study.data, _spec(), draws=study.draws)
    text = _section(html)
    assert "Draw schedule" in text and "day 21" in text
    # the time-dependent Cox HR of the current status equals the public functions'
    dr = study.draws.assign(s=(study.draws["ctc_count"] >= 5).astype(int))
    cp = cs.counting_process_data(study.data, draws=dr, time_col="os_months",
                                  event_col="os_event", value_cols=["s"], before_first="drop")
    fit = cs.fit_cox(cp, start_col="start", time_col="stop", event_col="os_event",
                     id_col="patient_id", covariates=["s"])
    r = fit.table.iloc[0]
    assert f"{r['hr']:.2f} ({r['ci_lower']:.2f}–{r['ci_upper']:.2f})" in text
    kw = dict(draws=study.draws, landmarks=[0.0, 0.69], horizon=12.0, time_col="os_months",
              event_col="os_event", marker_col="ctc_count", transform="log1p",
              landmark_degree=1)
    perf = cs.dynamic_performance(study.data, draws=study.draws, models={
        "b": cs.landmark_supermodel(study.data, summary="baseline", **kw),
        "u": cs.landmark_supermodel(study.data, summary="current", **kw)})
    auc = perf.table.loc[(perf.table["model"] == "u") & (perf.table["landmark"] == 0.69), "auc"]
    assert f"{float(auc.iloc[0]):.3f}" in text
    assert "[SVG]" in text
    # no patient-level rows: no patient id column in the section
    assert "patient_id" not in text


def test_bad_draws_are_named(study):
    with pytest.raises(DataValidationError, match="draws need a patient id"):
        build_report(study.data, _spec(), draws=study.draws.drop(columns="draw_months"))
    with pytest.raises(DataValidationError, match="pandas DataFrame"):
        build_report(study.data, _spec(), draws=np.zeros(3))


def test_cli_draws_option(study, tmp_path, capsys):
    csv, dcsv = tmp_path / "c.csv", tmp_path / "d.csv"
    study.data.to_csv(csv, index=False)
    study.draws.to_csv(dcsv, index=False)
    out = tmp_path / "r.html"
    assert main(["report", str(csv), "--time-col", "os_months", "--event-col", "os_event",
                 "--marker-col", "ctc_count", "--threshold", "5", "--draws", str(dcsv),
                 "--quiet", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'id="serial-draws"' in html and str(tmp_path) not in html
    assert main(["report", "--design", "lucci2012", "--draws", str(dcsv), "--quiet", "--out",
                 str(tmp_path / "x.html")]) != 0
    assert "--draws cannot be combined with --design" in capsys.readouterr().err


def test_draw_times_follow_the_display_unit(study):
    """Times in days shown in months: the draws are rescaled with the endpoints, so the
    section equals the one of the same cohort in months (up to the figure's drawing)."""
    f = 365.25 / 12
    data = study.data.assign(os_days=study.data["os_months"] * f).drop(columns="os_months")
    draws = study.draws.assign(draw_days=study.draws["draw_months"] * f).drop(
        columns="draw_months")
    spec = spec_from_dict({"marker_col": "ctc_count", "marker_label": "CTC", "thresholds": [5],
                           "endpoints": [{"name": "os", "time_col": "os_days",
                                          "event_col": "os_event"}],
                           "time_unit": "days", "display_unit": "months",
                           "horizons": [12], "analyses": {"prognostic": False}})
    days = _section(build_report(data, spec, draws=draws))
    months = _section(build_report(study.data, _spec(), draws=study.draws))
    assert days == months


def test_categorical_draw_index_with_an_unused_level(study):
    """The draw index as a pandas Categorical with a visit no draw has (e.g. a planned visit
    not reached in this subset): the same section as with the plain index — no empty visit
    in the schedule (pandas' default groupby would make one and fail on its label)."""
    draws = study.draws.assign(draw=lambda d: pd.Categorical(
        d["draw"], categories=[*sorted(d["draw"].unique()), 99]))
    plain = _section(build_report(study.data, _spec(), draws=study.draws))
    assert _section(build_report(study.data, _spec(), draws=draws)) == plain
