"""Stage 1 of the GLMM fit: formula + frame -> arrays (lme4's ``glFormula``).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"y": rng.integers(0, 2, 60).astype(float), "x": rng.normal(size=60),
...                    "g": np.repeat(["a", "b", "c"], 20)})
>>> d = glmm_design("y ~ x + (1 | g)", df)
>>> d.x_names, d.n_groups, d.nobs
(('Intercept', 'x'), 3, 60)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import patsy

from .formula import ParsedFormula, parse_formula

__all__ = ["GLMMDesign", "glmm_design", "Family"]

Family = Literal["binomial", "gaussian"]
_FAMILIES = ("binomial", "gaussian")


@dataclass(frozen=True)
class GLMMDesign:
    """Arrays for a two-level random-intercept model, plus what was excluded and why.

    Attributes
    ----------
    y : ndarray (n,)
        Response (0/1 for binomial).
    X : ndarray (n, p)
        Fixed-effects design, first column ``Intercept`` when the formula has one.
    groups : ndarray (n,) of int
        Group code per row, ``0 .. n_groups-1``, indexing ``group_levels``.
    group_levels : tuple of str
        Level of the grouping factor for each code.
    x_names : tuple of str
        Column names of ``X``.
    response, group : str
        Response column and grouping factor.
    family : str
        ``"binomial"`` or ``"gaussian"``.
    row_index : pandas.Index
        Index labels of the rows used, in the design's order (rows are sorted by group,
        stably, so that per-group sums run over contiguous blocks).
    n_excluded : int
        Rows dropped because a formula variable (or the group) is missing.
    excluded_by : dict
        Missing count per formula variable (a row may be counted under several).
    warnings : tuple of str
        Input-check warnings, kept as data (lme4's ``wmsgs``).
    """

    y: np.ndarray
    X: np.ndarray
    groups: np.ndarray
    group_levels: tuple[str, ...]
    x_names: tuple[str, ...]
    response: str
    group: str
    family: str
    formula: str
    row_index: pd.Index
    n_excluded: int = 0
    excluded_by: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_groups(self) -> int:
        return len(self.group_levels)

    @property
    def group_sizes(self) -> np.ndarray:
        return np.bincount(self.groups, minlength=self.n_groups)


def _check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if data.columns.duplicated().any():
        dup = list(data.columns[data.columns.duplicated()])
        raise ValueError(f"data has duplicated column names: {dup}")
    return data


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _plain_numeric_design(
    pf: ParsedFormula, sub: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    """Fast path for ``y ~ a + b + c`` with numeric columns: the same X as patsy, built directly.

    Returns None (use patsy) for anything else: transformations, interactions, factors.
    """
    rhs = pf.fixed.split("~", 1)[1]
    terms = [t.strip() for t in rhs.split("+")]
    intercept = True
    cols: list[str] = []
    for t in terms:
        if t == "1":
            continue
        if t in ("0", "-1"):
            intercept = False
            continue
        if not _PLAIN.fullmatch(t) or t not in sub.columns or t in cols:
            return None
        cols.append(t)
    for c in [pf.response, *cols]:
        if c not in sub.columns:
            return None
        dt = sub[c].dtype
        if not (pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt)):
            return None
    y = sub[pf.response].to_numpy(dtype=float)
    n = len(sub)
    X = np.empty((n, len(cols) + intercept))
    if intercept:
        X[:, 0] = 1.0
    for j, c in enumerate(cols):
        X[:, j + intercept] = sub[c].to_numpy(dtype=float)
    return y, X, (("Intercept",) if intercept else ()) + tuple(cols)


def glmm_design(
    formula: str | ParsedFormula,
    data: pd.DataFrame,
    family: str = "binomial",
) -> GLMMDesign:
    """Build the arrays of a random-intercept GLMM from an lme4 formula.

    Rows with a missing value in any formula variable or in the grouping factor are dropped
    and counted (``n_excluded``, ``excluded_by``).

    Parameters
    ----------
    formula : str or ParsedFormula
        ``response ~ fixed terms + (1 | group)``; exactly one random intercept.
    data : pandas.DataFrame
        One row per observation (never modified).
    family : {"binomial", "gaussian"}
        Response family; binomial responses must be 0/1 (or boolean).

    Returns
    -------
    GLMMDesign

    Raises
    ------
    ValueError
        Unknown column, non-binary response, a constant response, fewer than two groups,
        collinear fixed effects, or a random part other than one ``(1 | group)``.
    """
    data = _check_frame(data)
    if family not in _FAMILIES:
        raise ValueError(f"family must be one of {_FAMILIES}, got {family!r}")
    pf = formula if isinstance(formula, ParsedFormula) else parse_formula(formula)
    if not pf.random:
        raise ValueError(
            f"formula {pf.formula!r} has no random term; add (1 | group) or fit a GLM instead"
        )
    if not pf.is_random_intercept:
        terms = ", ".join(f"({t.expr} | {t.group})" for t in pf.random)
        raise ValueError(
            f"the native backend fits exactly one random intercept (1 | group); got {terms}. "
            "Use backend='lme4' for random slopes, crossed or nested effects."
        )
    group = pf.random[0].group
    for col in (pf.response, group):
        if col not in data.columns:
            raise ValueError(f"column {col!r} from the formula is not in the data")

    used = pf.variables(data.columns)
    if group not in used:
        used.append(group)
    missing = data[used].isna()
    excluded_by = {c: int(n) for c, n in missing.sum().items() if n > 0}
    keep = ~missing.any(axis=1).to_numpy()
    sub = data.loc[keep]
    n_excluded = int((~keep).sum())
    if len(sub) == 0:
        raise ValueError(
            f"no complete rows: every row has a missing value in one of {used} (missing per "
            f"column: {excluded_by})"
        )

    fast = _plain_numeric_design(pf, sub)
    if fast is not None:
        y, X, x_names = fast
    else:
        try:
            ymat, xmat = patsy.dmatrices(pf.fixed, sub, return_type="dataframe", NA_action="raise")
        except patsy.PatsyError as exc:
            raise ValueError(
                f"could not build the fixed-effects design of {pf.fixed!r}: {exc}"
            ) from exc
        if ymat.shape[1] != 1:
            raise ValueError(
                f"response {pf.response!r} must be one numeric 0/1 column (got {ymat.shape[1]} "
                "columns; is it a string/categorical? recode it to 0/1)"
            )
        y = ymat.iloc[:, 0].to_numpy(dtype=float)
        X = np.ascontiguousarray(xmat.to_numpy(dtype=float))
        x_names = tuple(xmat.columns)
    if family == "binomial":
        bad = ~np.isin(y, (0.0, 1.0))
        if bad.any():
            vals = np.unique(y[bad])[:5].tolist()
            raise ValueError(
                f"binomial response {pf.response!r} must be 0/1; found values {vals} "
                f"in {int(bad.sum())} rows"
            )
    if np.ptp(y) == 0:
        raise ValueError(
            f"response {pf.response!r} never varies: all {len(y)} used rows are {y[0]:g}; "
            "a model cannot be fitted"
        )
    gser = sub[group]
    raw_codes, uniques = pd.factorize(gser)
    labels = np.asarray([str(v) for v in uniques], dtype=object)
    order = np.argsort(labels, kind="stable")  # levels sorted as strings, like R's factor()
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    codes = rank[raw_codes]
    levels = tuple(labels[order])
    if len(levels) < 2:
        raise ValueError(
            f"grouping factor {group!r} has {len(levels)} level ({levels[0] if levels else ''}) "
            "in the rows used; a random intercept needs at least 2 groups (fit a GLM instead)"
        )
    if X.shape[1] > 0:
        # rank via the scaled cross-product (cheap for a million rows, p columns)
        xtx = X.T @ X
        dsc = np.sqrt(np.clip(np.diag(xtx), 1e-300, None))
        if np.linalg.eigvalsh(xtx / np.outer(dsc, dsc)).min() < 1e-10:
            # name the columns that can be written as combinations of earlier ones
            dropped, cols = [], []
            for j in range(X.shape[1]):
                cand = cols + [j]
                if np.linalg.matrix_rank(X[:, cand]) < len(cand):
                    dropped.append(x_names[j])
                else:
                    cols = cand
            raise ValueError(
                f"fixed-effects design of {pf.fixed!r} is rank deficient: {dropped} are linear "
                "combinations of the other columns (constant or collinear); drop them"
            )
    # Rows are ordered by group (stable) so that the objective can sum over contiguous blocks;
    # ``row_index`` keeps the original labels in the new order.
    order = np.argsort(codes, kind="stable")
    if not np.all(order == np.arange(order.size)):
        y, X, codes = y[order], np.ascontiguousarray(X[order]), codes[order]
        row_index = sub.index[order]
    else:
        row_index = sub.index
    warns: list[str] = []
    if n_excluded:
        warns.append(f"{n_excluded} rows with missing values excluded (by column: {excluded_by})")
    if len(levels) < 5:
        warns.append(
            f"grouping factor {group!r} has only {len(levels)} levels: the variance is poorly "
            "estimated"
        )
    return GLMMDesign(
        y=y,
        X=X,
        groups=codes.astype(np.intp),
        group_levels=levels,
        x_names=x_names,
        response=pf.response,
        group=group,
        family=family,
        formula=pf.formula,
        row_index=row_index,
        n_excluded=n_excluded,
        excluded_by=excluded_by,
        warnings=tuple(warns),
    )
