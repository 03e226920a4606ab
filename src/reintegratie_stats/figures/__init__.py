"""Figures (matplotlib, Agg backend): one module per topic, functions return a Figure."""
