"""Labels for model terms, from the codebook: variable, level and reference category.

A patsy/lme4 term name (``C(regime)[T.EZV]``, ``sex[T.male]``, ``instr_int_housing_c``,
``sat_ext_c:need_housing``) becomes the words a reader of a paper expects: "Regime: Extra care
unit (ref. Limited-security unit)". Treatment coding takes the first level in sorted order as
the reference (patsy's default), unless the caller says which levels the data had.

Examples
--------
>>> term_label("sex[T.male]", lang="nl")
'Geslacht: Man (ref. Vrouw)'
>>> term_label("instr_ext_housing_c:need_housing")  # doctest: +ELLIPSIS
'Satisfaction with instrumental support ... × Problem before detention: housing'
>>> term_label("Intercept", lang="nl")
'Constante'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import yaml

from ..schema import Codebook, Lang, load_codebook, schema_dir

__all__ = ["term_label", "split_term", "reference_level"]

_LEVEL = re.compile(
    r"^(?:C\((?P<cvar>[^,)]+)(?P<opts>,.*)?\)|(?P<var>[A-Za-z_][A-Za-z0-9_]*))\[T\.(?P<lvl>.+)\]$"
)
_TREATMENT_REF = re.compile(r"Treatment\((?:reference\s*=\s*)?['\"]?(?P<ref>[^'\")]+)['\"]?\)")


@lru_cache(maxsize=1)
def _texts() -> dict[str, Any]:
    with open(schema_dir() / "term_labels.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def split_term(term: str) -> tuple[str, str | None]:
    """``(variable, level)`` of one main-effect term; level None for a numeric term.

    >>> split_term("C(regime)[T.EZV]"), split_term("age")
    (('regime', 'EZV'), ('age', None))
    """
    m = _LEVEL.match(term.strip())
    if m:
        return (m.group("cvar") or m.group("var")).strip(), m.group("lvl")
    return term.strip(), None


def _variable(cb: Codebook, name: str) -> Any:
    for t in cb.tables:
        if name in cb.tables[t]:
            return cb.tables[t][name]
    return None


def reference_level(
    variable: str, levels: Sequence[Any] | None = None, codebook: Codebook | None = None
) -> Any:
    """The reference level of treatment coding: the first of the sorted levels.

    ``levels`` are the levels present in the data; by default the codebook's codes.
    """
    cb = codebook or load_codebook()
    if levels is None:
        var = _variable(cb, variable)
        if var is None or not var.values:
            return None
        levels = list(var.values)
    return sorted(levels, key=lambda v: (str(type(v)), v))[0] if len(levels) else None


def _plain_label(cb: Codebook, name: str, lang: Lang) -> str:
    var = _variable(cb, name)
    if var is not None:
        return var.label(lang)
    derived = cb.concepts.get("analysis_variables", {})
    if name in derived:
        return str(derived[name][lang])
    outcomes = _texts().get("outcomes", {})  # model outcomes made from a variable
    if name in outcomes:
        entry = outcomes[name]
        base = _plain_label(cb, entry["from"], lang)
        return str(_texts()[entry["words"]][lang]).format(label=base)
    return name


def _value_label(cb: Codebook, name: str, value: Any, lang: Lang) -> str:
    var = _variable(cb, name)
    if var is not None:
        labels = var.value_labels(lang)
        for key in (value, str(value)):
            if key in labels:
                return str(labels[key])
        try:
            num = float(value)
            key = int(num) if num.is_integer() else num
            if key in labels:
                return str(labels[key])
        except (TypeError, ValueError):
            pass
    return str(value)


def _main_label(
    term: str,
    lang: Lang,
    cb: Codebook,
    levels: Mapping[str, Sequence[Any]] | None,
    institution_means: bool,
) -> str:
    tx = _texts()
    variable, level = split_term(term)
    if level is not None:
        text = tx["level"][lang].format(
            variable=_plain_label(cb, variable, lang), level=_value_label(cb, variable, level, lang)
        )
        m = _TREATMENT_REF.search(term)
        ref = m.group("ref") if m else reference_level(variable, (levels or {}).get(variable), cb)
        if ref is not None:
            text += (
                " (" + tx["reference"][lang].format(ref=_value_label(cb, variable, ref, lang)) + ")"
            )
        return text
    if variable.endswith("_c") and _plain_label(cb, variable, lang) == variable:
        base = variable[:-2]
        return tx["centred"][lang].format(label=_plain_label(cb, base, lang), centre=tx["centre"])
    text = _plain_label(cb, variable, lang)
    var = _variable(cb, variable)
    if institution_means and var is not None and variable in cb["professionals"]:
        text = tx["institution_mean"][lang].format(label=text)
    return text


def term_label(
    term: str,
    lang: Lang = "en",
    codebook: Codebook | None = None,
    levels: Mapping[str, Sequence[Any]] | None = None,
    institution_means: bool = False,
) -> str:
    """Label a model term from the codebook, with the reference category of a factor level.

    Parameters
    ----------
    term : str
        A term name as the model reports it (patsy / lme4 syntax).
    lang : {"en", "nl"}
    codebook : Codebook, optional
    levels : mapping, optional
        Levels present in the data per factor (decides the reference category); default the
        codebook's codes.
    institution_means : bool
        Professionals' ratings enter chapter-4 models as institution means: say so.

    Returns
    -------
    str
        The label; a name the codebook does not know is returned unchanged.
    """
    cb = codebook or load_codebook()
    if term == "Intercept":
        return str(_texts()["intercept"][lang])
    parts = [_main_label(p, lang, cb, levels, institution_means) for p in term.split(":")]
    return str(_texts()["interaction"]).join(parts)
