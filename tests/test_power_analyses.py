"""power.analyses: the chapters' models as a power study refits them."""

from __future__ import annotations

import pandas as pd
import pytest

from multilevel_data import FAST_TESTS as FAST
from reintegratie_stats import power as pw
from reintegratie_stats.synth import (
    draw_family,
    generate,
)


@pytest.mark.filterwarnings("ignore:boundary")
def test_family_analysis_is_the_chapter_4_family_model():
    from reintegratie_stats.multilevel import family_models

    d = generate(seed=21)
    chapter = family_models(d.prisoners, d.institutions, outcomes=("any_visits_children",), **FAST)
    ref = chapter.models[("any_visits_children", "institutional")]
    a = pw.ANALYSES["family_child_visits"]
    frame = a.prepare(d)
    assert len(frame) == ref.nobs
    out = pw.WaldTest()(a, frame, "has_family_room")
    assert out["estimate"] == pytest.approx(ref.params["has_family_room"], rel=1e-5, abs=1e-7)
    assert out["se"] == pytest.approx(ref.bse["has_family_room"], rel=1e-4)
    assert out["df"] == 26 - 7  # between-within: 26 institutions, intercept + six facilities
    # the same frame from the partial draw
    inst, pris = draw_family(seed=21)
    pd.testing.assert_frame_equal(a.prepare(generate(seed=21)), frame)
    from reintegratie_stats.synth import SynthData

    quick = a.prepare(SynthData(inst, pris, pd.DataFrame(), {}))
    pd.testing.assert_frame_equal(quick, frame)


def test_formula_drops_predictors_constant_in_a_wave_unless_tested():
    a = pw.ANALYSES["family_child_visits"]
    assert a.model == "glmer"
    full = a.formula()
    assert full == f"{a.outcome} ~ {' + '.join(a.predictors)} + (1 | institution_id)"
    const = a.predictors[-1]
    frame = pd.DataFrame({t: [0.0, 1.0, 0.0] for t in a.predictors}).assign(**{const: 1.0})
    assert const not in a.formula(frame).split("~")[1]
    assert const in a.formula(frame, keep=(const,)).split("~")[1]
    ols = pw.ANALYSES["social_network_preparedness"]
    assert ols.model == "ols_cluster" and "(1 |" not in ols.formula()


def test_check_term_names_the_predictors():
    a = pw.ANALYSES["family_child_visits"]
    a.check_term(a.predictors[0])  # a predictor passes
    with pytest.raises(ValueError, match=r"'sauna' is not a predictor .* its predictors are \["):
        a.check_term("sauna")
