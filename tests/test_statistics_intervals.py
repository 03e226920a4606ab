"""statistics.intervals against statsmodels/scipy and against textbook values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from reintegratie_stats.statistics.intervals import (
    clopper_pearson_interval,
    kish_effective_n,
    linearized_proportion_interval,
    mean_interval,
    normal_quantile,
    proportion_interval,
    wilson_interval,
)

Z = 1.959963984540054


def test_normal_quantile_and_bad_alpha():
    assert normal_quantile(0.05) == pytest.approx(Z, abs=1e-12)
    assert normal_quantile(0.1) == pytest.approx(1.6448536269514722, abs=1e-12)
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="alpha"):
            normal_quantile(bad)


# --- proportion intervals --------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 5, 10, 37, 200])
def test_wilson_and_clopper_pearson_match_statsmodels(n):
    for x in range(n + 1):
        for alpha in (0.05, 0.1):
            lo, hi = wilson_interval(x, n, alpha)
            slo, shi = proportion_confint(x, n, alpha=alpha, method="wilson")
            assert lo == pytest.approx(slo, abs=1e-12) and hi == pytest.approx(shi, abs=1e-12)
            lo, hi = clopper_pearson_interval(x, n, alpha)
            slo, shi = proportion_confint(x, n, alpha=alpha, method="beta")
            assert lo == pytest.approx(slo, abs=1e-10) and hi == pytest.approx(shi, abs=1e-10)


def test_wilson_7_of_10_by_hand():
    # Wilson (1927) score interval written out: (p + z^2/2n +- z sqrt(p q / n + z^2/4n^2)) / (1 + z^2/n)
    p, n = 0.7, 10
    centre = p + Z**2 / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    den = 1 + Z**2 / n
    lo, hi = wilson_interval(7, 10)
    assert lo == pytest.approx((centre - half) / den, abs=1e-12)
    assert hi == pytest.approx((centre + half) / den, abs=1e-12)
    assert (round(lo, 4), round(hi, 4)) == (
        0.3968,
        0.8922,
    )  # also in Newcombe (1998), table I style


def test_kish_effective_n_by_hand():
    assert kish_effective_n([1, 1, 2, 2]) == pytest.approx(36 / 10)
    assert kish_effective_n(np.ones(50)) == pytest.approx(50)
    with pytest.raises(ValueError, match="non-negative"):
        kish_effective_n([1, -1])


def test_weighted_interval_with_equal_weights_is_unweighted():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 1, 1, 0], float)
    a = proportion_interval(y)
    b = proportion_interval(y, weights=np.full(10, 3.7))
    assert b["rate"] == pytest.approx(a["rate"]) and b["effective_n"] == pytest.approx(10)
    assert (b["ci_low"], b["ci_high"]) == pytest.approx((a["ci_low"], a["ci_high"]))
    assert b["ci_method"] == "wilson (Kish effective n)" and a["ci_method"] == "wilson"


def test_linearized_interval_by_hand():
    y = np.array([1, 0, 1, 1, 0, 1, 0, 1], float)
    p, lo, hi = linearized_proportion_interval(y)
    # unweighted, one row per cluster: var = p (1 - p) / (n - 1)
    se = math.sqrt(p * (1 - p) / (len(y) - 1))
    assert (lo, hi) == pytest.approx((p - Z * se, p + Z * se))
    # clustered by hand: cluster totals of w (y - p), times C / (C - 1), over (sum w)^2
    w = np.array([1, 2, 1, 2, 1, 2, 1, 2], float)
    cl = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    p, lo, hi = linearized_proportion_interval(y, w, cluster=cl)
    pw = np.sum(w * y) / np.sum(w)
    tot = np.array([np.sum((w * (y - pw))[cl == c]) for c in range(4)])
    se = math.sqrt(np.sum(tot**2) * 4 / 3 / np.sum(w) ** 2)
    assert p == pytest.approx(pw)
    assert (lo, hi) == pytest.approx((max(0, pw - Z * se), min(1, pw + Z * se)))


def test_clustered_linearization_matches_statsmodels_cluster_robust_wls():
    # Independent route: WLS of y on a constant with a cluster-robust (CR0) covariance gives the
    # weighted mean and the sandwich SE; ours adds the usual C / (C - 1) factor.
    import statsmodels.api as sm

    rng = np.random.default_rng(9)
    cl = rng.integers(0, 15, 600)
    y = rng.binomial(1, 0.2 + 0.03 * (cl % 5), 600).astype(float)
    w = rng.uniform(0.3, 3.0, 600)
    fit = sm.WLS(y, np.ones((600, 1)), weights=w).fit(
        cov_type="cluster", cov_kwds={"groups": cl, "use_correction": False}
    )
    se = float(fit.bse[0]) * math.sqrt(15 / 14)
    p, lo, hi = linearized_proportion_interval(y, w, cluster=cl)
    assert p == pytest.approx(float(fit.params[0]))
    assert (lo, hi) == pytest.approx((p - Z * se, p + Z * se))
    r = proportion_interval(y, w, method="linearization", cluster=cl)
    assert r["ci_method"] == "linearization (clustered)" and r["ci_low"] == pytest.approx(lo)


def test_proportion_interval_rejects_non_binary():
    with pytest.raises(ValueError, match="0/1"):
        proportion_interval([0, 1, 2])
    with pytest.raises(ValueError, match="method"):
        proportion_interval([0, 1], method="agresti")


@given(st.integers(0, 300), st.integers(1, 300))
@settings(max_examples=60, deadline=None)
def test_intervals_bracket_the_estimate(x, n):
    x = min(x, n)
    for fn in (wilson_interval, clopper_pearson_interval):
        lo, hi = fn(x, n)
        assert 0 <= lo <= x / n + 1e-12 and x / n - 1e-12 <= hi <= 1


def test_mean_interval_matches_scipy():
    y = np.array([4, 5, 3, 4, 2, 5, 4, 4, 3, 5], float)
    m = mean_interval(y)
    lo, hi = stats.t.interval(0.95, len(y) - 1, loc=y.mean(), scale=stats.sem(y))
    assert (m["ci_low"], m["ci_high"]) == pytest.approx((lo, hi))
    assert m["sd"] == pytest.approx(y.std(ddof=1))
    mw = mean_interval(y, np.full(10, 2.5))
    assert (mw["mean"], mw["sd"], mw["ci_low"]) == pytest.approx((m["mean"], m["sd"], m["ci_low"]))


def test_design_based_intervals_cover_the_population_share():
    # Poisson sampling with inclusion probabilities related to y: the weighted (Hajek) share with
    # the linearised or Kish interval covers the population share; the unweighted one does not.
    # Measured (seed 12, 300 samples of ~1,000): linearised 284, Kish-Wilson 292, unweighted 7.
    rng = np.random.default_rng(12)
    size = rng.lognormal(0, 0.7, 20_000)
    y_pop = rng.binomial(1, 1 / (1 + np.exp(1.2 - 0.6 * np.log(size)))).astype(float)
    truth = y_pop.mean()
    pi = np.minimum(1.0, 0.05 * size / size.mean())
    reps, hits = 300, {"linearization": 0, "wilson": 0, "unweighted": 0}
    for _ in range(reps):
        take = rng.random(pi.size) < pi
        y, w = y_pop[take], 1 / pi[take]
        for m in ("linearization", "wilson"):
            r = proportion_interval(y, w, method=m)
            hits[m] += r["ci_low"] <= truth <= r["ci_high"]
        r = proportion_interval(y)
        hits["unweighted"] += r["ci_low"] <= truth <= r["ci_high"]
    lo = stats.binom(reps, 0.95).ppf(0.001)
    assert hits["linearization"] >= lo and hits["wilson"] >= lo, hits
    assert hits["unweighted"] < 0.5 * reps, hits
