"""Parametric-bootstrap LRT (issue 12): agreement with pbkrtest::PBmodcomp, refits, seeds."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from multilevel_data import REF, cbpp01
from reintegratie_stats.multilevel import GLMMControl, glmer, make_objective, optimize_glmm
from reintegratie_stats.multilevel import bootstrap as B
from reintegratie_stats.multilevel.design import glmm_design


@pytest.fixture(scope="module")
def cbpp():
    d = cbpp01()
    d["later"] = (d["period"] != "1").astype(float)
    big = glmer("y ~ C(period) + (1 | herd)", d)
    small = glmer("y ~ later + (1 | herd)", d)
    return d, big, small


@pytest.fixture(scope="module")
def small_null():
    """26 groups, an institution-level covariate z without effect."""
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(26), 25)
    z = rng.normal(size=26)[g]
    x = rng.normal(size=g.size)
    eta = -0.4 + 0.5 * x + 0.6 * rng.normal(size=26)[g]
    d = pd.DataFrame({"y": (rng.random(g.size) < expit(eta)).astype(float), "x": x, "z": z, "g": g})
    return d, glmer("y ~ x + z + (1 | g)", d)


@pytest.mark.slow
def test_agrees_with_pbmodcomp_on_cbpp(cbpp):
    """Same statistic as lme4; p-value and reference distribution within Monte Carlo error of
    PBmodcomp's (tests/reference/pbmodcomp_cbpp.R, 400 replicates)."""
    ref = json.loads((REF / "pbmodcomp_cbpp.json").read_text())
    d, big, small = cbpp
    r = B.pb_modcomp(big, small, d, nsim=1000, seed=7)
    # our Laplace deviance is the exact Laplace value; lme4's differs by ~5e-4 (objective.py)
    assert r.statistic == pytest.approx(ref["statistic"], abs=2e-3)
    assert r.pvalue_chi2 == pytest.approx(ref["p_chi2"], abs=1e-3)
    assert r.df_num == ref["df"] == 2
    assert r.n_used == 1000 and r.n_failed == 0
    p1, n1, p2, n2 = r.pvalue, r.n_used, ref["p_pb"], ref["n_used"]
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    assert abs(p1 - p2) < 3 * se  # se ~ 0.03
    # the whole null distributions agree (two-sample KS) and so do their means
    ks = stats.ks_2samp(r.null_distribution, np.asarray(ref["ref"]))
    assert ks.pvalue > 0.01
    rr = np.asarray(ref["ref"])
    se_mean = np.sqrt(r.null_distribution.var() / n1 + rr.var() / n2)
    assert abs(r.null_distribution.mean() - rr.mean()) < 3 * se_mean


def test_refits_are_the_full_optimum(small_null):
    """The warm-started quasi-Newton refits reach the optimum of a fresh full fit."""
    d, big = small_null
    r = B.pb_lrt(big, d, ["z"], nsim=8, seed=3)
    design = glmm_design(big.formula, d)
    small, d_small = B._fit_without(big, design, ["z"])
    ys = B.simulate_null(d_small, small.optim_info["x"], 8, np.random.default_rng(3))
    full = []
    for y in ys:
        f0 = optimize_glmm(make_objective(replace(d_small, y=y.astype(float)))).fun
        f1 = optimize_glmm(make_objective(replace(design, y=y.astype(float)))).fun
        full.append(max(f0 - f1, 0.0))
    np.testing.assert_allclose(r.null_distribution, full, atol=1e-5)


def test_p_value_formula_and_outputs(small_null):
    d, big = small_null
    r = B.pb_lrt(big, d, ["z"], nsim=59, seed=5)
    k = int(np.sum(r.null_distribution >= r.statistic - 1e-8))
    assert r.pvalue == pytest.approx((1 + k) / (1 + 59)) and r.n_extreme == k
    assert r.statistic == pytest.approx(
        2 * (big.llf - B._fit_without(big, glmm_design(big.formula, d), ["z"])[0].llf), abs=1e-8
    )
    assert r.pvalue_chi2 == pytest.approx(stats.chi2.sf(r.statistic, 1))
    tab = r.to_frame()
    assert list(tab.columns) == ["test", "statistic", "df", "p_value", "nsim", "n_used"]
    assert list(tab["test"]) == ["LRT", "PBtest"]
    assert "extremes" in r.summary() and r.test == "parametric bootstrap LRT (59)"
    assert 0 < r.mc_se < 0.1


