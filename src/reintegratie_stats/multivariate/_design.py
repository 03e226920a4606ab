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

from ..statistics.complete_cases import complete_cases
from ..statistics.formula import formula_variables as _formula_variables
from ..statistics.formula import split_random
from ..statistics.lmm import patsy_frame

__all__ = ["Design", "formula_variables", "listwise", "make_design", "split_random"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")

# one formula parser, one complete-case routine and one patsy frame for every model here
to_patsy_frame = patsy_frame


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """Columns of ``data`` named in ``formula`` (in order of first appearance)."""
    return _formula_variables(formula, data.columns)


def listwise(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Complete cases on ``columns``: the kept frame (a copy), number excluded, misses per column.

    Raises
    ------
    ValueError
        When a column is absent, or no row is complete.
    """
    cc = complete_cases(data, columns)
    return patsy_frame(cc.frame), cc.n_excluded, cc.excluded_by


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
