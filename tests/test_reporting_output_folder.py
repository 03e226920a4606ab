"""The --out folder: built aside and moved into place, locked, a user's files never deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from reintegratie_stats.cli import app
from reintegratie_stats.io import UnusableInputError
from reintegratie_stats.reporting.output_folder import OutputBusyError, OutputFolder
from reintegratie_stats.reporting.report import build_report
from reintegratie_stats.reporting.runner import Step, StepOutput


def _table(name):
    def fn(ctx):
        return StepOutput(tables={name: pd.DataFrame({"n": [25, 30]})})

    return fn


def _interrupt(ctx):
    raise KeyboardInterrupt


def registry(*names, interrupt=False):
    steps = {n: Step(n, "data", {"en": n, "nl": n}, _table(n)) for n in names}
    if interrupt:
        steps["stop"] = Step("stop", "data", {"en": "stop", "nl": "stop"}, _interrupt)
    return steps


def _snapshot(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_users_files_survive_and_stale_tables_of_ours_go(data_dir, tmp_path):
    out = tmp_path / "out"
    build_report(data_dir, out=out, registry=registry("alpha", "beta"), console=None)
    assert (out / "tables" / "beta.csv").is_file()
    (out / "tables" / "my_notes.csv").write_text("mine\n")
    (out / "README.txt").write_text("mine\n")
    build_report(data_dir, out=out, registry=registry("alpha"), console=None)
    assert not (out / "tables" / "beta.csv").exists()  # ours, no longer produced
    assert (out / "tables" / "my_notes.csv").read_text() == "mine\n"
    assert (out / "README.txt").read_text() == "mine\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["tables"] == ["tables/alpha.csv"]
    assert not list(tmp_path.glob(".out.*"))  # no temporary folder, no lock left


def test_a_users_file_with_our_name_stops_the_run(data_dir, tmp_path):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "alpha.csv").write_text("mine\n")
    with pytest.raises(UnusableInputError, match="which this package did not write"):
        build_report(data_dir, out=out, registry=registry("alpha"), console=None)
    assert (out / "tables" / "alpha.csv").read_text() == "mine\n"
    assert sorted(p.name for p in out.rglob("*")) == ["alpha.csv", "tables"]


def test_an_interrupted_run_leaves_the_previous_report_intact(data_dir, tmp_path):
    out = tmp_path / "out"
    build_report(data_dir, out=out, registry=registry("alpha", "beta"), console=None)
    before = _snapshot(out)
    with pytest.raises(KeyboardInterrupt) as info:
        build_report(data_dir, out=out, registry=registry("gamma", interrupt=True), console=None)
    assert _snapshot(out) == before
    assert f"no new report written; the previous report in {out} is intact" in info.value.__notes__
    assert not list(tmp_path.glob(".out.*"))


def test_an_interrupted_first_run_leaves_nothing(data_dir, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt) as info:
        build_report(data_dir, out=out, registry=registry("a", interrupt=True), console=None)
    assert not out.exists()
    assert f"no report written to {out}" in info.value.__notes__


def test_a_second_run_into_the_same_folder_is_refused(data_dir, tmp_path):
    out = tmp_path / "out"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".out.lock").write_text(f"{other.pid} 2026-01-01T00:00:00\n")
        with pytest.raises(OutputBusyError, match=f"another report run \\(process {other.pid}\\)"):
            build_report(data_dir, out=out, registry=registry("alpha"), console=None)
        assert not out.exists()
        res = CliRunner().invoke(
            app, ["report", "--data", str(data_dir), "--out", str(out), "--step", "data_overview"]
        )
        assert res.exit_code == 2
        assert f"error: another report run (process {other.pid}) is writing into" in res.output
    finally:
        other.kill()
        other.wait()
    # the holder has ended: its lock is stale and taken over
    build_report(data_dir, out=out, registry=registry("alpha"), console=None)
    assert (out / "tables" / "alpha.csv").is_file()
    assert not (tmp_path / ".out.lock").exists()


def test_a_killed_runs_temporary_folder_is_cleaned_up(tmp_path):
    out = tmp_path / "out"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".out.tmp-{dead.pid}"
    (left / "tables").mkdir(parents=True)
    (left / "tables" / "half.csv").write_text("x\n")
    with OutputFolder(out) as folder:
        (folder.tmp / "manifest.json").write_text('{"files": {}}')
        folder.commit()
    assert not left.exists()
    assert any("left by an interrupted run" in n for n in folder.notes)
    assert folder.message == f"report written to {out}"


def test_the_manifest_cannot_point_outside_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    (out / "manifest.json").write_text(json.dumps({"files": {"tables": ["../victim.txt"]}}))
    with OutputFolder(out) as folder:
        (folder.tmp / "manifest.json").write_text('{"files": {}}')
        folder.commit()
    assert victim.read_text() == "keep\n"


def test_lock_file_holds_our_pid_while_running(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out) as folder:
        assert folder.lock.read_text().split()[0] == str(os.getpid())
    assert not folder.lock.exists()


def test_cli_says_an_interrupted_run_left_the_previous_report(data_dir, tmp_path, monkeypatch):
    import reintegratie_stats.reporting.sections as steps_module

    out = tmp_path / "out"
    build_report(data_dir, out=out, registry=registry("alpha"), console=None)
    before = _snapshot(out)
    monkeypatch.setattr(steps_module, "STEPS", registry("alpha", interrupt=True))
    res = CliRunner().invoke(app, ["report", "--data", str(data_dir), "--out", str(out)])
    assert res.exit_code == 130
    assert (
        f"interrupted: no new report written; the previous report in {out} is intact"
    ) in res.output
    assert _snapshot(out) == before
