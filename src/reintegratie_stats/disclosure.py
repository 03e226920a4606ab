"""Statistical disclosure control for tidy result frames (SPEC §5: no small groups in output).

This is the ONE place of the rules (explained, with an example, in ``docs/disclosure.md``):
what each result column is (:func:`column_kind`, declared in ``data_schema/result_columns.yaml``
under ``disclosure``), the default threshold (:func:`default_threshold`, from
``concepts.yaml``), the collapsing of small categories (:func:`collapse_small`), primary
suppression of one table (:func:`protect`), and secondary suppression with its audit over all
tables of a report (:func:`protect_linked`, :func:`audit`), which the report, the notebooks
and the figures all go through.

Column kinds
------------
- ``persons``: counts of people in a group or cell. Under the threshold (zero included) they are
  shown as ``"<10"``; every **statistic** of the same row (rates, means, SDs, intervals, odds
  ratios, tests, estimates) is then shown as ``"–"``, blank ones too (a blank beside a dash
  would tell ``n <= 1``).
- ``excluded``: people left out of the estimate (``n_missing``, ``n_excluded``, ...). ``0`` is
  shown (no one left out discloses nothing); 1 to threshold-1 are masked; they never withhold
  their row's statistics.
- ``groups``: institutions (``n_groups``, ``n_clusters``): not people, never masked.
- ``not_disclosive`` and key columns (text labels, codebook grouping variables): never masked.
- every other numeric column is a ``statistic`` of its row's group.

A column named like a count (``n``, ``n_*``, ``count*``, ``nobs``) that the codebook does not
declare is treated as ``persons`` (the safe side). Pass ``count_cols`` to override for a
foreign frame.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"regime": ["HvB", "EZV"], "n": [120, 7], "n_missing": [0, 3],
...                    "rate": [0.41, 0.57]})
>>> out, k = suppress_small_cells(df, threshold=10)
>>> out.to_dict("list")
{'regime': ['HvB', 'EZV'], 'n': [120, '<10'], 'n_missing': [0, '<10'], 'rate': [0.41, '–']}
>>> k
3
>>> visible_rows(df, 10)["regime"].tolist()
['HvB']
>>> column_kind("n_groups"), column_kind("n_missing"), column_kind("n_raters_rating_x")
('groups', 'excluded', 'persons')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUSION_COLUMNS",
    "KEY_COLUMNS",
    "SECONDARY_MARKER",
    "STAT_MARKER",
    "Audit",
    "Collapsed",
    "Protected",
    "Suppressed",
    "audit",
    "collapse_small",
    "collapse_small_categories",
    "column_kind",
    "count_columns",
    "count_marker",
    "default_threshold",
    "is_count_column",
    "mask_count",
    "protect",
    "protect_linked",
    "resolve_threshold",
    "suppress_small_cells",
    "suppression_mask",
    "visible_rows",
]

Kind = Literal["persons", "excluded", "groups", "not_disclosive", "statistic", "key"]

#: Shown in place of a statistic computed from a small group.
STAT_MARKER = "–"
#: Shown in place of a count withheld by secondary suppression (it is not small itself, but it
#: would give a small one away); as in CBS tables, "x" means "withheld".
SECONDARY_MARKER = "x"


@cache
def _rules() -> dict[str, Any]:
    """The ``disclosure`` section of ``data_schema/result_columns.yaml``."""
    from .labels import result_columns

    return result_columns()["disclosure"]


@cache
def _kind_patterns() -> tuple[tuple[str, str], ...]:
    return tuple((str(pat), kind) for kind, pats in _rules()["kinds"].items() for pat in pats)


def _declared_kind(name: str) -> str | None:
    for pat, kind in _kind_patterns():
        if pat == name or (pat.endswith("*") and name.startswith(pat[:-1])):
            return kind
    return None


#: Exclusion counts: 0 shown, small values masked, they do not suppress a row's statistics.
EXCLUSION_COLUMNS: tuple[str, ...] = tuple(
    str(c) for c in _rules()["kinds"]["excluded"] if not str(c).endswith("*")
)
#: Numeric columns that identify a row rather than estimate something (never suppressed).
KEY_COLUMNS: tuple[str, ...] = tuple(str(c) for c in _rules()["kinds"]["not_disclosive"])


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


def _looks_like_count(s: str) -> bool:
    return s == "n" or s.startswith(("n_", "count")) or s == "nobs"


def column_kind(name: object) -> Kind:
    """What a result column is, as the codebook declares it (see the module docstring).

    Undeclared names: ``persons`` when named like a count (the safe side), ``key`` for a
    codebook variable (a grouping variable), else ``statistic`` (a text column is a key
    whatever this says; :func:`suppression_mask` looks at the dtype).

    >>> column_kind("n_clusters"), column_kind("n_items"), column_kind("mean")
    ('groups', 'not_disclosive', 'statistic')
    """
    s = str(name)
    kind = _declared_kind(s)
    if kind is not None:
        return kind  # type: ignore[return-value]
    if _looks_like_count(s):
        return "persons"
    if s in _key_columns():
        return "key"
    return "statistic"


def is_count_column(name: object) -> bool:
    """True for an integer count column: people (``persons``, ``excluded``) or ``groups``."""
    return column_kind(name) in ("persons", "excluded", "groups")


def count_columns(df: pd.DataFrame, count_cols: Sequence[str] | None = None) -> list[str]:
    """The counts of people in ``df`` (``persons`` and ``excluded`` kinds), or ``count_cols``."""
    if count_cols is not None:
        return list(count_cols)
    return [c for c in df.columns if column_kind(c) in ("persons", "excluded")]


@cache
def _key_columns() -> frozenset[str]:
    """Key columns: :data:`KEY_COLUMNS` plus every codebook variable (grouping variables)."""
    from .schema import load_codebook

    cb = load_codebook()
    return frozenset(KEY_COLUMNS).union(*(cb[t].names for t in cb.tables))


def _stat_columns(df: pd.DataFrame, counts: Sequence[str]) -> list[str]:
    out = []
    for c in df.columns:
        if c in counts or not pd.api.types.is_numeric_dtype(df[c]):
            continue
        if pd.api.types.is_bool_dtype(df[c]):
            continue
        if column_kind(c) in ("groups", "not_disclosive", "key"):
            continue
        out.append(c)
    return out


def suppression_mask(
    df: pd.DataFrame,
    count_cols: Sequence[str] | None = None,
    threshold: int | None = None,
    *,
    exclusion_cols: Sequence[str] | None = None,
    stat_cols: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Boolean masks ``(small_counts, suppressed_stats)`` shaped like ``df`` (primary rules).

    See :func:`suppress_small_cells` for the rules; figures use the masks to leave out points.
    """
    thr = resolve_threshold(threshold)
    counts = count_columns(df, count_cols)
    missing = [c for c in counts if c not in df.columns]
    if missing:
        raise ValueError(f"count columns not in the frame: {missing}")
    excl = set(
        (c for c in counts if column_kind(c) == "excluded")
        if exclusion_cols is None
        else exclusion_cols
    )
    stats_ = _stat_columns(df, counts) if stat_cols is None else list(stat_cols)
    small = pd.DataFrame(False, index=df.index, columns=df.columns)
    for c in counts:
        v = pd.to_numeric(df[c], errors="coerce")
        low = v < thr
        if c in excl:
            low &= v != 0  # nobody left out discloses nothing
        small[c] = low.fillna(False).astype(bool)
    cell_counts = [c for c in counts if c not in excl]
    row_small = small[cell_counts].any(axis=1) if cell_counts else pd.Series(False, index=df.index)
    stat = pd.DataFrame(False, index=df.index, columns=df.columns)
    for c in stats_:
        stat[c] = row_small  # blanks too: a blank beside a dash would tell n <= 1
    return small, stat


