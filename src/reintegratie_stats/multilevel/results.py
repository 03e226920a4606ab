"""Stage 4 of the GLMM fit: the results object (lme4's ``mkMerMod``) and convergence checks.

:class:`GLMMResult` subclasses :class:`reintegratie_stats.results.ModelResults`, so ``params``,
``bse``, ``pvalues``, ``conf_int()``, ``cov_params()``, ``llf``, ``aic``, ``bic``, ``nobs`` and
``summary()`` behave as everywhere in the package. AIC/BIC count the variance parameter
(``n_extra_params``) as lme4 does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..results import ConvergenceInfo, ConvergenceWarning, ModelResults
from .design import GLMMDesign
from .objective import Objective, conditional_modes
from .optimize import GLMMControl, OptResult
from .separation import SeparationResult

__all__ = ["GLMMResult", "GLMMFitError", "build_glmm_result", "apply_checks", "ranef_frame"]

_LATENT_VAR = np.pi**2 / 3  # variance of the standard logistic distribution


class GLMMFitError(RuntimeError):
    """A check set to ``"raise"`` in :class:`GLMMControl` failed."""


@dataclass(repr=False)
class GLMMResult(ModelResults):
    """A fitted two-level model (fixed effects + one random intercept per grouping factor).

    Extra attributes
    ----------------
    variance_components : pandas.Series
        Variance of the random intercept, indexed by grouping factor.
    theta : pandas.Series
        lme4's theta (SD of the random intercept in the binomial case), indexed like lme4.
    ranef : pandas.DataFrame
        Conditional modes of the group effects with SEs: columns ``group_factor``, ``level``,
        ``n``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high`` (one row per group).
    convergence : ConvergenceInfo
    optim_info : dict
        Optimiser details (start, evaluations, time, gradient, Hessian).
    family : str
    nagq : int
    backend : str
    residual_variance : float
        Level-1 variance on the latent scale (pi^2/3 for logit) or the residual variance (linear).
    flags : pandas.Series of str
        Per fixed effect, why its estimate must not be read as a maximum likelihood estimate
        (``""`` when there is nothing to say): separation and the penalised refit, or a term
        not estimable. :meth:`to_frame` carries it as the ``flag`` column.
    separation : SeparationResult or None
        The linear-programming separation check of the fixed effects (native backend).
    prior_sd : ndarray or None
        SDs of the normal priors when the fit is penalised (see ``GLMMControl.separation``).
    design : GLMMDesign or None
        The arrays of the fit (native backend), kept for :meth:`conf_int_variance`.
    """

    variance_components: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    theta: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    ranef: pd.DataFrame = field(default_factory=pd.DataFrame)
    convergence: ConvergenceInfo = field(default_factory=lambda: ConvergenceInfo(converged=True))
    optim_info: dict[str, Any] = field(default_factory=dict)
    family: str = "binomial"
    nagq: int = 1
    backend: str = "native"
    residual_variance: float = _LATENT_VAR
    flags: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    separation: SeparationResult | None = None
    prior_sd: np.ndarray | None = None
    design: GLMMDesign | None = field(default=None, repr=False)
    check_messages: list[tuple[str, str]] = field(default_factory=list, repr=False)

    @property
    def penalized(self) -> bool:
        """True when the estimates maximise a penalised likelihood (normal priors on beta)."""
        return self.prior_sd is not None

    def term_flags(self, max_abs_coef: float = 15.0, max_se: float = 50.0) -> pd.Series:
        """:attr:`flags`, plus a flag on any estimate that still looks diverged.

        Whatever the backend, a coefficient above ``max_abs_coef`` on the logit scale (or with
        an SE above ``max_se``, or a non-finite coefficient or SE) is never returned without a
        flag.
        """
        out = pd.Series("", index=self.params.index, dtype=object, name="flag")
        if len(self.flags):
            out.update(self.flags.astype(object))
        bse = self.bse
        for t in self.params.index:
            b, s = float(self.params[t]), float(bse[t])
            if out[t] == "" and not (abs(b) <= max_abs_coef and s <= max_se):
                out[t] = (
                    f"diverging estimate (|coef| {abs(b):.3g}, SE {s:.3g}): possible separation"
                )
        return out

    def to_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """:meth:`ModelResults.to_frame` plus a ``flag`` column (see :meth:`term_flags`)."""
        out = super().to_frame(alpha)
        out["flag"] = self.term_flags().to_numpy()
        return out

    @property
    def icc(self) -> float:
        """Intraclass correlation: ``var_u / (var_u + residual)``; latent scale (pi^2/3) for logit."""
        vu = float(self.variance_components.sum())
        return vu / (vu + self.residual_variance)

    @property
    def median_odds_ratio(self) -> float:
        """Median odds ratio ``exp(sqrt(2 var_u) * qnorm(0.75))`` (Merlo et al. 2006); logit only."""
        if self.family != "binomial":
            return float("nan")
        vu = float(self.variance_components.sum())
        return float(np.exp(np.sqrt(2.0 * vu) * stats.norm.ppf(0.75)))

    def conf_int_variance(self, alpha: float = 0.05) -> pd.DataFrame:
        """Profile-likelihood intervals for the SD, variance, ICC and median odds ratio.

        As lme4's ``confint(fit, parm = "theta_", method = "profile")`` (lower bound 0 when
        the profile stays within the cut-off down to a zero variance); see
        :func:`reintegratie_stats.multilevel.profile.conf_int_variance`. Native backend only.
        """
        from .profile import conf_int_variance

        return conf_int_variance(self, alpha=alpha)

    @property
    def singular(self) -> bool:
        return self.convergence.singular

    def summary(self) -> str:
        """Fixed effects as in :meth:`ModelResults.summary`, plus random effects and exclusions."""
        base = super().summary().split("\n")
        rand = ["Random effects:"]
        for g, var in self.variance_components.items():
            rand.append(f"  {g} (Intercept): variance {var:.5g}, SD {np.sqrt(var):.5g}")
        n_groups = self.extra.get("n_groups")
        if n_groups is not None:
            rand.append(f"  Number of groups: {n_groups}")
        rand.append(f"  ICC: {self.icc:.4f}   Median odds ratio: {self.median_odds_ratio:.4f}")
        conv = self.convergence
        rand.append(
            f"Convergence: {'yes' if conv.converged else 'NO'}; max|grad| {conv.max_abs_grad:.2g}; "
            f"singular: {conv.singular}"
        )
        rand += [f"  ! {m}" for m in conv.messages]
        rand += [f"  flag {t}: {f}" for t, f in self.term_flags().items() if f]
        return "\n".join(base[:3] + rand + base[3:])

    def __repr__(self) -> str:
        llf = "None" if self.llf is None else f"{self.llf:.4f}"
        return (
            f"<GLMMResult {self.backend} nagq={self.nagq}: {len(self.params)} fixed terms, "
            f"nobs={self.nobs}, llf={llf}>"
        )


def ranef_frame(
    group: str, levels: tuple[str, ...], n: np.ndarray, est: np.ndarray, se: np.ndarray
) -> pd.DataFrame:
    """Tidy conditional modes: one row per group, with normal 95% intervals."""
    q = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "group_factor": group,
            "level": list(levels),
            "n": np.asarray(n, dtype=int),
            "estimate": est,
            "std_error": se,
            "ci_low": est - q * se,
            "ci_high": est + q * se,
        }
    )


def apply_checks(messages: list[tuple[str, str]], control: GLMMControl) -> None:
    """Act on ``(check_name, message)`` pairs per the control's ignore/warn/raise setting."""
    for check, msg in messages:
        action = getattr(control, check)
        if action == "warn":
            warnings.warn(msg, ConvergenceWarning, stacklevel=4)
        elif action == "raise":
            raise GLMMFitError(msg)


