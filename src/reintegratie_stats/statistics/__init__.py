"""Shared statistical layer: estimators and helpers used by the analysis subpackages.

Modules are imported directly (e.g. ``from reintegratie_stats.statistics.lmm import fit_lmm``);
this package file stays a docstring so that helpers can add modules independently.
"""
