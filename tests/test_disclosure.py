"""disclosure: column kinds from the codebook, small categories merged, secondary suppression
with its audit, and a 6-institution report whose model comparison is published (issue 14)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from reintegratie_stats import disclosure as D
from reintegratie_stats.schema import load_codebook

ROOT = load_codebook().path


def test_kinds_are_read_from_the_codebook():
    raw = yaml.safe_load((ROOT / "result_columns.yaml").read_text(encoding="utf-8"))
    kinds = raw["disclosure"]["kinds"]
    for kind, names in kinds.items():
        for name in names:
            probe = name[:-1] + "x" if name.endswith("*") else name
            assert D.column_kind(probe) == kind, name
    assert D.column_kind("n_undeclared_people") == "persons"  # the safe side
    assert D.column_kind("mean") == "statistic"


def test_every_column_of_the_reference_report_is_declared_or_a_statistic():
    # a count of people that the codebook does not declare would only be safe by accident
    tables = ROOT.parent / "reports" / "synthetic" / "tables"
    cols = {c for f in tables.glob("*.csv") for c in pd.read_csv(f, nrows=0).columns}
    undeclared = sorted(c for c in cols if D._looks_like_count(c) and D._declared_kind(c) is None)
    assert undeclared == []


def test_groups_are_not_people_and_exclusion_zeros_are_shown():
    df = pd.DataFrame(
        {
            "term": ["a", "b"],
            "estimate": [0.5, 0.2],
            "n": [400, 400],
            "n_clusters": [6, 6],
            "n_excluded": [0, 3],
            "n_routed_zero": [0, 0],
        }
    )
    out = D.protect(df, 10).frame
    assert out["estimate"].tolist() == [0.5, 0.2]
    assert out["n_clusters"].tolist() == [6, 6]
    assert out["n_excluded"].tolist() == [0, "<10"]
    assert out["n_routed_zero"].tolist() == [0, 0]


def test_blank_statistics_of_a_small_group_are_masked_too():
    df = pd.DataFrame({"n": [1, 50], "mean": [3.0, 2.5], "sd": [float("nan"), 1.0]})
    out = D.protect(df, 10).frame
    assert out["sd"].tolist()[0] == "–" and out["mean"].tolist()[0] == "–"


def test_collapse_merges_until_the_other_group_is_large_enough():
    s = pd.Series(["A"] * 40 + ["B"] * 20 + ["C"] * 6 + ["D"] * 2 + [None])
    out = D.collapse_small(s, 10)
    assert out.value_counts().to_dict() == {"A": 40, "other": 28}  # C + D = 8: B joins
    assert out.isna().sum() == 1
    assert D.collapse_small(pd.Series(["A"] * 12 + ["B"] * 3), 0).tolist().count("B") == 3


def test_secondary_suppression_closes_differencing_and_the_audit_agrees():
    # 2x2 cells against their margins and the overall: 4 is pinned by primary suppression alone
    t = {
        "ch2_contact_rates": pd.DataFrame(
            {
                "type": ["probation"],
                "n": [120],
                "n_missing": [0],
                "n_contact": [47],
                "rate": [47 / 120],
            }
        ),
        "ch2_contact_rates_by_regime": pd.DataFrame(
            {
                "regime": ["HvB", "GBM", "other"],
                "type": ["probation"] * 3,
                "n": [61, 43, 16],
                "n_missing": [0, 0, 0],
                "n_contact": [30, 13, 4],
                "rate": [30 / 61, 13 / 43, 0.25],
            }
        ),
    }
    primary = {k: D.protect(v, 10) for k, v in t.items()}
    assert not D.audit(primary, t).passed  # 47 - 30 - 13 = 4
    prot, a = D.protect_linked(t, 10)
    f = prot["ch2_contact_rates_by_regime"].frame
    assert f["n_contact"].tolist() == [30, "x", "<10"] and f["rate"].tolist()[1:] == ["–", "–"]
    assert a.passed and a.n_secondary == 1
    assert a.intervals == {"ch2_contact_rates_by_regime/2/n_contact": [0.0, 7.0]}
    assert D.audit(prot, t).passed  # an audit of the published result says the same


def test_a_relation_that_does_not_hold_is_not_used():
    # by-regime rows that do not add up to the overall (a subset) give no equation
    t = {
        "ch2_contact_rates": pd.DataFrame({"type": ["m"], "n": [500], "n_contact": [200]}),
        "ch2_contact_rates_by_regime": pd.DataFrame(
            {"regime": ["A", "B"], "type": ["m", "m"], "n": [61, 43], "n_contact": [30, 5]}
        ),
    }
    prot, a = D.protect_linked(t, 10)
    assert a.passed and a.n_secondary == 0


# --- a report with 6 institutions: its model comparison is published --------------------------
@pytest.fixture(scope="module")
def six_institutions(tmp_path_factory):
    from reintegratie_stats.reporting import sections
    from reintegratie_stats.reporting.report import build_report
    from reintegratie_stats.synth import generate
    from reintegratie_stats.synth.api import write_twin

    root = tmp_path_factory.mktemp("six")
    write_twin(generate(seed=3, n_prisoners=300, n_institutions=6, n_professionals=60), root / "d")
    mp = pytest.MonkeyPatch()
    mp.setitem(sections._ML_TESTS, "nsim", 19)  # the test is of disclosure, not of the LRT
    try:
        run = build_report(root / "d", out=root / "r", console=None, steps=["ch4_facilitation"])
    finally:
        mp.undo()
    return root / "r", run


@pytest.mark.slow
def test_six_institution_report_publishes_its_model_comparison(six_institutions):
    folder, run = six_institutions
    assert run.ok, [(r.name, r.error) for r in run.failed]
    t = pd.read_csv(folder / "tables" / "ch4_model_comparison.csv", dtype=str)
    assert (t["n_groups"] == "6").all()
    for col in ("llf", "aic", "variance", "icc"):
        assert pd.to_numeric(t[col], errors="coerce").notna().all(), col
    assert run.manifest["disclosure_audit"]["passed"]


def test_relations_do_not_depend_on_the_order_of_the_rows():
    """Equal group sizes are chained in a canonical order: pandas 2 and 3 list groupby's
    groups in different orders, and the differently written (equivalent) system made the LP
    withhold different cells on the two stacks (``family_contact_rates`` vs
    ``ch5_marginal_effects`` on the small-group twin)."""
    t = pd.DataFrame(
        {
            "regime": ["A", "A", "A", "B", "B", "B"],
            "type": ["m", "v", "w"] * 2,
            "n": [50, 48, 45, 30, 30, 29],
            "n_missing": [0, 2, 5, 0, 0, 1],
            "n_contact": [20, 11, 9, 12, 3, 8],
        }
    )
    counts = {"ch2_contact_rates_by_regime": ["n", "n_missing", "n_contact"]}

    def relations(df):
        rel = D._relations({"ch2_contact_rates_by_regime": df}, counts)
        return [sorted(row.items()) for row in rel.rows]

    forward = relations(t)
    assert len(forward) >= 4  # A: m = v = w, B: m = v = w
    assert relations(t.loc[t.index[::-1]]) == forward
    assert relations(t.loc[[4, 1, 5, 0, 3, 2]]) == forward
