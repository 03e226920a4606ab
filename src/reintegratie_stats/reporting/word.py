"""``report.docx``: every publication table and figure of a run, for Word.

Researchers write in Word: this file holds, per chapter, the publication tables
(:func:`reintegratie_stats.publication.tables.publication_tables`, already in the report's
language and computed from the protected tables) with their number, caption, footnotes and
reading, then the report's figures. Tables are real Word tables (paste them into a paper and
restyle them there), in landscape pages so that side-by-side models fit.

Written with python-docx (the optional extra ``word``); without it the report has no
``report.docx`` and says so (:func:`docx_available`).

Examples
--------
>>> from reintegratie_stats.publication.tables import PubTable
>>> t = PubTable("demo", "ch2", "2.1", "Contact", ("type", "overall"), ("Type", "Total"),
...              (("Mentor", "44.0 [40.6, 47.5]"),), "Mentors are seen often.")
>>> data = docx_bytes([t], {}, lang="en", title="Report")  # doctest: +SKIP
>>> data[:2]  # doctest: +SKIP
b'PK'
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime

from ..labels import text
from ..publication.tables import PubTable
from .runner import CHAPTERS

__all__ = ["docx_available", "docx_bytes"]

#: Fixed document dates, so that the file's properties do not change between runs.
_DATE = datetime(2000, 1, 1)


def docx_available() -> bool:
    """True when python-docx (extra ``word``) is installed."""
    try:
        import docx  # noqa: F401
    except ImportError:
        return False
    return True


def _landscape(section: object) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section.orientation = WD_ORIENT.LANDSCAPE  # type: ignore[attr-defined]
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)  # type: ignore[attr-defined]
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))


def _add_table(doc: object, t: PubTable, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    label = text("pub_headers", "table", lang)
    cap = doc.add_paragraph()  # type: ignore[attr-defined]
    run = cap.add_run(f"{label} {t.number}. ")
    run.bold = True
    cap.add_run(t.caption)
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    size = Pt(7) if len(t.header) > 8 else Pt(8.5)
    # ``table.cell(i, j)`` rebuilds the list of every cell on each call (quadratic: 13 of the
    # report's 18 s in Word tables); the list is built once here, in the same row-major order.
    cells = table._cells
    ncol = len(t.header)
    for i, row in enumerate([t.header, *t.rows]):
        for j, value in enumerate(row):
            cell = cells[i * ncol + j]
            cell.text = str(value)
            for par in cell.paragraphs:
                if j > 0 and i > 0:
                    par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for r in par.runs:
                    r.font.size = size
                    r.bold = i == 0
    for note in t.notes:
        p = doc.add_paragraph(note)  # type: ignore[attr-defined]
        for r in p.runs:
            r.font.size = Pt(8)
            r.italic = True
    if t.reading:
        doc.add_paragraph(t.reading)  # type: ignore[attr-defined]


def docx_bytes(
    tables: Sequence[PubTable],
    figures: Mapping[str, tuple[str, str, bytes]],
    *,
    lang: str,
    title: str,
    source: str = "",
) -> bytes:
    """The Word document as bytes.

    Parameters
    ----------
    tables : sequence of PubTable
        In report order; grouped under their chapter's heading.
    figures : mapping
        Figure name -> ``(chapter, caption, PNG bytes)``, added after the chapter's tables.
    lang : {"en", "nl"}
    title : str
    source : str
        What the data are (shown under the title).
    """
    import docx
    from docx.shared import Cm

    doc = docx.Document()
    _landscape(doc.sections[0])
    props = doc.core_properties
    props.title, props.author, props.created, props.modified = (
        title,
        "reintegratie-stats",
        _DATE,
        _DATE,
    )
    props.last_modified_by = "reintegratie-stats"
    doc.add_heading(title, level=0)
    if source:
        doc.add_paragraph(source)
    for chapter in CHAPTERS:
        here = [t for t in tables if t.chapter == chapter]
        figs = [(n, f) for n, f in figures.items() if f[0] == chapter]
        if not here and not figs:
            continue
        doc.add_heading(text("chapters", chapter, lang), level=1)
        for t in here:
            _add_table(doc, t, lang)
        for _name, (_, caption, png) in figs:
            doc.add_paragraph(caption).runs[0].bold = True
            doc.add_picture(io.BytesIO(png), width=Cm(22))
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    # python-docx stamps every zip member with the current time; same inputs, same bytes
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
