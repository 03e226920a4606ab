"""Linear mixed models with a random intercept per institution (lme4-style formulas).

``backend="native"`` fits statsmodels ``MixedLM`` (REML by default); ``backend="lme4"`` calls
R's lme4 through pymer4 (or through ``reintegratie_stats.multilevel.lmer`` when that module is
present). Both return a :class:`MixedResults` with the fixed effects as ``params`` and the
variance components in ``extra`` (``group_var``, ``resid_var``, ``icc``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..results import ConvergenceInfo, ConvergenceWarning
from ._base import FormulaResults
from ._design import make_design, split_random

__all__ = ["MixedResults", "mixed"]


@dataclass
class MixedResults(FormulaResults):
    """Result of :func:`mixed`: fixed effects plus variance components and convergence."""

    group_var: float = float("nan")
    resid_var: float = float("nan")
    convergence: ConvergenceInfo | None = None

    @property
    def icc(self) -> float:
        """Intra-class correlation of the random intercept, group_var / (group_var + resid_var)."""
        return self.group_var / (self.group_var + self.resid_var)


def _n_variance_params(exog_re: pd.DataFrame | None) -> int:
    # lme4 counts the random-effects covariance parameters plus the residual variance.
    q = 1 if exog_re is None else exog_re.shape[1]
    return q * (q + 1) // 2 + 1


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
        statsmodels MixedLM, or lme4 via pymer4 (needs R and pymer4).
    reml : bool
        REML (default, as lme4) or maximum likelihood (use ML to compare fixed parts by LR).

    Returns
    -------
    MixedResults
        Fixed effects in ``params``/``bse`` (model-based covariance), ``group_var``,
        ``resid_var``, ``icc``, ``llf`` (REML or ML log-likelihood), ``convergence``.

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
        return fit_lme4(formula, fixed, group, data, reml=reml)
    import statsmodels.api as sm

    d = make_design(fixed, data, extra_columns=(group,))
    groups = d.frame[group].astype(str).to_numpy()
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(f"group column {group!r} has {n_groups} level(s); need at least 2")
    if expr.replace(" ", "") == "1":
        exog_re = None
        # an explicit column of ones: MixedLM's own default for exog_re=None misbehaves here
        re_matrix = pd.DataFrame({"Group": np.ones(len(d.X))}, index=d.X.index)
    else:
        import patsy

        exog_re = patsy.dmatrix(expr, d.frame, return_type="dataframe")
        re_matrix = exog_re
    model = sm.MixedLM(d.y, d.X, groups=groups, exog_re=re_matrix)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # statsmodels tries the methods in turn; its L-BFGS start can stall at a
        # zero-variance point (seen on tests/reference/mv_small.csv), so BFGS goes first.
        fit = model.fit(reml=reml, method=["bfgs", "powell"])
    messages = tuple(str(w.message) for w in caught)
    k = d.X.shape[1]
    names = d.names
    fe_cov = np.asarray(fit.cov_params())[:k, :k]
    group_var = float(np.asarray(fit.cov_re)[0, 0])
    singular = group_var < 1e-8 * max(float(fit.scale), 1e-12)
    conv = ConvergenceInfo(converged=bool(fit.converged), singular=singular, messages=messages)
    if not fit.converged:
        warnings.warn(f"MixedLM did not converge for {formula!r}", ConvergenceWarning, stacklevel=2)
    if singular:
        messages = messages + ("random-intercept variance estimated at 0 (boundary fit)",)
    est = "REML" if reml else "ML"
    return MixedResults(
        params=pd.Series(np.asarray(fit.fe_params), index=names, name="params"),
        cov=pd.DataFrame(fe_cov, index=names, columns=names),
        nobs=int(d.X.shape[0]),
        df_resid=None,
        llf=float(fit.llf),
        use_t=False,
        model=f"Linear mixed model ({est}), random intercept by {group} [statsmodels MixedLM]",
        formula=formula,
        cov_type="model-based",
        cov_description=(
            f"Model-based covariance of the fixed effects ({est}); {n_groups} groups of {group!r}; "
            "Wald z tests (no small-sample df correction)."
        ),
        n_extra_params=_n_variance_params(exog_re),
        extra={
            "n_excluded": d.n_excluded,
            "excluded_by": d.excluded_by,
            "n_groups": n_groups,
            "group_var": group_var,
            "resid_var": float(fit.scale),
            "icc": group_var / (group_var + float(fit.scale)),
            "backend": "native",
            "reml": reml,
        },
        design_info=d.design_info,
        frame=d.frame,
        endog_name=str(d.y.name),
        group_var=group_var,
        resid_var=float(fit.scale),
        convergence=conv,
    )
