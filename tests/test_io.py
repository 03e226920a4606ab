"""Reading and writing: round trips, mappings, user-missing codes, PSPP as the outside check."""

from __future__ import annotations

import subprocess
import textwrap

import numpy as np
import pandas as pd
import pytest

from conftest import needs
from reintegratie_stats.io import (
    UnusableInputError,
    canonicalize,
    load_mapping,
    read_table,
    write_table,
)
from reintegratie_stats.schema import TABLES


@pytest.mark.parametrize("fmt", ["csv", "parquet", "sav", "dta"])
@pytest.mark.parametrize("use_mapping", [False, True])
@pytest.mark.parametrize("table", TABLES)
def test_round_trip_gives_the_same_canonical_frame(
    tables, mapping_path, tmp_path, fmt, use_mapping, table
):
    df = tables[table]
    mapping = mapping_path if use_mapping else None
    path = write_table(df, tmp_path / f"{table}.{fmt}", table, mapping=mapping)
    back = read_table(path, table, mapping=mapping)
    pd.testing.assert_frame_equal(back.data, canonicalize(df, table))


def test_mapping_writes_dutch_names_and_codes(tables, mapping_path, tmp_path):
    df = tables["prisoners"]
    path = write_table(df, tmp_path / "p.csv", "prisoners", mapping=mapping_path)
    raw = pd.read_csv(path)
    assert {"contact_reclassering", "leeftijd", "regime", "respnr"} <= set(raw.columns)
    assert "contact_probation" not in raw.columns
    # regime is written as 1..6 in codebook order, contact as 1 = ja / 2 = nee
    assert set(raw["regime"].unique()) <= set(range(1, 7))
    expected = df["contact_probation"].map({1.0: 1, 0.0: 2})
    assert (raw["contact_reclassering"].to_numpy() == expected.to_numpy()).all()


def test_every_conversion_is_counted(mapping_path, tmp_path):
    raw = pd.DataFrame(
        {
            "respnr": ["a", "b", "c", "d", "e"],
            "pi_code": ["PI01"] * 5,
            "regime": [1, 2, 6, 2, 9],  # 9 is not a code: kept and left to the validator
            "contact_reclassering": [1, 2, -7, -8, 2],
            "tevr_reclassering": [4, -9, -9, -9, -9],
            "leeftijd": [30, 40, 50, 60, 70],
        }
    )
    path = tmp_path / "export.csv"
    raw.to_csv(path, index=False)
    loaded = read_table(path, "prisoners", mapping=mapping_path)
    log = loaded.log.to_frame()
    assert loaded.log.count("missing-code", "contact_probation") == 2
    assert loaded.log.count("missing-code", "sat_probation") == 4
    reasons = " ".join(log.loc[log["column"] == "contact_probation", "detail"])
    assert "dont_know" in reasons and "refused" in reasons
    assert loaded.log.count("recode", "regime") == 4  # the 9 is not recoded
    assert loaded.log.count("rename") == 5  # one per column renamed (regime: regime is none)
    assert loaded.data["regime"].tolist() == ["HvB", "GBM", "PPC", "GBM", "9"]
    assert loaded.data["contact_probation"].tolist()[:2] == [1.0, 0.0]
    assert loaded.data["contact_probation"].isna().sum() == 2


def test_numeric_ids_from_spss_become_strings(tmp_path):
    import pyreadstat

    df = pd.DataFrame({"institution_id": [1.0, 12.0], "name": ["A", "B"]})
    pyreadstat.write_sav(df, str(tmp_path / "i.sav"))
    loaded = read_table(tmp_path / "i.sav", "institutions")
    assert loaded.data["institution_id"].tolist() == ["1", "12"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("absent.csv", None, "file not found"),
        ("data.xlsx", b"PK\x03\x04", "unknown file format"),
        ("garbage.sav", bytes(range(256)) * 3, "cannot read"),
        ("garbage.parquet", b"not parquet at all", "cannot read"),
        ("garbage.dta", b"\x00\x01\x02garbage", "cannot read"),
        ("empty.csv", b"", "cannot read"),
    ],
)
def test_unusable_input_is_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UnusableInputError, match=message):
        read_table(path, "prisoners")


