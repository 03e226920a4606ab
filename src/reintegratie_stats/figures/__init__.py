"""Figures, one module per chapter (matplotlib ``Figure`` objects, no pyplot state, no backend
chosen at import): :mod:`.descriptives` (chapter 2 and family rates), :mod:`.bivariate`
(chapter 3), :mod:`.multilevel` (chapter 4), :mod:`.multivariate` (chapter 5). Every function
takes ``lang`` ("en"/"nl"), returns a Figure and never shows it; whoever saves a figure picks
the backend (the report: :func:`reintegratie_stats.reporting.writers.figure_bytes`)."""


class FigureWarning(UserWarning):
    """A figure could not be drawn; the report lists it under its step and keeps the tables."""
