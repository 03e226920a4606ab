"""synth.design: the true linear predictors of the twin, and the design helpers by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.synth import contact_design, institution_covariates, load_example
from reintegratie_stats.synth.design import family_contact, preparedness_terms


@pytest.fixture(scope="module")
def twin():
    return load_example()


def test_contact_truth_reproduces_implied_rates(twin):
    """design @ beta + institution intercept, through the logistic link, is probation's
    true probability; its mean is the implied rate recorded in truth."""
    X = contact_design(twin.prisoners, twin.institutions, twin.professionals)
    c = twin.truth["contact"]["probation"]
    u = twin.prisoners["institution_id"].map(
        twin.truth["contact"]["institution_intercepts"]["probation"]
    )
    lp = X.to_numpy() @ np.array([c["beta"][t] for t in X.columns]) + u.to_numpy()
    assert np.mean(1 / (1 + np.exp(-lp))) == pytest.approx(c["implied_rate"], rel=1e-9)
    cov = institution_covariates(twin.institutions, twin.professionals)
    agg = twin.truth["institutions"]["aggregated_scores"]["facilitation"]
    np.testing.assert_allclose(cov["facilitation"].to_numpy(), list(agg.values()))


def test_family_contact_by_hand():
    na = np.nan
    df = pd.DataFrame(
        {
            "visits_partner": [0.0, na, 2.0, na],
            "visits_children": [0.0, 1.0, na, na],
            "visits_family": [0.0, 0.0, na, na],
        }
    )
    # routed-out (missing) visits count as none; all three missing is unknown
    assert family_contact(df).tolist()[:3] == [0.0, 1.0, 1.0]
    assert np.isnan(family_contact(df).iloc[3])


def test_preparedness_terms():
    t = preparedness_terms("housing")
    assert t[0] == "Intercept" and "need_housing:instr_ext_housing_c" in t
    assert "family_contact" not in t
    assert preparedness_terms("social_network")[-1] == "family_contact"
