"""The ONE suppression function every table of the report goes through.

It is :func:`reintegratie_stats.reporting.disclosure.suppress_small_cells` when that module is
installed, otherwise a stand-in with the same rules (:mod:`._disclosure_tmp`).
"""

from __future__ import annotations

try:
    from .disclosure import suppress_small_cells
except ImportError:  # pragma: no cover - until the disclosure module lands on main
    from ._disclosure_tmp import suppress_small_cells

__all__ = ["suppress_small_cells"]
