"""reporting.sections: the report spec's sections, read as records, and the options they
pass to the analyses (the report's seed reaches every computation that resamples)."""

from __future__ import annotations

import pandas as pd
import pytest

from reintegratie_stats import bivariate as B
from reintegratie_stats import multilevel as M
from reintegratie_stats.derived_variables import add_derived
from reintegratie_stats.reporting import sections as S
from reintegratie_stats.reporting.inputs import Inputs
from reintegratie_stats.reporting.runner import ReportContext


@pytest.fixture(scope="module")
def small_inputs(small_twin_inputs) -> Inputs:
    return small_twin_inputs


class _Stop(Exception):
    pass


def test_the_report_seed_reaches_every_resampling_call(small_inputs, monkeypatch):
    ctx = ReportContext(inputs=small_inputs, seed=31)
    seen: dict[str, list] = {"contingency": [], "ml": []}
    real = B.contingency_test

    def recording_test(tab, *a, **kw):
        seen["contingency"].append(kw.get("seed"))
        return real(tab, *a, **kw)

    def recording_models(*a, **kw):
        seen["ml"].append(kw.get("seed"))
        raise _Stop

    monkeypatch.setattr(B, "contingency_test", recording_test)
    monkeypatch.setattr(M, "facilitation_models", recording_models)
    monkeypatch.setattr(M, "family_models", recording_models)
    # the r x c tables of chapter 3 (a Monte Carlo exact test where a cell is small)
    S.CH3_CONTACT_BY_PHASE.compute(ctx)
    S.CH3_NO_CONTACT.compute(ctx)
    assert seen["contingency"] and set(seen["contingency"]) == {31}
    # the block bootstrap of chapter 4 and of the family models
    for sec in (S.CH4_FACILITATION, S.FAMILY_MULTILEVEL):
        with pytest.raises(_Stop):
            sec.compute(ctx)
    assert seen["ml"] == [31, 31]


def test_every_section_is_in_the_registry_once_with_unique_output_names():
    names = [s.name for s in S.SECTIONS]
    assert len(names) == len(set(names)) and list(S.STEPS) == names
    outputs = [o.name for s in S.SECTIONS for o in s.outputs]
    assert len(outputs) == len(set(outputs))
    # every output name is prefixed by its chapter (ch2_..., family_...), data tables aside
    for sec in S.SECTIONS:
        for o in sec.outputs:
            assert o.name.startswith(sec.chapter) or sec.chapter == "data", (sec.name, o.name)


def test_a_section_runs_on_a_small_twin_and_its_tables_are_the_analysis(small_inputs):
    ctx = ReportContext(inputs=small_inputs, seed=31)
    out = S.CH3_CONTACT_BY_PHASE.run(ctx)
    (name,) = out.tables
    expect = B.contact_by_phase(add_derived(small_inputs.prisoners), seed=31)
    got = out.tables[name]
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expect.reset_index(drop=True), check_like=True
    )
