"""Notebook display of result tables, through the same protection and formatter as the report.

Examples
--------
>>> import pandas as pd
>>> shown = show_table(pd.DataFrame({"regime": ["HvB", "EZV"], "n": [120, 7], "rate": [0.41, 0.57]}))
>>> "&lt;10" in shown._repr_html_()
True
>>> "0.57" in shown._repr_html_()
False
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["SafeTable", "show_table"]


@dataclass(frozen=True)
class SafeTable:
    """A suppressed, formatted table that Jupyter displays as HTML (and prints as text)."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def show_table(
    df: pd.DataFrame,
    lang: str = "en",
    threshold: int | None = None,
    count_cols: list[str] | None = None,
) -> SafeTable:
    """Display ``df`` in a notebook with small cells suppressed (never the raw frame).

    Parameters
    ----------
    df : DataFrame
        A tidy result of the package.
    lang : {"en", "nl"}
        Language of the labels.
    threshold : int, optional
        Disclosure threshold; default the codebook's (``data_schema/concepts.yaml``).
    count_cols : list of str, optional
        Count columns not following the naming convention.
    """
    from ..disclosure import protect
    from .html_report import render_table
    from .tables import publish_table

    prot = protect(df, threshold, count_cols)  # once; both views show the same cells
    return SafeTable(render_table(prot, lang), publish_table(prot).to_string(index=False))
