"""OLS with cluster-robust (CR1) standard errors by institution.

The covariance is chosen at fit time: with ``cluster`` the sandwich estimator

    V = c · (X'X)⁻¹ (Σ_g X_g' u_g u_g' X_g) (X'X)⁻¹,   c = G/(G-1) · (N-1)/(N-K)  (CR1)

is used (statsmodels ``cov_type="cluster"``, identical to Stata's ``vce(cluster)`` and R's
``sandwich::vcovCL(type = "HC1")``), and tests use Student's t with G-1 degrees of freedom.
Without ``cluster`` the classical OLS covariance is used (or HC1 with ``robust=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ._base import FormulaResults, cr1_factor
from ._design import make_design

__all__ = ["OLSResults", "ols"]


@dataclass
class OLSResults(FormulaResults):
    """Result of :func:`ols`: the common contract plus ``rsquared``, ``resid``, ``n_clusters``."""

    rsquared: float = float("nan")
    resid: pd.Series | None = None
    n_clusters: int | None = None


def ols(
    formula: str,
    data: pd.DataFrame,
    cluster: str | None = None,
    *,
    robust: bool = False,
) -> OLSResults:
    """Ordinary least squares from a formula, with cluster-robust standard errors.

    Parameters
    ----------
    formula : str
        patsy formula, e.g. ``"prep_housing ~ instr_ext_housing * need_housing + age"``.
    data : pandas.DataFrame
        Canonical frame (not modified). Rows missing any used variable (or ``cluster``) are
        dropped and counted.
    cluster : str, optional
        Column with the cluster id (e.g. ``"institution_id"``): CR1 cluster-robust covariance.
    robust : bool
        Without ``cluster``: HC1 heteroskedasticity-robust covariance instead of the classical one.

    Returns
    -------
    OLSResults
        ``params``/``bse``/``pvalues``/``conf_int()`` by term (``Intercept`` for the constant),
        ``cov_type`` and ``cov_description`` naming the estimator and its small-sample factor,
        ``extra["n_excluded"]`` (rows dropped) and ``extra["excluded_by"]`` (missing per column).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": np.repeat(list("abcdefghij"), 20), "x": rng.normal(size=200)})
    >>> df["y"] = 1 + 0.5 * df["x"] + rng.normal(size=200)
    >>> r = ols("y ~ x", df, cluster="g")
    >>> r.cov_type, r.n_clusters
    ('cluster', 10)
    """
    d = make_design(formula, data, extra_columns=(cluster,) if cluster else ())
    n, k = d.X.shape
    model = sm.OLS(d.y.to_numpy(), d.X.to_numpy())
    if cluster is not None:
        codes, uniques = pd.factorize(d.frame[cluster].astype(str), sort=True)
        G = len(uniques)
        if G < 2:
            raise ValueError(f"cluster column {cluster!r} has {G} cluster(s); need at least 2")
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
        factor = cr1_factor(G, n, k)
        cov_type = "cluster"
        desc = (
            f"Cluster-robust covariance by {cluster!r} ({G} clusters), CR1 small-sample "
            f"correction G/(G-1)·(N-1)/(N-K) = {factor:.4f}; t tests with G-1 = {G - 1} df."
        )
        df_inf: float = G - 1
        if G < 20:
            desc += f" Few clusters ({G}): cluster-robust SEs may be too small."
    elif robust:
        fit = model.fit(cov_type="HC1", use_t=True)
        G, cov_type, df_inf = None, "HC1", n - k
        desc = f"Heteroskedasticity-robust covariance HC1 (factor N/(N-K) = {n / (n - k):.4f})."
    else:
        fit = model.fit()
        G, cov_type, df_inf = None, "nonrobust", n - k
        desc = "Classical OLS covariance s²(X'X)⁻¹."
    names = d.names
    cov = pd.DataFrame(np.asarray(fit.cov_params()), index=names, columns=names)
    return OLSResults(
        params=pd.Series(np.asarray(fit.params), index=names, name="params"),
        cov=cov,
        nobs=n,
        df_resid=df_inf,
        llf=float(fit.llf),
        use_t=True,
        model="OLS" + (f", cluster-robust by {cluster}" if cluster else ""),
        formula=formula,
        cov_type=cov_type,
        cov_description=desc,
        n_extra_params=1,  # the residual variance
        extra={
            "n_excluded": d.n_excluded,
            "excluded_by": d.excluded_by,
            "n_clusters": G,
            "rsquared": float(fit.rsquared),
        },
        design_info=d.design_info,
        frame=d.frame,
        endog_name=str(d.y.name),
        rsquared=float(fit.rsquared),
        resid=pd.Series(np.asarray(fit.resid), index=d.frame.index, name="resid"),
        n_clusters=G,
    )
