"""multilevel.glmer: the driver over the stages, its arguments, separation and boundary fits.

The stages themselves are tested in their own modules (test_multilevel_design.py,
_objective.py, _optimize.py, _results.py), the other estimators in _alternatives.py and
lme4 in _lme4.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from multilevel_data import cbpp01, simulate
from reintegratie_stats.multilevel import (
    GLMMControl,
    GLMMFitError,
    build_glmm_result,
    glm,
    glmer,
    glmm_design,
    lrt,
    make_objective,
    optimize_glmm,
)
from reintegratie_stats.results import ConvergenceWarning

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


@pytest.mark.parametrize("nagq", [1, 10])
def test_gradient_is_zero_at_optimum(nagq):
    m = glmer("y ~ C(period) + (1 | herd)", cbpp01(), nagq=nagq)
    assert m.convergence.converged
    assert m.convergence.max_abs_grad < 1e-4
    assert not m.convergence.singular


# --- arguments and degenerate fits -----------------------------------------------------------
def test_bad_arguments_are_refused():
    # (refused input data: test_multilevel_design.py)
    with pytest.raises(ValueError, match="nagq"):
        glmer(F, simulate(1), nagq=30)
    with pytest.raises(ValueError, match="backend"):
        glmer(F, simulate(1), backend="stan")
    with pytest.raises(ValueError, match="family='binomial'"):
        glmer(F, simulate(1), family="gaussian")
    with pytest.raises(ValueError, match="ddf"):
        glmer(F, simulate(1), ddf="satterthwaite")


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
