"""synth.api: load_example and write_twin (every format, the Dutch mapping, SPSS missing codes)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import MissingSpec, generate, load_example, write_twin

CB = load_codebook()


def test_load_example_returns_copies():
    a = load_example()
    a.prisoners.loc[0, "age"] = -1.0
    assert load_example().prisoners.loc[0, "age"] != -1.0


def test_write_twin_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="fmt"):
        write_twin(generate(n_prisoners=20), tmp_path, fmt="xlsx")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "dta", "sav"])
def test_write_twin_round_trips(tmp_path, fmt):
    from reintegratie_stats.io import read_table

    d = generate(seed=8, n_prisoners=300, missing=MissingSpec(mcar={"sat_mentor": 0.3}))
    paths = write_twin(d, tmp_path, fmt=fmt)
    assert paths["prisoners"].name == f"prisoners.{fmt}"
    for table, df in d.tables.items():
        back = read_table(paths[table], table).data
        pd.testing.assert_frame_equal(back[df.columns], df, check_dtype=False)
    assert json.loads(paths["truth"].read_text())["generator"]["seed"] == 8


def test_write_twin_sav_with_dutch_mapping_round_trips(tmp_path):
    """Research-team names, labels and missing codes; read back with the same mapping."""
    import pyreadstat

    from reintegratie_stats.io import read_table

    mapping = CB.path / "mappings" / "example_nl.yaml"
    d = generate(seed=9, n_prisoners=300, missing=MissingSpec(mcar={"age": 0.1}))
    paths = write_twin(d, tmp_path, fmt="sav", mapping=mapping)
    raw, meta = pyreadstat.read_sav(paths["prisoners"], user_missing=True)
    assert "prisoner_id" not in raw.columns  # Dutch names, not the canonical ones
    assert meta.missing_ranges  # user-missing codes are declared
    for table, df in d.tables.items():
        back = read_table(paths[table], table, mapping=mapping).data
        pd.testing.assert_frame_equal(back[df.columns], df, check_dtype=False)


def test_sav_user_missing_codes(tmp_path):
    """Routed-out questions get -3 (not applicable), item non-response -1 (don't know)."""
    import pyreadstat

    d = generate(seed=10, n_prisoners=400, missing=MissingSpec(mcar={"sat_probation": 0.3}))
    paths = write_twin(d, tmp_path, fmt="sav", nonresponse="dont_know")
    raw, meta = pyreadstat.read_sav(paths["prisoners"], user_missing=True)
    no_contact = d.prisoners["contact_probation"] == 0
    nonresp = (d.prisoners["contact_probation"] == 1) & d.prisoners["sat_probation"].isna()
    assert nonresp.sum() > 10
    assert (raw.loc[no_contact.to_numpy(), "sat_probation"] == -3).all()
    assert (raw.loc[nonresp.to_numpy(), "sat_probation"] == -1).all()
    labels = meta.variable_value_labels["sat_probation"]
    assert labels[-3] == "not applicable" and labels[-1] == "don't know"
