"""Multiple imputation by chained equations (statsmodels ``MICEData``), pooled by Rubin's rules.

An option next to the default listwise deletion: the numeric variables of the formula are
imputed ``n_imputations`` times (predictive mean matching, statsmodels' default), :func:`ols`
is fitted to each completed data set with the requested covariance (e.g. cluster-robust), and
the results are pooled: β̄ = mean βₘ, T = W̄ + (1 + 1/m)·B (W̄: mean within covariance,
B: between-imputation covariance), and Rubin's (1987) large-sample degrees of freedom
ν = (m − 1)(1 + 1/r)², r = (1 + 1/m)·Bⱼⱼ / W̄ⱼⱼ; the smallest ν over terms is used for t tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..results import ModelResults
from ._design import formula_variables
from .ols import ols

__all__ = ["mice_ols", "rubin_pool"]


def rubin_pool(results: Sequence[ModelResults]) -> ModelResults:
    """Pool estimates from imputed data sets with Rubin's rules.

    Returns
    -------
    ModelResults
        Pooled ``params`` and covariance T; ``extra`` holds ``n_imputations``, per-term
        ``fmi`` (fraction of missing information (1+1/m)Bⱼⱼ/Tⱼⱼ) and ``df_rubin``.
    """
    if len(results) < 2:
        raise ValueError("Rubin's rules need at least two imputed fits")
    names = list(results[0].params.index)
    for r in results[1:]:
        if list(r.params.index) != names:
            raise ValueError("the imputed fits have different terms; cannot pool")
    m = len(results)
    P = np.vstack([r.params.to_numpy() for r in results])
    W = sum(r.cov.to_numpy() for r in results) / m
    B = np.cov(P, rowvar=False, ddof=1)
    T = W + (1 + 1 / m) * B
    ratio = (1 + 1 / m) * np.diag(B) / np.diag(W)
    with np.errstate(divide="ignore"):
        df = (m - 1) * (1 + 1 / ratio) ** 2
    fmi = (1 + 1 / m) * np.diag(B) / np.diag(T)
    first = results[0]
    return ModelResults(
        params=pd.Series(P.mean(axis=0), index=names, name="params"),
        cov=pd.DataFrame(T, index=names, columns=names),
        nobs=first.nobs,
        df_resid=float(np.min(df)) if np.all(np.isfinite(df)) else first.df_resid,
        use_t=True,
        model=f"{first.model} — {m} imputations pooled by Rubin's rules",
        formula=first.formula,
        cov_type=f"rubin({first.cov_type})",
        cov_description=(
            f"Rubin's rules over {m} imputations: T = W + (1+1/m)B with W the mean of: "
            f"{first.cov_description}"
        ),
        extra={
            "n_imputations": m,
            "fmi": dict(zip(names, fmi.tolist(), strict=True)),
            "df_rubin": dict(zip(names, df.tolist(), strict=True)),
            "n_excluded": 0,
        },
    )


def mice_ols(
    formula: str,
    data: pd.DataFrame,
    cluster: str | None = None,
    *,
    n_imputations: int = 20,
    n_burnin: int = 10,
    n_skip: int = 3,
    seed: int = 0,
    impute: Sequence[str] | None = None,
) -> ModelResults:
    """:func:`ols` with missing predictors/outcome multiply imputed (statsmodels MICE).

    Parameters
    ----------
    formula, data, cluster
        As for :func:`ols`. ``cluster`` and string columns are not imputed: rows missing them
        are dropped and counted in ``extra["n_excluded"]``.
    n_imputations, n_burnin, n_skip : int
        As statsmodels ``MICE.fit`` (``n_skip`` update cycles between kept data sets).
    seed : int
        Seeds the imputation (``numpy.random.default_rng``); same seed, same numbers.
    impute : sequence of str, optional
        Extra numeric columns to use in the imputation models (auxiliary variables).

    Returns
    -------
    ModelResults
        Pooled by :func:`rubin_pool`; ``extra["n_imputed_cells"]`` per column.
    """
    from statsmodels.imputation.mice import MICEData

    cols = formula_variables(formula, data)
    if cluster and cluster not in cols:
        cols.append(cluster)
    cols += [c for c in (impute or []) if c not in cols]
    sub = data[cols]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(sub[c].dtype)]
    other = [c for c in cols if c not in numeric]
    keep = sub[other].notna().all(axis=1) if other else pd.Series(True, index=sub.index)
    n_excl = int((~keep).sum())
    num = sub.loc[keep, numeric].astype(float).reset_index(drop=True)
    # MICEData insists on object-dtype column labels (pandas 3 makes them str dtype)
    num.columns = pd.Index([str(c) for c in num.columns], dtype=object)
    rest = sub.loc[keep, other].reset_index(drop=True)
    n_imputed = {c: int(num[c].isna().sum()) for c in numeric if num[c].isna().any()}
    if not n_imputed:
        raise ValueError("nothing to impute: the numeric variables of the formula are complete")
    imp = MICEData(num.copy(), rng=np.random.default_rng(seed))
    imp.update_all(n_burnin)
    fits = []
    for _ in range(n_imputations):
        imp.update_all(n_skip + 1)
        completed = pd.concat([imp.data.reset_index(drop=True), rest], axis=1)
        fits.append(ols(formula, completed, cluster=cluster))
    pooled = rubin_pool(fits)
    pooled.extra.update(
        {"n_excluded": n_excl, "n_imputed_cells": n_imputed, "seed": seed, "n_burnin": n_burnin}
    )
    return pooled
