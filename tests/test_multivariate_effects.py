import numpy as np
import pytest

from mv_helpers import small
from reintegratie_stats.multivariate import (
    lincom,
    marginal_effects,
    mixed,
    ols,
    predicted,
    standardized_coefficients,
)


@pytest.fixture(scope="module")
def fit():
    return ols("y ~ x * need + z", small(), cluster="g")


def test_ame_by_need_equals_coefficient_combination(fit):
    me = marginal_effects(fit, "x", "need").set_index("group")
    b, V = fit.params, fit.cov_params()
    assert me.loc[0.0, "estimate"] == pytest.approx(b["x"], rel=1e-12)
    assert me.loc[0.0, "std_error"] == pytest.approx(np.sqrt(V.loc["x", "x"]), rel=1e-10)
    est1 = b["x"] + b["x:need"]
    se1 = np.sqrt(V.loc["x", "x"] + V.loc["x:need", "x:need"] + 2 * V.loc["x", "x:need"])
    assert me.loc[1.0, "estimate"] == pytest.approx(est1, rel=1e-12)
    assert me.loc[1.0, "std_error"] == pytest.approx(se1, rel=1e-10)
    assert me.loc["difference", "estimate"] == pytest.approx(b["x:need"], rel=1e-10)
    assert me.loc["difference", "p_value"] == pytest.approx(fit.pvalues["x:need"], rel=1e-8)
    # CI uses the result's t(G-1) reference distribution
    from scipy import stats

    q = stats.t(14).ppf(0.975)
    assert me.loc[1.0, "ci_high"] == pytest.approx(est1 + q * se1, rel=1e-10)
    assert list(me.columns[-2:]) == ["ci_high", "n"]


def test_predictive_margins_equal_hand_average(fit):
    d = small()
    p = predicted(fit, "x", "need", at=[1.0, 5.0])
    row = p[(p.x_value == 5.0) & (p.by_value == 1.0)].iloc[0]
    xbar = np.array([1.0, 5.0, 1.0, 5.0, d.z.mean()])  # Intercept, x, need, x:need, z
    order = ["Intercept", "x", "need", "x:need", "z"]
    b = fit.params[order].to_numpy()
    V = fit.cov_params().loc[order, order].to_numpy()
    assert row["estimate"] == pytest.approx(xbar @ b, rel=1e-12)
    assert row["std_error"] == pytest.approx(np.sqrt(xbar @ V @ xbar), rel=1e-10)
    assert len(p) == 4


def test_effects_on_mixed_model():
    r = mixed("y ~ x * need + z + (1 | g)", small())
    me = marginal_effects(r, "x", "need").set_index("group")
    assert me.loc[1.0, "estimate"] == pytest.approx(r.params["x"] + r.params["x:need"])


def test_standardized_coefficients(fit):
    d = small()
    s = standardized_coefficients(fit).set_index("term")
    assert s.loc["x", "beta_std"] == pytest.approx(
        fit.params["x"] * d.x.std() / d.y.std(), rel=1e-12
    )
    assert np.isnan(s.loc["Intercept", "beta_std"])


def test_lincom_and_errors(fit):
    t = lincom(fit, {"x": 1.0, "x:need": 1.0})
    me = marginal_effects(fit, "x", "need").set_index("group")
    assert t.loc[0, "estimate"] == pytest.approx(me.loc[1.0, "estimate"])
    with pytest.raises(ValueError, match="nope"):
        lincom(fit, {"nope": 1.0})
    with pytest.raises(ValueError, match="'w'"):
        marginal_effects(fit, "w")


def test_margins_equal_a_full_design_rebuild_per_copy():
    """The margins rebuild only the terms of the changed variable (issue 11); the numbers must
    equal rebuilding the whole model matrix for each counterfactual copy, categorical and
    interaction terms included."""
    import patsy

    d = small()
    d["grp"] = np.where(d["z"] > d["z"].median(), "a", "b")
    r = ols("y ~ x * need + z + C(grp)", d, cluster="g")
    b = r.params.to_numpy()

    def naive(frame):
        X = patsy.dmatrix(r.design_info, frame, return_type="dataframe").to_numpy()
        return float(X.mean(axis=0) @ b[: X.shape[1]])

    pr = predicted(r, "x", "need", at=[1.0, 4.0])
    for _, row in pr.iterrows():
        cf = r.frame.assign(x=row["x_value"], need=row["by_value"])
        assert row["estimate"] == pytest.approx(naive(cf), rel=1e-13, abs=1e-13)
    me = marginal_effects(r, "z", "need").set_index("group")
    for lv in (0.0, 1.0):
        sub = r.frame[r.frame["need"] == lv]
        want = naive(sub.assign(z=sub["z"] + 1.0)) - naive(sub)
        assert me.loc[lv, "estimate"] == pytest.approx(want, rel=1e-12, abs=1e-13)
