"""Intervals, tests and effect sizes shared by :mod:`descriptives` and :mod:`bivariate`.

Small, pure functions on numbers and arrays (no codebook, no data frames with canonical names),
each checked in ``tests/test_stats_util.py`` against statsmodels/scipy and a hand-computed
textbook value.

Choices (and why)
-----------------
- **Proportion intervals**: Wilson by default (good coverage at small n and near 0/1, never
  outside [0, 1]); Clopper-Pearson ("exact", conservative) as an option. With survey weights
  the same formulas are applied to the Kish effective sample size
  ``n_eff = (sum w)^2 / sum w^2`` and the weighted proportion; ``"linearization"`` gives a
  Wald interval with the Taylor-linearised variance of the ratio estimator ``sum(w y)/sum(w)``
  (optionally with clusters, e.g. institutions), clipped to [0, 1].
- **Chi-square or Fisher**: Pearson's chi-square *without* Yates's continuity correction by
  default. Yates's correction is known to be conservative, and the cells where it matters
  (small expected counts) are handed to Fisher's exact test anyway (the "expected count < 5"
  rule). ``correction=True`` applies Yates (as ``scipy.stats.chi2_contingency`` does by
  default for 2x2 tables). For r x c tables with small expected counts the exact
  Fisher-Freeman-Halton p-value is estimated by Monte Carlo over tables with the observed
  margins (seeded, so reproducible). The ``test`` field always names the test used.
- **Odds ratio**: Woolf (log) interval; when any cell is zero 0.5 is added to every cell
  (Haldane-Anscombe correction) and the result says so (``or_correction="haldane"``).
- **Multiple testing**: Holm (controls the family-wise error rate without assumptions) by
  default; Benjamini-Hochberg (false discovery rate) and Bonferroni as options. Missing
  p-values are ignored (not counted in the family) and stay missing.

Examples
--------
>>> lo, hi = wilson_interval(7, 10)
>>> round(lo, 4), round(hi, 4)
(0.3968, 0.8922)
>>> r = odds_ratio([[3, 1], [1, 3]])
>>> round(r["odds_ratio"], 1), r["or_correction"]
(9.0, 'none')
>>> round(float(adjust_pvalues([0.01, 0.04, 0.03], "holm")[0]), 2)
0.03
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "CI_METHODS",
    "P_ADJUST_METHODS",
    "adjust_pvalues",
    "association_2x2",
    "clopper_pearson_interval",
    "contingency_test",
    "cramers_v",
    "kish_effective_n",
    "linearized_proportion_interval",
    "mean_interval",
    "odds_ratio",
    "phi_coefficient",
    "proportion_interval",
    "weighted_table",
    "wilson_interval",
]

CIMethod = Literal["wilson", "clopper-pearson", "linearization"]
CI_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson", "linearization")
PAdjust = Literal["holm", "fdr_bh", "bonferroni", "none"]
P_ADJUST_METHODS: tuple[str, ...] = ("holm", "fdr_bh", "bonferroni", "none")

#: Fisher's exact test (or its r x c Monte Carlo version) is used when an expected count is below this.
MIN_EXPECTED = 5.0


def _z(alpha: float) -> float:
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
    z = _z(alpha)
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
    half = _z(alpha) * np.sqrt(var)
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


def weighted_table(
    x: np.ndarray | pd.Series,
    y: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    x_levels: Sequence[Any] | None = None,
    y_levels: Sequence[Any] | None = None,
) -> np.ndarray:
    """Cross-table of ``x`` (rows) by ``y`` (columns), weighted sums or counts.

    Levels default to the sorted observed values; pass ``(1, 0)`` for the epidemiological 2x2
    layout used by :func:`odds_ratio` (exposed first, outcome first).
    """
    xa, ya = np.asarray(x), np.asarray(y)
    w = np.ones(len(xa)) if weights is None else np.asarray(weights, dtype=float)
    xl = list(x_levels) if x_levels is not None else sorted(pd.unique(xa).tolist())
    yl = list(y_levels) if y_levels is not None else sorted(pd.unique(ya).tolist())
    out = np.zeros((len(xl), len(yl)))
    for i, a in enumerate(xl):
        for j, b in enumerate(yl):
            out[i, j] = w[(xa == a) & (ya == b)].sum()
    return out


def odds_ratio(
    table: Sequence[Sequence[float]] | np.ndarray, alpha: float = 0.05
) -> dict[str, Any]:
    """Odds ratio ``(a d) / (b c)`` of the 2x2 table ``[[a, b], [c, d]]`` with a Woolf interval.

    Rows are exposure yes/no, columns outcome yes/no. If any cell is zero, 0.5 is added to all
    four cells (Haldane-Anscombe) and ``or_correction`` is ``"haldane"``; else ``"none"``.

    Returns
    -------
    dict with ``odds_ratio, ci_low, ci_high, log_or_se, or_correction``.
    """
    t = np.asarray(table, dtype=float)
    if t.shape != (2, 2):
        raise ValueError(f"odds_ratio needs a 2x2 table, got shape {t.shape}")
    if np.any(t < 0):
        raise ValueError("table counts must be non-negative")
    corr = "none"
    if np.any(t == 0):
        t = t + 0.5
        corr = "haldane"
    a, b, c, d = t.ravel()
    log_or = np.log(a * d / (b * c))
    se = float(np.sqrt(1 / a + 1 / b + 1 / c + 1 / d))
    z = _z(alpha)
    return {
        "odds_ratio": float(np.exp(log_or)),
        "ci_low": float(np.exp(log_or - z * se)),
        "ci_high": float(np.exp(log_or + z * se)),
        "log_or_se": se,
        "or_correction": corr,
    }


def phi_coefficient(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Signed phi of a 2x2 table: ``(ad - bc) / sqrt(row and column margins)``.

    Equals the Pearson correlation of the two 0/1 variables (sign: rows/columns ordered (1, 0)
    or both (0, 1)). NaN when a margin is zero.
    """
    t = np.asarray(table, dtype=float)
    if t.shape != (2, 2):
        raise ValueError(f"phi needs a 2x2 table, got shape {t.shape}")
    a, b, c, d = t.ravel()
    den = np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
    return float((a * d - b * c) / den) if den > 0 else np.nan


