"""Intervals for proportions and means, and the effective sample size under weighting.

Small, pure functions on numbers and arrays (no codebook, no data frames with canonical names),
each checked in ``tests/test_statistics_intervals.py`` against statsmodels/scipy and a
hand-computed textbook value.

Choices (and why)
-----------------
- **Proportion intervals**: Wilson by default (good coverage at small n and near 0/1, never
  outside [0, 1]); Clopper-Pearson ("exact", conservative) as an option. With survey weights
  the same formulas are applied to the Kish effective sample size
  ``n_eff = (sum w)^2 / sum w^2`` and the weighted proportion; ``"linearization"`` gives a
  Wald interval with the Taylor-linearised variance of the ratio estimator ``sum(w y)/sum(w)``
  (optionally with clusters, e.g. institutions), clipped to [0, 1].

Examples
--------
>>> lo, hi = wilson_interval(7, 10)
>>> round(lo, 4), round(hi, 4)
(0.3968, 0.8922)
>>> round(kish_effective_n([1.0, 1.0, 2.0]), 3)
2.667
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "CI_METHODS",
    "CIMethod",
    "clopper_pearson_interval",
    "kish_effective_n",
    "linearized_proportion_interval",
    "mean_interval",
    "normal_quantile",
    "proportion_interval",
    "wilson_interval",
]

CIMethod = Literal["wilson", "clopper-pearson", "linearization"]
CI_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson", "linearization")


def normal_quantile(alpha: float) -> float:
    """The two-sided normal quantile ``z_{1 - alpha/2}`` (1.96 for ``alpha=0.05``)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    return float(stats.norm.ppf(1 - alpha / 2))


