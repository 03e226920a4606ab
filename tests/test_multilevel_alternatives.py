"""multilevel.alternatives: GLM, GEE, the Bayes approximation and the linear mixed model.

The linear mixed model is checked against statsmodels' MixedLM (an independent implementation
of the same likelihood), the GLM and GEE against statsmodels called directly on the rows that
should be used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from multilevel_data import simulate
from reintegratie_stats.multilevel import gee, glm, glmer, lmer, lrt
from reintegratie_stats.results import ModelResults

F = "contact_probation ~ age_c + rating_information + (1 | institution_id)"


def _lmm_frame(seed: int = 10, n: int = 300, groups: int = 15) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    df = pd.DataFrame({"g": g.astype(str), "x": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df["x"] + rng.normal(0, 0.8, groups)[g] + rng.normal(size=n)
    return df


def test_glm_is_the_logistic_regression_on_the_rows_glmer_uses():
    df = simulate(3, n=400)
    df.loc[[0, 1], "age_c"] = np.nan
    df.loc[[5], "institution_id"] = None  # not in the GLM, but glmer would drop the row
    m = glm(F, df)
    rows = df.dropna(subset=["age_c", "institution_id"])
    ref = smf.logit("contact_probation ~ age_c + rating_information", rows).fit(disp=0)
    assert isinstance(m, ModelResults) and m.nobs == len(df) - 3
    np.testing.assert_allclose(m.params, ref.params, rtol=1e-6)
    np.testing.assert_allclose(m.bse, ref.bse, rtol=1e-5)
    assert m.llf == pytest.approx(ref.llf, abs=1e-8)
    assert m.extra["n_excluded"] == 3 and m.extra["excluded_by"] == {
        "age_c": 2,
        "institution_id": 1,
    }
    assert list(m.params.index) == ["Intercept", "age_c", "rating_information"]


def test_gee_is_statsmodels_gee_with_the_cluster_from_the_random_term():
    df = simulate(4, n=600)
    m = gee(F, df)
    ref = sm.GEE.from_formula(
        "contact_probation ~ age_c + rating_information",
        groups=df["institution_id"].to_numpy(),
        data=df,
        family=sm.families.Binomial(),
        cov_struct=sm.cov_struct.Exchangeable(),
    ).fit()
    np.testing.assert_allclose(m.params, ref.params, rtol=1e-6)
    np.testing.assert_allclose(m.bse, ref.bse, rtol=1e-5)  # robust (sandwich) SEs
    assert m.cov_type == "robust" and m.extra["n_groups"] == df["institution_id"].nunique()
    assert m.extra["exchangeable_corr"] == pytest.approx(float(ref.cov_struct.dep_params))
    same = gee("contact_probation ~ age_c + rating_information", df, groups="institution_id")
    np.testing.assert_allclose(same.params, m.params)
    with pytest.raises(ValueError, match="groups="):
        gee("contact_probation ~ age_c", df)


def test_gee_is_attenuated_towards_zero_and_robust():
    df = simulate(8, n=3000, sd=1.0)
    m = glmer(F, df)
    g = gee(F, df)
    assert g.cov_type == "robust"
    assert 0 < g.extra["exchangeable_corr"] < 0.5
    # marginal vs conditional slope: attenuation factor about 1/sqrt(1 + 0.346 var)
    factor = 1 / np.sqrt(1 + 0.346 * m.variance_components.iloc[0])
    assert g.params["age_c"] == pytest.approx(m.params["age_c"] * factor, rel=0.1)


@pytest.mark.parametrize("reml", [True, False])
def test_lmer_agrees_with_statsmodels_mixedlm(reml):
    df = _lmm_frame()
    m = lmer("y ~ x + (1 | g)", df, reml=reml)
    # Powell: statsmodels' gradient-based default stops 1e-4 short of the optimum here
    ref = smf.mixedlm("y ~ x", df, groups=df["g"]).fit(reml=reml, method="powell")
    np.testing.assert_allclose(m.params, ref.fe_params, rtol=1e-6)
    # statsmodels' SEs come from its own (numerical) Hessian: agreement to 0.1%
    np.testing.assert_allclose(m.bse, ref.bse_fe, rtol=1e-3)
    assert m.variance_components.iloc[0] == pytest.approx(float(ref.cov_re.iloc[0, 0]), rel=1e-5)
    assert m.residual_variance == pytest.approx(ref.scale, rel=1e-6)
    assert m.llf == pytest.approx(ref.llf, abs=1e-6)  # the REML criterion too, when reml=True
    assert m.k_params == 4 and m.family == "gaussian"


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


def test_lmer_refuses_an_unknown_backend():
    with pytest.raises(ValueError, match="backend"):
        lmer("y ~ x + (1 | g)", _lmm_frame(n=60), backend="stan")  # type: ignore[arg-type]


def test_bayes_backend_is_close_to_ml():
    df = simulate(9, n=2000)
    m = glmer(F, df)
    b = glmer(F, df, backend="bayes")
    assert b.backend == "bayes" and b.llf is None and "approximation" in b.model
    assert "llf=None" in repr(b) and "Random effects:" in b.summary()
    np.testing.assert_allclose(b.params, m.params, atol=0.1)
    assert b.cov_type == "posterior" and np.isnan(b.aic)
    assert list(b.theta.index) == ["sd_(Intercept)|institution_id"]
    assert len(b.ranef) == df["institution_id"].nunique()