def cramers_v(table: Sequence[Sequence[float]] | np.ndarray) -> float:
    """Cramér's V ``sqrt(chi2 / (n (min(r, c) - 1)))`` from the uncorrected Pearson chi-square."""
    t = _drop_empty(np.asarray(table, dtype=float))
    k = min(t.shape) - 1
    n = t.sum()
    if k < 1 or n == 0:
        return np.nan
    chi2 = stats.chi2_contingency(t, correction=False)[0]
    return float(np.sqrt(chi2 / (n * k)))


def _drop_empty(t: np.ndarray) -> np.ndarray:
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def contingency_test(
    table: Sequence[Sequence[float]] | np.ndarray,
    correction: bool = False,
    min_expected: float = MIN_EXPECTED,
    n_resamples: int = 4999,
    seed: int = 0,
) -> dict[str, Any]:
    """Chi-square test of independence, or Fisher's exact test where an expected count is small.

    Empty rows/columns are dropped first. If the smallest expected count is below
    ``min_expected``: a 2x2 table gets Fisher's exact test (two-sided,
    ``scipy.stats.fisher_exact``); a larger table gets the Fisher-Freeman-Halton test with a
    Monte Carlo p-value (``n_resamples`` tables with the observed margins, ``seed``). Otherwise
    Pearson's chi-square, with Yates's correction on 2x2 tables only if ``correction``.
    Non-integer (weighted) tables are rounded before an exact test.

    Returns
    -------
    dict with ``test, statistic, dof, p_value, min_expected, cramers_v``; ``test`` is one of
    ``"chi2"``, ``"chi2 (Yates)"``, ``"fisher"``, ``"fisher-freeman-halton (monte carlo)"``,
    or ``"not testable"`` (fewer than 2 non-empty rows or columns).
    """
    t = _drop_empty(np.asarray(table, dtype=float))
    out: dict[str, Any] = {
        "test": "not testable",
        "statistic": np.nan,
        "dof": np.nan,
        "p_value": np.nan,
        "min_expected": np.nan,
        "cramers_v": np.nan,
    }
    if t.ndim != 2 or min(t.shape) < 2:
        return out
    chi2_u, p_u, dof, expected = stats.chi2_contingency(t, correction=False)
    out["min_expected"] = float(expected.min())
    out["dof"] = int(dof)
    out["cramers_v"] = float(np.sqrt(chi2_u / (t.sum() * (min(t.shape) - 1))))
    if expected.min() < min_expected:
        ti = np.rint(t).astype(np.int64)
        if t.shape == (2, 2):
            stat, p = stats.fisher_exact(ti)
            out.update(test="fisher", statistic=float(stat), p_value=float(p))
        else:
            out.update(
                test="fisher-freeman-halton (monte carlo)",
                statistic=float(chi2_u),
                p_value=_ffh_monte_carlo(ti, n_resamples, seed),
            )
        return out
    if correction and t.shape == (2, 2):
        chi2_c, p_c, _, _ = stats.chi2_contingency(t, correction=True)
        out.update(test="chi2 (Yates)", statistic=float(chi2_c), p_value=float(p_c))
    else:
        out.update(test="chi2", statistic=float(chi2_u), p_value=float(p_u))
    return out


