"""Listwise deletion that says what it left out and why (one routine for every model).

Every model of :mod:`reintegratie_stats.multilevel` and :mod:`reintegratie_stats.multivariate`
drops rows with a missing value on a variable it uses *before* building its design, counts them
per variable, and reports ``extra["n_excluded"]`` / ``extra["excluded_by"]`` (see
:meth:`CompleteCases.note`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0], "x": [1.0, 2.0, np.nan, np.nan]})
>>> cc = complete_cases(df, ["y", "x"])
>>> len(cc.frame), cc.n_excluded, cc.excluded_by
(1, 3, {'y': 1, 'x': 2})
>>> cc.note()["rows excluded (missing values)"]
'3 (y: 1, x: 2)'
>>> exclusion_reasons(df, ["y", "x"])  # each excluded row once: the account adds up
{'missing y': 1, 'missing x': 2}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "MORE_THAN_ONE",
    "CompleteCases",
    "complete_cases",
    "exclusion_reasons",
    "row_account",
]

#: The reason of a row missing on more than one of a model's variables.
MORE_THAN_ONE = "missing on more than one variable"


@dataclass(frozen=True)
class CompleteCases:
    """The complete rows and the account of the rest.

    Attributes
    ----------
    frame : pandas.DataFrame
        The complete rows of the used columns (a copy, original index kept).
    n_input : int
        Rows before deletion.
    n_excluded : int
        Rows left out (a row missing on two variables counts once here).
    excluded_by : dict of str to int
        Rows missing on each variable (a row can count for several variables).
    """

    frame: pd.DataFrame
    n_input: int
    n_excluded: int
    excluded_by: dict[str, int] = field(default_factory=dict)

    def note(self) -> dict[str, Any]:
        """``n_excluded``, ``excluded_by`` and a readable line, for a result's ``extra``."""
        out: dict[str, Any] = {"n_excluded": self.n_excluded, "excluded_by": dict(self.excluded_by)}
        if self.n_excluded:
            by = ", ".join(f"{c}: {k}" for c, k in self.excluded_by.items())
            out["rows excluded (missing values)"] = f"{self.n_excluded} ({by})"
        return out


def complete_cases(
    data: pd.DataFrame, columns: Sequence[str], *, allow_empty: bool = False
) -> CompleteCases:
    """Keep the rows of ``data`` complete on ``columns``.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    columns : sequence of str
        Variables the model uses (duplicates are ignored).
    allow_empty : bool
        Return an empty frame instead of raising when no row is complete.

    Returns
    -------
    CompleteCases

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame.
    ValueError
        A column is not in ``data``, or no row is complete (naming the variable missing most).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    cols = list(dict.fromkeys(columns))
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise ValueError(f"column(s) not in the data: {', '.join(map(repr, absent))}")
    na = data[cols].isna()
    keep = ~na.any(axis=1).to_numpy()
    excluded_by = {c: int(na[c].sum()) for c in cols if na[c].any()}
    n_excl = int((~keep).sum())
    if not keep.any() and not allow_empty:
        worst = max(excluded_by, key=lambda c: excluded_by[c]) if excluded_by else "?"
        raise ValueError(
            f"no complete rows: all {len(data)} rows have a missing value "
            f"(most often in {worst!r}: {excluded_by.get(worst, 0)} rows)"
        )
    return CompleteCases(
        frame=data.loc[keep, cols].copy(),
        n_input=len(data),
        n_excluded=n_excl,
        excluded_by=excluded_by,
    )


def exclusion_reasons(data: pd.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """Rows of ``data`` left out by listwise deletion on ``columns``, each counted once.

    Unlike :attr:`CompleteCases.excluded_by` (a row missing on two variables counts for both),
    the counts here add up to the rows excluded: ``"missing <column>"`` for rows missing on that
    column only (in the order of ``columns``), :data:`MORE_THAN_ONE` for the rest. Columns
    without a missing row are left out.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : sequence of str
        Variables the model uses (all in ``data``).

    Returns
    -------
    dict of str to int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, np.nan, np.nan, 4.0], "x": [1.0, 2.0, np.nan, np.nan]})
    >>> exclusion_reasons(df, ["y", "x"])
    {'missing y': 1, 'missing x': 1, 'missing on more than one variable': 1}
    """
    cols = list(dict.fromkeys(columns))
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise ValueError(f"column(s) not in the data: {', '.join(map(repr, absent))}")
    na = data[cols].isna()
    k = na.sum(axis=1)
    out = {f"missing {c}": int((na[c] & (k == 1)).sum()) for c in cols}
    out = {r: n for r, n in out.items() if n}
    several = int((k > 1).sum())
    if several:
        out[MORE_THAN_ONE] = several
    return out


def row_account(
    before: Sequence[tuple[str, int]],
    data: pd.DataFrame,
    columns: Sequence[str],
    n_used: int,
) -> list[tuple[str, int]]:
    """The account of one model's rows: ``before`` (``("input_rows", N)`` and the rows
    outside the model's sample by reason), each listwise exclusion on ``columns`` once
    (:func:`exclusion_reasons` on ``data``, the sample), then ``("used", n_used)``.

    The reasons after ``input_rows`` add up to it when ``data`` holds the rows ``before``
    leaves and the model used its complete rows on ``columns``.

    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, np.nan, 3.0], "x": [1.0, 2.0, 3.0]})
    >>> row_account([("input_rows", 5), ("not_soon_released", 2)], df, ["y", "x"], 2)
    [('input_rows', 5), ('not_soon_released', 2), ('missing y', 1), ('used', 2)]
    """
    return [*before, *exclusion_reasons(data, columns).items(), ("used", int(n_used))]
