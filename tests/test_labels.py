"""labels: every header, code label and report text comes from data_schema/ (checked here
against the YAML files read independently)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from reintegratie_stats import labels as L
from reintegratie_stats.schema import load_codebook

CB = load_codebook()


def _yaml(name: str) -> dict:
    return yaml.safe_load((CB.path / f"{name}.yaml").read_text(encoding="utf-8"))


def test_column_labels_are_the_result_columns_yaml_then_the_variable_label():
    cols = _yaml("result_columns")["columns"]
    for name in list(cols)[:20]:
        for lang in ("en", "nl"):
            assert L.column_label(name, lang) == cols[name][lang]
    prisoners = {v["name"]: v for v in _yaml("prisoners")["variables"]}
    var = next(n for n in prisoners if n not in cols)
    assert L.column_label(var, "nl") == prisoners[var]["label"]["nl"]
    assert L.column_label("no_such_column", "nl") == "no_such_column"


def test_value_labels_by_column_kind():
    concepts = _yaml("concepts")
    # a concept column (concepts.concept_columns): the concept's label
    for col, group in concepts["concept_columns"].items():
        entries = concepts[group]
        first = entries[0] if isinstance(entries, list) else next(iter(entries.items()))
        code, entry = (
            (first.get("id", first.get("code")), first) if isinstance(first, dict) else first
        )
        assert L.value_label(col, code, "nl") == entry["nl"], col
    # a column naming variables: the variable's label
    assert L.value_label("outcome", "contact_probation", "en") == CB.label("contact_probation")
    # a result code (result_columns.yaml values)
    code, lab = next(iter(_yaml("result_columns")["values"].items()))
    assert L.value_label("test", code, "nl") == lab["nl"]
    # numbers and missing values stay as they are
    assert L.value_label("estimate", 0.25, "nl") == 0.25
    assert L.value_label("type", None) is None
    assert np.isnan(L.value_label("type", float("nan")))


def test_concept_text_lowercases_english_types_mid_sentence():
    t = CB.professional_types[0]
    en = CB.concept_label("professional_types", t, "en")
    assert L.concept_text("professional_types", t, "en") == en[:1].lower() + en[1:]
    nl = CB.concept_label("professional_types", t, "nl")
    assert L.concept_text("professional_types", t, "nl") == nl
    assert L.concept_text("professional_types", "nobody", "en") == "nobody"


def test_text_fills_fields_and_names_a_missing_key():
    raw = _yaml("report_texts_nl")
    section, key = "figures", "suppressed"
    assert L.text(section, key, "nl", k=2, t=10) == raw[section][key].format(k=2, t=10)
    with pytest.raises(KeyError, match="report_texts_en.yaml has no text figures.nope"):
        L.text("figures", "nope", "en")
    with pytest.raises(ValueError, match="lang must be one of"):
        L.check_lang("fr")
    assert L.report_texts("en").keys() == raw.keys()


@pytest.mark.parametrize(
    ("v", "expected"),
    [
        (1, True),
        (2.5, True),
        (np.int64(3), True),
        (np.float32(1.0), True),
        (True, False),
        (np.bool_(True), False),
        ("1", False),
        (None, False),
    ],
)
def test_is_number(v, expected):
    assert L.is_number(v) is expected
