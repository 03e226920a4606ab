"""Formula → design matrices with explicit listwise deletion (shared by every model here).

Rows with a missing value on any variable the formula (or the cluster / group column) uses are
dropped *before* patsy sees the data, and counted per variable, so that each result can report
``extra["n_excluded"]`` and ``extra["excluded_by"]``. patsy then runs with ``NA_action="raise"``:
nothing else can disappear silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy

__all__ = ["Design", "formula_variables", "listwise", "make_design", "split_random"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_RANDOM = re.compile(r"\+?\s*\(\s*([^()|]+?)\s*\|\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)")


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """Columns of ``data`` named in ``formula`` (in order of first appearance)."""
    seen: list[str] = []
    for tok in _IDENT.findall(formula):
        if tok in data.columns and tok not in seen:
            seen.append(tok)
    return seen


def split_random(formula: str) -> tuple[str, list[tuple[str, str]]]:
    """Split an lme4-style formula into its fixed part and its random terms.

    Returns
    -------
    fixed : str
        The formula without the ``( ... | group)`` terms.
    random : list of (str, str)
        ``(expression, group)`` per random term, e.g. ``("1", "institution_id")``.

    Examples
    --------
    >>> split_random("y ~ x + (1 | g)")
    ('y ~ x', [('1', 'g')])
    """
    random = [(m.group(1).strip(), m.group(2)) for m in _RANDOM.finditer(formula)]
    fixed = _RANDOM.sub("", formula).strip()
    fixed = re.sub(r"\+\s*$", "", fixed).strip()
    fixed = re.sub(r"~\s*\+", "~", fixed)
    if fixed.endswith("~"):
        fixed += " 1"
    return fixed, random


def _to_patsy_frame(df: pd.DataFrame) -> pd.DataFrame:
    # patsy does not know pandas' string dtype (pandas 3 default); give it plain objects.
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.StringDtype) or isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(object)
        elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
            out[c] = s.astype(float)
        else:
            out[c] = s
    return pd.DataFrame(out, index=df.index)


def listwise(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Complete cases on ``columns``: the kept frame (a copy), number excluded, misses per column.

    Raises
    ------
    ValueError
        When a column is absent, or no row is complete.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing_cols = [c for c in columns if c not in data.columns]
    if missing_cols:
        raise ValueError(f"column(s) not in data: {', '.join(missing_cols)}")
    sub = data[columns]
    na = sub.isna()
    keep = ~na.any(axis=1)
    excluded_by = {c: int(na[c].sum()) for c in columns if na[c].any()}
    n_excluded = int((~keep).sum())
    if not keep.any():
        worst = max(excluded_by, key=excluded_by.get) if excluded_by else "?"
        raise ValueError(
            f"no complete rows: all {len(data)} rows have a missing value "
            f"(most often in {worst!r}: {excluded_by.get(worst, 0)} rows)"
        )
    return _to_patsy_frame(sub.loc[keep]), n_excluded, excluded_by


@dataclass
class Design:
    """A fixed-effects design: response, model matrix and what was dropped."""

    y: pd.Series
    X: pd.DataFrame
    frame: pd.DataFrame
    design_info: Any
    n_excluded: int
    excluded_by: dict[str, int] = field(default_factory=dict)
    groups: pd.Series | None = None

    @property
    def names(self) -> list[str]:
        return list(self.X.columns)


def make_design(formula: str, data: pd.DataFrame, *, extra_columns: tuple[str, ...] = ()) -> Design:
    """Build ``y`` and ``X`` for ``formula`` (patsy syntax; constant named ``Intercept``).

    ``extra_columns`` (e.g. the cluster or group column) take part in the listwise deletion.
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must be a string 'y ~ x + ...', got {formula!r}")
    cols = formula_variables(formula, data)
    lhs = formula.split("~", 1)[0].strip()
    if _IDENT.fullmatch(lhs) and lhs not in data.columns:
        raise ValueError(f"response {lhs!r} is not a column of data")
    for c in extra_columns:
        if c not in cols:
            cols.append(c)
    frame, n_excl, by = listwise(data, cols)
    try:
        y, X = patsy.dmatrices(formula, frame, return_type="dataframe", NA_action="raise")
    except patsy.PatsyError as exc:
        raise ValueError(f"cannot build the design for {formula!r}: {exc}") from None
    if y.shape[1] != 1:
        raise ValueError(f"the response of {formula!r} must be one numeric column")
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < X.shape[1]:
        raise ValueError(
            f"the design of {formula!r} is rank deficient ({rank} < {X.shape[1]} columns) "
            f"on the {len(X)} complete rows; drop collinear or constant terms"
        )
    return Design(
        y=y.iloc[:, 0],
        X=X,
        frame=frame,
        design_info=X.design_info,
        n_excluded=n_excl,
        excluded_by=by,
    )
