"""Ordinal (proportional-odds) logit for the 1-5 preparedness items, a robustness check.

statsmodels ``OrderedModel`` with a logit link: P(Y ≤ k | x) = F(κ_k − x'β). There is no
``Intercept``: the cut-points κ_k play its role and are reported as terms ``"1|2"``, ``"2|3"``,
... (the names of R's ``MASS::polr``), on their natural scale (statsmodels estimates the first
cut-point and the logs of the increments; the covariance is carried over by the delta method).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..results import ConvergenceInfo, ConvergenceWarning
from ._base import FormulaResults
from ._design import make_design

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


def _ordered_model(link: str):
    """statsmodels ``OrderedModel``; for the logit link with the logistic cdf as ``expit``.

    ``scipy.stats.logistic.cdf`` is ``expit`` behind argument checks that cost more than the
    arithmetic; the optimiser (numerical gradient) calls it ~10,000 times per model. The values
    are the same bits (``expit(±inf)`` is exactly 1/0), so the fit is unchanged.
    """
    from scipy.special import expit
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    if link != "logit":
        return OrderedModel

    class LogitOrderedModel(OrderedModel):
        def cdf(self, x):
            return expit(x)

    return LogitOrderedModel


def _level_name(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return str(int(f)) if f.is_integer() else str(v)


def ordinal(
    formula: str, data: pd.DataFrame, *, link: str = "logit", max_levels: int = 15
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

    Returns
    -------
    OrdinalResults
        ``params`` = slopes then cut-points ``"1|2"``..., ``cov_params()`` (inverse Hessian,
        cut-points by the delta method), ``llf``, ``extra["n_excluded"]``.

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
    endog = pd.Series(
        pd.Categorical(y, categories=list(levels), ordered=True), index=y.index, name=d.y.name
    )
    model = _ordered_model(link)(endog, X.astype(float), distr=link)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8)
        if not fit.mle_retvals.get("converged", True):
            # BFGS can stop on precision loss near the optimum; Newton polishes from there
            fit = model.fit(method="newton", start_params=fit.params, disp=False, maxiter=100)
    messages = tuple(str(w.message) for w in caught)
    grad = model.score(np.asarray(fit.params))
    converged = bool(fit.mle_retvals.get("converged", True)) or float(np.max(np.abs(grad))) < 1e-4
    if not converged:
        warnings.warn(
            f"OrderedModel did not converge for {formula!r}", ConvergenceWarning, stacklevel=2
        )
    k = X.shape[1]
    theta = np.asarray(fit.params)
    V = np.asarray(fit.cov_params())
    raw = theta[k:]
    cuts = np.concatenate([[raw[0]], raw[0] + np.cumsum(np.exp(raw[1:]))])
    m = len(raw)
    J = np.zeros((k + m, k + m))
    J[:k, :k] = np.eye(k)
    for i in range(m):
        J[k + i, k] = 1.0
        for j in range(1, i + 1):
            J[k + i, k + j] = np.exp(raw[j])
    cov = J @ V @ J.T
    cut_names = [f"{_level_name(levels[i])}|{_level_name(levels[i + 1])}" for i in range(m)]
    names = list(X.columns) + cut_names
    return OrdinalResults(
        params=pd.Series(np.concatenate([theta[:k], cuts]), index=names, name="params"),
        cov=pd.DataFrame(cov, index=names, columns=names),
        nobs=int(len(y)),
        llf=float(fit.llf),
        use_t=False,
        model=f"Ordinal {link} (proportional odds) [statsmodels OrderedModel]",
        formula=formula,
        cov_type="hessian",
        cov_description=(
            "Inverse observed information (BFGS optimum); cut-points on their natural scale "
            "via the delta method. Slopes: log-odds of a higher category per unit."
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
            converged=converged, max_abs_grad=float(np.max(np.abs(grad))), messages=messages
        ),
    )
