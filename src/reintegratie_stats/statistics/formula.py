"""Split an lme4-style formula into its fixed part and its random-effect terms.

Examples
--------
>>> f = parse_formula("contact_probation ~ age + rating_information + (1 | institution_id)")
>>> f.fixed
'contact_probation ~ age + rating_information'
>>> f.random
(RandomTerm(expr='1', group='institution_id'),)
>>> f.is_random_intercept
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RandomTerm", "ParsedFormula", "formula_variables", "parse_formula", "split_random"]

_RE_TERM = re.compile(r"\(\s*([^()|]*?)\s*(\|\|?)\s*([^()|]+?)\s*\)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class RandomTerm:
    """One ``(expr | group)`` term of an lme4 formula."""

    expr: str
    group: str

    @property
    def is_intercept(self) -> bool:
        return self.expr.replace(" ", "") == "1"


@dataclass(frozen=True)
class ParsedFormula:
    """An lme4 formula split into a patsy fixed-effects formula and random terms."""

    formula: str
    fixed: str
    response: str
    random: tuple[RandomTerm, ...]

    @property
    def is_random_intercept(self) -> bool:
        """Exactly one random intercept ``(1 | g)`` with a plain column name as ``g``."""
        return (
            len(self.random) == 1
            and self.random[0].is_intercept
            and _NAME.fullmatch(self.random[0].group) is not None
        )

    def variables(self, columns: object) -> list[str]:
        """Names in the formula that are columns of a frame (for missing-value accounting)."""
        return formula_variables(self.formula, columns)


def parse_formula(formula: str) -> ParsedFormula:
    """Parse ``y ~ x1 + x2 + (1 | g)``.

    Parameters
    ----------
    formula : str
        lme4 syntax: a response, ``~``, fixed terms in patsy syntax, and zero or more random
        terms in parentheses with a bar, ``(1 | g)``, ``(1 + x | g)``, ``(1 | g1:g2)``.

    Returns
    -------
    ParsedFormula
        ``fixed`` (patsy formula with the random terms removed; ``1`` when nothing is left),
        ``response`` and ``random`` (tuple of :class:`RandomTerm`).
    """
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string, got {type(formula).__name__}")
    if formula.count("~") != 1:
        raise ValueError(
            f"formula must contain exactly one '~' (response ~ terms), got {formula!r}"
        )
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not lhs:
        raise ValueError(f"formula {formula!r} has no response on the left of '~'")
    random = tuple(RandomTerm(m.group(1) or "1", m.group(3)) for m in _RE_TERM.finditer(rhs))
    if any(m.group(2) == "||" for m in _RE_TERM.finditer(rhs)):
        random = tuple(RandomTerm(t.expr + " (uncorrelated)", t.group) for t in random)
    fixed_rhs = _RE_TERM.sub("", rhs)
    fixed_rhs = re.sub(r"\+\s*\+", "+", fixed_rhs)
    fixed_rhs = re.sub(r"^\s*\+|\+\s*$", "", fixed_rhs.strip()).strip()
    if "|" in fixed_rhs:
        raise ValueError(
            f"could not parse the random part of {formula!r}: write random terms as (1 | group)"
        )
    if not fixed_rhs:
        fixed_rhs = "1"
    return ParsedFormula(formula=formula, fixed=f"{lhs} ~ {fixed_rhs}", response=lhs, random=random)


def split_random(formula: str) -> tuple[str, list[tuple[str, str]]]:
    """The fixed part of an lme4 formula and its random terms as ``(expression, group)`` pairs.

    Examples
    --------
    >>> split_random("y ~ x + (1 | g)")
    ('y ~ x', [('1', 'g')])
    """
    pf = parse_formula(formula)
    return pf.fixed, [(t.expr, t.group) for t in pf.random]


def formula_variables(formula: str, columns: object) -> list[str]:
    """Columns (of ``columns``, e.g. ``data.columns``) named in ``formula``, first appearance first.

    Examples
    --------
    >>> formula_variables("y ~ C(sex) + age + (1 | g)", ["age", "sex", "g", "y", "z"])
    ['y', 'sex', 'age', 'g']
    """
    cols = set(columns)  # type: ignore[call-overload]
    seen: list[str] = []
    for tok in _NAME.findall(formula):
        if tok in cols and tok not in seen:
            seen.append(tok)
    return seen
