"""synth.override: named truth parameters read and overridden (for power studies)."""

from __future__ import annotations

import pytest

from reintegratie_stats.synth import (
    SynthParams,
    generate,
    get_parameter,
    set_parameters,
)


def test_set_parameters_nested_and_base_untouched():
    base = SynthParams()
    p = set_parameters(
        {"contact_beta.probation.facilitation": 0.3, "contact_beta.probation.travel_time_min": 0},
        base,
    )
    assert p.contact_beta["probation"]["facilitation"] == 0.3
    assert p.contact_beta["probation"]["travel_time_min"] == 0
    assert p.contact_beta["care"] == base.contact_beta["care"]
    assert base.contact_beta["probation"]["facilitation"] == 0.8  # the default is not mutated
    assert SynthParams().contact_beta["probation"]["facilitation"] == 0.8
    assert get_parameter("facility_rates.has_family_room", p) == 0.6


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"no_such_field": 1.0}, "no parameter 'no_such_field'"),
        ({"contact_beta.nobody.facilitation": 1.0}, "has no key 'nobody'"),
        ({"female_share.x": 1.0}, "not a mapping"),
        ({"facility_rates.has_family_room": 1.5}, "facility_rates"),
    ],
)
def test_set_parameters_bad_input_names_the_problem(over, message):
    with pytest.raises(ValueError, match=message):
        set_parameters(over)


def test_an_override_changes_the_data_the_twin_draws():
    # the override reaches the generator: a has_children_rate of 0.9 gives about 90% parents
    p = set_parameters({"has_children_rate": 0.9})
    assert get_parameter("has_children_rate", p) == 0.9
    share = generate(seed=4, n_prisoners=4000, params=p).prisoners["has_children"].mean()
    assert abs(share - 0.9) < 0.03
