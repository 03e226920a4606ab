"""Property test: a corrupted CSV never passes `validate` (exit 0) and never gives a traceback.

Corruptions: truncation at any byte that is not a line end, short rows, long rows, a
duplicated header name, a row with another delimiter, NA-like text in a required column.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reintegratie_stats.cli import app
from reintegratie_stats.io import NA_STRINGS

runner = CliRunner()
KINDS = ("truncate", "short_row", "long_row", "duplicate_header", "delimiter", "na_required")


@pytest.fixture
def csv_bytes(tables):
    return tables["prisoners"].to_csv(index=False, lineterminator="\n").encode("utf-8")


def corrupt(data: bytes, kind: str, draw) -> bytes:
    lines = data.decode("utf-8").split("\n")[:-1]  # the file ends with a line break
    header = lines[0].split(",")
    row = draw(st.integers(1, len(lines) - 1))
    if kind == "truncate":
        # any cut that is not just after a line break (that would be a valid, shorter file)
        cut = draw(st.integers(1, len(data) - 1))
        return data[: cut - 1 if data[cut - 1 : cut] == b"\n" else cut]
    if kind == "short_row":
        fields = lines[row].split(",")
        keep = draw(st.integers(0, len(fields) - 1))
        lines[row] = ",".join(fields[:keep])
        if keep == 0:  # an empty line is skipped as blank: make it a one-field row instead
            lines[row] = fields[0]
    elif kind == "long_row":
        lines[row] += "," * draw(st.integers(1, 5))
    elif kind == "duplicate_header":
        i, j = draw(st.lists(st.integers(0, len(header) - 1), min_size=2, max_size=2, unique=True))
        header[j] = header[i]
        lines[0] = ",".join(header)
    elif kind == "delimiter":
        sep = draw(st.sampled_from([";", "\t", "|"]))
        lines[row] = lines[row].replace(",", sep)
    else:  # na_required: NA-like text where the codebook requires a value
        col = draw(st.sampled_from(["prisoner_id", "institution_id", "regime"]))
        fields = lines[row].split(",")
        fields[header.index(col)] = draw(st.sampled_from(NA_STRINGS + ("", "  ")))
        lines[row] = ",".join(fields)
    return ("\n".join(lines) + "\n").encode("utf-8")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_corrupted_csv_passes_and_none_gives_a_traceback(csv_bytes, tmp_path, data):
    kind = data.draw(st.sampled_from(KINDS))
    broken = corrupt(csv_bytes, kind, data.draw)
    path = tmp_path / "p.csv"
    path.write_bytes(broken)
    res = runner.invoke(app, ["validate", str(path), "-t", "prisoners", "--no-log"])
    assert res.exit_code in (1, 2), (kind, res.exit_code, res.output[-500:])
    assert res.exception is None or isinstance(res.exception, SystemExit), (kind, res.exception)
    assert "Traceback" not in res.output
    if res.exit_code == 2:  # unusable: one line that names where
        assert res.output.startswith("error: ") and res.output.count("\n") == 1
        assert any(w in res.output for w in ("row", "line", "column", "empty")), res.output


def test_the_uncorrupted_file_passes(csv_bytes, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(csv_bytes)
    res = runner.invoke(app, ["validate", str(path), "-t", "prisoners", "--no-log"])
    assert res.exit_code == 0, res.output
