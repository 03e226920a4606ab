"""Mapping files: schema errors with key path and line (exit 2), typos found, team's terms.

The Dutch export here is written by the ``pspp`` binary from SPSS syntax, not by our writer,
so that the reader meets a file the way a research team's SPSS produces it.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from reintegratie_stats.cli import app
from reintegratie_stats.io import UnusableInputError, load_mapping, read_table
from reintegratie_stats.mapping import MappingError, parse_mapping
from reintegratie_stats.validate import missing_analysis_inputs, validate

runner = CliRunner()

SPS = """\
DATA LIST LIST /respnr (A4) pi_code (A4) regime (F8.0) geslacht (F8.0) leeftijd (F8.0)
  contact_casemanager (F8.0) contact_mentor (F8.0) contact_reclassering (F8.0)
  tevr_reclassering (F8.0).
BEGIN DATA
0001 PI01 1 1 34 1 1 1 4
0017 PI01 2 2 45 2 -7 -8 -9
0102 PI02 3 3 29 1 2 1 3
01 PI02 6 1 52 -9 1 2 -9
END DATA.
VARIABLE LABELS respnr 'Respondentnummer' geslacht 'Geslacht'
  tevr_reclassering 'Tevredenheid reclassering'.
VALUE LABELS geslacht 1 'man' 2 'vrouw'
  /contact_casemanager contact_mentor contact_reclassering 1 'ja' 2 'nee'.
MISSING VALUES contact_casemanager contact_reclassering tevr_reclassering (-9 THRU -7).
SAVE OUTFILE='gedetineerden.sav'.
"""

# the team's own mapping, with one typo: tevr_reclasering for tevr_reclassering (line 14)
MAPPING = """\
name: DPVS-export met een typefout
value_sets:
  ja_nee: {1: 1, 2: 0}
tables:
  prisoners:
    columns:
      respnr: prisoner_id
      pi_code: institution_id
      geslacht: sex
      leeftijd: age
      contact_casemanager: contact_casemanager
      contact_mentor: contact_mentor
      contact_reclassering: contact_probation
      tevr_reclasering: sat_probation
    values:
      regime: {1: HvB, 2: GBM, 3: BBA, 4: EZV, 5: ISD, 6: PPC}
      sex: {1: male, 2: female}
      contact_*: ja_nee
