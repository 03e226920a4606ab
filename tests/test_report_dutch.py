"""The ``--lang nl`` report is Dutch: every table header, row label and cell of report.html,
every text of its figures and the terms of its models are words, never a raw codebook name, a
snake_case column name, a patsy term or an English model name (issue 15, "Complete Dutch").

The names looked for come from the codebook and from the report's own CSV headers (the
canonical names the HTML carries as ``data-col``), never from a hand list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reintegratie_stats.labels import result_columns
from reintegratie_stats.schema import load_codebook

pytestmark = pytest.mark.slow

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
PATSY = re.compile(r"\bC\(|\[T\.")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _raw_names() -> set[str]:
    """Codebook variable and derived-variable names that are not also a word of a Dutch label
    (``regime`` is both a variable and a Dutch word)."""
    cb = load_codebook()
    names = {v.name for t in cb.tables for v in cb.tables[t]}
    names |= set(cb.concepts.get("analysis_variables", {}))
    words: set[str] = set()
    for t in cb.tables:
        for v in cb.tables[t]:
            words |= {w.lower() for w in WORD.findall(v.label("nl"))}
    return {n for n in names if n.lower() not in words}


#: English names of the three chapter-4 models (the codes of the ``model`` column, whose
#: English labels result_columns.yaml holds).
ENGLISH_MODELS = re.compile(r"\b(null|individual|institutional)\b", re.IGNORECASE)
RAW_NAMES = _raw_names()


def raw_tokens(text: str) -> set[str]:
    """What in ``text`` is not Dutch words: snake_case names, patsy syntax, codebook names,
    English model names."""
    found = set(SNAKE.findall(text)) | set(PATSY.findall(text))
    found |= {w for w in WORD.findall(text) if w in RAW_NAMES}
    found |= {m.group(0) for m in ENGLISH_MODELS.finditer(text)}
    return found


def test_raw_tokens_finds_what_it_should():
    assert raw_tokens("C(sex)[T.male]") >= {"C(", "[T."}
    assert raw_tokens("mean_rating_reception") == {"mean_rating_reception"}
    assert raw_tokens("institutional") == {"institutional"}
    assert "age" in raw_tokens("age")  # a codebook variable
    assert not raw_tokens("Geslacht: Man (ref. Vrouw)")
    assert not raw_tokens("Regime")


class _Cells(HTMLParser):
    """Headers (with their ``data-col``), cells (with their table's id and column) and captions
    of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.where = "page"
        self.cols: list[str] = []
        self.i = 0
        self.buf: list[str] | None = None
        self.kind = ""
        self.headers: list[tuple[str, str, str]] = []  # (table, data-col, text)
        self.cells: list[tuple[str, str, str]] = []  # (table, column, text)
        self.captions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "p" and a.get("class") == "caption":
            self.where, self.kind, self.buf = str(a.get("id")), "caption", []
        elif tag == "h2" and a.get("id") == "run":
            self.where = "run"
        elif tag == "thead":
            self.cols = []
        elif tag == "tr":
            self.i = 0
        elif tag == "th":
            self.cols.append(str(a.get("data-col")))
            self.kind, self.buf = "th", []
        elif tag == "td":
            self.kind, self.buf = "td", []

    def handle_endtag(self, tag: str) -> None:
        if self.buf is None:
            return
        txt = "".join(self.buf)
        if tag == "p" and self.kind == "caption":
            self.captions.append(txt)
        elif tag == "th":
            self.headers.append((self.where, self.cols[-1], txt))
        elif tag == "td":
            col = self.cols[self.i] if self.i < len(self.cols) else "?"
            self.cells.append((self.where, col, txt))
            self.i += 1
        else:
            return
        self.buf = None

    def handle_data(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)


@pytest.fixture(scope="module")
def page(dutch_report: Path) -> _Cells:
    p = _Cells()
    p.feed((dutch_report / "report.html").read_text(encoding="utf-8"))
    assert p.headers and p.cells and p.captions
    return p


def _report(found: dict[str, set[str]]) -> str:
    return "\n".join(f"{k}: {sorted(v)[:8]}" for k, v in sorted(found.items()))


def test_every_header_is_dutch(page):
    """No header is raw, and none is its canonical name unless result_columns.yaml labels it
    so (``n``): ``aic``, ``llf``, ``icc1`` have no underscore but are still names."""
    labelled = result_columns()["columns"]
    found: dict[str, set[str]] = defaultdict(set)
    for where, col, txt in page.headers:
        if raw_tokens(txt) or (txt == col and col not in labelled):
            found[where].add(txt)
    assert not found, "raw headers in the nl report:\n" + _report(found)


def test_every_row_label_term_and_cell_is_dutch(page):
    found: dict[str, set[str]] = defaultdict(set)
    for where, col, txt in page.cells:
        if where == "run" and col == "reason":  # an error message of a failed step, if any
            continue
        hits = raw_tokens(txt)
        if hits:
            found[f"{where} [{col}]"] |= {txt[:60]}
    assert not found, "raw cells in the nl report:\n" + _report(found)


def test_every_caption_is_dutch(page):
    bad = [c for c in page.captions if raw_tokens(c)]
    assert not bad, bad


def test_every_figure_text_is_dutch(dutch_report):
    """The texts of the SVG files (written as paths, each preceded by its text as a comment):
    titles, axis titles, tick labels (terms), legends."""
    svgs = sorted((dutch_report / "figures").glob("*.svg"))
    assert svgs
    found: dict[str, set[str]] = defaultdict(set)
    n = 0
    for svg in svgs:
        for txt in re.findall(r"<!-- (.*?) -->", svg.read_text(encoding="utf-8"), re.S):
            n += 1
            if raw_tokens(txt):
                found[svg.stem].add(txt)
    assert n > 50  # the comments are there (matplotlib writes one per text)
    assert not found, "raw figure texts in the nl report:\n" + _report(found)


def test_model_terms_are_labelled_with_their_reference(page):
    """The terms of the chapter-4 and chapter-5 tables carry the codebook's labels, factor
    levels with their reference category."""
    terms = {txt for where, col, txt in page.cells if col == "term"}
    assert terms
    cb = load_codebook()
    sex = cb["prisoners"]["sex"]
    labels = sex.value_labels("nl")
    want = f"{sex.label('nl')}: {labels['male']} (ref. {labels['female']})"
    assert want in terms
