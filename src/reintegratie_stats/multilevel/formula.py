"""lme4-style formula parsing (re-exported from :mod:`reintegratie_stats.statistics.formula`).

Examples
--------
>>> parse_formula("y ~ x + (1 | g)").random
(RandomTerm(expr='1', group='g'),)
"""

from __future__ import annotations

from ..statistics.formula import ParsedFormula, RandomTerm, parse_formula

__all__ = ["RandomTerm", "ParsedFormula", "parse_formula"]
