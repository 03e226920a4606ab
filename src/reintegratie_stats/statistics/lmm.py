"""One linear mixed model (lme4's profiled deviance), behind ``multilevel.lmer`` and
``multivariate.mixed``.

The model is ``y = X beta + Z b + e`` with ``b ~ N(0, sigma^2 Lambda Lambda')`` and
``e ~ N(0, sigma^2 I)``, parametrised as in lme4 (Bates, Maechler, Bolker & Walker 2015,
*J. Stat. Softw.* 67(1), section 3): ``theta`` holds the lower-triangular relative covariance
factor of each random-effects term (for a random intercept the ratio ``sd_u / sigma``). For a
given ``theta`` the penalised least-squares (PLS) problem has a closed form, so ``beta`` and
``sigma^2`` are profiled out and only ``theta`` is optimised:

* ML:   ``-2 l(theta) = log|L|^2 + n (1 + log(2 pi r^2 / n))``
* REML: ``-2 l_R(theta) = log|L|^2 + log|R_X|^2 + (n - p)(1 + log(2 pi r^2 / (n - p)))``

with ``L L' = Lambda' Z'Z Lambda + I``, ``R_X' R_X = X'V^{-1}X`` (up to ``sigma^2``) and
``r^2`` the penalised residual sum of squares. Everything is computed from the cross-products
``Z'Z, Z'X, Z'y, X'X, X'y, y'y``, once per fit, so an evaluation costs O(q^3) whatever ``n``.

The fixed-effect covariance is lme4's ``sigma^2 (X'V^{-1}X)^{-1}`` -- the covariance of
``beta`` given ``theta`` -- not the inverse of the joint Hessian of (beta, theta) that
statsmodels' ``MixedLM`` reports (which differs by up to 1% on the chapter-5 models).

Optimisation of ``theta`` (bounded: the diagonal of each factor is >= 0):

* one variance parameter: the profiled deviance on a grid of 40 points over [0, 100] (0
  included), then bounded Brent between the neighbours of the best grid point; the boundary
  ``theta = 0`` is compared explicitly, so a singular fit returns exactly 0.
* several: L-BFGS-B from several starts, then Nelder-Mead (bounded) from the best.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> g = np.repeat(np.arange(15), 12)
>>> df = pd.DataFrame({"g": g, "x": rng.normal(size=180)})
>>> df["y"] = 2 + 0.5 * df["x"] + rng.normal(0, 0.7, 15)[g] + rng.normal(size=180)
>>> fit = fit_lmm("y ~ x + (1 | g)", df, reml=True)
>>> fit.converged, fit.singular, list(fit.x_names)
(True, False, ['Intercept', 'x'])
>>> bool(abs(fit.beta[1] - 0.5) < 0.2)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy
from scipy import linalg, optimize

from .complete_cases import CompleteCases, complete_cases
from .formula import formula_variables, parse_formula

__all__ = ["LMMFit", "RandomBlock", "fit_lmm", "lmm_design", "patsy_frame", "SINGULAR_TOL"]

#: theta (relative SD) below which a fit is called singular, as ``lme4::isSingular(tol = 1e-4)``
SINGULAR_TOL = 1e-4


def patsy_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy patsy can read: pandas string/categorical dtypes as objects, ints/bools as floats.

    patsy does not know pandas' string dtype (the pandas 3 default); integer columns become
    floats so that the design does not depend on the pandas version's integer handling.
    """
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out[c] = s.astype(object)
        elif pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
            out[c] = s.astype(float)
        else:
            out[c] = s
    return pd.DataFrame(out, index=df.index)


