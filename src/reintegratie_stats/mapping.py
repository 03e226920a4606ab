"""The mapping file itself: parsed with line numbers and checked against its schema.

A mapping YAML (``data_schema/mappings/example_nl.yaml``) links a research team's names and
codes to the codebook. A malformed one must never end in a traceback, and a typo in it must
never pass silently: :func:`parse_mapping` checks every key against the schema below and the
codebook, and raises :class:`MappingError` naming the key path and the line
(``tables.prisoners.values.regime (line 12): ...``). :func:`nearest` gives the "did you
mean" hints used here and by the validator.

Schema (every other key is an error)::

    name: text                                   # optional
    language: en | nl                            # optional, default nl
    missing_codes: {number: reason}              # reasons from the codebook's missing_codes
    value_sets: {set name: {file code: canonical code}}
    tables:
      <codebook table>:
        columns: {file column: canonical variable}
        values: {canonical variable or glob: {file code: canonical code} | value set name}

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yaml"
>>> _ = p.write_text("tables:\\n  prisoners:\\n    values:\\n      regime: 5\\n")
>>> try:
...     parse_mapping(p)
... except MappingError as exc:
...     print(exc.key_path, exc.line)
tables.prisoners.values.regime 4
"""

from __future__ import annotations

import difflib
import fnmatch
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .schema import TABLES, Codebook, load_codebook

__all__ = ["MappingError", "MappingSpec", "nearest", "parse_mapping"]

TOP_KEYS = ("name", "language", "missing_codes", "value_sets", "tables")
TABLE_KEYS = ("columns", "values")
LANGUAGES = ("en", "nl")


class MappingError(ValueError):
    """A mapping file that breaks its schema; ``key_path`` and ``line`` say where."""

    def __init__(self, file: str, key_path: str, line: int | None, message: str):
        self.file, self.key_path, self.line = file, key_path, line
        where = f"{key_path} (line {line})" if line else key_path or "top level"
        text = f"mapping {file}: {where}: {message}"
        if not key_path and line is None:
            text = f"mapping file {message}: {file}"
        super().__init__(text)


@dataclass
class MappingSpec:
    """A parsed, schema-checked mapping: the plain data and the line of every key path."""

    raw: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)


