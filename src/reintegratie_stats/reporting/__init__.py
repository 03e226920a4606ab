"""Rendering of results: tables (Markdown/HTML/LaTeX), disclosure control, reports.

The report (issue 8) lives in :mod:`.report` (:func:`build_report`), made of the named steps
in :mod:`.steps`, run by :mod:`.runner`; :func:`load_inputs` gives notebooks the same three
tables the report uses (the research team's files through a mapping, or the synthetic twin).
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
