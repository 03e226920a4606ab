"""The shared linear mixed model against lme4::lmer (fixture: tests/reference/lme4_lmm.R).

Cases: lme4's sleepstudy (random intercept; correlated intercept and slope), Penicillin (two
crossed random intercepts) and three chapter-5 designs of the default twin, among them the one
where statsmodels' MixedLM stopped early under ML (``ch5_overall``) and a singular fit
(``ch5_health``). Both front ends -- ``multilevel.lmer`` and ``multivariate.mixed`` -- are run.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from mv_helpers import REF, load_ref
from reintegratie_stats.multilevel import lmer
from reintegratie_stats.multivariate import mixed
from reintegratie_stats.statistics.lmm import fit_lmm

CASES = load_ref("lme4_lmm")["cases"]


def _data(case: str) -> pd.DataFrame:
    if case.startswith("sleep"):
        return pd.read_csv(REF / "sleepstudy.csv")
    if case == "penicillin":
        return pd.read_csv(REF / "penicillin.csv")
    return pd.read_csv(REF / f"lmm_ch5_{case[4:]}.csv", dtype={"g": str})


def _r_terms(names) -> list[str]:
    return ["(Intercept)" if n == "Intercept" else n for n in names]


@pytest.mark.parametrize("method", ["reml", "ml"])
@pytest.mark.parametrize("case", list(CASES))
def test_lmm_matches_lmer(case, method):
    ref = CASES[case][method]
    fit = fit_lmm(CASES[case]["formula"], _data(case), reml=method == "reml")
    assert _r_terms(fit.x_names) == list(np.atleast_1d(ref["terms"]))
    np.testing.assert_allclose(fit.beta, ref["params"], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_beta)), ref["se"], rtol=1e-4)
    np.testing.assert_allclose(fit.theta, np.atleast_1d(ref["theta"]), rtol=1e-4, atol=1e-5)
    assert list(fit.theta_names) == list(np.atleast_1d(ref["theta_names"]))
    assert fit.llf == pytest.approx(ref["logLik"], abs=1e-6)
    assert fit.sigma2 == pytest.approx(ref["sigma2"], rel=1e-5)
    vc = dict(zip(ref["vc_names"], ref["vc"], strict=True))
    for name, v in fit.variance_components.items():
        assert v == pytest.approx(vc[name], rel=1e-4, abs=1e-10)
    assert fit.converged and fit.singular == ref["singular"]
    if not ref["singular"]:  # conditional modes and SDs of the first grouping factor
        first = fit.ranef[(fit.ranef.grpvar == fit.ranef.grpvar.iloc[0])]
        first = first[first.term == "(Intercept)"]
        np.testing.assert_allclose(first["estimate"], ref["ranef"], rtol=1e-3, atol=1e-6)
        np.testing.assert_allclose(first["std_error"], ref["ranef_sd"], rtol=1e-3)


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_both_front_ends_are_the_same_model(method):
    """multilevel.lmer and multivariate.mixed give lme4's numbers on the chapter-5 case."""
    ref = CASES["ch5_overall"][method]
    f, d, reml = CASES["ch5_overall"]["formula"], _data("ch5_overall"), method == "reml"
    a, b = lmer(f, d, reml=reml), mixed(f, d, reml=reml)
    for r in (a, b):
        np.testing.assert_allclose(r.params.to_numpy(), ref["params"], rtol=1e-5)
        np.testing.assert_allclose(r.bse.to_numpy(), ref["se"], rtol=1e-4)
        assert r.llf == pytest.approx(ref["logLik"], abs=1e-6)
        assert float(r.variance_components.iloc[0]) == pytest.approx(ref["vc"][0], rel=1e-4)
        assert r.k_params == len(ref["params"]) + 2  # as lme4's logLik df
        assert r.convergence.converged
    assert b.group_var == a.variance_components.iloc[0]


def test_ml_reaches_lme4s_optimum_on_the_chapter5_model():
    """The reported bug: MixedLM stopped at variance 0.0063 (llf -1762.53); lme4 finds 0.00161
    with llf -1762.048. Refitting on the twin itself (not the exported design) must agree."""
    from reintegratie_stats import synth
    from reintegratie_stats.multivariate.predictors import analysis_frame, overall_formula

    af = analysis_frame(synth.load_example().prisoners)
    m = lmer(overall_formula(af.controls) + " + (1 | institution_id)", af.data, reml=False)
    ref = CASES["ch5_overall"]["ml"]
    assert m.convergence.converged
    assert float(m.variance_components.iloc[0]) == pytest.approx(ref["vc"][0], rel=1e-4)
    assert m.llf == pytest.approx(ref["logLik"], abs=1e-6)
    np.testing.assert_allclose(m.bse.to_numpy(), ref["se"], rtol=1e-4)


def test_singular_fit_is_flagged_and_exactly_zero():
    f, d = CASES["ch5_health"]["formula"], _data("ch5_health")
    for reml in (True, False):
        m = mixed(f, d, reml=reml)
        assert m.singular and m.convergence.converged
        assert m.group_var == 0.0 and m.icc == 0.0  # exactly: prints the same on every stack
        assert (m.ranef["estimate"] == 0.0).all()
        assert any("singular" in s for s in m.convergence.messages)


def test_bad_input_is_named():
    d = _data("sleep_intercept")
    with pytest.raises(ValueError, match="needs a random term"):
        fit_lmm("Reaction ~ Days", d)
    with pytest.raises(ValueError, match="'nope' of"):
        fit_lmm("Reaction ~ Days + (1 | nope)", d)
    with pytest.raises(ValueError, match="rank deficient"):
        fit_lmm("Reaction ~ Days + D2 + (1 | Subject)", d.assign(D2=2 * d.Days))
    with pytest.raises(ValueError, match="1 level"):
        fit_lmm("Reaction ~ Days + (1 | k)", d.assign(k="a"))
    with pytest.raises(ValueError, match="uncorrelated"):
        fit_lmm("Reaction ~ Days + (Days || Subject)", d)
    m = lmer("Reaction ~ Days + (1 | Subject)", d.assign(Days=d.Days.where(d.index > 2)))
    assert m.nobs == 177 and m.extra["n_excluded"] == 3 and m.extra["excluded_by"] == {"Days": 3}


@pytest.mark.r
def test_fixture_script_reproduces_the_json(tmp_path):
    """The committed JSON is what lme4 says today (re-run the R script into a copy)."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not on PATH")
    for f in ["lme4_lmm.R", *[p.name for p in REF.glob("lmm_ch5_*.csv")]]:
        shutil.copy(REF / f, tmp_path / f)
    subprocess.run(["Rscript", str(tmp_path / "lme4_lmm.R")], check=True, capture_output=True)
    new = pd.read_json(tmp_path / "lme4_lmm.json", typ="series")
    for case, v in new["cases"].items():
        for method in ("reml", "ml"):
            np.testing.assert_allclose(v[method]["se"], CASES[case][method]["se"], rtol=1e-6)
