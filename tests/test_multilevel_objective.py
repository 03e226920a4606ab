"""multilevel.objective: the deviance of a random-intercept logit model and its gradient.

On a tiny data set (3 groups of 5) the deviance is computed independently: the exact marginal
likelihood by ``scipy.integrate.quad`` (which AGQ with many nodes must reach), the Laplace
approximation from the mode and curvature found by ``scipy.optimize`` and a second difference,
and at ``theta = 0`` the plain logistic log-likelihood of statsmodels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import integrate, optimize, special
from scipy.optimize import approx_fprime

from multilevel_data import SYNTH_FORMULA, TINY, TINY_G, TINY_X, TINY_Y, simulate, synth4100
from reintegratie_stats.multilevel import (
    conditional_modes,
    gauss_hermite,
    glmm_design,
    make_objective,
)

F = SYNTH_FORMULA
Y, XV, G = TINY_Y, TINY_X, TINY_G  # three groups of five, written out by hand
POINTS = [(0.8, -0.2, 0.6), (1.7, 0.4, -0.3), (0.05, 0.1, 1.0)]  # (sigma, intercept, slope)


def _group_loglik(u: float, sigma: float, b0: float, b1: float, rows: np.ndarray) -> float:
    eta = b0 + b1 * XV[rows] + sigma * u
    return float(np.sum(Y[rows] * eta - np.logaddexp(0.0, eta)))


def _exact_deviance(sigma: float, b0: float, b1: float) -> float:
    """-2 log of the marginal likelihood, each group's integral over u ~ N(0, 1) by quad."""
    dev = 0.0
    for grp in "abc":
        rows = np.flatnonzero(G == grp)
        val, _ = integrate.quad(
            lambda u, rows=rows: (
                np.exp(_group_loglik(u, sigma, b0, b1, rows))
                * np.exp(-u * u / 2)
                / np.sqrt(2 * np.pi)
            ),
            -np.inf,
            np.inf,
            epsabs=0,
            epsrel=1e-12,
            limit=200,
        )
        dev += -2 * np.log(val)
    return dev


