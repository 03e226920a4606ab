"""The ONE suppression function every table of the report goes through:
:func:`reintegratie_stats.reporting.disclosure.suppress_small_cells`."""

from __future__ import annotations

from .disclosure import suppress_small_cells

__all__ = ["suppress_small_cells"]
