"""Stage 2 of the GLMM fit: the deviance of a random-intercept logistic model and its gradient.

The model is ``logit P(y_ij = 1) = x_ij' beta + sigma * u_j`` with ``u_j ~ N(0, 1)`` (lme4's
parametrisation: ``theta = sigma``, the SD of the institution intercepts, bounded below by 0).
With a single random intercept the marginal likelihood factorises over groups, so the
conditional mode of every ``u_j`` is found by Newton iterations vectorised over all groups at
once (``np.bincount`` over group codes), and the Laplace (``nagq=1``) or adaptive Gauss-Hermite
(``nagq>1``) term follows group by group without a Python loop over groups or rows.

The deviance is lme4's: ``-2 log L`` with, per group, ``u_hat`` the mode of
``log p(y | u) - u^2/2`` and ``H = 1 + sigma^2 sum mu(1-mu)`` the curvature there,

* Laplace: ``-2 log p(y | u_hat) + u_hat^2 + log H``;
* AGQ: ``-2 log[ s sum_k w_k p(y | u_k) exp(-(u_k^2 - z_k^2)/2) ]`` with ``s = H^{-1/2}``,
  ``u_k = u_hat + s z_k`` and ``(z_k, w_k)`` the Gauss-Hermite rule for the standard normal.

With ``nagq > 1`` this equals lme4's deviance function at the same parameters (checked against
``glmer(..., devFunOnly = TRUE)`` in ``tests/reference/glmm_cbpp.R``). With the Laplace
approximation ours is the exact Laplace value; lme4 takes ``log|L|^2`` from the Cholesky factor
of its last PIRLS iteration (weights of the previous iterate), which moves its reported deviance
by about 5e-4 on cbpp and its Hessian-based SEs by up to 1.3%.

The gradient is exact: the mode's dependence on (sigma, beta) follows from the implicit function
theorem (``du_hat/dp = f_up / H``), and the scale ``s`` is differentiated through ``H``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reintegratie_stats.multilevel.design import glmm_design
>>> rng = np.random.default_rng(3)
>>> g = np.repeat(np.arange(10), 30)
>>> x = rng.normal(size=300)
>>> y = (rng.random(300) < 1 / (1 + np.exp(-(0.3 * x + rng.normal(size=10)[g])))).astype(float)
>>> d = glmm_design("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}))
>>> obj = make_objective(d, nagq=1)
>>> obj.names
('sd_(Intercept)|g', 'Intercept', 'x')
>>> round(obj.fun(np.array([1.0, 0.0, 0.3])), 6) > 0
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .design import GLMMDesign

__all__ = ["Objective", "make_objective", "gauss_hermite", "conditional_modes"]

_MODE_TOL = 1e-12
_MODE_MAXIT = 200


def gauss_hermite(nagq: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for ``E[f(Z)]``, ``Z ~ N(0, 1)`` (lme4's ``GHrule``), weights summing to 1."""
    if nagq == 1:
        return np.zeros(1), np.ones(1)
    z, w = np.polynomial.hermite_e.hermegauss(nagq)
    return z, w / w.sum()