def visible_rows(
    df: pd.DataFrame, threshold: int | None = None, count_cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """The rows a text may quote: every cell count known and at least ``threshold``.

    Exclusion counts do not matter (as in :func:`suppress_small_cells`); a row whose cell
    count is missing is left out too, since nothing says its group is large enough.
    """
    thr = resolve_threshold(threshold)
    cells = [
        c for c in count_columns(df, count_cols) if column_kind(c) != "excluded" and c in df.columns
    ]
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


def _apply_masks(
    df: pd.DataFrame,
    small: pd.DataFrame,
    stat: pd.DataFrame,
    thr: int,
    secondary: pd.DataFrame | None = None,
    stat_marker: str = STAT_MARKER,
) -> Suppressed:
    out = df.copy()
    n = 0
    for c in df.columns:
        ms, mt = small[c].to_numpy(), stat[c].to_numpy()
        m2 = secondary[c].to_numpy() if secondary is not None else np.zeros(len(df), bool)
        if ms.any() or mt.any() or m2.any():
            col = out[c].astype(object).to_numpy(copy=True)
            col[ms] = count_marker(thr)
            col[m2 & ~ms] = SECONDARY_MARKER
            col[mt & ~ms & ~m2] = stat_marker
            out[c] = pd.Series(col, index=df.index, dtype=object)
            n += int(np.sum(ms | mt | m2))
    return Suppressed(out, n)


def suppress_small_cells(
    df: pd.DataFrame,
    count_cols: Sequence[str] | None = None,
    threshold: int | None = None,
    *,
    exclusion_cols: Sequence[str] | None = None,
    stat_cols: Sequence[str] | None = None,
    stat_marker: str = STAT_MARKER,
) -> Suppressed:
    """Mask small counts and the statistics of small groups (primary suppression).

    Parameters
    ----------
    df : DataFrame
        A tidy result frame (not modified).
    count_cols : sequence of str, optional
        Counts of people; default the ``persons`` and ``excluded`` columns (:func:`column_kind`).
    threshold : int, optional
        Counts below it are masked; default :func:`default_threshold`. ``0`` disables
        suppression.
    exclusion_cols : sequence of str, optional
        Counts that do not suppress their row's statistics and whose 0 is shown (default: the
        ``excluded`` kind).
    stat_cols : sequence of str, optional
        Statistics masked in a row with a small cell count; default every ``statistic``.
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
    return _apply_masks(df, small, stat, thr, stat_marker=stat_marker)


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
    n_secondary : int
        Counts withheld by secondary suppression (:func:`protect_linked`).
    """

    frame: pd.DataFrame
    n_suppressed: int
    threshold: int
    count_cols: tuple[str, ...]
    numeric: tuple[bool, ...]
    n_secondary: int = 0


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


def _numeric_flags(flat: pd.DataFrame) -> tuple[bool, ...]:
    return tuple(
        bool(pd.api.types.is_numeric_dtype(flat[c]) and not pd.api.types.is_bool_dtype(flat[c]))
        for c in flat.columns
    )


def protect(
    df: pd.DataFrame | Protected,
    threshold: int | None = None,
    count_cols: Sequence[str] | None = None,
) -> Protected:
    """Flatten ``df`` (nothing hidden in the index) and apply :func:`suppress_small_cells`.

    A :class:`Protected` passes through unchanged, so that protecting twice is harmless and
    rendering never suppresses again. Tables published together go through
    :func:`protect_linked` instead, which adds secondary suppression.

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
    return Protected(sup, n, thr, tuple(counts), _numeric_flags(flat))


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


# ---------------------------------------------------------------------------------------------
# Small categories: collapsed before anything is computed
# ---------------------------------------------------------------------------------------------
class Collapsed(NamedTuple):
    """A frame with small categories merged, and what was merged: ``{column: [levels]}``."""

    frame: pd.DataFrame
    merged: dict[str, list[str]]


def collapse_small(values: pd.Series, threshold: int, other: str | None = None) -> pd.Series:
    """``values`` with every level held by fewer than ``threshold`` people merged into
    ``other`` (the codebook's ``disclosure.other``, default ``"other"``).

    When the merged group is itself below the threshold, the next smallest levels join it
    until it is not (so that no published group is small). Missing values stay missing.

    >>> import pandas as pd
    >>> s = pd.Series(["A"] * 30 + ["B"] * 12 + ["C"] * 6)
    >>> collapse_small(s, 10).value_counts().to_dict()
    {'A': 30, 'other': 18}
    """
    other = other or str(_rules().get("other", "other"))
    counts = values.dropna().astype(object).value_counts()
    if threshold <= 0 or counts.empty:
        return values
    small = [k for k, v in counts.items() if v < threshold]
    if not small:
        return values
    total = int(counts[small].sum())
    rest = counts.drop(small).sort_values(kind="stable")
    for level, k in rest.items():
        if total >= threshold:
            break
        small.append(level)
        total += int(k)
    out = values.astype(object).copy()
    out[values.isin(small)] = other
    return out


def collapse_small_categories(
    df: pd.DataFrame,
    threshold: int | None = None,
    columns: Sequence[str] | None = None,
) -> Collapsed:
    """Merge the small levels of the codebook's ``disclosure.categories`` columns (regime,
    phase, detention-length band) in ``df``: see :func:`collapse_small`.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"regime": ["HvB"] * 20 + ["GBM"] * 15 + ["PPC"] * 6})
    >>> c = collapse_small_categories(df, 10)
    >>> c.merged, sorted(c.frame["regime"].unique())
    ({'regime': ['GBM', 'PPC']}, ['HvB', 'other'])
    """
    thr = resolve_threshold(threshold)
    cols = list(_rules()["categories"] if columns is None else columns)
    out = df
    merged: dict[str, list[str]] = {}
    for c in cols:
        if c not in df.columns:
            continue
        new = collapse_small(df[c], thr)
        if new is df[c]:
            continue
        gone = sorted(set(df[c].dropna().astype(object)) - set(new.dropna()))
        if not gone:
            continue
        if out is df:
            out = df.copy()
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            new = new.astype(str).where(new.notna())
        out[c] = new
        merged[c] = [str(g) for g in gone]
    return Collapsed(out, merged)


# ---------------------------------------------------------------------------------------------
# Linked tables: secondary suppression and the audit
# ---------------------------------------------------------------------------------------------
Cell = tuple[str, int, str]  # (table, row, column)


@dataclass
class Audit:
    """The audit of a report's published tables (recorded in the manifest).

    Attributes
    ----------
    passed : bool
        No suppressed cell is pinned to one value by the published tables.
    n_primary, n_secondary : int
        Counts masked because small, and withheld to protect them.
    n_relations : int
        Linear relations between published counts that hold in these tables.
    intervals : dict
        ``"table/row/column"`` -> ``[low, high]``: each suppressed count's feasible interval
        given everything published (``None`` for no upper bound).
    pinned : list of str
        Cells still pinned (empty when ``passed``).
    rounds : int
        Rounds of "audit, then suppress more".
    wall_time_s : float
    """

    passed: bool
    n_primary: int
    n_secondary: int
    n_relations: int
    intervals: dict[str, list[float | None]] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)
    rounds: int = 0
    wall_time_s: float = 0.0

    def record(self) -> dict[str, Any]:
        """The manifest's ``disclosure_audit`` entry."""
        return {
            "method": "linear programming (scipy.optimize.linprog, HiGHS) over every published "
            "relation between counts; a suppressed count passes when at least two integer "
            "values stay feasible",
            "passed": self.passed,
            "suppressed_primary": self.n_primary,
            "suppressed_secondary": self.n_secondary,
            "relations": self.n_relations,
            "rounds": self.rounds,
            "pinned": self.pinned,
            "narrowest_interval": _narrowest(self.intervals),
            "wall_time_s": round(self.wall_time_s, 3),
        }


