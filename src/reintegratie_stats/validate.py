"""Validation of a canonical table against the codebook, frictionless-style.

Each codebook rule (required column, type, range, allowed codes, uniqueness, routing, reference
to the institutions table) is a check that yields :class:`Issue` objects; :func:`validate`
runs them all and returns a :class:`ValidationReport`. It never stops at the first problem and
never raises on bad data.

Issue codes (stable, kebab-case): ``missing-column``, ``unknown-column`` (warning),
``type-error``, ``value-out-of-range``, ``undeclared-code``, ``missing-value`` (in a required
column), ``duplicate-id``, ``routing-violation``, ``unknown-institution``; with the file's
:class:`~reintegratie_stats.io.LoadedTable` as ``source``: ``mapping-unmatched`` (a mapping
key that matches no column of the file; an error where a report step needs the variable) and
file codes the mapping does not list; with ``analyses=True``: ``missing-analysis-input``.
Messages then use the file's names, codes, value labels and ids; ``lang="nl"`` gives Dutch.

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

__all__ = [
    "CHECKS",
    "Issue",
    "ValidationReport",
    "analysis_inputs",
    "looks_like_missing_code",
    "MissingAnalysisInput",
    "missing_analysis_inputs",
    "translate",
    "validate",
]

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
    #: the team's own ids of ``rows`` (same order), e.g. ``("0001", "0017")``
    ids: tuple[str, ...] = ()
    #: the file's name of the variable when the mapping renamed it, e.g. ``"geslacht"``
    file_name: str | None = None
    #: the id column's name in the file, e.g. ``"respnr"``
    id_name: str | None = None

    @property
    def display_name(self) -> str:
        """``"geslacht (sex)"`` when the file calls the variable otherwise, else ``"sex"``."""
        if self.file_name and self.file_name != self.variable:
            return f"{self.file_name} ({self.variable})"
        return self.variable

    def where(self, lang: str = "en") -> str:
        """``"in 3 rows (first: 1 (respnr 0001), 4 (respnr 0009))"`` or ``""``."""
        if not self.n_rows:
            return ""
        shown = []
        for k, r in enumerate(self.rows):
            ident = self.ids[k] if k < len(self.ids) else None
            shown.append(f"{r} ({self.id_name} {ident})" if ident is not None else str(r))
        if lang == "nl":
            return f" in {self.n_rows} rijen (eerste: {', '.join(shown)})"
        return f" in {self.n_rows} rows (first: {', '.join(shown)})"

    def as_row(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "variable": self.variable,
            "n_rows": self.n_rows,
            "first_rows": ", ".join(str(r) for r in self.rows),
            "first_ids": ", ".join(self.ids),
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
    lang: str = "en"

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

    def with_lang(self, lang: str) -> ValidationReport:
        """The same report with its summary in ``lang`` (``"en"`` or ``"nl"``)."""
        out = ValidationReport(self.table, self.n_rows, self.n_columns, list(self.issues))
        out.lang = lang
        return out

    def summary_line(self) -> str:
        if self.lang == "nl":
            state = "geldig" if self.valid else "ONGELDIG"
            return (
                f"{self.table}: {state} ({self.n_rows} rijen, {self.n_columns} kolommen, "
                f"{len(self.errors)} fouten, {len(self.warnings)} waarschuwingen)"
            )
        state = "valid" if self.valid else "INVALID"
        return (
            f"{self.table}: {state} ({self.n_rows} rows, {self.n_columns} columns, "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings)"
        )

    def to_summary(self) -> str:
        """A text report: the summary line, then every issue (in :attr:`lang`)."""
        nl = self.lang == "nl"
        severity = {"error": "fout", "warning": "waarschuwing"} if nl else {}
        lines = [self.summary_line()]
        for i in self.issues:
            vals = ""
            if i.values:
                vals = f"; {'waarden' if nl else 'values'}: {', '.join(repr(v) for v in i.values)}"
            msg = translate(i.message) if nl else i.message
            sev = severity.get(i.severity, i.severity)
            lines.append(f"  [{sev}] {i.code} {i.display_name}: {msg}{i.where(self.lang)}{vals}")
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


# --------------------------------------------------------------------------------------------
# What the analyses need (built from the codebook's lists, never a second list)
# --------------------------------------------------------------------------------------------
def analysis_inputs(codebook: Codebook | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """The codebook variables each report step reads: step -> table -> variables.

    A step whose variable is absent would run on less than it says (a satisfaction table
    without the probation row, a chapter-5 model without a predictor), so the validator
    reports the absence as an error and the report refuses the step.

    Examples
    --------
    >>> needs = analysis_inputs()
    >>> "sat_probation" in needs["ch2_satisfaction"]["prisoners"]
    True
    """
    cb = codebook or load_codebook()
    tp, doms = cb.professional_types, cb.domains
    contact = [f"contact_{t}" for t in tp]
    sat = [f"{item}_{t}" for t in tp for item in cb.satisfaction_items]
    needs = [f"need_{d}" for d in doms]
    instr = [f"instr_{side}_{d}" for d in doms for side in ("int", "ext")]
    prep = [f"prep_{d}" for d in doms]
    norms = [f"contact_{t}" for nm in cb.policy_norms for t in nm["requires_contact"]]
    external = [f"contact_{t}" for t in cb.external_types]
    family = list(cb.family_contact)
    ch5 = contact + [f"sat_{t}" for t in tp] + instr + needs + prep
    raw = {
        "ch2_contact_rates": {"prisoners": contact},
        "ch2_satisfaction": {"prisoners": contact + sat},
        "ch2_cooccurrence": {"prisoners": contact},
        "ch2_policy_norms": {"prisoners": norms},
        "ch3_needs_vs_contact": {"prisoners": needs + contact},
        "ch3_no_contact": {"prisoners": needs + contact},
        "ch3_contact_by_phase": {"prisoners": contact},
        "ch4_facilitation": {
            "prisoners": external,
            "professionals": ["org_type", *cb.facilitation_scores],
        },
        "ch5_preparedness": {"prisoners": ch5},
        "family_rates": {"prisoners": family},
        "family_bivariate": {"prisoners": ["has_children", *family, *needs]},
        "family_multilevel": {"prisoners": family, "institutions": list(cb.family_facilities)},
        # computed inside chapter 5 (the same analysis frame and its predictors)
        "family_preparedness": {"prisoners": ch5 + family},
    }
    return {
        step: {t: tuple(dict.fromkeys(c for c in cols if c in cb[t])) for t, cols in tabs.items()}
        for step, tabs in raw.items()
    }


class MissingAnalysisInput(ValueError):
    """A report step cannot run: a variable it reads is absent (the message says why)."""


def missing_analysis_inputs(
    columns: dict[str, Any],
    codebook: Codebook | None = None,
    mapping: Any = None,
    file_columns: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, list[str]]:
    """Step -> one sentence per missing input (naming the mapping line that should supply it).

    Parameters
    ----------
    columns : dict
        Table -> its canonical columns (``None`` for a table that was not given).
    mapping : DataMapping, optional
        Used to name the mapping line whose key matches no column of the file.
    file_columns : dict, optional
        Table -> the file's own column names (for "did you mean" hints).

    Examples
    --------
    >>> cols = {"prisoners": ["contact_mentor"], "institutions": None, "professionals": None}
    >>> missing_analysis_inputs(cols)["ch2_cooccurrence"][0]
    'prisoners has no column contact_casemanager'
    """
    cb = codebook or load_codebook()
    out: dict[str, list[str]] = {}
    for step, tabs in analysis_inputs(cb).items():
        msgs = []
        for table, needed in tabs.items():
            have = columns.get(table)
            if have is None:
                continue  # a table not given at all: the step says so itself
            for col in needed:
                if col not in have:
                    msgs.append(
                        _absent_sentence(table, col, mapping, (file_columns or {}).get(table))
                    )
        if msgs:
            out[step] = msgs
    return out


def _absent_sentence(table: str, col: str, mapping: Any, file_cols: tuple[str, ...] | None) -> str:
    from .mapping import nearest

    text = f"{table} has no column {col}"
    if mapping is None:
        return text
    keys = [f for f, c in mapping.rename_in(table).items() if c == col]
    if not keys:
        return text
    key = keys[0]
    near = nearest(key, file_cols or ())
    hint = f"; did you mean {near!r}?" if near else ""
    return (
        f"{text}: the mapping ({mapping.where(table, key)}) maps {key!r} to it, "
        f"but the file has no column {key!r}{hint}"
    )


# --------------------------------------------------------------------------------------------
# The team's terms: codes that look like missing codes, messages in Dutch
# --------------------------------------------------------------------------------------------
def looks_like_missing_code(x: Any) -> bool:
    """Negative whole numbers and 7/8/9-only numbers (9, 99, -7, 98, 999) are typical codes.

    >>> [looks_like_missing_code(v) for v in (-7, 99, 98, 3, 0.5)]
    [True, True, True, False, False]
    """
    try:
        f = float(x)
    except (TypeError, ValueError):
        return False
    if not np.isfinite(f) or not f.is_integer():
        return False
    digits = str(abs(int(f)))
    return f < 0 or (set(digits) <= {"7", "8", "9"} and (len(digits) > 1 or digits == "9"))


def _missing_hint(values: pd.Series) -> str:
    odd = [v for v in pd.unique(values.dropna()) if looks_like_missing_code(v)]
    if not odd:
        return ""
    shown = ", ".join(_code_text(v) for v in odd[:3])
    return (
        f"; hint: {shown} looks like a missing code: declare it under missing_codes in the "
        "mapping (or as MISSING VALUES in the file)"
    )


def _code_text(x: Any) -> str:
    if isinstance(x, float | np.floating) and float(x).is_integer():
        return str(int(x))
    return str(x)


def translate(message: str, lang: str = "nl") -> str:
    """A validator message in Dutch (each ``; ``-separated part on its own), by the patterns
    of ``data_schema/cli_messages.yaml`` (:func:`reintegratie_stats.labels.translate`).

    >>> translate("required value is missing; hint: -7 looks like a missing code: declare it "
    ...           "under missing_codes in the mapping (or as MISSING VALUES in the file)")[:34]
    'verplichte waarde ontbreekt; tip: '
    """
    from . import labels

    return labels.translate(message, lang)


Check = Callable[[pd.DataFrame, TableSchema, dict[str, Any]], Iterator[Issue]]


def check_columns(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    from .mapping import nearest

    source = ctx.get("source")
    dm = getattr(source, "mapping", None)
    unmatched = []
    if dm is not None and source is not None:
        unmatched = [f for f in dm.rename_in(schema.name) if f not in source.file_columns]
    for name in schema.required:
        if name not in df.columns:
            yield _issue("missing-column", name, "required column is missing")
    for col in df.columns:
        if col not in schema:
            msg = "column is not in the codebook (kept, not validated)"
            near = nearest(str(col), unmatched)
            if near:
                line = dm.where(schema.name, near)
                msg += f"; close to the mapping's {near!r} ({line})"
            yield _issue("unknown-column", str(col), msg, severity="warning")


def check_mapping(df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]) -> Iterator[Issue]:
    """Every mapping key that matches no column of the file (an error where a step needs it)."""
    from .mapping import nearest

    source = ctx.get("source")
    dm = getattr(source, "mapping", None)
    if dm is None or source is None:
        return
    needed = {c for tabs in ctx["needs"].values() for c in tabs.get(schema.name, ())}
    for key, canon in dm.rename_in(schema.name).items():
        if key in source.file_columns:
            continue
        if canon in df.columns:  # the file has the canonical name itself: nothing lost
            continue
        serious = canon in needed or (canon in schema and schema[canon].required)
        near = nearest(key, [c for c in source.file_columns if c not in dm.rename_in(schema.name)])
        hint = f"; did you mean {near!r}?" if near else ""
        yield Issue(
            code="mapping-unmatched",
            variable=canon,
            message=(
                f"the mapping ({dm.where(schema.name, key)}) names column {key!r}, "
                f"but the file has no such column{hint}"
            ),
            # an error for `validate`; in a report the steps that need it are refused instead
            severity="error" if serious and ctx.get("analyses") else "warning",
        )


def check_mapped_codes(
    df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]
) -> Iterator[Issue]:
    """File codes the mapping does not list but that happen to be codebook codes.

    With ``ja_nee: {1: 1, 2: 0}`` a file 0 is no code of the team's and would pass as "no";
    codes that are not codebook codes either are reported by ``check_values`` already.
    """
    source = ctx.get("source")
    dm = getattr(source, "mapping", None)
    if dm is None or source is None:
        return
    from .io import code_key

    for var in schema:
        vmap = dm.value_map(schema.name, var.name)
        codes = source.codes.get(var.name)
        if not vmap or codes is None or var.name not in df.columns or len(codes) != len(df):
            continue
        keys = {code_key(k) for k in vmap}
        allowed = {_code_text(c) for c in var.allowed}
        file_code = codes.map(code_key).reset_index(drop=True)
        value = df[var.name].reset_index(drop=True)
        bad = (
            value.notna()
            & file_code.notna()
            & ~file_code.isin(list(keys))
            & value.map(_code_text).isin(list(allowed))
        )
        if bad.any():
            shown = ", ".join(str(v) for v in pd.unique(file_code[bad])[:MAX_VALUES_SHOWN])
            known = ", ".join(f"{_code_text(k)} -> {_code_text(v)}" for k, v in vmap.items())
            yield _issue(
                "undeclared-code",
                var.name,
                f"code {shown} is not in the mapping; known: {known}; it was read as the "
                "codebook code of the same spelling",
                bad,
                file_code[bad],
            )


def check_analysis_inputs(
    df: pd.DataFrame, schema: TableSchema, ctx: dict[str, Any]
) -> Iterator[Issue]:
    """Every variable a report step reads that the table lacks (error: the step would change)."""
    if not ctx.get("analyses"):
        return
    by_col: dict[str, list[str]] = {}
    for step, tabs in ctx["needs"].items():
        for col in tabs.get(schema.name, ()):
            if col not in df.columns:
                by_col.setdefault(col, []).append(step)
    for col, steps in by_col.items():
        yield Issue(
            code="missing-analysis-input",
            variable=col,
            message=f"needed by {', '.join(steps)}",
            severity="error",
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
            yield from _check_numeric(s, var, ctx)
        elif var.values:
            allowed = {str(c) for c in var.values}
            bad = s.notna() & ~s.astype(str).isin(allowed)
            if bad.any():
                yield _code_issue(
                    var,
                    bad,
                    s[bad],
                    f"code not declared in the codebook (allowed: {', '.join(sorted(allowed))})",
                    ctx,
                )


def _code_issue(
    var: Variable, bad: pd.Series, values: pd.Series, default: str, ctx: dict[str, Any]
) -> Issue:
    """An undeclared code in the team's terms: their name and code, the codes they declared."""
    source = ctx.get("source")
    dm = getattr(source, "mapping", None)
    table = ctx["table"]
    vmap = dm.value_map(table, var.name) if dm is not None else None
    file_codes = getattr(source, "codes", {}).get(var.name) if source is not None else None
    if vmap and file_codes is not None and len(file_codes) == len(bad):
        shown = pd.Series(file_codes.to_numpy()[bad.to_numpy(dtype=bool)])
        codes = ", ".join(_code_text(v) for v in pd.unique(shown.dropna())[:MAX_VALUES_SHOWN])
        fname = source.file_name(var.name)
        file_labels = (source.file_meta.get("value_labels") or {}).get(fname, {})
        lang = dm.language
        canon_labels = {str(k): v for k, v in var.value_labels(lang).items()}
        known = []
        for code, canon in vmap.items():
            lab = file_labels.get(code, file_labels.get(float(code)) if _numberlike(code) else None)
            known.append(
                f"{_code_text(code)} = {lab or canon_labels.get(_code_text(canon), canon)}"
            )
        msg = f"code {codes} is not in the mapping; known: {', '.join(known)}"
        return _issue("undeclared-code", var.name, msg + _missing_hint(shown), bad, shown)
    hint = ""
    if source is not None and not vmap:
        # the file says what its codes mean: point at the mapping entry that is missing
        fname = source.file_name(var.name)
        labels = (source.file_meta.get("value_labels") or {}).get(fname) or {}
        if labels:
            shown = ", ".join(f"{_code_text(k)} = {v}" for k, v in list(labels.items())[:6])
            hint = (
                f"; the file labels its codes {shown}: map them under "
                f"tables.{table}.values.{var.name} in the mapping"
            )
    return _issue("undeclared-code", var.name, default + hint + _missing_hint(values), bad, values)


