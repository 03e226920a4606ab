"""Read the cells back out of a rendered table, one parser per format (Markdown, HTML, LaTeX).

Shared by the formatter's own tests (test_reporting_tables.py), the disclosure checks on
every renderer (test_tables.py) and the page checks (test_report.py,
test_reporting_html_report.py).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


def md_cells(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of a GitHub-flavoured Markdown table."""
    rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    split = [
        [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in rows
    ]
    return split[0], split[2:]


def html_cells(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of an HTML table (entities unescaped)."""
    head = [html.unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", text)]
    body = re.search(r"<tbody>(.*)</tbody>", text, re.S).group(1)
    rows = [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body)
    ]
    return head, rows


def latex_cells(text: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of a booktabs LaTeX table (the escapes the cells use undone)."""
    lines = text.splitlines()
    i, j = lines.index(r"\toprule"), lines.index(r"\bottomrule")
    rows = [ln.removesuffix(r" \\").split(" & ") for ln in lines[i + 1 : j] if ln != r"\midrule"]
    unesc = [[c.replace(r"\textless{}", "<").replace("--", "–") for c in r] for r in rows]
    return unesc[0], unesc[1:]


class TableParser(HTMLParser):
    """Collects each ``<table>`` of a page: canonical headers (``data-col``) and cell texts.

    Subclasses that read more of the page call ``super()`` in the three handlers; ``strip``
    says whether a cell's text is stripped of surrounding white space.
    """

    strip = True

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "th":
            self.tables[-1][0].append(a.get("data-col", ""))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag == "td":
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            text = "".join(self._cell)
            self.tables[-1][1][-1].append(text.strip() if self.strip else text)
            self._cell = None
