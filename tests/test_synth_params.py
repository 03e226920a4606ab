"""synth.params: SynthParams validation names the bad parameter; jsonable by hand."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from reintegratie_stats.schema import load_codebook
from reintegratie_stats.synth import SynthParams
from reintegratie_stats.synth.params import jsonable

CB = load_codebook()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"regime_shares": {"HvB": 1.0}}, "regime_shares must have the keys"),
        ({"need_rates": {d: 1.0 for d in CB.domains}}, "strictly between 0 and 1"),
        ({"contact_eta_loading": {t: 1.0 for t in CB.professional_types}}, "probation"),
        ({"female_share": 1.5}, "female_share"),
        ({"contact_institution_corr": 1.0}, "correlations"),
        ({"prep_factor_rho": 1.0}, "prep_factor_rho"),
        ({"prep_factor_rho": -0.1}, "prep_factor_rho"),
    ],
)
def test_bad_params_are_named(change, match):
    with pytest.raises(ValueError, match=match):
        replace(SynthParams(), **change)


def test_jsonable_by_hand():
    obj = {1: (np.float64(0.5), [np.int64(2), "a"]), "k": {2.0: None}}
    assert jsonable(obj) == {"1": [0.5, [2, "a"]], "k": {"2.0": None}}
    d = SynthParams().to_dict()
    assert json.loads(json.dumps(d)) == d  # the parameters are plain JSON
    assert d["regime_shares"]["HvB"] == pytest.approx(0.35)
