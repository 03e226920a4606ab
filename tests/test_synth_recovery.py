"""Recovery: the twin's data agree with the truth it records.

- implied contact rates (truth) versus generated rates, within sampling error;
- probation contact is exactly ``logit P = x'beta + u_j``: a logit with institution dummies
  (statsmodels, independent of our code) recovers the individual-level beta;
- preparedness is exactly linear in ``preparedness_design``: OLS (statsmodels) recovers beta;
- needs rates and satisfaction means implied by the truth match the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import contact_design, generate, load_example, preparedness_design

CB = load_codebook()


@pytest.fixture(scope="module")
def large():
    return generate(seed=77, n_prisoners=40_000)


@pytest.mark.parametrize("seed", [2019, 5])
def test_implied_contact_rates_match_generated(seed):
    d = load_example() if seed == 2019 else generate(seed=seed)
    p = d.prisoners
    n = len(p)
    implied = d.truth["contact"]["implied_rate"]
    observed = {t: p[f"contact_{t}"].mean() for t in CB.professional_types}
    observed["internal_any"] = (
        (p[[f"contact_{t}" for t in CB.internal_types]] == 1).any(axis=1).mean()
    )
    observed["none"] = 1.0 - p["any_contact"].mean()
    for key, obs in observed.items():
        q = implied[key]
        se = np.sqrt(q * (1 - q) / n)  # an upper bound: Bernoulli draws given x and u
        assert abs(obs - q) < 4 * se, (key, obs, q)


def test_implied_joint_rates_at_scale(large):
    """At n = 40,000 the quadrature for 'none' and 'any internal' is checked tightly."""
    p = large.prisoners
    n = len(p)
    implied = large.truth["contact"]["implied_rate"]
    internal = (p[[f"contact_{t}" for t in CB.internal_types]] == 1).any(axis=1).mean()
    for key, obs in (("internal_any", internal), ("none", 1.0 - p["any_contact"].mean())):
        q = implied[key]
        assert abs(obs - q) < 4 * np.sqrt(q * (1 - q) / n), key


def test_probation_is_an_exact_random_intercept_logit(large):
    p = large.prisoners
    X = contact_design(p, large.institutions, large.professionals)
    truth = large.truth["contact"]["probation"]["beta"]
    individual = [c for c in X.columns if c not in ("Intercept", "facilitation", "travel_time_min")]
    dummies = pd.get_dummies(p["institution_id"], dtype=float)
    design = pd.concat([X[individual], dummies], axis=1)
    fit = sm.Logit(p["contact_probation"], design).fit(disp=0, maxiter=200)
    z = (fit.params[individual] - pd.Series(truth)[individual]) / fit.bse[individual]
    assert (z.abs() < 4).all(), z.round(2).to_dict()
    # the institution dummies estimate Intercept + facilitation/travel terms + u_j
    inst = large.institutions.set_index("institution_id")
    agg = pd.Series(large.truth["institutions"]["aggregated_scores"]["facilitation"])
    u = pd.Series(large.truth["contact"]["institution_intercepts"]["probation"])
    true_alpha = (
        truth["Intercept"]
        + truth["facilitation"] * agg
        + truth["travel_time_min"] * inst["travel_time_min"]
        + u
    )
    est = fit.params[dummies.columns]
    assert np.corrcoef(est, true_alpha[dummies.columns])[0, 1] > 0.95
    assert np.max(np.abs(est - true_alpha[dummies.columns]) / fit.bse[dummies.columns]) < 4.5


def test_other_types_follow_the_marginal_approximation(large):
    """Types with an eta loading are attenuated in a logit without eta: the estimates are
    near ``beta_marginal_approx`` (logistic-normal approximation) and away from the
    conditional ``beta`` (so the exactness above is a property of probation's zero loading)."""
    p = large.prisoners
    X = contact_design(p, large.institutions, large.professionals)
    dummies = pd.get_dummies(p["institution_id"], dtype=float)
    terms = ["first_6_weeks", "short_stay", "need_health", "need_id"]
    for t in ("casemanager", "care"):
        fit = sm.Logit(p[f"contact_{t}"], pd.concat([X[terms], dummies], axis=1)).fit(disp=0)
        rec = large.truth["contact"][t]
        assert rec["eta_loading"] > 0
        for term in terms:
            est, se = fit.params[term], fit.bse[term]
            marg = rec["beta_marginal_approx"][term]
            assert abs(est - marg) < 4 * se + 0.03 * abs(marg), (t, term, est, marg)
        assert (
            abs(fit.params["first_6_weeks"] - rec["beta"]["first_6_weeks"])
            > 2 * fit.bse["first_6_weeks"]
        )


@pytest.mark.parametrize("domain", [*CB.domains, None])
def test_preparedness_mean_is_exactly_linear(large, domain):
    p = large.prisoners
    X = preparedness_design(p, domain)
    if domain is None:
        y = p[[f"prep_{d}" for d in CB.domains]].mean(axis=1)
        beta = pd.Series(large.truth["preparedness"]["overall"]["beta"])
    else:
        y = p[f"prep_{domain}"]
        beta = pd.Series(large.truth["preparedness"]["domains"][domain]["beta"])
    assert list(beta.index) == list(X.columns)
    fit = sm.OLS(y, X).fit(cov_type="HC1")
    z = (fit.params - beta) / fit.bse
    assert (z.abs() < 4).all(), z.round(2).to_dict()


def test_needs_and_satisfaction_truth(large):
    p = large.prisoners
    n = len(p)
    for d in CB.domains:
        q = large.truth["needs"]["domains"][d]["implied_rate"]
        assert abs(p[f"need_{d}"].mean() - q) < 4 * np.sqrt(q * (1 - q) / n), d
    items = large.truth["satisfaction"]["items"]
    for t in CB.professional_types:
        for item, rec in items[t].items():
            x = p[f"{item}_{t}"].dropna()
            assert abs(x.mean() - rec["implied_mean"]) < 4 * x.std() / np.sqrt(len(x)), (t, item)


def test_family_truth(large):
    p = large.prisoners
    fam = large.truth["family"]
    kids = p[p["has_children"] == 1]
    for col, key in (
        ("parent_child_day", "p_parent_child_day_given_children"),
        ("visits_children", "mean_visits_children_given_children"),
    ):
        expected = kids["institution_id"].map(fam[key])
        resid = kids[col] - expected
        assert abs(resid.mean()) < 4 * resid.std() / np.sqrt(len(kids)), col


def test_facilitation_acts_on_probation_only():
    """With many institutions, facilitation and travel time predict probation contact and
    not municipality, care or volunteer contact (SPEC section 2, chapter 4)."""
    d = generate(seed=31, n_prisoners=20_000, n_institutions=120, n_professionals=2_400)
    p = d.prisoners
    X = contact_design(p, d.institutions, d.professionals)
    groups = p["institution_id"].astype("category").cat.codes.to_numpy()
    for t in CB.external_types:
        fit = sm.Logit(p[f"contact_{t}"], X).fit(
            disp=0, cov_type="cluster", cov_kwds={"groups": groups}
        )
        z_fac = fit.params["facilitation"] / fit.bse["facilitation"]
        z_tt = fit.params["travel_time_min"] / fit.bse["travel_time_min"]
        if t == "probation":
            assert z_fac > 3 and z_tt < -3, (z_fac, z_tt)
        else:
            assert abs(z_fac) < 3.5 and abs(z_tt) < 3.5, (t, z_fac, z_tt)


def _cond_moments(m: np.ndarray, rho: float, nodes: int = 60) -> np.ndarray:
    """E[p_d p_e | X] by Gauss-Hermite quadrature over the factor z (rows x domains x domains)."""
    from scipy.special import ndtr, ndtri

    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    pz = ndtr((ndtri(m)[:, :, None] + np.sqrt(rho) * x) / np.sqrt(1 - rho))  # n x D x nodes
    return np.einsum("idk,iek,k->ide", pz, pz, w)


def test_preparedness_factor_moments_match_truth(large):
    """Residual (co)variances of the prep items equal those implied by truth (beta, rho).

    Given X, p_d = Phi((Phi^-1(m_d) + sqrt(rho) z) / sqrt(1 - rho)), so
    Cov(prep_d, prep_e | X) = 16 (Phi2(c_d, c_e; rho) - m_d m_e) for d != e and
    Var(prep_d | X) = 12 (E[p_d^2] - m_d^2) + 4 m_d (1 - m_d). The bivariate normal CDF is
    cross-checked against scipy's ``multivariate_normal.cdf`` on a few rows.
    """
    from scipy.special import ndtri
    from scipy.stats import multivariate_normal

    p, truth = large.prisoners, large.truth["preparedness"]
    rho = truth["factor_rho"]
    assert 0 < rho < 1
    mu = np.column_stack(
        [
            preparedness_design(p, d).to_numpy()
            @ np.array(list(truth["domains"][d]["beta"].values()))
            for d in CB.domains
        ]
    )
    m = (mu - 1) / 4
    e = p[[f"prep_{d}" for d in CB.domains]].to_numpy() - mu
    epp = _cond_moments(m, rho)
    c = ndtri(m)
    for i in range(3):
        ref = multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([c[i, 0], c[i, 1]])
        assert epp[i, 0, 1] == pytest.approx(ref, abs=1e-6)
    D = len(CB.domains)
    for a in range(D):
        for b in range(a, D):
            cov_p = epp[:, a, b] - m[:, a] * m[:, b]
            if a == b:
                implied = 12 * cov_p + 4 * m[:, a] * (1 - m[:, a])
            else:
                implied = 16 * cov_p
            prod = e[:, a] * e[:, b]
            se = prod.std(ddof=1) / np.sqrt(len(prod))
            assert abs(prod.mean() - implied.mean()) < 4 * se, (a, b, prod.mean(), implied.mean())
    # the factor matters: the off-diagonal residual covariance is far from 0 (independence)
    off = np.mean(e[:, 0] * e[:, 1])
    assert off > 10 * (e[:, 0] * e[:, 1]).std(ddof=1) / np.sqrt(len(e))
