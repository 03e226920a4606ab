"""Shared plumbing of the tidy analysis functions (private).

The missing-value convention lives here, so that :mod:`descriptives` and :mod:`bivariate`
report exclusions the same way:

- every result row has ``n`` (rows used for that estimate) and ``n_missing`` (rows of that
  group that were eligible but had a missing value in a variable the estimate needs, or a
  missing/zero weight); functions with routed questions (``asked_if`` in the codebook) also
  have ``n_not_applicable`` (rows routed past the question, which are not missing);
- rows that cannot be placed in any group (missing grouping variable) or that fall outside the
  requested subpopulation (``among``) are counted in ``result.attrs["n_excluded"]``, a dict
  ``{reason: count}``; ``result.attrs["n_rows"]`` is the number of input rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from .. import derived_variables as derive
from ..schema import Codebook


def as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def prepare(df: pd.DataFrame, needed: Sequence[str], cb: Codebook) -> pd.DataFrame:
    """Check the columns; add derived ones (``Codebook.derivable``) when absent. Never mutates."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    # a fresh positional index: label-based selection below must not trip over duplicates
    df = df.reset_index(drop=True)
    absent = [c for c in needed if c not in df.columns]
    if any(c in cb.derivable for c in absent):
        df = derive.add_derived(df, cb)
        absent = [c for c in needed if c not in df.columns]
    if absent:
        raise ValueError(f"column(s) not in the data frame: {absent}")
    return df


def professional_types(types: Sequence[str] | None, cb: Codebook) -> list[str]:
    """The requested professional types (all, in codebook order, when None); unknown ones raise."""
    out = list(types) if types is not None else list(cb.professional_types)
    bad = [t for t in out if t not in cb.professional_types]
    if bad:
        raise ValueError(
            f"unknown professional type(s) {bad}; the codebook has {cb.professional_types}"
        )
    return out


def applicable(d: pd.DataFrame, var: str, cb: Codebook) -> pd.Series:
    """True where the codebook routing (``asked_if``) puts the question to the respondent.

    A respondent who answered counts as asked; one whose routing variable is missing and who
    did not answer is not applicable-unknown, counted as missing (not as routed past).
    """
    v = cb["prisoners"][var] if var in cb["prisoners"] else None
    if v is None or v.asked_if is None or v.asked_if[0] not in d.columns:
        return pd.Series(True, index=d.index)
    cvar, cval = v.asked_if
    c = pd.to_numeric(d[cvar], errors="coerce")
    return (c == cval) | c.isna() | d[var].notna()


def binary(df: pd.DataFrame, col: str) -> pd.Series:
    """The 0/1 column ``col`` as float with NaN; any other value raises ValueError naming it."""
    s = pd.to_numeric(df[col], errors="coerce").astype(float)
    bad_text = df[col].notna() & s.isna()
    bad = s.notna() & ~s.isin([0.0, 1.0])
    if bad_text.any() or bad.any():
        vals = sorted(set(map(str, df.loc[bad | bad_text, col].tolist())))[:5]
        raise ValueError(f"column {col!r} must be 0/1 (or missing); found {vals}")
    return s


def numeric(df: pd.DataFrame, col: str) -> pd.Series:
    s = pd.to_numeric(df[col], errors="coerce").astype(float)
    bad = df[col].notna() & s.isna()
    if bad.any():
        vals = sorted(set(map(str, df.loc[bad, col].tolist())))[:5]
        raise ValueError(f"column {col!r} must be numeric; found {vals}")
    return s


def weights(df: pd.DataFrame, weight: str | None) -> pd.Series | None:
    """Weights as float (NaN where missing); None when unweighted. Negative weights raise."""
    if weight is None:
        return None
    if weight not in df.columns:
        raise ValueError(f"weight column {weight!r} not in the data frame")
    w = numeric(df, weight)
    if (w < 0).any():
        raise ValueError(f"weight column {weight!r} has negative values")
    return w


def usable_weight(w: pd.Series | None, index: pd.Index) -> pd.Series:
    """True where the weight is present and positive (all True when unweighted)."""
    if w is None:
        return pd.Series(True, index=index)
    return (w.reindex(index) > 0).fillna(False)


def among(df: pd.DataFrame, col: str | None, excluded: dict[str, int]) -> pd.DataFrame:
    """Restrict to rows where the 0/1 column ``col`` is 1, counting the others."""
    if col is None:
        return df
    if col not in df.columns:
        raise ValueError(f"'among' column {col!r} not in the data frame")
    s = binary(df, col)
    n_out = int((s != 1).sum())
    if n_out:
        excluded[f"{col} not 1"] = excluded.get(f"{col} not 1", 0) + n_out
    return df.loc[s == 1]


def level_order(col: str, values: Sequence[Any], cb: Codebook) -> list[Any]:
    """Codebook order for concept columns (``concepts.concept_columns``) and coded prisoners
    variables, sorted order otherwise."""
    seen = list(dict.fromkeys(values))
    group = cb.concept_columns.get(col)
    concept = cb.concept_codes(group) if group is not None else None
    if concept is None and col in cb["prisoners"] and cb["prisoners"][col].values:
        concept = tuple(cb["prisoners"][col].values)
    if concept is not None:
        # numeric codes stored as float (1.0) must match integer codebook codes (1)
        rank = {_as_num(c): i for i, c in enumerate(concept)}
        return sorted(seen, key=lambda v: (rank.get(_as_num(v), len(rank)), str(v)))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _as_num(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def groups(
    df: pd.DataFrame, by: Sequence[str], cb: Codebook, excluded: dict[str, int]
) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
    """Yield ``({by: value}, sub-frame)`` in codebook order; rows with a missing key are counted."""
    if not by:
        yield {}, df
        return
    keyed = df
    for c in by:
        miss = keyed[c].isna()
        if miss.any():
            excluded[f"{c} missing"] = excluded.get(f"{c} missing", 0) + int(miss.sum())
        keyed = keyed.loc[~miss]
    if keyed.empty:
        return
    grouped = dict(iter(keyed.groupby(list(by), sort=False, observed=True)))
    keys = list(grouped)
    # order by the codebook order of each key column, first column first
    orders = [level_order(c, keyed[c].tolist(), cb) for c in by]

    def rank(k: Any) -> tuple[int, ...]:
        kt = k if isinstance(k, tuple) else (k,)
        return tuple(
            orders[i].index(kt[i]) if kt[i] in orders[i] else len(orders[i]) for i in range(len(by))
        )

    for k in sorted(keys, key=rank):
        kt = k if isinstance(k, tuple) else (k,)
        yield dict(zip(by, kt, strict=True)), grouped[k]


def finish(
    rows: list[dict[str, Any]],
    columns: Sequence[str],
    n_rows: int,
    excluded: dict[str, int],
    **attrs: Any,
) -> pd.DataFrame:
    """Assemble the tidy frame in the documented column order and attach the exclusion attrs."""
    out = pd.DataFrame(rows, columns=list(columns))
    out.attrs = {"n_rows": int(n_rows), "n_excluded": dict(excluded), **attrs}
    return out
