"""figures.bivariate: the chapter-3 odds-ratio forest plot draws the result it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.figures.bivariate import forest_plot
from reintegratie_stats.schema import load_codebook

CB = load_codebook()


def _result() -> pd.DataFrame:
    t = CB.professional_types
    d = CB.domains
    return pd.DataFrame(
        {
            # out of codebook order on purpose: the plot sorts by type, then need
            "type": [t[1], t[0], t[0], t[1]],
            "need": [d[0], d[1], d[0], d[1]],
            "n": [300, 300, 300, 5],
            "odds_ratio": [1.8, 0.7, 2.5, 1.1],
            "ci_low": [1.2, 0.4, 1.5, 0.3],
            "ci_high": [2.7, 1.2, 4.1, 3.9],
            "matched": [True, False, True, False],
        }
    )


def _points(ax) -> dict[float, float]:
    """y position -> odds ratio of every drawn point."""
    out = {}
    for cont in ax.containers:
        x, y = cont.lines[0].get_data()
        out.update(dict(zip(np.asarray(y, float), np.asarray(x, float), strict=True)))
    return out


def test_points_are_the_visible_estimates_in_codebook_order():
    fig = forest_plot(_result(), "nl", threshold=10)
    ax = fig.axes[0]
    pts = _points(ax)
    # the row with n = 5 is left out; the others sorted by (type, need) in codebook order
    assert [pts[y] for y in sorted(pts)] == [2.5, 0.7, 1.8]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    t0 = CB.concept_label("professional_types", CB.professional_types[0], "nl")
    d0 = CB.concept_label("domains", CB.domains[0], "nl")
    assert labels[0] == f"{t0}: {d0}"
    assert ax.get_xscale() == "log"
    assert len(fig.texts) == 1 and "1" in fig.texts[0].get_text()  # one estimate not shown


def test_matched_needs_filled_others_open():
    ax = forest_plot(_result(), threshold=10).axes[0]
    faces = [c.lines[0].get_markerfacecolor() for c in ax.containers]
    assert len(faces) == 2 and "white" in faces  # matched filled (C0), other open


def test_bad_input_names_the_column():
    with pytest.raises(ValueError, match="no column 'odds_ratio'"):
        forest_plot(_result().drop(columns="odds_ratio"))
