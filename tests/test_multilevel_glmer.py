"""Native GLMM: stages, gradients, results contract, degenerate input, other estimators."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from multilevel_data import cbpp01, simulate, synth4100
from reintegratie_stats.multilevel import (
    GLMMControl,
    GLMMFitError,
    build_glmm_result,
    gee,
    glm,
    glmer,
    glmm_design,
    lmer,
    lrt,
    make_objective,
    optimize_glmm,
    parse_formula,
)
from reintegratie_stats.results import ConvergenceWarning, ModelResults

F = "contact_probation ~ age_c + rating_information + (1 | institution_id)"


# --- stages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("nagq", [1, 7])
def test_stages_by_hand_equal_glmer(nagq):
    df = simulate(11)
    control = GLMMControl()
    design = glmm_design(F, df)
    obj = make_objective(design, nagq=nagq)
    opt = optimize_glmm(obj, control=control)
    by_hand = build_glmm_result(design, obj, opt, control)
    one_line = glmer(F, df, nagq=nagq, control=control)
    for a in ("params", "bse", "variance_components", "theta"):
        np.testing.assert_allclose(getattr(by_hand, a), getattr(one_line, a), rtol=0, atol=1e-10)
    assert by_hand.llf == pytest.approx(one_line.llf, abs=1e-10)
    np.testing.assert_allclose(by_hand.ranef["estimate"], one_line.ranef["estimate"], atol=1e-10)


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


@pytest.mark.parametrize("nagq", [1, 10])
def test_gradient_is_zero_at_optimum(nagq):
    m = glmer("y ~ C(period) + (1 | herd)", cbpp01(), nagq=nagq)
    assert m.convergence.converged
    assert m.convergence.max_abs_grad < 1e-4
    assert not m.convergence.singular


# --- results contract -----------------------------------------------------------------------
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


def test_formula_parser():
    f = parse_formula("y ~ x + (1 | g) + z")
    assert f.fixed == "y ~ x + z" and f.random[0].group == "g"
    assert parse_formula("y ~ (1|g)").fixed == "y ~ 1"
    assert not parse_formula("y ~ x + (1 + x | g)").is_random_intercept
    with pytest.raises(ValueError, match="exactly one '~'"):
        parse_formula("y x")


def test_random_slope_needs_lme4_backend():
    with pytest.raises(ValueError, match="backend='lme4'"):
        glmer("contact_probation ~ age_c + (1 + age_c | institution_id)", simulate(1))


# --- degenerate input -----------------------------------------------------------------------
def test_one_institution_is_an_error():
    df = simulate(3).assign(institution_id="PI01")
    with pytest.raises(ValueError, match="'institution_id' has 1 level"):
        glmer(F, df)


def test_outcome_never_varies_is_an_error():
    df = simulate(3).assign(contact_probation=0.0)
    with pytest.raises(ValueError, match="'contact_probation' never varies"):
        glmer(F, df)


def test_non_binary_outcome_is_an_error():
    df = simulate(3)
    df.loc[0, "contact_probation"] = 2.0
    with pytest.raises(ValueError, match="must be 0/1"):
        glmer(F, df)


def test_unknown_column_and_bad_args():
    with pytest.raises(ValueError, match="'nope'"):
        glmer("nope ~ age_c + (1 | institution_id)", simulate(1))
    with pytest.raises(ValueError, match="nagq"):
        glmer(F, simulate(1), nagq=30)
    with pytest.raises(ValueError, match="backend"):
        glmer(F, simulate(1), backend="stan")
    with pytest.raises(TypeError, match="DataFrame"):
        glmer(F, {"a": 1})
    with pytest.raises(ValueError, match="rank deficient"):
        glmer(F.replace("age_c", "age_c + age2"), simulate(1).assign(age2=lambda d: 2 * d.age_c))


def test_complete_separation_is_flagged():
    df = simulate(4)
    df["sep"] = (df["contact_probation"] == 1).astype(float)
    f = "contact_probation ~ sep + age_c + (1 | institution_id)"
    with pytest.warns(ConvergenceWarning, match="separation"):
        m = glmer(f, df)
    assert "sep" in m.extra["separation_terms"]
    assert any("separation" in msg for msg in m.convergence.messages)
    with pytest.raises(GLMMFitError, match="separation"):
        glmer(f, df, control=GLMMControl(check_separation="raise", check_conv="ignore"))


def test_zero_between_variance_is_a_flagged_boundary_fit():
    rng = np.random.default_rng(5)
    # every institution has exactly 40% contact: the ML estimate of the variance is 0
    df = pd.DataFrame(
        {
            "institution_id": np.repeat([f"PI{i:02d}" for i in range(20)], 100),
            "age_c": rng.normal(size=2000),
        }
    )
    df["contact_probation"] = np.tile((np.arange(100) < 40).astype(float), 20)
    with pytest.warns(ConvergenceWarning, match="singular"):
        m = glmer("contact_probation ~ age_c + (1 | institution_id)", df)
    assert m.singular and m.variance_components.iloc[0] < 1e-8
    assert m.icc == pytest.approx(0.0, abs=1e-8)
    # lme4 agrees the MLE is on the boundary; the fixed effects equal the plain GLM then
    g = glm("contact_probation ~ age_c + (1 | institution_id)", df)
    np.testing.assert_allclose(m.params, g.params, atol=1e-5)
    np.testing.assert_allclose(m.bse, g.bse, rtol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        glmer(
            "contact_probation ~ age_c + (1 | institution_id)",
            df,
            control=GLMMControl(check_singular="ignore"),
        )
    with pytest.raises(GLMMFitError, match="singular"):
        glmer(
            "contact_probation ~ age_c + (1 | institution_id)",
            df,
            control=GLMMControl(check_singular="raise"),
        )


def test_missing_values_are_excluded_counted_and_reported():
    df = simulate(6)
    df.loc[[0, 1, 2], "age_c"] = np.nan
    df.loc[[2, 3], "contact_probation"] = np.nan
    df.loc[[10], "institution_id"] = None
    df["unused"] = np.nan  # not in the formula: never a reason to drop a row
    m = glmer(F, df)
    assert m.nobs == len(df) - 5
    assert m.extra["n_excluded"] == 5
    assert m.extra["excluded_by"] == {"contact_probation": 2, "age_c": 3, "institution_id": 1}
    assert "rows excluded (missing values): 5" in m.summary()
    full = glmer(F, df.dropna(subset=["age_c", "contact_probation", "institution_id"]))
    np.testing.assert_allclose(m.params, full.params, atol=1e-10)


def test_control_is_validated():
    with pytest.raises(ValueError, match="check_conv"):
        GLMMControl(check_conv="stop")
    with pytest.raises(ValueError, match="conv_tol"):
        GLMMControl(conv_tol=-1)


# --- other estimators and comparison --------------------------------------------------------
def test_lrt_nested_and_boundary():
    df = simulate(7)
    m0 = glmer("contact_probation ~ 1 + (1 | institution_id)", df)
    m1 = glmer(F, df)
    t = lrt(m0, m1)
    assert t["df"].iloc[0] == 2 and t["p_method"].iloc[0] == "chi2"
    assert t["statistic"].iloc[0] == pytest.approx(2 * (m1.llf - m0.llf))
    g = glm(F, df)
    tb = lrt(g, m1)
    assert tb["p_method"].iloc[0].startswith("chibar2")
    from scipy import stats

    assert tb["p_value"].iloc[0] == pytest.approx(0.5 * stats.chi2.sf(tb["statistic"].iloc[0], 1))
    with pytest.raises(ValueError, match="more parameters"):
        lrt(m1, m0)
    with pytest.raises(ValueError, match="different rows"):
        lrt(m0, glmer(F, df.iloc[:-5]))


def test_gee_is_attenuated_towards_zero_and_robust():
    df = simulate(8, n=3000, sd=1.0)
    m = glmer(F, df)
    g = gee(F, df)
    assert g.cov_type == "robust"
    assert 0 < g.extra["exchangeable_corr"] < 0.5
    # marginal vs conditional slope: attenuation factor about 1/sqrt(1 + 0.346 var)
    factor = 1 / np.sqrt(1 + 0.346 * m.variance_components.iloc[0])
    assert g.params["age_c"] == pytest.approx(m.params["age_c"] * factor, rel=0.1)


def test_bayes_backend_is_close_to_ml():
    df = simulate(9, n=2000)
    m = glmer(F, df)
    b = glmer(F, df, backend="bayes")
    assert b.backend == "bayes" and b.llf is None and "approximation" in b.model
    assert "llf=None" in repr(b) and "Random effects:" in b.summary()
    np.testing.assert_allclose(b.params, m.params, atol=0.1)


def test_lmer_matches_known_statsmodels_fit_and_reports_icc():
    rng = np.random.default_rng(10)
    g = rng.integers(0, 30, 1500)
    df = pd.DataFrame({"g": g.astype(str), "x": rng.normal(size=1500)})
    df["y"] = 1 + 0.5 * df["x"] + rng.normal(0, 0.8, 30)[g] + rng.normal(size=1500)
    m = lmer("y ~ x + (1 | g)", df)
    assert m.family == "gaussian" and m.k_params == 4
    assert m.params["x"] == pytest.approx(0.5, abs=0.06)
    v = m.variance_components.iloc[0]
    assert m.icc == pytest.approx(v / (v + m.residual_variance))
    assert 0.2 < m.icc < 0.6
    ml = lmer("y ~ x + (1 | g)", df, reml=False)
    with pytest.raises(ValueError, match="REML"):
        lrt(lmer("y ~ 1 + (1 | g)", df), m)
    t = lrt(lmer("y ~ 1 + (1 | g)", df, reml=False), ml)
    assert t["p_value"].iloc[0] < 1e-10


@pytest.mark.pymer4
@pytest.mark.slow
def test_lmer_lme4_backend_agrees_with_statsmodels():
    pytest.importorskip("pymer4", reason="pymer4 (the lme4 extra) is not installed")
    df = cbpp01()
    rng = np.random.default_rng(1)
    df["w"] = rng.normal(size=len(df)) + df["y"] + rng.normal(size=15)[df["herd"].astype(int) - 1]
    for reml in (True, False):
        a = lmer("w ~ C(period) + (1 | herd)", df, reml=reml)
        b = lmer("w ~ C(period) + (1 | herd)", df, reml=reml, backend="lme4")
        np.testing.assert_allclose(a.params, b.params, atol=1e-4)
        np.testing.assert_allclose(a.bse, b.bse, rtol=2e-3)
        assert a.llf == pytest.approx(b.llf, abs=1e-4)
        assert a.aic == pytest.approx(b.aic, abs=1e-3)
        assert a.variance_components.iloc[0] == pytest.approx(
            b.variance_components.iloc[0], rel=2e-3
        )


def test_lme4_backend_without_pymer4_gives_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pymer4", None)  # import pymer4 -> ImportError
    monkeypatch.setitem(sys.modules, "pymer4.models", None)
    with pytest.raises(ImportError, match=r"backend='lme4' needs R with the lme4 package"):
        glmer(F, simulate(1), backend="lme4")


def test_lme4_backend_labels_match_native_with_categorical_terms():
    """R orders terms as written, patsy puts categorical terms first: labels must follow names."""
    pytest.importorskip("pymer4", reason="pymer4 (the lme4 extra) is not installed")
    df = simulate(5)
    rng = np.random.default_rng(5)
    df["sex"] = np.where(rng.random(len(df)) < 0.5, "male", "female").astype(object)
    # a strong effect of sex, so that a label swap with age_c cannot go unnoticed
    eta = np.where(df["sex"] == "male", 1.5, 0.0) + 0.4 * df["age_c"]
    df["contact_probation"] = (rng.random(len(df)) < 1 / (1 + np.exp(-eta))).astype(float)
    f = "contact_probation ~ age_c + sex + (1 | institution_id)"
    nat, r = glmer(f, df), glmer(f, df, backend="lme4")
    assert list(r.params.index) == list(nat.params.index)
    np.testing.assert_allclose(r.params.to_numpy(), nat.params.to_numpy(), atol=2e-3)
    np.testing.assert_allclose(r.bse.to_numpy(), nat.bse.to_numpy(), rtol=2e-2)
