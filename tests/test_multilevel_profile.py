"""Profile-likelihood intervals of the variance part (issue 12, point 2) against lme4.

Reference: tests/reference/glmm_profile.R -> glmm_profile.json, lme4's
``confint(profile(fit, which = "theta_"), level)`` (no live R needed). Tolerance: 1e-3 relative
on each bound (lme4 interpolates the profile with a spline; measured differences are at most
2.1e-4 with the Laplace approximation, 1e-5 with nAGQ = 10). A lower bound of 0 must be 0.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from multilevel_data import FAST_TESTS as FAST
from multilevel_data import cbpp01, synth4100
from reintegratie_stats.multilevel import glmer
from reintegratie_stats.multilevel.profile import profile_deviance

REFDIR = Path(__file__).parent / "reference"
REF = json.loads((REFDIR / "glmm_profile.json").read_text())
CASES = [
    ("cbpp_laplace", "y ~ C(period) + (1 | herd)", cbpp01, 1),
    ("cbpp_agq10", "y ~ C(period) + (1 | herd)", cbpp01, 10),
    ("synth_laplace", "y ~ x1 + x2 + x3 + (1 | g)", synth4100, 1),
    ("small_laplace", "y ~ x + (1 | g)", lambda: pd.read_csv(REFDIR / "glmm_profile_small.csv"), 1),
]


@pytest.fixture(scope="module")
def fits():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {k: glmer(f, data(), nagq=q) for k, f, data, q in CASES}


@pytest.mark.parametrize("key", [c[0] for c in CASES])
@pytest.mark.parametrize(("level", "alpha"), [("ci95", 0.05), ("ci90", 0.10)])
def test_sd_interval_matches_lme4_profile(fits, key, level, alpha):
    ci = fits[key].conf_int_variance(alpha=alpha).set_index("parameter")
    lo, hi = REF[key][level]
    if lo == 0:
        assert ci.loc["sd", "ci_low"] == 0.0 and ci.loc["sd", "lower_at_boundary"]
    else:
        assert ci.loc["sd", "ci_low"] == pytest.approx(lo, rel=1e-3)
        assert not ci.loc["sd", "lower_at_boundary"]
    assert ci.loc["sd", "ci_high"] == pytest.approx(hi, rel=1e-3)


def test_transformed_intervals_are_the_sd_interval_mapped(fits):
    ci = fits["cbpp_laplace"].conf_int_variance().set_index("parameter")
    lo, hi = REF["cbpp_laplace"]["ci95"]
    z = stats.norm.ppf(0.75)
    assert ci.loc["variance", "ci_low"] == pytest.approx(lo**2, rel=2e-3)
    assert ci.loc["variance", "ci_high"] == pytest.approx(hi**2, rel=2e-3)
    assert ci.loc["icc", "ci_high"] == pytest.approx(hi**2 / (hi**2 + np.pi**2 / 3), rel=2e-3)
    assert ci.loc["median_odds_ratio", "ci_low"] == pytest.approx(
        np.exp(np.sqrt(2) * lo * z), rel=1e-3
    )
    m = fits["cbpp_laplace"]
    assert ci.loc["icc", "estimate"] == pytest.approx(m.icc)
    assert ci.loc["median_odds_ratio", "estimate"] == pytest.approx(m.median_odds_ratio)


def test_profile_zeta_is_zero_at_estimate_and_reaches_cutoff_at_bounds(fits):
    m = fits["synth_laplace"]
    ci = m.conf_int_variance().set_index("parameter")
    s = [ci.loc["sd", "ci_low"], m.theta.iloc[0], ci.loc["sd", "ci_high"]]
    z = profile_deviance(m, s)["zeta"].to_numpy()
    np.testing.assert_allclose(z, [-1.959964, 0.0, 1.959964], atol=1e-4)


def test_profile_needs_native_fit(fits):
    from reintegratie_stats.multilevel import GLMMResult

    r = GLMMResult(
        params=pd.Series({"a": 1.0}),
        cov=pd.DataFrame([[1.0]], ["a"], ["a"]),
        nobs=10,
        backend="lme4",
    )
    with pytest.raises(ValueError, match="native-backend"):
        r.conf_int_variance()
    with pytest.raises(ValueError, match="alpha"):
        fits["small_laplace"].conf_int_variance(alpha=1.5)


def test_variance_intervals_tidy_frame_for_the_family_models():
    from reintegratie_stats import multilevel as M
    from reintegratie_stats import synth
    from reintegratie_stats.multilevel.profile import variance_intervals

    ex = synth.load_example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ms = M.family_models(ex.prisoners, ex.institutions, outcomes=("any_video_calls",), **FAST)
        tab = variance_intervals(ms.models)
    assert len(tab) == 4 * len(ms.models)
    sd = tab[tab.parameter == "sd"].set_index("model")
    # every interval contains its estimate; the singular / penalised fits start at 0
    assert ((sd.ci_low <= sd.estimate) & (sd.estimate <= sd.ci_high)).all()
    assert sd.loc["institutional", "note"] == "penalised fit (separation)"
    assert sd.loc["institutional", "ci_low"] == 0.0
