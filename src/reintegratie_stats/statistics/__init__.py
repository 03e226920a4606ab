"""Statistics layer: pure estimators, intervals, tests and grouping helpers.

Sits above the codebook and data layers and below the analyses (``descriptives``,
``bivariate``, ``multilevel``, ``multivariate``). Modules are imported by their full name
(``from reintegratie_stats.statistics.intervals import wilson_interval``); this package
deliberately re-exports nothing.
"""
