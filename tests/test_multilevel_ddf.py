"""Between-within degrees of freedom: hand-counted designs and the t reference in the results."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reintegratie_stats.multilevel import glmer
from reintegratie_stats.multilevel.ddf import between_within_df, group_level_terms


def test_counts_by_hand_two_scores_and_a_within_term():
    # 26 groups of 4; intercept + 2 group-level scores -> 26 - 3 = 23; 2 within terms ->
    # 104 - 26 - 2 = 76 (SAS DDFM=BETWITHIN counts)
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(26), 4)
    X = np.column_stack(
        [
            np.ones(104),
            rng.normal(size=26)[g],
            rng.normal(size=26)[g],
            rng.normal(size=104),
            rng.integers(0, 2, size=104),
        ]
    )
    df = between_within_df(X, g, ["Intercept", "s1", "s2", "age", "male"])
    assert df.to_dict() == {"Intercept": 23.0, "s1": 23.0, "s2": 23.0, "age": 76.0, "male": 76.0}


def test_group_level_mask_ignores_row_order():
    g = np.array([2, 0, 1, 0, 2, 1])
    X = np.column_stack([np.ones(6), g * 1.5, np.arange(6.0)])
    assert group_level_terms(X, g).tolist() == [True, True, False]


def test_glmer_between_within_uses_t_with_those_df():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(12), 40)
    score = rng.normal(size=12)[g]
    x = rng.normal(size=len(g))
    eta = -0.3 + 0.4 * score + 0.5 * x + rng.normal(scale=0.5, size=12)[g]
    d = pd.DataFrame(
        {
            "y": (rng.random(len(g)) < 1 / (1 + np.exp(-eta))).astype(float),
            "score": score,
            "x": x,
            "g": g.astype(str),
        }
    )
    z = glmer("y ~ score + x + (1 | g)", d, ddf="asymptotic")
    t = glmer("y ~ score + x + (1 | g)", d, ddf="between-within")
    # the default (issue 12): between-within for a random intercept
    np.testing.assert_array_equal(glmer("y ~ score + x + (1 | g)", d).df, t.df)
    assert t.df.to_dict() == {"Intercept": 10.0, "score": 10.0, "x": 480 - 12 - 1.0}
    np.testing.assert_allclose(t.params, z.params)
    expected = 2 * stats.t.sf(np.abs(t.tvalues), [10, 10, 467])
    np.testing.assert_allclose(t.pvalues, expected, rtol=1e-12)
    assert t.pvalues["score"] > z.pvalues["score"]
    half = t.conf_int()["ci_high"] - t.params
    np.testing.assert_allclose(half["score"], stats.t.ppf(0.975, 10) * t.bse["score"])
    assert "df" in t.to_frame().columns and "df" not in z.to_frame().columns
    with pytest.raises(ValueError, match="ddf must be one of"):
        glmer("y ~ score + (1 | g)", d, ddf="kenward-roger")
