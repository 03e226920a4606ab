"""Publication tables: THE single :func:`format_table` plus Markdown, HTML and LaTeX renderers.

Every renderer in the package goes through :func:`format_table`, which (in this order)

1. applies disclosure control (:func:`~reintegratie_stats.reporting.disclosure.suppress_small_cells`,
   threshold ``codebook.disclosure_threshold`` unless given),
2. rounds numbers (counts as integers, p-values as ``<0.001`` below 0.001, everything else to
   ``digits`` decimals; missing values as empty cells),
3. replaces codes by labels in ``lang`` ("en" or "nl"): professional types, domains, regimes,
   phases, detention-length bands and policy norms from ``concepts.yaml``; values of codebook
   variables by their value labels; column headers by the codebook variable label or the
   result-column labels in ``data_schema/result_columns.yaml``.

The computing functions never round; rendering never computes.

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
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from ..schema import Codebook, load_codebook
from .disclosure import is_count_column, suppress_small_cells

__all__ = ["format_table", "to_html", "to_latex", "to_markdown", "column_label", "value_label"]

Lang = Literal["en", "nl"]

#: Key columns whose values are concept codes, and the concepts.yaml group that labels them.
CONCEPT_COLUMNS: dict[str, str] = {
    "type": "professional_types",
    "type_a": "professional_types",
    "type_b": "professional_types",
    "need": "domains",
    "domain": "domains",
    "regime": "regimes",
    "phase": "phases",
    "detention_length_band": "detention_length_bands",
    "norm": "policy_norms",
}
#: Columns whose values are variable names of the prisoners table (labelled by variable label).
VARIABLE_COLUMNS: tuple[str, ...] = ("variable", "outcome", "predictor")
P_COLUMNS: tuple[str, ...] = ("p_value", "p_adjusted")


@cache
def _result_labels(path: str) -> dict[str, Any]:
    from pathlib import Path

    return yaml.safe_load((Path(path) / "result_columns.yaml").read_text(encoding="utf-8"))


def _labels(cb: Codebook) -> dict[str, Any]:
    return _result_labels(str(cb.path))


def _check_lang(lang: str) -> None:
    if lang not in ("en", "nl"):
        raise ValueError(f"lang must be 'en' or 'nl', got {lang!r}")


def column_label(name: str, lang: Lang = "en", codebook: Codebook | None = None) -> str:
    """Header for a result column: result-column label, else codebook variable label, else name."""
    cb = codebook or load_codebook()
    cols = _labels(cb)["columns"]
    if name in cols:
        return cols[name][lang]
    for t in cb.tables:
        if name in cb.tables[t]:
            return cb.tables[t][name].label(lang)
    return str(name)


def value_label(
    column: str, value: Any, lang: Lang = "en", codebook: Codebook | None = None
) -> Any:
    """Label of ``value`` in ``column`` (concept, variable name, value label or result code)."""
    cb = codebook or load_codebook()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    group = CONCEPT_COLUMNS.get(column)
    if group is not None:
        try:
            return cb.concept_label(group, str(value), lang)
        except KeyError:
            pass
    if column in VARIABLE_COLUMNS and isinstance(value, str) and value in cb["prisoners"]:
        return cb["prisoners"][value].label(lang)
    if column in cb["prisoners"]:
        vl = cb["prisoners"][column].value_labels(lang)
        for key in (value, _as_number(value), str(value)):
            if key is not None and key in vl:
                return vl[key]
    vals = _labels(cb)["values"]
    if str(value) in vals and not _is_number(value):
        return vals[str(value)][lang]
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _as_number(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


#: Shares (0-1) that ``percent=True`` shows as percentages.
PERCENT_COLUMNS: tuple[str, ...] = (
    "rate",
    "rate_exposed",
    "rate_unexposed",
    "rate_difference",
    "share",
    "share_satisfied",
    "gap",
)
#: Columns shown with one decimal whatever ``digits`` says.
ONE_DECIMAL: tuple[str, ...] = ("effective_n",)


def _percent_columns(df: pd.DataFrame) -> set[str]:
    cols = {c for c in df.columns if c in PERCENT_COLUMNS}
    # an interval belongs to the share unless the frame's interval is that of an odds ratio
    if ("rate" in cols or "share" in cols) and "odds_ratio" not in df.columns:
        cols |= {c for c in ("ci_low", "ci_high") if c in df.columns}
    return cols


def _fmt_number(col: str, v: Any, digits: int, decimal: str = ".", scale: float = 1.0) -> str:
    out = _fmt_plain(col, v, digits, scale)
    return out.replace(".", decimal) if decimal != "." and _NUMERIC_TEXT.match(out) else out


_NUMERIC_TEXT = re.compile(r"^[<\-]?\d+(\.\d+)?$")


def _fmt_plain(col: str, v: Any, digits: int, scale: float) -> str:
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if not _is_number(v):
        return str(v)
    f = float(v)
    if np.isinf(f):
        return "∞" if f > 0 else "-∞"
    if is_count_column(col) and f.is_integer():
        return f"{int(f)}"
    if col in P_COLUMNS:
        return "<0.001" if f < 0.001 else f"{f:.3f}"
    if col in ("dof", "value") and f.is_integer():
        return f"{int(f)}"
    if col in ONE_DECIMAL:
        return f"{f:.1f}"
    return f"{f * scale:.{digits}f}"


def format_table(
    df: pd.DataFrame,
    lang: Lang = "en",
    digits: int = 3,
    threshold: int | None = None,
    *,
    labels: bool = True,
    percent: bool = False,
    pct_digits: int = 1,
    decimal: str | None = None,
    codebook: Codebook | None = None,
    count_cols: list[str] | None = None,
) -> pd.DataFrame:
    """Format a tidy result frame for publication (suppress, round, label).

    Parameters
    ----------
    df : DataFrame
        Any tidy result of the package (not modified).
    lang : {"en", "nl"}
        Language of labels.
    digits : int
        Decimals for statistics (counts are integers, p-values 3 decimals or ``<0.001``).
    threshold : int, optional
        Disclosure threshold; default ``codebook.disclosure_threshold``; ``0`` switches
        suppression off (for internal use only, never for published output).
    labels : bool
        Replace codes and headers by labels (False keeps the canonical names).
    percent : bool
        Show shares (``rate*``, ``share*``, ``gap`` and their ``ci_low``/``ci_high``, never an
        odds-ratio interval) as percentages with ``pct_digits`` decimals.
    pct_digits : int
        Decimals of percentages (``percent=True``).
    decimal : str, optional
        Decimal separator; default ``","`` for Dutch and ``"."`` for English.
    codebook : Codebook, optional
    count_cols : list of str, optional
        Count columns when they do not follow the naming convention (see
        :mod:`~reintegratie_stats.reporting.disclosure`).

    Returns
    -------
    DataFrame
        All cells are strings, columns in the input order; ``attrs["n_suppressed"]`` holds the
        number of masked cells and ``attrs["threshold"]`` the threshold used.
    """
    _check_lang(lang)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"format_table needs a DataFrame, got {type(df).__name__}")
    cb = codebook or load_codebook()
    thr = cb.disclosure_threshold if threshold is None else int(threshold)
    sup, n_sup = suppress_small_cells(df, count_cols=count_cols, threshold=thr)
    dec = decimal if decimal is not None else ("," if lang == "nl" else ".")
    pct = _percent_columns(df) if percent else set()
    out = pd.DataFrame(index=range(len(sup)))
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
                if not _is_number(v) or str(c) in cb["prisoners"]
                else v
                for v in vals
            ]
        scale, dg = (100.0, pct_digits) if c in pct else (1.0, digits)
        out[str(c)] = [_fmt_number(str(c), v, dg, dec, scale) for v in vals]
        headers.append(column_label(str(c), lang, cb) if labels else str(c))
        if c in pct:
            headers[-1] += " (%)"
    out.columns = headers
    out.attrs = {"n_suppressed": n_sup, "threshold": thr, "lang": lang}
    return out


def _note(ft: pd.DataFrame, cb: Codebook) -> str | None:
    if ft.attrs.get("n_suppressed", 0) > 0:
        return _labels(cb)["notes"]["suppressed"][ft.attrs["lang"]].format(
            threshold=ft.attrs["threshold"]
        )
    return None


def _align(df: pd.DataFrame, ft: pd.DataFrame) -> list[str]:
    return [
        "r"
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        else "l"
        for c in df.columns
    ]


def to_markdown(
    df: pd.DataFrame,
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
    align = _align(df, ft)
    lines = []
    if caption:
        lines += [f"**{caption}**", ""]
    lines.append("| " + " | ".join(esc(h) for h in ft.columns) + " |")
    lines.append("| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |")
    for row in ft.itertuples(index=False):
        lines.append("| " + " | ".join(esc(v) for v in row) + " |")
    note = _note(ft, cb)
    if note:
        lines += ["", f"*{note}*"]
    return "\n".join(lines)


def to_html(
    df: pd.DataFrame,
    lang: Lang = "en",
    digits: int = 3,
    threshold: int | None = None,
    *,
    caption: str | None = None,
    codebook: Codebook | None = None,
    css_class: str = "rs-table",
    **fmt: Any,
) -> str:
    """Render ``df`` as an HTML ``<table>`` (escaped; via :func:`format_table`, which gets ``fmt``)."""
    cb = codebook or load_codebook()
    ft = format_table(df, lang, digits, threshold, codebook=cb, **fmt)
    align = _align(df, ft)
    e = html.escape
    parts = [f'<table class="{e(css_class)}">']
    if caption:
        parts.append(f"<caption>{e(caption)}</caption>")
    parts.append(
        "<thead><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in ft.columns) + "</tr></thead>"
    )
    parts.append("<tbody>")
    for row in ft.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{e(str(v))}</td>' if a == "r" else f"<td>{e(str(v))}</td>"
            for v, a in zip(row, align, strict=True)
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody>")
    note = _note(ft, cb)
    if note:
        parts.append(f'<tfoot><tr><td colspan="{len(ft.columns)}">{e(note)}</td></tr></tfoot>')
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
    df: pd.DataFrame,
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
    align = "".join(_align(df, ft))
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
    note = _note(ft, cb)
    if note:
        lines.append(rf"\par\smallskip{{\footnotesize {_latex_escape(note)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines)
