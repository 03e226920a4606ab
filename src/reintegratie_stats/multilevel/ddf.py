"""Denominator degrees of freedom for Wald tests of a two-level model (between-within).

With 26 institutions, a Wald z test of an institution-level term treats the group-level
variance as known and is anti-conservative. The between-within method (SAS ``DDFM=BETWITHIN``;
Snijders and Bosker 2012, sec. 6.1) tests each term on Student's t: a term that is constant
within every group (an institution score) gets ``groups - rank(group-level design)``, where the
group-level design is the intercept plus every group-level column; a term that varies within
groups gets ``n - groups - (within-group columns)``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> g = np.repeat(np.arange(10), 5)
>>> X = np.column_stack([np.ones(50), np.repeat(np.arange(10.0), 5), np.arange(50.0)])
>>> between_within_df(X, g, ["Intercept", "score", "age"]).tolist()
[8.0, 8.0, 39.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["between_within_df", "group_level_terms", "DDF_METHODS"]

#: The ``ddf`` choices of :func:`reintegratie_stats.multilevel.glmer` and their descriptions.
DDF_METHODS: dict[str, str] = {
    "asymptotic": "",
    "between-within": (
        "between-within (group-level terms: groups minus group-level parameters incl. the "
        "intercept; individual-level terms: observations minus groups minus within terms)"
    ),
}


def group_level_terms(X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the columns of ``X`` that are constant within every group.

    The intercept counts as group-level, as in the between-within method.
    """
    X = np.asarray(X, dtype=float)
    groups = np.asarray(groups)
    order = np.argsort(groups, kind="stable")
    gs, Xs = groups[order], X[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    first = np.repeat(Xs[starts], np.diff(np.r_[starts, len(gs)]), axis=0)
    scale = np.maximum(np.abs(Xs).max(axis=0), 1.0)
    return np.all(np.abs(Xs - first) <= 1e-12 * scale, axis=0)


def between_within_df(X: np.ndarray, groups: np.ndarray, names: Sequence[str]) -> pd.Series:
    """Between-within degrees of freedom per fixed-effect term.

    Parameters
    ----------
    X : ndarray (n, p)
        Fixed-effects design (with its intercept column, if any).
    groups : ndarray (n,)
        Group code of each row.
    names : sequence of str
        Term names, one per column of ``X``.

    Returns
    -------
    pandas.Series
        Degrees of freedom indexed by term (at least 1).
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    n_groups = len(np.unique(groups))
    between = group_level_terms(X, groups)
    rank_between = np.linalg.matrix_rank(X[:, between]) if between.any() else 0
    rank_within = np.linalg.matrix_rank(X) - rank_between
    df_b = max(n_groups - rank_between, 1)
    df_w = max(n - n_groups - rank_within, 1)
    return pd.Series(
        np.where(between, float(df_b), float(df_w)), index=list(names), name="df", dtype=float
    )
