"""reintegratie_stats: statistical models for Dutch prison-climate survey data.

Modules, one per job:

- :mod:`~reintegratie_stats.schema`: the codebook in ``data_schema/`` (single source of truth)
- :mod:`~reintegratie_stats.io`: reading and writing CSV, Parquet, SPSS and Stata, with mappings
- :mod:`~reintegratie_stats.validate`: codebook validation with a full report
- :mod:`~reintegratie_stats.synth`: the synthetic twin
- :mod:`~reintegratie_stats.descriptives`, :mod:`~reintegratie_stats.bivariate`: chapters 2-3
- :mod:`~reintegratie_stats.multilevel`: chapter 4 (native GLMM, lme4 bridge)
- :mod:`~reintegratie_stats.multivariate`: chapter 5
- :mod:`~reintegratie_stats.reporting`: tables, figures, the HTML report
- :mod:`~reintegratie_stats.cli`: the ``reintegratie-stats`` command
"""

__version__ = "0.1.0"
