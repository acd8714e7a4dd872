"""Competing-risks section, part 2 (issue 14): the absolute risks and the competing-risks
metrics shown in the report are those of the library functions (checked against R in
tests/prognostic/test_competing_metrics.py), for both models and every horizon."""

from __future__ import annotations

import numpy as np

from ctcstats.prognostic.competing import (
    competing_brier_score,
    competing_concordance_index,
    competing_time_dependent_auc,
)
from ctcstats.prognostic.competing_predict import predict_cumulative_incidence
from ctcstats.report import EndpointSpec
from ctcstats.report.context import prepare_context
from ctcstats.report.format import fmt_num

from .test_report_stats import _competing_cohort, _spec


def _section():
    from ctcstats.report.sections.competing import competing_codes, section_competing

    spec = _spec(endpoints=(EndpointSpec("dss", "dss_months", "dss_event",
                                         label="disease-specific survival"),
                            EndpointSpec("os", "os_months", "os_event")),
                 horizons=(12.0, 24.0))
    ctx = prepare_context(_competing_cohort(), spec)
    blocks = section_competing(ctx)
    code = competing_codes(ctx, ctx.spec.endpoints[0])
    return ctx, blocks, ctx.frame.assign(e=code)


def _table(blocks, start):
    return next(b for b in blocks if b["kind"] == "table" and b["caption"].startswith(start)
                and "performance" in b["caption"])


def test_performance_table_is_the_library_metrics():
    ctx, blocks, fr = _section()
    cov = [ctx.term, "age", "grade"]
    tab = _table(blocks, "disease-specific survival")
    assert tab["columns"] == ["model", "horizon", "AUC (95% CI)", "Wolbers C", "Brier score",
                              "IPA", "O/E (95% CI)"]
    rows = {(r["cells"][0], r["cells"][1]): r["cells"] for r in tab["rows"]}
    assert set(rows) == {(m, f"{h:g} months") for m in ("Fine–Gray", "cause-specific Cox")
                         for h in (12, 24)}
    for method, label in (("fine_gray", "Fine–Gray"), ("cause_specific", "cause-specific Cox")):
        pred = predict_cumulative_incidence(fr, time_col="dss_months", event_col="e",
                                            covariates=cov, horizon=[12, 24], method=method)
        for h in (12.0, 24.0):
            d = fr.assign(p=pred.at(h))
            kw = dict(time_col="dss_months", event_col="e", risk_col="p")
            auc = competing_time_dependent_auc(d, **kw, horizon=h)
            c = competing_concordance_index(d, **kw, tau=h)
            b = competing_brier_score(d, **kw, horizon=h)
            cells = rows[(label, f"{h:g} months")]
            assert cells[2].startswith(fmt_num(auc.estimate, 3) + " (")
            assert cells[3] == fmt_num(c.estimate, 3)
            assert cells[4] == f"{fmt_num(b.estimate, 3)} (null {fmt_num(b.null_estimate, 3)})"
            assert cells[5] == fmt_num(b.ipa, 3)


def test_mean_predicted_risks_by_group_and_calibration_figure():
    ctx, blocks, fr = _section()
    tab = next(b for b in blocks if b["kind"] == "table"
               and "mean predicted cumulative incidence" in b["caption"])
    preds = ctx.results["competing_predictions:dss"]
    g = fr[ctx.group_col].to_numpy()
    for r in tab["rows"]:
        model, grp, *vals = r["cells"]
        key = "fine_gray" if model == "Fine–Gray" else "cause_specific"
        m = np.ones(len(fr), bool) if grp == "all" else g == grp
        for h, v in zip((12.0, 24.0), vals, strict=True):
            assert v == fmt_num(100 * preds[key].at(h)[m].mean(), 1)
    fig = [b for b in blocks if b["kind"] == "figure" and "Calibration of the predicted "
           "cumulative incidence" in b["caption"]]
    assert len(fig) == 1
    svg = fig[0]["svg"]
    for text in ("Fine–Gray", "cause-specific Cox", "Predicted cumulative incidence by 24 "
                 "months", "disease-specific survival (DSS): calibration at 24 months"):
        assert text in svg
    assert "DSS event by 24 months" in fig[0]["caption"]
