import importlib.util

import numpy as np
import pandas as pd
import pytest

from mv_helpers import load_ref, r_name, small
from reintegratie_stats.multivariate import mixed
from reintegratie_stats.multivariate._design import split_random
from reintegratie_stats.results import ModelResults

FORMULA = "y ~ x * need + z + (1 | g)"


@pytest.mark.parametrize("key,reml", [("reml", True), ("ml", False)])
def test_mixedlm_matches_lme4_fixture(key, reml):
    ref = load_ref("lme4_lmer")[key]
    r = mixed(FORMULA, small(), reml=reml)
    idx = [ref["terms"].index(r_name(t)) for t in r.params.index]
    np.testing.assert_allclose(r.params.to_numpy(), np.array(ref["params"])[idx], atol=1e-5)
    # lme4's sigma^2 (X'V^-1 X)^-1, not the inverse of the joint Hessian: SEs to 1e-4 relative
    np.testing.assert_allclose(r.bse.to_numpy(), np.array(ref["se"])[idx], rtol=1e-4)
    assert r.group_var == pytest.approx(ref["group_var"], rel=1e-4)
    assert r.variance_components.to_dict() == {"g": r.group_var}
    assert r.resid_var == pytest.approx(ref["resid_var"], rel=1e-4)
    assert r.llf == pytest.approx(ref["logLik"], abs=1e-5)
    assert isinstance(r, ModelResults) and "Intercept" in r.bse.index
    assert r.extra["n_excluded"] == 0 and r.convergence.converged


def test_aic_counts_variance_parameters_like_lme4():
    ref = load_ref("lme4_lmer")["ml"]
    r = mixed(FORMULA, small(), reml=False)
    assert r.aic == pytest.approx(-2 * ref["logLik"] + 2 * (5 + 2), abs=1e-4)


def test_split_random_and_errors():
    assert split_random("y ~ x + (1 | institution_id)") == ("y ~ x", [("1", "institution_id")])
    assert split_random("y ~ (1|g) + x") == ("y ~ x", [("1", "g")])
    with pytest.raises(ValueError, match="exactly one random term"):
        mixed("y ~ x", small())
    with pytest.raises(ValueError, match="backend"):
        mixed(FORMULA, small(), backend="spss")


def test_missing_pymer4_gives_one_line_error(monkeypatch):
    import reintegratie_stats.statistics.r_bridge as bridge

    monkeypatch.setattr(bridge.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="backend='lme4' needs R with the lme4 package .*pymer4"):
        mixed(FORMULA, small(), backend="lme4")


@pytest.mark.r
@pytest.mark.pymer4
@pytest.mark.slow
def test_lme4_backend_live_equals_native():
    if importlib.util.find_spec("pymer4") is None:
        pytest.skip("pymer4 not installed")
    ref = load_ref("lme4_lmer")["reml"]
    r = mixed(FORMULA, small(), backend="lme4")
    idx = [ref["terms"].index(r_name(t)) for t in r.params.index]
    np.testing.assert_allclose(r.params.to_numpy(), np.array(ref["params"])[idx], rtol=1e-6)
    np.testing.assert_allclose(r.bse.to_numpy(), np.array(ref["se"])[idx], rtol=1e-6)
    assert r.group_var == pytest.approx(ref["group_var"], rel=1e-6)
    assert r.extra["backend"] == "lme4"
    # patsy-only syntax and missing rows are handled on the Python side
    d = small().assign(cat=lambda x: np.where(x.z > 35, "hi", "lo"))
    d.loc[[0, 1], "x"] = np.nan
    f = "y ~ x + C(cat) + (1 | g)"
    a, b = mixed(f, d, backend="lme4"), mixed(f, d)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), atol=1e-5)
    assert list(a.params.index) == list(b.params.index) and a.extra["n_excluded"] == 2


def test_same_numbers_whatever_the_row_order():
    """Rounding-level changes of the input (row order here; pandas 2 vs 3 in the report) must
    not move what a table prints to 6 digits: theta is polished at the root of the analytic
    derivative (Brent alone left it 1e-8 relative apart), and a boundary variance is exactly 0."""
    from mv_helpers import REF

    d = pd.read_csv(REF / "lmm_ch5_overall.csv", dtype={"g": str})
    f = "y ~ 0 + " + " + ".join(c for c in d.columns if c.startswith("x")) + " + (1 | g)"
    shuffled = d.sample(frac=1.0, random_state=3)
    for reml in (True, False):
        a, b = mixed(f, d, reml=reml), mixed(f, shuffled, reml=reml)
        assert b.group_var == pytest.approx(a.group_var, rel=1e-11)
        np.testing.assert_allclose(b.bse.to_numpy(), a.bse.to_numpy(), rtol=1e-11)
    h = pd.read_csv(REF / "lmm_ch5_health.csv", dtype={"g": str})
    fh = "y ~ 0 + " + " + ".join(c for c in h.columns if c.startswith("x")) + " + (1 | g)"
    for data in (h, h.sample(frac=1.0, random_state=4)):
        m = mixed(fh, data)
        assert m.singular and m.group_var == 0.0 and f"{m.group_var:g}" == "0"
