"""reporting.tables: THE formatter (cells, labels, decimals per language) and its renderers.

Expected texts are written by hand from the rules in the module docstring (6 significant
digits in the CSV files; ``digits`` decimals, ``<0.001``, integer counts and the language's
decimal separator in the publication text); labels come from the codebook files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _frames import CB
from _table_cells import html_cells, md_cells
from reintegratie_stats.disclosure import protect
from reintegratie_stats.reporting.tables import (
    format_table,
    format_value,
    publish_table,
    to_csv,
    to_html,
    to_latex,
    to_markdown,
)


@pytest.mark.parametrize(
    ("col", "value", "digits", "decimal", "text"),
    [
        ("rate", 0.44123, 3, ".", "0.441"),
        ("rate", 0.44123, 3, ",", "0,441"),
        ("estimate", -1.25, 2, ",", "-1,25"),  # a negative number keeps its sign
        ("p_value", 0.0004, 3, ",", "<0,001"),
        ("p_value", 0.0123, 3, ",", "0,012"),
        ("n", 1234.0, 3, ",", "1234"),  # counts are integers: no separator, no grouping
        ("estimate", float("inf"), 3, ",", "∞"),
        ("effective_n", 187.234, 3, ",", "187,2"),  # a one-decimal column (result_columns.yaml)
        ("dof", 3.0, 3, ",", "3"),
    ],
)
def test_publication_text_per_language(col, value, digits, decimal, text):
    assert format_value(col, value, digits, decimal) == text


def test_dutch_tables_use_a_decimal_comma_and_english_a_point():
    df = pd.DataFrame({"type": ["care"], "n": [120], "rate": [0.2346], "p_value": [0.0004]})
    nl = format_table(df, lang="nl", digits=2)
    en = format_table(df, lang="en", digits=2)
    assert nl.iloc[0].tolist() == ["Zorgprofessional", "120", "0,23", "<0,001"]
    assert en.iloc[0].tolist() == ["Care professional", "120", "0.23", "<0.001"]
    assert format_table(df, lang="nl", percent=True).iloc[0, 2] == "23,5"  # percent, nl
    # the CSV text never localises: the same file whatever the report language
    assert to_csv(df) == "type,n,rate,p_value\ncare,120,0.2346,0.0004\n"


def test_labels_from_the_codebook():
    df = pd.DataFrame(
        {
            "regime": ["EZV", "HvB"],
            "type": ["municipality", "care"],
            "has_children": [1.0, 0.0],
            "n": [120, 300],
            "rate": [0.123456, 0.5],
            "p_value": [0.0004, 0.2],
        }
    )
    en = format_table(df, lang="en", digits=2)
    nl = format_table(df, lang="nl", digits=2)
    assert list(nl.columns) == [
        "Regime",
        "Professional",
        CB["prisoners"]["has_children"].label("nl"),
        "n",
        "Aandeel",
        "p",
    ]
    assert nl.iloc[0, :3].tolist() == [
        CB.concept_label("regimes", "EZV", "nl"),
        CB.concept_label("professional_types", "municipality", "nl"),
        "Ja",
    ]
    assert en.iloc[1, :3].tolist() == ["Remand centre", "Care professional", "No"]
    assert en["Share"].tolist() == ["0.12", "0.50"] and en["p"].tolist() == ["<0.001", "0.200"]
    assert nl["Aandeel"].tolist() == ["0,12", "0,50"] and nl["p"].tolist() == ["<0,001", "0,200"]
    assert format_table(df, lang="nl", decimal=".")["p"].tolist() == ["<0.001", "0.200"]
    assert format_table(df, labels=False).columns.tolist() == df.columns.tolist()
    with pytest.raises(ValueError, match="lang"):
        format_table(df, lang="de")


def test_renderers_escape_and_note():
    df = pd.DataFrame({"group": ["a & b|c"], "n": [5], "rate": [0.2]})
    md = to_markdown(df, caption="T1")
    assert "a & b\\|c" in md and "fewer than 10" in md and "**T1**" in md
    tex = to_latex(df, lang="nl", caption="50% & meer", label="tab:x")
    assert (
        r"a \& b|c" in tex
        and r"50\% \& meer" in tex
        and r"\textless{}10" in tex
        and "onderdrukt" in tex
    )
    h = to_html(df)
    assert "a &amp; b|c" in h and "&lt;10" in h and "<tfoot>" in h
    assert "<tfoot>" not in to_html(df.assign(n=50))


def test_percent_scales_shares_not_odds_ratio_intervals():
    rates = pd.DataFrame(
        {
            "type": ["care"],
            "n": [200],
            "rate": [0.2345],
            "ci_low": [0.18],
            "ci_high": [0.29],
            "effective_n": [187.234],
        }
    )
    ft = format_table(rates, percent=True, digits=1, pct_digits=1)
    assert list(ft.columns[2:5]) == ["Share (%)", "CI low (%)", "CI high (%)"]
    assert ft.iloc[0, 2:].tolist() == ["23.4", "18.0", "29.0", "187.2"]
    nv = pd.DataFrame(
        {
            "need": ["id"],
            "type": ["care"],
            "n": [300],
            "rate_exposed": [0.5],
            "odds_ratio": [1.5],
            "ci_low": [1.1],
            "ci_high": [2.0],
        }
    )
    assert format_table(nv, percent=True, digits=1).iloc[0, 3:].tolist() == [
        "50.0",
        "1.5",
        "1.1",
        "2.0",
    ]
    dist = pd.DataFrame({"variable": ["age"], "value": [30.0], "n": [50], "share": [0.1]})
    assert format_table(dist).iloc[0, 1] == "30"


def test_one_formatter_serves_csv_html_and_markdown():
    """The CSV text and the publication text come from the same protected cells."""
    df = pd.DataFrame({"type": ["probation", "care"], "n": [250, 8], "rate": [0.44123456, 0.25]})
    csv_rows = [ln.split(",") for ln in to_csv(df, threshold=10).splitlines()]
    assert csv_rows == [
        ["type", "n", "rate"],
        ["probation", "250", "0.441235"],
        ["care", "<10", "–"],
    ]
    head, rows = html_cells(to_html(df, threshold=10))
    assert rows == [["Probation service", "250", "0.441"], ["Care professional", "<10", "–"]]
    assert md_cells(to_markdown(df, threshold=10))[1] == rows
    assert publish_table(df, 10).columns.tolist() == ["type", "n", "rate"]
    # the exact CSV text: 6 significant digits, fixed forms for the special values
    assert format_value("x", 0.1 + 0.2) == "0.3" and format_value("x", -0.0) == "0"
    assert format_value("x", np.nan) == "" and format_value("x", None) == ""
    assert format_value("n", np.int64(12)) == "12" and format_value("x", True) == "true"
    assert format_value("x", 123456789.0) == "1.23457e+08"
    assert format_value("x", float("inf")) == "inf"
    # the publication text: digits, p-values, decimal separator
    assert format_value("p_value", 0.0004, 3) == "<0.001"
    assert format_value("rate", 0.25, 3, ",") == "0,250"


def test_a_protected_table_is_not_suppressed_again_and_input_is_untouched():
    df = pd.DataFrame({"type": ["probation", "care"], "n": [250, 12], "rate": [0.4, 0.25]})
    before = df.copy()
    prot = protect(df, 20)  # the care row is under 20
    # the formatter takes the protected cells as they are, whatever threshold it is given
    assert to_csv(prot, threshold=5) == to_csv(df, threshold=20)
    assert format_table(prot).attrs["threshold"] == 20
    assert format_table(prot).attrs["n_suppressed"] == prot.n_suppressed == 2
    pd.testing.assert_frame_equal(df, before)
    ft = format_table(df, threshold=5)
    assert ft.attrs["columns"] == ["type", "n", "rate"] and ft.attrs["lang"] == "en"
    assert ft.attrs["numeric"] == [False, True, True]


def test_percent_columns_come_from_result_columns_yaml():
    import yaml

    from reintegratie_stats.reporting.tables import ONE_DECIMAL, PERCENT_COLUMNS

    raw = yaml.safe_load((CB.path / "result_columns.yaml").read_text(encoding="utf-8"))
    assert list(PERCENT_COLUMNS) == raw["kinds"]["percent"]
    assert list(ONE_DECIMAL) == raw["kinds"]["one_decimal"]
    for col in (*PERCENT_COLUMNS, *ONE_DECIMAL):
        assert col in raw["columns"], f"{col} has no label"
