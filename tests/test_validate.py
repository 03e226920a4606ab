"""Validation: every rule of the codebook, reported in full, never a crash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reintegratie_stats.schema import TABLES
from reintegratie_stats.validate import validate


@pytest.mark.parametrize("table", TABLES)
def test_valid_tables_are_valid(tables, table):
    report = validate(tables[table], table, institutions=tables["institutions"])
    assert report.valid, report.to_summary()
    assert report.issues == []


def codes(report):
    return {(i.code, i.variable) for i in report.issues}


def test_each_rule_is_reported_with_column_rows_and_values(tables):
    df = tables["prisoners"].copy()
    df = df.drop(columns=["regime"])  # required column missing
    df["mystery"] = 1  # unknown column (warning)
    df["age"] = df["age"].astype(object)
    df.loc[3, "age"] = "oud"  # wrong type
    df.loc[4, "prior_convictions"] = 2.5  # not a whole number
    df.loc[5, "weeks_detained"] = -4.0  # out of range
    df.loc[[6, 7], "contact_care"] = 3.0  # undeclared code
    df.loc[8, "prisoner_id"] = df.loc[9, "prisoner_id"]  # duplicate id
    no_contact = df.index[df["contact_mentor"] == 0][0]
    df.loc[no_contact, "sat_mentor"] = 4.0  # routed answer given
    df.loc[10, "institution_id"] = "PI99"  # unknown institution
    df.loc[11, "sex"] = "x"  # undeclared category
    report = validate(df, "prisoners", institutions=tables["institutions"])
    assert not report.valid
    found = codes(report)
    expected = {
        ("missing-column", "regime"),
        ("unknown-column", "mystery"),
        ("type-error", "age"),
        ("type-error", "prior_convictions"),
        ("value-out-of-range", "weeks_detained"),
        ("undeclared-code", "contact_care"),
        ("duplicate-id", "prisoner_id"),
        ("routing-violation", "sat_mentor"),
        ("unknown-institution", "institution_id"),
        ("undeclared-code", "sex"),
    }
    assert expected <= found, found
    by = {(i.code, i.variable): i for i in report.issues}
    care = by[("undeclared-code", "contact_care")]
    assert care.n_rows == 2 and care.rows == (7, 8) and care.values == (3.0,)
    assert by[("type-error", "age")].values == ("oud",)
    assert by[("unknown-column", "mystery")].severity == "warning"
    assert by[("routing-violation", "sat_mentor")].rows == (no_contact + 1,)
    assert report.stats["errors"] == len(report.errors) >= 9
    frame = report.to_frame()
    assert list(frame.columns) == [
        "severity",
        "code",
        "variable",
        "n_rows",
        "first_rows",
        "values",
        "message",
    ]
    assert "contact_care" in report.to_summary()


def test_warnings_alone_keep_data_valid(tables):
    df = tables["institutions"].assign(extra_note="x")
    report = validate(df, "institutions")
    assert report.valid and len(report.warnings) == 1


def test_missing_required_value(tables):
    df = tables["professionals"].copy()
    df.loc[2, "org_type"] = np.nan
    report = validate(df, "professionals")
    assert ("missing-value", "org_type") in codes(report)


# ------------------------------------------------------------------ property test: random corruption
CORRUPTIONS = ("out_of_range", "drop_column", "duplicate_id", "garbage_text")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_corruption_is_reported_with_the_right_column(tables, codebook, data):
    table = data.draw(st.sampled_from(TABLES))
    df = tables[table].copy()
    schema = codebook[table]
    kind = data.draw(st.sampled_from(CORRUPTIONS))
    row = data.draw(st.integers(0, len(df) - 1))
    if kind == "out_of_range":
        candidates = [
            v.name for v in schema if v.is_numeric and v.bounds is not None and v.asked_if is None
        ]
        col = data.draw(st.sampled_from(candidates))
        hi = schema[col].bounds[1]
        df.loc[row, col] = hi + data.draw(st.integers(1, 10_000))
        expected = {("value-out-of-range", col), ("undeclared-code", col)}
    elif kind == "drop_column":
        col = data.draw(st.sampled_from(schema.required))
        df = df.drop(columns=[col])
        expected = {("missing-column", col)}
    elif kind == "duplicate_id":
        col = schema.primary_key
        other = (row + 1) % len(df)
        df.loc[row, col] = df.loc[other, col]
        expected = {("duplicate-id", col)}
    else:
        candidates = [v.name for v in schema if v.is_numeric and v.asked_if is None]
        col = data.draw(st.sampled_from(candidates))
        junk = data.draw(st.text(min_size=1, max_size=8).filter(lambda s: _not_a_number(s)))
        df[col] = df[col].astype(object)
        df.loc[row, col] = junk
        expected = {("type-error", col)}
    report = validate(df, table, institutions=tables["institutions"])
    assert not report.valid
    assert codes(report) & expected, (kind, col, report.to_summary())


def _not_a_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return True
    return False


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5)),
        min_size=1,
        max_size=20,
    )
)
def test_validate_never_crashes_on_arbitrary_cells(tables, cells):
    df = tables["prisoners"].head(len(cells)).copy()
    df["age"] = pd.Series(cells, index=df.index, dtype=object)
    report = validate(df, "prisoners")
    assert isinstance(report.valid, bool)
