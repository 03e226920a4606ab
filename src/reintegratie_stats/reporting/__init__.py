"""Rendering of results: tables (Markdown/HTML/LaTeX), disclosure control, reports."""
