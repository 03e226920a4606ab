"""bivariate: cross-tables by hand, tests vs scipy/statsmodels, adjustment vs multipletests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests

from _frames import CB, simulate_prisoners
from reintegratie_stats import derived_variables as derive
from reintegratie_stats.bivariate import (
    contact_by_phase,
    crosstab_tests,
    family_by_children,
    family_by_needs,
    needs_vs_contact,
    no_contact_by_n_needs,
    no_contact_by_need,
)


@pytest.fixture(scope="module")
def df():
    return simulate_prisoners(2000, seed=21, missing=0.02)


def _table(d, x, y):
    ok = d[x].notna() & d[y].notna()
    a, b = d.loc[ok, x], d.loc[ok, y]
    return np.array(
        [
            [((a == 1) & (b == 1)).sum(), ((a == 1) & (b == 0)).sum()],
            [((a == 0) & (b == 1)).sum(), ((a == 0) & (b == 0)).sum()],
        ],
        float,
    )


def test_needs_vs_contact_against_scipy_and_statsmodels(df):
    res = needs_vs_contact(df)
    assert len(res) == len(CB.domains) * len(CB.professional_types)
    assert list(res.columns[:5]) == ["need", "type", "matched", "n", "n_missing"]
    r = res[(res["need"] == "health") & (res["type"] == "care")].iloc[0]
    t = _table(df, "need_health", "contact_care")
    assert [
        r["n_exposed_outcome"],
        r["n_exposed_no_outcome"],
        r["n_unexposed_outcome"],
        r["n_unexposed_no_outcome"],
    ] == t.ravel().tolist()
    assert r["n"] == t.sum() and r["n"] + r["n_missing"] == len(df)
    assert r["rate_exposed"] == pytest.approx(t[0, 0] / t[0].sum())
    chi2, p, dof, _ = stats.chi2_contingency(t, correction=False)
    assert r["test"] == "chi2" and (r["statistic"], r["p_value"]) == pytest.approx((chi2, p))
    tt = Table2x2(t)
    assert (r["odds_ratio"], r["ci_low"], r["ci_high"]) == pytest.approx(
        (tt.oddsratio, *tt.oddsratio_confint())
    )
    assert r["cramers_v"] == pytest.approx(np.sqrt(chi2 / t.sum()))
    assert (
        r["matched"]
        and not res[(res["need"] == "health") & (res["type"] == "mentor")]["matched"].iloc[0]
    )
    assert (
        res["matched"]
        == [n in CB.matched_needs(ty) for n, ty in zip(res["need"], res["type"], strict=True)]
    ).all()


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_p_adjustment_over_the_table(df, method):
    res = needs_vs_contact(df, p_adjust=method)
    assert res["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(res["p_value"], method=method)[1]
    )
    assert (res["p_adjust_method"] == method).all()


def test_yates_option_matches_scipy_default(df):
    res = needs_vs_contact(df, needs=["housing"], types=["municipality"], correction=True)
    t = _table(df, "need_housing", "contact_municipality")
    chi2, p, _, _ = stats.chi2_contingency(t)  # scipy applies Yates to 2x2 by default
    assert res["test"].iloc[0] == "chi2 (Yates)" and res["p_value"].iloc[0] == pytest.approx(p)


def test_fisher_and_haldane_on_small_cells():
    d = pd.DataFrame(
        {"need_health": [1.0] * 6 + [0.0] * 30, "contact_care": [1.0] * 6 + [0.0] * 20 + [1.0] * 10}
    )
    r = crosstab_tests(d, ["need_health"], ["contact_care"]).iloc[0]
    assert r["test"] == "fisher" and r["or_correction"] == "haldane"
    assert r["p_value"] == pytest.approx(stats.fisher_exact([[6, 0], [10, 20]])[1])
    assert r["odds_ratio"] == pytest.approx((6.5 * 20.5) / (0.5 * 10.5))
    assert np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"])


def test_weighted_with_unit_weights_equals_unweighted(df):
    a = needs_vs_contact(df, needs=["id"])
    b = needs_vs_contact(
        df.assign(weight=1.0), needs=["id"], weight="weight", weights_method="kish"
    )
    for c in ("odds_ratio", "ci_low", "ci_high", "p_value", "rate_exposed"):
        assert b[c].to_numpy() == pytest.approx(a[c].to_numpy())
    assert b["test"].str.endswith("(weighted, Kish-rescaled)").all()
    bw = needs_vs_contact(df, needs=["id"], types=["mentor"], weight="weight").iloc[0]
    ok = df["need_id"].notna() & df["contact_mentor"].notna()
    sel = ok & (df["need_id"] == 1)
    assert bw["rate_exposed"] == pytest.approx(
        np.average(df.loc[sel, "contact_mentor"], weights=df.loc[sel, "weight"])
    )


def test_no_contact_by_need_and_by_number_of_needs(df):
    res = no_contact_by_need(df)
    assert list(res["need"]) == [*CB.domains, "complex_needs"]
    d = derive.add_derived(df)
    no = 1 - d["any_contact"]
    r = res.set_index("need").loc["health"]
    ok = d["need_health"].notna() & no.notna()
    assert r["n_exposed_outcome"] == ((d["need_health"] == 1) & (no == 1) & ok).sum()
    by_n = no_contact_by_n_needs(df)
    assert list(by_n["needs_group"]) == ["0", "1", "2+"]
    grp = np.where(d["n_needs"] >= 2, "2+", np.where(d["n_needs"] == 1, "1", "0"))
    ok = d["n_needs"].notna() & no.notna()
    tab = pd.crosstab(grp[ok], no[ok]).loc[["0", "1", "2+"], [1.0, 0.0]].to_numpy()
    assert list(by_n["n_no_contact"]) == tab[:, 0].tolist()
    chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
    assert by_n["statistic"].iloc[0] == pytest.approx(chi2) and by_n["p_value"].iloc[
        0
    ] == pytest.approx(p)
    assert by_n.attrs["n_excluded"] == {"needs_group missing": int(d["n_needs"].isna().sum())}


def test_contact_by_phase_tests(df):
    res = contact_by_phase(df)
    assert len(res) == len(CB.professional_types) * len(CB.phases)
    assert list(res["phase"][:3]) == list(CB.phases)
    ph = derive.phase(df)
    sub = res[res["type"] == "probation"]
    tab = pd.crosstab(ph, df["contact_probation"]).loc[list(CB.phases), [1.0, 0.0]].to_numpy()
    chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
    assert (
        sub["statistic"].to_numpy() == pytest.approx(np.full(3, chi2)) and sub["dof"].iloc[0] == 2
    )
    assert sub["p_value"].iloc[0] == pytest.approx(p)
    per_type = res.drop_duplicates("type")
    assert per_type["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(per_type["p_value"], method="holm")[1]
    )


def test_family_cross_tables(df):
    res = family_by_children(df)
    assert "visits_children" not in set(res["outcome"]) and "parent_child_day" not in set(
        res["outcome"]
    )
    assert any("visits_children" in s for s in res.attrs["skipped"])
    vp = res.set_index("outcome").loc["visits_partner"]
    assert vp["n_not_applicable"] == (df["has_partner"] != 1).sum() and vp["measure"] == "share_gt0"
    t = _table(
        df.assign(vf=(df["visits_family"] > 0).astype(float).where(df["visits_family"].notna())),
        "has_children",
        "vf",
    )
    vf = res.set_index("outcome").loc["visits_family"]
    assert vf["n_exposed_outcome"] == t[0, 0] and vf["p_value"] == pytest.approx(
        stats.chi2_contingency(t, correction=False)[1]
    )
    fn = family_by_needs(df, among="has_children")
    assert set(fn["predictor"]) == {f"need_{d}" for d in CB.domains}
    assert fn.attrs["n_excluded"] == {"has_children not 1": int((df["has_children"] != 1).sum())}


def test_directions_in_the_test_dgp():
    # The frame simulator builds in the SPEC §2 directions; a large sample must show them.
    d = simulate_prisoners(6000, seed=3)
    res = needs_vs_contact(d).set_index(["need", "type"])
    for need in ("work_income", "housing", "health"):
        for t in CB.internal_types:
            assert res.loc[(need, t), "odds_ratio"] < 1
    for t in CB.external_types:
        for need in CB.matched_needs(t):
            assert res.loc[(need, t), "odds_ratio"] > 1 and res.loc[(need, t), "p_adjusted"] < 0.05
    ph = contact_by_phase(d)
    for t in CB.professional_types:
        rates = ph[ph["type"] == t].set_index("phase")["rate"]
        assert rates.idxmin() == "first_6_weeks"


def test_bad_input():
    d = pd.DataFrame({"need_health": [1.0, 3.0], "contact_care": [0.0, 1.0]})
    with pytest.raises(ValueError, match="need_health"):
        crosstab_tests(d, ["need_health"], ["contact_care"])
    with pytest.raises(ValueError, match="unknown need"):
        needs_vs_contact(simulate_prisoners(50), needs=["happiness"])
    with pytest.raises(ValueError, match="p_adjust"):
        needs_vs_contact(simulate_prisoners(50), p_adjust="tukey")


def test_monte_carlo_exact_test_is_seeded_by_the_caller():
    # a 3 x 2 table with an expected count below 5: Fisher-Freeman-Halton by Monte Carlo
    df = pd.DataFrame(
        {
            "g": ["a"] * 30 + ["b"] * 30 + ["c"] * 6,
            "y": [1.0] * 10 + [0.0] * 20 + [1.0] * 18 + [0.0] * 12 + [1.0] * 5 + [0.0],
        }
    )
    from reintegratie_stats.bivariate import group_comparison

    def p(seed):
        r = group_comparison(df, ["y"], "g", seed=seed)
        assert r["test"].iloc[0] == "fisher-freeman-halton (monte carlo)"
        return float(r["p_value"].iloc[0])

    assert p(7) == p(7)
    assert p(7) != p(8)  # the resamples follow the seed (4,999 tables: p differs in its digits)
