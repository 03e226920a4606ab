"""The synthetic twin: shape, codebook validity, routing, determinism, missing data, truth."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import (
    CONTACT_TERMS,
    MARRule,
    MissingSpec,
    SynthParams,
    contact_design,
    generate,
    institution_covariates,
    load_example,
    write_twin,
)

CB = load_codebook()


@pytest.fixture(scope="module")
def twin():
    return load_example()


def codebook_issues(df: pd.DataFrame, table: str) -> list[str]:
    """Independent check of a table against the codebook (columns, types, codes, ranges,
    uniqueness, references are checked by the caller; routing below)."""
    issues = []
    schema = CB[table]
    if list(df.columns) != list(schema.names):
        issues.append(f"{table}: columns differ from the codebook order")
    for v in schema:
        s = df[v.name]
        if v.required and s.isna().any():
            issues.append(f"{table}.{v.name}: required but missing")
        if v.unique and s.duplicated().any():
            issues.append(f"{table}.{v.name}: not unique")
        if v.is_numeric:
            if s.dtype != np.float64:
                issues.append(f"{table}.{v.name}: dtype {s.dtype}")
                continue
            x = s.dropna()
            if v.is_integer and not np.all(x == np.round(x)):
                issues.append(f"{table}.{v.name}: non-integer values")
            if v.allowed and not x.isin([float(c) for c in v.allowed]).all():
                issues.append(
                    f"{table}.{v.name}: codes {sorted(set(x) - set(map(float, v.allowed)))}"
                )
            if v.bounds and len(x) and (x.min() < v.bounds[0] or x.max() > v.bounds[1]):
                issues.append(f"{table}.{v.name}: outside {v.bounds}")
        else:
            x = s.dropna()
            if s.dtype != object:
                issues.append(f"{table}.{v.name}: dtype {s.dtype} (canonical: object strings)")
            if not all(isinstance(val, str) for val in x):
                issues.append(f"{table}.{v.name}: non-string values")
            if v.values and not x.isin(list(v.values)).all():
                issues.append(f"{table}.{v.name}: codes {sorted(set(x) - set(v.values))}")
        if v.asked_if is not None:
            cond_var, cond_val = v.asked_if
            routed_out = df[cond_var].to_numpy() != cond_val
            if s[routed_out].notna().any():
                issues.append(f"{table}.{v.name}: answered although {cond_var} != {cond_val}")
    return issues


def test_default_shape_and_ids(twin):
    assert twin.institutions.shape[0] == 26
    assert twin.prisoners.shape[0] == 4100
    assert twin.professionals.shape[0] == 1000
    assert twin.institutions["institution_id"].iloc[0] == "PI01"
    assert twin.prisoners["prisoner_id"].iloc[[0, -1]].tolist() == ["R000001", "R004100"]
    assert twin.professionals["professional_id"].iloc[0] == "E0001"
    assert set(twin.prisoners["institution_id"]) <= set(twin.institutions["institution_id"])
    assert set(twin.professionals["institution_id"]) == set(twin.institutions["institution_id"])


@pytest.mark.parametrize("table", ["institutions", "prisoners", "professionals"])
def test_tables_match_codebook(twin, table):
    assert codebook_issues(twin.tables[table], table) == []


def test_codebook_check_can_fail(twin):
    bad = twin.prisoners.copy()
    bad.loc[0, "sat_probation"] = 7.0
    bad.loc[bad["has_children"] == 0, "visits_children"] = 1.0
    issues = codebook_issues(bad, "prisoners")
    assert any("sat_probation" in i for i in issues)
    assert any("visits_children: answered" in i for i in issues)


def test_routing_and_no_spurious_missing(twin):
    p = twin.prisoners
    for t in CB.professional_types:
        has = p[f"contact_{t}"] == 1
        for item in ("sat", "sat_freq", "sat_pleasant", "sat_useful"):
            assert p.loc[has, f"{item}_{t}"].notna().all()
            assert p.loc[~has, f"{item}_{t}"].isna().all()
    any_int = (p[[f"contact_{t}" for t in CB.internal_types]] == 1).any(axis=1)
    any_ext = (p[[f"contact_{t}" for t in CB.external_types]] == 1).any(axis=1)
    for d in CB.domains:
        assert p.loc[~any_int, f"instr_int_{d}"].isna().all()
        assert p.loc[~any_ext, f"instr_ext_{d}"].isna().all()
        got = p[f"instr_int_{d}"].notna() | p[f"instr_ext_{d}"].notna()
        assert (p[f"instr_{d}"].notna() == got).all()
        assert p[f"prep_{d}"].notna().all()
    # every un-routed survey variable is complete when no MissingSpec is given
    for v in CB["prisoners"]:
        if (
            v.asked_if is None
            and v.name not in ("weeks_to_release", "soon_released")
            and not v.name.startswith("instr_")
        ):
            assert p[v.name].notna().all(), v.name
    # remand: release date mostly unknown
    assert p.loc[p["regime"] == "HvB", "weeks_to_release"].isna().mean() > 0.7
    assert p.loc[p["regime"] != "HvB", "weeks_to_release"].isna().mean() < 0.15


def test_phase_and_soon_released_follow_derive(twin):
    from reintegratie_stats import derived_variables as derive

    p = twin.prisoners
    assert (derive.phase(p).fillna("NA") == p["phase"].fillna("NA")).all()
    pd.testing.assert_series_equal(derive.soon_released(p), p["soon_released"], check_names=False)


def test_same_seed_byte_identical_csv(tmp_path):
    a = write_twin(generate(seed=5, n_prisoners=800), tmp_path / "a")
    b = write_twin(generate(seed=5, n_prisoners=800), tmp_path / "b")
    c = write_twin(generate(seed=6, n_prisoners=800), tmp_path / "c")
    for key in ("institutions", "prisoners", "professionals", "truth"):
        assert a[key].read_bytes() == b[key].read_bytes(), key
    assert a["prisoners"].read_bytes() != c["prisoners"].read_bytes()
    assert a["professionals"].read_bytes() != c["professionals"].read_bytes()
    back = pd.read_csv(a["prisoners"])
    assert back.shape == (800, len(CB["prisoners"]))


def test_streams_are_independent_blocks():
    """Changing a family parameter leaves registration and contact untouched."""
    base = generate(seed=3, n_prisoners=600)
    other = generate(seed=3, n_prisoners=600, params=replace(SynthParams(), has_partner_rate=0.9))
    keep = ["regime", "age", "weeks_detained", *(f"contact_{t}" for t in CB.professional_types)]
    pd.testing.assert_frame_equal(base.prisoners[keep], other.prisoners[keep])
    assert not base.prisoners["has_partner"].equals(other.prisoners["has_partner"])


def test_preparedness_factor_changes_only_the_prep_items():
    """The factor strength lives in the preparedness stream: nothing else moves."""
    base = generate(seed=3, n_prisoners=600)
    other = generate(seed=3, n_prisoners=600, params=replace(SynthParams(), prep_factor_rho=0.6))
    prep = [f"prep_{d}" for d in CB.domains]
    keep = [c for c in base.prisoners.columns if c not in prep]
    pd.testing.assert_frame_equal(base.prisoners[keep], other.prisoners[keep])
    pd.testing.assert_frame_equal(base.institutions, other.institutions)
    pd.testing.assert_frame_equal(base.professionals, other.professionals)
    assert not base.prisoners[prep].equals(other.prisoners[prep])
    assert other.truth["preparedness"]["factor_rho"] == 0.6


def test_truth_is_json_and_complete(twin):
    truth = json.loads(json.dumps(twin.truth, allow_nan=False))
    ids = twin.institutions["institution_id"].tolist()
    for t in CB.professional_types:
        c = truth["contact"][t]
        assert list(c["beta"]) == list(CONTACT_TERMS)
        assert c["sigma_institution"] > 0
        assert list(truth["contact"]["institution_intercepts"][t]) == ids
    assert truth["contact"]["probation"]["eta_loading"] == 0.0
    for k in CB.facilitation_scores:
        assert list(truth["institutions"]["true_scores"][k]) == ids
    for d in CB.domains:
        assert "beta" in truth["preparedness"]["domains"][d]
        assert 0.0 < truth["needs"]["domains"][d]["implied_rate"] < 1.0
    assert truth["preparedness"]["n_clipped"] == 0
    assert truth["params"]["regime_shares"]["HvB"] == pytest.approx(0.35)


def test_contact_truth_reproduces_implied_rates(twin):
    """design @ beta + institution intercept, through the logistic link, is probation's
    true probability; its mean is the implied rate recorded in truth."""
    X = contact_design(twin.prisoners, twin.institutions, twin.professionals)
    c = twin.truth["contact"]["probation"]
    u = twin.prisoners["institution_id"].map(
        twin.truth["contact"]["institution_intercepts"]["probation"]
    )
    lp = X.to_numpy() @ np.array([c["beta"][t] for t in X.columns]) + u.to_numpy()
    assert np.mean(1 / (1 + np.exp(-lp))) == pytest.approx(c["implied_rate"], rel=1e-9)
    cov = institution_covariates(twin.institutions, twin.professionals)
    agg = twin.truth["institutions"]["aggregated_scores"]["facilitation"]
    np.testing.assert_allclose(cov["facilitation"].to_numpy(), list(agg.values()))


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


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_prisoners": 0}, "n_prisoners"),
        ({"n_institutions": 30, "n_professionals": 10}, "n_professionals"),
        ({"n_prisoners": 2.5}, "integer"),
    ],
)
def test_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate(**kwargs)


def test_small_and_odd_sizes():
    d = generate(seed=1, n_prisoners=40, n_institutions=3, n_professionals=3)
    assert d.institutions.shape[0] == 3 and d.prisoners.shape[0] == 40
    for t in ("institutions", "prisoners", "professionals"):
        assert codebook_issues(d.tables[t], t) == []
    big = generate(seed=1, n_prisoners=50, n_institutions=120, n_professionals=200)
    assert big.institutions["institution_id"].iloc[-1] == "PI120"
    assert big.institutions["name"].is_unique


def test_load_example_returns_copies():
    a = load_example()
    a.prisoners.loc[0, "age"] = -1.0
    assert load_example().prisoners.loc[0, "age"] != -1.0


def test_write_twin_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="fmt"):
        write_twin(generate(n_prisoners=20), tmp_path, fmt="xlsx")  # type: ignore[arg-type]


@pytest.mark.parametrize("table", ["institutions", "prisoners", "professionals"])
def test_tables_pass_the_validator(twin, table):
    from reintegratie_stats.validate import validate

    report = validate(twin.tables[table], table, institutions=twin.institutions)
    assert report.valid, report.to_summary()


def test_validator_passes_with_missing_data():
    from reintegratie_stats.validate import validate

    spec = MissingSpec(mcar={"sat_probation": 0.2, "visits_children": 0.1, "age": 0.05})
    d = generate(seed=4, n_prisoners=600, missing=spec)
    for table, df in d.tables.items():
        report = validate(df, table, institutions=d.institutions)
        assert report.valid, report.to_summary()


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


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"regime_shares": {"HvB": 1.0}}, "regime_shares must have the keys"),
        ({"need_rates": {d: 1.0 for d in CB.domains}}, "strictly between 0 and 1"),
        ({"contact_eta_loading": {t: 1.0 for t in CB.professional_types}}, "probation"),
        ({"female_share": 1.5}, "female_share"),
        ({"contact_institution_corr": 1.0}, "correlations"),
        ({"prep_factor_rho": 1.0}, "prep_factor_rho"),
        ({"prep_factor_rho": -0.1}, "prep_factor_rho"),
    ],
)
def test_bad_params_are_named(change, match):
    with pytest.raises(ValueError, match=match):
        replace(SynthParams(), **change)


def test_single_institution_and_uncalibrated():
    d = generate(seed=2, n_prisoners=30, n_institutions=1, n_professionals=1)
    assert set(d.prisoners["institution_id"]) == {"PI01"}
    raw = generate(seed=2, n_prisoners=500, params=replace(SynthParams(), contact_calibrate=False))
    beta = raw.truth["contact"]["probation"]["beta"]["Intercept"]
    assert beta == SynthParams().contact_beta["probation"]["Intercept"]
    assert raw.truth["contact"]["probation"]["intercept_calibrated"] is False
