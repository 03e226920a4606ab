"""Disclosure control through every renderer: no rendered table shows a small count.

Cross-module: the package's results (descriptives, bivariate) through the formatter
(reporting.tables) and disclosure control, read back from each format. The formatter's own
behaviour (labels, decimals, percentages, escaping) is tested in test_reporting_tables.py.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _frames import CB, simulate_prisoners
from _table_cells import html_cells, latex_cells, md_cells
from reintegratie_stats.bivariate import needs_vs_contact, no_contact_by_n_needs
from reintegratie_stats.descriptives import contact_rates, family_contact_rates
from reintegratie_stats.disclosure import (
    EXCLUSION_COLUMNS,
    is_count_column,
    suppress_small_cells,
)
from reintegratie_stats.reporting.tables import format_table, to_html, to_latex, to_markdown

THR = CB.disclosure_threshold


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