"""


@pytest.fixture(scope="module")
def pspp_export(tmp_path_factory):
    if shutil.which("pspp") is None:
        pytest.skip("pspp is not installed")
    d = tmp_path_factory.mktemp("pspp")
    (d / "export.sps").write_text(SPS, encoding="utf-8")
    done = subprocess.run(["pspp", "export.sps"], cwd=d, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (d / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    return d


def run(*args: str):
    return runner.invoke(app, list(args))


def test_pspp_export_with_a_mapping_typo_names_the_key_and_its_line(pspp_export):
    res = run(
        "validate",
        str(pspp_export / "gedetineerden.sav"),
        "-t",
        "prisoners",
        "-m",
        str(pspp_export / "mapping.yaml"),
    )
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    out = res.output
    assert (
        "[error] mapping-unmatched sat_probation: the mapping (mapping.yaml line 14) names "
        "column 'tevr_reclasering', but the file has no such column; "
        "did you mean 'tevr_reclassering'?"
    ) in out
    # the file's column the typo missed is named beside it
    assert "unknown-column tevr_reclassering" in out and "close to the mapping's" in out
    # the variable an analysis needs is an error naming the steps
    assert "missing-analysis-input sat_probation: needed by ch2_satisfaction" in out


def test_pspp_export_messages_in_the_teams_terms(pspp_export):
    res = run(
        "validate",
        str(pspp_export / "gedetineerden.sav"),
        "-t",
        "prisoners",
        "-m",
        str(pspp_export / "mapping.yaml"),
    )
    out = res.output
    # file name and code beside the canonical ones, the file's value labels as "known"
    assert (
        "undeclared-code geslacht (sex): code 3 is not in the mapping; known: 1 = man, 2 = vrouw"
    ) in out
    # the team's id beside the row number, exactly as written ("0102", not 102)
    assert "in 1 rows (first: 3 (respnr 0102))" in out
    # -7 in contact_mentor is not declared missing anywhere: a hint says it may be
    assert "hint: -7 looks like a missing code" in out
    assert "contact_mentor" in out


def test_ids_are_read_as_written(pspp_export):
    loaded = read_table(
        pspp_export / "gedetineerden.sav", "prisoners", mapping=pspp_export / "mapping.yaml"
    )
    assert loaded.data["prisoner_id"].tolist() == ["0001", "0017", "0102", "01"]
    rep = validate(loaded.data, "prisoners", source=loaded)
    assert "duplicate-id" not in {i.code for i in rep.issues}


def test_dutch_messages_with_lang_nl(pspp_export):
    res = run(
        "validate",
        str(pspp_export / "gedetineerden.sav"),
        "-t",
        "prisoners",
        "-m",
        str(pspp_export / "mapping.yaml"),
        "--lang",
        "nl",
    )
    assert res.exit_code == 1
    out = res.output
    assert "prisoners: ONGELDIG (4 rijen" in out
    assert (
        "[fout] mapping-unmatched sat_probation: de mapping (mapping.yaml regel 14)" not in out
    )  # the file name and line stay as written
    assert "de mapping (mapping.yaml line 14) noemt kolom 'tevr_reclasering'" in out
    assert "bedoelde u 'tevr_reclassering'?" in out
    assert "code 3 staat niet in de mapping; bekend: 1 = man, 2 = vrouw" in out
    assert "tip: -7 lijkt een code voor een ontbrekend antwoord" in out
    assert "in 1 rijen (eerste: 3 (respnr 0102))" in out


def test_missing_inputs_name_the_mapping_line():
    dm_text = MAPPING
    import pathlib
    import tempfile

    p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
    p.write_text(dm_text, encoding="utf-8")
    dm = load_mapping(p)
    cols = {"prisoners": ["prisoner_id", "contact_probation"], "institutions": None}
    missing = missing_analysis_inputs(
        cols, mapping=dm, file_columns={"prisoners": ("tevr_reclassering",)}
    )
    sentence = [m for m in missing["ch2_satisfaction"] if "sat_probation" in m][0]
    assert sentence == (
        "prisoners has no column sat_probation: the mapping (m.yaml line 14) maps "
        "'tevr_reclasering' to it, but the file has no column 'tevr_reclasering'; "
        "did you mean 'tevr_reclassering'?"
    )


# ------------------------------------------------------------------ malformed mapping files
BAD_MAPPINGS = [
    ("tables: {prisoners: 5}\n", "tables.prisoners (line 1): expected {columns"),
    ("tables:\n  prisoners:\n    values: {regime: 5}\n", "tables.prisoners.values.regime (line 3)"),
    (
        "missing_codes: {weet_niet: dont_know}\ntables: {}\n",
        "missing_codes.weet_niet (line 1): a missing code must be a number",
    ),
    (
        "missing_codes: {-7: weet_niet}\ntables: {}\n",
        "missing_codes.-7 (line 1): reason must be one of",
    ),
    ("missing_codes: [-7, -8]\ntables: {}\n", "missing_codes (line 1): expected {code: reason}"),
    (
        "tables:\n  prisoners:\n    colums: {respnr: prisoner_id}\n",
        "tables.prisoners.colums (line 3): unknown key (did you mean 'columns'?)",
    ),
    ("tabels: {}\n", "tabels (line 1): unknown key (did you mean 'tables'?)"),
    ("name: x\n", "the 'tables' key is missing"),
    (
        "tables:\n  prisoners:\n    columns: {respnr: [prisoner_id]}\n",
        "tables.prisoners.columns.respnr (line 3): expected a canonical variable name",
    ),
    ("tables:\n  prisoners:\n    columns: {respnr: prisoner_idd}\n", "did you mean 'prisoner_id'?"),
    (
        "tables:\n  prisoners:\n    columns:\n      a: age\n      b: age\n",
        "tables.prisoners.columns.b (line 5): age is already the target of 'a' (line 4)",
    ),
    (
        "tables:\n  prisoners:\n    columns:\n      a: age\n      a: sex\n",
        "tables.prisoners.columns.a (line 5): key given twice (first on line 4)",
    ),
    (
        "tables:\n  prisoners:\n    values: {sex: {1: man}}\n",
        "tables.prisoners.values.sex.1 (line 3): 'man' is not a code of sex",
    ),
    (
        "tables:\n  prisoners:\n    values: {sex: {1: {a: b}}}\n",
        "a canonical code must be a number or text",
    ),
    ("tables:\n  prisoners:\n    values: {regime: onbekend}\n", "unknown value_set 'onbekend'"),
    (
        "tables:\n  prisoners:\n    values: {geslacht: {1: male}}\n",
        "tables.prisoners.values.geslacht (line 3): matches no variable of prisoners",
    ),
    ("language: fr\ntables: {}\n", "language (line 1): expected one of en, nl"),
    ("- a\n- b\n", "expected a mapping with the keys"),
    ("tables: [\n", "not valid YAML"),
    ("", "is empty"),
    (
        "value_sets: {ja_nee: 3}\ntables: {}\n",
        "value_sets.ja_nee (line 1): expected {file code: code}",
    ),
    ("tables:\n  gevangenen: {}\n", "unknown table 'gevangenen'"),
]


@pytest.mark.parametrize(("text", "words"), BAD_MAPPINGS)
def test_malformed_mapping_exits_2_with_the_key_path(tmp_path, tables, text, words):
    from reintegratie_stats.io import write_table

    data = write_table(tables["prisoners"], tmp_path / "p.csv", "prisoners")
    m = tmp_path / "bad.yaml"
    m.write_bytes(text.encode("utf-8"))
    res = run("validate", str(data), "-t", "prisoners", "-m", str(m))
    assert res.exit_code == 2, res.output
    assert words in res.output
    assert "Traceback" not in res.output and res.output.count("\n") == 1


def test_malformed_mapping_api_error_carries_path_and_line(tmp_path):
    m = tmp_path / "bad.yaml"
    m.write_text("tables:\n  prisoners:\n    values: {regime: 5}\n", encoding="utf-8")
    with pytest.raises(MappingError) as info:
        parse_mapping(m)
    assert (info.value.key_path, info.value.line) == ("tables.prisoners.values.regime", 3)
    with pytest.raises(UnusableInputError, match="tables.prisoners.values.regime"):
        load_mapping(m)


def test_the_example_mapping_is_valid():
    spec = parse_mapping(
        load_mapping.__globals__["load_codebook"]().path / "mappings" / "example_nl.yaml"
    )
    assert spec.lines["tables.prisoners.columns.tevr_reclassering"] > 1


def test_report_refuses_a_step_whose_input_the_mapping_misses(tmp_path, mapping_path):
    from reintegratie_stats import synth
    from reintegratie_stats.reporting.report import build_report

    data = synth.generate(seed=7, n_prisoners=300, n_institutions=6, n_professionals=60)
    folder = tmp_path / "data"
    synth.write_twin(data, folder, fmt="sav", mapping=mapping_path)
    text = mapping_path.read_text(encoding="utf-8")
    line = text.splitlines().index("      tevr_reclassering: sat_probation") + 1
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("tevr_reclassering:", "tevr_reclasering:"), encoding="utf-8")
    run_ = build_report(
        folder,
        typo,
        tmp_path / "out",
        steps=["ch2_contact_rates", "ch2_satisfaction"],
        console=None,
    )
    status = {r.name: (r.status, r.error) for r in run_.results}
    assert status["ch2_contact_rates"][0] == "ok"
    assert status["ch2_satisfaction"][0] == "failed"
    assert status["ch2_satisfaction"][1] == (
        "MissingAnalysisInput: prisoners has no column sat_probation: the mapping "
        f"(typo.yaml line {line}) maps 'tevr_reclasering' to it, but the file has no column "
        "'tevr_reclasering'; did you mean 'tevr_reclassering'?"
    )


def test_a_file_code_the_mapping_misses_is_reported_even_if_it_is_a_codebook_code(tmp_path):
    # yes/no is 1/2 in this team's files; a 0 is not theirs, and must not pass as "no"
    (tmp_path / "m.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "p.csv").write_text(
        "respnr,pi_code,regime,contact_reclassering\n0001,PI01,1,1\n0002,PI01,2,0\n0003,PI01,2,2\n",
        encoding="utf-8",
    )
    res = run(
        "validate", str(tmp_path / "p.csv"), "-t", "prisoners", "-m", str(tmp_path / "m.yaml")
    )
    assert res.exit_code == 1
    assert (
        "[error] undeclared-code contact_reclassering (contact_probation): code 0 is not in the "
        "mapping; known: 1 -> 1, 2 -> 0; it was read as the codebook code of the same spelling "
        "in 1 rows (first: 2 (respnr 0002))"
    ) in res.output


def test_codes_without_a_mapping_entry_point_at_the_files_labels(pspp_export):
    # a mapping without values for sex: the file's own labels say what 1 and 2 mean
    text = MAPPING.replace("      sex: {1: male, 2: female}\n", "")
    (pspp_export / "nosex.yaml").write_text(text, encoding="utf-8")
    res = run(
        "validate",
        str(pspp_export / "gedetineerden.sav"),
        "-t",
        "prisoners",
        "-m",
        str(pspp_export / "nosex.yaml"),
    )
    assert res.exit_code == 1
    assert (
        "undeclared-code geslacht (sex): code not declared in the codebook (allowed: female, "
        "male); the file labels its codes 1 = man, 2 = vrouw: map them under "
        "tables.prisoners.values.sex in the mapping"
    ) in res.output
