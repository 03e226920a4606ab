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
>>> float(t["statistic"].iloc[0]), int(t["df"].iloc[0]), t["flag"].iloc[0]
(6.0, 1, '')
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..results import ConvergenceWarning, ModelResults

__all__ = ["lrt", "chibar2_sf"]

#: |2 (llf_big - llf_small)| below this (plus 1e-9 |llf|) is numerical noise around 0
_STAT_TOL = 1e-6


def _n_variances(m: ModelResults) -> int:
    vc = getattr(m, "variance_components", None)
    return 0 if vc is None else len(vc)


def _converged(m: ModelResults) -> bool:
    conv = getattr(m, "convergence", None)
    return True if conv is None else bool(conv.converged)


def chibar2_sf(stat: float, df: int, k: int) -> float:
    """Upper tail of the chi-bar-square mixture for ``k`` variances tested at 0 among ``df``.

    For ``k`` independent variance components on their boundary and ``df - k`` ordinary
    parameters, the null distribution is the binomial(k, 1/2) mixture of chi-square(df - k + j),
    j = 0..k (Self & Liang 1987; Stram & Lee 1994); ``k = 1`` is the 50:50 mixture of
    chi-square(df - 1) and chi-square(df) (chi-square(0) is a point mass at 0).

    Examples
    --------
    >>> round(chibar2_sf(2.706, 1, 1), 4)  # half of the chi-square(1) p-value
    0.05
    """
    if k < 1 or k > df:
        raise ValueError(f"need 1 <= k <= df variances on the boundary, got k={k}, df={df}")
    p = 0.0
    for j in range(k + 1):
        w = stats.binom.pmf(j, k, 0.5)
        d = df - k + j
        p += w * (float(stat <= 0) if d == 0 else float(stats.chi2.sf(stat, d)))
    return float(min(p, 1.0))


def lrt(
    small: ModelResults,
    big: ModelResults,
    boundary: bool | None = None,
    *,
    nonconverged: Literal["flag", "raise"] = "flag",
) -> pd.DataFrame:
    """Likelihood-ratio test of ``small`` nested in ``big``.

    Parameters
    ----------
    small, big : ModelResults
        Fitted by maximum likelihood on the same rows (same ``nobs``); ``big`` has more parameters.
    boundary : bool, optional
        Refer the statistic to the chi-bar-square mixture (:func:`chibar2_sf`) because variance
        components are tested at their boundary 0. Default: whenever ``big`` has more
        ``variance_components`` than ``small`` -- ``glm``/``ols`` against a mixed model, or a
        mixed model against one with an extra random term -- whatever the results class.
    nonconverged : {"flag", "raise"}
        What to do when a fit did not converge, or the statistic is negative beyond numerical
        noise (the big model did not reach its maximum, which is at least the small one's):
        ``"raise"`` a ValueError, or ``"flag"`` -- say so in the ``flag`` column (and warn); a
        negative statistic then gets ``p_value`` NaN, never a clipped 0 with p = 1.

    Returns
    -------
    pandas.DataFrame
        One row: ``llf_small``, ``llf_big``, ``df``, ``statistic``, ``p_value``, ``p_method``
        (``"chi2"`` or ``"chibar2 (50:50 mixture)"``), ``converged`` (both fits), ``flag``
        (empty when nothing is wrong).

    Raises
    ------
    ValueError
        Different ``nobs``, a missing likelihood, REML fits, ``big`` not larger than ``small``;
        with ``nonconverged="raise"`` also a non-converged fit or a negative statistic.
    """
    if nonconverged not in ("flag", "raise"):
        raise ValueError(f"nonconverged must be 'flag' or 'raise', got {nonconverged!r}")
    for m, name in ((small, "small"), (big, "big")):
        if m.llf is None or not np.isfinite(m.llf):
            raise ValueError(f"the {name} model has no finite log-likelihood (llf={m.llf})")
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
    flags = [
        f"the {name} model did not converge"
        for m, name in ((small, "small"), (big, "big"))
        if not _converged(m)
    ]
    raw = 2.0 * (float(big.llf) - float(small.llf))
    tol = _STAT_TOL + 1e-9 * max(abs(float(big.llf)), abs(float(small.llf)))
    negative = raw < -tol
    if negative:
        flags.append(
            f"negative LR statistic {raw:.6g}: the big model did not reach its maximum "
            "(refit it, e.g. from the small model's estimates)"
        )
    if flags and nonconverged == "raise":
        raise ValueError("likelihood-ratio test refused: " + "; ".join(flags))
    for f in flags:
        warnings.warn(f"lrt: {f}", ConvergenceWarning, stacklevel=2)
    stat = max(raw, 0.0) if not negative else raw  # |raw| <= tol is 0 up to rounding
    k_var = _n_variances(big) - _n_variances(small)
    if boundary is None:
        boundary = k_var >= 1
    if negative:
        p = float("nan")
    elif boundary:
        p = chibar2_sf(stat, df, min(max(k_var, 1), df))
    else:
        p = float(stats.chi2.sf(stat, df))
    method = (
        ("chibar2 (50:50 mixture)" if max(k_var, 1) == 1 else f"chibar2 ({k_var} variances)")
        if boundary
        else "chi2"
    )
    return pd.DataFrame(
        {
            "llf_small": [float(small.llf)],
            "llf_big": [float(big.llf)],
            "df": [int(df)],
            "statistic": [stat],
            "p_value": [p],
            "p_method": [method],
            "converged": [_converged(small) and _converged(big)],
            "flag": ["; ".join(flags)],
        }
    )