def nearest(word: str, candidates: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The candidate closest to ``word`` (for "did you mean" hints), or None.

    >>> nearest("tevreden_reclasering", ["tevreden_reclassering", "contact_mentor"])
    'tevreden_reclassering'
    """
    hits = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=cutoff)
    return hits[0] if hits else None


def _hint(word: str, candidates: Iterable[str]) -> str:
    near = nearest(word, candidates)
    return f" (did you mean {near!r}?)" if near else ""


# --------------------------------------------------------------------------------------------
# YAML with line numbers and without silently merged duplicate keys
# --------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, file: str):
        self.file = file
        self.lines: dict[str, int] = {}
        self._scalar = yaml.constructor.SafeConstructor()

    def value(self, node: yaml.Node, path: str) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise MappingError(
                        self.file, path, knode.start_mark.line + 1, "a key must be a plain value"
                    )
                key = self._scalar.construct_object(knode)
                sub = f"{path}.{key}" if path else str(key)
                if key in out:
                    first = self.lines.get(sub)
                    raise MappingError(
                        self.file,
                        sub,
                        knode.start_mark.line + 1,
                        f"key given twice (first on line {first}); YAML would keep only the last",
                    )
                self.lines[sub] = knode.start_mark.line + 1
                out[key] = self.value(vnode, sub)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(n, f"{path}[{i}]") for i, n in enumerate(node.value)]
        return self._scalar.construct_object(node)


def _load_yaml(p: Path) -> tuple[Any, dict[str, int]]:
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError(str(p), "", None, f"is not UTF-8 text ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise MappingError(str(p), "", line, f"not valid YAML: {problem}") from None
    if node is None:
        raise MappingError(str(p), "", None, "is empty")
    parser = _Parser(str(p))
    try:
        return parser.value(node, ""), parser.lines
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise MappingError(
            str(p), "", mark.line + 1 if mark else None, f"not valid YAML: {exc.problem}"
        ) from None


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------
def _is_code(x: Any) -> bool:
    """A code is a number or a text, never a mapping, list, boolean or empty."""
    if isinstance(x, bool) or x is None:
        return False
    if isinstance(x, float) and math.isnan(x):
        return False
    return isinstance(x, int | float | str) and str(x).strip() != ""


def _code_str(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def parse_mapping(path: str | Path, codebook: Codebook | None = None) -> MappingSpec:
    """Read a mapping YAML and check it against the schema and the codebook.

    Parameters
    ----------
    path : str or Path
    codebook : Codebook, optional

    Returns
    -------
    MappingSpec
        The plain data (value-set names not yet expanded) and the line of each key path.

    Raises
    ------
    MappingError
        Not found, not YAML, a duplicate key, an unknown key, a wrong type, or a name or
        code the codebook does not know; the message names the key path and the line.
    """
    cb = codebook or load_codebook()
    p = Path(path)
    if not p.is_file():
        raise MappingError(str(p), "", None, "not found")
    raw, lines = _load_yaml(p)
    f = str(p)

    def fail(key_path: str, message: str) -> MappingError:
        return MappingError(f, key_path, lines.get(key_path), message)

    def need_dict(value: Any, key_path: str, what: str) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise fail(key_path, f"expected {what}, got {type(value).__name__} {value!r}")
        return value

    if not isinstance(raw, dict):
        raise fail("", f"expected a mapping with the keys {', '.join(TOP_KEYS)}")
    for key in raw:
        if key not in TOP_KEYS:
            raise fail(
                str(key), f"unknown key{_hint(key, TOP_KEYS)}; allowed: {', '.join(TOP_KEYS)}"
            )
    if "tables" not in raw:
        raise fail("", "the 'tables' key is missing (which table's columns and codes to map)")
    if "name" in raw and not isinstance(raw["name"], str | int | float):
        raise fail("name", "expected a text")
    if "language" in raw and raw["language"] not in LANGUAGES:
        raise fail("language", f"expected one of {', '.join(LANGUAGES)}, got {raw['language']!r}")

    reasons = tuple(dict.fromkeys(lab["reason"] for lab in cb.missing_codes.values()))
    missing = need_dict(raw.get("missing_codes"), "missing_codes", "{code: reason}")
    for code, reason in missing.items():
        kp = f"missing_codes.{code}"
        if isinstance(code, bool) or not isinstance(code, int | float):
            raise fail(kp, f"a missing code must be a number, got {code!r}")
        if reason not in reasons:
            raise fail(
                kp,
                f"reason must be one of {', '.join(reasons)}, got {reason!r}{_hint(str(reason), reasons)}",
            )

    value_sets = need_dict(raw.get("value_sets"), "value_sets", "{set name: {file code: code}}")
    for set_name, vmap in value_sets.items():
        _check_codes(
            need_dict(vmap, f"value_sets.{set_name}", "{file code: code}"),
            f"value_sets.{set_name}",
            fail,
        )

    tables = need_dict(raw.get("tables"), "tables", "{table: {columns: ..., values: ...}}")
    for table, spec in tables.items():
        tp = f"tables.{table}"
        if table not in TABLES:
            raise fail(
                tp,
                f"unknown table {table!r}{_hint(table, TABLES)}; the codebook has {', '.join(TABLES)}",
            )
        spec = need_dict(spec, tp, "{columns: ..., values: ...}")
        for key in spec:
            if key not in TABLE_KEYS:
                raise fail(
                    f"{tp}.{key}", f"unknown key{_hint(key, TABLE_KEYS)}; allowed: columns, values"
                )
        schema = cb[table]
        cols = need_dict(spec.get("columns"), f"{tp}.columns", "{file column: canonical name}")
        seen: dict[str, Any] = {}
        for file_col, canon in cols.items():
            kp = f"{tp}.columns.{file_col}"
            if not isinstance(canon, str) or not canon:
                raise fail(kp, f"expected a canonical variable name, got {canon!r}")
            if canon not in schema:
                raise fail(
                    kp,
                    f"{canon!r} is not a variable of {table} in the codebook{_hint(canon, schema.names)}",
                )
            if canon in seen:
                raise fail(
                    kp,
                    f"{canon} is already the target of {seen[canon]!r} (line {lines.get(f'{tp}.columns.{seen[canon]}')})",
                )
            seen[canon] = file_col
        vals = need_dict(spec.get("values"), f"{tp}.values", "{variable: {file code: code}}")
        for var, vmap in vals.items():
            kp = f"{tp}.values.{var}"
            matched = [v for v in schema if fnmatch.fnmatchcase(v.name, str(var))]
            if not matched:
                raise fail(kp, f"matches no variable of {table}{_hint(str(var), schema.names)}")
            if isinstance(vmap, str):
                if vmap not in value_sets:
                    raise fail(kp, f"unknown value_set {vmap!r}{_hint(vmap, value_sets)}")
                vmap, where = value_sets[vmap], f"value_sets.{vmap}"
            elif isinstance(vmap, dict):
                where = kp
                _check_codes(vmap, kp, fail)
            else:
                raise fail(
                    kp,
                    f"expected {{file code: canonical code}} or the name of a value_set, got {vmap!r}",
                )
            for v in matched:
                allowed = {_code_str(c) for c in v.allowed}
                if not allowed:
                    continue
                for code, canon in (vmap or {}).items():
                    if _code_str(canon) not in allowed:
                        raise fail(
                            f"{where}.{code}",
                            f"{canon!r} is not a code of {v.name} in the codebook "
                            f"(codes: {', '.join(sorted(allowed))})",
                        )
    return MappingSpec(raw=raw, lines=lines)


def _check_codes(vmap: dict[Any, Any], key_path: str, fail: Any) -> None:
    for code, canon in vmap.items():
        if not _is_code(code):
            raise fail(f"{key_path}.{code}", f"a file code must be a number or text, got {code!r}")
        if not _is_code(canon):
            raise fail(
                f"{key_path}.{code}", f"a canonical code must be a number or text, got {canon!r}"
            )