@dataclass(frozen=True)
class RandomBlock:
    """One random-effects term ``(expr | group)``: its model matrix and grouping."""

    group: str
    names: tuple[str, ...]
    levels: tuple[str, ...]
    codes: np.ndarray
    values: np.ndarray

    @property
    def n_terms(self) -> int:
        return len(self.names)

    @property
    def n_theta(self) -> int:
        k = self.n_terms
        return k * (k + 1) // 2

    def z_matrix(self) -> np.ndarray:
        """Dense ``Z`` block, columns level-major (level 1's terms, level 2's terms, ...)."""
        n, k = self.values.shape
        z = np.zeros((n, len(self.levels) * k))
        rows = np.arange(n)
        for j in range(k):
            z[rows, self.codes * k + j] = self.values[:, j]
        return z

    def label(self, j: int) -> str:
        """lme4's name of term ``j``: the group, or ``group:term`` for a slope."""
        return self.group if self.names[j] == "(Intercept)" else f"{self.group}:{self.names[j]}"


@dataclass
class LMMDesign:
    """Response, fixed and random design of one linear mixed model on its complete cases."""

    formula: str
    y: np.ndarray
    X: np.ndarray
    x_names: tuple[str, ...]
    blocks: tuple[RandomBlock, ...]
    design_info: Any
    cases: CompleteCases
    response: str


