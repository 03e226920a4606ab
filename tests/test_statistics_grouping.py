"""statistics.grouping: the tidy-frame plumbing, checked on small frames written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.statistics import grouping as G

NA = np.nan


@pytest.fixture(scope="module")
def cb():
    return load_codebook()


def test_as_list():
    assert G.as_list(None) == [] and G.as_list("a") == ["a"] and G.as_list(("a", "b")) == ["a", "b"]


def test_prepare_adds_derivable_columns_and_never_mutates(cb):
    df = pd.DataFrame({"weeks_detained": [1.0, 30.0]}, index=[7, 7])  # duplicate labels
    out = G.prepare(df, ["detention_length_band"], cb)
    assert out["detention_length_band"].tolist() == ["lt_6w", "6m_1y"]
    assert list(out.index) == [0, 1] and "detention_length_band" not in df
    with pytest.raises(ValueError, match=r"column\(s\) not in the data frame: \['regime'\]"):
        G.prepare(df, ["regime"], cb)
    with pytest.raises(TypeError, match="expected a pandas DataFrame, got list"):
        G.prepare([1, 2], ["x"], cb)


def test_binary_numeric_and_weights_name_the_bad_column_and_values():
    df = pd.DataFrame({"b": [0, 1, 2], "t": ["1", "x", None], "w": [1.0, -1.0, 2.0]})
    with pytest.raises(ValueError, match=r"column 'b' must be 0/1 .*\['2'\]"):
        G.binary(df, "b")
    with pytest.raises(ValueError, match=r"column 't' must be numeric; found \['x'\]"):
        G.numeric(df, "t")
    with pytest.raises(ValueError, match="weight column 'w' has negative values"):
        G.weights(df, "w")
    with pytest.raises(ValueError, match="weight column 'zz' not in the data frame"):
        G.weights(df, "zz")
    assert G.weights(df, None) is None
    assert G.binary(df.iloc[:2], "b").tolist() == [0.0, 1.0]


def test_usable_weight():
    idx = pd.Index([0, 1, 2, 3])
    w = pd.Series([1.0, 0.0, NA, 2.0], index=idx)
    assert G.usable_weight(w, idx).tolist() == [True, False, False, True]
    assert G.usable_weight(None, idx).all()


def test_among_keeps_the_ones_and_counts_the_rest():
    df = pd.DataFrame({"p": [1.0, 0.0, NA, 1.0]})
    excluded: dict[str, int] = {}
    out = G.among(df, "p", excluded)
    assert list(out.index) == [0, 3] and excluded == {"p not 1": 2}
    assert G.among(df, None, excluded) is df
    with pytest.raises(ValueError, match="'among' column 'q' not in the data frame"):
        G.among(df, "q", excluded)


def test_level_order_follows_the_codebook(cb):
    assert G.level_order("regime", ["PPC", "HvB", "ZZZ", "GBM"], cb) == ["HvB", "GBM", "PPC", "ZZZ"]
    assert G.level_order("phase", ["middle", "last_3_months", "first_6_weeks"], cb) == [
        "first_6_weeks",
        "middle",
        "last_3_months",
    ]
    assert G.level_order("detention_length_band", ["ge_1y", "lt_6w"], cb) == ["lt_6w", "ge_1y"]
    # a coded prisoners variable: numeric codes stored as float match the integer codebook codes
    assert G.level_order("contact_mentor", [1.0, 0.0], cb) == [0.0, 1.0]
    assert G.level_order("other", ["b", "a"], cb) == ["a", "b"]


def test_groups_in_codebook_order_with_missing_keys_counted(cb):
    df = pd.DataFrame({"regime": ["GBM", "HvB", None, "GBM"], "x": [1, 2, 3, 4]})
    excluded: dict[str, int] = {}
    got = [(k, sub["x"].tolist()) for k, sub in G.groups(df, ["regime"], cb, excluded)]
    assert got == [({"regime": "HvB"}, [2]), ({"regime": "GBM"}, [1, 4])]
    assert excluded == {"regime missing": 1}
    assert [k for k, _ in G.groups(df, [], cb, {})] == [{}]


def test_finish_sets_the_documented_attrs():
    out = G.finish([{"a": 1, "b": 2}], ["b", "a"], 10, {"x missing": 3}, weighted=True)
    assert list(out.columns) == ["b", "a"]
    assert out.attrs == {"n_rows": 10, "n_excluded": {"x missing": 3}, "weighted": True}


def test_applicable_follows_asked_if(cb):
    # sat_mentor is asked if contact_mentor == 1; an answer counts as asked; an unknown
    # routing variable without an answer counts as asked (so as missing, not as routed past)
    df = pd.DataFrame({"contact_mentor": [1.0, 0.0, 0.0, NA], "sat_mentor": [4.0, NA, 3.0, NA]})
    assert G.applicable(df, "sat_mentor", cb).tolist() == [True, False, True, True]
    assert G.applicable(df, "contact_mentor", cb).all()  # not routed
    assert G.applicable(df.drop(columns="contact_mentor"), "sat_mentor", cb).all()


def test_professional_types_selection(cb):
    assert G.professional_types(None, cb) == list(cb.professional_types)
    assert G.professional_types(["care"], cb) == ["care"]
    with pytest.raises(ValueError, match=r"unknown professional type\(s\) \['doctor'\]"):
        G.professional_types(["doctor"], cb)
