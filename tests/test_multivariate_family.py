import numpy as np
import pytest

from mv_helpers import simulate_prisoners
from reintegratie_stats.multivariate import ols
from reintegratie_stats.multivariate.family import family_frame, family_models


@pytest.fixture(scope="module")
def prisoners():
    df = simulate_prisoners(n=1200, seed=21)
    rng = np.random.default_rng(2)
    # a known family effect on social-network preparedness: 0.10 per child visit
    vc = df["visits_children"].fillna(0).to_numpy()
    return df.assign(
        prep_social_network=df["prep_social_network"] + 0.10 * vc + rng.normal(0, 0.01, len(df))
    )


def test_routed_out_cells_set_to_zero_and_counted(prisoners):
    out, zeros = family_frame(prisoners)
    no_kids = prisoners["has_children"] == 0
    assert (out.loc[no_kids, "visits_children"] == 0).all()
    assert int(zeros["visits_children"].sum()) == int(no_kids.sum())
    assert prisoners["visits_children"].isna().sum() == int(no_kids.sum())  # input untouched
    with pytest.raises(ValueError, match="not a family-contact measure"):
        family_frame(prisoners, ["age"])


def test_family_models_recover_effect_and_match_ols(prisoners):
    t = family_models(prisoners)
    assert set(t["group"]) == {"all", "with_children"}
    row = t[
        (t.group == "with_children")
        & (t.outcome == "prep_social_network")
        & (t.term == "visits_children")
    ].iloc[0]
    assert abs(row["estimate"] - 0.10) < 3 * row["std_error"]
    assert row["n"] == int((prisoners.has_children == 1).sum())
    assert row["n_routed_zero"] == 0
    allrow = t[
        (t.group == "all") & (t.outcome == "prep_social_network") & (t.term == "visits_children")
    ].iloc[0]
    assert allrow["n_routed_zero"] == int((prisoners.has_children == 0).sum())
    # identical to a direct ols() call on the prepared frame
    out, _ = family_frame(prisoners)
    sub = out[out.has_children == 1]
    f = (
        "prep_social_network ~ visits_partner + visits_children + video_calls_month + parent_child_day"
        " + family_approach_shell + age + C(sex) + C(regime) + prior_convictions + weeks_detained"
    )
    r = ols(f, sub, cluster="institution_id")
    assert row["estimate"] == pytest.approx(r.params["visits_children"], rel=1e-12)
    assert {"n", "n_excluded", "cov_type"} <= set(t.columns)


def test_absent_measure_warns(prisoners):
    with pytest.warns(UserWarning, match="video_calls_month"):
        family_models(
            prisoners.drop(columns="video_calls_month"), outcomes=("prep_social_network",)
        )
    with pytest.raises(ValueError, match="none of the family measures"), pytest.warns(UserWarning):
        family_models(prisoners, measures=("letters_month",))
