"""Figures (matplotlib, Agg backend); every function returns a Figure."""
