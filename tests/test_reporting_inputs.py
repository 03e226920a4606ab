"""reporting.inputs: the three tables of a report, from a data folder or the synthetic twin.

File hashes are checked against ``hashlib`` on the bytes written, row counts against the
frames written, the seed against the one call the twin's generator receives.
"""

from __future__ import annotations

import hashlib
import inspect
from types import SimpleNamespace

import pytest

from reintegratie_stats import synth
from reintegratie_stats.io import UnusableInputError, write_table
from reintegratie_stats.reporting.inputs import (
    DEFAULT_SEED,
    InvalidDataError,
    find_table_files,
    load_inputs,
    sha256_file,
)
from reintegratie_stats.reporting.report import build_report
from reintegratie_stats.reporting.runner import ReportContext


@pytest.fixture
def fake_twin(tables, monkeypatch):
    """synth.generate replaced by the small valid tables, recording the seeds it is given."""
    seeds: list[int] = []

    def generate(seed):
        seeds.append(seed)
        return SimpleNamespace(**tables, truth={"seed": seed})

    monkeypatch.setattr(synth, "generate", generate)
    return seeds


def test_the_twin_is_drawn_once_with_the_seed_asked_for(fake_twin):
    inputs = load_inputs(seed=7)
    assert fake_twin == [7]
    assert inputs.seed == 7 and inputs.source == "synthetic twin seed 7"
    assert inputs.name == "synthetic" and inputs.synthetic and inputs.files == []
    assert inputs.truth == {"seed": 7}
    assert set(inputs.validation) == {"institutions", "prisoners", "professionals"}
    assert all(r.valid for r in inputs.validation.values())


def test_the_default_seed_has_one_value_everywhere(fake_twin):
    # 2019: the wave of the DPVS survey the twin stands in for
    assert DEFAULT_SEED == 2019
    load_inputs()
    assert fake_twin == [DEFAULT_SEED]
    assert ReportContext(inputs=None).seed == DEFAULT_SEED
    assert inspect.signature(build_report).parameters["seed"].default == DEFAULT_SEED
    assert inspect.signature(load_inputs).parameters["seed"].default == DEFAULT_SEED


def test_a_data_folder_is_read_with_hashes_and_row_counts(tables, tmp_path):
    d = tmp_path / "pilot"
    write_table(tables["prisoners"], d / "gedetineerden.csv", "prisoners")  # the Dutch name
    write_table(tables["institutions"], d / "institutions.parquet", "institutions")
    (d / "notes.txt").write_text("not a table\n")
    inputs = load_inputs(d, seed=11)
    assert not inputs.synthetic and inputs.name == "pilot" and inputs.seed == 11
    rec = {f.table: f for f in inputs.files}
    assert set(rec) == {"prisoners", "institutions"}
    for table, name in (
        ("prisoners", "gedetineerden.csv"),
        ("institutions", "institutions.parquet"),
    ):
        assert rec[table].path == name
        assert rec[table].sha256 == hashlib.sha256((d / name).read_bytes()).hexdigest()
        assert rec[table].n_rows == len(tables[table])
    assert len(inputs.prisoners) == len(tables["prisoners"])
    assert inputs.professionals is None
    with pytest.raises(ValueError, match="no professionals table"):
        inputs.table("professionals")
    assert inputs.table("prisoners") is inputs.prisoners


def test_find_table_files_by_name_and_suffix(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "Gedetineerden.SAV").write_bytes(b"")
    (d / "ketenpartners.csv").write_text("")
    (d / "inrichtingen.xlsx").write_text("")  # not a supported format: not a table file
    found = find_table_files(d)
    assert {t: p.name for t, p in found.items()} == {
        "prisoners": "Gedetineerden.SAV",
        "professionals": "ketenpartners.csv",
    }
    (d / "prisoners.csv").write_text("")
    with pytest.raises(UnusableInputError, match="more than one file for table prisoners"):
        find_table_files(d)
    with pytest.raises(UnusableInputError, match="data folder not found"):
        find_table_files(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnusableInputError, match="no prisoners file"):
        find_table_files(tmp_path / "empty")


def test_sha256_file_reads_in_blocks(tmp_path):
    data = bytes(range(256)) * 9000  # over 2 MiB: more than one block
    (tmp_path / "f.bin").write_bytes(data)
    assert sha256_file(tmp_path / "f.bin") == hashlib.sha256(data).hexdigest()


def test_invalid_data_is_refused_with_every_problem(tables, tmp_path):
    d = tmp_path / "bad"
    p = tables["prisoners"].copy()
    p.loc[p.index[0], "age"] = 7.0
    write_table(p, d / "prisoners.csv", "prisoners")
    write_table(tables["institutions"], d / "institutions.csv", "institutions")
    with pytest.raises(InvalidDataError) as err:
        load_inputs(d)
    assert not err.value.reports["prisoners"].valid and err.value.reports["institutions"].valid
    assert "age" in err.value.to_summary() and "age" in err.value.to_summary("nl")
    unchecked = load_inputs(d, check=False)  # read anyway, the report kept
    assert not unchecked.validation["prisoners"].valid


def test_a_mapping_needs_a_data_folder(mapping_path):
    with pytest.raises(UnusableInputError, match="--mapping needs --data"):
        load_inputs(mapping=mapping_path)
