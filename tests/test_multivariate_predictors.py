import numpy as np
import pandas as pd
import pytest

from mv_helpers import TRUE, simulate_prisoners
from reintegratie_stats.multivariate import (
    analysis_frame,
    domain_formula,
    mixed,
    ols,
    overall_formula,
)


@pytest.fixture(scope="module")
def prisoners():
    return simulate_prisoners(n=2500, seed=11)


def test_analysis_frame_selection_and_derived(prisoners):
    before = prisoners.copy()
    af = analysis_frame(prisoners)
    pd.testing.assert_frame_equal(prisoners, before)  # input untouched
    n_soon = int((prisoners.soon_released == 1).sum())
    assert len(af.data) == n_soon
    assert af.excluded.set_index("reason").loc["not_soon_released", "n"] == len(prisoners) - n_soon
    assert af.n_input == len(prisoners)
    row = af.data.iloc[0]
    sats = [row[c] for c in ("sat_casemanager", "sat_mentor") if not np.isnan(row[c])]
    assert (np.isnan(row.sat_internal) and not sats) or row.sat_internal == pytest.approx(
        np.mean(sats)
    )
    assert af.data["prep_overall"].iloc[0] == pytest.approx(
        af.data.filter(like="prep_").drop(columns="prep_overall").iloc[0].mean()
    )
    assert "C(sex)" in af.controls


def test_soon_released_derived_when_absent(prisoners):
    af = analysis_frame(prisoners.drop(columns="soon_released"))
    assert len(af.data) == int((prisoners.weeks_to_release <= 13).sum())
    with pytest.raises(ValueError, match="weeks_to_release"):
        analysis_frame(prisoners.drop(columns=["soon_released", "weeks_to_release"]))


def test_formulas():
    f = overall_formula(["age"], coding="listwise")
    assert f.startswith("prep_overall ~ sat_internal + sat_external + instr_int_mean")
    assert "instr_ext_mean:any_need" in f
    assert "instr_ext_mean_c:any_need" in overall_formula()
    assert "instr_ext_id:need_id" in domain_formula("id", coding="listwise")
    assert "sat_int_c" not in domain_formula("id", general=False)
    assert "instr_ext_id_c:need_id" in domain_formula("id")
    with pytest.raises(ValueError, match="coding"):
        domain_formula("id", coding="zero")


def test_centred_coding(prisoners):
    p = prisoners.copy()
    p.loc[p.index[:50], "instr_ext_housing"] = np.nan  # not received
    p.loc[p.index[:5], ["contact_casemanager", "contact_mentor"]] = 0.0
    p.loc[p.index[:5], ["sat_casemanager", "sat_mentor"]] = np.nan
    p.loc[p.index[5], "contact_casemanager"] = 1.0  # contact but no answer: nonresponse
    p.loc[p.index[5], ["sat_casemanager", "sat_mentor"]] = np.nan
    d = analysis_frame(p, soon_released_only=False).data
    assert (d["instr_ext_housing_c"].iloc[:50] == 0).all()
    assert d["instr_ext_housing_c"].iloc[60] == d["instr_ext_housing"].iloc[60] - 3
    assert (d["sat_int_c"].iloc[:5] == 0).all() and np.isnan(d["sat_int_c"].iloc[5])


@pytest.mark.parametrize("domain", ["housing", "work_income"])
def test_true_coefficients_recovered_ols_cluster(prisoners, domain):
    """Simulated with known coefficients: each estimate within 3 cluster-robust SEs."""
    af = analysis_frame(prisoners, soon_released_only=False, controls=("age",))
    r = ols(domain_formula(domain, ["age"], coding="listwise"), af.data, cluster="institution_id")
    for term, true in TRUE.items():
        name = (
            term.replace("instr_int", f"instr_int_{domain}")
            .replace("instr_ext", f"instr_ext_{domain}")
            .replace("need", f"need_{domain}")
        )
        if term == "Intercept":
            continue  # absorbs the mean of the person and institution effects
        z = (r.params[name] - true) / r.bse[name]
        assert abs(z) < 3, (name, r.params[name], true, r.bse[name])
    assert r.extra["n_excluded"] == int(
        af.data[["sat_internal", "sat_external"]].isna().any(axis=1).sum()
    )


def test_true_coefficients_recovered_mixed(prisoners):
    af = analysis_frame(prisoners, soon_released_only=False, controls=("age",))
    f = domain_formula("finances", ["age"], coding="listwise") + " + (1 | institution_id)"
    r = mixed(f, af.data)
    ci = r.conf_int(alpha=0.001)
    for term in ("instr_ext_finances", "instr_ext_finances:need_finances", "need_finances"):
        true = TRUE[term.replace("_finances", "")]
        assert ci.loc[term, "ci_low"] < true < ci.loc[term, "ci_high"]
    assert 0.03 < r.group_var < 0.25  # true 0.09
