"""reporting.writers: every file of a report, byte-identical on a re-run, no small count written.

The CSV text expected is written by hand (canonical names, ``\\n`` line ends, UTF-8 without a
byte-order mark, ``<10`` and ``–`` for withheld cells); versions are compared with each
package's own ``__version__``.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.disclosure import protect
from reintegratie_stats.reporting import writers
from reintegratie_stats.reporting.inputs import InputFile, Inputs
from reintegratie_stats.reporting.runner import ReportContext, ReportRun, StepOutput, StepResult
from reintegratie_stats.reporting.writers import (
    DEPENDENCIES,
    dependency_versions,
    figure_bytes,
    r_versions,
    save_figure,
    write_file,
    write_manifest,
    write_tables,
)

TABLES = {
    "rates": pd.DataFrame({"type": ["probation", "care"], "n": [250, 8], "rate": [1 / 3, 0.25]}),
    "sums": pd.DataFrame({"group": ["a"], "n": [40], "mean": [0.1 + 0.2]}),
}
CSV = {
    "rates": "type,n,rate\nprobation,250,0.333333\ncare,<10,–\n",
    "sums": "group,n,mean\na,40,0.3\n",
}


def test_tables_are_written_byte_identically_on_a_re_run(tmp_path):
    first = write_tables({k: protect(v, 10) for k, v in TABLES.items()}, tmp_path / "a")
    second = write_tables({k: protect(v, 10) for k, v in TABLES.items()}, tmp_path / "b")
    assert sorted(first) == sorted(second) == ["rates", "sums"]
    for name in TABLES:
        assert first[name] == tmp_path / "a" / f"{name}.csv"
        assert first[name].read_bytes() == second[name].read_bytes()
        assert first[name].read_bytes() == CSV[name].encode("utf-8")  # no BOM, \n line ends
    # writing again over the same folder changes nothing either
    before = {n: p.read_bytes() for n, p in first.items()}
    write_tables({k: protect(v, 10) for k, v in TABLES.items()}, tmp_path / "a")
    assert {n: p.read_bytes() for n, p in first.items()} == before


def test_write_file_makes_folders_and_writes_text_as_utf8(tmp_path):
    p = write_file(tmp_path / "x" / "y" / "t.txt", "a – b\n")
    assert p.read_bytes() == b"a \xe2\x80\x93 b\n"
    q = write_file(tmp_path / "b.bin", b"\x00\xff")
    assert q.read_bytes() == b"\x00\xff"


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot(np.arange(5), np.arange(5) ** 2, label="squares")
    ax.set_title("Reproducible")
    ax.legend()
    return fig


def test_figures_are_reproducible_png_and_svg(tmp_path):
    png1, svg1 = figure_bytes(_figure())
    png2, svg2 = figure_bytes(_figure())  # a new figure object, drawn again
    assert png1 == png2 and svg1 == svg2
    assert png1.startswith(b"\x89PNG\r\n\x1a\n") and b"<svg" in svg1
    assert b"<dc:date>" not in svg1  # no date in the file
    p_png, p_svg, png = save_figure(_figure(), tmp_path, "f")
    assert p_png.read_bytes() == png == png1 and p_svg.read_bytes() == svg1
    assert (p_png.name, p_svg.name) == ("f.png", "f.svg")


def test_dependency_versions_are_the_installed_ones():
    import matplotlib
    import scipy
    import statsmodels

    v = dependency_versions()
    assert tuple(v) == DEPENDENCIES
    assert v["numpy"] == np.__version__ and v["pandas"] == pd.__version__
    assert v["scipy"] == scipy.__version__ and v["statsmodels"] == statsmodels.__version__
    assert v["matplotlib"] == matplotlib.__version__


def test_r_versions_are_none_without_r(monkeypatch):
    def no_r(*a, **k):
        raise FileNotFoundError("Rscript")

    monkeypatch.setattr(writers.subprocess, "run", no_r)
    assert r_versions() == {"R": None, "lme4": None}

    def fails(*a, **k):
        raise subprocess.CalledProcessError(1, "Rscript")

    monkeypatch.setattr(writers.subprocess, "run", fails)
    assert r_versions() == {"R": None, "lme4": None}


def _run() -> ReportRun:
    ok = StepOutput(
        tables={"rates": TABLES["rates"]},
        rows_input=400,
        rows_used=392,
        rows_excluded={"missing age": 5, "not asked": 3},
        models=[
            {
                "outcome": "contact",
                "model": "glmer",
                "reasons": [("input_rows", 400), ("missing age", 5), ("used", 395)],
            }
        ],
    )
    return ReportRun(
        results=[
            StepResult("one", "data", {"en": "One"}, "ok", 1.23456, ok, warnings=["W: x"]),
            StepResult("two", "ch2", {"en": "Two"}, "failed", 0.5, error="ValueError: no"),
        ],
        wall_time_s=1.7344,
    )


def test_the_manifest_records_the_run_with_small_counts_masked(tmp_path):
    inputs = Inputs(
        prisoners=pd.DataFrame(),
        institutions=None,
        professionals=None,
        source="/data/pilot",
        name="pilot",
        files=[InputFile("prisoners", "prisoners.sav", "ab" * 32, 7, "none")],
    )
    ctx = ReportContext(inputs=None, seed=5, threshold=10)
    files = {"tables": ["tables/rates.csv"], "report": ["report.html"]}
    man = write_manifest(tmp_path / "manifest.json", _run(), ctx, inputs, files, 2.0)
    text = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and json.loads(text) == man
    assert man["input"] == {
        "kind": "files",
        "folder": "pilot",
        "files": [
            {
                "table": "prisoners",
                "file": "prisoners.sav",
                "sha256": "ab" * 32,
                "rows": "<10",  # 7 rows: a small count, masked in the manifest too
                "conversions": "none",
            }
        ],
        "mapping": None,
    }
    assert (man["seed"], man["disclosure_threshold"], man["backend"]) == (5, 10, "native")
    assert man["status"] == "failed" and man["n_steps_failed"] == 1
    assert man["wall_time_s"] == {"steps": 1.734, "total": 2.0}
    assert man["files"] == files and man["r"] is None
    one, two = man["steps"]
    assert one["wall_time_s"] == 1.235 and one["rows_used"] == 392 and one["rows_input"] == 400
    assert one["rows_excluded"] == {"missing age": "<10", "not asked": "<10"}
    assert one["models"] == [
        {
            "outcome": "contact",
            "model": "glmer",
            "rows_input": 400,
            "rows_used": 395,
            "rows_excluded": {"missing age": "<10"},
        }
    ]
    assert one["tables"] == ["rates"] and one["warnings"] == ["W: x"]
    assert two["status"] == "failed" and two["error"] == "ValueError: no"
    assert two["rows_used"] is None and two["tables"] == []


def test_the_manifest_of_the_twin_names_it(tmp_path):
    twin = Inputs(pd.DataFrame(), None, None, source="synthetic twin seed 5", name="synthetic")
    man = write_manifest(tmp_path / "m.json", _run(), ReportContext(inputs=None), twin, {}, 1.0)
    assert man["input"] == {"kind": "synthetic", "description": "synthetic twin seed 5"}


@pytest.mark.parametrize("name", DEPENDENCIES)
def test_every_recorded_dependency_is_installed(name):
    # the manifest would say None for a package the package needs: the list must be real
    assert dependency_versions()[name] is not None
