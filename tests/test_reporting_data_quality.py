"""The report's data section lists the validation warnings and the conversions (aggregates)."""

from __future__ import annotations

import pandas as pd

from reintegratie_stats import synth
from reintegratie_stats.io import read_table
from reintegratie_stats.reporting.report import build_report


def test_data_section_lists_warnings_and_missing_code_counts(tmp_path, mapping_path):
    data = synth.generate(seed=3, n_prisoners=200, n_institutions=4, n_professionals=40)
    folder = tmp_path / "data"
    paths = synth.write_twin(data, folder, fmt="sav", mapping=mapping_path)
    # a column the codebook does not know: one warning the report must list, not just count
    p = paths["prisoners"]
    loaded = read_table(p, "prisoners", mapping=mapping_path)
    log = loaded.log
    n_missing = log.count("missing-code")
    assert n_missing > 0
    run = build_report(
        folder, mapping_path, tmp_path / "out", steps=["data_overview"], console=None
    )
    assert run.ok, run.failed
    out = tmp_path / "out"
    conv = pd.read_csv(out / "tables" / "data_conversions.csv")
    prisoners = conv[(conv["table"] == "prisoners") & (conv["step"] == "missing-code")]
    # per column, by code and reason; counts below the disclosure threshold are suppressed,
    # so what is shown adds up to at most what the reader counted
    shown = pd.to_numeric(prisoners["n"], errors="coerce").dropna()
    assert 0 < shown.sum() <= n_missing
    assert set(prisoners["column"]) <= set(loaded.data.columns)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Conversions while reading" in html


def test_warnings_are_listed(tmp_path, tables):
    from reintegratie_stats.io import write_table

    folder = tmp_path / "data"
    write_table(tables["prisoners"].assign(opmerking="x"), folder / "prisoners.csv", "prisoners")
    write_table(tables["institutions"], folder / "institutions.csv", "institutions")
    run = build_report(folder, None, tmp_path / "out", steps=["data_overview"], console=None)
    assert run.ok
    warn = pd.read_csv(tmp_path / "out" / "tables" / "data_warnings.csv")
    assert warn[["table", "code", "variable"]].values.tolist() == [
        ["prisoners", "unknown-column", "opmerking"]
    ]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Validation warnings" in html and "opmerking" in html
