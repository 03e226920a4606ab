import numpy as np
import pandas as pd
import pytest

from mv_helpers import DOMAINS, simulate_prisoners
from reintegratie_stats.multivariate import chapter5


@pytest.fixture(scope="module")
def out():
    df = simulate_prisoners(n=1200, seed=5)
    for d in DOMAINS:  # 1-5 items, as in the survey
        df[f"prep_{d}"] = np.clip(np.round(df[f"prep_{d}"]), 1, 5)
    return chapter5(df, domains=("housing", "finances", "id"), include_mixed=False)


@pytest.mark.slow
def test_chapter5_tables(out):
    expected = {
        "sample",
        "reliability",
        "ols",
        "standardized",
        "marginal_effects",
        "support_contrast",
        "predicted",
        "sur",
        "sur_tests",
        "ordinal",
        "robustness",
        "family",
    }
    assert expected <= set(out)
    assert out["problems"].empty
    for name, tab in out.items():
        # no problems, and on the default twin no category small enough to be merged
        empty_ok = ("problems", "collapsed")
        assert isinstance(tab, pd.DataFrame) and (len(tab) > 0 or name in empty_ok), name
    assert set(out["ols"]["outcome"]) == {
        "prep_housing",
        "prep_finances",
        "prep_id",
        "prep_overall",
    }
    for name in ("ols", "ordinal", "sur", "sur_tests", "family"):
        assert {"n", "n_excluded"} <= set(out[name].columns), name
    assert (out["ols"]["cov_type"] == "cluster").all()
    assert out["sur_tests"]["dof"].eq(2).all()
    # the chapter's directions on data simulated with them (external support > internal,
    # stronger with the prior need)
    c = out["support_contrast"]
    assert (c["estimate"] > 0).all()
    me = out["marginal_effects"]
    ext = me[(me.x == "instr_ext_housing_c") & me.group.isin([0.0, 1.0])].set_index("group")
    assert ext.loc[1.0, "estimate"] > ext.loc[0.0, "estimate"]
    assert out["robustness"].query("term == 'instr_ext_housing_c'")["same_sign"].all()
    # nothing rounded
    assert out["ols"]["estimate"].map(lambda v: len(repr(v)) > 8).any()


def test_chapter5_reports_a_degenerate_domain_and_carries_on():
    df = simulate_prisoners(n=600, seed=6)
    df["need_id"] = 0.0  # nobody had the need: the id model is rank deficient
    out = chapter5(
        df,
        domains=("housing", "id"),
        include_mixed=False,
        include_ordinal=False,
        include_family=False,
    )
    pr = out["problems"]
    assert list(pr["outcome"]) == ["prep_id"] and "rank deficient" in pr.loc[0, "message"]
    assert "prep_housing" in set(out["ols"]["outcome"]) and "sur" not in out
