"""THE formatter: one :func:`format_table` behind every CSV, HTML, Markdown, LaTeX and notebook
table of the package.

:func:`format_table` (in this order)

1. protects the table once (:func:`reintegratie_stats.disclosure.protect`: flatten, then
   suppress small cells; an already :class:`~reintegratie_stats.disclosure.Protected` table is
   not suppressed again),
2. formats every cell with :func:`format_value`: with ``digits=None`` the exact text of the
   published CSV files (6 significant digits, so that the last bits of a floating-point sum
   never change a file); with ``digits=k`` the publication text (counts as integers, p-values
   as ``<0.001`` below 0.001, shares as percentages on request, everything else ``k``
   decimals, the language's decimal separator),
3. with ``labels=True`` replaces codes and headers by their labels in ``lang``
   (:mod:`reintegratie_stats.labels`).

The renderers (:func:`to_csv`, :func:`to_html`, :func:`to_markdown`, :func:`to_latex`) only lay
out what :func:`format_table` returns. The computing functions never round; rendering never
computes.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"type": ["probation", "care"], "n": [250, 8], "rate": [0.4412, 0.25]})
>>> format_table(df, lang="nl").to_dict("list")
{'Professional': ['Reclassering', 'Zorgprofessional'], 'n': ['250', '<10'], 'Aandeel': ['0,441', '–']}
>>> print(to_markdown(df, threshold=0, percent=True))
| Professional | n | Share (%) |
| --- | ---: | ---: |
| Probation service | 250 | 44.1 |
| Care professional | 8 | 25.0 |
>>> print(to_csv(df, threshold=10), end="")
type,n,rate
probation,250,0.4412
care,<10,–
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..disclosure import Protected, is_count_column, protect
from ..labels import (
    check_lang,
    column_label,
    is_number,
    label_text,
    result_columns,
    value_label,
)
from ..publication.terms import term_label
from ..schema import Codebook, load_codebook

__all__ = [
    "ONE_DECIMAL",
    "PERCENT_COLUMNS",
    "format_table",
    "format_value",
    "publish_table",
    "to_csv",
    "to_html",
    "to_latex",
    "to_markdown",
]

Lang = Literal["en", "nl"]

#: Columns holding p-values (``concepts.p_value_columns`` of the codebook).
_P_VALUE_COLUMNS = frozenset(load_codebook().p_value_columns)
#: Shares (0-1) that ``percent=True`` shows as percentages (``result_columns.yaml`` kinds).
PERCENT_COLUMNS: tuple[str, ...] = tuple(result_columns()["kinds"]["percent"])
#: Columns shown with one decimal whatever ``digits`` says (``result_columns.yaml`` kinds).
ONE_DECIMAL: tuple[str, ...] = tuple(result_columns()["kinds"]["one_decimal"])


#: Columns holding model terms / variable names, expressions of terms, and texts of words and
#: names (``result_columns.yaml`` kinds ``terms``, ``expressions``, ``messages``).
_TERM_COLUMNS = frozenset(result_columns()["kinds"]["terms"])
_EXPRESSION_COLUMNS = frozenset(result_columns()["kinds"]["expressions"])
_MESSAGE_COLUMNS = frozenset(result_columns()["kinds"]["messages"])
#: A model term inside an expression: names and C(...) calls with levels, joined by ':'.
_TERM = re.compile(
    r"(?:C\([^()]*(?:\([^()]*\))?[^()]*\)|[A-Za-z_][A-Za-z0-9_]*)(?:\[T\.[^\]]+\])?"
    r"(?::(?:C\([^()]*(?:\([^()]*\))?[^()]*\)|[A-Za-z_][A-Za-z0-9_]*)(?:\[T\.[^\]]+\])?)*"
)


def _term(name: str, lang: Lang, cb: Codebook) -> str:
    """A model term or variable name labelled from the codebook; a term of one equation of a
    system (``<domain>_<term>``, seemingly unrelated regressions) as "domain: term"."""
    for d in sorted(cb.domains, key=len, reverse=True):
        rest = name[len(d) + 1 :]
        if name.startswith(f"{d}_") and name not in cb["prisoners"]:
            label = _term(rest, lang, cb)
            if label != rest:
                return f"{cb.concept_label('domains', d, lang)}: {label}"
    if not _TERM.fullmatch(name):  # already words (a code label), not a name
        return name
    return term_label(name, lang, cb)


def _label_cell(col: str, v: Any, lang: Lang, cb: Codebook) -> Any:
    """A cell of a term, expression or message column (kinds of ``result_columns.yaml``) in
    ``lang``; other cells and numbers as they are."""
    if not isinstance(v, str):
        return v
    if col in _TERM_COLUMNS:
        return _term(v, lang, cb)
    if col in _EXPRESSION_COLUMNS:
        return _TERM.sub(lambda m: _term(m.group(0), lang, cb), v)
    if col in _MESSAGE_COLUMNS:
        return label_text(v, lang, lambda s: _term(s, lang, cb), cb)
    return v


def _percent_columns(columns: Sequence[str]) -> set[str]:
    cols = {c for c in columns if c in PERCENT_COLUMNS}
    # an interval belongs to the share unless the frame's interval is that of an odds ratio
    if ("rate" in cols or "share" in cols) and "odds_ratio" not in columns:
        cols |= {c for c in ("ci_low", "ci_high") if c in columns}
    return cols


_NUMERIC_TEXT = re.compile(r"^[<\-]?\d+(\.\d+)?$")


def _exact(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return ""
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        s = f"{f:.6g}"
        return "0" if s == "-0" else s
    return str(v)


def _rounded(col: str, v: Any, digits: int, scale: float) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if not is_number(v):
        return str(v)
    f = float(v)
    if np.isinf(f):
        return "∞" if f > 0 else "-∞"
    if is_count_column(col) and f.is_integer():
        return f"{int(f)}"
    if col in _P_VALUE_COLUMNS:
        return "<0.001" if f < 0.001 else f"{f:.3f}"
    if col in ("dof", "value") and f.is_integer():
        return f"{int(f)}"
    if col in ONE_DECIMAL:
        return f"{f:.1f}"
    return f"{f * scale:.{digits}f}"


def format_value(
    col: str, v: Any, digits: int | None = None, decimal: str = ".", scale: float = 1.0
) -> str:
    """THE cell formatter: one value of column ``col`` as text.

    ``digits=None``: the exact text of the CSV files (6 significant digits, ``true``/``false``,
    missing as empty). ``digits=k``: publication text (see the module docstring); ``scale``
    multiplies (100 for percentages) and ``decimal`` is the decimal separator.

    >>> format_value("rate", 0.1 + 0.2), format_value("rate", 0.1 + 0.2, 3, ",")
    ('0.3', '0,300')
    >>> format_value("p_value", 0.0004, 3), format_value("n", 12.0, 3), format_value("x", None)
    ('<0.001', '12', '')
    """
    if isinstance(v, str):
        return v
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return ""
    if digits is None:
        return _exact(v)
    out = _rounded(col, v, digits, scale)
    return out.replace(".", decimal) if decimal != "." and _NUMERIC_TEXT.match(out) else out


def format_table(
    df: pd.DataFrame | Protected,
    lang: Lang = "en",
    digits: int | None = 3,
    threshold: int | None = None,
    *,
    labels: bool = True,
    percent: bool = False,
    pct_digits: int = 1,
    decimal: str | None = None,
    codebook: Codebook | None = None,
    count_cols: list[str] | None = None,
) -> pd.DataFrame:
    """Format a tidy result frame for output (protect, round, label).

    Parameters
    ----------
    df : DataFrame or Protected
        Any tidy result of the package (not modified), or a table already protected by
        :func:`reintegratie_stats.disclosure.protect` (then ``threshold`` and ``count_cols``
        are those it was protected with).
    lang : {"en", "nl"}
        Language of labels.
    digits : int or None
        Decimals for statistics (counts are integers, p-values 3 decimals or ``<0.001``);
        None: the exact CSV text (:func:`format_value`).
    threshold : int, optional
        Disclosure threshold; default the codebook's (:func:`~reintegratie_stats.disclosure.
        default_threshold`); ``0`` switches suppression off (internal use only, never for
        published output).
    labels : bool
        Replace codes and headers by labels (False keeps the canonical names).
    percent : bool
        Show shares (``result_columns.yaml`` kind ``percent`` and their ``ci_low``/``ci_high``,
        never an odds-ratio interval) as percentages with ``pct_digits`` decimals.
    pct_digits : int
        Decimals of percentages (``percent=True``).
    decimal : str, optional
        Decimal separator; default ``","`` for Dutch and ``"."`` for English.
    codebook : Codebook, optional
    count_cols : list of str, optional
        Count columns when they do not follow the naming convention (see
        :mod:`reintegratie_stats.disclosure`).

    Returns
    -------
    DataFrame
        All cells are strings, columns in the input order; ``attrs`` holds ``n_suppressed``,
        ``threshold``, ``lang``, ``columns`` (canonical names) and ``numeric`` (per column).
    """
    check_lang(lang)
    cb = codebook or load_codebook()
    prot = protect(df, threshold, count_cols)
    sup = prot.frame
    dec = decimal if decimal is not None else ("," if lang == "nl" and digits is not None else ".")
    pct = _percent_columns(list(sup.columns)) if percent and digits is not None else set()
    cells: dict[str, list[str]] = {}  # one frame built at the end (setitem per column is slow)
    headers = []
    row_vars = sup["variable"].tolist() if "variable" in sup.columns else None
    for c in sup.columns:
        vals = sup[c].tolist()
        if labels and c == "value" and row_vars is not None:
            # a long distribution: label each value by its own row's variable
            vals = [
                value_label(str(var), v, lang, cb) if str(var) in cb["prisoners"] else v
                for var, v in zip(row_vars, vals, strict=True)
            ]
        elif labels and not is_count_column(c):
            vals = [
                value_label(str(c), v, lang, cb)
                if not is_number(v) or str(c) in cb["prisoners"]
                else v
                for v in vals
            ]
        if labels and (c in _TERM_COLUMNS or c in _EXPRESSION_COLUMNS or c in _MESSAGE_COLUMNS):
            vals = [_label_cell(str(c), v, lang, cb) for v in vals]
        scale, dg = (100.0, pct_digits) if c in pct else (1.0, digits)
        cells[str(c)] = [format_value(str(c), v, dg, dec, scale) for v in vals]
        headers.append(column_label(str(c), lang, cb) if labels else str(c))
        if c in pct:
            headers[-1] += " (%)"
    out = pd.DataFrame(cells, index=range(len(sup)), columns=list(cells))
    out.columns = headers
    out.attrs = {
        "n_suppressed": prot.n_suppressed,
        "threshold": prot.threshold,
        "lang": lang,
        "columns": [str(c) for c in sup.columns],
        "numeric": list(prot.numeric),
    }
    return out


def publish_table(
    df: pd.DataFrame | Protected, threshold: int | None = None, count_cols: list[str] | None = None
) -> pd.DataFrame:
    """The table as it may leave the package: protected, canonical names, exact CSV text."""
    return format_table(df, "en", None, threshold, labels=False, count_cols=count_cols).astype(
        object
    )


def to_csv(
    df: pd.DataFrame | Protected, threshold: int | None = None, count_cols: list[str] | None = None
) -> str:
    """CSV text of :func:`publish_table` (``\\n`` line ends, no index): the report's files."""
    return publish_table(df, threshold, count_cols).to_csv(index=False, lineterminator="\n")


def _note(ft: pd.DataFrame, cb: Codebook) -> str | None:
    if ft.attrs.get("n_suppressed", 0) > 0:
        return result_columns(cb)["notes"]["suppressed"][ft.attrs["lang"]].format(
            threshold=ft.attrs["threshold"]
        )
    return None


def to_markdown(
    df: pd.DataFrame | Protected,
    lang: Lang = "en",
    digits: int = 3,
    threshold: int | None = None,
    *,
    caption: str | None = None,
    codebook: Codebook | None = None,
    **fmt: Any,
) -> str:
    """Render ``df`` as a GitHub-flavoured Markdown table (via :func:`format_table`).

    Extra keywords (``percent``, ``decimal``, ``labels``, ``count_cols``) go to :func:`format_table`.
    """
    cb = codebook or load_codebook()
    ft = format_table(df, lang, digits, threshold, codebook=cb, **fmt)
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = []
    if caption:
        lines += [f"**{caption}**", ""]
    lines.append("| " + " | ".join(esc(h) for h in ft.columns) + " |")
    lines.append("| " + " | ".join("---:" if a else "---" for a in ft.attrs["numeric"]) + " |")
    for row in ft.itertuples(index=False):
        lines.append("| " + " | ".join(esc(v) for v in row) + " |")
    note = _note(ft, cb)
    if note:
        lines += ["", f"*{note}*"]
    return "\n".join(lines)


def to_html(
    df: pd.DataFrame | Protected,
    lang: Lang = "en",
    digits: int = 3,
    threshold: int | None = None,
    *,
    caption: str | None = None,
    codebook: Codebook | None = None,
    css_class: str = "rs-table",
    note: bool = True,
    **fmt: Any,
) -> str:
    """Render ``df`` as an HTML ``<table>`` (escaped; via :func:`format_table`, which gets ``fmt``).

    Each header cell carries ``data-col`` with the canonical column name; numeric cells have
    ``class="num"``. ``note=False`` leaves out the footnote on suppressed cells (the report
    states the rule once per page).
    """
    cb = codebook or load_codebook()
    ft = format_table(df, lang, digits, threshold, codebook=cb, **fmt)
    e = html.escape
    parts = [f'<table class="{e(css_class)}">']
    if caption:
        parts.append(f"<caption>{e(caption)}</caption>")
    parts.append(
        "<thead><tr>"
        + "".join(
            f'<th data-col="{e(c)}">{e(str(h))}</th>'
            for c, h in zip(ft.attrs["columns"], ft.columns, strict=True)
        )
        + "</tr></thead>"
    )
    parts.append("<tbody>")
    for row in ft.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{e(str(v))}</td>' if num else f"<td>{e(str(v))}</td>"
            for v, num in zip(row, ft.attrs["numeric"], strict=True)
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody>")
    text = _note(ft, cb) if note else None
    if text:
        parts.append(f'<tfoot><tr><td colspan="{len(ft.columns)}">{e(text)}</td></tr></tfoot>')
    parts.append("</table>")
    return "\n".join(parts)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "–": "--",
}


def _latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in s)


def to_latex(
    df: pd.DataFrame | Protected,
    lang: Lang = "en",
    digits: int = 3,
    threshold: int | None = None,
    *,
    caption: str | None = None,
    label: str | None = None,
    codebook: Codebook | None = None,
    **fmt: Any,
) -> str:
    """Render ``df`` as a LaTeX ``table`` with a booktabs ``tabular`` (via :func:`format_table`, which gets ``fmt``)."""
    cb = codebook or load_codebook()
    ft = format_table(df, lang, digits, threshold, codebook=cb, **fmt)
    align = "".join("r" if a else "l" for a in ft.attrs["numeric"])
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{align}}}", r"\toprule"]
    lines.append(" & ".join(_latex_escape(str(h)) for h in ft.columns) + r" \\")
    lines.append(r"\midrule")
    for row in ft.itertuples(index=False):
        lines.append(" & ".join(_latex_escape(str(v)) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    text = _note(ft, cb)
    if text:
        lines.append(rf"\par\smallskip{{\footnotesize {_latex_escape(text)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)
