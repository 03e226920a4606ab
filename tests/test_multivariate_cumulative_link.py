import numpy as np
import pytest
from scipy.special import expit

from mv_helpers import load_ref, small
from reintegratie_stats.multivariate.cumulative_link import (
    fit_cumulative_link,
    loglik,
    score_hessian,
)

LINKS = ("logit", "probit")


def _data() -> tuple[np.ndarray, np.ndarray]:
    d = small()
    return d[["x", "need", "z"]].to_numpy(float), d["y_ord"].to_numpy().astype(int) - 1


@pytest.mark.parametrize("link", LINKS)
def test_score_and_hessian_are_the_derivatives_of_the_loglik(link):
    X, y = _data()
    theta = np.array([0.3, 0.5, -0.02, -0.2, 0.9, 1.8, 2.6])  # not the optimum
    ll, g, H = score_hessian(theta, X, y, link)
    assert ll == pytest.approx(loglik(theta, X, y, link), rel=1e-14)
    eps = 1e-5
    E = np.eye(theta.size) * eps
    g_fd = np.array([(loglik(theta + e, X, y, link) - loglik(theta - e, X, y, link)) for e in E])
    H_fd = np.array(
        [
            score_hessian(theta + e, X, y, link)[1] - score_hessian(theta - e, X, y, link)[1]
            for e in E
        ]
    )
    g_fd, H_fd = g_fd / (2 * eps), H_fd / (2 * eps)
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-6 * np.abs(g).max())
    np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-7 * np.abs(H).max())


@pytest.mark.parametrize("link", LINKS)
def test_fit_matches_ordinal_clm_exactly(link):
    """ordinal::clm uses the exact Hessian too, so the SEs agree to the optimum's precision
    (polr's numerical Hessian in test_multivariate_ordinal.py only to 2e-4)."""
    ref = load_ref("ordinal_clm")[link]
    X, y = _data()
    fit = fit_cumulative_link(X, y, n_levels=5, link=link)
    assert fit.converged and fit.n_iter < 12
    np.testing.assert_allclose(fit.theta[:3], ref["params"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.theta[3:], ref["zeta"], rtol=1e-8, atol=1e-10)
    se = np.sqrt(np.diag(fit.cov()))
    se = np.concatenate((se[3:], se[:3]))  # clm lists the cut-points first
    np.testing.assert_allclose(se, ref["se"], rtol=1e-8)
    assert fit.llf == pytest.approx(ref["logLik"], abs=1e-9)


def test_a_positive_slope_moves_responses_up():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 1))
    y = np.digitize(1.5 * x[:, 0] + rng.logistic(size=2000), [-1.0, 0.5, 2.0])
    fit = fit_cumulative_link(x, y, n_levels=4)
    assert fit.theta[0] == pytest.approx(1.5, abs=0.15)
    np.testing.assert_allclose(fit.theta[1:], [-1.0, 0.5, 2.0], atol=0.2)


def test_far_tail_probabilities_keep_their_digits():
    # top category with c_{m-1} - eta = 40: 1 - F(40) is 0 in floating point, F(-40) is not
    X = np.array([[-40.0], [0.0], [0.0], [0.0]])
    y = np.array([2, 0, 1, 2])
    theta = np.array([1.0, -1.0, 0.0])
    ll = loglik(theta, X, y)
    want = np.log(expit(-40.0)) + np.log(expit(-1.0)) + np.log(0.5 - expit(-1.0))
    want += np.log(expit(0.0))
    assert ll == pytest.approx(want, rel=1e-12)


def test_disordered_cut_points_have_zero_likelihood():
    X, y = _data()
    assert loglik(np.array([0, 0, 0, 1.0, 0.5, 2, 3]), X, y) == -np.inf


def test_separated_data_are_reported_not_converged():
    x = np.array([[-3.0], [-2.0], [-1.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1, 2, 2])  # x orders the categories perfectly
    fit = fit_cumulative_link(x, y, n_levels=3)
    assert not fit.converged and fit.separated
    assert "separation" in fit.message


def test_quasi_separation_is_caught_by_the_diverging_se():
    """One category of a binary predictor never goes above the lowest response: Newton stops
    with that slope near -30, where no fitted probability is 1 yet, but its SE is ~1e6."""
    rng = np.random.default_rng(3)
    z = rng.random(200) < 0.1
    x = rng.normal(size=200)
    y = np.where(z, 0, np.digitize(x + rng.logistic(size=200), [-1.0, 0.0, 1.0]))
    fit = fit_cumulative_link(np.c_[x, z.astype(float)], y, n_levels=4)
    assert fit.separated and not fit.converged
    assert 1 in fit.diverging and 0 not in fit.diverging


def test_an_unobserved_category_is_refused():
    with pytest.raises(ValueError, match="every one of the 4 categories"):
        fit_cumulative_link(np.ones((3, 1)), np.array([0, 1, 3]), n_levels=4)
