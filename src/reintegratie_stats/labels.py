"""Labels of the codebook layer: headers, code labels and the report texts, in en or nl.

Every word the package shows comes from ``data_schema/``: variable and concept labels from the
codebook, result-column and result-code labels from ``result_columns.yaml``, and the texts of
the report and its figures (captions, readings, headings, axis titles) from
``report_texts_en.yaml`` / ``report_texts_nl.yaml`` (one file per language, the same keys).
Figures and reporting both read labels here, so neither imports the other.

Examples
--------
>>> column_label("rate", "nl")
'Aandeel'
>>> value_label("type", "probation", "en")
'Probation service'
>>> concept_text("professional_types", "casemanager", "en")  # mid-sentence
'case manager'
>>> text("page", "contents", "nl")
'Inhoud'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from .schema import Codebook, load_codebook

__all__ = [
    "LANGS",
    "VARIABLE_COLUMNS",
    "check_lang",
    "cli_messages",
    "cli_text",
    "is_number",
    "label_text",
    "column_label",
    "concept_text",
    "report_texts",
    "result_columns",
    "text",
    "translate",
    "value_label",
]

Lang = Literal["en", "nl"]
#: Languages of the report texts (``languages`` of ``concepts.yaml``; one
#: ``report_texts_<lang>.yaml`` each).
LANGS: tuple[str, ...] = load_codebook().languages

#: Columns whose values are variable names of the prisoners table (labelled by variable label).
VARIABLE_COLUMNS: tuple[str, ...] = ("variable", "outcome", "predictor")


def check_lang(lang: str) -> None:
    """Raise ``ValueError`` unless ``lang`` is one of :data:`LANGS`."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")


