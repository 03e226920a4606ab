"""report.docx: the publication tables as Word tables, read back with python-docx."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from reintegratie_stats.publication.tables import PubTable
from reintegratie_stats.reporting.word import docx_available, docx_bytes

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "reintegratie_stats" / "data_schema"
docx = pytest.importorskip("docx", reason="python-docx is the extra 'word'")


def _png() -> bytes:
    from matplotlib.figure import Figure

    from reintegratie_stats.reporting.writers import figure_bytes

    fig = Figure(figsize=(2, 1.5))
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    return figure_bytes(fig)[0]


def test_every_table_cell_caption_and_figure_is_in_the_document():
    tables = [
        PubTable("a", "ch2", "2.1", "Contact", ("type", "overall"), ("Professional", "Totaal"),
                 (("Mentor", "44,0 [40,6; 47,5]"), ("N gedetineerden", "800")), "Lezing a.",
                 ("Voetnoot.",)),
        PubTable("b", "ch4", "4.1", "Modellen", ("term", "null_or"), ("Term", "Nulmodel: OR"),
                 (("Geslacht: Man (ref. Vrouw)", "1,10 [0,90; 1,30]"),), "Lezing b.", (), True),
    ]  # fmt: skip
    data = docx_bytes(tables, {"fig": ("ch4", "Figuur", _png())}, lang="nl", title="Rapport")
    assert docx_available()
    doc = docx.Document(io.BytesIO(data))
    got = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert got == [[list(t.header), *map(list, t.rows)] for t in tables]
    paras = [p.text for p in doc.paragraphs]
    assert "Tabel 2.1. Contact" in paras and "Tabel 4.1. Modellen" in paras
    assert {"Lezing a.", "Lezing b.", "Voetnoot.", "Figuur"} <= set(paras)
    assert len(doc.inline_shapes) == 1
    assert doc.sections[0].page_width > doc.sections[0].page_height  # landscape
    # chapters in report order, headed by their Dutch titles
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    chapters = yaml.safe_load((SCHEMA / "report_texts_nl.yaml").read_text(encoding="utf-8"))
    assert heads == [chapters["chapters"]["ch2"], chapters["chapters"]["ch4"]]
