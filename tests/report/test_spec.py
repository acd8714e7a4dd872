"""AnalysisSpec / load_spec: every error names the field; TOML round trip."""

from __future__ import annotations

import pytest

from ctcstats.report import (
    Analyses,
    AnalysisSpec,
    EndpointSpec,
    SpecError,
    load_spec,
    spec_from_design,
    spec_from_dict,
)

OS = {"name": "os", "time_col": "os_months", "event_col": "os_event"}


def _write(tmp_path, text: str):
    p = tmp_path / "spec.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_spec_defaults():
    s = spec_from_dict({"marker_col": "ctc_count", "endpoints": [OS]})
    assert s.thresholds == (1,)
    assert s.primary.name == "os" and s.primary.label == "os"
    assert s.title == "ctc_count as a prognostic marker"
    assert s.analyses == Analyses()
    assert s.missing == "drop" and s.seed == 1


def test_toml_round_trip(tmp_path):
    s = AnalysisSpec(
        title='CTC "study" <b>', marker_col="ctc_count", marker_label="CTC",
        endpoints=(EndpointSpec("pfs", "pfs_months", "pfs_event", label="PFS"),
                   EndpointSpec("os", "os_months", "os_event")),
        thresholds=(5, 1), covariates=("age", "line"), categorical=("line",),
        strata_col="centre", horizons=(6, 12), landmarks=(3,),
        analyses=Analyses(cutpoint=True, categories=(0, 1, 5), piecewise="always",
                          split_at=(12,)), seed=7,
    )
    back = load_spec(_write(tmp_path, s.to_toml()))
    assert back == s


def test_load_spec_overrides(tmp_path):
    p = _write(tmp_path, 'marker_col = "ctc_count"\nseed = 3\n[[endpoints]]\nname = "os"\n'
                         'time_col = "t"\nevent_col = "e"\n')
    assert load_spec(p, seed=9, title=None).seed == 9


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"endpoints": [OS]}, r"spec field 'marker_col' is missing"),
        ({"marker_col": "c"}, r"spec field 'endpoints' is missing"),
        ({"marker_col": "c", "endpoints": [OS], "colour": "red"},
         r"spec field 'colour' is not known"),
        ({"marker_col": "c", "endpoints": [OS, {"name": "pfs", "event_col": "e"}]},
         r"spec field 'endpoints\[1\]\.time_col' is missing"),
        ({"marker_col": "c", "endpoints": [{**OS, "unit": "d"}]},
         r"spec field 'endpoints\[0\]\.unit' is not known"),
        ({"marker_col": "c", "endpoints": [{**OS, "time_col": ""}]},
         r"spec field 'endpoints\[0\]\.time_col' must be a non-empty string"),
        ({"marker_col": "c", "endpoints": [OS, OS]}, r"'endpoints' must have distinct names"),
        ({"marker_col": "c", "endpoints": []}, r"'endpoints' must list at least one"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": ["five"]},
         r"spec field 'thresholds' must be a list of integers ≥ 1"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": [0]},
         r"'thresholds' must be a list of integers ≥ 1"),
        ({"marker_col": "c", "endpoints": [OS], "covariates": ["a"], "categorical": ["b"]},
         r"spec field 'categorical' must name covariates"),
        ({"marker_col": "c", "endpoints": [OS], "covariates": ["c"]},
         r"spec field 'covariates' must not contain the marker column"),
        ({"marker_col": "c", "endpoints": [OS], "horizons": [12, 6]},
         r"spec field 'horizons' must be strictly increasing"),
        ({"marker_col": "c", "endpoints": [OS], "landmarks": [-1]},
         r"spec field 'landmarks' must be a list of numbers > 0"),
        ({"marker_col": "c", "endpoints": [OS], "missing": "impute"},
         r"spec field 'missing' must be one of drop, raise"),
        ({"marker_col": "c", "endpoints": [OS], "seed": -2},
         r"spec field 'seed' must be a non-negative integer"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"cutpoint": "yes"}},
         r"spec field 'analyses\.cutpoint' must be true or false"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"piecewise": "sometimes"}},
         r"spec field 'analyses\.piecewise' must be one of auto, always, never"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"split_at": [60, 12]}},
         r"spec field 'analyses\.split_at' must be strictly increasing"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"categories": [1, 2, 5]}},
         r"spec field 'analyses\.categories' must start at 0"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"bootstrap": 5}},
         r"spec field 'analyses\.bootstrap' is not known"),
    ],
)
def test_spec_errors_name_the_field(doc, match):
    with pytest.raises(SpecError, match=match):
        spec_from_dict(doc)


def test_toml_file_errors(tmp_path):
    with pytest.raises(SpecError, match=r"spec file .* does not exist"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(SpecError, match=r"spec file 'spec.toml' is not valid TOML"):
        load_spec(_write(tmp_path, "marker_col = \n"))
    with pytest.raises(SpecError, match=r"spec field 'endpoints\[0\]\.event_col' is missing"):
        load_spec(_write(tmp_path, 'marker_col = "c"\n[[endpoints]]\nname = "os"\n'
                                   'time_col = "t"\n'))


def test_spec_from_design_braun():
    s = spec_from_design("braun2005", rng=4)
    assert s.design == "braun2005" and s.seed == 4
    assert [e.name for e in s.endpoints] == ["os", "bcss", "dfs", "ddfs"]
    assert s.primary.time_col == "os_months" and s.primary.event_col == "os_event"
    assert s.marker_col == "dtc_count" and s.thresholds == (1,)
    assert s.covariates == ("tumor_size_cm", "node_positive", "grade", "hr_positive")
    assert s.strata_col == "study"
    assert s.analyses.split_at == (60.0,)
    assert s.analyses.cutpoint and s.analyses.prognostic
