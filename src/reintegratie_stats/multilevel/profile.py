"""Profile-likelihood intervals for the variance part of a random-intercept GLMM.

As lme4's ``confint(fit, parm = "theta_", method = "profile")``: the profile deviance
``d(sigma) = min_beta deviance(sigma, beta)`` gives the signed root
``zeta(sigma) = sign(sigma - sigma_hat) sqrt(d(sigma) - d(sigma_hat))``, and the interval for
the SD ``sigma`` of the institution intercepts is ``{sigma : |zeta(sigma)| <= z_{1-alpha/2}}``.
When the deviance at ``sigma = 0`` is within the cut-off (a small or boundary variance) the
lower bound is 0, as lme4 reports it. The variance ``sigma^2``, the latent-scale ICC
``sigma^2 / (sigma^2 + pi^2/3)`` and the median odds ratio ``exp(sqrt(2) sigma z_0.75)`` are
increasing in ``sigma``, so their intervals are the SD interval transformed (profile intervals
are invariant under monotone reparametrisation).

lme4 interpolates ``zeta`` with a spline through a grid of profile points; here each bound is
found by root finding on the exactly re-optimised profile (beta by Newton at each sigma, warm
started), so the two differ by lme4's interpolation error (about 1e-4 relative on cbpp). With a
penalised fit (separation, ``GLMMControl.separation="penalize"``) the penalised deviance is
profiled.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reintegratie_stats.multilevel import glmer
>>> rng = np.random.default_rng(5)
>>> g = np.repeat(np.arange(25), 40)
>>> y = (rng.random(1000) < 1 / (1 + np.exp(-rng.normal(scale=0.8, size=25)[g]))).astype(float)
>>> m = glmer("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": g}))
>>> ci = m.conf_int_variance()
>>> list(ci["parameter"])
['sd', 'variance', 'icc', 'median_odds_ratio']
>>> bool(ci["ci_low"].iloc[0] < m.theta.iloc[0] < ci["ci_high"].iloc[0])
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .objective import Objective, make_objective

if TYPE_CHECKING:  # pragma: no cover
    from .results import GLMMResult

__all__ = ["profile_deviance", "conf_int_variance", "variance_intervals"]

_LATENT_VAR = np.pi**2 / 3


class _Profile:
    """``d(sigma)`` with beta re-optimised by damped Newton, warm started from the last sigma."""

    def __init__(self, obj: Objective, beta0: np.ndarray) -> None:
        self.obj = obj
        self.beta = np.asarray(beta0, dtype=float).copy()
        self.n_eval = 0

    def _vg(self, sigma: float, beta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = self.obj.value_and_grad(np.r_[sigma, beta])
        return f, g[1:]

    def __call__(self, sigma: float) -> float:
        beta = self.beta.copy()
        f, g = self._vg(sigma, beta)
        p = beta.size
        for _ in range(100):
            hes = np.empty((p, p))
            for j in range(p):  # forward differences of the exact gradient
                h = 1e-6 * max(abs(beta[j]), 0.1)
                e = np.zeros(p)
                e[j] = h
                hes[:, j] = (self._vg(sigma, beta + e)[1] - g) / h
            hes = 0.5 * (hes + hes.T)
            try:
                delta = -np.linalg.solve(hes, g)
            except np.linalg.LinAlgError:
                delta = -g
            if g @ delta >= 0:  # not a descent direction: steepest descent
                delta = -g
            t = 1.0
            while t > 1e-8:
                fn, gn = self._vg(sigma, beta + t * delta)
                if fn <= f + 1e-4 * t * (g @ delta):
                    break
                t *= 0.5
            else:
                break
            beta, f, g = beta + t * delta, fn, gn
            if np.max(np.abs(t * delta)) < 1e-10 * (1 + np.max(np.abs(beta))):
                break
        self.beta = beta
        self.n_eval += 1
        return float(f)


def profile_deviance(result: GLMMResult, sigmas: np.ndarray | list[float]) -> pd.DataFrame:
    """The profile deviance and signed root ``zeta`` at given SDs of the random intercept.

    Parameters
    ----------
    result : GLMMResult
        A native-backend fit (it keeps its ``design``).
    sigmas : array-like
        SDs (>= 0) at which to profile.

    Returns
    -------
    pandas.DataFrame
        Columns ``sd``, ``deviance``, ``zeta`` (lme4's ``profile()`` ``.zeta`` for the SD).
    """
    obj, x_hat, d0 = _setup(result)
    prof = _Profile(obj, x_hat[1:])
    sig = np.asarray(sigmas, dtype=float)
    if np.any(sig < 0) or not np.all(np.isfinite(sig)):
        raise ValueError(f"sigmas must be finite and >= 0, got {sig.tolist()}")
    dev = []
    for s in sig:
        prof.beta = x_hat[1:].copy()
        dev.append(prof(float(s)))
    dev_a = np.asarray(dev)
    zeta = np.sign(sig - x_hat[0]) * np.sqrt(np.clip(dev_a - d0, 0.0, None))
    return pd.DataFrame({"sd": sig, "deviance": dev_a, "zeta": zeta})


def _setup(result: GLMMResult) -> tuple[Objective, np.ndarray, float]:
    design = getattr(result, "design", None)
    if design is None:
        raise ValueError(
            "profile intervals need a native-backend fit (backend='native'); this fit "
            f"({result.backend!r}) does not keep its design"
        )
    obj = make_objective(design, nagq=result.nagq, prior_sd=result.prior_sd)
    x_hat = np.r_[float(result.theta.iloc[0]), result.params.to_numpy(dtype=float)]
    if not np.all(np.isfinite(x_hat)):
        raise ValueError(
            "profile intervals need finite estimates; this fit has terms marked not estimable "
            f"({[t for t, v in result.params.items() if not np.isfinite(v)]})"
        )
    # re-optimise beta at sigma_hat so that d0 is the minimum of the profiled function
    prof = _Profile(obj, x_hat[1:])
    d0 = prof(x_hat[0])
    x_hat[1:] = prof.beta
    return obj, x_hat, d0


def conf_int_variance(result: GLMMResult, alpha: float = 0.05, xtol: float = 1e-8) -> pd.DataFrame:
    """Profile-likelihood intervals for the SD, variance, ICC and median odds ratio.

    Parameters
    ----------
    result : GLMMResult
        A native-backend fit.
    alpha : float
        1 - confidence level.
    xtol : float
        Absolute tolerance of the bounds on the SD scale.

    Returns
    -------
    pandas.DataFrame
        One row per ``parameter`` (``sd``, ``variance``, ``icc``, ``median_odds_ratio``):
        ``group_factor``, ``estimate``, ``ci_low``, ``ci_high``, ``level``, ``method``
        (``"profile"``), ``lower_at_boundary`` (True when the lower bound is 0 because the
        profile stays within the cut-off down to ``sd = 0``) and ``n_profile_fits``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    obj, x_hat, d0 = _setup(result)
    s_hat = float(x_hat[0])
    q = float(stats.norm.ppf(1 - alpha / 2))
    prof = _Profile(obj, x_hat[1:])

    def zeta(s: float) -> float:
        # beta is warm started from the previous sigma's optimum (prof keeps it)
        return float(np.sign(s - s_hat) * np.sqrt(max(prof(s) - d0, 0.0)))

    # lower bound: 0 when the deviance at sigma = 0 is within the cut-off (lme4 does the same)
    at_boundary = True
    low = 0.0
    if s_hat > 0:
        prof.beta = x_hat[1:].copy()
        if zeta(0.0) < -q:
            at_boundary = False
            low = optimize.brentq(lambda s: zeta(s) + q, 0.0, s_hat, xtol=xtol)
    # upper bound: expand the bracket until zeta passes the cut-off
    prof.beta = x_hat[1:].copy()
    step = max(s_hat, 0.1)
    lo_b, hi_b = s_hat, s_hat + step
    for _ in range(60):
        if zeta(hi_b) > q:
            break
        lo_b, hi_b = hi_b, hi_b + step
        step *= 2.0
    else:  # pragma: no cover - the deviance grows without bound in sigma
        raise RuntimeError("profile: no upper bound found for the SD of the random intercept")
    high = optimize.brentq(lambda s: zeta(s) - q, lo_b, hi_b, xtol=xtol)
    mor = lambda s: float(np.exp(np.sqrt(2.0) * s * stats.norm.ppf(0.75)))  # noqa: E731
    icc = lambda s: s * s / (s * s + _LATENT_VAR)  # noqa: E731
    trans = {
        "sd": lambda s: s,
        "variance": lambda s: s * s,
        "icc": icc,
        "median_odds_ratio": mor,
    }
    s_est = float(result.theta.iloc[0])
    return pd.DataFrame(
        [
            {
                "parameter": name,
                "group_factor": result.design.group if result.design is not None else "",
                "estimate": f(s_est),
                "ci_low": f(low),
                "ci_high": f(high),
                "level": 1 - alpha,
                "method": "profile",
                "lower_at_boundary": at_boundary,
                "n_profile_fits": prof.n_eval,
            }
            for name, f in trans.items()
        ]
    )


def variance_intervals(
    models: Mapping[tuple[str, str], GLMMResult], alpha: float = 0.05
) -> pd.DataFrame:
    """Tidy profile intervals of the variance part for a set of fits (e.g. ``ModelSet.models``).

    Parameters
    ----------
    models : mapping
        ``(outcome, model) -> GLMMResult`` (native backend).
    alpha : float

    Returns
    -------
    pandas.DataFrame
        ``outcome``, ``model`` and the :func:`conf_int_variance` columns, four rows per fit;
        a fit that cannot be profiled gets rows with NaN bounds and the reason in ``note``.
    """
    out = []
    for (outcome, model), res in models.items():
        try:
            ci = conf_int_variance(res, alpha=alpha)
            ci["note"] = "penalised fit (separation)" if res.penalized else ""
        except (ValueError, RuntimeError, ArithmeticError) as err:
            ci = pd.DataFrame(
                {
                    "parameter": ["sd", "variance", "icc", "median_odds_ratio"],
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "level": 1 - alpha,
                    "method": "profile",
                    "note": str(err),
                }
            )
        ci.insert(0, "model", model)
        ci.insert(0, "outcome", outcome)
        out.append(ci)
    return pd.concat(out, ignore_index=True)