def _numberlike(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def _check_numeric(s: pd.Series, var: Variable, ctx: dict[str, Any]) -> Iterator[Issue]:
    num, not_number = _numeric(s)
    if not_number.any():
        text = s[not_number].astype(str).str.strip()
        hint = ""
        if text.str.match(r"^[+-]?\d+,\d+$").any():
            hint = "; hint: numbers written with a decimal comma: use --decimal ,"
        yield _issue(
            "type-error",
            var.name,
            f"expected a number ({var.type}){hint}",
            not_number,
            s[not_number],
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
            yield _code_issue(
                var, bad, num[bad], f"code not declared in the codebook (allowed: {allowed})", ctx
            )
    elif var.bounds is not None:
        lo, hi = var.bounds
        bad = ok & ((num < lo) | (num > hi))
        if bad.any():
            yield _issue(
                "value-out-of-range",
                var.name,
                f"value outside the range {lo:g}..{hi:g}" + _missing_hint(num[bad]),
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
    "mapping": check_mapping,
    "mapped_codes": check_mapped_codes,
    "analysis_inputs": check_analysis_inputs,
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
    source: Any = None,
    analyses: bool = False,
    lang: str = "en",
) -> ValidationReport:
    """Check ``df`` against the codebook of ``table`` and report every problem.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical frame (e.g. ``read_table(...).data``).
    table : {"institutions", "prisoners", "professionals"}
    institutions : pandas.DataFrame, optional
        The institutions table, to check that every ``institution_id`` exists.
    source : LoadedTable, optional
        What :func:`~reintegratie_stats.io.read_table` returned for ``df``: adds the mapping
        checks (a mapping key that matches no column of the file, a file code the mapping does
        not cover) and puts messages in the file's terms (its names, codes, ids).
    analyses : bool
        Also report, as errors, every variable a report step needs that ``df`` lacks.
    lang : {"en", "nl"}
        Language of :meth:`ValidationReport.to_summary`.

    Returns
    -------
    ValidationReport
        ``valid``, ``stats``, ``issues``; ``to_frame()`` and ``to_summary()`` for display.
    """
    cb = codebook or load_codebook()
    schema = cb[table]
    ctx = {
        "institutions": institutions,
        "source": source,
        "analyses": analyses,
        "table": table,
        "needs": analysis_inputs(cb),
    }
    report = ValidationReport(table=table, n_rows=len(df), n_columns=df.shape[1], lang=lang)
    for check in CHECKS.values():
        report.issues.extend(check(df, schema, ctx))
    report.issues = [_in_file_terms(i, df, schema, source) for i in report.issues]
    return report


def _in_file_terms(issue: Issue, df: pd.DataFrame, schema: TableSchema, source: Any) -> Issue:
    """Add the file's name of the variable and the team's ids of the rows shown."""
    from dataclasses import replace

    name = source.file_name(issue.variable) if source is not None else None
    key = schema.primary_key
    ids: tuple[str, ...] = ()
    id_name = None
    if issue.rows and key in df.columns and issue.code != "duplicate-id":
        col = df[key].reset_index(drop=True)
        ids = tuple(str(col.iloc[r - 1]) for r in issue.rows if r - 1 < len(col))
        id_name = source.file_name(key) if source is not None else key
    return replace(issue, file_name=name, ids=ids, id_name=id_name)