def lmm_design(formula: str, data: pd.DataFrame) -> LMMDesign:
    """Parse an lme4 formula and build the design on the complete cases.

    Raises
    ------
    ValueError
        No random term, ``||`` terms, a column not in the data, a non-numeric response, fewer
        than two groups, or a rank-deficient fixed design -- each naming the problem.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    pf = parse_formula(formula)
    if not pf.random:
        raise ValueError(
            f"a linear mixed model needs a random term such as (1 | institution_id) in {formula!r}"
        )
    if any("uncorrelated" in t.expr for t in pf.random):
        raise ValueError(f"'||' (uncorrelated) random terms are not supported: {formula!r}")
    if pf.response not in data.columns:
        raise ValueError(f"response {pf.response!r} is not a column of the data")
    for t in pf.random:
        if t.group not in data.columns:
            raise ValueError(
                f"group column {t.group!r} of ({t.expr} | {t.group}) is not in the data"
            )
    cols = formula_variables(formula, data.columns)
    cases = complete_cases(data, cols)
    frame = patsy_frame(cases.frame)
    if not pd.api.types.is_numeric_dtype(frame[pf.response]):
        raise ValueError(
            f"response {pf.response!r} must be numeric, got {frame[pf.response].dtype}"
        )
    try:
        yd, Xd = patsy.dmatrices(pf.fixed, frame, return_type="dataframe", NA_action="raise")
    except patsy.PatsyError as exc:
        raise ValueError(f"cannot build the fixed design of {pf.fixed!r}: {exc}") from None
    X = Xd.to_numpy(dtype=float)
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        raise ValueError(
            f"the fixed design of {pf.fixed!r} is rank deficient ({rank} < {X.shape[1]} columns) "
            f"on the {len(X)} complete rows; drop collinear or constant terms"
        )
    blocks = []
    for t in pf.random:
        try:
            zd = patsy.dmatrix(t.expr, frame, return_type="dataframe", NA_action="raise")
        except patsy.PatsyError as exc:
            raise ValueError(
                f"cannot build the random term ({t.expr} | {t.group}): {exc}"
            ) from None
        names = tuple("(Intercept)" if c == "Intercept" else c for c in zd.columns)
        # levels sorted as strings, as R sorts a character grouping factor
        key = cases.frame[t.group].astype(str).to_numpy()
        levels, codes = np.unique(key, return_inverse=True)
        if len(levels) < 2:
            raise ValueError(
                f"group column {t.group!r} has {len(levels)} level(s); need at least 2"
            )
        blocks.append(RandomBlock(t.group, names, tuple(levels), codes, zd.to_numpy(dtype=float)))
    return LMMDesign(
        formula=formula,
        y=yd.iloc[:, 0].to_numpy(dtype=float),
        X=X,
        x_names=tuple(Xd.columns),
        blocks=tuple(blocks),
        design_info=Xd.design_info,
        cases=cases,
        response=pf.response,
    )


class _Profile:
    """The profiled deviance of lme4 from the cross-products of one design."""

    def __init__(self, y: np.ndarray, X: np.ndarray, Z: np.ndarray, blocks, reml: bool):
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        self.reml = reml
        self.ZtZ, self.ZtX, self.Zty = Z.T @ Z, Z.T @ X, Z.T @ y
        self.XtX, self.Xty, self.yty = X.T @ X, X.T @ y, float(y @ y)
        self.blocks = blocks
        self.lower = np.concatenate([_lower_bounds(b.n_terms) for b in blocks])

    def lam(self, theta: np.ndarray) -> np.ndarray:
        """The diagonal blocks of Lambda: one lower-triangular factor per random term."""
        mats, pos = [], 0
        for b in self.blocks:
            k = b.n_terms
            T = np.zeros((k, k))
            T.T[np.triu_indices(k)] = theta[pos : pos + b.n_theta]  # column-major lower triangle
            pos += b.n_theta
            mats.append(np.kron(np.eye(len(b.levels)), T))
        return linalg.block_diag(*mats)

    def solve(self, theta: np.ndarray) -> dict[str, Any]:
        lam = self.lam(np.asarray(theta, dtype=float))
        A = lam.T @ self.ZtZ @ lam + np.eye(self.q)
        L = linalg.cholesky(A, lower=True)
        cu = linalg.solve_triangular(L, lam.T @ self.Zty, lower=True)
        RZX = linalg.solve_triangular(L, lam.T @ self.ZtX, lower=True)
        XVX = self.XtX - RZX.T @ RZX
        RX = linalg.cholesky(XVX, lower=False)
        rhs = self.Xty - RZX.T @ cu
        beta = linalg.cho_solve((RX, False), rhs)
        r2 = self.yty - float(cu @ cu) - float(beta @ rhs)
        return {"lam": lam, "L": L, "cu": cu, "RZX": RZX, "RX": RX, "beta": beta, "r2": r2}

    def deviance(self, theta: np.ndarray) -> float:
        try:
            s = self.solve(theta)
        except (linalg.LinAlgError, ValueError):
            return np.inf
        return self._dev(s)

    def _dev(self, s: dict[str, Any]) -> float:
        r2 = s["r2"]
        if not r2 > 0:
            return np.inf
        ld = 2.0 * float(np.sum(np.log(np.diag(s["L"]))))
        if self.reml:
            m = self.n - self.p
            ld += 2.0 * float(np.sum(np.log(np.abs(np.diag(s["RX"])))))
            return ld + m * (1.0 + np.log(2.0 * np.pi * r2 / m))
        return ld + self.n * (1.0 + np.log(2.0 * np.pi * r2 / self.n))


def _lower_bounds(k: int) -> np.ndarray:
    # diagonal elements of each lower-triangular factor >= 0, off-diagonal free (as lme4)
    rows, cols = np.triu_indices(k)  # column-major order of the lower triangle
    return np.array([0.0 if r == c else -np.inf for c, r in zip(rows, cols, strict=True)])


def _start(blocks) -> np.ndarray:
    return np.concatenate([np.where(_lower_bounds(b.n_terms) == 0.0, 1.0, 0.0) for b in blocks])


def _gradient_1d(prof: _Profile, t: float) -> float:
    """Analytic derivative of the profiled deviance for one scalar theta (Lambda = t I).

    With ``A = t^2 Z'Z + I``: d log|A| = 2t tr(A^-1 Z'Z); d r^2 = -2 u'Z'(y - tZu - X beta)
    (envelope theorem: the PLS solution u, beta is optimal); d log|R_X'R_X| =
    tr(M^-1 dM) with M = X'X - t^2 Z'X' A^-1 Z'X and dM = -2t Z'X' A^-2 Z'X.
    """
    A = t * t * prof.ZtZ + np.eye(prof.q)
    cA = linalg.cho_factor(A, lower=True)
    AiZX = linalg.cho_solve(cA, prof.ZtX)
    M = prof.XtX - t * t * prof.ZtX.T @ AiZX
    cM = linalg.cho_factor(M)
    beta = linalg.cho_solve(cM, prof.Xty - t * t * AiZX.T @ prof.Zty)
    u = t * linalg.cho_solve(cA, prof.Zty - prof.ZtX @ beta)
    e_z = prof.Zty - t * prof.ZtZ @ u - prof.ZtX @ beta  # Z'(y - tZu - X beta)
    r2 = prof.yty - 2 * t * u @ prof.Zty - 2 * beta @ prof.Xty
    r2 += t * t * u @ prof.ZtZ @ u + 2 * t * u @ prof.ZtX @ beta + beta @ prof.XtX @ beta + u @ u
    d_ld = 2 * t * np.trace(linalg.cho_solve(cA, prof.ZtZ))
    d_r2 = -2 * float(u @ e_z)
    if prof.reml:
        dM = -2 * t * AiZX.T @ AiZX
        d_ld += np.trace(linalg.cho_solve(cM, dM))
        return float(d_ld + (prof.n - prof.p) * d_r2 / r2)
    return float(d_ld + prof.n * d_r2 / r2)


def _polish_1d(prof: _Profile, t: float, dev: float) -> tuple[float, float]:
    """The root of the analytic derivative next to Brent's minimum.

    Brent stops where the deviance is flat to rounding (|dtheta| ~ sqrt(eps)): rounding-level
    differences of the input (another pandas or BLAS) then move theta by up to ~1e-6 relative,
    which shows in a table printed to 6 digits. The derivative's root is stable to ~1e-12.
    """
    try:
        for w in (1e-6, 1e-4, 1e-2):
            lo, hi = t * (1 - w), t * (1 + w)
            glo, ghi = _gradient_1d(prof, lo), _gradient_1d(prof, hi)
            if glo < 0 < ghi:
                root = optimize.brentq(lambda x: _gradient_1d(prof, x), lo, hi, xtol=1e-15)
                d = prof.deviance(np.array([root]))
                if d <= dev + 1e-9:  # never worse than Brent's answer beyond rounding
                    return float(root), float(d)
                break
    except (linalg.LinAlgError, ValueError):
        pass
    return t, dev


def _optimise_1d(prof: _Profile) -> tuple[np.ndarray, float, bool, str]:
    grid = np.concatenate([[0.0], np.logspace(-3, 2, 39)])
    vals = np.array([prof.deviance(np.array([t])) for t in grid])
    if not np.isfinite(vals).any():
        return np.array([np.nan]), np.inf, False, "profiled deviance not finite on the grid"
    i = int(np.nanargmin(np.where(np.isfinite(vals), vals, np.inf)))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(
        lambda t: prof.deviance(np.array([t])),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-10, "maxiter": 500},
    )
    cands = [(float(res.fun), float(res.x)), (float(vals[i]), float(grid[i])), (vals[0], 0.0)]
    dev, t = min(cands)
    # the boundary is a legitimate optimum: take exactly 0 when it is as good (within 1e-10)
    if t > 0 and vals[0] <= dev + 1e-10:
        dev, t = float(vals[0]), 0.0
    ok = bool(res.success) and np.isfinite(dev)
    if t > 0:
        t, dev = _polish_1d(prof, t, dev)
    if i == len(grid) - 1:
        return np.array([t]), dev, False, "theta at the upper end of the search (> 100)"
    return np.array([t]), dev, ok, "grid + bounded Brent"


def _optimise_nd(prof: _Profile) -> tuple[np.ndarray, float, bool, str]:
    lower = prof.lower
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    base = _start(prof.blocks)
    best: tuple[float, np.ndarray, bool] | None = None
    for scale in (1.0, 0.3, 3.0, 0.05):
        r = optimize.minimize(prof.deviance, base * scale, method="L-BFGS-B", bounds=bounds)
        if best is None or r.fun < best[0]:
            best = (float(r.fun), np.asarray(r.x), bool(r.success))
    assert best is not None
    nm = optimize.minimize(
        prof.deviance,
        best[1],
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 5000, "maxfev": 5000},
    )
    if nm.fun < best[0]:
        theta, dev, ok = np.asarray(nm.x), float(nm.fun), bool(nm.success)
        method = "L-BFGS-B (4 starts) then Nelder-Mead"
    else:
        theta, dev, ok = best[1], best[0], best[2] or bool(nm.success)
        method = "L-BFGS-B (4 starts); Nelder-Mead did not improve"
    theta = np.where(lower == 0.0, np.maximum(theta, 0.0), theta)
    # a diagonal element at the boundary: exactly 0 when no worse (a singular fit)
    for j in np.flatnonzero((lower == 0.0) & (theta < SINGULAR_TOL)):
        t0 = theta.copy()
        t0[j] = 0.0
        d0 = prof.deviance(t0)
        if d0 <= dev + 1e-10:
            theta, dev = t0, d0
    # Nelder-Mead's own stop (xatol 1e-9) is stricter than what an estimate needs and it can
    # run out of evaluations while sitting on the optimum; judge convergence as lme4 does, by
    # the gradient at the end (interior parameters; a boundary one needs only a non-negative
    # slope into the feasible side)
    ok = (ok or _gradient_small(prof.deviance, theta, lower)) and bool(np.isfinite(dev))
    return theta, dev, ok, method


def _gradient_small(f: Callable[[np.ndarray], float], x: np.ndarray, lower: np.ndarray) -> bool:
    g = np.empty(len(x))
    for j in range(len(x)):
        h = 1e-5 * max(1.0, abs(x[j]))
        up, dn = x.copy(), x.copy()
        up[j] += h
        if lower[j] == 0.0 and x[j] - h < 0.0:
            g[j] = min((f(up) - f(x)) / h, 0.0)  # at the bound only a descent into it counts
            continue
        dn[j] -= h
        g[j] = (f(up) - f(dn)) / (2 * h)
    return bool(np.all(np.abs(g) < 2e-3))


@dataclass
class LMMFit:
    """A fitted linear mixed model (lme4's parametrisation and estimates).

    Attributes
    ----------
    beta, cov_beta : numpy.ndarray
        Fixed effects and lme4's ``vcov``: ``sigma^2 (X'V^{-1}X)^{-1}``.
    theta : numpy.ndarray
        Relative covariance factors (lme4's ``getME(m, "theta")``), ``theta_names``.
    sigma2 : float
        Residual variance (``sigma(m)^2``).
    variance_components : pandas.Series
        Variance of each random term (``as.data.frame(VarCorr(m))`` rows with ``var2`` NA).
    llf : float
        ``logLik`` (the REML criterion for REML fits, as lme4).
    converged, singular : bool
        ``singular``: some relative SD below :data:`SINGULAR_TOL` (lme4's ``isSingular``).
    ranef : pandas.DataFrame
        Conditional modes and SDs (``ranef(m, condVar = TRUE)``): grpvar, term, level, n,
        estimate, std_error.
    """

    design: LMMDesign
    reml: bool
    beta: np.ndarray
    cov_beta: np.ndarray
    theta: np.ndarray
    theta_names: tuple[str, ...]
    sigma2: float
    variance_components: pd.Series
    llf: float
    deviance: float
    converged: bool
    singular: bool
    ranef: pd.DataFrame
    method: str
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def x_names(self) -> tuple[str, ...]:
        return self.design.x_names

    @property
    def nobs(self) -> int:
        return len(self.design.y)

    @property
    def n_theta(self) -> int:
        return len(self.theta)

    @property
    def n_groups(self) -> dict[str, int]:
        return {b.group: len(b.levels) for b in self.design.blocks}


def fit_lmm(formula: str, data: pd.DataFrame, reml: bool = True) -> LMMFit:
    """Fit ``y ~ fixed + (terms | group) [+ ...]`` by ML or REML as ``lme4::lmer``.

    Parameters
    ----------
    formula : str
        lme4 syntax; fixed part in patsy syntax (``C(x)`` for factors); random terms
        ``(1 | g)``, ``(1 + x | g)``, several (crossed or nested by their own columns).
    data : pandas.DataFrame
        Not modified; incomplete rows are dropped and counted.
    reml : bool
        REML (lme4's default) or maximum likelihood.

    Returns
    -------
    LMMFit
    """
    d = lmm_design(formula, data)
    Z = np.hstack([b.z_matrix() for b in d.blocks])
    n, p = d.X.shape
    if n - p <= 0:
        raise ValueError(f"{n} complete rows for {p} fixed effects: nothing left to estimate")
    prof = _Profile(d.y, d.X, Z, d.blocks, reml)
    if len(prof.lower) == 1:
        theta, dev, ok, method = _optimise_1d(prof)
    else:
        theta, dev, ok, method = _optimise_nd(prof)
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"the linear mixed model {formula!r} could not be fitted: {method}")
    s = prof.solve(theta)
    lam, beta = s["lam"], s["beta"]
    L = s["L"]
    u = linalg.solve_triangular(L.T, s["cu"] - s["RZX"] @ beta, lower=False)
    b = lam @ u
    # penalised RSS from the residuals themselves (the cross-product form loses digits)
    r2 = float(np.sum((d.y - d.X @ beta - Z @ b) ** 2) + u @ u)
    s["r2"] = r2
    dev = prof._dev(s)
    sigma2 = r2 / (n - p if reml else n)
    RXinv = linalg.solve_triangular(s["RX"], np.eye(p), lower=False)
    cov_beta = sigma2 * (RXinv @ RXinv.T)
    # conditional variances of b given theta, beta: sigma^2 Lambda (L L')^{-1} Lambda'
    Linv_lam = linalg.solve_triangular(L, lam.T, lower=True)
    cond_var = sigma2 * np.sum(Linv_lam**2, axis=0)

    comps: dict[str, float] = {}
    theta_names: list[str] = []
    rows = []
    pos = col = 0
    singular = False
    for blk in d.blocks:
        k = blk.n_terms
        T = np.zeros((k, k))
        T.T[np.triu_indices(k)] = theta[pos : pos + blk.n_theta]
        pos += blk.n_theta
        singular |= bool(np.any(np.diag(T) < SINGULAR_TOL))
        S = sigma2 * T @ T.T
        for j in range(k):
            comps[blk.label(j)] = float(S[j, j])
        for c, r in zip(*np.triu_indices(k), strict=True):
            nm = blk.names
            theta_names.append(f"{blk.group}.{nm[r]}" if r == c else f"{blk.group}.{nm[r]}.{nm[c]}")
        sizes = np.bincount(blk.codes, minlength=len(blk.levels))
        for j in range(k):
            idx = col + np.arange(len(blk.levels)) * k + j
            rows.append(
                pd.DataFrame(
                    {
                        "grpvar": blk.group,
                        "term": blk.names[j],
                        "level": list(blk.levels),
                        "n": sizes,
                        "estimate": b[idx],
                        "std_error": np.sqrt(np.maximum(cond_var[idx], 0.0)),
                    }
                )
            )
        col += len(blk.levels) * k
    msgs = []
    if singular:
        msgs.append("boundary (singular) fit: see help('isSingular')")
    if not ok:
        msgs.append(f"the optimiser did not report convergence ({method})")
    return LMMFit(
        design=d,
        reml=reml,
        beta=beta,
        cov_beta=cov_beta,
        theta=theta,
        theta_names=tuple(theta_names),
        sigma2=sigma2,
        variance_components=pd.Series(comps, name="variance"),
        llf=-0.5 * dev,
        deviance=dev,
        converged=bool(ok),
        singular=bool(singular),
        ranef=pd.concat(rows, ignore_index=True),
        method=method,
        messages=tuple(msgs),
    )
