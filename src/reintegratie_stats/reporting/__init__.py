"""Presentation: the report as a declarative spec, one formatter, the notebook display.

:mod:`.sections` is the report spec (every published table and figure, one record each, grouped
by section; the shape is in :mod:`.spec`); :mod:`.runner` computes each section and protects its
tables once; :mod:`.writers` writes them, :mod:`.html_report` renders the page, both through the
one formatter :mod:`.tables`. :func:`build_report` (in :mod:`.report`) ties it together;
:func:`load_inputs` gives notebooks the same three tables the report uses (the research team's
files through a mapping, or the synthetic twin); :func:`show_table` displays a table in a
notebook through the same protection and formatter; :mod:`.readings` makes the report's
reading (one sentence on what the data show) of a table or model ladder computed there.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_report", "load_inputs", "show_table"]


def __getattr__(name: str) -> Any:  # lazy: importing the package stays cheap
    if name == "load_inputs":
        from .inputs import load_inputs

        return load_inputs
    if name == "build_report":
        from .report import build_report

        return build_report
    if name == "show_table":
        from .display import show_table

        return show_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
