"""Validation of a canonical table against the codebook, frictionless-style.

Each codebook rule (required column, type, range, allowed codes, uniqueness, routing, reference
to the institutions table) is a check that yields :class:`Issue` objects; :func:`validate`
runs them all and returns a :class:`ValidationReport`. It never stops at the first problem and
never raises on bad data.

Issue codes (stable, kebab-case): ``missing-column``, ``unknown-column`` (warning),
``type-error``, ``value-out-of-range``, ``undeclared-code``, ``missing-value`` (in a required
column), ``duplicate-id``, ``routing-violation``, ``unknown-institution``.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"institution_id": ["PI01", "PI01"], "name": ["A", "B"],
...                    "has_family_room": [1.0, 7.0]})
>>> report = validate(df, "institutions")
>>> report.valid
False
>>> sorted({i.code for i in report.issues})
['duplicate-id', 'undeclared-code']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .schema import Codebook, TableSchema, Variable, load_codebook

__all__ = ["Issue", "ValidationReport", "validate", "CHECKS"]

Severity = Literal["error", "warning"]
MAX_ROWS_SHOWN = 5
MAX_VALUES_SHOWN = 5


@dataclass(frozen=True)
class Issue:
    """One problem: which rule, which column, which values, how many rows, which rows."""

    code: str
    variable: str
    message: str
    severity: Severity = "error"
    n_rows: int = 0
    rows: tuple[int, ...] = ()
    values: tuple[Any, ...] = ()

    def as_row(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "variable": self.variable,
            "n_rows": self.n_rows,
            "first_rows": ", ".join(str(r) for r in self.rows),
            "values": ", ".join(repr(v) for v in self.values),
            "message": self.message,
        }


@dataclass
class ValidationReport:
    """All problems found in one table; ``valid`` is true when there is no error."""

    table: str
    n_rows: int
    n_columns: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def stats(self) -> dict[str, int]:
        return {
            "rows": self.n_rows,
            "columns": self.n_columns,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per issue: severity, code, variable, n_rows, first_rows, values, message."""
        cols = ["severity", "code", "variable", "n_rows", "first_rows", "values", "message"]
        return pd.DataFrame([i.as_row() for i in self.issues], columns=cols)

    def summary_line(self) -> str:
        state = "valid" if self.valid else "INVALID"
        return (
            f"{self.table}: {state} ({self.n_rows} rows, {self.n_columns} columns, "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings)"
        )

    def to_summary(self) -> str:
        """A text report: the summary line, then every issue."""
        lines = [self.summary_line()]
        for i in self.issues:
            where = (
                f" in {i.n_rows} rows (first: {', '.join(map(str, i.rows))})" if i.n_rows else ""
            )
            vals = f"; values: {', '.join(repr(v) for v in i.values)}" if i.values else ""
            lines.append(f"  [{i.severity}] {i.code} {i.variable}: {i.message}{where}{vals}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
def _issue(
    code: str,
    var: str,
    message: str,
    mask: pd.Series | None = None,
    values: pd.Series | None = None,
    severity: Severity = "error",
) -> Issue:
    rows: tuple[int, ...] = ()
    n = 0
    if mask is not None:
        pos = np.flatnonzero(mask.to_numpy(dtype=bool))
        n = int(pos.size)
        rows = tuple(int(r) + 1 for r in pos[:MAX_ROWS_SHOWN])  # 1-based data rows, as in SPSS
    vals: tuple[Any, ...] = ()
    if values is not None:
        uniq = pd.unique(values.dropna())[:MAX_VALUES_SHOWN]
        vals = tuple(v.item() if hasattr(v, "item") else v for v in uniq)
    return Issue(
        code=code,
        variable=var,
        message=message,
        severity=severity,
        n_rows=n,
        rows=rows,
        values=vals,
    )


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numeric view of ``s`` and the mask of values that are not numbers."""
    num = pd.to_numeric(s, errors="coerce")
    return num.astype(float), num.isna() & s.notna()


Check = Callable[[pd.DataFrame, TableSchema, dict[str, Any]], Iterator[Issue]]


def check_columns(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    for name in schema.required:
        if name not in df.columns:
            yield _issue("missing-column", name, "required column is missing")
    for col in df.columns:
        if col not in schema:
            yield _issue(
                "unknown-column",
                str(col),
                "column is not in the codebook (kept, not validated)",
                severity="warning",
            )


def check_values(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    for var in schema:
        if var.name not in df.columns:
            continue
        s = df[var.name]
        if var.required:
            miss = s.isna()
            if miss.any():
                yield _issue("missing-value", var.name, "required value is missing", miss)
        if var.is_numeric:
            yield from _check_numeric(s, var)
        elif var.values:
            allowed = {str(c) for c in var.values}
            bad = s.notna() & ~s.astype(str).isin(allowed)
            if bad.any():
                yield _issue(
                    "undeclared-code",
                    var.name,
                    f"code not declared in the codebook (allowed: {', '.join(sorted(allowed))})",
                    bad,
                    s[bad],
                )


def _check_numeric(s: pd.Series, var: Variable) -> Iterator[Issue]:
    num, not_number = _numeric(s)
    if not_number.any():
        yield _issue(
            "type-error", var.name, f"expected a number ({var.type})", not_number, s[not_number]
        )
    ok = num.notna()
    if var.is_integer:
        frac = ok & (num != np.round(num))
        if frac.any():
            yield _issue(
                "type-error", var.name, f"expected a whole number ({var.type})", frac, num[frac]
            )
    if var.values and var.type != "integer":
        codes = {float(c) for c in var.values}
        bad = ok & ~num.isin(codes)
        if bad.any():
            allowed = ", ".join(str(c) for c in var.values)
            yield _issue(
                "undeclared-code",
                var.name,
                f"code not declared in the codebook (allowed: {allowed})",
                bad,
                num[bad],
            )
    elif var.bounds is not None:
        lo, hi = var.bounds
        bad = ok & ((num < lo) | (num > hi))
        if bad.any():
            yield _issue(
                "value-out-of-range",
                var.name,
                f"value outside the range {lo:g}..{hi:g}",
                bad,
                num[bad],
            )


def check_unique(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    for var in schema:
        if var.unique and var.name in df.columns:
            s = df[var.name]
            dup = s.notna() & s.duplicated(keep=False)
            if dup.any():
                yield _issue(
                    "duplicate-id", var.name, "identifier occurs more than once", dup, s[dup]
                )


def check_routing(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    for var in schema:
        if var.asked_if is None or var.name not in df.columns:
            continue
        cond_col, cond_val = var.asked_if
        if cond_col not in df.columns:
            continue
        cond = (
            pd.to_numeric(df[cond_col], errors="coerce")
            if isinstance(cond_val, int | float)
            else df[cond_col]
        )
        not_asked = cond.notna() & (cond != cond_val)
        bad = not_asked & df[var.name].notna()
        if bad.any():
            yield _issue(
                "routing-violation",
                var.name,
                f"answer given although the question is asked only if {cond_col} == {cond_val}",
                bad,
                df[var.name][bad],
            )


def check_references(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    institutions = ctx.get("institutions")
    if institutions is None:
        return
    for var in schema:
        if var.references is None or var.name not in df.columns:
            continue
        ref_table, ref_col = var.references
        if ref_table != "institutions" or ref_col not in institutions.columns:
            continue
        known = set(institutions[ref_col].dropna().astype(str))
        s = df[var.name]
        bad = s.notna() & ~s.astype(str).isin(known)
        if bad.any():
            yield _issue(
                "unknown-institution",
                var.name,
                "institution not in the institutions table",
                bad,
                s[bad],
            )


#: The checks, in the order they run (an explicit registry; add new checks here).
CHECKS: dict[str, Check] = {
    "columns": check_columns,
    "values": check_values,
    "unique": check_unique,
    "routing": check_routing,
    "references": check_references,
}


def validate(
    df: pd.DataFrame,
    table: str,
    *,
    institutions: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
) -> ValidationReport:
    """Check ``df`` against the codebook of ``table`` and report every problem.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical frame (e.g. ``read_table(...).data``).
    table : {"institutions", "prisoners", "professionals"}
    institutions : pandas.DataFrame, optional
        The institutions table, to check that every ``institution_id`` exists.

    Returns
    -------
    ValidationReport
        ``valid``, ``stats``, ``issues``; ``to_frame()`` and ``to_summary()`` for display.
    """
    cb = codebook or load_codebook()
    schema = cb[table]
    ctx = {"institutions": institutions}
    report = ValidationReport(table=table, n_rows=len(df), n_columns=df.shape[1])
    for check in CHECKS.values():
        report.issues.extend(check(df, schema, ctx))
    return report
