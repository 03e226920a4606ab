"""The codebook: variables, labels, codes and missing values, read from ``data_schema/``.

The YAML files in ``data_schema/`` are the single source of truth. Everything in the package
that needs a list of variables (validators, labels, report headers, the loops over professional
types and domains) asks this module; no second list lives in Python.

Examples
--------
>>> from reintegratie_stats.schema import load_codebook
>>> cb = load_codebook()
>>> cb.professional_types[:3]
('casemanager', 'mentor', 'probation')
>>> cb["prisoners"]["contact_probation"].label("nl")
'Contact met reclassering, afgelopen zes maanden'
>>> cb["prisoners"]["sat_probation"].asked_if
('contact_probation', 1)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "Codebook",
    "TableSchema",
    "Variable",
    "TABLES",
    "load_codebook",
    "schema_dir",
]

Lang = Literal["en", "nl"]
TABLES: tuple[str, ...] = ("institutions", "prisoners", "professionals")
VarType = Literal["id", "string", "category", "binary", "integer", "likert", "number"]
NUMERIC_TYPES: frozenset[str] = frozenset({"binary", "integer", "likert", "number"})
INTEGER_TYPES: frozenset[str] = frozenset({"binary", "integer", "likert"})


def schema_dir() -> Path:
    """Directory of the codebook YAML files.

    ``REINTEGRATIE_SCHEMA_DIR`` overrides it; otherwise the copy shipped in the package
    (a link to the repository's ``data_schema/`` in a source checkout).
    """
    env = os.environ.get("REINTEGRATIE_SCHEMA_DIR")
    return Path(env) if env else Path(__file__).resolve().parent / "data_schema"


@dataclass(frozen=True)
class Variable:
    """One variable of the codebook.

    Attributes mirror the YAML keys; ``values`` maps each allowed code to its labels,
    ``missing_codes`` maps each user-missing code to its reason (``dont_know``, ``refused``,
    ``not_applicable``), ``asked_if`` is the routing condition as ``(variable, value)``.
    """

    name: str
    table: str
    labels: Mapping[str, str]
    type: VarType
    level: str
    source: str
    required: bool = False
    values: Mapping[Any, Mapping[str, str]] = field(default_factory=dict)
    range: tuple[float, float] | None = None
    missing_codes: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    asked_if: tuple[str, Any] | None = None
    references: tuple[str, str] | None = None
    unique: bool = False
    unit: str | None = None
    note: str | None = None
    derivation: str | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_integer(self) -> bool:
        return self.type in INTEGER_TYPES

    def label(self, lang: Lang = "en") -> str:
        """Label in ``lang`` (``"en"`` or ``"nl"``)."""
        return self.labels[lang]

    def value_labels(self, lang: Lang = "en") -> dict[Any, str]:
        """Code → label in ``lang`` for the allowed codes (empty for free values)."""
        return {code: lab[lang] for code, lab in self.values.items()}

    def missing_labels(self, lang: Lang = "en") -> dict[int, str]:
        """User-missing code → label in ``lang``."""
        return {code: lab[lang] for code, lab in self.missing_codes.items()}

    @property
    def allowed(self) -> tuple[Any, ...]:
        """Allowed codes (empty where the variable takes free values in ``range``)."""
        if self.type == "binary" and not self.values:
            return (0, 1)
        return tuple(self.values)

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Range of valid values: the declared range, or the span of numeric codes."""
        if self.range is not None:
            return self.range
        if self.is_numeric and self.values:
            codes = [float(c) for c in self.values]
            return (min(codes), max(codes))
        return None


@dataclass(frozen=True)
class TableSchema:
    """The variables of one table, in codebook order."""

    name: str
    primary_key: str
    description: Mapping[str, str]
    variables: tuple[Variable, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {v.name: v for v in self.variables})

    def __getitem__(self, name: str) -> Variable:
        try:
            return self._by_name[name]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(
                f"{name!r} is not a variable of table {self.name!r} in the codebook"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[Variable]:
        return iter(self.variables)

    def __len__(self) -> int:
        return len(self.variables)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if v.required)

    def labels(self, lang: Lang = "en") -> dict[str, str]:
        """Variable name → label, for report headers."""
        return {v.name: v.label(lang) for v in self.variables}


@dataclass(frozen=True)
class Codebook:
    """All tables plus the shared concepts (``concepts.yaml``).

    ``cb["prisoners"]`` is a :class:`TableSchema`; the properties give the lists that the
    analyses loop over, in codebook order.
    """

    tables: Mapping[str, TableSchema]
    concepts: Mapping[str, Any]
    path: Path

    def __getitem__(self, table: str) -> TableSchema:
        try:
            return self.tables[table]
        except KeyError:
            known = ", ".join(self.tables)
            raise KeyError(f"unknown table {table!r}; the codebook has: {known}") from None

    # --- the lists the analyses loop over -------------------------------------------------
    @property
    def languages(self) -> tuple[str, ...]:
        """Language codes of the labels (``en``, ``nl``); every label entry has each one."""
        return tuple(self.concepts["languages"])

    @property
    def professional_types(self) -> tuple[str, ...]:
        return tuple(self.concepts["professional_types"])

    @property
    def internal_types(self) -> tuple[str, ...]:
        pt = self.concepts["professional_types"]
        return tuple(t for t in pt if pt[t]["side"] == "internal")

    @property
    def external_types(self) -> tuple[str, ...]:
        pt = self.concepts["professional_types"]
        return tuple(t for t in pt if pt[t]["side"] == "external")

    def matched_needs(self, prof_type: str) -> tuple[str, ...]:
        """Need domains that the professional type is expected to help with (SPEC ch.3)."""
        return tuple(self.concepts["professional_types"][prof_type].get("matched_needs", []))

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(self.concepts["domains"])

    @property
    def basic_domains(self) -> tuple[str, ...]:
        """The basic conditions: domains measured from the start (no ``since:`` year).

        ``n_needs``, ``complex_needs`` and ``any_need`` count these; a domain added to the
        survey later (``social_network``, ``since: 2019``) is not one of them.
        """
        return tuple(d for d, spec in self.concepts["domains"].items() if "since" not in spec)

    @property
    def regimes(self) -> tuple[str, ...]:
        return tuple(self.concepts["regimes"])

    @property
    def phases(self) -> tuple[str, ...]:
        return tuple(self.concepts["phases"])

    @property
    def phase_cut_points(self) -> tuple[float, float]:
        """``(first_weeks, last_weeks)``: the first phase is ``weeks_detained < first_weeks``,
        the last ``weeks_to_release <= last_weeks``."""
        cp = self.concepts["phase_cut_points"]
        return (float(cp["first_weeks"]), float(cp["last_weeks"]))

    @property
    def satisfaction_items(self) -> tuple[str, ...]:
        """Prefixes of the satisfaction items asked per type (variable ``<item>_<type>``)."""
        return tuple(self.concepts["satisfaction_items"])

    @property
    def concept_columns(self) -> dict[str, str]:
        """Result-frame key column -> the concept group whose labels its values take."""
        return dict(self.concepts["concept_columns"])

    @property
    def p_value_columns(self) -> tuple[str, ...]:
        """Result columns holding p-values."""
        return tuple(self.concepts["p_value_columns"])

    @property
    def derivable(self) -> tuple[str, ...]:
        """Prisoners variables with a ``derivation`` rule (computed by ``derived_variables``)."""
        return tuple(v.name for v in self.tables["prisoners"] if v.derivation is not None)

    @property
    def family_contact(self) -> tuple[str, ...]:
        return tuple(self.concepts["family_contact"])

    @property
    def family_facilities(self) -> tuple[str, ...]:
        return tuple(self.concepts["family_facilities"])

    @property
    def facilitation_scores(self) -> tuple[str, ...]:
        return tuple(self.concepts["facilitation_scores"])

    @property
    def detention_length_bands(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.concepts["detention_length_bands"])

    @property
    def policy_norms(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.concepts["policy_norms"])

    @property
    def missing_codes(self) -> dict[int, Mapping[str, str]]:
        return dict(self.concepts["missing_codes"])

    @property
    def missing_reasons(self) -> tuple[str, ...]:
        """The reasons of the standard user-missing codes, in code order (-1, -2, -3)."""
        codes = self.concepts["missing_codes"]
        return tuple(dict.fromkeys(codes[c]["reason"] for c in sorted(codes, reverse=True)))

    @property
    def disclosure_threshold(self) -> int:
        return int(self.concepts["disclosure_threshold"])

    def concept_codes(self, group: str) -> tuple[Any, ...]:
        """Codes of a concept group in codebook order, e.g. ``concept_codes("regimes")``."""
        entry = self.concepts[group]
        if isinstance(entry, list):
            return tuple(item.get("code", item.get("id")) for item in entry)
        return tuple(entry)

    def concept_label(self, group: str, key: str, lang: Lang = "en") -> str:
        """Label of a concept, e.g. ``concept_label("regimes", "EZV", "nl")``."""
        entry = self.concepts[group]
        if isinstance(entry, list):
            for item in entry:
                if item.get("code", item.get("id")) == key:
                    return item[lang]
            raise KeyError(f"{key!r} not in concepts.{group}")
        return entry[key][lang]

    def label(self, name: str, lang: Lang = "en", table: str | None = None) -> str:
        """Label of variable ``name`` (searched in ``table`` or in every table)."""
        for t in [table] if table else self.tables:
            if name in self.tables[t]:
                return self.tables[t][name].label(lang)
        raise KeyError(f"{name!r} is not in the codebook")


def _parse_condition(text: str | None, where: str) -> tuple[str, Any] | None:
    if text is None:
        return None
    parts = [p.strip() for p in str(text).split("==")]
    if len(parts) != 2 or not parts[0]:
        raise ValueError(f"{where}: asked_if must read 'variable == value', got {text!r}")
    value: Any = parts[1].strip("'\"")
    try:
        value = int(value)
    except ValueError:
        pass
    return parts[0], value


def _variable(raw: Mapping[str, Any], table: str, std_missing: Mapping[int, Any]) -> Variable:
    where = f"data_schema/{table}.yaml variable {raw.get('name')!r}"
    missing_spec = raw.get("missing_codes")
    if missing_spec == "standard":
        missing = dict(std_missing)
    elif isinstance(missing_spec, Mapping):
        missing = {int(k): v for k, v in missing_spec.items()}
    elif missing_spec in (None, "none"):
        missing = {}
    else:
        raise ValueError(f"{where}: missing_codes must be 'standard', 'none' or a mapping")
    ref = raw.get("references")
    rng = raw.get("range")
    return Variable(
        name=raw["name"],
        table=table,
        labels=dict(raw["label"]),
        type=raw["type"],
        level=raw.get("level", "individual"),
        source=raw.get("source", "survey"),
        required=bool(raw.get("required", False)),
        values=dict(raw.get("values") or {}),
        range=(float(rng[0]), float(rng[1])) if rng else None,
        missing_codes=missing,
        asked_if=_parse_condition(raw.get("asked_if"), where),
        references=tuple(ref.split(".", 1)) if ref else None,  # type: ignore[arg-type]
        unique=bool(raw.get("unique", False)),
        unit=raw.get("unit"),
        note=raw.get("note"),
        derivation=raw.get("derivation"),
    )


@cache
def _load(path: Path) -> Codebook:
    concepts = yaml.safe_load((path / "concepts.yaml").read_text(encoding="utf-8"))
    std_missing = {int(k): v for k, v in concepts["missing_codes"].items()}
    tables = {}
    for name in TABLES:
        raw = yaml.safe_load((path / f"{name}.yaml").read_text(encoding="utf-8"))
        variables = tuple(_variable(v, name, std_missing) for v in raw["variables"])
        tables[name] = TableSchema(
            name=name,
            primary_key=raw["primary_key"],
            description=raw.get("description", {}),
            variables=variables,
        )
    return Codebook(tables=tables, concepts=concepts, path=path)


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read (once, then cached) the codebook from ``path`` or :func:`schema_dir`.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding ``concepts.yaml`` and one YAML file per table.

    Returns
    -------
    Codebook

    Examples
    --------
    >>> load_codebook()["institutions"].primary_key
    'institution_id'
    """
    return _load(Path(path).resolve() if path else schema_dir().resolve())
