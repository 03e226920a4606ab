"""reporting.readings: the report's reading of a table or model ladder computed outside the
report is the sentence the report prints for the same data (en and nl), and a name it cannot
read is refused with an error naming it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from multilevel_data import FAST_TESTS
from reintegratie_stats import multilevel as M
from reintegratie_stats.labels import text
from reintegratie_stats.reporting import readings
from reintegratie_stats.reporting import sections as S
from reintegratie_stats.reporting.inputs import Inputs
from reintegratie_stats.reporting.runner import ReportContext, run_steps
from reintegratie_stats.reporting.spec import Section, table

#: The steps publishing a table whose reading is made from the table alone.
TABLE_STEPS = [s.name for s in S.SECTIONS if any(o.name in readings.names() for o in s.outputs)]
#: Tables that exist only when the data need them (none on the twin).
ONLY_WHEN_NEEDED = {"data_warnings", "data_conversions"}


@pytest.fixture(scope="module")
def twin(small_twin_inputs) -> Inputs:
    return small_twin_inputs


@pytest.fixture(scope="module")
def ladder(twin):
    """The chapter-4 models of the twin, fitted once (chi-square block test: the readings, not
    the bootstrap, are tested here)."""
    from reintegratie_stats.derived_variables import add_derived

    return M.facilitation_models(
        add_derived(twin.prisoners), twin.professionals, seed=3, **FAST_TESTS
    )


@pytest.fixture(scope="module")
def chapter5(twin):
    """Chapter 5 of the twin, computed once for both languages (its tables do not depend on
    the language or the threshold)."""
    from reintegratie_stats import multivariate as MV

    return MV.chapter5(twin.prisoners, seed=3)


def _runner_outputs(run, twin: Inputs, ctx: ReportContext) -> dict[str, tuple]:
    """name -> (table, reading) as the runner made them. A step whose readings the runner
    withheld (joint suppression over all tables) is taken from its step function, which is
    what the runner calls."""
    withheld = text("page", "reading_withheld", ctx.lang)
    out = {}
    for res in run.results:
        assert res.status == "ok", (res.name, res.error)
        o = res.output
        if withheld in o.readings.values():
            o = S.STEPS[res.name].fn(ctx)
        out.update({k: (t, o.readings[k]) for k, t in o.tables.items()})
    return out


def _compare(made: dict[str, tuple], lang: str, threshold: int) -> None:
    assert set(readings.names()) - ONLY_WHEN_NEEDED <= set(made)  # every one is compared
    for name in set(readings.names()) & set(made):
        tab, expected = made[name]
        assert readings.reading(name, tab, lang=lang, threshold=threshold) == expected, name


@pytest.mark.slow
def test_a_table_reads_as_in_the_report(twin, ladder, chapter5, monkeypatch):
    monkeypatch.setattr(M, "facilitation_models", lambda *a, **k: ladder)
    # English: the runner's output (computed, protected, rendered)
    ctx = ReportContext(inputs=twin, seed=3, cache={"chapter5": chapter5})
    run = run_steps(S.STEPS, ctx, only=TABLE_STEPS, console=None)
    _compare(_runner_outputs(run, twin, ctx), "en", 10)
    # Dutch, another threshold: the step functions the runner calls (rendering is not reading)
    nl = ReportContext(inputs=twin, lang="nl", threshold=25, seed=3, cache={"chapter5": chapter5})
    made = {}
    for step in TABLE_STEPS:
        o = S.STEPS[step].fn(nl)
        made.update({k: (t, o.readings[k]) for k, t in o.tables.items()})
    _compare(made, "nl", 25)


def test_the_threshold_decides_which_groups_are_quoted():
    # hand-made rates: the volunteers' 90% is a rate of 5 people
    rates = pd.DataFrame(
        {
            "type": ["casemanager", "probation", "volunteer"],
            "n": [400, 400, 5],
            "rate": [0.61, 0.19, 0.9],
        }
    )
    assert readings.reading("ch2_contact_rates", rates) == (
        "Contact is most common with the case manager (61%) and least common with the "
        "probation service (19%)."
    )
    low = readings.reading("ch2_contact_rates", rates, threshold=5)
    assert low.startswith("Contact is most common with the volunteer (90%)")
    assert "61%" not in low


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_model_ladder_reads_as_in_the_report(twin, ladder, lang, monkeypatch):
    ms = ladder
    monkeypatch.setattr(M, "facilitation_models", lambda *a, **k: ms)  # the report's models
    ctx = ReportContext(inputs=twin, lang=lang)
    (res,) = run_steps(S.STEPS, ctx, only=["ch4_facilitation"], console=None).results
    assert res.status == "ok", res.error
    got = readings.multilevel(ms, lang)
    assert got.icc == res.output.readings["ch4_model_comparison"]
    assert got.terms == res.output.readings["ch4_estimates"]
    assert str(got) == f"{got.icc}\n{got.terms}"
    assert readings.multilevel(ms, lang, section="ch4_facilitation") == got


def test_the_ladder_is_told_from_the_models_terms():
    from types import SimpleNamespace

    table_ = pd.DataFrame(
        {
            "outcome": ["any_visits", "any_visits"],
            "model": ["null", "institutional"],
            "icc": [0.1, None],
            "n_groups": 26,
            "lrt_p_value": [None, 0.03],
            "lrt_test": [None, "parametric bootstrap LRT (199)"],
        }
    )
    est = pd.DataFrame(
        {
            "outcome": "any_visits",
            "model": "institutional",
            "term": ["Intercept", "has_family_room"],
            "estimate": [-1.0, 0.4],
            "p_value": [0.01, 0.02],
        }
    )
    ms = SimpleNamespace(table=table_, estimates=est)
    got = readings.multilevel(ms)
    ctx = ReportContext(inputs=None)
    assert (got.icc, got.terms) == S.ladder_readings(ms, "family_multilevel", ctx)
    assert got.terms.startswith("Family facilities as a block")
    assert f"p = 0.03, combined odds ratio {np.exp(0.4):.2f}" in got.terms
    neither = SimpleNamespace(table=table_, estimates=est.assign(term="age"))
    with pytest.raises(ValueError, match="section="):
        readings.multilevel(neither)
    with pytest.raises(ValueError, match="'ch9'"):
        readings.multilevel(ms, section="ch9")
    with pytest.raises(TypeError, match="ModelSet"):
        readings.multilevel(est)


def test_names_are_the_tables_read_from_the_table_alone():
    names = readings.names()
    tables = [o for s in S.SECTIONS for o in s.outputs if o.kind == "table"]
    assert list(names) == [o.name for o in tables if o.reading_from == "table"]
    assert "ch2_contact_rates" in names and "ch5_ols" in names
    for needs_section in ("ch4_model_comparison", "family_ml_estimates", "data_sample_by_regime"):
        assert needs_section not in names


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ch2_contact_rate", r"'ch2_contact_rate'.*did you mean ch2_contact_rates"),
        ("no_such_table", r"no report table named 'no_such_table'"),
        ("ch4_estimates", r"'ch4_estimates'.*readings\.multilevel"),
        ("family_ml_model_comparison", r"'family_ml_model_comparison'.*readings\.multilevel"),
        ("data_sample_by_regime", r"'data_sample_by_regime'.*section's results"),
        ("ch3_needs_vs_contact_forest", r"'ch3_needs_vs_contact_forest' is a figure"),
    ],
)
def test_an_output_it_cannot_read_is_named_in_the_error(name, message):
    with pytest.raises(ValueError, match=message):
        readings.reading(name, pd.DataFrame({"n": [10]}))


def test_bad_arguments_are_refused():
    rates = pd.DataFrame({"type": ["casemanager"], "n": [400], "rate": [0.6]})
    with pytest.raises(ValueError, match="lang"):
        readings.reading("ch2_contact_rates", rates, lang="de")
    with pytest.raises(TypeError, match="'ch2_contact_rates' must be a DataFrame"):
        readings.reading("ch2_contact_rates", rates.to_dict())


def test_a_reading_declared_table_only_that_reads_its_section_is_refused(monkeypatch):
    # a wrong declaration in the spec surfaces as an error naming the output, not a wrong text
    sec = Section(
        "demo",
        "data",
        compute=lambda ctx: {},
        outputs=(table("demo_rows", lambda r, ctx: None, lambda t, r, ctx: r["n_rows"]),),
    )
    monkeypatch.setattr(readings, "SECTIONS", (sec,))
    with pytest.raises(ValueError, match="'demo_rows' uses its report section's results"):
        readings.reading("demo_rows", pd.DataFrame({"n": [10]}))
