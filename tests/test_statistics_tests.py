"""statistics.tests (association, effect sizes, p-value adjustment) against statsmodels/scipy and against textbook values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests

from reintegratie_stats.statistics.intervals import clopper_pearson_interval, wilson_interval
from reintegratie_stats.statistics.tests import (
    adjust_pvalues,
    association_2x2,
    contingency_test,
    cramers_v,
    odds_ratio,
    phi_coefficient,
)

Z = 1.959963984540054


# --- odds ratio ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table", [[[10, 20], [5, 40]], [[33, 12], [21, 50]], [[0, 7], [5, 9]], [[4, 0], [0, 6]]]
)
def test_odds_ratio_matches_statsmodels_table2x2(table):
    r = odds_ratio(table)
    tab = np.asarray(table, float)
    # Haldane-Anscombe adds 0.5 to *every* cell; statsmodels' shift_zeros only replaces the zero
    # cells by 0.5, so we hand statsmodels the corrected table.
    t = Table2x2(tab + 0.5 if tab.min() == 0 else tab, shift_zeros=False)
    lo, hi = t.oddsratio_confint()
    assert r["odds_ratio"] == pytest.approx(t.oddsratio)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi))
    assert r["or_correction"] == ("haldane" if np.min(table) == 0 else "none")


def test_odds_ratio_woolf_by_hand():
    # [[10, 20], [5, 40]]: OR = 10*40 / (20*5) = 4, SE(log OR) = sqrt(1/10 + 1/20 + 1/5 + 1/40)
    se = math.sqrt(1 / 10 + 1 / 20 + 1 / 5 + 1 / 40)
    r = odds_ratio([[10, 20], [5, 40]])
    assert r["odds_ratio"] == pytest.approx(4.0)
    assert r["ci_low"] == pytest.approx(4 * math.exp(-Z * se))
    assert r["ci_high"] == pytest.approx(4 * math.exp(Z * se))
    # Haldane by hand: [[0, 7], [5, 9]] -> (0.5 * 9.5) / (7.5 * 5.5)
    assert odds_ratio([[0, 7], [5, 9]])["odds_ratio"] == pytest.approx(0.5 * 9.5 / (7.5 * 5.5))
    with pytest.raises(ValueError, match="2x2"):
        odds_ratio([[1, 2, 3], [4, 5, 6]])


# --- tests ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("table", [[[30, 20], [15, 40]], [[120, 80, 60], [100, 90, 110]]])
def test_chi2_matches_scipy_with_and_without_yates(table):
    t = np.asarray(table, float)
    r = contingency_test(t)
    chi2, p, dof, _ = stats.chi2_contingency(t, correction=False)
    assert r["test"] == "chi2"
    assert (r["statistic"], r["p_value"], r["dof"]) == pytest.approx((chi2, p, dof))
    ry = contingency_test(t, correction=True)
    chi2y, py, _, _ = stats.chi2_contingency(t, correction=True)  # scipy's default
    assert (ry["statistic"], ry["p_value"]) == pytest.approx((chi2y, py))
    assert ry["test"] == ("chi2 (Yates)" if t.shape == (2, 2) else "chi2")


def test_fisher_used_for_small_expected_counts_and_matches_scipy():
    t = [[8, 2], [1, 5]]
    r = contingency_test(t)
    assert r["test"] == "fisher" and r["min_expected"] < 5
    assert r["p_value"] == pytest.approx(stats.fisher_exact(t)[1])


def test_tea_tasting_by_hand():
    # Agresti (2002, sec. 3.5.1) tea tasting: [[3, 1], [1, 3]]. Hypergeometric probabilities of
    # n11 = 0..4 are 1, 16, 36, 16, 1 over 70; two-sided p = (1 + 16 + 16 + 1) / 70 = 0.4857.
    r = contingency_test([[3, 1], [1, 3]])
    assert r["test"] == "fisher"
    assert r["p_value"] == pytest.approx(34 / 70)
    assert round(r["p_value"], 4) == 0.4857
    assert stats.fisher_exact([[3, 1], [1, 3]], alternative="greater")[1] == pytest.approx(
        17 / 70
    )  # 0.243


def test_rxc_small_expected_monte_carlo_agrees_with_exact():
    t = np.array([[3, 1, 2], [1, 3, 0], [5, 5, 1]])
    r = contingency_test(t, n_resamples=9999, seed=3)
    assert r["test"] == "fisher-freeman-halton (monte carlo)"
    exact = stats.fisher_exact(t)[1]  # scipy >= 1.15 enumerates r x c tables
    assert abs(r["p_value"] - exact) < 4 * math.sqrt(exact * (1 - exact) / 9999)
    assert contingency_test(t, seed=3)["p_value"] == contingency_test(t, seed=3)["p_value"]


def test_not_testable_and_empty_rows_dropped():
    assert contingency_test([[5, 0], [7, 0]])["test"] == "not testable"
    r = contingency_test([[30, 20], [0, 0], [15, 40]])
    assert r["dof"] == 1 and r["statistic"] == pytest.approx(
        stats.chi2_contingency([[30, 20], [15, 40]], False)[0]
    )


def test_cramers_v_matches_scipy_association():
    t = np.array([[120, 80, 60], [100, 90, 110]])
    assert cramers_v(t) == pytest.approx(association(t, method="cramer"))
    assert contingency_test(t)["cramers_v"] == pytest.approx(association(t, method="cramer"))


def test_phi_is_pearson_correlation_of_the_01_columns():
    rng = np.random.default_rng(4)
    x = rng.binomial(1, 0.4, 500)
    y = np.where(rng.random(500) < 0.3, x, rng.binomial(1, 0.5, 500))
    r = association_2x2(x, y)
    assert r["phi"] == pytest.approx(np.corrcoef(x, y)[0, 1])
    t = [
        [np.sum((x == 1) & (y == 1)), np.sum((x == 1) & (y == 0))],
        [np.sum((x == 0) & (y == 1)), np.sum((x == 0) & (y == 0))],
    ]
    assert phi_coefficient(t) == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert abs(r["phi"]) == pytest.approx(r["cramers_v"])


def test_association_2x2_unit_weights_equal_unweighted():
    rng = np.random.default_rng(5)
    x, y = rng.binomial(1, 0.3, 300), rng.binomial(1, 0.5, 300)
    a, b = association_2x2(x, y), association_2x2(x, y, np.ones(300))
    for k in ("odds_ratio", "ci_low", "ci_high", "p_value", "rate_exposed", "phi"):
        assert a[k] == pytest.approx(b[k])
    assert b["test"] == "chi2 (weighted, Kish-rescaled)"
    t = Table2x2(
        np.array(
            [
                [a["n_exposed_outcome"], a["n_exposed_no_outcome"]],
                [a["n_unexposed_outcome"], a["n_unexposed_no_outcome"]],
            ],
            float,
        )
    )
    assert a["odds_ratio"] == pytest.approx(t.oddsratio)


# --- multiple testing ------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["holm", "fdr_bh", "bonferroni"])
def test_adjust_matches_multipletests(method):
    rng = np.random.default_rng(6)
    p = np.concatenate([rng.uniform(0, 0.05, 8), rng.uniform(0, 1, 20), [0.01, 0.01]])
    assert adjust_pvalues(p, method) == pytest.approx(multipletests(p, method=method)[1])


def test_adjust_ignores_nan():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    out = adjust_pvalues(p, "holm")
    assert np.isnan(out[1])
    assert out[[0, 2, 3]] == pytest.approx(multipletests(p[[0, 2, 3]], method="holm")[1])
    with pytest.raises(ValueError, match="p_adjust"):
        adjust_pvalues(p, "sidak-ish")


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from(["holm", "fdr_bh"]))
@settings(max_examples=60, deadline=None)
def test_adjusted_pvalues_properties(p, method):
    p = np.asarray(p)
    adj = adjust_pvalues(p, method)
    assert np.all(adj >= p - 1e-12) and np.all(adj <= 1)
    order = np.argsort(p, kind="mergesort")
    assert np.all(np.diff(adj[order]) >= -1e-12)  # monotone in the raw p-values


# --- base R (stats) reference values: tests/reference/bivariate_base_r.{R,json} ---------------------
REF_DIR = __import__("pathlib").Path(__file__).parent / "reference"


def _check_against_r(ref: dict) -> None:
    for (x, n), w, cp in zip(ref["props"], ref["wilson"], ref["clopper_pearson"], strict=True):
        assert wilson_interval(x, n) == pytest.approx(tuple(w), abs=1e-9)
        assert clopper_pearson_interval(x, n) == pytest.approx(tuple(cp), abs=1e-9)
    t = np.array(ref["chi2_table"], float)
    r = contingency_test(t)
    assert (r["statistic"], r["p_value"]) == pytest.approx(
        (ref["chi2"]["statistic"], ref["chi2"]["p_value"])
    )
    ry = contingency_test(t, correction=True)
    assert (ry["statistic"], ry["p_value"]) == pytest.approx(
        (ref["chi2_yates"]["statistic"], ref["chi2_yates"]["p_value"])
    )
    assert contingency_test([[3, 1], [1, 3]])["p_value"] == pytest.approx(
        ref["fisher_tea"]["p_two_sided"]
    )
    rx = contingency_test(np.array(ref["rxc_table"], float))
    assert (rx["statistic"], rx["dof"], rx["p_value"]) == pytest.approx(
        (ref["rxc"]["statistic"], ref["rxc"]["df"], ref["rxc"]["p_value"])
    )
    assert adjust_pvalues(ref["p_raw"], "holm") == pytest.approx(ref["holm"])
    assert adjust_pvalues(ref["p_raw"], "fdr_bh") == pytest.approx(ref["BH"])


def test_against_base_r_fixture():
    import json

    _check_against_r(json.loads((REF_DIR / "bivariate_base_r.json").read_text(encoding="utf-8")))


@pytest.mark.r
def test_against_base_r_live(tmp_path):
    import json
    import shutil
    import subprocess

    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not on PATH")
    script = tmp_path / "bivariate_base_r.R"
    shutil.copy(REF_DIR / "bivariate_base_r.R", script)
    subprocess.run(["Rscript", str(script)], check=True, capture_output=True, timeout=60)
    _check_against_r(json.loads((tmp_path / "bivariate_base_r.json").read_text(encoding="utf-8")))
