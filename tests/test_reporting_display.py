"""reporting.display: a table shown in a notebook, protected once, formatted per language.

The notebook shows two views of one protected table: HTML (labels and decimals of the
language) and text (the exact CSV cells). Neither may show a small count or its statistics.
"""

from __future__ import annotations

import pandas as pd
import pytest

from _table_cells import html_cells
from reintegratie_stats.reporting.display import SafeTable, show_table

RESULT = pd.DataFrame(
    {"regime": ["HvB", "EZV"], "n": [120, 7], "rate": [0.4126, 0.5714], "p_value": [0.0004, 0.3]}
)


def test_the_html_view_has_labels_and_a_decimal_comma_in_dutch():
    head, rows = html_cells(show_table(RESULT, lang="nl")._repr_html_())
    assert head == ["Regime", "n", "Aandeel", "p"]
    assert rows[0][1:] == ["120", "0,413", "<0,001"]
    head_en, rows_en = html_cells(show_table(RESULT, lang="en")._repr_html_())
    assert head_en == ["Regime", "n", "Share", "p"]
    assert rows_en[0][1:] == ["120", "0.413", "<0.001"]
    assert rows_en[0][0] == "Remand centre"  # HvB, the codebook's label


def test_a_small_group_is_suppressed_in_both_views():
    shown = show_table(RESULT)  # the codebook's threshold, 10
    _, rows = html_cells(shown._repr_html_())
    assert rows[1][1:] == ["<10", "–", "–"]
    text = repr(shown)
    assert "<10" in text and "0.5714" not in text and "0.571" not in text
    assert " 7 " not in f" {text} ".replace("\n", " ")
    assert "0.4126" in text  # the text view is the exact CSV text, canonical names
    assert text.splitlines()[0].split() == ["regime", "n", "rate", "p_value"]


def test_threshold_and_count_columns_are_passed_on():
    # with a threshold of 5 the 7 may be shown
    _, rows = html_cells(show_table(RESULT, threshold=5)._repr_html_())
    assert rows[1][1] == "7" and rows[1][2] == "0.571"
    people = pd.DataFrame({"regime": ["HvB", "EZV"], "people": [50, 3], "mean_age": [31.2, 44.0]})
    _, plain = html_cells(show_table(people)._repr_html_())
    assert plain[1][1] == "3.000"  # "people" is not a count by name: a statistic
    _, masked = html_cells(show_table(people, count_cols=["people"])._repr_html_())
    assert masked[1][1:] == ["<10", "–"]


def test_the_raw_frame_is_never_shown_nor_changed():
    before = RESULT.copy()
    shown = show_table(RESULT)
    assert isinstance(shown, SafeTable) and not isinstance(shown, pd.DataFrame)
    pd.testing.assert_frame_equal(RESULT, before)
    with pytest.raises(ValueError, match="lang"):
        show_table(RESULT, lang="de")