@dataclass(frozen=True)
class Objective:
    """The deviance of the packed vector ``x = (theta, beta)`` with its exact gradient.

    Attributes
    ----------
    fun : callable
        ``fun(x) -> float``, the deviance (``-2 log L``) as lme4 defines it at this ``nagq``.
    value_and_grad : callable
        ``value_and_grad(x) -> (float, ndarray)``.
    bounds : tuple of (lower, upper)
        One pair per element of ``x`` (``theta >= 0``; ``beta`` free).
    names : tuple of str
        ``sd_(Intercept)|<group>`` then the fixed-effect names.
    n_theta : int
        Number of variance parameters at the front of ``x`` (1 here).
    nagq : int
        0 (nAGQ=0: beta at the joint mode, ``x = theta`` only), 1 (Laplace) or >1 (AGQ).
    design : GLMMDesign
    """

    fun: Callable[[np.ndarray], float]
    value_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]
    bounds: tuple[tuple[float | None, float | None], ...]
    names: tuple[str, ...]
    n_theta: int
    nagq: int
    design: GLMMDesign
    modes: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    prior_sd: np.ndarray | None = None

    def penalty(self, x: np.ndarray) -> float:
        """The prior's part of :attr:`fun`: ``sum((beta_j / sd_j)^2)`` (0 without a prior)."""
        if self.prior_sd is None:
            return 0.0
        b = np.asarray(x, dtype=float)[self.n_theta :]
        return float(np.sum((b / self.prior_sd) ** 2))

    def grad(self, x: np.ndarray) -> np.ndarray:
        """Gradient of :attr:`fun` at ``x``."""
        return self.value_and_grad(x)[1]

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split ``x`` into ``(theta, beta)``."""
        x = np.asarray(x, dtype=float)
        return x[: self.n_theta], x[self.n_theta :]


class _Engine:
    """Vectorised per-group computations for a binary random-intercept model.

    Holds one piece of mutable state: the last conditional modes, used only as the Newton
    starting point (the result does not depend on it beyond ``_MODE_TOL``).
    """

    def __init__(self, design: GLMMDesign, mode_tol: float = _MODE_TOL) -> None:
        self.mode_tol = float(mode_tol)
        # Rows are sorted by group once, so per-group sums are np.add.reduceat over contiguous
        # blocks and u[codes] is np.repeat(u, n_g): both much faster than bincount / fancy
        # indexing on a million rows. Sums over rows (the gradient X'c) do not depend on order.
        codes = design.groups
        self.sorted = bool(np.all(np.diff(codes) >= 0))  # glmm_design sorts; others may not
        order = np.arange(codes.size) if self.sorted else np.argsort(codes, kind="stable")
        self.y = design.y if self.sorted else design.y[order]
        self.X = design.X if self.sorted else np.ascontiguousarray(design.X[order])
        self.codes = codes if self.sorted else codes[order]
        self.G = design.n_groups
        self.sy = 1.0 - 2.0 * self.y  # -1 for y = 1, +1 for y = 0
        self._u = np.zeros(self.G)
        n_g = np.bincount(self.codes, minlength=self.G)
        self.n_gi = n_g
        self.n_g = n_g.astype(float)
        self.starts = np.concatenate(([0], np.cumsum(n_g)[:-1]))

    def _bc(self, w: np.ndarray) -> np.ndarray:
        return np.add.reduceat(w, self.starts)

    def _rep(self, u: np.ndarray) -> np.ndarray:
        return np.repeat(u, self.n_gi)

    def _ll(self, eta: np.ndarray) -> np.ndarray:
        """Bernoulli log-likelihood per row, stable in both tails."""
        a = self.sy * eta
        return -(np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a))))

    def _ll_r(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bernoulli log-likelihood and residual ``y - mu`` per row: one exp and one log1p."""
        a = self.sy * eta
        t = np.exp(-np.abs(a))
        ll = -(np.maximum(a, 0.0) + np.log1p(t))
        inv = 1.0 / (1.0 + t)
        r = -self.sy * np.where(a > 0, inv, t * inv)
        return ll, r

    def mode(self, offset: np.ndarray, sigma: float) -> dict[str, np.ndarray]:
        """Conditional modes of ``u`` for fixed ``offset = X beta`` and ``sigma``."""
        u = self._u.copy() if np.all(np.isfinite(self._u)) else np.zeros(self.G)
        if sigma == 0.0:
            u[:] = 0.0
        # Safeguarded Newton (rtsafe): f_u = sigma R(u) - u is decreasing, and the root lies
        # in |u| <= sigma n_g, so keep a bracket per group and bisect when Newton leaves it,
        # lands on one of its ends (far from the optimum, where mu saturates, H = 1 and the
        # step is the whole bracket: Newton would jump between the two ends for ever), or
        # overflows. After _MODE_MAXIT // 2 iterations a group whose step did not halve is
        # bisected too, so the bracket shrinks whatever the shape of f_u.
        half = sigma * self.n_g + 1.0
        lo, hi = -half, half.copy()
        u = np.clip(u, lo, hi)
        step = np.full(self.G, np.inf)
        n_gi, starts, y, tol = self.n_gi, self.starts, self.y, self.mode_tol
        # Every row operation below costs microseconds and every per-group one about as much
        # (26 groups): the loop runs ~10 times per deviance and ~100,000 times per report, so
        # it is written with in-place updates and few temporaries (same arithmetic, same bits).
        for it in range(_MODE_MAXIT):
            eta = np.repeat(sigma * u, n_gi)
            eta += offset
            mu = expit(eta)
            r = y - mu
            v = mu * (1.0 - mu)
            R = np.add.reduceat(r, starts)
            V = np.add.reduceat(v, starts)
            H = 1.0 + sigma * sigma * V
            fu = sigma * R - u
            np.maximum(lo, u, out=lo, where=fu > 0)
            np.minimum(hi, u, out=hi, where=fu < 0)
            with np.errstate(over="ignore", invalid="ignore"):
                new = u + fu / H
                # outside the open bracket, on one of its ends without being u, or not finite
                out = ~((new > lo) & (new < hi)) & (new != u)
            if it >= _MODE_MAXIT // 2:
                out |= np.abs(new - u) > 0.5 * step
            if out.any():
                new = np.where(out, 0.5 * (lo + hi), new)
            step = np.abs(new - u)
            if step.max() < tol * (1.0 + np.abs(u).max()):
                break
            u = new
        else:  # only with non-finite input (the bracket shrinks otherwise); a guard
            raise FloatingPointError("conditional modes did not converge")
        self._u = u
        return {"u": u, "eta": eta, "mu": mu, "r": r, "v": v, "R": R, "V": V, "H": H}

    # -- Laplace / AGQ ---------------------------------------------------------------------
    def deviance(self, x: np.ndarray, z: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
        sigma = float(x[0])
        beta = x[1:]
        X = self.X
        offset = X @ beta
        m = self.mode(offset, sigma)
        u, mu, r, v, R, V, H = m["u"], m["mu"], m["r"], m["v"], m["R"], m["V"], m["H"]
        v1 = v * (1.0 - 2.0 * mu)  # dv/deta
        S1 = self._bc(v1)
        s = 1.0 / np.sqrt(H)
        s2 = sigma * sigma
        if z.size == 1:
            ll_obs = self._ll(m["eta"])
            dev = -2.0 * ll_obs.sum() + np.sum(u * u) + np.sum(np.log(H))
            c = 1.0 / H
            e = c * sigma**3 * S1
            coef = self._rep(c * s2) * v1 - 2.0 * r - self._rep(e * sigma / H) * v
            g_beta = X.T @ coef
            g_sigma = np.sum(
                c * (2.0 * sigma * V + s2 * S1 * u) - 2.0 * u * R + e * (R - sigma * u * V) / H
            )
            return float(dev), np.concatenate(([g_sigma], g_beta))
        K = z.size
        n = self.y.size
        Gk = np.empty((K, self.G))
        Rk = np.empty((K, self.G))
        uk_all = u[None, :] + s[None, :] * z[:, None]
        rk = np.empty((K, n))
        for k in range(K):  # loop over quadrature nodes only
            uk = uk_all[k]
            ll, rk[k] = self._ll_r(offset + sigma * self._rep(uk))
            Gk[k] = self._bc(ll) - 0.5 * uk * uk + 0.5 * z[k] * z[k]
            Rk[k] = self._bc(rk[k])
        a = Gk + np.log(w)[:, None]
        amax = a.max(axis=0)
        L = amax + np.log(np.exp(a - amax).sum(axis=0))
        dev = float(np.sum(np.log(H) - 2.0 * L))
        pi = np.exp(a - L)  # K x G posterior weights of the nodes
        F = sigma * Rk - uk_all
        A = np.sum(pi * F, axis=0)
        B = np.sum(pi * F * z[:, None], axis=0)
        c = 1.0 / H + B * s**3
        e = c * sigma**3 * S1 - 2.0 * A
        pir = np.einsum("kn,kn->n", np.repeat(pi, self.n_gi, axis=1), rk)
        coef = self._rep(c * s2) * v1 - 2.0 * pir - self._rep(e * sigma / H) * v
        g_beta = X.T @ coef
        g_sigma = np.sum(
            c * (2.0 * sigma * V + s2 * S1 * u)
            - 2.0 * np.sum(pi * Rk * uk_all, axis=0)
            + e * (R - sigma * u * V) / H
        )
        return dev, np.concatenate(([g_sigma], g_beta))

    # -- nAGQ = 0: beta and u at their joint mode for given sigma ---------------------------
    def joint_mode(self, sigma: float, beta: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
        X = self.X
        p = X.shape[1]

        def pen_ll(b: np.ndarray, uu: np.ndarray) -> float:
            eta = X @ b + sigma * self._rep(uu)
            return float(-np.logaddexp(0.0, self.sy * eta).sum() - 0.5 * uu @ uu)

        cur: float | None = None
        for _ in range(50):
            eta = X @ beta + sigma * self._rep(u)
            mu = expit(eta)
            r = self.y - mu
            v = mu * (1.0 - mu)
            gb = X.T @ r
            gu = sigma * self._bc(r) - u
            A = X.T @ (v[:, None] * X)
            Bm = np.column_stack([self._bc(v * X[:, j]) for j in range(p)]) * sigma
            d = 1.0 + sigma * sigma * self._bc(v)
            S = A - Bm.T @ (Bm / d[:, None])
            try:
                db = np.linalg.solve(S, gb - Bm.T @ (gu / d))
            except np.linalg.LinAlgError:  # separated data: beta runs off; keep the last iterate
                break
            if not np.all(np.isfinite(db)):
                break
            du = (gu - Bm @ db) / d
            t = 1.0
            big = max(np.max(np.abs(db)), np.max(np.abs(du))) > 0.5
            new = None  # the penalised log-likelihood is only needed for a line search
            if big:  # far from the mode: halve until the penalised likelihood increases
                if cur is None:
                    cur = pen_ll(beta, u)
                while True:
                    new = pen_ll(beta + t * db, u + t * du)
                    if new >= cur - 1e-10 * abs(cur) or t < 1e-8:
                        break
                    t *= 0.5
            beta, u = beta + t * db, u + t * du
            done = max(np.max(np.abs(t * db)), np.max(np.abs(t * du))) < 1e-6  # a start value
            cur = new
            if done:
                break
        eta = X @ beta + sigma * self._rep(u)
        mu = expit(eta)
        H = 1.0 + sigma * sigma * self._bc(mu * (1.0 - mu))
        dev = -2.0 * np.sum(-np.logaddexp(0.0, self.sy * eta)) + u @ u + np.sum(np.log(H))
        return {"dev": np.asarray(dev), "beta": beta, "u": u}


def make_objective(
    design: GLMMDesign,
    nagq: int = 1,
    prior_sd: np.ndarray | None = None,
    mode_tol: float = _MODE_TOL,
) -> Objective:
    """Build the deviance function of a binary random-intercept GLMM (lme4's ``mkGlmerDevfun``).

    Parameters
    ----------
    design : GLMMDesign
        From :func:`glmm_design` with ``family="binomial"``.
    nagq : int
        Quadrature points: 1 = Laplace, 2..25 = adaptive Gauss-Hermite, 0 = lme4's nAGQ=0
        (``x`` is ``theta`` only; beta and u are at their joint mode).
    prior_sd : ndarray (p,), optional
        SDs of independent normal priors N(0, sd^2) on the fixed effects: the objective becomes
        the penalised deviance ``deviance + sum((beta / sd)^2)`` (see
        :mod:`reintegratie_stats.multilevel.separation`). Not with ``nagq=0``.

    Returns
    -------
    Objective
    """
    if design.family != "binomial":
        raise ValueError(f"make_objective handles the binomial family, got {design.family!r}")
    if not isinstance(nagq, int | np.integer) or not 0 <= nagq <= 25:
        raise ValueError(f"nagq must be an integer in 0..25 (1 = Laplace), got {nagq!r}")
    eng = _Engine(design, mode_tol)
    theta_name = f"sd_(Intercept)|{design.group}"
    p = design.X.shape[1]
    prior = None
    if prior_sd is not None:
        prior = np.asarray(prior_sd, dtype=float).reshape(-1)
        if prior.shape != (p,) or not np.all(np.isfinite(prior) & (prior > 0)):
            raise ValueError(
                f"prior_sd must hold {p} positive finite SDs (one per fixed effect), got {prior_sd!r}"
            )
        if nagq == 0:
            raise ValueError("prior_sd is not available with nagq=0 (a start-value objective)")
    if nagq == 0:
        state = {"beta": np.zeros(p), "u": np.zeros(design.n_groups)}

        def f0(x: np.ndarray) -> float:
            res = eng.joint_mode(float(np.atleast_1d(x)[0]), state["beta"], state["u"])
            state["beta"], state["u"] = res["beta"], res["u"]
            return float(res["dev"])

        def vg0(x: np.ndarray) -> tuple[float, np.ndarray]:
            raise NotImplementedError("nagq=0 is optimised without a gradient (1-D, bounded)")

        obj0 = Objective(
            fun=f0,
            value_and_grad=vg0,
            bounds=((0.0, None),),
            names=(theta_name,),
            n_theta=1,
            nagq=0,
            design=design,
        )
        object.__setattr__(obj0, "_joint_state", state)
        return obj0
    z, w = gauss_hermite(int(nagq))

    def vg(x: np.ndarray) -> tuple[float, np.ndarray]:
        x = np.asarray(x, dtype=float)
        if x.shape != (p + 1,):
            raise ValueError(f"x must have length {p + 1} (theta then beta), got shape {x.shape}")
        if x[0] < 0:
            raise ValueError(f"theta (SD of the random intercept) must be >= 0, got {x[0]}")
        dev, grad = eng.deviance(x, z, w)
        if prior is not None:
            # -2 log of independent N(0, sd_j^2) priors on beta, without its constant: the
            # penalised deviance that blme::bglmer(fixef.prior = normal(...)) optimises
            b = x[1:]
            dev = dev + float(np.sum((b / prior) ** 2))
            grad = grad.copy()
            grad[1:] += 2.0 * b / prior**2
        return dev, grad

    return Objective(
        fun=lambda x: vg(x)[0],
        value_and_grad=vg,
        bounds=((0.0, None),) + ((None, None),) * p,
        names=(theta_name, *design.x_names),
        n_theta=1,
        nagq=int(nagq),
        design=design,
        modes=lambda x: _modes(eng, x),
        prior_sd=prior,
    )


def _modes(eng: _Engine, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    m = eng.mode(eng.X @ x[1:], float(x[0]))
    return m["u"].copy(), m["H"].copy()


def conditional_modes(design: GLMMDesign, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conditional modes ``u_hat`` (standardised) and curvatures ``H`` at ``x = (theta, beta)``."""
    return _modes(_Engine(design), x)
