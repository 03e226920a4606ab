"""Chapter-4 workflow: aggregation statistics, joins, model ladders, family extension, figures."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from multilevel_data import simulate_tables
from reintegratie_stats.figures.multilevel import caterpillar, odds_ratio_forest
from reintegratie_stats.multilevel import (
    aggregation_stats,
    facilitation_models,
    family_models,
    family_outcomes,
    institution_scores,
    join_scores,
)
from reintegratie_stats.schema import load_codebook

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def tables():
    return simulate_tables(2019)


def test_icc_matches_anova_f_for_balanced_groups():
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(12), 8)
    x = np.clip(np.rint(3.5 + rng.normal(0, 0.6, 12)[g] + rng.normal(0, 0.9, g.size)), 1, 5)
    df = pd.DataFrame({"institution_id": g.astype(str), "rating_reception": x})
    st = aggregation_stats(df, scores=["rating_reception"]).iloc[0]
    f = stats.f_oneway(*[x[g == k] for k in range(12)]).statistic
    assert st["icc1"] == pytest.approx((f - 1) / (f + 8 - 1), rel=1e-10)  # Bliese (2000)
    assert st["icc2"] == pytest.approx(1 - 1 / f, rel=1e-10)


def test_rwg_by_hand():
    # group A: ratings 4,4,5,5 -> s2 = 1/3 ; group B: 1,5,1,5 -> s2 = 16/3 -> r_wg 0 (truncated)
    df = pd.DataFrame(
        {"institution_id": list("AAAABBBB"), "rating_reception": [4, 4, 5, 5, 1, 5, 1, 5.0]}
    )
    st = aggregation_stats(df, scores=["rating_reception"]).iloc[0]
    assert st["rwg_mean"] == pytest.approx(((1 - (1 / 3) / 2) + 0.0) / 2)
    assert st["share_rwg_ge_70"] == pytest.approx(0.5)


def test_aggregation_stats_defaults_to_codebook_scores(tables):
    st = aggregation_stats(tables["professionals"])
    assert list(st["score"]) == list(load_codebook().facilitation_scores)
    assert (st["icc1"] > 0).all() and (st["icc2"] > st["icc1"]).all()
    with pytest.raises(ValueError, match="lacks column"):
        aggregation_stats(tables["professionals"].drop(columns="rating_information"))


def test_scores_and_join(tables):
    sc = institution_scores(tables["professionals"])
    assert len(sc) == 26 and "n_raters_rating_facilities" in sc
    prof = tables["professionals"]
    manual = prof[prof.institution_id == "PI03"]["rating_information"].mean()
    assert sc.set_index("institution_id").loc["PI03", "rating_information"] == pytest.approx(manual)
    j = join_scores(tables["prisoners"], sc)
    assert len(j) == len(tables["prisoners"])
    with pytest.raises(ValueError, match="without scores"):
        join_scores(tables["prisoners"], sc[sc.institution_id != "PI05"])
    p = tables["prisoners"]
    assert "rating_information" not in p.columns  # input never modified


def test_facilitation_ladder(tables):
    # nsim: few bootstrap replicates keep the test fast (the default is 1,000)
    res = facilitation_models(
        tables["prisoners"], tables["professionals"], types=["probation", "care"], nsim=99
    )
    t = res.table
    assert list(t["model"]) == ["null", "individual", "institutional"] * 2
    assert set(t["outcome"]) == {"contact_probation", "contact_care"}
    assert (t.groupby("outcome")["nobs"].nunique() == 1).all()  # same rows within an outcome
    assert (t["n_excluded"] > 0).all()  # the rows with missing age
    assert t["lrt_p_value"].isna().sum() == 2
    assert (t["llf"].diff()[t["model"] != "null"] >= -1e-6).all()  # nested: llf never drops
    e = res.estimates
    info = e[
        (e.outcome == "contact_probation")
        & (e.model == "institutional")
        & (e.term == "rating_information")
    ].iloc[0]
    assert info["odds_ratio"] > 1 and info["p_value"] < 0.05  # the planted effect
    # issue 12: institution scores carry the calibrated test, named; controls a Wald t
    assert info["test"] == "parametric bootstrap LRT (99)"
    ctrl = e[(e.model == "institutional") & (e.term == "age")].iloc[0]
    assert ctrl["test"].startswith("Wald t, between-within df (")
    inst = t[t["model"] == "institutional"]
    assert (inst["lrt_test"] == "parametric bootstrap LRT (99)").all()
    assert (t.loc[t["model"] == "individual", "lrt_test"] == "LRT chi-square").all()
    assert info["odds_ratio"] == pytest.approx(np.exp(info["estimate"]))
    assert res.aggregation is not None and len(res.aggregation) == 5
    null = res.models[("contact_probation", "null")]
    assert t.iloc[0]["icc"] == pytest.approx(null.icc)


def test_gatekept_term_test(tables):
    """term_test="gatekept": each institution score's p is max(block bootstrap p, Wald t p),
    the Wald t recomputed here from the statistic and its between-within df; controls keep
    their Wald t; the label names the gate."""
    res = facilitation_models(
        tables["prisoners"],
        tables["professionals"],
        types=["probation", "care"],
        term_test="gatekept",
        nsim=19,
    )
    scores = list(load_codebook().facilitation_scores)
    e, t = res.estimates, res.table
    for outcome in ("contact_probation", "contact_care"):
        row = t[(t["outcome"] == outcome) & (t["model"] == "institutional")].iloc[0]
        assert row["lrt_test"] == "parametric bootstrap LRT (19)"
        inst = e[(e["outcome"] == outcome) & (e["model"] == "institutional")]
        sc = inst[inst["term"].isin(scores)]
        wald = 2 * stats.t.sf(np.abs(sc["statistic"]), sc["df"])
        np.testing.assert_allclose(sc["p_value"], np.maximum(wald, row["lrt_p_value"]), rtol=1e-9)
        assert (sc["p_value"] >= row["lrt_p_value"]).all()
        assert (
            sc["test"].str.endswith("gatekept by the block (parametric bootstrap LRT (19))").all()
        )
        ctrl = inst[inst["term"] == "age"].iloc[0]
        assert ctrl["p_value"] == pytest.approx(2 * stats.t.sf(abs(ctrl["statistic"]), ctrl["df"]))
    with pytest.raises(ValueError, match="gatekept"):
        facilitation_models(tables["prisoners"], tables["professionals"], term_test="gate")


def test_bootstrap_t_term_test(tables):
    """term_test="bootstrap-t": each institution score's p comes from the block bootstrap's
    replicates (the block test is the gatekept run's, replicate for replicate), on the grid
    1/(B + 1); the planted effect is beyond every replicate; controls keep their Wald t."""
    kw = {"types": ["probation", "care"], "nsim": 19}
    res = facilitation_models(
        tables["prisoners"], tables["professionals"], term_test="bootstrap-t", **kw
    )
    gk = facilitation_models(
        tables["prisoners"], tables["professionals"], term_test="gatekept", **kw
    )
    scores = list(load_codebook().facilitation_scores)
    pd.testing.assert_frame_equal(res.table, gk.table)  # same block test, same replicates
    e = res.estimates
    inst = e[e["model"] == "institutional"]
    sc = inst[inst["term"].isin(scores)]
    assert len(sc) == 10
    assert (sc["test"] == "parametric bootstrap-t under the block null (19)").all()
    p = sc["p_value"].to_numpy(dtype=float)
    assert np.all((p > 0) & (p <= 1))
    np.testing.assert_allclose(p * 20, np.round(p * 20), atol=1e-9)
    info = sc[(sc["outcome"] == "contact_probation") & (sc["term"] == "rating_information")]
    assert info["p_value"].iloc[0] == pytest.approx(1 / 20)  # the planted effect
    # the Wald columns are those of the gatekept run; only p_value and test differ
    g = gk.estimates
    pd.testing.assert_frame_equal(
        e.drop(columns=["p_value", "test"]), g.drop(columns=["p_value", "test"])
    )
    ctrl = inst[~inst["term"].isin(scores)]
    pd.testing.assert_series_equal(ctrl["p_value"], g.loc[ctrl.index, "p_value"], check_names=False)
    again = facilitation_models(
        tables["prisoners"], tables["professionals"], term_test="bootstrap-t", **kw
    )
    pd.testing.assert_frame_equal(res.estimates, again.estimates)  # seed-deterministic
    with pytest.raises(ValueError, match="'bootstrap-t'"):
        facilitation_models(tables["prisoners"], tables["professionals"], term_test="boot-t")


def test_family_extension(tables):
    fo = family_outcomes(tables["prisoners"])
    assert fo["any_video_calls"].isin([0, 1]).all()
    res = family_models(
        tables["prisoners"], tables["institutions"], outcomes=("any_video_calls",), nsim=19
    )
    e = res.estimates
    vc = e[(e.model == "institutional") & (e.term == "video_calling")].iloc[0]
    assert vc["estimate"] > 0  # planted: video calling available -> more video calls
    parents = int((tables["prisoners"]["has_children"] == 1).sum())
    assert res.table["nobs"].iloc[0] + res.table["n_excluded"].iloc[0] == parents
    with pytest.raises(ValueError, match="has_children == 1"):
        family_models(tables["prisoners"].assign(has_children=0.0), tables["institutions"])
    with pytest.raises(ValueError, match="do not vary"):
        family_models(tables["prisoners"], tables["institutions"].assign(has_father_wing=1.0))


def test_figures(tables):
    res = facilitation_models(
        tables["prisoners"], tables["professionals"], types=["probation"], nsim=19
    )
    m = res.models[("contact_probation", "null")]
    fig = caterpillar(m, title="probation")
    assert len(fig.axes[0].get_yticklabels()) == 26
    fig2 = odds_ratio_forest(res.estimates[res.estimates.model == "institutional"], group="outcome")
    assert fig2.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="columns"):
        caterpillar(pd.DataFrame({"x": [1]}))


@pytest.mark.slow
def test_workflow_on_the_synthetic_twin():
    synth = pytest.importorskip("reintegratie_stats.synth")
    d = synth.load_example()
    res = facilitation_models(d.prisoners, d.professionals, nsim=19)
    t = res.table
    assert len(t) == 3 * len(load_codebook().external_types)
    assert (t.groupby("outcome")["nobs"].nunique() == 1).all()
    assert (t["llf"].diff()[t["model"] != "null"] >= -1e-6).all()
    assert t["nobs"].iloc[0] + t["n_excluded"].iloc[0] == len(d.prisoners)
    # professionals agree within institutions: ICC(2) high enough to aggregate
    assert (res.aggregation["icc2"] > 0.7).all()
    with pytest.warns(Warning):  # the twin has institutions without video calling: flagged
        fam = family_models(d.prisoners, d.institutions, nsim=19)
    assert set(fam.table["outcome"]) == {
        "any_visits_children",
        "any_video_calls",
        "parent_child_day",
    }


def test_the_bootstrap_tests_the_tables_lr_at_a_boundary_fit(monkeypatch):
    """Children's visits on the twin: the institution variance is 0 in both models. The
    bootstrap refits the small model from the big one's optimum; when a fitted SD of ~1e-14
    was kept as an estimate, that refit stayed at theta ~ 0 on a saddle 4.5 deviance units above
    the ladder's fit, and the block p-value was that of LR 23.4 instead of the table's 18.9."""
    import reintegratie_stats.multilevel.optimize as opt_module
    from reintegratie_stats.derived_variables import add_derived
    from reintegratie_stats.synth import load_example

    twin = load_example()
    prisoners = add_derived(twin.prisoners)

    def run():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = family_models(
                prisoners,
                twin.institutions,
                outcomes=("any_visits_children",),
                term_test="bootstrap-t",
                block_test="bootstrap",
                nsim=19,
            )
        return res, [str(w.message) for w in caught]

    res, messages = run()
    assert "LRMismatch" not in set(res.problems["error"])
    assert not any("bootstrap's null model" in m for m in messages)
    assert res.models[("any_visits_children", "institutional")].theta.iloc[0] == 0.0
    cmp = res.table.set_index("model")
    assert cmp.loc["institutional", "variance"] == 0.0
    # the guard itself: without the boundary rule the mismatch is caught and said
    monkeypatch.setattr(opt_module, "THETA_ZERO", 0.0)
    res, messages = run()
    assert "LRMismatch" in set(res.problems["error"])
    assert any("bootstrap's null model reached LR" in m for m in messages)
