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
         r"spec field 'colour' is not a known field; known fields: endpoints, marker_col"),
        ({"marker_col": "c", "endpoints": [OS], "treshold": [5]},
         r"spec field 'treshold' is not a known field; did you mean 'thresholds'\?"),
        ({"marker_col": "c", "endpoints": [OS, {"name": "pfs", "event_col": "e"}]},
         r"spec field 'endpoints\[1\]\.time_col' is missing"),
        ({"marker_col": "c", "endpoints": [{**OS, "unit": "d"}]},
         r"spec field 'endpoints\[0\]\.unit' is not a known field of endpoints\[0\]"),
        ({"marker_col": "c", "endpoints": [{**OS, "time_col": ""}]},
         r"spec field 'endpoints\[0\]\.time_col' must be a non-empty string"),
        ({"marker_col": "c", "endpoints": [OS, OS]}, r"'endpoints' must have distinct names"),
        ({"marker_col": "c", "endpoints": []},
         r"spec field 'endpoints' must be a non-empty array of tables \[\[endpoints\]\]"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": ["five"]},
         r"spec field 'thresholds' must be a list of whole numbers in \[1, inf\)"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": [0]},
         r"spec field 'thresholds' must be a list of whole numbers in \[1, inf\); got \[0\]"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": []},
         r"spec field 'thresholds' must not be empty"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": [5, 5]},
         r"spec field 'thresholds' must not repeat a value"),
        ({"marker_col": "c", "endpoints": [OS], "covariates": ["a"], "categorical": ["b"]},
         r"spec field 'categorical' must name covariates"),
        ({"marker_col": "c", "endpoints": [OS], "covariates": ["c"]},
         r"spec field 'covariates' must not contain the marker column"),
        ({"marker_col": "c", "endpoints": [OS], "horizons": [12, 6]},
         r"spec field 'horizons' must be strictly increasing"),
        ({"marker_col": "c", "endpoints": [OS], "landmarks": [-1]},
         r"spec field 'landmarks' must be a list of numbers in \(0, inf\)"),
        ({"marker_col": "c", "endpoints": [OS], "missing": "impute"},
         r"spec field 'missing' must be one of 'drop', 'raise'; got 'impute'"),
        ({"marker_col": "c", "endpoints": [OS], "seed": -2},
         r"spec field 'seed' must be in \[0, inf\); got -2"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"cutpoint": "yes"}},
         r"spec field 'analyses\.cutpoint' must be true or false; got 'yes'"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"piecewise": "sometimes"}},
         r"spec field 'analyses\.piecewise' must be one of 'auto', 'always', 'never'"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"split_at": [60, 12]}},
         r"spec field 'analyses\.split_at' must be strictly increasing"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"categories": [1, 2, 5]}},
         r"spec field 'analyses\.categories' must start at 0"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"bootstrap": 5}},
         r"spec field 'analyses\.bootstrap' is not a known field of analyses"),
        # no silent coercion
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"categories": True}},
         r"spec field 'analyses\.categories' must be a list of whole numbers in \[0, inf\), "
         r"strictly increasing \(a TOML array \[\.\.\.\], e\.g\. \[0, 1, 2, 3, 5\]\); got True"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"piecewise": True}},
         r"spec field 'analyses\.piecewise' must be one of 'auto', 'always', 'never'; got True"),
        ({"marker_col": "c", "endpoints": [OS], "covariates": "age, grade"},
         r"spec field 'covariates' must be a list of non-empty strings, without repeats \(a "
         r"TOML array \[\.\.\.\], e\.g\. \[\"age\", \"grade\"\]\); got 'age, grade'"),
        ({"marker_col": "c", "endpoints": [OS], "covariates": ["age", "age"]},
         r"spec field 'covariates' must not repeat a value"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": 5},
         r"spec field 'thresholds' must be a list .*e\.g\. \[5, 1\]\); got 5"),
        ({"marker_col": "c", "endpoints": [OS], "thresholds": [5.0]},
         r"spec field 'thresholds' must be a list of whole numbers in \[1, inf\); got \[5\.0\]"),
        ({"marker_col": "c", "endpoints": [OS], "seed": 1.5},
         r"spec field 'seed' must be a whole number in \[0, inf\); got 1\.5"),
        ({"marker_col": "c", "endpoints": [OS], "seed": True},
         r"spec field 'seed' must be a whole number in \[0, inf\); got True"),
        ({"marker_col": "c", "endpoints": [OS], "horizons": "12"},
         r"spec field 'horizons' must be a list of numbers in \(0, inf\), strictly increasing"),
        ({"marker_col": "c", "endpoints": [OS], "horizons": [12, "24"]},
         r"spec field 'horizons' must be a list of numbers in \(0, inf\)"),
        ({"marker_col": "c", "endpoints": OS},
         r"spec field 'endpoints' must be an array of tables \[\[endpoints\]\]"),
        ({"marker_col": "c", "endpoints": ["os"]},
         r"spec field 'endpoints' must be an array of tables \[\[endpoints\]\]"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": True},
         r"spec field 'analyses' must be a table; got True"),
        ({"marker_col": 5, "endpoints": [OS]},
         r"spec field 'marker_col' must be a non-empty string; got 5"),
        ({"marker_col": "c", "endpoints": [OS], "title": 3},
         r"spec field 'title' must be a string; got 3"),
        ({"marker_col": "c", "endpoints": [OS], "time_unit": "month"},
         r"spec field 'time_unit' must be one of 'days', 'weeks', 'months', 'years'; got "
         r"'month'"),
        ({"marker_col": "c", "endpoints": [OS], "volume_col": ["v"]},
         r"spec field 'volume_col' must be a string; got \['v'\]"),
        ({"marker_col": "c", "endpoints": [{**OS, "label": 1}]},
         r"spec field 'endpoints\[0\]\.label' must be a string; got 1"),
        ({"marker_col": "c", "endpoints": [OS], "analyses": {"split_at": [0]}},
         r"spec field 'analyses\.split_at' must be a list of numbers in \(0, inf\)"),
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


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: AnalysisSpec(endpoints=(EndpointSpec("os", "t", "e"),), marker_col="c",
                              thresholds=5),
         r"spec field 'thresholds' must be a list of whole numbers"),
        (lambda: AnalysisSpec(endpoints=EndpointSpec("os", "t", "e"), marker_col="c"),
         r"spec field 'endpoints' must be an array of tables"),
        (lambda: AnalysisSpec(endpoints=(EndpointSpec("os", "t", "e"),), marker_col="c",
                              covariates="age"),
         r"spec field 'covariates' must be a list of non-empty strings"),
        (lambda: Analyses(categories=True), r"spec field 'categories' must be a list"),
        (lambda: Analyses(piecewise=False), r"spec field 'piecewise' must be one of"),
        (lambda: EndpointSpec("os", "", "e"), r"spec field 'time_col' must be a non-empty "
                                              r"string"),
    ],
)
def test_python_construction_is_validated_without_coercion(make, match):
    with pytest.raises(SpecError, match=match):
        make()