def _laplace_by_scipy(sigma: float, b0: float, b1: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Laplace deviance, modes and curvatures of h(u) = log p(y | u) - u^2/2, found by scipy."""
    dev, modes, curv = 0.0, [], []
    for grp in "abc":
        rows = np.flatnonzero(G == grp)

        def h(u, rows=rows):
            return _group_loglik(u, sigma, b0, b1, rows) - 0.5 * u * u

        res = optimize.minimize_scalar(lambda u: -h(u), bracket=(-1, 1), tol=1e-12)
        u, e = float(res.x), 1e-4
        neg_h2 = -(h(u + e) - 2 * h(u) + h(u - e)) / e**2
        dev += -2 * h(u) + np.log(neg_h2)
        modes.append(u)
        curv.append(neg_h2)
    return dev, np.array(modes), np.array(curv)


@pytest.fixture(scope="module")
def tiny():
    return glmm_design("y ~ x + (1 | g)", TINY)


@pytest.mark.parametrize("point", POINTS)
def test_agq_deviance_reaches_the_exact_marginal_likelihood(tiny, point):
    exact = _exact_deviance(*point)
    assert make_objective(tiny, nagq=25).fun(np.array(point)) == pytest.approx(exact, abs=1e-7)
    # fewer nodes are further away (the quadrature is a real approximation, not the formula)
    assert abs(make_objective(tiny, nagq=25).fun(np.array(point)) - exact) <= abs(
        make_objective(tiny, nagq=2).fun(np.array(point)) - exact
    )


@pytest.mark.parametrize("point", POINTS)
def test_laplace_deviance_equals_the_laplace_approximation_by_scipy(tiny, point):
    want, _, _ = _laplace_by_scipy(*point)
    assert make_objective(tiny, nagq=1).fun(np.array(point)) == pytest.approx(want, abs=1e-6)


def test_at_zero_variance_the_deviance_is_the_logistic_one_of_statsmodels(tiny):
    beta = np.array([-0.2, 0.6])
    logit = sm.Logit(Y, sm.add_constant(XV)).loglike(beta)
    for nagq in (1, 7):
        obj = make_objective(tiny, nagq=nagq)
        assert obj.fun(np.concatenate(([0.0], beta))) == pytest.approx(-2 * logit, abs=1e-10)


def test_conditional_modes_are_the_maxima_found_by_scipy(tiny):
    x = np.array(POINTS[0])
    _, modes, curv = _laplace_by_scipy(*x)
    u, H = conditional_modes(tiny, x)
    np.testing.assert_allclose(u, modes, atol=1e-7)
    np.testing.assert_allclose(H, curv, rtol=1e-6)
    u2, H2 = make_objective(tiny, nagq=1).modes(x)
    np.testing.assert_allclose(u2, u, atol=1e-12)
    np.testing.assert_allclose(H2, H, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_gauss_hermite_is_scipys_rule_for_the_standard_normal(n):
    z, w = gauss_hermite(n)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    if n > 1:
        zs, ws = special.roots_hermitenorm(n)
        np.testing.assert_allclose(z, zs, atol=1e-12)
        np.testing.assert_allclose(w, ws / np.sqrt(2 * np.pi), rtol=1e-10)
    # exact for polynomials up to degree 2n - 1: E[Z^2k] = (2k - 1)!!
    for k in range(1, n):
        assert np.sum(w * z ** (2 * k)) == pytest.approx(special.factorial2(2 * k - 1), rel=1e-10)


def test_nagq0_deviance_is_at_the_joint_mode_of_beta_and_u(tiny):
    sigma = 0.9
    obj0 = make_objective(tiny, nagq=0)
    assert obj0.names == ("sd_(Intercept)|g",) and obj0.bounds == ((0.0, None),)
    got = obj0.fun(np.array([sigma]))
    # the joint mode of (beta, u) of log p(y | beta, u) - |u|^2 / 2, by scipy
    codes = np.repeat([0, 1, 2], 5)

    def neg(p):
        eta = p[0] + p[1] * XV + sigma * p[2:][codes]
        return -(np.sum(Y * eta - np.logaddexp(0, eta)) - 0.5 * p[2:] @ p[2:])

    p = optimize.minimize(neg, np.zeros(5), method="BFGS", options={"gtol": 1e-10}).x
    mu = special.expit(p[0] + p[1] * XV + sigma * p[2:][codes])
    H = 1 + sigma**2 * np.bincount(codes, mu * (1 - mu))
    assert got == pytest.approx(2 * neg(p) + np.sum(np.log(H)), abs=1e-6)
    with pytest.raises(NotImplementedError):
        obj0.grad(np.array([sigma]))


def test_the_prior_adds_its_penalty_to_value_and_gradient(tiny):
    sd = np.array([10.0, 2.5])
    plain, pen = make_objective(tiny, nagq=1), make_objective(tiny, nagq=1, prior_sd=sd)
    x = np.array(POINTS[1])
    penalty = (x[1] / 10.0) ** 2 + (x[2] / 2.5) ** 2
    assert pen.fun(x) == pytest.approx(plain.fun(x) + penalty, abs=1e-12)
    assert pen.penalty(x) == pytest.approx(penalty) and plain.penalty(x) == 0.0
    h = 1e-5
    central = np.array([(pen.fun(x + h * e) - pen.fun(x - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(pen.grad(x), central, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="prior_sd must hold 2"):
        make_objective(tiny, prior_sd=np.array([1.0]))
    with pytest.raises(ValueError, match="prior_sd"):
        make_objective(tiny, prior_sd=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="nagq=0"):
        make_objective(tiny, nagq=0, prior_sd=sd)


def test_packed_vector_and_bounds():
    obj = make_objective(glmm_design(F, simulate(1)), nagq=1)
    assert obj.names == (
        "sd_(Intercept)|institution_id",
        "Intercept",
        "age_c",
        "rating_information",
    )
    assert obj.bounds[0] == (0.0, None) and obj.bounds[1] == (None, None)
    theta, beta = obj.unpack(np.arange(4.0))
    assert theta.tolist() == [0.0] and beta.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="theta"):
        obj.fun(np.array([-0.1, 0, 0, 0]))
    with pytest.raises(ValueError, match="length 4"):
        obj.fun(np.zeros(3))


def test_nagq_and_family_are_validated(tiny):
    for bad in (30, -1, 1.5):
        with pytest.raises(ValueError, match="nagq"):
            make_objective(tiny, nagq=bad)  # type: ignore[arg-type]
    gauss = glmm_design("y ~ x + (1 | g)", TINY, family="gaussian")
    with pytest.raises(ValueError, match="binomial"):
        make_objective(gauss)


def test_rows_in_any_group_order_give_the_same_deviance(tiny):
    # the engine sorts unsorted group codes itself (designs built elsewhere need not be sorted)
    from dataclasses import replace

    perm = np.random.default_rng(0).permutation(tiny.nobs)
    shuffled = replace(tiny, y=tiny.y[perm], X=tiny.X[perm], groups=tiny.groups[perm])
    x = np.array(POINTS[0])
    for nagq in (1, 5):
        assert make_objective(shuffled, nagq=nagq).fun(x) == pytest.approx(
            make_objective(tiny, nagq=nagq).fun(x), abs=1e-10
        )


# --- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize("nagq", [1, 10])
@pytest.mark.parametrize("x", [[0.7, -0.4, 0.3, -0.2], [2.0, 1.0, -0.5, 0.4], [0.02, -1, 0, 0]])
def test_analytic_gradient_matches_finite_differences(nagq, x):
    obj = make_objective(glmm_design("y ~ x1 + x2 + (1 | g)", synth4100()), nagq=nagq)
    x = np.array(x)
    fwd = approx_fprime(x, obj.fun, 1e-7)
    np.testing.assert_allclose(obj.grad(x), fwd, rtol=1e-3, atol=2e-2)  # forward differences
    h = 1e-5  # central differences are accurate enough for a tight check
    central = np.array(
        [(obj.fun(x + h * e) - obj.fun(x - h * e)) / (2 * h) for e in np.eye(x.size)]
    )
    np.testing.assert_allclose(obj.grad(x), central, rtol=1e-6, atol=2e-5)


def test_conditional_modes_do_not_cycle_between_the_bracket_ends():
    # Two groups, y = (1, 0) in each, sigma = 100. From the warm start u = -100 (the mode at
    # beta = 1e5) every mu is 0, H = 1 and the Newton step lands exactly on the other bracket
    # end (u = +100, every mu 1), and back: before the fix this raised FloatingPointError.
    # By symmetry the mode at beta = 0 is u = 0 with H = 1 + sigma^2 * 2 * 1/4 = 5001, so the
    # Laplace deviance is -2 * 4 log(1/2) + 2 log(5001).
    df = pd.DataFrame({"y": [1.0, 0, 1, 0], "g": ["a", "a", "b", "b"]})
    obj = make_objective(glmm_design("y ~ 1 + (1 | g)", df), nagq=1)
    u, _ = obj.modes(np.array([100.0, 1e5]))
    np.testing.assert_allclose(u, [-100.0, -100.0])  # mu = 1 everywhere: u = sigma * (1 - 2)
    assert obj.fun(np.array([100.0, 0.0])) == pytest.approx(8 * np.log(2) + 2 * np.log(5001))
    u, H = obj.modes(np.array([100.0, 0.0]))
    np.testing.assert_allclose(u, 0.0, atol=1e-12)
    np.testing.assert_allclose(H, 5001.0)
