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

from .schema import TABLES, Codebook, TableSchema, Variable, load_codebook

__all__ = [
    "FORMATS",
    "Conversion",
    "ConversionLog",
    "DataMapping",
    "LoadedTable",
    "NA_STRINGS",
    "ReadOptions",
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
    #: canonical name -> the file's own column name (only columns the mapping renamed)
    file_names: dict[str, str] = field(default_factory=dict)
    #: the file's columns as written, before any rename
    file_columns: tuple[str, ...] = ()
    mapping: DataMapping | None = None
    #: canonical name -> the file's own codes of that column (text), row by row
    codes: dict[str, pd.Series] = field(default_factory=dict, repr=False)

    def file_name(self, column: str) -> str:
        """The file's name of canonical ``column`` (itself when not renamed)."""
        return self.file_names.get(column, column)


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
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, table: str, file_column: str) -> int | None:
        """Line of ``tables.<table>.columns.<file_column>`` in the mapping file."""
        return self.lines.get(f"tables.{table}.columns.{file_column}")

    def where(self, table: str, file_column: str) -> str:
        """``"example_nl.yaml line 73"``: where a column key is, for messages."""
        line = self.line_of(table, file_column)
        name = Path(self.path).name if self.path else self.name
        return f"{name} line {line}" if line else name

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
    """Read a mapping YAML file and check it against its schema and the codebook.

    Raises
    ------
    UnusableInputError
        If the file is missing, not YAML, has a duplicate or unknown key, a value of the wrong
        type, or names tables, variables, codes or reasons the codebook does not know. The
        message names the key path and its line (see :mod:`reintegratie_stats.mapping`).
    """
    from .mapping import MappingError, parse_mapping

    cb = codebook or load_codebook()
    p = Path(path)
    try:
        spec = parse_mapping(p, cb)
    except MappingError as exc:
        raise UnusableInputError(str(exc)) from None
    raw = spec.raw
    value_sets = raw.get("value_sets") or {}
    missing = {k: str(v) for k, v in (raw.get("missing_codes") or {}).items()}
    columns: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, dict[Any, Any]]] = {}
    for table, tspec in (raw.get("tables") or {}).items():
        tspec = tspec or {}
        columns[table] = {str(k): str(v) for k, v in (tspec.get("columns") or {}).items()}
        vals: dict[str, dict[Any, Any]] = {}
        for var, vmap in (tspec.get("values") or {}).items():
            vals[str(var)] = dict(value_sets[vmap] if isinstance(vmap, str) else (vmap or {}))
        values[table] = vals
    return DataMapping(
        name=str(raw.get("name", p.stem)),
        columns=columns,
        values=values,
        missing_codes=missing,
        language=raw.get("language", "nl"),
        path=str(p),
        lines=dict(spec.lines),
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


def code_key(x: Any) -> Any:
    """A code as text for matching mapping keys: '1.0', '1' and 1.0 are the same code."""
    if isinstance(x, str):
        try:
            f = float(x)
        except ValueError:
            return x
        return _format_code(f) if math.isfinite(f) else x
    return _format_code(x)


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


#: Text that means "no value" in exports from R, Python, Excel and SPSS; read as missing and
#: counted in the log (step ``na-string``), never silently.
NA_STRINGS = ("NA", "N/A", "n/a", "#N/A", "NaN", "nan", "None", "null", "NULL", ".")
#: Delimiters tried, in order of preference when two fit equally well.
CSV_SEPARATORS = (",", ";", "\t", "|")
MAX_BAD_ROWS_SHOWN = 5


@dataclass(frozen=True)
class ReadOptions:
    """How to read a CSV or SPSS file: ``None`` means detect (delimiter, decimal mark, encoding)."""

    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        if self.sep is not None:
            sep = {"tab": "\t", "\\t": "\t"}.get(self.sep, self.sep)
            if len(sep) != 1:
                raise UnusableInputError(
                    f"--sep must be one character (or 'tab'), got {self.sep!r}"
                )
            object.__setattr__(self, "sep", sep)
        if self.decimal is not None and self.decimal not in (".", ","):
            raise UnusableInputError(f"--decimal must be '.' or ',', got {self.decimal!r}")
        if self.encoding is not None:
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise UnusableInputError(f"unknown --encoding {self.encoding!r}") from None


def _sniff_sep(lines: list[str]) -> str:
    """The delimiter that splits the header and the first rows into the same, largest count."""
    import csv

    best, best_n = ",", 1
    for sep in CSV_SEPARATORS:
        try:
            counts = {len(r) for r in csv.reader(lines, delimiter=sep) if r}
        except csv.Error:
            continue
        if len(counts) == 1 and (n := counts.pop()) > best_n:
            best, best_n = sep, n
    return best


_DEC_COMMA = r"^[+-]?\d*,\d+$"
_DEC_POINT = r"^[+-]?\d*\.\d+$"
_PLAIN_NUMBER = r"^-?(0|[1-9]\d*)(\.\d+)?$"


def _sniff_decimal(df: pd.DataFrame, sep: str) -> str:
    """',' when numbers are written 3,5 and never 3.5 (Dutch Excel), else '.'."""
    if sep == ",":
        return "."
    cells = pd.Series(df.to_numpy().ravel()).dropna().astype(str).str.strip()
    comma = cells.str.match(_DEC_COMMA).sum()
    point = cells.str.match(_DEC_POINT).sum()
    return "," if comma and not point else "."


def _read_csv(path: Path, opts: ReadOptions) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every cell as the text written in the file; broken structure is an error naming the row.

    Short and long rows, a file cut off inside a row, an unclosed quote and duplicate column
    names stop reading with :class:`UnusableInputError` (row and column named), because any
    guess would change which value belongs to which column.
    """
    import csv
    import io as _io

    data = path.read_bytes()
    if not data.strip():
        raise UnusableInputError(f"cannot read {path}: the file is empty")
    encoding = opts.encoding or "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = (
            "; files saved by Excel on Windows are usually cp1252: use --encoding cp1252"
            if opts.encoding is None
            else ""
        )
        raise UnusableInputError(
            f"{path}: line {line} is not valid {encoding} text (byte 0x{data[exc.start]:02x}){hint}"
        ) from None
    head = [ln for ln in text.splitlines()[:30]]
    sep = opts.sep or _sniff_sep(head)
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = next(reader)
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise UnusableInputError(
            f"{path}: line {reader.line_num} cannot be read as CSV ({exc}); "
            "is a quote left open or the file cut off?"
        ) from None
    header = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for pos, name in enumerate(header, start=1):
        if name in seen:
            raise UnusableInputError(
                f"{path}: column name {name!r} occurs twice in the header "
                f"(columns {seen[name]} and {pos}); rename one of them"
            )
        seen[name] = pos
    n_fields = len(header)
    blank = [i for i, r in enumerate(rows) if not r or r == [""] and n_fields > 1]
    kept = [
        (r, ln) for i, (r, ln) in enumerate(zip(rows, lines, strict=True)) if i not in set(blank)
    ]
    bad = []
    for i, (r, ln) in enumerate(kept, start=1):
        if len(r) != n_fields:
            if len(r) < n_fields:
                what = (
                    f"has {len(r)} of {n_fields} fields (no value for {header[len(r)]!r} and after)"
                )
            else:
                what = f"has {len(r)} fields, the header {n_fields}"
            bad.append(f"row {i} (line {ln}) {what}")
    if bad:
        more = (
            f" and {len(bad) - MAX_BAD_ROWS_SHOWN} more rows"
            if len(bad) > MAX_BAD_ROWS_SHOWN
            else ""
        )
        raise UnusableInputError(
            f"{path}: rows do not match the {n_fields} columns of the header (delimiter "
            f"{sep!r}): {'; '.join(bad[:MAX_BAD_ROWS_SHOWN])}{more}"
        )
    if not text.endswith(("\n", "\r")):
        where = f"row {len(kept)} (line {kept[-1][1]})" if kept else "the header (line 1)"
        raise UnusableInputError(
            f"{path}: the file ends inside {where} without a line break, so it looks cut "
            "off; if it is complete, end it with a line break"
        )
    df = pd.DataFrame([r for r, _ in kept], columns=header, dtype=object)
    if not kept:
        df = pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    decimal = opts.decimal or _sniff_decimal(df, sep)
    meta = {"sep": sep, "decimal": decimal, "encoding": encoding, "blank_lines": len(blank)}
    return df, meta


def _is_text(series: pd.Series) -> bool:
    # pandas 2 reads text as object, pandas 3 as its str dtype
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def _utf8_misread(path: Path) -> str | None:
    """Where a .sav that says UTF-8 holds cp1252 text: 'variable X (row N: 'value')'."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), user_missing=True, encoding="cp1252")
    except Exception:
        return None

    def bad(text: Any) -> bool:
        if not isinstance(text, str) or text.isascii():
            return False
        try:
            text.encode("cp1252").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            return True
        return False

    for col in df.columns:
        if _is_text(df[col]):
            hits = np.flatnonzero(df[col].map(bad).to_numpy(dtype=bool))
            if hits.size:
                return f"variable {col} (row {hits[0] + 1}: {df[col].iloc[hits[0]]!r})"
    for col, lab in zip(meta.column_names, meta.column_labels, strict=False):
        if bad(lab):
            return f"the label of variable {col} ({lab!r})"
    for col, labs in (meta.variable_value_labels or {}).items():
        for code, lab in labs.items():
            if bad(lab):
                return f"the value label {_format_code(code)} of variable {col} ({lab!r})"
    return None


def _read_raw(
    path: Path, fmt: Format, opts: ReadOptions | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyreadstat

    opts = opts or ReadOptions()
    try:
        if fmt == "csv":
            return _read_csv(path, opts)
        if fmt == "parquet":
            return pd.read_parquet(path), {}
        if fmt == "sav":
            df, meta = pyreadstat.read_sav(str(path), user_missing=True, encoding=opts.encoding)
        else:
            df, meta = pyreadstat.read_dta(str(path), encoding=opts.encoding)
    except UnusableInputError:
        raise
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
            where = _utf8_misread(path) if fmt == "sav" and opts.encoding is None else None
            if where:
                raise UnusableInputError(
                    f"cannot read {path}: the file says it is UTF-8, but {where} is cp1252 "
                    "text; re-run with --encoding cp1252"
                ) from None
            raise UnusableInputError(f"cannot read {path} as {fmt}: {exc}") from None
        raise
    if (
        fmt == "sav"
        and opts.encoding is None
        and str(meta.file_encoding).upper() in ("UTF-8", "UTF8")
    ):
        # pyreadstat drops bytes that are not UTF-8 without a word: look for them ourselves
        if any(_is_text(df[c]) for c in df.columns) or meta.variable_value_labels:
            where = _utf8_misread(path)
            if where:
                raise UnusableInputError(
                    f"cannot read {path}: the file says it is UTF-8, but {where} is cp1252 "
                    "text that would be cut short; re-run with --encoding cp1252"
                )
    file_meta = {
        "column_labels": dict(zip(meta.column_names, meta.column_labels, strict=False)),
        "value_labels": dict(getattr(meta, "variable_value_labels", {}) or {}),
        "missing_user_values": dict(getattr(meta, "missing_user_values", {}) or {}),
        "missing_ranges": dict(getattr(meta, "missing_ranges", {}) or {}),
        "encoding": getattr(meta, "file_encoding", None),
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


def _text_cells(series: pd.Series) -> pd.Series:
    """True where a cell holds a Python/NumPy string."""
    return series.map(lambda x: isinstance(x, str))


def _clean_text(series: pd.Series, col: str, log: ConversionLog) -> pd.Series:
    """Surrounding whitespace, empty text and NA-like text -> counted, then cleaned.

    One pass in plain Python: per-token pandas operations cost more than the cells.
    """
    na_set = frozenset(NA_STRINGS)
    ws = empty = 0
    na: dict[str, int] = {}
    out: list[Any] = []
    changed = False
    for x in series.tolist():
        if not isinstance(x, str):
            out.append(x)
            continue
        t = x.strip()
        if t == "":
            empty += 1
            out.append(np.nan)
            changed = True
            continue
        if t != x:
            ws += 1
            changed = True
        if t in na_set:
            na[t] = na.get(t, 0) + 1
            out.append(np.nan)
            changed = True
            continue
        out.append(t)
    log.add("whitespace", col, "surrounding spaces removed", ws)
    log.add("empty-string", col, "empty text -> missing", empty)
    for token in NA_STRINGS:
        log.add("na-string", col, f"{token!r} -> missing", na.get(token, 0))
    if not changed:
        return series
    return pd.Series(out, index=series.index, dtype=object, name=series.name)


def _numbers_from_text(
    series: pd.Series, col: str, decimal: str, log: ConversionLog, csv: bool = True
) -> pd.Series:
    """Text cells of a numeric variable that hold a number -> float; changed spellings counted.

    A cell counts when its text is not a plain spelling of its number ("3,5" with a decimal
    comma, "007", "+3", "1e3"), or when the number sat in a text column of an SPSS, Stata or
    Parquet file.
    """
    is_text = _text_cells(series) & series.notna()
    if not is_text.any():
        return series
    text = series[is_text].astype(str)
    if decimal == ",":
        comma = text.str.match(_DEC_COMMA)
        log.add("decimal-comma", col, "3,5 -> 3.5", int(comma.sum()))
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
    num = pd.to_numeric(text, errors="coerce")
    ok = num.notna()
    if not ok.any():
        return series
    if csv:  # reading a number from CSV text is no change unless the spelling is unusual
        respelled = ~text[ok].str.match(_PLAIN_NUMBER)
    else:  # a number held in a text column of a typed file is a change of type
        respelled = pd.Series(True, index=text[ok].index)
    log.add("number-from-text", col, "text -> number", int(respelled.sum()))
    out = series.astype(object).copy()
    out[num[ok].index] = num[ok].astype(float)
    return out


def read_table(
    path: str | Path,
    table: str,
    mapping: DataMapping | str | Path | None = None,
    *,
    codebook: Codebook | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
) -> LoadedTable:
    """Read one table and bring it to canonical form.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.parquet``, ``.sav`` or ``.dta`` file.
    table : {"institutions", "prisoners", "professionals"}
    mapping : DataMapping or path, optional
        The research team's names and codes (see :func:`load_mapping`).
    sep, decimal, encoding : str, optional
        CSV delimiter (``,``, ``;``, tab, ``|``), decimal mark (``.`` or ``,``) and text
        encoding (CSV, SPSS, Stata). Default: detected (delimiter from the header, decimal
        comma when numbers are written ``3,5`` and never ``3.5``, UTF-8).

    Returns
    -------
    LoadedTable
        ``data`` (canonical frame, file row order), ``log`` (every conversion with counts).

    Raises
    ------
    UnusableInputError
        Missing file, unknown format, unreadable file, unknown table, or a CSV whose rows do
        not match its header (short or long rows, cut off, duplicate column names).
    """
    cb = codebook or load_codebook()
    if table not in TABLES:
        raise UnusableInputError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    p = Path(path)
    fmt = detect_format(p)
    if not p.is_file():
        raise UnusableInputError(f"file not found: {p}")
    opts = ReadOptions(sep, decimal, encoding)
    dm = _as_mapping(mapping, cb)
    raw, file_meta = _read_raw(p, fmt, opts)
    if raw.columns.duplicated().any():
        dup = raw.columns[raw.columns.duplicated()][0]
        raise UnusableInputError(f"{p}: column name {dup!r} occurs twice; rename one of them")
    log = ConversionLog()
    schema = cb[table]
    dec = file_meta.get("decimal", ".")

    rename = dm.rename_in(table) if dm else {}
    present = {f: c for f, c in rename.items() if f in raw.columns}
    clash = sorted(c for c in present.values() if c in raw.columns and c not in present)
    if clash:
        raise UnusableInputError(
            f"{p}: the mapping renames to {', '.join(clash)}, but the file already has that column"
        )
    for f, c in present.items():
        if f != c:  # one entry per column renamed (a rename is not a change of any cell)
            log.add("rename", c, f"{f} -> {c}", 1)
    file_name = {c: f for f, c in present.items()}
    df = raw.rename(columns=present)

    for col in df.columns:
        series = df[col]
        fcol = file_name.get(col, col)
        var = schema[col] if col in schema else None
        if series.dtype == object or str(series.dtype).startswith(("string", "str")):
            series = _clean_text(series, col, log)
            if var is not None and var.is_numeric:
                series = _numbers_from_text(series, col, dec, log, csv=fmt == "csv")
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
            as_key = series.map(code_key)
            hit = as_key.isin(list(keyed)) & series.notna()
            for code, new in keyed.items():
                if _format_code(new) == code:
                    continue  # an identity recode changes no cell
                n = int((as_key[hit] == code).sum())
                log.add("recode", col, f"{code} -> {_format_code(new)}", n)
            recoded = as_key[hit].map(keyed)
            series = series.astype(object).where(~hit, recoded)
        df[col] = series
    data = canonicalize(df, table, cb)
    return LoadedTable(
        data=data,
        table=table,
        log=log,
        source=str(p),
        format=fmt,
        file_meta=file_meta,
        file_names=file_name,
        file_columns=tuple(str(c) for c in raw.columns),
        mapping=dm,
        codes=_file_codes(raw, present, schema),
    )


def _file_codes(
    raw: pd.DataFrame, present: Mapping[str, str], schema: TableSchema
) -> dict[str, pd.Series]:
    """The file's own cells of every coded variable, as text (for messages in its terms)."""
    out = {}
    for f, c in {**{c: c for c in raw.columns if c in schema}, **present}.items():
        if c in schema and schema[c].values:
            out[c] = raw[f].map(_format_code)
    return out


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
