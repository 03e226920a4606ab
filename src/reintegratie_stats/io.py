"""Reading and writing the three tables: CSV, Parquet, SPSS ``.sav`` and Stata ``.dta``.

A research team's file (Dutch names, own codes, SPSS user-missing values) is turned into the
canonical frame of the codebook by :func:`read_table`, optionally through a mapping file
(``data_schema/mappings/example_nl.yaml`` is an example). Nothing is dropped or recoded
silently: every rename, recode and code-to-missing conversion is counted in
:attr:`LoadedTable.log`. :func:`write_table` goes the other way and writes SPSS files with
variable labels, value labels and ``MISSING VALUES`` definitions from the codebook.

Canonical frames hold numeric variables as ``float64`` (NaN for missing) and ids/categories as
Python strings (object dtype), whatever the pandas version.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> df = pd.DataFrame({"institution_id": ["PI01"], "name": ["PI Voorbeeld"], "travel_time_min": [35.0]})
>>> path = pathlib.Path(tempfile.mkdtemp()) / "institutions.sav"
>>> _ = write_table(df, path, "institutions")
>>> read_table(path, "institutions").data["travel_time_min"].tolist()
[35.0]
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from .schema import TABLES, Codebook, TableSchema, Variable, load_codebook

__all__ = [
    "FORMATS",
    "Conversion",
    "ConversionLog",
    "DataMapping",
    "LoadedTable",
    "UnusableInputError",
    "canonicalize",
    "detect_format",
    "load_mapping",
    "read_table",
    "write_table",
]

Format = Literal["csv", "parquet", "sav", "dta"]
FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
}
#: Reasons of the user-missing codes, from the codebook (concepts.missing_codes).
MISSING_REASONS: tuple[str, ...] = load_codebook().missing_reasons


class UnusableInputError(ValueError):
    """The input cannot be read at all (missing file, unknown format, unreadable, unknown table)."""


# --------------------------------------------------------------------------------------------
# The conversion log
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conversion:
    """One counted conversion: ``step`` is rename, missing-code, recode, empty-string, id-format."""

    step: str
    column: str
    detail: str
    count: int


@dataclass
class ConversionLog:
    """Every conversion applied while loading, with counts (nothing happens silently)."""

    entries: list[Conversion] = field(default_factory=list)

    def add(self, step: str, column: str, detail: str, count: int) -> None:
        if count:
            self.entries.append(Conversion(step, column, detail, int(count)))

    def to_frame(self) -> pd.DataFrame:
        """One row per conversion: ``step, column, detail, count``."""
        cols = ["step", "column", "detail", "count"]
        return pd.DataFrame([e.__dict__ for e in self.entries], columns=cols)

    def count(self, step: str | None = None, column: str | None = None) -> int:
        return sum(
            e.count
            for e in self.entries
            if (step is None or e.step == step) and (column is None or e.column == column)
        )

    def summary(self) -> str:
        if not self.entries:
            return "no conversions"
        by_step = self.to_frame().groupby("step", sort=True)["count"].sum()
        return ", ".join(f"{step}: {n}" for step, n in by_step.items())


@dataclass
class LoadedTable:
    """A table in canonical form, with the log of how it got there."""

    data: pd.DataFrame
    table: str
    log: ConversionLog
    source: str
    format: Format
    file_meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Mapping files
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataMapping:
    """A research team's names and codes, linked to the canonical codebook.

    Attributes
    ----------
    columns : dict
        Per table: file column name -> canonical name.
    values : dict
        Per table: canonical variable (or glob pattern) -> {file code: canonical code}.
    missing_codes : dict
        File user-missing code -> reason (``dont_know``, ``refused``, ``not_applicable``).
    language : str
        Language of the labels written to SPSS/Stata files.
    """

    name: str
    columns: dict[str, dict[str, str]]
    values: dict[str, dict[str, dict[Any, Any]]]
    missing_codes: dict[int, str]
    language: Literal["en", "nl"] = "nl"
    path: str | None = None

    def rename_in(self, table: str) -> dict[str, str]:
        return dict(self.columns.get(table, {}))

    def rename_out(self, table: str) -> dict[str, str]:
        return {canon: file for file, canon in self.columns.get(table, {}).items()}

    def value_map(self, table: str, variable: str) -> dict[Any, Any] | None:
        """File code -> canonical code for ``variable`` (exact name beats a glob pattern)."""
        table_values = self.values.get(table, {})
        if variable in table_values:
            return table_values[variable]
        for pattern, vmap in table_values.items():
            if fnmatch.fnmatchcase(variable, pattern):
                return vmap
        return None


def load_mapping(path: str | Path, codebook: Codebook | None = None) -> DataMapping:
    """Read and check a mapping YAML file.

    Raises
    ------
    UnusableInputError
        If the file is missing, not YAML, or names tables, variables or reasons the codebook
        does not know (the message names the offending key).
    """
    cb = codebook or load_codebook()
    p = Path(path)
    if not p.is_file():
        raise UnusableInputError(f"mapping file not found: {p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UnusableInputError(f"mapping file {p} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or "tables" not in raw:
        raise UnusableInputError(f"mapping file {p} must be a mapping with a 'tables' key")
    value_sets = raw.get("value_sets") or {}
    missing = {int(k): str(v) for k, v in (raw.get("missing_codes") or {}).items()}
    bad = sorted(set(missing.values()) - set(MISSING_REASONS))
    if bad:
        raise UnusableInputError(
            f"mapping {p}: missing_codes reasons must be one of {', '.join(MISSING_REASONS)}; got {bad}"
        )
    columns: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, dict[Any, Any]]] = {}
    for table, spec in (raw.get("tables") or {}).items():
        if table not in TABLES:
            raise UnusableInputError(
                f"mapping {p}: unknown table {table!r} (known: {', '.join(TABLES)})"
            )
        spec = spec or {}
        cols = {str(k): str(v) for k, v in (spec.get("columns") or {}).items()}
        unknown = sorted(v for v in cols.values() if v not in cb[table])
        if unknown:
            raise UnusableInputError(
                f"mapping {p}: table {table!r} maps to names not in the codebook: {', '.join(unknown)}"
            )
        columns[table] = cols
        vals: dict[str, dict[Any, Any]] = {}
        for var, vmap in (spec.get("values") or {}).items():
            if isinstance(vmap, str):
                if vmap not in value_sets:
                    raise UnusableInputError(
                        f"mapping {p}: {table}.{var} names unknown value_set {vmap!r}"
                    )
                vmap = value_sets[vmap]
            if not any(fnmatch.fnmatchcase(n, var) for n in cb[table].names):
                raise UnusableInputError(
                    f"mapping {p}: values for {table}.{var} match no codebook variable"
                )
            vals[str(var)] = dict(vmap)
        values[table] = vals
    return DataMapping(
        name=str(raw.get("name", p.stem)),
        columns=columns,
        values=values,
        missing_codes=missing,
        language=raw.get("language", "nl"),
        path=str(p),
    )


def _as_mapping(mapping: DataMapping | str | Path | None, cb: Codebook) -> DataMapping | None:
    if mapping is None or isinstance(mapping, DataMapping):
        return mapping
    return load_mapping(mapping, cb)


# --------------------------------------------------------------------------------------------
# Canonical form
# --------------------------------------------------------------------------------------------
def _format_code(x: Any) -> Any:
    """Integral floats print without ``.0`` so that id 12 read from SPSS becomes '12'."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return np.nan
    if isinstance(x, float | np.floating) and float(x).is_integer():
        return str(int(x))
    return str(x)


