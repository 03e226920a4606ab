"""report.html in a real browser (Debian chromium, headless, network off): every figure
renders and no request leaves the file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd
import pytest
from matplotlib.figure import Figure

from reintegratie_stats.reporting.report import build_report
from reintegratie_stats.reporting.runner import Step, StepOutput

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="chromium not on PATH (Debian package 'chromium', installed by scripts/setup.sh)",
    ),
]

REFERENCE = Path(__file__).resolve().parents[1] / "reports" / "synthetic" / "report.html"


def open_in_chromium(page: Path, tmp: Path) -> str:
    """The DOM after load, with the network cut off (unreachable proxy, no name resolution)."""
    cmd = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def inspect(dom: str) -> tuple[list[int], list[str], bool]:
    """(natural widths of the images, resources requested, load script ran)."""
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    m = re.search(r'<div id="rs-resources"[^>]*>(.*?)</div>', dom, re.S)
    resources = json.loads(m.group(1)) if m and m.group(1).strip() else []
    return widths, resources, 'data-loaded="1"' in dom


def _figure_step(ctx):
    figs = {}
    for k in range(2):
        fig = Figure(figsize=(4, 3))
        fig.add_subplot(1, 1, 1).plot([0, 1, 2], [k, 2, 1])
        figs[f"toy_{k}"] = fig
    return StepOutput(
        tables={"toy": pd.DataFrame({"n": [40], "rate": [0.5]})},
        figures=figs,
        readings={"toy": "r", "toy_0": "r0", "toy_1": "r1"},
    )


@pytest.fixture(scope="module")
def toy_page(
    tmp_path_factory,
):
    out = tmp_path_factory.mktemp("browser") / "r"
    reg = {"fig": Step("fig", "ch2", {"en": "Figures", "nl": "Figuren"}, _figure_step)}
    import numpy as np

    from conftest import random_table
    from reintegratie_stats.io import write_table
    from reintegratie_stats.schema import load_codebook

    cb = load_codebook()
    rng = np.random.default_rng(3)
    inst = random_table(cb["institutions"], 3, rng)
    data = out.parent / "data"
    write_table(
        random_table(cb["prisoners"], 30, rng, inst["institution_id"].tolist()),
        data / "prisoners.csv",
        "prisoners",
    )
    write_table(inst, data / "institutions.csv", "institutions")
    run = build_report(data, out=out, registry=reg, console=None)
    assert run.ok
    return out / "report.html"


def test_figures_render_and_nothing_is_requested(toy_page, tmp_path):
    widths, resources, loaded = inspect(open_in_chromium(toy_page, tmp_path))
    assert loaded
    assert widths and len(widths) == 2 and all(w > 0 for w in widths)
    assert [r for r in resources if not r.startswith("data:")] == []


def test_check_catches_a_broken_figure_and_an_outside_request(toy_page, tmp_path):
    page = toy_page.read_text(encoding="utf-8")
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    page = page.replace("<h1>", '<img src="http://example.invalid/x.png"><h1>', 1)
    bad = tmp_path / "bad.html"
    bad.write_text(page, encoding="utf-8")
    widths, resources, loaded = inspect(open_in_chromium(bad, tmp_path))
    assert loaded
    assert 0 in widths
    assert "http://example.invalid/x.png" in resources


@pytest.mark.skipif(
    not REFERENCE.is_file(), reason="reports/synthetic/report.html not generated yet"
)
def test_reference_report_renders_offline(tmp_path):
    widths, resources, loaded = inspect(open_in_chromium(REFERENCE, tmp_path))
    n_img = len(re.findall(r"<img ", REFERENCE.read_text(encoding="utf-8")))
    assert loaded and len(widths) == n_img > 0
    assert all(w > 0 for w in widths)
    assert [r for r in resources if not r.startswith("data:")] == []
