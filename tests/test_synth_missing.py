"""synth.missing: MCAR and MAR non-response on the twin, recorded in its truth."""

from __future__ import annotations

import pandas as pd
import pytest

from reintegratie_stats.synth import MARRule, MissingSpec, generate


def test_missing_spec_mcar_and_mar():
    spec = MissingSpec(
        mcar={"age": 0.1, "rating_information": 0.2},
        mar=(MARRule("prep_housing", "age", rate=0.15, slope=1.5),),
    )
    d = generate(seed=11, n_prisoners=4000, missing=spec)
    full = generate(seed=11, n_prisoners=4000)
    p = d.prisoners
    assert p["age"].isna().mean() == pytest.approx(0.1, abs=0.025)
    assert d.professionals["rating_information"].isna().mean() == pytest.approx(0.2, abs=0.05)
    old = full.prisoners["age"] > full.prisoners["age"].median()
    miss = p["prep_housing"].isna()
    assert miss[old].mean() > 2 * miss[~old].mean()  # MAR: depends on the observed age
    rec = d.truth["missing"]
    assert rec["mcar"]["age"] == 0.1 and rec["mar"][0]["depends_on"] == "age"
    assert rec["n_made_missing"]["age"] == int(p["age"].isna().sum())
    # routed-out values are not counted as non-response and nothing else moves
    keep = [c for c in p.columns if c not in ("age", "prep_housing")]
    pd.testing.assert_frame_equal(p[keep], full.prisoners[keep])


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (MissingSpec(mcar={"nonsense": 0.1}), "not a variable"),
        (MissingSpec(mcar={"prisoner_id": 0.1}), "required/id"),
        (MissingSpec(mcar={"age": 1.5}), r"\[0, 1\)"),
        (MissingSpec(mar=(MARRule("age", "name_of_nothing", 0.1),)), "MAR driver"),
    ],
)
def test_missing_spec_errors(spec, match):
    with pytest.raises(ValueError, match=match):
        generate(n_prisoners=50, missing=spec)


def test_validator_passes_with_missing_data():
    from reintegratie_stats.validate import validate

    spec = MissingSpec(mcar={"sat_probation": 0.2, "visits_children": 0.1, "age": 0.05})
    d = generate(seed=4, n_prisoners=600, missing=spec)
    for table, df in d.tables.items():
        report = validate(df, table, institutions=d.institutions)
        assert report.valid, report.to_summary()
