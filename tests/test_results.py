"""results.ModelResults against statsmodels fitted on the same data, and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from reintegratie_stats.results import ModelResults, tidy_columns


@pytest.fixture(scope="module")
def ols():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 2))
    y = 0.5 + x @ np.array([1.0, -0.3]) + rng.normal(size=80)
    X = pd.DataFrame(sm.add_constant(x), columns=["Intercept", "x1", "x2"])
    return sm.OLS(y, X).fit()


def _from_statsmodels(fit, use_t: bool) -> ModelResults:
    # only the inputs statsmodels stores: params, covariance, nobs, df_resid, llf
    return ModelResults(
        params=fit.params,
        cov=fit.cov_params(),
        nobs=int(fit.nobs),
        df_resid=float(fit.df_resid),
        llf=float(fit.llf),
        use_t=use_t,
        n_extra_params=1,  # the residual variance, as statsmodels' OLS AIC does not count it
    )


def test_t_based_inference_matches_statsmodels(ols):
    r = _from_statsmodels(ols, use_t=True)
    np.testing.assert_allclose(r.bse, ols.bse, rtol=1e-12)
    np.testing.assert_allclose(r.tvalues, ols.tvalues, rtol=1e-12)
    np.testing.assert_allclose(r.pvalues, ols.pvalues, rtol=1e-10)
    np.testing.assert_allclose(r.conf_int(0.1).to_numpy(), ols.conf_int(0.1).to_numpy(), rtol=1e-12)
    assert list(r.conf_int().columns) == ["ci_low", "ci_high"]


def test_normal_inference_matches_statsmodels_use_t_false(ols):
    z = sm.OLS(ols.model.endog, ols.model.exog).fit(use_t=False)
    r = _from_statsmodels(ols, use_t=False)
    np.testing.assert_allclose(r.pvalues.to_numpy(), z.pvalues, rtol=1e-10)
    np.testing.assert_allclose(r.conf_int().to_numpy(), z.conf_int(), rtol=1e-12)


def test_use_t_without_df_resid_falls_back_to_normal():
    r = ModelResults(
        pd.Series({"a": 1.96}), pd.DataFrame([[1.0]], index=["a"], columns=["a"]), 10, use_t=True
    )
    assert float(r.pvalues["a"]) == pytest.approx(0.05, abs=1e-4)


def test_aic_bic_count_the_extra_parameters(ols):
    # statsmodels: aic = -2 llf + 2 (k_exog), our k adds the residual variance (n_extra_params=1)
    r = _from_statsmodels(ols, use_t=True)
    assert r.k_params == 4
    assert r.aic == pytest.approx(ols.aic + 2)
    assert r.bic == pytest.approx(ols.bic + math.log(ols.nobs))
    no_llf = ModelResults(r.params, r.cov, r.nobs)
    assert math.isnan(no_llf.aic) and math.isnan(no_llf.bic)


def test_by_hand_two_terms():
    r = ModelResults(
        pd.Series({"Intercept": 1.0, "x": 0.5}),
        pd.DataFrame(
            [[0.04, 0.01], [0.01, 0.01]], index=["Intercept", "x"], columns=["Intercept", "x"]
        ),
        nobs=100,
    )
    assert r.bse.tolist() == pytest.approx([0.2, 0.1])
    assert r.tvalues.tolist() == pytest.approx([5.0, 5.0])
    z = 1.959963984540054
    assert r.conf_int().loc["x"].tolist() == pytest.approx([0.5 - 0.1 * z, 0.5 + 0.1 * z])
    cov = r.cov_params()
    cov.iloc[0, 0] = 99.0  # a copy: the result does not change
    assert float(r.bse["Intercept"]) == pytest.approx(0.2)


def test_to_frame_has_the_documented_columns_and_values(ols):
    r = _from_statsmodels(ols, use_t=True)
    tab = r.to_frame()
    assert tuple(tab.columns) == tidy_columns
    assert tab["term"].tolist() == ["Intercept", "x1", "x2"]
    np.testing.assert_allclose(tab["std_error"], ols.bse, rtol=1e-12)
    np.testing.assert_allclose(tab["p_value"], ols.pvalues, rtol=1e-10)


def test_mislabelled_covariance_is_refused():
    with pytest.raises(ValueError, match="cov must be labelled"):
        ModelResults(
            pd.Series({"a": 1.0, "b": 2.0}),
            pd.DataFrame(np.eye(2), index=["b", "a"], columns=["b", "a"]),
            nobs=5,
        )


def test_summary_names_model_covariance_and_notes(ols):
    r = _from_statsmodels(ols, use_t=True)
    r.model = "OLS test"
    r.cov_description = "classical covariance"
    r.extra = {"n_groups": 7, "ignored": [1, 2]}
    text = r.summary()
    assert text.splitlines()[0] == "OLS test"
    assert "P>|t|" in text and "Covariance type: nonrobust" in text
    assert "classical covariance" in text and "n_groups: 7" in text and "ignored" not in text
    assert repr(r) == "<ModelResults: 3 terms, nobs=80>"
