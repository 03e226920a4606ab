"""Statistical disclosure control for tidy result frames (SPEC §5: no small groups in output).

This is the ONE place of the rules: the count-column rule (:func:`is_count_column`), the
default threshold (:func:`default_threshold`, read from ``data_schema/concepts.yaml``), the
masks, and :func:`protect`, which the report, the notebooks and the figures all go through.

Convention (used by every tidy frame in the package)
----------------------------------------------------
A column holds **counts of people** when its name is ``n``, starts with ``n_``, starts with
``count`` or is ``nobs`` (a model's number of observations). Two kinds:

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
``has_children``) are never touched. Pass ``count_cols``, ``exclusion_cols`` or ``stat_cols``
to override the naming convention for a foreign frame (e.g. ``n_items`` counts scale items,
not people).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"regime": ["HvB", "EZV"], "n": [120, 7], "rate": [0.41, 0.57]})
>>> out, k = suppress_small_cells(df, threshold=10)
>>> out.to_dict("list")
{'regime': ['HvB', 'EZV'], 'n': [120, '<10'], 'rate': [0.41, '–']}
>>> k
2
>>> visible_rows(df, 10)["regime"].tolist()
['HvB']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUSION_COLUMNS",
    "KEY_COLUMNS",
    "STAT_MARKER",
    "Protected",
    "Suppressed",
    "count_columns",
    "count_marker",
    "default_threshold",
    "is_count_column",
    "mask_count",
    "protect",
    "resolve_threshold",
    "suppress_small_cells",
    "suppression_mask",
    "visible_rows",
]

#: Exclusion counts: masked when small, but they do not suppress a row's statistics.
EXCLUSION_COLUMNS: tuple[str, ...] = ("n_missing", "n_excluded", "n_not_applicable")
#: Shown in place of a statistic computed from a small group.
STAT_MARKER = "–"
#: Numeric columns that identify a row rather than estimate something (never suppressed).
KEY_COLUMNS: tuple[str, ...] = ("value", "dof", "level", "threshold")


def default_threshold() -> int:
    """The disclosure threshold of the codebook (``concepts.yaml``: ``disclosure_threshold``)."""
    from .schema import load_codebook

    return int(load_codebook().disclosure_threshold)


def resolve_threshold(threshold: int | None) -> int:
    """``threshold`` as an int, or :func:`default_threshold` when None; negative is an error."""
    if threshold is None:
        return default_threshold()
    if int(threshold) < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return int(threshold)


def count_marker(threshold: int) -> str:
    """Text shown in place of a small count, e.g. ``"<10"``."""
    return f"<{threshold}"


def is_count_column(name: object) -> bool:
    """True for ``n``, ``n_*``, ``count*`` and ``nobs`` column names (the package convention)."""
    s = str(name)
    return s == "n" or s.startswith(("n_", "count")) or s == "nobs"


def count_columns(df: pd.DataFrame, count_cols: Sequence[str] | None = None) -> list[str]:
    """The count columns of ``df``: ``count_cols`` when given, else by the naming convention."""
    if count_cols is not None:
        return list(count_cols)
    return [c for c in df.columns if is_count_column(c)]


def _key_columns() -> frozenset[str]:
    """Key columns: :data:`KEY_COLUMNS` plus every codebook variable (grouping variables)."""
    from .schema import load_codebook

    cb = load_codebook()
    return frozenset(KEY_COLUMNS).union(*(cb[t].names for t in cb.tables))


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
    thr = resolve_threshold(threshold)
    counts = count_columns(df, count_cols)
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


def visible_rows(
    df: pd.DataFrame, threshold: int | None = None, count_cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """The rows a text may quote: every cell count known and at least ``threshold``.

    Exclusion counts do not matter (as in :func:`suppress_small_cells`); a row whose cell
    count is missing is left out too, since nothing says its group is large enough.
    """
    thr = resolve_threshold(threshold)
    excl = set(EXCLUSION_COLUMNS)
    cells = [c for c in count_columns(df, count_cols) if c not in excl and c in df.columns]
    if not cells:
        return df
    ok = pd.Series(True, index=df.index)
    for c in cells:
        ok &= pd.to_numeric(df[c], errors="coerce").fillna(0) >= thr
    return df.loc[ok]


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
        Count columns; default by the naming convention (:func:`is_count_column`).
    threshold : int, optional
        Counts below it are masked; default :func:`default_threshold`. ``0`` disables
        suppression.
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
    thr = resolve_threshold(threshold)
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


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control, ready for any renderer (it cannot be un-protected).

    Attributes
    ----------
    frame : DataFrame
        Flat (no meaningful index), string column names, masked cells as text markers.
    n_suppressed : int
        Cells masked.
    threshold : int
    count_cols : tuple of str
        The count columns the rules used.
    numeric : tuple of bool
        Per column: was it numeric before masking (renderers right-align those).
    """

    frame: pd.DataFrame
    n_suppressed: int
    threshold: int
    count_cols: tuple[str, ...]
    numeric: tuple[bool, ...]


def flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Index levels that carry information become columns; column names become text."""
    idx = df.index
    meaningful = (
        isinstance(idx, pd.MultiIndex)
        or idx.name is not None
        or (not isinstance(idx, pd.RangeIndex) and not pd.api.types.is_integer_dtype(idx))
    )
    flat = df.reset_index() if meaningful else df.reset_index(drop=True)
    flat.columns = [str(c) for c in flat.columns]
    return flat


def protect(
    df: pd.DataFrame | Protected,
    threshold: int | None = None,
    count_cols: Sequence[str] | None = None,
) -> Protected:
    """Flatten ``df`` (nothing hidden in the index) and apply :func:`suppress_small_cells`.

    A :class:`Protected` passes through unchanged, so that protecting twice is harmless and
    rendering never suppresses again.

    Examples
    --------
    >>> import pandas as pd
    >>> p = protect(pd.DataFrame({"n": [4, 40], "rate": [0.5, 0.25]}), threshold=10)
    >>> p.frame.to_dict("list"), p.n_suppressed, p.numeric
    ({'n': ['<10', 40], 'rate': ['–', 0.25]}, 2, (True, True))
    """
    if isinstance(df, Protected):
        return df
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"protect needs a DataFrame, got {type(df).__name__}")
    thr = resolve_threshold(threshold)
    flat = flatten(df)
    counts = count_columns(flat, count_cols)
    sup, n = suppress_small_cells(flat, count_cols=counts, threshold=thr)
    numeric = tuple(
        bool(pd.api.types.is_numeric_dtype(flat[c]) and not pd.api.types.is_bool_dtype(flat[c]))
        for c in flat.columns
    )
    return Protected(sup, n, thr, tuple(counts), numeric)


def mask_count(n: int | None, threshold: int) -> int | str | None:
    """A row count as it may be written: counts from 1 to threshold-1 become ``"<threshold"``.

    Zero stays zero (no row left out reveals nothing about a person).

    >>> mask_count(4, 10), mask_count(0, 10), mask_count(250, 10)
    ('<10', 0, 250)
    """
    if n is None:
        return None
    n = int(n)
    return count_marker(threshold) if 0 < n < threshold else n