@cache
def _yaml(path: str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def result_columns(codebook: Codebook | None = None) -> dict[str, Any]:
    """``data_schema/result_columns.yaml`` (labels, column kinds, notes), read once."""
    cb = codebook or load_codebook()
    return _yaml(str(Path(cb.path) / "result_columns.yaml"))


def report_texts(lang: str, codebook: Codebook | None = None) -> dict[str, Any]:
    """``data_schema/report_texts_<lang>.yaml``, read once."""
    check_lang(lang)
    cb = codebook or load_codebook()
    return _yaml(str(Path(cb.path) / f"report_texts_{lang}.yaml"))


def text(section: str, key: str, lang: str, **fields: Any) -> str:
    """The text ``section.key`` in ``lang``, with ``{fields}`` filled in.

    Raises ``KeyError`` naming the file and key when the text is missing.
    """
    texts = report_texts(lang)
    try:
        template = texts[section][key]
    except KeyError:
        raise KeyError(f"report_texts_{lang}.yaml has no text {section}.{key}") from None
    return str(template).format(**fields) if fields else str(template)


@cache
def cli_messages(codebook: Codebook | None = None) -> dict[str, Any]:
    """``data_schema/cli_messages.yaml`` (the command's texts and the Dutch patterns), read once."""
    cb = codebook or load_codebook()
    return _yaml(str(Path(cb.path) / "cli_messages.yaml"))


def cli_text(key: str, lang: str, **fields: Any) -> str:
    """A message of the command in ``lang``, ``{fields}`` filled in.

    >>> cli_text("error", "nl", message="x")
    'fout: x'
    """
    check_lang(lang)
    return str(cli_messages()["texts"][lang][key]).format(**fields)


def translate(message: str, lang: str = "nl") -> str:
    """An English message of the package in ``lang``: each ``"; "``-separated part by the
    first matching pattern of ``cli_messages.yaml`` (``patterns.<lang>``); unmatched parts
    stay as they are.

    >>> translate("file not found: x.csv; rename one of them")
    'bestand niet gevonden: x.csv; geef een van beide een andere naam'
    >>> translate("file not found: x.csv", "en")
    'file not found: x.csv'
    """
    import re

    patterns = cli_messages()["patterns"].get(lang)
    if not patterns:
        return message

    def fill(m: re.Match[str], repl: str) -> str:
        """``repl`` with ``\\N`` (group N as written) and ``<N>`` (group N translated)."""

        def group(g: re.Match[str]) -> str:
            if g.group(1):
                return one(m.group(int(g.group(1))))
            return m.group(int(g.group(2)))

        return re.sub(r"<(\d+)>|\\(\d+)", group, repl)

    def one(part: str) -> str:
        for pattern, repl in patterns:
            m = re.match(pattern, part)
            if m is not None:
                return fill(m, repl)
        return part

    return "; ".join(one(p) for p in message.split("; "))


def column_label(name: str, lang: Lang = "en", codebook: Codebook | None = None) -> str:
    """Header for a result column: result-column label, else codebook variable label, else name."""
    cb = codebook or load_codebook()
    rc = result_columns(cb)
    cols = rc["columns"]
    if name in cols:
        return cols[name][lang]
    for t in cb.tables:
        if name in cb.tables[t]:
            return cb.tables[t][name].label(lang)
    for prefix in sorted(rc.get("prefixes", {}), key=len, reverse=True):
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest:
            label = column_label(rest, lang, cb)
            if label != rest:
                label = label[:1].lower() + label[1:] if label[1:2].islower() else label
                return str(rc["prefixes"][prefix][lang]).format(label=label)
    return str(name)


def label_text(
    value: str,
    lang: Lang = "en",
    part: Callable[[str], str] | None = None,
    codebook: Codebook | None = None,
) -> str:
    """A result text made of words and names (``value_patterns`` of ``result_columns.yaml``)
    in ``lang``: the first matching pattern's template with each group labelled by ``part``
    (default: the result-code label, else the text itself). Texts no pattern matches are
    labelled as a whole: a result code, else ``part``, else the messages of
    ``cli_messages.yaml`` (:func:`translate`).

    >>> label_text("logit (design-based, clusters: institution_id)", "nl",
    ...            lambda s: {"institution_id": "inrichting"}.get(s, s))
    'logit (designgebaseerd, clusters: inrichting)'
    """
    import re

    rc = result_columns(codebook)
    vals = rc["values"]

    def one(s: str) -> str:
        if s in vals:
            return str(vals[s][lang])
        labelled = part(s) if part is not None else s
        return labelled if labelled != s else translate(s, lang)

    for pattern, templates in rc.get("value_patterns", []):
        m = re.match(pattern, value)
        if m is not None:
            groups = [label_text(g, lang, part, codebook) for g in m.groups()]
            return re.sub(
                r"\{(\d+)\}",
                lambda g, groups=groups: groups[int(g.group(1)) - 1],  # type: ignore[misc]
                templates[lang],
            )
    return one(value)


def is_number(v: Any) -> bool:
    """True for int and float values (numpy ones too), not for booleans."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _as_number(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


def value_label(
    column: str, value: Any, lang: Lang = "en", codebook: Codebook | None = None
) -> Any:
    """Label of ``value`` in ``column`` (concept, variable name, value label or result code)."""
    cb = codebook or load_codebook()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return value
    group = cb.concept_columns.get(column)  # key columns holding concept codes
    if group is not None:
        try:
            return cb.concept_label(group, str(value), lang)
        except KeyError:
            pass
    if column in VARIABLE_COLUMNS and isinstance(value, str) and value in cb["prisoners"]:
        return cb["prisoners"][value].label(lang)
    if column in cb["prisoners"]:
        vl = cb["prisoners"][column].value_labels(lang)
        for key in (value, _as_number(value), str(value)):
            if key is not None and key in vl:
                return vl[key]
    vals = result_columns(cb)["values"]
    if str(value) in vals and not is_number(value):
        return vals[str(value)][lang]
    return value


def concept_text(group: str, key: Any, lang: Lang = "en") -> str:
    """A concept label for use inside a sentence (English professional types lower-cased).

    Unknown codes come back as they are.
    """
    try:
        label = load_codebook().concept_label(group, str(key), lang)
    except KeyError:
        return str(key)
    if group == "professional_types" and lang == "en":
        return label[:1].lower() + label[1:]  # "the case manager", mid-sentence
    return label
