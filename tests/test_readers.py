"""Readers: Dutch Excel CSV, broken CSV structure, ids as text, mis-encoded SPSS files.

Files here are written by pandas, pyreadstat or by hand (never by our own writer), the way
Excel, R or SPSS would write them. Each case checks the exit code and the words a user sees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from reintegratie_stats.cli import app
from reintegratie_stats.io import UnusableInputError, read_table
from reintegratie_stats.validate import validate

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def excel_nl(df: pd.DataFrame, path, encoding="cp1252"):
    """What Dutch Excel writes: semicolons, decimal commas, Windows code page, CRLF."""
    df.to_csv(path, sep=";", decimal=",", index=False, encoding=encoding, lineterminator="\r\n")
    return path


@pytest.fixture
def inst(tables):
    df = tables["institutions"].copy()
    df.loc[0, "name"] = "PI Zuid-Oost, café"  # a comma and an accent inside a text field
    df["travel_time_min"] = [12.5, 40.25, 3.0, 77.75, 20.5]
    return df


def test_dutch_excel_csv_is_detected(inst, tmp_path):
    path = excel_nl(inst, tmp_path / "inrichtingen.csv", encoding="utf-8")
    loaded = read_table(path, "institutions")
    assert loaded.file_meta["sep"] == ";" and loaded.file_meta["decimal"] == ","
    assert loaded.data["travel_time_min"].tolist() == [12.5, 40.25, 3.0, 77.75, 20.5]
    assert loaded.data["name"].iloc[0] == "PI Zuid-Oost, café"
    # pandas writes every float with a comma, 3.0 as "3,0": five cells respelled
    assert loaded.log.count("decimal-comma", "travel_time_min") == 5
    assert loaded.log.count("number-from-text") == 0  # "1,0" -> 1.0 is counted once, above
    assert validate(loaded.data, "institutions").valid


def test_cp1252_csv_needs_encoding_and_says_so(inst, tmp_path):
    path = excel_nl(inst, tmp_path / "inrichtingen.csv")
    res = run("validate", str(path), "-t", "institutions")
    assert res.exit_code == 2
    assert "line 2 is not valid utf-8-sig text (byte 0xe9)" in res.output
    assert "use --encoding cp1252" in res.output
    res = run("validate", str(path), "-t", "institutions", "--encoding", "cp1252", "--no-log")
    assert res.exit_code == 0, res.output
    assert "institutions: valid (5 rows" in res.output


def test_sep_and_decimal_options_override_detection(inst, tmp_path):
    path = tmp_path / "i.csv"
    inst.to_csv(path, sep="|", decimal=",", index=False)
    res = run("validate", str(path), "-t", "institutions", "--sep", "|", "--decimal", ",")
    assert res.exit_code == 0, res.output
    # a wrong decimal mark is a type error naming the column, not a crash
    res = run("validate", str(path), "-t", "institutions", "--decimal", ".")
    assert res.exit_code == 1
    assert (
        "type-error travel_time_min: expected a number (number); hint: numbers written with a decimal comma: use --decimal ,"
        in res.output
    )
    res = run("validate", str(path), "-t", "institutions", "--decimal", ".", "--lang", "nl")
    assert "tip: getallen met een decimale komma: gebruik --decimal ," in res.output
    res = run("validate", str(path), "-t", "institutions", "--sep", ";;")
    assert res.exit_code == 2 and "--sep must be one character" in res.output
    res = run("validate", str(path), "-t", "institutions", "--encoding", "klingon")
    assert res.exit_code == 2 and "unknown --encoding 'klingon'" in res.output


def test_tab_separated(inst, tmp_path):
    path = tmp_path / "i.csv"
    inst.to_csv(path, sep="\t", index=False)
    assert read_table(path, "institutions").file_meta["sep"] == "\t"
    res = run("validate", str(path), "-t", "institutions", "--sep", "tab", "--no-log")
    assert res.exit_code == 0, res.output


def _csv(tables, tmp_path, name="p.csv"):
    path = tmp_path / name
    tables["prisoners"].to_csv(path, index=False)
    return path


def test_short_row_is_an_error_naming_row_and_column(tables, tmp_path):
    path = _csv(tables, tmp_path)
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    lines[3] = ",".join(lines[3].split(",")[:10])
    path.write_text("\n".join(lines) + "\n")
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 2, res.output
    assert (
        f"row 3 (line 4) has 10 of {len(header)} fields (no value for {header[10]!r} and after)"
    ) in res.output


def test_long_row_is_an_error(tables, tmp_path):
    path = _csv(tables, tmp_path)
    lines = path.read_text().splitlines()
    n = len(lines[0].split(","))
    lines[5] += ",1,2"
    path.write_text("\n".join(lines) + "\n")
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 2
    assert f"row 5 (line 6) has {n + 2} fields, the header {n}" in res.output


@pytest.mark.parametrize("cut", [0.3, 0.55, 0.99])
def test_truncated_file_is_an_error(tables, tmp_path, cut):
    path = _csv(tables, tmp_path)
    data = path.read_bytes()
    last = data[:-1].rfind(b"\n")  # start of the last row
    pos = last + 1 + int(cut * (len(data) - last - 2))
    path.write_bytes(data[:pos])
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 2, res.output
    assert "row 60 (line 61)" in res.output
    assert ("cut off" in res.output) or ("fields" in res.output)


def test_open_quote_is_an_error(tables, tmp_path):
    path = _csv(tables, tmp_path)
    path.write_text(path.read_text().replace("PR00002", '"PR00002', 1))
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 2
    assert "cannot be read as CSV" in res.output and "quote" in res.output


def test_duplicate_column_names_are_an_error(tables, tmp_path):
    df = tables["prisoners"]
    cols = list(df.columns)
    path = tmp_path / "p.csv"
    text = df.to_csv(index=False)
    header, rest = text.split("\n", 1)
    names = header.split(",")
    names[17] = "age"
    path.write_text(",".join(names) + "\n" + rest)
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 2
    pos = cols.index("age") + 1
    assert f"column name 'age' occurs twice in the header (columns {pos} and 18)" in res.output


def test_ids_are_kept_exactly_as_written(tables, tmp_path):
    df = tables["prisoners"].copy()
    df.loc[0, "prisoner_id"] = "0001"
    df.loc[1, "prisoner_id"] = "01"
    df.loc[2, "prisoner_id"] = "1"
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    loaded = read_table(path, "prisoners")
    assert loaded.data["prisoner_id"].tolist()[:3] == ["0001", "01", "1"]
    res = run("validate", str(path), "-t", "prisoners", "--no-log")
    assert res.exit_code == 0, res.output


def test_duplicate_ids_quote_the_ids_as_written(tables, tmp_path):
    df = tables["prisoners"].copy()
    df.loc[0, "prisoner_id"] = "0001"
    df.loc[4, "prisoner_id"] = "0001"
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    res = run("validate", str(path), "-t", "prisoners", "--no-log")
    assert res.exit_code == 1
    assert (
        "duplicate-id prisoner_id: identifier occurs more than once in 2 rows (first: 1, 5); values: '0001'"
        in res.output
    )


def test_na_like_text_and_whitespace_are_logged(tables, tmp_path):
    df = tables["prisoners"].copy().astype(object)
    df.loc[0, "age"] = "NA"
    df.loc[1, "age"] = "None"
    df.loc[2, "age"] = "null"
    df.loc[3, "age"] = " 41 "
    df.loc[4, "regime"] = "GBM "
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    loaded = read_table(path, "prisoners")
    log = loaded.log
    assert log.count("na-string", "age") == 3
    assert log.count("whitespace", "age") == 1 and log.count("whitespace", "regime") == 1
    assert loaded.data["age"].iloc[:4].tolist()[3] == 41.0
    assert loaded.data["age"].iloc[:3].isna().all()
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 0, res.output
    assert "na-string age: 'NA' -> missing (1 rows)" in res.output
    assert "whitespace regime: surrounding spaces removed (1 rows)" in res.output


def test_every_changed_cell_is_counted(tables, tmp_path):
    """Cells that differ between file text and canonical value = cells counted in the log."""
    df = tables["prisoners"].copy().astype(object)
    rng = np.random.default_rng(3)
    numeric = ["age", "weeks_detained", "prior_convictions"]
    changes = 0
    for col, token in zip(numeric, ["NA", " 12 ", "null"], strict=True):
        rows = rng.choice(len(df), 7, replace=False)
        for r in rows:
            df.loc[r, col] = token
        changes += len(rows)
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    log = read_table(path, "prisoners").log
    counted = sum(e.count for e in log.entries if e.step in ("na-string", "whitespace"))
    assert counted == changes


def test_utf8_sav_with_cp1252_text_names_the_variable(tables, tmp_path):
    import pyreadstat

    df = tables["institutions"].iloc[:2].copy()
    df["name"] = ["PI Zuid", "PI Caféé"]
    good = tmp_path / "good.sav"
    pyreadstat.write_sav(df, str(good))
    raw = good.read_bytes()
    assert b"Caf\xc3\xa9\xc3\xa9" in raw
    bad = tmp_path / "inrichtingen.sav"
    bad.write_bytes(raw.replace(b"Caf\xc3\xa9\xc3\xa9", b"Caf\xe9\xe9  "))
    res = run("validate", str(bad), "-t", "institutions")
    assert res.exit_code == 2, res.output
    assert (
        "the file says it is UTF-8, but variable name (row 2: 'PI Caféé') is cp1252" in res.output
    )
    assert "--encoding cp1252" in res.output
    res = run("validate", str(bad), "-t", "institutions", "--encoding", "cp1252", "--no-log")
    assert res.exit_code == 0, res.output
    assert read_table(bad, "institutions", encoding="cp1252").data["name"].iloc[1] == "PI Caféé"


def test_a_good_utf8_sav_is_not_flagged(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"institution_id": ["PI01"], "name": ["PI Caféé"], "travel_time_min": [1.0]})
    pyreadstat.write_sav(df, str(tmp_path / "i.sav"))
    assert read_table(tmp_path / "i.sav", "institutions").data["name"].iloc[0] == "PI Caféé"


def test_report_reads_dutch_csv_with_options(tables, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    excel_nl(tables["prisoners"].assign(opmerking="café"), folder / "gedetineerden.csv")
    res = run(
        "report",
        "--data",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--step",
        "data_overview",
    )
    assert res.exit_code == 2 and "use --encoding cp1252" in res.output
    res = run(
        "report",
        "--data",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--step",
        "data_overview",
        "--encoding",
        "cp1252",
        "--sep",
        ";",
    )
    assert res.exit_code == 0, res.output
    assert "1/1 steps ok" in res.output


def test_unusable_error_type(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("\n\n")
    with pytest.raises(UnusableInputError, match="the file is empty"):
        read_table(p, "prisoners")


def test_file_cut_inside_the_header_is_an_error(tables, tmp_path):
    path = _csv(tables, tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"\n") - 40])  # found by the property test
    res = run("validate", str(path), "-t", "prisoners")
    assert res.exit_code == 2
    assert "the file ends inside the header (line 1) without a line break" in res.output
