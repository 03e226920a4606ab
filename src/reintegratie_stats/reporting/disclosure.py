"""Statistical disclosure control for tidy result frames (SPEC §5: no small groups in reports).

Convention (used by every tidy frame in the package)
----------------------------------------------------
A column holds **counts of people** when its name is ``n``, starts with ``n_`` or starts with
``count`` (e.g. ``n``, ``n_contact``, ``n_need_contact``, ``count_visits``). Two kinds:

- *cell counts* (the default for such columns): the size of a group or of a cell of a table.
  A cell count below the threshold (zero included) is shown as ``"<10"``; every **statistic**
  in the same row (rates, means, intervals, odds ratios, tests: the numeric columns that are not
  counts) is then shown as ``"–"``, because it was computed from, and could reveal, the small
  group.
- *exclusion counts* (``n_missing``, ``n_excluded``, ``n_not_applicable``): rows left out of
  the estimate. Small values are masked like any count, but they do not suppress the row's
  statistics.

Text columns (labels such as ``type`` or ``regime``) and numeric *key* columns (``value``,
``dof`` and any column named like a codebook variable, i.e. a grouping variable such as
``has_children``) are never touched. Pass ``count_cols``,
``exclusion_cols`` or ``stat_cols`` to override the naming convention for a foreign frame.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"regime": ["HvB", "EZV"], "n": [120, 7], "rate": [0.41, 0.57]})
>>> out, k = suppress_small_cells(df, threshold=10)
>>> out.to_dict("list")
{'regime': ['HvB', 'EZV'], 'n': [120, '<10'], 'rate': [0.41, '–']}
>>> k
2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUSION_COLUMNS",
    "KEY_COLUMNS",
    "STAT_MARKER",
    "Suppressed",
    "count_columns",
    "count_marker",
    "is_count_column",
    "suppress_small_cells",
    "suppression_mask",
]

#: Exclusion counts: masked when small, but they do not suppress a row's statistics.
EXCLUSION_COLUMNS: tuple[str, ...] = ("n_missing", "n_excluded", "n_not_applicable")
#: Shown in place of a statistic computed from a small group.
STAT_MARKER = "–"


def count_marker(threshold: int) -> str:
    """Text shown in place of a small count, e.g. ``"<10"``."""
    return f"<{threshold}"


def is_count_column(name: object) -> bool:
    """True for ``n``, ``n_*`` and ``count*`` column names (the package convention)."""
    s = str(name)
    return s == "n" or s.startswith("n_") or s.startswith("count")


def count_columns(df: pd.DataFrame) -> list[str]:
    """The count columns of ``df`` by the naming convention."""
    return [c for c in df.columns if is_count_column(c)]


#: Numeric columns that identify a row rather than estimate something (never suppressed).
KEY_COLUMNS: tuple[str, ...] = ("value", "dof", "level", "threshold")


def _key_columns() -> frozenset[str]:
    """Key columns: :data:`KEY_COLUMNS` plus every codebook variable (grouping variables)."""
    from ..schema import load_codebook

    cb = load_codebook()
    return frozenset(KEY_COLUMNS).union(*(cb[t].names for t in cb.tables))


def _default_threshold(threshold: int | None) -> int:
    if threshold is None:
        from ..schema import load_codebook

        return load_codebook().disclosure_threshold
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return int(threshold)


def suppression_mask(
    df: pd.DataFrame,
    count_cols: Sequence[str] | None = None,
    threshold: int | None = None,
    *,
    exclusion_cols: Sequence[str] | None = None,
    stat_cols: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Boolean masks ``(small_counts, suppressed_stats)`` shaped like ``df``.

    See :func:`suppress_small_cells` for the rules; figures use the masks to leave out points.
    """
    thr = _default_threshold(threshold)
    counts = list(count_cols) if count_cols is not None else count_columns(df)
    missing = [c for c in counts if c not in df.columns]
    if missing:
        raise ValueError(f"count columns not in the frame: {missing}")
    excl = set(EXCLUSION_COLUMNS if exclusion_cols is None else exclusion_cols)
    if stat_cols is None:
        keys = _key_columns()
        stats_ = [
            c
            for c in df.columns
            if c not in counts
            and str(c) not in keys
            and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])
        ]
    else:
        stats_ = list(stat_cols)
    small = pd.DataFrame(False, index=df.index, columns=df.columns)
    for c in counts:
        v = pd.to_numeric(df[c], errors="coerce")
        small[c] = (v < thr).fillna(False).astype(bool)
    cell_counts = [c for c in counts if c not in excl]
    row_small = small[cell_counts].any(axis=1) if cell_counts else pd.Series(False, index=df.index)
    stat = pd.DataFrame(False, index=df.index, columns=df.columns)
    for c in stats_:
        stat[c] = row_small & df[c].notna()
    return small, stat


class Suppressed(NamedTuple):
    """A suppressed copy of a frame and how many cells were masked (unpacks as a tuple)."""

    frame: pd.DataFrame
    n_suppressed: int


def suppress_small_cells(
    df: pd.DataFrame,
    count_cols: Sequence[str] | None = None,
    threshold: int | None = None,
    *,
    exclusion_cols: Sequence[str] | None = None,
    stat_cols: Sequence[str] | None = None,
    stat_marker: str = STAT_MARKER,
) -> Suppressed:
    """Mask small counts and the statistics of small groups.

    Parameters
    ----------
    df : DataFrame
        A tidy result frame (not modified).
    count_cols : sequence of str, optional
        Count columns; default by the naming convention (``n``, ``n_*``, ``count*``).
    threshold : int, optional
        Counts below it are masked; default ``codebook.disclosure_threshold`` (10).
        ``0`` disables suppression.
    exclusion_cols : sequence of str, optional
        Counts that do not suppress their row's statistics (default :data:`EXCLUSION_COLUMNS`).
    stat_cols : sequence of str, optional
        Statistics masked in a row with a small cell count; default every numeric, non-count,
        non-boolean column.
    stat_marker : str
        Text for a masked statistic (default ``"–"``).

    Returns
    -------
    Suppressed
        ``(frame, n_suppressed)``: a copy where masked cells hold ``"<threshold"`` (counts) or
        ``stat_marker`` (statistics) and the affected columns have object dtype, and the
        number of cells masked.
    """
    thr = _default_threshold(threshold)
    small, stat = suppression_mask(
        df, count_cols, thr, exclusion_cols=exclusion_cols, stat_cols=stat_cols
    )
    out = df.copy()
    n = 0
    for c in df.columns:
        ms, mt = small[c].to_numpy(), stat[c].to_numpy()
        if ms.any() or mt.any():
            col = out[c].astype(object).to_numpy(copy=True)
            col[ms] = count_marker(thr)
            col[mt & ~ms] = stat_marker
            out[c] = pd.Series(col, index=df.index, dtype=object)
            n += int(np.sum(ms | mt))
    return Suppressed(out, n)
