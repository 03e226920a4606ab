"""power.design: the sizes of a planned wave and its checks."""

from __future__ import annotations

import pytest

from reintegratie_stats import power as pw


def test_design_sizes():
    d = pw.Design(n_institutions=30, per_institution=130, share_with_children=0.5)
    assert d.total_prisoners == 3900
    assert d.professionals == round(1000 * 30 / 26)
    assert d.overrides() == {"has_children_rate": 0.5}
    assert pw.Design().total_prisoners == 4100
    assert [x.n_institutions for x in pw.size_grid([20, 30], n_prisoners=4000)] == [20, 30]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_institutions": 1}, "n_institutions"),
        ({"n_prisoners": 100, "per_institution": 5}, "not both"),
        ({"share_with_children": 1.2}, "share_with_children"),
        ({"facility_prevalence": {"sauna": 0.5}}, "unknown facility 'sauna'"),
        ({"facility_prevalence": {"has_family_room": -0.1}}, "not a probability"),
    ],
)
def test_design_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pw.Design(**kwargs)
