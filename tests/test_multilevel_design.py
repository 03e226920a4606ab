"""multilevel.design: formula + frame -> the arrays of a random-intercept GLMM.

The fixed-effects matrix is checked against patsy on the same rows (both for the fast path of
plain numeric columns and for patsy's own path); group codes against R's ``factor()`` order;
the exclusions against a count by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest

from multilevel_data import simulate
from reintegratie_stats.multilevel import glmm_design, parse_formula

F = "contact_probation ~ age_c + rating_information + (1 | institution_id)"


def _frame(seed: int = 0, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n).astype(float),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "sex": rng.choice(np.array(["female", "male"], dtype=object), n),
            "g": rng.choice(np.array(["b", "a", "10", "2", "c"], dtype=object), n),
        },
        index=pd.RangeIndex(100, 100 + n),  # labels that are not positions
    )


@pytest.mark.parametrize(
    "fixed",
    [
        "y ~ x + z",  # plain numeric columns: the fast path
        "y ~ 0 + x + z",  # no intercept, fast path
        "y ~ x + C(sex) + x:C(sex)",  # factor and interaction: patsy's path
        "y ~ np.log(np.abs(x)) + z",  # a transformation: patsy's path
    ],
)
def test_design_matrix_equals_patsy_on_the_same_rows(fixed):
    df = _frame()
    d = glmm_design(fixed + " + (1 | g)", df)
    # patsy on the original frame, then in the design's row order (sorted by group)
    ymat, xmat = patsy.dmatrices(fixed, df, return_type="dataframe")
    xmat, ymat = xmat.loc[d.row_index], ymat.loc[d.row_index]
    assert d.x_names == tuple(xmat.columns)
    np.testing.assert_array_equal(d.X, xmat.to_numpy())
    np.testing.assert_array_equal(d.y, ymat.iloc[:, 0].to_numpy())
    assert d.nobs == len(df) and d.n_excluded == 0


def test_groups_are_coded_in_the_order_of_rs_factor():
    df = _frame()
    d = glmm_design("y ~ x + (1 | g)", df)
    # R: levels(factor(c("b", "a", "10", "2", "c"))) is "10" "2" "a" "b" "c" (string order)
    assert d.group_levels == ("10", "2", "a", "b", "c")
    labels = np.asarray(d.group_levels, dtype=object)[d.groups]
    np.testing.assert_array_equal(labels, df.loc[d.row_index, "g"].to_numpy())
    assert np.all(np.diff(d.groups) >= 0)  # rows sorted by group, for contiguous sums
    # stable: within a group the original order is kept
    for code in range(d.n_groups):
        idx = d.row_index[d.groups == code]
        assert list(idx) == sorted(idx)
    np.testing.assert_array_equal(d.group_sizes, df["g"].value_counts()[list(d.group_levels)])
    assert d.group == "g" and d.response == "y" and d.family == "binomial"


def test_rows_with_a_missing_formula_variable_are_dropped_and_counted():
    df = _frame()
    df.loc[[100, 101, 102], "x"] = np.nan
    df.loc[[102, 103], "y"] = np.nan
    df.loc[104, "g"] = None
    df["unused"] = np.nan  # not in the formula: never a reason to drop a row
    d = glmm_design("y ~ x + (1 | g)", df)
    assert d.n_excluded == 5  # rows 100..104 (row 102 misses two values)
    assert d.excluded_by == {"y": 2, "x": 3, "g": 1}
    assert d.nobs == len(df) - 5 and not set(d.row_index) & {100, 101, 102, 103, 104}
    assert any("5 rows with missing values excluded" in w for w in d.warnings)


def test_a_parsed_formula_is_accepted_and_few_groups_warned_about():
    df = _frame(n=80)
    d = glmm_design(parse_formula("y ~ x + (1 | g)"), df)
    assert d.formula == "y ~ x + (1 | g)" and d.n_groups == 5 and not d.warnings
    four = glmm_design("y ~ x + (1 | g)", df[df["g"] != "c"])
    assert any("only 4 levels" in w for w in four.warnings)  # lme4-like input check, as data
    many = simulate(1, n=300)
    assert not glmm_design(F, many).warnings


def test_the_input_frame_is_not_modified():
    df = _frame()
    df.loc[100, "x"] = np.nan
    before = df.copy()
    glmm_design("y ~ x + C(sex) + (1 | g)", df)
    pd.testing.assert_frame_equal(df, before)


# --- refused input ---------------------------------------------------------------------------
def test_random_slope_needs_lme4_backend():
    with pytest.raises(ValueError, match="backend='lme4'"):
        glmm_design("contact_probation ~ age_c + (1 + age_c | institution_id)", simulate(1))


def test_a_formula_without_random_term_is_refused():
    with pytest.raises(ValueError, match="no random term"):
        glmm_design("contact_probation ~ age_c", simulate(1))


def test_one_institution_is_an_error():
    df = simulate(3).assign(institution_id="PI01")
    with pytest.raises(ValueError, match="'institution_id' has 1 level"):
        glmm_design(F, df)


def test_outcome_never_varies_is_an_error():
    df = simulate(3).assign(contact_probation=0.0)
    with pytest.raises(ValueError, match="'contact_probation' never varies"):
        glmm_design(F, df)


def test_non_binary_outcome_is_an_error():
    df = simulate(3)
    df.loc[0, "contact_probation"] = 2.0
    with pytest.raises(ValueError, match="must be 0/1"):
        glmm_design(F, df)
    # the gaussian family takes any number
    assert glmm_design(F, df, family="gaussian").y.max() == 2.0


def test_unknown_column_family_frame_and_collinearity_are_errors():
    with pytest.raises(ValueError, match="'nope'"):
        glmm_design("nope ~ age_c + (1 | institution_id)", simulate(1))
    with pytest.raises(ValueError, match="'grp'"):
        glmm_design("contact_probation ~ age_c + (1 | grp)", simulate(1))
    with pytest.raises(ValueError, match="family"):
        glmm_design(F, simulate(1), family="poisson")
    with pytest.raises(TypeError, match="DataFrame"):
        glmm_design(F, {"a": 1})  # type: ignore[arg-type]
    twice = simulate(1).assign(age2=lambda d: 2 * d.age_c)
    with pytest.raises(ValueError, match=r"rank deficient: \['age2'\]"):
        glmm_design(F.replace("age_c", "age_c + age2"), twice)
    with pytest.raises(ValueError, match="no complete rows"):
        glmm_design(F, simulate(1).assign(age_c=np.nan))
