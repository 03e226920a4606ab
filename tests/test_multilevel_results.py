"""multilevel.results: the GLMMResult contract and the checks of build_glmm_result.

``build_glmm_result`` is fed an optimiser result written by hand (a chosen Hessian, gradient
and theta), so every number it reports has a value worked out on paper: lme4's
``vcov = 2 H^-1`` restricted to beta, normal intervals and p-values from scipy, AIC/BIC with
the variance counted, ICC on the latent scale, the median odds ratio of Merlo et al.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from multilevel_data import SYNTH_FORMULA, TINY, TINY_X, TINY_Y, simulate
from reintegratie_stats.multilevel import (
    GLMMControl,
    GLMMFitError,
    GLMMResult,
    OptResult,
    build_glmm_result,
    glmer,
    glmm_design,
    make_objective,
)
from reintegratie_stats.multilevel.results import apply_checks, ranef_frame
from reintegratie_stats.results import ConvergenceWarning, ModelResults

F = SYNTH_FORMULA
Y, XV = TINY_Y, TINY_X
X_OPT = np.array([0.5, -0.2, 0.6])  # (sigma, Intercept, x)
#: Hessian of the deviance over (theta, Intercept, x); by hand, the inverse of its top-left
#: 2x2 block [[5, 1], [1, 8]] is [[8, -1], [-1, 5]] / 39, so 2 H^-1 on beta is
#: diag(10/39, 2/32)
HES = np.array([[5.0, 1.0, 0.0], [1.0, 8.0, 0.0], [0.0, 0.0, 32.0]])
BSE = np.array([np.sqrt(10 / 39), 0.25])


def _opt(obj, x=X_OPT, hessian=HES, grad=None) -> OptResult:
    x = np.asarray(x, dtype=float)
    return OptResult(
        x=x,
        fun=obj.fun(x),
        grad=np.zeros(x.size) if grad is None else np.asarray(grad, dtype=float),
        hessian=hessian,
        converged=True,
        message="by hand",
        n_fev=0,
        n_iter=0,
        start=x,
        nagq=obj.nagq,
        time_s=0.0,
    )


@pytest.fixture(scope="module")
def parts():
    design = glmm_design("y ~ x + (1 | g)", TINY)
    obj = make_objective(design, nagq=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three groups: the design warns
        res = build_glmm_result(design, obj, _opt(obj), GLMMControl(check_conv="ignore"))
    return design, obj, res


def test_params_bse_and_covariance_are_lme4s_2_inverse_hessian(parts):
    _, _, m = parts
    assert list(m.params.index) == ["Intercept", "x"]
    np.testing.assert_allclose(m.params, X_OPT[1:])
    np.testing.assert_allclose(m.bse, BSE, rtol=1e-12)
    assert list(m.cov_params().index) == list(m.cov_params().columns) == ["Intercept", "x"]
    assert m.cov_params().loc["Intercept", "x"] == pytest.approx(0.0, abs=1e-15)


def test_conf_int_and_pvalues_are_normal_wald(parts):
    _, _, m = parts
    q = stats.norm.ppf(0.975)
    ci = m.conf_int()
    assert list(ci.columns) == ["ci_low", "ci_high"] and list(ci.index) == ["Intercept", "x"]
    np.testing.assert_allclose(ci["ci_low"], X_OPT[1:] - q * BSE)
    np.testing.assert_allclose(ci["ci_high"], X_OPT[1:] + q * BSE)
    np.testing.assert_allclose(m.pvalues, 2 * stats.norm.sf(np.abs(X_OPT[1:] / BSE)))
    ci90 = m.conf_int(alpha=0.1)
    np.testing.assert_allclose(ci90["ci_high"], X_OPT[1:] + stats.norm.ppf(0.95) * BSE)


def test_likelihood_counts_and_variance_summaries(parts):
    _, obj, m = parts
    dev = obj.fun(X_OPT)
    assert m.llf == pytest.approx(-dev / 2) and m.extra["deviance"] == pytest.approx(dev)
    assert m.nobs == 15 and m.k_params == 3  # two fixed effects and the variance
    assert m.aic == pytest.approx(dev + 2 * 3)
    assert m.bic == pytest.approx(dev + np.log(15) * 3)
    assert m.variance_components.to_dict() == {"g": pytest.approx(0.25)}
    assert m.theta.to_dict() == {"sd_(Intercept)|g": pytest.approx(0.5)}
    assert m.icc == pytest.approx(0.25 / (0.25 + np.pi**2 / 3))
    assert m.median_odds_ratio == pytest.approx(np.exp(np.sqrt(2 * 0.25) * stats.norm.ppf(0.75)))
    assert m.backend == "native" and m.nagq == 1 and not m.penalized and not m.singular


def test_ranef_are_the_conditional_modes_on_the_sd_scale(parts):
    _, _, m = parts
    sigma, b0, b1 = X_OPT
    assert m.ranef["level"].tolist() == ["a", "b", "c"] and m.ranef["n"].tolist() == [5, 5, 5]
    for i, grp in enumerate("abc"):
        rows = TINY["g"].to_numpy() == grp

        def h(u, rows=rows):
            eta = b0 + b1 * XV[rows] + sigma * u
            return np.sum(Y[rows] * eta - np.logaddexp(0, eta)) - u * u / 2

        u = optimize.minimize_scalar(lambda v: -h(v), bracket=(-1, 1), tol=1e-12).x
        e = 1e-4
        curv = -(h(u + e) - 2 * h(u) + h(u - e)) / e**2
        assert m.ranef["estimate"].iloc[i] == pytest.approx(sigma * u, abs=1e-6)
        assert m.ranef["std_error"].iloc[i] == pytest.approx(sigma / np.sqrt(curv), rel=1e-5)


def test_summary_names_the_fixed_and_random_parts(parts):
    _, _, m = parts
    s = m.summary()
    for piece in (
        "Random effects:",
        "g (Intercept): variance 0.25, SD 0.5",
        "Number of groups: 3",
        f"ICC: {0.25 / (0.25 + np.pi**2 / 3):.4f}",
        "coef",
        "std err",
        "P>|z|",
        "Intercept",
        "Covariance type: hessian",
    ):
        assert piece in s, piece
    assert list(m.to_frame().columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "flag",
    ]
    assert repr(m).startswith("<GLMMResult native nagq=1: 2 fixed terms, nobs=15")


def test_a_gradient_off_zero_is_a_convergence_message_acted_on_per_control(parts):
    design, obj, _ = parts
    opt = _opt(obj, grad=[0.0, 0.0, 1.0])  # H^-1 g = (0, 0, 1/32): above conv_tol 2e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quiet = build_glmm_result(design, obj, opt, GLMMControl(check_conv="ignore"))
    assert not quiet.convergence.converged
    assert any(
        "failed to converge" in msg and "0.0312" in msg for msg in quiet.convergence.messages
    )
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        build_glmm_result(design, obj, opt, GLMMControl(check_conv="warn"))
    with pytest.raises(GLMMFitError, match="failed to converge"):
        build_glmm_result(design, obj, opt, GLMMControl(check_conv="raise"))
    # under the tolerance: converged
    small = _opt(obj, grad=[0.0, 0.0, 1e-3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert build_glmm_result(design, obj, small, GLMMControl()).convergence.converged


def test_a_zero_sd_is_a_singular_fit_and_an_indefinite_hessian_is_named(parts):
    design, obj, _ = parts
    with pytest.warns(ConvergenceWarning, match="singular"):
        m = build_glmm_result(design, obj, _opt(obj, x=[0.0, -0.2, 0.6]), GLMMControl())
    assert m.singular and m.icc == 0.0
    # singular: theta is held at its bound, so the SEs come from the beta block alone
    np.testing.assert_allclose(m.bse, np.sqrt(2 / np.array([8.0, 32.0])))
    bad = HES.copy()
    bad[2, 2] = -1.0
    with pytest.warns(ConvergenceWarning, match="not positive definite"):
        build_glmm_result(design, obj, _opt(obj, hessian=bad), GLMMControl())


def test_an_optimiser_result_of_another_model_is_refused(parts):
    design, obj, _ = parts
    two = OptResult(
        x=np.array([0.5, 0.1]),
        fun=0.0,
        grad=np.zeros(2),
        hessian=np.eye(2),
        converged=True,
        message="",
        n_fev=0,
        n_iter=0,
        start=np.zeros(2),
        nagq=1,
        time_s=0.0,
    )
    with pytest.raises(ValueError, match="opt does not match the objective"):
        build_glmm_result(design, obj, two)


def test_apply_checks_ignores_warns_or_raises_per_check():
    msgs = [("check_conv", "gradient too large"), ("check_singular", "boundary")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        apply_checks(msgs, GLMMControl(check_conv="ignore", check_singular="ignore"))
    with pytest.warns(ConvergenceWarning, match="boundary"):
        apply_checks(msgs, GLMMControl(check_conv="ignore", check_singular="warn"))
    with pytest.raises(GLMMFitError, match="gradient too large"):
        apply_checks(msgs, GLMMControl(check_conv="raise", check_singular="ignore"))


def test_ranef_frame_has_normal_95_percent_intervals():
    fr = ranef_frame("g", ("a", "b"), np.array([3, 4]), np.array([0.5, -0.5]), np.array([0.1, 0.2]))
    q = stats.norm.ppf(0.975)
    assert fr["group_factor"].tolist() == ["g", "g"] and fr["n"].tolist() == [3, 4]
    np.testing.assert_allclose(fr["ci_low"], [0.5 - q * 0.1, -0.5 - q * 0.2])
    np.testing.assert_allclose(fr["ci_high"], [0.5 + q * 0.1, -0.5 + q * 0.2])


def test_a_diverged_estimate_is_never_returned_without_a_flag():
    names = ["Intercept", "x", "z"]
    m = GLMMResult(
        params=pd.Series([0.3, 18.0, 0.1], index=names),
        cov=pd.DataFrame(np.diag([0.01, 4.0, 70.0**2]), index=names, columns=names),
        nobs=100,
    )
    flags = m.term_flags()
    assert flags["Intercept"] == ""
    assert flags["x"].startswith("diverging estimate (|coef| 18")  # |coef| > 15
    assert flags["z"].startswith("diverging estimate") and "SE 70" in flags["z"]  # SE > 50
    assert m.to_frame()["flag"].tolist() == flags.tolist()


def test_no_estimate_is_published_unflagged_when_not_finite():
    names = ["Intercept", "x"]
    res = GLMMResult(
        params=pd.Series([np.nan, 0.5], index=names),
        cov=pd.DataFrame(np.diag([np.nan, 0.01]), index=names, columns=names),
        nobs=100,
        backend="lme4",
    )
    fl = res.to_frame().set_index("term")["flag"]
    assert fl["Intercept"] != "" and fl["x"] == ""


def test_results_contract():
    m = glmer(F, simulate(2))
    assert isinstance(m, ModelResults)
    assert list(m.params.index) == ["Intercept", "age_c", "rating_information"]
    assert list(m.conf_int().columns) == ["ci_low", "ci_high"]
    assert m.cov_params().shape == (3, 3)
    assert m.k_params == 4  # three fixed effects + the variance, as lme4's df
    assert m.aic == pytest.approx(-2 * m.llf + 8)
    assert m.bic == pytest.approx(-2 * m.llf + np.log(m.nobs) * 4)
    assert list(m.variance_components.index) == ["institution_id"]
    v = m.variance_components.iloc[0]
    assert m.icc == pytest.approx(v / (v + np.pi**2 / 3))
    assert m.median_odds_ratio == pytest.approx(np.exp(np.sqrt(2 * v) * 0.6744897501960817))
    assert list(m.ranef.columns) == [
        "group_factor",
        "level",
        "n",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
    ]
    assert m.ranef["n"].sum() == m.nobs
    s = m.summary()
    assert "Random effects:" in s and "ICC" in s and "institution_id" in s