@pytest.mark.slow
def test_deterministic_by_seed_not_by_n_jobs(small_null):
    d, big = small_null
    a = B.pb_lrt(big, d, ["z"], nsim=120, seed=42, n_jobs=1)
    b = B.pb_lrt(big, d, ["z"], nsim=120, seed=42, n_jobs=2)
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert a.pvalue == b.pvalue
    c = B.pb_lrt(big, d, ["z"], nsim=120, seed=43)
    assert not np.array_equal(a.null_distribution, c.null_distribution)


def test_terms_frame(small_null):
    d, big = small_null
    tab = B.pb_lrt_terms(big, d, ["x", "z"], nsim=19, seed=1)
    assert list(tab["term"]) == ["block", "x", "z"]
    assert list(tab["df"]) == [2.0, 1.0, 1.0]
    assert (tab["test"] == "parametric bootstrap LRT (19)").all()
    assert tab.loc[1, "p_value"] == pytest.approx(1 / 20)  # x has a real effect (0.5)
    again = B.pb_lrt_terms(big, d, ["x", "z"], nsim=19, seed=1)
    pd.testing.assert_frame_equal(tab, again)


def test_simulation_follows_the_fitted_model():
    """Marginal means of the simulated responses match the model; intercepts drawn afresh."""
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(10), 30)
    d = pd.DataFrame(
        {"y": rng.integers(0, 2, 300).astype(float), "x": rng.normal(size=300), "g": g}
    )
    design = glmm_design("y ~ x + (1 | g)", d)
    x = np.array([0.0, -0.2, 0.7])  # theta = 0: independent Bernoulli(expit(X beta))
    ys = B.simulate_null(design, x, 4000, np.random.default_rng(1))
    p = expit(design.X @ x[1:])
    assert np.max(np.abs(ys.mean(axis=0) - p) / np.sqrt(p * (1 - p) / 4000)) < 5
    ys = B.simulate_null(design, np.array([1.5, 0.0, 0.0]), 2000, np.random.default_rng(1))
    gm = np.stack([ys[:, design.groups == j].mean(axis=1) for j in range(10)], axis=1)
    # between-group spread within a replicate, and the same group differs between replicates
    assert gm.std(axis=1).mean() > 0.15 and gm[:, 0].std() > 0.15


def test_bad_input(cbpp, small_null):
    d, big, small = cbpp
    with pytest.raises(ValueError, match="nested"):
        B.pb_modcomp(small, big, d, nsim=5)
    with pytest.raises(ValueError, match="do not match"):
        B.pb_modcomp(big, small, d.iloc[:-1], nsim=5)
    with pytest.raises(ValueError, match="do not match"):
        B.pb_modcomp(big, small, d.assign(y=1.0 - d["y"]), nsim=5)
    with pytest.raises(ValueError, match="nsim"):
        B.pb_modcomp(big, small, d, nsim=0)
    with pytest.raises(ValueError, match="n_jobs"):
        B.pb_modcomp(big, small, d, nsim=5, n_jobs=0)
    dn, bn = small_null
    with pytest.raises(ValueError, match="unknown"):
        B.pb_lrt(bn, dn, ["nope"], nsim=5)
    with pytest.raises(ValueError, match="native-backend"):
        B.pb_lrt(object(), dn, ["z"], nsim=5)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def separated():
    """Institutions without the facility z never have the outcome: z separates the rows, so
    glmer refits both the big and the small model by penalised likelihood (normal priors)."""
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(20), 30)
    z = (np.arange(20) % 2 == 0).astype(float)[g]
    x = rng.normal(size=g.size)
    y = np.where(z == 0, 0.0, (rng.random(g.size) < expit(0.3 + 0.5 * x)).astype(float))
    d = pd.DataFrame({"y": y, "x": x, "z": z, "g": g})
    with pytest.warns(Warning, match="separation"):
        big = glmer("y ~ x + z + (1 | g)", d)
    return d, big


