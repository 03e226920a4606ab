"""Stand-in for :mod:`reintegratie_stats.reporting.disclosure` until that module lands on main.

Same signature and rules as the real one (counts are columns named ``n``, ``n_*`` or
``count*``; a count below the threshold is shown as ``"<10"`` and every statistic of its row
as ``"–"``; exclusion counts are masked but do not suppress their row). The report imports
:func:`suppress_small_cells` through :mod:`._suppress`, which prefers the real module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["suppress_small_cells"]

_EXCLUSION = ("n_missing", "n_excluded", "n_not_applicable")


class _Suppressed(NamedTuple):
    frame: pd.DataFrame
    n_suppressed: int


def _is_count(name: object) -> bool:
    s = str(name)
    return s == "n" or s.startswith("n_") or s.startswith("count")


def suppress_small_cells(
    df: pd.DataFrame,
    count_cols: Sequence[str] | None = None,
    threshold: int | None = None,
    **_: object,
) -> _Suppressed:
    """Mask counts below ``threshold`` and the statistics of their rows (see module doc)."""
    if threshold is None:
        from ..schema import load_codebook

        threshold = load_codebook().disclosure_threshold
    counts = list(count_cols) if count_cols is not None else [c for c in df if _is_count(c)]
    out = df.copy()
    n = 0
    row_small = pd.Series(False, index=df.index)
    for c in counts:
        small = (pd.to_numeric(df[c], errors="coerce") < threshold).fillna(False).astype(bool)
        if c not in _EXCLUSION:
            row_small |= small
        if small.any():
            col = out[c].astype(object).to_numpy(copy=True)
            col[small.to_numpy()] = f"<{threshold}"
            out[c] = pd.Series(col, index=df.index, dtype=object)
            n += int(small.sum())
    if row_small.any():
        for c in df.columns:
            if c in counts or not pd.api.types.is_numeric_dtype(df[c]):
                continue
            if pd.api.types.is_bool_dtype(df[c]):
                continue
            hit = (row_small & df[c].notna()).to_numpy()
            if hit.any():
                col = out[c].astype(object).to_numpy(copy=True)
                col[hit] = "–"
                out[c] = pd.Series(col, index=df.index, dtype=object)
                n += int(np.sum(hit))
    return _Suppressed(out, n)
