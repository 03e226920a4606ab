import numpy as np
import pytest

from mv_helpers import load_ref, small
from reintegratie_stats.multivariate import ols, sur
from reintegratie_stats.results import ModelResults

EQS = {"e1": "y1 ~ x1 + need", "e2": "y2 ~ x2 + need", "e3": "y3 ~ x3 + need"}


def test_sur_matches_systemfit_fixture():
    ref = load_ref("systemfit_sur")
    r = sur(EQS, small())
    idx = [ref["terms"].index(t.replace("Intercept", "(Intercept)")) for t in r.params.index]
    np.testing.assert_allclose(r.params.to_numpy(), np.array(ref["params"])[idx], rtol=1e-9)
    np.testing.assert_allclose(r.bse.to_numpy(), np.array(ref["se"])[idx], rtol=1e-8)
    t = r.test_equal("need")
    assert t.loc[0, "statistic"] == pytest.approx(ref["wald_need_equal"], rel=1e-8)
    assert t.loc[0, "dof"] == 2
    assert isinstance(r, ModelResults)


def test_sur_equals_ols_with_identical_regressors():
    d = small()
    same = {k: f"{f.split('~')[0]}~ x1 + x2 + need" for k, f in EQS.items()}
    r = sur(same, d)
    for eq, f in same.items():
        o = ols(f, d)
        got = r.equation(eq).set_index("term")["estimate"]
        np.testing.assert_allclose(got.to_numpy(), o.params.to_numpy(), rtol=1e-10, atol=1e-12)


def test_sur_differs_from_ols_with_different_regressors():
    d = small()
    r = sur(EQS, d)
    diffs = []
    for eq, f in EQS.items():
        o = ols(f, d)
        got = r.equation(eq).set_index("term")["estimate"]
        diffs.append(np.max(np.abs(got.to_numpy() - o.params.to_numpy())))
    assert max(diffs) > 1e-3  # GLS borrows strength from the correlated errors
    # and GLS is more efficient than OLS for the same coefficients
    o1 = ols(EQS["e1"], d)
    assert r.bse["e1_x1"] < o1.bse["x1"] * 1.001


def test_cross_equation_wald_equals_hand_computation_and_linearmodels():
    r = sur(EQS, small())
    names = ["e1_need", "e2_need", "e3_need"]
    b = r.params[names].to_numpy()
    V = r.cov_params().loc[names, names].to_numpy()
    R = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    W = (R @ b) @ np.linalg.inv(R @ V @ R.T) @ (R @ b)
    t = r.test_equal({"e1": "need", "e2": "need", "e3": "need"})
    assert t.loc[0, "statistic"] == pytest.approx(W, rel=1e-10)
    ref = load_ref("systemfit_sur")  # car::linearHypothesis on the systemfit fit
    assert t.loc[0, "statistic"] == pytest.approx(ref["wald_need_equal_car"], rel=1e-8)


def test_cluster_option_and_listwise():
    d = small()
    d.loc[[0, 5], "y2"] = np.nan
    r = sur(EQS, d, cluster="g")
    assert r.nobs == len(d) - 2 and r.extra["n_excluded"] == 2
    assert r.extra["excluded_by"] == {"y2": 2}
    assert r.cov_type == "cluster" and "G/(G-1)" in r.summary()


def test_sur_cluster_cov_is_cr1_per_equation():
    """With method='ols' the clustered SUR covariance blocks equal ols(cluster=...) (CR1)."""
    d = small()
    r = sur(EQS, d, cluster="g", method="ols")
    for eq, f in EQS.items():
        o = ols(f, d, cluster="g")
        got = r.equation(eq).set_index("term")["std_error"]
        np.testing.assert_allclose(got.to_numpy(), o.bse.to_numpy(), rtol=1e-10)


def test_sur_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        sur({"a": "y1 ~ x1"}, small())
    r = sur(EQS, small())
    with pytest.raises(ValueError, match="e1_nope"):
        r.test_equal({"e1": "nope", "e2": "need"})
