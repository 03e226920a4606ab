"""The data section's list of warnings and conversions (aggregate counts, never rows or ids).

:func:`add_data_quality` adds two tables to the data step's output when there is something to
show (the synthetic twin has neither, so its report is unchanged):

- ``data_warnings``: every validation warning of every table (code, the file's name of the
  variable, number of rows, message), so "5 warnings" is never a bare number;
- ``data_conversions``: per table and column, every counted conversion made while reading
  (missing codes by code and reason, NA-like text, whitespace, recodes, decimal commas).

Row numbers and ids are left out: the report is for publication, counts go through the
disclosure rules like every other count (``n_rows``, ``n``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["add_data_quality", "conversions_table", "warnings_table"]


def warnings_table(inputs: Any) -> pd.DataFrame:
    """One row per validation warning: table, code, variable, n_rows, message."""
    rows = [
        {
            "table": table,
            "code": i.code,
            "variable": i.display_name,
            "n_rows": i.n_rows,
            "message": i.message,
        }
        for table, rep in (getattr(inputs, "validation", None) or {}).items()
        for i in rep.warnings
    ]
    return pd.DataFrame(rows, columns=["table", "code", "variable", "n_rows", "message"])


def conversions_table(inputs: Any) -> pd.DataFrame:
    """Per table and column, each conversion made while reading (renames are one per column)."""
    rows = [
        {"table": table, "column": e.column, "step": e.step, "detail": e.detail, "n": e.count}
        for table, log in (getattr(inputs, "logs", None) or {}).items()
        for e in log.entries
        if e.step != "rename"
    ]
    return pd.DataFrame(rows, columns=["table", "column", "step", "detail", "n"])


def add_data_quality(out: Any, inputs: Any, lang: str = "en") -> None:
    """Add ``data_warnings`` and ``data_conversions`` to the step output ``out`` (if not empty)."""
    nl = lang == "nl"
    warn = warnings_table(inputs)
    if len(warn):
        out.tables["data_warnings"] = warn
        out.captions["data_warnings"] = (
            "Waarschuwingen bij de controle" if nl else "Validation warnings"
        )
        out.readings["data_warnings"] = (
            f"{len(warn)} waarschuwing(en); de gegevens zijn wel bruikbaar."
            if nl
            else f"{len(warn)} warning(s); the data are still usable."
        )
    conv = conversions_table(inputs)
    if len(conv):
        out.tables["data_conversions"] = conv
        out.captions["data_conversions"] = (
            "Omzettingen bij het inlezen" if nl else "Conversions while reading"
        )
        missing = int(conv.loc[conv["step"] == "missing-code", "n"].sum())
        out.readings["data_conversions"] = (
            f"{missing} cellen met een code voor een ontbrekend antwoord zijn als ontbrekend "
            "gelezen; elke andere omzetting staat erbij."
            if nl
            else f"{missing} cells holding a missing-value code were read as missing; every "
            "other conversion is listed too."
        )
