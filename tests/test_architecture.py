"""The layer rules of docs/architecture.md, read from the source with ``ast``.

The layer map lives once, as the table between the ``layers:`` markers in
``docs/architecture.md``; this module parses it. Every ``import``/``from ... import`` of every
module under ``src/reintegratie_stats`` counts, including those inside functions (a lazy import
is still a dependency).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "reintegratie_stats"
PKG = "reintegratie_stats"
DOC = ROOT / "docs" / "architecture.md"


# --- reading the source ----------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)  # "" is the package root


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (never run, so never a cycle)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for b in node.body for n in ast.walk(b)}
    return out


def _imports(name: str, *, runtime_only: bool = False) -> list[tuple[str, str | None, str]]:
    """``(imported module, imported name or None, local alias)`` for each internal import.

    ``from a import b`` is an import of module ``a.b`` when that is a module, else of name ``b``
    from module ``a``. Module names are relative to the package (``""`` is its root).
    """
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    here = name.split(".") if name else []
    out: list[tuple[str, str | None, str]] = []
    skip = _type_checking_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == PKG or a.name.startswith(PKG + "."):
                    mod = a.name.removeprefix(PKG).removeprefix(".")
                    out.append((mod, None, a.asname or PKG))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if _is_package(name) else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module == PKG or (node.module or "").startswith(PKG + "."):
                mod = node.module.removeprefix(PKG).removeprefix(".")  # type: ignore[union-attr]
            else:
                continue
            for a in node.names:
                sub = f"{mod}.{a.name}" if mod else a.name
                alias = a.asname or a.name
                out.append((sub, None, alias) if sub in MODULES else (mod, a.name, alias))
    return out


IMPORTS = {m: _imports(m) for m in MODULES}
EDGES = {m: {t for t, _, _ in IMPORTS[m] if t != m} for m in MODULES}
RUNTIME_EDGES = {m: {t for t, _, _ in _imports(m, runtime_only=True) if t != m} for m in MODULES}


def _layer_table() -> list[tuple[str, list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- layers: begin.*?-->(.*?)<!-- layers: end -->", text, re.S)
    assert block, "docs/architecture.md has no layer table between the layers: markers"
    rows = []
    for line in block.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("layer", "") or set(cells[0]) <= set("-"):
            continue
        rows.append((cells[0], re.findall(r"`([\w.]+)`", cells[1])))
    return rows


LAYERS = _layer_table()
RANK = {mod: i for i, (_, mods) in enumerate(LAYERS) for mod in mods}


def layer_of(module: str) -> int | None:
    """Rank of the layer of ``module`` (longest listed prefix); None for the package root."""
    if module == "":
        return None
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in RANK:
            return RANK[".".join(parts[:k])]
    raise AssertionError(f"module {module!r} is in no layer of docs/architecture.md")


# --- the checks ------------------------------------------------------------------------------
def test_layer_table_is_read():
    names = [n for n, _ in LAYERS]
    assert names[0] == "codebook" and names[-1] == "cli" and len(names) >= 5, names
    assert RANK["schema"] < RANK["io"] < RANK["statistics"] < RANK["descriptives"]
    assert RANK["descriptives"] < RANK["figures"] < RANK["reporting"] < RANK["cli"]


def test_every_module_has_a_layer():
    unplaced = []
    for m in MODULES:
        try:
            layer_of(m)
        except AssertionError:
            unplaced.append(m)
    assert not unplaced, (
        f"place these modules in the layer table of docs/architecture.md: {unplaced}"
    )


def test_every_module_in_the_layer_table_exists():
    tops = {m.split(".")[0] for m in MODULES if m}
    missing = sorted(set(RANK) - tops)
    assert not missing, f"docs/architecture.md lists modules that do not exist: {missing}"


def _upward() -> set[tuple[str, str]]:
    found = set()
    for m, targets in EDGES.items():
        lm = layer_of(m)
        for t in targets:
            lt = layer_of(t)
            if lm is not None and lt is not None and lt > lm:
                found.add((m, t))
    return found


def test_imports_only_go_down_the_layers():
    bad = _upward()
    explain = [
        f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
        for m, t in sorted(bad)
    ]
    assert not bad, "imports from a higher layer:\n" + "\n".join(explain)


def test_the_package_root_imports_nothing():
    # every import of any submodule runs reintegratie_stats/__init__.py first
    assert EDGES[""] == set()


def test_statistics_package_file_imports_nothing():
    # helpers add modules under statistics/ independently; the package file stays a docstring
    assert EDGES["statistics"] == set()


def _cycles() -> set[frozenset[str]]:
    """Strongly connected components of the run-time imports with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: set[frozenset[str]] = set()
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in RUNTIME_EDGES.get(v, ()):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(frozenset(comp))

    for v in MODULES:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    bad = _cycles()
    assert not bad, f"import cycles: {[sorted(c) for c in bad]}"


