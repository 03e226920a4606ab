"""Every model's rows add up: used plus each exclusion reason is the prisoners read.

One small twin with item non-response (MCAR on a control, an outcome, the children question and
a scale item) is reported once; every step and every model in its manifest is checked, and the
numbers are recomputed from the files independently (pandas on the twin, not our accounting).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reintegratie_stats import synth
from reintegratie_stats.reporting import sections
from reintegratie_stats.reporting.report import build_report
from reintegratie_stats.synth.missing import MissingSpec

MISSING = MissingSpec(
    mcar={
        "age": 0.06,
        "has_children": 0.05,
        "contact_probation": 0.06,
        "prep_work_income": 0.08,
        "visits_children": 0.05,
    }
)
N = 300
#: every step that fits models, and two that estimate by group (the slow figures left out)
STEPS = [
    "data_overview",
    "ch2_satisfaction",
    "ch3_no_contact",
    "ch4_facilitation",
    "ch5_preparedness",
    "family_multilevel",
    "family_preparedness",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    data = synth.generate(seed=11, n_prisoners=N, n_professionals=300, missing=MISSING)
    folder = tmp_path_factory.mktemp("twin")
    synth.write_twin(data, folder, fmt="csv")
    # the accounting does not depend on the test of the institution terms: the chi-square LRT
    # and the Wald t keep the multilevel steps to seconds (the report's bootstrap, whose
    # replicates also give the per-term bootstrap-t, is tested elsewhere)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sections._ML_TESTS, "block_test", "chi2")
        mp.setitem(sections._ML_TESTS, "term_test", "wald-t")
        out = tmp_path_factory.mktemp("out") / "r"
        run = build_report(folder, out=out, threshold=1, steps=STEPS, console=None)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return run, manifest, data.prisoners, out


@pytest.mark.slow
def test_every_step_adds_up_to_the_prisoners_read(report):
    run, man, _, _ = report
    assert run.ok, [(r.name, r.error) for r in run.failed]
    for s in man["steps"]:
        assert s["rows_input"] == N, s["name"]
        assert s["rows_used"] + sum(s["rows_excluded"].values()) == N, s["name"]


@pytest.mark.slow
def test_every_model_adds_up_with_each_reason_listed(report):
    _, man, _, _ = report
    models = [(s["name"], m) for s in man["steps"] for m in s["models"]]
    steps = {name for name, _ in models}
    # the steps that fit models all list them
    assert steps >= {"ch4_facilitation", "ch5_preparedness", "family_multilevel"}
    assert "family_preparedness" in steps
    for step, m in models:
        assert m["rows_input"] == N, (step, m)
        assert m["rows_used"] > 0, (step, m)
        assert all(v > 0 for v in m["rows_excluded"].values()), (step, m)
        assert m["rows_used"] + sum(m["rows_excluded"].values()) == N, (step, m)


@pytest.mark.slow
def test_reasons_match_the_data(report):
    """The subgroup and missing counts recomputed with pandas from the twin itself."""
    _, man, p, out = report
    by = {(s["name"], m["outcome"], m["model"]): m for s in man["steps"] for m in s["models"]}
    hc = p["has_children"]
    fam = by[("family_multilevel", "any_video_calls", "institutional")]["rows_excluded"]
    assert fam["missing has_children"] == int(hc.isna().sum())
    assert fam["no minor children (has_children != 1)"] == int((hc == 0).sum())
    # the multilevel models of probation contact: prisoners missing on probation contact only
    probation = by[("ch4_facilitation", "contact_probation", "null")]
    only = p["contact_probation"].isna() & p["age"].notna()
    assert probation["rows_excluded"]["missing contact_probation"] == int(only.sum())
    both = p["contact_probation"].isna() & p["age"].isna()
    assert probation["rows_excluded"].get("missing on more than one variable", 0) == int(both.sum())
    # chapter 5: the sample is the soon released (release within 13 weeks, SPEC §3.1); the
    # rows used are the n of the published OLS table
    ch5 = by[("ch5_preparedness", "prep_work_income", "ols_cluster")]
    wtr = p["weeks_to_release"]
    assert ch5["rows_excluded"]["release_date_unknown"] == int(wtr.isna().sum())
    assert ch5["rows_excluded"]["not_soon_released"] == int((wtr > 13).sum())
    ols = pd.read_csv(out / "tables" / "ch5_ols.csv")
    assert ch5["rows_used"] == int(ols.loc[ols["outcome"] == "prep_work_income", "n"].iloc[0])
    assert ch5["rows_excluded"]["missing prep_work_income"] > 0
