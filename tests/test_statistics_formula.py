"""The lme4 formula parser: fixed part, random terms and the variables a formula uses."""

import pytest

from reintegratie_stats.statistics.formula import formula_variables, parse_formula, split_random


def test_random_intercept_and_fixed_part():
    f = parse_formula("y ~ age + C(sex) + (1 | institution_id)")
    assert f.response == "y"
    assert [r.group for r in f.random] == ["institution_id"]
    assert "(1" not in f.fixed


def test_split_random_keeps_every_term():
    fixed, random = split_random("y ~ x + (1 | g) + (1 | h)")
    assert [g for _, g in random] == ["g", "h"]
    assert "x" in fixed and "|" not in fixed


def test_formula_variables_are_the_columns_used():
    cols = ["y", "x", "sex", "g", "unused"]
    assert sorted(formula_variables("y ~ x + C(sex) + (1 | g)", cols)) == ["g", "sex", "x", "y"]


def test_a_formula_without_response_is_refused():
    with pytest.raises(ValueError):
        parse_formula("x + (1 | g)")
