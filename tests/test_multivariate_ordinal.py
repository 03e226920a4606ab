import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from mv_helpers import load_ref, small
from reintegratie_stats.multivariate import ordinal
from reintegratie_stats.results import ModelResults


def test_ordinal_matches_mass_polr_fixture():
    ref = load_ref("mass_polr")
    r = ordinal("y_ord ~ x + need + z", small())
    np.testing.assert_allclose(r.slopes[ref["terms"]].to_numpy(), ref["params"], atol=1e-4)
    np.testing.assert_allclose(
        r.cutpoints[ref["zeta_names"]].to_numpy(), ref["zeta"], atol=1e-4
    )  # polr reltol 1e-8 on the deviance
    np.testing.assert_allclose(r.bse[ref["se_names"]].to_numpy(), ref["se"], rtol=2e-4)
    assert r.llf == pytest.approx(ref["logLik"], abs=1e-6)
    assert isinstance(r, ModelResults) and r.convergence.converged


def test_ordinal_matches_ordinal_clm_to_the_optimum():
    """clm's exact Hessian: our SEs are the same to rounding (no numerical Hessian whose last
    digits move with the machine)."""
    ref = load_ref("ordinal_clm")["logit"]
    r = ordinal("y_ord ~ x + need + z", small())
    np.testing.assert_allclose(r.slopes[ref["terms"]].to_numpy(), ref["params"], rtol=1e-8)
    np.testing.assert_allclose(r.cutpoints[ref["zeta_names"]].to_numpy(), ref["zeta"], rtol=1e-8)
    np.testing.assert_allclose(r.bse[ref["se_names"]].to_numpy(), ref["se"], rtol=1e-8)
    assert r.convergence.n_iter < 12


def test_ordinal_matches_direct_likelihood_maximisation():
    """Our own cumulative-logit likelihood, maximised with scipy, on the same data."""
    d = small()
    X = d[["x", "need", "z"]].to_numpy()
    y = d["y_ord"].to_numpy().astype(int) - 1  # 0..4

    def negll(p):
        b, c = p[:3], np.sort(p[3:])
        eta = X @ b
        cuts = np.concatenate([[-np.inf], c, [np.inf]])
        pr = special.expit(cuts[y + 1] - eta) - special.expit(cuts[y] - eta)
        return -np.sum(np.log(np.clip(pr, 1e-300, None)))

    start = np.array([0, 0, 0, -1, 0, 1, 2.0])
    opt = optimize.minimize(negll, start, method="BFGS", options={"gtol": 1e-8})
    r = ordinal("y_ord ~ x + need + z", d)
    np.testing.assert_allclose(r.params.to_numpy(), opt.x, atol=1e-4)
    assert r.llf == pytest.approx(-opt.fun, abs=1e-6)


def test_ordinal_reparametrisation_equals_statsmodels_own():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    d = small()
    sm = OrderedModel.from_formula(
        "y_ord ~ 0 + x + need + z",
        d.assign(y_ord=pd.Categorical(d.y_ord, ordered=True)),
        distr="logit",
    ).fit(method="bfgs", disp=False)
    r = ordinal("y_ord ~ x + need + z", d)
    np.testing.assert_allclose(r.slopes.to_numpy(), sm.params[:3].to_numpy(), rtol=1e-4)
    cuts_sm = sm.model.transform_threshold_params(sm.params.to_numpy())[1:-1]
    np.testing.assert_allclose(r.cutpoints.to_numpy(), cuts_sm, atol=1e-4)
    np.testing.assert_allclose(
        r.bse[:3].to_numpy(), sm.bse[:3].to_numpy(), rtol=1e-4
    )  # statsmodels stops at gtol 1e-5


def test_separation_is_an_error_naming_the_term_not_a_printed_estimate():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=200), "z": (rng.random(200) < 0.1).astype(float)})
    d["y"] = np.where(d.z == 1, 1, np.digitize(d.x + rng.logistic(size=200), [-1, 0, 1]) + 1.0)
    with pytest.raises(ValueError, match=r"'y': separation.*diverging: z"):
        ordinal("y ~ x + z", d)
    with pytest.warns(Warning, match="separation"):
        r = ordinal("y ~ x + z", d, separation="warn")
    assert not r.convergence.converged


def test_ordinal_errors():
    d = small()
    with pytest.raises(ValueError, match="3\\+"):
        ordinal("need ~ x", d)
    with pytest.raises(ValueError, match="at least one predictor"):
        ordinal("y_ord ~ 1", d)
    with pytest.raises(ValueError, match="max_levels"):
        ordinal("y ~ x", d)