def build_glmm_result(
    design: GLMMDesign,
    obj: Objective,
    opt: OptResult,
    control: GLMMControl | None = None,
    separation: SeparationResult | None = None,
    apply: bool = True,
    diverged: tuple[str, ...] = (),
) -> GLMMResult:
    """Assemble a :class:`GLMMResult` from the stages, run the checks and act on them.

    Parameters
    ----------
    design : GLMMDesign
    obj : Objective
        With ``prior_sd`` set the fit is penalised: ``llf`` is then the unpenalised
        log-likelihood at the penalised estimates, and every term is flagged.
    opt : OptResult
        Must come from ``optimize_glmm(obj, ...)`` (same parameter length).
    control : GLMMControl, optional
    separation : SeparationResult, optional
        The separation check of the design, recorded and used for the flags.
    diverged : tuple of str
        Terms whose maximum likelihood estimates diverged (why a penalised fit was made).
    apply : bool
        Act on the checks (warn / raise) now; ``False`` leaves them in ``result.check_messages``
        for the caller (:func:`glmer` decides first whether it keeps this fit).

    Returns
    -------
    GLMMResult
    """
    control = control or GLMMControl()
    k = len(obj.names)
    if opt.x.shape != (k,) or opt.hessian.shape != (k, k):
        raise ValueError(
            f"opt does not match the objective: expected {k} parameters ({', '.join(obj.names)}), "
            f"got x {opt.x.shape} and hessian {opt.hessian.shape}"
        )
    sigma = float(opt.x[0])
    beta = opt.x[1:]
    names = list(design.x_names)
    singular = sigma < control.singular_tol
    hes = opt.hessian
    msgs: list[tuple[str, str]] = []
    # lme4 (vcov.merMod with use.hessian): 2 * [H^-1] restricted to beta, H over (theta, beta).
    free = np.ones(k, dtype=bool)
    if singular:
        free[0] = False
    try:
        inv = np.linalg.inv(hes[np.ix_(free, free)])
        cov_b = 2.0 * inv[-len(names) :, -len(names) :]
        cov_b = 0.5 * (cov_b + cov_b.T)
        eig = np.linalg.eigvalsh(hes[np.ix_(free, free)])
        pd_ok = bool(eig.min() > 0)
    except np.linalg.LinAlgError:
        cov_b = np.full((len(names), len(names)), np.nan)
        pd_ok = False
    if not pd_ok:
        msgs.append(
            ("check_conv", "Hessian of the deviance is not positive definite: SEs unreliable")
        )
    g = opt.grad.copy()
    if singular and g[0] >= 0:
        g[0] = 0.0  # at the bound with the gradient pointing outward: a KKT point
    try:
        scaled = np.linalg.solve(hes[np.ix_(free, free)], g[free])
        max_scaled = float(np.max(np.abs(scaled)))
    except np.linalg.LinAlgError:
        max_scaled = float("inf")
    max_grad = float(np.max(np.abs(g)))
    diverged_fit = bool(opt.history.get("diverged", False))
    converged = bool(max_scaled < control.conv_tol and pd_ok and not diverged_fit)
    if diverged_fit:
        msgs.append(
            (
                "check_conv",
                "the optimiser stopped on a numerical failure "
                f"({opt.history.get('numerical_failure') or 'conditional modes'}): the fit "
                "diverges and is not a maximum likelihood fit",
            )
        )
    if max_scaled >= control.conv_tol:
        msgs.append(
            (
                "check_conv",
                f"Model failed to converge: max|H^-1 grad| = {max_scaled:.3g} "
                f"(tolerance {control.conv_tol:g}); max|grad| = {max_grad:.3g}",
            )
        )
    if singular:
        msgs.append(
            (
                "check_singular",
                f"boundary (singular) fit: the SD of the random intercept for "
                f"{design.group!r} is {sigma:.3g} (< {control.singular_tol:g}); the between-group "
                "variance is estimated as zero",
            )
        )
    bse = np.sqrt(np.clip(np.diag(cov_b), 0, None))
    sep = [
        n
        for n, b, s in zip(names, beta, bse, strict=True)
        if not abs(b) <= control.separation_coef or s > control.separation_se or not np.isfinite(s)
    ]
    penalized = obj.prior_sd is not None
    flags = pd.Series("", index=names, dtype=object, name="flag")
    lp_terms = separation.terms if separation is not None and separation.separation else []
    if penalized:
        sd_txt = ", ".join(f"{n} {s:g}" for n, s in zip(names, obj.prior_sd, strict=True))
        why = (
            separation.describe()
            if lp_terms
            else f"diverging maximum likelihood estimates of {list(diverged) or names}"
        )
        msgs.append(
            (
                "check_separation",
                f"{why}; fitted by penalised likelihood with normal priors on the fixed effects "
                f"(SD {sd_txt}; as blme::bglmer), all estimates flagged",
            )
        )
        for n in names:
            flags[n] = "penalised model (separation): normal priors on the fixed effects"
        for n in lp_terms or diverged:
            flags[n] = (
                "separation: ML estimate infinite; penalised (normal prior SD "
                f"{float(obj.prior_sd[names.index(n)]):g})"
            )
    elif sep or lp_terms:
        msgs.append(
            (
                "check_separation",
                f"possible complete or quasi-complete separation: {sorted(set(sep) | set(lp_terms))} "
                f"(|coef| > {control.separation_coef:g} or SE > {control.separation_se:g}, or "
                "infinite by the linear-programming check); the estimates are not meaningful "
                "(combine categories, drop the term or use GLMMControl(separation='penalize'))",
            )
        )
        for n in sorted(set(sep) | set(lp_terms)):
            flags[n] = "separation: diverging estimate, not meaningful"
    if diverged_fit:
        for n in names:
            if flags[n] == "":
                flags[n] = "fit diverged (numerical failure): not a maximum likelihood estimate"
    try:
        u, H = obj.modes(opt.x) if obj.modes is not None else conditional_modes(design, opt.x)
    except FloatingPointError:  # only at a diverged point (see optimize_glmm)
        u, H = np.full(design.n_groups, np.nan), np.full(design.n_groups, np.nan)
    re = ranef_frame(
        design.group, design.group_levels, design.group_sizes, sigma * u, sigma / np.sqrt(H)
    )
    conv = ConvergenceInfo(
        converged=converged,
        max_abs_grad=max_grad,
        singular=singular,
        n_iter=opt.n_iter,
        messages=tuple(m for _, m in msgs) + design.warnings,
    )
    method = "Laplace" if obj.nagq == 1 else f"adaptive Gauss-Hermite, nAGQ={obj.nagq}"
    extra: dict[str, Any] = {
        "n_groups": design.n_groups,
        "n_excluded": design.n_excluded,
        "excluded_by": dict(design.excluded_by),
        "deviance": opt.fun - (obj.penalty(opt.x) if obj.prior_sd is not None else 0.0),
        "separation_terms": sorted(set(sep) | set(lp_terms)),
    }
    pen = obj.penalty(opt.x) if penalized else 0.0
    if penalized:
        extra["penalised_deviance"] = opt.fun
        extra["penalty"] = (
            "normal priors on the fixed effects (blme::bglmer fixef.prior = normal); llf is the "
            "unpenalised log-likelihood at the penalised estimates"
        )
    if design.n_excluded:
        extra["rows excluded (missing values)"] = (
            f"{design.n_excluded} ({', '.join(f'{c}: {n}' for c, n in design.excluded_by.items())})"
        )
    res = GLMMResult(
        params=pd.Series(beta, index=names, name="params"),
        cov=pd.DataFrame(cov_b, index=names, columns=names),
        nobs=design.nobs,
        llf=-0.5 * (opt.fun - pen),
        model=f"Generalized linear mixed model (binomial, logit; {method}; native)",
        formula=design.formula,
        cov_type="hessian",
        cov_description=(
            "SEs from the Hessian of the deviance over (theta, beta), as lme4's vcov with "
            "use.hessian=TRUE"
        ),
        n_extra_params=1,
        extra=extra,
        variance_components=pd.Series({design.group: sigma**2}, name="variance"),
        theta=pd.Series({obj.names[0]: sigma}, name="theta"),
        ranef=re,
        convergence=conv,
        optim_info={
            "x": opt.x,
            "start": opt.start,
            "fun": opt.fun,
            "grad": opt.grad,
            "hessian": opt.hessian,
            "n_fev": opt.n_fev,
            "n_iter": opt.n_iter,
            "time_s": opt.time_s,
            "message": opt.message,
            **opt.history,
        },
        family="binomial",
        nagq=obj.nagq,
        backend="native",
        flags=flags,
        separation=separation,
        prior_sd=None if obj.prior_sd is None else np.asarray(obj.prior_sd, dtype=float),
        design=design,
    )
    res.check_messages = list(msgs)
    if apply:
        apply_checks(msgs, control)
    return res
