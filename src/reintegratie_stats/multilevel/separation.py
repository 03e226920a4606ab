"""Separation in binary-outcome models: detection by linear programming, and what to do about it.

A logistic likelihood has no finite maximum when a direction ``b`` of the coefficients orders
the outcomes: ``x_i'b >= 0`` for every ``y_i = 1`` and ``x_i'b <= 0`` for every ``y_i = 0``, with
at least one strict inequality (quasi-complete separation; complete when all are strict;
Albert & Anderson 1984). The maximum likelihood estimate then runs to infinity along ``b`` and
the reported coefficient and SE (for example -179,139 with SE 47,851) are wherever the
optimiser stopped. A random intercept does not repair this for fixed effects: the group effects
are shrunk towards 0 by their normal distribution, so a covariate that separates the rows (an
institution-level facility such as ``video_calling`` with no outcome where it is absent) still
diverges.

Detection follows Konis (2007, the method of R's ``detectseparation``): with ``s_i = 2 y_i - 1``
the recession cone is ``C = {b : s_i x_i'b >= 0 for all i}``; the data are separated when ``C``
holds a ``b`` with ``X b != 0``. Coefficient ``j`` can diverge to ``+inf`` (``-inf``) when the
linear programme ``max b_j`` (``min b_j``) over ``C`` within the box ``|b| <= 1`` (columns scaled
to unit max) is positive (negative). Directions in the null space of ``X`` (collinear columns)
are excluded, so collinearity is not mistaken for separation. The LPs run in scipy's HiGHS.

Examples
--------
>>> import numpy as np
>>> x = np.array([0, 0, 0, 1, 1, 1, 1, 1.0])
>>> y = np.array([0, 0, 0, 0, 1, 1, 0, 1.0])
>>> X = np.column_stack([np.ones(8), x])
>>> r = detect_separation(X, y, ["Intercept", "x"])
>>> r.separation, r.kind
(True, 'quasi-complete')
>>> r.infinite.to_dict()
{'Intercept': -1, 'x': 1}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = ["SeparationResult", "detect_separation"]

#: An LP optimum above this (on columns scaled to max |x| = 1, box |b| <= 1) counts as positive.
LP_TOL = 1e-7


@dataclass(frozen=True)
class SeparationResult:
    """Outcome of :func:`detect_separation`.

    Attributes
    ----------
    separation : bool
        True when the maximum likelihood estimate does not exist (some coefficient is infinite).
    kind : {"none", "quasi-complete", "complete"}
    infinite : pandas.Series of int
        Per coefficient: ``+1`` / ``-1`` when it can diverge to ``+inf`` / ``-inf`` (as R's
        ``detect_separation()$coefficients`` gives ``Inf`` / ``-Inf``), ``0`` when finite.
        A coefficient that can go either way (a degenerate cone) is marked ``+1``/``-1`` by
        the sign of the larger LP optimum.
    n_separated_rows : int
        Rows whose fitted probability goes to exactly 0 or 1 along the separating direction.
    direction : ndarray
        One separating direction ``b`` (on the original column scale, max |b| = 1), or zeros.
    """

    separation: bool
    kind: str
    infinite: pd.Series
    n_separated_rows: int
    direction: np.ndarray

    @property
    def terms(self) -> list[str]:
        """Names of the coefficients that can diverge."""
        return [str(k) for k, v in self.infinite.items() if v != 0]

    def describe(self) -> str:
        """One sentence for notes and warnings."""
        if not self.separation:
            return "no separation"
        signs = ", ".join(f"{t} -> {'+' if self.infinite[t] > 0 else '-'}inf" for t in self.terms)
        return (
            f"{self.kind} separation: the maximum likelihood estimate does not exist ({signs}; "
            f"{self.n_separated_rows} rows with fitted probability 0 or 1)"
        )


def _lp(c: np.ndarray, A: np.ndarray, eq: np.ndarray | None) -> tuple[float, np.ndarray]:
    """``min c'b`` subject to ``A b >= 0``, ``eq' b = 0`` and ``|b| <= 1``."""
    k = A.shape[1]
    res = optimize.linprog(
        c,
        A_ub=-A,
        b_ub=np.zeros(A.shape[0]),
        A_eq=None if eq is None else eq.T,
        b_eq=None if eq is None else np.zeros(eq.shape[1]),
        bounds=[(-1.0, 1.0)] * k,
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - b = 0 is always feasible and the box bounds it
        raise RuntimeError(f"separation check: linear programme failed ({res.message})")
    return float(res.fun), np.asarray(res.x, dtype=float)


def detect_separation(
    X: np.ndarray, y: np.ndarray, names: Sequence[str] | None = None
) -> SeparationResult:
    """Detect complete or quasi-complete separation of a 0/1 outcome by the design ``X``.

    Parameters
    ----------
    X : ndarray (n, p)
        Fixed-effects design (with the intercept column if the model has one).
    y : ndarray (n,)
        0/1 outcome.
    names : sequence of str, optional
        Column names (default ``x0, x1, ...``).

    Returns
    -------
    SeparationResult

    Raises
    ------
    ValueError
        If ``y`` is not 0/1 or the shapes do not match.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, p) and y (n,); got {X.shape} and {y.shape}")
    if not np.all((y == 0) | (y == 1)):
        bad = y[~((y == 0) | (y == 1))][:3]
        raise ValueError(f"detect_separation needs a 0/1 outcome; found values {bad.tolist()}")
    n, p = X.shape
    names = [f"x{j}" for j in range(p)] if names is None else [str(v) for v in names]
    if len(names) != p:
        raise ValueError(f"names has {len(names)} entries for {p} columns")
    scale = np.max(np.abs(X), axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    A = (2.0 * y - 1.0)[:, None] * Xs
    # exclude directions with X b = 0 (collinear columns): they leave the likelihood unchanged
    _, sv, vt = np.linalg.svd(Xs, full_matrices=False)
    rank = int(np.sum(sv > sv[0] * max(n, p) * np.finfo(float).eps)) if sv.size else 0
    eq = vt[rank:].T if rank < p else None
    if eq is not None and eq.shape[1] == 0:
        eq = None
    # 1. any separation at all: max sum_i s_i x_i'b over the cone
    fsum, bsum = _lp(-A.sum(axis=0), A, eq)
    infinite = pd.Series(0, index=names, dtype=int, name="infinite")
    if -fsum <= LP_TOL or not np.any(A @ bsum > LP_TOL):
        return SeparationResult(False, "none", infinite, 0, np.zeros(p))
    # 2. which coefficients can diverge, and in which direction
    for j in range(p):
        c = np.zeros(p)
        c[j] = -1.0
        up = -_lp(c, A, eq)[0]
        c[j] = 1.0
        down = _lp(c, A, eq)[0]
        if up > LP_TOL or down < -LP_TOL:
            infinite.iloc[j] = 1 if up >= -down else -1
    # 3. complete separation: a direction with every s_i x_i'b > 0 (max t, A b >= t, t <= 1)
    At = np.hstack([A, -np.ones((n, 1))])
    eq_t = None if eq is None else np.vstack([eq, np.zeros((1, eq.shape[1]))])
    res = optimize.linprog(
        np.r_[np.zeros(p), -1.0],
        A_ub=-At,
        b_ub=np.zeros(n),
        A_eq=None if eq_t is None else eq_t.T,
        b_eq=None if eq_t is None else np.zeros(eq_t.shape[1]),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)],
        method="highs",
    )
    complete = bool(res.status == 0 and -res.fun > LP_TOL)
    direction = bsum / scale
    direction = direction / np.max(np.abs(direction))
    n_sep = int(np.sum(A @ bsum > LP_TOL))
    return SeparationResult(
        True, "complete" if complete else "quasi-complete", infinite, n_sep, direction
    )
