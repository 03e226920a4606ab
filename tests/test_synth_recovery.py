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
