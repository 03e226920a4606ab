"""schema: the codebook as read from data_schema/, and code that agrees with the YAML.

Expected values are read from the YAML files directly (with ``yaml.safe_load``, not through
``schema``) or written out by hand from SPEC, so a parsing mistake in ``schema`` shows.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from reintegratie_stats import schema
from reintegratie_stats.schema import TABLES, load_codebook

ROOT = Path(__file__).resolve().parents[1]
YAML_DIR = ROOT / "data_schema"
SRC = ROOT / "src" / "reintegratie_stats"


def _raw(name: str) -> dict:
    return yaml.safe_load((YAML_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


# --- reading -----------------------------------------------------------------------------------
def test_every_variable_of_every_table_is_read_in_order(cb):
    for t in TABLES:
        raw = _raw(t)
        assert cb[t].names == tuple(v["name"] for v in raw["variables"])
        assert cb[t].primary_key == raw["primary_key"] and raw["primary_key"] in cb[t]


def test_variable_fields_by_hand(cb):
    v = cb["prisoners"]["sat_probation"]
    assert v.type == "likert" and v.asked_if == ("contact_probation", 1)
    assert v.bounds == (1.0, 5.0) and v.allowed == (1, 2, 3, 4, 5)
    # "standard" missing codes are the three of concepts.yaml
    assert set(v.missing_codes) == {-1, -2, -3}
    assert v.missing_labels("nl")[-2] == "wil ik niet zeggen"
    b = cb["prisoners"]["contact_probation"]
    assert b.allowed == (0, 1) and b.value_labels("en") == {0: "No", 1: "Yes"}
    assert cb["prisoners"]["weeks_to_release"].bounds == (0.0, 1500.0)
    assert cb.label("institution_id", "en", table="institutions") == "Institution"


def test_every_routing_and_reference_points_at_a_variable(cb):
    for t in TABLES:
        for v in cb[t]:
            if v.asked_if is not None:
                assert v.asked_if[0] in cb[t], f"{t}.{v.name}: asked_if {v.asked_if}"
            if v.references is not None:
                table, col = v.references
                assert col in cb[table], f"{t}.{v.name}: references {v.references}"


def test_concept_codes_and_labels(cb):
    assert cb.concept_codes("regimes") == ("HvB", "GBM", "BBA", "EZV", "ISD", "PPC")
    assert cb.concept_codes("detention_length_bands")[0] == "lt_6w"
    assert cb.concept_codes("policy_norms")[0] == "casemanager_screening"
    assert cb.concept_label("regimes", "EZV", "nl") == "Extra zorgvoorziening"
    assert cb.concept_label("detention_length_bands", "ge_1y") == "1 year or longer"
    with pytest.raises(KeyError, match="nope"):
        cb.concept_label("detention_length_bands", "nope")


def test_unknown_table_and_variable_name_the_name(cb):
    with pytest.raises(KeyError, match="unknown table 'inmates'"):
        cb["inmates"]
    with pytest.raises(KeyError, match="'shoe_size' is not a variable of table 'prisoners'"):
        cb["prisoners"]["shoe_size"]


def _copy_schema(tmp_path: Path) -> Path:
    d = tmp_path / "schema"
    shutil.copytree(YAML_DIR, d)
    return d


def test_bad_asked_if_names_the_file_and_variable(tmp_path):
    d = _copy_schema(tmp_path)
    p = d / "prisoners.yaml"
    p.write_text(
        p.read_text(encoding="utf-8").replace(
            "asked_if: contact_probation == 1", "asked_if: contact_probation = 1", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"prisoners.yaml variable 'sat_probation'.*asked_if"):
        load_codebook(d)


def test_schema_dir_follows_the_environment(tmp_path, monkeypatch):
    d = _copy_schema(tmp_path)
    monkeypatch.setenv("REINTEGRATIE_SCHEMA_DIR", str(d))
    assert schema.schema_dir() == d
    assert load_codebook().path == d.resolve()


# --- the lists: code and YAML agree ------------------------------------------------------------
def test_missing_reasons_are_the_reasons_of_the_missing_codes(cb):
    raw = _raw("concepts")["missing_codes"]
    assert cb.missing_reasons == ("dont_know", "refused", "not_applicable")
    assert set(cb.missing_reasons) == {m["reason"] for m in raw.values()}
    io = importlib.import_module("reintegratie_stats.io")
    assert tuple(io.MISSING_REASONS) == cb.missing_reasons


def test_satisfaction_items_are_the_routed_likert_items_per_type(cb):
    items = _raw("concepts")["satisfaction_items"]
    assert (
        cb.satisfaction_items == tuple(items) == ("sat", "sat_freq", "sat_pleasant", "sat_useful")
    )
    for t in cb.professional_types:
        for it in items:
            v = cb["prisoners"][f"{it}_{t}"]
            assert v.type == "likert" and v.asked_if == (f"contact_{t}", 1), v.name
    # and the list is complete: every per-type satisfaction variable is one of the items
    per_type = {
        n[: -len(t) - 1]
        for n in cb["prisoners"].names
        for t in cb.professional_types
        if n.startswith("sat") and n.endswith(f"_{t}")
    }
    assert per_type == set(items)
    descriptives = importlib.import_module("reintegratie_stats.descriptives")
    assert descriptives.SATISFACTION_ITEMS == cb.satisfaction_items
    labels = _raw("result_columns")["values"]
    assert all(it in labels for it in items), "each item needs its label in result_columns.yaml"


def test_basic_domains_are_those_without_since(cb):
    raw = _raw("concepts")["domains"]
    assert cb.basic_domains == ("work_income", "housing", "finances", "health", "id")
    assert set(cb.domains) - set(cb.basic_domains) == {d for d in raw if "since" in raw[d]}
    # n_needs counts the basic domains: its codebook range ends at their number
    assert cb["prisoners"]["n_needs"].range == (0.0, float(len(cb.basic_domains)))
    for d in cb.domains:
        assert f"need_{d}" in cb["prisoners"]


def test_phase_cut_points_agree_with_the_derivation_text(cb):
    first, last = cb.phase_cut_points
    assert (first, last) == (6.0, 13.0)  # SPEC §3.1: first 6 weeks, last 3 months
    text = cb["prisoners"]["phase"].derivation
    assert f"weeks_detained < {first:g}" in text and f"weeks_to_release <= {last:g}" in text
    assert f"<= {last:g}" in cb["prisoners"]["soon_released"].derivation
    # the first detention-length band is the first phase
    assert cb.detention_length_bands[0]["upper_weeks"] == first


def test_concept_and_p_value_columns(cb):
    raw = _raw("concepts")
    assert cb.concept_columns == raw["concept_columns"]
    for col, group in cb.concept_columns.items():
        assert group in raw, f"concept_columns.{col} names unknown group {group!r}"
    assert cb.p_value_columns == ("p_value", "p_adjusted")
    rc = _raw("result_columns")["columns"]
    assert all(c in rc for c in cb.p_value_columns)


def test_labels_and_formatter_read_concept_and_p_value_columns_from_the_codebook(cb):
    # no Python copy of concepts.concept_columns / p_value_columns: the label of a concept
    # column's code is the codebook's concept label, and every p-value column prints as one
    from reintegratie_stats.labels import value_label
    from reintegratie_stats.reporting.tables import format_value

    for col, group in cb.concept_columns.items():
        code = cb.concept_codes(group)[0]
        assert value_label(col, code, "nl") == cb.concept_label(group, str(code), "nl"), col
    for col in cb.p_value_columns:
        assert format_value(col, 0.0004, 2) == "<0.001"
    assert format_value("estimate", 0.0004, 2) == "0.00"  # not a p-value column


# --- no Python literal repeats a whole codebook list -------------------------------------------
# The synthetic twin's parameter tables are keyed by code by design (they are the generator's
# model, checked against the codebook by its own tests), so synth/ is not scanned.
NOT_SCANNED = ("synth/",)


def _codebook_lists(cb) -> dict[str, tuple]:
    return {
        "professional_types": cb.professional_types,
        "domains": cb.domains,
        "basic_domains": cb.basic_domains,
        "regimes": cb.regimes,
        "phases": cb.phases,
        "detention_length_bands": cb.concept_codes("detention_length_bands"),
        "satisfaction_items": cb.satisfaction_items,
        "missing_reasons": cb.missing_reasons,
        "derivable": cb.derivable,
        "family_contact": cb.family_contact,
        "family_facilities": cb.family_facilities,
        "facilitation_scores": cb.facilitation_scores,
        "concept_columns": tuple(cb.concept_columns),
        "p_value_columns": cb.p_value_columns,
        "need_variables": tuple(f"need_{d}" for d in cb.domains),
        "contact_variables": tuple(f"contact_{t}" for t in cb.professional_types),
    }


def _repeats(tree: ast.AST, lists: dict[str, tuple]) -> set[str]:
    found = set()
    all_nodes = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in n.targets)
    }
    for node in ast.walk(tree):
        if id(node) in all_nodes:
            continue
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            elts = node.elts
        elif isinstance(node, ast.Dict):
            elts = [k for k in node.keys if k is not None]
        else:
            continue
        strings = {
            e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        }
        for name, codes in lists.items():
            if len(codes) >= 2 and set(codes) <= strings:
                found.add(name)
    return found


def test_repeat_finder_on_known_source(cb):
    lists = _codebook_lists(cb)
    assert _repeats(ast.parse('X = ("sat", "sat_freq", "sat_pleasant", "sat_useful")'), lists) == {
        "satisfaction_items"
    }
    # a chosen subset is an analysis choice, not a repeat; __all__ is not a list of codes
    assert (
        _repeats(ast.parse('X = ("sat", "sat_freq")\n__all__ = ["phase", "n_needs"]'), lists)
        == set()
    )


def test_no_python_literal_repeats_a_codebook_list(cb):
    lists = _codebook_lists(cb)
    found = set()
    for p in sorted(SRC.rglob("*.py")):
        rel = p.relative_to(SRC).as_posix()
        if rel.startswith(NOT_SCANNED):
            continue
        for name in _repeats(ast.parse(p.read_text(encoding="utf-8")), lists):
            found.add((rel, name))
    assert not found, f"read these lists from the codebook instead: {sorted(found)}"


def test_docs_name_every_concept_group(cb):
    # data_schema/README.md lists what concepts.yaml holds; a new group must be documented
    readme = (YAML_DIR / "README.md").read_text(encoding="utf-8")
    groups = [k for k in _raw("concepts") if k != "version"]
    undocumented = [g for g in groups if not re.search(rf"`{g}`", readme)]
    assert not undocumented, undocumented


def _label_entries(node, where: str):
    """Every mapping that holds an ``en`` label, with where it is."""
    if isinstance(node, dict):
        if "en" in node and isinstance(node["en"], str):
            yield where, node
        for k, v in node.items():
            yield from _label_entries(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            name = v.get("name", v.get("code", v.get("id", i))) if isinstance(v, dict) else i
            yield from _label_entries(v, f"{where}[{name}]")


def test_every_label_has_every_language(cb):
    assert cb.languages == ("en", "nl")
    files = [*TABLES, "concepts", "result_columns"]
    incomplete = [
        f"{where}: {sorted(set(cb.languages) - set(entry))}"
        for f in files
        for where, entry in _label_entries(_raw(f), f)
        if not set(cb.languages) <= set(entry)
    ]
    assert not incomplete, incomplete[:10]
    assert sum(1 for f in files for _ in _label_entries(_raw(f), f)) > 500  # the walk finds them
