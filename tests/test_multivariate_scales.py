import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.multivariate.scales import (
    cronbach_alpha,
    cronbach_alpha_from_cov,
    mcdonald_omega,
    one_factor_ml,
    prep_items,
    preparedness_scale,
    scale_reliability,
)


def test_alpha_hand_computation():
    # 5 respondents x 3 items; alpha by hand: k/(k-1) * (1 - sum item variances / variance of sum)
    X = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, 5], "c": [1, 3, 3, 5, 4]})
    item_vars = [2.5, 1.8, 2.2]  # computed on paper (ddof=1)
    total = np.array([4, 7, 10, 13, 14])  # row sums
    var_total = total.var(ddof=1)  # 17.3
    assert var_total == pytest.approx(17.3)
    expected = 3 / 2 * (1 - sum(item_vars) / 17.3)
    assert cronbach_alpha(X) == pytest.approx(expected, rel=1e-12)


def test_alpha_known_value_spearman_brown():
    # k parallel items with inter-item correlation r: alpha = k r / (1 + (k - 1) r)  (textbook)
    k, r = 6, 0.3
    C = np.full((k, k), r) + np.eye(k) * (1 - r)
    assert cronbach_alpha_from_cov(C) == pytest.approx(k * r / (1 + (k - 1) * r), rel=1e-12)


def test_one_factor_exact_on_population_covariance():
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.7])
    psi = np.array([0.3, 0.4, 0.5, 0.6, 0.7, 0.5])
    sigma = np.outer(lam, lam) + np.diag(psi)
    of = one_factor_ml(sigma)
    np.testing.assert_allclose(of.loadings.to_numpy(), lam, atol=1e-5)
    np.testing.assert_allclose(of.uniquenesses.to_numpy(), psi, atol=1e-5)
    true_omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    assert of.omega == pytest.approx(true_omega, abs=1e-6)
    # omega >= alpha for a congeneric model, equality only for tau-equivalent items
    assert of.omega > cronbach_alpha_from_cov(sigma)


def test_one_factor_matches_statsmodels_factor_ml_and_recovers_omega():
    from statsmodels.multivariate.factor import Factor

    rng = np.random.default_rng(11)
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.4, 0.7])
    psi = np.array([0.3, 0.4, 0.5, 0.6, 0.7, 0.5])
    n = 4000
    X = rng.normal(size=(n, 1)) * lam + rng.normal(size=(n, 6)) * np.sqrt(psi)
    C = np.corrcoef(X, rowvar=False)
    sm = Factor(corr=C, n_factor=1, method="ml", nobs=n).fit()
    ours = one_factor_ml(C).loadings.to_numpy()
    np.testing.assert_allclose(ours, np.abs(sm.loadings.ravel()), atol=1e-5)
    df = pd.DataFrame(X, columns=[f"i{j}" for j in range(6)])
    true_omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    assert mcdonald_omega(df) == pytest.approx(true_omega, abs=0.01)


def test_scale_and_reliability_table():
    items = prep_items()
    assert items[0] == "prep_work_income" and len(items) == 6
    rng = np.random.default_rng(3)
    f = rng.normal(size=300)
    df = pd.DataFrame({c: np.clip(np.round(3 + f + rng.normal(size=300)), 1, 5) for c in items})
    df.loc[0, items[0]] = np.nan
    s = preparedness_scale(df)
    assert np.isnan(s.iloc[0]) and s.iloc[1] == pytest.approx(df.loc[1, items].mean())
    assert not np.isnan(preparedness_scale(df, min_items=5).iloc[0])
    t = scale_reliability(df)
    assert t.loc[0, "n"] == 299 and t.loc[0, "n_excluded"] == 1
    assert 0.7 < t.loc[0, "alpha"] <= t.loc[0, "omega"] + 0.01
    with pytest.raises(ValueError, match="prep_nope"):
        preparedness_scale(df, ["prep_nope", items[0]])
    with pytest.raises(ValueError, match="unknown domain"):
        prep_items(domains=["space"])


def test_one_factor_digits_do_not_move_with_the_last_bits_of_the_covariance():
    """Nearly uncorrelated items make the discrepancy flat: BFGS with a numerical gradient
    stopped at 0.0812839 ... 0.0812843 under 1e-15 changes of S (as another CPU's rounding
    gives); with the exact gradient and Newton to the optimum every printed digit stays."""
    rng = np.random.default_rng(5)
    X = np.clip(np.round(3 + rng.normal(size=(200, 6))), 1, 5)
    S = np.cov(X, rowvar=False)
    seen = set()
    for _ in range(20):
        E = rng.normal(size=S.shape) * 1e-15
        seen.add(f"{one_factor_ml(S * (1 + (E + E.T) / 2)).omega:.6g}")
    assert len(seen) == 1, seen
