"""The notebooks: stored without outputs, a papermill parameters cell, API calls only, and
each one executes on the synthetic twin (nbclient, the venv's python3 kernel, no network)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = (
    "00_quickstart",
    "01_contact_rates",
    "02_needs_vs_contact",
    "03_multilevel_facilitation",
    "04_satisfaction_preparedness",
    "05_family_contact",
    "06_power_planning",
)
#: Analysis logic does not belong in a notebook: these would mean it is computing, not calling.
FORBIDDEN = (
    r"\.groupby\(",
    r"\bimport statsmodels",
    r"\bimport scipy",
    r"\.mean\(",
    r"\.sum\(",
    r"\bsmf\.",
    r"\bnp\.",
)


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs_with_a_parameters_cell(name):
    nb = load(name)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    src = params[0].source
    for line in (
        "data_dir = None",
        "mapping = None",
        "seed = 2019",
        'backend = "native"',
        'lang = "en"',
    ):
        assert line in src, line
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 3  # the story is told


@pytest.mark.parametrize("name", NAMES)
def test_only_api_calls(name):
    for cell in load(name).cells:
        if cell.cell_type == "code":
            for pattern in FORBIDDEN:
                assert not re.search(pattern, cell.source), (name, pattern, cell.source)


def _missing(requires: list[str]) -> list[str]:
    """Requirements (``module`` or ``module:attribute``) not present in this checkout."""
    out = []
    for req in requires:
        mod, _, attr = req.partition(":")
        try:
            found = importlib.util.find_spec(f"reintegratie_stats.{mod}") is not None
            if found and attr:
                found = hasattr(importlib.import_module(f"reintegratie_stats.{mod}"), attr)
        except ModuleNotFoundError:
            found = False
        if not found:
            out.append(req)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_executes_on_the_synthetic_twin(name, tmp_path, monkeypatch):
    NotebookClient = pytest.importorskip("nbclient").NotebookClient

    nb = load(name)
    missing = _missing(["synth", *nb.metadata.get("reintegratie_stats", {}).get("requires", [])])
    if missing:
        pytest.skip(f"needs reintegratie_stats.{', '.join(missing)} (not merged yet)")
    src = str(ROOT / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
    assert sys.executable  # the kernel is the venv's python3 (jupyter_client maps "python")
