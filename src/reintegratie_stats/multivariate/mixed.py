"""Linear mixed models with a random intercept per institution (lme4-style formulas).

``backend="native"`` is the shared linear mixed model
:func:`reintegratie_stats.statistics.lmm.fit_lmm` (lme4's profiled deviance and ``vcov``, REML by
default; the same estimator as ``multilevel.lmer``); ``backend="lme4"`` calls R's lme4 through
pymer4. Both return a :class:`MixedResults` with the fixed effects as ``params``, the variances
as ``variance_components`` (and ``group_var``, ``resid_var``, ``icc``) and a ``singular`` flag.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from ..results import ConvergenceInfo, ConvergenceWarning
from ..statistics.formula import split_random
from ..statistics.lmm import fit_lmm, patsy_frame
from ._base import FormulaResults

__all__ = ["MixedResults", "mixed"]


@dataclass
class MixedResults(FormulaResults):
    """Result of :func:`mixed`: fixed effects plus variance components and convergence."""

    group_var: float = float("nan")
    resid_var: float = float("nan")
    convergence: ConvergenceInfo | None = None
    #: variance of each random term (lme4's ``VarCorr``); what ``lrt`` counts for the boundary
    variance_components: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    theta: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    ranef: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def singular(self) -> bool:
        """Boundary fit: a relative SD below 1e-4 (``lme4::isSingular``); its variance is 0."""
        return bool(self.convergence.singular) if self.convergence is not None else False

    @property
    def icc(self) -> float:
        """Intra-class correlation of the random intercept, group_var / (group_var + resid_var)."""
        return self.group_var / (self.group_var + self.resid_var)


def _parse(formula: str) -> tuple[str, str, str]:
    fixed, random = split_random(formula)
    if len(random) != 1:
        raise ValueError(
            f"mixed() needs exactly one random term like '(1 | institution_id)' in {formula!r}, "
            f"found {len(random)}"
        )
    expr, group = random[0]
    return fixed, expr, group


def mixed(
    formula: str,
    data: pd.DataFrame,
    backend: Literal["native", "lme4"] = "native",
    *,
    reml: bool = True,
) -> MixedResults:
    """Linear mixed model from an lme4-style formula.

    Parameters
    ----------
    formula : str
        E.g. ``"prep_housing ~ instr_ext_housing * need_housing + age + (1 | institution_id)"``.
        The fixed part is patsy syntax (constant ``Intercept``); one random term
        ``(1 | group)`` (a random intercept; ``(1 + x | group)`` also works natively).
    data : pandas.DataFrame
        Not modified; incomplete rows are dropped and counted in ``extra["n_excluded"]``.
    backend : {"native", "lme4"}
        The shared native LMM (as lme4), or lme4 via pymer4 (needs R and pymer4).
    reml : bool
        REML (default, as lme4) or maximum likelihood (use ML to compare fixed parts by LR).

    Returns
    -------
    MixedResults
        Fixed effects in ``params``/``bse`` (lme4's covariance), ``variance_components``,
        ``group_var``, ``resid_var``, ``icc``, ``llf`` (REML or ML log-likelihood),
        ``convergence`` and ``singular`` (boundary fit: ``group_var`` is exactly 0).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(20), 15)
    >>> df = pd.DataFrame({"g": g.astype(str), "x": rng.normal(size=300)})
    >>> df["y"] = 1 + 0.5 * df["x"] + rng.normal(0, 0.5, 20)[g] + rng.normal(size=300)
    >>> r = mixed("y ~ x + (1 | g)", df)
    >>> bool(abs(r.params["x"] - 0.5) < 0.2)
    True
    """
    if backend not in ("native", "lme4"):
        raise ValueError(f"backend must be 'native' or 'lme4', got {backend!r}")
    fixed, expr, group = _parse(formula)
    if backend == "lme4":
        from ._lme4 import fit_lme4

        if expr.replace(" ", "") != "1":
            raise ValueError(
                f"backend='lme4' here fits a random intercept only; got ({expr} | {group})"
            )
        return MixedResults(**fit_lme4(formula, fixed, group, data, reml=reml))
    fit = fit_lmm(formula, data, reml=reml)
    n_groups = fit.n_groups[group]
    group_var = float(fit.variance_components.iloc[0])
    resid_var = float(fit.sigma2)
    messages = fit.messages
    names = list(fit.x_names)
    conv = ConvergenceInfo(converged=fit.converged, singular=fit.singular, messages=messages)
    if not fit.converged:  # a boundary fit is an answer (flagged), not a failure
        warnings.warn(f"the LMM did not converge for {formula!r}", ConvergenceWarning, stacklevel=2)
    est = "REML" if reml else "ML"
    cases = fit.design.cases
    return MixedResults(
        params=pd.Series(fit.beta, index=names, name="params"),
        cov=pd.DataFrame(fit.cov_beta, index=names, columns=names),
        nobs=fit.nobs,
        df_resid=None,
        llf=float(fit.llf),
        use_t=False,
        model=f"Linear mixed model ({est}), random intercept by {group} [native, as lme4]",
        formula=formula,
        cov_type="model-based",
        cov_description=(
            f"lme4's covariance of the fixed effects, sigma^2 (X'V^-1 X)^-1 ({est}); "
            f"{n_groups} groups of {group!r}; Wald z tests (no small-sample df correction)."
        ),
        n_extra_params=fit.n_theta + 1,  # lme4 counts theta and the residual variance
        extra={
            "n_excluded": cases.n_excluded,
            "excluded_by": cases.excluded_by,
            "n_groups": n_groups,
            "group_var": group_var,
            "resid_var": resid_var,
            "icc": group_var / (group_var + resid_var),
            "backend": "native",
            "reml": reml,
        },
        design_info=fit.design.design_info,
        frame=patsy_frame(cases.frame),
        endog_name=fit.design.response,
        group_var=group_var,
        resid_var=resid_var,
        convergence=conv,
        variance_components=fit.variance_components,
        theta=pd.Series(fit.theta, index=list(fit.theta_names), name="theta"),
        ranef=fit.ranef,
    )
