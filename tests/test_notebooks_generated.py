"""The committed notebooks are what scripts/build_notebooks.py generates.

The generator is run into a temporary folder (its ``ROOT`` pointed there, or the folder passed
when its ``main`` takes one) and every notebook is compared cell by cell: type, source and tags.
A notebook edited by hand, or a generator changed without rerunning it, fails here.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_notebooks.py"


def _generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    spec = importlib.util.spec_from_file_location("build_notebooks_under_test", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "notebooks"
    if inspect.signature(mod.main).parameters:
        mod.main(out)
    else:
        monkeypatch.setattr(mod, "ROOT", tmp_path)
        mod.main()
    return out


def _cells(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells]


def test_committed_notebooks_equal_the_generator_output(tmp_path, monkeypatch, capsys):
    generated = _generate(tmp_path, monkeypatch)
    capsys.readouterr()  # the generator prints what it wrote
    made = sorted(p.name for p in generated.glob("*.ipynb"))
    # 06 has a generator of its own (scripts/build_power_notebook.py)
    own = {"06_power_planning.ipynb"}
    committed = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb") if p.name not in own)
    assert made, "the generator wrote no notebook"
    assert made == committed, "notebooks/ and the generator disagree on which notebooks exist"
    for name in made:
        new, old = _cells(generated / name), _cells(ROOT / "notebooks" / name)
        if new == old:
            continue
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                diff = "\n".join(
                    difflib.unified_diff(
                        a[1].splitlines(), b[1].splitlines(), "committed", "generated", lineterm=""
                    )
                )
                pytest.fail(
                    f"{name} cell {i} differs (type/tags {a[0]}/{a[2]} vs {b[0]}/{b[2]}); "
                    f"run python scripts/build_notebooks.py\n{diff}"
                )
        pytest.fail(f"{name}: {len(old)} committed cells, {len(new)} generated")


def test_the_comparison_sees_a_changed_cell(tmp_path, monkeypatch, capsys):
    # the check itself: one changed character in a generated notebook is a difference
    generated = _generate(tmp_path, monkeypatch)
    capsys.readouterr()
    path = sorted(generated.glob("*.ipynb"))[0]
    nb = nbformat.read(path, as_version=4)
    before = _cells(path)
    nb.cells[-1].source += " "
    nbformat.write(nb, path)
    assert _cells(path) != before
