"""synth.generate: shape, codebook validity, routing, determinism, sizes, truth."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import (
    CONTACT_TERMS,
    SynthParams,
    draw_family,
    generate,
    load_example,
    set_parameters,
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


@pytest.mark.parametrize("table", ["institutions", "prisoners", "professionals"])
def test_tables_pass_the_validator(twin, table):
    from reintegratie_stats.validate import validate

    report = validate(twin.tables[table], table, institutions=twin.institutions)
    assert report.valid, report.to_summary()


def test_single_institution_and_uncalibrated():
    d = generate(seed=2, n_prisoners=30, n_institutions=1, n_professionals=1)
    assert set(d.prisoners["institution_id"]) == {"PI01"}
    raw = generate(seed=2, n_prisoners=500, params=replace(SynthParams(), contact_calibrate=False))
    beta = raw.truth["contact"]["probation"]["beta"]["Intercept"]
    assert beta == SynthParams().contact_beta["probation"]["Intercept"]
    assert raw.truth["contact"]["probation"]["intercept_calibrated"] is False


# --- draw_family: only the blocks a family analysis needs --------------------------------
def test_draw_family_equals_generate():
    p = set_parameters({"family_room_visit_ratio": 1.7, "has_children_rate": 0.6})
    inst, pris = draw_family(seed=11, n_prisoners=900, n_institutions=9, params=p)
    full = generate(seed=11, n_prisoners=900, n_institutions=9, n_professionals=100, params=p)
    pd.testing.assert_frame_equal(inst, full.institutions)
    for c in pris.columns:
        a, b = pris[c].to_numpy(), full.prisoners[c].to_numpy()
        assert (pd.isna(a) == pd.isna(b)).all(), c
        assert (a[~pd.isna(a)] == b[~pd.isna(b)]).all(), c


def test_family_room_effect_is_the_rate_ratio_of_child_visits():
    # the new parameter does what its unit says: children's visits per month x ratio
    p = set_parameters({"family_room_visit_ratio": 2.0})
    _, pris = draw_family(seed=3, n_prisoners=40_000, n_institutions=40, params=p)
    inst, _ = draw_family(seed=3, n_prisoners=10, n_institutions=40, params=p)
    room = pris["institution_id"].map(inst.set_index("institution_id")["has_family_room"])
    friendly = pris["institution_id"].map(
        inst.set_index("institution_id")["has_child_friendly_visiting"]
    )
    v = pris["visits_children"]
    sel = friendly == 1
    ratio = v[sel & (room == 1)].mean() / v[sel & (room == 0)].mean()
    assert 1.8 < ratio < 2.2  # the cap at 31 visits is never reached at these means
