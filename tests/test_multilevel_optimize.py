"""multilevel.optimize: the minimiser of the deviance, its Hessian and its options.

The optimum is checked against scipy's derivative-free Nelder-Mead on the same deviance, the
Hessian against second differences of the deviance (and exactly on a quadratic), the boundary
fit against statsmodels' logistic regression.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize

from multilevel_data import simulate
from reintegratie_stats.multilevel import (
    GLMMControl,
    Objective,
    glmm_design,
    make_objective,
    numerical_hessian,
    optimize_glmm,
)

F = "contact_probation ~ age_c + rating_information + (1 | institution_id)"


@pytest.fixture(scope="module")
def design():
    # 15 institutions with a clear random intercept (SD 0.9)
    return glmm_design(F, simulate(21, n=600, n_groups=15, sd=0.9))


def _nelder_mead(obj: Objective, x0: np.ndarray) -> optimize.OptimizeResult:
    """The deviance minimised without our gradient or Hessian (scipy, bounded theta)."""
    return optimize.minimize(
        obj.fun,
        x0,
        method="Nelder-Mead",
        bounds=[(0.0, None)] + [(None, None)] * (x0.size - 1),
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 20_000},
    )


@pytest.mark.parametrize("nagq", [1, 5])
def test_the_optimum_is_where_nelder_mead_finds_it(design, nagq):
    obj = make_objective(design, nagq=nagq)
    opt = optimize_glmm(obj)
    ref = _nelder_mead(obj, np.array([0.5, 0.0, 0.0, 0.0]))
    assert ref.success
    assert opt.converged and opt.nagq == nagq
    assert opt.fun <= ref.fun + 1e-7
    np.testing.assert_allclose(opt.x, ref.x, atol=2e-3)
    assert opt.x[0] > 0.3  # a real variance, away from the bound
    assert np.max(np.abs(opt.grad)) < 1e-4
    assert opt.fun == pytest.approx(obj.fun(opt.x), abs=1e-12)


def test_the_hessian_at_the_optimum_is_the_second_difference_of_the_deviance(design):
    obj = make_objective(design, nagq=1)
    opt = optimize_glmm(obj)
    x, h, k = opt.x, 1e-4, opt.x.size
    E = np.eye(k) * h
    fd = np.array(
        [
            [
                (
                    obj.fun(x + E[i] + E[j])
                    - obj.fun(x + E[i] - E[j])
                    - obj.fun(x - E[i] + E[j])
                    + obj.fun(x - E[i] - E[j])
                )
                / (4 * h * h)
                for j in range(k)
            ]
            for i in range(k)
        ]
    )
    np.testing.assert_allclose(opt.hessian, fd, rtol=2e-3, atol=1e-2)
    assert np.all(np.linalg.eigvalsh(opt.hessian) > 0)
    np.testing.assert_array_equal(opt.hessian, opt.hessian.T)


def test_numerical_hessian_is_exact_on_a_quadratic():
    A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -0.2], [0.5, -0.2, 2.0]])
    b = np.array([1.0, -2.0, 0.5])

    def vg(x):
        return 0.5 * x @ A @ x + b @ x, A @ x + b

    quad = Objective(
        fun=lambda x: vg(x)[0],
        value_and_grad=vg,
        bounds=((0.0, None), (None, None), (None, None)),
        names=("theta", "a", "b"),
        n_theta=1,
        nagq=1,
        design=None,  # type: ignore[arg-type]
    )
    np.testing.assert_allclose(numerical_hessian(quad, np.array([0.3, -1.0, 2.0])), A, atol=1e-8)


def test_a_zero_variance_is_held_at_the_bound_with_the_logistic_fixed_effects():
    rng = np.random.default_rng(5)
    # every institution has exactly 40% contact: the ML estimate of the variance is 0
    df = pd.DataFrame(
        {
            "institution_id": np.repeat([f"PI{i:02d}" for i in range(12)], 25),
            "age_c": rng.normal(size=300),
        }
    )
    df["contact_probation"] = np.tile((np.arange(25) < 10).astype(float), 12)
    d = glmm_design("contact_probation ~ age_c + (1 | institution_id)", df)
    opt = optimize_glmm(make_objective(d, nagq=1))
    assert opt.x[0] < 1e-4 and opt.grad[0] >= -1e-8  # a KKT point: the slope points outward
    glm = sm.Logit(d.y, d.X).fit(disp=0)
    np.testing.assert_allclose(opt.x[1:], glm.params, atol=1e-5)
    assert opt.fun == pytest.approx(-2 * glm.llf, abs=1e-6)


def test_a_start_far_away_reaches_the_same_optimum(design):
    obj = make_objective(design, nagq=1)
    default = optimize_glmm(obj)
    far = optimize_glmm(obj, start=np.array([3.0, 2.0, -1.0, 1.0]))
    assert far.converged
    np.testing.assert_allclose(far.x, default.x, atol=1e-5)
    np.testing.assert_array_equal(far.start, [3.0, 2.0, -1.0, 1.0])
    plain = optimize_glmm(obj, control=GLMMControl(nagq0_init=False))
    np.testing.assert_allclose(plain.x, default.x, atol=1e-5)


def test_at_zero_variance_the_deviance_is_flat_in_theta_but_curves_down(design):
    """Why a start at theta = 0 is a trap (the test below): the deviance is even in theta, so
    its slope at 0 is exactly 0, while the variance is real (the curvature there is negative)."""
    obj = make_objective(design, nagq=1)
    best = optimize_glmm(obj)
    x0 = np.concatenate(([0.0], best.x[1:]))
    assert obj.grad(x0)[0] == pytest.approx(0.0, abs=1e-9)
    h = 1e-3
    e = np.eye(x0.size)[0] * h
    assert obj.fun(x0 + e) < obj.fun(x0)  # downhill into the interior
    assert best.fun < obj.fun(x0) - 1.0


def test_a_start_at_zero_variance_still_finds_the_variance(design):
    obj = make_objective(design, nagq=1)
    best = optimize_glmm(obj)
    got = optimize_glmm(obj, start=np.concatenate(([0.0], best.x[1:])))
    assert got.x[0] == pytest.approx(best.x[0], abs=1e-4)
    assert got.fun == pytest.approx(best.fun, abs=1e-6)


def test_start_and_objective_are_validated(design):
    obj = make_objective(design, nagq=1)
    with pytest.raises(ValueError, match="start must have length 4"):
        optimize_glmm(obj, start=np.zeros(3))
    with pytest.raises(ValueError, match="start theta must be >= 0"):
        optimize_glmm(obj, start=np.array([-0.5, 0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="nagq >= 1"):
        optimize_glmm(make_objective(design, nagq=0))


def test_control_is_validated():
    with pytest.raises(ValueError, match="check_conv"):
        GLMMControl(check_conv="stop")
    with pytest.raises(ValueError, match="conv_tol"):
        GLMMControl(conv_tol=-1)
    with pytest.raises(ValueError, match="max_newton"):
        GLMMControl(max_newton=-1)
    with pytest.raises(ValueError, match="hessian_step"):
        GLMMControl(hessian_step=float("nan"))
    assert GLMMControl(check_singular="raise").check_singular == "raise"
