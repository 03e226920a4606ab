"""Publication tables: model terms and results shaped as in the thesis (issue 15).

Examples
--------
>>> from reintegratie_stats.publication.terms import term_label
>>> term_label("C(regime)[T.EZV]")
'Regime: Extra care unit (ref. Limited-security unit)'
"""
