"""reintegratie_stats: statistical models for Dutch prison-climate survey data.

Modules, one per job, in layers that import only downwards (``docs/architecture.md``):

- codebook: :mod:`~reintegratie_stats.schema` (``data_schema/``, the single source of truth),
  :mod:`~reintegratie_stats.derived_variables` (phase, bands, n_needs, ... by the codebook's rules)
- data: :mod:`~reintegratie_stats.io` (CSV, Parquet, SPSS, Stata, with mappings),
  :mod:`~reintegratie_stats.validate` (codebook validation with a full report)
- statistics: :mod:`~reintegratie_stats.statistics` (intervals, tests, grouping, model helpers),
  :mod:`~reintegratie_stats.results` (the shared results contract)
- analyses: :mod:`~reintegratie_stats.synth` (the synthetic twin),
  :mod:`~reintegratie_stats.descriptives` and :mod:`~reintegratie_stats.bivariate` (chapters 2-3),
  :mod:`~reintegratie_stats.multilevel` (chapter 4), :mod:`~reintegratie_stats.multivariate`
  (chapter 5)
- presentation: :mod:`~reintegratie_stats.figures`, :mod:`~reintegratie_stats.reporting`
- :mod:`~reintegratie_stats.cli`: the ``reintegratie-stats`` command

This file imports nothing, so importing any submodule stays cheap.
"""

__version__ = "0.1.0"