def test_unknown_table(tmp_path, tables):
    path = write_table(tables["institutions"], tmp_path / "i.csv", "institutions")
    with pytest.raises(UnusableInputError, match="unknown table 'inmates'"):
        read_table(path, "inmates")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("tables:\n  gevangenen: {}\n", "unknown table 'gevangenen'"),
        ("tables:\n  prisoners:\n    columns: {leeftijd: leeftijd_jaren}\n", "leeftijd_jaren"),
        ("missing_codes: {-7: vergeten}\ntables: {}\n", "vergeten"),
        ("tables:\n  prisoners:\n    values: {regime: onbekend}\n", "unknown value_set 'onbekend'"),
        ("tables: [\n", "not valid YAML"),
    ],
)
def test_bad_mapping_files_name_the_problem(tmp_path, yaml_text, message):
    path = tmp_path / "m.yaml"
    path.write_text(yaml_text)
    with pytest.raises(UnusableInputError, match=message):
        load_mapping(path)


def test_example_mapping_covers_every_variable(codebook, mapping_path):
    m = load_mapping(mapping_path)
    for table in TABLES:
        mapped = set(m.columns[table].values())
        assert mapped == set(codebook[table].names), table


# ---------------------------------------------------------------------------- PSPP: the outside check
def _pspp(script: str, tmp_path) -> str:
    sps = tmp_path / "job.sps"
    sps.write_text(textwrap.dedent(script))
    res = subprocess.run(
        ["pspp", "-O", "format=csv", str(sps)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


@needs("pspp")
def test_pspp_reads_our_sav_with_names_labels_and_missing_values(tables, mapping_path, tmp_path):
    path = write_table(tables["prisoners"], tmp_path / "p.sav", "prisoners", mapping=mapping_path)
    out = _pspp(
        f"""
        GET FILE='{path}'.
        DISPLAY DICTIONARY /VARIABLES=regime contact_reclassering tevr_reclassering.
        FREQUENCIES /VARIABLES=tevr_reclassering.
        """,
        tmp_path,
    )
    assert (
        "contact_reclassering," in out and "Contact met reclassering, afgelopen zes maanden" in out
    )
    assert "-7; -8; -9" in out  # MISSING VALUES declared
    assert "Huis van bewaring" in out and "Penitentiair psychiatrisch centrum" in out
    assert "niet van toepassing" in out and "weet niet" in out
    # PSPP counts the routed-out answers as (user-)missing, as SPSS users expect
    n_routed = int((tables["prisoners"]["contact_probation"] == 0).sum())
    assert f"Missing,niet van toepassing,{n_routed}," in out


@needs("pspp")
def test_user_missing_in_a_sav_written_by_pspp(tmp_path):
    sav = tmp_path / "pspp.sav"
    _pspp(
        f"""
        DATA LIST LIST /pi_code (A4) respnr (A4) regime leeftijd contact_reclassering tevr_reclassering.
        BEGIN DATA
        PI01 r1 1 30 1 4
        PI01 r2 2 40 2 99
        PI01 r3 3 50 98 99
        PI01 r4 4 60 1 97
        END DATA.
        MISSING VALUES contact_reclassering tevr_reclassering (97 THRU 99).
        VALUE LABELS regime 1 'Huis van bewaring' 2 'Gevangenis'.
        SAVE OUTFILE='{sav}'.
        """,
        tmp_path,
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "tables:\n  prisoners:\n    columns: {pi_code: institution_id, respnr: prisoner_id, leeftijd: age,"
        " contact_reclassering: contact_probation, tevr_reclassering: sat_probation}\n"
        "    values:\n      regime: {1: HvB, 2: GBM, 3: BBA, 4: EZV, 5: ISD, 6: PPC}\n"
        "      contact_probation: {1: 1, 2: 0}\n"
    )
    loaded = read_table(sav, "prisoners", mapping=mapping)
    assert loaded.data["sat_probation"].tolist()[0] == 4.0
    assert loaded.data["sat_probation"].isna().sum() == 3
    assert loaded.data["contact_probation"].isna().sum() == 1
    assert loaded.log.count("missing-code") == 4
    assert loaded.data["prisoner_id"].tolist() == ["r1", "r2", "r3", "r4"]
    assert np.array_equal(loaded.data["age"].to_numpy(), [30.0, 40.0, 50.0, 60.0])
