"""The report as a Word document (``--format docx``), for clinicians who edit results in Word.

The same sections and blocks as the HTML report: headings, paragraphs, tables as real Word
tables (one cell per value, header row repeated on each page), figures as PNG images with
their captions, notes, verbatim text. Written with python-docx (no Word needed).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

__all__ = ["render_docx"]

_TABLE_STYLE = "Table Grid"


def _blocks(doc, blocks: Sequence[dict]) -> None:
    from docx.shared import Inches, Pt

    for b in blocks:
        kind = b["kind"]
        if kind == "p":
            doc.add_paragraph(b["text"])
        elif kind in ("table", "versions"):
            columns = b["columns"] if kind == "table" else ["package", "version"]
            rows = ([r["cells"] for r in b["rows"]] if kind == "table"
                    else [list(kv) for kv in b["items"]])
            subs = [bool(r.get("sub")) for r in b["rows"]] if kind == "table" else []
            if b.get("caption"):
                doc.add_paragraph(b["caption"], style="Caption")
            tab = doc.add_table(rows=1 + len(rows), cols=len(columns))
            tab.style = _TABLE_STYLE
            for j, c in enumerate(columns):
                cell = tab.rows[0].cells[j]
                cell.text = c
                for run in cell.paragraphs[0].runs:
                    run.bold = True
            _repeat_header(tab.rows[0])
            for i, r in enumerate(rows, start=1):
                for j, c in enumerate(r[:len(columns)]):
                    tab.rows[i].cells[j].text = c
                if subs and subs[i - 1]:
                    tab.rows[i].cells[0].paragraphs[0].paragraph_format.left_indent = Pt(10)
            for row in tab.rows:
                for cell in row.cells:
                    for par in cell.paragraphs:
                        for run in par.runs:
                            run.font.size = Pt(8.5)
            if b.get("note"):
                p = doc.add_paragraph(b["note"])
                for run in p.runs:
                    run.italic = True
                    run.font.size = Pt(8.5)
        elif kind == "figure":
            png = b.get("png")
            if png:
                doc.add_picture(io.BytesIO(png), width=Inches(6.0))
            doc.add_paragraph(b["caption"], style="Caption")
        elif kind == "notes":
            doc.add_paragraph("Warnings raised while computing this section", style="Heading 4")
            for m in b["items"]:
                doc.add_paragraph(m, style="List Bullet")
        elif kind == "pre":
            if b.get("caption"):
                doc.add_paragraph(b["caption"], style="Caption")
            p = doc.add_paragraph()
            run = p.add_run(b["text"])
            run.font.name = "Courier New"
            run.font.size = Pt(8)
        elif kind == "dl":
            if b.get("caption"):
                doc.add_paragraph(b["caption"], style="Caption")
            for k, v in b["items"]:
                p = doc.add_paragraph()
                p.add_run(f"{k}: ").bold = True
                p.add_run(v)


def _repeat_header(row) -> None:
    """Mark a table's first row as a header row repeated on every page (w:tblHeader)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def render_docx(*, title: str, subtitle: str, sections) -> bytes:
    """The report's sections (``number``, ``title``, ``blocks``, ``children``) as .docx bytes.

    Blocks of kind ``figure`` need a ``png`` entry (bytes) to show the image; without one only
    the caption is written.
    """
    try:
        import docx
    except ImportError as exc:  # a declared dependency; a broken install says what to do
        from ..errors import DataValidationError

        raise DataValidationError(
            "--format docx needs the package python-docx (a ctcstats dependency); install it "
            "with: pip install python-docx"
        ) from exc
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    doc = docx.Document()
    sec = doc.sections[0]
    # landscape A4: wide tables (Kaplan–Meier estimates at three horizons) keep every column
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Cm(1.8))
    props = doc.core_properties
    props.title, props.author, props.comments = title, "ctcstats", ""
    doc.add_heading(title, level=0)
    doc.add_paragraph(subtitle)
    for s in sections:
        doc.add_heading(f"{s.number}. {s.title}", level=1)
        _blocks(doc, s.blocks)
        for c in s.children:
            doc.add_heading(f"{c.number} {c.title}", level=2)
            _blocks(doc, c.blocks)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