def test_lists_become_tuples():
    s = AnalysisSpec(endpoints=[EndpointSpec("os", "t", "e")], marker_col="c",
                     thresholds=[5, 1], horizons=[12, 24])
    assert s.thresholds == (5, 1) and s.horizons == (12.0, 24.0)
    assert isinstance(s.endpoints, tuple)


def test_toml_is_written_by_tomli_w_and_reads_back(tmp_path):
    import tomllib

    import tomli_w

    s = spec_from_design("braun2005", rng=4)
    text = s.to_toml()
    assert text == tomli_w.dumps(s.to_dict())
    assert tomllib.loads(text)["analyses"]["split_at"] == [60.0]
    assert load_spec(_write(tmp_path, text)) == s


def test_spec_fields_documented_in_readme():
    from pathlib import Path

    from ctcstats._fieldtable import schema_of
    from ctcstats.report.spec import render_readme

    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert render_readme(text) == text, "README.md is out of date: python scripts/generate_docs.py"
    for cls in (AnalysisSpec, EndpointSpec, Analyses):
        for name, _ in schema_of(cls):
            assert f"| `{name}` |" in text, (cls.__name__, name)


def test_spec_must_be_a_table():
    with pytest.raises(SpecError, match=r"a spec must be a table of fields; got list"):
        spec_from_dict([OS])
