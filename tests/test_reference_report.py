"""The committed reference report (reports/synthetic/) is reproduced by a re-run: every CSV
table byte-identical, the same tables and figures, every step successful."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[1] / "reports" / "synthetic"

pytestmark = [
    pytest.mark.skipif(
        not (REFERENCE / "manifest.json").is_file(),
        reason="reports/synthetic/ not generated yet (reintegratie-stats report)",
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("reintegratie_stats.synth") is None,
        reason="the synthetic twin (reintegratie_stats.synth) is not installed",
    ),
]


@pytest.fixture(scope="module")
def rerun(tmp_path_factory):
    from reintegratie_stats.reporting.report import build_report

    out = tmp_path_factory.mktemp("rerun") / "synthetic"
    run = build_report(out=out, console=None)
    return run, out


@pytest.mark.slow
def test_every_csv_table_is_byte_identical(rerun):
    _, out = rerun
    committed = {p.name: p.read_bytes() for p in (REFERENCE / "tables").glob("*.csv")}
    again = {p.name: p.read_bytes() for p in (out / "tables").glob("*.csv")}
    assert sorted(again) == sorted(committed)
    differ = [name for name in committed if committed[name] != again[name]]
    assert differ == [], (
        f"tables that changed: {differ} (regenerate with `reintegratie-stats report`)"
    )


@pytest.mark.slow
def test_same_figures_and_every_step_ok(rerun):
    run, out = rerun
    assert run.ok, [(r.name, r.error) for r in run.failed]
    names = lambda d: sorted(p.name for p in (d / "figures").iterdir())  # noqa: E731
    assert names(out) == names(REFERENCE)
    man = json.loads((REFERENCE / "manifest.json").read_text(encoding="utf-8"))
    assert man["status"] == "ok" and man["input"]["description"] == "synthetic twin seed 2019"
    assert [s["name"] for s in man["steps"]] == [r.name for r in run.results]


def test_committed_reference_passes_disclosure_control():
    from test_report import csv_problems, html_problems

    problems = [
        b for f in sorted((REFERENCE / "tables").glob("*.csv")) for b in csv_problems(f, 10)
    ]
    problems += html_problems(REFERENCE / "report.html", 10)
    assert problems == []
