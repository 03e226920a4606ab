"""Recovery: over repeated seeds the 95% CIs of the fixed effects cover the truth ~95% of the time."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from multilevel_data import simulate
from reintegratie_stats.multilevel import glmer

TRUE = {"Intercept": -0.5, "age_c": 0.4, "rating_information": -0.3}
F = "contact_probation ~ age_c + rating_information + (1 | institution_id)"


@pytest.mark.slow
@pytest.mark.parametrize("nagq", [1, 5])
def test_ci_coverage_of_fixed_effects(nagq):
    n_rep = 40
    hits, sds = [], []
    for seed in range(n_rep):
        m = glmer(
            F,
            simulate(1000 + seed, n=1200, n_groups=26, beta=tuple(TRUE.values()), sd=0.6),
            nagq=nagq,
        )
        ci = m.conf_int()
        hits += [ci.loc[t, "ci_low"] <= v <= ci.loc[t, "ci_high"] for t, v in TRUE.items()]
        sds.append(float(np.sqrt(m.variance_components.iloc[0])))
    k, n = int(np.sum(hits)), len(hits)
    # two-sided 99.9% acceptance region of Binomial(n, 0.95)
    lo, hi = stats.binom.ppf(0.0005, n, 0.95), stats.binom.ppf(0.9995, n, 0.95)
    assert lo <= k <= hi, f"coverage {k}/{n} outside [{lo}, {hi}]"
    # the SD of the institution intercepts is recovered on average (ML is biased low by a bit)
    assert np.mean(sds) == pytest.approx(0.6, abs=0.08)


def test_chkfixed_single_large_sample():
    """lme4's tests/glmer-1.R chkFixed: each true coefficient within estimate +- 1.96 SE."""
    m = glmer(F, simulate(77, n=20000, n_groups=60, beta=tuple(TRUE.values()), sd=0.6))
    for t, v in TRUE.items():
        assert abs(m.params[t] - v) < 1.96 * m.bse[t], t


@pytest.mark.slow
def test_recovery_on_the_synthetic_twin():
    """Probation contact in the twin is an exact random-intercept logit (truth['contact'])."""
    synth = pytest.importorskip("reintegratie_stats.synth")
    hits, n_int, sds = 0, 0, []
    for seed in range(12):
        d = synth.generate(seed=500 + seed, n_prisoners=4100, n_institutions=26)
        truth = d.truth["contact"]["probation"]
        X = synth.contact_design(d.prisoners, d.institutions, d.professionals)
        df = X.drop(columns="Intercept").assign(
            contact_probation=d.prisoners["contact_probation"].to_numpy(),
            institution_id=d.prisoners["institution_id"].to_numpy(),
        )
        terms = [t for t in truth["beta"] if t != "Intercept"]
        m = glmer(f"contact_probation ~ {' + '.join(terms)} + (1 | institution_id)", df)
        ci = m.conf_int()
        for t, v in truth["beta"].items():
            hits += int(ci.loc[t, "ci_low"] <= v <= ci.loc[t, "ci_high"])
            n_int += 1
        sds.append(float(np.sqrt(m.variance_components.iloc[0])))
    # 17 intervals per data set are correlated within a seed: a wider band than binomial
    assert 0.88 <= hits / n_int <= 0.995, f"coverage {hits}/{n_int}"
    assert np.mean(sds) == pytest.approx(truth["sigma_institution"], abs=0.12)
