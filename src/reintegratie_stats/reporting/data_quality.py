"""The data section's list of warnings and conversions (aggregate counts, never rows or ids).

The data section (``DATA`` in :mod:`.sections`) publishes two tables when there is something
to show (the synthetic twin has neither, so its report is unchanged):

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

__all__ = ["conversions_table", "missing_code_cells", "warnings_table"]


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


def missing_code_cells(conversions: pd.DataFrame) -> int:
    """Cells read as missing because they held a declared missing code (for the reading).

    >>> missing_code_cells(pd.DataFrame({"step": ["missing-code", "rename"], "n": [7, 1]}))
    7
    """
    return int(pd.to_numeric(conversions.loc[conversions["step"] == "missing-code", "n"]).sum())
