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
#: Above this many rows a seeded random subsample is checked first: if it has the full
#: column rank and is not separated, neither are all rows (adding rows only shrinks the cone
#: ``C``), and the LPs on all rows are skipped. Otherwise the check runs on all rows.
SCREEN_ROWS = 5_000


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
    if n > SCREEN_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(n, SCREEN_ROWS, replace=False))
        Xs_, ys_ = X[rows], y[rows]
        if _rank(Xs_) == _rank(X):
            sub = _detect(Xs_, ys_, names, first_only=True)
            if not sub.separation:
                return sub
    return _detect(X, y, names)


def _null_space(M: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of ``{b : M b = 0}``, from the eigenvectors of ``M'M``.

    ``M'M`` is p x p, so this costs nothing next to an SVD of the n x p matrix; exact
    collinearity gives eigenvalues at rounding level, far below the relative threshold.
    """
    k = M.shape[1]
    if M.shape[0] == 0:
        return np.eye(k)
    ev, vec = np.linalg.eigh(M.T @ M)
    return vec[:, ev <= max(ev.max(), 1e-300) * 1e-10]


def _rank(X: np.ndarray) -> int:
    return X.shape[1] - _null_space(X / np.maximum(np.abs(X).max(axis=0), 1e-300)).shape[1]


def _detect(
    X: np.ndarray, y: np.ndarray, names: list[str], first_only: bool = False
) -> SeparationResult:
    n, p = X.shape
    scale = np.max(np.abs(X), axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    A = (2.0 * y - 1.0)[:, None] * Xs
    # exclude directions with X b = 0 (collinear columns): they leave the likelihood unchanged
    eq = _null_space(Xs)
    eq = eq if eq.shape[1] else None
    infinite = pd.Series(0, index=names, dtype=int, name="infinite")
    # 1. the rows that some direction in the cone separates (its maximal support S): the sum
    #    of two cone directions is in the cone, so maximise over rows not yet in S until no
    #    new row appears (usually one or two LPs)
    S = np.zeros(n, dtype=bool)
    agg = np.zeros(p)
    while not S.all():
        f, b = _lp(-A[~S].sum(axis=0), A, eq)
        new = (A @ b > LP_TOL) & ~S
        if -f <= LP_TOL or not new.any():
            break
        if first_only:  # a separated subsample: the caller checks all rows
            return SeparationResult(True, "unknown", infinite, 0, np.zeros(p))
        S |= A @ b > LP_TOL
        agg += b
    if not S.any():
        return SeparationResult(False, "none", infinite, 0, np.zeros(p))
    # 2. the cone is {b : A_S b >= 0, A_notS b = 0}: parametrise b = N c over the null space
    #    of the overlapping rows (and of X's collinearity) and solve 2p small LPs on S only
    M = A[~S] if eq is None else np.vstack([A[~S], eq.T])
    N = _null_space(M)
    AS = A[S] @ N
    box = np.vstack([N, -N])  # |N c| <= 1
    a_ub = np.vstack([-AS, box])
    b_ub = np.r_[np.zeros(AS.shape[0]), np.ones(2 * p)]
    for j in range(p):
        vals = []
        for sign in (-1.0, 1.0):
            res = optimize.linprog(
                sign * N[j],
                A_ub=a_ub,
                b_ub=b_ub,
                bounds=[(None, None)] * N.shape[1],
                method="highs",
            )
            vals.append(res.fun if res.status == 0 else 0.0)
        up, down = -vals[0], vals[1]  # max and min of b_j over the cone
        if up > LP_TOL or down < -LP_TOL:
            infinite.iloc[j] = 1 if up >= -down else -1
    direction = agg / scale
    direction = direction / np.max(np.abs(direction))
    return SeparationResult(
        True, "complete" if S.all() else "quasi-complete", infinite, int(S.sum()), direction
    )
