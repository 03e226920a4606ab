"""Parametric-bootstrap likelihood-ratio test of nested random-intercept logit models.

The method of R's ``pbkrtest::PBmodcomp`` (Halekoh and Hojsgaard 2014): simulate responses
from the fitted *small* (null) model, with the institution intercepts drawn afresh for every
replicate, refit both models to each simulated response and compare the observed
likelihood-ratio statistic ``LR = 2 (llf_big - llf_small)`` with the simulated ``LR*``::

    p = (1 + #{LR* >= LR}) / (1 + B)

With 26 institutions the chi-square reference distribution of the LR statistic of
institution-level terms is too light-tailed (the chapter-4 block of five scores rejects 12.8% of
true null hypotheses at alpha = 0.05 on the twin); the bootstrap distribution is the
distribution of the statistic under the fitted null at the actual number of groups.

Speed (``benchmarks/bench_pbmodcomp.py``):

* all ``B`` responses are drawn in one vectorised step, in the parent process, from
  ``numpy.random.default_rng(seed)``: the p-value depends on ``seed`` only, never on ``n_jobs``;
* each refit starts from the fitted model (small) or from the replicate's small fit with the
  extra coefficients at 0 (big; so ``LR* >= 0`` up to the tolerance) and runs quasi-Newton
  steps that start from the fitted model's Hessian (BFGS updates), with the exact gradient:
  about five deviance evaluations per refit instead of a full fit's fifty, to the tolerances
  a p-value needs (:data:`REFIT_TOL`, :data:`MODE_TOL`: LR* exact to ~1e-6, not 1e-10). The
  cost is the transcendental functions on every row (``expit`` in each conditional-mode
  iteration, ``exp``/``log1p`` in the log-likelihood), not the interpreter: refitting 50
  replicates per numpy call was measured no faster. A refit whose optimum is at or near
  theta = 0 (most refits of a model with an institution variance near 0) stops there and
  goes to the boundary refit: the logistic regression at theta = 0, kept when the
  variance-component score says the deviance does not decrease away from 0, else
  quasi-Newton again from a small theta; only what that cannot settle is redone by
  :func:`optimize_glmm` (Newton with fresh Hessians, L-BFGS-B fallback); a refit that still
  fails is dropped and counted (``n_failed``);
* replicates run in chunks on ``n_jobs`` joblib (loky) workers.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reintegratie_stats.multilevel import glmer
>>> rng = np.random.default_rng(1)
>>> g = np.repeat(np.arange(12), 40)
>>> z = rng.normal(size=12)[g]  # an institution-level covariate without effect
>>> eta = -0.3 + 0.5 * rng.normal(size=12)[g]
>>> df = pd.DataFrame({"y": (rng.random(480) < 1 / (1 + np.exp(-eta))).astype(float),
...                    "z": z, "g": g})
>>> big = glmer("y ~ z + (1 | g)", df)
>>> res = pb_lrt(big, df, drop=["z"], nsim=99, seed=3)
>>> res.nsim, res.df_num
(99, 1)
>>> bool(0 < res.pvalue <= 1)
True
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from ..results import ConvergenceWarning
from .design import GLMMDesign, glmm_design
from .objective import Objective, conditional_modes, make_objective
from .optimize import GLMMControl, numerical_hessian, optimize_glmm
from .results import GLMMResult, build_glmm_result

__all__ = [
    "BootstrapLRTResult",
    "pb_lrt",
    "pb_modcomp",
    "pb_lrt_terms",
    "simulate_null",
    "wald_t_given_theta",
]

#: Replicates per joblib task: large enough that the task overhead is small, small enough that
#: two workers share the load evenly at B = 1,000.
CHUNK = 50
#: Convergence of a refit: the Newton decrement ``g' H^-1 g / 2``, i.e. how far the deviance
#: is predicted to be above its minimum (LR* is then exact to ~2e-6, far below what a p-value
#: can see; 1e-8 cost one quasi-Newton step more per refit).
REFIT_TOL = 1e-6
#: Relative tolerance of the conditional modes in a refit (the deviance error is ~its square).
MODE_TOL = 1e-9
#: LR* within this of LR counts as ">=" (ties go to the conservative side).
TIE_TOL = 1e-5
#: Below this SD of the institution intercepts a refit is handed to the boundary refit.
THETA_MIN = 1e-3
#: |t*| within this of |t| counts as ">=" in the bootstrap-t (ties to the conservative side).
TIE_TOL_T = 1e-6


@dataclass(frozen=True)
class _Fitted:
    """What a replicate refit needs of one fitted model: its design, optimum and Hessian."""

    design: GLMMDesign
    x: np.ndarray
    hessian: np.ndarray
    nagq: int
    prior_sd: np.ndarray | None = None


@dataclass(repr=False)
class BootstrapLRTResult:
    """A parametric-bootstrap likelihood-ratio test (names as statsmodels' test results).

    Attributes
    ----------
    statistic : float
        Observed ``LR = 2 (llf_big - llf_small)``.
    df_num : int
        Number of restricted parameters (for the chi-square reference).
    pvalue : float
        Bootstrap p-value ``(1 + #{LR* >= LR}) / (1 + n_used)``; NaN when fewer than half of
        the replicates could be refitted (e.g. a separated small model).
    pvalue_chi2 : float
        The asymptotic chi-square(``df_num``) p-value of the same statistic.
    null_distribution : ndarray
        The simulated ``LR*`` of the replicates that converged (``n_used`` of them).
    nsim, n_used, n_failed, n_extreme : int
        Replicates requested, used, dropped (a refit did not converge), and with
        ``LR* >= LR``.
    seed : int or None
    terms : tuple of str
        The restricted terms (the columns of the big model that the small one lacks).
    time_s : float
        Wall time of the replicates.
    term_pvalues : pandas.Series or None
        With ``term_t=True`` (:func:`pb_lrt`): the parametric bootstrap-t p-value of every
        restricted term, from the same replicates (see :attr:`term_test`); else None.
    term_statistics : pandas.Series or None
        The observed Wald t of each restricted term, ``estimate / SE`` with the SE given
        theta (:func:`wald_t_given_theta`).
    term_null_distribution : ndarray (n_used, k) or None
        The replicates' ``t*`` (columns in the order of :attr:`terms`; NaN where the SE could
        not be computed).
    """

    statistic: float
    df_num: int
    pvalue: float
    pvalue_chi2: float
    null_distribution: np.ndarray
    nsim: int
    n_used: int
    n_failed: int
    n_extreme: int
    seed: int | None
    terms: tuple[str, ...] = ()
    time_s: float = float("nan")
    extra: dict[str, object] = field(default_factory=dict)
    term_pvalues: pd.Series | None = None
    term_statistics: pd.Series | None = None
    term_null_distribution: np.ndarray | None = None

    @property
    def test(self) -> str:
        """The name used in tables: ``parametric bootstrap LRT (<B>)``, with ``penalised``
        when the models are penalised fits (separation; the statistic is then the difference
        of the penalised deviances, calibrated by the same bootstrap)."""
        pen = ", penalised likelihood" if self.extra.get("penalized") else ""
        return f"parametric bootstrap LRT ({self.nsim:,}{pen})"

    @property
    def term_test(self) -> str:
        """The name of the per-term test in tables: the Wald t of each term referred to its
        distribution in the replicates simulated under the block null (all restricted terms
        0), ``parametric bootstrap-t under the block null (<B>)``."""
        pen = ", penalised likelihood" if self.extra.get("penalized") else ""
        return f"parametric bootstrap-t under the block null ({self.nsim:,}{pen})"

    @property
    def mc_se(self) -> float:
        """Monte Carlo standard error of :attr:`pvalue` (binomial, at the estimate)."""
        p = self.pvalue
        return float(np.sqrt(p * (1 - p) / max(self.n_used, 1)))

    def to_frame(self) -> pd.DataFrame:
        """Two rows as ``PBmodcomp``'s test table: ``LRT`` (chi-square) and ``PBtest``.

        Columns: ``test``, ``statistic``, ``df``, ``p_value``, ``nsim``, ``n_used``.
        """
        return pd.DataFrame(
            {
                "test": ["LRT", "PBtest"],
                "statistic": [self.statistic, self.statistic],
                "df": [float(self.df_num), np.nan],
                "p_value": [self.pvalue_chi2, self.pvalue],
                "nsim": [self.nsim, self.nsim],
                "n_used": [self.n_used, self.n_used],
            }
        )

    def summary(self) -> str:
        """A plain-text summary in the layout of ``print(PBmodcomp(...))``."""
        head = (
            f"Parametric bootstrap test; time: {self.time_s:.2f} sec; samples: {self.nsim}; "
            f"extremes: {self.n_extreme};"
        )
        if self.n_failed:
            head += f"\nRequested samples: {self.nsim} Used samples: {self.n_used}"
        tab = self.to_frame().set_index("test")[["statistic", "df", "p_value"]]
        return head + "\n" + tab.to_string(float_format=lambda v: f"{v:.5g}")

    def __repr__(self) -> str:
        return (
            f"<BootstrapLRTResult LR={self.statistic:.4g} df={self.df_num} p={self.pvalue:.4g} "
            f"(B={self.nsim}, used {self.n_used})>"
        )


# --- simulation -----------------------------------------------------------------------------
def simulate_null(
    design: GLMMDesign, x: np.ndarray, nsim: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``nsim`` responses from a fitted random-intercept logit model (vectorised).

    Each replicate draws new intercepts ``b_j ~ N(0, theta^2)`` for every group and then
    ``y_ij ~ Bernoulli(expit(x_ij' beta + b_j))`` (lme4's ``simulate(..., use.u = FALSE)``).

    Parameters
    ----------
    design : GLMMDesign
    x : ndarray
        ``(theta, beta)`` of the fitted model.
    nsim : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray (nsim, nobs) of uint8
    """
    x = np.asarray(x, dtype=float)
    eta = design.X @ x[1:]
    b = rng.standard_normal((nsim, design.n_groups)) * x[0]
    u = rng.random((nsim, design.nobs))
    return (u < expit(eta[None, :] + b[:, design.groups])).astype(np.uint8)


# --- refits ---------------------------------------------------------------------------------
def _quasi_newton(
    vg: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    h0: np.ndarray,
    maxit: int = 40,
    tol: float = REFIT_TOL,
) -> tuple[np.ndarray, float, bool, int]:
    """Minimise ``vg`` from ``x0`` with BFGS updates of the Hessian ``h0`` (theta >= 0).

    Converged when the Newton decrement is below ``tol``. Returns
    ``(x, f, converged, n_eval)``.
    """
    x = x0.copy()
    if not x[0] > THETA_MIN:
        return x, np.nan, False, 0
    f, g = vg(x)
    n_eval = 1
    h = h0.copy()
    for _ in range(maxit):
        try:
            step = -np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            return x, f, False, n_eval
        if not np.all(np.isfinite(step)):
            return x, f, False, n_eval
        slope = float(g @ step)
        if slope >= 0:  # the approximation lost positive definiteness
            return x, f, False, n_eval
        if -0.5 * slope < tol:  # Newton decrement: f is this close to its minimum
            return x, f, True, n_eval
        # theta stays interior (at most halved per step). The deviance is even in theta, so
        # theta = 0 is always a stationary point; an optimum at (or near) the boundary is left
        # to optimize_glmm's bounded route.
        t = 1.0 if x[0] + step[0] > 0.5 * x[0] else 0.5 * x[0] / -step[0]
        while True:
            xn = x + t * step
            if xn[0] < THETA_MIN:
                return x, f, False, n_eval
            fn, gn = vg(xn)
            n_eval += 1
            if np.isfinite(fn) and fn <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-4:
                return x, f, False, n_eval
        s, yv = xn - x, gn - g
        sy = float(s @ yv)
        if sy > 1e-12 * float(np.sqrt((s @ s) * (yv @ yv))):  # BFGS update keeps h pos. def.
            hs = h @ s
            h = h - np.outer(hs, hs) / float(s @ hs) + np.outer(yv, yv) / sy
        x, f, g = xn, fn, gn
    return x, f, False, n_eval


_FALLBACK = GLMMControl(check_conv="ignore", check_singular="ignore", check_separation="ignore")

#: Starting SDs of an interior refit near the boundary (score S > 0): the lowest deviance wins.
THETA_GRID = (0.05, 0.1, 0.2, 0.4)
#: Newton decrement at which an interior refit from :data:`THETA_GRID` stops: tighter than
#: :data:`REFIT_TOL` (one step more), so that its LR* is as exact as the full route's.
INTERIOR_TOL = 1e-8
#: Convergence of the logistic regression at theta = 0: its Newton decrement (deviance units).
GLM_TOL = 1e-10


def _glm_fit(obj: Objective, beta0: np.ndarray, maxit: int = 50) -> np.ndarray | None:
    """The (penalised) maximum-likelihood logistic regression of ``obj`` without the random
    intercept (theta = 0): Newton steps with step halving from ``beta0``.

    The objective at theta = 0 is the GLM deviance ``-2 log L`` (plus ``obj``'s prior
    penalty ``sum((beta / sd)^2)``). Returns ``beta``, or None when Newton does not converge
    in ``maxit`` steps (separated data without a prior: beta runs off).
    """
    X, y = obj.design.X, obj.design.y
    sy = 1.0 - 2.0 * y
    pen = np.zeros(X.shape[1]) if obj.prior_sd is None else 1.0 / obj.prior_sd**2

    def dev(b: np.ndarray) -> float:
        return float(2.0 * np.sum(np.logaddexp(0.0, sy * (X @ b))) + np.sum(pen * b * b))

    b = np.array(beta0, dtype=float)
    f = dev(b)
    for _ in range(maxit):
        mu = expit(X @ b)
        g = -2.0 * (X.T @ (y - mu)) + 2.0 * pen * b
        h = 2.0 * (X.T @ ((mu * (1.0 - mu))[:, None] * X)) + np.diag(2.0 * pen)
        try:
            step = -np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            return None
        slope = float(g @ step)
        if not np.isfinite(slope) or slope > 0:
            return None
        if -0.5 * slope < GLM_TOL:
            return b
        t = 1.0
        while True:
            fn = dev(b + t * step)
            if fn <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-8:
                # no decrease left at machine precision: b is the optimum to rounding
                return b if -0.5 * slope < 1e-6 else None
        b, f = b + t * step, fn
    return None


def _variance_score(design: GLMMDesign, beta: np.ndarray) -> float:
    """``S = sum_j (R_j^2 - V_j)`` at ``theta = 0``: ``R_j = sum (y - mu)`` and
    ``V_j = sum mu (1 - mu)`` over the rows of group ``j``, ``mu = expit(X beta)``."""
    mu = expit(design.X @ beta)
    R = np.bincount(design.groups, weights=design.y - mu, minlength=design.n_groups)
    V = np.bincount(design.groups, weights=mu * (1.0 - mu), minlength=design.n_groups)
    return float(np.sum(R * R - V))


def _boundary_fit(obj: Objective, x0: np.ndarray) -> tuple[float, np.ndarray, bool] | None:
    """A refit whose optimum is at or near theta = 0, where the quasi-Newton refit stops.

    At theta = 0 the model is the logistic regression without the random intercept
    (:func:`_glm_fit`). The deviance is even in theta, so its gradient in theta is 0 there
    and its expansion in theta, with beta profiled out, is (Laplace and the exact
    likelihood alike)::

        D(theta) = D(0) - theta^2 S + O(theta^4),    S = sum_j (R_j^2 - V_j)

    with ``R_j = sum (y - mu)`` and ``V_j = sum mu (1 - mu)`` over the rows of group ``j``
    at the GLM fit (:func:`_variance_score`; the variance-component score of Lin 1997).
    ``S <= 0``: the deviance does not decrease when theta leaves 0, so the GLM fit is the
    optimum at the boundary (a second, interior minimum of the deviance in theta would be
    missed; in the bootstraps of the twin's family and facilitation models no refit ended
    above the full route's deviance). ``S > 0``: the optimum is interior; the quasi-Newton
    refit runs again from the best of :data:`THETA_GRID` (with the GLM's beta) with a fresh
    numerical Hessian.

    The full route cannot make this distinction: its Newton steps hold theta at the bound
    once they reach 0 (the gradient in theta is 0 there by symmetry), also where ``S > 0``;
    in the 199-replicate block test of the twin's penalised family model for video calling
    80 of 398 refits ended at such a saddle, up to 5.8 deviance units above the optimum.

    Returns ``(deviance, x, True)``, or None when neither applies (the GLM does not converge,
    or the interior refit fails): the caller then runs the full fit.
    """
    beta = _glm_fit(obj, x0[1:])
    if beta is None:
        return None
    xb = np.r_[0.0, beta]
    if _variance_score(obj.design, beta) <= 0.0:
        return float(obj.fun(xb)), xb, True
    starts = [np.r_[t, beta] for t in THETA_GRID]
    devs = [obj.fun(s) for s in starts]
    xs = starts[int(np.argmin(devs))]
    try:
        hes = numerical_hessian(obj, xs)
        x, f, ok, _ = _quasi_newton(obj.value_and_grad, xs, hes, tol=INTERIOR_TOL)
    except (FloatingPointError, ValueError, np.linalg.LinAlgError):
        return None
    return (float(f), x, True) if ok else None


def _full_refit(obj: Objective, x0: np.ndarray) -> tuple[float, np.ndarray, bool]:
    """The full route (:func:`optimize_glmm`) from the warm start and from lme4's nAGQ=0
    start; the lower deviance wins. ``(nan, x0, False)`` when neither converges."""
    best = (np.nan, x0, False)
    for start in (np.r_[max(x0[0], 0.0), x0[1:]], None):
        try:
            opt = optimize_glmm(obj, start=start)
        except (FloatingPointError, ValueError, np.linalg.LinAlgError):
            continue
        if opt.converged and not opt.fun >= best[0]:
            best = (float(opt.fun), opt.x, True)
    return best


def _refit(fitted: _Fitted, y: np.ndarray, x0: np.ndarray) -> tuple[float, np.ndarray, bool]:
    """Deviance at the optimum for response ``y`` (same design otherwise).

    Quasi-Newton from ``x0`` (:func:`_quasi_newton`); where it stops (an optimum at or near
    theta = 0) the boundary refit (:func:`_boundary_fit`); where that cannot decide, the full
    route (:func:`_full_refit`).
    """
    obj = make_objective(
        replace(fitted.design, y=y.astype(float)),
        nagq=fitted.nagq,
        prior_sd=fitted.prior_sd,
        mode_tol=MODE_TOL,
    )
    try:
        x, f, ok, _ = _quasi_newton(obj.value_and_grad, x0, fitted.hessian)
    except (FloatingPointError, ValueError):
        ok = False
    if ok:
        return float(f), x, True
    try:
        near = _boundary_fit(obj, x0)
    except (FloatingPointError, ValueError, np.linalg.LinAlgError):
        near = None
    return near if near is not None else _full_refit(obj, x0)


def _chunk(
    small: _Fitted, big: _Fitted, embed: np.ndarray, ys: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """LR* of the replicates in ``ys`` (NaN where a refit failed), and the big model's Wald t
    of the fixed effects ``cols`` in each (an empty ``cols``: no t, shape ``(n, 0)``)."""
    # ``embed`` maps the small model's (theta, beta) to the same fitted values in the big one
    out = np.full(ys.shape[0], np.nan)
    tt = np.full((ys.shape[0], cols.size), np.nan)
    for i, y in enumerate(ys):
        if np.ptp(y) == 0:  # a constant simulated response cannot be fitted
            continue
        f0, x0, ok0 = _refit(small, y, small.x)
        if not ok0:
            continue
        start = embed @ x0  # the small fit inside the big model: the same deviance
        f1, x1, ok1 = _refit(big, y, start)
        if ok1:
            # |LR*| below the refit tolerance is 0: the two optima coincide
            out[i] = max(f0 - f1, 0.0)
            if cols.size:
                tt[i] = wald_t_given_theta(big.design, x1, cols, y=y, prior_sd=big.prior_sd)
    return out, tt


def _run(
    small: _Fitted,
    big: _Fitted,
    embed: np.ndarray,
    nsim: int,
    seed: int | np.random.SeedSequence | None,
    n_jobs: int,
    cols: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """LR* of ``nsim`` replicates simulated under ``small`` and, for ``cols``, their t*."""
    cols = np.zeros(0, dtype=int) if cols is None else cols
    rng = np.random.default_rng(seed)
    ys = simulate_null(small.design, small.x, nsim, rng)
    chunks = [ys[i : i + CHUNK] for i in range(0, nsim, CHUNK)]
    if n_jobs == 1 or len(chunks) == 1:
        parts = [_chunk(small, big, embed, c, cols) for c in chunks]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(_chunk)(small, big, embed, c, cols) for c in chunks)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


# --- per-term bootstrap-t on the block's replicates ------------------------------------------
def wald_t_given_theta(
    design: GLMMDesign,
    x: np.ndarray,
    cols: Sequence[int],
    y: np.ndarray | None = None,
    prior_sd: np.ndarray | None = None,
) -> np.ndarray:
    """Wald t of the fixed effects ``cols`` at ``x = (theta, beta)``, the SE given theta.

    The covariance of beta is lme4's ``vcov(fit, use.hessian = FALSE)`` (checked on cbpp in
    tests/test_multilevel_bootstrap.py: equal to ~1e-9 with RX from a tight PIRLS, ~3e-5 with
    lme4's default, whose RX comes from the weights before its last PIRLS update): the inverse
    of the Schur complement ``X'WX - X'WZ (Z'WZ + I)^-1 Z'WX`` (``Z`` the group indicators times
    theta, ``W = mu (1 - mu)`` at the conditional modes of the institution intercepts), i.e.
    the curvature in beta of the penalised log-likelihood with theta held fixed. It needs the
    conditional modes only (no refit, no Hessian over theta), so it is cheap for every
    bootstrap replicate. With ``prior_sd`` (a penalised fit) the prior's curvature
    ``1 / sd^2`` is added.

    Parameters
    ----------
    design : GLMMDesign
    x : ndarray
        ``(theta, beta)``.
    cols : sequence of int
        Indices of the fixed effects (in ``design.x_names``).
    y : ndarray, optional
        The response (default ``design.y``), e.g. a simulated one.
    prior_sd : ndarray, optional

    Returns
    -------
    ndarray (len(cols),)
        NaN where the covariance cannot be computed (singular curvature).
    """
    x = np.asarray(x, dtype=float)
    cols = np.asarray(cols, dtype=int)
    if y is not None:
        design = replace(design, y=np.asarray(y, dtype=float))
    sigma, beta = float(x[0]), x[1:]
    X, g, G = design.X, design.groups, design.n_groups
    u, H = conditional_modes(design, x)
    mu = expit(X @ beta + sigma * u[g])
    v = mu * (1.0 - mu)
    vX = v[:, None] * X
    bm = sigma * np.column_stack(
        [np.bincount(g, weights=vX[:, j], minlength=G) for j in range(X.shape[1])]
    )
    S = X.T @ vX - bm.T @ (bm / H[:, None])
    if prior_sd is not None:
        S = S + np.diag(1.0 / np.asarray(prior_sd, dtype=float) ** 2)
    try:
        cov = np.linalg.inv(S)
    except np.linalg.LinAlgError:
        return np.full(cols.size, np.nan)
    var = np.diag(cov)[cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, beta[cols] / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)


def _term_pvalues(
    res: BootstrapLRTResult, t_obs: np.ndarray, t_ref: np.ndarray, keep: np.ndarray
) -> None:
    """Attach the bootstrap-t p-values ``(1 + #{|t*| >= |t|}) / (1 + n)`` to ``res``.

    ``keep`` marks the replicates the block test used (finite LR*); per term ``n`` counts
    those with a finite ``t*``. No p-value (NaN) where fewer than half of ``nsim`` are left,
    as for the block.
    """
    ref = t_ref[keep]
    names = list(res.terms)
    ps = []
    for j in range(len(names)):
        tj = ref[:, j][np.isfinite(ref[:, j])]
        if tj.size < max(1, res.nsim // 2) or not np.isfinite(t_obs[j]):
            ps.append(np.nan)
            continue
        n_ext = int(np.sum(np.abs(tj) >= abs(t_obs[j]) - TIE_TOL_T))
        ps.append((1 + n_ext) / (1 + tj.size))
    res.term_pvalues = pd.Series(ps, index=names, name="p_value", dtype=float)
    res.term_statistics = pd.Series(t_obs, index=names, name="t", dtype=float)
    res.term_null_distribution = ref


def _as_fitted(res: GLMMResult, design: GLMMDesign) -> _Fitted:
    return _Fitted(
        design=design,
        x=np.asarray(res.optim_info["x"], dtype=float),
        hessian=np.asarray(res.optim_info["hessian"], dtype=float),
        nagq=int(res.nagq),
        prior_sd=None if res.prior_sd is None else np.asarray(res.prior_sd, dtype=float),
    )


def _check_native(res: object, what: str) -> GLMMResult:
    if not isinstance(res, GLMMResult) or res.backend != "native" or "x" not in res.optim_info:
        raise ValueError(
            f"the {what} model must be a native-backend glmer fit (multilevel.glmer(..., "
            f"backend='native')); got {type(res).__name__}"
            + (f" with backend={res.backend!r}" if isinstance(res, GLMMResult) else "")
        )
    return res


def _design_of(res: GLMMResult, data: pd.DataFrame, what: str) -> GLMMDesign:
    """Rebuild the design of ``res`` from ``data`` and check it is the data it was fitted on."""
    if res.formula is None:
        raise ValueError(f"the {what} model has no formula; fit it with multilevel.glmer")
    design = glmm_design(res.formula, data)
    if design.nobs != res.nobs or tuple(design.x_names) != tuple(res.params.index):
        raise ValueError(
            f"data do not match the {what} model: {design.nobs} complete rows and terms "
            f"{list(design.x_names)} vs nobs {res.nobs} and {list(res.params.index)}; pass the "
            "frame the model was fitted on"
        )
    # a penalised fit (separation) reports the penalised deviance as its objective
    dev = make_objective(design, nagq=res.nagq, prior_sd=res.prior_sd).fun(
        np.asarray(res.optim_info["x"])
    )
    if not np.isclose(dev, res.optim_info["fun"], rtol=1e-8, atol=1e-6):
        raise ValueError(
            f"data do not match the {what} model: its deviance on these data is {dev:.6f}, "
            f"the fit reported {res.optim_info['fun']:.6f}; pass the frame it was fitted on"
        )
    return design


def _finish(
    lr: float,
    ref: np.ndarray,
    df_num: int,
    nsim: int,
    seed: object,
    terms: Sequence[str],
    t0: float,
) -> BootstrapLRTResult:
    used = ref[np.isfinite(ref)]
    n_failed = int(nsim - used.size)
    # Most refits failing means the model cannot be refitted to its own simulations (typically
    # a separated small model: its simulated responses are separated too): no p-value then.
    usable = used.size >= max(1, nsim // 2)
    if n_failed:
        warnings.warn(
            f"parametric bootstrap: {n_failed} of {nsim} replicates dropped (a refit did not "
            "converge or the simulated response was constant)"
            + ("" if usable else "; too few left: p-value not computed (separation?)"),
            ConvergenceWarning,
            stacklevel=3,
        )
    # LR* within the refit tolerance of LR counts as ">=": ties go to the conservative side
    n_ext = int(np.sum(used >= lr - TIE_TOL))
    return BootstrapLRTResult(
        statistic=float(lr),
        df_num=int(df_num),
        pvalue=float((1 + n_ext) / (1 + used.size)) if usable else float("nan"),
        pvalue_chi2=float(stats.chi2.sf(lr, df_num)),
        null_distribution=used,
        nsim=int(nsim),
        n_used=int(used.size),
        n_failed=n_failed,
        n_extreme=n_ext,
        seed=seed if isinstance(seed, int | None) else None,  # type: ignore[arg-type]
        terms=tuple(terms),
        time_s=time.perf_counter() - t0,
    )


def _check_args(nsim: int, n_jobs: int) -> None:
    if not isinstance(nsim, int | np.integer) or nsim < 1:
        raise ValueError(f"nsim must be a positive integer, got {nsim!r}")
    if not isinstance(n_jobs, int | np.integer) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")


def _core(
    small: GLMMResult,
    big: GLMMResult,
    d_small: GLMMDesign,
    d_big: GLMMDesign,
    nsim: int,
    seed: int | np.random.SeedSequence | None,
    n_jobs: int,
    terms: Sequence[str] | None = None,
    term_t: bool = False,
) -> BootstrapLRTResult:
    t0 = time.perf_counter()
    names_b = list(d_big.x_names)
    if not np.array_equal(d_small.groups, d_big.groups) or not d_small.row_index.equals(
        d_big.row_index
    ):
        raise ValueError("small and big models were fitted on different rows or groups")
    # Nested means: the small model's columns lie in the column space of the big one's (e.g.
    # a subset of its terms, or a factor with merged levels, as PBmodcomp allows).
    coef, *_ = np.linalg.lstsq(d_big.X, d_small.X, rcond=None)
    resid = np.max(np.abs(d_big.X @ coef - d_small.X)) / max(np.max(np.abs(d_small.X)), 1.0)
    if resid > 1e-8 or len(d_small.x_names) >= len(names_b):
        raise ValueError(
            "the small model must be nested in the big one (its fixed-effects columns in the "
            f"span of the big model's, with fewer of them): small has {list(d_small.x_names)}, "
            f"big {names_b}"
        )
    penalized = big.prior_sd is not None
    if penalized != (small.prior_sd is not None):
        raise ValueError(
            "one model is a penalised fit (separation: normal priors on the fixed effects) and "
            "the other is not, so their likelihoods cannot be compared; use pb_lrt(big, data, "
            "drop=...), which fits the small model with the big one's priors"
        )
    if penalized and not set(d_small.x_names) <= set(names_b):
        raise ValueError(
            "with penalised fits the small model's terms must be a subset of the big model's"
        )
    embed = np.zeros((1 + len(names_b), 1 + len(d_small.x_names)))
    embed[0, 0] = 1.0
    embed[1:, 1:] = np.where(np.abs(coef) < 1e-12, 0.0, coef)
    fs, fb = _as_fitted(small, d_small), _as_fitted(big, d_big)
    lr = max(float(small.optim_info["fun"]) - float(big.optim_info["fun"]), 0.0)
    terms = terms or [n for n in names_b if n not in d_small.x_names]
    cols = np.array([names_b.index(n) for n in terms] if term_t else [], dtype=int)
    ref, t_ref = _run(fs, fb, embed, nsim, seed, n_jobs, cols)
    res = _finish(lr, ref, len(names_b) - len(d_small.x_names), nsim, seed, terms, t0)
    res.extra["penalized"] = penalized
    if term_t:
        t_obs = wald_t_given_theta(d_big, fb.x, cols, prior_sd=fb.prior_sd)
        _term_pvalues(res, t_obs, t_ref, np.isfinite(ref))
    return res


# --- public API -----------------------------------------------------------------------------
def pb_modcomp(
    big: GLMMResult,
    small: GLMMResult,
    data: pd.DataFrame,
    nsim: int = 1000,
    seed: int | None = 0,
    n_jobs: int = 1,
) -> BootstrapLRTResult:
    """Parametric-bootstrap LRT of ``small`` nested in ``big`` (R's ``PBmodcomp(big, small)``).

    Parameters
    ----------
    big, small : GLMMResult
        Native :func:`glmer` fits on the same rows of ``data``; the fixed effects of ``small``
        are a subset of those of ``big`` (same random intercept).
    data : pandas.DataFrame
        The frame both were fitted on (checked: the deviance at the fitted parameters must
        match).
    nsim : int
        Bootstrap replicates ``B``.
    seed : int or None
        Seed of the simulated responses; the result depends on it, never on ``n_jobs``.
    n_jobs : int
        joblib workers (-1: all cores).

    Returns
    -------
    BootstrapLRTResult
    """
    _check_args(nsim, n_jobs)
    big, small = _check_native(big, "big"), _check_native(small, "small")
    return _core(
        small,
        big,
        _design_of(small, data, "small"),
        _design_of(big, data, "big"),
        int(nsim),
        seed,
        int(n_jobs),
    )


def _fit_without(
    big: GLMMResult, d_big: GLMMDesign, drop: Sequence[str]
) -> tuple[GLMMResult, GLMMDesign]:
    keep = [j for j, n in enumerate(d_big.x_names) if n not in drop]
    d_small = replace(
        d_big,
        X=np.ascontiguousarray(d_big.X[:, keep]),
        x_names=tuple(d_big.x_names[j] for j in keep),
        formula=f"{d_big.formula} without {' + '.join(drop)}",
    )
    # a penalised big model (separation) gets a small model with the same priors on the
    # terms they share: the penalised deviances then differ by the restriction only
    prior = None if big.prior_sd is None else np.asarray(big.prior_sd, dtype=float)[keep]
    obj = make_objective(d_small, nagq=big.nagq, prior_sd=prior)
    start = np.asarray(big.optim_info["x"], dtype=float)[[0] + [1 + j for j in keep]]
    opt = optimize_glmm(obj, start=start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        small = build_glmm_result(d_small, obj, opt, _FALLBACK)
    return small, d_small


def pb_lrt(
    big: GLMMResult,
    data: pd.DataFrame,
    drop: Sequence[str],
    nsim: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    n_jobs: int = 1,
    design: GLMMDesign | None = None,
    term_t: bool = False,
) -> BootstrapLRTResult:
    """Parametric-bootstrap LRT that the fixed effects ``drop`` of ``big`` are all zero.

    The small model is ``big`` without the columns ``drop`` (fitted here, started from
    ``big``'s estimates), as ``PBmodcomp`` with a restriction matrix.

    With ``term_t=True`` the same replicates also test every term of ``drop`` on its own, by
    a parametric bootstrap-t: under the block null all of ``drop`` are 0, so each replicate's
    refitted big model gives a draw ``t*`` of every term's Wald t under its null (the SE given
    theta, :func:`wald_t_given_theta`, for ``t*`` and the observed ``t`` alike), and a term's
    p-value is ``(1 + #{|t*| >= |t|}) / (1 + n)`` (:attr:`BootstrapLRTResult.term_pvalues`).
    No refit beyond the block's.

    Parameters
    ----------
    big : GLMMResult
        Native :func:`glmer` fit.
    data : pandas.DataFrame
        The frame ``big`` was fitted on.
    drop : sequence of str
        Fixed-effect names (``big.params.index``), e.g. the institution scores.
    nsim, seed, n_jobs
        As :func:`pb_modcomp`.
    design : GLMMDesign, optional
        ``big``'s design when the caller has it (skips rebuilding it from ``data``).
    term_t : bool
        Also compute the per-term bootstrap-t p-values (``term_pvalues``, ``term_statistics``,
        ``term_null_distribution``; the block test is unchanged).

    Returns
    -------
    BootstrapLRTResult
    """
    _check_args(nsim, n_jobs)
    big = _check_native(big, "big")
    drop = list(drop)
    unknown = [t for t in drop if t not in big.params.index]
    if not drop or unknown:
        raise ValueError(
            f"drop must name fixed effects of the model {list(big.params.index)}; "
            f"got unknown {unknown}"
            if unknown
            else "drop must name at least one fixed effect"
        )
    d_big = design if design is not None else _design_of(big, data, "big")
    small, d_small = _fit_without(big, d_big, drop)
    return _core(small, big, d_small, d_big, int(nsim), seed, int(n_jobs), drop, term_t)


def pb_lrt_terms(
    big: GLMMResult,
    data: pd.DataFrame,
    terms: Sequence[str],
    nsim: int = 1000,
    seed: int | np.random.SeedSequence | None = 0,
    n_jobs: int = 1,
    each: bool = True,
    design: GLMMDesign | None = None,
) -> pd.DataFrame:
    """Bootstrap LRTs of a block of terms and (``each``) of every term in it: a tidy frame.

    Parameters
    ----------
    big : GLMMResult
    data : pandas.DataFrame
    terms : sequence of str
        The block (e.g. the five institution scores).
    nsim, seed, n_jobs
        As :func:`pb_modcomp`; each test gets its own stream spawned from ``seed``.
    each : bool
        Also test every term on its own (the small model drops that term only).
    design : GLMMDesign, optional
        As :func:`pb_lrt`.

    Returns
    -------
    pandas.DataFrame
        One row per test: ``term`` (``"block"`` for the joint test, else the term), ``terms``
        (the restricted terms, ``" + "``-joined), ``statistic``, ``df``, ``p_value``
        (bootstrap), ``p_value_chi2``, ``nsim``, ``n_used``, ``test``.
    """
    _check_args(nsim, n_jobs)
    big = _check_native(big, "big")
    terms = list(terms)
    d_big = design if design is not None else _design_of(big, data, "big")
    blocks: list[tuple[str, list[str]]] = [("block", terms)]
    if each:
        blocks += [(t, [t]) for t in terms]
    base = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    # children by spawn key, without advancing ``base``: the same seed gives the same streams
    seeds = [
        np.random.SeedSequence(base.entropy, spawn_key=(*base.spawn_key, i))
        for i in range(len(blocks))
    ]
    rows = []
    for (label, drop), ss in zip(blocks, seeds, strict=True):
        r = pb_lrt(big, data, drop, nsim=nsim, seed=ss, n_jobs=n_jobs, design=d_big)
        rows.append(
            {
                "term": label,
                "terms": " + ".join(drop),
                "statistic": r.statistic,
                "df": float(r.df_num),
                "p_value": r.pvalue,
                "p_value_chi2": r.pvalue_chi2,
                "nsim": r.nsim,
                "n_used": r.n_used,
                "test": r.test,
            }
        )
    return pd.DataFrame(rows)