def _narrowest(intervals: Mapping[str, list[float | None]]) -> float | None:
    widths = [hi - lo for lo, hi in intervals.values() if hi is not None and lo is not None]
    return round(min(widths), 3) if widths else None


def _num(v: Any) -> float | None:
    if isinstance(v, bool | np.bool_) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class _Relations:
    """Linear relations ``sum(coef * cell) == 0`` between count cells, kept when they hold."""

    def __init__(self, raw: Mapping[str, pd.DataFrame], counts: Mapping[str, Sequence[str]]):
        self.raw = raw
        self.counts = counts
        self.rows: list[dict[Cell, float]] = []
        self._seen: set[tuple] = set()

    def value(self, cell: Cell) -> float | None:
        t, r, c = cell
        return _num(self.raw[t].at[r, c])

    def is_count(self, t: str, c: str) -> bool:
        return t in self.raw and c in self.counts.get(t, ()) and c in self.raw[t].columns

    def add(self, terms: Sequence[tuple[float, Cell]]) -> None:
        row: dict[Cell, float] = {}
        total = 0.0
        for coef, cell in terms:
            v = self.value(cell)
            if v is None:
                return
            row[cell] = row.get(cell, 0.0) + coef
            total += coef * v
        row = {k: v for k, v in row.items() if v != 0}
        if len(row) < 2 or abs(total) > 1e-6:
            return  # not a relation of these tables
        key = tuple(sorted(row.items()))
        if key not in self._seen:
            self._seen.add(key)
            self.rows.append(row)


