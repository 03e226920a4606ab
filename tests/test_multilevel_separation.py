"""Separation in the GLMM (issue 12, point 4): detection, penalised refit, flags, failures.

References (tests/reference/glmm_separation.R -> glmm_separation.json, no live R needed):
R's glm SE-growth check (Lesaffre & Albert; as detectseparation::check_infinite_estimates) for
which coefficients are infinite, and blme::bglmer(fixef.prior = normal(sd = c(10, 2.5)),
cov.prior = NULL) for the penalised fit. Tolerances: estimates 1e-4 absolute, SEs 1e-3
relative (the Laplace fits differ by lme4's PIRLS-based Laplace term, about 3e-5 here).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from multilevel_data import FAST_TESTS as FAST
from reintegratie_stats import multilevel as M
from reintegratie_stats.multilevel import GLMMControl, glmer, glmm_design
from reintegratie_stats.multilevel.separation import detect_separation

REFDIR = Path(__file__).parent / "reference"
REF = json.loads((REFDIR / "glmm_separation.json").read_text())
SEP_F = "y ~ x + z + w + (1 | g)"


def _sep() -> pd.DataFrame:
    return pd.read_csv(REFDIR / "glmm_separation.csv")


def _video() -> tuple[pd.DataFrame, str]:
    df = pd.read_csv(REFDIR / "family_video_calls.csv")
    terms = [c for c in df.columns if c not in ("y", "g")]
    return df, "y ~ " + " + ".join(terms) + " + (1 | g)"


def _infinite_r(case: str) -> list[str]:
    return sorted(
        k.replace("(Intercept)", "Intercept")
        for k, v in REF["detect"][case]["infinite"].items()
        if v
    )


def _fit(formula, df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glmer(formula, df, **kw)


@pytest.mark.parametrize(
    ("case", "formula", "frame"),
    [
        ("quasi", "y ~ x + z + w + (1 | g)", lambda: _sep()),
        ("complete", "yc ~ x + w + (1 | g)", lambda: _sep().assign(yc=lambda d: (d.x > 0.3) * 1.0)),
        ("none", "w ~ x + z + (1 | g)", lambda: _sep()),
        ("video", None, lambda: _video()[0]),
    ],
)
def test_detection_agrees_with_r_se_growth(case, formula, frame):
    df = frame()
    if formula is None:
        formula = _video()[1]
    d = glmm_design(formula, df)
    r = detect_separation(d.X, d.y, d.x_names)
    assert sorted(r.terms) == _infinite_r(case)
    assert r.separation == bool(_infinite_r(case))
    assert (
        r.kind
        == {
            "quasi": "quasi-complete",
            "complete": "complete",
            "none": "none",
            "video": "quasi-complete",
        }[case]
    )


def test_detection_known_answers():
    # hand-made: rows with x = 0 all have y = 0 -> intercept -inf, x +inf
    X = np.column_stack([np.ones(8), [0, 0, 0, 1, 1, 1, 1, 1.0]])
    r = detect_separation(X, np.array([0, 0, 0, 0, 1, 1, 0, 1.0]), ["Intercept", "x"])
    assert r.infinite.to_dict() == {"Intercept": -1, "x": 1} and r.n_separated_rows == 3
    # overlap everywhere: no separation
    r = detect_separation(X, np.array([0, 1, 0, 0, 1, 1, 0, 1.0]), ["Intercept", "x"])
    assert not r.separation and r.terms == []
    # collinear columns (x2 = 2 x) are not separation
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = (rng.random(200) < 0.5).astype(float)
    r = detect_separation(np.column_stack([np.ones(200), x, 2 * x]), y)
    assert not r.separation
    with pytest.raises(ValueError, match="0/1 outcome"):
        detect_separation(X, np.array([0, 2, 0, 0, 1, 1, 0, 1.0]))


@pytest.mark.parametrize(("key", "nagq"), [("quasi_laplace", 1), ("quasi_agq10", 10)])
def test_penalised_fit_matches_bglmer(key, nagq):
    m = _fit(SEP_F, _sep(), nagq=nagq)
    ref = REF["bglmer"][key]
    assert m.penalized
    np.testing.assert_allclose(m.params.to_numpy(), list(ref["params"].values()), atol=1e-4)
    np.testing.assert_allclose(m.bse.to_numpy(), list(ref["se"].values()), rtol=1e-3)
    assert m.theta.iloc[0] == pytest.approx(ref["theta"], abs=1e-4)
    # blme's logLik is the unpenalised log-likelihood at the posterior mode, as our llf
    assert m.llf == pytest.approx(ref["logLik"], abs=1e-3)
    f = m.to_frame().set_index("term")["flag"]
    assert f["z"].startswith("separation") and f["Intercept"].startswith("separation")
    assert f["x"].startswith("penalised model")


def test_ml_fit_diverges_and_is_flagged_when_ignored():
    m = _fit(SEP_F, _sep(), control=GLMMControl(separation="ignore"))
    # what lme4 publishes as well: |coef| ~ 20 with SE ~ 1650 (glmer_ml in the fixture)
    r = REF["glmer_ml"]["quasi"]
    assert abs(r["params"]["z"]) > 15 and r["se"]["z"] > 100
    assert abs(m.params["z"]) > 10 or m.bse["z"] > 50
    flags = m.to_frame().set_index("term")["flag"]
    assert flags["z"] != "" and flags["Intercept"] != "" and flags["x"] == ""
    assert not m.convergence.converged
    # the finite coefficients and the variance are lme4's (its optimiser stops at z ~ 20, ours
    # further out along the same flat direction: the likelihood is the same to 1e-6)
    for t in ("x", "w"):
        assert m.params[t] == pytest.approx(r["params"][t], abs=2e-3)
        assert m.bse[t] == pytest.approx(r["se"][t], rel=2e-2)
    assert m.theta.iloc[0] == pytest.approx(r["theta"], abs=2e-3)


def test_not_estimable_marks_terms_with_reason():
    m = _fit(SEP_F, _sep(), control=GLMMControl(separation="not_estimable"))
    tab = m.to_frame().set_index("term")
    assert np.isnan(tab.loc["z", "estimate"]) and np.isnan(tab.loc["z", "std_error"])
    assert "not estimable" in tab.loc["z", "flag"] and "+inf" in tab.loc["z", "flag"]
    assert np.isfinite(tab.loc["x", "estimate"]) and tab.loc["x", "flag"] == ""


def test_lme4_backend_diverged_numbers_never_unflagged():
    # term_flags works on any GLMMResult: feed it lme4's own separated ML estimates
    r = REF["glmer_ml"]["video"]
    names = list(r["params"])
    cov = pd.DataFrame(np.diag(np.array(list(r["se"].values())) ** 2), index=names, columns=names)
    res = M.GLMMResult(params=pd.Series(r["params"]), cov=cov, nobs=1820, backend="lme4")
    fr = res.to_frame().set_index("term")
    big = fr.index[fr["estimate"].abs() > 15]
    assert list(big) == ["(Intercept)", "video_calling"]
    assert (fr.loc[big, "flag"] != "").all() and (fr.drop(big)["flag"] == "").all()


@pytest.fixture(scope="module")
def family():
    from reintegratie_stats import synth

    ex = synth.load_example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return M.family_models(ex.prisoners, ex.institutions, **FAST)


def test_video_calling_family_model_is_penalised_and_flagged(family):
    """The motivating case: intercept -179,139 (SE 47,851) unflagged before this change."""
    e = family.estimates
    v = e[(e.outcome == "any_video_calls") & (e.model == "institutional")].set_index("term")
    assert v["estimate"].abs().max() < 15
    assert v.loc["video_calling", "flag"].startswith("separation")
    assert v.loc["Intercept", "flag"].startswith("separation")
    # same numbers as blme::bglmer (optimizer bobyqa) on the same rows
    ref = REF["bglmer"]["video_laplace"]
    np.testing.assert_allclose(v["estimate"].to_numpy(), list(ref["params"].values()), atol=1e-4)
    np.testing.assert_allclose(v["std_error"].to_numpy(), list(ref["se"].values()), rtol=1e-3)
    # nothing above 15 on the logit scale anywhere without a flag
    assert not ((e["estimate"].abs() > 15) & (e["flag"] == "")).any()
    t = family.table.set_index(["outcome", "model"])
    assert t.loc[("any_video_calls", "institutional"), "penalized"]
    assert not t.loc[("any_visits_children", "institutional"), "penalized"]
    assert family.problems.empty


def test_one_outcome_failure_keeps_the_others(monkeypatch):
    from reintegratie_stats import synth
    from reintegratie_stats.multilevel import facilitation as F

    real = F.glmer

    def flaky(formula, data, **kw):
        if formula.startswith("any_video_calls") and "video_calling" in formula:
            raise FloatingPointError("conditional modes did not converge")
        return real(formula, data, **kw)

    monkeypatch.setattr(F, "glmer", flaky)
    ex = synth.load_example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ms = M.family_models(ex.prisoners, ex.institutions, **FAST)
    assert ms.problems.to_dict("records") == [
        {
            "outcome": "any_video_calls",
            "model": "institutional",
            "error": "FloatingPointError",
            "message": "conditional modes did not converge",
        }
    ]
    fitted = set(ms.table["outcome"] + "/" + ms.table["model"])
    assert "any_visits_children/institutional" in fitted
    assert "parent_child_day/institutional" in fitted
    assert "any_video_calls/individual" in fitted
    assert "any_video_calls/institutional" not in fitted


def test_bad_control_values_are_named():
    with pytest.raises(ValueError, match="GLMMControl.separation"):
        GLMMControl(separation="drop")
    with pytest.raises(ValueError, match="prior_sd"):
        GLMMControl(prior_sd=0)


def test_numerical_failure_of_the_ml_path_falls_back_to_the_penalised_fit(monkeypatch):
    import importlib

    G = importlib.import_module("reintegratie_stats.multilevel.glmer")  # the module

    real = G.optimize_glmm

    def failing(obj, start=None, control=None):
        if obj.prior_sd is None:
            raise FloatingPointError("conditional modes did not converge")
        return real(obj, start=start, control=control)

    monkeypatch.setattr(G, "optimize_glmm", failing)
    df = _sep()[lambda d: d.z == 1]  # the groups with the facility: no separation
    m = _fit("y ~ x + w + (1 | g)", df)
    assert m.penalized and "conditional modes" in m.extra["ml_failure"]
    assert (m.to_frame()["flag"] != "").all()
    with pytest.raises(FloatingPointError):
        _fit("y ~ x + w + (1 | g)", df, control=GLMMControl(separation="not_estimable"))


# --- numerical failures of the unpenalised ML path (FloatingPointError) ---------------------
def test_nagq0_start_of_separated_data_is_not_used():
    from reintegratie_stats.multilevel import optimize as O

    d = glmm_design(SEP_F, _sep())
    obj = M.make_objective(d, nagq=1)
    start, _ = O._nagq0_start(obj)
    # the joint mode runs off along the separating direction (to ~1e17 before the fix)
    assert np.all(np.isfinite(start)) and np.max(np.abs(start[1:])) <= 50
    # on data without separation the nAGQ=0 start is kept (finite, small)
    d2 = glmm_design("y ~ x + w + (1 | g)", _sep()[lambda x: x.z == 1])
    s2, _ = O._nagq0_start(M.make_objective(d2, nagq=1))
    assert s2[0] != 1.0 and np.max(np.abs(s2[1:])) < 5


def _flaky(obj, fails):
    """``obj`` whose deviance raises FloatingPointError where ``fails(x, n_call)``."""
    import dataclasses

    calls = [0]

    def vg(x):
        calls[0] += 1
        if fails(np.asarray(x, dtype=float), calls[0]):
            raise FloatingPointError("conditional modes did not converge")
        return obj.value_and_grad(x)

    return dataclasses.replace(obj, value_and_grad=vg, fun=lambda x: vg(x)[0])


def test_a_numerical_failure_in_newton_goes_to_the_bounded_route():
    d = glmm_design("y ~ x + w + (1 | g)", _sep()[lambda x: x.z == 1])
    obj = M.make_objective(d, nagq=1)
    ref = M.optimize_glmm(obj)
    # one failure inside the first numerical Hessian: the fit still reaches the optimum
    opt = M.optimize_glmm(_flaky(obj, lambda x, n: n == 2))
    assert opt.converged and not opt.history["diverged"]
    assert "conditional modes" in opt.history["numerical_failure"]
    np.testing.assert_allclose(opt.x, ref.x, atol=1e-6)
    np.testing.assert_allclose(opt.hessian, ref.hessian, rtol=1e-4)


def test_a_fit_that_cannot_leave_a_failing_region_is_returned_flagged():
    # the deviance cannot be evaluated beyond |beta| = 3 (as the conditional modes far out on
    # separated data): the ML fit runs into that wall; it must come back, not raise
    d = glmm_design(SEP_F, _sep())
    obj = _flaky(M.make_objective(d, nagq=1), lambda x, n: np.max(np.abs(x[1:])) > 3)
    control = GLMMControl(separation="ignore")
    opt = M.optimize_glmm(obj, control=control)
    assert not opt.converged and opt.history["diverged"]
    assert np.max(np.abs(opt.x[1:])) <= 3 + 1e-9
    res = M.build_glmm_result(d, obj, opt, control, apply=False)
    assert not res.convergence.converged
    assert any("numerical failure" in msg for msg in res.convergence.messages)
    assert (res.to_frame()["flag"] != "").all()