def _ffh_monte_carlo(t: np.ndarray, n_resamples: int, seed: int) -> float:
    """Monte Carlo p-value of the r x c exact test, ordering tables by their probability."""
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    dist = stats.random_table(rows, cols, seed=np.random.default_rng(seed))
    sims = dist.rvs(size=n_resamples)
    logp_obs = dist.logpmf(t)
    logp_sim = dist.logpmf(sims)
    # a table counts as "at least as extreme" when it is no more probable than the observed one
    hits = int(np.sum(logp_sim <= logp_obs + 1e-7))
    return (hits + 1) / (n_resamples + 1)


def adjust_pvalues(
    p: Sequence[float] | np.ndarray | pd.Series, method: PAdjust = "holm"
) -> np.ndarray:
    """Adjust a family of p-values (Holm, Benjamini-Hochberg ``"fdr_bh"``, Bonferroni, none).

    NaN p-values are left out of the family and returned as NaN.
    """
    if method not in P_ADJUST_METHODS:
        raise ValueError(f"p_adjust must be one of {P_ADJUST_METHODS}, got {method!r}")
    pv = np.asarray(p, dtype=float)
    out = np.full(pv.shape, np.nan)
    ok = np.isfinite(pv)
    q = pv[ok]
    m = q.size
    if m == 0:
        return out
    if method == "none":
        adj = q.copy()
    elif method == "bonferroni":
        adj = np.minimum(1.0, q * m)
    elif method == "holm":
        order = np.argsort(q, kind="mergesort")
        stepped = np.maximum.accumulate((m - np.arange(m)) * q[order])
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
    else:  # fdr_bh
        order = np.argsort(q, kind="mergesort")
        scaled = q[order] * m / np.arange(1, m + 1)
        stepped = np.minimum.accumulate(scaled[::-1])[::-1]
        adj = np.empty(m)
        adj[order] = np.minimum(1.0, stepped)
    out[ok] = adj
    return out


def association_2x2(
    x: np.ndarray | pd.Series,
    y: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    correction: bool = False,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Everything about the association of two 0/1 vectors (no missing values).

    The 2x2 table has rows ``x = 1, 0`` and columns ``y = 1, 0``. Counts are unweighted.
    With weights the shares, phi and the odds ratio come from the weighted table; the test
    and the odds-ratio interval use that table rescaled to the Kish effective sample size
    (a design-effect correction: weighting does not add information), and ``test`` says so.

    Returns
    -------
    dict with ``n_exposed, n_unexposed, n_exposed_outcome, n_exposed_no_outcome,
    n_unexposed_outcome, n_unexposed_no_outcome, rate_exposed, rate_unexposed,
    rate_difference, odds_ratio, ci_low, ci_high, or_correction, phi, cramers_v, test,
    statistic, dof, p_value, min_expected``.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    counts = weighted_table(xa, ya, None, (1.0, 0.0), (1.0, 0.0))
    if weights is None:
        tw = counts
        ts = counts
    else:
        w = np.asarray(weights, dtype=float)
        tw = weighted_table(xa, ya, w, (1.0, 0.0), (1.0, 0.0))
        ts = tw * kish_effective_n(w) / w.sum() if w.sum() > 0 else tw
    r1 = tw[0, 0] / tw[0].sum() if tw[0].sum() > 0 else np.nan
    r0 = tw[1, 0] / tw[1].sum() if tw[1].sum() > 0 else np.nan
    if counts[0].sum() > 0 and counts[1].sum() > 0:
        orr = odds_ratio(ts, alpha)
        if weights is not None:  # point estimate from the weighted table (scale-free)
            orr["odds_ratio"] = odds_ratio(
                tw + (0.5 if orr["or_correction"] == "haldane" else 0.0)
            )["odds_ratio"]
    else:
        orr = {"odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "or_correction": "none"}
    test = contingency_test(ts, correction=correction)
    if weights is not None and test["test"] != "not testable":
        test["test"] = f"{test['test']} (weighted, Kish-rescaled)"
    return {
        "n_exposed": int(counts[0].sum()),
        "n_unexposed": int(counts[1].sum()),
        "n_exposed_outcome": int(counts[0, 0]),
        "n_exposed_no_outcome": int(counts[0, 1]),
        "n_unexposed_outcome": int(counts[1, 0]),
        "n_unexposed_no_outcome": int(counts[1, 1]),
        "rate_exposed": float(r1),
        "rate_unexposed": float(r0),
        "rate_difference": float(r1 - r0),
        "odds_ratio": orr["odds_ratio"],
        "ci_low": orr["ci_low"],
        "ci_high": orr["ci_high"],
        "or_correction": orr["or_correction"],
        "phi": phi_coefficient(tw),
        "cramers_v": test["cramers_v"],
        "test": test["test"],
        "statistic": test["statistic"],
        "dof": test["dof"],
        "p_value": test["p_value"],
        "min_expected": test["min_expected"],
    }
