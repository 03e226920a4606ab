"""Tests of association, effect sizes of cross-tables, and multiple-testing adjustment.

Small, pure functions on numbers and arrays (no codebook, no data frames with canonical names),
each checked in ``tests/test_statistics_tests.py`` against statsmodels/scipy and a hand-computed
textbook value. Intervals for proportions and means are in :mod:`.intervals`.

Choices (and why)
-----------------
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

from .intervals import kish_effective_n, normal_quantile

__all__ = [
    "MIN_EXPECTED",
    "P_ADJUST_METHODS",
    "PAdjust",
    "adjust_pvalues",
    "association_2x2",
    "contingency_test",
    "cramers_v",
    "odds_ratio",
    "phi_coefficient",
    "weighted_table",
]

PAdjust = Literal["holm", "fdr_bh", "bonferroni", "none"]
P_ADJUST_METHODS: tuple[str, ...] = ("holm", "fdr_bh", "bonferroni", "none")

#: Fisher's exact test (or its r x c Monte Carlo version) is used when an expected count is below this.
MIN_EXPECTED = 5.0


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
    z = normal_quantile(alpha)
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