def test_penalised_models_get_the_penalised_likelihood_ratio(separated):
    """A penalised (separated) big model: the small model is fitted with the same priors, the
    statistic is the difference of penalised deviances (checked against glmer's own penalised
    fit of the small formula) and the bootstrap calibrates it; the test name says so. Until
    this fix pb_lrt rebuilt the unpenalised deviance and refused the model as 'data do not
    match', and the workflow mixed a penalised with an unpenalised deviance."""
    d, big = separated
    assert big.penalized
    with pytest.warns(Warning, match="separation"):
        small = glmer("y ~ z + (1 | g)", d)  # separated too: the same priors on Intercept, z
    assert small.penalized
    lr = small.optim_info["fun"] - big.optim_info["fun"]
    r = B.pb_lrt(big, d, ["x"], nsim=19, seed=1)
    assert r.statistic == pytest.approx(lr, rel=1e-6, abs=1e-6)
    assert r.statistic > stats.chi2.ppf(0.95, 1)  # x has an effect (0.5 per SD)
    assert r.n_used >= 15 and r.pvalue == pytest.approx(1 / 20)
    assert "penalised" in r.test
    r2 = B.pb_modcomp(big, small, d, nsim=19, seed=1)
    assert r2.statistic == pytest.approx(lr, rel=1e-6, abs=1e-6)
    ctl = GLMMControl(separation="ignore", check_conv="ignore", check_separation="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unpen = glmer("y ~ z + (1 | g)", d, control=ctl)
    with pytest.raises(ValueError, match="penalised fit"):
        B.pb_modcomp(big, unpen, d, nsim=5)


def test_no_p_value_when_most_refits_fail():
    """Fewer than half of the replicates refitted (e.g. constant simulated responses): the
    p-value is NaN (named in the workflow's ``test`` column), not 1/(1 + 0)."""
    ref = np.r_[np.full(6, np.nan), 0.5, 3.0, 0.1, 2.0]
    with pytest.warns(Warning, match="p-value not computed"):
        r = B._finish(1.0, ref, 1, 10, 1, ["x"], 0.0)
    assert np.isnan(r.pvalue) and (r.n_used, r.n_failed) == (4, 6)
    ref = np.r_[np.full(4, np.nan), 0.5, 3.0, 0.1, 2.0, 0.2, 1.5]
    with pytest.warns(Warning, match="4 of 10 replicates dropped"):
        r = B._finish(1.0, ref, 1, 10, 1, ["x"], 0.0)
    # 6 used, 3 of them >= 1.0 (3.0, 2.0, 1.5): (1 + 3) / (1 + 6)
    assert r.pvalue == pytest.approx(4 / 7) and r.n_used == 6


# --- refits at the boundary (issue 11: most family-model refits end at theta = 0) -----------
@pytest.fixture(scope="module")
def boundary():
    """lme4's singular fit (tests/reference/glmm_boundary.R): no group effect, theta = 0."""
    d = pd.read_csv(REF / "glmm_boundary.csv")
    ref = json.loads((REF / "glmm_boundary.json").read_text())
    return d, ref, glmm_design("y ~ x + z + (1 | g)", d)


def _profile(obj, theta: float, beta0: np.ndarray) -> float:
    """min over beta of the deviance at fixed theta (scipy BFGS with the exact gradient)."""
    from scipy import optimize

    def vg(b):
        f, g = obj.value_and_grad(np.r_[theta, b])
        return f, g[1:]

    r = optimize.minimize(vg, beta0, jac=True, method="BFGS", options={"gtol": 1e-9})
    return float(r.fun)


def test_boundary_fit_is_glmers_singular_fit(boundary):
    """The boundary refit of data whose ML variance is 0 reaches glmer's deviance (equal to
    glm's there) and glm's coefficients, by itself and through the refit of the bootstrap."""
    d, ref, design = boundary
    assert ref["theta"] == 0.0
    obj = make_objective(design)
    dev, x, ok = B._boundary_fit(obj, np.array([0.3, 0.0, 0.0, 0.0]))
    assert ok and x[0] == 0.0
    assert dev == pytest.approx(ref["glmer_deviance"], abs=1e-6)
    assert dev == pytest.approx(ref["glm_deviance"], abs=1e-6)
    np.testing.assert_allclose(x[1:], list(ref["glm_coef"].values()), atol=1e-6)
    # the refit of a bootstrap replicate with this response, from an interior start
    fit = B._Fitted(design, np.r_[0.4, x[1:]], np.eye(4), 1)
    f, x2, ok2 = B._refit(fit, design.y, fit.x)
    assert ok2 and x2[0] == 0.0 and f == pytest.approx(ref["glmer_deviance"], abs=1e-6)


def test_variance_score_is_the_curvature_at_theta_0(boundary):
    """D(theta) - D(0) = -theta^2 S + O(theta^4) with beta profiled out (scipy): the sign of
    S decides whether the deviance decreases when theta leaves 0. Checked on the singular
    data (S < 0) and on data with a group effect (S > 0)."""
    d, _, design = boundary
    rng = np.random.default_rng(5)
    eff = design.X @ np.array([-0.4, 0.5, 0.1]) + 0.5 * rng.normal(size=26)[design.groups]
    with_effect = replace(design, y=(rng.random(design.nobs) < expit(eff)).astype(float))
    signs = []
    for des in (design, with_effect):
        obj = make_objective(des)
        beta = B._glm_fit(obj, np.zeros(3))
        s = B._variance_score(des, beta)
        d0 = obj.fun(np.r_[0.0, beta])
        for t in (0.02, 0.04):
            assert (d0 - _profile(obj, t, beta)) / t**2 == pytest.approx(s, rel=0.02)
        signs.append(np.sign(s))
    assert signs == [-1, 1]


@pytest.fixture(scope="module")
def near_zero():
    """26 groups with a tiny institution variance (as the family models): about half of the
    bootstrap refits end at theta = 0."""
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(26), 20)
    z = rng.normal(size=26)[g]
    x = rng.normal(size=g.size)
    eta = -0.5 + 0.5 * x + 0.1 * rng.normal(size=26)[g]
    d = pd.DataFrame({"y": (rng.random(g.size) < expit(eta)).astype(float), "x": x, "z": z, "g": g})
    ctl = GLMMControl(check_singular="ignore")
    return d, glmer("y ~ x + z + (1 | g)", d, control=ctl)


