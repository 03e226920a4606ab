"""lrt: R's anova() on nested lmer fits, the chi-bar-square boundary mixture for every mixed
result, and no silent clipping of a negative statistic or use of a non-converged fit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mv_helpers import REF, load_ref
from reintegratie_stats.multilevel import lmer, lrt
from reintegratie_stats.multilevel.compare import chibar2_sf
from reintegratie_stats.multivariate import mixed, ols
from reintegratie_stats.results import ConvergenceInfo, ConvergenceWarning

REFS = load_ref("lme4_lmm")
D = pd.read_csv(REF / "lmm_ch5_overall.csv", dtype={"g": str})
XS = [c for c in D.columns if c.startswith("x")]
BIG = "y ~ 0 + " + " + ".join(XS) + " + (1 | g)"
SMALL = "y ~ 0 + " + " + ".join(x for x in XS if x != "x2") + " + (1 | g)"


@pytest.mark.parametrize("fit", [lmer, mixed])
def test_fixed_term_lrt_matches_anova(fit):
    ref = REFS["lrt"]["drop_x2"]
    t = lrt(fit(SMALL, D, reml=False), fit(BIG, D, reml=False))
    assert t["statistic"].iloc[0] == pytest.approx(ref["statistic"], abs=1e-6)
    assert t["p_value"].iloc[0] == pytest.approx(ref["p_value"], rel=1e-5)
    assert t["df"].iloc[0] == 1 and t["p_method"].iloc[0] == "chi2" and t["flag"].iloc[0] == ""


def test_variance_lrt_uses_the_mixture_for_multivariate_mixed():
    """The bug: MixedResults had no variance_components, so the p-value was twice too large."""
    ref = REFS["lrt"]["variance"]
    m = mixed(BIG, D, reml=False)
    flat = ols(BIG.replace(" + (1 | g)", ""), D)
    assert list(m.variance_components.index) == ["g"]
    t = lrt(flat, m)
    assert t["statistic"].iloc[0] == pytest.approx(ref["statistic"], abs=1e-6)
    assert t["p_method"].iloc[0] == "chibar2 (50:50 mixture)"
    assert t["p_value"].iloc[0] == pytest.approx(ref["p_value"], rel=1e-5)
    # the same for multilevel.lmer
    t2 = lrt(flat, lmer(BIG, D, reml=False))
    assert t2["p_value"].iloc[0] == pytest.approx(ref["p_value"], rel=1e-5)


def test_chibar2_mixture_weights():
    """Null distribution of the LR statistic for one variance: P(0) = 1/2, then chi2(1)/2."""
    assert chibar2_sf(0.0, 1, 1) == 1.0
    assert chibar2_sf(3.84, 1, 1) == pytest.approx(0.5 * stats.chi2.sf(3.84, 1))
    assert chibar2_sf(5.0, 3, 1) == pytest.approx(
        0.5 * stats.chi2.sf(5.0, 2) + 0.5 * stats.chi2.sf(5.0, 3)
    )
    # two independent variances: binomial(2, 1/2) weights on chi2(0), chi2(1), chi2(2)
    assert chibar2_sf(4.0, 2, 2) == pytest.approx(
        0.5 * stats.chi2.sf(4.0, 1) + 0.25 * stats.chi2.sf(4.0, 2)
    )
    with pytest.raises(ValueError, match="k <= df"):
        chibar2_sf(1.0, 1, 2)


def _fake_llf(m, llf):
    return dataclasses.replace(m, llf=llf)


def test_negative_statistic_is_flagged_not_clipped():
    small, big = mixed(SMALL, D, reml=False), mixed(BIG, D, reml=False)
    stuck = _fake_llf(big, small.llf - 0.5)  # a big model short of its optimum
    with pytest.warns(ConvergenceWarning, match="negative LR statistic"):
        t = lrt(small, stuck)
    assert t["statistic"].iloc[0] == pytest.approx(-1.0)
    assert np.isnan(t["p_value"].iloc[0]) and "negative" in t["flag"].iloc[0]
    with pytest.raises(ValueError, match="refused: negative LR statistic"):
        lrt(small, stuck, nonconverged="raise")
    # rounding noise around 0 is 0, not a flag
    t0 = lrt(small, _fake_llf(big, small.llf - 1e-9))
    assert t0["statistic"].iloc[0] == 0.0 and t0["flag"].iloc[0] == ""


def test_nonconverged_fit_is_flagged_or_refused():
    small, big = mixed(SMALL, D, reml=False), mixed(BIG, D, reml=False)
    bad = dataclasses.replace(big, convergence=ConvergenceInfo(converged=False))
    with pytest.warns(ConvergenceWarning, match="big model did not converge"):
        t = lrt(small, bad)
    assert not t["converged"].iloc[0] and "did not converge" in t["flag"].iloc[0]
    with pytest.raises(ValueError, match="refused: the big model did not converge"):
        lrt(small, bad, nonconverged="raise")


def test_reml_and_different_rows_are_refused():
    with pytest.raises(ValueError, match="REML"):
        lrt(mixed(SMALL, D, reml=False), mixed(BIG, D))
    with pytest.raises(ValueError, match="different rows"):
        lrt(mixed(SMALL, D.iloc[:-1], reml=False), mixed(BIG, D, reml=False))