def _cell_key(cell: Cell) -> tuple[str, tuple[int, Any], str]:
    """A sort key of a cell that reads the same on every pandas/numpy version."""
    t, r, c = cell
    row = (0, int(r)) if isinstance(r, (int, np.integer)) else (1, str(r))
    return str(t), row, str(c)


def _text_keys(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    return [
        c
        for c in df.columns
        if c not in exclude
        and (not pd.api.types.is_numeric_dtype(df[c]) or column_kind(c) in ("key",))
        and not pd.api.types.is_bool_dtype(df[c])
    ]


def _norm(v: Any) -> Any:
    f = _num(v)
    return f if f is not None else (None if v is None or v is np.nan else str(v))


def _relations(raw: Mapping[str, pd.DataFrame], counts: Mapping[str, Sequence[str]]) -> _Relations:
    ids = _rules()["identities"]
    rel = _Relations(raw, counts)
    # within a row
    for name, df in raw.items():
        for rs in ids["row_sums"]:
            if rel.is_count(name, rs["total"]) and all(rel.is_count(name, p) for p in rs["parts"]):
                for r in df.index:
                    rel.add(
                        [(-1.0, (name, r, rs["total"]))]
                        + [(1.0, (name, r, p)) for p in rs["parts"]]
                    )
    # group sizes: used + excluded, by the values of the group columns
    gs = ids["group_size"]
    gcols = list(ids["group_columns"])
    sizes: dict[tuple, list[list[tuple[float, Cell]]]] = {}

    def size_expr(name: str, r: int) -> list[tuple[float, Cell]] | None:
        used = [c for c in gs["used"] if rel.is_count(name, c)]
        if len(used) != 1:
            return None
        parts = used + [c for c in gs["excluded"] if rel.is_count(name, c)]
        return [(1.0, (name, r, c)) for c in parts]

    for name, df in raw.items():
        keys = [c for c in gcols if c in df.columns]
        others = [k for k in _text_keys(df) if k not in keys]
        for r in df.index:
            e = size_expr(name, r)
            if e is not None:
                sizes.setdefault(tuple((k, _norm(df.at[r, k])) for k in keys), []).append(e)
        # a table over the levels of one group column adds up to the group without it
        for g in keys:
            rest = [k for k in keys if k != g]
            for _, idx in (
                df.groupby(others + rest, dropna=False, sort=False).groups.items()
                if (others + rest)
                else [(None, df.index)]
            ):
                exprs = [size_expr(name, r) for r in idx]
                if len(idx) > 1 and all(e is not None for e in exprs):
                    r0 = idx[0]
                    key = tuple((k, _norm(df.at[r0, k])) for k in rest)
                    sizes.setdefault(key, []).append([t for e in exprs for t in e])  # type: ignore[union-attr]
    for exprs in sizes.values():
        by_value: dict[float, list[list[tuple[float, Cell]]]] = {}
        for e in exprs:
            vals = [rel.value(c) for _, c in e]
            if any(v is None for v in vals):
                continue
            by_value.setdefault(round(sum(vals), 6), []).append(e)  # type: ignore[arg-type]
        for same in by_value.values():
            # chain equal group sizes in a canonical order: the order of groupby's groups
            # differs between pandas 2 and 3, and an equivalent but differently written
            # system made the LP withhold different cells on the two stacks
            same = sorted(same, key=lambda e: sorted((_cell_key(c), k) for k, c in e))
            for a, b in zip(same, same[1:], strict=False):
                rel.add(a + [(-k, c) for k, c in b])
    # breakdowns: the levels of `by` add up to the total table's row
    for bd in ids["breakdowns"]:
        part, whole, g = bd["table"], bd["total"], bd["by"]
        if part not in raw or whole not in raw:
            continue
        dp, dw = raw[part], raw[whole]
        keys = [k for k in _text_keys(dp, exclude=(g,)) if k in dw.columns]
        cols = [c for c in counts.get(part, ()) if c in counts.get(whole, ())]
        for wr in dw.index:
            sel = np.ones(len(dp), dtype=bool)
            for k in keys:
                sel &= (dp[k].map(_norm) == _norm(dw.at[wr, k])).to_numpy()
            rows = list(dp.index[sel])
            if len(rows) < 1:
                continue
            for c in cols:
                rel.add([(1.0, (part, r, c)) for r in rows] + [(-1.0, (whole, wr, c))])
    # links between tables
    for lk in ids["links"]:
        a, b = lk["table"], lk["equals"]["table"]
        if a not in raw or b not in raw:
            continue
        da, db = raw[a], raw[b]
        on = dict(lk["match"])
        if not all(k in da.columns for k in on) or not all(v in db.columns for v in on.values()):
            continue
        col = lk["equals"]["column"]
        if not rel.is_count(b, col) or not all(rel.is_count(a, c) for c in lk["sum"]):
            continue
        for r in da.index:
            sel = np.ones(len(db), dtype=bool)
            for ka, kb in on.items():
                sel &= (db[kb].map(_norm) == _norm(da.at[r, ka])).to_numpy()
            for rb in db.index[sel]:
                rel.add([(1.0, (a, r, c)) for c in lk["sum"]] + [(-1.0, (b, rb, col))])
    for ct in ids["column_totals"]:
        a, b = ct["table"], ct["equals"]["table"]
        if a not in raw or b not in raw or ct["match"] not in raw[b].columns:
            continue
        col_b = ct["equals"]["column"]
        for rb in raw[b].index:
            col_a = str(ct["column"]).format(**{ct["match"]: raw[b].at[rb, ct["match"]]})
            if rel.is_count(a, col_a) and rel.is_count(b, col_b):
                rel.add([(1.0, (a, r, col_a)) for r in raw[a].index] + [(-1.0, (b, rb, col_b))])
    for tr in ids["total_rows"]:
        t = tr["table"]
        if t not in raw or tr["key"] not in raw[t].columns or not rel.is_count(t, tr["column"]):
            continue
        d = raw[t]
        tot = list(d.index[d[tr["key"]] == tr["total"]])
        if tot:
            rel.add(
                [(1.0, (t, r, tr["column"])) for r in d.index if r != tot[0]]
                + [(-1.0, (t, tot[0], tr["column"]))]
            )
    rel.rows.sort(key=lambda row: sorted((_cell_key(c), k) for c, k in row.items()))
    return rel


def _bounds(cell: Cell, primary: set[Cell], kinds: Mapping[tuple[str, str], str], thr: int):
    """What a reader knows of a withheld count: ``"<10"`` is 0..9 (1..9 for an exclusion
    count, whose 0 would be shown); ``"x"`` is at least the threshold (0 for an exclusion)."""
    kind = kinds[(cell[0], cell[2])]
    if cell in primary:
        return (1.0 if kind == "excluded" else 0.0, float(thr - 1))
    return (0.0 if kind == "excluded" else float(thr), None)


def _intervals(
    rel: _Relations,
    hidden: set[Cell],
    primary: set[Cell],
    kinds: Mapping[tuple[str, str], str],
    thr: int,
) -> dict[Cell, tuple[float, float | None]]:
    """Each hidden cell's feasible interval given every published cell and relation."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    cells = sorted(hidden)
    pos = {c: i for i, c in enumerate(cells)}
    eqs: list[tuple[dict[int, float], float]] = []
    for row in rel.rows:
        unk = {pos[c]: k for c, k in row.items() if c in pos}
        if not unk:
            continue
        rhs = -sum(k * rel.value(c) for c, k in row.items() if c not in pos)  # type: ignore[operator]
        eqs.append((unk, rhs))
    out: dict[Cell, tuple[float, float | None]] = {
        c: _bounds(c, primary, kinds, thr) for c in cells
    }
    if not eqs or not cells:
        return out
    rr, cc, vv = [], [], []
    for i, (unk, _) in enumerate(eqs):
        for j, k in unk.items():
            rr.append(i)
            cc.append(j)
            vv.append(k)
    A = coo_matrix((vv, (rr, cc)), shape=(len(eqs), len(cells))).tocsr()
    b = np.array([rhs for _, rhs in eqs])
    _, comp = connected_components((A.T @ A).tocoo(), directed=False)
    used = np.zeros(len(cells), bool)
    used[np.unique(A.nonzero()[1])] = True
    for k in np.unique(comp[used]):
        cols = np.flatnonzero((comp == k) & used)
        rows = np.unique(A[:, cols].nonzero()[0])
        Ac, bc = A[rows][:, cols].toarray(), b[rows]
        bounds = [_bounds(cells[j], primary, kinds, thr) for j in cols]
        for i, j in enumerate(cols):
            obj = np.zeros(len(cols))
            obj[i] = 1.0
            lo = linprog(obj, A_eq=Ac, b_eq=bc, bounds=bounds, method="highs")
            hi = linprog(-obj, A_eq=Ac, b_eq=bc, bounds=bounds, method="highs")
            low = lo.fun if lo.status == 0 else bounds[i][0]
            high = -hi.fun if hi.status == 0 else None if hi.status == 3 else bounds[i][1]
            out[cells[j]] = (float(low), None if high is None else float(high))
    return out


def _is_pinned(iv: tuple[float, float | None]) -> bool:
    lo, hi = iv
    if hi is None:
        return False
    return math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) < 1


def audit(
    published: Mapping[str, Protected],
    raw: Mapping[str, pd.DataFrame],
) -> Audit:
    """The feasible interval of every suppressed count of ``published`` given all of it.

    ``raw`` are the same tables before protection (flattened as in :func:`protect`): they
    say which relations between the tables hold; the attacker is assumed to know them all.
    A suppressed count passes when at least two integer values stay feasible.
    """
    import time

    t0 = time.perf_counter()
    thr = next(iter(published.values())).threshold if published else default_threshold()
    counts = {k: list(p.count_cols) for k, p in published.items()}
    rel = _relations(raw, counts)
    kinds = {(t, c): column_kind(c) for t, cs in counts.items() for c in cs}
    primary, hidden = _hidden(published, counts, thr)
    iv = _intervals(rel, hidden, primary, kinds, thr)
    pinned = [c for c, v in iv.items() if c in primary and _is_pinned(v)]
    return Audit(
        passed=not pinned,
        n_primary=len(primary),
        n_secondary=len(hidden - primary),
        n_relations=len(rel.rows),
        intervals={"/".join(map(str, c)): list(v) for c, v in iv.items() if c in primary},
        pinned=["/".join(map(str, c)) for c in sorted(pinned)],
        wall_time_s=time.perf_counter() - t0,
    )


def _hidden(
    published: Mapping[str, Protected], counts: Mapping[str, Sequence[str]], thr: int
) -> tuple[set[Cell], set[Cell]]:
    primary: set[Cell] = set()
    hidden: set[Cell] = set()
    small = count_marker(thr)
    for t, p in published.items():
        f = p.frame
        for c in counts[t]:
            if c not in f.columns:
                continue
            for r, v in f[c].items():
                if isinstance(v, str) and v in (small, SECONDARY_MARKER):
                    hidden.add((t, int(r), c))
                    if v == small:
                        primary.add((t, int(r), c))
    return primary, hidden


def protect_linked(
    tables: Mapping[str, pd.DataFrame],
    threshold: int | None = None,
    count_cols: Mapping[str, Sequence[str]] | None = None,
    *,
    max_rounds: int = 50,
) -> tuple[dict[str, Protected], Audit]:
    """Protect the tables of one report together: primary suppression, then secondary
    suppression until the audit passes.

    Each round audits (:func:`audit`): every suppressed count whose feasible interval given
    all published cells is a single value gets a partner withheld (shown as ``"x"``, its
    row's statistics as ``"–"``): the smallest published count of a relation that pins it.
    A failing audit suppresses more, never publishes; if no partner is left, every count of
    the pinning relations is withheld.

    Returns
    -------
    (dict, Audit)
        Table name -> :class:`Protected`, and the final audit (for the manifest).

    Examples
    --------
    >>> import pandas as pd
    >>> t = {"overall": pd.DataFrame({"n": [52]}),
    ...      "by_regime": pd.DataFrame({"regime": ["A", "B", "C"], "n": [30, 16, 6],
    ...                                 "share": [0.58, 0.31, 0.12]})}
    >>> prot, a = protect_linked(t, 10)
    >>> prot["by_regime"].frame["n"].tolist(), a.passed, a.n_secondary
    ([30, 'x', '<10'], True, 1)
    """
    import time

    t0 = time.perf_counter()
    thr = resolve_threshold(threshold)
    count_cols = count_cols or {}
    flat = {k: flatten(v) for k, v in tables.items()}
    counts = {k: count_columns(f, count_cols.get(k)) for k, f in flat.items()}
    kinds = {(t, c): column_kind(c) for t, cs in counts.items() for c in cs}
    masks = {k: suppression_mask(f, counts[k], thr) for k, f in flat.items()}
    primary: set[Cell] = {
        (t, int(r), c)
        for t, (small, _) in masks.items()
        for c in counts[t]
        for r in small.index[small[c].to_numpy()]
    }
    secondary: set[Cell] = set()
    rel = _relations(flat, counts) if thr > 0 else _Relations(flat, counts)
    rounds = 0
    iv: dict[Cell, tuple[float, float | None]] = {}
    pinned: list[Cell] = []
    while True:
        iv = _intervals(rel, primary | secondary, primary, kinds, thr)
        pinned = sorted(c for c, v in iv.items() if c in primary and _is_pinned(v))
        if not pinned or rounds >= max_rounds:
            break
        rounds += 1
        hidden = primary | secondary
        added = False
        for cell in pinned:
            cands: list[tuple[float, int, Cell]] = []
            for row in rel.rows:
                if cell not in row:
                    continue
                for other in row:
                    v = rel.value(other)
                    if other in hidden or v is None:
                        continue
                    if kinds[(other[0], other[2])] == "persons" and v < thr:
                        continue
                    cands.append((v, 0 if other[0] == cell[0] else 1, other))
            if cands:
                pick = min(cands)[2]
                secondary.add(pick)
                hidden.add(pick)
                added = True
        if not added:  # nothing left beside them: withhold every count of their tables
            for t in {c[0] for c in pinned}:
                for c in counts[t]:
                    for r in flat[t].index:
                        cell = (t, int(r), c)
                        if cell not in primary and rel.value(cell) is not None:
                            secondary.add(cell)
            if rounds >= 2 and all(c[0] in {p[0] for p in pinned} for c in pinned):
                iv = _intervals(rel, primary | secondary, primary, kinds, thr)
                pinned = sorted(c for c, v in iv.items() if c in primary and _is_pinned(v))
                break
    out: dict[str, Protected] = {}
    for t, f in flat.items():
        small, stat = masks[t]
        sec = pd.DataFrame(False, index=f.index, columns=f.columns)
        for tt, r, c in secondary:
            if tt == t:
                sec.at[r, c] = True
        persons_hidden = sec[[c for c in counts[t] if kinds[(t, c)] == "persons"]].any(axis=1)
        if persons_hidden.any():
            stat = stat.copy()
            for c in _stat_columns(f, counts[t]):
                stat[c] = stat[c] | persons_hidden
        sup, n = _apply_masks(f, small, stat, thr, sec)
        out[t] = Protected(
            sup, n, thr, tuple(counts[t]), _numeric_flags(f), int(sec.to_numpy().sum())
        )
    result = Audit(
        passed=not pinned,
        n_primary=len(primary),
        n_secondary=len(secondary),
        n_relations=len(rel.rows),
        intervals={"/".join(map(str, c)): list(v) for c, v in iv.items() if c in primary},
        pinned=["/".join(map(str, c)) for c in pinned],
        rounds=rounds,
        wall_time_s=time.perf_counter() - t0,
    )
    return out, result