@pytest.fixture(scope="module")
def video():
    """The penalised chapter-4 family model for video calling (tests/reference/
    family_video_calls.csv, separated: normal priors), facilities without effect: refits in
    which the old route stopped at theta = 0 where the deviance still decreases."""
    d = pd.read_csv(REF / "family_video_calls.csv")
    terms = [c for c in d.columns if c not in ("y", "g")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = glmer("y ~ " + " + ".join(terms) + " + (1 | g)", d)
    assert big.penalized
    return d, big, [t for t in terms if t.startswith(("has_", "video", "parent"))]


def _old_refit(fitted, y, x0):
    """The refit before the boundary fit: quasi-Newton, else optimize_glmm (two starts)."""
    obj = make_objective(
        replace(fitted.design, y=y.astype(float)),
        nagq=fitted.nagq,
        prior_sd=fitted.prior_sd,
        mode_tol=B.MODE_TOL,
    )
    try:
        x, f, ok, _ = B._quasi_newton(obj.value_and_grad, x0, fitted.hessian)
    except (FloatingPointError, ValueError):
        ok = False
    return (float(f), x, True) if ok else B._full_refit(obj, x0)


def _both_routes(d, big, drop, nsim, seed):
    """LR* and deviances of every replicate by the new refit and by the old route."""
    design = glmm_design(big.formula, d)
    small, d_small = B._fit_without(big, design, drop)
    fs, fb = B._as_fitted(small, d_small), B._as_fitted(big, design)
    keep = [j for j, n in enumerate(design.x_names) if n not in drop]
    embed = np.zeros((1 + len(design.x_names), 1 + len(keep)))
    embed[0, 0] = 1.0
    embed[[1 + j for j in keep], np.arange(1, 1 + len(keep))] = 1.0
    out = []
    for y in B.simulate_null(d_small, fs.x, nsim, np.random.default_rng(seed)):
        new0, old0 = B._refit(fs, y, fs.x), _old_refit(fs, y, fs.x)
        new1, old1 = B._refit(fb, y, embed @ new0[1]), _old_refit(fb, y, embed @ old0[1])
        pairs = []
        for des, new, old in ((d_small, new0, old0), (design, new1, old1)):
            # the old route at theta = 0: was the deviance still decreasing there (S > 0)?
            saddle = old[2] and old[1][0] == 0.0
            if saddle:
                saddle = B._variance_score(replace(des, y=y.astype(float)), old[1][1:]) > 0
            pairs.append((new, old, saddle))
        out.append(pairs)
    return out


@pytest.mark.slow
def test_boundary_refits_agree_with_the_full_route(near_zero, video):
    """On replicates near theta = 0 the new refit never ends at a higher deviance than the
    route it replaces (quasi-Newton, else optimize_glmm from two starts), and the LR* of the
    two agree to 1e-6 wherever both converge. The old route used to stop at theta = 0 where
    the deviance still decreases (S > 0: a saddle, because the gradient in theta is 0 there;
    80 of 642 boundary refits of the family models); optimize_glmm now probes the interior
    from a boundary optimum, so no saddle is left."""
    n_boundary, n_saddle, n_agree = 0, 0, 0
    d, big = near_zero
    reps = _both_routes(d, big, ["z"], 40, 8)
    d, big, facilities = video
    reps += _both_routes(d, big, facilities, 15, 2)
    for pairs in reps:
        for new, old, saddle in pairs:
            assert new[2] or not old[2]  # converges wherever the old route did
            if old[2]:
                assert new[0] <= old[0] + 1e-6
            if saddle:
                assert new[0] < old[0] and new[1][0] > 0.0
            n_boundary += new[1][0] == 0.0
            n_saddle += saddle
        (new0, old0, s0), (new1, old1, s1) = pairs
        if new0[2] and new1[2] and old0[2] and old1[2] and not (s0 or s1):
            lr_new = max(new0[0] - new1[0], 0.0)
            assert lr_new == pytest.approx(max(old0[0] - old1[0], 0.0), abs=1e-6)
            n_agree += 1
    assert n_boundary >= 20 and n_saddle == 0 and n_agree >= 45


# --- per-term bootstrap-t on the block's replicates (term_t=True) --------------------------
@pytest.fixture(scope="module")
def block_null():
    """26 groups, two institution-level covariates without effect (the block null holds)."""
    rng = np.random.default_rng(23)
    g = np.repeat(np.arange(26), 25)
    z1, z2 = rng.normal(size=26)[g], rng.normal(size=26)[g]
    x = rng.normal(size=g.size)
    eta = -0.4 + 0.5 * x + 0.6 * rng.normal(size=26)[g]
    y = (rng.random(g.size) < expit(eta)).astype(float)
    d = pd.DataFrame({"y": y, "x": x, "z1": z1, "z2": z2, "g": g})
    return d, glmer("y ~ x + z1 + z2 + (1 | g)", d)


def _direct_t(design, beta: np.ndarray, sigma: float, y: np.ndarray, cols) -> np.ndarray:
    """Wald t given theta, computed directly: the conditional modes by a generic optimiser,
    then the inverse of the full (p + G) curvature of the penalised log-likelihood in
    (beta, u), of which the beta block is the covariance (no Schur complement)."""
    from scipy.optimize import minimize

    X, g, G = design.X, design.groups, design.n_groups
    Z = np.zeros((g.size, G))
    Z[np.arange(g.size), g] = sigma  # u standardised: eta = X beta + sigma u_g
    off = X @ beta

    def nll(u):
        eta = off + Z @ u
        return np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * u @ u

    def grad(u):
        return Z.T @ (expit(off + Z @ u) - y) + u

    u = minimize(nll, np.zeros(G), jac=grad, method="BFGS", options={"gtol": 1e-10}).x
    mu = expit(off + Z @ u)
    W = mu * (1 - mu)
    A = np.hstack([X, Z])
    Hfull = A.T @ (W[:, None] * A) + np.diag(np.r_[np.zeros(X.shape[1]), np.ones(G)])
    cov = np.linalg.inv(Hfull)[: X.shape[1], : X.shape[1]]
    return beta[cols] / np.sqrt(np.diag(cov)[cols])


def test_bootstrap_t_agrees_with_a_direct_computation(block_null):
    """The t* of every replicate equal a fresh full fit's t (computed directly), the observed t
    too, and the p-value is (1 + #{|t*| >= |t|}) / (B + 1) on those direct t's. The block test
    is the one without term_t (the same replicates)."""
    d, big = block_null
    terms = ["z1", "z2"]
    r = B.pb_lrt(big, d, terms, nsim=9, seed=4, term_t=True)
    plain = B.pb_lrt(big, d, terms, nsim=9, seed=4)
    np.testing.assert_array_equal(r.null_distribution, plain.null_distribution)
    assert r.pvalue == plain.pvalue and plain.term_pvalues is None
    design = glmm_design(big.formula, d)
    cols = [list(design.x_names).index(t) for t in terms]
    small, d_small = B._fit_without(big, design, terms)
    ys = B.simulate_null(d_small, small.optim_info["x"], 9, np.random.default_rng(4))
    direct = []
    for y in ys:
        x = optimize_glmm(make_objective(replace(design, y=y.astype(float)))).x
        direct.append(_direct_t(design, x[1:], x[0], y.astype(float), cols))
    direct = np.array(direct)
    assert r.n_used == 9 and r.term_null_distribution.shape == (9, 2)
    np.testing.assert_allclose(r.term_null_distribution, direct, atol=2e-3, rtol=2e-3)
    xb = np.asarray(big.optim_info["x"])
    t_obs = _direct_t(design, xb[1:], xb[0], design.y, cols)
    np.testing.assert_allclose(r.term_statistics.to_numpy(), t_obs, rtol=1e-6)
    # the SE given theta is close to (not equal to) the reported Hessian SE
    np.testing.assert_allclose(t_obs, big.tvalues[terms].to_numpy(), rtol=0.05)
    want = [(1 + np.sum(np.abs(direct[:, j]) >= abs(t_obs[j]))) / 10 for j in range(2)]
    np.testing.assert_allclose(r.term_pvalues.loc[terms].to_numpy(), want)
    assert list(r.term_pvalues.index) == terms
    assert r.term_test == "parametric bootstrap-t under the block null (9)"


def test_bootstrap_t_p_values_are_probabilities_and_seeded(block_null):
    d, big = block_null
    a = B.pb_lrt(big, d, ["z1", "z2"], nsim=39, seed=8, term_t=True)
    b = B.pb_lrt(big, d, ["z1", "z2"], nsim=39, seed=8, term_t=True)
    c = B.pb_lrt(big, d, ["z1", "z2"], nsim=39, seed=9, term_t=True)
    p = a.term_pvalues.to_numpy()
    assert np.all((p > 0) & (p <= 1))
    # on the grid 1/(B+1), ..., 1 (no replicate dropped here)
    np.testing.assert_allclose(p * 40, np.round(p * 40), atol=1e-9)
    pd.testing.assert_series_equal(a.term_pvalues, b.term_pvalues)
    np.testing.assert_array_equal(a.term_null_distribution, b.term_null_distribution)
    assert not np.array_equal(a.term_null_distribution, c.term_null_distribution)
    # an x-only block: x has a real effect (0.5 per SD), beyond every replicate
    e = B.pb_lrt(big, d, ["x"], nsim=19, seed=1, term_t=True)
    assert e.term_pvalues["x"] == pytest.approx(1 / 20)


@pytest.mark.slow
def test_bootstrap_t_does_not_depend_on_n_jobs(block_null):
    d, big = block_null
    a = B.pb_lrt(big, d, ["z1", "z2"], nsim=60, seed=2, term_t=True, n_jobs=1)
    b = B.pb_lrt(big, d, ["z1", "z2"], nsim=60, seed=2, term_t=True, n_jobs=2)
    np.testing.assert_array_equal(a.term_null_distribution, b.term_null_distribution)
    pd.testing.assert_series_equal(a.term_pvalues, b.term_pvalues)


def test_wald_t_given_theta_matches_the_hessian_free_covariance(cbpp):
    """On cbpp the t given theta equals the direct computation at the fitted optimum."""
    d, big, _ = cbpp
    design = glmm_design(big.formula, d)
    x = np.asarray(big.optim_info["x"])
    cols = list(range(len(design.x_names)))
    got = B.wald_t_given_theta(design, x, cols)
    np.testing.assert_allclose(got, _direct_t(design, x[1:], x[0], design.y, cols), rtol=1e-6)


def test_wald_t_given_theta_matches_lme4_vcov_without_hessian():
    """The SE given theta is lme4's ``vcov(fit, use.hessian = FALSE)`` on cbpp (Laplace), at
    glmer's own (theta, beta) (tests/reference/glmm_vcov_given_theta.R). Against RX after a
    tight PIRLS (tolPwrss 1e-12) it agrees to ~1e-9; lme4's default fit takes RX from the weights
    before its last PIRLS update, ~3e-5 off; the Hessian-based SE is ~1.6e-2 off."""
    ref = json.loads((REF / "glmm_vcov_given_theta.json").read_text())
    design = glmm_design("y ~ C(period) + (1 | herd)", cbpp01())
    assert len(design.x_names) == len(ref["names"]) == 4
    beta = np.asarray(ref["beta"])
    se = beta / B.wald_t_given_theta(design, np.r_[ref["theta"], beta], [0, 1, 2, 3])
    np.testing.assert_allclose(se, ref["se_tight"], rtol=1e-7)
    np.testing.assert_allclose(se, ref["se_use_hessian_false"], rtol=1e-4)
    assert np.max(np.abs(se / np.asarray(ref["se_use_hessian_true"]) - 1)) > 1e-3


def test_bootstrap_t_at_the_boundary_is_the_logistic_regressions_wald_z(near_zero):
    """A replicate refitted at theta = 0 (about half of them here) is a logistic regression:
    its t given theta is statsmodels' Logit Wald z. The p-values stay probabilities."""
    sm = pytest.importorskip("statsmodels.api")
    d, big = near_zero
    r = B.pb_lrt(big, d, ["z"], nsim=19, seed=6, term_t=True)
    assert 0 < r.term_pvalues["z"] <= 1 and r.n_used == 19
    design = glmm_design(big.formula, d)
    small, d_small = B._fit_without(big, design, ["z"])
    fb = B._as_fitted(big, design)
    ys = B.simulate_null(d_small, small.optim_info["x"], 19, np.random.default_rng(6))
    n_zero = 0
    for i, y in enumerate(ys):
        y = y.astype(float)
        x = B._refit(fb, y, fb.x)[1]  # the big model's refit (start aside, the same optimum)
        if x[0] != 0.0:
            continue
        n_zero += 1
        z = sm.Logit(y, design.X).fit(disp=0, tol=1e-12).tvalues[2]
        assert B.wald_t_given_theta(design, x, [2], y=y)[0] == pytest.approx(z, rel=1e-5)
        assert r.term_null_distribution[i, 0] == pytest.approx(z, rel=1e-4)
    assert n_zero >= 3