def wilson_interval(successes: float, n: float, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n``.

    Accepts non-integer ``successes`` and ``n`` (effective counts under weighting).
    Returns ``(nan, nan)`` when ``n`` is 0.
    """
    if n < 0 or successes < 0 or successes > n + 1e-9:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (np.nan, np.nan)
    z = normal_quantile(alpha)
    p = successes / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    # exact at the ends (0 of n: lower 0; n of n: upper 1) and never across the estimate:
    # rounding gives 0.9999999999999999 < 1.0 for n of n, which plotting code rejects
    lo = 0.0 if successes <= 0 else min(p, max(0.0, centre - half))
    hi = 1.0 if successes >= n else max(p, min(1.0, centre + half))
    return (float(lo), float(hi))


def clopper_pearson_interval(
    successes: float, n: float, alpha: float = 0.05
) -> tuple[float, float]:
    """Clopper-Pearson ("exact", beta-quantile) interval for ``successes / n``."""
    if n < 0 or successes < 0 or successes > n + 1e-9:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return (np.nan, np.nan)
    lo = 0.0 if successes <= 0 else float(stats.beta.ppf(alpha / 2, successes, n - successes + 1))
    hi = (
        1.0
        if successes >= n
        else float(stats.beta.ppf(1 - alpha / 2, successes + 1, n - successes))
    )
    p = successes / n  # the bounds never cross the estimate (fractional Kish counts)
    return (min(lo, p), max(hi, p))


def kish_effective_n(weights: np.ndarray | pd.Series) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, dtype=float)
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and non-negative")
    s2 = float(np.sum(w**2))
    return float(np.sum(w) ** 2 / s2) if s2 > 0 else 0.0


def linearized_proportion_interval(
    y: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    alpha: float = 0.05,
    cluster: np.ndarray | pd.Series | None = None,
) -> tuple[float, float, float]:
    """Design-based (Taylor-linearised) Wald interval for a weighted proportion.

    The estimator is the ratio ``p = sum(w y) / sum(w)``; its linearised variance is
    ``sum_c (sum_{i in c} w_i (y_i - p))^2 * C / (C - 1) / (sum w)^2`` over clusters ``c``
    (each row its own cluster when ``cluster`` is None). The interval is clipped to [0, 1].

    Returns
    -------
    (estimate, ci_low, ci_high)
    """
    yv = np.asarray(y, dtype=float)
    w = np.ones_like(yv) if weights is None else np.asarray(weights, dtype=float)
    if yv.size == 0 or w.sum() <= 0:
        return (np.nan, np.nan, np.nan)
    p = float(min(1.0, max(0.0, np.sum(w * yv) / np.sum(w))))
    u = w * (yv - p)
    if cluster is not None:
        u = pd.Series(u).groupby(np.asarray(cluster)).sum().to_numpy()
    m = u.size
    if m < 2:
        return (p, np.nan, np.nan)
    var = float(np.sum(u**2)) * m / (m - 1) / float(np.sum(w)) ** 2
    half = normal_quantile(alpha) * np.sqrt(var)
    return (p, max(0.0, min(p, p - half)), min(1.0, max(p, p + half)))


def proportion_interval(
    y: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    method: CIMethod = "wilson",
    alpha: float = 0.05,
    cluster: np.ndarray | pd.Series | None = None,
) -> dict[str, Any]:
    """Proportion of ones in the 0/1 vector ``y`` with its interval.

    Unweighted: Wilson or Clopper-Pearson on ``(sum y, n)``. Weighted: the weighted
    proportion, with Wilson/Clopper-Pearson applied to the Kish effective counts
    ``(p * n_eff, n_eff)``, or the linearised interval (``method="linearization"``, the only
    method that uses ``cluster``).

    Returns
    -------
    dict with ``rate, ci_low, ci_high, effective_n, ci_method``.
    """
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {CI_METHODS}, got {method!r}")
    yv = np.asarray(y, dtype=float)
    if yv.size and not np.isin(yv, (0.0, 1.0)).all():
        bad = sorted(set(yv[~np.isin(yv, (0.0, 1.0))].tolist()))[:5]
        raise ValueError(f"proportion_interval needs 0/1 values, found {bad}")
    if cluster is not None and method != "linearization":
        raise ValueError("cluster is only used by method='linearization'")
    if method == "linearization":
        p, lo, hi = linearized_proportion_interval(yv, weights, alpha, cluster)
        n_eff = float(yv.size) if weights is None else kish_effective_n(weights)
        label = "linearization" + (" (clustered)" if cluster is not None else "")
        return {"rate": p, "ci_low": lo, "ci_high": hi, "effective_n": n_eff, "ci_method": label}
    if weights is None:
        n = float(yv.size)
        x = float(yv.sum())
        label = method
    else:
        w = np.asarray(weights, dtype=float)
        n = kish_effective_n(w)
        x = float(np.sum(w * yv) / np.sum(w)) * n if w.sum() > 0 else 0.0
        label = f"{method} (Kish effective n)"
    fn = wilson_interval if method == "wilson" else clopper_pearson_interval
    lo, hi = fn(min(x, n), n, alpha)
    return {
        "rate": min(x, n) / n if n > 0 else np.nan,
        "ci_low": lo,
        "ci_high": hi,
        "effective_n": n,
        "ci_method": label,
    }


def mean_interval(
    y: np.ndarray | pd.Series, weights: np.ndarray | pd.Series | None = None, alpha: float = 0.05
) -> dict[str, float]:
    """Mean, SD and t-interval of ``y`` (weighted: Kish effective n for the standard error).

    Returns
    -------
    dict with ``mean, sd, ci_low, ci_high``.
    """
    yv = np.asarray(y, dtype=float)
    if yv.size == 0:
        return {"mean": np.nan, "sd": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if weights is None:
        n = float(yv.size)
        mean = float(yv.mean())
        sd = float(yv.std(ddof=1)) if yv.size > 1 else np.nan
    else:
        w = np.asarray(weights, dtype=float)
        n = kish_effective_n(w)
        mean = float(np.sum(w * yv) / np.sum(w))
        # reliability-weights unbiased variance
        v1, v2 = np.sum(w), np.sum(w**2)
        denom = v1 - v2 / v1
        sd = float(np.sqrt(np.sum(w * (yv - mean) ** 2) / denom)) if denom > 0 else np.nan
    if n <= 1 or not np.isfinite(sd):
        return {"mean": mean, "sd": sd, "ci_low": np.nan, "ci_high": np.nan}
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * sd / np.sqrt(n)
    return {"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}
