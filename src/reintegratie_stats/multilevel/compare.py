"""Likelihood-ratio tests between nested models, with the boundary correction for variances.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from reintegratie_stats.results import ModelResults
>>> def fake(llf, k):
...     names = [f"b{i}" for i in range(k)]
...     return ModelResults(pd.Series(np.zeros(k), index=names),
...                         pd.DataFrame(np.eye(k), index=names, columns=names), nobs=100, llf=llf)
>>> t = lrt(fake(-60.0, 1), fake(-57.0, 2))
>>> float(t["statistic"].iloc[0]), int(t["df"].iloc[0])
(6.0, 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..results import ModelResults

__all__ = ["lrt"]


def _n_variances(m: ModelResults) -> int:
    vc = getattr(m, "variance_components", None)
    return 0 if vc is None else len(vc)


def lrt(small: ModelResults, big: ModelResults, boundary: bool | None = None) -> pd.DataFrame:
    """Likelihood-ratio test of ``small`` nested in ``big``.

    Parameters
    ----------
    small, big : ModelResults
        Fitted by maximum likelihood on the same rows (same ``nobs``); ``big`` has more parameters.
    boundary : bool, optional
        Use the 50:50 mixture of chi-square(df-1) and chi-square(df) for testing one variance
        at its boundary 0 (Self & Liang 1987). Default: automatically when ``big`` has exactly one
        more variance component than ``small`` (e.g. ``glm`` vs ``glmer``).

    Returns
    -------
    pandas.DataFrame
        One row: ``llf_small``, ``llf_big``, ``df``, ``statistic``, ``p_value``, ``p_method``
        (``"chi2"`` or ``"chibar2 (50:50 mixture)"``).

    Raises
    ------
    ValueError
        Different ``nobs``, a missing likelihood, REML fits, or ``big`` not larger than ``small``.
    """
    for m, name in ((small, "small"), (big, "big")):
        if m.llf is None or not np.isfinite(m.llf):
            raise ValueError(f"the {name} model has no log-likelihood (e.g. the 'bayes' backend)")
        if m.extra.get("reml"):
            raise ValueError(
                f"the {name} model was fitted by REML; refit with reml=False for a likelihood-ratio test"
            )
    if small.nobs != big.nobs:
        raise ValueError(
            f"models were fitted on different rows (nobs {small.nobs} vs {big.nobs}); "
            "fit both on the same complete cases"
        )
    df = big.k_params - small.k_params
    if df <= 0:
        raise ValueError(
            f"big model must have more parameters than the small one (got {big.k_params} vs "
            f"{small.k_params})"
        )
    stat = max(2.0 * (big.llf - small.llf), 0.0)
    if boundary is None:
        boundary = _n_variances(big) - _n_variances(small) == 1 and df == 1
    if boundary:
        p = 0.5 * stats.chi2.sf(stat, df) + (
            0.5 * stats.chi2.sf(stat, df - 1) if df > 1 else 0.5 * float(stat <= 0)
        )
        method = "chibar2 (50:50 mixture)"
    else:
        p = float(stats.chi2.sf(stat, df))
        method = "chi2"
    return pd.DataFrame(
        {
            "llf_small": [float(small.llf)],
            "llf_big": [float(big.llf)],
            "df": [int(df)],
            "statistic": [stat],
            "p_value": [float(p)],
            "p_method": [method],
        }
    )
