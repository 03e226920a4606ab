"""figures.common: which plotted estimates survive disclosure control, and the note under a
figure that says how many were left out."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from reintegratie_stats.figures.common import add_suppressed_note, figure_text, visible_estimates
from reintegratie_stats.schema import load_codebook


def _texts(lang: str) -> dict:
    path = load_codebook().path / f"report_texts_{lang}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["figures"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "type": ["a", "b", "c", "d"],
            "n": [200, 9, 10, 50],
            "n_contact": [80, 4, 6, 3],
            "rate": [0.4, 0.44, 0.6, 0.06],
            "ci_low": [0.33, 0.1, 0.3, 0.01],
            "ci_high": [0.47, 0.8, 0.85, 0.17],
        }
    )


def test_rows_with_a_count_below_the_threshold_are_left_out():
    vis, k = visible_estimates(_frame(), 10)
    # by hand: b has n = 9, c n_contact = 6, d n_contact = 3 (all < 10): their rates are
    # statistics of a small cell; only a has every count >= 10
    small = (_frame()[["n", "n_contact"]] < 10).any(axis=1)
    assert list(vis["type"]) == list(_frame().loc[~small, "type"]) == ["a"]
    assert k == int(small.sum()) == 3
    vis0, k0 = visible_estimates(_frame(), 0)  # 0 switches suppression off (internal use)
    assert len(vis0) == 4 and k0 == 0


def test_note_says_how_many_were_left_out_in_the_language_asked():
    fig = Figure()
    add_suppressed_note(fig, 3, 10, "nl")
    (note,) = fig.texts
    assert note.get_text() == _texts("nl")["suppressed"].format(k=3, t=10)
    empty = Figure()
    add_suppressed_note(empty, 0, 10, "en")
    assert empty.texts == []  # nothing left out, no note


def test_figure_text_reads_the_yaml_and_refuses_unknown_languages():
    for lang in ("en", "nl"):
        assert figure_text("or_axis", lang) == _texts(lang)["or_axis"]
    with pytest.raises(ValueError, match="lang must be one of"):
        figure_text("or_axis", "de")
    with pytest.raises(KeyError, match="report_texts_en.yaml has no text figures.nope"):
        figure_text("nope", "en")
