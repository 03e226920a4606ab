"""reporting.report: build_report resolves the options once, then computes, protects, writes.

Toy registries with known tables stand in for the report spec, so that every file written
has a content known in advance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import reintegratie_stats.reporting.report as R
from reintegratie_stats.reporting.inputs import Inputs
from reintegratie_stats.reporting.report import build_report, default_out_dir
from reintegratie_stats.reporting.runner import Step, StepOutput


def _demo(ctx):
    return StepOutput(tables={"demo": pd.DataFrame({"type": ["care"], "n": [25], "rate": [0.4]})})


REGISTRY = {"demo": Step("demo", "data", {"en": "Demo", "nl": "Demo"}, _demo)}


def test_every_file_written_is_listed_in_the_manifest(data_dir, tmp_path):
    out = tmp_path / "out"
    run = build_report(data_dir, out=out, registry=REGISTRY, console=None)
    assert run.ok and run.out_dir == out
    assert (out / "tables" / "demo.csv").read_text(encoding="utf-8") == "type,n,rate\ncare,25,0.4\n"
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = {f for files in man["files"].values() for f in files}
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert on_disk - listed == {"manifest.json"}
    assert listed <= on_disk and "report.html" in listed and "tables/demo.csv" in listed
    assert run.manifest == man


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"backend": "stan"}, "backend"),
        ({"lang": "de"}, "lang"),
        ({"threshold": 0}, "threshold must be at least 1"),
    ],
)
def test_bad_options_are_refused_before_anything_is_read_or_written(kw, match, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=match):
        build_report(tmp_path / "no-such-folder", out=out, registry=REGISTRY, console=None, **kw)
    assert not out.exists()


def test_the_default_out_folder_is_named_after_the_inputs():
    twin = Inputs(pd.DataFrame(), None, None, source="synthetic twin seed 1", name="synthetic")
    assert default_out_dir(twin) == Path("reports") / "synthetic"
    pilot = Inputs(pd.DataFrame(), None, None, source="/data/pilot", name="pilot")
    assert default_out_dir(pilot, root="/tmp/r") == Path("/tmp/r/pilot")


def test_a_failure_of_the_publication_tables_costs_only_them(data_dir, tmp_path, monkeypatch):
    def broken(*a, **k):
        raise KeyError("no such table")

    monkeypatch.setattr(R, "publication_tables", broken)
    out = tmp_path / "out"
    with pytest.warns(RuntimeWarning, match="publication tables not made"):
        run = build_report(data_dir, out=out, registry=REGISTRY, console=None)
    assert run.ok and (out / "report.html").is_file() and (out / "tables" / "demo.csv").is_file()
    assert run.manifest["files"]["publication"] == []


def test_build_report_resolves_the_options_once_and_seeds_chapter5(tmp_path, monkeypatch):
    import reintegratie_stats.multivariate as MV

    monkeypatch.setattr(R, "WORKERS", 0)  # chapter 5 in this process, where the fake records
    seen = {}

    def fake_chapter5(prisoners, **kw):
        seen.update(kw)
        return {"problems": pd.DataFrame(columns=["part", "outcome", "message"])}

    monkeypatch.setattr(MV, "chapter5", fake_chapter5)
    run = build_report(
        out=tmp_path / "r",
        seed=7,
        lang="nl",
        threshold=25,
        steps=["ch5_preparedness"],
        console=None,
    )
    assert run.ok, run.failed
    assert seen == {"mixed_backend": "native", "seed": 7}
    man = run.manifest
    assert (man["seed"], man["lang"], man["disclosure_threshold"]) == (7, "nl", 25)
    assert run.results[0].output.readings["ch5_problems"] == (
        "Elk model van het hoofdstuk kon worden geschat."
    )
