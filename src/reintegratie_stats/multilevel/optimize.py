"""Stage 3 of the GLMM fit: optimise the deviance (lme4's ``optimizeGlmer`` + ``checkConv``).

The packed vector is ``x = (theta, beta)``.

1. Start: lme4's nAGQ=0 step (theta by a bounded 1-D search, beta and the modes at their joint
   penalised mode). Above ``NAGQ0_MAX_ROWS`` rows it runs on a seeded subsample, followed by
   L-BFGS-B on that subsample: its optimum is within sampling noise of the full one.
2. Damped Newton on the Laplace deviance with its Hessian (forward differences of the exact
   gradient, taken again after big moves); with ``nagq > 1`` Newton continues on the AGQ
   deviance from the Laplace optimum, reusing the Laplace Hessian (one or two steps).
3. The Hessian of the requested deviance at the optimum is returned for the SEs.

If a Newton step is not a descent direction or its line search fails, L-BFGS-B (scipy, exact
gradient) takes over from the start and Newton polishes its result. A numerical failure
(``FloatingPointError``: the conditional modes cannot be found, far out on separated data)
never escapes: the fit goes to L-BFGS-B within a box (``RESCUE_MAX_THETA``,
``RESCUE_MAX_ABS_BETA``) from the start, Newton polishes if it can, and a fit that ends on the
box or cannot be polished is returned not converged, with ``history["diverged"]`` set.

Examples
--------
>>> GLMMControl(check_singular="raise").check_singular
'raise'
>>> GLMMControl(check_singular="maybe")
Traceback (most recent call last):
...
ValueError: GLMMControl.check_singular must be one of ('ignore', 'warn', 'raise'), got 'maybe'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from scipy import optimize

from .design import GLMMDesign
from .objective import Objective, make_objective

__all__ = ["GLMMControl", "OptResult", "optimize_glmm", "numerical_hessian"]

Action = Literal["ignore", "warn", "raise"]
_ACTIONS = ("ignore", "warn", "raise")
SeparationAction = Literal["penalize", "not_estimable", "ignore"]
_SEPARATION = ("penalize", "not_estimable", "ignore")


@dataclass(frozen=True)
class GLMMControl:
    """Options of the native GLMM fit (lme4's ``glmerControl``), validated on creation.

    Parameters
    ----------
    maxiter : int
        Iteration limit of the fallback L-BFGS-B.
    nagq0_init : bool
        Start from the nAGQ=0 fit (lme4's ``nAGQ0initStep``).
    max_newton : int
        Maximum Newton iterations per phase (Laplace, then AGQ).
    check_conv, check_singular, check_separation : {"ignore", "warn", "raise"}
        What to do when the scaled gradient exceeds ``conv_tol``, when the random-intercept SD is
        below ``singular_tol`` (boundary fit), or when a coefficient looks separated
        (``|beta| > separation_coef`` or ``SE > separation_se``).
    conv_tol : float
        Tolerance on ``max |H^{-1} g|`` (lme4's ``check.conv.grad`` uses 2e-3).
    singular_tol : float
        lme4's ``check.conv.singular`` tolerance (1e-4).
    hessian_step : float
        Relative step of the finite differences of the gradient.
    separation : {"penalize", "not_estimable", "ignore"}
        What to do when the fixed effects are separated (the linear-programming check of
        :func:`~reintegratie_stats.multilevel.separation.detect_separation` before the fit) or
        diverge (``|coef| > separation_coef`` or ``SE > separation_se`` after it).
        ``"penalize"`` refits with independent normal priors on the fixed effects (the
        penalised likelihood of ``blme::bglmer(fixef.prior = normal(sd = c(prior_sd_intercept,
        prior_sd)))``, no prior on the variance) and flags the terms; ``"not_estimable"`` keeps
        the maximum likelihood fit and sets the separated terms to NaN with the reason in
        ``flags``; ``"ignore"`` publishes the diverged numbers (flagged all the same).
    prior_sd_intercept, prior_sd : float
        SDs of the normal priors of the penalised fit (blme's defaults 10 and 2.5, on the logit
        scale; numeric predictors in the chapter-4 workflow are standardised).
    """

    maxiter: int = 1000
    nagq0_init: bool = True
    max_newton: int = 50
    check_conv: Action = "warn"
    check_singular: Action = "warn"
    check_separation: Action = "warn"
    conv_tol: float = 2e-3
    singular_tol: float = 1e-4
    separation_coef: float = 10.0
    separation_se: float = 50.0
    hessian_step: float = 1e-5
    separation: SeparationAction = "penalize"
    prior_sd_intercept: float = 10.0
    prior_sd: float = 2.5

    def __post_init__(self) -> None:
        if self.separation not in _SEPARATION:
            raise ValueError(
                f"GLMMControl.separation must be one of {_SEPARATION}, got {self.separation!r}"
            )
        for name in ("check_conv", "check_singular", "check_separation"):
            val = getattr(self, name)
            if val not in _ACTIONS:
                raise ValueError(f"GLMMControl.{name} must be one of {_ACTIONS}, got {val!r}")
        for name in ("maxiter", "max_newton"):
            val = getattr(self, name)
            if not isinstance(val, int) or val < 0:
                raise ValueError(f"GLMMControl.{name} must be a non-negative integer, got {val!r}")
        for name in (
            "conv_tol",
            "singular_tol",
            "separation_coef",
            "separation_se",
            "hessian_step",
            "prior_sd_intercept",
            "prior_sd",
        ):
            val = getattr(self, name)
            if not (isinstance(val, int | float) and np.isfinite(val) and val > 0):
                raise ValueError(f"GLMMControl.{name} must be a positive number, got {val!r}")


@dataclass(frozen=True)
class OptResult:
    """What the optimiser found (lme4's ``opt``: ``par``, ``fval``, ``conv``) plus derivatives."""

    x: np.ndarray
    fun: float
    grad: np.ndarray
    hessian: np.ndarray
    converged: bool
    message: str
    n_fev: int
    n_iter: int
    start: np.ndarray
    nagq: int
    time_s: float
    history: dict[str, object] = field(default_factory=dict)


def numerical_hessian(
    obj: Objective, x: np.ndarray, step: float = 1e-5, g0: np.ndarray | None = None
) -> np.ndarray:
    """Hessian of ``obj.fun``: forward differences of the exact gradient, symmetrised.

    The gradient is analytic, so one extra gradient per parameter gives the Hessian to about
    ``step`` relative accuracy (lme4 takes second differences of the deviance instead).
    """
    x = np.asarray(x, dtype=float)
    k = x.size
    if g0 is None:
        g0 = obj.grad(x)
    hes = np.empty((k, k))
    for j in range(k):
        h = step * max(abs(x[j]), 0.1)
        e = np.zeros(k)
        e[j] = h
        hes[:, j] = (obj.grad(x + e) - g0) / h
    return 0.5 * (hes + hes.T)


#: Above this many rows the nAGQ=0 start is computed on a seeded random subsample of rows.
NAGQ0_MAX_ROWS = 50_000


def _subsample(design: GLMMDesign, n_max: int) -> GLMMDesign:
    if design.nobs <= n_max:
        return design
    rng = np.random.default_rng(0)  # fixed: the start (and so the fit) is reproducible
    rows = np.sort(rng.choice(design.nobs, n_max, replace=False))
    codes, inv = np.unique(design.groups[rows], return_inverse=True)
    return replace(
        design,
        y=design.y[rows],
        X=design.X[rows],
        groups=inv.astype(np.intp),
        group_levels=tuple(design.group_levels[c] for c in codes),
        row_index=design.row_index[rows],
    )


#: A nAGQ=0 start with a fixed effect beyond this (logit scale) is not used: on separated data
#: the joint mode runs off (to |beta| ~ 1e17 on tests/reference/glmm_separation.csv), where the
#: Laplace deviance is flat to rounding and the optimiser cannot come back.
START_MAX_ABS_BETA = 50.0


def _null_start(obj: Objective) -> np.ndarray:
    """``theta = 1``, slopes 0 and the intercept (if any) at the logit of the outcome's mean."""
    start = np.concatenate(([1.0], np.zeros(len(obj.names) - 1)))
    names = obj.design.x_names
    if "Intercept" in names:
        ybar = float(np.clip(obj.design.y.mean(), 0.01, 0.99))
        start[1 + names.index("Intercept")] = np.log(ybar / (1 - ybar))
    return start


def _nagq0_start(obj: Objective) -> tuple[np.ndarray, int]:
    """lme4's nAGQ=0 step: theta by a bounded 1-D search with beta and u at their joint mode.

    Only a starting value: on large data it runs on a subsample of ``NAGQ0_MAX_ROWS`` rows.
    A start with a non-finite value or ``|beta| > START_MAX_ABS_BETA`` (separated data) is
    replaced by :func:`_null_start`.
    """
    obj0 = make_objective(_subsample(obj.design, NAGQ0_MAX_ROWS), nagq=0)
    res = optimize.minimize_scalar(
        lambda t: obj0.fun(np.array([t])),
        bounds=(0.0, 5.0),
        method="bounded",
        options={"xatol": 5e-2},
    )
    t = float(res.x)
    obj0.fun(np.array([t]))  # leave the joint mode at the chosen theta
    beta = obj0._joint_state["beta"].copy()  # type: ignore[attr-defined]
    if (
        not (np.isfinite(t) and np.all(np.isfinite(beta)))
        or np.max(np.abs(beta), initial=0.0) > START_MAX_ABS_BETA
    ):
        return _null_start(obj), int(res.nfev)
    return np.concatenate(([t], beta)), int(res.nfev)


@dataclass
class _NewtonState:
    x: np.ndarray
    f: float
    g: np.ndarray
    hes: np.ndarray
    x_hes: np.ndarray
    n_fev: int
    steps: int
    ok: bool


def _newton(
    target: Objective,
    hess_src: Objective,
    x: np.ndarray,
    hes: np.ndarray | None,
    x_hes: np.ndarray | None,
    control: GLMMControl,
) -> _NewtonState:
    """Damped Newton on ``target`` with the Hessian of ``hess_src`` (finite differences of its
    exact gradient), taken again after big moves. ``ok`` is False when a step is not a descent
    direction or the line search fails (the caller then falls back to L-BFGS-B)."""
    k = x.size
    f, g = target.value_and_grad(x)
    n_fev = 1
    if hes is None or x_hes is None:
        hes = numerical_hessian(
            hess_src, x, control.hessian_step, g0=g if hess_src is target else None
        )
        n_fev += k + (hess_src is not target)
        x_hes = x.copy()
    steps, ok, done = 0, True, False
    for _ in range(control.max_newton):
        free = np.ones(k, dtype=bool)
        if x[0] <= 0.0 and g[0] >= 0.0:
            free[0] = False  # theta held at its bound (a KKT point in that coordinate)
        try:
            delta = np.zeros(k)
            delta[free] = -np.linalg.solve(hes[np.ix_(free, free)], g[free])
        except np.linalg.LinAlgError:
            ok = False
            break
        if not np.all(np.isfinite(delta)) or g[free] @ delta[free] >= 0:
            ok = False  # Hessian not positive definite here: not a descent direction
            break
        if np.max(np.abs(delta)) < 1e-9 * (1 + np.max(np.abs(x))):
            done = True
            break
        t, accepted = 1.0, False
        while t > 1e-4:
            xn = x + t * delta
            xn[0] = max(xn[0], 0.0)
            fn, gn = target.value_and_grad(xn)
            n_fev += 1
            if fn <= f + 1e-12 * abs(f):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            ok = steps > 0 and np.max(np.abs(delta)) < 1e-6 * (1 + np.max(np.abs(x)))
            done = ok
            break
        x, f, g = xn, fn, gn
        steps += 1
        if np.max(np.abs(x - x_hes) / np.maximum(np.abs(x_hes), 0.1)) > 1e-3:
            hes = numerical_hessian(
                hess_src, x, control.hessian_step, g0=g if hess_src is target else None
            )
            n_fev += k + (hess_src is not target)
            x_hes = x.copy()
    return _NewtonState(x, float(f), g, hes, x_hes, n_fev, steps, ok and done)


def optimize_glmm(
    obj: Objective,
    start: np.ndarray | None = None,
    control: GLMMControl | None = None,
) -> OptResult:
    """Minimise the deviance of ``obj`` over ``x = (theta, beta)`` with ``theta >= 0``.

    Parameters
    ----------
    obj : Objective
        From :func:`make_objective` (``nagq >= 1``).
    start : ndarray, optional
        Starting ``x``; by default the nAGQ=0 fit (``control.nagq0_init``) or ``(1, 0, ..., 0)``.
    control : GLMMControl, optional

    Returns
    -------
    OptResult
        ``x``, ``fun`` (deviance), ``grad`` and ``hessian`` at ``x``, evaluation counts.
    """
    control = control or GLMMControl()
    if obj.nagq < 1:
        raise ValueError("optimize_glmm needs an objective with nagq >= 1 (use nagq=0 for starts)")
    t0 = time.perf_counter()
    k = len(obj.names)
    n0 = 0
    lap = obj if obj.nagq == 1 else make_objective(obj.design, nagq=1, prior_sd=obj.prior_sd)
    presolved = False
    if start is None and obj.prior_sd is not None:
        # penalised fit (separated data): the nAGQ=0 start is unpenalised and would run off
        # with the separated coefficients; the prior's mode (beta = 0, intercept at the mean
        # logit) is a safe start
        start = _null_start(obj)
    if start is None:
        if control.nagq0_init:
            start, n0 = _nagq0_start(obj)
        else:
            start = np.concatenate(([1.0], np.zeros(k - 1)))
        if obj.design.nobs > NAGQ0_MAX_ROWS:
            # Large data: run L-BFGS-B on the subsample too; its optimum is within sampling
            # noise of the full one, where Newton steps on all rows converge in a few steps.
            sub = make_objective(
                _subsample(obj.design, NAGQ0_MAX_ROWS), nagq=1, prior_sd=obj.prior_sd
            )
            try:
                res_sub = optimize.minimize(
                    sub.value_and_grad,
                    start,
                    jac=True,
                    method="L-BFGS-B",
                    bounds=sub.bounds,
                    options={"maxiter": control.maxiter, "ftol": 1e-10, "gtol": 1e-5},
                )
            except FloatingPointError:  # only a better start: keep the nAGQ=0 one
                res_sub = optimize.OptimizeResult(success=False, x=start)
            if res_sub.success and np.all(np.isfinite(res_sub.x)):
                start, presolved = np.asarray(res_sub.x, dtype=float), True
                n0 += int(res_sub.nfev)
    start = np.asarray(start, dtype=float)
    if start.shape != (k,):
        raise ValueError(f"start must have length {k} ({', '.join(obj.names)}), got {start.shape}")
    if start[0] < 0:
        raise ValueError(f"start theta must be >= 0, got {start[0]}")

    def lbfgsb(x0: np.ndarray) -> tuple[np.ndarray, optimize.OptimizeResult]:
        # Laplace deviance (cheap; for nagq > 1 it lands next to the AGQ optimum); loose
        # tolerances because the Newton steps below finish the job quadratically.
        r = optimize.minimize(
            lap.value_and_grad,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=obj.bounds,
            options={"maxiter": control.maxiter, "ftol": 1e-10, "gtol": 1e-5, "maxcor": 10},
        )
        return np.asarray(r.x, dtype=float), r

    res = None
    n_fev = n0

    def run(
        x: np.ndarray, n_fev: int
    ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, int, int, bool]:
        # Newton on the Laplace deviance; for nagq > 1 continue on the AGQ deviance from the
        # Laplace optimum with the Laplace Hessian (1-2 steps), then take the AGQ Hessian once.
        st = _newton(lap, lap, x, None, None, control)
        n_fev += st.n_fev
        steps, ok = st.steps, st.ok
        if ok and lap is not obj:
            st = _newton(obj, lap, st.x, st.hes, st.x_hes, control)
            n_fev += st.n_fev
            steps, ok = steps + st.steps, st.ok
        hes = st.hes
        moved = np.max(np.abs(st.x - st.x_hes) / np.maximum(np.abs(st.x_hes), 0.1))
        if lap is not obj or moved > 1e-4:  # the Hessian of the SEs, at the optimum
            hes = numerical_hessian(obj, st.x, control.hessian_step, g0=st.g)
            n_fev += k
        return st.x, st.f, st.g, hes, n_fev, steps, ok

    def bounded(x0: np.ndarray) -> tuple[np.ndarray, optimize.OptimizeResult]:
        # after a numerical failure: L-BFGS-B within the box of RESCUE_BOUNDS, where the
        # deviance can be evaluated; a point where it cannot counts as +inf (a step back)
        def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
            try:
                return lap.value_and_grad(x)
            except FloatingPointError:
                return np.inf, np.zeros(k)

        box = _rescue_bounds(k)
        lo, hi = [b[0] for b in box], [b[1] for b in box]
        x0 = np.clip(x0, lo, hi)
        if not np.isfinite(vg(x0)[0]):
            # L-BFGS-B cannot leave a start where the deviance fails (its gradient there is
            # the zero of the step back): start from the null model instead. The nAGQ=0 start
            # on separated data stops wherever rounding lets it (|beta| ~ 40 on one CPU,
            # ~1e17 on another), not always beyond START_MAX_ABS_BETA.
            x0 = np.clip(_null_start(obj), lo, hi)
        r = optimize.minimize(
            vg,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=box,
            options={"maxiter": control.maxiter, "ftol": 1e-10, "gtol": 1e-5, "maxcor": 10},
        )
        return np.asarray(r.x, dtype=float), r

    failure = ""  # the first numerical failure (FloatingPointError), if any
    try:
        x, f, g, hes, n_fev, steps, ok = run(start, n_fev)
    except FloatingPointError as err:
        failure, x, steps, ok = str(err), np.full(k, np.nan), 0, False
    if not ok:  # the safe route: L-BFGS-B on the Laplace deviance, then Newton to polish
        x0 = start if not np.all(np.isfinite(x)) else x
        if not failure:
            try:
                x, res = lbfgsb(x0)
            except FloatingPointError as err:
                failure = str(err)
        if failure:
            x, res = bounded(start)
        n_fev += int(res.nfev)
        try:
            x, f, g, hes, n_fev, steps2, ok = run(x, n_fev)
            steps += steps2
        except FloatingPointError as err:
            # Newton cannot polish the bounded optimum (it runs out of the box again): return
            # that point, not converged, with whatever derivatives can be had there
            failure = failure or str(err)
            f, g, hes, n_fev = _safe_derivatives(obj, x, control, n_fev)
            ok = False
    if ok and not failure and 0.0 < x[0] < THETA_ZERO:
        # Rounding, not an estimate: the deviance is even in theta with slope 0 at 0, so below
        # THETA_ZERO it equals the deviance at 0 to far below its own rounding error, and the
        # digits of such a theta (a "variance" of 5e-28) are those of the CPU's arithmetic.
        # Taken as the boundary it is, it also gets the boundary's saddle check below.
        x = x.copy()
        x[0] = 0.0
        f, g = obj.value_and_grad(x)
        hes = numerical_hessian(obj, x, control.hessian_step, g0=g)
        n_fev += k + 1
    if ok and not failure and x[0] <= 0.0:
        # A boundary optimum may be a saddle: the deviance is even in theta, so its slope at
        # theta = 0 is exactly 0 and Newton holds theta there even where the curvature is
        # negative (the variance is real). Probe a few theta > 0 and restart from the best.
        probe = _interior_probe(obj, x, f)
        if probe is not None:
            try:
                x2, f2, g2, hes2, n_fev, steps2, ok2 = run(probe, n_fev)
            except FloatingPointError:
                ok2 = False
            if ok2 and f2 < f:
                x, f, g, hes, steps = x2, f2, g2, hes2, steps + steps2
    diverged = bool(failure) and (not ok or _at_rescue_bound(x))
    if res is None:
        res = optimize.OptimizeResult(
            success=ok,
            message="Newton" + (" from the subsample optimum" if presolved else ""),
            nit=steps,
            fun=f,
        )
    return OptResult(
        x=x,
        fun=f,
        grad=g,
        hessian=hes,
        converged=bool(ok) and not diverged,
        message=str(res.message)
        + (f" (after a numerical failure: {failure}; bounded L-BFGS-B)" if failure else ""),
        n_fev=n_fev,
        n_iter=int(res.nit),
        start=start,
        nagq=obj.nagq,
        time_s=time.perf_counter() - t0,
        history={
            "lbfgsb_fun": float(res.fun),
            "newton_steps": steps,
            "start_fev": n0,
            "presolved_on_subsample": presolved,
            "numerical_failure": failure,
            "diverged": diverged,
        },
    )


#: Box of the L-BFGS-B route taken after a numerical failure (FloatingPointError): the SD of
#: the random intercept and every fixed effect within these (logit scale). A fit that ends on
#: the box, or that Newton cannot polish, is returned with ``history["diverged"] = True``.
RESCUE_MAX_THETA = 50.0
RESCUE_MAX_ABS_BETA = 50.0


#: A fitted SD of the random intercept below this is the boundary theta = 0 (see
#: :func:`optimize_glmm`): 1e-8 on the logit scale changes the deviance by ~1e-16 of itself.
THETA_ZERO = 1e-8
#: theta values probed above a boundary optimum (see :func:`_interior_probe`).
BOUNDARY_PROBES = (0.05, 0.1, 0.2, 0.4)


def _interior_probe(obj: Objective, x: np.ndarray, f: float) -> np.ndarray | None:
    """The best ``x`` with theta in :data:`BOUNDARY_PROBES` (beta kept) if its deviance is
    below ``f``, else None (the boundary is a minimum along theta)."""
    best, best_f = None, f - 1e-8 * max(1.0, abs(f))
    for theta in BOUNDARY_PROBES:
        xt = x.copy()
        xt[0] = theta
        try:
            ft = float(obj.fun(xt))
        except FloatingPointError:
            continue
        if np.isfinite(ft) and ft < best_f:
            best, best_f = xt, ft
    return best


def _rescue_bounds(k: int) -> list[tuple[float, float]]:
    return [(0.0, RESCUE_MAX_THETA)] + [(-RESCUE_MAX_ABS_BETA, RESCUE_MAX_ABS_BETA)] * (k - 1)


def _at_rescue_bound(x: np.ndarray) -> bool:
    return bool(
        x[0] >= RESCUE_MAX_THETA * (1 - 1e-6)
        or np.any(np.abs(x[1:]) >= RESCUE_MAX_ABS_BETA * (1 - 1e-6))
    )


def _safe_derivatives(
    obj: Objective, x: np.ndarray, control: GLMMControl, n_fev: int
) -> tuple[float, np.ndarray, np.ndarray, int]:
    """Deviance, gradient and Hessian at ``x``; NaN where the deviance cannot be evaluated."""
    k = x.size
    try:
        f, g = obj.value_and_grad(x)
        n_fev += 1
    except FloatingPointError:
        return float("nan"), np.full(k, np.nan), np.full((k, k), np.nan), n_fev + 1
    try:
        hes = numerical_hessian(obj, x, control.hessian_step, g0=g)
    except FloatingPointError:
        hes = np.full((k, k), np.nan)
    return float(f), np.asarray(g), hes, n_fev + k
