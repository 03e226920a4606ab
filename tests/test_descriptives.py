"""descriptives: counts by hand, intervals vs statsmodels, missing values reported, codebook lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import proportion_confint

from _frames import CB, simulate_prisoners
from reintegratie_stats import derive
from reintegratie_stats.descriptives import (
    contact_rates,
    cooccurrence,
    distribution,
    family_contact_rates,
    policy_norm_gap,
    satisfaction,
    satisfaction_distribution,
)


@pytest.fixture(scope="module")
def df():
    return simulate_prisoners(1500, seed=11, missing=0.03)


def test_contact_rates_counts_rates_and_wilson(df):
    res = contact_rates(df, by="regime")
    assert list(res.columns) == [
        "regime",
        "type",
        "n",
        "n_missing",
        "n_contact",
        "rate",
        "ci_low",
        "ci_high",
        "effective_n",
        "ci_method",
    ]
    # codebook order, all six types per regime
    assert list(dict.fromkeys(res["regime"])) == [
        r for r in CB.regimes if r in set(df["regime"].dropna())
    ]
    assert list(res["type"][:6]) == list(CB.professional_types)
    row = res[(res["regime"] == "EZV") & (res["type"] == "care")].iloc[0]
    sub = df[df["regime"] == "EZV"]["contact_care"]
    assert row["n"] == sub.notna().sum() and row["n_missing"] == sub.isna().sum()
    assert row["n_contact"] == (sub == 1).sum() and row["rate"] == pytest.approx(sub.mean())
    lo, hi = proportion_confint(row["n_contact"], row["n"], method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))
    # rows without a regime are reported, not lost
    assert res.attrs["n_excluded"] == {"regime missing": int(df["regime"].isna().sum())}
    assert res.attrs["n_rows"] == len(df)
    per_type = res.groupby("type")[["n", "n_missing"]].sum().sum(axis=1)
    assert (per_type + df["regime"].isna().sum() == len(df)).all()


def test_contact_rates_clopper_pearson_and_derived_grouping(df):
    res = contact_rates(df, by="phase", method="clopper-pearson")
    assert list(res["phase"].unique()) == list(CB.phases)  # derived from weeks, codebook order
    ph = derive.phase(df)
    r = res[(res["phase"] == "first_6_weeks") & (res["type"] == "mentor")].iloc[0]
    sub = df.loc[ph == "first_6_weeks", "contact_mentor"]
    assert r["n_contact"] == sub.sum()
    lo, hi = proportion_confint(r["n_contact"], r["n"], method="beta")
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi))
    res2 = contact_rates(df, by="detention_length_band", types=["probation"])
    assert list(res2["detention_length_band"]) == [
        b["code"]
        for b in CB.detention_length_bands
        if b["code"] in set(derive.detention_length_band(df))
    ]


def test_contact_rates_weighted(df):
    res = contact_rates(df, weight="weight", types=["probation"], weights_method="kish")
    r = res.iloc[0]
    assert r["rate"] == pytest.approx(np.average(df["contact_probation"], weights=df["weight"]))
    w = df["weight"]
    assert r["effective_n"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert r["ci_method"] == "wilson (Kish effective n)" and res.attrs["weighted"]
    lin = contact_rates(
        df, weight="weight", types=["probation"], method="linearization", cluster="institution_id"
    )
    assert lin["rate"].iloc[0] == pytest.approx(r["rate"])
    assert lin["ci_method"].iloc[0] == "logit (design-based, clusters: institution_id)"
    # weighted default: design-based with institutions as clusters (tests/test_design_based.py)
    dflt = contact_rates(df, weight="weight", types=["probation"])
    assert dflt["ci_method"].iloc[0] == lin["ci_method"].iloc[0]
    # missing weights are counted as missing
    d2 = df.copy()
    d2.loc[:9, "weight"] = np.nan
    assert contact_rates(d2, weight="weight", types=["probation"])["n_missing"].iloc[0] == 10


def test_among_restricts_and_reports(df):
    res = contact_rates(df, among="has_children", types=["care"])
    kids = df[df["has_children"] == 1]
    assert res["n"].iloc[0] + res["n_missing"].iloc[0] == len(kids)
    assert res.attrs["n_excluded"] == {"has_children not 1": int((df["has_children"] != 1).sum())}


def test_bad_input_errors_name_the_problem(df):
    d2 = df.copy()
    d2.loc[0, "contact_care"] = 2.0
    with pytest.raises(ValueError, match="contact_care"):
        contact_rates(d2)
    with pytest.raises(ValueError, match="contact_mentor"):
        contact_rates(df.drop(columns="contact_mentor"))
    with pytest.raises(ValueError, match="unknown professional type"):
        contact_rates(df, types=["priest"])
    with pytest.raises(TypeError):
        contact_rates(df.to_dict())
    with pytest.raises(ValueError, match="weight"):
        contact_rates(df.assign(weight=-1.0), weight="weight")


def test_input_not_modified(df):
    before = df.copy()
    contact_rates(df, by="phase")
    policy_norm_gap(df, by="regime")
    family_contact_rates(df, by="phase")
    pd.testing.assert_frame_equal(df, before)


def test_policy_norm_gap_rules():
    d = pd.DataFrame({f"contact_{t}": [1.0, 1.0, 0.0, 1.0, np.nan] for t in CB.professional_types})
    d["contact_municipality"] = [1.0, 0.0, np.nan, np.nan, 1.0]
    res = policy_norm_gap(d)
    assert list(res["norm"]) == [nm["id"] for nm in CB.policy_norms]
    dr = res.set_index("norm").loc["dr_plan"]
    # met: row 0; not met: row 1 (municipality 0), row 2 (probation 0); missing: rows 3 and 4
    assert (dr["n"], dr["n_missing"], dr["n_met"]) == (3, 2, 1)
    assert dr["rate"] == pytest.approx(1 / 3) and dr["gap"] == pytest.approx(2 / 3)


def test_satisfaction_base_is_contact(df):
    res = satisfaction(df, types=["probation", "care"])
    assert list(res["item"].unique()) == ["sat"]  # only items present in the frame
    r = res.set_index("type").loc["probation"]
    contact = df["contact_probation"] == 1
    assert r["n"] == df.loc[contact, "sat_probation"].notna().sum()
    assert r["n_not_applicable"] == (~contact).sum()
    assert r["mean"] == pytest.approx(df.loc[contact, "sat_probation"].mean())
    assert r["sd"] == pytest.approx(df.loc[contact, "sat_probation"].std())
    assert r["share_satisfied"] == pytest.approx((df.loc[contact, "sat_probation"] >= 4).mean())
    with pytest.raises(ValueError, match="sat_useful_care"):
        satisfaction(df, types=["care"], items=["sat_useful"])


def test_satisfaction_distribution_shares(df):
    res = satisfaction_distribution(df, types=["mentor", "volunteer"])
    assert list(res[res["type"] == "mentor"]["value"]) == [1, 2, 3, 4, 5]
    assert res.groupby("type")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    m = res[res["type"] == "mentor"]
    counts = df.loc[df["contact_mentor"] == 1, "sat_mentor"].value_counts()
    assert list(m["n_value"]) == [int(counts.get(v, 0)) for v in [1.0, 2.0, 3.0, 4.0, 5.0]]
    two = satisfaction_distribution(
        df.assign(sat_freq_mentor=df["sat_mentor"]), types=["mentor"], items=["sat", "sat_freq"]
    )
    assert len(two) == 10
    assert two.attrs["n_excluded"] == {
        "contact_mentor not 1": int((df["contact_mentor"] != 1).sum())
    }


def test_cooccurrence_phi_and_or(df):
    res = cooccurrence(df)
    k = len(CB.professional_types)
    assert len(res) == k * (k - 1) // 2
    r = res[(res["type_a"] == "probation") & (res["type_b"] == "care")].iloc[0]
    ok = df["contact_probation"].notna() & df["contact_care"].notna()
    a, b = df.loc[ok, "contact_probation"], df.loc[ok, "contact_care"]
    assert r["phi"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    t = Table2x2(np.array([[r["n_both"], r["n_a_only"]], [r["n_b_only"], r["n_neither"]]], float))
    assert r["odds_ratio"] == pytest.approx(t.oddsratio)
    assert r["n"] == ok.sum() and r["n_missing"] == (~ok).sum()


def test_family_contact_rates_measures_and_routing(df):
    res = family_contact_rates(df)
    assert list(res["variable"]) == [m for m in CB.family_contact if m in df.columns]
    assert set(res.attrs["skipped"]) == {m for m in CB.family_contact if m not in df.columns}
    vp = res.set_index("variable").loc["visits_partner"]
    partner = df["has_partner"] == 1
    assert vp["measure"] == "share_gt0_and_mean"
    assert vp["n"] == partner.sum() and vp["n_not_applicable"] == (~partner).sum()
    assert vp["rate"] == pytest.approx((df.loc[partner, "visits_partner"] > 0).mean())
    assert vp["mean_count"] == pytest.approx(df.loc[partner, "visits_partner"].mean())
    pcd = res.set_index("variable").loc["parent_child_day"]
    assert pcd["measure"] == "share" and pcd["n"] == (df["has_children"] == 1).sum()
    assert res.set_index("variable").loc["family_approach_shell", "measure"] == "share_gt0"
    vf = res.set_index("variable").loc["visits_family"]
    assert vf["n_missing"] == df["visits_family"].isna().sum()
    with pytest.raises(ValueError, match="letters_month"):
        family_contact_rates(df, measures=["letters_month"])


def test_family_contact_rates_by_regime_among_parents(df):
    res = family_contact_rates(df, by="regime", among="has_children")
    assert set(res["regime"]) <= set(CB.regimes)
    vc = res[(res["regime"] == "GBM") & (res["variable"] == "visits_children")].iloc[0]
    sub = df[(df["regime"] == "GBM") & (df["has_children"] == 1)]["visits_children"]
    assert vc["n"] == sub.notna().sum() and vc["n_any"] == (sub > 0).sum()


def test_family_approach_shell_distribution(df):
    res = distribution(df, "family_approach_shell", by="regime")
    first = res[res["regime"] == "HvB"]
    assert list(first["value"]) == [0, 1, 2, 3]
    assert first["share"].sum() == pytest.approx(1.0)
    assert first["n_value"].sum() == first["n"].iloc[0]


def test_combined_contact_rows(df):
    res = contact_rates(df, combined=True).set_index("type")
    assert list(res.index[-4:]) == ["any_internal", "any_external", "any_contact", "no_contact"]
    d = derive.add_derived(df)
    assert res.loc["any_contact", "rate"] == pytest.approx(d["any_contact"].mean())
    assert res.loc["no_contact", "n_contact"] == (d["any_contact"] == 0).sum()
    assert res.loc["no_contact", "n_missing"] == d["any_contact"].isna().sum()
    internal = df[[f"contact_{t}" for t in CB.internal_types]]
    assert res.loc["any_internal", "n_contact"] == (internal == 1).any(axis=1).sum()
    from reintegratie_stats.reporting.tables import format_table

    labels = format_table(res.reset_index(), lang="nl")["Professional"].tolist()
    assert labels[-2:] == [
        "Een van de zes typen professionals",
        "Geen contact met een van de zes typen professionals",
    ]
