"""format_table, the renderers and disclosure control: no rendered table shows a small count."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _frames import CB, simulate_prisoners
from reintegratie_stats.bivariate import needs_vs_contact, no_contact_by_n_needs
from reintegratie_stats.descriptives import contact_rates, family_contact_rates
from reintegratie_stats.disclosure import (
    EXCLUSION_COLUMNS,
    is_count_column,
    suppress_small_cells,
)
from reintegratie_stats.reporting.tables import (
    format_table,
    format_value,
    publish_table,
    to_csv,
    to_html,
    to_latex,
    to_markdown,
)

THR = CB.disclosure_threshold


# --- cell parsers, one per format ---------------------------------------------------------------
def md_cells(text: str) -> tuple[list[str], list[list[str]]]:
    rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    split = [
        [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in rows
    ]
    return split[0], split[2:]


def html_cells(text: str) -> tuple[list[str], list[list[str]]]:
    head = [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", text)]
    body = re.search(r"<tbody>(.*)</tbody>", text, re.S).group(1)
    rows = [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", body)
    ]
    return head, rows


def latex_cells(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    i, j = lines.index(r"\toprule"), lines.index(r"\bottomrule")
    rows = [ln.removesuffix(r" \\").split(" & ") for ln in lines[i + 1 : j] if ln != r"\midrule"]
    unesc = [[c.replace(r"\textless{}", "<").replace("--", "–") for c in r] for r in rows]
    return unesc[0], unesc[1:]


PARSERS = {
    "md": (to_markdown, md_cells),
    "html": (to_html, html_cells),
    "latex": (to_latex, latex_cells),
}
INT = re.compile(r"^-?\d+$")
NUM = re.compile(r"-?\d+(?:[.,]\d+)?")  # Dutch tables use a decimal comma


def small_group_results() -> list[pd.DataFrame]:
    """Results on a small sample: many groups and cells under the threshold."""
    d = simulate_prisoners(160, seed=5, missing=0.05)
    return [
        contact_rates(d, by="regime"),
        needs_vs_contact(d, needs=["health", "id"]).drop(columns=["dof"]),
        family_contact_rates(d, by="regime").drop(columns=["variable"]),
        no_contact_by_n_needs(d).drop(columns=["needs_group", "dof"]),
    ]


@pytest.mark.parametrize("fmt", list(PARSERS))
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_rendered_table_prints_a_small_count(fmt, lang):
    render, parse = PARSERS[fmt]
    n_masked = 0
    for res in small_group_results():
        assert (
            (res[[c for c in res.columns if is_count_column(c)]] < THR).any().any()
        )  # the test can fail
        head, rows = parse(render(res, lang=lang))
        assert len(rows) == len(res)
        for row in rows:
            assert len(row) == len(head)
            for col, cell in zip(res.columns, row, strict=True):
                # every whole number printed anywhere in a cell (counts are whole numbers);
                # a 0 of people left out (n_missing) discloses nothing and is shown
                for tok in NUM.findall(cell):
                    if INT.match(tok) and not (tok == "0" and col in EXCLUSION_COLUMNS):
                        assert int(tok) >= THR, f"{fmt}: count {tok} in cell {cell!r}"
                n_masked += cell == f"<{THR}"
        # the statistics of a group with a small cell are masked too
        small_rows = (
            res[
                [
                    c
                    for c in res.columns
                    if is_count_column(c) and c != "n_missing" and c != "n_not_applicable"
                ]
            ]
            < THR
        ).any(axis=1)
        stat_pos = [i for i, c in enumerate(res.columns) if c in ("rate", "odds_ratio", "p_value")]
        for i in np.flatnonzero(small_rows.to_numpy()):
            assert all(rows[i][k] in ("–", "") for k in stat_pos)
    assert n_masked > 0


def _small_tokens(rows: list[list[str]], columns=None) -> list[str]:
    """Whole numbers under the threshold in the cells (a 0 in an exclusion column aside)."""
    return [
        t
        for r in rows
        for j, c in enumerate(r)
        for t in NUM.findall(c)
        if INT.match(t)
        and int(t) < THR
        and not (t == "0" and columns is not None and columns[j] in EXCLUSION_COLUMNS)
    ]


@pytest.mark.parametrize("fmt", list(PARSERS))
def test_the_parser_would_see_unsuppressed_counts(fmt):
    # guard against a vacuous test: without suppression the same parse finds the small counts
    render, parse = PARSERS[fmt]
    res = small_group_results()[0]
    assert _small_tokens(parse(render(res, threshold=0))[1])
    assert not _small_tokens(parse(render(res))[1], list(res.columns))


@given(st.lists(st.integers(0, 60), min_size=1, max_size=12), st.integers(1, 20))
@settings(max_examples=40, deadline=None)
def test_property_no_small_count_survives(counts, thr):
    res = pd.DataFrame(
        {
            "regime": [CB.regimes[i % len(CB.regimes)] for i in range(len(counts))],
            "n": [c + 1000 for c in counts],
            "n_contact": counts,
            "rate": np.array(counts) / (np.array(counts) + 1000.0),
        }
    )
    out, k = suppress_small_cells(res, threshold=thr)
    assert k == 2 * sum(c < thr for c in counts)
    ft = format_table(res, threshold=thr, digits=4)
    for cell in ft.iloc[:, 2]:
        assert cell == f"<{thr}" or int(cell) >= thr
    for cell, c in zip(ft.iloc[:, 3], counts, strict=True):
        assert (cell == "–") == (c < thr)


def test_suppress_small_cells_api():
    df = pd.DataFrame(
        {
            "type": ["care", "mentor", "probation"],
            "n": [100, 8, 50],
            "n_missing": [2, 0, 30],
            "n_contact": [40, 5, 3],
            "rate": [0.4, 0.625, 0.06],
            "has_children": [1.0, 1.0, 0.0],
        }
    )
    before = df.copy()
    out, k = suppress_small_cells(df, threshold=10)
    pd.testing.assert_frame_equal(df, before)  # input untouched
    assert out["n"].tolist() == [100, "<10", 50]
    assert out["n_missing"].tolist() == ["<10", 0, 30]  # nobody left out is shown as 0
    assert out["rate"].tolist() == [
        0.4,
        "–",
        "–",
    ]  # row 0 keeps its rate: n_missing is an exclusion count
    assert out["has_children"].tolist() == [1.0, 1.0, 0.0]  # grouping variable, never a statistic
    assert out["type"].tolist() == df["type"].tolist()
    assert k == 1 + 1 + 2 + 2  # n, n_missing, n_contact, rate
    assert suppress_small_cells(df, threshold=0).n_suppressed == 0
    out2, _ = suppress_small_cells(df, count_cols=["n"], threshold=10)
    assert out2["n_contact"].tolist() == [40, "–", 3]  # now a statistic of the small group
    with pytest.raises(ValueError, match="not in the frame"):
        suppress_small_cells(df, count_cols=["count_x"])
    assert suppress_small_cells(df).frame["n"].tolist() == [100, f"<{THR}", 50]  # codebook default


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


def test_chapter_results_render_without_small_counts_in_every_format():
    from reintegratie_stats.bivariate import chapter3_results
    from reintegratie_stats.descriptives import chapter2_results

    d = simulate_prisoners(400, seed=2)
    results = {**chapter2_results(d, codebook=CB), **chapter3_results(d, codebook=CB)}
    assert {"contact_rates_by_regime", "needs_vs_contact"} <= set(results)
    for name, frame in results.items():
        head, rows = md_cells(to_markdown(frame, lang="nl", percent=True))
        # labels may hold digits ("Eerste 6 weken"); every count header starts with "n"
        keep = [i for i, h in enumerate(head) if h == "n" or h.startswith("n ")]
        excl = {i for i in keep if frame.columns[i] in EXCLUSION_COLUMNS}  # a 0 of them is shown
        ints = [
            int(r[i])
            for r in rows
            for i in keep
            if INT.match(r[i]) and not (i in excl and r[i] == "0")
        ]
        assert min(ints, default=THR) >= THR, name
        tex = to_latex(frame, lang="nl")
        assert r"\begin{tabular}" in tex and r"\bottomrule" in tex


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


def test_percent_columns_come_from_result_columns_yaml():
    import yaml

    from reintegratie_stats.reporting.tables import ONE_DECIMAL, PERCENT_COLUMNS

    raw = yaml.safe_load((CB.path / "result_columns.yaml").read_text(encoding="utf-8"))
    assert list(PERCENT_COLUMNS) == raw["kinds"]["percent"]
    assert list(ONE_DECIMAL) == raw["kinds"]["one_decimal"]
    for col in (*PERCENT_COLUMNS, *ONE_DECIMAL):
        assert col in raw["columns"], f"{col} has no label"
