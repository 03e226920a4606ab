"""The publication tables of a whole report (Dutch, small twin, built once): in report.docx
with labelled terms, in publication/*.csv, and on paper when Chromium prints report.html."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

#: What a model term looks like before it is labelled (patsy / lme4 names, codebook names).
RAW = re.compile(r"C\(|\[T\.|\b[a-z]+_[a-z0-9_]+\b|\bIntercept\b")


@pytest.fixture(scope="module")
def report(dutch_report) -> Path:
    """The session's Dutch report (tests/conftest.py: a 500-prisoner twin, built once)."""
    return dutch_report


def _publication(out: Path) -> dict[str, pd.DataFrame]:
    """The publication CSV files, in report order (as the manifest lists them)."""
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert len(files["publication"]) == len(list((out / "publication").glob("*.csv")))
    return {
        Path(f).stem: pd.read_csv(out / f, dtype=str, keep_default_na=False)
        for f in files["publication"]
    }


def test_every_chapter_has_its_publication_tables(report):
    names = set(_publication(report))
    for want in (
        "pub_ch2_contact_by_regime",
        "pub_ch2_contact_by_detention_length_band",
        "pub_ch2_contact_by_phase",
        "pub_ch3_needs_vs_contact",
        "pub_ch4_models_contact_probation",
        "pub_ch5_domains",
        "pub_ch5_marginal_effects",
        "pub_family_contact_by_regime",
        "pub_family_by_needs",
        "pub_family_prep",
    ):
        assert want in names
    assert any(n.startswith("pub_family_ml_") for n in names)


def test_docx_holds_every_publication_table_with_labelled_terms(report):
    docx = pytest.importorskip("docx")
    doc = docx.Document(str(report / "report.docx"))
    pubs = _publication(report)
    got = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert len(got) == len(pubs)
    for table, (name, frame) in zip(got, pubs.items(), strict=True):
        assert table[0] == list(frame.columns), name
        assert table[1:] == frame.values.tolist(), name
        for row in table:  # headers, terms and row labels: words, never raw names
            assert not RAW.search(row[0]), (name, row[0])
        for h in table[0]:
            assert not RAW.search(h), (name, h)
    paras = "\n".join(p.text for p in doc.paragraphs)
    assert "Tabel 4.1." in paras and "Tabel F.1." in paras
    assert len(doc.inline_shapes) >= 5  # the report's figures


def test_dutch_numbers_have_decimal_commas(report):
    t = _publication(report)["pub_ch4_models_contact_probation"]
    cells = [c for c in t.values.ravel() if re.search(r"\d", c)]
    assert cells and not any(re.search(r"\d\.\d", c) for c in cells)
    assert any(re.search(r"\d,\d", c) for c in cells)


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not on PATH")
def test_printed_pdf_has_the_last_row_of_every_table(report, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pdf = tmp_path / "report.pdf"
    cmd = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
        "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (report / "report.html").as_uri(),
    ]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0 and pdf.is_file(), res.stderr[-2000:]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    text = unicodedata.normalize("NFKC", text)  # the PDF's ligatures (ﬁ, ﬃ) as letters
    flat = re.sub(r"\s+", "", text)
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.last: list[list[str]] = []
            self.row: list[str] | None = None
            self.cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.last.append([])
            elif tag == "tr":
                self.row = []
            elif tag == "td":
                self.cell = []

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

        def handle_endtag(self, tag):
            if tag == "td" and self.cell is not None and self.row is not None:
                self.row.append("".join(self.cell))
                self.cell = None
            elif tag == "tr" and self.row:
                self.last[-1] = self.row

    parser = Rows()
    parser.feed((report / "report.html").read_text(encoding="utf-8"))
    missing = []
    for k, row in enumerate(parser.last):
        for cell in row:
            c = re.sub(r"\s+", "", cell)
            if c and c not in flat:
                missing.append((k, cell))
    assert len(parser.last) > 40
    assert not missing, missing[:10]