def _private_imports() -> set[tuple[str, str, str]]:
    found = set()
    for m, imps in IMPORTS.items():
        for t, name, _ in imps:
            if name and name.startswith("_") and not name.startswith("__") and t != m:
                found.add((m, t, name))
    return found


def test_no_private_name_imported_across_modules():
    bad = _private_imports()
    assert not bad, "private names imported from another module: " + ", ".join(
        f"{m} imports {n} from {t}" for m, t, n in sorted(bad)
    )


def test_private_attributes_of_imported_modules_are_not_used():
    # ``from .statistics import grouping as T`` then ``T._helper`` is the same breach as
    # importing ``_helper``
    bad = []
    for m, path in MODULES.items():
        modules = {alias: t for t, name, alias in IMPORTS[m] if name is None and t != m}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{m} uses {modules[node.value.id]}.{node.attr}")
    assert not bad, bad


def test_private_modules_are_used_only_inside_their_package():
    bad = []
    for m, targets in EDGES.items():
        for t in targets:
            parts = t.split(".")
            if parts[-1].startswith("_") and not parts[-1].startswith("__"):
                package = ".".join(parts[:-1])
                if not (m == package or m.startswith(package + ".")):
                    bad.append(f"{m} imports private module {t}")
    assert not bad, bad


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from .schema import load_codebook", [("schema", "load_codebook", "load_codebook")]),
        ("from . import derived_variables as derive", [("derived_variables", None, "derive")]),
        (
            "from .statistics.tests import contingency_test as ct",
            [("statistics.tests", "contingency_test", "ct")],
        ),
        ("import reintegratie_stats.io", [("io", None, "reintegratie_stats")]),
        ("import numpy as np\nfrom scipy import stats", []),
    ],
)
def test_import_reading_on_known_lines(source, expected, tmp_path, monkeypatch):
    # the reader itself: relative imports from a top-level module resolve as Python does
    f = tmp_path / "probe.py"
    f.write_text(source + "\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "probe", f)
    assert _imports("probe") == expected


# --- tests mirror the modules ----------------------------------------------------------------
TESTS = ROOT / "tests"
#: Test files that check more than one module (an end-to-end property), by design.
CROSS_MODULE_TESTS = {
    "test_architecture.py",
    "test_disclosure_attack.py",  # an attacker on the published tables of the whole report
    "test_multilevel_parity.py",  # native GLMM stages vs lme4
    "test_multilevel_recovery.py",  # truth recovered from the twin
    "test_multivariate_synth.py",
    "test_notebooks.py",
    "test_notebooks_generated.py",
    "test_readme.py",
    "test_reference_report.py",
    "test_reference_report_other_cpu.py",  # the same tables with the AVX-512 kernels off
    "test_report.py",  # whole report runs: CLI, files, manifest, disclosure on every file
    "test_report_browser.py",
    "test_row_accounting.py",  # every model's rows, analyses through the manifest
    "test_report_publication.py",  # the publication tables of a whole report: docx, CSV, print
    "test_report_dutch.py",  # every header, cell and figure text of the --lang nl report
    "test_synth_calibration.py",
    "test_synth_recovery.py",
    "test_tables.py",  # disclosure control through every renderer, on the package's results
    "test_twin_descriptives.py",
    "test_chapter5_family_contact.py",  # chapter 5's social-network model against the twin's truth
    "test_corrupt_csv.py",  # hypothesis: io, validate and cli on broken files
    "test_edge_rates.py",  # intervals at 0 and n of n, and the figures that draw them
    "test_readers.py",  # CSV/SPSS readers through io and the cli
    "test_multilevel_calibration.py",  # the institution tests' level on simulated twins
}


def _test_file(module: str) -> Path:
    return TESTS / f"test_{module.replace('.', '_')}.py"


def _needs_own_test(module: str) -> bool:
    # package files and private modules (tested through the public module using them) do not
    last = module.split(".")[-1]
    return bool(module) and not _is_package(module) and not last.startswith("_")


def test_every_module_has_its_test_module():
    missing = [
        f"{m} -> tests/{_test_file(m).name}"
        for m in MODULES
        if _needs_own_test(m) and not _test_file(m).exists()
    ]
    assert not missing, "add a test module per source module: " + ", ".join(missing)


def test_every_test_file_names_a_module_or_is_cross_module():
    mirrors = {_test_file(m).name for m in MODULES if m}
    mirrors |= {f"test_{m.split('.')[0]}.py" for m in MODULES if m}  # package-level test files
    stray = sorted(
        p.name for p in TESTS.glob("test_*.py") if p.name not in mirrors | CROSS_MODULE_TESTS
    )
    assert not stray, f"name these after their module, or list them in CROSS_MODULE_TESTS: {stray}"
