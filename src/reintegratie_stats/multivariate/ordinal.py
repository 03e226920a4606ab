"""Ordinal (proportional-odds) logit for the 1-5 preparedness items, a robustness check.

P(Y ≤ k | x) = F(κ_k − x'β), fitted by :func:`~.cumulative_link.fit_cumulative_link` (Newton
with the exact score and Hessian; the model of R's ``MASS::polr`` and ``ordinal::clm``). There
is no ``Intercept``: the cut-points κ_k play its role and are reported as terms ``"1|2"``,
``"2|3"``, ... (polr's names), on their natural scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..results import ConvergenceInfo, ConvergenceWarning
from ._base import FormulaResults
from ._design import make_design
from .cumulative_link import fit_cumulative_link

__all__ = ["OrdinalResults", "ordinal"]


@dataclass
class OrdinalResults(FormulaResults):
    """Result of :func:`ordinal`: slopes then cut-points, plus ``levels`` and ``convergence``."""

    levels: tuple = ()
    convergence: ConvergenceInfo | None = None

    @property
    def slopes(self) -> pd.Series:
        return self.params.iloc[: len(self.params) - (len(self.levels) - 1)]

    @property
    def cutpoints(self) -> pd.Series:
        return self.params.iloc[len(self.params) - (len(self.levels) - 1) :]


def _level_name(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return str(int(f)) if f.is_integer() else str(v)


def ordinal(
    formula: str,
    data: pd.DataFrame,
    *,
    link: str = "logit",
    max_levels: int = 15,
    separation: Literal["raise", "warn"] = "raise",
) -> OrdinalResults:
    """Proportional-odds (ordinal logit) model from a formula.

    Parameters
    ----------
    formula : str
        patsy formula; the constant is dropped (the cut-points replace it).
    data : pandas.DataFrame
        Not modified; the response must be numeric with at least 3 observed levels.
    link : {"logit", "probit"}
    max_levels : int
        Refuse responses with more distinct values (a continuous score is not ordinal).
    separation : {"raise", "warn"}
        When a category is predicted with certainty (the estimates diverge): raise a
        ``ValueError`` naming the diverging terms (default; chapter 5 lists it among its
        problems), or warn and return the diverged fit, flagged not converged.

    Returns
    -------
    OrdinalResults
        ``params`` = slopes then cut-points ``"1|2"``..., ``cov_params()`` (inverse of the exact
        Hessian), ``llf``, ``extra["n_excluded"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> df = pd.DataFrame({"x": rng.normal(size=300)})
    >>> df["y"] = np.digitize(df["x"] + rng.logistic(size=300), [-1.0, 0.0, 1.0]) + 1.0
    >>> list(ordinal("y ~ x", df).params.index)
    ['x', '1|2', '2|3', '3|4']
    """
    if link not in ("logit", "probit"):
        raise ValueError(f"link must be 'logit' or 'probit', got {link!r}")
    if separation not in ("raise", "warn"):
        raise ValueError(f"separation must be 'raise' or 'warn', got {separation!r}")
    d = make_design(formula, data)
    X = d.X.drop(columns=["Intercept"], errors="ignore")
    if X.shape[1] == 0:
        raise ValueError("ordinal() needs at least one predictor besides the constant")
    y = d.y.astype(float)
    levels = tuple(np.sort(y.unique()))
    if len(levels) < 3:
        raise ValueError(
            f"response {d.y.name!r} has {len(levels)} observed level(s); an ordinal model needs 3+"
        )
    if len(levels) > max_levels:
        raise ValueError(
            f"response {d.y.name!r} has {len(levels)} distinct values (more than max_levels="
            f"{max_levels}); an ordinal model is meant for a few ordered categories such as 1-5"
        )
    codes = np.searchsorted(np.asarray(levels), y.to_numpy())
    fit = fit_cumulative_link(X.to_numpy(dtype=float), codes, len(levels), link)
    m = len(levels) - 1
    cov = fit.cov()
    cut_names = [f"{_level_name(levels[i])}|{_level_name(levels[i + 1])}" for i in range(m)]
    names = list(X.columns) + cut_names
    if fit.separated:
        off = [names[j] for j in fit.diverging]
        msg = (
            f"ordinal model for {d.y.name!r}: separation, the maximum likelihood estimate does "
            f"not exist (diverging: {', '.join(off) or 'all terms'}); a category of the "
            "response is predicted with certainty by the predictors"
        )
        if separation == "raise":
            raise ValueError(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    elif not fit.converged:
        warnings.warn(
            f"ordinal model did not converge for {formula!r}: {fit.message}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return OrdinalResults(
        params=pd.Series(fit.theta, index=names, name="params"),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=int(len(y)),
        llf=fit.llf,
        use_t=False,
        model=f"Ordinal {link} (proportional odds) [Newton, exact Hessian]",
        formula=formula,
        cov_type="hessian",
        cov_description=(
            "Inverse observed information (exact Hessian at the Newton optimum), cut-points "
            "on their natural scale. Slopes: log-odds of a higher category per unit."
        ),
        extra={
            "n_excluded": d.n_excluded,
            "excluded_by": d.excluded_by,
            "link": link,
            "levels": [float(v) for v in levels],
        },
        design_info=None,
        frame=d.frame,
        endog_name=str(d.y.name),
        levels=levels,
        convergence=ConvergenceInfo(
            converged=fit.converged,
            max_abs_grad=float(np.max(np.abs(fit.score))),
            n_iter=fit.n_iter,
            messages=(fit.message,),
        ),
    )
