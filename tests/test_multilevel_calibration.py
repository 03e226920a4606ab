"""Calibration of the chapter-4 institution tests on synthetic twins (issue 12), small version.

The full benchmark (200 twins) is ``benchmarks/bench_calibration.py``. Here: 20 twins (seeds
100-119), the three types whose truth has no facilitation effect (municipality, care,
volunteers), 5 institution scores each: 300 true null hypotheses. The test the report
publishes (Wald t gatekept by the block's parametric-bootstrap LRT, B = 19 here: exact level
0.05 since 0.05 (19 + 1) = 1) must reject at most 8% of them (the benchmark: 2.4% of 3,000); the Wald z test of main (and the Wald t on between-within df), on
the same fits, reject more than that (11.0% and 9.7% on these seeds; issue 12 measured 11.8%
on 60 twins), so the bound fails on the z-based code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reintegratie_stats import synth
from reintegratie_stats.multilevel import facilitation_models
from reintegratie_stats.schema import load_codebook

SEEDS = range(100, 120)
NULL_TYPES = ["municipality", "care", "volunteer"]
BOUND = 0.08


@pytest.mark.slow
def test_default_institution_test_holds_its_level_where_z_does_not():
    scores = list(load_codebook().facilitation_scores)
    rows = []
    for seed in SEEDS:
        d = synth.generate(seed=seed)
        ms = facilitation_models(
            d.prisoners, d.professionals, types=NULL_TYPES, term_test="gatekept", nsim=19, seed=seed
        )
        e = ms.estimates
        rows.append(e[(e["model"] == "institutional") & e["term"].isin(scores)])
    est = pd.concat(rows, ignore_index=True)
    assert len(est) == len(SEEDS) * len(NULL_TYPES) * len(scores) == 300
    assert est["test"].str.contains("gatekept by the block").all()
    default = float((est["p_value"] <= 0.05).mean())
    z = float((2 * stats.norm.sf(np.abs(est["statistic"])) <= 0.05).mean())
    t = float((2 * stats.t.sf(np.abs(est["statistic"]), est["df"]) <= 0.05).mean())
    assert default <= BOUND, f"default test rejects {default:.1%} of 300 true nulls"
    assert z > BOUND and t > BOUND  # the bound has teeth: the Wald tests of main fail it