def _string_column(s: pd.Series) -> pd.Series:
    return pd.Series(
        [_format_code(x) for x in s.tolist()], index=s.index, dtype=object, name=s.name
    )


def canonicalize(df: pd.DataFrame, table: str, codebook: Codebook | None = None) -> pd.DataFrame:
    """Canonical dtypes: float64 for numeric variables, object strings for ids and categories.

    Numeric columns holding text that is not a number are left as they are (the validator
    reports them as ``type-error``); nothing is coerced to missing here.
    """
    schema = (codebook or load_codebook())[table]
    out = df.copy()
    for col in out.columns:
        if col not in schema:
            continue
        var = schema[col]
        if var.is_numeric:
            converted = pd.to_numeric(out[col], errors="coerce")
            lost = converted.isna() & out[col].notna()
            if not lost.any():
                out[col] = converted.astype("float64")
        else:
            out[col] = _string_column(out[col])
    return out


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def detect_format(path: str | Path) -> Format:
    """File format from the suffix; :class:`UnusableInputError` for anything else."""
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise UnusableInputError(
            f"unknown file format {suffix or '(none)'!r} for {path}; known: {known}"
        ) from None


def _read_raw(path: Path, fmt: Format) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyreadstat

    try:
        if fmt == "csv":
            return pd.read_csv(path, low_memory=False), {}
        if fmt == "parquet":
            return pd.read_parquet(path), {}
        if fmt == "sav":
            df, meta = pyreadstat.read_sav(str(path), user_missing=True)
        else:
            df, meta = pyreadstat.read_dta(str(path))
    except (
        UnicodeDecodeError,
        ValueError,
        OSError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    ) as exc:
        raise UnusableInputError(
            f"cannot read {path} as {fmt}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    except Exception as exc:  # pyreadstat raises its own error types for corrupt files
        if type(exc).__module__.startswith(("pyreadstat", "pyarrow")):
            raise UnusableInputError(f"cannot read {path} as {fmt}: {exc}") from None
        raise
    file_meta = {
        "column_labels": dict(zip(meta.column_names, meta.column_labels, strict=False)),
        "value_labels": dict(getattr(meta, "variable_value_labels", {}) or {}),
        "missing_user_values": dict(getattr(meta, "missing_user_values", {}) or {}),
        "missing_ranges": dict(getattr(meta, "missing_ranges", {}) or {}),
    }
    return df, file_meta


def _declared_missing(
    file_col: str, file_meta: Mapping[str, Any]
) -> tuple[list[Any], list[tuple[float, float]]]:
    values = list(file_meta.get("missing_user_values", {}).get(file_col, []) or [])
    ranges = []
    for r in file_meta.get("missing_ranges", {}).get(file_col, []) or []:
        lo, hi = r["lo"], r["hi"]
        if lo == hi:
            values.append(lo)
        else:
            ranges.append((float(lo), float(hi)))
    return values, ranges


def _missing_code_reasons(var: Variable, mapping: DataMapping | None) -> dict[Any, str]:
    if not var.missing_codes:
        return {}
    if mapping is not None and mapping.missing_codes:
        return dict(mapping.missing_codes)
    return {code: lab.get("reason", "missing") for code, lab in var.missing_codes.items()}


def read_table(
    path: str | Path,
    table: str,
    mapping: DataMapping | str | Path | None = None,
    *,
    codebook: Codebook | None = None,
) -> LoadedTable:
    """Read one table and bring it to canonical form.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.parquet``, ``.sav`` or ``.dta`` file.
    table : {"institutions", "prisoners", "professionals"}
    mapping : DataMapping or path, optional
        The research team's names and codes (see :func:`load_mapping`).

    Returns
    -------
    LoadedTable
        ``data`` (canonical frame, file row order), ``log`` (every conversion with counts).

    Raises
    ------
    UnusableInputError
        Missing file, unknown format, unreadable file or unknown table.
    """
    cb = codebook or load_codebook()
    if table not in TABLES:
        raise UnusableInputError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    p = Path(path)
    fmt = detect_format(p)
    if not p.is_file():
        raise UnusableInputError(f"file not found: {p}")
    dm = _as_mapping(mapping, cb)
    raw, file_meta = _read_raw(p, fmt)
    log = ConversionLog()
    schema = cb[table]

    rename = dm.rename_in(table) if dm else {}
    present = {f: c for f, c in rename.items() if f in raw.columns}
    clash = sorted(c for c in present.values() if c in raw.columns and c not in present)
    if clash:
        raise UnusableInputError(
            f"{p}: the mapping renames to {', '.join(clash)}, but the file already has that column"
        )
    for f, c in present.items():
        log.add("rename", c, f"{f} -> {c}", len(raw))
    file_name = {c: f for f, c in present.items()}
    df = raw.rename(columns=present)

    for col in df.columns:
        series = df[col]
        fcol = file_name.get(col, col)
        var = schema[col] if col in schema else None
        if series.dtype == object or str(series.dtype).startswith(("string", "str")):
            empty = series.astype(object).map(lambda x: isinstance(x, str) and x.strip() == "")
            if empty.any():
                log.add("empty-string", col, "empty text -> missing", int(empty.sum()))
                series = series.mask(empty)
        # user-missing: declared in the file (SPSS MISSING VALUES) and/or by mapping/codebook
        decl_values, decl_ranges = _declared_missing(fcol, file_meta)
        reasons = _missing_code_reasons(var, dm) if var is not None else {}
        numeric = pd.to_numeric(series, errors="coerce")
        is_missing_code = pd.Series(False, index=series.index)
        for code in sorted(set(decl_values) | set(reasons), key=lambda c: (str(type(c)), c)):
            hit = (numeric == code) if not isinstance(code, str) else (series == code)
            hit &= ~is_missing_code
            n = int(hit.sum())
            if n:
                reason = reasons.get(code, "declared missing in file")
                log.add("missing-code", col, f"{_format_code(code)} ({reason}) -> missing", n)
                is_missing_code |= hit
        for lo, hi in decl_ranges:
            hit = numeric.between(lo, hi) & ~is_missing_code
            log.add(
                "missing-code",
                col,
                f"range {lo:g}..{hi:g} (declared missing in file) -> missing",
                int(hit.sum()),
            )
            is_missing_code |= hit
        if is_missing_code.any():
            series = series.mask(is_missing_code)
        # value recodes from the mapping
        vmap = dm.value_map(table, col) if (dm and var is not None) else None
        if vmap:
            keyed = {_format_code(k): v for k, v in vmap.items()}
            as_key = series.map(_format_code)
            hit = as_key.isin(list(keyed)) & series.notna()
            for code, new in keyed.items():
                n = int((as_key[hit] == code).sum())
                log.add("recode", col, f"{code} -> {_format_code(new)}", n)
            recoded = as_key[hit].map(keyed)
            series = series.astype(object).where(~hit, recoded)
        df[col] = series
    data = canonicalize(df, table, cb)
    return LoadedTable(
        data=data, table=table, log=log, source=str(p), format=fmt, file_meta=file_meta
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def _routed_out(df: pd.DataFrame, var: Variable) -> pd.Series:
    """True where the routing condition says the question was not asked."""
    if var.asked_if is None or var.asked_if[0] not in df:
        return pd.Series(False, index=df.index)
    cond_col, cond_val = var.asked_if
    cond = df[cond_col]
    return cond.notna() & (cond != cond_val)


def _measure(var: Variable) -> str:
    if var.type in ("category", "binary", "id", "string"):
        return "nominal"
    return "ordinal" if var.type == "likert" else "scale"


def write_table(
    df: pd.DataFrame,
    path: str | Path,
    table: str,
    mapping: DataMapping | str | Path | None = None,
    *,
    lang: Literal["en", "nl"] | None = None,
    nonresponse: Literal["system", "dont_know", "refused"] = "system",
    codebook: Codebook | None = None,
) -> Path:
    """Write a canonical table as CSV, Parquet, SPSS or Stata (by the suffix of ``path``).

    With a mapping, names and codes are those of the research team. SPSS files get variable
    labels, value labels (codebook, in ``lang`` or the mapping's language) and ``MISSING VALUES``
    for every variable with user-missing codes; a missing answer to a question the routing
    skipped is written as the ``not_applicable`` code, other missing answers as system-missing
    (or the code of ``nonresponse``). Reading the file back with the same mapping gives the
    same canonical frame.

    Returns
    -------
    Path
        The file written.
    """
    cb = codebook or load_codebook()
    if table not in TABLES:
        raise UnusableInputError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    p = Path(path)
    fmt = detect_format(p)
    dm = _as_mapping(mapping, cb)
    schema: TableSchema = cb[table]
    language = lang or (dm.language if dm else "en")
    out = canonicalize(df, table, cb)

    missing_codes_by_reason: dict[str, Any] = {}
    if dm is not None and dm.missing_codes:
        missing_codes_by_reason = {reason: code for code, reason in dm.missing_codes.items()}
    else:
        missing_codes_by_reason = {lab["reason"]: code for code, lab in cb.missing_codes.items()}
    labels_of_reason = {lab["reason"]: lab[language] for lab in cb.missing_codes.values()}

    value_labels: dict[str, dict[Any, str]] = {}
    missing_ranges: dict[str, list[Any]] = {}
    for col in list(out.columns):
        if col not in schema:
            continue
        var = schema[col]
        vmap = dm.value_map(table, col) if dm else None
        canon_labels = var.value_labels(language)
        if vmap:
            inverse = {_format_code(v): k for k, v in vmap.items()}
            series = out[col].map(_format_code)
            out[col] = series.map(
                lambda x, inv=inverse: inv.get(x, x) if isinstance(x, str) else np.nan
            )
            if all(isinstance(k, int | float) for k in inverse.values()):
                out[col] = pd.to_numeric(out[col], errors="coerce")
            labels = {
                inverse[_format_code(c)]: lab
                for c, lab in canon_labels.items()
                if _format_code(c) in inverse
            }
        else:
            labels = dict(canon_labels)
        numeric_col = pd.api.types.is_numeric_dtype(out[col])
        if fmt in ("sav", "dta") and var.missing_codes and numeric_col:
            codes = [
                missing_codes_by_reason[r] for r in MISSING_REASONS if r in missing_codes_by_reason
            ]
            routed = _routed_out(df, var) & out[col].isna()
            fill = out[col].copy()
            if fmt == "sav":
                fill[routed] = missing_codes_by_reason["not_applicable"]
                if nonresponse != "system":
                    fill[out[col].isna() & ~routed] = missing_codes_by_reason[nonresponse]
                missing_ranges[col] = codes
                for r in MISSING_REASONS:
                    if r in missing_codes_by_reason:
                        labels[missing_codes_by_reason[r]] = labels_of_reason[r]
            out[col] = fill
        if labels and numeric_col:
            value_labels[col] = {
                (float(k) if not isinstance(k, str) else k): v for k, v in labels.items()
            }
    rename = dm.rename_out(table) if dm else {}
    column_labels = {
        rename.get(c, c): (schema[c].label(language) if c in schema else None) for c in out.columns
    }
    value_labels = {rename.get(c, c): v for c, v in value_labels.items()}
    missing_ranges = {rename.get(c, c): v for c, v in missing_ranges.items()}
    measures = {rename.get(c, c): _measure(schema[c]) for c in out.columns if c in schema}
    formats = {
        rename.get(c, c): ("F8.0" if schema[c].is_integer else "F10.2")
        for c in out.columns
        if c in schema and pd.api.types.is_numeric_dtype(out[c])
    }
    out = out.rename(columns=rename)
    p.parent.mkdir(parents=True, exist_ok=True)

    if fmt == "csv":
        text = out.copy()
        for col in text.columns:
            canon = next((c for c, f in rename.items() if f == col), col)
            if (
                canon in schema
                and schema[canon].is_integer
                and pd.api.types.is_numeric_dtype(text[col])
            ):
                text[col] = text[col].astype("Int64")
        text.to_csv(p, index=False, lineterminator="\n")
    elif fmt == "parquet":
        out.to_parquet(p, index=False)
    elif fmt == "sav":
        import pyreadstat

        pyreadstat.write_sav(
            out,
            str(p),
            column_labels=column_labels,
            variable_value_labels=value_labels,
            missing_ranges=missing_ranges,
            variable_measure=measures,
            variable_format=formats,
        )
    else:
        import pyreadstat

        # Stata labels must be integer-keyed and names at most 32 characters.
        long = [c for c in out.columns if len(c) > 32]
        if long:
            raise ValueError(f"Stata allows 32-character names; too long: {', '.join(long)}")
        int_labels = {
            c: {int(k): v for k, v in labs.items()}
            for c, labs in value_labels.items()
            if all(float(k).is_integer() and k >= 0 for k in labs)
        }
        # Stata variable labels hold at most 80 characters.
        short_labels = {
            c: (lab[:77] + "..." if lab and len(lab) > 80 else lab)
            for c, lab in column_labels.items()
        }
        pyreadstat.write_dta(
            out, str(p), column_labels=short_labels, variable_value_labels=int_labels
        )
    return p
