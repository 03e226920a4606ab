"""multilevel.formula: lme4's formula syntax split into a patsy fixed part and random terms.

The expected splits are lme4's own (``lme4::nobars`` / ``lme4::findbars``, checked live when R
is there); the fixed part must be a formula patsy reads to the design of the same model
written without its random terms.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import patsy
import pytest

from reintegratie_stats.multilevel import formula as F
from reintegratie_stats.multilevel import parse_formula
from reintegratie_stats.statistics import formula as S

#: formula -> (fixed part, random terms as (expression, group)), as lme4 splits them
CASES = {
    "y ~ x + (1 | g)": ("y ~ x", [("1", "g")]),
    "y ~ x + (1 | g) + z": ("y ~ x + z", [("1", "g")]),
    "y ~ (1|g)": ("y ~ 1", [("1", "g")]),
    "y ~ x + (1 + x | g)": ("y ~ x", [("1 + x", "g")]),
    "y ~ x + (1 | g) + (1 | h)": ("y ~ x", [("1", "g"), ("1", "h")]),
    "y ~ x + (1 | g1:g2)": ("y ~ x", [("1", "g1:g2")]),
    "y ~ C(sex) + age + (1 | institution_id)": ("y ~ C(sex) + age", [("1", "institution_id")]),
}


def test_the_module_re_exports_the_one_parser():
    # one parser in the package: multilevel.formula is the statistics one, not a copy
    assert F.parse_formula is S.parse_formula
    assert F.ParsedFormula is S.ParsedFormula and F.RandomTerm is S.RandomTerm
    assert set(F.__all__) == {"RandomTerm", "ParsedFormula", "parse_formula"}


@pytest.mark.parametrize(("formula", "expected"), list(CASES.items()))
def test_lme4_syntax_is_split_as_lme4_splits_it(formula, expected):
    fixed, random = expected
    f = parse_formula(formula)
    assert f.fixed == fixed
    assert [(t.expr, t.group) for t in f.random] == random
    assert f.response == "y" and f.formula == formula


def test_formula_parser():
    f = parse_formula("y ~ x + (1 | g) + z")
    assert f.fixed == "y ~ x + z" and f.random[0].group == "g"
    assert parse_formula("y ~ (1|g)").fixed == "y ~ 1"
    assert not parse_formula("y ~ x + (1 + x | g)").is_random_intercept
    with pytest.raises(ValueError, match="exactly one '~'"):
        parse_formula("y x")


def test_random_intercept_is_one_plain_grouping_column():
    assert parse_formula("y ~ x + (1 | g)").is_random_intercept
    assert parse_formula("y ~ x + ( 1 |g )").random[0].is_intercept  # spacing does not matter
    assert not parse_formula("y ~ x + (1 | g) + (1 | h)").is_random_intercept  # crossed
    assert not parse_formula("y ~ x + (1 | g1:g2)").is_random_intercept  # nested interaction
    assert not parse_formula("y ~ x").is_random_intercept  # no random term at all
    # lme4's double bar: uncorrelated terms, marked so that they are never taken for (1 | g)
    dbl = parse_formula("y ~ x + (1 + x || g)").random
    assert len(dbl) == 1 and dbl[0].group == "g" and not dbl[0].is_intercept


def test_a_bar_outside_parentheses_and_a_missing_response_are_refused():
    with pytest.raises(ValueError, match=r"\(1 \| group\)"):
        parse_formula("y ~ x + 1 | g")
    with pytest.raises(ValueError, match="no response"):
        parse_formula(" ~ x + (1 | g)")
    with pytest.raises(TypeError, match="string"):
        parse_formula(None)  # type: ignore[arg-type]


def test_the_fixed_part_is_the_patsy_design_of_the_model_without_random_terms():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "y": rng.integers(0, 2, 30).astype(float),
            "x": rng.normal(size=30),
            "sex": rng.choice(["f", "m"], 30),
            "g": np.repeat(list("abc"), 10),
        }
    )
    f = parse_formula("y ~ x + (1 | g) + C(sex) + x:C(sex)")
    got = patsy.dmatrices(f.fixed, df, return_type="dataframe")[1]
    want = patsy.dmatrices("y ~ x + C(sex) + x:C(sex)", df, return_type="dataframe")[1]
    pd.testing.assert_frame_equal(got, want)


def test_variables_are_the_columns_the_formula_names():
    f = parse_formula("y ~ C(sex) + age + (1 | g)")
    assert f.variables(["age", "sex", "g", "y", "unused"]) == ["y", "sex", "age", "g"]


@pytest.mark.r
@pytest.mark.slow  # R and lme4 start in 2-4 s
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not on PATH")
def test_splits_agree_with_lme4_nobars_and_findbars():
    """The table above, asked of lme4 itself (one Rscript call for every case)."""
    lines = [
        f'f <- {k}; cat(deparse(lme4::nobars(f)), "\\t",'
        ' paste(sapply(lme4::findbars(f), function(b) paste(deparse(b[[2]]), "|",'
        ' deparse(b[[3]]))), collapse = ";"), "\\n", sep = "")'
        for k in CASES
    ]
    out = subprocess.run(
        ["Rscript", "-e", "\n".join(lines)], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert len(out) == len(CASES)
    for (formula, (fixed, random)), line in zip(CASES.items(), out, strict=True):
        r_fixed, r_random = line.split("\t")
        # lme4 writes a model without fixed terms as y ~ 1 too
        assert r_fixed.replace(" ", "") == fixed.replace(" ", ""), formula
        r_terms = [tuple(s.strip() for s in t.split("|")) for t in r_random.split(";")]
        assert [(e.replace(" ", ""), g) for e, g in r_terms] == [
            (e.replace(" ", ""), g) for e, g in random
        ], formula
