"""Read the cells back out of a rendered table, one parser per format (Markdown, HTML, LaTeX).

Shared by the formatter's own tests (test_reporting_tables.py) and the disclosure checks on
every renderer (test_tables.py).
"""

from __future__ import annotations

import html
import re


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
