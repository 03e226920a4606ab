"""Term labels read from the codebook YAML (not from the package's own label functions)."""

from pathlib import Path

import pytest
import yaml

from reintegratie_stats.publication.terms import reference_level, split_term, term_label

SCHEMA = Path(__file__).resolve().parents[1] / "data_schema"


def _var(name: str, table: str = "prisoners") -> dict:
    rows = yaml.safe_load((SCHEMA / f"{table}.yaml").read_text(encoding="utf-8"))
    rows = rows["variables"] if isinstance(rows, dict) else rows
    return next(v for v in rows if v["name"] == name)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_factor_level_names_variable_level_and_reference(lang):
    regime = _var("regime")
    # patsy's treatment coding: the first code in sorted order is the reference (BBA)
    ref = sorted(regime["values"])[0]
    assert ref == "BBA"
    want = (
        f"{regime['label'][lang]}: {regime['values']['EZV'][lang]} "
        f"(ref. {regime['values'][ref][lang]})"
    )
    assert term_label("C(regime)[T.EZV]", lang) == want
    assert term_label("regime[T.EZV]", lang) == want


def test_reference_follows_the_levels_in_the_data():
    assert reference_level("regime", ["HvB", "GBM", "EZV"]) == "EZV"
    assert term_label("C(regime)[T.HvB]", levels={"regime": ["GBM", "HvB"]}).endswith(
        f"(ref. {_var('regime')['values']['GBM']['en']})"
    )


def test_interaction_and_centred_terms():
    instr = _var("instr_int_housing")["label"]["nl"]
    need = _var("need_housing")["label"]["nl"]
    assert term_label("instr_int_housing_c:need_housing", "nl") == (
        f"{instr}, gecentreerd op 3 × {need}"
    )


def test_unknown_names_are_kept_and_split_handles_C_with_options():
    assert term_label("not_a_variable") == "not_a_variable"
    assert split_term("C(regime, Treatment('GBM'))[T.EZV]") == ("regime", "EZV")
    gbm = _var("regime")["values"]["GBM"]["en"]
    assert term_label("C(regime, Treatment('GBM'))[T.EZV]").endswith(f"(ref. {gbm})")


def test_professional_ratings_as_institution_means():
    lab = _var("rating_information", "professionals")["label"]["en"]
    assert term_label("rating_information", institution_means=True) == (f"{lab} (institution mean)")
