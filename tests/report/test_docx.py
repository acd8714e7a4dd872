"""`--format docx`: the Word report has the HTML report's sections, every table as a real Word
table with the same cells, and every figure as a PNG image (read back with python-docx)."""

from __future__ import annotations

import io
import re

import pytest

from ctcstats.cli import main
from ctcstats.report import build_report
from ctcstats.report.spec import spec_from_dict

from ._cohort import small_cohort
from .test_real_files import tables


@pytest.fixture(scope="module")
def both():
    df = small_cohort(n=150)
    df = df.drop(columns=[c for c in df.columns if c.startswith("<")])
    spec = spec_from_dict({
        "marker_col": "ctc_count", "thresholds": [5], "marker_label": "CTC",
        "covariates": ["age"], "time_unit": "months",
        "endpoints": [{"name": "os", "time_col": "os_months", "event_col": "os_event"}],
        "analyses": {"prognostic": False, "cutpoint": True}})
    return build_report(df, spec), build_report(df, spec, format="docx")


def test_docx_tables_and_figures_match_the_html(both):
    import docx

    html, data = both
    assert isinstance(data, bytes) and data[:2] == b"PK"
    doc = docx.Document(io.BytesIO(data))
    html_tables = tables(html)
    # every HTML table (the versions table included) is a Word table with the same cells
    assert len(doc.tables) == len(html_tables)
    for word, (caption, rows) in zip(doc.tables, html_tables.items(), strict=True):
        got = [[c.text for c in r.cells] for r in word.rows]
        assert got == rows, caption
    # headings: every section of the HTML report, in order
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    html_heads = [re.sub(r"\s*REMARK [\d, ]+$", "", re.sub(r"<[^>]+>", "", h)).strip()
                  for h in re.findall(r"<h[23]>(.*?)</h[23]>", html)]
    assert [h for h in heads if h[0].isdigit()] == html_heads
    # figures: one PNG per SVG figure, each followed by its caption
    n_fig = html.count("<figure>")
    assert len(doc.inline_shapes) == n_fig >= 3
    for shape in doc.inline_shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        part = doc.part.related_parts[blip.embed]
        assert part.content_type == "image/png" and part.blob[:4] == b"\x89PNG"
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Figure ")]
    assert len(captions) == n_fig


def test_docx_via_cli_and_suffix_checks(tmp_path):
    p = tmp_path / "c.csv"
    df = small_cohort(n=120)
    df.drop(columns=[c for c in df.columns if c.startswith("<")]).to_csv(p, index=False)
    cols = ["--time-col", "os_months", "--event-col", "os_event", "--marker-col", "ctc_count"]
    spec = tmp_path / "s.toml"
    spec.write_text("[analyses]\nprognostic = false\n")
    out = tmp_path / "r.docx"
    assert main(["report", str(p), *cols, "--spec", str(spec), "--quiet", "--out",
                 str(out)]) == 0  # the suffix chooses docx
    import docx

    doc = docx.Document(str(out))
    assert doc.tables and doc.inline_shapes
    assert main(["report", str(p), *cols, "--format", "docx", "--out",
                 str(tmp_path / "r.html")]) == 2
    assert main(["report", str(p), *cols, "--format", "html", "--out",
                 str(tmp_path / "x.docx")]) == 2
    assert sorted(q.name for q in tmp_path.iterdir()) == ["c.csv", "r.docx", "s.toml"]
