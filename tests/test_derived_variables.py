"""derived_variables: hand-computed values at every cut-point, and the rules read from the codebook.

A changed copy of data_schema/ (other cut-points, ``since`` removed) must change the results:
that shows the rules come from the YAML and not from numbers in the code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from reintegratie_stats import derived_variables as dv
from reintegratie_stats.schema import load_codebook

YAML_DIR = Path(__file__).resolve().parents[1] / "data_schema"
NA = np.nan


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def _changed_codebook(tmp_path: Path, edit) -> object:
    d = tmp_path / "schema"
    shutil.copytree(YAML_DIR, d)
    concepts = yaml.safe_load((d / "concepts.yaml").read_text(encoding="utf-8"))
    edit(concepts)
    (d / "concepts.yaml").write_text(
        yaml.safe_dump(concepts, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return load_codebook(d)


def _na(s: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in s]


def test_phase_at_the_cut_points_by_hand(cb):
    df = pd.DataFrame(
        {
            "weeks_detained": [5.99, 6.0, 6.0, 2.0, 30.0, NA, 30.0],
            "weeks_to_release": [40.0, 13.0, 13.01, 5.0, NA, 5.0, 0.0],
        }
    )
    assert _na(dv.phase(df, cb)) == [
        "first_6_weeks",  # < 6
        "last_3_months",  # <= 13 before release
        "middle",
        "first_6_weeks",  # the first six weeks take precedence
        "middle",  # release date unknown
        None,  # weeks detained unknown
        "last_3_months",
    ]
    no_release = df[["weeks_detained"]]
    assert _na(dv.phase(no_release, cb))[:3] == ["first_6_weeks", "middle", "middle"]


def test_soon_released_by_hand(cb):
    df = pd.DataFrame({"weeks_to_release": [0.0, 13.0, 13.5, NA]})
    assert _na(dv.soon_released(df, cb)) == [1.0, 1.0, 0.0, None]


def test_phase_cut_points_come_from_the_codebook(tmp_path):
    cb2 = _changed_codebook(
        tmp_path, lambda c: c.update(phase_cut_points={"first_weeks": 4, "last_weeks": 8})
    )
    df = pd.DataFrame({"weeks_detained": [5.0, 20.0, 20.0], "weeks_to_release": [40.0, 10.0, 8.0]})
    assert dv.phase(df, cb2).tolist() == ["middle", "middle", "last_3_months"]
    assert dv.phase(df).tolist() == ["first_6_weeks", "last_3_months", "last_3_months"]
    assert dv.soon_released(df, cb2).tolist() == [0.0, 0.0, 1.0]


def test_detention_length_band_edges_by_hand(cb):
    wd = [0.0, 5.99, 6.0, 12.99, 13.0, 26.0, 51.9, 52.0, 900.0, NA]
    got = _na(dv.detention_length_band(pd.DataFrame({"weeks_detained": wd}), cb))
    assert got == [
        "lt_6w",
        "lt_6w",
        "6w_3m",
        "6w_3m",
        "3m_6m",
        "6m_1y",
        "6m_1y",
        "ge_1y",
        "ge_1y",
        None,
    ]


def _needs(rows: list[list[float]], domains) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f"need_{d}" for d in domains])


def test_n_needs_counts_the_basic_domains_only(cb):
    # columns: work_income, housing, finances, health, id, social_network
    df = _needs(
        [[1, 1, 0, 0, 0, 1], [0, 0, 0, 0, 0, 1], [1, NA, 0, 0, 0, 0], [1, 1, 1, 1, 1, NA]],
        cb.domains,
    )
    assert _na(dv.n_needs(df, cb)) == [2.0, 0.0, None, 5.0]
    assert _na(dv.n_needs(df, cb, domains=("work_income", "social_network"))) == [
        2.0,
        1.0,
        1.0,
        None,
    ]
    assert _na(dv.complex_needs(df, cb)) == [1.0, 0.0, None, 1.0]


def test_basic_domains_follow_since_in_the_codebook(tmp_path):
    # without its ``since: 2019`` social_network becomes a basic domain and is counted
    cb2 = _changed_codebook(tmp_path, lambda c: c["domains"]["social_network"].pop("since"))
    assert cb2.domains == load_codebook().domains
    df = _needs([[1, 1, 0, 0, 0, 1]], cb2.domains)
    assert dv.n_needs(df, cb2).tolist() == [3.0]
    assert dv.n_needs(df).tolist() == [2.0]


def test_complex_needs_threshold(cb):
    df = pd.DataFrame({"n_needs": [0.0, 1.0, 2.0, 5.0, NA]})
    assert _na(dv.complex_needs(df, cb)) == [0.0, 0.0, 1.0, 1.0, None]
    assert f"n_needs >= {dv.COMPLEX_NEEDS_MIN}" in cb["prisoners"]["complex_needs"].derivation
    assert f"{dv.COMPLEX_NEEDS_MIN} or more" in cb["prisoners"]["complex_needs"].label("en")


def test_any_contact_by_hand(cb):
    cols = [f"contact_{t}" for t in cb.professional_types]
    rows = [[0, 0, 0, 0, 0, 1], [0] * 6, [NA, 0, 0, 0, 0, 1], [NA, 0, 0, 0, 0, 0]]
    df = pd.DataFrame(rows, columns=cols)
    assert _na(dv.any_contact(df, cb)) == [1.0, 0.0, 1.0, None]
    assert _na(dv.any_contact(df, cb, types=("casemanager", "mentor"))) == [0.0, 0.0, None, None]


def _full_frame(cb) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame(
        {
            "weeks_detained": rng.uniform(0, 80, n),
            "weeks_to_release": rng.uniform(0, 60, n),
        }
    )
    for d in cb.domains:
        df[f"need_{d}"] = rng.binomial(1, 0.3, n).astype(float)
    for t in cb.professional_types:
        df[f"contact_{t}"] = rng.binomial(1, 0.4, n).astype(float)
    return df


def test_add_derived_computes_exactly_the_codebook_derivations(cb):
    df = _full_frame(cb)
    before = df.copy()
    out = dv.add_derived(df, cb)
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    added = set(out.columns) - set(df.columns)
    assert added == set(cb.derivable)
    assert cb.derivable == (
        "phase",
        "soon_released",
        "detention_length_band",
        "n_needs",
        "complex_needs",
        "any_contact",
    )
    for name in cb.derivable:
        assert cb["prisoners"][name].source == "derived"
    # each column equals its function on the same frame
    assert out["phase"].equals(dv.phase(df, cb))
    assert out["n_needs"].equals(dv.n_needs(df, cb))


def test_add_derived_keeps_given_phase_and_skips_what_it_cannot_compute(cb):
    df = pd.DataFrame({"weeks_detained": [1.0, 30.0], "phase": ["middle", "middle"]})
    out = dv.add_derived(df, cb)
    assert out["phase"].tolist() == ["middle", "middle"]
    assert "n_needs" not in out and "any_contact" not in out and "soon_released" not in out
    assert out["detention_length_band"].tolist() == ["lt_6w", "6m_1y"]
